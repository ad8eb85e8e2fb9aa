"""Real Windows executables for the Authenticode and update tests, made without Windows, Wine
or a compiler: a minimal valid PE32+ image (one ``.text`` section holding ``xor eax, eax;
ret``) written with ``struct``, signed by ``osslsigncode`` with a throwaway code-signing
certificate made here with ``cryptography``."""

from __future__ import annotations

import datetime
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crm_common.tlsinfo import fingerprint

FILE_ALIGNMENT = 0x200
SECTION_RVA = 0x1000
CODE = b"\x31\xc0\xc3"  # xor eax, eax; ret
# Where the code lies in the image: the one section's raw data follows the headers.
CODE_OFFSET = FILE_ALIGNMENT


def tiny_pe(code: bytes = CODE, pe32: bool = False) -> bytes:
    """A PE32+ (x86-64) console executable that Windows would load and run: 1 KiB with the
    default code, more when ``code`` is long (a large installer stand-in). ``pe32``: a
    32-bit x86 one instead, the format of NSIS installers."""
    raw_size = -(-len(code) // FILE_ALIGNMENT) * FILE_ALIGNMENT
    image_size = SECTION_RVA + -(-len(code) // SECTION_RVA) * SECTION_RVA
    dos = b"MZ" + bytes(58) + struct.pack("<I", 0x40)  # e_lfanew: the PE header at 0x40
    # Magic, linker version, code sizes, entry point and base of code (+ base of data in PE32)
    start = (0x10B if pe32 else 0x20B, 14, 0, raw_size, 0, 0, SECTION_RVA, SECTION_RVA)
    layout = "<HBBIIIII" + ("II" if pe32 else "Q") + "IIHHHHHHIIIIHH"
    values = (
        *start, *((SECTION_RVA,) if pe32 else ()), 0x400000 if pe32 else 0x140000000,
        SECTION_RVA, FILE_ALIGNMENT,  # section and file alignment
        6, 0, 0, 0, 6, 0, 0,  # OS, image and subsystem versions, Win32VersionValue
        image_size, FILE_ALIGNMENT, 0, 3, 0x8100,  # image and headers size, checksum …
    )
    sizes = struct.pack("<IIIIII" if pe32 else "<QQQQII",  # stack, heap, loader flags, dirs
                        0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    optional = struct.pack(layout, *values) + sizes + bytes(16 * 8)
    coff = struct.pack("<HHIIIHH", 0x14C if pe32 else 0x8664, 1, 0, 0, 0, len(optional),
                       0x0102 if pe32 else 0x0022)
    section = struct.pack("<8sIIIIIIHHI", b".text", len(code), SECTION_RVA, raw_size,
                          FILE_ALIGNMENT, 0, 0, 0, 0, 0x60000020)
    headers = dos + b"PE\0\0" + coff + optional + section
    return headers.ljust(FILE_ALIGNMENT, b"\0") + code.ljust(raw_size, b"\0")


@dataclass(frozen=True)
class CodeSigner:
    """A throwaway code-signing certificate and its key, as PEM files."""

    cert: Path
    key: Path
    common_name: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cert.read_text("ascii"))


def make_signer(directory: Path, common_name: str, days: int = 1) -> CodeSigner:
    """A self-signed RSA code-signing certificate valid for ``days``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{common_name}.crt", directory / f"{common_name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return CodeSigner(cert_path, key_path, common_name)


def write_pfx(signer: CodeSigner, path: Path, password: bytes) -> Path:
    """The certificate and its key as IT hands them to a build: PKCS#12, password-protected."""
    key = serialization.load_pem_private_key(signer.key.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    cert = x509.load_pem_x509_certificate(signer.cert.read_bytes())
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"codesign", key, cert, None, serialization.BestAvailableEncryption(password)))
    return path


def sign(unsigned: Path, signer: CodeSigner, out: Path, digest: str = "sha256") -> Path:
    """``unsigned`` signed by ``signer`` into ``out`` with osslsigncode (.ci/system-deps.sh)."""
    tool = shutil.which("osslsigncode")
    assert tool, "osslsigncode is missing: run .ci/system-deps.sh"
    out.unlink(missing_ok=True)
    subprocess.run([tool, "sign", "-certs", str(signer.cert), "-key", str(signer.key),
                    "-h", digest, "-n", "CRM client", "-in", str(unsigned), "-out", str(out)],
                   check=True, capture_output=True)
    return out


def write_pe(path: Path, signer: CodeSigner | None = None, code: bytes = CODE,
             pe32: bool = False) -> Path:
    """A tiny executable at ``path``, signed by ``signer`` when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if signer is None:
        path.write_bytes(tiny_pe(code, pe32))
        return path
    unsigned = path.with_name(path.name + ".unsigned")
    unsigned.write_bytes(tiny_pe(code, pe32))
    try:
        return sign(unsigned, signer, path)
    finally:
        unsigned.unlink()
