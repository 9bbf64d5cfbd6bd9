"""Every remaining record-changing form saves once, on the version the user saw (issue 12), on the
pages (AppTest): a double click (the same drawn form submitted twice) stores one change, and a
form drawn before a colleague's save (two sessions on one database) is refused, in Chinese,
naming who changed what and when, with the user's input kept."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from tests.conftest import app_as, submit


def _messages(at) -> str:  # noqa: ANN001
    return " ".join(x.value for x in [*at.error, *at.info, *at.success, *at.warning])


def _pick(at, grid: str, row: int):  # noqa: ANN001, ANN202
    """Select row ``row`` of the data_table ``grid`` and rerun."""
    at.session_state[f"{grid}__grid"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    return at


def _changes(entity: str, entity_id: object, action: str = "修改") -> int:
    with session_scope("t") as s:
        A = models.AuditLog
        return s.execute(select(func.count()).select_from(A).where(
            A.entity == entity, A.entity_id == str(entity_id), A.action == action)).scalar_one()


def _twice(at, slot: str, button: str, fill) -> None:  # noqa: ANN001
    """Submit the form ``button`` (filled by ``fill``), then submit the same drawn form again (a
    double click whose first rerun was cut short: the old token and version come back)."""
    drawn = dict(at.session_state[slot])
    fill(at)
    submit(at, button).click().run()
    assert not at.exception, at.exception
    at.session_state[slot] = drawn
    at.run()
    fill(at)
    submit(at, button).click().run()
    assert not at.exception, at.exception
    assert "重复点击" in _messages(at), _messages(at)


# ---------------------------------------------------------------- 用户管理

def _staff_user() -> models.User:
    with session_scope("t") as s:
        u = s.execute(select(models.User).where(models.User.username == "staff")).scalar_one()
        s.expunge(u)
        return u


def _user_page():  # noqa: ANN202
    return _pick(app_as("admin", "users"), "usr_list", 2)  # admin, leader, staff, supervisor


def test_user_edit_double_submit_saves_once(app_world) -> None:
    uid = _staff_user().id
    at = _user_page()

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key=f"usr_e{uid}_name").set_value("王工作甲")  # in a form: sent with the submit

    _twice(at, f"usr__intent__{uid}", f"usr_save_{uid}", fill)
    assert _staff_user().display_name == "王工作甲"
    assert _changes("User", uid) == 1


def test_user_edit_on_a_stale_page_is_refused_and_keeps_the_input(app_world) -> None:
    uid = _staff_user().id
    b = _user_page()
    a = _user_page()
    a.selectbox(key=f"usr_e{uid}_role").set_value("supervisor")
    submit(a, f"usr_save_{uid}").click().run()
    assert _staff_user().role == "supervisor"
    b.text_input(key=f"usr_e{uid}_name").set_value("王工作乙")
    submit(b, f"usr_save_{uid}").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "角色" in msg and "未保存" in msg, msg
    u = _staff_user()
    assert (u.display_name, u.role) == ("王工作", "supervisor")
    assert b.text_input(key=f"usr_e{uid}_name").value == "王工作乙"
    assert b.selectbox(key=f"usr_e{uid}_role").value == "supervisor"  # untouched: reloaded
    submit(b, f"usr_save_{uid}").click().run()
    assert _staff_user().display_name == "王工作乙" and _staff_user().role == "supervisor"


def test_password_reset_double_submit_and_stale(app_world) -> None:
    uid = _staff_user().id
    b = _user_page()
    a = _user_page()

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key=f"usr_pw{uid}_1").set_value("Apassword123")
        at.text_input(key=f"usr_pw{uid}_2").set_value("Apassword123")

    _twice(a, f"usr__intent__{uid}", f"usr_pw_{uid}", fill)
    assert _changes("User", uid) == 1
    from services import auth

    assert auth.check_password("Apassword123", _staff_user().password_hash)
    b.text_input(key=f"usr_pw{uid}_1").set_value("Bpassword123")
    b.text_input(key=f"usr_pw{uid}_2").set_value("Bpassword123")
    submit(b, f"usr_pw_{uid}").click().run()
    assert "密码" in _messages(b) and "未保存" in _messages(b), _messages(b)
    assert auth.check_password("Apassword123", _staff_user().password_hash)


def test_create_user_double_submit_creates_one(app_world) -> None:
    at = app_as("admin", "users")

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key="usr_new_username").set_value("newstaff")
        at.text_input(key="usr_new_name").set_value("新同事")
        at.text_input(key="usr_new_password").set_value("Abcdefg123")

    _twice(at, "usr_new__intent__0", "usr_new_save", fill)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.User).where(
            models.User.username == "newstaff")).scalar_one() == 1


# ---------------------------------------------------------------- 基础数据: 代表组, 选区, 办事处, 届次, 信箱

MASTER = [("md_grp", models.DeputyGroup), ("md_dist", models.District), ("md_off", models.Office),
          ("md_term", models.Term), ("md_box", models.Mailbox)]


def _md_page(grid: str):  # noqa: ANN202
    """基础数据 as admin with the first row of ``grid`` open; returns (page, record id)."""
    at = _pick(app_as("admin", "masterdata"), grid, 0)
    ids = {int(x.key[len(grid) + 2:-5]) for x in at.text_input
           if (x.key or "").startswith(f"{grid}_e") and x.key.endswith("_name")}
    assert len(ids) == 1, ids
    return at, ids.pop()


def _rename(at, grid: str, rid: int, name: str) -> None:  # noqa: ANN001
    """Type ``name`` into the record's form (a mailbox of the test world has no keeper yet: pick one)."""
    at.text_input(key=f"{grid}_e{rid}_name").set_value(name)
    if grid == "md_box":
        box = at.selectbox(key=f"{grid}_e{rid}_deputy")
        box.select_index(1)


