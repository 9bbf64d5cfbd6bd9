"""Attacks on issue 11 through the pages (AppTest): bad URL parameters on the lists 工作台 opens, and
fresh figures after a write on every page that shows a derived figure."""

from __future__ import annotations

from datetime import date

import pytest

from db import models as M
from db.engine import session_scope
from services import scoring, setting_changes
from tests.conftest import app_as, goto


@pytest.fixture(autouse=True)
def _pinned(travel):
    """The pages are looked at on 2026-06-15 (the world is built that day)."""
    travel("2026-06-15")


BAD_YEARS = {"superscript-two": "²", "5000-digits": "9" * 5000}


@pytest.mark.parametrize(("page", "view"), [("activities", None), ("activities", "typical"), ("attendance", None),
                                             ("attendance", "absent")])
@pytest.mark.parametrize("raw", list(BAD_YEARS.values()), ids=list(BAD_YEARS))
def test_a_bad_year_in_the_url_opens_the_list_without_an_error(app_world, page: str, view: str | None, raw: str):
    """工作台's tiles open 联系活动 and 出席与履职 with ?view=…&year=…; a year that is no year
    (², thousands of digits), with or without a view, must open the page, never a Python error."""
    at = app_as("admin")
    if view:
        at.query_params["view"] = view
    at.query_params["year"] = raw
    goto(at, page)
    assert not at.exception, at.exception[0].message if at.exception else ""


def _metric(at, rule: str) -> str:
    """The number of the first 工作台 figure tagged ``rule`` (a line: **number** words [rule tag])."""
    import re

    lines = [link.proto.label for link in at.get("page_link")] + [m.value for m in at.markdown]
    line = next(x for x in lines if f":gray-badge[{rule}]" in x)
    return re.search(r"\*\*(.+?)\*\*", line).group(1).replace("\\", "")


def test_every_page_shows_fresh_figures_on_its_next_run_after_writes(app_world):
    """A leader keeps 工作台, 评分评优 and 履职档案 open; staff log two activities of 张伟 and the admin
    raises the R1 minimum. On their next run the pages show the new figures (no stale cache)."""
    w = app_world
    with session_scope("t") as s:
        rid = scoring.ensure_default_rubric(s)
    board = app_as("leader")
    assert _metric(board, "R1") == "12 人"
    rank = app_as("leader", "scoring")
    prof = app_as("leader", "profiles")
    prof.selectbox(key="pf_deputy").set_value(w.deputies[0]).run()
    before = next(m.value for m in prof.metric if m.label == "总分")
    with session_scope("staff") as s:
        for day in (date(2026, 3, 1), date(2026, 5, 1)):
            a = M.Activity(held_on=day, place="社区", district_id=w.districts[0], group_id=w.groups[0],
                           office_id=w.offices[0], organiser="代表个人", kind="问需", targets=["一般选民"],
                           mode="走访慰问", voters_reached=10, summary="走访")
            s.add(a)
            s.flush()
            s.add(M.ActivityDeputy(activity_id=a.id, deputy_id=w.deputies[0]))
    board.run()
    assert _metric(board, "R1") == "11 人"
    prof.run()
    assert next(m.value for m in prof.metric if m.label == "总分") != before
    rank.run()
    table = next(d.value for d in rank.dataframe if "总分" in d.value.columns)
    with session_scope("t") as s:
        fresh = scoring.compute(s, rid, 2026).by_id()[w.deputies[0]]["total"]
    assert float(table.loc[table["代表"] == "张伟", "总分"].iloc[0]) == fresh
    with session_scope("admin") as s:
        setting_changes.save(s, w.admin(), "r1_min_activities", 3, 2)
    board.run()
    assert _metric(board, "R1") == "12 人"
