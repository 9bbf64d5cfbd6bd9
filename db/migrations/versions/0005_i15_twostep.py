"""spot checks in two steps: 封存 (eligible list, fingerprint, the random source fixed in advance)
and 开签 (the value, the seed, the sample); abandoned checks kept; a finding's revision note

Revision ID: 0005_i15_twostep
Revises: 0004_i12_intents
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_i15_twostep"
down_revision = "0004_i12_intents"
branch_labels = None
depends_on = None

# the values of services.states at the time of this revision (a migration never imports app code)
OLD_STATUS = ("检查中", "已完成")
NEW_STATUS = ("已封存", "检查中", "已完成", "已作废")
SOURCES = ("彩票开奖", "现场掷骰")


def _in(column: str, words: tuple, nullable: bool = False) -> str:
    """The SQL of a CHECK keeping ``column`` within ``words``."""
    text = f"{column} in ({','.join(chr(39) + w + chr(39) for w in words)})"
    return f"{column} is null or {text}" if nullable else text


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.drop_constraint("ck_spotcheck_status", type_="check")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.alter_column("witness_value", existing_type=sa.String(length=128), nullable=True)
        batch_op.alter_column("seed", existing_type=sa.String(length=128), nullable=True)
        batch_op.alter_column("sample", existing_type=sa.JSON(), nullable=True)
        batch_op.add_column(sa.Column("snapshots", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("source_kind", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("source_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("source_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("source_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reseal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("opened_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("second_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("second_role", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("abandoned_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("abandoned_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("abandon_reason", sa.Text(), nullable=True))
        batch_op.create_check_constraint("ck_spotcheck_status", _in("status", NEW_STATUS))
        batch_op.create_check_constraint("ck_spotcheck_source", _in("source_kind", SOURCES, True))
    with op.batch_alter_table("spot_check_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision_note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision (checks sealed or abandoned are dropped: the old schema cannot hold them)."""
    checks = sa.table("spot_checks", sa.column("status", sa.String()))
    op.get_bind().execute(checks.delete().where(checks.c.status.in_(("已封存", "已作废"))))
    with op.batch_alter_table("spot_check_items", schema=None) as batch_op:
        batch_op.drop_column("revision_note")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.drop_constraint("ck_spotcheck_source", type_="check")
        batch_op.drop_constraint("ck_spotcheck_status", type_="check")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        for col in ("abandon_reason", "abandoned_at", "abandoned_by", "second_role", "second_name",
                    "opened_at", "opened_by", "reseal_reason", "source_ref", "source_due", "source_name",
                    "source_kind", "snapshots"):
            batch_op.drop_column(col)
        batch_op.alter_column("sample", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("seed", existing_type=sa.String(length=128), nullable=False)
        batch_op.alter_column("witness_value", existing_type=sa.String(length=128), nullable=False)
        batch_op.create_check_constraint("ck_spotcheck_status", _in("status", OLD_STATUS))
