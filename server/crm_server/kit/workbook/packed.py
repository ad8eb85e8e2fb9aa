"""The zip guard of an .xlsx/.xlsm, run before calamine sees it.

From the central directory alone: the members' declared sizes (in all and per member, as a
ratio to the compressed size), encrypted members, what kind of package it is. Then every XML
part is streamed through ``zipfile`` in chunks (constant memory; zipfile stops at the
declared size and checks the CRC, so a member cannot inflate past what it declares). A
DOCTYPE or ENTITY refuses the file, so does a declared count past ``max_cells``; the span of
each sheet is taken from its cells' real references (``<row r>``, ``<c r>``, or their
implied positions): calamine allocates the whole rectangle its cells span, and a single
cell at XFD1048576 would abort the process.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from crm_common.i18n import N_
from crm_server.kit.workbook.errors import (
    DAMAGED,
    NOT_A_SPREADSHEET,
    PASSWORD,
    UnreadableFile,
)
from crm_server.kit.workbook.limits import Limits

CHUNK = 1 << 20
RATIO_FLOOR = 1 << 20  # members smaller than this cannot be bombs, whatever their ratio
MAX_MEMBERS = 10_000
MAX_TAG = 1 << 20  # one XML tag longer than this is no spreadsheet's
UTF16_STARTS = (b"\xff\xfe<\x00", b"\xfe\xff\x00<", b"\x00<\x00")
PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
TAG = re.compile(PREFIX + rb"(row|c)(?=[\s/>])([^>]*)>")
REF = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
CELL = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
# The fast path: tags as Excel writes them (no prefix, the reference first); any other
# row or cell tag (ODD_TAGS) sends the part to ``Span``. Each pattern starts with a literal,
# which keeps each search fast (one alternation over them takes four times as long).
ROW_REFS = re.compile(rb'<row r="([0-9]{1,7})"')
# Two patterns, letters and digits apart: two lists of shared objects cost half as much as
# one list of pairs.
CELL_COLUMNS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
CELL_ROWS = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
ODD_TAGS = (re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[0-9]{1,7}")'),
            re.compile(rb'<row(?=[\s/>])(?! r="[0-9]{1,7}")'),
            re.compile(rb":(?:c|row)[\s/>]"))
DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
# Declared counts (the shared strings' uniqueCount, ...): calamine reserves room for that
# many entries up front, and 4,000,000,000 of them abort the process.
COUNT = re.compile(rb"""ount=["']([0-9]{8,})["']""")
BOMB = N_("The file unpacks to far more data than a spreadsheet holds")
TOO_WIDE = N_("A sheet of this file spans more rows and columns than the import reads")
DECLARATION_REFUSED = N_("The file declares a document type or entities, which spreadsheets "
                         "never need: refused")
BINARY_WORKBOOK = N_("This is an Excel binary workbook (.xlsb): save it as .xlsx in Excel and "
                     "upload that")
OPEN_DOCUMENT = N_("This is an OpenDocument spreadsheet: save it as .xlsx and upload that")
NOT_UTF8 = N_("A part of this file is not UTF-8 XML, as Excel writes it")


def check(path: Path, limits: Limits) -> None:
    """Refuse a zip that is no readable workbook, before calamine inflates any of it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _guard(members, limits)
            _kind({member.filename for member in members})
            for member in members:  # all: a sheet part may have any name, any start
                _scan(archive, member, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as error:
        raise UnreadableFile(DAMAGED) from error


def _guard(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > MAX_MEMBERS:
        raise UnreadableFile(BOMB)
    if any(member.flag_bits & 0x1 for member in members):
        raise UnreadableFile(PASSWORD)
    declared = sum(member.file_size for member in members)
    if declared > limits.max_uncompressed or any(
            member.file_size > RATIO_FLOOR
            and member.file_size > limits.max_ratio * max(member.compress_size, 1)
            for member in members):
        raise UnreadableFile(BOMB, data={"declared_bytes": declared})


def _kind(names: set[str]) -> None:
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise UnreadableFile(BINARY_WORKBOOK)
    if "content.xml" in names and "mimetype" in names:
        raise UnreadableFile(OPEN_DOCUMENT)
    raise UnreadableFile(NOT_A_SPREADSHEET)


class Implied(Exception):
    """A tag of the part is not as Excel writes it: ``Span`` reads every tag."""


@dataclass
class Reach:
    """Where the cells of one XML part reach when each tag is as Excel writes it (prefix-
    less, its reference first): regular expressions over each block, no Python loop over
    the cells. Overestimates are harmless (a reference with leading zeros counts by its
    length)."""

    rows: int = 0
    columns: int = 0

    def feed(self, block: bytes) -> None:
        if any(odd.search(block) for odd in ODD_TAGS):
            raise Implied
        rows = set(ROW_REFS.findall(block))
        rows.update(CELL_ROWS.findall(block))
        columns = set(CELL_COLUMNS.findall(block))
        if columns:
            self.columns = max(self.columns, *map(_column_number, columns))
        if rows:  # digits of one length compare as their numbers
            longest = max(map(len, rows))
            self.rows = max(self.rows, int(max(row for row in rows if len(row) == longest)))


@dataclass
class Span:
    """Where the cells of one XML part reach, following OOXML's implied positions: a row
    without ``r`` follows the previous one, a cell without ``r`` the previous cell."""

    row: int = 0
    column: int = 0
    rows: int = 0
    columns: int = 0

    def feed(self, block: bytes) -> None:
        for tag in TAG.finditer(block):
            ref = REF.search(tag[2])
            if tag[1] == b"row":
                self.row = int(ref[1]) if ref else self.row + 1
                self.column = 0
                self.rows = max(self.rows, self.row)
                continue
            row = self.row
            if ref:
                cell = CELL.fullmatch(ref[1])
                if cell is None:
                    raise UnreadableFile(DAMAGED)
                self.column, row = _column_number(cell[1]), int(cell[2])
            else:
                self.column += 1
            self.rows, self.columns = max(self.rows, row), max(self.columns, self.column)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> None:
    try:
        span: Reach | Span = _reach(archive, member, limits, Reach())
    except Implied:
        span = _reach(archive, member, limits, Span())
    if span.columns > limits.max_columns or span.rows * span.columns > limits.max_cells:
        raise UnreadableFile(TOO_WIDE, data={"rows": span.rows, "columns": span.columns})


def _reach(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits,
           span: Reach | Span) -> Reach | Span:
    with archive.open(member) as stream:
        for block in _Blocks(stream):
            if DECLARATION.search(block):
                raise UnreadableFile(DECLARATION_REFUSED)
            if any(int(count) > limits.max_cells for count in COUNT.findall(block)):
                raise UnreadableFile(BOMB)
            span.feed(block)
    return span


class _Blocks:
    """A part in blocks that end before a ``<``, so no tag is ever cut in two. Binary parts
    (pictures, a VBA project) go through too: calamine's XML reader skips what precedes a
    tag, so a part is not trusted by how it starts."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.carry, self.first = stream, b"", True

    def __iter__(self) -> _Blocks:
        return self

    def __next__(self) -> bytes:
        while chunk := self.stream.read(CHUNK):
            if self.first:
                self.first = False
                _refuse_utf16(chunk)
            data = self.carry + chunk
            cut = data.rfind(b"<")
            if cut > 0:
                self.carry = data[cut:]
                return data[:cut]
            if len(data) > MAX_TAG:
                raise UnreadableFile(DAMAGED)
            self.carry = data if cut == 0 else b""  # text alone holds no tag
        if self.carry:
            block, self.carry = self.carry, b""
            return block
        raise StopIteration


def _refuse_utf16(chunk: bytes) -> None:
    """XML in UTF-16 would hide its tags from the byte patterns."""
    if chunk.startswith(UTF16_STARTS) or chunk.lstrip().startswith(b"<\x00"):
        raise UnreadableFile(NOT_UTF8)
