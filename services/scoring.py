"""评分评优: scores on the five focuses (R15), excellent-deputy and advanced-group selection (R17),
groups without an exemplary deputy (R20).

The rubric is data (tables ``rubrics`` and ``rubric_rows``) and is versioned: editing saves a new
version as 草稿; publishing makes it the one rankings use by default; older versions stay readable
and every score can be recomputed with the version it was published with.

How a score is computed (``compute``):
1. One grouped query in the database: every fact the rubric names is a subquery yielding
   (deputy, fact, record kind, record id) for the year; they are joined with UNION ALL and counted
   GROUP BY deputy, fact. Facts are listed in ``FACTS`` (key → Chinese name, record kind, SQL).
2. On that small per-deputy result: points = count × points of the row; a row's own cap; rows
   sharing a ``cap_group`` share one cap; the focus total is capped at the focus cap (default 20).
3. Pro-rating (part-year service): f = days in office in the year ÷ days of the year (from
   ``joined_on`` / ``left_on``); every positive row is scored as min(cap, count × points ÷ max(f,
   0.25)) — the record rate of a full year — before its caps. Deductions are not pro-rated (an
   absence is an absence; R1's shortfall is already pro-rated by services.activities).
4. Total = sum of the five focuses + deductions (negative), never below 0. Grade from the bands
   of the rubric (优秀 ≥ 85, 称职 ≥ 60, 基本称职 ≥ 45, else 不称职); a 述职 satisfaction rate below
   50 % caps the grade at 基本称职.
Beside the total: volume (distinct records behind the positive rows), outcomes (opinions and
letters resolved) and voters' satisfaction (述职 evaluation) are separate columns.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    Date,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from db import models
from services import clock, settings
from services.common import (
    Actor,
    Figure,
    NotFound,
    ValidationError,
)
from services.validation import fmt_date

M = models
FOCUSES = ["F1", "F2", "F3", "F4", "F5"]
DEDUCT = "扣分"
FOCUS_NAMES = {
    "F1": "参加会议与议案建议",
    "F2": "宣传决策与答疑",
    "F3": "反映意见与跟踪办理",
    "F4": "法治建设",
    "F5": "向选民报告履职",
    DEDUCT: "扣分",
}
FOCUS_LONG = {
    "F1": "F1 认真准备参加人代会和常委会活动，审议报告，提出议案建议",
    "F2": "F2 宣传党委决策部署和人大决议决定，解答选民疑问",
    "F3": "F3 向一府两院反映选民意见并跟踪督办直至解决",
    "F4": "F4 研究法治问题，推进依法治理",
    "F5": "F5 让选民了解代表和常委会的工作",
}
GRADES = ["优秀", "称职", "基本称职", "不称职"]
DEFAULT_BANDS = {"bands": [{"min": 85, "grade": "优秀"}, {"min": 60, "grade": "称职"},
                           {"min": 45, "grade": "基本称职"}, {"min": 0, "grade": "不称职"}],
                 "report_floor": {"below": 0.5, "grade": "基本称职"}}
DEFAULT_CAPS = {f: 20 for f in FOCUSES}
MIN_FRACTION = 0.25
DRAFT, PUBLISHED = "草稿", "已发布"
EXCELLENT, ADVANCED = "优秀代表", "先进代表组"
CONGRESS = "人代会"

# condition key -> Chinese name, record kinds it applies to
CONDITIONS = {
    "not_failed": ("抽查未判不合格", {"联系活动"}),
    "evidenced": ("有佐证（签到表或照片）或已核实", {"联系活动"}),
    "livelihood": ("仅民生问题", {"群众意见"}),
}


def _year_bounds(year: int) -> tuple[date, date]:
    """First and last day of a calendar year."""
    return date(year, 1, 1), date(year, 12, 31)


def _s(expr, n: int = 200):
    """Cast an expression to a string column (portable UNION ALL of labels)."""
    return cast(expr, String(n))


def _lit(value: str):
    """A typed string literal (PostgreSQL needs a type inside UNION ALL)."""
    return cast(literal(value), String(40))


# ---------------------------------------------------------------- facts: SQL over the tables


def _activity_cond(cond: str | None):
    """Extra WHERE of an activity fact for a condition."""
    A = M.Activity
    if cond == "not_failed":
        SI = M.SpotCheckItem
        return ~exists().where(SI.record_kind == "联系活动", SI.record_id == A.id, SI.result == "不合格")
    if cond == "evidenced":
        return or_(A.verified_at.is_not(None), and_(or_(A.has_signin.is_(True), A.has_photos.is_(True)),
                                                    A.voters_reached > 0))
    return None


def _activities(kind: str | None):
    """Builder of an activity fact (optionally only one 三问 kind)."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        A, AD = M.Activity, M.ActivityDeputy
        stmt = (select(AD.deputy_id.label("deputy_id"), A.id.label("record_id"), A.held_on.label("day"),
                       _s(A.place).label("label"))
                .join(A, A.id == AD.activity_id).where(A.held_on.between(lo, hi)))
        if kind:
            stmt = stmt.where(A.kind == kind)
        extra = _activity_cond(cond)
        return stmt.where(extra) if extra is not None else stmt
    return build


def _publicity(kinds: tuple[str, ...]):
    """Builder of a publicity / rule-of-law fact."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        P, PD = M.PublicityWork, M.PublicityDeputy
        return (select(PD.deputy_id.label("deputy_id"), P.id.label("record_id"), P.held_on.label("day"),
                       _s(P.title).label("label"))
                .join(P, P.id == PD.work_id).where(P.held_on.between(lo, hi), P.kind.in_(kinds)))
    return build


def _attendance(status: str, congress: bool):
    """Builder of an attendance fact: 出席 / 缺席 at the congress or at standing-committee activities."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        E, AT = M.CongressEvent, M.Attendance
        kind = E.kind == CONGRESS if congress else E.kind != CONGRESS
        return (select(AT.deputy_id.label("deputy_id"), E.id.label("record_id"), E.held_on.label("day"),
                       _s(E.title).label("label"))
                .join(E, E.id == AT.event_id).where(E.held_on.between(lo, hi), AT.status == status, kind))
    return build


def _proposals(kinds: tuple[str, ...] | None, lead: bool | None, law: bool = False):
    """Builder of a proposal fact: led (proposals.lead_deputy_id) or co-signed (proposal_signers,
    not the lead), or either (``lead`` None) for law-related ones."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        P, PS = M.Proposal, M.ProposalSigner
        where = [P.submitted_on.between(lo, hi)]
        if kinds:
            where.append(P.kind.in_(kinds))
        if law:
            where.append(P.law_related.is_(True))
        led = select(P.lead_deputy_id.label("deputy_id"), P.id.label("record_id"),
                     P.submitted_on.label("day"), _s(P.title).label("label")).where(*where)
        co = (select(PS.deputy_id.label("deputy_id"), P.id.label("record_id"), P.submitted_on.label("day"),
                     _s(P.title).label("label"))
              .join(P, P.id == PS.proposal_id)
              .where(*where, PS.deputy_id != P.lead_deputy_id))
        if lead is True:
            return led
        if lead is False:
            return co
        return union_all(led, co)
    return build


OPINION_FORWARDED = ("已转交", "办理中", "已解决", "无法解决", "已反馈选民")


def _opinions(resolved: bool):
    """Builder of an opinion fact: the deputy in charge (opinions.deputy_id) or, when none is named,
    the deputies of the activity where it was raised. Forwarded: raised in the year and past 待转交;
    resolved: resolved_on in the year (not 无法解决)."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        O, AD = M.Opinion, M.ActivityDeputy
        if resolved:
            where = [O.resolved_on.between(lo, hi), O.unresolvable_reason.is_(None)]
            day = O.resolved_on
        else:
            where = [O.raised_on.between(lo, hi), O.status.in_(OPINION_FORWARDED)]
            day = O.raised_on
        if cond == "livelihood":
            where.append(O.is_livelihood.is_(True))
        direct = select(O.deputy_id.label("deputy_id"), O.id.label("record_id"), day.label("day"),
                        _s(O.content).label("label")).where(*where, O.deputy_id.is_not(None))
        via = (select(AD.deputy_id.label("deputy_id"), O.id.label("record_id"), day.label("day"),
                      _s(O.content).label("label"))
               .join(O, O.activity_id == AD.activity_id).where(*where, O.deputy_id.is_(None)))
        return union_all(direct, via)
    return build


