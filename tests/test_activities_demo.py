"""The shortfall figures (R1, R5) on the demo data agree with direct SQL counts (3 backends)."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy import text

from db.engine import session_scope
from services import activities as svc
from services import clock, demo, settings
from services.common import Actor

YEAR = 2026
ADMIN = Actor("admin", "admin", display_name="管理员")


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


@pytest.fixture
def demo_url(db_url: str) -> str:
    """A small demo district (60 deputies) on each backend."""
    demo.generate(db_url, deputies=60, groups=6, districts=12, offices=3)
    return db_url


def _serving(s) -> dict[int, int]:
    """Deputies serving on the reference day of YEAR (today, pinned) by their periods of service,
    with the activities they owe (the documented R1 rule: the minimum, pro rata from the first day
    served in the year), computed in Python from plain rows."""
    minimum = int(settings.get(s, "r1_min_activities"))
    ref, lo = clock.today(), date(YEAR, 1, 1)
    terms = {i: (a, b) for i, a, b in s.execute(text("SELECT id, start_year, end_year FROM terms"))}
    term_of = dict(s.execute(text("SELECT id, term_id FROM deputies")).all())
    periods: dict[int, list[tuple[date, date | None]]] = {}
    for did, start, end in s.execute(text("SELECT deputy_id, start_on, end_on FROM deputy_periods")):
        start = date.fromisoformat(start) if isinstance(start, str) else start
        end = date.fromisoformat(end) if isinstance(end, str) else end
        periods.setdefault(did, []).append((start, end))
    owed = {}
    for did, ps in periods.items():
        a, b = terms[term_of[did]]
        if not a <= YEAR <= b or not any(st <= ref and (en is None or en >= ref) for st, en in ps):
            continue
        first = min(st for st, en in ps if en is None or en >= lo)
        owed[did] = math.ceil(minimum * (13 - first.month) / 12) if first >= lo else minimum
    return owed


def test_r1_on_demo_data_agrees_with_direct_sql(demo_url):
    with session_scope(url=demo_url) as s:
        owed = _serving(s)
        counts = dict(s.execute(text(
            "SELECT ad.deputy_id, COUNT(DISTINCT a.id) FROM activity_deputies ad "
            "JOIN activities a ON a.id = ad.activity_id WHERE a.held_on >= :lo AND a.held_on <= :hi "
            "AND NOT EXISTS (SELECT 1 FROM spot_check_items i WHERE i.record_kind = '联系活动' "
            "  AND i.record_id = a.id AND i.result = '不合格') "
            "GROUP BY ad.deputy_id"
        ), {"lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).all())
        expected = {i: counts.get(i, 0) for i, need in owed.items() if counts.get(i, 0) < need}
        page = svc.r1_shortfall(s, ADMIN, YEAR, 0, 10_000)
        fig = {f.rule: f.value for f in svc.figures(s, ADMIN, YEAR)}
    assert expected, "the demo data has deputies short of R1 on purpose"
    assert {r["id"]: r["本年活动（次）"] for r in page.rows} == expected
    assert fig["R1"] == page.total == len(expected)


def test_r5_on_demo_data_agrees_with_direct_sql(demo_url):
    with session_scope(url=demo_url) as s:
        owed = _serving(s)
        # credited: the deputy in charge alone; with nobody in charge, the deputies of the activity
        # (or the reporting deputy of a 述职 opinion); resolved means outcome class A 已解决
        done = set(s.execute(text(
            "SELECT o.deputy_id FROM opinions o WHERE o.is_livelihood = :t AND o.resolved_on >= :lo "
            "AND o.resolved_on <= :hi AND o.deputy_id IS NOT NULL AND o.status IN ('已解决', '已反馈选民') "
            "AND o.unresolvable_reason IS NULL AND o.outcome = :a "
            "UNION SELECT ad.deputy_id FROM opinions o JOIN activity_deputies ad ON ad.activity_id = o.activity_id "
            "WHERE o.is_livelihood = :t AND o.resolved_on >= :lo AND o.resolved_on <= :hi AND o.deputy_id IS NULL "
            "AND o.status IN ('已解决', '已反馈选民') AND o.unresolvable_reason IS NULL AND o.outcome = :a "
            "UNION SELECT r.deputy_id FROM opinions o JOIN reports r ON r.id = o.report_id "
            "WHERE o.is_livelihood = :t AND o.resolved_on >= :lo AND o.resolved_on <= :hi AND o.deputy_id IS NULL "
            "AND o.activity_id IS NULL AND o.status IN ('已解决', '已反馈选民') AND o.unresolvable_reason IS NULL AND o.outcome = :a"
        ), {"t": True, "lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31), "a": "A 已解决"}).scalars())
        expected = set(owed) - done
        page = svc.r5_missing(s, ADMIN, YEAR, 0, 10_000)
        fig = {f.rule: f.value for f in svc.figures(s, ADMIN, YEAR)}
    assert {r["id"] for r in page.rows} == expected
    assert fig["R5"] == page.total == len(expected)
