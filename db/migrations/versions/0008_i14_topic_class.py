"""the outcome class (A/B/C/D) of a supervision topic, given when it is closed

Topics closed before this revision keep no class (their outcome text stays as written).

Revision ID: 0008_i14_topic_class
Revises: 0008_i12_versions
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_i14_topic_class"
down_revision = "0008_i12_versions"
branch_labels = None
depends_on = None

# the values of services.states.Outcome at the time of this revision
OUTCOMES = ("A 已解决", "B 正在解决", "C 列入计划逐步解决", "D 因条件限制留作参考")
CHECK = "outcome_class is null or outcome_class in (" + ",".join(repr(o) for o in OUTCOMES) + ")"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("supervision_topics", schema=None) as b:
        b.add_column(sa.Column("outcome_class", sa.String(16), nullable=True))
        b.create_check_constraint("ck_topic_outcome_class", CHECK)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("supervision_topics", schema=None) as b:
        b.drop_constraint("ck_topic_outcome_class", type_="check")
        b.drop_column("outcome_class")
