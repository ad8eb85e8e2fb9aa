"""Who signed a Windows executable (Authenticode), checked without Windows.

``signer(file)`` answers None for an executable without a signature, the signing
certificate's fingerprint and name for one whose signature holds, and raises
``SignatureInvalid`` for anything else. A signature holds when, as Microsoft's "Windows
Authenticode Portable Executable Signature Format" describes:

1. the image's Authenticode hash — the whole file except its CheckSum field, the security
   entry of the data directory and the certificate table itself — equals the digest in the
   signature's ``SpcIndirectDataContent``;
2. the signed attributes' ``messageDigest`` equals the hash of that content;
3. the signer's signature over the signed attributes verifies with the public key of the
   certificate the signer names.

No certificate chain is validated (against Windows' roots or otherwise) and validity dates,
timestamps and nested signatures are not looked at: callers trust a signer by pinning its
certificate's fingerprint. Data after the signature (beyond the zeros aligning it) is
refused, since no hash covers it: Windows tolerates it unless EnableCertPaddingCheck is set.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import cms, core, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import load_der_x509_certificate

from crm_common.tlsinfo import der_fingerprint

SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
SPC_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15"
WIN_CERT_REVISION_2 = 0x0200
WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002
SECURITY_DIRECTORY = 4  # index of the certificate table in the optional header's directory
# Where the data directory starts in the optional header, by its magic (PE32, PE32+).
DIRECTORY_OFFSETS = {0x10B: 96, 0x20B: 112}
CHECKSUM_OFFSET = 64  # of the CheckSum field in the optional header, in both formats
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
CHUNK = 1 << 20

Source = str | os.PathLike[str] | bytes


class SignatureInvalid(Exception):
    """Not a Windows executable, or a signature that is malformed or does not hold."""


@dataclass(frozen=True)
class Signer:
    """The signing certificate: SHA-256 fingerprint ("AB:CD:…") and subject common name."""

    fingerprint: str
    common_name: str


class SpcAttributeTypeAndOptionalValue(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("type", core.ObjectIdentifier), ("value", core.Any, {"optional": True})]


class DigestInfo(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("digest_algorithm", cms.DigestAlgorithm), ("digest", core.OctetString)]


class SpcIndirectDataContent(core.Sequence):
    """What an Authenticode signature signs: the kind of file and its hash."""

    _fields: ClassVar[list[Any]] = [
        ("data", SpcAttributeTypeAndOptionalValue), ("message_digest", DigestInfo)]


@dataclass(frozen=True)
class _Layout:
    """Offsets the Authenticode hash leaves out."""

    checksum: int  # the optional header's CheckSum field (4 bytes)
    security_entry: int  # the certificate table's data-directory entry (8 bytes)
    table: int  # the certificate table, which runs to the end of the file
    size: int


def signer(source: Source) -> Signer | None:
    """The signer of the executable ``source`` (a path or its bytes), None when unsigned."""
    if isinstance(source, bytes):
        return _signer(source)
    with open(source, "rb") as file:
        if os.fstat(file.fileno()).st_size == 0:
            raise SignatureInvalid("the file is empty, not a Windows executable")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as image:
            return _signer(image)


def _signer(image: Any) -> Signer | None:
    layout = _layout(image)
    if layout is None:
        return None
    length, revision, kind = _unpack("<IHH", image, layout.table)
    if revision != WIN_CERT_REVISION_2 or kind != WIN_CERT_TYPE_PKCS_SIGNED_DATA or not (
            8 < length <= layout.size - layout.table):
        raise SignatureInvalid("the certificate table holds no Authenticode signature")
    _nothing_after(image[layout.table + length :])
    pkcs7 = image[layout.table + 8 : layout.table + length]
    try:
        return _verify(pkcs7, lambda name: _image_hash(image, layout, name))
    except SignatureInvalid:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as error:  # asn1crypto's parse errors
        raise SignatureInvalid(f"the signature is malformed ({error})") from error


def _nothing_after(rest: bytes) -> None:
    """What follows the signature is covered by no hash: at most the zeros that align the
    certificate table to 8 bytes, so nothing can be smuggled in there."""
    if len(rest) >= 8 or rest.strip(b"\0"):
        raise SignatureInvalid("there are data after the signature")


def _unpack(fmt: str, image: Any, offset: int) -> tuple[int, ...]:
    if offset < 0 or offset + struct.calcsize(fmt) > len(image):
        raise SignatureInvalid("the file is truncated: not a Windows executable")
    return struct.unpack_from(fmt, image, offset)


def _layout(image: Any) -> _Layout | None:
    """Where the hash's holes are, or None when the image has no certificate table."""
    if bytes(image[:2]) != b"MZ":
        raise SignatureInvalid("not a Windows executable (no MZ header)")
    (pe,) = _unpack("<I", image, 0x3C)
    if bytes(image[pe : pe + 4]) != b"PE\0\0":
        raise SignatureInvalid("not a Windows executable (no PE header)")
    optional = pe + 24  # after the signature and the 20-byte COFF header
    (optional_size,) = _unpack("<H", image, pe + 20)
    (magic,) = _unpack("<H", image, optional)
    if magic not in DIRECTORY_OFFSETS:
        raise SignatureInvalid(f"unknown optional header magic {magic:#x}")
    directory = optional + DIRECTORY_OFFSETS[magic]
    (entries,) = _unpack("<I", image, directory - 4)
    entry = directory + 8 * SECURITY_DIRECTORY
    if entries <= SECURITY_DIRECTORY or entry + 8 > optional + optional_size:
        return None
    table, table_size = _unpack("<II", image, entry)
    if table_size == 0:
        return None
    if table < entry + 8 or table + table_size != len(image):
        raise SignatureInvalid("the certificate table is not at the end of the file")
    return _Layout(optional + CHECKSUM_OFFSET, entry, table, len(image))