def _name_of(cls, rid: int) -> str:  # noqa: ANN001
    with session_scope("t") as s:
        return s.get(cls, rid).name


@pytest.mark.parametrize(("grid", "cls"), MASTER, ids=[g for g, _ in MASTER])
def test_master_data_double_submit_saves_once(app_world, grid, cls) -> None:  # noqa: ANN001
    at, rid = _md_page(grid)

    def fill(at) -> None:  # noqa: ANN001
        _rename(at, grid, rid, "0改名后")

    _twice(at, f"{grid}__intent__{rid}", f"{grid}_e{rid}_save", fill)
    assert _name_of(cls, rid) == "0改名后"
    assert _changes(cls.__name__, rid) == 1


@pytest.mark.parametrize(("grid", "cls"), MASTER, ids=[g for g, _ in MASTER])
def test_master_data_stale_edit_and_deactivate_are_refused(app_world, grid, cls) -> None:  # noqa: ANN001
    """B's page was drawn before A renamed the record: B's rename and B's 停用 are refused naming
    A; B's typed name stays; A's name is stored; after the refusal B's retry applies."""
    b, rid = _md_page(grid)
    a, _ = _md_page(grid)
    _rename(a, grid, rid, "A 改的名称")
    submit(a, f"{grid}_e{rid}_save").click().run()
    assert _name_of(cls, rid) == "A 改的名称"
    _rename(b, grid, rid, "B 改的名称")
    submit(b, f"{grid}_e{rid}_save").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "名称" in msg and "未保存" in msg, msg
    assert _name_of(cls, rid) == "A 改的名称"
    assert b.text_input(key=f"{grid}_e{rid}_name").value == "B 改的名称"
    # B has now seen A's change: a deliberate retry applies
    submit(b, f"{grid}_e{rid}_save").click().run()
    assert _name_of(cls, rid) == "B 改的名称", _messages(b)
    # 停用 on a page drawn before A's second save: refused, still active
    b2, _ = _md_page(grid)
    a, _ = _md_page(grid)
    _rename(a, grid, rid, "A 再改")
    submit(a, f"{grid}_e{rid}_save").click().run()
    assert _name_of(cls, rid) == "A 再改", _messages(a)
    toggle = f"{grid}_e{rid}_toggle"
    if any((x.key or "").startswith(toggle + "_") for x in b2.button):  # 届次 has no 停用 button
        submit(b2, toggle).click().run()
        assert "已被他人修改" in _messages(b2), _messages(b2)
        with session_scope("t") as s:
            assert s.get(cls, rid).active is True


# ---------------------------------------------------------------- 系统设置

def _setting(key: str) -> object:
    from services import settings

    with session_scope("t") as s:
        return settings.get(s, key)


