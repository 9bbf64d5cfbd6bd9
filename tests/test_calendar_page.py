"""AppTest: the 工作日历 page (admin alone, pinyin url path): the overview, the form pre-filled from
the package, a save that reports how many due dates moved, and a template to download."""

from __future__ import annotations

from datetime import date

import pytest

from db import models
from db.engine import session_scope
from services import letters
from services.common import PAGES, URL_PATHS
from tests.conftest import app_as, goto, submit


def test_the_calendar_is_the_admins_alone(app_world):
    assert PAGES["calendar"] == ("工作日历", ("admin",)) and URL_PATHS["calendar"] == "rili"
    for role in ("staff", "supervisor", "leader"):
        with pytest.raises(KeyError):
            goto(app_as(role), "calendar")


def test_admin_saves_next_year_from_the_form(app_world, travel):
    travel("2026-12-20")
    with session_scope("staff", app_world.url) as s:
        lid = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "received_on": date(2026, 12, 15), "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "路灯损坏", "category": "城乡建设"}).id
    at = app_as("admin", "calendar")
    assert not at.exception
    assert "工作日历" in [t.value for t in at.title]
    assert at.selectbox(key="cal_year").value == 2027
    assert any("日历未确认" in c.value for c in at.caption)  # 2027 is not entered, the package has no 调休
    assert at.get("download_button")
    submit(at, "cal_save_2027").click().run()
    assert not at.exception
    done = [x.value for x in at.success]
    assert any("已保存2027年工作日历" in x and "件未结案来信" in x for x in done), done
    with session_scope(url=app_world.url) as s:
        assert s.get(models.CalendarYear, 2027).entered_by == "管理员"
        assert s.get(models.Letter, lid).resolve_due.year == 2027
    # the same save again: nothing changes, and the page says so
    submit(at, "cal_save_2027").click().run()
    assert any("未作修改" in x.value for x in at.success)
