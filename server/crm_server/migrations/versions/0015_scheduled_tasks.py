"""scheduled tasks: the ``scheduled_task`` table, and jobs with no starter (the system's)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 05:54:57.660598
"""

from __future__ import annotations

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
    """``job.started_by_id`` made (not) nullable. SQLite rebuilds the table, whose rows
    imports refer to: their foreign keys are checked when the transaction ends, by then
    against the rebuilt table."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.alter_column('started_by_id', existing_type=ID, nullable=nullable)


def downgrade() -> None:
    with op.batch_alter_table('scheduled_task', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_task_name')
        batch_op.drop_index(batch_op.f('ix_scheduled_task_created_at'))

    op.drop_table('scheduled_task')
    op.execute("DELETE FROM job WHERE started_by_id IS NULL")  # the scheduler's
    _job_starter(nullable=False)
