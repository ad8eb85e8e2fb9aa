""""Preview as this role": the generic lists, read-only, exactly as the server shows them to
a user who has only that role.

The window gets its own ``ApiClient`` that sends ``X-Preview-Role`` (the server then answers
as the role would: its data scope relative to the administrator's own user and department,
its hidden and masked fields) and its own task runner around that client, so every call of
the ordinary ``EntityListView`` and ``EntityFormDialog`` goes through the preview. The
context's ``me`` is what the server says the previewed user is (the role's grants and
``preview_role_id``), so the list hides what the role cannot do and offers no writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from crm_client.core.context import AppContext
from crm_client.core.i18n import _
from crm_client.core.tasks import TaskRunner
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.value_combo import ValueComboBox
from crm_common.entities import REGISTRY, EntitySpec
from crm_common.permissions import Action
from crm_common.schemas.auth import Me
from crm_common.schemas.role import RoleRead

if TYPE_CHECKING:
    from crm_client.api.client import ApiClient

CLOSE_WAIT_MS = 3000  # let running preview reads end before their client is closed
MUTED = "#6b7280"


class PreviewListView(EntityListView):
    """The generic list, where every record opens in the generic form — read-only while
    previewing — also a customer, whose 360° view needs the main window's tabs."""

    def open_row(self, row: int) -> None:
        record = self.model.record(row)
        if record is not None:
            record_id = record.id  # type: ignore[attr-defined]
            form = EntityFormDialog(self._ctx, self._spec, record_id, self)
            form.show()


class RolePreviewWindow(QWidget):
    """``sig_list_shown(view)`` each time a list for the chosen entity has been built."""

    sig_list_shown = Signal(object)

    def __init__(self, ctx: AppContext, role: RoleRead, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._ctx = ctx
        self._role = role
        self._api: ApiClient = ctx.api.preview(role.id)
        self._runner = TaskRunner(self._api, ctx.changes, self)
        api = self._api  # closed with the window, also when its parent takes it along
        self.destroyed.connect(lambda *_args: api.close())
        self._runner.sig_offline.connect(self._on_offline)
        self._runner.sig_session_expired.connect(self._on_session_expired)
        self.preview_ctx: AppContext | None = None
        self.list_view: EntityListView | None = None
        self.setWindowTitle(_("Preview: {role}").format(role=role.name or ""))
        self.banner = Banner(self)
        self.banner.show_message(
            _("Preview: viewing as role “{role}” — read-only").format(role=role.name or ""),
            None, BannerLevel.WARNING)
        self.problem = Banner(self)
        self.problem.sig_action.connect(self._runner.retry_offline)
        self.entity_combo = self._make_entity_combo()
        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet(f"color: {MUTED};")
        self.placeholder.setText(_("Loading…"))
        self._body = QVBoxLayout()
        self._body.addWidget(self.placeholder, 1)
        self._build()
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        self.resize(1100, 640)
        self._load_me()

    def _make_entity_combo(self) -> ValueComboBox:
        combo = ValueComboBox(self)
        readable = [spec for spec in REGISTRY.values() if self._can_read(spec)]
        for spec in readable:
            combo.add_option(_(spec.label_plural), spec.key)
        for spec in REGISTRY.values():
            if spec not in readable:
                combo.add_option(_("{entities} (no access)").format(
                    entities=_(spec.label_plural)), spec.key)
        combo.activated.connect(lambda _index: self._show_list())
        return combo

    def _can_read(self, spec: EntitySpec) -> bool:
        return self._role.permissions.can(spec.key, Action.READ)

    def _build(self) -> None:
        top = QHBoxLayout()
        label = QLabel(_("Data:"), self)
        label.setBuddy(self.entity_combo)
        top.addWidget(label)
        top.addWidget(self.entity_combo)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.problem)
        layout.addLayout(top)
        layout.addLayout(self._body, 1)

    # -- public ------------------------------------------------------------------------------

    def show_entity(self, key: str) -> None:
        """Show the list of entity ``key`` (as if chosen in the combo)."""
        self.entity_combo.set_value(key)
        self._show_list()

    # -- loading -----------------------------------------------------------------------------

    def _load_me(self) -> None:
        """Ask the server who the previewed user is (the role's grants, as it enforces them)."""
        (
            self._runner.query(self, lambda api: api.me())
            .success(self._on_me)
            .run()
        )

    def _on_me(self, me: Me) -> None:
        ctx = self._ctx
        self.preview_ctx = AppContext(self._api, ctx.settings, me, ctx.changes, self._runner)
        self._show_list()

    def _show_list(self) -> None:
        if self.preview_ctx is None:
            return
        spec = REGISTRY[self.entity_combo.value()]
        if self.list_view is not None:
            self._body.removeWidget(self.list_view)
            self.list_view.deleteLater()
            self.list_view = None
        if not self.preview_ctx.can(spec.key, Action.READ):
            self.placeholder.setText(_("The role “{role}” cannot see any {entities}.").format(
                role=self._role.name or "", entities=_(spec.label_plural)))
            self.placeholder.show()
            return
        self.placeholder.hide()
        self.list_view = PreviewListView(self.preview_ctx, spec, self)
        self._body.addWidget(self.list_view, 1)
        self.sig_list_shown.emit(self.list_view)

    # -- trouble -----------------------------------------------------------------------------

    def _on_offline(self, offline: bool) -> None:
        if offline:
            self.problem.show_message(_("Cannot reach the server."), _("Retry"),
                                      BannerLevel.ERROR)
        else:
            self.problem.clear()

    def _on_session_expired(self) -> None:
        self.problem.show_message(
            _("Your session has ended. Sign in again in the main window, then open the "
              "preview again."), None, BannerLevel.ERROR)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._runner.wait_for_done(CLOSE_WAIT_MS)
        super().closeEvent(event)