def test_setting_double_submit_saves_once(app_world) -> None:
    at = app_as("admin", "settings")

    def fill(at) -> None:  # noqa: ANN001
        at.number_input(key="set_r1_min_activities__in").set_value(3)

    _twice(at, "set_r1_min_activities__intent__r1_min_activities", "set_r1_min_activities__save", fill)
    assert _setting("r1_min_activities") == 3
    assert _changes("Setting", "r1_min_activities") + _changes("Setting", "r1_min_activities", "新增") == 1


def test_setting_on_a_stale_page_is_refused_naming_who(app_world) -> None:
    b = app_as("admin", "settings")
    a = app_as("admin", "settings")
    a.number_input(key="set_r1_min_activities__in").set_value(3)
    submit(a, "set_r1_min_activities__save").click().run()
    assert _setting("r1_min_activities") == 3
    b.number_input(key="set_r1_min_activities__in").set_value(4)
    submit(b, "set_r1_min_activities__save").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "admin" in msg and "未保存" in msg and "3 次" in msg, msg
    assert _setting("r1_min_activities") == 3
    assert b.number_input(key="set_r1_min_activities__in").value == 4


# ---------------------------------------------------------------- 述职: plan, publication, rectification, hearing

YEAR = 2026  # year 3 of the world's term


def _reports_page(role: str, w):  # noqa: ANN001, ANN202
    at = app_as(role, "reports")
    at.selectbox(key="rep_plan_group").set_value(w.groups[0]).run()
    assert not at.exception, at.exception
    return at


def _plan_items(w) -> set[int]:
    from services import reports

    with session_scope(url=w.url) as s:
        return {i["deputy_id"] for i in reports.plan_detail(s, w.admin(), w.groups[0], YEAR)["items"]}


def test_plan_double_submit_saves_once_and_stale_plan_is_refused(app_world, travel) -> None:
    travel("2026-06-15")
    w = app_world
    ms = f"rep_plan_dep_{w.groups[0]}_{YEAR}_0"
    b = _reports_page("staff", w)
    b.multiselect(key=ms).select(w.deputies[2]).run()
    a = _reports_page("staff", w)
    a.multiselect(key=ms).select(w.deputies[0]).run()

    def fill(at) -> None:  # noqa: ANN001
        at.multiselect(key=ms).set_value([w.deputies[0]]).run()

    _twice(a, f"rep_plan__intent__{w.groups[0]}_{YEAR}", "rep_plan_save", fill)
    assert _plan_items(w) == {w.deputies[0]}
    with session_scope("t") as s:
        assert s.execute(select(models.ReportPlan.version)).scalar_one() == 1  # saved once
    submit(b, "rep_plan_save").click().run()  # B's page showed no plan yet
    assert not b.exception
    msg = _messages(b)
    assert "王工作（staff）" in msg and "未保存" in msg, msg
    assert _plan_items(w) == {w.deputies[0]}
    assert b.multiselect(key=ms).value == [w.deputies[2]]  # B's choice kept
    # the lock button of a page drawn before another save is refused too
    c = _reports_page("staff", w)
    submit(b, "rep_plan_save").click().run()  # B's deliberate retry on the plan it now sees
    assert _plan_items(w) == {w.deputies[2]}
    submit(c, "rep_plan_lock").click().run()
    assert "已被他人修改" in _messages(c), _messages(c)
    with session_scope("t") as s:
        assert s.execute(select(models.ReportPlan.locked)).scalar_one() is False


def _meeting(w) -> int:
    from services import clock, reports

    with session_scope("staff", url=w.url) as s:
        reports.save_plan(s, w.staff(), w.groups[0], YEAR, [{"deputy_id": w.deputies[0]}])
        return reports.save_meeting(s, w.staff(), {"deputy_id": w.deputies[0], "year": YEAR,
                                                   "held_on": clock.today(), "venue": "社区", "voters_present": 10,
                                                   "satisfied": 7, "basically_satisfied": 0, "unsatisfied": 3})


def _pub_page(w):  # noqa: ANN001, ANN202
    at = app_as("staff", "reports")
    at.checkbox(key="rep_pub_t__f_all").check().run()  # 含已刊登: the row stays after a save
    return _pick(at, "rep_pub_t", 0)


def _issue(rid: int) -> str | None:
    with session_scope("t") as s:
        return s.get(models.Report, rid).publication_issue


