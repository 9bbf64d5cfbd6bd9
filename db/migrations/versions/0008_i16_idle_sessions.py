"""the idle timeout ends a login on the server: each login (user, start of its cookie) and when
it was last used, so the same cookie copied to another browser is refused after the timeout too

Revision ID: 0008_i16_idle_sessions
Revises: 0008_i15_second_confirm
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_i16_idle_sessions"
down_revision = "0008_i15_second_confirm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "login_sessions",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("started_at", sa.DateTime(), primary_key=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_sessions_seen", "login_sessions", ["last_seen_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_login_sessions_seen", table_name="login_sessions")
    op.drop_table("login_sessions")
