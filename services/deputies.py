"""Who serves, when, and in which group: the one rule every page, score, file and export uses.

A deputy's service is a list of periods (``deputy_periods``: group, district, first and last day
served; db/periods.py keeps them in step with the deputy). Whether a deputy counts in a year
follows these dates and the term, never today's status, so a past year looks the same whatever
happens later (a resignation, a move to another group, a by-election).

Definitions (README, "Rules and the functions that decide them"):
- **serving on a day**: a period of the deputy covers the day, and the deputy's term covers its year.
- **the reference day of a year** (``clock.year_end_or_today``): 31 December of a past year,
  today in the current year.
- **serving in year Y** (``serving_at``): serving on Y's reference day. The yearly duty lists
  (R1, R5, R6, R7, R19, the 议案建议 figure) and the 优秀代表 condition "serving at the year's end"
  count these deputies, in the group of the period covering that day.
- **served in year Y** (``served_in``): served any day of Y up to its reference day. Scores
  count these deputies, pro-rated by days served ÷ days in the year (an open period runs to
  31 December), in the group of their last period in the year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from db import models as M
from services import clock

P = M.DeputyPeriod


def year_bounds(year: int) -> tuple[date, date]:
    """First and last day of a calendar year."""
    return date(year, 1, 1), date(year, 12, 31)


def days_in_year(year: int) -> int:
    """365 or 366."""
    lo, hi = year_bounds(year)
    return (hi - lo).days + 1


def reference_day(year: int) -> date:
    """The day on which "serving in ``year``" is decided (see the module doc)."""
    return clock.year_end_or_today(year)


def covers(day: date, period=P):  # noqa: ANN001, ANN201
    """SQL condition: a period covers ``day`` (``period_covers`` in Python)."""
    return and_(period.start_on <= day, or_(period.end_on.is_(None), period.end_on >= day))


def period_covers(start_on: date, end_on: date | None, day: date) -> bool:
    """A period of service from ``start_on`` to ``end_on`` (its last day served; None while still
    serving) covers ``day``: ``covers`` for periods held in memory (the demo generator)."""
    return start_on <= day and (end_on is None or end_on >= day)


def _term_covers(year: int):  # noqa: ANN202
    """SQL condition over Deputy: the deputy's term includes ``year``."""
    return M.Deputy.term_id.in_(select(M.Term.id).where(M.Term.start_year <= year, M.Term.end_year >= year))


def serving_at(year: int, *, day: date | None = None, name: str = "serving"):  # noqa: ANN201
    """Subquery of deputies serving on ``day`` (default the reference day of ``year``):
    columns deputy_id, group_id, office_id, district_id and first_day (the first day of the
    year the deputy served; before 1 January means all year)."""
    day = day or reference_day(year)
    lo, _hi = year_bounds(year)
    G, D = M.DeputyGroup, M.Deputy
    earlier = aliased(P)
    first_day = (select(func.min(earlier.start_on))
                 .where(earlier.deputy_id == P.deputy_id, or_(earlier.end_on.is_(None), earlier.end_on >= lo))
                 .scalar_subquery())
    return (
        select(P.deputy_id.label("deputy_id"), P.group_id.label("group_id"), G.office_id.label("office_id"),
               P.district_id.label("district_id"), first_day.label("first_day"))
        .join(G, G.id == P.group_id).join(D, D.id == P.deputy_id)
        .where(covers(day), _term_covers(year))
        .subquery(name)
    )


def serving_ids(session: Session, year: int, *, day: date | None = None, group_id: int | None = None) -> set[int]:
    """Ids of the deputies serving in ``year`` (on ``day`` when given), optionally of one group."""
    sub = serving_at(year, day=day)
    stmt = select(sub.c.deputy_id)
    if group_id is not None:
        stmt = stmt.where(sub.c.group_id == group_id)
    return set(session.execute(stmt).scalars())


def serving_on(session: Session, deputy_ids: list[int], day: date) -> dict[int, int]:
    """{deputy id: group id} of those of ``deputy_ids`` serving on ``day`` (the group of that day)."""
    if not deputy_ids:
        return {}
    sub = serving_at(day.year, day=day)
    rows = session.execute(select(sub.c.deputy_id, sub.c.group_id).where(sub.c.deputy_id.in_(deputy_ids)))
    return {d: g for d, g in rows}


@dataclass
class Served:
    """One deputy's service in a year."""

    id: int
    name: str
    group_id: int
    group: str
    office_id: int
    district_id: int | None
    days: int  # days served in the year (an open period counted to 31 December)
    fraction: float  # days ÷ days in the year, exact
    first_day: date  # first day served in the year
    last_day: date | None  # last day served in the year; None while still serving
    serving: bool  # serving on the year's reference day
    leader: bool
    joined_on: date | None
    left_on: date | None
    status: str
    days_to_date: int = 0  # days served in the year up to its reference day (what has really passed)