def test_publication_double_submit_and_stale(app_world, travel) -> None:
    travel("2026-06-15")
    w = app_world
    rid = _meeting(w)
    b = _pub_page(w)
    a = _pub_page(w)

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key=f"rep_pub{rid}_issue").set_value("2026年第1期").run()

    _twice(a, f"rep_pub__intent__{rid}", f"rep_pub{rid}_save", fill)
    assert _issue(rid) == "2026年第1期"
    assert _changes("Report", rid) == 1
    b.text_input(key=f"rep_pub{rid}_issue").set_value("2026年第9期").run()
    submit(b, f"rep_pub{rid}_save").click().run()
    msg = _messages(b)
    assert "王工作（staff）" in msg and "刊登期号" in msg and "未保存" in msg, msg
    assert _issue(rid) == "2026年第1期"
    assert b.text_input(key=f"rep_pub{rid}_issue").value == "2026年第9期"


def _rect(w, rid: int) -> int:
    from services import reports

    with session_scope("staff", url=w.url) as s:
        return reports.add_rectification(s, w.staff(), rid, {"content": "加强走访", "owner": "张三",
                                                             "due_on": date(YEAR, 9, 30)})


def test_rectification_update_double_submit_and_stale(app_world, travel) -> None:
    travel("2026-06-15")
    w = app_world
    xid = _rect(w, _meeting(w))
    b = _pick(app_as("staff", "reports"), "rep_rect_t", 0)
    a = _pick(app_as("staff", "reports"), "rep_rect_t", 0)

    def fill(at) -> None:  # noqa: ANN001
        at.selectbox(key=f"rep_rect{xid}_status").set_value("已完成").run()

    _twice(a, f"rep_rect__intent__{xid}", f"rep_rect{xid}_save", fill)
    assert _changes("Rectification", xid) == 1
    b.date_input(key=f"rep_rect{xid}_ann").set_value(date(YEAR, 6, 1)).run()
    submit(b, f"rep_rect{xid}_save").click().run()
    msg = _messages(b)
    assert "王工作（staff）" in msg and "已完成" in msg and "未保存" in msg, msg
    with session_scope("t") as s:
        x = s.get(models.Rectification, xid)
        assert (x.status, x.announced_on) == ("已完成", None)
    assert b.date_input(key=f"rep_rect{xid}_ann").value == date(YEAR, 6, 1)


def test_new_rectification_and_hearing_double_submit_store_one(app_world, travel) -> None:
    travel("2026-06-15")
    w = app_world
    _meeting(w)
    at = app_as("staff", "reports")

    def fill(at) -> None:  # noqa: ANN001
        at.text_area(key="rep_rect_new0_content").set_value("完善联系制度")
        at.text_input(key="rep_rect_new0_owner").set_value("李四")
        at.date_input(key="rep_rect_new0_due").set_value(date(YEAR, 10, 1)).run()

    drawn = dict(at.session_state["rep_rect_new__intent__0"])
    fill(at)
    submit(at, "rep_rect_new0_save").click().run()
    at.session_state["rep_rect_new__intent__0"] = drawn
    at.session_state["rep_rect__gen"] = 0  # the old form (a double click's second rerun)
    at.run()
    fill(at)
    submit(at, "rep_rect_new0_save").click().run()
    assert "重复点击" in _messages(at), _messages(at)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.Rectification)).scalar_one() == 1

    sup = app_as("supervisor", "reports")

    def fill_h(at) -> None:  # noqa: ANN001
        at.text_area(key="rep_hear_new0_points").set_value("加强选民联系").run()

    drawn = dict(sup.session_state["rep_hear_new__intent__0"])
    fill_h(sup)
    submit(sup, "rep_hear_new0_save").click().run()
    sup.session_state["rep_hear_new__intent__0"] = drawn
    sup.session_state["rep_hear__gen"] = 0
    sup.run()
    fill_h(sup)
    submit(sup, "rep_hear_new0_save").click().run()
    assert "重复点击" in _messages(sup), _messages(sup)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.Hearing)).scalar_one() == 1


# ---------------------------------------------------------------- 季度汇总: the submit mark

def _quarter_page(role: str, w):  # noqa: ANN001, ANN202
    at = app_as(role, "quarterly")
    at.selectbox(key="qs_group").set_value(w.groups[0])
    at.selectbox(key="qs_year").set_value(YEAR)
    at.selectbox(key="qs_q").set_value(1).run()
    assert not at.exception, at.exception
    return at


def _marks(w) -> list:
    with session_scope("t") as s:
        return list(s.execute(select(models.QuarterlySummary.submitted_at, models.QuarterlySummary.version)).all())


