"""roles with data scopes and field rights, the security policy, sign-in attempts

A user's single ``role`` column becomes one or more roles. The built-in roles are created
here with their keys, and every existing user keeps the role they had; the built-in roles'
grants are filled in by ``crm_server.security.roles.ensure_builtin`` after migrating.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
STAMP = sa.DateTime(timezone=True)

# The foundation's role values and the built-in role each becomes.
OLD_ROLES = {
    "admin": ("administrator", "系统管理员"),
    "manager": ("sales_manager", "销售经理"),
    "sales": ("sales_rep", "销售代表"),
    "finance": ("finance", "财务"),
    "service": ("service_dispatcher", "服务调度"),
}


def _record_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.Column("deleted_at", STAMP, nullable=True),
    ]


def upgrade() -> None:
    role = op.create_table(
        "role",
        sa.Column("key", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("permissions", JSON, nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role")),
        sa.UniqueConstraint("key", name=op.f("uq_role_key")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE role ALTER COLUMN name TYPE varchar(64) COLLATE "zh-x-icu"')
    op.create_index("ix_role_name_id", "role", ["name", "id"])
    op.create_index(op.f("ix_role_created_at"), "role", ["created_at"])

    op.create_table(
        "user_role",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("role_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_user_role_user_id_user_account")),
        sa.ForeignKeyConstraint(["role_id"], ["role.id"], name=op.f("fk_user_role_role_id_role")),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_role")),
    )
    op.create_index(op.f("ix_user_role_role_id"), "user_role", ["role_id"])

    policy = op.create_table(
        "security_policy",
        sa.Column("password_min_length", sa.Integer(), nullable=False),
        sa.Column("password_classes", sa.Integer(), nullable=False),
        sa.Column("password_expiry_days", sa.Integer(), nullable=False),
        sa.Column("lockout_threshold", sa.Integer(), nullable=False),
        sa.Column("lockout_minutes", sa.Integer(), nullable=False),
        sa.Column("session_absolute_hours", sa.Integer(), nullable=False),
        sa.Column("session_idle_minutes", sa.Integer(), nullable=False),
        sa.Column("duplicate_policy", sa.String(length=8), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_policy")),
    )
    op.create_index(op.f("ix_security_policy_created_at"), "security_policy", ["created_at"])

    op.create_table(
        "login_attempt",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index("ix_login_attempt_address_at", "login_attempt", ["client_address", "at"])
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "at"])

    # Plain ALTER TABLE, no batch copy: SQLite (3.35+) adds and drops these columns in place,
    # where a batch copy of user_account would break the foreign keys that point at it.
    op.add_column("user_account", sa.Column("password_changed_at", STAMP, nullable=True))
    op.add_column("user_account", sa.Column("must_change_password", sa.Boolean(),
                                            nullable=False, server_default=sa.false()))

    now = datetime.now(UTC)
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    op.bulk_insert(policy, [{
        "id": 1, "password_min_length": 8, "password_classes": 2, "password_expiry_days": 0,
        "lockout_threshold": 5, "lockout_minutes": 15, "session_absolute_hours": 12,
        "session_idle_minutes": 120, "duplicate_policy": "warn", **stamps}])
    op.bulk_insert(role, [
        {"key": key, "name": name, "is_builtin": True, "permissions": {}, **stamps}
        for key, name in OLD_ROLES.values()])
    bind = op.get_bind()
    for old, (key, _) in OLD_ROLES.items():
        bind.execute(sa.text(
            "INSERT INTO user_role (user_id, role_id) "
            "SELECT u.id, r.id FROM user_account u, role r WHERE u.role = :old AND r.key = :key"
        ), {"old": old, "key": key})
    op.drop_column("user_account", "role")


def downgrade() -> None:
    op.add_column("user_account", sa.Column("role", sa.String(length=16), nullable=False,
                                            server_default="sales"))
    bind = op.get_bind()
    for old, (key, _) in OLD_ROLES.items():
        bind.execute(sa.text(
            "UPDATE user_account SET role = :old WHERE id IN (SELECT ur.user_id FROM user_role "
            "ur JOIN role r ON r.id = ur.role_id WHERE r.key = :key)"), {"old": old, "key": key})
    op.drop_column("user_account", "must_change_password")
    op.drop_column("user_account", "password_changed_at")
    op.drop_table("login_attempt")
    op.drop_table("security_policy")
    op.drop_table("user_role")
    op.drop_table("role")
