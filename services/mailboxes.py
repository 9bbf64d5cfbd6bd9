"""代表信箱: keepers, weekly openings (开箱记录) and mailboxes not opened in time (R11).

Mailboxes themselves (name, district, keeper, delegation dates) are master data, edited through
services.masterdata.save_mailbox. This module records openings and answers R11: which mailboxes
have not been opened in the last ``mailbox_open_days`` days, and which weeks of a quarter each
mailbox of a group was opened.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import models
from services import settings, workdays
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    ValidationError,
    last_change,
    paginate,
    scope_filter,
    today,
)
from services.states import KeeperKind
from services.validation import clean_text, fmt_date, parse_date

Mb, Op, Di, G, D = models.Mailbox, models.MailboxOpening, models.District, models.DeputyGroup, models.Deputy


def box_date(data: dict, field: str, label: str, box: models.Mailbox | None, errors: dict[str, str]) -> date | None:
    """A date of a mailbox's record (opening, letter received): required, not after today, not
    before the mailbox was set up. Puts the Chinese reason in ``errors[field]``."""
    try:
        value = parse_date(data.get(field))
    except ValueError as exc:
        errors[field] = str(exc)
        return None
    if value is None:
        errors[field] = f"请填写{label}"
    elif value > today():
        errors[field] = f"{label}不能晚于今天"
    elif box is not None and value < box.established_on:
        errors[field] = f"{label}不能早于信箱设立日期（{fmt_date(box.established_on)}）"
    return value


def keeper_name_on(box: models.Mailbox, deputy_name: str | None, day: date | None = None) -> tuple[str, str]:
    """(name, role) of who keeps the mailbox on ``day``: the liaison while a delegation runs
    (role 联络员受托), else the deputy (role 代表本人); ("", "") when nobody is known."""
    day = day or today()
    if box.keeper_kind == KeeperKind.LIAISON and box.delegation_start and box.delegation_start <= day \
            and (box.delegation_end is None or day <= box.delegation_end):
        return box.keeper_name or "联络员", "联络员受托"
    if deputy_name:
        return deputy_name, "代表本人"
    return box.keeper_name or "", ""


def keeper_on(box: models.Mailbox, deputy_name: str | None, day: date | None = None) -> str:
    """Who keeps the mailbox on ``day``, for display: 陈联络（联络员受托）, 张伟（代表本人）."""
    name, role = keeper_name_on(box, deputy_name, day)
    if not name:
        return "未指定"
    return f"{name}（{role}）" if role else name


def _box_in_scope(session: Session, actor: Actor, mailbox_id: int | None) -> models.Mailbox:
    """Return the mailbox when it lies in the actor's scope, else raise NotFound."""
    box = session.get(Mb, mailbox_id) if mailbox_id else None
    if box is None:
        raise NotFound("该信箱不存在。")
    group = session.get(G, session.get(Di, box.district_id).group_id)
    if not actor.in_scope(group.office_id, group.id):
        raise NotFound("该信箱不在您的负责范围内。")
    return box


def default_opener(session: Session, actor: Actor, mailbox_id: int) -> str:
    """The keeper's name today (the default 开箱人 of the form)."""
    box = _box_in_scope(session, actor, mailbox_id)
    dep = session.get(D, box.deputy_id) if box.deputy_id else None
    return keeper_name_on(box, dep.name if dep else None)[0]