LETTER_FORWARDED = ("已转办", "办理中", "已办结", "已反馈")


def _letters(what: str):
    """Builder of a letter fact (deputy in charge, received in the year)."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        L = M.Letter
        where = [L.received_on.between(lo, hi), L.deputy_id.is_not(None)]
        if what == "forwarded":
            where.append(L.status.in_(LETTER_FORWARDED))
        elif what == "resolved":
            where.append(L.status.in_(("已办结", "已反馈")))
        else:
            where.extend([L.status == "已反馈", L.satisfaction.in_(("满意", "基本满意"))])
        return select(L.deputy_id.label("deputy_id"), L.id.label("record_id"), L.received_on.label("day"),
                      _s(L.code).label("label")).where(*where)
    return build


def _reports(what: str):
    """Builder of a 述职 fact of the year."""
    def build(session: Session, lo: date, hi: date, cond: str | None):
        R = M.Report
        where = [R.year == lo.year]
        if what == "f2f":
            where += [R.form == "当面述职", R.held_on.is_not(None)]
        elif what == "written":
            where += [R.form == "书面报告", R.review_result == "通过"]
        else:
            where += [R.published_on.is_not(None)]
        day = func.coalesce(R.held_on, R.reviewed_on, R.published_on, R.received_on)
        return select(R.deputy_id.label("deputy_id"), R.id.label("record_id"), day.label("day"),
                      _s(R.form).label("label")).where(*where)
    return build


def _failed_spotcheck(session: Session, lo: date, hi: date, cond: str | None):
    """Activities of the year that a spot check found 不合格 (voided and penalised)."""
    A, AD, SI = M.Activity, M.ActivityDeputy, M.SpotCheckItem
    failed = exists().where(SI.record_kind == "联系活动", SI.record_id == A.id, SI.result == "不合格")
    return (select(AD.deputy_id.label("deputy_id"), A.id.label("record_id"), A.held_on.label("day"),
                   _s(A.place).label("label"))
            .join(A, A.id == AD.activity_id).where(A.held_on.between(lo, hi), failed))


def _r1_shortfall(session: Session, lo: date, hi: date, cond: str | None):
    """Serving deputies below R1's minimum of contact activities (the rule lives in services.activities)."""
    from services import activities

    sub = activities.r1_statement(session, Actor("system", "admin"), lo.year).order_by(None).subquery()
    return select(sub.c.id.label("deputy_id"), sub.c.id.label("record_id"),
                  literal(hi, Date).label("day"),
                  _s(literal("本年联系选民活动次数不足")).label("label"))


@dataclass(frozen=True)
class Fact:
    """A kind of fact a rubric row can count: name, record kind, deduction or not, SQL builder."""

    name: str
    kind: str
    builder: object
    deduction: bool = False


FACTS: dict[str, Fact] = {
    "congress_attended": Fact("出席人代会（每次会议）", "出席", _attendance("出席", True)),
    "standing_attended": Fact("参加常委会视察调研执法检查等活动", "出席", _attendance("出席", False)),
    "motion_lead": Fact("领衔议案", "议案建议", _proposals(("议案",), True)),
    "motion_cosign": Fact("附议议案", "议案建议", _proposals(("议案",), False)),
    "suggestion_lead": Fact("领衔建议、批评和意见", "议案建议", _proposals(("建议", "批评和意见"), True)),
    "suggestion_cosign": Fact("附议建议、批评和意见", "议案建议", _proposals(("建议", "批评和意见"), False)),
    "publicity": Fact("宣传活动", "宣传法制", _publicity(("宣传",))),
    "activity_wenji": Fact("问计活动", "联系活动", _activities("问计")),
    "opinion_forwarded": Fact("群众意见已转交", "群众意见", _opinions(False)),
    "opinion_resolved": Fact("群众意见已解决", "群众意见", _opinions(True)),
    "letter_forwarded": Fact("来信已转办", "来信", _letters("forwarded")),
    "letter_resolved": Fact("来信已办结", "来信", _letters("resolved")),
    "letter_satisfied": Fact("来信人反馈满意", "来信", _letters("satisfied")),
    "law_work": Fact("普法或法制调研", "宣传法制", _publicity(("普法", "法制调研"))),
    "law_proposal": Fact("涉法议案建议", "议案建议", _proposals(None, None, law=True)),
    "report_f2f": Fact("当面述职", "述职", _reports("f2f")),
    "report_written_accepted": Fact("书面述职报告审查通过", "述职", _reports("written")),
    "report_published": Fact("述职在人大工作信息刊登", "述职", _reports("published")),
    "contact_activity": Fact("联系选民活动", "联系活动", _activities(None)),
    "absent_congress": Fact("无故缺席人代会", "出席", _attendance("缺席", True), deduction=True),
    "absent_standing": Fact("无故缺席常委会活动", "出席", _attendance("缺席", False), deduction=True),
    "r1_shortfall": Fact("联系选民活动少于规定次数（R1）", "代表", _r1_shortfall, deduction=True),
    "failed_spotcheck": Fact("活动记录抽查不合格", "联系活动", _failed_spotcheck, deduction=True),
}
OUTCOME_FACTS = ("opinion_resolved", "letter_resolved")


def fact_options() -> dict[str, str]:
    """Fact key -> Chinese name, for the rubric editor."""
    return {k: f.name for k, f in FACTS.items()}


def condition_options() -> dict[str, str]:
    """Condition key -> Chinese name, for the rubric editor."""
    return {k: v[0] for k, v in CONDITIONS.items()}


# ---------------------------------------------------------------- the default rubric

