"""系统设置 in a real browser: the admin changes the letter deadlines, is refused beside the field,
confirms the recompute and reads how many letters moved."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from db.engine import dispose_all, session_scope
from services import settings
from tests.browser import _require_browser, login, shot, start_server, stop_server, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def set_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server of its own (the test changes settings); yields (base URL, database URL)."""
    _require_browser()
    base, proc, url = start_server(tmp_path_factory.mktemp("settings"))
    yield base, url
    stop_server(proc)
    dispose_all()


def _open_settings(page) -> None:  # noqa: ANN001
    """Open 系统设置 from the sidebar navigation. The admin has more pages than the navigation
    shows at first: 系统设置 sits behind its "View N more" toggle until that is expanded."""
    from services.common import PAGES

    title = PAGES["settings"][0]
    nav = page.locator("[data-testid='stSidebarNav']")
    link = nav.locator("a").filter(has_text=title).first
    if not link.is_visible():
        nav.get_by_text(re.compile(r"^View \d+ more$")).first.click()
        link.wait_for(state="visible")
    link.click()
    page.locator("h1", has_text=title).first.wait_for(timeout=30_000)
    wait_ready(page)


def _card(page, title: str):  # noqa: ANN001, ANN202
    """The bordered block of one setting (the innermost block holding its heading)."""
    return page.locator("[data-testid='stVerticalBlock']").filter(has=page.get_by_role("heading", name=title)).last


def test_admin_changes_the_letter_deadlines(set_server, page) -> None:
    base, url = set_server
    login(page, base, "admin")
    _open_settings(page)
    card = _card(page, "来信各环节办理时限")
    card.get_by_text("修改", exact=True).click()
    card.get_by_label("交给代表（工作日）").fill("11")
    card.get_by_label("转办（工作日）").fill("12")
    card.get_by_role("button", name="保存").click()
    wait_ready(page)
    card = _card(page, "来信各环节办理时限")
    card.locator("[data-testid='stAlert']").filter(has_text="交给代表的时限（11 个工作日）不能长于首次答复时限").first.wait_for()
    assert card.get_by_label("交给代表（工作日）").input_value() == "11"  # the input stays
    shot(page, "settings_refused", "[data-testid='stMain']")
    card.get_by_label("交给代表（工作日）").fill("2")
    card.get_by_role("button", name="保存").click()
    wait_ready(page)
    card = _card(page, "来信各环节办理时限")
    card.get_by_text("保存后将立即重新计算 0 件未结案来信的办理期限").wait_for()
    with session_scope(url=url) as s:
        assert settings.get(s, "letter_deadlines")["forward"] == 10  # asked, not saved yet
    card.get_by_role("button", name="确认修改").click()
    wait_ready(page)
    card = _card(page, "来信各环节办理时限")
    card.get_by_text("已重新计算 0 件未结案来信的办理期限，其中 0 件的期限有变化").wait_for()
    shot(page, "settings_saved", "[data-testid='stMain']")
    with session_scope(url=url) as s:
        assert settings.get(s, "letter_deadlines") == {"handed": 2, "reply": 10, "forward": 12, "feedback": 40}
