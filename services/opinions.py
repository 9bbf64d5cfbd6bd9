"""群众意见: voters' opinions raised at activities or report meetings, and their lifecycle (R3).

An opinion moves 待转交 → 已转交 → 办理中 → 已解决 / 无法解决 → 已反馈选民. The allowed steps are
data (``TRANSITIONS``) and every step goes through ``transition()``, which records the date, who
and a note as an OpinionEvent. A deputy never closes an opinion as handled by himself (R3):
已解决 needs the body that resolved it.

**The clock** (the letters' clock, settings ``opinion_forward_days`` / ``opinion_resolve_days`` /
``opinion_feedback_days``, working days on the office's calendar): forwarded (转交/交办) within N
working days of being raised, concluded (已解决 / 无法解决) within M of being raised (of the
reopening for a reopened opinion), the voter told within K of the conclusion. The due dates are
stored on the opinion (``forward_due``, ``resolve_due``, ``feedback_due``); overdue and long overdue
are decided by the one rule, ``services.deadlines`` (``Clock``). While waiting for the voter
(``pause`` / ``resume``) the clock stops and the working days paused push every deadline; an
opinion whose voter is not satisfied with the feedback is reopened (``reopen``) with a new round and
a new M-day clock.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from db import models
from services import bodies, deadlines, settings, workdays
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    ValidationError,
    check_version,
    group_office,
    paginate,
    scope_filter,
    today,
)
from services.states import OpinionSource, OpinionStatus, Outcome, values
from services.validation import clean_text, free_text_for, parse_date

PENDING, FORWARDED, HANDLING = OpinionStatus.PENDING, OpinionStatus.FORWARDED, OpinionStatus.HANDLING
RESOLVED, UNRESOLVABLE, FED_BACK = OpinionStatus.RESOLVED, OpinionStatus.UNRESOLVABLE, OpinionStatus.FED_BACK
STATUSES = values(OpinionStatus)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    PENDING: (FORWARDED,),
    FORWARDED: (HANDLING, RESOLVED, UNRESOLVABLE),
    HANDLING: (RESOLVED, UNRESOLVABLE),
    RESOLVED: (FED_BACK,),
    UNRESOLVABLE: (FED_BACK,),
    FED_BACK: (),
}
SOURCES = tuple(values(OpinionSource))
OUTCOMES = tuple(values(Outcome))
# the classes an answer may take: 已解决 is A, B or C; 无法解决 is D (因条件限制留作参考)
RESOLVED_OUTCOMES = (Outcome.A, Outcome.B, Outcome.C)


OPEN = (PENDING, FORWARDED, HANDLING, RESOLVED, UNRESOLVABLE)  # the clock runs (not 已反馈选民)
BEFORE_CONCLUSION = (PENDING, FORWARDED, HANDLING)
CONCLUDED = (RESOLVED, UNRESOLVABLE)
PAUSE, RESUME, REOPEN = "暂停计时", "恢复计时", "重新办理"
O = models.Opinion


# ---------------------------------------------------------------- the clock


def deadline_days(session: Session) -> dict[str, int]:
    """The opinion deadlines in working days {forward, resolve, feedback} (settings)."""
    return {"forward": int(settings.get(session, "opinion_forward_days")),
            "resolve": int(settings.get(session, "opinion_resolve_days")),
            "feedback": int(settings.get(session, "opinion_feedback_days"))}


def due_dates(raised: date, status: str, status_on: date | None, round_start: date | None, paused: int,
              dl: dict[str, int], cal: workdays.Calendar | None = None) -> tuple[date | None, date, date | None]:
    """(forward_due, resolve_due, feedback_due) of an opinion from its facts.

    转交 counts from the day it was raised (only while 待转交), 办结 from the day it was raised or
    reopened, 反馈选民 from the day it was concluded (only once 已解决 / 无法解决); ``paused`` working
    days push every clock of the round."""
    cal = cal or workdays.PACKAGE
    forward = cal.add_workdays(raised, dl["forward"] + paused) if status == PENDING else None
    resolve = cal.add_workdays(round_start or raised, dl["resolve"] + paused)
    feedback = cal.add_workdays(status_on or raised, dl["feedback"] + paused) if status in CONCLUDED else None
    return forward, resolve, feedback


def _apply_deadlines(session: Session, op: models.Opinion) -> None:
    """Fill one opinion's due dates from its facts (the database's calendar)."""
    op.forward_due, op.resolve_due, op.feedback_due = due_dates(
        op.raised_on, op.status, op.status_on, op.round_start, op.paused_days or 0, deadline_days(session),
        workdays.calendar_for(session))


def recompute_deadlines(session: Session, opinion_ids: list[int] | None = None) -> int:
    """Recompute the due dates of open opinions (of ``opinion_ids``, or all open ones); derived columns,
    written without moving ``updated``/``version``. Returns how many were recomputed."""
    session.flush()
    dl = deadline_days(session)
    cal = workdays.calendar_for(session)
    c = O.__table__.c
    stmt = select(c.id, c.raised_on, c.status, c.status_on, c.round_start, c.paused_days).where(c.status.in_(OPEN))
    rows = []
    cache: dict[tuple, tuple] = {}
    ids = None if opinion_ids is None else list(opinion_ids)
    chunks = [None] if ids is None else [ids[i:i + 900] for i in range(0, len(ids), 900)]
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(c.id.in_(chunk))
        for oid, raised, status, on, start, paused in session.execute(part):
            k = (raised, status, on, start, paused or 0)
            if k not in cache:
                cache[k] = due_dates(raised, status, on, start, paused or 0, dl, cal)
            f, r, b = cache[k]
            rows.append({"i": oid, "f": f, "r": r, "b": b})
    if rows:
        session.connection().execute(O.__table__.update().where(c.id == bindparam("i"))
                                     .values(forward_due=bindparam("f"), resolve_due=bindparam("r"),
                                             feedback_due=bindparam("b")), rows)
    session.expire_all()
    return len(rows)


class Clock:
    """Today's overdue thresholds of opinions: the one rule (``services.deadlines``) on their clocks."""

    def __init__(self, session: Session, on: date | None = None) -> None:
        """Compute the thresholds once per list."""
        self.dl = deadline_days(session)
        self.rule = deadlines.Deadlines(session, self.dl, on)
        self.cal = self.rule.cal
        self.today = self.rule.today

    @staticmethod
    def clocks() -> list[deadlines.Running]:
        """The opinions' clocks in SQL: the states each runs in, its due column, its deadline key."""
        return [
            deadlines.Running(O.status == PENDING, O.forward_due, "forward"),
            deadlines.Running(O.status.in_(BEFORE_CONCLUSION), O.resolve_due, "resolve"),
            deadlines.Running(O.status.in_(CONCLUDED), O.feedback_due, "feedback"),
        ]

    @staticmethod
    def running(status: str, forward: date | None, resolve: date | None,
                feedback: date | None) -> list[tuple[date | None, str]]:
        """(due date, key) of the clocks running in ``status`` (the Python twin of ``clocks``)."""
        out = []
        if status == PENDING:
            out.append((forward, "forward"))
        if status in BEFORE_CONCLUSION:
            out.append((resolve, "resolve"))
        if status in CONCLUDED:
            out.append((feedback, "feedback"))
        return out

    def level(self, status: str, paused: bool, forward: date | None, resolve: date | None,
              feedback: date | None, soon: bool = False) -> str:
        """"" / 超期 / 严重超期 (with ``soon`` also 即将到期) of one opinion."""
        return self.rule.level(self.running(status, forward, resolve, feedback), paused, soon)

    def clause(self, long: bool = False):  # noqa: ANN201
        """SQL: the opinion is overdue (long overdue) today; paused opinions are not."""
        return self.rule.clause(self.clocks(), O.paused_since, long)

    def soon_clause(self):  # noqa: ANN201
        """SQL: not overdue and a running clock falls due within ``due_soon_days``."""
        return self.rule.soon_clause(self.clocks(), O.paused_since)

    def unconfirmed_clause(self):  # noqa: ANN201
        """SQL: an open opinion with a running due date in a year whose calendar is unconfirmed."""
        return and_(O.status.in_(OPEN), or_(*(and_(c.when, self.cal.unconfirmed_clause(c.due))
                                              for c in self.clocks())))

    def due_text(self, status: str, forward: date | None, resolve: date | None, feedback: date | None) -> str:
        """The deadline the opinion works to now, as text: 转交 2026-03-05 / 办结 … / 反馈 … ("" when none)."""
        names = {"forward": "转交", "resolve": "办结", "feedback": "反馈"}
        running = [(d, k) for d, k in self.running(status, forward, resolve, feedback) if d is not None]
        if not running:
            return ""
        d, k = min(running)
        return f"{names[k]} {d:%Y-%m-%d}"


