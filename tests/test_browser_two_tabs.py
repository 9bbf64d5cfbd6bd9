"""Two browser tabs on one letter (issue 12): tab A moves the new letter to 已交代表; tab B, still
showing 登记, chooses 不予受理 and confirms: refused with who did what, the letter stays 已交代表."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db import models
from db.engine import dispose_all, session_scope
from services import clock, letters
from tests.browser import _require_browser, login, open_page, shot, start_server, stop_server, wait_ready
from tests.conftest import District

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def two_tab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    _require_browser()
    base, proc, url = start_server(tmp_path_factory.mktemp("twotabs"))
    yield base, url
    stop_server(proc)
    dispose_all()


def _open_letter(browser, base: str, user: str):
    """A tab logged in as ``user`` with the only letter's detail open (first grid row selected)."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1100})
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    login(page, base, user)
    open_page(page, "mailbox")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    page.get_by_text("XF").first.wait_for(state="attached")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 54)  # the first row's selection box
    page.get_by_text("办理下一步").wait_for()
    wait_ready(page)
    return ctx, page


def _choose_step(page, step: str) -> None:
    sel = page.locator("[data-testid='stSelectbox']:visible").filter(
        has=page.get_by_text("下一步", exact=True)).first
    sel.scroll_into_view_if_needed()
    sel.locator("input").first.click()
    page.get_by_role("option").filter(has_text=step).first.click()
    wait_ready(page)


def test_two_tabs_on_one_letter(two_tab_server, browser) -> None:
    base, url = two_tab_server
    with session_scope("staff", url=url) as s:
        mailbox = s.execute(select(models.Mailbox.id).order_by(models.Mailbox.id)).scalars().first()
        actor = District(url, 0, [1], [1], [], [], []).admin()
        deputy = s.execute(select(models.Deputy.id).join(models.District, models.District.group_id == models.Deputy.group_id)
                           .join(models.Mailbox, models.Mailbox.district_id == models.District.id)
                           .where(models.Mailbox.id == mailbox).order_by(models.Deputy.id)).scalars().first()
        lid = letters.register(s, actor, {  # 交代表 needs a deputy in charge
            "mailbox_id": mailbox, "deputy_id": deputy, "received_on": clock.today(), "writer_name": "李四",
            "writer_phone": "13900000001", "summary": "楼道灯不亮", "category": "城乡建设"}).id
    dispose_all()
    ctx_b, b = _open_letter(browser, base, "staff")
    ctx_a, a = _open_letter(browser, base, "admin")
    _choose_step(b, "不予受理")
    reason = b.locator("[aria-label='理由']:visible").first
    reason.fill("不属于受理范围")
    reason.press("Tab")
    wait_ready(b)
    _choose_step(a, "交代表")
    a.get_by_role("button", name="确认办理").click()
    a.get_by_text("已办理：交代表").wait_for()
    b.get_by_role("button", name="确认办理").click()  # closing asks first
    b.get_by_role("button", name="确认", exact=True).click()
    b.get_by_text("已被他人修改").first.wait_for()
    wait_ready(b)
    shot(b, "two_tabs_refused", "[data-testid='stMain']")
    assert "管理员（admin）" in b.locator("[data-testid='stMain']").inner_text()
    ctx_a.close()
    ctx_b.close()
    dispose_all()
    with session_scope(url=url) as s:
        assert s.get(models.Letter, lid).status == "已交代表"
        steps = s.execute(select(models.LetterEvent.to_status).where(models.LetterEvent.letter_id == lid)
                          .order_by(models.LetterEvent.id)).scalars().all()
    assert steps == ["登记", "已交代表"]
