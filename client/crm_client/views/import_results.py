"""What a dry run or a commit of an import found, shown in the import wizard: the counts,
the preview of the first rows as they will be stored, the problems by row and column
(filtered by verdict, paged from the server, "go to row"), and the error report download.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.common import read_only_table, titled_table
from crm_client.core.i18n import N_, _
from crm_client.models.formatting import format_value
from crm_client.widgets.enter_spin_box import EnterSpinBox
from crm_client.widgets.value_combo import ValueComboBox
from crm_common.entities import EntitySpec
from crm_common.schemas.imports import (
    ImportCounts,
    ImportOutcome,
    LayoutField,
    Problem,
    ProblemPage,
)

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

ACTIONS = {"new": N_("New"), "update": N_("Update"), "skip": N_("Skip"), "error": N_("Error"),
           "empty": N_("Empty row")}
VERDICTS = {"error": N_("Error"), "warning": N_("Warning"), "fixed": N_("Auto-fixed")}
VERDICT_FILTERS = ((None, N_("All problems")), ("error", N_("Errors")),
                   ("warning", N_("Warnings")), ("fixed", N_("Auto-fixed")))
ERROR_STYLE = "color: #cf1322;"
VERDICT_COLOURS = {"error": "#cf1322", "warning": "#ad6800", "fixed": "#389e0d"}
PROBLEM_COLUMNS = (N_("Row"), N_("Column"), N_("Verdict"), N_("Message"), N_("Value"))
PROBLEM_WIDTHS = (60, 140, 90, 320, 160)
PROBLEM_PAGE = 200
PREVIEW_PADDING = 16
COUNTS = (("new", N_("New: {n}")), ("update", N_("Update: {n}")), ("skip", N_("Skipped: {n}")),
          ("error", N_("Errors: {n}")), ("empty", N_("Empty rows: {n}")))


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def counts_text(counts: ImportCounts) -> str:
    """"New: 12 · Update: 3 · Skipped: 0 · Errors: 1 · Empty rows: 4"."""
    return " · ".join(_(text).format(n=f"{getattr(counts, key):,}") for key, text in COUNTS)


def fill_preview(table: QTableWidget, outcome: ImportOutcome, fields: list[LayoutField],
                 spec: EntitySpec) -> None:
    """The first rows as they will be stored: row number, action, then each mapped field,
    shown as lists show it (a choice by its label, an amount grouped)."""
    titles = [_("Row"), _("Action"), *(field.label for field in fields)]
    table.clear()
    table.setColumnCount(len(titles))
    table.setHorizontalHeaderLabels(titles)
    table.setRowCount(len(outcome.preview))
    for row, line in enumerate(outcome.preview):
        texts = [str(line.row), _(ACTIONS.get(line.action, line.action)),
                 *(_shown(spec, field.name, line.values.get(field.name)) for field in fields)]
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if column == 1 and line.action == "error":
                item.setForeground(QColor(VERDICT_COLOURS["error"]))
            table.setItem(row, column, item)
    table.resizeColumnsToContents()
    for column in range(table.columnCount()):
        table.setColumnWidth(column, table.columnWidth(column) + PREVIEW_PADDING)


def _shown(spec: EntitySpec, name: str, value: Any) -> str:
    declared = spec.owns(name)  # None: an input such as a new user's initial password
    if declared is None:
        return "" if value is None else str(value)
    return format_value(declared, value)


def preview_table(parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, 0, parent)
    read_only_table(table)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ProblemsWidget(QWidget):
    """The problems of the last run, a page at a time in row order; ``sig_loaded`` after
    each page arrives."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.import_id: int | None = None
        self.problems: list[Problem] = []
        self.next: str | None = None
        self._generation = 0
        self._wanted_row: int | None = None
        self.verdict = ValueComboBox(self)
        for value, label in VERDICT_FILTERS:
            self.verdict.add_option(_(label), value)
        self.verdict.currentIndexChanged.connect(lambda _index: self.reload())
        self.row_box = EnterSpinBox(self, minimum=1, maximum=10_000_000)
        self.row_box.sig_entered.connect(self.go_to_row)
        self.go_button = QPushButton(_("&Go to row"), self)
        self.go_button.setAutoDefault(False)
        self.go_button.clicked.connect(lambda: self.go_to_row(self.row_box.value()))
        self.total_label = QLabel(self)
        self.table = QTableWidget(0, len(PROBLEM_COLUMNS), self)
        titled_table(self.table, PROBLEM_COLUMNS, PROBLEM_WIDTHS, 3)
        self.more_button = QPushButton(_("Show &more"), self)
        self.more_button.setAutoDefault(False)
        self.more_button.clicked.connect(self.load_more)
        self._build()

    def _build(self) -> None:
        filters = QHBoxLayout()
        shown = QLabel(_("&Show:"), self)
        shown.setBuddy(self.verdict)
        filters.addWidget(shown)
        filters.addWidget(self.verdict)
        filters.addSpacing(16)
        row = QLabel(_("&Row:"), self)
        row.setBuddy(self.row_box)
        filters.addWidget(row)
        filters.addWidget(self.row_box)
        filters.addWidget(self.go_button)
        filters.addStretch(1)
        filters.addWidget(self.total_label)
        filters.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

    def show_import(self, import_id: int) -> None:
        self.import_id = import_id
        self.reload()

    def reload(self) -> None:
        """From the first page again, with the chosen verdict."""
        self.problems, self.next = [], None
        self._generation += 1
        self.table.setRowCount(0)
        self.load_more()

    def load_more(self) -> None:
        if self.import_id is None:
            return
        import_id, verdict, after = self.import_id, self.verdict.value(), self.next
        generation = self._generation
        self.more_button.setEnabled(False)
        (self.ctx.tasks.query(self, lambda api: api.import_problems(
            import_id, verdict, after, PROBLEM_PAGE))
         .success(lambda page: self._arrived(generation, page))
         .with_progress(_("Loading the problems…"))
         .run())

    def go_to_row(self, row: int) -> None:
        """Select the first problem at or after ``row``, loading pages up to it."""
        self._wanted_row = row
        self._seek()

    def _seek(self) -> None:
        row = self._wanted_row
        if row is None:
            return
        found = next((i for i, p in enumerate(self.problems) if (p.row or 0) >= row), None)
        if found is None and self.next is not None:
            self.load_more()  # its arrival seeks again
            return
        self._wanted_row = None
        if found is not None:
            self.table.selectRow(found)
            self.table.scrollTo(self.table.model().index(found, 0))
            self.table.setFocus()

    def _arrived(self, generation: int, page: ProblemPage) -> None:
        if generation != self._generation:
            return
        start = len(self.problems)
        self.problems.extend(page.items)
        self.next = page.next
        self.table.setRowCount(len(self.problems))
        for offset, problem in enumerate(page.items):
            self._fill_row(start + offset, problem)
        self.total_label.setText(_("{shown} of {total} shown").format(
            shown=f"{len(self.problems):,}", total=f"{page.total:,}"))
        self.more_button.setEnabled(page.next is not None)
        self.sig_loaded.emit()
        self._seek()

    def _fill_row(self, row: int, problem: Problem) -> None:
        column = "" if problem.column is None else column_letter(problem.column)
        column = f"{column}  {problem.heading or ''}".strip()
        number = "" if problem.row is None else str(problem.row)
        texts = (number, column, _(VERDICTS.get(problem.verdict, problem.verdict)),
                 problem.message, problem.value or "")
        colour = VERDICT_COLOURS.get(problem.verdict)
        for index, text in enumerate(texts):
            item = QTableWidgetItem(text)
            item.setToolTip(text if index >= 3 else "")
            if index == 2 and colour:
                item.setForeground(QColor(colour))
            self.table.setItem(row, index, item)


def ask_report_path(parent: QWidget, file_name: str) -> Path | None:
    """Where to save the error report of ``file_name``'s import; None when cancelled."""
    suggested = f"{Path(file_name).stem}-{_('errors')}.xlsx"
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, _("Save the error report"), suggested, _("Excel workbook (*.xlsx)"))
    return Path(chosen).with_suffix(".xlsx") if chosen else None


def save_error_report(ctx: AppContext, parent: QWidget, import_id: int, file_name: str,
                      saved: Callable[[Path], None]) -> None:
    """Ask where, then download the error report there off the GUI thread."""
    target = ask_report_path(parent, file_name)
    if target is None:
        return
    (ctx.tasks.query(parent, lambda api: api.import_errors_file(import_id, target))
     .success(saved)
     .with_progress(_("Saving the error report…"))
     .run())


def report_saved_text(path: Path) -> str:
    return _("Error report saved: {path}").format(path=path)
