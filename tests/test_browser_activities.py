"""联系活动 in a real browser: staff logs an activity with two deputies through the real form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db import models
from db.engine import dispose_all, session_scope
from tests.browser import (
    _require_browser,
    login,
    open_page,
    shot,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def act_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on a small district; yields (base URL, database URL)."""
    _require_browser()
    base, proc, url = start_server(tmp_path_factory.mktemp("activities"))
    with session_scope("admin", url=url) as s:  # pinyin initials, as masterdata fills them on save
        for d in s.execute(select(models.Deputy).where(models.Deputy.name.in_(["张伟", "李娜"]))).scalars():
            d.pinyin = {"张伟": "zw", "李娜": "ln"}[d.name]
    dispose_all()
    yield base, url
    stop_server(proc)
    dispose_all()


def _multiselect(page, label: str, *choices: str) -> None:
    """Pick options of the multiselect labelled ``label`` by typing (name or pinyin) and Enter."""
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text=label).first
    for choice in choices:
        box.locator("input").first.click()
        box.locator("input").first.fill(choice)
        page.get_by_role("option").filter(has_text=choice).first.click()
        wait_ready(page)
    page.keyboard.press("Escape")


def test_staff_logs_activity_in_the_browser(act_server, page):
    base, url = act_server
    login(page, base, "staff")
    open_page(page, "activities")
    page.get_by_text("登记活动", exact=True).first.click()
    wait_ready(page)
    place = page.get_by_label("活动地点")
    place.fill("和平社区活动室")
    place.press("Tab")
    _multiselect(page, "联系对象", "一般选民")
    _multiselect(page, "参加代表", "张伟", "ln")  # by name, and by pinyin initials
    voters = page.get_by_label("联系选民人数（人）")
    voters.fill("25")
    voters.press("Tab")
    summary = page.get_by_label("活动内容")
    summary.fill("走访社区，听取选民对加装电梯的意见")
    summary.press("Tab")
    wait_ready(page)
    page.get_by_role("button", name="保存活动").click()
    page.get_by_text("已登记活动（2 位代表").wait_for(timeout=30_000)
    shot(page, "activities_logged", "[data-testid='stMain']")

    dispose_all()
    with session_scope(url=url) as s:
        act = s.execute(select(models.Activity).where(models.Activity.place == "和平社区活动室")).scalar_one()
        assert sorted(d.name for d in act.deputies) == ["张伟", "李娜"]
        assert (act.voters_reached, act.targets, act.created_by) == (25, ["一般选民"], "staff")
