"""Spreadsheet files the reader's tests build: raw .xlsx packages written part by part (so a
test can put anything in a part) and a few hostile shapes."""

from __future__ import annotations

import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>')
ROOT_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
             f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
                 f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
                 'Target="worksheets/sheet1.xml"/></Relationships>')
ONE_SHEET = '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'


def workbook_xml(sheets: str = ONE_SHEET) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            f'xmlns:r="{RELATIONSHIPS}">{sheets}</workbook>')


def sheet_xml(rows: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">'
            f"<sheetData>{rows}</sheetData></worksheet>")


def raw_xlsx(path: Path, rows: str = '<row r="1"><c r="A1"><v>1</v></c></row>', *,
             sheet: str | None = None, parts: dict[str, str | bytes] | None = None,
             workbook: str | None = None) -> Path:
    """A minimal workbook of one sheet; ``sheet`` replaces the sheet part whole, ``parts``
    adds (or replaces) any part."""
    contents: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook or workbook_xml(),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else sheet_xml(rows)}
    contents.update(parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return path


def zip_bomb(path: Path, megabytes: int) -> Path:
    """A workbook whose sheet part is ``megabytes`` MB of zeros (about 1 MB compressed),
    written through zipfile in chunks."""
    raw_xlsx(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as member:
        zeros = b"0" * (1 << 20)
        for _ in range(megabytes):
            member.write(zeros)
    return path


def empty_rows(count: int, columns: int) -> str:
    """A header row of ``columns`` cells over ``count`` rows that hold nothing."""
    header = "".join(f'<c r="{_letters(n)}1" t="inlineStr"><is><t>h{n}</t></is></c>'
                     for n in range(1, columns + 1))
    return f'<row r="1">{header}</row>' + "".join(f'<row r="{n}"/>'
                                                   for n in range(2, count + 2))


def _letters(number: int) -> str:
    text = ""
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text


XML_BOMB = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
EXTERNAL_ENTITY = '<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n%%EOF\n")
