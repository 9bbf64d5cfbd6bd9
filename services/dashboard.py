"""工作台: the compliance figures of every rule that has one (collected from each area's service
``figures(session, actor, year)``), and the monthly trend for the year and the user's scope."""

from __future__ import annotations

import importlib
import logging
import re
from datetime import date

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from db import models as M
from services import clock
from services.common import Actor, Figure, scope_filter

LOG = logging.getLogger(__name__)
# the areas whose service modules may define figures(); missing modules are skipped
AREAS = ["activities", "letters", "mailboxes", "reports", "proposals", "attendance", "spotchecks", "quarterly",
         "hotissues", "scoring", "profiles"]


def _rule_no(f: Figure) -> tuple[int, str]:
    """Sort key: R1 < R2 < … < R20."""
    m = re.match(r"R(\d+)", f.rule or "")
    return (int(m.group(1)) if m else 99, f.rule)


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """Every area's figures for the year and the actor's scope, ordered by rule.

    A module that is not there yet is skipped; a module whose figures fail shows one figure saying
    so (the rest of 工作台 still works) and the error is logged.
    """
    out: list[Figure] = []
    for area in AREAS:
        try:
            mod = importlib.import_module(f"services.{area}")
        except ImportError:
            continue
        fn = getattr(mod, "figures", None)
        if fn is None:
            continue
        try:
            out.extend(fn(session, actor, year))
        except Exception:
            LOG.exception("figures of services.%s failed", area)
            session.rollback()  # figures only read: nothing is lost, and PostgreSQL can go on
            out.append(Figure("—", f"{area} 统计暂不可用", "—", "", "dashboard", {}, bad=True,
                              help="该项统计出错，已记录日志，请联系系统管理员。"))
    return sorted(out, key=_rule_no)


def trend(session: Session, actor: Actor, year: int) -> list[dict]:
    """Per month of ``year`` in the actor's scope: activities held, letters received, opinions resolved.

    Rows [{"月份": "2026-03", "项目": ..., "数量": n}], every month of the year up to now.
    """
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    A, L, O, G = M.Activity, M.Letter, M.Opinion, M.DeputyGroup
    counts: dict[tuple[str, int], int] = {}
    m = extract("month", A.held_on)
    stmt = scope_filter(select(m, func.count()).where(A.held_on.between(lo, hi)), actor, A.office_id, A.group_id)
    for month, n in session.execute(stmt.group_by(m)):
        counts[("联系选民活动（次）", int(month))] = int(n)
    m = extract("month", L.received_on)
    stmt = scope_filter(select(m, func.count()).where(L.received_on.between(lo, hi)), actor, L.office_id, L.group_id)
    for month, n in session.execute(stmt.group_by(m)):
        counts[("收到来信（件）", int(month))] = int(n)
    m = extract("month", O.resolved_on)
    stmt = (select(m, func.count()).join(G, G.id == O.group_id)
            .where(O.resolved_on.between(lo, hi), O.unresolvable_reason.is_(None)))
    stmt = scope_filter(stmt, actor, G.office_id, O.group_id)
    for month, n in session.execute(stmt.group_by(m)):
        counts[("群众意见已解决（条）", int(month))] = int(n)
    today = clock.today()
    last = 12 if year < today.year else (today.month if year == today.year else 0)
    items = ["联系选民活动（次）", "收到来信（件）", "群众意见已解决（条）"]
    return [{"月份": f"{year}-{mo:02d}", "项目": it, "数量": counts.get((it, mo), 0)}
            for mo in range(1, last + 1) for it in items]
