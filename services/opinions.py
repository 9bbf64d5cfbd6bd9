"""群众意见: voters' opinions raised at activities or report meetings, and their lifecycle (R3).

An opinion moves 待转交 → 已转交 → 办理中 → 已解决 / 无法解决 → 已反馈选民. The allowed steps are
data (``TRANSITIONS``) and every step goes through ``transition()``, which records the date, who
and a note as an OpinionEvent. A deputy never closes an opinion as handled by himself (R3):
已解决 needs the body that resolved it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db import models
from services import bodies, settings
from services.common import (
    Actor,
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
from services.validation import clean_text, parse_date

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
        status=PENDING,
    )
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
    elif when < op.raised_on:
        errors["happened_on"] = "日期不能早于意见提出日期"
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
    return [
        {"id": o.id, "version": o.version, "content": o.content, "category": o.category,
         "is_livelihood": o.is_livelihood, "forwarded_to": o.forwarded_to or "", "status": o.status,
         "resolved_by": o.resolved_by or "", "result": o.result or "", "raised_on": o.raised_on,
         "outcome": o.outcome or "", "body_id": o.body_id, "next": list(allowed_next(o.status)),
         "steps": steps[o.id]}
        for o in ops
    ]


def list_opinions(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of opinions across activities and report meetings (scope applied), newest first.

    Filters: year, status, category, livelihood (bool), group, source, q (text in content or body).
    """
    O = models.Opinion
    G = models.DeputyGroup
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
    if f.get("q"):
        q = clean_text(f["q"])[:50]
        stmt = stmt.where(or_(O.content.contains(q, autoescape=True),
                              O.forwarded_to.contains(q, autoescape=True),
                              O.resolved_by.contains(q, autoescape=True)))
    stmt = stmt.order_by(O.raised_on.desc(), O.id.desc())
    rows, total = paginate(session, stmt, offset, limit)
    out = [
        {"id": o.id, "version": o.version, "提出日期": o.raised_on, "来源": o.source, "选区": dname,
         "代表组": gname, "类别": o.category, "民生问题": o.is_livelihood, "意见内容": o.content,
         "转交单位": o.forwarded_to or "", "状态": o.status, "结果分类": o.outcome or "",
         "解决单位": o.resolved_by or "", "办结日期": o.resolved_on}
        for o, dname, gname in rows
    ]
    n_live = session.execute(
        select(func.count()).select_from(stmt.where(O.is_livelihood.is_(True)).order_by(None).subquery())
    ).scalar_one()
    return Page(out, total, {"其中民生问题": f"{n_live} 条"})


def get_opinion(session: Session, actor: Actor, opinion_id: int) -> dict:
    """One opinion with its steps and the statuses it may move to (scope checked)."""
    o = _load(session, actor, opinion_id)
    return {
        "id": o.id, "version": o.version, "content": o.content, "category": o.category,
        "is_livelihood": o.is_livelihood, "forwarded_to": o.forwarded_to or "", "status": o.status,
        "resolved_by": o.resolved_by or "", "result": o.result or "", "raised_on": o.raised_on,
        "outcome": o.outcome or "", "body_id": o.body_id, "source": o.source, "activity_id": o.activity_id, "report_id": o.report_id,
        "next": list(allowed_next(o.status)), "steps": events_of_many(session, [o.id])[o.id],
    }