# focus, fact, points, cap, cap_group, condition, reason
DEFAULT_ROWS: list[tuple] = [
    ("F1", "congress_attended", 5, 10, None, None,
     "出席人代会是代表的首要职责；每年一般两次会议，出满即得10分（参照乡镇模板出席占15分中的主要部分）。"),
    ("F1", "standing_attended", 2, 4, None, None,
     "重庆江北区对常委会视察、调研计3分；本方面还要计议案建议，故按2分计、最多4分，避免只靠出席拿满。"),
    ("F1", "motion_lead", 6, None, "议案建议", None, "领衔议案工作量最大（闵行：领衔+15、附议+3 的比例约5:1）。"),
    ("F1", "motion_cosign", 2, None, "议案建议", None, "附议议案计2分。"),
    ("F1", "suggestion_lead", 3, None, "议案建议", None, "重庆江北区每件建议+3分。"),
    ("F1", "suggestion_cosign", 1, 10, "议案建议", None, "附议建议计1分；议案和建议共用10分上限。"),
    ("F2", "publicity", 4, None, None, None, "宣传党委决策和人大决议，每次4分。"),
    ("F2", "activity_wenji", 2, None, None, "not_failed",
     "问计于行业领军人物和知名人士，兼有解答疑问的作用；抽查不合格的活动不计。"),
    ("F3", "opinion_forwarded", 1, None, None, None, "R3：意见转交有关单位计1分。"),
    ("F3", "opinion_resolved", 3, None, None, None, "跟踪督办直至解决是本方面的核心（R3、R5），计3分。"),
    ("F3", "letter_forwarded", 1, None, None, None, "来信转办计1分。"),
    ("F3", "letter_resolved", 3, None, None, None, "来信办结计3分。"),
    ("F3", "letter_satisfied", 1, None, None, None, "反馈时来信人满意或基本满意，另计1分（R12）。"),
    ("F4", "law_work", 4, None, None, None, "普法宣传或法制调研，每次4分。"),
    ("F4", "law_proposal", 3, None, None, None, "涉及法治的议案建议计3分（与F1分别计）。"),
    ("F5", "report_f2f", 8, None, "述职", None, "当面述职（R6）向选民报告履职最直接，计8分。"),
    ("F5", "report_written_accepted", 4, 8, "述职", None, "书面报告经代表组审查通过（R7）计4分；与当面述职共用8分上限。"),
    ("F5", "report_published", 2, None, None, None, "述职在人大工作信息刊登（R9）计2分。"),
    ("F5", "contact_activity", 2, 10, None, "not_failed",
     "每次联系选民活动计2分、最多10分；抽查不合格的记录作废不计（内部方案：抽查不合格作废并扣3分）。"),
    (DEDUCT, "absent_congress", -10, None, None, None, "无故缺席人代会扣10分（政协参照：无故缺席扣30分，本区代表按两次会议折算）。"),
    (DEDUCT, "absent_standing", -3, None, None, None, "无故缺席常委会活动扣3分（重庆江北区：请假半天扣1分，无故缺席从重）。"),
    (DEDUCT, "r1_shortfall", -5, None, None, None, "R1：每年至少联系选民2次，未达到扣5分（年中到任按比例要求）。"),
    (DEDUCT, "failed_spotcheck", -3, None, None, None, "抽查不合格的活动记录作废并扣3分（内部方案）。"),
]


def ensure_default_rubric(session: Session) -> int:
    """Create rubric version 1 (published) with the default rows when no rubric exists; return its id."""
    existing = session.execute(select(M.Rubric.id).order_by(M.Rubric.version)).scalars().first()
    if existing is not None:
        return existing
    rubric = M.Rubric(version=1, name="默认评分细则", status=PUBLISHED, grade_bands=DEFAULT_BANDS,
                      focus_caps=dict(DEFAULT_CAPS), created_by="system", published_at=clock.now())
    session.add(rubric)
    session.flush()
    for focus, fact, points, cap, group, cond, reason in DEFAULT_ROWS:
        session.add(M.RubricRow(rubric_id=rubric.id, focus=focus, fact=fact, points=points, cap=cap,
                                cap_group=group, condition=cond, reason=reason))
    session.flush()
    return rubric.id


# ---------------------------------------------------------------- rubric versions


def list_rubrics(session: Session) -> list[dict]:
    """Every rubric version, newest first."""
    rows = session.execute(select(M.Rubric).order_by(M.Rubric.version.desc())).scalars().all()
    return [{"id": r.id, "版本": r.version, "名称": r.name, "状态": r.status, "创建人": r.created_by,
             "创建时间": r.created_at, "发布时间": r.published_at} for r in rows]


def rubric_options(session: Session, actor: Actor) -> dict[int, str]:
    """Rubric versions a user may pick: published ones; drafts too for the admin."""
    out = {}
    for r in list_rubrics(session):
        if r["状态"] == PUBLISHED or actor.role == "admin":
            out[r["id"]] = f"第{r['版本']}版 {r['名称']}（{r['状态']}）"
    return out


def current_rubric_id(session: Session) -> int | None:
    """The latest published rubric (None when there is none)."""
    return session.execute(
        select(M.Rubric.id).where(M.Rubric.status == PUBLISHED).order_by(M.Rubric.version.desc())
    ).scalars().first()


@dataclass
class RubricData:
    """A rubric as plain data: rows, focus caps and grade bands."""

    id: int
    version: int
    name: str
    status: str
    rows: list[dict]
    focus_caps: dict
    bands: dict


def load_rubric(session: Session, rubric_id: int) -> RubricData:
    """Read one rubric version with its rows."""
    r = session.get(M.Rubric, rubric_id)
    if r is None:
        raise NotFound("评分细则版本不存在。")
    rows = session.execute(select(M.RubricRow).where(M.RubricRow.rubric_id == rubric_id)
                           .order_by(M.RubricRow.id)).scalars().all()
    return RubricData(
        r.id, r.version, r.name, r.status,
        [{"id": x.id, "focus": x.focus, "fact": x.fact, "points": float(x.points),
          "cap": None if x.cap is None else float(x.cap), "cap_group": x.cap_group or None,
          "condition": x.condition or None, "reason": x.reason or ""} for x in rows],
        {k: float(v) for k, v in (r.focus_caps or DEFAULT_CAPS).items()},
        r.grade_bands or DEFAULT_BANDS,
    )


def rubric_table(session: Session, rubric_id: int) -> list[dict]:
    """The rows of a rubric with Chinese column names (for display and the editor)."""
    data = load_rubric(session, rubric_id)
    return [{"方面": r["focus"], "计分项": r["fact"], "计分项名称": FACTS[r["fact"]].name if r["fact"] in FACTS else r["fact"],
             "每条分值": r["points"], "上限": r["cap"], "共用上限组": r["cap_group"] or "",
             "条件": r["condition"] or "", "理由": r["reason"]} for r in data.rows]