def _image_hash(image: Any, layout: _Layout, algorithm: str) -> bytes:
    """The Authenticode hash: the file up to the certificate table, without the CheckSum
    field and the security entry (which signing changes)."""
    digest = hashlib.new(algorithm)
    spans = ((0, layout.checksum), (layout.checksum + 4, layout.security_entry),
             (layout.security_entry + 8, layout.table))
    for start, end in spans:
        for offset in range(start, end, CHUNK):
            digest.update(image[offset : min(offset + CHUNK, end)])
    return digest.digest()


def _verify(pkcs7: bytes, image_hash: Callable[[str], bytes]) -> Signer:
    info = cms.ContentInfo.load(pkcs7)
    _nothing_after(pkcs7[len(info.dump()) :])
    if info["content_type"].native != "signed_data":
        raise SignatureInvalid("the signature is not PKCS#7 signed data")
    signed = info["content"]
    encapsulated = signed["encap_content_info"]
    if encapsulated["content_type"].dotted != SPC_INDIRECT_DATA:
        raise SignatureInvalid("the signature does not sign an Authenticode digest")
    # PKCS#7 v1.5: the structure itself, not wrapped in an OCTET STRING as in CMS
    indirect = encapsulated["content"].parse(SpcIndirectDataContent)
    if indirect["data"]["type"].dotted != SPC_PE_IMAGE_DATA:
        raise SignatureInvalid("the signature is not for a Windows executable")
    signed_digest = indirect["message_digest"]
    if image_hash(_hash_name(signed_digest["digest_algorithm"])) != signed_digest["digest"].native:
        raise SignatureInvalid("the file was changed after it was signed (its hash differs)")
    if len(signed["signer_infos"]) != 1:
        raise SignatureInvalid("the signature must have exactly one signer")
    signer_info = signed["signer_infos"][0]
    certificate = _signing_certificate(signed, signer_info["sid"])
    digest_name = _hash_name(signer_info["digest_algorithm"])
    _check_signed_attributes(signer_info, digest_name, indirect.contents)
    _check_signature(certificate, signer_info, digest_name)
    name = certificate.subject.native.get("common_name", "")
    return Signer(der_fingerprint(certificate.dump()),
                  name if isinstance(name, str) else ", ".join(name))


def _hash_name(algorithm: cms.DigestAlgorithm) -> str:
    name = str(algorithm["algorithm"].native)
    if name not in HASHES:
        raise SignatureInvalid(f"unsupported digest algorithm {name}")
    return name


def _signing_certificate(signed: cms.SignedData,
                         sid: cms.SignerIdentifier) -> x509.Certificate:
    """The certificate the signer names by issuer and serial number."""
    if sid.name != "issuer_and_serial_number":
        raise SignatureInvalid("the signer is not named by issuer and serial number")
    wanted = sid.chosen
    for choice in signed["certificates"] or ():
        if choice.name != "certificate":
            continue
        certificate = choice.chosen
        if (certificate.issuer == wanted["issuer"]
                and certificate.serial_number == wanted["serial_number"].native):
            return certificate
    raise SignatureInvalid("the signer's certificate is not in the signature")


def _check_signed_attributes(signer_info: cms.SignerInfo, digest_name: str,
                             content: bytes) -> None:
    """The signed attributes must say they sign Authenticode content, and its hash (of the
    content's value, without its tag and length)."""
    attributes = {attribute["type"].dotted: attribute["values"]
                  for attribute in signer_info["signed_attrs"]}
    content_type = attributes.get(cms.CMSAttributeType.unmap("content_type"))
    message_digest = attributes.get(cms.CMSAttributeType.unmap("message_digest"))
    if content_type is None or content_type[0].dotted != SPC_INDIRECT_DATA:
        raise SignatureInvalid("the signed attributes do not name Authenticode content")
    if message_digest is None or message_digest[0].native != hashlib.new(
            digest_name, content).digest():
        raise SignatureInvalid("the signed attributes do not match the signed content")


def _check_signature(certificate: x509.Certificate, signer_info: cms.SignerInfo,
                     digest_name: str) -> None:
    """The signer's signature over its signed attributes, DER-encoded as the SET OF they
    are (tag 0x31, not the [0] they carry inside SignerInfo)."""
    signed_bytes = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    signature = signer_info["signature"].native
    key = load_der_x509_certificate(certificate.dump()).public_key()
    algorithm = HASHES[digest_name]()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(algorithm))
        else:
            raise SignatureInvalid("unsupported signing key type")
    except InvalidSignature:
        raise SignatureInvalid("the signer's signature does not verify") from None
