"""rectification items opened by a spot check's grading are marked as such (not by their text)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_by_grading", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # the items the grading opened so far are those it wrote with its prefix (the last time the
    # text decides: from now on the column does)
    rect = sa.table("rectifications", sa.column("source", sa.String()), sa.column("content", sa.Text()),
                    sa.column("opened_by_grading", sa.Boolean()))
    op.get_bind().execute(rect.update().where(rect.c.source == "抽查", rect.c.content.like("【抽查评定】%"))
                          .values(opened_by_grading=True))
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.alter_column("opened_by_grading", server_default=None)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.drop_column("opened_by_grading")
