"""The screen registry: generic views name no entity, and per-entity extensions of the form
hook in where they are registered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from crm_client.views import entity_form, entity_list, main_window, navigation, screens
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.form_extension import FormExtension
from crm_common.entities import REGISTRY, FieldSpec, entity
from crm_common.errors import ApiError, Conflict

GENERIC_MODULES = (entity_form, entity_list, main_window, navigation, screens)
_ICON_CALL = re.compile(r'icon\("\w+"')  # icon names are file names, not entity keys


@pytest.mark.parametrize("module", GENERIC_MODULES, ids=lambda m: m.__name__)
def test_generic_views_name_no_entity(module: Any) -> None:
    source = _ICON_CALL.sub("", Path(module.__file__).read_text(encoding="utf-8"))
    named = [key for key in REGISTRY if f'"{key}"' in source or f"'{key}'" in source]
    assert named == []


class _Probe(FormExtension):
    """Records what the form asked of it."""

    def __init__(self, form: EntityFormDialog) -> None:
        super().__init__(form)
        self.ready_with: list[str] = []
        self.failures: list[ApiError] = []
        self.note = QLabel("probe banner", form)
        self.button = QPushButton("Probe", form)

    def extra_fields(self) -> list[FieldSpec]:
        return [FieldSpec("probe_code", "Probe code")]

    def banner(self) -> QWidget | None:
        return self.note

    def buttons(self) -> list[QPushButton]:
        return [self.button]

    def fields_ready(self) -> None:
        self.ready_with = list(self.form.editors)

    def handle_save_failure(self, error: ApiError) -> bool:
        self.failures.append(error)
        return True


@pytest.fixture
def probed(monkeypatch: Any) -> Iterator[None]:
    """``_Probe`` registered for departments for one test (the real registrations stay)."""
    screens._load_overrides()
    monkeypatch.setattr(screens, "_FORMS", {k: list(v) for k, v in screens._FORMS.items()})
    screens.register_form("department", _Probe)
    yield


def test_a_registered_form_extension_hooks_into_the_generic_form(
    qtbot: Any, make_context: Any, admin_api: Any, probed: None
) -> None:
    form = EntityFormDialog(make_context(admin_api), entity("department"), None)
    qtbot.addWidget(form)
    probe = form.extension(_Probe)

    assert probe is not None
    assert list(form.editors)[:2] == ["name", "probe_code"]  # after the first declared field
    assert probe.ready_with == list(form.editors)
    assert probe.button in form.extra_buttons
    assert form.isAncestorOf(probe.note)
    assert form._on_save_failed(Conflict("busy"))
    assert [str(e) for e in probe.failures] == ["busy"]


def test_an_entity_without_registrations_gets_the_generic_screens() -> None:
    assert screens.list_screen("contact") is None
    assert not screens.has_record_screen("contact")
    assert screens.has_record_screen("customer")
    assert screens.list_screen("department") is not None

