"""Screens that replace or extend the generic ones for some entities: registered, not chosen.

A plain entity needs no client code: its navigation page (where its declaration's ``nav``
puts it) is an ``EntityListView`` and its records open in the ``EntityFormDialog``. An
entity that behaves differently registers, from its own module:

* ``register_list(key, factory, shown=…)``: its navigation page (the department tree, the
  user list with its sessions and password reset, the audit log of non-administrators);
* ``register_record(key, factory)``: its records open in a tab of their own (customer 360°);
* ``register_form(key, extension)``: additions to its generic form (``FormExtension``: a
  user's password reset, the duplicate check of a new customer).

The modules that register are imported on the first question (``_load_overrides``), so
generic views can ask "does this entity have its own view?" without importing every custom
screen at start-up and without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from crm_client.core.context import AppContext
    from crm_client.views.entity_form import EntityFormDialog
    from crm_client.views.form_extension import FormExtension
    from crm_common.entities import EntitySpec

ListFactory = Callable[["AppContext", "EntitySpec"], "QWidget"]
RecordFactory = Callable[["AppContext", int, "QWidget | None"], "QWidget"]
FormExtensionFactory = Callable[["EntityFormDialog"], "FormExtension"]


def _always(_ctx: AppContext) -> bool:
    return True


@dataclass(frozen=True)
class ListScreen:
    """A navigation page replacing the generic list; ``shown`` says for whom (on top of the
    right to read the entity)."""

    factory: ListFactory
    shown: Callable[[AppContext], bool] = _always


_LISTS: dict[str, ListScreen] = {}
_RECORDS: dict[str, RecordFactory] = {}
_FORMS: dict[str, list[FormExtensionFactory]] = {}
_loaded = False


def register_list(key: str, factory: ListFactory,
                  shown: Callable[[AppContext], bool] = _always) -> None:
    _LISTS[key] = ListScreen(factory, shown)


def register_record(key: str, factory: RecordFactory) -> None:
    _RECORDS[key] = factory


def register_form(key: str, extension: FormExtensionFactory) -> None:
    _FORMS.setdefault(key, []).append(extension)


def list_screen(key: str) -> ListScreen | None:
    """The registered page of entity ``key``, None for the generic list."""
    _load_overrides()
    return _LISTS.get(key)


def has_record_screen(key: str) -> bool:
    """True when records of ``key`` open in a view of their own rather than the form."""
    _load_overrides()
    return key in _RECORDS


def record_screen(ctx: AppContext, key: str, record_id: int,
                  parent: QWidget | None = None) -> QWidget | None:
    """The view of one record (the customer 360°), None when the entity has none."""
    _load_overrides()
    factory = _RECORDS.get(key)
    return None if factory is None else factory(ctx, record_id, parent)


def form_extensions(form: EntityFormDialog, key: str) -> list[FormExtension]:
    """The extensions registered for the form of ``key``, made for ``form``."""
    _load_overrides()
    return [make(form) for make in _FORMS.get(key, ())]


def _load_overrides() -> None:
    """Import the modules that register screens (each registers itself when imported)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from crm_client.admin import audit_page  # noqa: F401
    from crm_client.domains import customer360, customer_duplicates  # noqa: F401
    from crm_client.views import department_tree, user_admin  # noqa: F401
