"""every save is the one the user meant: used form tokens, running-number counters, imported
files (by content hash), and a confirmed list that is replaced keeps the old one as 作废

Revision ID: 0004_i12_intents
Revises: 0004_i13_calendar
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i12_intents"
down_revision = "0004_i13_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "form_intents",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_form_intents_at", "form_intents", ["at"])
    op.create_table(
        "counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "import_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.UniqueConstraint("area", "sha256", name="uq_import_files_area_sha256"),
    )
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_key", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("voided_by", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.String(500), nullable=True))
    # the newest list of each year and kind is the current one; older ones are 作废
    sel = sa.table("selections", sa.column("id", sa.Integer()), sa.column("year", sa.Integer()),
                   sa.column("kind", sa.String()), sa.column("current_key", sa.String()),
                   sa.column("voided_by", sa.String()), sa.column("voided_at", sa.DateTime()),
                   sa.column("void_reason", sa.String()), sa.column("confirmed_at", sa.DateTime()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(sel.c.id, sel.c.year, sel.c.kind, sel.c.confirmed_at).order_by(sel.c.id)).all()
    newest: dict[tuple[int, str], int] = {}
    for r in rows:
        newest[(r.year, r.kind)] = r.id
    for r in rows:
        if newest[(r.year, r.kind)] == r.id:
            bind.execute(sel.update().where(sel.c.id == r.id).values(current_key=f"{r.year}-{r.kind}"))
        else:
            bind.execute(sel.update().where(sel.c.id == r.id).values(
                voided_by="system", voided_at=r.confirmed_at, void_reason="同一年度确认了多份名单，保留最新一份"))
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_selections_current", ["current_key"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.drop_constraint("uq_selections_current", type_="unique")
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("voided_by")
        batch_op.drop_column("current_key")
    op.drop_table("import_files")
    op.drop_table("counters")
    op.drop_index("ix_form_intents_at", table_name="form_intents")
    op.drop_table("form_intents")