def test_quarterly_mark_double_submit_and_stale(app_world, travel) -> None:
    travel("2026-06-15")
    w = app_world
    slot = f"qs_submit__intent__{w.groups[0]}_{YEAR}_1"
    b = _quarter_page("staff", w)  # drawn: not submitted
    a = _quarter_page("staff", w)
    drawn = dict(a.session_state[slot])
    submit(a, "qs_submit_btn").click().run()
    assert [v for _at, v in _marks(w)] == [1]
    assert not [x for x in a.button if (x.key or "").startswith("qs_submit_btn")]  # the old button is gone
    # the second click of a double click carries the drawn form's token: refused by the service
    from services import intents, quarterly
    from services.common import DuplicateSubmit

    with pytest.raises(DuplicateSubmit, match="重复点击"):
        intents.submit("staff", lambda s: quarterly.submit(s, w.staff(), w.groups[0], YEAR, 1, "", drawn["seen"]),
                       token=drawn["token"])
    assert [v for _at, v in _marks(w)] == [1]  # marked once
    # the admin withdraws; B's page (drawn before the mark) marks again: refused, naming the admin
    adm = _quarter_page("admin", w)
    adm2 = _quarter_page("admin", w)
    submit(adm, "qs_withdraw").click().run()
    assert _marks(w)[0][0] is None
    submit(b, "qs_submit_btn").click().run()
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    assert _marks(w)[0][0] is None
    # a second admin tab, drawn while it was submitted, withdraws again: its rerun finds the mark
    # gone, the button no longer exists, nothing is written and the page shows the mark as it is
    before = _marks(w)
    submit(adm2, "qs_withdraw").click().run()
    assert not adm2.exception
    assert _marks(w) == before
    assert [x for x in adm2.button if (x.key or "").startswith("qs_submit_btn")]


# ---------------------------------------------------------------- 开箱记录

def test_opening_double_submit_stores_one_and_a_colleagues_same_opening_names_who(app_world) -> None:
    box = app_world.mailboxes[0]

    def fill(at) -> None:  # noqa: ANN001
        at.selectbox(key="mb_box").set_value(box).run()
        at.text_input(key=f"mb_by_{box}").set_value("陈联络")
        at.number_input(key="mb_n").set_value(2).run()

    b = app_as("staff", "mailbox")
    fill(b)
    a = app_as("staff", "mailbox")
    _twice(a, "mb_open__intent__0", "mb_save", fill)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.MailboxOpening)).scalar_one() == 1
    # a colleague's tab records the same opening: refused beside the date, naming who recorded it
    submit(b, "mb_save").click().run()
    assert not b.exception
    msg = " ".join(e.value for e in b.error)
    assert "该信箱当天已有开箱记录" in msg and "王工作（staff）" in msg and "新增" in msg, msg
    assert b.number_input(key="mb_n").value == 2  # input kept
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.MailboxOpening)).scalar_one() == 1


# ---------------------------------------------------------------- 出席: the attendance sheet

def _event(w) -> int:
    from services import attendance

    with session_scope("staff", url=w.url) as s:
        return attendance.create_event(s, w.staff(), {"kind": "视察", "title": "视察老旧小区改造",
                                                      "held_on": date(YEAR, 1, 15), "all_serving": True})


def _sheet_page(eid: int):  # noqa: ANN202
    at = app_as("staff", "attendance")
    at.session_state["att_event"] = eid
    at.run()
    assert not at.exception, at.exception
    return at


def _mark(at, eid: int, row: int, status: str) -> None:  # noqa: ANN001
    key = f"att_sheet_{eid}_ed{at.session_state[f'att_sheet_{eid}__gen'] if f'att_sheet_{eid}__gen' in at.session_state else 0}"
    at.session_state[key] = {"edited_rows": {row: {"出席情况": status}}, "added_rows": [], "deleted_rows": []}
    at.run()


def _statuses(eid: int) -> dict:
    with session_scope("t") as s:
        A = models.Attendance
        return dict(s.execute(select(A.deputy_id, A.status).where(A.event_id == eid)).all())