def _num(value: object) -> float | None:
    """A number from an editor cell (None for empty); raises ValueError for text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return None
    return float(value)


def validate_rows(rows: list[dict]) -> list[dict]:
    """Check editor rows (keys focus, fact, points, cap, cap_group, condition, reason); return clean
    rows or raise ValidationError with one Chinese message per bad row (key ``row<N>``)."""
    errors: dict[str, str] = {}
    clean: list[dict] = []
    seen: set = set()
    groups: dict[str, list[tuple[int, str, float | None]]] = defaultdict(list)
    for i, raw in enumerate(rows, start=1):
        focus = _text(raw.get("focus"))
        fact = _text(raw.get("fact"))
        cond = _text(raw.get("condition")) or None
        group = _text(raw.get("cap_group")) or None
        reason = _text(raw.get("reason"))
        if not focus and not fact and _num_safe(raw.get("points")) is None:
            continue  # an empty line left by the editor
        problems = []
        if focus not in [*FOCUSES, DEDUCT]:
            problems.append("方面须为 F1–F5 或“扣分”")
        if fact not in FACTS:
            problems.append(f"计分项“{fact or '（空）'}”不存在")
        try:
            points = _num(raw.get("points"))
            if points is None:
                problems.append("请填写每条分值")
        except (TypeError, ValueError):
            points = None
            problems.append("每条分值须为数字")
        try:
            cap = _num(raw.get("cap"))
            if cap is not None and cap <= 0:
                problems.append("上限须大于0（不设上限请留空）")
        except (TypeError, ValueError):
            cap = None
            problems.append("上限须为数字")
        if fact in FACTS and focus in [*FOCUSES, DEDUCT]:
            ded = FACTS[fact].deduction
            if ded and focus != DEDUCT:
                problems.append(f"“{FACTS[fact].name}”是扣分项，方面应为“扣分”")
            if not ded and focus == DEDUCT:
                problems.append(f"“{FACTS[fact].name}”不是扣分项，不能放在“扣分”中")
        if points is not None:
            if focus == DEDUCT and points >= 0:
                problems.append("扣分项的分值须为负数")
            if focus in FOCUSES and points <= 0:
                problems.append("得分项的分值须大于0")
            if abs(points) > 100:
                problems.append("每条分值不能超过100分")
        if cond is not None:
            if cond not in CONDITIONS:
                problems.append(f"条件“{cond}”不存在")
            elif fact in FACTS and FACTS[fact].kind not in CONDITIONS[cond][1]:
                problems.append(f"条件“{CONDITIONS[cond][0]}”不适用于“{FACTS[fact].name}”")
        if group and focus == DEDUCT:
            problems.append("扣分项不设共用上限组")
        if len(reason) > 500:
            problems.append("理由不能超过500字")
        key = (focus, fact, cond)
        if key in seen:
            problems.append("与前面的行重复（同一方面、计分项和条件）")
        seen.add(key)
        if problems:
            errors[f"row{i}"] = f"第{i}行：" + "；".join(problems)
            continue
        if group:
            groups[group].append((i, focus, cap))
        clean.append({"focus": focus, "fact": fact, "points": points, "cap": cap, "cap_group": group,
                      "condition": cond, "reason": reason})
    for name, members in groups.items():
        if len({f for _, f, _ in members}) > 1:
            errors[f"group_{name}"] = f"共用上限组“{name}”的各行须属于同一方面（第{'、'.join(str(i) for i, _, _ in members)}行）"
        caps = {c for _, _, c in members if c is not None}
        if len(caps) > 1:
            errors[f"group_{name}"] = f"共用上限组“{name}”的上限不一致（第{'、'.join(str(i) for i, _, _ in members)}行）"
        if not caps:
            errors[f"group_{name}"] = f"共用上限组“{name}”须在其中一行填写上限"
    if not errors and not any(r["focus"] in FOCUSES for r in clean):
        errors["rows"] = "评分细则至少要有一个得分项"
    if errors:
        raise ValidationError(errors)
    return clean


def _text(value: object) -> str:
    """A text cell from the editor: empty for None / NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _num_safe(value: object) -> float | None:
    """Like _num but never raises (for blank-line detection)."""
    try:
        return _num(value)
    except (TypeError, ValueError):
        return 0.0


def validate_bands(bands: list[dict], floor_below: object) -> dict:
    """Check grade bands (min score per grade) and the satisfaction floor; return the stored dict."""
    errors: dict[str, str] = {}
    clean = []
    for i, b in enumerate(bands, start=1):
        grade = _text(b.get("grade"))
        try:
            lo = _num(b.get("min"))
        except (TypeError, ValueError):
            lo = None
        if grade not in GRADES:
            errors[f"band{i}"] = f"等级第{i}行：等级须为 {'、'.join(GRADES)} 之一"
        elif lo is None or lo < 0 or lo > 100:
            errors[f"band{i}"] = f"等级第{i}行：最低分须为0–100之间的数字"
        else:
            clean.append({"min": lo, "grade": grade})
    clean.sort(key=lambda b: -b["min"])
    if not errors:
        if [b["grade"] for b in clean] != [g for g in GRADES if g in {b["grade"] for b in clean}]:
            errors["bands"] = "等级的最低分须按 优秀 > 称职 > 基本称职 > 不称职 递减"
        elif not clean or clean[-1]["min"] != 0:
            errors["bands"] = "最低一档的最低分须为0（每个总分都要有等级）"
        elif len({b["grade"] for b in clean}) != len(clean):
            errors["bands"] = "等级不能重复"
    try:
        below = _num(floor_below)
        if below is not None and not 0 <= below <= 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["floor"] = "述职满意率门槛须为0–1之间的小数（如0.5）"
        below = None
    if errors:
        raise ValidationError(errors)
    return {"bands": clean, "report_floor": {"below": below if below is not None else 0.0, "grade": "基本称职"}}


def validate_caps(caps: dict) -> dict:
    """Check the five focus caps (each 1–100)."""
    errors, clean = {}, {}
    for f in FOCUSES:
        try:
            v = _num(caps.get(f))
        except (TypeError, ValueError):
            v = None
        if v is None or v <= 0 or v > 100:
            errors[f"cap_{f}"] = f"{f} 的满分须为1–100之间的数字"
        else:
            clean[f] = v
    if errors:
        raise ValidationError(errors)
    return clean


def save_draft(session: Session, actor: Actor, rows: list[dict], *, name: str = "",
               bands: list[dict] | None = None, floor_below: object = 0.5,
               focus_caps: dict | None = None) -> int:
    """Save edited rows as a new rubric version (草稿); old versions are left untouched."""
    actor.require_write("rubric")
    clean = validate_rows(rows)
    stored_bands = validate_bands(bands if bands is not None else DEFAULT_BANDS["bands"], floor_below)
    caps = validate_caps(focus_caps if focus_caps is not None else DEFAULT_CAPS)
    name = (name or "").strip()[:64]
    last = session.execute(select(func.max(M.Rubric.version))).scalar() or 0
    rubric = M.Rubric(version=last + 1, name=name or f"第{last + 1}版评分细则", status=DRAFT,
                      grade_bands=stored_bands, focus_caps=caps, created_by=actor.username)
    session.add(rubric)
    session.flush()
    for r in clean:
        session.add(M.RubricRow(rubric_id=rubric.id, **r))
    session.flush()
    return rubric.id


def publish(session: Session, actor: Actor, rubric_id: int) -> None:
    """Publish a draft: rankings use the newest published version by default."""
    actor.require_write("rubric")
    r = session.get(M.Rubric, rubric_id)
    if r is None:
        raise NotFound("评分细则版本不存在。")
    if r.status == PUBLISHED:
        raise ValidationError({"rubric": f"第{r.version}版已经发布。"})
    r.status = PUBLISHED
    r.published_at = clock.now()
    session.flush()


# ---------------------------------------------------------------- computing scores


def _tags(rubric: RubricData, extra: tuple[str, ...] = ()) -> dict[str, tuple[str, str | None]]:
    """Distinct (fact, condition) pairs of a rubric plus extra facts: tag -> (fact, condition)."""
    out = {}
    for r in rubric.rows:
        out[f"{r['fact']}|{r['condition'] or ''}"] = (r["fact"], r["condition"])
    for f in extra:
        out.setdefault(f"{f}|", (f, None))
    return out


