"""工作台: the compliance figures of every rule that has one, collected from each area's module
(``figures(session, actor, year)``), and the monthly trend for the year and the user's scope.

The areas are listed here, explicitly (``SOURCES``): a module that cannot be imported stops this
module from importing (an error, never a missing tile). An area whose figures fail at run time
shows one tile saying so, and the error is logged; the other tiles still show.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from types import ModuleType

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from db import models as M
from services import (
    activities,
    attendance,
    bodies,
    calendars,
    clock,
    hotissues,
    letters,
    mailboxes,
    opinions,
    profiles,
    proposals,
    quarterly,
    reports,
    rules,
    scoring,
    spotchecks,
)
from services.common import Actor, Figure, scope_filter
from services.versioned import Cache, cached

LOG = logging.getLogger(__name__)

# (module, area name shown when its figures fail): every source of 工作台's figures, in order
SOURCES: tuple[tuple[ModuleType, str], ...] = (
    (activities, "联系活动"),  # R1, R2, R4, R5, R18
    (opinions, "意见办理"),  # R3: the opinions' clock
    (letters, "来信办理"),  # R12
    (bodies, "承办单位"),  # closed as B/C/D: answered, not solved
    (calendars, "工作日历"),  # 日历未确认 (only while an open deadline lies in an unconfirmed year)
    (mailboxes, "代表信箱"),  # R11
    (reports, "述职管理"),  # R6, R7, R9, R10
    (proposals, "议案建议"),
    (attendance, "出席与履职"),
    (spotchecks, "抽查督导"),  # R16
    (quarterly, "季度汇总"),  # R13
    (hotissues, "热点问题"),  # R14
    (scoring, "评分评优"),  # R15, R17, R20
    (profiles, "履职档案"),  # R19
)

TREND_ITEMS = ("联系选民活动（次）", "收到来信（件）", "群众意见已解决（条）")


def _rule_no(f: Figure) -> tuple[int, str]:
    """Sort key: R1 < R2 < … < R20; a tile without a rule number last."""
    m = re.match(r"R(\d+)", f.rule or "")
    return (int(m.group(1)) if m else 99, f.rule)


FAILED_SUFFIX = "统计暂不可用"


def failed_tile(area: str) -> Figure:
    """The tile shown in place of an area whose figures failed (it links nowhere)."""
    return Figure("—", f"{area}{FAILED_SUFFIX}", "—", "", "", {}, bad=True,
                  help="该项统计出错，已记录日志，请联系系统管理员。")


def _area_figures(session: Session, actor: Actor, year: int) -> list[tuple[ModuleType, list[Figure]]]:
    """Each area's figures (or its one error tile), in ``SOURCES`` order."""
    out = []
    for module, area in SOURCES:
        try:
            out.append((module, list(module.figures(session, actor, year))))
        except Exception:
            LOG.exception("figures of %s failed", module.__name__)
            session.rollback()  # figures only read: nothing is lost, and PostgreSQL can go on
            out.append((module, [failed_tile(area)]))
    return out


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """Every area's figures for the year and the actor's scope, ordered by rule.

    An area whose figures raise shows one tile saying so (the rest of 工作台 still works) and
    the error is logged.
    """
    return sorted((f for _m, figs in _area_figures(session, actor, year) for f in figs), key=_rule_no)


# 工作台's five plain-language sections (the way an office talks about its work), each with a
# line saying what it covers, and the section of each area's figures
SECTIONS: dict[str, str] = {
    "联系选民": "代表进选区联系选民、收集意见和提出议案建议的情况",
    "来信办理": "代表信箱开箱、来信办理时限、承办单位答复未解决的事项、季度汇总报送和热点问题",
    "述职": "代表向选民述职和代表组听取述职、整改的情况",
    "督导抽查": "抽查代表组活动记录和整改的情况",
    "评议评优": "出席履职、评分、履职档案和优秀代表、先进代表组评选",
}
SECTION_OF: dict[ModuleType, str] = {
    activities: "联系选民", opinions: "联系选民", proposals: "联系选民",
    letters: "来信办理", bodies: "来信办理", calendars: "来信办理", mailboxes: "来信办理", quarterly: "来信办理", hotissues: "来信办理",
    reports: "述职",
    spotchecks: "督导抽查",
    attendance: "评议评优", scoring: "评议评优", profiles: "评议评优",
}


def sections(session: Session, actor: Actor, year: int) -> list[tuple[str, list[Figure]]]:
    """The figures grouped in ``SECTIONS`` (each in rule order; sections without a figure for
    this actor are left out). Every area of ``SOURCES`` has a section (a test says so)."""
    return _grouped(_area_figures(session, actor, year))


def _grouped(areas: list[tuple[ModuleType, list[Figure]]]) -> list[tuple[str, list[Figure]]]:
    grouped: dict[str, list[Figure]] = {name: [] for name in SECTIONS}
    for module, figs in areas:
        grouped[SECTION_OF[module]].extend(figs)
    return [(name, sorted(figs, key=_rule_no)) for name, figs in grouped.items() if figs]


@dataclass(frozen=True)
class Overview:
    """Everything 工作台 shows for one user and year: the sections, the monthly trend and (for
    a user who sees more than one office) the comparison by office."""

    sections: list[tuple[str, list[Figure]]]
    trend: list[dict]
    offices: list[dict]


_OVERVIEWS = Cache(64)


