"""The import wizard's two runs: the dry run (job ``import_check``: counts, preview,
problems, error report; its Import button commits) and the commit (job ``import``:
progress and Cancel, then the summary, the error report and Undo).

Each page follows its job with a ``JobWatcher``; the jobs panel lists the same job, so
closing the wizard while it runs loses nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm_client.core.i18n import _
from crm_client.views import import_results as results
from crm_client.views.import_session import ImportSession
from crm_client.views.job_watcher import JobWatcher, progress_text
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.entities import REGISTRY
from crm_common.schemas.imports import CHECK_JOB, IMPORT_JOB, UNDO_JOB, ImportOutcome, UndoOutcome
from crm_common.schemas.job import JobRead, JobState

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

KEPT_SHOWN = 10
IMPORTS = "import_batch"  # the import history's entity


class RunPage(QWizardPage):
    """A page that runs one import job and shows what it found."""

    kind = ""

    def __init__(self, ctx: AppContext, session: ImportSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.session = ctx, session
        self.outcome: ImportOutcome | None = None
        self.running = False  # from the start asked until the job has ended
        self.watcher = JobWatcher(ctx, self)
        self.watcher.sig_progress.connect(self._show_progress)
        self.watcher.sig_ended.connect(self._ended)
        self.watcher.sig_lost.connect(self._lost)
        self.banner = Banner(self)
        self.banner.sig_action.connect(self.run)
        self.progress = QProgressBar(self)
        self.progress_label = QLabel(self)
        self.counts = QLabel(self)
        self.counts.setStyleSheet("font-weight: bold;")
        self.tabs = QTabWidget(self)
        self.problems = results.ProblemsWidget(ctx, self)
        self.report_button = QPushButton(_("Save the &error report…"), self)
        self.report_button.setAutoDefault(False)
        self.report_button.clicked.connect(self.save_report)
        self.report_label = QLabel(self)
        self.button_row = QHBoxLayout()
        self.button_row.addWidget(self.report_button)
        self.button_row.addWidget(self.report_label)
        self.button_row.addStretch(1)
        self.box = QVBoxLayout(self)
        for widget in (self.banner, self.progress, self.progress_label, self.counts):
            self.box.addWidget(widget)
        # While the job runs the results are hidden and the stretch keeps the progress on
        # top; then the results take nearly all the height.
        self.box.addWidget(self.tabs, 100)
        self.box.addStretch(1)
        self.box.addLayout(self.button_row)

    def run(self) -> None:
        """Start the job afresh with the session's choices."""
        self.outcome = None
        self.running = True
        self.banner.clear()
        for widget in (self.counts, self.tabs, self.report_button, self.report_label):
            widget.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_label.setText(_("Starting…"))
        self.watcher.start(self.kind, self.session.job_params())
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.outcome is not None

    def _show_progress(self, job: JobRead) -> None:
        if job.total:
            self.progress.setRange(0, job.total)
            self.progress.setValue(min(job.done, job.total))
        self.progress_label.setText(progress_text(job))

    def _lost(self) -> None:
        self.running = False
        self.progress.hide()
        self.progress_label.clear()
        self.banner.show_message(_("The job could not be followed."), _("Run &again"),
                                 BannerLevel.ERROR)
        self.completeChanged.emit()

    def _ended(self, job: JobRead) -> None:
        self.running = False
        self.progress.hide()
        self.progress_label.clear()
        if job.state is JobState.SUCCEEDED and job.result is not None:
            self.show_outcome(ImportOutcome.model_validate(job.result))
        elif job.state is JobState.CANCELLED:
            self.banner.show_message(_("The job was cancelled."), _("Run &again"))
        else:
            self.banner.show_message(_(job.error or _("The job failed.")), _("Run &again"),
                                     BannerLevel.ERROR)
        self.completeChanged.emit()

    def show_outcome(self, outcome: ImportOutcome) -> None:
        self.outcome = outcome
        self.counts.setText(results.counts_text(outcome.counts))
        self.counts.show()
        self.problems.show_import(outcome.import_id)
        self.tabs.setTabText(self.tabs.indexOf(self.problems),
                             _("&Problems ({count})").format(count=f"{outcome.problems:,}"))
        self.tabs.show()
        self.report_button.setVisible(outcome.counts.error > 0)

    def save_report(self) -> None:
        upload = self.session.upload
        if self.outcome is None or upload is None:
            return
        results.save_error_report(self.ctx, self, self.outcome.import_id, upload.file_name,
                                  self._report_saved)

    def _report_saved(self, path: Path) -> None:
        self.report_label.setText(results.report_saved_text(path))
        self.report_label.show()


class CheckPage(RunPage):
    """The dry run. Its Import button commits (there is no way back from there)."""

    kind = CHECK_JOB

    def __init__(self, ctx: AppContext, session: ImportSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, session, parent)
        self.setTitle(_("Dry run"))
        self.setSubTitle(_("Nothing is written yet. Review what would happen, then choose "
                           "Import."))
        self.preview = results.preview_table(self)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("&Import"))
        self.tabs.addTab(self.preview, _("Pre&view"))
        self.tabs.addTab(self.problems, _("&Problems"))
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(results.ERROR_STYLE)
        self.box.addWidget(self.note)

    def initializePage(self) -> None:
        self.session.check = None
        self.note.hide()
        self.run()

    def cleanupPage(self) -> None:
        """Back, or the wizard closed (``QWizard`` cleans up every page then): a dry run
        still running is of no use any more. An import goes on (the jobs panel shows it)."""
        self.watcher.cancel()
        self.watcher.forget()
        self.running = False
        self.outcome = self.session.check = None

    def show_outcome(self, outcome: ImportOutcome) -> None:
        super().show_outcome(outcome)
        self.session.check = outcome
        results.fill_preview(self.preview, outcome, self.session.mapped_fields(),
                             self.session.spec)
        self.note.setText(self._blocker())
        self.note.setVisible(bool(self.note.text()))

    def _blocker(self) -> str:
        """Why the import cannot go ahead as chosen ("" when it can)."""
        counts = self.outcome.counts if self.outcome else None
        if counts is None:
            return ""
        if counts.error and self.session.atomic:
            return _("All or nothing was chosen and some rows have errors: fix them in the "
                     "file, or go back and choose to import the valid rows only.")
        if not counts.new and not counts.update:
            return _("No row would be imported.")
        return ""

    def isComplete(self) -> bool:
        return self.outcome is not None and not self._blocker()