def _union(session: Session, tags: dict[str, tuple[str, str | None]], year: int,
           deputy_ids: list[int] | None = None):
    """UNION ALL of every fact subquery: deputy_id, fact (tag), kind, record_id, day, label."""
    lo, hi = _year_bounds(year)
    parts = []
    for tag, (fact, cond) in tags.items():
        spec = FACTS[fact]
        sub = spec.builder(session, lo, hi, cond).subquery()
        stmt = select(sub.c.deputy_id.label("deputy_id"), _lit(tag).label("fact"), _lit(spec.kind).label("kind"),
                      sub.c.record_id.label("record_id"), sub.c.day.label("day"), sub.c.label.label("label"))
        if deputy_ids is not None:
            stmt = stmt.where(sub.c.deputy_id.in_(deputy_ids))
        parts.append(stmt)
    return union_all(*parts).subquery("facts")


def _deputies(session: Session, year: int) -> list[dict]:
    """Deputies who served some of ``year``: id, name, group, office, dates, fraction served."""
    D, G, T = M.Deputy, M.DeputyGroup, M.Term
    lo, hi = _year_bounds(year)
    rows = session.execute(
        select(D.id, D.name, D.group_id, G.name, G.office_id, D.joined_on, D.left_on, D.status,
               D.is_office_leader)
        .join(G, G.id == D.group_id).join(T, T.id == D.term_id)
        .where(T.start_year <= year, T.end_year >= year,
               or_(D.joined_on.is_(None), D.joined_on <= hi),
               or_(D.left_on.is_(None), D.left_on >= lo),
               or_(D.status == "在任", D.left_on.is_not(None)))
        .order_by(G.name, D.name, D.id)
    ).all()
    days = (hi - lo).days + 1
    out = []
    for did, name, gid, gname, oid, joined, left, status, leader in rows:
        start = max(joined or lo, lo)
        end = min(left or hi, hi)
        frac = max(0, (end - start).days + 1) / days
        out.append({"id": did, "name": name, "group_id": gid, "group": gname, "office_id": oid,
                    "joined_on": joined, "left_on": left, "status": status, "leader": bool(leader),
                    "fraction": round(frac, 4)})
    return out


def score_counts(rubric: RubricData, counts: dict[str, float], fraction: float) -> dict:
    """Score one deputy from fact counts (tag -> count): pure function shared by ranking and drill-down.

    Returns {"rows": {row index: points after the row's own cap and pro-rating},
    "groups": {cap group: (sum, cap)}, "focus": {F: score}, "raw": {F: before focus cap},
    "deduction": sum, "total": total}.
    """
    scale = 1 / max(fraction, MIN_FRACTION) if fraction < 1 else 1.0
    row_pts: dict[int, float] = {}
    group_sum: dict[str, float] = defaultdict(float)
    group_cap: dict[str, float] = {}
    for i, r in enumerate(rubric.rows):
        n = counts.get(f"{r['fact']}|{r['condition'] or ''}", 0)
        pts = n * r["points"]
        if r["focus"] != DEDUCT:
            pts *= scale
            if r["cap"] is not None and not r["cap_group"]:
                pts = min(pts, r["cap"])
        row_pts[i] = pts
        if r["cap_group"]:
            group_sum[(r["focus"], r["cap_group"])] += pts
            if r["cap"] is not None:
                group_cap[(r["focus"], r["cap_group"])] = r["cap"]
    raw: dict[str, float] = dict.fromkeys(FOCUSES, 0.0)
    for i, r in enumerate(rubric.rows):
        if r["focus"] in raw and not r["cap_group"]:
            raw[r["focus"]] += row_pts[i]
    for (focus, g), s in group_sum.items():
        cap = group_cap.get((focus, g))
        if focus in raw:
            raw[focus] += min(s, cap) if cap is not None else s
    focus = {f: round(min(raw[f], rubric.focus_caps.get(f, 20.0)), 2) for f in FOCUSES}
    deduction = round(sum(row_pts[i] for i, r in enumerate(rubric.rows) if r["focus"] == DEDUCT), 2)
    total = round(max(0.0, sum(focus.values()) + deduction), 2)
    return {"rows": row_pts, "groups": {k: (v, group_cap.get(k)) for k, v in group_sum.items()},
            "focus": focus, "raw": raw, "deduction": deduction, "total": total, "scale": scale}


def grade_of(rubric: RubricData, total: float, satisfaction: float | None) -> str:
    """The grade of a total from the rubric's bands; a low 述职 satisfaction caps it."""
    bands = sorted(rubric.bands.get("bands", DEFAULT_BANDS["bands"]), key=lambda b: -float(b["min"]))
    grade = bands[-1]["grade"] if bands else "不称职"
    for b in bands:
        if total >= float(b["min"]) - 1e-9:
            grade = b["grade"]
            break
    floor = rubric.bands.get("report_floor") or {}
    below = floor.get("below")
    if satisfaction is not None and below and satisfaction < float(below) - 1e-9:
        cap_grade = floor.get("grade", "基本称职")
        if GRADES.index(grade) < GRADES.index(cap_grade):
            grade = cap_grade
    return grade


def _satisfaction(session: Session, year: int) -> dict[int, float]:
    """述职 satisfaction per deputy for the year: (满意+基本满意) / votes (one grouped query)."""
    R = M.Report
    rows = session.execute(
        select(R.deputy_id, func.sum(func.coalesce(R.satisfied, 0) + func.coalesce(R.basically_satisfied, 0)),
               func.sum(func.coalesce(R.satisfied, 0) + func.coalesce(R.basically_satisfied, 0)
                        + func.coalesce(R.unsatisfied, 0)))
        .where(R.year == year).group_by(R.deputy_id)
    ).all()
    return {d: float(ok) / float(n) for d, ok, n in rows if n}


