"""``SecurityPage``: the password, lockout and session rules and the duplicate policy.

A form over ``SecurityPolicy``: the spin boxes take their limits from the schema, so the
client cannot offer a value the server refuses for its range. Save (Ctrl+S) sends only the
changed rules with the policy's version; a stale version (someone else saved meanwhile)
offers to load theirs, and the server's field errors appear under their fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from annotated_types import Ge, Le
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.common import ConsolePage
from crm_client.core.i18n import N_, _
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.edit_form import EditFormMixin
from crm_client.widgets.field_error import FieldErrorLabel
from crm_client.widgets.value_combo import ValueComboBox
from crm_common.errors import StaleVersion
from crm_common.schemas.security import SecurityPolicy

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

POLICY = "security_policy"  # the change-bus key of the policy (not a registered entity)
MUTED = "#6b7280"
SPIN_WIDTH = 170
LABEL_WIDTH = 150

CLASSES = {
    1: N_("Any characters"),
    2: N_("2 of: lower case, upper case, digits, symbols"),
    3: N_("3 of: lower case, upper case, digits, symbols"),
    4: N_("All of: lower case, upper case, digits, symbols"),
}
DUPLICATES = {
    "warn": N_("Warn (may still be created)"),
    "block": N_("Block (cannot be created)"),
}


@dataclass(frozen=True)
class _Row:
    """One rule: a spin box with a unit, or a combo of ``options``."""

    name: str
    label: str
    unit: str = ""
    hint: str = ""
    options: dict[Any, str] | None = None


GROUPS: tuple[tuple[str, tuple[_Row, ...]], ...] = (
    (N_("Passwords"), (
        _Row("password_min_length", N_("Minimum length"), N_("characters")),
        _Row("password_classes", N_("Characters"), options=CLASSES),
        _Row("password_expiry_days", N_("Expire after"), N_("days"),
             N_("0: passwords never expire")),
    )),
    (N_("Lockout after wrong passwords"), (
        _Row("lockout_threshold", N_("Lock after"), N_("wrong passwords")),
        _Row("lockout_minutes", N_("Locked for"), N_("minutes")),
    )),
    (N_("Sessions"), (
        _Row("session_absolute_hours", N_("Sign in again after"), N_("hours"),
             N_("However active the session is")),
        _Row("session_idle_minutes", N_("Idle timeout"), N_("minutes"),
             N_("A session unused this long ends")),
    )),
    (N_("Duplicate customers"), (
        _Row("duplicate_policy", N_("Similar customer"), options=DUPLICATES,
             hint=N_("A new customer with the name or credit code of an existing one")),
    )),
)


def limits(name: str) -> tuple[int, int]:
    """The range the schema allows for field ``name``."""
    low, high = 0, 1_000_000
    for rule in SecurityPolicy.model_fields[name].metadata:
        if isinstance(rule, Ge):
            low = cast(int, rule.ge)  # the policy's limits are whole numbers
        elif isinstance(rule, Le):
            high = cast(int, rule.le)
    return low, high


class SecurityPage(EditFormMixin, ConsolePage):
    """``sig_loaded`` when the policy arrived; ``sig_saved(policy)`` after a save."""

    SUMMARY_WITH_FIELD_ERRORS = True  # the banner above the rules says so too

    sig_loaded = Signal()
    sig_saved = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.policy: SecurityPolicy | None = None
        self.conflict_box: QMessageBox | None = None
        self.banner = Banner(self)
        self.banner.sig_action.connect(self._run_retry)
        self.editors: dict[str, QSpinBox | ValueComboBox] = {}
        self.errors: dict[str, FieldErrorLabel] = {}
        self.form = QWidget(self)
        self.save_button = QPushButton(_("Save"), self)
        self.reload_button = QPushButton(_("Reload"), self)
        self._build()
        shortcut = QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._update_buttons()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        groups = QVBoxLayout(self.form)
        groups.setContentsMargins(0, 0, 0, 0)
        groups.setSpacing(12)
        for title, rows in GROUPS:
            grid = self._group(groups, title)
            for row in rows:
                editor = self._spin(row) if row.options is None else self._combo(row)
                self._add_row(grid, row, editor)
        self.save_button.setDefault(True)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        self.reload_button.setToolTip(_("Discard the changes here and load the saved rules"))
        self.reload_button.clicked.connect(self.load)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(self.banner)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def _group(self, groups: QVBoxLayout, title: str) -> QGridLayout:
        box = QGroupBox(_(title), self.form)
        box.setMaximumWidth(760)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        grid.setColumnStretch(1, 1)
        groups.addWidget(box)
        return grid

    def _add_row(self, grid: QGridLayout, row: _Row, editor: QSpinBox | ValueComboBox) -> None:
        line = grid.rowCount()
        label = QLabel(_(row.label), self.form)
        label.setBuddy(editor)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        note = QLabel(_(row.hint) if row.hint else "", self.form)
        note.setStyleSheet(f"color: {MUTED};")
        error = FieldErrorLabel(self.form)
        cell = QHBoxLayout()  # the hint right after its editor, whatever the editor's width
        cell.setSpacing(10)
        cell.addWidget(editor)
        cell.addWidget(note)
        cell.addStretch(1)
        grid.addWidget(label, line, 0)
        grid.addLayout(cell, line, 1)
        grid.addWidget(error, line + 1, 1)
        self.editors[row.name] = editor
        self.errors[row.name] = error

    def _spin(self, row: _Row) -> QSpinBox:
        spin = QSpinBox(self.form)
        spin.setRange(*limits(row.name))
        spin.setSuffix(" " + _(row.unit))
        spin.setFixedWidth(SPIN_WIDTH)
        spin.setAccelerated(True)
        if row.name == "password_expiry_days":
            spin.setSpecialValueText(_("Never"))
        spin.valueChanged.connect(lambda _value: self._on_edited(row.name))
        return spin

    def _combo(self, row: _Row) -> ValueComboBox:
        combo = ValueComboBox(self.form)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for value, label in (row.options or {}).items():
            combo.add_option(_(label), value)
        combo.activated.connect(lambda _index: self._on_edited(row.name))
        return combo

    # -- state -------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def changes(self) -> dict[str, Any]:
        if self.policy is None:
            return {}
        saved = self.policy.model_dump()
        return {name: value for name, value in self.values().items() if value != saved[name]}

    def set_value(self, name: str, value: Any) -> None:
        """As if typed or chosen (tests and keyboard automation)."""
        _put(self.editors[name], value)
        self._on_edited(name)

    def _fill(self, policy: SecurityPolicy) -> None:
        self.policy = policy
        for name, editor in self.editors.items():
            editor.blockSignals(True)
            _put(editor, getattr(policy, name))
            editor.blockSignals(False)
            self.errors[name].set_error(None)
        self._update_buttons()

    def _on_edited(self, name: str) -> None:
        if name in self.errors:
            self.errors[name].set_error(None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.form.setEnabled(self.policy is not None)
        self.save_button.setEnabled(bool(self.changes()))

    # -- loading and saving ------------------------------------------------------------------

    def load(self) -> None:
        self._retry = self.load
        (
            self._ctx.tasks.query(self, lambda api: api.security_policy())
            .success(self._on_loaded)
            .failure(self._on_save_failed)
            .with_progress(_("Loading…"))
            .run()
        )

    def _on_loaded(self, policy: SecurityPolicy) -> None:
        self.banner.clear()
        self._fill(policy)
        self.sig_loaded.emit()

    def save(self) -> None:
        changes = self.changes()
        if self.policy is None or not changes:
            return
        self._send(changes, self.policy.version)

    def _send(self, changes: dict[str, Any], version: int) -> None:
        self._retry = lambda: self._send(changes, version)
        self.banner.clear()
        self.save_button.setEnabled(False)
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.update_security_policy(version, changes), POLICY)
            .success(self._on_saved)
            .failure(self._on_save_failed)
            .finished(self._update_buttons)
            .with_progress(_("Saving…"))
            .run()
        )

    def _on_saved(self, policy: SecurityPolicy) -> None:
        self._fill(policy)
        self.banner.show_message(_("The security settings have been saved."), None,
                                 BannerLevel.INFO)
        self.sig_saved.emit(policy)

    def _resolve_conflict(self, error: StaleVersion) -> None:
        raw = (error.data or {}).get("current")
        box = QMessageBox(QMessageBox.Icon.Warning, _("Changed by someone else"), _(
            "Someone else saved the security settings after you opened them. Nothing has "
            "been saved. Load their settings, then make your changes again?"), parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Ok).setText(_("Reload"))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(result: int) -> None:
            if result != QMessageBox.StandardButton.Ok:
                return
            if raw:
                self._fill(SecurityPolicy.model_validate(raw))
            else:
                self.load()

        box.finished.connect(answered)
        self.conflict_box = box
        box.open()


def _put(editor: QSpinBox | ValueComboBox, value: Any) -> None:
    if isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    else:
        editor.set_value(value)
