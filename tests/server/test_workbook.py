"""The import's spreadsheet reader: every hostile file refused with its message before
anything is inflated or parsed (and the process alive), good files read as plain values."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from workbook_files import (
    EXTERNAL_ENTITY,
    PDF,
    WORKBOOK_RELS,
    XML_BOMB,
    empty_rows,
    raw_xlsx,
    sheet_xml,
    workbook_xml,
    zip_bomb,
)

from crm_common.i18n import translate
from crm_server.kit.workbook import (
    FileTooLarge,
    Limits,
    UnreadableFile,
    check_file,
    checks,
    errors,
    legacy,
    ole,
    packed,
    reading,
    text,
)
from crm_server.kit.workbook import open_workbook as open_book

LIMITS = Limits()


def refusal(path: Path, name: str | None = None, limits: Limits = LIMITS) -> str:
    """The message ``open_workbook`` refuses the file with (it checks first)."""
    with pytest.raises(UnreadableFile) as refused:
        open_book(path, name or path.name, limits).close()
    assert translate(refused.value.detail, "zh_CN") != refused.value.detail
    return refused.value.detail


def read(path: Path, name: str | None = None) -> dict[str, list[list[object]]]:
    with open_book(path, name or path.name, LIMITS) as book:
        return {sheet: list(book.rows(sheet)) for sheet in book.sheets}


# --- hostile files ---------------------------------------------------------------------

def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_inflated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zip_bomb(tmp_path / "bomb.xlsx", megabytes=300)
    assert bomb.stat().st_size < 2 * 2**20
    monkeypatch.setattr(zipfile.ZipFile, "open", _never_inflated)
    assert refusal(bomb) == packed.BOMB


def _never_inflated(*args: object, **kwargs: object) -> None:
    raise AssertionError("a member was inflated")


def test_members_declaring_more_than_the_uncompressed_limit_are_refused(tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "big.xlsx", empty_rows(20_000, 1))
    assert refusal(book, limits=Limits(max_uncompressed=100_000)) == packed.BOMB


@pytest.mark.parametrize("prolog", [XML_BOMB, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_a_document_type_or_entity_in_any_part_is_refused(tmp_path: Path, prolog: str) -> None:
    strings = (f'<?xml version="1.0"?>{prolog}<sst xmlns="urn:x"><si><t>&lol3;'
               "</t></si></sst>")
    in_strings = raw_xlsx(tmp_path / "strings.xlsx", parts={"xl/sharedStrings.xml": strings})
    in_sheet = raw_xlsx(tmp_path / "sheet.xlsx", sheet=sheet_xml("", prolog))
    assert refusal(in_strings) == refusal(in_sheet) == packed.DECLARATION_REFUSED


def test_a_cell_at_xfd1048576_is_refused_before_calamine_allocates_its_rectangle(
        tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "huge.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>'
                    '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>')
    with pytest.raises(UnreadableFile) as refused:
        check_file(book, "huge.xlsx", LIMITS)
    assert refused.value.detail == packed.TOO_WIDE
    assert refused.value.data == {"rows": 1_048_576, "columns": 16_384}
    assert refusal(book) == packed.TOO_WIDE


def test_implied_positions_count_like_written_references(tmp_path: Path) -> None:
    """Cells and rows without ``r`` follow the previous ones (OOXML): 1,001 cells in a row
    reach past the column limit however they are written."""
    cells = "<c><v>1</v></c>" * 1_001
    assert refusal(raw_xlsx(tmp_path / "wide.xlsx", f"<row>{cells}</row>")) == packed.TOO_WIDE


def test_a_million_empty_rows_under_a_wide_header_are_refused(tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "rows.xlsx", empty_rows(1_000_000, 40))
    assert refusal(book) == packed.TOO_WIDE


def test_a_million_empty_rows_under_a_narrow_header_read_as_the_header(tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "rows.xlsx", empty_rows(1_000_000, 12))
    assert read(book) == {"Sheet1": [[f"h{n}" for n in range(1, 13)]]}


def test_a_password_protected_workbook_says_so(tmp_path: Path) -> None:
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    assert locked.read_bytes().startswith(ole.MAGIC)
    assert refusal(locked) == errors.PASSWORD


def test_encrypted_zip_members_are_password_protected(tmp_path: Path) -> None:
    book = bytearray(raw_xlsx(tmp_path / "book.xlsx").read_bytes())
    for magic in (b"PK\x03\x04", b"PK\x01\x02"):  # local and central headers' flag bits
        start = 0
        while (start := book.find(magic, start)) >= 0:
            book[start + (6 if magic == b"PK\x03\x04" else 8)] |= 1
            start += 4
    (tmp_path / "locked.xlsx").write_bytes(book)
    assert refusal(tmp_path / "locked.xlsx") == errors.PASSWORD


@pytest.mark.parametrize(("content", "name", "message"), [
    ("xlsx", "book.csv", checks.MISNAMED["xlsx"]),
    ("xls", "book.xlsx", checks.MISNAMED["xls"]),
    ("csv", "book.xlsx", checks.MISNAMED["csv"]),
    ("xlsx", "book.docx", checks.UNSUPPORTED),
    ("xlsx", "book", checks.UNSUPPORTED),
])
def test_a_name_that_does_not_match_the_content_is_refused(
        tmp_path: Path, content: str, name: str, message: str) -> None:
    files = {"xlsx": lambda: raw_xlsx(tmp_path / "f"), "xls": lambda: _xls(tmp_path / "f"),
             "csv": lambda: _write(tmp_path / "f", b"a,b\n1,2\n")}
    assert refusal(files[content](), name) == message


@pytest.mark.parametrize(("content", "message"), [
    (b"", checks.EMPTY),
    (random.Random(10).randbytes(100_000), errors.NOT_A_SPREADSHEET),
    (PDF, checks.PDF),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", text.WEB_PAGE),
    (ole.MAGIC + bytes(600), errors.DAMAGED),
])
@pytest.mark.parametrize("name", ["data.xlsx", "data.xls", "data.csv"])
def test_what_is_not_a_spreadsheet_is_refused_whatever_its_name(
        tmp_path: Path, content: bytes, message: str, name: str) -> None:
    assert refusal(_write(tmp_path / name, content)) == message


def test_a_truncated_workbook_is_damaged(tmp_path: Path) -> None:
    whole = _good_xlsx(tmp_path / "whole.xlsx").read_bytes()
    assert refusal(_write(tmp_path / "cut.xlsx", whole[: len(whole) // 2])) == errors.DAMAGED


def test_a_member_whose_data_does_not_match_its_checksum_is_damaged(tmp_path: Path) -> None:
    book = bytearray(raw_xlsx(tmp_path / "book.xlsx", sheet=sheet_xml("", "")).read_bytes())
    book[book.find(b"PK\x01\x02") + 16] ^= 0xFF  # a part's CRC in the central directory
    assert refusal(_write(tmp_path / "bad.xlsx", bytes(book))) == errors.DAMAGED


@pytest.mark.parametrize(("part", "message"), [
    ("xl/workbook.bin", packed.BINARY_WORKBOOK), ("content.xml", packed.OPEN_DOCUMENT),
    ("word/document.xml", errors.NOT_A_SPREADSHEET)])
def test_zip_packages_other_than_workbooks_are_named(
        tmp_path: Path, part: str, message: str) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(part, "<x/>")
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert refusal(path) == message


def test_a_utf16_part_is_refused(tmp_path: Path) -> None:
    sheet = sheet_xml("").replace("UTF-8", "UTF-16").encode("utf-16")
    assert refusal(raw_xlsx(tmp_path / "u.xlsx", parts={"xl/worksheets/sheet1.xml": sheet})) \
        == packed.NOT_UTF8


def test_a_workbook_without_sheets_says_so(tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "none.xlsx", workbook=workbook_xml("<sheets/>"))
    assert refusal(book) == reading.NO_SHEETS


def test_what_calamine_cannot_parse_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    book = raw_xlsx(tmp_path / "bad.xlsx", workbook='<workbook><sheets><sheet name="a"')
    assert refusal(book) == errors.UNREADABLE


def test_an_upload_past_the_size_limit_is_413(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.csv", b"a,b\n" * 1000)
    with pytest.raises(FileTooLarge) as refused:
        check_file(path, "big.csv", Limits(max_bytes=1000))
    assert refused.value.status == 413


def test_an_xls_spanning_iv65536_is_read_in_a_child_that_runs_out_not_the_server(
        tmp_path: Path) -> None:
    """calamine would hold 65,536 x 256 cells (about 1 GB): the child's address space is
    bounded, so the child ends and the server answers."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("S")
    sheet.write(0, 0, "a")
    sheet.write(65535, 255, 1)
    book.save(str(tmp_path / "far.xls"))
    assert refusal(tmp_path / "far.xls") == legacy.TOO_BIG