def _ranks(values: list[tuple[int, float]]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) of (id, total), highest first."""
    out, prev, rank = {}, None, 0
    for pos, (i, v) in enumerate(sorted(values, key=lambda x: -x[1]), start=1):
        if v != prev:
            rank, prev = pos, v
        out[i] = rank
    return out


@dataclass
class Ranking:
    """Scores of every deputy serving in the year under one rubric version."""

    rubric: RubricData
    year: int
    deputies: list[dict] = field(default_factory=list)

    def by_id(self) -> dict[int, dict]:
        """Deputy id -> row."""
        return {d["id"]: d for d in self.deputies}


def compute(session: Session, rubric_id: int, year: int) -> Ranking:
    """Score every deputy who served in ``year`` with rubric ``rubric_id`` (see the module doc).

    One grouped query counts every fact per deputy; a second counts distinct records (volume);
    caps, pro-rating and grades are applied on that small per-deputy result.
    """
    rubric = load_rubric(session, rubric_id)
    deps = _deputies(session, year)
    tags = _tags(rubric, OUTCOME_FACTS)
    u = _union(session, tags, year)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for did, tag, n in session.execute(select(u.c.deputy_id, u.c.fact, func.count()).group_by(u.c.deputy_id, u.c.fact)):
        counts[did][tag] = int(n)
    positive = [t for t, (f, _c) in tags.items() if not FACTS[f].deduction]
    distinct_rec = (select(u.c.deputy_id, u.c.kind, u.c.record_id).where(u.c.fact.in_(positive))
                    .distinct().subquery())
    volume = dict(session.execute(select(distinct_rec.c.deputy_id, func.count()).group_by(distinct_rec.c.deputy_id)).all())
    sat = _satisfaction(session, year)
    out = []
    for d in deps:
        c = counts.get(d["id"], {})
        s = score_counts(rubric, c, d["fraction"])
        satisfaction = sat.get(d["id"])
        out.append({
            **d, "focus": s["focus"], "deduction": s["deduction"], "total": s["total"],
            "grade": grade_of(rubric, s["total"], satisfaction),
            "volume": int(volume.get(d["id"], 0)),
            "outcomes": sum(c.get(f"{f}|", 0) for f in OUTCOME_FACTS),
            "satisfaction": satisfaction, "counts": c,
            "r1_short": c.get("r1_shortfall|", 0) > 0 if "r1_shortfall|" in tags else None,
        })
    district = _ranks([(d["id"], d["total"]) for d in out])
    by_group: dict[int, list] = defaultdict(list)
    for d in out:
        by_group[d["group_id"]].append((d["id"], d["total"]))
    group_rank: dict[int, int] = {}
    for vals in by_group.values():
        group_rank.update(_ranks(vals))
    for d in out:
        d["rank"] = district[d["id"]]
        d["group_rank"] = group_rank[d["id"]]
    out.sort(key=lambda d: (d["rank"], d["group"], d["name"]))
    if any(d["r1_short"] is None for d in out):
        _fill_r1(session, year, out)
    return Ranking(rubric, year, out)


def _fill_r1(session: Session, year: int, rows: list[dict]) -> None:
    """R1 status for rankings whose rubric has no r1_shortfall row (the candidate rule needs it)."""
    from services import activities

    stmt = activities.r1_statement(session, Actor("system", "admin"), year).order_by(None).subquery()
    short = set(session.execute(select(stmt.c.id)).scalars())
    for d in rows:
        d["r1_short"] = d["id"] in short


def _in_scope(actor: Actor, d: dict) -> bool:
    """True when the deputy's group is in the actor's scope."""
    return actor.in_scope(d["office_id"], d["group_id"])


def ranking_rows(session: Session, actor: Actor, rubric_id: int, year: int, *,
                 group_id: int | None = None, grade: str | None = None, ranking: Ranking | None = None) -> list[dict]:
    """The ranking as rows keyed by Chinese column names (scoped to the actor)."""
    rk = ranking or compute(session, rubric_id, year)
    out = []
    for d in rk.deputies:
        if not _in_scope(actor, d) or (group_id and d["group_id"] != group_id) or (grade and d["grade"] != grade):
            continue
        out.append(_row(d))
    return out


def _row(d: dict) -> dict:
    """One ranking row with Chinese keys."""
    row = {"deputy_id": d["id"], "全区排名": d["rank"], "组内排名": d["group_rank"], "代表": d["name"],
           "代表组": d["group"]}
    for f in FOCUSES:
        row[f"{f} {FOCUS_NAMES[f]}"] = d["focus"][f]
    row.update({
        "扣分": d["deduction"], "总分": d["total"], "等级": d["grade"],
        "履职记录（条）": d["volume"], "解决问题（件）": d["outcomes"],
        "选民满意率": "—" if d["satisfaction"] is None else f"{d['satisfaction']:.0%}",
        "任职比例": f"{d['fraction']:.0%}",
    })
    return row


def focus_column(f: str) -> str:
    """The ranking column name of a focus."""
    return f"{f} {FOCUS_NAMES[f]}"


# ---------------------------------------------------------------- drill-down


def _fmt_day(value: object) -> str:
    """A UNION ALL date as 2026-03-05 (MariaDB may return a mixed date column as text)."""
    if isinstance(value, str):
        return value[:10]
    return fmt_date(value)


def score_details(session: Session, rubric_id: int, year: int, deputy_id: int | list[int],
                  focus: str | None = None) -> list[dict]:
    """The records behind a deputy's score (or several deputies'), each with its points.

    Rows: 代表, 方面, 计分项, 记录类型, 日期, 记录, 分值. Where caps or pro-rating change the sum,
    an adjustment row (上限调整 / 任职折算) makes the 分值 of a deputy and focus add up exactly to
    the score shown in the ranking.
    """
    rubric = load_rubric(session, rubric_id)
    ids = [deputy_id] if isinstance(deputy_id, int) else list(deputy_id)
    if not ids:
        return []
    deps = {d["id"]: d for d in _deputies(session, year) if d["id"] in ids}
    tags = _tags(rubric)
    u = _union(session, tags, year, ids)
    recs = session.execute(select(u.c.deputy_id, u.c.fact, u.c.kind, u.c.record_id, u.c.day, u.c.label)
                           .order_by(u.c.deputy_id, u.c.day, u.c.record_id)).all()
    by_dep: dict[int, list] = defaultdict(list)
    for r in recs:
        by_dep[r.deputy_id].append(r)
    out: list[dict] = []
    for did in ids:
        d = deps.get(did)
        if d is None:
            continue
        counts: dict[str, int] = defaultdict(int)
        for r in by_dep[did]:
            counts[r.fact] += 1
        s = score_counts(rubric, counts, d["fraction"])
        for f in [*FOCUSES, DEDUCT]:
            if focus and f != focus:
                continue
            lines: list[dict] = []
            for row in rubric.rows:
                if row["focus"] != f:
                    continue
                tag = f"{row['fact']}|{row['condition'] or ''}"
                for r in by_dep[did]:
                    if r.fact == tag:
                        lines.append({"代表": d["name"], "方面": f, "计分项": FACTS[row["fact"]].name,
                                      "记录类型": r.kind, "日期": _fmt_day(r.day), "记录": r.label or "",
                                      "分值": round(row["points"], 2)})
            target = s["deduction"] if f == DEDUCT else s["focus"][f]
            listed = round(sum(x["分值"] for x in lines), 2)
            if f != DEDUCT and s["scale"] != 1.0 and listed:
                scaled = round(listed * s["scale"], 2)
                lines.append({"代表": d["name"], "方面": f, "计分项": "任职折算", "记录类型": "",
                              "日期": "", "记录": f"本年任职比例 {d['fraction']:.0%}，按全年折算",
                              "分值": round(scaled - listed, 2)})
                listed = scaled
            if round(target - listed, 2) != 0:
                lines.append({"代表": d["name"], "方面": f, "计分项": "上限调整", "记录类型": "", "日期": "",
                              "记录": "超出本项或本方面上限的部分不计", "分值": round(target - listed, 2)})
            out.extend(lines)
    return out


# ---------------------------------------------------------------- groups, candidates, selection


def group_scores(session: Session, actor: Actor, rubric_id: int, year: int,
                 ranking: Ranking | None = None) -> list[dict]:
    """Group scores: 0.8 × the average total of its deputies + group work (0–20):
    述职 plan made (5; not due in year 1 of the term), quarterly summaries submitted (2.5 each),
    spot-check grade of the year (best of the latest: 优秀 5, 合格 3, 需整改 0; none checked 3)."""
    rk = ranking or compute(session, rubric_id, year)
    G = M.DeputyGroup
    groups = session.execute(select(G.id, G.name, G.office_id).where(G.active.is_(True)).order_by(G.name)).all()
    plans = set(session.execute(select(M.ReportPlan.group_id).where(M.ReportPlan.year == year)).scalars())
    summaries = dict(session.execute(
        select(M.QuarterlySummary.group_id, func.count())
        .where(M.QuarterlySummary.year == year, M.QuarterlySummary.submitted_at.is_not(None))
        .group_by(M.QuarterlySummary.group_id)).all())
    lo, hi = _year_bounds(year)
    grades: dict[int, list[str]] = defaultdict(list)
    for gid, grade in session.execute(
        select(M.SpotCheckGrade.group_id, M.SpotCheckGrade.grade)
        .join(M.SpotCheck, M.SpotCheck.id == M.SpotCheckGrade.check_id)
        .where(M.SpotCheck.period_start <= hi, M.SpotCheck.period_end >= lo, M.SpotCheckGrade.grade.is_not(None))
        .order_by(M.SpotCheck.created_at)
    ):
        grades[gid].append(grade)
    first_year = _term_first_year(session, year)
    members: dict[int, list[dict]] = defaultdict(list)
    for d in rk.deputies:
        members[d["group_id"]].append(d)
    out = []
    for gid, name, oid in groups:
        if not actor.in_scope(oid, gid):
            continue
        ds = members.get(gid, [])
        avg = round(sum(d["total"] for d in ds) / len(ds), 2) if ds else 0.0
        plan_pts = 5.0 if (gid in plans or first_year) else 0.0
        sum_pts = 2.5 * min(4, int(summaries.get(gid, 0)))
        last = grades[gid][-1] if grades.get(gid) else None
        spot_pts = {"优秀": 5.0, "合格": 3.0, "需整改": 0.0}.get(last, 3.0)
        work = plan_pts + sum_pts + spot_pts
        out.append({"group_id": gid, "代表组": name, "代表（人）": len(ds), "代表平均分": avg,
                    "述职计划": "不适用" if first_year else ("已制定" if gid in plans else "未制定"),
                    "季度汇总（次）": int(summaries.get(gid, 0)), "抽查评定": last or "未抽查",
                    "代表组工作分": round(work, 2), "代表组得分": round(0.8 * avg + work, 2),
                    "优秀等级代表（人）": sum(1 for d in ds if d["grade"] == "优秀"),
                    "needs_fix": last == "需整改"})
    ranks = _ranks([(r["group_id"], r["代表组得分"]) for r in out])
    for r in out:
        r["排名"] = ranks[r["group_id"]]
    out.sort(key=lambda r: (r["排名"], r["代表组"]))
    return out


def _term_first_year(session: Session, year: int) -> bool:
    """True when ``year`` is the first year of the term it falls in (no 述职 plan is due)."""
    t = session.execute(select(M.Term.start_year).where(M.Term.start_year <= year, M.Term.end_year >= year)
                        .order_by(M.Term.number.desc())).scalars().first()
    return t == year


def excellent_count(session: Session, n_scored: int) -> int:
    """How many 优秀代表 candidates: setting excellent_top_n when > 0, else excellent_share of deputies."""
    top_n = int(settings.get(session, "excellent_top_n") or 0)
    if top_n > 0:
        return min(top_n, n_scored)
    share = float(settings.get(session, "excellent_share"))
    return math.floor(n_scored * share + 1e-9)


def candidates(session: Session, actor: Actor, rubric_id: int, year: int, ranking: Ranking | None = None) -> dict:
    """优秀代表 candidates and everyone else with the reason they are not.

    Minimum conditions: R1 met; grade not 不称职 and 述职 evaluation not below the floor; serving at
    the year's end; office-holding leaders excluded when setting excellent_exclude_leaders is on
    (沅江 practice). Candidates are the best eligible by total, up to the count of
    ``excellent_count`` over all deputies scored.
    """
    rk = ranking or compute(session, rubric_id, year)
    exclude_leaders = bool(settings.get(session, "excellent_exclude_leaders"))
    floor = (rk.rubric.bands.get("report_floor") or {}).get("below") or 0
    quota = excellent_count(session, len(rk.deputies))
    chosen, others = [], []
    for d in rk.deputies:
        reasons = []
        if d["r1_short"]:
            reasons.append("联系选民活动未达R1要求")
        if d["grade"] == "不称职":
            reasons.append("等级为不称职")
        if d["satisfaction"] is not None and d["satisfaction"] < floor:
            reasons.append("述职满意率偏低")
        if d["left_on"] is not None and d["left_on"].year <= year:
            reasons.append("年内已离任")
        if exclude_leaders and d["leader"]:
            reasons.append("担任领导职务的代表不参评")
        if not reasons and len(chosen) < quota:
            chosen.append(d)
        else:
            others.append((d, reasons or ["名额已满"]))
    cut = chosen[-1]["total"] if chosen else None
    rows = [{**_row(d), "候选": True, "说明": ""} for d in chosen if _in_scope(actor, d)]
    rest = [{**_row(d), "候选": False, "说明": "；".join(r)} for d, r in others if _in_scope(actor, d)]
    return {"quota": quota, "cut": cut, "candidates": rows, "others": rest}


def group_candidates(session: Session, actor: Actor, rubric_id: int, year: int,
                     ranking: Ranking | None = None) -> list[dict]:
    """先进代表组 candidates: the top groups by group score (setting advanced_groups), excluding a
    group graded 需整改 in a spot check of the year."""
    n = int(settings.get(session, "advanced_groups"))
    rows = group_scores(session, actor, rubric_id, year, ranking)
    out = []
    for r in rows:
        ok = not r["needs_fix"] and len(out) < n and r["代表（人）"] > 0
        out.append({**r, "候选": ok, "说明": "" if ok else ("抽查评定为需整改" if r["needs_fix"] else "名额已满")})
    return out


def confirm_selection(session: Session, actor: Actor, year: int, kind: str, rubric_id: int,
                      ids: list[int]) -> int:
    """The leader confirms a list (优秀代表 or 先进代表组): stored with the rubric version, date and who."""
    actor.require_write("selection")
    if kind not in (EXCELLENT, ADVANCED):
        raise ValidationError({"kind": "名单类别须为优秀代表或先进代表组。"})
    rubric = session.get(M.Rubric, rubric_id)
    if rubric is None:
        raise NotFound("评分细则版本不存在。")
    if rubric.status != PUBLISHED:
        raise ValidationError({"rubric": "草稿版本的评分细则不能用于确认名单，请先发布。"})
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise ValidationError({"items": "请至少选择一项再确认名单。"})
    rk = compute(session, rubric_id, year)
    if kind == EXCELLENT:
        by_id = rk.by_id()
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ValidationError({"items": "名单中有本年度未参加评分的代表。"})
        items = [{"id": i, "代表": by_id[i]["name"], "代表组": by_id[i]["group"], "总分": by_id[i]["total"],
                  "等级": by_id[i]["grade"], "全区排名": by_id[i]["rank"]} for i in ids]
    else:
        groups = {r["group_id"]: r for r in group_scores(session, Actor("system", "admin"), rubric_id, year, rk)}
        missing = [i for i in ids if i not in groups]
        if missing:
            raise ValidationError({"items": "名单中有不存在的代表组。"})
        items = [{"id": i, "代表组": groups[i]["代表组"], "代表组得分": groups[i]["代表组得分"],
                  "排名": groups[i]["排名"]} for i in ids]
    sel = M.Selection(year=year, kind=kind, rubric_id=rubric_id, items=items, confirmed_by=actor.username)
    session.add(sel)
    session.flush()
    return sel.id


def list_selections(session: Session, year: int | None = None) -> list[dict]:
    """Confirmed lists, newest first, with their rubric version."""
    S, R = M.Selection, M.Rubric
    stmt = select(S, R.version).join(R, R.id == S.rubric_id).order_by(S.confirmed_at.desc(), S.id.desc())
    if year:
        stmt = stmt.where(S.year == year)
    return [{"id": s.id, "年度": s.year, "类别": s.kind, "评分细则版本": f"第{v}版", "人数/组数": len(s.items or []),
             "确认人": s.confirmed_by, "确认时间": s.confirmed_at, "items": s.items}
            for s, v in session.execute(stmt)]


def latest_selection(session: Session, year: int, kind: str) -> dict | None:
    """The latest confirmed list of a kind for a year."""
    for s in list_selections(session, year):
        if s["类别"] == kind:
            return s
    return None


def selection_xlsx(session: Session, selection_id: int) -> bytes:
    """A confirmed list as .xlsx."""
    import pandas as pd

    from services.excel import to_xlsx

    s = _selection(session, selection_id)
    frame = pd.DataFrame([{k: v for k, v in it.items() if k != "id"} for it in s["items"]])
    return to_xlsx({s["类别"]: frame}, title=f"{s['年度']}年度{s['类别']}名单",
                   notes=[f"评分细则：{s['评分细则版本']}；确认人：{s['确认人']}；确认时间：{s['确认时间']:%Y-%m-%d %H:%M}"])


def selection_docx(session: Session, selection_id: int) -> bytes:
    """A confirmed list as a printable .docx."""
    from docx import Document

    s = _selection(session, selection_id)
    doc = Document()
    doc.add_heading(f"{s['年度']}年度{s['类别']}名单", level=1)
    doc.add_paragraph(f"依据评分细则{s['评分细则版本']}，经{s['确认人']}于{s['确认时间']:%Y-%m-%d}确认。")
    items = s["items"]
    if items:
        cols = [k for k in items[0] if k != "id"]
        table = doc.add_table(rows=1, cols=len(cols) + 1)
        table.style = "Table Grid"
        table.rows[0].cells[0].text = "序号"
        for j, c in enumerate(cols, start=1):
            table.rows[0].cells[j].text = c
        for n, it in enumerate(items, start=1):
            cells = table.add_row().cells
            cells[0].text = str(n)
            for j, c in enumerate(cols, start=1):
                cells[j].text = str(it.get(c, ""))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _selection(session: Session, selection_id: int) -> dict:
    """One confirmed list as a dict."""
    for s in list_selections(session):
        if s["id"] == selection_id:
            return s
    raise NotFound("名单不存在。")


def groups_without_exemplar(session: Session, actor: Actor, rubric_id: int, year: int,
                            ranking: Ranking | None = None) -> list[dict]:
    """R20: groups with no deputy graded 优秀 and none in the year's confirmed 优秀代表 list."""
    rk = ranking or compute(session, rubric_id, year)
    sel = latest_selection(session, year, EXCELLENT)
    listed = {it["id"] for it in (sel["items"] if sel else [])}
    good: dict[int, int] = defaultdict(int)
    count: dict[int, int] = defaultdict(int)
    best: dict[int, tuple[str, float]] = {}
    for d in rk.deputies:
        count[d["group_id"]] += 1
        if d["grade"] == "优秀" or d["id"] in listed:
            good[d["group_id"]] += 1
        if d["group_id"] not in best or d["total"] > best[d["group_id"]][1]:
            best[d["group_id"]] = (d["name"], d["total"])
    G = M.DeputyGroup
    out = []
    for gid, name, oid in session.execute(select(G.id, G.name, G.office_id).where(G.active.is_(True)).order_by(G.name)):
        if not actor.in_scope(oid, gid) or good.get(gid):
            continue
        b = best.get(gid)
        out.append({"group_id": gid, "代表组": name, "代表（人）": count.get(gid, 0),
                    "组内最高分": f"{b[0]} {b[1]}分" if b else "—"})
    return out