def test_attendance_sheet_double_submit_and_stale(app_world, travel) -> None:
    travel("2026-06-15")
    eid = _event(app_world)
    b = _sheet_page(eid)
    a = _sheet_page(eid)
    slot = f"att_sheet_{eid}__intent__0"
    drawn = dict(a.session_state[slot])
    _mark(a, eid, 0, "缺席")
    submit(a, f"att_sheet_{eid}_save").click().run()
    assert list(_statuses(eid).values()).count("缺席") == 1
    a.session_state[slot] = drawn  # the second click of a double click: the drawn sheet and token
    a.session_state[f"att_sheet_{eid}__gen"] = 0
    _mark(a, eid, 0, "缺席")
    submit(a, f"att_sheet_{eid}_save").click().run()
    assert "重复点击" in _messages(a), _messages(a)
    with session_scope("t") as s:
        A = models.AuditLog
        assert s.execute(select(func.count()).select_from(A).where(
            A.entity == "Attendance", A.entity_id.like(f"{eid}/%"), A.action == "修改")).scalar_one() == 1
    # B's sheet was drawn before A's save: B marks another deputy 请假 and is refused
    before = _statuses(eid)
    _mark(b, eid, 1, "请假")
    submit(b, f"att_sheet_{eid}_save").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "王工作（staff）" in msg and "缺席" in msg and "未保存" in msg, msg
    assert _statuses(eid) == before


# ---------------------------------------------------------------- 联系活动: delete

def test_activity_delete_carries_the_version_drawn(app_world) -> None:
    """B opens an activity; A edits it; B deletes from the page drawn before: refused naming A,
    the activity stays. B's own edit then delete on the redrawn page applies."""
    from tests.test_intents_pages import _activity, _open_activity, _summary

    aid = _activity(app_world)
    p = f"act_edit{aid}_g0"
    b = _open_activity("staff")
    a = _open_activity("admin")
    a.text_area(key=f"{p}_summary").set_value("A 的内容").run()
    submit(a, f"{p}_save").click().run()
    assert _summary(aid) == "A 的内容"
    submit(b, f"act_del{aid}").click().run()
    submit(b, f"act_del{aid}_yes").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    with session_scope("t") as s:
        assert s.get(models.Activity, aid) is not None
    # a double click on 确认 of the redrawn page deletes once, without an error
    drawn = dict(b.session_state[f"act_edit{aid}__intent__{p}"])
    submit(b, f"act_del{aid}").click().run()
    submit(b, f"act_del{aid}_yes").click().run()
    with session_scope("t") as s:
        assert s.get(models.Activity, aid) is None
    assert _changes("Activity", aid, "删除") == 1
    from services import activities, intents
    from services.common import DuplicateSubmit

    with pytest.raises(DuplicateSubmit):
        intents.submit("staff", lambda s: activities.delete_activity(s, app_world.staff(), aid, drawn["seen"]),
                       token=drawn["token"])


def test_an_activity_deleted_under_an_open_edit_form_is_named(app_world) -> None:
    """B is editing an activity; A deletes it; B's 保存修改 finds no activity: B is told who
    deleted it and when (not an empty list without a word), nothing is written."""
    from tests.test_intents_pages import _activity, _open_activity

    aid = _activity(app_world)
    p = f"act_edit{aid}_g0"
    b = _open_activity("staff")
    b.text_area(key=f"{p}_summary").set_value("B 的内容").run()
    a = _open_activity("admin")
    submit(a, f"act_del{aid}").click().run()
    submit(a, f"act_del{aid}_yes").click().run()
    assert "已删除该活动" in _messages(a) and "您打开的活动已被删除" not in _messages(a)  # own delete: no notice
    with session_scope("t") as s:
        assert s.get(models.Activity, aid) is None
    submit(b, f"{p}_save").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "您打开的活动已被删除" in msg and "管理员（admin）" in msg and "删除" in msg, msg
    with session_scope("t") as s:
        assert s.get(models.Activity, aid) is None


def test_a_user_name_pasted_from_word_is_cleaned_and_bounded(app_world) -> None:
    """A display name pasted with Word's invisible characters: bidi marks, zero-width spaces and
    Shift+Enter are removed; only invisible characters is 请填写姓名; over 64 characters is refused
    beside the field (not a database error on PostgreSQL/MariaDB)."""
    from services import auth
    from services.common import ValidationError

    uid = _staff_user().id
    with session_scope("admin") as s:
        auth.update_user(s, app_world.admin(), uid, {"display_name": "\u200b王\u202e工作\x0b", "role": "staff",
                                                     "office_id": app_world.offices[0], "active": True})
    assert _staff_user().display_name == "王工作"
    for bad, word in (("\u200b\ufeff", "请填写姓名"), ("王" * 65, "不能超过64个字")):
        with session_scope("admin") as s, pytest.raises(ValidationError, match=word):
            auth.update_user(s, app_world.admin(), uid, {"display_name": bad, "role": "staff", "active": True})


