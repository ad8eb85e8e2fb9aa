"""The encrypted backup archive (crm_server.domains.backups.archive) and its keys: what goes in
comes out byte for byte, and every kind of damage, tampering and wrong key is refused with its
reason and a message an operator can act on."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import stat
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crm_server.domains.backups import archive, keys
from crm_server.domains.backups.archive import (
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    Header,
    Member,
    read_header,
    verify,
)
from crm_server.domains.backups.keys import KeySource, new_key_file, read_key_file
from crm_server.domains.backups.records import BLOCK_SIZE, Kind, RecordWriter, data_cipher

KEY = KeySource(key=bytes(range(32)))
META = {"kind": "manual", "database": "sqlite", "version": "1.4.0", "migration": "0014"}
MANIFEST = {"tables": {"customers": {"rows": 3, "checksum": "ab12"}}, "note": "客户备份"}
PREFIX = struct.Struct(">I")


class Trickle(io.RawIOBase):
    """A pipe-like stream of ``size`` pseudo-random bytes that gives at most ``step`` per read."""

    def __init__(self, size: int, step: int = 64 * 1024) -> None:
        self.left, self.step = size, step
        self.pattern = random.Random(size).randbytes(2 * BLOCK_SIZE)  # not compressible
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self.step, self.left)
        start = self.offset % (len(self.pattern) - self.step)
        buffer[:size] = self.pattern[start : start + size]
        self.offset += 7 * size + 13  # never the same window twice in a row
        self.left -= size
        return size


def write_archive(
    path: Path, members: dict[str, bytes], key: KeySource = KEY, compress: bool = True
) -> list[Member]:
    with path.open("wb") as target:
        writer = ArchiveWriter(target, key, META)
        written = [
            writer.add_stream(name, io.BytesIO(data), compress) for name, data in members.items()
        ]
        writer.finish(MANIFEST)
    return written


def read_members(path: Path, key: KeySource = KEY) -> tuple[dict[str, bytes], dict[str, Any]]:
    with path.open("rb") as source:
        reader = ArchiveReader(source, key)
        contents = {member.name: b"".join(member.blocks()) for member in reader.members()}
        return contents, reader.manifest


def refusal(path: Path, key: KeySource = KEY) -> ArchiveError:
    with path.open("rb") as source, pytest.raises(ArchiveError) as caught:
        verify(source, key)
    return caught.value


def records(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Where the header ends, and each record's (start, end), from the format's layout."""
    length = PREFIX.unpack_from(data, len(archive.MAGIC) + 1)[0]
    offset = header_end = len(archive.MAGIC) + 1 + PREFIX.size + length + 32
    spans = []
    while offset < len(data):
        size = PREFIX.unpack_from(data, offset)[0] & 0x7FFFFFFF
        spans.append((offset, offset + PREFIX.size + size))
        offset += PREFIX.size + size
    return header_end, spans


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """Three members in records 0-3, 4-6 and 7-8, then the manifest (9) and the end (10)."""
    path = tmp_path / "sample.crmbak"
    write_archive(path, {"a": os.urandom(BLOCK_SIZE + 10), "b": b"x" * 100, "c": b""})
    return path


def rewrite(path: Path, change: Callable[[bytes], bytes]) -> None:
    path.write_bytes(change(path.read_bytes()))


def flip(offset: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:offset] + bytes([data[offset] ^ 0x40]) + data[offset + 1 :]