class CommitPage(RunPage):
    """The import itself, then its summary; Undo takes it back."""

    kind = IMPORT_JOB

    def __init__(self, ctx: AppContext, session: ImportSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, session, parent)
        self.setTitle(_("Import"))
        self.setFinalPage(True)
        self.tabs.addTab(self.problems, _("&Problems"))
        self.cancel_button = QPushButton(_("&Cancel the import"), self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.watcher.cancel)
        self.undo_button = QPushButton(_("&Undo this import…"), self)
        self.undo_button.setAutoDefault(False)
        self.undo_button.clicked.connect(self.undo)
        self.undo_label = QLabel(self)
        self.undo_label.setWordWrap(True)
        self.undo_watcher = JobWatcher(ctx, self)
        self.undo_watcher.sig_ended.connect(self._undone)
        self.undo_watcher.sig_lost.connect(lambda: self.undo_button.setEnabled(True))
        self.button_row.insertWidget(0, self.cancel_button)
        self.button_row.addWidget(self.undo_button)
        self.box.addWidget(self.undo_label)

    def initializePage(self) -> None:
        self.setSubTitle(_("Importing “{file}”…").format(file=self._file_name()))
        self.wizard().setOption(QWizard.WizardOption.NoCancelButton, True)
        for widget in (self.undo_button, self.undo_label):
            widget.hide()
        self.cancel_button.show()
        self.run()

    def _file_name(self) -> str:
        return self.session.upload.file_name if self.session.upload else ""

    def isComplete(self) -> bool:
        return not self.running

    def _ended(self, job: JobRead) -> None:
        self.cancel_button.hide()
        super()._ended(job)
        self._announce()
        if self.outcome is None and not self.session.atomic:
            # Valid rows only: the rows written before the job stopped can be taken back.
            self.undo_button.show()
            self.undo_button.setEnabled(True)

    def _lost(self) -> None:
        self.cancel_button.hide()
        super()._lost()

    def show_outcome(self, outcome: ImportOutcome) -> None:
        super().show_outcome(outcome)
        self.setSubTitle(_("“{file}” is imported.").format(file=self._file_name()))
        written = outcome.counts.new + outcome.counts.update
        self.undo_button.setVisible(written > 0)
        self.undo_button.setEnabled(True)

    def _announce(self) -> None:
        """Open lists of the entity and the import history show what changed."""
        for key in (self.session.spec.key, IMPORTS):
            self.ctx.changes.sig_entity_changed.emit(key, [])

    def undo(self) -> None:
        """Ask first, then take the import back (job ``import_undo``)."""
        if self.session.upload is None or QMessageBox.question(
                self, _("Undo the import"), self._undo_question()) != (
                QMessageBox.StandardButton.Yes):
            return
        self.undo_button.setEnabled(False)
        self.undo_label.setText(_("Undoing…"))
        self.undo_label.show()
        self.undo_watcher.start(UNDO_JOB, {"import_id": self.session.upload.id})

    def _undo_question(self) -> str:
        if self.outcome is None:  # stopped part-way: how much it wrote is not known here
            return _("Undo this import? The records it created are removed and the records "
                     "it updated get their earlier values back, except fields changed since.")
        counts = self.outcome.counts
        return _("Undo this import? The {new} records it created are removed and the "
                 "{update} records it updated get their earlier values back, except "
                 "fields changed since.").format(new=counts.new, update=counts.update)

    def _undone(self, job: JobRead) -> None:
        if job.state is not JobState.SUCCEEDED or job.result is None:
            self.undo_button.setEnabled(True)
            self.undo_label.setText(_(job.error or _("The undo did not finish.")))
            return
        self.undo_button.hide()
        self.undo_label.setText(undo_text(UndoOutcome.model_validate(job.result)))
        self._announce()


def undo_text(outcome: UndoOutcome) -> str:
    """What the undo did, and which records it left as they are."""
    lines = [_("Undone: {removed} records removed, {restored} restored.").format(
        removed=outcome.removed, restored=outcome.restored)]
    if outcome.kept:
        total = max(outcome.kept_total or 0, len(outcome.kept))
        lines.append(_("Changed since the import, so kept as they are ({count}):").format(
            count=total))
        lines += [_kept_line(kept.entity, kept.record_id, kept.fields)
                  for kept in outcome.kept[:KEPT_SHOWN]]
        if total > KEPT_SHOWN:
            lines.append(_("… and {count} more").format(count=total - KEPT_SHOWN))
    return "\n".join(lines)


def _kept_line(entity: str, record_id: int, fields: list[str]) -> str:
    spec = REGISTRY.get(entity)
    if spec is None:
        return f"  {entity} {record_id}"
    labels = [_(found.label) if (found := spec.owns(name)) else name for name in fields]
    return f"  {_(spec.label)} {record_id}: {', '.join(labels)}"
