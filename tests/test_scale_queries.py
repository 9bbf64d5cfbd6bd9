"""Queries whose text must not grow with the data (issue 18): the 议案建议 source picker at more R4
groups than SQLite accepts as one condition each, on every backend the suite runs."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import insert

from db import models
from db.engine import session_scope
from services import activities
from services import proposals as svc

YEAR = 2026
CLUSTERS = 1_100  # SQLite refused one OR term per group above about 1,000 groups


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    travel("2026-06-15")


def _letters(w, n_clusters: int, per: int = 3, district: int = 0) -> None:
    """``per`` letters in each of ``n_clusters`` categories of one district (one R4 group each)."""
    with session_scope("admin", url=w.url) as s:
        g = s.get(models.DeputyGroup, w.groups[0])
        rows = [
            {"code": f"B{c:05d}{k}", "mailbox_id": w.mailboxes[district], "district_id": w.districts[district],
             "group_id": g.id, "office_id": g.office_id, "received_on": date(YEAR, 1 + c % 5, 1 + k),
             "summary": f"问题{c}-{k}", "category": f"类{c}", "status": "登记", "round": 1, "paused_days": 0,
             "created_at": datetime(YEAR, 1, 1, 9, 0)}
            for c in range(n_clusters) for k in range(per)
        ]
        s.execute(insert(models.Letter), rows)


def test_source_picker_at_more_groups_than_sqlite_allows_terms(world):
    """议案建议 for admin with 1,100 groups raised often: the picker lists them (it used to build one
    OR condition per group, and SQLite refused the query: 'Expression tree is too large')."""
    w = world
    _letters(w, CLUSTERS)
    with session_scope("admin", url=w.url) as s:  # a category raised twice only: below the threshold
        g = s.get(models.DeputyGroup, w.groups[0])
        s.execute(insert(models.Letter), [
            {"code": f"T{k}", "mailbox_id": w.mailboxes[0], "district_id": w.districts[0], "group_id": g.id,
             "office_id": g.office_id, "received_on": date(YEAR, 2, 1 + k), "summary": "少", "category": "少数",
             "status": "登记", "round": 1, "paused_days": 0, "created_at": datetime(YEAR, 1, 1, 9, 0)}
            for k in range(2)])
    with session_scope(url=w.url) as s:
        groups = activities.r4_clusters(s, w.admin(), YEAR)
        rows = svc.frequent_sources(s, w.admin(), YEAR, limit=300)
        staff_rows = svc.frequent_sources(s, w.staff(), YEAR, limit=10_000)
    assert len(groups) == CLUSTERS
    assert {g["提出次数（活动/来信）"] for g in groups} == {3}
    assert len(rows) == 300 and {r["同类（件）"] for r in rows} == {3}
    assert rows == sorted(rows, key=lambda r: (-r["同类（件）"], r["类别"], r["选区"], r["日期"]))
    # the first office's staff see every letter of its group, and no letter of a group raised twice
    assert len(staff_rows) == CLUSTERS * 3
    assert not any(r["类别"] == "少数" for r in staff_rows)
