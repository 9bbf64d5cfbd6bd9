"""spot checks: the second person of a dice draw confirms the value with their own account
(who confirmed, by user id); a drawn record's findings carry a version (the findings form's
intent/version pattern)

Revision ID: 0008_i15_second_confirm
Revises: 0007_i16_login_lock
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_i15_second_confirm"
down_revision = "0007_i16_login_lock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision. SQLite adds the column in place (ALTER TABLE ADD COLUMN … REFERENCES):
    rebuilding spot_checks would cascade-delete its items and grades."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE spot_checks ADD COLUMN second_user_id INTEGER REFERENCES users(id)")
        op.execute("ALTER TABLE spot_check_items ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
        return
    op.add_column("spot_checks", sa.Column("second_user_id", sa.Integer(), nullable=True))
    op.create_foreign_key("fk_spot_checks_second_user_id", "spot_checks", "users", ["second_user_id"], ["id"])
    op.add_column("spot_check_items", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    """Revert this revision (on SQLite this rebuilds spot_checks: back up first)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint("fk_spot_checks_second_user_id", "spot_checks", type_="foreignkey")
    with op.batch_alter_table("spot_check_items", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.drop_column("second_user_id")
