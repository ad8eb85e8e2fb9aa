"""The import wizard's mapping page: one row per column of the sheet — its heading, a few
sample values and the field it goes to (or "do not import") — with the required fields
left unmapped and fields mapped twice flagged, and named mapping templates: choose one to
map by headings, save the current mapping as one, delete one."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from crm_client.admin.common import titled_table
from crm_client.api.imports import MappingTemplate
from crm_client.core.i18n import N_, _
from crm_client.views.import_results import ERROR_STYLE, column_letter
from crm_client.views.import_session import ImportSession
from crm_client.widgets.value_combo import CellComboBox, ValueComboBox
from crm_common.schemas.imports import Layout, LayoutColumn

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

MAPPINGS = "import_mapping"  # the entity of mapping templates (its changes are announced)
COLUMNS = (N_("Column"), N_("Sample values"), N_("Import as"))
WIDTHS = (200, 300, 220)
SAMPLES_SHOWN = 3


class MappingPage(QWizardPage):
    """``isComplete`` once every required field is mapped, none twice and one at least."""

    def __init__(self, ctx: AppContext, session: ImportSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.session = ctx, session
        self.templates: list[MappingTemplate] = []
        self._shown_layout: Layout | None = None
        self.setTitle(_("Map the columns"))
        self.setSubTitle(_("Choose the field each column goes to (* required). Columns set "
                           "to “do not import” are left out."))
        self.template_box = ValueComboBox(self)
        self.template_box.setMinimumWidth(220)
        self.template_box.activated.connect(lambda _index: self._apply_chosen_template())
        self.save_button = QPushButton(_("&Save as template…"), self)
        self.save_button.clicked.connect(self.save_template)
        self.delete_button = QPushButton(_("&Delete template"), self)
        self.delete_button.clicked.connect(self.delete_template)
        self.table = QTableWidget(0, len(COLUMNS), self)
        titled_table(self.table, COLUMNS, WIDTHS, 1)
        self.table.verticalHeader().setDefaultSectionSize(32)
        # Tab walks from field to field (the combos), not from cell to cell.
        self.table.setTabKeyNavigation(False)
        cast(QApplication, QApplication.instance()).focusChanged.connect(self._focus_moved)
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(ERROR_STYLE)
        self._build()

    def _build(self) -> None:
        for button in (self.save_button, self.delete_button):
            button.setAutoDefault(False)
        templates = QHBoxLayout()
        label = QLabel(_("&Template:"), self)
        label.setBuddy(self.template_box)
        templates.addWidget(label)
        templates.addWidget(self.template_box)
        templates.addWidget(self.save_button)
        templates.addWidget(self.delete_button)
        templates.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(templates)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warning)

    # -- the table ---------------------------------------------------------------------------

    def initializePage(self) -> None:
        """A new layout (another file, sheet or header row) starts from the automatic
        mapping; coming back to the same layout keeps the choices made."""
        if self.session.layout is not self._shown_layout:
            self._shown_layout = self.session.layout
            self.session.mapping = self.session.automatic_mapping()
            self._fill_table()
        self.load_templates()

    def _fill_table(self) -> None:
        columns = self.session.layout.columns if self.session.layout else []
        self.table.setRowCount(len(columns))
        for row, column in enumerate(columns):
            heading = f"{column_letter(column.index)}  {column.heading}".rstrip()
            samples = " · ".join(s for s in column.samples[:SAMPLES_SHOWN] if s)
            for index, text in enumerate((heading, samples)):
                item = QTableWidgetItem(text)
                item.setToolTip("\n".join(column.samples) if index else column.heading)
                self.table.setItem(row, index, item)
            self.table.setCellWidget(row, 2, self._field_box(column))
        self._show_problems()

    def _field_box(self, column: LayoutColumn) -> CellComboBox:
        box = CellComboBox()
        box.add_option(_("— do not import —"), None)
        items = cast(QStandardItemModel, box.model())
        for spec in self.session.fields.values():
            label = f"{spec.label} *" if spec.required else spec.label
            if not spec.writable:
                label = _("{field} (read-only)").format(field=label)
            box.add_option(label, spec.name)
            items.item(box.count() - 1).setEnabled(spec.writable)
        box.set_value(self.session.mapping.get(column.index))
        box.currentIndexChanged.connect(lambda _i: self._choose(column.index, box.value()))
        return box

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        """A field reached with Tab shows its row (a sheet may have 60 columns)."""
        for row in range(self.table.rowCount()):
            if new is not None and self.table.cellWidget(row, 2) is new:
                self.table.setCurrentCell(row, 2)
                return

    def field_box(self, row: int) -> CellComboBox:
        return cast(CellComboBox, self.table.cellWidget(row, 2))

    def _choose(self, index: int, name: str | None) -> None:
        if name:
            self.session.mapping[index] = name
        else:
            self.session.mapping.pop(index, None)
        self._show_problems()

    def _show_problems(self) -> None:
        lines = []
        missing = self.session.missing_required()
        if missing:
            lines.append(_("Required fields not mapped: {fields}").format(
                fields=", ".join(f.label for f in missing)))
        twice = self.session.mapped_twice()
        if twice:
            lines.append(_("Mapped to more than one column: {fields}").format(
                fields=", ".join(f.label for f in twice)))
        if not self.session.mapping and self.session.layout is not None:
            lines.append(_("Map at least one column."))
        self.warning.setText("\n".join(lines))
        self.warning.setVisible(bool(lines))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return (bool(self.session.mapping) and not self.session.missing_required()
                and not self.session.mapped_twice())

    # -- templates ---------------------------------------------------------------------------

    def load_templates(self, select: str | None = None) -> None:
        entity = self.session.spec.key
        (self.ctx.tasks.query(self, lambda api: api.import_mappings(entity))
         .success(lambda found: self._show_templates(found, select))
         .with_progress(_("Loading the mapping templates…"))
         .run())

    def _show_templates(self, templates: list[MappingTemplate], select: str | None) -> None:
        self.templates = templates
        chosen = select or self.template_box.currentText()
        self.template_box.clear_options()
        self.template_box.add_option(_("(none)"), None)
        for template in templates:
            self.template_box.add_option(template.name, template)
        self.template_box.setCurrentIndex(max(self.template_box.findText(chosen), 0))
        self.delete_button.setEnabled(self.chosen_template() is not None)

    def chosen_template(self) -> MappingTemplate | None:
        chosen: MappingTemplate | None = self.template_box.value()
        return chosen

    def _apply_chosen_template(self) -> None:
        template = self.chosen_template()
        self.delete_button.setEnabled(template is not None)
        if template is not None:
            self.apply_template(template)

    def apply_template(self, template: MappingTemplate) -> None:
        """Map every column whose heading the template knows; leave out the others."""
        columns = self.session.layout.columns if self.session.layout else []
        for row, column in enumerate(columns):
            name = template.columns.get(column.heading)
            self.field_box(row).set_value(name)

    def template_columns(self) -> dict[str, str]:
        """The current mapping by heading (columns without a heading cannot be saved)."""
        columns = self.session.layout.columns if self.session.layout else []
        return {c.heading: self.session.mapping[c.index] for c in columns
                if c.index in self.session.mapping and c.heading}

    def save_template(self) -> None:
        current = self.chosen_template()
        name, ok = QInputDialog.getText(self, _("Save as template"), _("Template name:"),
                                        text=current.name if current else "")
        name = name.strip()
        if not ok or not name:
            return
        existing = next((t for t in self.templates if t.name == name), None)
        if existing is not None and QMessageBox.question(
                self, _("Save as template"),
                _("Replace the template “{name}”?").format(name=name),
        ) != QMessageBox.StandardButton.Yes:
            return
        entity, columns = self.session.spec.key, self.template_columns()
        (self.ctx.tasks.mutation(
            self, lambda api: api.save_import_mapping(entity, name, columns, existing),
            MAPPINGS, lambda saved: [saved.id])
         .success(lambda saved: self.load_templates(select=saved.name))
         .with_progress(_("Saving the template…"))
         .run())

    def delete_template(self) -> None:
        template = self.chosen_template()
        if template is None or QMessageBox.question(
                self, _("Delete template"),
                _("Delete the template “{name}”?").format(name=template.name),
        ) != QMessageBox.StandardButton.Yes:
            return
        (self.ctx.tasks.mutation(self, lambda api: api.delete_import_mapping(template),
                                 MAPPINGS, lambda _none: [template.id])
         .success(lambda _none: self.load_templates(select=""))
         .with_progress(_("Deleting the template…"))
         .run())
