"""login throttling a stranger cannot turn against a user: when an account's failures reached the
ceiling (locked for clients it never logged in from) and when an admin last unlocked it

Revision ID: 0007_i16_login_lock
Revises: 0006_i14_bodies
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i16_login_lock"
down_revision = "0006_i14_bodies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("login_locked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("login_unlocked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("login_unlocked_at")
        batch_op.drop_column("login_locked_at")