def registration_warning(session: Session, raised: date | None) -> str:
    """The 日历未确认 warning for opinions raised on ``raised`` ("" when their deadlines lie in
    confirmed years): shown under the date of the activity / meeting form."""
    if not isinstance(raised, date):
        return ""
    cal = workdays.calendar_for(session)
    dues = due_dates(raised, PENDING, raised, None, 0, deadline_days(session), cal)
    return cal.warning(*dues)


def overdue_filter(clock: Clock, choice: str | None):  # noqa: ANN201
    """SQL condition of a list's 超期情况 filter value (超期 / 严重超期 / 即将到期 / 日历未确认), or None."""
    if not choice:
        return None
    if choice == deadlines.DUE_SOON:
        return clock.soon_clause()
    if choice == workdays.UNCONFIRMED:
        return clock.unconfirmed_clause()
    return clock.clause(long=choice == deadlines.LONG_OVERDUE)


OVERDUE_CHOICES = {"超期": "已超期（含严重超期）", "严重超期": "严重超期（超过时限两倍）",
                   "即将到期": "即将到期（未超期）", "日历未确认": "期限所在年度日历未确认"}


def categories(session: Session) -> list[str]:
    """Return the problem categories (setting letter_categories)."""
    return list(settings.get(session, "letter_categories"))