def overview(session: Session, actor: Actor, year: int) -> Overview:
    """工作台 for ``actor`` and ``year``, kept until the next write (``versioned.cached``: the
    data version, today's date, the database; here also the user's role and scope). A repeat visit
    with nothing written costs nothing (at 20,000 deputies the figures take about 6 s even with
    the ranking cached). A result in which an area failed is not kept (the next visit tries again)."""
    def compute() -> Overview:
        areas = _area_figures(session, actor, year)
        return Overview(_grouped(areas), trend(session, actor, year),
                        by_office(session, actor, year) if not actor.scoped else [])

    def whole(view: Overview) -> bool:
        return not any(f.rule == "—" and f.label.endswith(FAILED_SUFFIX) for _n, figs in view.sections for f in figs)

    key = ("overview", actor.username, actor.role, actor.office_id, actor.group_id, int(year))
    return cached(session, _OVERVIEWS, key, compute, keep=whole)


def clear_cache() -> None:
    """Forget every cached 工作台 (tests; the data version makes entries stale by itself)."""
    _OVERVIEWS.clear()


def by_office(session: Session, actor: Actor, year: int) -> list[dict]:
    """The comparison by 办事处 for the year (actor's scope): activities held, voters reached,
    letters received, letters overdue today (``letters.overdue_clause``), opinions resolved
    (``rules.opinion_resolved``)."""
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    A, L, O, G, Of = M.Activity, M.Letter, M.Opinion, M.DeputyGroup, M.Office
    stmt = select(Of.id, Of.name).where(Of.active.is_(True)).order_by(Of.id)
    if actor.group_id is not None:
        stmt = stmt.where(Of.id.in_(select(G.office_id).where(G.id == actor.group_id)))
    elif actor.office_id is not None:
        stmt = stmt.where(Of.id == actor.office_id)
    offices = session.execute(stmt).all()

    def grouped(stmt) -> dict[int, int]:  # noqa: ANN001
        return {i: int(n or 0) for i, n in session.execute(stmt)}

    acts = grouped(scope_filter(select(A.office_id, func.count()).where(A.held_on.between(lo, hi)),
                                actor, A.office_id, A.group_id).group_by(A.office_id))
    voters = grouped(scope_filter(select(A.office_id, func.sum(A.voters_reached)).where(A.held_on.between(lo, hi)),
                                  actor, A.office_id, A.group_id).group_by(A.office_id))
    got = grouped(scope_filter(select(L.office_id, func.count()).where(L.received_on.between(lo, hi)),
                               actor, L.office_id, L.group_id).group_by(L.office_id))
    # grouped by an expression, not the bare column: SQLite would otherwise walk the whole
    # (office, received) index to group as it goes, instead of taking the few open letters by status
    # (0.6 s → 0.1 s at a million letters); office_id is never null, so the groups are the same
    office = func.coalesce(L.office_id, 0)
    late = grouped(scope_filter(select(office, func.count()).where(letters.overdue_clause(session)),
                                actor, L.office_id, L.group_id).group_by(office))
    solved = grouped(scope_filter(select(G.office_id, func.count()).select_from(O).join(G, G.id == O.group_id)
                                  .where(rules.opinion_resolved(lo, hi)), actor, G.office_id, O.group_id)
                     .group_by(G.office_id))
    return [{"office_id": i, "办事处": n, "联系活动（次）": acts.get(i, 0), "联系选民（人）": voters.get(i, 0),
             "收到来信（件）": got.get(i, 0), "来信超期（件）": late.get(i, 0), "意见已解决（条）": solved.get(i, 0)}
            for i, n in offices]


def trend_months(year: int) -> list[int]:
    """The months of ``year`` shown in the trend: those begun by the year's reference day (all
    twelve for a past year; January to this month in the current year; none for a future year)."""
    today = clock.today()
    if year > today.year:
        return []
    last = clock.year_end_or_today(year).month
    return list(range(1, last + 1))


def trend(session: Session, actor: Actor, year: int) -> list[dict]:
    """Per month of ``year`` in the actor's scope: activities held, letters received, opinions resolved.

    Rows [{"月份": "2026-03", "项目": ..., "数量": n}] for every month of ``trend_months(year)``.
    Resolved opinions follow the one rule (``rules.opinion_resolved``).
    """
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    A, L, O, G = M.Activity, M.Letter, M.Opinion, M.DeputyGroup
    counts: dict[tuple[str, int], int] = {}
    m = extract("month", A.held_on)
    stmt = scope_filter(select(m, func.count()).where(A.held_on.between(lo, hi)), actor, A.office_id, A.group_id)
    for month, n in session.execute(stmt.group_by(m)):
        counts[(TREND_ITEMS[0], int(month))] = int(n)
    m = extract("month", L.received_on)
    stmt = scope_filter(select(m, func.count()).where(L.received_on.between(lo, hi)), actor, L.office_id, L.group_id)
    for month, n in session.execute(stmt.group_by(m)):
        counts[(TREND_ITEMS[1], int(month))] = int(n)
    m = extract("month", O.resolved_on)
    stmt = select(m, func.count()).join(G, G.id == O.group_id).where(rules.opinion_resolved(lo, hi))
    stmt = scope_filter(stmt, actor, G.office_id, O.group_id)
    for month, n in session.execute(stmt.group_by(m)):
        counts[(TREND_ITEMS[2], int(month))] = int(n)
    return [{"月份": f"{year}-{mo:02d}", "项目": it, "数量": counts.get((it, mo), 0)}
            for mo in trend_months(year) for it in TREND_ITEMS]
