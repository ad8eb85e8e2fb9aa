"""The import wizard (issue 10): a spreadsheet into the records of one importable entity.

File (chosen, or dropped on the entity's list; uploaded) → sheet and header row → mapping
of the columns (templates) → options (duplicates, all or nothing) → dry run (counts,
preview, problems, error report) → import with progress and Cancel → summary with the
error report and Undo. The server does the work (``/imports`` and the ``import_check`` /
``import`` / ``import_undo`` jobs); every call goes through the task runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm_client.admin.common import titled_table
from crm_client.api.imports import MODES, SUFFIXES, ImportFile
from crm_client.core.i18n import N_, _
from crm_client.views.import_mapping import SAMPLES_SHOWN, MappingPage
from crm_client.views.import_results import column_letter
from crm_client.views.import_run import IMPORTS, CheckPage, CommitPage
from crm_client.views.import_session import ImportSession
from crm_client.views.window_fit import FRAME
from crm_client.widgets.enter_spin_box import EnterSpinBox
from crm_common.entities import EntitySpec
from crm_common.schemas.imports import Layout

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

LAYOUT_DELAY_MS = 400  # typing "12" in the header row asks once, not twice
MAX_HEADER_ROW = 1000
SIZE = QSize(940, 640)
MODE_LABELS = {
    "skip": N_("&Skip them (keep the existing records as they are)"),
    "update": N_("&Update the existing records (only the mapped, non-empty cells)"),
    "create": N_("C&reate them anyway"),
}
SHEET_COLUMNS = (N_("Column"), N_("Heading"), N_("Sample values"))


def dropped_file(event: QDropEvent) -> Path | None:
    """The one local spreadsheet file being dragged, if that is what it is."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in SUFFIXES else None


class FilePage(QWizardPage):
    """Choose the file (or drop it on the page); it is uploaded at once and its first
    sheet's layout read."""

    def __init__(self, ctx: AppContext, session: ImportSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.session = ctx, session
        self.busy = False
        self.setTitle(_("Choose the file"))
        self.setSubTitle(_("An Excel workbook (.xlsx, .xls, .xlsm) or a CSV file: choose it, "
                           "or drop it here or on the list."))
        self.path_edit = QLineEdit(self)
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText(_("No file chosen"))
        self.browse_button = QPushButton(_("&Browse…"), self)
        self.browse_button.clicked.connect(self.browse)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        label = QLabel(_("&File:"), self)
        label.setBuddy(self.browse_button)
        row.addWidget(label)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.setAcceptDrops(True)

    def initializePage(self) -> None:
        self.browse_button.setFocus()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event) is not None and not self.busy:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event)
        if path is not None and not self.busy:
            event.acceptProposedAction()
            self.choose(path)

    def browse(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in SUFFIXES)
        chosen, _filter = QFileDialog.getOpenFileName(
            self, _("Choose the file to import"), "",
            _("Spreadsheets ({patterns})").format(patterns=patterns))
        if chosen:
            self.choose(Path(chosen))

    def choose(self, path: Path) -> None:
        """Upload ``path`` and read its layout (the server finds the sheet and header)."""
        self.session.upload = self.session.layout = None
        self.path_edit.setText(str(path))
        self._set_busy(True, _("Uploading “{file}”…").format(file=path.name))
        entity = self.session.spec.key
        (self.ctx.tasks.mutation(self, lambda api: api.upload_import(entity, path), IMPORTS,
                                 lambda upload: [upload.id])
         .success(self._uploaded)
         .failure(self._upload_failed)
         .run())

    def _upload_failed(self, _error: BaseException) -> bool:
        self._set_busy(False, "")
        return False  # the runner says why (too large, not a spreadsheet …)

    def _uploaded(self, upload: ImportFile) -> None:
        self.session.upload = upload
        self.status.setText(_("Reading “{file}”…").format(file=upload.file_name))
        (self.ctx.tasks.query(self, lambda api: api.import_layout(upload.id))
         .success(self._read)
         .finished(lambda: self._set_busy(False, None))
         .run())

    def _read(self, layout: Layout) -> None:
        self.session.layout = layout
        upload = self.session.upload
        self.status.setText(_("“{file}” is uploaded: {sheets} sheets; “{sheet}” has "
                              "{columns} columns.").format(
            file=upload.file_name if upload else "", sheets=len(layout.sheets),
            sheet=layout.sheet, columns=len(layout.columns)))

    def _set_busy(self, busy: bool, text: str | None) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.browse_button.setEnabled(not busy)
        if text is not None:
            self.status.setText(text)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.busy and self.session.layout is not None


