"""rules in one place: periods of service, the data version, enumerated states as CHECK
constraints, event kinds of attendance facts in the rubric, reproducible selections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# the values of services.states at the time of this revision (a migration never imports app code)
ENUMS = {
    "deputy_status": ("在任", "辞职", "罢免", "去世"),
    "period_end": ("辞职", "罢免", "去世", "调整代表组"),
    "keeper": ("代表本人", "联络员委托"),
    "organiser": ("代表组统一组织", "代表个人"),
    "activity_kind": ("问难", "问需", "问计", "其他"),
    "opinion_source": ("活动", "述职"),
    "opinion_status": ("待转交", "已转交", "办理中", "已解决", "无法解决", "已反馈选民"),
    "letter_status": ("登记", "已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈", "不予受理", "已合并"),
    "satisfaction": ("满意", "基本满意", "不满意"),
    "topic_status": ("进行中", "已办结"),
    "proposal_kind": ("议案", "建议", "批评和意见"),
    "proposal_status": ("已提交", "已立案", "已交办", "办理中", "已答复"),
    "event_kind": ("人代会", "列席常委会", "视察", "调研", "执法检查", "代表小组活动"),
    "publicity_kind": ("宣传", "普法", "法制调研"),
    "report_form": ("当面述职", "书面报告"),
    "review": ("通过", "退回修改"),
    "rect_source": ("述职", "抽查"),
    "rect_status": ("未完成", "已完成"),
    "spotcheck_status": ("检查中", "已完成"),
    "record_kind": ("联系活动", "来信", "开箱记录", "述职"),
    "finding": ("合格", "基本合格", "不合格"),
    "group_grade": ("优秀", "合格", "需整改"),
    "rubric_status": ("草稿", "已发布"),
    "focus": ("F1", "F2", "F3", "F4", "F5", "扣分"),
    "selection_kind": ("优秀代表", "先进代表组"),
}
# table -> [(constraint name, column, enum, nullable)]
CHECKS = {
    "mailboxes": [("ck_mailbox_keeper", "keeper_kind", "keeper", False)],
    "activities": [("ck_activity_organiser", "organiser", "organiser", False),
                   ("ck_activity_kind", "kind", "activity_kind", False)],
    "opinions": [("ck_opinion_source", "source", "opinion_source", False),
                 ("ck_opinion_status", "status", "opinion_status", False)],
    "letters": [("ck_letter_status", "status", "letter_status", False),
                ("ck_letter_satisfaction", "satisfaction", "satisfaction", True)],
    "supervision_topics": [("ck_topic_status", "status", "topic_status", False)],
    "proposals": [("ck_proposal_kind", "kind", "proposal_kind", False),
                  ("ck_proposal_status", "status", "proposal_status", False),
                  ("ck_proposal_view", "deputy_view", "satisfaction", True)],
    "congress_events": [("ck_event_kind", "kind", "event_kind", False)],
    "publicity_works": [("ck_publicity_kind", "kind", "publicity_kind", False)],
    "reports": [("ck_report_form", "form", "report_form", False),
                ("ck_report_review", "review_result", "review", True)],
    "rectifications": [("ck_rect_source", "source", "rect_source", False),
                       ("ck_rect_status", "status", "rect_status", False)],
    "spot_checks": [("ck_spotcheck_status", "status", "spotcheck_status", False)],
    "spot_check_items": [("ck_scitem_kind", "record_kind", "record_kind", False),
                         ("ck_scitem_result", "result", "finding", True)],
    "spot_check_grades": [("ck_scgrade_grade", "grade", "group_grade", True)],
    "rubrics": [("ck_rubric_status", "status", "rubric_status", False)],
    "rubric_rows": [("ck_rubric_focus", "focus", "focus", False)],
    "selections": [("ck_selection_kind", "kind", "selection_kind", False)],
}
CONGRESS_KINDS = ["人代会"]
STANDING_KINDS = ["列席常委会", "视察", "调研", "执法检查"]


def _check(column: str, enum: str, nullable: bool) -> str:
    """The SQL of a CHECK that keeps ``column`` within an enumeration."""
    words = ",".join("'" + v + "'" for v in ENUMS[enum])
    text = f"{column} in ({words})"
    return f"{column} is null or {text}" if nullable else text


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "deputy_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=8), nullable=True),
        sa.CheckConstraint("end_on is null or end_on >= start_on", name="ck_period_dates"),
        sa.CheckConstraint(_check("end_reason", "period_end", True), name="ck_period_end_reason"),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["deputy_groups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deputy_periods", schema=None) as batch_op:
        batch_op.create_index("ix_period_deputy_start", ["deputy_id", "start_on"], unique=False)
        batch_op.create_index("ix_period_group", ["group_id"], unique=False)

    op.create_table(
        "data_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rubric_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kinds", sa.JSON(), nullable=True))
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))

    bind = op.get_bind()
    meta = sa.MetaData()
    data_versions = sa.Table("data_versions", meta, autoload_with=bind)
    bind.execute(data_versions.insert().values(id=1, n=0))

    # one period of service per existing deputy, from its joining date (or the term's first
    # day) to its leaving date when it no longer serves
    deputies = sa.Table("deputies", meta, autoload_with=bind)
    terms = sa.Table("terms", meta, autoload_with=bind)
    periods = sa.Table("deputy_periods", meta, autoload_with=bind)
    rows = bind.execute(
        sa.select(deputies.c.id, deputies.c.group_id, deputies.c.district_id, deputies.c.joined_on,
                  deputies.c.left_on, deputies.c.status, terms.c.start_year)
        .join(terms, terms.c.id == deputies.c.term_id)
    ).all()
    batch = []
    for did, gid, dist, joined, left, status, start_year in rows:
        serving = status == "在任"
        start = joined or date(int(start_year), 1, 1)
        end = None if serving else (left or start)
        batch.append({"deputy_id": did, "group_id": gid, "district_id": dist, "start_on": start,
                      "end_on": max(end, start) if end else None, "end_reason": None if serving else status})
        if len(batch) >= 5000:
            bind.execute(periods.insert(), batch)
            batch = []
    if batch:
        bind.execute(periods.insert(), batch)

    # the event kinds each attendance fact counts: 代表小组活动 is not a standing-committee activity
    rubric_rows = sa.table("rubric_rows", sa.column("fact", sa.String()), sa.column("kinds", sa.JSON()))
    for fact, kinds in (("congress_attended", CONGRESS_KINDS), ("absent_congress", CONGRESS_KINDS),
                        ("standing_attended", STANDING_KINDS), ("absent_standing", STANDING_KINDS)):
        bind.execute(rubric_rows.update().where(rubric_rows.c.fact == fact).values(kinds=kinds))

    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, enum, nullable in checks:
                batch_op.create_check_constraint(name, _check(column, enum, nullable))


def downgrade() -> None:
    """Revert this revision."""
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _column, _enum, _nullable in checks:
                batch_op.drop_constraint(name, type_="check")
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.drop_column("params")
    with op.batch_alter_table("rubric_rows", schema=None) as batch_op:
        batch_op.drop_column("kinds")
    op.drop_table("data_versions")
    with op.batch_alter_table("deputy_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_period_group")
        batch_op.drop_index("ix_period_deputy_start")
    op.drop_table("deputy_periods")
