"""every record-changing form refuses a stale page: a version column (optimistic locking) on the
tables whose forms had none — users, attendance rows, terms, offices, groups, districts,
mailboxes, report plans, rectification items and quarterly summaries

Revision ID: 0008_i12_versions
Revises: 0008_i16_idle_sessions
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_i12_versions"
down_revision = "0008_i16_idle_sessions"
branch_labels = None
depends_on = None

TABLES = ("users", "attendance", "terms", "offices", "deputy_groups", "districts", "mailboxes",
          "report_plans", "rectifications", "quarterly_summaries")


def upgrade() -> None:
    """Apply this revision: every existing row starts at version 1."""
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    """Revert this revision."""
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
