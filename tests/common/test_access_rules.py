"""The access rules common holds for both sides: every field a read schema carries is
declared (so the server's fail-closed ``present`` can emit it), and one ``refusal`` says
why an action is refused, for the server to enforce and the client to mirror."""

from __future__ import annotations

import pytest

from crm_common.entities import REGISTRY, EntitySpec
from crm_common.permissions import Action, DataScope, EntityGrant, Permissions
from crm_common.schemas.base import RecordRead


@pytest.mark.parametrize("spec", list(REGISTRY.values()), ids=lambda s: s.key)
def test_every_read_field_is_declared(spec: EntitySpec) -> None:
    declared = {f.name for f in spec.fields} | {f.display for f in spec.fields if f.display}
    undeclared = set(spec.read.model_fields) - set(RecordRead.model_fields) - declared
    assert not undeclared, f"{spec.key}: read fields the declaration does not know"


def _granting(key: str, *actions: Action) -> Permissions:
    return Permissions(entities={key: EntityGrant(
        actions={action: DataScope.OWN for action in actions})})


def test_a_role_may_what_it_grants_and_nothing_else() -> None:
    customer = REGISTRY["customer"]
    rep = _granting("customer", Action.READ, Action.CREATE)
    assert rep.refusal(customer, Action.READ) is None
    assert rep.refusal(customer, Action.CREATE) is None
    assert rep.refusal(customer, Action.DELETE) == "Your role does not allow this"
    assert rep.refusal(REGISTRY["contact"], Action.READ) == "Your role does not allow this"


def test_records_of_what_happened_are_never_written() -> None:
    audit = REGISTRY["audit"]
    for grants in (Permissions(admin=True), _granting("audit", *Action)):
        assert grants.refusal(audit, Action.READ) is None
        for action in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.IMPORT):
            assert grants.refusal(audit, action) == "These records cannot be changed"


def test_roles_are_written_by_administrators_only() -> None:
    role = REGISTRY["role"]
    everything = _granting("role", *Action)
    assert everything.refusal(role, Action.READ) is None
    assert everything.refusal(role, Action.UPDATE) == "Only administrators may do this"
    assert Permissions(admin=True).refusal(role, Action.UPDATE) is None