def test_round_trip_of_members_manifest_and_header(tmp_path: Path) -> None:
    big = os.urandom(5 * BLOCK_SIZE + 12345)  # crosses records, ends mid-block
    text = "客户,电话\n".encode() * 50_000
    (tmp_path / "报价单.csv").write_bytes(text)
    path = tmp_path / "b.crmbak"
    with path.open("wb") as target:
        writer = ArchiveWriter(target, KEY, META)
        written = [
            writer.add_stream("database.dump", io.BytesIO(big), compress=False),
            writer.add_file("files/报价单 v2.csv", tmp_path / "报价单.csv"),
            writer.add_stream("empty", io.BytesIO(b"")),
            writer.add_stream("pipe", io.BufferedReader(Trickle(3 * BLOCK_SIZE + 5))),
        ]
        writer.finish(MANIFEST)

    contents, manifest = read_members(path)
    assert contents["database.dump"] == big
    assert contents["files/报价单 v2.csv"] == text
    assert contents["empty"] == b""
    assert hashlib.sha256(contents["pipe"]).hexdigest() == written[3].sha256
    assert [len(contents[m.name]) for m in written] == [m.size for m in written]
    assert manifest == MANIFEST
    with path.open("rb") as source:
        header, members, checked = verify(source, KEY)
    assert (members, checked) == (written, MANIFEST)
    assert written[0] == Member("database.dump", len(big), hashlib.sha256(big).hexdigest())
    with path.open("rb") as source:
        assert read_header(source) == header
    assert header.meta == META and header.key == {"kind": "file", "id": keys.key_id(KEY.key)}
    assert len(header.archive_id) == 32 and header.created_at.tzinfo is not None
    stored = path.stat().st_size - len(big) - written[3].size
    assert 0 < stored < len(text) // 20  # the text was compressed


def test_verify_tells_its_progress(sample: Path) -> None:
    positions: list[int] = []
    with sample.open("rb") as source:
        verify(source, KEY, positions.append)
    _, spans = records(sample.read_bytes())
    assert positions == [spans[1][1], spans[2][1], spans[5][1]]  # after each data record


def test_a_stream_from_short_reads_fills_whole_records(tmp_path: Path) -> None:
    path = tmp_path / "pipe.crmbak"
    with path.open("wb") as target:
        writer = ArchiveWriter(target, KEY, META)
        writer.add_stream("pipe", Trickle(4 * BLOCK_SIZE, step=4096), compress=False)
        writer.finish({})
    # OPEN, four data records of 1 MiB, CLOSE, MANIFEST, END
    assert len(records(path.read_bytes())[1]) == 8