def served_in(session: Session, year: int, *, deputy_ids: list[int] | None = None) -> list[Served]:
    """Every deputy who served some of ``year`` up to its reference day, with days served, the
    exact fraction of the year, and the group of the last period in the year; ordered by group
    name, name, id."""
    lo, hi = year_bounds(year)
    ref = reference_day(year)
    D, G = M.Deputy, M.DeputyGroup
    stmt = (
        select(P.deputy_id, P.group_id, P.district_id, P.start_on, P.end_on, D.name, D.is_office_leader,
               D.joined_on, D.left_on, D.status, G.name, G.office_id)
        .join(D, D.id == P.deputy_id).join(G, G.id == P.group_id)
        .where(P.start_on <= ref, or_(P.end_on.is_(None), P.end_on >= lo), _term_covers(year))
        .order_by(P.deputy_id, P.start_on)
    )
    if deputy_ids is not None:
        stmt = stmt.where(P.deputy_id.in_(deputy_ids))
    per: dict[int, dict] = {}
    for did, gid, dist, start, end, name, leader, joined, left, status, gname, oid in session.execute(stmt):
        s, e = max(start, lo), min(end or hi, hi)
        row = per.setdefault(did, {"days": 0, "first": s, "last": None, "serving": False, "name": name,
                                   "leader": bool(leader), "joined": joined, "left": left, "status": status,
                                   "so_far": 0})
        row["days"] += max(0, (e - s).days + 1)
        row["so_far"] += max(0, (min(e, ref) - s).days + 1)
        row.update(group_id=gid, group=gname, office_id=oid, district_id=dist,
                   last=None if end is None or end > hi else end)
        if start <= ref and (end is None or end >= ref):
            row["serving"] = True
    total = days_in_year(year)
    out = [Served(did, r["name"], r["group_id"], r["group"], r["office_id"], r["district_id"], r["days"],
                  r["days"] / total, r["first"], r["last"], r["serving"], r["leader"], r["joined"], r["left"],
                  r["status"], r["so_far"]) for did, r in per.items()]
    out.sort(key=lambda x: (x.group, x.name, x.id))
    return out


def months_served_from(first_day: date, year: int) -> int:
    """Months of ``year`` from the month of ``first_day`` to December (12 for all year)."""
    if first_day.year < year:
        return 12
    return 13 - first_day.month


def r1_required(minimum: int, first_day: date, year: int) -> int:
    """R1: activities a deputy owes in ``year``: the minimum, pro rata for a deputy who began
    serving during the year: ⌈minimum × months from the joining month to December ÷ 12⌉."""
    return math.ceil(minimum * months_served_from(first_day, year) / 12 - 1e-9)


def r1_required_expr(minimum: int, year: int, first_day_col):  # noqa: ANN001, ANN201
    """``r1_required`` as an SQL expression over a ``first_day`` column (of ``serving_at``)."""
    from sqlalchemy import case, extract

    lo, _hi = year_bounds(year)
    month = extract("month", first_day_col)
    whens = [(month == m, math.ceil(minimum * (13 - m) / 12 - 1e-9)) for m in range(1, 13)]
    return case((first_day_col < lo, minimum), *whens, else_=minimum)


def with_serving(stmt: Select, year: int, deputy_col, *, day: date | None = None):  # noqa: ANN001, ANN201
    """Join ``stmt`` to the deputies serving in ``year``; returns (stmt, serving subquery)."""
    sub = serving_at(year, day=day)
    return stmt.join(sub, sub.c.deputy_id == deputy_col), sub


def group_members(session: Session, group_id: int, year: int) -> dict[int, str]:
    """{id: name} of the deputies of a group serving in ``year`` (ordered by pinyin, name)."""
    sub = serving_at(year)
    D = M.Deputy
    rows = session.execute(select(D.id, D.name).join(sub, sub.c.deputy_id == D.id)
                           .where(sub.c.group_id == group_id).order_by(D.pinyin, D.name, D.id))
    return {i: n for i, n in rows}


def group_on_day(deputy_col, day_col, current_col=None):  # noqa: ANN001, ANN201
    """SQL expression: the group a deputy served in on a day (the period covering it), or the
    deputy's current group when no period covers it. A record of a past year stays with the group
    of that day (a staff member of that group keeps seeing it after the deputy moved away).

    ``current_col``: the deputy's current group as a column of a query that joins the deputies
    already (``Deputy.group_id``): the fallback reads it instead of a second subquery, and a join
    on this expression then names the joined tables (SQLAlchemy's MySQL compiler otherwise warns of
    a cartesian product: a false alarm, the join matches one group per row either way)."""
    other = aliased(P)
    on_day = (select(other.group_id)
              .where(other.deputy_id == deputy_col, other.start_on <= day_col,
                     or_(other.end_on.is_(None), other.end_on >= day_col))
              .order_by(other.start_on.desc()).limit(1).correlate_except(other).scalar_subquery())
    if current_col is not None:
        return func.coalesce(on_day, current_col)
    me = aliased(M.Deputy)  # not the outer query's deputies (no auto-correlation)
    current = select(me.group_id).where(me.id == deputy_col).correlate_except(me).scalar_subquery()
    return func.coalesce(on_day, current)
