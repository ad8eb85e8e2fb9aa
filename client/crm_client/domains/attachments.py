"""``AttachmentsWidget``: the files attached to one record — upload, open, save, delete.

Upload by button or by dropping files on the list; double-click downloads to a private temp
folder and opens the file with its usual program; "Save to…" downloads into a chosen folder.
Transfers run on the task runner with progress; the server's size limit comes back as a clear
message naming the file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from crm_client.core.i18n import _
from crm_client.core.icons import icon
from crm_client.models.entity_model import EntityTableModel
from crm_client.models.formatting import format_size
from crm_client.models.page_loader import PageLoader
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.record_table import RecordTableView
from crm_common.entities import entity
from crm_common.errors import PayloadTooLarge
from crm_common.permissions import Action
from crm_common.schemas.attachment import AttachmentRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

PAGE_SIZE = 100
TEMP_PREFIX = "crm-attachment-"


class AttachmentsWidget(QWidget):
    def __init__(
        self, ctx: AppContext, entity_key: str, record_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._entity_key = entity_key
        self._record_id = record_id
        self._spec = entity("attachment")
        self._saved_folder: Path | None = None
        self.model = EntityTableModel(self._spec.listed_fields, self, {"size": format_size})
        self.loader = PageLoader(ctx, self._spec, self.model, self._params, self)
        self.loader.sig_loaded.connect(self._update_actions)
        self.table = RecordTableView(self)
        self.table.setModel(self.model)
        for column, field in enumerate(self.model.fields):
            self.table.horizontalHeader().resizeSection(column, field.width)
        self.table.sort_header.setSortIndicatorShown(False)
        self.table.set_empty_text(_("No attachments. Drop files here to upload them.")
                                  if ctx.can(self._spec.key, Action.CREATE)
                                  else _("No attachments."))
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.banner = Banner(self)
        self.banner.sig_action.connect(self._open_saved_folder)
        self.setAcceptDrops(ctx.can(self._spec.key, Action.CREATE))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(self._make_toolbar())
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)
        self.reload()

    def _make_toolbar(self) -> QToolBar:
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.upload_action = toolbar.addAction(icon("upload"), _("Upload…"), self._choose_files)
        self.upload_action.setToolTip(_("Upload files (or drop them on the list)"))
        self.open_action = toolbar.addAction(
            icon("attachment"), _("Open"), lambda: self.open_row(self.table.current_row())
        )
        self.save_action = toolbar.addAction(icon("download"), _("Save to…"), self._save_current)
        self.delete_action = toolbar.addAction(icon("delete"), _("Delete"), self._delete_current)
        self.upload_action.setVisible(self._ctx.can(self._spec.key, Action.CREATE))
        self.delete_action.setVisible(self._ctx.can(self._spec.key, Action.DELETE))
        self._update_actions()
        return toolbar

    def _update_actions(self) -> None:
        selected = self.table.current_row() >= 0
        for action in (self.open_action, self.save_action):
            action.setEnabled(selected)
        self.delete_action.setEnabled(selected and self._ctx.can_record(
            self._spec.key, Action.DELETE, self._current()))

    # -- listing -----------------------------------------------------------------------------

    def reload(self) -> None:
        self.loader.reload()

    def _params(self) -> dict[str, Any]:
        return {"entity": self._entity_key, "record_id": self._record_id,
                "sort": "-created_at", "limit": PAGE_SIZE}

    def _on_entity_changed(self, key: str, _ids: list[int]) -> None:
        if key == self._spec.key:
            self.reload()

    # -- uploading ---------------------------------------------------------------------------

    def _choose_files(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(self, _("Choose files to upload"))
        self.upload([Path(name) for name in names])

    def upload(self, paths: list[Path]) -> None:
        """Upload each file; each one announces itself so the list refreshes."""
        for path in paths:
            self._upload_one(path)

    def _upload_one(self, path: Path) -> None:
        entity_key, record_id = self._entity_key, self._record_id
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.upload(entity_key, record_id, path),
                self._spec.key, lambda attachment: [attachment.id],
            )
            .failure(lambda error: self._upload_failed(path, error))
            .with_progress(_("Uploading {name}…").format(name=path.name))
            .run()
        )

    def _upload_failed(self, path: Path, error: BaseException) -> bool:
        if not isinstance(error, PayloadTooLarge):
            return False
        QMessageBox.warning(
            self, _("File too large"),
            _("“{name}” was not uploaded: it is larger than the server allows.").format(
                name=path.name) + "\n" + error.detail,
        )
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        self.upload([path for path in paths if path.is_file()])
        event.acceptProposedAction()

    # -- downloading -------------------------------------------------------------------------

    def _current(self) -> AttachmentRead | None:
        record = self.model.record(self.table.current_row())
        return record if isinstance(record, AttachmentRead) else None

    def open_row(self, row: int) -> None:
        """Download the file into a private temp folder and open it with its program."""
        record = self.model.record(row)
        if record is None:
            return
        attachment_id: int = record.id  # type: ignore[attr-defined]
        (
            self._ctx.tasks.query(
                self, lambda api: api.download(attachment_id, Path(tempfile.mkdtemp(TEMP_PREFIX)))
            )
            .success(_open_file)
            .with_progress(_("Downloading…"))
            .run()
        )

    def _save_current(self) -> None:
        attachment = self._current()
        if attachment is None:
            return
        folder = QFileDialog.getExistingDirectory(self, _("Save to folder"))
        if not folder:
            return
        (
            self._ctx.tasks.query(self, lambda api: api.download(attachment.id, Path(folder)))
            .success(self._show_saved)
            .with_progress(_("Downloading…"))
            .run()
        )

    def _show_saved(self, path: Path) -> None:
        self._saved_folder = path.parent
        self.banner.show_message(_("Saved as {path}").format(path=path), _("Open folder"),
                                 BannerLevel.INFO)

    def _open_saved_folder(self) -> None:
        if self._saved_folder is not None:
            _open_file(self._saved_folder)

    # -- deleting ----------------------------------------------------------------------------

    def _delete_current(self) -> None:
        attachment = self._current()
        if attachment is None or not self.delete_action.isEnabled():
            return
        answer = QMessageBox.question(
            self, _("Delete"),
            _("Delete the attachment “{name}”?").format(name=attachment.filename),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.delete(self._spec, attachment.id, attachment.version),
                self._spec.key, lambda _result: [attachment.id],
            )
            .with_progress(_("Deleting…"))
            .run()
        )


def _open_file(path: Path) -> None:
    """Open a file with the program the desktop uses for its type."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