class SheetPage(QWizardPage):
    """The sheet and its header row (1-based); each change reads the layout again."""

    def __init__(self, ctx: AppContext, session: ImportSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.session = ctx, session
        self.loading = False
        self._asked = 0  # only the latest answer is shown
        self.setTitle(_("Sheet and header row"))
        self.setSubTitle(_("Check that the headings below are the column titles of the "
                           "sheet; if not, correct the header row."))
        self.sheet_box = QComboBox(self)
        self.sheet_box.setMinimumWidth(240)
        self.sheet_box.activated.connect(lambda _index: self._ask(detect_header=True))
        self._timer = QTimer(self, singleShot=True, interval=LAYOUT_DELAY_MS)
        self._timer.timeout.connect(lambda: self._ask(detect_header=False))
        self.header_box = EnterSpinBox(self, minimum=1, maximum=MAX_HEADER_ROW)
        self.header_box.setMinimumWidth(100)
        self.header_box.valueChanged.connect(self._header_changed)
        self.header_box.sig_entered.connect(lambda _row: self._ask(detect_header=False))
        self.table = QTableWidget(0, len(SHEET_COLUMNS), self)
        titled_table(self.table, SHEET_COLUMNS, (80, 220, 400), 2)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(_("&Sheet:"), self.sheet_box)
        form.addRow(_("&Header row:"), self.header_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)

    def initializePage(self) -> None:
        self._show(self.session.layout)
        self.sheet_box.setFocus()

    def _show(self, layout: Layout | None) -> None:
        if layout is None:
            return
        self.sheet_box.clear()
        self.sheet_box.addItems(layout.sheets)
        self.sheet_box.setCurrentText(layout.sheet)
        self.header_box.blockSignals(True)
        self.header_box.setValue(layout.header_row)
        self.header_box.blockSignals(False)
        self.table.setRowCount(len(layout.columns))
        for row, column in enumerate(layout.columns):
            samples = " · ".join(s for s in column.samples[:SAMPLES_SHOWN] if s)
            for index, text in enumerate((column_letter(column.index), column.heading, samples)):
                self.table.setItem(row, index, QTableWidgetItem(text))

    def _header_changed(self) -> None:
        self._timer.start()
        self.completeChanged.emit()

    def _ask(self, detect_header: bool) -> None:
        """Read the layout of the chosen sheet: at the chosen header row, or (another
        sheet) where the server finds it."""
        self._timer.stop()
        if self.session.upload is None:
            return
        import_id, sheet = self.session.upload.id, self.sheet_box.currentText()
        header_row = None if detect_header else self.header_box.value()
        self._asked += 1
        asked = self._asked
        self.loading = True
        self.completeChanged.emit()
        (self.ctx.tasks.query(self, lambda api: api.import_layout(import_id, sheet, header_row))
         .success(lambda layout: self._arrived(asked, layout))
         .finished(lambda: self._done(asked))
         .with_progress(_("Reading the sheet…"))
         .run())

    def _arrived(self, asked: int, layout: Layout) -> None:
        if asked == self._asked:
            self.session.layout = layout
            self._show(layout)

    def _done(self, asked: int) -> None:
        if asked == self._asked:
            self.loading = False
            self.completeChanged.emit()

    def isComplete(self) -> bool:
        layout = self.session.layout
        return not self.loading and not self._timer.isActive() and bool(
            layout and layout.columns)


class OptionsPage(QWizardPage):
    """What to do with duplicates, and with rows that have errors."""

    def __init__(self, session: ImportSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setTitle(_("Options"))
        self.setSubTitle(_("Duplicates are records with the same unified social credit "
                           "code, name or mobile number, in the file or already stored."))
        self.modes = QButtonGroup(self)
        duplicates = QGroupBox(_("Duplicates"), self)
        box = QVBoxLayout(duplicates)
        for number, mode in enumerate(MODES):
            button = QRadioButton(_(MODE_LABELS[mode]), duplicates)
            self.modes.addButton(button, number)
            box.addWidget(button)
        self.modes.button(MODES.index(session.mode)).setChecked(True)
        errors = QGroupBox(_("When rows have errors"), self)
        box = QVBoxLayout(errors)
        self.valid_rows = QRadioButton(_("Import the &valid rows; report the others"), errors)
        self.atomic = QRadioButton(_("Import n&othing unless every row is valid"), errors)
        for button in (self.valid_rows, self.atomic):
            box.addWidget(button)
        (self.atomic if session.atomic else self.valid_rows).setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(duplicates)
        layout.addWidget(errors)
        layout.addStretch(1)

    def validatePage(self) -> bool:
        self.session.mode = MODES[self.modes.checkedId()]
        self.session.atomic = self.atomic.isChecked()
        return True


class ImportWizard(QWizard):
    """The wizard for ``spec``'s records; with ``path`` it starts uploading that file."""

    def __init__(self, ctx: AppContext, spec: EntitySpec, parent: QWidget | None = None,
                 path: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importWizard")
        self.session = ImportSession(spec)
        self.setWindowTitle(_("Import {entities}").format(entities=_(spec.label_plural)))
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.file_page = FilePage(ctx, self.session, self)
        self.sheet_page = SheetPage(ctx, self.session, self)
        self.mapping_page = MappingPage(ctx, self.session, self)
        self.options_page = OptionsPage(self.session, self)
        self.check_page = CheckPage(ctx, self.session, self)
        self.commit_page = CommitPage(ctx, self.session, self)
        for page in (self.file_page, self.sheet_page, self.mapping_page, self.options_page,
                     self.check_page, self.commit_page):
            self.addPage(page)
        room = self.screen().availableGeometry().marginsRemoved(FRAME).size()
        self.resize(SIZE.boundedTo(room))  # a laptop at 125 % has about 1092 × 580
        if path is not None:
            self.file_page.choose(path)
