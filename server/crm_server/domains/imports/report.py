"""The error report: the rows an import could not take, as the file had them, with an
error column added and each bad cell filled red and commented with what is wrong — to be
fixed in Excel and imported again (its header row is the original one, so the same mapping
applies)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from xlsxwriter import Workbook

from crm_common.cleansing.values import cell_text
from crm_common.i18n import N_, translate
from crm_server.domains.imports.run import opened
from crm_server.kit.sheets import neutralised
from crm_server.models.imports import ImportBatch, ImportProblem
from crm_server.settings import Settings

ERROR_HEADING = N_("Errors")


def write_report(session: Session, settings: Settings, batch: ImportBatch, out: Path,
                 language: str) -> int:
    """Write the error report of ``batch``'s last run to ``out``; the number of rows."""
    errors: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
    for row, column, message in session.execute(
            select(ImportProblem.row, ImportProblem.column, ImportProblem.message)
            .where(ImportProblem.import_id == batch.id, ImportProblem.verdict == "error",
                   ImportProblem.row.is_not(None)).order_by(ImportProblem.id)):
        errors[row or 0].append((column, translate(message, language)))
    book = Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                               "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(translate(N_("Errors"), language)[:31])
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    written = width = 0
    with opened(settings, batch) as book_in:
        header = batch.header_row or 1
        for number, raw in enumerate(book_in.rows(batch.sheet or book_in.sheets[0]), 1):
            if number == header:
                width = len(raw)
                for index, heading in enumerate(raw):
                    sheet.write_string(0, index, neutralised(cell_text(heading)), bold)
                sheet.write_string(0, width, translate(ERROR_HEADING, language), bold)
                sheet.freeze_panes(1, 0)
                continue
            if number not in errors:
                continue
            written += 1
            cells = {column: message for column, message in errors[number]
                     if column is not None}
            for index, value in enumerate(raw):
                style = bad if index in cells else None
                if isinstance(value, (bool, int, float)):
                    sheet.write_number(written, index, float(value), style)
                elif isinstance(value, datetime):
                    sheet.write_datetime(written, index, value, style or moment)
                elif isinstance(value, date):
                    midnight = datetime.combine(value, datetime.min.time())
                    sheet.write_datetime(written, index, midnight, style or day)
                elif value is None or value == "":
                    sheet.write_blank(written, index, None, style)
                else:
                    sheet.write_string(written, index, neutralised(cell_text(value)), style)
            for index, message in cells.items():
                if index >= len(raw):
                    sheet.write_blank(written, index, None, bad)
                sheet.write_comment(written, index, message)
            sheet.write_string(written, max(len(raw), width),
                               "；".join(message for _, message in errors[number]))
    book.close()
    return written
