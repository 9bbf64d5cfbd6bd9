"""述职管理 in a real browser: staff ticks deputies, the share updates live, the plan is saved and locked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db import models
from db.engine import dispose_all, session_scope
from services import clock
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
def rep_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on a small district; yields (base URL, database URL)."""
    _require_browser()
    base, proc, url = start_server(tmp_path_factory.mktemp("reports"))
    dispose_all()
    yield base, url
    stop_server(proc)
    dispose_all()


def test_staff_ticks_deputies_and_sees_the_share_live(rep_server, page):
    base, url = rep_server
    login(page, base, "staff")
    open_page(page, "reports")
    page.get_by_role("tab", name="述职计划").wait_for(timeout=60_000)  # a loaded machine renders slowly
    page.get_by_role("tab", name="述职计划").click()
    wait_ready(page)
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text="当面述职代表").first
    for name in ("张伟", "王芳"):
        box.locator("input").first.click()
        box.locator("input").first.fill(name)
        page.get_by_role("option").filter(has_text=name).first.click()
        wait_ready(page)
        if name == "张伟":
            page.get_by_text("已选 1 人 / 在任代表 7 人 = 14.3%", exact=False).wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    page.get_by_text("已选 2 人 / 在任代表 7 人 = 28.6%", exact=False).wait_for(timeout=30_000)
    shot(page, "reports_plan_share", "[data-testid='stMainBlockContainer']")
    page.get_by_role("button", name="保存计划").click()
    wait_ready(page)
    page.get_by_text("已保存东城第一代表组", exact=False).wait_for(timeout=30_000)
    page.get_by_role("button", name="确定计划").click()
    wait_ready(page)
    page.get_by_text("计划已确定", exact=False).first.wait_for(timeout=30_000)
    with session_scope(url=url) as s:
        plan = s.execute(select(models.ReportPlan).where(models.ReportPlan.year == clock.today().year)).scalar_one()
        names = set(s.execute(select(models.Deputy.name).join(
            models.ReportPlanItem, models.ReportPlanItem.deputy_id == models.Deputy.id)
            .where(models.ReportPlanItem.plan_id == plan.id)).scalars())
    assert plan.locked and names == {"张伟", "王芳"}
