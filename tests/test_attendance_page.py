"""The 出席与履职 page with AppTest: recording an event's attendance with one 缺席; figures vs SQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from db import models
from db.engine import session_scope
from services import attendance as svc
from tests.conftest import app_as, goto, submit

YEAR = 2026
P = "att_new0"


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def test_staff_records_an_event_with_one_absence(app_world):
    w = app_world
    at = app_as("staff", "attendance")
    assert not at.exception
    at.selectbox(key=f"{P}_kind").set_value("视察")
    at.date_input(key=f"{P}_on").set_value(date(YEAR, 1, 15))
    at.text_input(key=f"{P}_title").input("视察老旧小区改造")
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    assert at.success and "已创建“视察老旧小区改造”" in at.success[0].value
    with session_scope(url=w.url) as s:
        ev = s.execute(select(models.CongressEvent)).scalar_one()
        rows = s.execute(select(models.Attendance).where(models.Attendance.event_id == ev.id)).scalars().all()
        assert len(rows) == 10 and {r.status for r in rows} == {"出席"}  # the staff's office: 10 deputies
    key = f"att_sheet_{ev.id}"
    editor = at.data_editor(key=f"{key}_ed0")
    table = editor.value
    row = list(table["代表"]).index("张伟")
    at.session_state[f"{key}_ed0"] = {"edited_rows": {row: {"出席情况": "缺席"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    submit(at, f"{key}_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["已保存：出席 9 人，请假 0 人，缺席 1 人"]
    with session_scope(url=w.url) as s:
        absent = s.execute(select(models.Attendance.deputy_id).where(models.Attendance.status == "缺席")).scalars().all()
        assert absent == [w.deputies[0]]
    # the absence list and the rate table show it
    names = [list(df.value.get("代表", [])) for df in at.dataframe]
    assert any(n == ["张伟"] for n in names)


def test_bad_event_form_writes_nothing(app_world):
    w = app_world
    at = app_as("staff", "attendance")
    at.selectbox(key=f"{P}_kind").set_value("人代会")
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    msgs = [e.value for e in at.error]
    assert "请填写名称" in msgs and "人代会请填写第几次会议" in msgs
    with session_scope(url=w.url) as s:
        assert s.execute(select(models.CongressEvent)).first() is None


def test_figures_match_direct_sql_and_open_the_absence_list(app_world):
    w = app_world
    with session_scope("admin", url=w.url) as s:
        e1 = svc.create_event(s, w.admin(), {"kind": "人代会", "title": "一次会议", "held_on": date(YEAR, 1, 8),
                                             "session_no": 1, "all_serving": True})
        svc.save_attendance(s, w.admin(), e1, {w.deputies[0]: "缺席", w.deputies[11]: "缺席", w.deputies[1]: "请假"})
    with session_scope(url=w.url) as s:
        fig = next(f for f in svc.figures(s, w.staff(), YEAR) if f.params.get("view") == "absent")
        direct = s.execute(text(
            "SELECT COUNT(*) FROM attendance a JOIN congress_events e ON e.id = a.event_id "
            "JOIN deputies d ON d.id = a.deputy_id JOIN deputy_groups g ON g.id = d.group_id "
            "WHERE a.status = '缺席' AND g.office_id = :o AND e.held_on BETWEEN :lo AND :hi"),
            {"o": w.offices[0], "lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).scalar_one()
    assert fig.value == direct == 1  # deputies[11] is in the other office
    at = app_as("staff", None)
    for k, v in fig.params.items():
        at.query_params[k] = v
    goto(at, "attendance")
    assert not at.exception
    assert any(f"共 {direct} 人次" in c.value for c in at.caption)