def record_opening(session: Session, actor: Actor, data: dict) -> models.MailboxOpening:
    """Record one opening of a mailbox: date, who opened it, how many letters were inside."""
    actor.require_write("mailbox")
    errors: dict[str, str] = {}
    box = None
    try:
        box = _box_in_scope(session, actor, data.get("mailbox_id"))
    except NotFound as exc:
        errors["mailbox_id"] = str(exc) if data.get("mailbox_id") else "请选择信箱"
    opened = box_date(data, "opened_on", "开箱日期", box, errors)
    by = clean_text(data.get("opened_by"))
    if not by:
        errors["opened_by"] = "请填写开箱人"
    elif len(by) > 64:
        errors["opened_by"] = "开箱人过长"
    try:
        found = int(clean_text(data.get("letters_found")) or 0)
        if found < 0 or found > 10000:
            raise ValueError
    except ValueError:
        found = 0
        errors["letters_found"] = "信件数应为0或正整数"
    note = clean_text(data.get("note")) or None
    if note and len(note) > 255:
        errors["note"] = "备注不超过255字"
    if not errors:
        same = session.execute(select(Op.id).where(Op.mailbox_id == box.id, Op.opened_on == opened)).scalar()
        if same is not None:  # e.g. a colleague recorded the same opening from another tab
            who = last_change(session, "MailboxOpening", same)
            errors["opened_on"] = "该信箱当天已有开箱记录" + (f"（{who}）" if who else "")
    if errors:
        raise ValidationError(errors)
    row = Op(mailbox_id=box.id, opened_on=opened, opened_by=by, letters_found=found, note=note)
    session.add(row)
    session.flush()
    return row


