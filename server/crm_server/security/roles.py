"""The built-in roles and their default grants, and a user's effective permissions.

Built-in roles are seeded (and kept complete when new entities arrive) by ``ensure_builtin``
after every migration; an administrator may edit them, and their edits are kept: only
entities a stored role does not mention yet receive the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.entities import REGISTRY
from crm_common.permissions import DataScope, EntityGrant, Permissions, grant
from crm_server.models import Department, Role, User, UserRole
from crm_server.security.principal import Principal


@dataclass(frozen=True)
class BuiltinRole:
    """A role every installation has. Its grants are declared with each entity
    (``EntitySpec.roles``); ``default`` is its grant of an entity that names it not
    (the auditor reads everything)."""

    key: str
    name: str
    description: str
    admin: bool = False
    default: EntityGrant | None = None
    former: tuple[str, ...] = ()  # earlier descriptions, replaced on upgrade


BUILTIN: tuple[BuiltinRole, ...] = (
    BuiltinRole("administrator", "系统管理员", "全部权限，含管理控制台", admin=True),
    BuiltinRole("sales_manager", "销售经理", "管理本部门及下级部门的客户、联系人与跟进记录",
                former=("管理本部门及下级部门的客户与商机",)),
    BuiltinRole("sales_rep", "销售代表", "只看自己的客户；不能把客户转给他人"),
    BuiltinRole("finance", "财务", "查看全部客户、联系人与跟进记录，不能修改客户",
                former=("查看全部客户与金额，不能修改客户",)),
    BuiltinRole("service_dispatcher", "服务调度", "查看全部客户，维护联系人，记录服务跟进",
                former=("查看全部客户，维护联系人，派工",)),
    BuiltinRole("service_engineer", "服务工程师", "查看客户地址与联系人，记录自己的服务"),
    BuiltinRole("auditor", "审计员", "只读查看全部数据与操作日志，不能修改",
                default=grant(DataScope.ALL)),
)



def default_permissions(role: BuiltinRole) -> Permissions:
    entities = {key: spec.roles.get(role.key, role.default)
                for key, spec in REGISTRY.items()}
    return Permissions(admin=role.admin,
                       entities={k: v for k, v in entities.items() if v and v.actions})


def ensure_builtin(session: Session) -> None:
    """Create missing built-in roles; give existing ones defaults for entities they do not
    mention yet (an entity added by an upgrade). An administrator's edits are kept."""
    stored = {role.key: role for role in session.scalars(
        select(Role).where(Role.key.is_not(None)))}
    for builtin in BUILTIN:
        defaults = default_permissions(builtin)
        role = stored.get(builtin.key)
        if role is None:
            session.add(Role(key=builtin.key, name=builtin.name, is_builtin=True,
                             description=builtin.description,
                             permissions=defaults.model_dump(mode="json")))
            continue
        if not role.description or role.description in builtin.former:
            role.description = builtin.description  # an administrator's own text stays
        if not role.permissions:  # made by a migration, never set: all the defaults
            role.permissions = defaults.model_dump(mode="json")
            continue
        current = Permissions.model_validate(role.permissions)
        missing = {k: v for k, v in defaults.entities.items() if k not in current.entities}
        if missing:
            current.entities.update(missing)
            role.permissions = current.model_dump(mode="json")
    session.flush()


def permissions_of(session: Session, user_id: int) -> Permissions:
    """The merged grants of the user's live roles (most permissive wins)."""
    stored = session.scalars(
        select(Role.permissions).join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id, Role.deleted_at.is_(None)))
    return Permissions.merge(Permissions.model_validate(item) for item in stored)


def role_permissions(session: Session, role_id: int) -> Permissions | None:
    stored: Any = session.scalar(select(Role.permissions).where(
        Role.id == role_id, Role.deleted_at.is_(None)))
    return None if stored is None else Permissions.model_validate(stored)


def members(session: Session, departments: frozenset[int],
            department_id: int | None) -> tuple[frozenset[int], frozenset[int]]:
    """The users of ``department_id`` alone, and of all ``departments``."""
    rows = session.execute(select(User.id, User.department_id).where(
        User.department_id.in_(departments))).all() if departments else []
    return (frozenset(uid for uid, dept in rows if dept == department_id),
            frozenset(uid for uid, _ in rows))


def subtree(session: Session, department_id: int | None) -> frozenset[int]:
    """``department_id`` and every department below it (the tree is small: one query)."""
    if department_id is None:
        return frozenset()
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in session.execute(
            select(Department.id, Department.parent_id).where(Department.deleted_at.is_(None))):
        children.setdefault(parent_id, []).append(dept_id)
    found, todo = {department_id}, [department_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def principal(session: Session, user: User, permissions: Permissions | None = None,
              **extra: Any) -> Principal:
    """``user`` as the access rules see them: their roles' grants (or ``permissions``),
    their department subtree and the people in it."""
    below = subtree(session, user.department_id)
    colleagues, team = members(session, below, user.department_id)
    grants = permissions if permissions is not None else permissions_of(session, user.id)
    return Principal(user.id, user.username, user.name, user.department_id, grants,
                     below, colleagues, team, **extra)
