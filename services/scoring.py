"""评分评优: scores on the five focuses (R15), excellent-deputy and advanced-group selection (R17),
groups without an exemplary deputy (R20).

The rubric is data (tables ``rubrics`` and ``rubric_rows``) and is versioned: editing saves a new
version as 草稿; publishing makes it the one rankings use by default; older versions stay readable
and every score can be recomputed with the version it was published with.

How a score is computed (``compute``):
1. Who is scored: ``services.deputies.served_in`` (everyone who served some of the year, in the
   group of their last period in the year, with the exact fraction days served ÷ days in the year).
2. Counted in the database: every fact the rubric names is a subquery yielding
   (deputy, fact, record kind, record id) for the year, built from the shared rules of
   ``services.rules`` (who is credited with an opinion or a letter, what is resolved, what a spot
   check voided, what was attended or missed); joined with UNION ALL they are the fact rows
   (``_union``). ``count_facts`` counts those rows per deputy and fact (letters and opinions in one
   pass per family, by the same conditions). Facts are listed in ``FACTS``. Every fact counts only records dated up
   to the year's reference day (``deputies.reference_day``): the current year never counts the
   future. The drill-down (``score_details``) lists the rows of the very same query.
3. On that small per-deputy result: points = count × points of the row; a row's own cap; rows
   sharing a ``cap_group`` share one cap; the focus total is capped at the focus cap (default 20).
4. Pro-rating (part-year service): f = days served ÷ days in the year, exact and unrounded (319/365);
   every positive row is scored as min(cap, count × points ÷ max(f, 0.25)) — the record rate of a
   full year — before its caps. Deductions are not pro-rated (an absence is an absence; R1's
   shortfall is already pro-rated by services.activities).
5. Total = sum of the five focuses + deductions (negative), never below 0. Grade from the bands
   of the rubric (优秀 ≥ 85, 称职 ≥ 60, 基本称职 ≥ 45, else 不称职); a 述职 satisfaction rate below
   50 % caps the grade at 基本称职.
Beside the total: volume (distinct records behind the positive rows), outcomes (opinions and
letters resolved) and voters' satisfaction (述职 evaluation) are separate columns.

Rankings are cached once, here (``ranking``), keyed by the database, the rubric, the year, the data
version (``db.dataversion``: any committed write makes the entry stale) and the reference day.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import (
    Date,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from db import dataversion, models
from services import clock, deputies, people, rules, settings
from services.common import (
    Actor,
    Figure,
    NotFound,
    ValidationError,
    scope_filter,
)
from services.states import (
    ActivityKind,
    EventKind,
    Focus,
    Grade,
    GroupGrade,
    LetterStatus,
    ProposalKind,
    PublicityKind,
    RecordKind,
    ReportForm,
    ReviewResult,
    Role,
    RubricStatus,
    Satisfaction,
    SelectionKind,
    values,
)
from services.validation import fmt_date
from services.versioned import Cache, database_key, has_unsaved_writes

M = models
FOCUSES: list[str] = [f.value for f in Focus if f is not Focus.DEDUCT]
DEDUCT: str = Focus.DEDUCT.value
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
GRADES: list[str] = values(Grade)
DEFAULT_BANDS = {"bands": [{"min": 85, "grade": Grade.EXCELLENT.value}, {"min": 60, "grade": Grade.COMPETENT.value},
                           {"min": 45, "grade": Grade.BASIC.value}, {"min": 0, "grade": Grade.INCOMPETENT.value}],
                 "report_floor": {"below": 0.5, "grade": Grade.BASIC.value}}
DEFAULT_CAPS = {f: 20 for f in FOCUSES}
MIN_FRACTION = 0.25
DRAFT, PUBLISHED = RubricStatus.DRAFT, RubricStatus.PUBLISHED
EXCELLENT, ADVANCED = SelectionKind.EXCELLENT, SelectionKind.ADVANCED
EVENT_KINDS: list[str] = values(EventKind)

# condition key -> Chinese name, record kinds it applies to
CONDITIONS = {
    "not_failed": ("抽查未判不合格", {RecordKind.ACTIVITY}),
    "evidenced": ("有佐证（签到表或照片）或已核实", {RecordKind.ACTIVITY}),
    "livelihood": ("仅民生问题", {"群众意见"}),
}


def _year_bounds(year: int) -> tuple[date, date]:
    """First day of a calendar year and its reference day (facts are counted up to that day)."""
    return date(year, 1, 1), deputies.reference_day(year)


def _s(expr, n: int = 200):  # noqa: ANN001, ANN202
    """Cast an expression to a string column (portable UNION ALL of labels)."""
    return cast(expr, String(n))


def _lit(value: str):  # noqa: ANN202
    """A typed string literal (PostgreSQL needs a type inside UNION ALL)."""
    return cast(literal(str(value)), String(80))


# ---------------------------------------------------------------- facts: SQL over the tables
#
# A builder takes (session, lo, hi, condition, event kinds) and returns a SELECT of
# deputy_id, record_id, day, label. ``hi`` is the year's reference day.


def _activity_cond(cond: str | None):  # noqa: ANN202
    """Extra WHERE of an activity fact for a condition."""
    A = M.Activity
    if cond == "not_failed":
        return ~rules.voided_by_spotcheck(A.id)
    if cond == "evidenced":
        return or_(A.verified_at.is_not(None), and_(or_(A.has_signin.is_(True), A.has_photos.is_(True)),
                                                    A.voters_reached > 0))
    return None


def _activities(kind: str | None):  # noqa: ANN202
    """Builder of an activity fact (optionally only one 三问 kind)."""
    def build(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
        A, AD = M.Activity, M.ActivityDeputy
        stmt = (select(AD.deputy_id.label("deputy_id"), A.id.label("record_id"), A.held_on.label("day"),
                       _s(A.place).label("label"))
                .join(A, A.id == AD.activity_id).where(A.held_on.between(lo, hi)))
        if kind:
            stmt = stmt.where(A.kind == kind)
        extra = _activity_cond(cond)
        return stmt.where(extra) if extra is not None else stmt
    return build


def _publicity(kinds_of_work: tuple[str, ...]):  # noqa: ANN202
    """Builder of a publicity / rule-of-law fact."""
    def build(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
        P, PD = M.PublicityWork, M.PublicityDeputy
        return (select(PD.deputy_id.label("deputy_id"), P.id.label("record_id"), P.held_on.label("day"),
                       _s(P.title).label("label"))
                .join(P, P.id == PD.work_id).where(P.held_on.between(lo, hi), P.kind.in_(kinds_of_work)))
    return build


def _attendance(present: bool):  # noqa: ANN202
    """Builder of an attendance fact: attended (rules.attended) or missed without leave
    (rules.absent_unexcused) an event of the row's kinds held up to the reference day."""
    def build(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
        E, AT = M.CongressEvent, M.Attendance
        rule = rules.attended if present else rules.absent_unexcused
        return (select(AT.deputy_id.label("deputy_id"), E.id.label("record_id"), E.held_on.label("day"),
                       _s(E.title).label("label"))
                .join(E, E.id == AT.event_id).where(rule(lo, hi, list(kinds or ()))))
    return build


def _proposals(kinds: tuple[str, ...] | None, lead: bool | None, law: bool = False):  # noqa: ANN202
    """Builder of a proposal fact: led (proposals.lead_deputy_id) or co-signed (proposal_signers,
    not the lead), or either (``lead`` None) for law-related ones."""
    def build(session: Session, lo: date, hi: date, cond: str | None, _kinds: tuple | None):  # noqa: ANN202
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


def opinion_condition(lo: date, hi: date, *, resolved: bool, livelihood: bool = False) -> list:
    """The conditions on ``models.Opinion`` of an opinion fact: forwarded (raised between lo and hi,
    status in rules.OPINION_FORWARDED) or resolved (rules.opinion_resolved between lo and hi),
    optionally only 民生 opinions. ``opinion_facts`` lists them; ``compute`` counts them."""
    O = M.Opinion
    if resolved:
        where = [rules.opinion_resolved(lo, hi)]
    else:
        where = [O.raised_on.between(lo, hi), O.status.in_(rules.OPINION_FORWARDED)]
    if livelihood:
        where.append(O.is_livelihood.is_(True))
    return where


def opinion_facts(lo: date, hi: date, *, resolved: bool, livelihood: bool = False):  # noqa: ANN201
    """SELECT deputy_id, record_id (opinion), day, label of the opinions credited to each deputy
    (rules.opinion_credit) that meet ``opinion_condition``. The score (F3) and its drill-down use it."""
    O = M.Opinion
    day = O.resolved_on if resolved else O.raised_on
    credit = rules.opinion_credit(opinion_condition(lo, hi, resolved=resolved, livelihood=livelihood)).subquery("credit")
    return (select(credit.c.deputy_id.label("deputy_id"), O.id.label("record_id"), day.label("day"),
                   _s(O.content).label("label"))
            .join(O, O.id == credit.c.opinion_id))


def _opinions(resolved: bool):  # noqa: ANN202
    """Builder of an opinion fact (``opinion_facts``)."""
    def build(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
        return opinion_facts(lo, hi, resolved=resolved, livelihood=cond == "livelihood")
    return build


def _opinion_condition(resolved: bool):  # noqa: ANN202
    """The conditions of an opinion fact (``opinion_condition``), in a builder's signature."""
    def condition(lo: date, hi: date, cond: str | None, kinds: tuple | None) -> list:
        return opinion_condition(lo, hi, resolved=resolved, livelihood=cond == "livelihood")
    return condition


SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)


def letter_condition(lo: date, hi: date, what: str) -> list:
    """The conditions on ``models.Letter`` of a letter fact: received between lo and hi and
    ``forwarded`` (status in rules.LETTER_FORWARDED), ``resolved`` (rules.letter_resolved),
    ``satisfied`` (fed back, writer satisfied) or ``all``. ``letter_facts`` lists them; ``compute``
    counts them."""
    L = M.Letter
    where = [L.received_on.between(lo, hi)]
    if what == "forwarded":
        where.append(L.status.in_(rules.LETTER_FORWARDED))
    elif what == "resolved":
        where.append(rules.letter_resolved())
    elif what == "satisfied":
        where.extend([L.status == LetterStatus.FED_BACK, L.satisfaction.in_(SATISFIED)])
    return where


def letter_facts(lo: date, hi: date, what: str):  # noqa: ANN201
    """SELECT deputy_id, record_id (letter), day, label of the letters credited to their deputy
    (rules.letter_credit) that meet ``letter_condition``."""
    L = M.Letter
    credit = rules.letter_credit(letter_condition(lo, hi, what)).subquery("credit")
    return (select(credit.c.deputy_id.label("deputy_id"), L.id.label("record_id"), L.received_on.label("day"),
                   _s(L.code).label("label"))
            .join(L, L.id == credit.c.letter_id))


def _letters(what: str):  # noqa: ANN202
    """Builder of a letter fact (``letter_facts``)."""
    def build(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
        return letter_facts(lo, hi, what)
    return build


def _letter_condition(what: str):  # noqa: ANN202
    """The conditions of a letter fact (``letter_condition``), in a builder's signature."""
    def condition(lo: date, hi: date, cond: str | None, kinds: tuple | None) -> list:
        return letter_condition(lo, hi, what)
    return condition


def _reports(what: str):  # noqa: ANN202
    """Builder of a 述职 fact of the year (reports.year). A report belongs to its report year and
    counts once it has happened (its date is not after today): a written report of last year
    reviewed in January still counts for last year, and nothing dated in the future counts."""
    def build(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
        R = M.Report
        where = [R.year == lo.year]
        if what == "f2f":
            day = R.held_on
            where += [R.form == ReportForm.FACE, R.held_on.is_not(None)]
        elif what == "written":
            day = func.coalesce(R.reviewed_on, R.received_on)
            where += [R.form == ReportForm.WRITTEN, R.review_result == ReviewResult.PASSED]
        else:
            day = R.published_on
            where += [R.published_on.is_not(None)]
        where.append(or_(day.is_(None), day <= clock.today()))
        return select(R.deputy_id.label("deputy_id"), R.id.label("record_id"), day.label("day"),
                      _s(R.form).label("label")).where(*where)
    return build


def _failed_spotcheck(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
    """Activities of the year that a spot check found 不合格 (voided and penalised)."""
    A, AD = M.Activity, M.ActivityDeputy
    return (select(AD.deputy_id.label("deputy_id"), A.id.label("record_id"), A.held_on.label("day"),
                   _s(A.place).label("label"))
            .join(A, A.id == AD.activity_id).where(A.held_on.between(lo, hi), rules.voided_by_spotcheck(A.id)))


def _r1_shortfall(session: Session, lo: date, hi: date, cond: str | None, kinds: tuple | None):  # noqa: ANN202
    """Deputies below R1's minimum of contact activities (the rule: services.activities.r1_statement)."""
    from services import activities

    sub = activities.r1_statement(session, Actor("system", Role.ADMIN), lo.year).order_by(None).subquery()
    return select(sub.c.id.label("deputy_id"), sub.c.id.label("record_id"),
                  literal(hi, Date).label("day"),
                  _s(literal("本年联系选民活动次数不足")).label("label"))


@dataclass(frozen=True)
class Fact:
    """A kind of fact a rubric row can count: name, record kind, deduction or not, SQL builder, and
    for attendance facts the event kinds counted when a row names none (rules.CONGRESS_KINDS /
    rules.STANDING_KINDS)."""

    name: str
    kind: str
    builder: object
    deduction: bool = False
    default_kinds: tuple[str, ...] | None = None
    # facts of one family (``FAMILIES``: the letters or the opinions credited to a deputy) are
    # counted together in one pass over the family's records: ``condition`` gives the fact's
    # conditions on the family's table, the same ones its ``builder`` lists
    family: str | None = None
    condition: object = None

    @property
    def attendance(self) -> bool:
        """True for the facts whose rows name the event kinds they count."""
        return self.default_kinds is not None


CONGRESS_KINDS = tuple(k.value for k in rules.CONGRESS_KINDS)
STANDING_KINDS = tuple(k.value for k in rules.STANDING_KINDS)

FACTS: dict[str, Fact] = {
    "congress_attended": Fact("出席人代会（每次会议）", "出席", _attendance(True), default_kinds=CONGRESS_KINDS),
    "standing_attended": Fact("参加常委会视察调研执法检查等活动", "出席", _attendance(True),
                              default_kinds=STANDING_KINDS),
    "motion_lead": Fact("领衔议案", "议案建议", _proposals((ProposalKind.MOTION,), True)),
    "motion_cosign": Fact("附议议案", "议案建议", _proposals((ProposalKind.MOTION,), False)),
    "suggestion_lead": Fact("领衔建议、批评和意见", "议案建议",
                            _proposals((ProposalKind.SUGGESTION, ProposalKind.CRITICISM), True)),
    "suggestion_cosign": Fact("附议建议、批评和意见", "议案建议",
                              _proposals((ProposalKind.SUGGESTION, ProposalKind.CRITICISM), False)),
    "publicity": Fact("宣传活动", "宣传法制", _publicity((PublicityKind.PUBLICITY,))),
    "activity_wenji": Fact("问计活动", RecordKind.ACTIVITY, _activities(ActivityKind.WENJI)),
    "opinion_forwarded": Fact("群众意见已转交", "群众意见", _opinions(False), family="opinion",
                              condition=_opinion_condition(False)),
    "opinion_resolved": Fact("群众意见已解决（A类）", "群众意见", _opinions(True), family="opinion",
                             condition=_opinion_condition(True)),
    "letter_forwarded": Fact("来信已转办", RecordKind.LETTER, _letters("forwarded"), family="letter",
                             condition=_letter_condition("forwarded")),
    "letter_resolved": Fact("来信已解决（A类）", RecordKind.LETTER, _letters("resolved"), family="letter",
                            condition=_letter_condition("resolved")),
    "letter_satisfied": Fact("来信人反馈满意", RecordKind.LETTER, _letters("satisfied"), family="letter",
                             condition=_letter_condition("satisfied")),
    "law_work": Fact("普法或法制调研", "宣传法制", _publicity((PublicityKind.LAW_EDUCATION, PublicityKind.LAW_RESEARCH))),
    "law_proposal": Fact("涉法议案建议", "议案建议", _proposals(None, None, law=True)),
    "report_f2f": Fact("当面述职", RecordKind.REPORT, _reports("f2f")),
    "report_written_accepted": Fact("书面述职报告审查通过", RecordKind.REPORT, _reports("written")),
    "report_published": Fact("述职在人大工作信息刊登", RecordKind.REPORT, _reports("published")),
    "contact_activity": Fact("联系选民活动", RecordKind.ACTIVITY, _activities(None)),
    "absent_congress": Fact("无故缺席人代会", "出席", _attendance(False), deduction=True,
                            default_kinds=CONGRESS_KINDS),
    "absent_standing": Fact("无故缺席常委会活动", "出席", _attendance(False), deduction=True,
                            default_kinds=STANDING_KINDS),
    "r1_shortfall": Fact("联系选民活动少于规定次数（R1）", "代表", _r1_shortfall, deduction=True),
    "failed_spotcheck": Fact("活动记录抽查不合格", RecordKind.ACTIVITY, _failed_spotcheck, deduction=True),
}
OUTCOME_FACTS = ("opinion_resolved", "letter_resolved")

# family -> (the rule's credit SELECT of (record id, deputy_id), which takes conditions on the
# family's table; the table; the credit's record-id column): one row per record and deputy
FAMILIES: dict[str, tuple] = {
    "letter": (rules.letter_credit, M.Letter, "letter_id"),
    "opinion": (rules.opinion_credit, M.Opinion, "opinion_id"),
}


def fact_options() -> dict[str, str]:
    """Fact key -> Chinese name, for the rubric editor."""
    return {k: f.name for k, f in FACTS.items()}


def condition_options() -> dict[str, str]:
    """Condition key -> Chinese name, for the rubric editor."""
    return {k: v[0] for k, v in CONDITIONS.items()}


def fact_name(fact: str | None) -> str:
    """The Chinese name of a fact key, as users see it (keys never reach a page or a document)."""
    spec = FACTS.get(fact or "")
    return spec.name if spec else "未知计分项"


def condition_name(cond: str | None) -> str:
    """The Chinese name of a condition key ("" for none)."""
    if not cond:
        return ""
    return CONDITIONS[cond][0] if cond in CONDITIONS else "未知条件"


def row_kinds(fact: str, kinds: list | tuple | None) -> tuple[str, ...] | None:
    """The event kinds a row of ``fact`` counts: its own, else the fact's default (None for facts
    that are not about attendance). Ordered as services.states.EventKind."""
    spec = FACTS.get(fact)
    if spec is None or not spec.attendance:
        return None
    chosen = set(kinds or ()) or set(spec.default_kinds)
    return tuple(k for k in EVENT_KINDS if k in chosen)


def _tag(fact: str, cond: str | None, kinds: tuple[str, ...] | None = None) -> str:
    """The key a fact is counted under: fact, condition and (attendance) event kinds."""
    return f"{fact}|{cond or ''}|{','.join(kinds or ())}"


def row_tag(row: dict) -> str:
    """The count key of a rubric row."""
    return _tag(row["fact"], row.get("condition"), row_kinds(row["fact"], row.get("kinds")))


# ---------------------------------------------------------------- the default rubric

# focus, fact, points, cap, cap_group, condition, reason (attendance rows carry their fact's kinds)
DEFAULT_ROWS: list[tuple] = [
    ("F1", "congress_attended", 5, 10, None, None,
     "出席人代会是代表的首要职责；每年一般两次会议，出满即得10分（参照乡镇模板出席占15分中的主要部分）。"),
    ("F1", "standing_attended", 2, 4, None, None,
     "重庆江北区对常委会视察、调研计3分；本方面还要计议案建议，故按2分计、最多4分，避免只靠出席拿满。"
     "只计列席常委会、视察、调研、执法检查；代表小组活动不是常委会活动，不计。"),
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
    ("F3", "letter_resolved", 3, None, None, None, "来信办结且结果为A类（已解决）计3分；B、C、D类不计（见 README）。"),
    ("F3", "letter_satisfied", 1, None, None, None, "反馈时来信人满意或基本满意，另计1分（R12）。"),
    ("F4", "law_work", 4, None, None, None, "普法宣传或法制调研，每次4分。"),
    ("F4", "law_proposal", 3, None, None, None, "涉及法治的议案建议计3分（与F1分别计）。"),
    ("F5", "report_f2f", 8, None, "述职", None, "当面述职（R6）向选民报告履职最直接，计8分。"),
    ("F5", "report_written_accepted", 4, 8, "述职", None, "书面报告经代表组审查通过（R7）计4分；与当面述职共用8分上限。"),
    ("F5", "report_published", 2, None, None, None, "述职在人大工作信息刊登（R9）计2分。"),
    ("F5", "contact_activity", 2, 10, None, "not_failed",
     "每次联系选民活动计2分、最多10分；抽查不合格的记录作废不计（内部方案：抽查不合格作废并扣3分）。"),
    (DEDUCT, "absent_congress", -10, None, None, None, "无故缺席人代会扣10分（政协参照：无故缺席扣30分，本区代表按两次会议折算）。"),
    (DEDUCT, "absent_standing", -3, None, None, None,
     "无故缺席常委会活动扣3分（重庆江北区：请假半天扣1分，无故缺席从重）；代表小组活动不在此列。"),
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
        kinds = row_kinds(fact, None)
        session.add(M.RubricRow(rubric_id=rubric.id, focus=focus, fact=fact, points=points, cap=cap,
                                cap_group=group, condition=cond, kinds=list(kinds) if kinds else None,
                                reason=reason))
    session.flush()
    return rubric.id


# ---------------------------------------------------------------- rubric versions


def list_rubrics(session: Session) -> list[dict]:
    """Every rubric version, newest first."""
    rows = session.execute(select(M.Rubric).order_by(M.Rubric.version.desc())).scalars().all()
    who = people.names_of(session, [r.created_by for r in rows])
    return [{"id": r.id, "版本": r.version, "名称": r.name, "状态": r.status, "创建人": who.get(r.created_by, ""),
             "创建时间": r.created_at, "发布时间": r.published_at} for r in rows]


def rubric_options(session: Session, actor: Actor) -> dict[int, str]:
    """Rubric versions a user may pick: published ones; drafts too for the admin."""
    out = {}
    for r in list_rubrics(session):
        if r["状态"] == PUBLISHED or actor.role == Role.ADMIN:
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
          "condition": x.condition or None, "kinds": list(x.kinds) if x.kinds else None,
          "reason": x.reason or ""} for x in rows],
        {k: float(v) for k, v in (r.focus_caps or DEFAULT_CAPS).items()},
        r.grade_bands or DEFAULT_BANDS,
    )


def rubric_table(session: Session, rubric_id: int) -> list[dict]:
    """The rows of a rubric with Chinese column names (for display and the editor)."""
    data = load_rubric(session, rubric_id)
    return [{"方面": r["focus"], "计分项": fact_name(r["fact"]),
             "每条分值": r["points"], "上限": r["cap"], "共用上限组": r["cap_group"] or "",
             "条件": condition_name(r["condition"]), "计入的活动类型": "、".join(row_kinds(r["fact"], r["kinds"]) or ()),
             "理由": r["reason"]} for r in data.rows]


def _missing(value: object) -> bool:
    """An empty editor cell: None, NaN, or pandas' NA / NaT (without importing pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) \
        or type(value).__name__ in ("NAType", "NaTType")


def _num(value: object) -> float | None:
    """A number from an editor cell (None for empty); raises ValueError for text."""
    if _missing(value) or str(value).strip() == "":
        return None
    return float(value)


def _kinds_of(value: object) -> list[str] | None:
    """Event kinds from an editor cell: a list (multiselect), or text separated by 、，, or spaces."""
    if _missing(value):
        return None
    if isinstance(value, str):
        parts = [p for p in re.split(r"[、，,;；\s]+", value.strip()) if p]
    else:
        try:
            parts = [_text(p) for p in value]
        except TypeError:
            parts = [_text(value)]
    parts = [p for p in parts if p]
    return parts or None


def validate_rows(rows: list[dict]) -> list[dict]:
    """Check editor rows (keys focus, fact, points, cap, cap_group, condition, kinds, reason); return
    clean rows or raise ValidationError with one Chinese message per bad row (key ``row<N>``).

    ``kinds`` (the event kinds an attendance fact counts, values of services.states.EventKind) is
    only for attendance facts; left empty, the fact's default kinds are stored. Two rows of one
    focus, fact and condition may not count the same event kind (it would score twice)."""
    errors: dict[str, str] = {}
    clean: list[dict] = []
    seen: set = set()
    counted: dict[tuple, list[tuple[int, set[str]]]] = defaultdict(list)
    groups: dict[str, list[tuple[int, str, float | None]]] = defaultdict(list)
    for i, raw in enumerate(rows, start=1):
        focus = _text(raw.get("focus"))
        fact = _text(raw.get("fact"))
        cond = _text(raw.get("condition")) or None
        group = _text(raw.get("cap_group")) or None
        reason = _text(raw.get("reason"))
        kinds = _kinds_of(raw.get("kinds"))
        if not focus and not fact and _num_safe(raw.get("points")) is None:
            continue  # an empty line left by the editor
        problems = []
        stored_kinds = None
        if fact in FACTS and FACTS[fact].attendance:
            unknown = [k for k in kinds or () if k not in EVENT_KINDS]
            if unknown:
                problems.append(f"活动类型“{'、'.join(unknown)}”不存在（可选：{'、'.join(EVENT_KINDS)}）")
            else:
                stored_kinds = list(row_kinds(fact, kinds))
        elif kinds and fact in FACTS:
            problems.append(f"“{FACTS[fact].name}”不是出席类计分项，不能填写计入的活动类型")
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
        if stored_kinds is not None:
            overlap = [(j, ks & set(stored_kinds)) for j, ks in counted[key] if ks & set(stored_kinds)]
            if overlap:
                j, both = overlap[0]
                problems.append(f"与第{j}行都计入“{'、'.join(k for k in EVENT_KINDS if k in both)}”（同一活动会重复计分）")
            counted[key].append((i, set(stored_kinds)))
        elif key in seen:
            problems.append("与前面的行重复（同一方面、计分项和条件）")
        seen.add(key)
        if problems:
            errors[f"row{i}"] = f"第{i}行：" + "；".join(problems)
            continue
        if group:
            groups[group].append((i, focus, cap))
        clean.append({"focus": focus, "fact": fact, "points": points, "cap": cap, "cap_group": group,
                      "condition": cond, "kinds": stored_kinds, "reason": reason})
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
    """A text cell from the editor: empty for None / NaN / NA."""
    if _missing(value):
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
    return {"bands": clean, "report_floor": {"below": below if below is not None else 0.0, "grade": Grade.BASIC.value}}


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


@dataclass(frozen=True)
class _Spec:
    """One distinct fact a rubric counts: fact key, condition, event kinds (attendance facts)."""

    fact: str
    cond: str | None
    kinds: tuple[str, ...] | None


def _tags(rubric: RubricData, extra: tuple[str, ...] = ()) -> dict[str, _Spec]:
    """Distinct facts of a rubric plus extra facts: tag -> spec."""
    out: dict[str, _Spec] = {}
    for r in rubric.rows:
        kinds = row_kinds(r["fact"], r.get("kinds"))
        out[_tag(r["fact"], r["condition"], kinds)] = _Spec(r["fact"], r["condition"], kinds)
    for f in extra:
        kinds = row_kinds(f, None)
        out.setdefault(_tag(f, None, kinds), _Spec(f, None, kinds))
    return out


def _union(session: Session, tags: dict[str, _Spec], year: int, deputy_ids: list[int] | None = None):  # noqa: ANN202
    """UNION ALL of every fact subquery: deputy_id, fact (tag), kind, record_id, day, label.

    The one fact query: the ranking counts its rows, the drill-down lists them."""
    lo, hi = _year_bounds(year)
    parts = []
    for tag, spec in tags.items():
        fact = FACTS[spec.fact]
        sub = fact.builder(session, lo, hi, spec.cond, spec.kinds).subquery()
        stmt = select(sub.c.deputy_id.label("deputy_id"), _lit(tag).label("fact"), _lit(fact.kind).label("kind"),
                      sub.c.record_id.label("record_id"), sub.c.day.label("day"), sub.c.label.label("label"))
        if deputy_ids is not None:
            stmt = stmt.where(sub.c.deputy_id.in_(deputy_ids))
        parts.append(stmt)
    return union_all(*parts).subquery("facts")


def shared_conjuncts(conditions: list[list]) -> tuple[list, list[list]]:
    """The conjuncts every one of ``conditions`` (each a list of conditions joined by AND) has,
    and what is left of each: (A and B) or (A and C) is A and (B or C). Conjuncts are compared
    by their SQL (``ClauseElement.compare``, bound values included)."""
    if not conditions:
        return [], []
    common = [c for c in conditions[0] if all(any(c.compare(o) for o in other) for other in conditions[1:])]
    rests = [[c for c in cond if not any(c.compare(k) for k in common)] for cond in conditions]
    return common, rests


def count_facts(session: Session, tags: dict[str, _Spec], year: int, deputy_ids=None  # noqa: ANN001
                ) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Per deputy: how many rows each fact (tag) has in ``_union``, and the volume (distinct
    records behind the positive facts): the numbers the ranking scores, without building the union.

    A fact of a family (``FAMILIES``) is counted with the others of its family in one pass over the
    family's credited records (a conditional sum per fact, and one for "any positive fact": the
    credit has one row per record and deputy, so that sum counts distinct records). Every other
    fact is one grouped query of its own rows, and its record kind's volume one query over the
    distinct (deputy, record) pairs of its positive facts. tests/test_scoring_counts.py checks that
    this agrees with counting the union's rows on generated data.
    """
    lo, hi = _year_bounds(year)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    volume: dict[int, int] = defaultdict(int)

    def scoped(stmt, col):  # noqa: ANN001, ANN202
        return stmt.where(col.in_(deputy_ids)) if deputy_ids is not None else stmt

    families: dict[str, dict[str, tuple]] = defaultdict(dict)
    by_kind: dict[str, list] = defaultdict(list)  # record kind -> positive facts' subqueries
    for tag, spec in tags.items():
        fact = FACTS[spec.fact]
        if fact.family:
            families[fact.family][tag] = (fact.condition(lo, hi, spec.cond, spec.kinds), not fact.deduction)
            continue
        sub = fact.builder(session, lo, hi, spec.cond, spec.kinds).subquery()
        stmt = scoped(select(sub.c.deputy_id, func.count()), sub.c.deputy_id).group_by(sub.c.deputy_id)
        for did, n in session.execute(stmt):
            counts[did][tag] = int(n)
        if not fact.deduction:
            by_kind[fact.kind].append(sub)
    for family, items in families.items():
        credit_of, table, key = FAMILIES[family]
        common, rests = shared_conjuncts([c for c, _p in items.values()])
        # the records of any fact: what every fact asks (the letters' year of receipt, say) once,
        # so the database reads that index range once instead of once per fact
        # each fact's own remaining conjuncts (every row read already meets the shared ones): a
        # fact asking nothing more is true() — an empty and_() would drop out of the OR below and
        # leave the other facts' conditions on every fact of the family
        conds = {tag: and_(*r) if r else true() for tag, r in zip(items, rests, strict=True)}
        credit = credit_of([*common, or_(*conds.values())]).subquery("credit")
        positive = [conds[t] for t, (_c, p) in items.items() if p]
        cols = [func.sum(case((c, 1), else_=0)) for c in conds.values()]
        cols.append(func.sum(case((or_(*positive), 1), else_=0)) if positive else literal(0))
        stmt = (select(credit.c.deputy_id, *cols).join(table, table.id == credit.c[key])
                .group_by(credit.c.deputy_id))
        for did, *ns in session.execute(scoped(stmt, credit.c.deputy_id)):
            for tag, n in zip(items, ns[:-1], strict=True):
                if n:
                    counts[did][tag] = int(n)
            if ns[-1]:
                volume[did] += int(ns[-1])
    for subs in by_kind.values():
        u = union_all(*(scoped(select(q.c.deputy_id.label("deputy_id"), q.c.record_id.label("record_id")),
                               q.c.deputy_id) for q in subs)).subquery()
        pairs = select(u.c.deputy_id, u.c.record_id).distinct().subquery()
        for did, n in session.execute(select(pairs.c.deputy_id, func.count()).group_by(pairs.c.deputy_id)):
            volume[did] += int(n)
    return counts, volume


def _deputies(session: Session, year: int, deputy_ids: list[int] | None = None) -> list[dict]:
    """Deputies scored in ``year`` (deputies.served_in): id, name, group of the year, office, dates,
    the exact fraction of the year served, and whether they serve on the year's reference day."""
    return [{"id": s.id, "name": s.name, "group_id": s.group_id, "group": s.group, "office_id": s.office_id,
             "joined_on": s.joined_on, "left_on": s.left_on, "status": s.status, "leader": s.leader,
             "days": s.days, "fraction": s.fraction, "serving": s.serving,
             "open": s.last_day is None and s.days_to_date < s.days}
            for s in deputies.served_in(session, year, deputy_ids=deputy_ids)]


def pro_rata_scale(fraction: float) -> float:
    """The factor positive points are multiplied by for part-year service: 1 ÷ max(f, 25 %), where
    f = days served ÷ days in the year, exact (1 for a whole year)."""
    return 1 / max(fraction, MIN_FRACTION) if fraction < 1 else 1.0


def score_counts(rubric: RubricData, counts: dict[str, float], fraction: float,
                 tags: list[str] | None = None) -> dict:
    """Score one deputy from fact counts (tag -> count): pure function shared by ranking and drill-down.
    ``tags``: the rubric rows' count keys (``row_tag``), when the caller scores many deputies with
    one rubric and has worked them out once.

    Returns {"rows": {row index: points after the row's own cap and pro-rating},
    "groups": {cap group: (sum, cap)}, "focus": {F: score}, "raw": {F: before focus cap},
    "deduction": sum, "raw_total": before the 0-point floor, "total": total, "scale": factor}.
    """
    scale = pro_rata_scale(fraction)
    row_pts: dict[int, float] = {}
    group_sum: dict[tuple[str, str], float] = defaultdict(float)
    group_cap: dict[tuple[str, str], float] = {}
    tags = tags if tags is not None else [row_tag(r) for r in rubric.rows]
    for i, r in enumerate(rubric.rows):
        n = counts.get(tags[i], 0)
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
    raw_total = round(sum(focus.values()) + deduction, 2)
    total = round(max(0.0, raw_total), 2)
    return {"rows": row_pts, "groups": {k: (v, group_cap.get(k)) for k, v in group_sum.items()},
            "focus": focus, "raw": raw, "deduction": deduction, "raw_total": raw_total, "total": total,
            "scale": scale}


def grade_of(rubric: RubricData, total: float, satisfaction: float | None) -> str:
    """The grade of a total from the rubric's bands; a low 述职 satisfaction caps it."""
    bands = sorted(rubric.bands.get("bands", DEFAULT_BANDS["bands"]), key=lambda b: -float(b["min"]))
    grade = bands[-1]["grade"] if bands else Grade.INCOMPETENT.value
    for b in bands:
        if total >= float(b["min"]) - 1e-9:
            grade = b["grade"]
            break
    floor = rubric.bands.get("report_floor") or {}
    below = floor.get("below")
    if satisfaction is not None and below and satisfaction < float(below) - 1e-9:
        cap_grade = floor.get("grade", Grade.BASIC.value)
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
    """Scores of every deputy who served in the year under one rubric version (read-only: the
    cached ranking is shared by every user)."""

    rubric: RubricData
    year: int
    deputies: list[dict] = field(default_factory=list)
    reference_day: date | None = None

    def by_id(self) -> dict[int, dict]:
        """Deputy id -> row."""
        return {d["id"]: d for d in self.deputies}


R1_TAG = _tag("r1_shortfall", None)


def _scope_deputy_ids(actor: Actor, year: int):  # noqa: ANN202
    """SELECT of the deputies with a period of service in ``year`` in a group of the actor's scope:
    everyone scored in a group of the scope (the group of their last period in the year), and a
    few more who moved out during the year (dropped after scoring)."""
    P, G = models.DeputyPeriod, models.DeputyGroup
    lo, hi = _year_bounds(year)
    stmt = (select(P.deputy_id).join(G, G.id == P.group_id)
            .where(P.start_on <= hi, or_(P.end_on.is_(None), P.end_on >= lo)))
    return scope_filter(stmt, actor, G.office_id, G.id)


def compute(session: Session, rubric_id: int, year: int, scope: Actor | None = None) -> Ranking:
    """Score every deputy who served in ``year`` with rubric ``rubric_id`` (see the module doc).

    ``count_facts`` counts every fact per deputy and the distinct records (volume) in the
    database; caps, pro-rating and grades are applied on that small per-deputy result. Pages use the cached
    ``ranking``; this computes afresh.

    ``scope`` (a staff member of one office or group) scores only the deputies of that scope: each
    score, grade and rank within the group is the same as in the whole ranking (a deputy's score
    depends on their own records only), but the rank in the district is unknown (None).
    """
    rubric = load_rubric(session, rubric_id)
    ids = _scope_deputy_ids(scope, year) if scope is not None and scope.scoped else None
    deps = _deputies(session, year, ids)
    if ids is not None:
        deps = [d for d in deps if _in_scope(scope, d)]
    tags = _tags(rubric, OUTCOME_FACTS)
    counts, volume = count_facts(session, tags, year, ids)
    sat = _satisfaction(session, year)
    outcome_tags = [_tag(f, None) for f in OUTCOME_FACTS]
    row_tags = [row_tag(r) for r in rubric.rows]
    out = []
    for d in deps:
        c = counts.get(d["id"], {})
        s = score_counts(rubric, c, d["fraction"], row_tags)
        satisfaction = sat.get(d["id"])
        out.append({
            **d, "focus": s["focus"], "deduction": s["deduction"], "total": s["total"],
            "raw_total": s["raw_total"], "grade": grade_of(rubric, s["total"], satisfaction),
            "volume": int(volume.get(d["id"], 0)),
            "outcomes": sum(c.get(t, 0) for t in outcome_tags),
            "satisfaction": satisfaction, "counts": c,
            "r1_short": c.get(R1_TAG, 0) > 0 if R1_TAG in tags else None,
        })
    district = _ranks([(d["id"], d["total"]) for d in out]) if ids is None else {d["id"]: None for d in out}
    by_group: dict[int, list] = defaultdict(list)
    for d in out:
        by_group[d["group_id"]].append((d["id"], d["total"]))
    group_rank: dict[int, int] = {}
    for vals in by_group.values():
        group_rank.update(_ranks(vals))
    for d in out:
        d["rank"] = district[d["id"]]
        d["group_rank"] = group_rank[d["id"]]
    out.sort(key=lambda d: (-d["total"], d["group"], d["name"], d["id"]))
    if any(d["r1_short"] is None for d in out):
        _fill_r1(session, year, out)
    return Ranking(rubric, year, out, deputies.reference_day(year))


def _fill_r1(session: Session, year: int, rows: list[dict]) -> None:
    """R1 status for rankings whose rubric has no r1_shortfall row (the candidate rule needs it)."""
    from services import activities

    stmt = activities.r1_statement(session, Actor("system", Role.ADMIN), year).order_by(None).subquery()
    short = set(session.execute(select(stmt.c.id)).scalars())
    for d in rows:
        d["r1_short"] = d["id"] in short


# ---------------------------------------------------------------- the one cache of rankings


CACHE_MAX_ENTRIES = 32
_RANKINGS = Cache(CACHE_MAX_ENTRIES)


def ranking_key(session: Session, rubric_id: int, year: int) -> tuple:
    """The cache key of a ranking: database, rubric, year, data version, reference day, today."""
    return (database_key(session), int(rubric_id), int(year), dataversion.current(session),
            deputies.reference_day(year), clock.today())


def ranking(session: Session, rubric_id: int, year: int) -> Ranking:
    """The ranking of ``year`` under ``rubric_id``: cached, and recomputed after any committed
    write (the key holds ``db.dataversion.current``) or when the reference day moves on.

    Shared by every user and page (工作台, 评分评优, 履职档案): callers filter by scope and must not
    change the returned rows. The data version is read before computing, so an entry can only hold
    data as new as its key or newer, never older.
    """
    if has_unsaved_writes(session):
        return compute(session, rubric_id, year)
    key = ranking_key(session, rubric_id, year)
    hit = _RANKINGS.get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    rk = compute(session, rubric_id, year)
    _RANKINGS.put(key, rk)
    return rk


def scope_ranking(session: Session, actor: Actor, rubric_id: int, year: int) -> Ranking:
    """The scores an actor's 工作台 figures need. The whole ranking (``ranking``) for an actor who
    sees the whole district, or when it is cached already; for a staff member of one office or group
    otherwise only the deputies of that scope (``compute(scope=actor)``: the same scores, grades
    and ranks within groups, no rank in the district), cached under the same data version. A
    staff member's 工作台 after a write then scores an office, not the whole district."""
    if not actor.scoped:
        return ranking(session, rubric_id, year)
    if has_unsaved_writes(session):
        return compute(session, rubric_id, year, actor)
    key = ranking_key(session, rubric_id, year)
    whole = _RANKINGS.peek(key)
    if whole is not None:
        return whole  # type: ignore[return-value]
    skey = (*key, "scope", actor.office_id, actor.group_id)
    hit = _RANKINGS.get(skey)
    if hit is not None:
        return hit  # type: ignore[return-value]
    rk = compute(session, rubric_id, year, actor)
    _RANKINGS.put(skey, rk)
    return rk


def clear_cache() -> None:
    """Forget every cached ranking (tests; after restoring a backup into a running process)."""
    _RANKINGS.clear()


def cache_stats() -> dict:
    """Entries, hits and misses of the ranking cache."""
    return {"entries": len(_RANKINGS), "hits": _RANKINGS.hits, "misses": _RANKINGS.misses,
            "max_entries": _RANKINGS.max_entries}


def _in_scope(actor: Actor, d: dict) -> bool:
    """True when the deputy's group (of the year) is in the actor's scope."""
    return actor.in_scope(d["office_id"], d["group_id"])


def ranking_rows(session: Session, actor: Actor, rubric_id: int, year: int, *,
                 group_id: int | None = None, grade: str | None = None, ranking: Ranking | None = None) -> list[dict]:
    """The ranking as rows keyed by Chinese column names (scoped to the actor)."""
    rk = _given_or_cached(session, rubric_id, year, ranking)
    out = []
    for d in rk.deputies:
        if not _in_scope(actor, d) or (group_id and d["group_id"] != group_id) or (grade and d["grade"] != grade):
            continue
        out.append(_row(d))
    return out


def fraction_label(fraction: float) -> str:
    """The 任职比例 shown (rounded for display only; the score uses the exact fraction)."""
    return "100%" if fraction >= 1 else f"{fraction:.1%}"


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
        "任职比例": fraction_label(d["fraction"]),
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

    Rows: 代表, 方面, 计分项, 记录类型, 日期, 记录, 分值. The records come from the same fact query
    as the ranking (``_union``). Where caps or pro-rating change the sum, an adjustment row
    (上限调整 / 任职折算) makes the 分值 of a deputy and focus add up exactly to the score shown in
    the ranking.
    """
    rubric = load_rubric(session, rubric_id)
    ids = [deputy_id] if isinstance(deputy_id, int) else list(deputy_id)
    if not ids:
        return []
    deps = {d["id"]: d for d in _deputies(session, year, ids)}
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
                tag = row_tag(row)
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
                              "日期": "", "记录": f"本年任职{'（至年底）' if d.get('open') else ''} {d['days']} 天，占全年 {fraction_label(d['fraction'])}，按全年折算",
                              "分值": round(scaled - listed, 2)})
                listed = scaled
            if round(target - listed, 2) != 0:
                lines.append({"代表": d["name"], "方面": f, "计分项": "上限调整", "记录类型": "", "日期": "",
                              "记录": "超出本项或本方面上限的部分不计", "分值": round(target - listed, 2)})
            out.extend(lines)
    return out


def detail_check(row: dict, listed: float, focus: str | None = None) -> str:
    """How the sum of a drill-down compares with the score shown (the caption of the drill-down).

    The 0-point floor is named only when it really clipped the total (the records add up to less
    than 0); any other difference means the records changed after the ranking was read."""
    shown = row["total"] if focus is None else (row["deduction"] if focus == DEDUCT else row["focus"][focus])
    if focus is None and row["raw_total"] < 0 and abs(listed - row["raw_total"]) < 0.005:
        return f"明细合计 {listed:g} 分，低于0分；总分最低为0分，记为 {shown:g} 分"
    if abs(listed - shown) < 0.005:
        return f"明细合计 {listed:g} 分（与得分一致）"
    return f"明细合计 {listed:g} 分，与得分 {shown:g} 分不一致：记录刚有变动，请刷新页面"


# ---------------------------------------------------------------- groups, candidates, selection


def _given_or_cached(session: Session, rubric_id: int, year: int, given: Ranking | None) -> Ranking:
    """The ranking the caller already has, else the cached one."""
    return given if given is not None else ranking(session, rubric_id, year)


GROUP_SPOT_POINTS = {GroupGrade.EXCELLENT: 5.0, GroupGrade.PASS: 3.0, GroupGrade.RECTIFY: 0.0}


def group_scores(session: Session, actor: Actor, rubric_id: int, year: int,
                 ranking: Ranking | None = None) -> list[dict]:
    """Group scores: 0.8 × the average total of its deputies of the year + group work (0–20):
    述职 plan made (5; not due in year 1 of the term), quarterly summaries submitted (2.5 each),
    spot-check grade of the year (the latest: 优秀 5, 合格 3, 需整改 0; none checked 3).

    The groups are those of the year: every group a deputy served in during the year (their group
    of the year, deputies.served_in), and every active group."""
    rk = _given_or_cached(session, rubric_id, year, ranking)
    G = M.DeputyGroup
    members: dict[int, list[dict]] = defaultdict(list)
    for d in rk.deputies:
        members[d["group_id"]].append(d)
    groups = session.execute(select(G.id, G.name, G.office_id, G.active).order_by(G.name, G.id)).all()
    groups = [(gid, name, oid) for gid, name, oid, active in groups if active or gid in members]
    plans = set(session.execute(select(M.ReportPlan.group_id).where(M.ReportPlan.year == year)).scalars())
    summaries = dict(session.execute(
        select(M.QuarterlySummary.group_id, func.count())
        .where(M.QuarterlySummary.year == year, M.QuarterlySummary.submitted_at.is_not(None))
        .group_by(M.QuarterlySummary.group_id)).all())
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    grades: dict[int, list[str]] = defaultdict(list)
    for gid, grade in session.execute(
        select(M.SpotCheckGrade.group_id, M.SpotCheckGrade.grade)
        .join(M.SpotCheck, M.SpotCheck.id == M.SpotCheckGrade.check_id)
        .where(M.SpotCheck.period_start <= hi, M.SpotCheck.period_end >= lo, M.SpotCheckGrade.grade.is_not(None))
        .order_by(M.SpotCheck.created_at, M.SpotCheck.id)
    ):
        grades[gid].append(grade)
    first_year = _term_first_year(session, year)
    out = []
    for gid, name, oid in groups:
        if not actor.in_scope(oid, gid):
            continue
        ds = members.get(gid, [])
        avg = round(sum(d["total"] for d in ds) / len(ds), 2) if ds else 0.0
        plan_pts = 5.0 if (gid in plans or first_year) else 0.0
        sum_pts = 2.5 * min(4, int(summaries.get(gid, 0)))
        last = grades[gid][-1] if grades.get(gid) else None
        spot_pts = GROUP_SPOT_POINTS.get(last, 3.0)
        work = plan_pts + sum_pts + spot_pts
        out.append({"group_id": gid, "代表组": name, "代表（人）": len(ds), "代表平均分": avg,
                    "述职计划": "不适用" if first_year else ("已制定" if gid in plans else "未制定"),
                    "季度汇总（次）": int(summaries.get(gid, 0)), "抽查评定": last or "未抽查",
                    "代表组工作分": round(work, 2), "代表组得分": round(0.8 * avg + work, 2),
                    "优秀等级代表（人）": sum(1 for d in ds if d["grade"] == Grade.EXCELLENT),
                    "needs_fix": last == GroupGrade.RECTIFY})
    ranks = _ranks([(r["group_id"], r["代表组得分"]) for r in out])
    for r in out:
        r["排名"] = ranks[r["group_id"]]
    out.sort(key=lambda r: (r["排名"], r["代表组"], r["group_id"]))
    return out


def _term_first_year(session: Session, year: int) -> bool:
    """True when ``year`` is the first year of the term it falls in (no 述职 plan is due)."""
    t = session.execute(select(M.Term.start_year).where(M.Term.start_year <= year, M.Term.end_year >= year)
                        .order_by(M.Term.number.desc())).scalars().first()
    return t == year


@dataclass(frozen=True)
class SelectionSettings:
    """The settings a list is computed with (stored with a confirmed list, so it reproduces)."""

    excellent_share: float
    excellent_top_n: int
    excellent_exclude_leaders: bool
    advanced_groups: int


def selection_settings(session: Session) -> SelectionSettings:
    """The current selection settings."""
    return SelectionSettings(float(settings.get(session, "excellent_share")),
                             int(settings.get(session, "excellent_top_n") or 0),
                             bool(settings.get(session, "excellent_exclude_leaders")),
                             int(settings.get(session, "advanced_groups")))


def excellent_count(cfg: SelectionSettings, n_scored: int) -> int:
    """How many 优秀代表 places: setting excellent_top_n when > 0, else excellent_share of the
    deputies scored (rounded down)."""
    if cfg.excellent_top_n > 0:
        return min(cfg.excellent_top_n, n_scored)
    return math.floor(n_scored * cfg.excellent_share + 1e-9)


@dataclass(frozen=True)
class Cut:
    """Places filled from the eligible, best first: ``chosen`` are in; when the ones tied on the
    total at the last place straddle the quota, ``tied`` hold them and ``places`` say how many of
    them the leader chooses (the tie is never broken by name order)."""

    quota: int
    chosen: list[int]
    tied: list[int]
    places: int
    total: float | None  # the total at the last place (the cut line)

    @property
    def tie(self) -> bool:
        """True when the leader has to choose among tied ones."""
        return bool(self.tied)


def _same(a: float, b: float) -> bool:
    """Totals (rounded to 0.01) are equal."""
    return abs(a - b) < 0.005


def fill_places(eligible: list[tuple[int, float]], quota: int) -> Cut:
    """R17: fill ``quota`` places from ``eligible`` (id, total) ordered best first.

    The ones with the total of the last place are all in when they fit; when they do not, they form
    the tie: ``places`` = quota − those above them."""
    if quota <= 0 or not eligible:
        return Cut(max(quota, 0), [], [], 0, None)
    ids = [i for i, _ in eligible]
    if len(eligible) <= quota:
        return Cut(quota, ids, [], 0, eligible[-1][1])
    line = eligible[quota - 1][1]
    if not _same(eligible[quota][1], line):
        return Cut(quota, ids[:quota], [], 0, line)
    above = [i for i, v in eligible if v > line and not _same(v, line)]
    tied = [i for i, v in eligible if _same(v, line)]
    return Cut(quota, above, tied, quota - len(above), line)


def _report_floor(rk: Ranking) -> float:
    """The rubric's 述职 satisfaction floor for candidates (0 = none)."""
    return float((rk.rubric.bands.get("report_floor") or {}).get("below") or 0)


def _excellent(rk: Ranking, cfg: SelectionSettings, leaders: set[int]) -> tuple[Cut, dict[int, list[str]]]:
    """The 优秀代表 places over every deputy scored, and why each ineligible one is out.

    Minimum conditions: R1 met (services.activities.r1_statement); grade not 不称职; 述职 evaluation
    not below the rubric's floor; serving at the year's end (deputies.served_in ``serving``); no
    office-holding leader when excellent_exclude_leaders is on (``leaders``: who held office)."""
    floor = _report_floor(rk)
    reasons: dict[int, list[str]] = {}
    eligible = []
    for d in rk.deputies:
        why = []
        if d["r1_short"]:
            why.append("联系选民活动未达R1要求")
        if d["grade"] == Grade.INCOMPETENT:
            why.append("等级为不称职")
        if d["satisfaction"] is not None and d["satisfaction"] < floor:
            why.append("述职满意率偏低")
        if not d["serving"]:
            why.append("年末已不在任")
        if cfg.excellent_exclude_leaders and d["id"] in leaders:
            why.append("担任领导职务的代表不参评")
        if why:
            reasons[d["id"]] = why
        else:
            eligible.append((d["id"], d["total"]))
    return fill_places(eligible, excellent_count(cfg, len(rk.deputies))), reasons


def _leaders(rk: Ranking) -> set[int]:
    """Deputies holding a leading office (today's record; stored with a confirmed list)."""
    return {d["id"] for d in rk.deputies if d["leader"]}


def _tie_info(cut: Cut, rows: dict[int, dict]) -> dict | None:
    """The tie at the cut for a page: total, places left, the tied (as rows)."""
    if not cut.tie:
        return None
    return {"total": cut.total, "places": cut.places, "ids": list(cut.tied),
            "rows": [rows[i] for i in cut.tied if i in rows]}


def candidates(session: Session, actor: Actor, rubric_id: int, year: int, ranking: Ranking | None = None) -> dict:
    """优秀代表 candidates and everyone else with the reason they are not.

    Returns {"quota", "cut" (total at the last place), "candidates": rows of those in,
    "tie": None or {"total", "places", "ids", "rows"} (the tied at the cut, of whom the leader
    chooses ``places``), "others": rows with 说明}. Rows are limited to the actor's scope; the
    places are computed over the whole district.
    """
    rk = _given_or_cached(session, rubric_id, year, ranking)
    cut, reasons = _excellent(rk, selection_settings(session), _leaders(rk))
    tied = set(cut.tied)
    chosen = set(cut.chosen)
    rows, tie_rows, rest = [], {}, []
    for d in rk.deputies:
        if not _in_scope(actor, d):
            continue
        if d["id"] in chosen:
            rows.append({**_row(d), "候选": True, "说明": ""})
        elif d["id"] in tied:
            tie_rows[d["id"]] = {**_row(d), "候选": False,
                                 "说明": f"总分{cut.total:g}分并列，{len(cut.tied)}人争{cut.places}个名额，由领导确定"}
        else:
            rest.append({**_row(d), "候选": False, "说明": "；".join(reasons.get(d["id"], ["名额已满"]))})
    return {"quota": cut.quota, "cut": cut.total, "candidates": rows, "tie": _tie_info(cut, tie_rows),
            "others": [*tie_rows.values(), *rest]}


def _advanced(rows: list[dict], cfg: SelectionSettings) -> tuple[Cut, dict[int, str]]:
    """The 先进代表组 places: a group graded 需整改 or without deputies in the year is excluded and
    takes no place; the others fill ``advanced_groups`` places by group score."""
    why: dict[int, str] = {}
    eligible = []
    for r in rows:
        if r["needs_fix"]:
            why[r["group_id"]] = "抽查评定为需整改，不参评（不占名额）"
        elif r["代表（人）"] == 0:
            why[r["group_id"]] = "本年没有代表，不参评（不占名额）"
        else:
            eligible.append((r["group_id"], r["代表组得分"]))
    return fill_places(eligible, cfg.advanced_groups), why


def group_candidates(session: Session, actor: Actor, rubric_id: int, year: int,
                     ranking: Ranking | None = None) -> dict:
    """先进代表组 candidates: {"quota", "cut", "rows": every group with 候选 and 说明, "tie"}.

    The places are computed over every group of the year (whatever the actor's scope)."""
    rk = _given_or_cached(session, rubric_id, year, ranking)
    everyone = group_scores(session, Actor("system", Role.ADMIN), rubric_id, year, rk)
    cut, why = _advanced(everyone, selection_settings(session))
    visible = {r["group_id"] for r in group_scores(session, actor, rubric_id, year, rk)}
    tied, chosen = set(cut.tied), set(cut.chosen)
    out, tie_rows = [], {}
    for r in everyone:
        if r["group_id"] not in visible:
            continue
        gid = r["group_id"]
        if gid in chosen:
            note = ""
        elif gid in tied:
            note = f"代表组得分{cut.total:g}分并列，{len(cut.tied)}个代表组争{cut.places}个名额，由领导确定"
        else:
            note = why.get(gid, "名额已满")
        row = {**r, "候选": gid in chosen, "说明": note}
        out.append(row)
        if gid in tied:
            tie_rows[gid] = row
    return {"quota": cut.quota, "cut": cut.total, "rows": out, "tie": _tie_info(cut, tie_rows)}


def _assemble(order: list[int], chosen: list[int], tie_chosen: list[int], added: list[int],
              removed: list[int]) -> list[int]:
    """The list from the computed places and the leader's decisions, in ranking order."""
    keep = (set(chosen) | set(tie_chosen) | set(added)) - set(removed)
    return [i for i in order if i in keep]


def _names(ids: list[int], names: dict[int, str]) -> str:
    """Names for a message: 张伟、王芳."""
    return "、".join(names.get(i, str(i)) for i in ids)


def confirm_selection(session: Session, actor: Actor, year: int, kind: str, rubric_id: int,
                      ids: list[int], reason: str = "", replace_reason: str = "") -> int:
    """The leader confirms a list (优秀代表 or 先进代表组) of a year that has ended.

    Stored with the rubric version, who and when, and in ``params`` everything the list was
    computed with: the selection settings, the report floor, the quota, the leaders excluded, the
    computed places, the tie at the cut with the leader's choice, any addition or removal, and the
    reason. A tie must be settled (exactly ``places`` of the tied chosen) and the choice, like any
    change to the computed places, needs a reason. ``reproduce_selection`` recomputes it.

    A year has one current list of each kind (``current_key``, unique): replacing it needs
    ``replace_reason`` and keeps the old list, marked 作废 with who, when and why. The same list
    confirmed again (a double click) is stored once.
    """
    actor.require_write("selection")
    if kind not in (EXCELLENT, ADVANCED):
        raise ValidationError({"kind": "名单类别须为优秀代表或先进代表组。"})
    rubric = session.get(M.Rubric, rubric_id)
    if rubric is None:
        raise NotFound("评分细则版本不存在。")
    if rubric.status != PUBLISHED:
        raise ValidationError({"rubric": "草稿版本的评分细则不能用于确认名单，请先发布。"})
    if not year_ended(year):
        raise ValidationError({"year": f"{year}年度尚未结束，本年的记录还在增加，名单须在{year + 1}年1月1日以后确认。"})
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise ValidationError({"items": "请至少选择一项再确认名单。"})
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError({"reason": "理由不能超过500字。"})
    rk = compute(session, rubric_id, year)
    cfg = selection_settings(session)
    leaders = _leaders(rk)
    if kind == EXCELLENT:
        by_id = rk.by_id()
        if any(i not in by_id for i in ids):
            raise ValidationError({"items": "名单中有本年度未参加评分的代表。"})
        cut, _why = _excellent(rk, cfg, leaders)
        order = [d["id"] for d in rk.deputies]
        names = {i: d["name"] for i, d in by_id.items()}
        unit, what = "名", "代表"
    else:
        groups = {r["group_id"]: r for r in group_scores(session, Actor("system", Role.ADMIN), rubric_id, year, rk)}
        if any(i not in groups for i in ids):
            raise ValidationError({"items": "名单中有不存在的代表组。"})
        cut, _why = _advanced(list(groups.values()), cfg)
        order = list(groups)
        names = {i: r["代表组"] for i, r in groups.items()}
        unit, what = "个", "代表组"
    picked = set(ids)
    tie_chosen = [i for i in cut.tied if i in picked]
    added = [i for i in order if i in picked and i not in cut.chosen and i not in cut.tied]
    removed = [i for i in cut.chosen if i not in picked]
    errors: dict[str, str] = {}
    if cut.tie and len(tie_chosen) != cut.places:
        errors["tie"] = (f"{_names(cut.tied, names)}总分同为{cut.total:g}分，并列争最后{cut.places}{unit}名额："
                         f"请在其中选定{cut.places}{unit}{what}（现选{len(tie_chosen)}{unit}）。")
    if not reason and (cut.tie or added or removed):
        why = []
        if cut.tie:
            why.append(f"在并列的{what}中选定{_names(tie_chosen, names) or '……'}")
        if added:
            why.append(f"增加候选以外的{_names(added, names)}")
        if removed:
            why.append(f"去掉候选{_names(removed, names)}")
        errors["reason"] = "请写明理由：" + "；".join(why) + "。"
    if errors:
        raise ValidationError(errors)
    listed = _assemble(order, cut.chosen, tie_chosen, added, removed)
    if kind == EXCELLENT:
        items = [{"id": i, "代表": by_id[i]["name"], "代表组": by_id[i]["group"], "总分": by_id[i]["total"],
                  "等级": by_id[i]["grade"], "全区排名": by_id[i]["rank"]} for i in listed]
    else:
        items = [{"id": i, "代表组": groups[i]["代表组"], "代表组得分": groups[i]["代表组得分"],
                  "排名": groups[i]["排名"]} for i in listed]
    params = {
        "rubric_id": rubric.id, "rubric_version": rubric.version,
        "reference_day": rk.reference_day.isoformat() if rk.reference_day else None,
        "settings": asdict(cfg), "report_floor": _report_floor(rk),
        "scored": len(rk.deputies), "quota": cut.quota, "leaders": sorted(leaders),
        "places": list(cut.chosen),
        "tie": {"total": cut.total, "places": cut.places, "tied": list(cut.tied), "chosen": tie_chosen}
        if cut.tie else None,
        "added": added, "removed": removed, "reason": reason,
        "score_settings": {k: settings.get(session, k) for k in SCORE_SETTINGS},
    }
    key = f"{year}-{kind}"
    last = session.execute(select(M.Selection).where(M.Selection.current_key == key).with_for_update()).scalars().first()
    if last is not None and last.rubric_id == rubric_id and last.items == items and last.params == params:
        return last.id  # the same list confirmed again (a double click): stored once
    if last is not None:
        replace_reason = (replace_reason or "").strip()
        if not replace_reason:
            raise ValidationError({"replace_reason": (
                f"{year}年度{kind}名单已于 {last.confirmed_at:%Y-%m-%d %H:%M} 由 {last.confirmed_by} 确认。"
                "如需以新名单替换，请填写替换理由（原名单将标记为作废并保留）。")})
        if len(replace_reason) > 500:
            raise ValidationError({"replace_reason": "替换理由不能超过500字。"})
        last.current_key = None
        last.voided_by = actor.username
        last.voided_at = clock.now()
        last.void_reason = replace_reason
        session.flush()  # the old list leaves the unique key before the new one takes it
    sel = M.Selection(year=year, kind=kind, rubric_id=rubric_id, items=items, params=params,
                      confirmed_by=actor.username, current_key=key)
    session.add(sel)
    session.flush()
    return sel.id


def _item_total(kind: str, item: dict) -> float | None:
    """The total stored with a list item."""
    return item.get("总分") if kind == EXCELLENT else item.get("代表组得分")


# the settings a year's scores read (besides the rubric): a confirmed list stores their values and
# is recomputed with them (settings.pinned), so a later change in 系统设置 does not change it
SCORE_SETTINGS = ("r1_min_activities",)


def reproduce_selection(session: Session, selection_id: int) -> dict:
    """Recompute a confirmed list with its stored rubric version and stored params, and say whether
    it is the same list: the same ids, totals and order.

    Returns {"matches": bool, "stored": [(id, total)], "recomputed": [(id, total)],
    "differences": [Chinese lines], "notes": [Chinese lines on the computation (quota, places,
    tie) that differ]}. Only the facts of the year matter: who resigned or moved since, the
    settings of today and newer rubric versions do not change the result; a record of that year
    entered or changed afterwards does, and is reported.
    """
    sel = session.get(M.Selection, selection_id)
    if sel is None:
        raise NotFound("名单不存在。")
    p = sel.params or {}
    notes: list[str] = []
    cfg = SelectionSettings(**p["settings"]) if p.get("settings") else selection_settings(session)
    if not p:
        notes.append("该名单确认时未保存评选参数，按现行设置重算。")
    with settings.pinned(p.get("score_settings") or {}):
        rk = compute(session, sel.rubric_id, sel.year)
        group_rows = (group_scores(session, Actor("system", Role.ADMIN), sel.rubric_id, sel.year, rk)
                      if sel.kind != EXCELLENT else None)
    if "score_settings" not in p and p:
        notes.append("该名单确认时未保存计分所用的设置（如每年联系选民次数），按现行设置重算。")
    if sel.kind == EXCELLENT:
        leaders = set(p["leaders"]) if "leaders" in p else _leaders(rk)
        cut, _why = _excellent(rk, cfg, leaders)
        order = [d["id"] for d in rk.deputies]
        totals = {d["id"]: d["total"] for d in rk.deputies}
        names = {d["id"]: d["name"] for d in rk.deputies}
    else:
        rows = group_rows
        cut, _why = _advanced(rows, cfg)
        order = [r["group_id"] for r in rows]
        totals = {r["group_id"]: r["代表组得分"] for r in rows}
        names = {r["group_id"]: r["代表组"] for r in rows}
    for it in sel.items or []:
        names.setdefault(it["id"], it.get("代表") or it.get("代表组") or str(it["id"]))
    stored = [(int(it["id"]), _item_total(sel.kind, it)) for it in sel.items or []]
    if p:
        if cut.quota != p.get("quota"):
            notes.append(f"名额：确认时 {p.get('quota')}，重算 {cut.quota}。")
        if list(cut.chosen) != list(p.get("places") or []):
            notes.append("按规则入选的名单与确认时不同。")
        tie = p.get("tie")
        if tie and (sorted(cut.tied) != sorted(tie["tied"]) or cut.places != tie["places"]):
            notes.append("最后名额的并列情况与确认时不同。")
        if cut.tie and not tie:
            notes.append("重算时出现了确认时没有的并列。")
        tie_chosen = [i for i in (tie or {}).get("chosen", []) if i in cut.tied]
        ids = _assemble(order, cut.chosen, tie_chosen, p.get("added") or [], p.get("removed") or [])
    else:
        ids = [i for i, _ in stored]
    recomputed = [(i, totals.get(i)) for i in ids]
    differences: list[str] = []
    stored_ids, new_ids = [i for i, _ in stored], [i for i, _ in recomputed]
    missing = [i for i in stored_ids if i not in new_ids]
    extra = [i for i in new_ids if i not in stored_ids]
    if missing:
        differences.append(f"重算后不在名单中：{_names(missing, names)}。")
    if extra:
        differences.append(f"重算后新进入名单：{_names(extra, names)}。")
    if not missing and not extra and stored_ids != new_ids:
        differences.append("名单顺序与确认时不同。")
    for i, before in stored:
        after = totals.get(i)
        if after is None:
            differences.append(f"{names.get(i, i)}：本年度已无得分记录（确认时 {before:g} 分）。")
        elif before is not None and not _same(float(before), float(after)):
            differences.append(f"{names.get(i, i)}：确认时 {before:g} 分，重算 {after:g} 分。")
    return {"matches": not differences, "stored": stored, "recomputed": recomputed,
            "differences": differences, "notes": notes}


def list_selections(session: Session, year: int | None = None) -> list[dict]:
    """Confirmed lists, newest first, with their rubric version."""
    S, R = M.Selection, M.Rubric
    stmt = (select(S, R.version, people.display(S.confirmed_by), people.display(S.voided_by))
            .join(R, R.id == S.rubric_id).order_by(S.confirmed_at.desc(), S.id.desc()))
    if year:
        stmt = stmt.where(S.year == year)
    return [{"id": s.id, "年度": s.year, "类别": s.kind,
             "状态": "有效" if s.voided_at is None else f"作废（{voider} {s.voided_at:%Y-%m-%d %H:%M}：{s.void_reason}）",
             "评分细则版本": f"第{v}版", "人数/组数": len(s.items or []),
             "确认人": who, "确认时间": s.confirmed_at, "并列与调整": decision_text(s.params, s.kind),
             "理由": (s.params or {}).get("reason") or "", "items": s.items, "params": s.params or {},
             "current": s.voided_at is None}
            for s, v, who, voider in session.execute(stmt)]


def decision_text(params: dict | None, kind: str = EXCELLENT, *, scores: bool = True) -> str:
    """What the leader decided beyond the computed places, in Chinese (empty when nothing):
    deputies counted in 名, groups in 个; the tied score only with ``scores`` (a 名单 printed
    without scores does not give it away)."""
    p = params or {}
    unit = "名" if kind == EXCELLENT else "个"
    parts = []
    tie = p.get("tie")
    if tie:
        parts.append((f"总分{tie['total']:g}分" if scores else "得分相同") + f"并列{len(tie['tied'])}{unit}，"
                     f"选定{len(tie['chosen'])}{unit}")
    if p.get("added"):
        parts.append(f"增加{len(p['added'])}{unit}")
    if p.get("removed"):
        parts.append(f"去掉{len(p['removed'])}{unit}")
    return "；".join(parts)


def latest_selection(session: Session, year: int, kind: str) -> dict | None:
    """The current confirmed list of a kind for a year (a list replaced later is 作废)."""
    for s in list_selections(session, year):
        if s["类别"] == kind and s["current"]:
            return s
    return None


def selection_xlsx(session: Session, selection_id: int) -> bytes:
    """A confirmed list as .xlsx."""
    import pandas as pd

    from services.excel import to_xlsx

    s = _selection(session, selection_id)
    frame = pd.DataFrame([{k: v for k, v in it.items() if k != "id"} for it in s["items"]])
    return to_xlsx({s["类别"]: frame}, title=f"{s['年度']}年度{s['类别']}名单",
                   notes=[f"评分细则：{s['评分细则版本']}；确认人：{s['确认人']}；确认时间：{s['确认时间']:%Y-%m-%d %H:%M}",
                          *([f"并列与调整：{s['并列与调整']}；理由：{s['理由']}"] if s["理由"] else [])])


def selection_docx(session: Session, selection_id: int, with_scores: bool = False) -> bytes:
    """A confirmed list as a 公文 (services.documents): names in 姓氏笔画 order (services.strokes),
    “经（确认人姓名）于…确认”; scores, grades and ranks only when ``with_scores``."""
    from services.documents import GongWen, cn_date
    from services.strokes import by_strokes
    from services.validation import printable

    s = printable(_selection(session, selection_id))  # a pasted control character must not break it
    kind, year = s["类别"], s["年度"]
    g = GongWen(f"{year}年度{kind}名单")
    items = s["items"] or []
    unit = "名代表" if kind == EXCELLENT else "个代表组"
    g.para(f"依据评分细则{s['评分细则版本']}，经{s['确认人']}于{cn_date(s['确认时间'])}确认，"
           f"以下{len(items)}{unit}为{year}年度{kind}（按姓氏笔画排序）。")
    if s["理由"]:
        g.para(f"并列与调整：{decision_text(s['params'], kind, scores=with_scores) or '无'}。理由：{s['理由']}")
    name_col = "代表" if kind == EXCELLENT else "代表组"
    ordered = by_strokes(items, lambda it: str(it.get(name_col, "")))
    cols = ["姓名", "代表组"] if kind == EXCELLENT else ["代表组"]
    keys = ["代表", "代表组"] if kind == EXCELLENT else ["代表组"]
    if with_scores:
        extra = [k for k in (items[0] if items else {}) if k not in ("id", *keys)]
        cols, keys = cols + extra, keys + extra
    g.table(cols, [[it.get(k, "") for k in keys] for it in ordered], numbered=True, empty="名单为空。")
    g.signature(s["确认时间"])
    return g.to_bytes()


def _selection(session: Session, selection_id: int) -> dict:
    """One confirmed list as a dict."""
    for s in list_selections(session):
        if s["id"] == selection_id:
            return s
    raise NotFound("名单不存在。")


def groups_without_exemplar(session: Session, actor: Actor, rubric_id: int, year: int,
                            ranking: Ranking | None = None) -> list[dict]:
    """R20: the groups of the year (every group a deputy served in during the year, in their group
    of the year: deputies.served_in) with no deputy graded 优秀 and none in the year's confirmed
    优秀代表 list."""
    rk = _given_or_cached(session, rubric_id, year, ranking)
    sel = latest_selection(session, year, EXCELLENT)
    listed = {it["id"] for it in (sel["items"] if sel else [])}
    good: dict[int, int] = defaultdict(int)
    count: dict[int, int] = defaultdict(int)
    best: dict[int, tuple[str, float]] = {}
    for d in rk.deputies:
        count[d["group_id"]] += 1
        if d["grade"] == Grade.EXCELLENT or d["id"] in listed:
            good[d["group_id"]] += 1
        if d["group_id"] not in best or d["total"] > best[d["group_id"]][1]:
            best[d["group_id"]] = (d["name"], d["total"])
    if not count:
        return []
    G = M.DeputyGroup
    out = []
    for gid, name, oid in session.execute(select(G.id, G.name, G.office_id).order_by(G.name, G.id)):
        if gid not in count or not actor.in_scope(oid, gid) or good.get(gid):
            continue
        b = best.get(gid)
        out.append({"group_id": gid, "代表组": name, "代表（人）": count.get(gid, 0),
                    "组内最高分": f"{b[0]} {b[1]:g}分" if b else "—"})
    return out


def preview(session: Session, draft_id: int, base_id: int, year: int) -> list[dict]:
    """Effect of a draft rubric on the ranking against a base version: rank and total before/after."""
    a, b = ranking(session, base_id, year), ranking(session, draft_id, year)
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


def absence_kinds(session: Session, rubric_id: int | None = None) -> list[str]:
    """The event kinds whose unexcused absence the rubric (default: the current one) deducts, in
    EventKind order: what the 工作台 F1 absence figure and the list it opens count."""
    rid = rubric_id or current_rubric_id(session)
    if rid is None:
        return []
    rubric = load_rubric(session, rid)
    kinds: set[str] = set()
    for r in rubric.rows:
        fact = FACTS.get(r["fact"])
        if fact is not None and fact.deduction and fact.default_kinds is not None:
            kinds |= set(row_kinds(r["fact"], r.get("kinds")) or ())
    return [k for k in EVENT_KINDS if k in kinds]


def year_ended(year: int) -> bool:
    """R17: a year's lists may be confirmed once the year has ended (its records stop changing)."""
    return year < clock.today().year


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """R15/R17/R20 figures for 工作台: deputies graded 不称职, the selection state, groups without an
    exemplary deputy (from the cached ranking, the same one 评分评优 and 履职档案 show)."""
    rid = current_rubric_id(session)
    if rid is None:
        return [Figure("R15", "尚未发布评分细则", "—", "", "scoring", {"tab": "rubric"}, bad=True,
                       help="系统管理员在评分评优页面发布评分细则后即可计算代表得分")]
    rk = scope_ranking(session, actor, rid, year)
    mine = [d for d in rk.deputies if _in_scope(actor, d)]
    weak = sum(1 for d in mine if d["grade"] == Grade.INCOMPETENT)
    y = str(year)
    sel = latest_selection(session, year, EXCELLENT)
    r20 = len(groups_without_exemplar(session, actor, rid, year, rk))
    out = [
        Figure("R15", "履职评分为不称职的代表", weak, "人", "scoring",
               {"tab": "rank", "year": y, "grade": Grade.INCOMPETENT.value},
               bad=weak > 0, help="按五个方面的工作重点计分（现行评分细则）"),
        Figure("R17", f"{year}年度优秀代表名单",
               "已确认" if sel else ("未确认" if year_ended(year) else "年度结束后确认"), "", "scoring",
               {"tab": "select", "year": y}, bad=sel is None and year_ended(year),
               help=(f"{sel['确认人']} {sel['确认时间']:%Y-%m-%d} 确认 {sel['人数/组数']} 人" if sel
                     else ("年度已结束，请领导确认名单后存档" if year_ended(year)
                           else f"名单在{year + 1}年1月1日以后由领导确认")),),
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
