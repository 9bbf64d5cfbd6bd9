"""the office's working calendar (工作日历) and a clock on every opinion

Revision ID: 0004_i13_calendar
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i13_calendar"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=True),
        sa.CheckConstraint("kind in ('放假','调休上班')", name="ck_calendar_day_kind"),
        sa.ForeignKeyConstraint(["year"], ["calendar_years.year"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )
    op.create_index(op.f("ix_calendar_days_year"), "calendar_days", ["year"], unique=False)
    with op.batch_alter_table("opinions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("round_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_days", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("forward_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("resolve_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("feedback_due", sa.Date(), nullable=True))
        batch_op.create_index("ix_opinion_status_resolve_due", ["status", "resolve_due"], unique=False)
    # the date of each opinion's last step, from its history (the due dates are computed by the
    # application: `manage.py init-db` fills those still empty)
    ops = sa.table("opinions", sa.column("id", sa.Integer()), sa.column("status_on", sa.Date()))
    ev = sa.table("opinion_events", sa.column("opinion_id", sa.Integer()), sa.column("happened_on", sa.Date()))
    last = sa.select(sa.func.max(ev.c.happened_on)).where(ev.c.opinion_id == ops.c.id).scalar_subquery()
    op.get_bind().execute(ops.update().values(status_on=last))
    with op.batch_alter_table("opinions", schema=None) as batch_op:
        batch_op.alter_column("round", server_default=None)
        batch_op.alter_column("paused_days", server_default=None)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("opinions", schema=None) as batch_op:
        batch_op.drop_index("ix_opinion_status_resolve_due")
        for col in ("feedback_due", "resolve_due", "forward_due", "paused_days", "paused_since", "round_start",
                    "round", "status_on"):
            batch_op.drop_column(col)
    op.drop_index(op.f("ix_calendar_days_year"), table_name="calendar_days")
    op.drop_table("calendar_days")
    op.drop_table("calendar_years")