def preview(session: Session, draft_id: int, base_id: int, year: int) -> list[dict]:
    """Effect of a draft rubric on the ranking against a base version: rank and total before/after."""
    a, b = compute(session, base_id, year), compute(session, draft_id, year)
    before = a.by_id()
    out = []
    for d in b.deputies:
        o = before.get(d["id"])
        out.append({"代表": d["name"], "代表组": d["group"], "原排名": o["rank"] if o else None,
                    "新排名": d["rank"], "名次变化": (o["rank"] - d["rank"]) if o else None,
                    "原总分": o["total"] if o else None, "新总分": d["total"],
                    "原等级": o["grade"] if o else "", "新等级": d["grade"]})
    return out


# ---------------------------------------------------------------- 工作台


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """R15/R17/R20 figures for 工作台: deputies graded 不称职, the selection state, groups without an
    exemplary deputy."""
    rid = current_rubric_id(session)
    if rid is None:
        return [Figure("R15", "尚未发布评分细则", "—", "", "scoring", {"tab": "rubric"}, bad=True,
                       help="系统管理员在评分评优页面发布评分细则后即可计算代表得分")]
    rk = compute(session, rid, year)
    mine = [d for d in rk.deputies if _in_scope(actor, d)]
    weak = sum(1 for d in mine if d["grade"] == "不称职")
    y = str(year)
    sel = latest_selection(session, year, EXCELLENT)
    r20 = len(groups_without_exemplar(session, actor, rid, year, rk))
    out = [
        Figure("R15", "履职评分为不称职的代表", weak, "人", "scoring", {"tab": "rank", "year": y, "grade": "不称职"},
               bad=weak > 0, help="按五个方面的工作重点计分（现行评分细则）"),
        Figure("R17", "本年度优秀代表名单", "已确认" if sel else "未确认", "", "scoring",
               {"tab": "select", "year": y}, bad=False,
               help=f"{sel['确认人']} {sel['确认时间']:%Y-%m-%d} 确认 {sel['人数/组数']} 人" if sel else "领导确认后存档"),
        Figure("R20", "没有优秀代表的代表组", r20, "个", "scoring", {"tab": "select", "year": y, "view": "r20"},
               bad=r20 > 0, help="每个代表组至少应有一名先进典型代表"),
    ]
    return out


def averages(ranking: Ranking, actor: Actor) -> dict:
    """Focus averages for the charts: the whole district, and each group in the actor's scope.

    Returns {"district": {F: avg}, "groups": {group id: {"name": ..., F: avg, "total": avg}}}.
    """
    def avg(ds: list[dict]) -> dict:
        n = len(ds) or 1
        out = {f: round(sum(d["focus"][f] for d in ds) / n, 2) for f in FOCUSES}
        out["total"] = round(sum(d["total"] for d in ds) / n, 2)
        return out

    groups: dict[int, list[dict]] = defaultdict(list)
    names: dict[int, str] = {}
    for d in ranking.deputies:
        if _in_scope(actor, d):
            groups[d["group_id"]].append(d)
            names[d["group_id"]] = d["group"]
    return {"district": avg(ranking.deputies),
            "groups": {g: {"name": names[g], **avg(ds)} for g, ds in groups.items()}}