def test_compression_only_where_it_pays(tmp_path: Path) -> None:
    text, noise = b"0123456789" * BLOCK_SIZE, os.urandom(10 * BLOCK_SIZE)
    for name, data, compress, most in [
        ("text", text, True, len(text) // 20),
        ("text-raw", text, False, len(text) + 4096),
        ("noise", noise, True, len(noise) + 4096),
    ]:
        write_archive(tmp_path / name, {name: data}, compress=compress)
        assert (tmp_path / name).stat().st_size <= most
        assert read_members(tmp_path / name)[0] == {name: data}


def test_a_passphrase_opens_its_archive_and_no_other(tmp_path: Path) -> None:
    path = tmp_path / "p.crmbak"
    write_archive(path, {"a": b"data"}, key=KeySource(passphrase="correct horse 电池"))
    with path.open("rb") as source:
        descriptor = read_header(source).key
    assert descriptor["kind"] == "passphrase" and descriptor["kdf"] == "argon2id"
    assert descriptor["memory_kib"] >= 64 * 1024 and "correct" not in str(descriptor)
    assert read_members(path, KeySource(passphrase="correct horse 电池"))[0] == {"a": b"data"}

    wrong = refusal(path, KeySource(passphrase="correct horse battery"))
    assert wrong.reason == "wrong_key" and "passphrase given is not the one" in str(wrong)
    by_key = refusal(path, KEY)
    assert by_key.reason == "wrong_key" and "made with a passphrase" in str(by_key)


def test_a_wrong_key_file_is_named_not_called_damage(sample: Path) -> None:
    other = KeySource(key=bytes(32))
    error = refusal(sample, other)
    assert error.reason == "wrong_key"
    assert f"made with key file {keys.key_id(bytes(range(32)))}" in str(error)
    assert f"the key given is key file {keys.key_id(bytes(32))}" in str(error)
    assert refusal(sample, KeySource(passphrase="x")).reason == "wrong_key"


def test_an_unread_member_is_still_authenticated(sample: Path) -> None:
    _, spans = records(sample.read_bytes())
    rewrite(sample, flip(spans[1][0] + 100))  # inside member "a"'s first data record
    with sample.open("rb") as source:
        reader = ArchiveReader(source, KEY)
        with pytest.raises(ArchiveError) as caught:
            for member in reader.members():
                if member.name == "b":
                    list(member.blocks())
    assert caught.value.reason == "tampered" and "record 1 " in str(caught.value)


@pytest.mark.parametrize("where", ["magic", "version", "header", "checksum"])
def test_a_flipped_byte_in_the_header(sample: Path, where: str) -> None:
    header_end, _ = records(sample.read_bytes())
    offset, reason = {
        "magic": (0, "not_archive"),
        "version": (len(archive.MAGIC), "unsupported"),
        "header": (40, "tampered"),
        "checksum": (header_end - 1, "tampered"),
    }[where]
    rewrite(sample, flip(offset))
    error = refusal(sample)
    assert error.reason == reason
    assert str(error).startswith(
        (
            "This file is not",
            "This archive has format version 65",
            "The archive was altered or corrupted: its header",
        )
    )


def test_an_edited_header_with_a_fresh_checksum(sample: Path) -> None:
    """The checksum is no seal (anyone can recompute it): the records' tags are."""
    data = sample.read_bytes()
    header_end, _ = records(data)
    start = len(archive.MAGIC) + 1 + PREFIX.size
    fields = json.loads(data[start : header_end - 32])
    fields["meta"]["migration"] = "0013"
    edited = json.dumps(fields).encode()
    head = data[: start - PREFIX.size] + PREFIX.pack(len(edited)) + edited
    sample.write_bytes(head + hashlib.sha256(head).digest() + data[header_end:])
    with sample.open("rb") as source:
        assert read_header(source).meta["migration"] == "0013"  # without the key, nothing tells
    error = refusal(sample)
    assert error.reason == "tampered" and "record 0 (at byte" in str(error)


@pytest.mark.parametrize("part", ["body", "tag", "final record"])
def test_a_flipped_byte_in_a_record(sample: Path, part: str) -> None:
    _, spans = records(sample.read_bytes())
    index = len(spans) - 1 if part == "final record" else 3
    start, end = spans[index]
    rewrite(sample, flip({"body": start + 5, "tag": end - 3, "final record": end - 1}[part]))
    error = refusal(sample)
    assert error.reason == "tampered"
    assert f"record {index} (at byte {start}) fails authentication" in str(error)


def test_a_damaged_length_prefix_is_refused(sample: Path) -> None:
    data = sample.read_bytes()
    _, spans = records(data)
    for byte in range(4):
        for bit in (0x01, 0x80):
            offset = spans[2][0] + byte
            sample.write_bytes(data[:offset] + bytes([data[offset] ^ bit]) + data[offset + 1 :])
            assert refusal(sample).reason in ("damaged", "tampered", "truncated")


def test_truncated_anywhere(sample: Path) -> None:
    data = sample.read_bytes()
    header_end, spans = records(data)
    cuts = {3, 10, header_end - 1, header_end}
    for start, end in spans:
        cuts |= {start, start + 1, start + 4, (start + end) // 2, end - 1}
    cuts.discard(len(data))
    for cut in sorted(cuts):
        sample.write_bytes(data[:cut])
        error = refusal(sample)
        assert error.reason == "truncated", cut
        assert str(error).startswith("The archive is truncated: it ends ")


def test_reordered_dropped_and_repeated_records(sample: Path) -> None:
    data = sample.read_bytes()
    header_end, spans = records(data)
    pieces = [data[:header_end]] + [data[start:end] for start, end in spans]
    swapped = [*pieces[:2], pieces[3], pieces[2], *pieces[4:]]
    dropped = pieces[:3] + pieces[4:]
    repeated = [*pieces[:3], pieces[2], *pieces[3:]]
    for tampered, index in ((swapped, 1), (dropped, 2), (repeated, 2)):
        sample.write_bytes(b"".join(tampered))
        error = refusal(sample)
        assert error.reason == "tampered" and f"record {index} " in str(error)
    sample.write_bytes(b"".join(pieces[:-1]))  # the end dropped
    assert refusal(sample).reason == "truncated"


def test_a_record_from_another_archive_with_the_same_key(sample: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin.crmbak"
    write_archive(twin, {"a": os.urandom(BLOCK_SIZE + 10), "b": b"x" * 100, "c": b""})
    mine, theirs = sample.read_bytes(), twin.read_bytes()
    (_, mine_spans), (their_header, their_spans) = records(mine), records(theirs)
    start, end = mine_spans[3]
    spliced = mine[:start] + theirs[their_spans[3][0] : their_spans[3][1]] + mine[end:]
    sample.write_bytes(spliced)
    assert refusal(sample).reason == "tampered"
    sample.write_bytes(mine[: records(mine)[0]] + theirs[their_header:])  # its header on theirs
    assert refusal(sample).reason == "tampered"


def test_bytes_after_the_end(sample: Path) -> None:
    rewrite(sample, lambda data: data + b"\0")
    error = refusal(sample)
    assert (error.reason, str(error)) == (
        "tampered",
        "The archive was altered: bytes follow its authenticated end.",
    )


@pytest.mark.parametrize("content", ["random", "empty", "zip", "text"])
def test_not_an_archive(tmp_path: Path, content: str) -> None:
    path = tmp_path / "file"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as package:
            package.writestr("a.txt", "hello")
    else:
        path.write_bytes({"random": os.urandom(5000), "empty": b"", "text": b"CRM\n"}[content])
    error = refusal(path)
    assert error.reason == "not_archive" and "not a backup archive" in str(error)
    with path.open("rb") as source, pytest.raises(ArchiveError):
        read_header(source)


def hostile_archive(path: Path, key: dict[str, Any], after: bytes = b"") -> None:
    header = Header("00" * 16, datetime.now(UTC), META, key)
    with path.open("wb") as target:
        archive._write_header(target, header)
        target.write(after)


def test_a_hostile_header_asks_for_too_much_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hostile.crmbak"
    descriptor = {
        "kind": "passphrase",
        "kdf": "argon2id",
        "salt": "00" * 16,
        "id": "0" * 16,
        "memory_kib": 100 * 1024 * 1024,
        "iterations": 3,
        "lanes": 1,
    }
    hostile_archive(path, descriptor)
    monkeypatch.setattr(keys, "_argon2", None)  # refused before deriving anything
    error = refusal(path, KeySource(passphrase="x"))
    assert error.reason == "unsupported" and "asks for 104857600 KiB" in str(error)


def test_a_hostile_record_length_allocates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hostile.crmbak"
    hostile_archive(
        path,
        {"kind": "file", "id": keys.key_id(bytes(range(32)))},
        after=PREFIX.pack(0x7FFFFFFF) + b"\0" * 100,
    )
    tracemalloc.start()
    try:
        error = refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason == "damaged" and "claims 2147483647 bytes" in str(error)
    assert peak < 1 << 20


def test_a_hostile_header_length(tmp_path: Path) -> None:
    path = tmp_path / "hostile.crmbak"
    path.write_bytes(archive.MAGIC + b"\1" + PREFIX.pack(0xFFFFFFFF) + b"{}")
    error = refusal(path)
    assert error.reason == "damaged" and "header claims 4294967295 bytes" in str(error)


def test_a_close_record_that_disagrees_with_the_data(tmp_path: Path) -> None:
    """Only the key's holder can write such a record; it is refused all the same."""
    path = tmp_path / "forged.crmbak"
    with path.open("wb") as target:
        header = Header(
            "11" * 16,
            datetime.now(UTC),
            META,
            {"kind": "file", "id": keys.key_id(bytes(range(32)))},
        )
        digest = archive._write_header(target, header)
        forger = RecordWriter(target, data_cipher(bytes(range(32)), bytes([0x11] * 16)), digest)
        forger.write(Kind.OPEN, b"a")
        forger.write(Kind.RAW, b"data")
        forger.write(Kind.CLOSE, archive.CLOSE_BODY.pack(5, hashlib.sha256(b"data").digest()))
    error = refusal(path)
    assert error.reason == "tampered" and "member 'a' does not match" in str(error)


def test_writer_and_reader_are_used_in_order(tmp_path: Path) -> None:
    path = tmp_path / "order.crmbak"
    with path.open("wb") as target:
        writer = ArchiveWriter(target, KEY, META)
        writer.add_stream("a", io.BytesIO(b"1"))
        with pytest.raises(ValueError, match="already used"):
            writer.add_stream("a", io.BytesIO(b"2"))
        writer.finish({})
        with pytest.raises(RuntimeError, match="finished"):
            writer.add_stream("b", io.BytesIO(b"3"))
    with path.open("rb") as source:
        reader = ArchiveReader(source, KEY)
        with pytest.raises(RuntimeError, match="after the last member"):
            _ = reader.manifest
        (member,) = list(reader.members())
        with pytest.raises(RuntimeError, match="already read"):
            member.blocks()  # skipped when the next member was asked for
        assert reader.manifest == {}


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "backup.key"
    printable = new_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == printable and printable.startswith(keys.KEY_FILE_HEADER + "\n")
    key = read_key_file(path)
    assert f"id {keys.key_id(key)}" in printable
    assert KeySource(key=key).describe() == f"key file {keys.key_id(key)}"
    with pytest.raises(FileExistsError):
        new_key_file(path)
    assert read_key_file(path) == key
    typed = (
        printable.replace("key ", "key  ")
        .lower()
        .replace(keys.KEY_FILE_HEADER.lower(), keys.KEY_FILE_HEADER)
    )
    assert keys.parse_key_text(typed, "typed") == key  # copied by hand, case and spaces aside


def test_a_key_stays_out_of_reprs() -> None:
    assert "0, 1, 2" not in repr(KEY) and "\\x01" not in repr(KEY)
    assert "secret" not in repr(KeySource(passphrase="secret"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text.replace("key ", "key A", 1), "garbled: its key line"),
        (
            lambda text: text[:-4] + ("B" if text[-4] == "A" else "A") + text[-3:],
            "garbled: its key does not match its id line",
        ),
        (lambda text: text.replace("id ", "id 0"), "does not match its id line"),
        (lambda text: "hello\n", "not a backup key file"),
        (lambda text: "", "not a backup key file"),
    ],
)
def test_a_garbled_key_file_is_refused(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    path = tmp_path / "backup.key"
    text = new_key_file(path)
    path.chmod(0o600)
    path.write_text(change(text))
    with pytest.raises(ArchiveError, match=message) as caught:
        read_key_file(path)
    assert caught.value.reason == "key_file" and str(path) in str(caught.value)


def test_a_missing_or_unreadable_key_file(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist") as caught:
        read_key_file(tmp_path / "nowhere.key")
    assert caught.value.reason == "key_file"
    with pytest.raises(ArchiveError, match="cannot be read"):
        read_key_file(tmp_path)  # a directory
    (tmp_path / "binary.key").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ArchiveError, match="not a backup key file"):
        read_key_file(tmp_path / "binary.key")


def test_memory_stays_bounded_for_a_200_mb_stream(tmp_path: Path) -> None:
    path = tmp_path / "big.crmbak"
    size = 200 * 1000 * 1000
    stream = io.BufferedReader(Trickle(size, BLOCK_SIZE))
    tracemalloc.start()
    try:
        with path.open("wb") as target:
            writer = ArchiveWriter(target, KEY, META)
            written = writer.add_stream("dump", stream)
            writer.finish(MANIFEST)
        write_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with path.open("rb") as source:
            _, members, _ = verify(source, KEY)
        verify_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert members == [written] and written.size == size
    assert write_peak < 6 * BLOCK_SIZE and verify_peak < 6 * BLOCK_SIZE, (write_peak, verify_peak)
