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


# ---------------------------------------------------------------- planner statistics (db.stats)


def test_statistics_kept_current(world):
    """A bulk load leaves tables without statistics (SQLite); the scheduled check finds them stale,
    ANALYZEs them, and then finds nothing to do. Other databases keep their own: ANALYZE runs."""
    from sqlalchemy import text

    from db import stats
    from db.engine import get_engine

    w = world
    stats.analyze_url(w.url)
    with get_engine(w.url).connect() as c:
        assert stats.stale(c) == []
    _letters(w, 700)  # 2,100 letters: more than a fifth of the rows the statistics know
    with get_engine(w.url).connect() as c:
        sqlite = c.dialect.name == "sqlite"
        assert stats.stale(c) == (["letters"] if sqlite else [])
    assert stats.refresh_if_stale(w.url) == (["letters"] if sqlite else [])
    assert stats.refresh_if_stale(w.url) == []
    if sqlite:
        with get_engine(w.url).connect() as c:
            n = c.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'letters' LIMIT 1")).scalar()
        assert int(n.split()[0]) == 2_100


def test_demo_data_come_with_statistics(tmp_path):
    """The demo generator is a bulk load: it leaves statistics for every table it filled."""
    from db import stats
    from db.engine import get_engine
    from db.migrate import upgrade
    from services import demo

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    demo.generate(url, deputies=60, offices=2, groups=4, districts=8, letters=1_500)
    with get_engine(url).connect() as c:
        assert stats.stale(c) == []
        known = {t for (t,) in c.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}
    assert {"letters", "letter_events", "activities", "deputies"} <= known


def test_deputies_import_gathers_statistics(world):
    """Importing deputies in bulk refreshes the deputies' statistics in the same transaction."""
    import pandas as pd

    from db import stats
    from db.engine import get_engine
    from services import deputy_io
    from services.excel import to_xlsx

    w = world
    with session_scope(url=w.url) as s:
        g = s.get(models.DeputyGroup, w.groups[0])
        d = s.get(models.District, w.districts[0])
        gname, dname = g.name, d.name
    rows = [[f"代表{chr(0x4e00 + i)}{chr(0x4e00 + i // 7)}", "男", 1970, "群众", "职员", f"137{i:08d}", gname, dname]
            for i in range(1_200)]
    data = to_xlsx({"代表名单": pd.DataFrame(rows, columns=deputy_io.DEPUTY_COLUMNS)}, text_columns=("联系电话",))
    with session_scope("admin", url=w.url) as s:
        report = deputy_io.import_deputies(s, w.admin(), data)
    assert report.created == 1_200 and not report.errors
    with get_engine(w.url).connect() as c:
        assert "deputies" not in stats.stale(c)


# ---------------------------------------------------------------- 工作台 for one office's staff


def test_staff_figures_score_only_their_office_and_agree_with_the_whole_ranking(tmp_path):
    """A staff member of one office gets the scores of that office only (not the whole district's
    ranking), each the same as in the whole ranking; the 工作台 figures (R15, R20) are the same
    whether the whole ranking was cached already or not."""
    from db.migrate import upgrade
    from services import auth, clock, demo, scoring

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    demo.generate(url, deputies=90, offices=3, groups=6, districts=12, letters=600)
    key = lambda d: (d["id"], d["total"], d["grade"], d["group_rank"], d["focus"], d["volume"],  # noqa: E731
                     d["r1_short"], d["satisfaction"])
    with session_scope(url=url) as s:
        rid = scoring.current_rubric_id(s)
        staff = auth.load_actor(s, "staff")
        assert staff.scoped
        for year in (clock.today().year - 1, clock.today().year):
            whole = scoring.compute(s, rid, year)
            part = scoring.compute(s, rid, year, staff)
            mine = [d for d in whole.deputies if staff.in_scope(d["office_id"], d["group_id"])]
            assert 0 < len(mine) < len(whole.deputies)
            assert [key(d) for d in part.deputies] == [key(d) for d in mine]
            assert all(d["rank"] is None for d in part.deputies)
            scoring.clear_cache()
            cold = scoring.figures(s, staff, year)
            assert scoring.cache_stats()["entries"] == 1  # the office's scores, not the district's
            scoring.clear_cache()
            scoring.ranking(s, rid, year)
            assert scoring.figures(s, staff, year) == cold
            assert scoring.groups_without_exemplar(s, staff, rid, year, part) == \
                scoring.groups_without_exemplar(s, staff, rid, year, whole)