# ---------------------------------------------------------------- a retry never re-sends a drawn value nobody chose

def test_setting_retry_after_a_stale_refusal_keeps_the_part_another_admin_changed(app_world) -> None:
    """report_share has two parts. A raises the low end to 25 %; B (drawn before) lowers the high
    end to 28 %: refused. B's form now shows A's low end (B never touched it) and keeps B's high
    end; B's retry stores 25 %–28 %, not B's stale 20 %."""
    b = app_as("admin", "settings")
    a = app_as("admin", "settings")
    a.number_input(key="set_report_share__in_min").set_value(25.0)
    submit(a, "set_report_share__save").click().run()
    assert _setting("report_share") == {"min": 0.25, "max": 0.3}
    b.number_input(key="set_report_share__in_max").set_value(28.0)
    submit(b, "set_report_share__save").click().run()
    assert "未保存" in _messages(b)
    assert b.number_input(key="set_report_share__in_min").value == 25.0
    assert b.number_input(key="set_report_share__in_max").value == 28.0
    submit(b, "set_report_share__save").click().run()
    assert _setting("report_share") == {"min": 0.25, "max": 0.28}, _messages(b)


def test_rectification_retry_after_a_stale_refusal_does_not_reopen_it(app_world, travel) -> None:
    """A marks an item 已完成; B (drawn before) only sets the 通报日期: refused; B's status field
    now shows 已完成 (untouched, reloaded), so B's retry does not put 未完成 back."""
    travel("2026-06-15")
    w = app_world
    xid = _rect(w, _meeting(w))
    b = _pick(app_as("staff", "reports"), "rep_rect_t", 0)
    a = _pick(app_as("staff", "reports"), "rep_rect_t", 0)
    a.selectbox(key=f"rep_rect{xid}_status").set_value("已完成").run()
    submit(a, f"rep_rect{xid}_save").click().run()
    b.date_input(key=f"rep_rect{xid}_ann").set_value(date(YEAR, 6, 1)).run()
    submit(b, f"rep_rect{xid}_save").click().run()
    assert "未保存" in _messages(b)
    assert b.selectbox(key=f"rep_rect{xid}_status").value == "已完成"
    submit(b, f"rep_rect{xid}_save").click().run()
    with session_scope("t") as s:
        x = s.get(models.Rectification, xid)
        assert (x.status, x.announced_on) == ("已完成", date(YEAR, 6, 1)), _messages(b)


def test_attendance_retry_after_a_stale_refusal_marks_the_deputy_the_user_marked(app_world, travel) -> None:
    """B marks the third deputy of the sheet 缺席; A meanwhile takes the first deputy off the list
    (the rows move up). B's save is refused; B's sheet now shows the list as it is with B's mark on
    the same deputy (not on whoever is third now), and B's retry stores exactly that."""
    from services import attendance

    travel("2026-06-15")
    eid = _event(app_world)
    with session_scope("t") as s:
        rows = attendance.event_sheet(s, app_world.staff(), eid)
    first, third, fourth = rows[0]["deputy_id"], rows[2]["deputy_id"], rows[3]["deputy_id"]
    b = _sheet_page(eid)
    _mark(b, eid, 2, "缺席")
    with session_scope("staff") as s:
        attendance.save_attendance(s, app_world.staff(), eid, {first: attendance.NOT_INVITED})
    submit(b, f"att_sheet_{eid}_save").click().run()
    assert "未保存" in _messages(b), _messages(b)
    assert _statuses(eid)[third] == "出席"
    gen = b.session_state[f"att_sheet_{eid}__gen"]
    shown = b.data_editor(key=f"att_sheet_{eid}_ed{gen}").value
    marked = dict(zip(shown["deputy_id"], shown["出席情况"], strict=True))
    assert first not in marked and marked[third] == "缺席" and marked[fourth] == "出席"
    submit(b, f"att_sheet_{eid}_save").click().run()
    now = _statuses(eid)
    assert first not in now and now[third] == "缺席" and now[fourth] == "出席", _messages(b)
