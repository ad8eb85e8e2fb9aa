"""Authenticode signatures of real executables (a tiny PE32+ signed by osslsigncode): who
signed them, and every way a signature can fail to hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import cms

from crm_common.authenticode import SignatureInvalid, Signer, signer
from signed_pe import CODE_OFFSET, CodeSigner, sign, tiny_pe, write_pe


def _flipped(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def _signature_table(data: bytes) -> int:
    """Offset of the certificate table (the security directory's first field)."""
    return int.from_bytes(data[0x40 + 24 + 112 + 32 : 0x40 + 24 + 112 + 36], "little")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, code_signer: CodeSigner) -> Path:
    return write_pe(tmp_path_factory.mktemp("pe") / "signed.exe", code_signer)


def test_an_unsigned_executable_has_no_signer(tmp_path: Path) -> None:
    path = write_pe(tmp_path / "plain.exe")
    assert signer(path) is None
    assert signer(path.read_bytes()) is None


@pytest.mark.parametrize(("digest", "pe32"), [("sha256", False), ("sha1", False),
                                             ("sha256", True)])
def test_a_signed_executable_names_its_certificate(
        tmp_path: Path, code_signer: CodeSigner, digest: str, pe32: bool) -> None:
    """PE32+ like the client's executables, PE32 like NSIS installers; SHA-256 or SHA-1."""
    unsigned = write_pe(tmp_path / "plain.exe", pe32=pe32)
    assert signer(unsigned) is None
    signed = sign(unsigned, code_signer, tmp_path / "signed.exe", digest)
    expected = Signer(code_signer.fingerprint, "Example Trading Co")
    assert signer(signed) == expected
    assert signer(str(signed)) == expected
    assert signer(signed.read_bytes()) == expected
    with pytest.raises(SignatureInvalid, match="changed after it was signed"):
        signer(_flipped(signed.read_bytes(), CODE_OFFSET))


def test_a_changed_byte_of_code_breaks_the_signature(signed: Path) -> None:
    data = signed.read_bytes()
    assert signer(data) is not None
    with pytest.raises(SignatureInvalid, match="changed after it was signed"):
        signer(_flipped(data, CODE_OFFSET + 1))


def test_a_changed_byte_of_the_signature_value_breaks_it(signed: Path) -> None:
    data = signed.read_bytes()
    table = _signature_table(data)
    info = cms.ContentInfo.load(data[table + 8 :])
    value = info["content"]["signer_infos"][0]["signature"].native
    at = data.index(value, table) + len(value) // 2
    with pytest.raises(SignatureInvalid, match="signature does not verify"):
        signer(_flipped(data, at))


def test_changed_signed_content_breaks_the_message_digest(signed: Path) -> None:
    """The SpcIndirectDataContent holds a "<<<Obsolete>>>" link besides the image's hash:
    changing it leaves the image hash right but the signed attributes' digest wrong."""
    data = signed.read_bytes()
    at = data.index("<<<Obsolete>>>".encode("utf-16-be"), _signature_table(data))
    with pytest.raises(SignatureInvalid, match="signed attributes do not match"):
        signer(_flipped(data, at + 1))


def test_a_signature_copied_from_another_file_does_not_hold(
        tmp_path: Path, signed: Path) -> None:
    other = tiny_pe(b"\x90\x31\xc0\xc3")  # nop; xor eax, eax; ret
    data = signed.read_bytes()
    table = _signature_table(data)
    header_end = 0x40 + 24 + 240
    transplanted = data[:CODE_OFFSET] + other[CODE_OFFSET:table] + data[table:]
    assert transplanted[:header_end] == data[:header_end]
    with pytest.raises(SignatureInvalid, match="changed after it was signed"):
        signer(transplanted)


@pytest.mark.parametrize("content", [b"", b"just some text", b"MZ" + bytes(100),
                                     tiny_pe()[:0x60]])
def test_what_is_no_executable_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "file.exe"
    path.write_bytes(content)
    with pytest.raises(SignatureInvalid, match=r"not a Windows executable|truncated"):
        signer(path)


def test_data_after_the_signature_is_refused(signed: Path) -> None:
    """No hash covers what follows the certificate table, so nothing may follow it."""
    with pytest.raises(SignatureInvalid, match="not at the end of the file"):
        signer(signed.read_bytes() + b"appended")
    with pytest.raises(SignatureInvalid, match="data after the signature"):
        signer(_flipped(signed.read_bytes(), len(signed.read_bytes()) - 1))


def test_data_hidden_in_the_certificate_table_is_refused(signed: Path) -> None:
    """Appended to the table, with its directory entry grown to match (the signature's own
    length stays): the hash covers neither."""
    data = signed.read_bytes()
    entry = 0x40 + 24 + 112 + 32
    size = int.from_bytes(data[entry + 4 : entry + 8], "little")
    hidden = (data[: entry + 4] + (size + 16).to_bytes(4, "little") + data[entry + 8 :]
              + b"evil payload 16b")
    with pytest.raises(SignatureInvalid, match="data after the signature"):
        signer(hidden)


def test_a_certificate_table_without_pkcs7_is_malformed(signed: Path) -> None:
    data = bytearray(signed.read_bytes())
    table = _signature_table(bytes(data))
    data[table + 12 : table + 40] = bytes(28)  # inside the PKCS#7 structure
    with pytest.raises(SignatureInvalid, match="malformed"):
        signer(bytes(data))
