"""scheduled tasks: the ``scheduled_task`` table, and jobs with no starter (the system's)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 05:54:57.660598
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('scheduled_task',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('schedule', sa.String(length=32), nullable=True),
    sa.Column('last_slot', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_job_id', ID, nullable=True),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['last_job_id'], ['job.id'], name=op.f('fk_scheduled_task_last_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_task'))
    )
    with op.batch_alter_table('scheduled_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduled_task_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_scheduled_task_name', ['name'], unique=True)

    _job_starter(nullable=True)


def _job_starter(nullable: bool) -> None:
    """``job.started_by_id`` made (not) nullable. SQLite cannot alter a column, and
    rebuilding the table (batch mode) would break the foreign keys of the imports that
    refer to its rows; for a NOT NULL constraint alone its documented way is to edit the
    table's definition in place (https://sqlite.org/lang_altertable.html, "otheralter"),
    within the migration's transaction."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column('job', 'started_by_id', existing_type=ID, nullable=nullable)
        return
    definition = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'job'").scalar_one()
    column = re.compile(r"(started_by_id [A-Z]+)( NOT NULL)?")
    changed = column.sub(r"\1" if nullable else r"\1 NOT NULL", definition, count=1)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'job'",
                         (changed,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    assert bind.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


def downgrade() -> None:
    with op.batch_alter_table('scheduled_task', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_task_name')
        batch_op.drop_index(batch_op.f('ix_scheduled_task_created_at'))

    op.drop_table('scheduled_task')
    op.execute("DELETE FROM job WHERE started_by_id IS NULL")  # the scheduler's
    _job_starter(nullable=False)