def test_the_childs_output_is_unpickled_as_plain_values_only() -> None:
    sneaky = b"cos\nsystem\n(S'true'\ntR."
    with pytest.raises(Exception, match="system"):
        legacy._Values(io.BytesIO(sneaky)).load()


# --- good files -------------------------------------------------------------------------

def _good_xlsx(path: Path) -> Path:
    """A Chinese sheet: a title over a two-level header, formulas, a hidden row and a
    hidden sheet, dates, numbers and a data block that starts in column B."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("客户")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.merge_range("B1:E1", "2024年客户名单")
    sheet.merge_range("B2:B3", "客户名称")
    sheet.merge_range("C2:D2", "联系方式")
    sheet.write_row("C3", ["手机", "邮箱"])
    sheet.merge_range("E2:E3", "金额")
    sheet.write_row("B4", ["华为", 13800138000, "a@b.cn"])
    sheet.write_formula("E4", "=1000*2", None, 2000)
    sheet.write_row("B5", ["中兴", None, None])
    sheet.write_formula("E5", "=E4/3", None, 2000 / 3)
    sheet.write_datetime("F5", datetime(2024, 1, 2), day)
    sheet.write_datetime("G5", datetime(2024, 1, 2, 9, 30), moment)
    sheet.write_boolean("H5", True)
    sheet.write_datetime("I5", time(9, 30), book.add_format({"num_format": "hh:mm"}))
    sheet.write_number("J5", 1.5, book.add_format({"num_format": "[h]:mm"}))
    sheet.set_row(4, None, None, {"hidden": True})
    sheet.set_column("C:C", None, None, {"hidden": True})
    book.add_worksheet("隐藏").write("A1", "hidden")
    book.worksheets()[1].hide()
    book.close()
    return path


GOOD_ROWS = [
    [None, "2024年客户名单", "2024年客户名单", "2024年客户名单", "2024年客户名单"],
    [None, "客户名称", "联系方式", "联系方式", "金额"],
    [None, "客户名称", "手机", "邮箱", "金额"],
    [None, "华为", 13800138000, "a@b.cn", 2000],
    [None, "中兴", None, None, 2000 / 3, date(2024, 1, 2), datetime(2024, 1, 2, 9, 30), True,
     "09:30:00", "1 day, 12:00:00"],
]


def test_an_xlsx_reads_as_values_with_merged_headers_filled(tmp_path: Path) -> None:
    assert read(_good_xlsx(tmp_path / "good.xlsx")) == {"客户": GOOD_ROWS,
                                                        "隐藏": [["hidden"]]}


def test_an_xlsm_is_read_as_data(tmp_path: Path) -> None:
    path = _good_xlsx(tmp_path / "macro.xlsm")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Attribute VB_Name")
    assert read(path)["客户"] == GOOD_ROWS


def test_rows_stream(tmp_path: Path) -> None:
    with open_book(_good_xlsx(tmp_path / "good.xlsx"), "good.xlsx", LIMITS) as book:
        rows = book.rows("客户")
        assert isinstance(rows, Iterator)
        assert next(rows)[1] == "2024年客户名单"


def test_an_unknown_sheet_is_refused(tmp_path: Path) -> None:
    with open_book(_good_xlsx(tmp_path / "good.xlsx"), "good.xlsx", LIMITS) as book, \
            pytest.raises(UnreadableFile) as refused:
        book.rows("nope")
    assert refused.value.detail == reading.NO_SUCH_SHEET


def test_an_openpyxl_workbook_keeps_its_cells_columns(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "S"
    book.active["C3"], book.active["D4"] = "x", 1.5
    book.save(tmp_path / "o.xlsx")
    assert read(tmp_path / "o.xlsx") == {"S": [[], [], [None, None, "x"],
                                               [None, None, None, 1.5]]}


def _xls(path: Path) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    sheet.write_merge(0, 0, 0, 2, "客户名单")
    sheet.write(1, 0, "名称")
    sheet.write(1, 1, "金额")
    sheet.write(1, 2, "日期")
    sheet.write(2, 0, "华为")
    sheet.write(2, 1, 1234.5)
    sheet.write(2, 2, date(2024, 1, 2), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    book.add_sheet("第二").write(0, 0, 7)
    book.save(str(path))
    return path


def test_an_xls_reads_in_its_child_with_merged_headers_filled(tmp_path: Path) -> None:
    assert read(_xls(tmp_path / "old.xls")) == {
        "客户": [["客户名单", "客户名单", "客户名单"], ["名称", "金额", "日期"],
                 ["华为", 1234.5, date(2024, 1, 2)]],
        "第二": [[7]]}


CSV_ROWS = [["客户名称", "手机", "备注"], ["华为", "13800138000", "第一行\n第二行"],
            ["中兴", None, "𠮷"], [], ["x"]]


def _csv_text(delimiter: str) -> str:
    return (f'客户名称{delimiter}手机{delimiter}备注\r\n华为{delimiter}13800138000{delimiter}'
            f'"第一行\n第二行"\r\n中兴{delimiter}{delimiter}𠮷\r\n\r\nx{delimiter}{delimiter}\r\n')


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_csv_in_its_encoding_and_delimiter(
        tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = _write(tmp_path / "客户.csv", _csv_text(delimiter).encode(encoding))
    assert read(path) == {"客户": CSV_ROWS}


def test_a_gbk_csv(tmp_path: Path) -> None:
    content = _csv_text(",").replace("𠮷", "备注").encode("gbk")
    rows = read(_write(tmp_path / "gbk.csv", content))["gbk"]
    assert rows[2] == ["中兴", None, "备注"]


def test_a_csv_that_is_neither_utf8_nor_gb18030_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "名称,手机\n".encode() * 30_000 + b"\x80\xff\n")
    assert refusal(path) == text.UNKNOWN_ENCODING


def test_a_csv_row_wider_than_the_column_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "wide.csv", b"a,b\n" + b"1," * 1_500 + b"\n")
    with open_book(path, "wide.csv", LIMITS) as book, pytest.raises(UnreadableFile) as refused:
        list(book.rows("wide"))
    assert refused.value.detail == text.TOO_MANY_COLUMNS


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("cell", [
    '<c s="1" r="XFD5"><v>1</v></c>', "<x:c r='XFD5'><x:v>1</x:v></x:c>",
    '<c r="XFD00005"/>'])
def test_references_written_otherwise_than_excel_does_are_followed_too(
        tmp_path: Path, cell: str) -> None:
    book = raw_xlsx(tmp_path / "odd.xlsx", f'<row r="1"><c r="A1"><v>1</v></c></row>'
                    f'<row r="5">{cell}</row>')
    assert refusal(book) == packed.TOO_WIDE


def test_a_file_changed_after_its_check_is_checked_again(tmp_path: Path) -> None:
    path = raw_xlsx(tmp_path / "book.xlsx")
    assert check_file(path, "book.xlsx", LIMITS) == "xlsx"
    raw_xlsx(path, '<row r="9"><c r="XFD9"><v>1</v></c></row>')
    assert refusal(path) == packed.TOO_WIDE


def test_a_shared_string_count_calamine_would_reserve_is_refused(tmp_path: Path) -> None:
    """calamine reserves room for ``uniqueCount`` strings up front: 4,000,000,000 of them
    (96 GB) would abort this process."""
    strings = ('<?xml version="1.0"?><sst xmlns="urn:x" count="4000000000" '
               'uniqueCount="4000000000"><si><t>a</t></si></sst>')
    book = raw_xlsx(tmp_path / "sst.xlsx", parts={"xl/sharedStrings.xml": strings})
    assert refusal(book) == packed.BOMB


class PanicException(BaseException):
    """Stands for pyo3's exception for a Rust panic, which derives from BaseException."""


def test_a_rust_panic_in_calamine_is_unreadable_not_a_500(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def panic(path: str) -> None:
        raise PanicException("index out of bounds")

    monkeypatch.setattr(reading.CalamineWorkbook, "from_path", panic)
    assert refusal(raw_xlsx(tmp_path / "book.xlsx")) == errors.UNREADABLE


def test_a_sheet_part_under_any_name_and_start_is_scanned_and_pictures_pass(
        tmp_path: Path) -> None:
    rels = WORKBOOK_RELS.replace("sheet1.xml", "sheet1.dat")
    huge = "junk" + sheet_xml('<row r="9"><c r="XFD9"><v>1</v></c></row>')
    hidden = raw_xlsx(tmp_path / "dat.xlsx", parts={
        "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.dat": huge})
    assert refusal(hidden) == packed.TOO_WIDE
    pictures = {"xl/media/image1.emf": b"\x01\x00\x00\x00" + bytes(100),
                "xl/media/image2.png": b"\x89PNG\r\n\x1a\n" + bytes(100)}
    assert read(raw_xlsx(tmp_path / "pictures.xlsx", parts=pictures)) == {"Sheet1": [[1]]}
