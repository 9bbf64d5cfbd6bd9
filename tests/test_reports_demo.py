"""述职管理 on the demo data: the year at a glance agrees with counts made directly in Python from
the rows (3 backends), and the page opens for every role on a demo SQLite file."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from db import models
from db.engine import session_scope
from db.migrate import upgrade
from services import demo
from services import reports as svc
from services.common import Actor
from tests.conftest import app_as

ADMIN = Actor("admin", "admin")
YEAR = 2026


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """The demo district seen from 2026-06-15 (the clock pinned, whatever TEST_TODAY says)."""
    travel("2026-06-15")


@pytest.fixture
def demo_url(db_url: str) -> str:
    """A small demo district (60 deputies) on each backend."""
    demo.generate(db_url, deputies=60, groups=6, districts=12, offices=3)
    return db_url


def _expected(s, year: int) -> dict[int, dict]:
    """Per group: serving, planned, held, written owed, computed row by row from the rule text."""
    hi = date(year, 12, 31)
    terms = {t.id: t for t in s.execute(select(models.Term)).scalars()}
    planned = {(p.group_id, it.deputy_id) for it, p in s.execute(
        select(models.ReportPlanItem, models.ReportPlan)
        .join(models.ReportPlan, models.ReportPlan.id == models.ReportPlanItem.plan_id)
        .where(models.ReportPlan.year == year)).all()}
    planned_ids = {d for _g, d in planned}
    out: dict[int, Counter] = {}
    for d in s.execute(select(models.Deputy)).scalars():
        t = terms[d.term_id]
        serving = (t.start_year <= year <= t.end_year and (d.joined_on is None or d.joined_on <= hi)
                   and ((d.left_on is None and d.status == "在任") or (d.left_on is not None and d.left_on > hi)))
        c = out.setdefault(d.group_id, Counter())
        if serving:
            c["serving"] += 1
            if d.id not in planned_ids and (d.joined_on is None or d.joined_on <= date(year, 6, 30)):
                c["owed"] += 1
    for g, _d in planned:
        out.setdefault(g, Counter())["planned"] += 1
    for _r, d in s.execute(select(models.Report, models.Deputy).join(models.Deputy, models.Deputy.id == models.Report.deputy_id)
                          .where(models.Report.year == year, models.Report.form == "当面述职",
                                 models.Report.held_on.is_not(None))).all():
        out.setdefault(d.group_id, Counter())["held"] += 1
    return out


def test_year_at_a_glance_agrees_with_row_counts(demo_url):
    year = YEAR - 1  # a whole past year of the demo term (year 2)
    with session_scope(url=demo_url) as s:
        rows = svc.overview(s, ADMIN, year)
        exp = _expected(s, year)
        figs = {f.rule: f.value for f in svc.figures(s, ADMIN, year)}
        missing = svc.written_status(s, ADMIN, {"year": year, "view": "missing"}, 0, 10_000).total
    assert len(rows) == 6
    for r in rows:
        e = exp.get(r["group_id"], Counter())
        got = (r["在任代表（人）"], r["计划当面述职（人）"], r["已当面述职（人）"], r["书面应交（人）"])
        assert got == (e["serving"], e["planned"], e["held"], e["owed"]), r["代表组"]
    assert sum(r["书面应交（人）"] for r in rows) > 0
    assert figs["R7"] == missing == sum(r["书面应交（人）"] - r["书面已交（人）"] for r in rows)


@pytest.fixture
def demo_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The default demo district in a SQLite file that app.py uses."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    demo.generate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.mark.parametrize("role", ["staff", "supervisor", "leader"])
def test_page_opens_on_demo_data(demo_app, role):
    at = app_as(role, "reports")
    assert not at.exception
    df = next(d.value for d in at.dataframe if "计划当面述职（人）" in d.value.columns)
    assert len(df) >= 1 and (df["在任代表（人）"] > 0).all()
