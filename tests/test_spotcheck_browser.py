"""抽查督导 in a real browser: a supervisor draws a sample in front of witnesses and sees its seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from db import models
from db.engine import dispose_all, session_scope
from services import spotchecks as sc
from services.common import today
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
def sc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on a small district with 5 activities of group 0 this quarter."""
    _require_browser()
    base, proc, url = start_server(tmp_path_factory.mktemp("spotcheck"))
    start, _ = sc.quarter_of(today())
    with session_scope("staff", url=url) as s:
        g = s.query(models.DeputyGroup).order_by(models.DeputyGroup.id).first()
        d = s.query(models.District).filter_by(group_id=g.id).order_by(models.District.id).first()
        for i in range(5):
            s.add(models.Activity(held_on=min(start + timedelta(days=i), today()), place=f"社区服务站{i}",
                                  district_id=d.id, group_id=g.id, office_id=g.office_id, organiser="代表个人",
                                  kind="问需", targets=["一般选民"], mode="现场办公解疑", voters_reached=12,
                                  summary="听取意见"))
    dispose_all()
    yield base
    stop_server(proc)


def test_supervisor_draws_in_the_browser(sc_server, page):
    login(page, sc_server, "supervisor")
    open_page(page, "spotchecks")
    assert page.get_by_role("tab", name="新建抽查").is_visible()
    page.get_by_text("各代表组可抽记录").wait_for()
    witness = page.locator("input[aria-label='见证随机值']")
    witness.fill("掷骰 6-1-4")
    witness.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="抽取样本").click()
    page.get_by_role("button", name="确认", exact=True).click()  # the draw asks first
    page.get_by_text("已抽取样本").wait_for()
    wait_ready(page)
    page.get_by_text("随机种子（SHA-256）").first.wait_for()
    shot(page, "spotcheck_draw", "[data-testid='stMain']")
    page.get_by_role("tab", name="复核").click()
    page.get_by_role("button", name="复核", exact=True).click()
    page.get_by_text("复核一致").wait_for()
    shot(page, "spotcheck_verify", "[data-testid='stMain']")
    page.get_by_role("tab", name="检查记录").click()
    page.get_by_role("button", name="保存核查结果").wait_for()
    shot(page, "spotcheck_findings", "[data-testid='stMain']")
