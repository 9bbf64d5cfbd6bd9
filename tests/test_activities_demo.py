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

ADMIN = Actor("admin", "admin", display_name="管理员")


def _year() -> int:
    """The year the demo data run up to (the clock's, which TEST_TODAY may move)."""
    return clock.today().year


@pytest.fixture
def demo_url(db_url: str) -> str:
    """A small demo district (60 deputies) on each backend."""
    demo.generate(db_url, deputies=60, groups=6, districts=12, offices=3)
    return db_url


def _serving(s) -> dict[int, int]:
    """Deputies serving through the year with the activities they owe (the documented R1 rule)."""
    minimum = int(settings.get(s, "r1_min_activities"))
    rows = s.execute(text(
        "SELECT d.id, d.joined_on FROM deputies d JOIN terms t ON t.id = d.term_id "
        "WHERE d.status = '在任' AND (d.left_on IS NULL OR d.left_on > :hi) "
        "AND (d.joined_on IS NULL OR d.joined_on <= :hi) AND t.start_year <= :y AND t.end_year >= :y"
    ), {"hi": date(_year(), 12, 31), "y": _year()}).all()
    owed = {}
    for i, joined in rows:
        if isinstance(joined, str):  # SQLite text dates
            joined = date.fromisoformat(joined)
        late = joined is not None and joined.year == _year()
        owed[i] = math.ceil(minimum * (13 - joined.month) / 12) if late else minimum
    return owed


def test_r1_on_demo_data_agrees_with_direct_sql(demo_url):
    with session_scope(url=demo_url) as s:
        owed = _serving(s)
        counts = dict(s.execute(text(
            "SELECT ad.deputy_id, COUNT(DISTINCT a.id) FROM activity_deputies ad "
            "JOIN activities a ON a.id = ad.activity_id WHERE a.held_on >= :lo AND a.held_on <= :hi "
            "GROUP BY ad.deputy_id"
        ), {"lo": date(_year(), 1, 1), "hi": date(_year(), 12, 31)}).all())
        expected = {i: counts.get(i, 0) for i, need in owed.items() if counts.get(i, 0) < need}
        page = svc.r1_shortfall(s, ADMIN, _year(), 0, 10_000)
        fig = {f.rule: f.value for f in svc.figures(s, ADMIN, _year())}
    assert expected, "the demo data has deputies short of R1 on purpose"
    assert {r["id"]: r["本年活动（次）"] for r in page.rows} == expected
    assert fig["R1"] == page.total == len(expected)


def test_r5_on_demo_data_agrees_with_direct_sql(demo_url):
    with session_scope(url=demo_url) as s:
        owed = _serving(s)
        done = set(s.execute(text(
            "SELECT o.deputy_id FROM opinions o WHERE o.is_livelihood = :t AND o.resolved_on >= :lo "
            "AND o.resolved_on <= :hi AND o.deputy_id IS NOT NULL "
            "UNION SELECT ad.deputy_id FROM opinions o JOIN activity_deputies ad ON ad.activity_id = o.activity_id "
            "WHERE o.is_livelihood = :t AND o.resolved_on >= :lo AND o.resolved_on <= :hi"
        ), {"t": True, "lo": date(_year(), 1, 1), "hi": date(_year(), 12, 31)}).scalars())
        expected = set(owed) - done
        page = svc.r5_missing(s, ADMIN, _year(), 0, 10_000)
        fig = {f.rule: f.value for f in svc.figures(s, ADMIN, _year())}
    assert {r["id"] for r in page.rows} == expected
    assert fig["R5"] == page.total == len(expected)