def list_openings(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of openings, newest first, with mailbox and group."""
    stmt = (select(Op.id, Op.opened_on, Mb.name, G.name, Op.opened_by, Op.letters_found, Op.note)
            .join(Mb, Mb.id == Op.mailbox_id).join(Di, Di.id == Mb.district_id).join(G, G.id == Di.group_id)
            .order_by(Op.opened_on.desc(), Op.id.desc()))
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if f.get("group_id"):
        stmt = stmt.where(G.id == f["group_id"])
    if f.get("mailbox_id"):
        stmt = stmt.where(Mb.id == f["mailbox_id"])
    if f.get("period"):
        stmt = stmt.where(Op.opened_on.between(*f["period"]))
    rows, total = paginate(session, stmt, offset, limit)
    letters = sum(int(r[5] or 0) for r in rows)
    out = [{"id": r[0], "开箱日期": r[1], "信箱": r[2], "代表组": r[3], "开箱人": r[4], "信件数（件）": r[5],
            "备注": r[6] or ""} for r in rows]
    return Page(out, total, {"本页信件": f"{letters} 件"})


def open_cutoff(cal: workdays.Calendar, day: date, days: int) -> date:
    """The earliest opening date that still satisfies R11 on ``day``: ``days`` days back, not
    counting the days of weeks (Monday–Sunday) without a working day (the Spring Festival week),
    in which no opening is owed. Without such a week it is ``day - days``."""
    d, counted = day, 0
    workless: dict[date, bool] = {}
    while counted < days:
        d -= timedelta(days=1)
        monday = d - timedelta(days=d.weekday())
        if monday not in workless:
            workless[monday] = not cal.week_has_workday(monday)
        if not workless[monday]:
            counted += 1
    return d


def _unopened_stmt(session: Session, actor: Actor, f: dict | None = None):
    """Active mailboxes whose last opening is older than mailbox_open_days days (or never); the
    days of weeks without a working day are not counted (``open_cutoff``)."""
    days = int(settings.get(session, "mailbox_open_days"))
    cutoff = open_cutoff(workdays.calendar_for(session), today(), days)
    last = (select(Op.mailbox_id, func.max(Op.opened_on).label("last")).group_by(Op.mailbox_id).subquery())
    stmt = (select(Mb.id, Mb.name, G.name.label("grp"), Mb.keeper_kind, Mb.keeper_name, Mb.delegation_start,
                   Mb.delegation_end, D.name.label("deputy"), last.c.last, Mb.established_on)
            .join(Di, Di.id == Mb.district_id).join(G, G.id == Di.group_id)
            .outerjoin(D, D.id == Mb.deputy_id).outerjoin(last, last.c.mailbox_id == Mb.id)
            .where(Mb.active.is_(True), Mb.established_on <= cutoff,
                   (last.c.last.is_(None)) | (last.c.last < cutoff)))
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if f and f.get("group_id"):
        stmt = stmt.where(G.id == f["group_id"])
    return stmt


def count_unopened(session: Session, actor: Actor) -> int:
    """How many mailboxes were not opened in the last mailbox_open_days days (R11)."""
    stmt = _unopened_stmt(session, actor)
    return int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figure of R11: mailboxes not opened in the last ``mailbox_open_days`` days.

    It is a state of today (the last opening), whatever the year shown."""
    days = int(settings.get(session, "mailbox_open_days"))
    unopened = count_unopened(session, actor)
    return [Figure("R11", f"{days}天内未开箱的信箱", unopened, "个", "mailbox", {"view": "boxes"},
                   bad=unopened > 0, help=f"每个代表信箱每{days}天至少开启一次")]


def list_unopened(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of mailboxes not opened in time, longest wait first, with days since last opening."""
    stmt = _unopened_stmt(session, actor, f)
    sub = stmt.subquery()
    ordered = select(sub).order_by(func.coalesce(sub.c.last, sub.c.established_on), sub.c.name)
    rows, total = paginate(session, ordered, offset, limit)
    t = today()
    out = []
    for r in rows:
        box = Mb(keeper_kind=r.keeper_kind, keeper_name=r.keeper_name, delegation_start=r.delegation_start,
                 delegation_end=r.delegation_end)
        since = r.last or r.established_on
        out.append({"id": r.id, "信箱": r.name, "代表组": r.grp, "管理人": keeper_on(box, r.deputy),
                    "最近开箱日期": r.last, "未开箱天数（天）": (t - since).days,
                    "说明": "" if r.last else "设立以来从未开箱"})
    return Page(out, total, {"未按时开箱": f"{total} 个"})


def quarter_weeks(year: int, quarter: int) -> list[tuple[date, date]]:
    """The weeks (Monday–Sunday) that overlap a quarter."""
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - timedelta(days=1)
    monday = start - timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        weeks.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return weeks


def week_grid(session: Session, actor: Actor, group_id: int | None, year: int, quarter: int) -> dict:
    """Per mailbox of a group, each week of the quarter: 已开箱 / 未开箱 / 本周未开 / 无工作日 / — (calendar view).

    A week without a working day (``Calendar.week_has_workday``) owes no opening: 无工作日, not a miss.

    Returns {"weeks": [labels], "rows": [{"信箱": name, label: mark, ..., "开箱周数": n}]}.
    """
    weeks = quarter_weeks(year, quarter)
    stmt = (select(Mb.id, Mb.name, Mb.established_on).join(Di, Di.id == Mb.district_id).join(G, G.id == Di.group_id)
            .where(Mb.active.is_(True)).order_by(Mb.name))
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if group_id:
        stmt = stmt.where(G.id == group_id)
    boxes = session.execute(stmt).all()
    opened: dict[int, set[date]] = {b.id: set() for b in boxes}
    if boxes:
        for mid, day in session.execute(
            select(Op.mailbox_id, Op.opened_on).where(Op.mailbox_id.in_(stmt.with_only_columns(Mb.id).order_by(None)),
                                                     Op.opened_on.between(weeks[0][0], weeks[-1][1]))
        ):
            opened[mid].add(day)
    t = today()
    cal = workdays.calendar_for(session)
    labels = [f"{a:%m-%d}" for a, _b in weeks]
    workless = {a for a, _z in weeks if not cal.week_has_workday(a)}
    rows = []
    for b in boxes:
        row = {"id": b.id, "信箱": b.name}
        n = missed = 0
        for (a, z), label in zip(weeks, labels, strict=True):
            if a > t or z < b.established_on:
                row[label] = "—"
            elif any(a <= d <= z for d in opened[b.id]):
                row[label] = "已开箱"
                n += 1
            elif a in workless:  # no working day that week (the Spring Festival): no opening owed
                row[label] = "无工作日"
            elif z >= t:
                row[label] = "本周未开"
            else:
                row[label] = "未开箱"
                missed += 1
        row["开箱周数"] = n
        row["漏开周数"] = missed
        rows.append(row)
    return {"weeks": labels, "rows": rows}