def allowed_next(status: str) -> tuple[str, ...]:
    """Return the statuses an opinion in ``status`` may move to."""
    return TRANSITIONS.get(status, ())


def _scope_of_district(session: Session, district_id: int | None) -> tuple[int, int]:
    """Return (group_id, office_id) of a district, or raise ValidationError."""
    district = session.get(models.District, district_id) if district_id else None
    if district is None:
        raise ValidationError({"district_id": "请选择选区"})
    return district.group_id, group_office(session, district.group_id)


def check_rows(session: Session, rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Clean opinion rows of the activity form; return (clean rows, {"opinions": message}).

    Each row: 内容 content, 类别 category, 是否民生问题 is_livelihood, 转交单位 forwarded_to.
    Rows with every cell empty are skipped.
    """
    cats = categories(session)
    out: list[dict] = []
    problems: list[str] = []
    for n, row in enumerate(rows, start=1):
        content = clean_text(row.get("content"))
        category = clean_text(row.get("category"))
        forwarded = clean_text(row.get("forwarded_to"))
        if not content and not category and not forwarded:
            continue
        if not content:
            problems.append(f"第{n}条意见未填写内容")
        elif len(content) > 2000:
            problems.append(f"第{n}条意见内容过长（不超过2000字）")
        if category not in cats:
            problems.append(f"第{n}条意见请选择类别")
        body = None
        if forwarded:
            body, why = bodies.organisation(session, forwarded)
            if why:
                problems.append(f"第{n}条意见转交单位“{forwarded[:20]}”：{why}")
        out.append({"content": content, "category": category,
                    "is_livelihood": bool(row.get("is_livelihood")),
                    "forwarded_to": body.name if body else None, "body_id": body.id if body else None})
    errors = {"opinions": "；".join(problems)} if problems else {}
    return out, errors


def _create(session: Session, actor: Actor, *, source: str, activity_id: int | None,
            report_id: int | None, deputy_id: int | None, district_id: int, group_id: int,
            raised_on: date, content: str, category: str, is_livelihood: bool,
            forwarded_to: str | None, body_id: int | None = None) -> models.Opinion:
    """Insert one checked opinion and its first step(s) (``forwarded_to`` is a directory body's name)."""
    op = models.Opinion(
        source=source, activity_id=activity_id, report_id=report_id, deputy_id=deputy_id,
        district_id=district_id, group_id=group_id, raised_on=raised_on, content=content,
        category=category, is_livelihood=is_livelihood, forwarded_to=forwarded_to, body_id=body_id,
        status=PENDING, status_on=raised_on, round=1, paused_days=0,
    )
    if forwarded_to:
        op.status = FORWARDED  # the due dates of the state it ends in (one write, one version)
    _apply_deadlines(session, op)
    op.status = PENDING
    session.add(op)
    session.flush()
    who = actor.display_name or actor.username
    session.add(models.OpinionEvent(opinion_id=op.id, from_status=None, to_status=PENDING,
                                    happened_on=raised_on, by=who, note=f"登记（来源：{source}）"))
    if forwarded_to:
        # a forwarded-to body entered with the opinion means it was already passed on
        op.status = FORWARDED
        session.add(models.OpinionEvent(opinion_id=op.id, from_status=PENDING, to_status=FORWARDED,
                                        happened_on=raised_on, by=who, note=f"转交{forwarded_to}"))
    return op


def add_opinion(
    session: Session,
    actor: Actor,
    *,
    source: str = OpinionSource.REPORT,
    report_id: int | None = None,
    deputy_id: int | None = None,
    district_id: int | None = None,
    raised_on: date | str | None = None,
    content: str = "",
    category: str = "",
    is_livelihood: bool = False,
    forwarded_to: str | None = None,
    activity_id: int | None = None,
) -> models.Opinion:
    """Record one opinion (from a report meeting or an activity); return it with its id.

    With ``forwarded_to`` given the opinion starts as 已转交, otherwise 待转交.
    """
    actor.require_write("opinion")
    errors: dict[str, str] = {}
    if source not in SOURCES:
        errors["source"] = "来源应为活动或述职"
    try:
        raised = parse_date(raised_on)
    except ValueError as exc:
        errors["raised_on"] = str(exc)
        raised = None
    if raised is None and "raised_on" not in errors:
        errors["raised_on"] = "请填写提出日期"
    elif raised is not None and raised > today():
        errors["raised_on"] = "提出日期不能晚于今天"
    content = clean_text(content)
    category = clean_text(category)
    forwarded_to = clean_text(forwarded_to) or None
    if not content:
        errors["content"] = "请填写意见内容"
    elif len(content) > 2000:
        errors["content"] = "意见内容过长（不超过2000字）"
    if category not in categories(session):
        errors["category"] = "请选择问题类别"
    body = None
    if forwarded_to:
        names = set()
        if deputy_id is not None and session.get(models.Deputy, deputy_id) is not None:
            names = {session.get(models.Deputy, deputy_id).name}
        body, why = bodies.organisation(session, forwarded_to, names)
        if why:
            errors["forwarded_to"] = why
    group_id = office_id = None
    try:
        group_id, office_id = _scope_of_district(session, district_id)
    except ValidationError as exc:
        errors.update(exc.errors)
    if deputy_id is not None and session.get(models.Deputy, deputy_id) is None:
        errors["deputy_id"] = "代表不存在"
    if errors:
        raise ValidationError(errors)
    actor.require_scope(office_id, group_id)
    return _create(session, actor, source=source, activity_id=activity_id, report_id=report_id,
                   deputy_id=deputy_id, district_id=district_id, group_id=group_id, raised_on=raised,
                   content=content, category=category, is_livelihood=bool(is_livelihood),
                   forwarded_to=body.name if body else None, body_id=body.id if body else None)


def _load(session: Session, actor: Actor, opinion_id: int) -> models.Opinion:
    """Return an opinion inside the actor's scope, or raise NotFound."""
    op = session.get(models.Opinion, opinion_id)
    if op is None or not actor.in_scope(group_office(session, op.group_id), op.group_id):
        raise NotFound("该意见不存在或不在您的负责范围内。")
    return op


def _deputy_names(session: Session, op: models.Opinion) -> set[str]:
    """Names of the deputies linked to an opinion (in charge, or at its activity)."""
    ids = {op.deputy_id} if op.deputy_id else set()
    if op.activity_id:
        ids |= set(session.execute(
            select(models.ActivityDeputy.deputy_id).where(models.ActivityDeputy.activity_id == op.activity_id)
        ).scalars())
    if not ids:
        return set()
    return set(session.execute(select(models.Deputy.name).where(models.Deputy.id.in_(ids))).scalars())


def is_self_resolution(resolved_by: str, deputy_names: set[str] = frozenset()) -> bool:
    """True when ``resolved_by`` is not an organisation (the deputy himself, 本人, a person): R3,
    decided by ``bodies.not_an_organisation`` (the directory check is ``bodies.organisation``)."""
    return bodies.not_an_organisation(resolved_by, deputy_names) is not None


def transition(
    session: Session,
    actor: Actor,
    opinion_id: int,
    to_status: str,
    *,
    happened_on: date | str | None = None,
    note: str = "",
    forwarded_to: str | None = None,
    resolved_by: str | None = None,
    result: str | None = None,
    reason: str | None = None,
    feedback: str | None = None,
    outcome: str | None = None,
    expected_version: int | None = None,
) -> models.Opinion:
    """Move an opinion one allowed step, recording date, who and a note.

    已转交 needs the body it goes to and 已解决 the body that answered, both organisations of the
    承办单位 directory, never the deputy or a person (R3, ``bodies.organisation``; a body id or its
    name); 已解决 needs its outcome class A, B or C; 无法解决 needs the reason and is class D;
    已反馈选民 needs what the voter was told.
    """
    actor.require_write("opinion")
    op = _load(session, actor, opinion_id)
    check_version(op, expected_version, "该意见")
    errors: dict[str, str] = {}
    if op.paused_since is not None:
        raise ValidationError({"to_status": "该意见正在等待选民补充说明（计时已暂停），请先恢复计时再办理"})
    if to_status not in allowed_next(op.status):
        nxt = "、".join(allowed_next(op.status)) or "无（已办结）"
        raise ValidationError({"to_status": f"当前状态为“{op.status}”，不能直接变为“{to_status}”；可选：{nxt}"})
    try:
        when = parse_date(happened_on) or today()
    except ValueError as exc:
        errors["happened_on"] = str(exc)
        when = today()
    if when > today():
        errors["happened_on"] = "日期不能晚于今天"
    elif when < (op.status_on or op.raised_on):
        errors["happened_on"] = ("日期不能早于意见提出日期" if (op.status_on or op.raised_on) == op.raised_on
                                 else f"日期不能早于上一环节日期（{op.status_on:%Y-%m-%d}）")
    note = clean_text(note)
    forwarded_to = clean_text(forwarded_to) or None
    resolved_by = clean_text(resolved_by)
    result = clean_text(result) or None
    reason = clean_text(reason)
    feedback = clean_text(feedback)
    body = None
    if to_status == FORWARDED:
        body, why = bodies.organisation(session, forwarded_to or op.body_id or op.forwarded_to,
                                        _deputy_names(session, op))
        if why:
            errors["forwarded_to"] = why
    elif to_status == RESOLVED:
        body, why = bodies.organisation(session, resolved_by, _deputy_names(session, op))
        if why:
            errors["resolved_by"] = ("请选择解决问题的单位" if not resolved_by else
                                     why if "R3" in why else f"{why}（代表不能以“本人自行解决”办结，R3）")
        if outcome not in RESOLVED_OUTCOMES:
            errors["outcome"] = "请选择办理结果分类：A 已解决、B 正在解决 或 C 列入计划逐步解决"
    elif to_status == UNRESOLVABLE:
        if not reason:
            errors["reason"] = "请填写无法解决的原因"
    elif to_status == FED_BACK and not (feedback or note):
        errors["feedback"] = "请填写向选民反馈的内容"
    if errors:
        raise ValidationError(errors)
    before = op.status
    op.status = to_status
    op.status_on = when
    if to_status == FORWARDED:
        op.forwarded_to = body.name
        op.body_id = body.id
        note = note or f"转交{body.name}"
    elif to_status == RESOLVED:
        op.resolved_by = body.name
        op.resolved_body_id = body.id
        op.outcome = outcome
        op.result = result or note or None
        op.resolved_on = when
        note = note or f"{body.name}答复（{outcome}）" + (f"：{result}" if result else "")
    elif to_status == UNRESOLVABLE:
        op.unresolvable_reason = reason
        op.outcome = Outcome.D
        note = note or f"原因：{reason}"
    elif to_status == FED_BACK:
        op.feedback = feedback or note
        note = note or feedback
    session.add(models.OpinionEvent(opinion_id=op.id, from_status=before, to_status=to_status,
                                    happened_on=when, by=actor.display_name or actor.username,
                                    note=note or None))
    if to_status != FED_BACK:  # a fed-back opinion keeps its due dates: whether it was in time is history
        _apply_deadlines(session, op)
    session.flush()
    return op


def _step_on(op: models.Opinion, happened_on: object, errors: dict[str, str], not_before: date) -> date:
    """The date of a pause / resume / reopen: not in the future, not before ``not_before``."""
    try:
        when = parse_date(happened_on) or today()
    except ValueError as exc:
        errors["happened_on"] = str(exc)
        return today()
    if when > today():
        errors["happened_on"] = "日期不能晚于今天"
    elif when < not_before:
        errors["happened_on"] = f"日期不能早于{not_before:%Y-%m-%d}"
    return when


def pause(session: Session, actor: Actor, opinion_id: int, *, happened_on: date | str | None = None,
          note: str = "", expected_version: int | None = None) -> models.Opinion:
    """Stop an opinion's clock while it waits for the voter (补充说明); the reason is required."""
    actor.require_write("opinion")
    op = _load(session, actor, opinion_id)
    check_version(op, expected_version, "该意见")
    if op.status not in OPEN:
        raise ValidationError({"to_status": "已反馈选民的意见无需暂停计时"})
    if op.paused_since is not None:
        raise ValidationError({"to_status": "该意见已在暂停计时中"})
    errors: dict[str, str] = {}
    when = _step_on(op, happened_on, errors, op.status_on or op.raised_on)
    note = clean_text(note)
    if not note:
        errors["note"] = "请说明需要选民补充的内容"
    elif len(note) > 500:
        errors["note"] = "说明过长（不超过500字）"
    if errors:
        raise ValidationError(errors)
    op.paused_since = when
    session.add(models.OpinionEvent(opinion_id=op.id, from_status=op.status, to_status=PAUSE, happened_on=when,
                                    by=actor.display_name or actor.username, note=f"等待选民补充说明：{note}"))
    session.flush()
    return op


def resume(session: Session, actor: Actor, opinion_id: int, *, happened_on: date | str | None = None,
           note: str = "", expected_version: int | None = None) -> models.Opinion:
    """Restart the clock; the working days paused push every deadline of the round."""
    actor.require_write("opinion")
    op = _load(session, actor, opinion_id)
    check_version(op, expected_version, "该意见")
    if op.paused_since is None:
        raise ValidationError({"to_status": "该意见没有暂停计时"})
    errors: dict[str, str] = {}
    when = _step_on(op, happened_on, errors, op.paused_since)
    if errors:
        raise ValidationError(errors)
    days = workdays.calendar_for(session).workdays_between(op.paused_since, when)
    op.paused_days = (op.paused_days or 0) + days
    op.paused_since = None
    text = clean_text(note)
    session.add(models.OpinionEvent(opinion_id=op.id, from_status=op.status, to_status=RESUME, happened_on=when,
                                    by=actor.display_name or actor.username,
                                    note=(text + "；" if text else "") + f"暂停{days}个工作日，时限相应顺延"))
    _apply_deadlines(session, op)
    session.flush()
    return op


def reopen(session: Session, actor: Actor, opinion_id: int, *, reason: str = "", happened_on: date | str | None = None,
           expected_version: int | None = None) -> models.Opinion:
    """Reopen a fed-back opinion whose voter is not satisfied: back to 办理中 as a new round with a
    new 办结 clock from the day it was reopened; it no longer counts as resolved."""
    actor.require_write("opinion")
    op = _load(session, actor, opinion_id)
    check_version(op, expected_version, "该意见")
    if op.status != FED_BACK:
        raise ValidationError({"to_status": "只有已反馈选民的意见才能重新办理"})
    errors: dict[str, str] = {}
    when = _step_on(op, happened_on, errors, op.status_on or op.raised_on)
    reason = clean_text(reason)
    if not reason:
        errors["reason"] = "请填写重新办理的原因（如选民对反馈结果不满意）"
    elif len(reason) > 500:
        errors["reason"] = "原因过长（不超过500字）"
    if errors:
        raise ValidationError(errors)
    op.round = (op.round or 1) + 1
    op.round_start = when
    op.status = HANDLING
    op.status_on = when
    op.paused_days = 0
    op.resolved_on = None
    op.resolved_by = None
    op.result = None
    op.outcome = None
    op.unresolvable_reason = None
    session.add(models.OpinionEvent(opinion_id=op.id, from_status=FED_BACK, to_status=HANDLING, happened_on=when,
                                    by=actor.display_name or actor.username,
                                    note=f"{REOPEN}（第{op.round}轮）：{reason}"))
    _apply_deadlines(session, op)
    session.flush()
    return op


def events(session: Session, actor: Actor, opinion_id: int) -> list[dict]:
    """Return the steps of one opinion, oldest first (for components.timeline)."""
    _load(session, actor, opinion_id)
    rows = session.execute(
        select(models.OpinionEvent).where(models.OpinionEvent.opinion_id == opinion_id)
        .order_by(models.OpinionEvent.happened_on, models.OpinionEvent.id)
    ).scalars()
    return [{"status": e.to_status, "on": e.happened_on, "by": e.by, "note": e.note or ""} for e in rows]


def events_of_many(session: Session, opinion_ids: list[int]) -> dict[int, list[dict]]:
    """Return {opinion id: steps} for several opinions in one query (caller checked scope)."""
    out: dict[int, list[dict]] = {i: [] for i in opinion_ids}
    if not opinion_ids:
        return out
    rows = session.execute(
        select(models.OpinionEvent).where(models.OpinionEvent.opinion_id.in_(opinion_ids))
        .order_by(models.OpinionEvent.happened_on, models.OpinionEvent.id)
    ).scalars()
    for e in rows:
        out[e.opinion_id].append({"status": e.to_status, "on": e.happened_on, "by": e.by, "note": e.note or ""})
    return out


def of_activity(session: Session, actor: Actor, activity_id: int) -> list[dict]:
    """Return the opinions of one activity with their steps (caller checked the activity's scope)."""
    ops = session.execute(
        select(models.Opinion).where(models.Opinion.activity_id == activity_id).order_by(models.Opinion.id)
    ).scalars().all()
    steps = events_of_many(session, [o.id for o in ops])
    clock = Clock(session)
    return [
        {"overdue": clock.level(o.status, o.paused_since is not None, o.forward_due, o.resolve_due, o.feedback_due,
                                soon=True), "paused": o.paused_since is not None,
         "id": o.id, "version": o.version, "content": o.content, "category": o.category,
         "is_livelihood": o.is_livelihood, "forwarded_to": o.forwarded_to or "", "status": o.status,
         "resolved_by": o.resolved_by or "", "result": o.result or "", "raised_on": o.raised_on,
         "outcome": o.outcome or "", "body_id": o.body_id, "next": list(allowed_next(o.status)),
         "steps": steps[o.id]}
        for o in ops
    ]


# the orders the opinion list offers (components.table ``sorts``); the first is the office's
OPINION_SORTS: dict[str, str] = {
    "open_first": "办理顺序：未办结在前，提出早的在前",
    "raised_desc": "提出日期：新的在前",
    "raised_asc": "提出日期：早的在前",
    "status": "状态",
}
OPEN_OPINION = (OpinionStatus.PENDING, OpinionStatus.FORWARDED, OpinionStatus.HANDLING)


def opinion_order(sort: str | None) -> list:
    """ORDER BY of the opinion list for an ``OPINION_SORTS`` key (unknown keys: the office's)."""
    O = models.Opinion
    if sort == "raised_desc":
        return [O.raised_on.desc(), O.id.desc()]
    if sort == "raised_asc":
        return [O.raised_on, O.id]
    if sort == "status":
        return [O.status, O.raised_on, O.id]
    return [case((O.status.in_(list(OPEN_OPINION)), 0), else_=1), O.raised_on, O.id]


def list_opinions(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of opinions across activities and report meetings (scope applied), in the order
    ``f["sort"]`` names (``OPINION_SORTS``; by default open ones first, oldest first), in SQL.

    Filters: year, status, category, livelihood (bool), group, source, q (text in content or body).
    """
    G = models.DeputyGroup
    clock = Clock(session)
    stmt = (
        select(O, models.District.name, G.name)
        .join(models.District, models.District.id == O.district_id)
        .join(G, G.id == O.group_id)
    )
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if f.get("year"):
        y = int(f["year"])
        stmt = stmt.where(O.raised_on.between(date(y, 1, 1), date(y, 12, 31)))
    if f.get("status"):
        stmt = stmt.where(O.status == f["status"])
    if f.get("category"):
        stmt = stmt.where(O.category == f["category"])
    if f.get("livelihood"):
        stmt = stmt.where(O.is_livelihood.is_(True))
    if f.get("group"):
        stmt = stmt.where(O.group_id == int(f["group"]))
    if f.get("source"):
        stmt = stmt.where(O.source == f["source"])
    cond = overdue_filter(clock, f.get("overdue"))
    if cond is not None:
        stmt = stmt.where(cond)
    if f.get("q"):
        q = clean_text(f["q"])[:50]
        stmt = stmt.where(or_(O.content.contains(q, autoescape=True),
                              O.forwarded_to.contains(q, autoescape=True),
                              O.resolved_by.contains(q, autoescape=True)))
    stmt = stmt.order_by(*opinion_order(f.get("sort")))
    rows, total = paginate(session, stmt, offset, limit)
    pii = free_text_for(actor.role)
    out = [
        {"id": o.id, "version": o.version, "状态": o.status + ("（暂停计时）" if o.paused_since else ""),
         "期限": clock.due_text(o.status, o.forward_due, o.resolve_due, o.feedback_due),
         "超期": clock.level(o.status, o.paused_since is not None, o.forward_due, o.resolve_due, o.feedback_due,
                           soon=True),
         "提出日期": o.raised_on, "意见内容": pii(o.content), "类别": o.category, "来源": o.source, "选区": dname,
         "代表组": gname, "民生问题": o.is_livelihood, "转交单位": pii(o.forwarded_to),
         "结果分类": o.outcome or "", "解决单位": o.resolved_by or "", "办结日期": o.resolved_on,
         "日历": workdays.UNCONFIRMED if o.status in OPEN and clock.cal.unconfirmed_years(
             *(d for d, _k in clock.running(o.status, o.forward_due, o.resolve_due, o.feedback_due))) else ""}
        for o, dname, gname in rows
    ]
    sub = stmt.order_by(None).subquery()
    n_live, n_over, n_long = session.execute(
        select(func.count(), func.sum(case((O.is_livelihood.is_(True), 1), else_=0)),
               func.sum(case((clock.clause(False), 1), else_=0)), func.sum(case((clock.clause(True), 1), else_=0)))
        .select_from(O).where(O.id.in_(select(sub.c.id)))
    ).one()[1:]
    return Page(out, total, {"其中民生问题": f"{int(n_live or 0)} 条", "超期": f"{int(n_over or 0)} 条",
                             "严重超期": f"{int(n_long or 0)} 条"})


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figures of the opinions' clock: open opinions overdue today, and long overdue.

    A state of today, whatever the year shown."""
    clock = Clock(session)
    G = models.DeputyGroup
    base = scope_filter(select(func.count(O.id)).join(G, G.id == O.group_id), actor, G.office_id, G.id)
    overdue = int(session.execute(base.where(clock.clause(False))).scalar_one())
    long = int(session.execute(base.where(clock.clause(True))).scalar_one())
    dl = clock.dl
    return [
        Figure("R3", "超期未办群众意见", overdue, "条", "activities", {"view": "opinions", "overdue": "超期"},
               bad=overdue > 0, help=f"提出后{dl['forward']}个工作日内未转交、{dl['resolve']}个工作日内未办结，"
                                     f"或办结后{dl['feedback']}个工作日内未反馈选民的意见"),
        Figure("R3", "严重超期群众意见（超过时限两倍）", long, "条", "activities",
               {"view": "opinions", "overdue": "严重超期"}, bad=long > 0, help="已超过办理时限两倍的群众意见"),
    ]


def get_opinion(session: Session, actor: Actor, opinion_id: int) -> dict:
    """One opinion with its steps and the statuses it may move to (scope checked)."""
    o = _load(session, actor, opinion_id)
    pii = free_text_for(actor.role)
    clock = Clock(session)
    running = [d for d, _k in clock.running(o.status, o.forward_due, o.resolve_due, o.feedback_due)]
    return {
        "forward_due": o.forward_due, "resolve_due": o.resolve_due, "feedback_due": o.feedback_due,
        "paused_since": o.paused_since, "paused_days": o.paused_days or 0, "round": o.round or 1,
        "overdue": clock.level(o.status, o.paused_since is not None, o.forward_due, o.resolve_due, o.feedback_due,
                               soon=True),
        "calendar_warning": clock.cal.warning(*running) if o.status in OPEN else "",
        "may_pause": o.status in OPEN, "may_reopen": o.status == FED_BACK and o.paused_since is None,
        "id": o.id, "version": o.version, "content": pii(o.content), "category": o.category,
        "is_livelihood": o.is_livelihood, "forwarded_to": pii(o.forwarded_to), "status": o.status,
        "resolved_by": o.resolved_by or "", "result": pii(o.result), "raised_on": o.raised_on,
        "outcome": o.outcome or "", "body_id": o.body_id, "source": o.source, "activity_id": o.activity_id, "report_id": o.report_id,
        "next": list(allowed_next(o.status)), "steps": events_of_many(session, [o.id])[o.id],
    }
