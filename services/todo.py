"""我的待办 (工作台): what the user must do soon, in their role and scope, each row opening its record;
and for supervisors and leaders the open cases per staff member and their age.

Rows, by what the role may write (``Actor.can_write``):

- 来信 / 群众意见 overdue or 即将到期 (the one rule, ``services.deadlines``; horizon ``due_soon_days``);
- 信箱 owed an opening this week (a week with a working day, no opening since Monday);
- 书面报告 received and not yet reviewed (R7);
- 整改事项 open and due within the horizon, or overdue;
- 名单 awaiting the user: last year's 优秀代表 list for the leader; the quarterly summary of the quarter
  due (R13) for staff.

Nothing here decides a rule: it calls the areas' functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from db import models
from services import deadlines, letters, opinions, quarterly, reports, scoring, workdays
from services.common import Actor, scope_filter, today
from services.states import RectificationStatus
from services.versioned import Cache, cached

LIMIT = 50  # rows per kind shown (the list behind each says how many in all)
AGE_BANDS = ((0, 10, "0–10个工作日"), (11, 20, "11–20个工作日"), (21, 40, "21–40个工作日"), (41, None, "超过40个工作日"))


@dataclass
class Item:
    """One row of 我的待办: what, which record, by when, its state, and the page (with parameters) that opens it."""

    kind: str
    title: str
    due: date | None
    state: str
    page: str
    params: dict = field(default_factory=dict)


def _urgency(item: Item) -> tuple:
    """Sort: long overdue, overdue, then by due date."""
    rank = {deadlines.LONG_OVERDUE: 0, deadlines.OVERDUE: 1}.get(item.state, 2)
    return rank, item.due or date.max, item.kind, item.title


def _earliest(running: list[tuple[date | None, str]]) -> date | None:
    dues = [d for d, _k in running if d is not None]
    return min(dues) if dues else None


def _letters(session: Session, actor: Actor) -> list[Item]:
    """Open letters in scope overdue or due soon."""
    L = models.Letter
    clock = letters.Clock(session)
    stmt = scope_filter(select(L.id, L.code, L.status, L.paused_since, L.reply_due, L.resolve_due, L.step_due),
                        actor, L.office_id, L.group_id)
    first = func.coalesce(L.step_due, L.reply_due, L.resolve_due)
    stmt = stmt.where(clock.attention_clause()).order_by(first, L.id).limit(LIMIT)
    out = []
    for r in session.execute(stmt):
        dues = {"reply_due": r.reply_due, "resolve_due": r.resolve_due, "step_due": r.step_due}
        state = clock.level(r.status, r.paused_since is not None, dues, soon=True)
        out.append(Item("来信", f"{r.code}（{r.status}）", _earliest(clock.running(r.status, dues)), state,
                        "mailbox", {"view": "letters", "letter": str(r.id)}))
    return out


def _opinions(session: Session, actor: Actor) -> list[Item]:
    """Open opinions in scope overdue or due soon."""
    O, G = models.Opinion, models.DeputyGroup
    clock = opinions.Clock(session)
    stmt = scope_filter(select(O.id, O.category, O.status, O.paused_since, O.forward_due, O.resolve_due,
                               O.feedback_due, G.name.label("grp")).join(G, G.id == O.group_id),
                        actor, G.office_id, G.id)
    first = func.coalesce(O.forward_due, O.feedback_due, O.resolve_due)
    stmt = stmt.where(clock.clause(False) | clock.soon_clause()).order_by(first, O.id).limit(LIMIT)
    out = []
    for r in session.execute(stmt):
        running = clock.running(r.status, r.forward_due, r.resolve_due, r.feedback_due)
        state = clock.level(r.status, r.paused_since is not None, r.forward_due, r.resolve_due, r.feedback_due,
                            soon=True)
        out.append(Item("群众意见", f"第{r.id}号 {r.category}（{r.grp}，{r.status}）", _earliest(running), state,
                        "activities", {"view": "opinions", "opinion": str(r.id)}))
    return out


def _mailboxes(session: Session, actor: Actor) -> list[Item]:
    """Active mailboxes in scope not opened yet this week (when the week has a working day)."""
    t = today()
    monday = t - timedelta(days=t.weekday())
    if not workdays.calendar_for(session).week_has_workday(monday):
        return []
    Mb, Op, Di, G = models.Mailbox, models.MailboxOpening, models.District, models.DeputyGroup
    opened = select(Op.mailbox_id).where(Op.opened_on.between(monday, t))
    stmt = (select(Mb.id, Mb.name, G.name.label("grp")).join(Di, Di.id == Mb.district_id)
            .join(G, G.id == Di.group_id)
            .where(Mb.active.is_(True), Mb.established_on <= t, Mb.id.not_in(opened)).order_by(G.name, Mb.name))
    stmt = scope_filter(stmt, actor, G.office_id, G.id).limit(LIMIT)
    sunday = monday + timedelta(days=6)
    return [Item("信箱", f"{r.name}（{r.grp}）本周未开箱", sunday, "本周待开箱", "mailbox", {"view": "boxes"})
            for r in session.execute(stmt)]


def _written(session: Session, actor: Actor) -> list[Item]:
    """Written reports received and not yet reviewed (this year, and last year's in January–March)."""
    t = today()
    years = [t.year] + ([t.year - 1] if t.month <= 3 else [])
    out = []
    for y in years:
        page = reports.written_status(session, actor, {"year": y, "view": "unreviewed"}, 0, LIMIT)
        out += [Item("书面报告", f"{r['代表']}（{r['代表组']}）{y}年书面报告待审查", None, "待审查", "reports",
                     {"tab": "written", "view": "unreviewed", "year": str(y)})
                for r in page.rows if r["状态"] == "待审查"]
    return out


def _rectifications(session: Session, actor: Actor, horizon: date) -> list[Item]:
    """Open rectification items in scope due by the 即将到期 horizon (overdue included)."""
    R, G = models.Rectification, models.DeputyGroup
    stmt = (select(R.id, R.source, R.content, R.due_on, G.name.label("grp")).join(G, G.id == R.group_id)
            .where(R.status == RectificationStatus.OPEN, R.due_on.is_not(None), R.due_on <= horizon)
            .order_by(R.due_on, R.id))
    stmt = scope_filter(stmt, actor, G.office_id, G.id).limit(LIMIT)
    t = today()
    out = []
    for r in session.execute(stmt):
        if r.source == "抽查":
            page, params = (("spotchecks", {"tab": "整改跟踪"}) if actor.can_see("spotchecks")
                            else ("dashboard", {"view": "spotcheck_rect"}))
        else:
            page, params = "reports", {"tab": "publish"}
        text = r.content if len(r.content) <= 30 else r.content[:29] + "…"
        out.append(Item("整改事项", f"{r.grp}：{text}", r.due_on,
                        deadlines.OVERDUE if r.due_on < t else deadlines.DUE_SOON, page, params))
    return out


def _lists(session: Session, actor: Actor) -> list[Item]:
    """Lists awaiting this user: the leader confirms last year's 优秀代表; staff submit the quarterly summary."""
    out = []
    t = today()
    if actor.can_write("selection"):
        y = t.year - 1
        if scoring.latest_selection(session, y, scoring.EXCELLENT) is None:
            out.append(Item("名单确认", f"确认{y}年度优秀代表名单", None, "待确认", "scoring",
                            {"tab": "select", "year": str(y)}))
    if actor.can_write("quarterly") and actor.role != "admin":
        y, q = quarterly.due_quarter(t.year)
        for g in quarterly.not_submitted(session, actor, y, q):
            out.append(Item("季度汇总", f"{g.get('代表组', '')}{y}年第{q}季度汇总待报送", None, "待报送", "quarterly",
                            {"view": "missing", "year": str(y), "quarter": str(q)}))
    return out


def totals(session: Session, actor: Actor) -> dict[str, int]:
    """How many letters and opinions in the user's scope are overdue or due soon (the rows of each
    kind are capped at ``LIMIT``, most urgent first)."""
    out: dict[str, int] = {}
    if actor.can_write("letter"):
        L, clock = models.Letter, letters.Clock(session)
        out["来信"] = int(session.execute(scope_filter(select(func.count(L.id)), actor, L.office_id, L.group_id)
                                        .where(clock.attention_clause())).scalar_one())
    if actor.can_write("opinion"):
        O, G, oclock = models.Opinion, models.DeputyGroup, opinions.Clock(session)
        out["群众意见"] = int(session.execute(
            scope_filter(select(func.count(O.id)).join(G, G.id == O.group_id), actor, G.office_id, G.id)
            .where(oclock.clause(False) | oclock.soon_clause())).scalar_one())
    return out


def my_todo(session: Session, actor: Actor) -> list[Item]:
    """Every row of the user's 我的待办, most urgent first."""
    rule = deadlines.Deadlines(session, {})
    items: list[Item] = []
    if actor.can_write("letter"):
        items += _letters(session, actor)
    if actor.can_write("opinion"):
        items += _opinions(session, actor)
    if actor.can_write("mailbox"):
        items += _mailboxes(session, actor)
    if actor.can_write("report"):
        items += _written(session, actor)
    if actor.can_write("rectification"):
        items += _rectifications(session, actor, rule.soon)
    items += _lists(session, actor)
    return sorted(items, key=_urgency)


# ---------------------------------------------------------------- supervisors and leaders


def sees_workload(actor: Actor) -> bool:
    """The per-staff counts and case ageing are for supervisors, leaders and the admin."""
    return actor.role in ("admin", "supervisor", "leader")


def staff_counts(session: Session, actor: Actor) -> list[dict]:
    """Per active staff account: open and overdue letters and opinions in that account's scope.
    Rows name the person; the login (用户名) is shown only when two accounts share a name."""
    U, L, O, G = models.User, models.Letter, models.Opinion, models.DeputyGroup
    lclock, oclock = letters.Clock(session), opinions.Clock(session)
    staff = session.execute(select(U.username, U.display_name, U.office_id, U.group_id)
                            .where(U.role == "staff", U.active.is_(True)).order_by(U.display_name, U.username)).all()
    out = []
    for u in staff:
        who = Actor(u.username, "staff", office_id=u.office_id, group_id=u.group_id)
        if not actor.in_scope(u.office_id, u.group_id) and actor.scoped:
            continue
        lq = scope_filter(select(func.count(L.id), func.sum(case((lclock.clause(False), 1), else_=0)))
                          .where(letters.still_open()), who, L.office_id, L.group_id)
        oq = scope_filter(select(func.count(O.id), func.sum(case((oclock.clause(False), 1), else_=0)))
                          .join(G, G.id == O.group_id).where(O.status.in_(opinions.OPEN)), who, G.office_id, G.id)
        ln, lo = session.execute(lq).one()
        on, oo = session.execute(oq).one()
        out.append({"工作人员": u.display_name or u.username, "用户名": u.username,
                    "未办结来信（件）": int(ln or 0), "其中超期（件）": int(lo or 0),
                    "未办结意见（条）": int(on or 0), "其中超期（条）": int(oo or 0)})
    names = [r["工作人员"] for r in out]
    if len(set(names)) == len(names):  # people by their names; the login only tells namesakes apart
        for r in out:
            del r["用户名"]
    return out


def age_bounds(cal: workdays.Calendar, day: date) -> list[date]:
    """For each band's upper limit n (10, 20, 40): the earliest start date whose age on ``day`` —
    the working days after it up to ``day`` (``Calendar.workdays_between``) — is at most n."""
    out = []
    d, age = day, 0  # invariant: age == cal.workdays_between(d, day)
    for n in (10, 20, 40):
        while age + cal.is_workday(d) <= n:
            age += cal.is_workday(d)
            d -= timedelta(days=1)
        out.append(d)
    return out


def ageing(session: Session, actor: Actor) -> list[dict]:
    """Open letters and opinions in scope by age — working days since received or raised — in the
    bands 0–10 / 11–20 / 21–40 / >40."""
    L, O, G = models.Letter, models.Opinion, models.DeputyGroup
    t = today()
    b10, b20, b40 = age_bounds(workdays.calendar_for(session), t)

    def band(col):  # noqa: ANN001, ANN202
        return case((col >= b10, literal(0)), (col >= b20, literal(1)), (col >= b40, literal(2)), else_=literal(3))

    lband = band(L.received_on)
    lq = scope_filter(select(lband, func.count()).where(letters.still_open()), actor, L.office_id,
                      L.group_id).group_by(lband)
    oband = band(O.raised_on)
    oq = scope_filter(select(oband, func.count()).join(G, G.id == O.group_id).where(O.status.in_(opinions.OPEN)),
                      actor, G.office_id, G.id).group_by(oband)
    lc = {int(b): int(n) for b, n in session.execute(lq)}
    oc = {int(b): int(n) for b, n in session.execute(oq)}
    return [{"已办理时长": label, "未办结来信（件）": lc.get(i, 0), "未办结意见（条）": oc.get(i, 0)}
            for i, (_lo, _hi, label) in enumerate(AGE_BANDS)]


@dataclass(frozen=True)
class Board:
    """我的待办 as 工作台 draws it: the user's rows, the counts per kind, and for supervisors and
    leaders the open cases per staff member and their age (None for the others)."""

    items: list[Item]
    totals: dict[str, int]
    staff_counts: list[dict] | None
    ageing: list[dict] | None


_BOARDS = Cache(64)


def board(session: Session, actor: Actor) -> Board:
    """``my_todo``, ``totals``, ``staff_counts`` and ``ageing`` for ``actor``, kept until the next
    write or the next day (``versioned.cached``): the rows fall due by the date, and any save in
    any process makes them stale."""
    def compute() -> Board:
        workload = sees_workload(actor)
        return Board(my_todo(session, actor), totals(session, actor),
                     staff_counts(session, actor) if workload else None, ageing(session, actor) if workload else None)

    return cached(session, _BOARDS, ("todo", actor.username, actor.role, actor.office_id, actor.group_id), compute)


def clear_cache() -> None:
    """Forget every kept 我的待办 (tests; the data version makes entries stale by itself)."""
    _BOARDS.clear()
