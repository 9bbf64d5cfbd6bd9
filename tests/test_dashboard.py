"""工作台: figures collected from every area's service, ordered by rule; monthly trend in scope;
the page renders for every role with links to the lists behind the figures."""

from __future__ import annotations

import pytest

from db.engine import session_scope
from services import dashboard
from services.common import Actor
from tests.conftest import app_as
from tests.test_scoring import YEAR, build_example


def test_figures_collected_and_ordered(world) -> None:
    """Figures of scoring (R15, R17, R20), profiles (R19) and the other areas, R1 first."""
    build_example(world)
    with session_scope("test", url=world.url) as s:
        figs = dashboard.figures(s, world.leader(), YEAR)
    rules = [f.rule for f in figs]
    assert {"R15", "R17", "R19", "R20"} <= set(rules)
    nums = [int(r[1:]) for r in rules if r.startswith("R")]
    assert nums == sorted(nums)
    assert all(f.page for f in figs)


def test_trend_by_month_in_scope(world) -> None:
    """Activities, letters and resolved opinions per month; a scope outside group 0 sees none of them."""
    build_example(world)
    with session_scope("test", url=world.url) as s:
        rows = dashboard.trend(s, world.admin(), YEAR)
        other = dashboard.trend(s, Actor("x", "staff", group_id=world.groups[2]), YEAR)
    got = {(r["月份"], r["项目"]): r["数量"] for r in rows}
    assert got[(f"{YEAR}-02", "联系选民活动（次）")] == 1
    assert got[(f"{YEAR}-02", "收到来信（件）")] == 1
    assert got[(f"{YEAR}-04", "群众意见已解决（条）")] == 1
    assert sum(r["数量"] for r in other) == 0


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_dashboard_renders_for_every_role(app_world, role: str) -> None:
    """Every role gets figures as tiles; each tile links to a page that role may open."""
    build_example(app_world)
    at = app_as(role, "dashboard")
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert any(lbl.startswith("R1 ") for lbl in labels)
    assert any(lbl.startswith("R19 ") for lbl in labels)
    assert not any("暂不可用" in lbl for lbl in labels)
    assert at.get("page_link")  # tiles link to the lists behind them


def test_staff_sees_their_spot_check_rectifications_on_the_dashboard(app_world) -> None:
    """Staff cannot open 抽查督导; the R16 figure opens the items of their own groups on 工作台."""
    from datetime import date, timedelta

    from streamlit.testing.v1 import AppTest

    from db import models
    from tests.conftest import ROOT, goto

    with session_scope("supervisor", url=app_world.url) as s:
        s.add_all([
            models.Rectification(source="抽查", group_id=app_world.groups[0], content="补齐签到表",
                                 due_on=date.today() - timedelta(days=1)),
            models.Rectification(source="抽查", group_id=app_world.groups[2], content="西城的整改"),
        ])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.session_state["session_started_at"] = __import__("datetime").datetime.now()
    at.run()
    at.query_params["view"] = "spotcheck_rect"  # as the figure's link sets it
    goto(at, "dashboard")
    assert not at.exception
    rows = at.dataframe[0].value
    assert list(rows["整改内容"]) == ["补齐签到表"]  # the other office's item is not shown
