"""出席与履职: congress sessions and standing-committee activities as events, each invited deputy's
attendance (出席 / 请假 / 缺席), attendance rates per deputy, year and kind, unexcused absences,
and publicity and rule-of-law work (宣传 / 普法 / 法制调研, for F2 and F4).

Decisions (also in the README):
- An event's invited deputies are its Attendance rows; a new event invites the chosen deputies
  (or every deputy of the actor's scope serving on the event's date, ``deputies.serving_on``'s
  rule) as 出席, then the exceptions are marked.
- Only events already held count (``rules.attended`` / ``rules.absent_unexcused`` with the
  reference day): an event registered for next month is neither attended nor missed yet, in the
  rates, the absence list, the performance file and the 工作台 figure.
- Attendance rate = 出席 ÷ invited (出席 + 请假 + 缺席); 请假 is excused but not attended.
- A staff user scoped to an office sees and edits the attendance of their own deputies only;
  events themselves are district-wide. Publicity work is visible when one of its deputies is in
  scope, and written only with deputies all in scope.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from db import models
from services import deputies, rules
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    PermissionDenied,
    StaleError,
    ValidationError,
    current_term,
    last_change,
    paginate,
    scope_filter,
    today,
)
from services.states import AttendanceStatus, EventKind, PublicityKind, values
from services.validation import clean_text, parse_date

EVENT_KINDS = values(EventKind)
STATUSES = values(AttendanceStatus)
PRESENT, LEAVE, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT
NOT_INVITED = "不在名单"  # the editor's choice that removes a deputy from an event
PUBLICITY_KINDS = values(PublicityKind)
E, A, D, G = models.CongressEvent, models.Attendance, models.Deputy, models.DeputyGroup
W, WD = models.PublicityWork, models.PublicityDeputy


def _year(stmt, col, year: int | None):
    """Restrict a statement to one calendar year of ``col`` (no-op for None)."""
    if not year:
        return stmt
    return stmt.where(col.between(date(int(year), 1, 1), date(int(year), 12, 31)))


def _scoped_deputies(session: Session, actor: Actor, ids: list[int]) -> dict[int, D]:
    """Load deputies by id; raise ValidationError when one is missing or outside the scope."""
    if not ids:
        return {}
    rows = session.execute(select(D, G.office_id).join(G, G.id == D.group_id).where(D.id.in_(ids))).all()
    found = {d.id: d for d, _ in rows}
    if len(found) != len(set(ids)):
        raise ValidationError({"deputy_ids": "有代表不存在"})
    if any(not actor.in_scope(o, d.group_id) for d, o in rows):
        raise ValidationError({"deputy_ids": "有代表不在您负责的办事处或代表组范围内"})
    return found


def serving_in_scope(session: Session, actor: Actor, day: date | None = None) -> list[int]:
    """Ids of the deputies inside the actor's scope serving on ``day`` (default today), in the
    group of that day (``deputies.serving_at``)."""
    day = day or today()
    sub = deputies.serving_at(day.year, day=day)
    stmt = (select(sub.c.deputy_id).join(D, D.id == sub.c.deputy_id).join(G, G.id == sub.c.group_id)
            .order_by(G.name, D.name))
    return list(session.execute(scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id)).scalars())


# ---------------------------------------------------------------- events and attendance


def create_event(session: Session, actor: Actor, data: dict) -> int:
    """Create an event and invite deputies (all marked 出席); returns the event id.

    data: kind, title, held_on, term_id (default: current term), session_no (人代会: 第N次会议),
    deputy_ids (list) or all_serving=True (every serving deputy in the actor's scope).
    """
    actor.require_write("attendance")
    errors: dict[str, str] = {}
    kind = clean_text(data.get("kind"))
    if kind not in EVENT_KINDS:
        errors["kind"] = "请选择会议活动类型"
    title = clean_text(data.get("title"))
    if not title:
        errors["title"] = "请填写名称"
    elif len(title) > 128:
        errors["title"] = "名称不超过128字"
    try:
        held_on = parse_date(data.get("held_on"))
        if held_on is None:
            errors["held_on"] = "请填写日期"
    except ValueError as exc:
        errors["held_on"] = str(exc)
        held_on = None
    term = session.get(models.Term, int(data["term_id"])) if data.get("term_id") else current_term(session)
    if term is None:
        errors["term_id"] = "请选择届次"
    elif held_on and not term.start_year <= held_on.year <= term.end_year:
        errors["held_on"] = f"日期不在{term.name}（{term.start_year}–{term.end_year}年）内"
    session_no = None
    raw = data.get("session_no")
    if raw not in (None, ""):
        try:
            session_no = int(raw)
            if not 1 <= session_no <= 20:
                raise ValueError
        except (TypeError, ValueError):
            errors["session_no"] = "会次应为1–20之间的数字"
    if kind == EventKind.CONGRESS and session_no is None and "session_no" not in errors:
        errors["session_no"] = "人代会请填写第几次会议"
    every = bool(data.get("all_serving"))
    if every:  # those serving on the event's date (none can be chosen before the date is right)
        ids = serving_in_scope(session, actor, held_on) if held_on else []
    else:
        ids = [int(i) for i in data.get("deputy_ids") or []]
    if not ids:
        if every and held_on:
            errors["deputy_ids"] = f"{held_on:%Y-%m-%d}您的负责范围内没有在任代表"
        elif not every:
            errors["deputy_ids"] = "请选择应出席的代表"
    elif not every:
        try:
            _scoped_deputies(session, actor, ids)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    ev = E(kind=kind, title=title, held_on=held_on, term_id=term.id, session_no=session_no)
    session.add(ev)
    session.flush()
    for did in dict.fromkeys(ids):
        session.add(A(event_id=ev.id, deputy_id=did, status=PRESENT))
    session.flush()
    return ev.id


def _event(session: Session, event_id: int) -> E:
    """Load an event or raise NotFound."""
    ev = session.get(E, event_id)
    if ev is None:
        raise NotFound("该会议活动不存在或已删除。")
    return ev


def delete_event(session: Session, actor: Actor, event_id: int) -> None:
    """Delete an event with its attendance (accounts not limited to one office/group only)."""
    actor.require_write("attendance")
    if actor.scoped:
        raise PermissionDenied("会议活动涉及全区代表，只有不限范围的账号可以删除。")
    ev = _event(session, event_id)
    for row in session.execute(select(A).where(A.event_id == ev.id)).scalars():
        session.delete(row)
    session.delete(ev)
    session.flush()


def event_options(session: Session, year: int | None = None, actor: Actor | None = None) -> dict[int, str]:
    """Events (of a year), newest first: {id: "2026-03-05 人代会 第十八届第3次会议"}.

    With a scoped ``actor``: only events inviting one of its deputies, or inviting nobody yet.
    """
    stmt = _year(select(E.id, E.held_on, E.kind, E.title).order_by(E.held_on.desc(), E.id.desc()), E.held_on, year)
    if actor is not None and actor.scoped:
        mine = scope_filter(select(A.event_id).join(D, D.id == A.deputy_id).join(G, G.id == D.group_id),
                            actor, G.office_id, D.group_id)
        stmt = stmt.where(or_(E.id.in_(mine), ~exists().where(A.event_id == E.id)))
    return {i: f"{on:%Y-%m-%d} {k} {t}" for i, on, k, t in session.execute(stmt)}


def list_events(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of events with counts of invited / present / excused / absent deputies in scope."""
    group_then = deputies.group_on_day(A.deputy_id, E.held_on, D.group_id)
    held = E.held_on <= today()  # an event still to come is neither attended nor missed yet
    tallies = scope_filter(
        select(A.event_id, func.count().label("n"),
               func.sum(case((and_(held, A.status == PRESENT), 1), else_=0)).label("p"),
               func.sum(case((and_(held, A.status == LEAVE), 1), else_=0)).label("l"),
               func.sum(case((and_(held, A.status == ABSENT), 1), else_=0)).label("a"))
        .join(E, E.id == A.event_id).join(D, D.id == A.deputy_id).join(G, G.id == group_then)
        .group_by(A.event_id),
        actor, G.office_id, G.id,
    )

    def chosen(stmt: Select) -> Select:  # the filters of the list, on a SELECT from the events
        stmt = _year(stmt, E.held_on, f.get("year"))
        if f.get("kind"):
            stmt = stmt.where(E.kind == f["kind"])
        if f.get("q"):
            stmt = stmt.where(E.title.contains(clean_text(f["q"])[:50], autoescape=True))
        return stmt

    order = (E.held_on.desc(), E.id.desc())
    events = chosen(select(E, models.Term.name).join(models.Term, models.Term.id == E.term_id)).order_by(*order)
    if actor.scoped:  # events of other offices' deputies only are left out (new, empty ones stay)
        sub = tallies.subquery()
        stmt = (events.add_columns(sub.c.n, sub.c.p, sub.c.l, sub.c.a).outerjoin(sub, sub.c.event_id == E.id)
                .where(or_(sub.c.n > 0, ~exists().where(A.event_id == E.id))))
        rows, total = paginate(session, stmt, offset, limit)
    else:
        # every event is listed: page the events first, then count the attendance of that page's
        # events only (not all of the term's attendance: 390,000 rows at 20,000 deputies)
        rows, total = paginate(session, events, offset, limit)
        page = chosen(select(E.id)).order_by(*order).offset(offset).limit(limit).subquery()
        counts = {r.event_id: (r.n, r.p, r.l, r.a)
                  for r in session.execute(tallies.where(A.event_id.in_(select(page.c.id))))}
        rows = [(ev, term, *counts.get(ev.id, (None,) * 4)) for ev, term in rows]
    out = [
        {"id": ev.id, "日期": ev.held_on, "类型": ev.kind, "名称": ev.title,
         "届次会次": f"{term}第{ev.session_no}次会议" if ev.session_no else term,
         "应出席（人）": int(n or 0), "出席（人）": int(p or 0), "请假（人）": int(lv or 0), "缺席（人）": int(ab or 0),
         "状态": "已举行" if ev.held_on <= today() else "未举行"}
        for ev, term, n, p, lv, ab in rows
    ]
    return Page(out, total, {"会议活动": f"{total} 个"})


def event_sheet(session: Session, actor: Actor, event_id: int) -> list[dict]:
    """The invited deputies of an event inside the actor's scope: [{deputy_id, 代表组, 代表, 出席情况,
    version}] (the versions, as ``sheet_version``, go back with the save)."""
    _event(session, event_id)
    stmt = (select(A.deputy_id, G.name, D.name, A.status, A.version).join(D, D.id == A.deputy_id)
            .join(G, G.id == D.group_id).where(A.event_id == event_id).order_by(G.name, D.name))
    stmt = scope_filter(stmt, actor, G.office_id, D.group_id)
    return [{"deputy_id": i, "代表组": g, "代表": n, "出席情况": s, "version": v}
            for i, g, n, s, v in session.execute(stmt)]


def sheet_version(rows: list[dict]) -> dict[int, int]:
    """The version of a drawn sheet (``event_sheet`` rows): each invited deputy's row version."""
    return {int(r["deputy_id"]): int(r["version"]) for r in rows}


def _check_sheet(session: Session, actor: Actor, event_id: int, expected: dict[int, int]) -> None:
    """Refuse a save over a sheet that changed since it was drawn (a row changed, added or removed
    by someone else): StaleError naming the last such change."""
    now = sheet_version(event_sheet(session, actor, event_id))
    moved = sorted({d for d in {*now, *expected} if now.get(d) != expected.get(d)})
    if moved:
        changes = [last_change(session, "Attendance", f"{event_id}/{d}") for d in moved]
        raise StaleError("该会议活动的出席情况", max(changes, key=_when_of) if changes else "")


def _when_of(change: str) -> str:
    """The moment a last_change text names ("… 于 2026-03-05 10:12:00 …"), for picking the latest."""
    return change.split("于 ", 1)[-1][:19] if "于 " in change else ""


def save_attendance(session: Session, actor: Actor, event_id: int, statuses: dict[int, str],
                    expected: dict[int, int] | None = None) -> dict:
    """Save one event's table in one transaction: {deputy_id: 出席/请假/缺席/不在名单}.

    A deputy not yet invited is added; 不在名单 removes one. Deputies outside the actor's scope
    are refused; rows not named are left as they are. Returns counts per status. ``expected``
    is the sheet as drawn (``sheet_version``): a sheet someone else saved since is refused
    (StaleError), nothing written.
    """
    actor.require_write("attendance")
    _event(session, event_id)
    if expected is not None:
        _check_sheet(session, actor, event_id, expected)
    bad = sorted({s for s in statuses.values() if s not in (*STATUSES, NOT_INVITED)})
    if bad:
        raise ValidationError({"statuses": f"出席情况只能是出席、请假或缺席（收到：{'、'.join(map(str, bad))}）"})
    deps = _scoped_deputies(session, actor, [int(i) for i in statuses])
    current = {a.deputy_id: a for a in session.execute(
        select(A).where(A.event_id == event_id, A.deputy_id.in_(list(deps)))).scalars()}
    counts = dict.fromkeys(STATUSES, 0)
    for did, status in statuses.items():
        did = int(did)
        row = current.get(did)
        if status == NOT_INVITED:
            if row is not None:
                session.delete(row)
            continue
        counts[status] += 1
        if row is None:
            session.add(A(event_id=event_id, deputy_id=did, status=status))
        elif row.status != status:
            row.status = status
    session.flush()
    return counts


# ---------------------------------------------------------------- rates and absences


def held_window(year: int | None) -> tuple[date, date]:
    """The days whose events count: ``year`` up to its reference day (``deputies.reference_day``),
    or every day up to today. An event still to come is neither attended nor missed yet."""
    if year:
        return date(int(year), 1, 1), deputies.reference_day(int(year))
    return date(1900, 1, 1), today()


def _att_base(actor: Actor, f: dict):
    """Attendance rows of events already held (``held_window``) joined to event, deputy and group,
    filtered by year/kind/group (scope applied)."""
    lo, hi = held_window(f.get("year"))
    # the deputy's group on the event's day: a past year's absence stays with that year's group
    group_then = deputies.group_on_day(A.deputy_id, E.held_on, D.group_id)
    stmt = (select().select_from(A).join(E, E.id == A.event_id).join(D, D.id == A.deputy_id)
            .join(G, G.id == group_then).where(E.held_on.between(lo, hi)))
    if f.get("kind"):
        stmt = stmt.where(E.kind == f["kind"])
    if f.get("kinds"):
        stmt = stmt.where(E.kind.in_(list(f["kinds"])))
    if f.get("group"):
        stmt = stmt.where(G.id == int(f["group"]))
    if f.get("deputy"):
        stmt = stmt.where(A.deputy_id == int(f["deputy"]))
    return scope_filter(stmt, actor, G.office_id, D.group_id)


def _present(year: int | None):
    """SQL condition: attended (``rules.attended``) an event of any kind held in the window."""
    return rules.attended(*held_window(year), EVENT_KINDS)


def _absent(year: int | None):
    """SQL condition: missed without leave (``rules.absent_unexcused``) an event held in the window."""
    return rules.absent_unexcused(*held_window(year), EVENT_KINDS)


def _rate(present: int, invited: int) -> str:
    """出席率 as 95.0% (— when never invited)."""
    return f"{present / invited:.1%}" if invited else "—"


def rates(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Attendance rate per deputy for the filters (year, kind, group), lowest rate first; events
    already held only."""
    y = f.get("year")
    n = func.count()
    p = func.sum(case((_present(y), 1), else_=0))
    lv = func.sum(case((A.status == LEAVE, 1), else_=0))
    ab = func.sum(case((_absent(y), 1), else_=0))
    stmt = (_att_base(actor, f).add_columns(D.id, D.name, G.name, n, p, lv, ab)
            .group_by(D.id, D.name, G.name).order_by((p * 1.0 / n), G.name, D.name))
    rows, total = paginate(session, stmt, offset, limit)
    out = [
        {"id": i, "代表组": g, "代表": name, "应出席（次）": int(cnt), "出席（次）": int(pr or 0),
         "请假（次）": int(l_ or 0), "缺席（次）": int(a_ or 0), "出席率": _rate(int(pr or 0), int(cnt))}
        for i, name, g, cnt, pr, l_, a_ in rows
    ]
    tot_n, tot_p = session.execute(
        _att_base(actor, f).add_columns(func.count(), func.coalesce(func.sum(case((_present(y), 1), else_=0)), 0))
    ).one()
    return Page(out, total, {"代表": f"{total} 人", "总出席率": _rate(int(tot_p), int(tot_n))})


def rates_by_kind(session: Session, actor: Actor, year: int | None, deputy_id: int | None = None) -> list[dict]:
    """Attendance per event kind for a year (one deputy, or everyone in scope); events already held."""
    stmt = (_att_base(actor, {"year": year, "deputy": deputy_id})
            .add_columns(E.kind, func.count(), func.sum(case((_present(year), 1), else_=0)),
                         func.sum(case((A.status == LEAVE, 1), else_=0)),
                         func.sum(case((_absent(year), 1), else_=0)))
            .group_by(E.kind))
    got = {k: (int(n), int(p or 0), int(lv or 0), int(ab or 0)) for k, n, p, lv, ab in session.execute(stmt)}
    return [
        {"类型": k, "应出席（人次）": got[k][0], "出席（人次）": got[k][1], "请假（人次）": got[k][2],
         "缺席（人次）": got[k][3], "出席率": _rate(got[k][1], got[k][0])}
        for k in EVENT_KINDS if k in got
    ]


def _absences_stmt(actor: Actor, f: dict):
    """Unexcused absences (``rules.absent_unexcused``: events already held) for the filters."""
    return _att_base(actor, f).where(_absent(f.get("year")))


def deducted_kinds(session: Session) -> list[str]:
    """The event kinds whose unexcused absence the current rubric deducts (services.scoring)."""
    from services import scoring

    return scoring.absence_kinds(session)


def _with_deducted(session: Session, f: dict) -> dict:
    """``f`` with the kinds the score deducts when it asks for them (``deducted``)."""
    if f.get("deducted"):
        return {**f, "kinds": deducted_kinds(session)}
    return f


def absences(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Unexcused absences (缺席) at events already held, for the filters, newest first; with
    ``deducted`` only those the score deducts (the 工作台 F1 figure opens this)."""
    f = _with_deducted(session, f)
    stmt = (_absences_stmt(actor, f).add_columns(E.held_on, E.kind, E.title, G.name, D.name, D.id)
            .order_by(E.held_on.desc(), G.name, D.name))
    rows, total = paginate(session, stmt, offset, limit)
    out = [{"deputy_id": did, "日期": on, "类型": k, "会议活动": t, "代表组": g, "代表": n}
           for on, k, t, g, n, did in rows]
    return Page(out, total, {"缺席": f"{total} 人次"})


def deputy_record(session: Session, deputy_id: int, year: int | None = None) -> dict:
    """A deputy's attendance at events already held and publicity work (for the performance file,
    R8 parts 1 and 4). An event still to come is not listed as attended or missed."""
    lo, hi = held_window(year)
    att = session.execute(
        select(E.held_on, E.kind, E.title, A.status, _present(year), _absent(year)).join(A, A.event_id == E.id)
        .where(A.deputy_id == deputy_id, E.held_on.between(lo, hi)).order_by(E.held_on)
    ).all()
    pub = session.execute(
        _year(select(W.held_on, W.kind, W.title, W.audience).join(WD, WD.work_id == W.id)
              .where(WD.deputy_id == deputy_id).order_by(W.held_on), W.held_on, year)
    ).all()
    invited = len(att)
    present = sum(1 for r in att if r[4])
    return {
        "attendance": [{"日期": on, "类型": k, "会议活动": t, "出席情况": s} for on, k, t, s, _p, _a in att],
        "rate": _rate(present, invited), "invited": invited, "present": present,
        "absent": sum(1 for r in att if r[5]),
        "publicity": [{"日期": on, "类型": k, "名称": t, "受众（人）": n} for on, k, t, n in pub],
    }


# ---------------------------------------------------------------- publicity and rule-of-law work


def create_publicity(session: Session, actor: Actor, data: dict) -> int:
    """Record 宣传 / 普法 / 法制调研 work with its deputies; returns its id."""
    actor.require_write("publicity")
    errors: dict[str, str] = {}
    kind = clean_text(data.get("kind"))
    if kind not in PUBLICITY_KINDS:
        errors["kind"] = "请选择类型（宣传、普法或法制调研）"
    title = clean_text(data.get("title"))
    if not title:
        errors["title"] = "请填写主题"
    elif len(title) > 128:
        errors["title"] = "主题不超过128字"
    try:
        held_on = parse_date(data.get("held_on"))
        if held_on is None:
            errors["held_on"] = "请填写日期"
        elif held_on > today():
            errors["held_on"] = "日期不能晚于今天"
    except ValueError as exc:
        errors["held_on"] = str(exc)
        held_on = None
    try:
        audience = int(clean_text(data.get("audience")) or 0)
        if not 0 <= audience <= 1_000_000:
            raise ValueError
    except ValueError:
        errors["audience"] = "受众人数应为0或正整数"
        audience = 0
    summary = clean_text(data.get("summary")) or None
    if summary and len(summary) > 5000:
        errors["summary"] = "内容不超过5000字"
    ids = [int(i) for i in data.get("deputy_ids") or []]
    if not ids:
        errors["deputy_ids"] = "请选择参加的代表"
    else:
        try:
            _scoped_deputies(session, actor, ids)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    w = W(kind=kind, title=title, held_on=held_on, audience=audience, summary=summary, created_by=actor.username)
    session.add(w)
    session.flush()
    for did in dict.fromkeys(ids):
        session.add(WD(work_id=w.id, deputy_id=did))
    session.flush()
    return w.id


def _visible_works(actor: Actor):
    """Condition: the work has at least one deputy inside the actor's scope."""
    inner = select(WD.work_id).join(D, D.id == WD.deputy_id).join(G, G.id == D.group_id)
    inner = scope_filter(inner, actor, G.office_id, D.group_id)
    return W.id.in_(inner)


def delete_publicity(session: Session, actor: Actor, work_id: int) -> None:
    """Delete a publicity record whose deputies are all inside the actor's scope."""
    actor.require_write("publicity")
    w = session.get(W, work_id)
    if w is None:
        raise NotFound("该记录不存在或已删除。")
    ids = list(session.execute(select(WD.deputy_id).where(WD.work_id == w.id)).scalars())
    try:
        _scoped_deputies(session, actor, ids)
    except ValidationError as exc:
        raise PermissionDenied("该记录有代表不在您负责的范围内，不能删除。") from exc
    for row in session.execute(select(WD).where(WD.work_id == w.id)).scalars():
        session.delete(row)
    session.delete(w)
    session.flush()


def list_publicity(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of publicity and rule-of-law work with its deputies, newest first."""
    stmt = select(W).where(_visible_works(actor)).order_by(W.held_on.desc(), W.id.desc())
    stmt = _year(stmt, W.held_on, f.get("year"))
    if f.get("kind"):
        stmt = stmt.where(W.kind == f["kind"])
    if f.get("deputy"):
        stmt = stmt.where(exists().where(WD.work_id == W.id, WD.deputy_id == int(f["deputy"])))
    if f.get("group"):
        stmt = stmt.where(exists().where(WD.work_id == W.id, WD.deputy_id == D.id, D.group_id == int(f["group"])))
    if f.get("q"):
        q = clean_text(f["q"])[:50]
        stmt = stmt.where(W.title.contains(q, autoescape=True) | W.summary.contains(q, autoescape=True))
    rows, total = paginate(session, stmt, offset, limit)
    ids = [r[0].id for r in rows]
    names: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for wid, n in session.execute(select(WD.work_id, D.name).join(D, D.id == WD.deputy_id)
                                      .where(WD.work_id.in_(ids)).order_by(D.name)):
            names[wid].append(n)
    aud = session.execute(select(func.coalesce(func.sum(W.audience), 0))
                          .where(W.id.in_(stmt.with_only_columns(W.id).order_by(None)))).scalar_one()
    out = [{"id": w.id, "日期": w.held_on, "类型": w.kind, "主题": w.title, "参加代表": names[w.id],
            "受众（人）": w.audience, "内容": w.summary or ""} for (w,) in rows]
    return Page(out, total, {"活动": f"{total} 次", "受众": f"{int(aud)} 人"})


# ---------------------------------------------------------------- 工作台 figures


def count_absences(session: Session, actor: Actor, year: int) -> int:
    """Unexcused absences (人次) the score deducts, at events of the year already held, inside the
    actor's scope (the same rule and rows as the absence list the figure opens)."""
    f = _with_deducted(session, {"year": year, "deducted": True})
    return int(session.execute(_absences_stmt(actor, f).add_columns(func.count())).scalar_one())


def count_publicity(session: Session, actor: Actor, year: int, kinds: tuple[str, ...] = (PublicityKind.LAW_EDUCATION, PublicityKind.LAW_RESEARCH)) -> int:
    """Publicity / rule-of-law works of the year visible to the actor."""
    stmt = _year(select(func.count()).select_from(W).where(_visible_works(actor), W.kind.in_(kinds)), W.held_on, year)
    return int(session.execute(stmt).scalar_one())


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """F1 (unexcused absences, a deduction in scoring) and F4 (rule-of-law work) figures for 工作台."""
    absent = count_absences(session, actor, year)
    law = count_publicity(session, actor, year)
    y = str(year)
    return [
        Figure("F1", "本年无故缺席会议活动（计入扣分的）", absent, "人次", "attendance",
               {"view": "absent", "year": y, "deducted": "1"},
               bad=absent > 0, help="代表应出席人代会会议，参加常委会组织的视察、调研、执法检查等活动；"
                                    "只计已举行的、现行评分细则扣分的会议活动（" + "、".join(deducted_kinds(session)) + "）"),
        Figure("F4", "本年普法和法制调研活动", law, "次", "attendance", {"view": "publicity", "year": y},
               bad=False, help="代表学习研究法治问题，推进依法治理"),
    ]


__all__ = [
    "EVENT_KINDS", "NOT_INVITED", "PUBLICITY_KINDS", "STATUSES", "absences", "create_event",
    "create_publicity", "delete_event", "delete_publicity", "deputy_record", "event_options",
    "event_sheet", "figures", "list_events", "list_publicity", "rates", "rates_by_kind",
    "save_attendance", "serving_in_scope",
]
