"""Editors of text offered from a list, free text still allowed: a province, city or
district from the shipped administrative divisions, chained so that each narrows the next
(``link_regions``), and a field offered from another entity's active records
(``FieldSpec.choices_from``: a customer's industry)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from crm_client.core.i18n import _
from crm_client.widgets.editor_base import PAGE_MAXIMUM, FieldEditor
from crm_client.widgets.suggest_combo import SuggestCombo
from crm_common.cleansing.regions import cities, districts, provinces, read_region
from crm_common.entities import FieldSpec, entity
from crm_common.entities.spec import Format
from crm_common.permissions import Action

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

REGION_FORMATS = (Format.PROVINCE, Format.CITY, Format.DISTRICT)


class SuggestEditor(FieldEditor):
    """Text with names to pick from (``widgets.suggest_combo``); other text is allowed."""

    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        combo = SuggestCombo(parent)
        combo.edit().setPlaceholderText(_(field.placeholder) if field.placeholder else "")
        super().__init__(field, combo)
        self.combo = combo
        combo.sig_edited.connect(self.sig_changed)

    def value(self) -> str | None:
        return self.combo.text() or None

    def set_value(self, value: Any, display: str | None = None) -> None:
        self.combo.set_text("" if value is None else str(value))


class RegionEditor(SuggestEditor):
    """A province, city or district (the field's ``Format``), offered from the shipped
    divisions of the province or city above it (``link_regions``). A short form typed (广东,
    南山) becomes the division's full name when the person leaves the field."""

    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        super().__init__(field, parent)
        self._context: tuple[str | None, str | None] = (None, None)
        self.combo.edit().editingFinished.connect(self._tidy)

    def narrow(self, province: str | None, city: str | None) -> None:
        """Offer the divisions within ``province`` and ``city`` as typed (广东 is 广东省)."""
        self._context = (province, city)
        region = read_region(province, city)
        if self.field.format is Format.PROVINCE:
            self.combo.set_options(provinces())
        elif self.field.format is Format.CITY:
            self.combo.set_options(cities(region.province.value))
        else:
            self.combo.set_options(districts(region.province.value, region.city.value))

    def _tidy(self) -> None:
        text = self.combo.text()
        province, city = self._context
        if self.field.format is Format.PROVINCE:
            read = read_region(text).province
        elif self.field.format is Format.CITY:
            read = read_region(province, text).city
        else:
            read = read_region(province, city, text).district
        if text and read.note is None and read.value != text:
            self.combo.set_text(read.value)
            self.sig_changed.emit()


def link_regions(editors: Iterable[FieldEditor]) -> None:
    """Chain a form's province, city and district: choosing a province narrows the cities
    (and districts), choosing a city the districts."""
    parts = {e.field.format: e for e in editors if isinstance(e, RegionEditor)}
    province, city, district = (parts.get(part) for part in REGION_FORMATS)

    def narrow(*below: RegionEditor | None) -> None:
        context = (province.value() if province else None, city.value() if city else None)
        for editor in below:
            if editor is not None:
                editor.narrow(*context)

    if province is not None:
        province.sig_changed.connect(lambda: narrow(city, district))
    if city is not None:
        city.sig_changed.connect(lambda: narrow(district))
    narrow(province, city, district)


class ListedEditor(SuggestEditor):
    """Text offered from the active records of another entity (``FieldSpec.choices_from``:
    a customer's industry from the industry list), in that list's order."""

    def __init__(self, ctx: AppContext, field: FieldSpec, parent: QWidget) -> None:
        super().__init__(field, parent)
        spec = entity(field.choices_from or "")
        if not ctx.can(spec.key, Action.READ):
            return
        params: dict[str, Any] = {"limit": PAGE_MAXIMUM, "sort": spec.default_sort}
        if any(f.name == "is_active" for f in spec.fields):
            params["is_active"] = True
        (
            ctx.tasks.query(self.combo, lambda api: api.list(spec, params))
            .success(lambda page: self.combo.set_options(
                str(getattr(record, spec.title_field)) for record in page.items))
            .run()
        )
