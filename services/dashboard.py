"""工作台: the compliance figures of every rule that has one, collected from each area's module
(``figures(session, actor, year)``), and the monthly trend for the year and the user's scope.

The areas are listed here, explicitly (``SOURCES``): a module that cannot be imported stops this
module from importing (an error, never a missing tile). An area whose figures fail at run time
shows one tile saying so, and the error is logged; the other tiles still show.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from types import ModuleType

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from db import models as M
from services import (
    activities,
    attendance,
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

LOG = logging.getLogger(__name__)

# (module, area name shown when its figures fail): every source of 工作台's figures, in order
SOURCES: tuple[tuple[ModuleType, str], ...] = (
    (activities, "联系活动"),  # R1, R2, R4, R5, R18
    (opinions, "意见办理"),  # R3: the opinions' clock
    (letters, "来信办理"),  # R12
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


def failed_tile(area: str) -> Figure:
    """The tile shown in place of an area whose figures failed (it links nowhere)."""
    return Figure("—", f"{area}统计暂不可用", "—", "", "", {}, bad=True,
                  help="该项统计出错，已记录日志，请联系系统管理员。")


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """Every area's figures for the year and the actor's scope, ordered by rule.

    An area whose figures raise shows one tile saying so (the rest of 工作台 still works) and
    the error is logged.
    """
    out: list[Figure] = []
    for module, area in SOURCES:
        try:
            out.extend(module.figures(session, actor, year))
        except Exception:
            LOG.exception("figures of %s failed", module.__name__)
            session.rollback()  # figures only read: nothing is lost, and PostgreSQL can go on
            out.append(failed_tile(area))
    return sorted(out, key=_rule_no)


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
