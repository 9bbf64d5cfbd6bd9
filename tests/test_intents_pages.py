"""Every save is the one the user meant (issue 12), on the pages (AppTest): a double click stores
one step, a form drawn before someone else's save is refused with who did what (the user's input
kept), and a step the user did not choose is never stored."""

from __future__ import annotations

from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import clock, letters
from tests.conftest import app_as, confirmed, submit


def _letter(world) -> int:
    """A new letter (登记) in the staff's scope."""
    with session_scope("staff") as s:
        return letters.register(s, world.staff(), {
            "mailbox_id": world.mailboxes[0], "deputy_id": world.deputies[0], "received_on": clock.today(), "writer_name": "李四",
            "writer_phone": "13900000001", "summary": "楼道灯不亮", "category": "城乡建设"}).id


def _open(role: str, lid: int):
    """The 代表信箱 page of ``role`` with letter ``lid`` open."""
    at = app_as(role, "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    assert not at.exception
    return at


def _steps(lid: int) -> list[str]:
    """The letter's history (states reached, undone steps left out)."""
    with session_scope("t") as s:
        return list(s.execute(select(models.LetterEvent.to_status).where(
            models.LetterEvent.letter_id == lid, models.LetterEvent.undone.is_(False))
            .order_by(models.LetterEvent.id)).scalars())


def _status(lid: int) -> str:
    with session_scope("t") as s:
        return s.get(models.Letter, lid).status


def _messages(at) -> str:
    return " ".join(x.value for x in [*at.error, *at.info, *at.success, *at.warning])


def test_double_click_on_a_step_stores_one_step(app_world) -> None:
    """The second click of a double click arrives with the form the first one was drawn with
    (its rerun was cut short before the page was redrawn): refused, one 已交代表, no 已回复."""
    lid = _letter(app_world)
    at = _open("staff", lid)
    at.selectbox(key=f"lt_to_{lid}").set_value("已交代表").run()
    slot = f"lt_step__intent__{lid}"
    drawn = dict(at.session_state[slot])
    first = submit(at, f"lt_go_{lid}")
    first.click().run()
    assert _status(lid) == "已交代表"
    # the first click's button is gone: a click on the old page names a button that does not exist
    assert not [b for b in at.button if b.key == first.key]
    # the second click of the same drawn form (its token) is refused by the service
    at.session_state[slot] = drawn
    at.run()
    at.selectbox(key=f"lt_to_{lid}").set_value("已回复")  # whatever the rerun offers as the next step
    submit(at, f"lt_go_{lid}").click().run()
    assert not at.exception
    assert _steps(lid) == ["登记", "已交代表"]
    assert "重复点击" in _messages(at)


def test_stale_form_is_refused_with_who_did_what_and_keeps_the_input(app_world) -> None:
    """Two people on one letter: A (admin) 交代表; B (staff), still on the 登记 form, chooses
    不予受理 with a reason: refused, nothing changes, B is told A did 交代表, B's reason stays."""
    lid = _letter(app_world)
    b = _open("staff", lid)
    b.selectbox(key=f"lt_to_{lid}").set_value("不予受理").run()
    b.text_input(key=f"lt_reason_{lid}").set_value("不属于人大代表联系范围").run()
    a = _open("admin", lid)
    a.selectbox(key=f"lt_to_{lid}").set_value("已交代表").run()
    submit(a, f"lt_go_{lid}").click().run()
    assert _status(lid) == "已交代表"
    confirmed(b, f"lt_go_{lid}")  # 不予受理 closes the letter: asked first
    assert not b.exception
    assert _status(lid) == "已交代表" and _steps(lid) == ["登记", "已交代表"]
    msg = _messages(b)
    assert "管理员（admin）" in msg and "已交代表" in msg and "未保存" in msg, msg
    assert b.text_input(key=f"lt_reason_{lid}").value == "不属于人大代表联系范围"
    # B has now seen the change: a deliberate second submit applies to the letter as it is
    confirmed(b, f"lt_go_{lid}")
    assert _status(lid) == "不予受理"


def test_a_step_the_user_did_not_choose_is_never_stored(app_world) -> None:
    """B opens the letter and does not touch the step list; A moves the letter on; B clicks
    确认办理: no step is stored for B (no default option is retargeted to 已回复)."""
    lid = _letter(app_world)
    b = _open("staff", lid)
    assert b.selectbox(key=f"lt_to_{lid}").value is None  # no step is preselected
    a = _open("admin", lid)
    a.selectbox(key=f"lt_to_{lid}").set_value("已交代表").run()
    submit(a, f"lt_go_{lid}").click().run()
    submit(b, f"lt_go_{lid}").click().run()
    assert not b.exception
    assert _steps(lid) == ["登记", "已交代表"]
    assert "请先选择下一步" in _messages(b) or "已被他人修改" in _messages(b)
    # B chose 已交代表 on the old form, A did it meanwhile: refused, not moved on to 已回复
    lid2 = _letter(app_world)
    b.session_state["lt_open"] = lid2
    b.run()
    b.selectbox(key=f"lt_to_{lid2}").set_value("已交代表").run()
    with session_scope("admin") as s:
        letters.transition(s, app_world.admin(), lid2, "已交代表")
    submit(b, f"lt_go_{lid2}").click().run()
    assert _steps(lid2) == ["登记", "已交代表"]


def test_pause_resume_and_undo_refuse_a_stale_form(app_world) -> None:
    """Pause on a form drawn before another user's step is refused; the admin's 撤销上一步 on a
    page drawn before a newer step does not undo the step it never showed."""
    lid = _letter(app_world)
    b = _open("staff", lid)
    b.text_input(key=f"lt_pause_note_{lid}").set_value("请补充具体楼号").run()
    with session_scope("admin") as s:
        letters.transition(s, app_world.admin(), lid, "已交代表")
    submit(b, f"lt_pause_{lid}").click().run()
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).paused_since is None
    assert "已被他人修改" in _messages(b)
    # undo: the admin's page shows 已交代表 as the last step; staff records 已回复 meanwhile
    a = _open("admin", lid)
    a.text_input(key=f"lt_undo_reason_{lid}").set_value("误操作").run()
    with session_scope("staff") as s:
        letters.transition(s, app_world.staff(), lid, "已回复", reply_content="已收到", reply_method="电话")
    submit(a, f"lt_undo_{lid}").click().run()
    assert _steps(lid) == ["登记", "已交代表", "已回复"]
    assert "已被他人修改" in _messages(a)


def test_own_step_then_undo_is_not_refused_as_stale(app_world) -> None:
    """The admin records a step and then undoes it on the redrawn page: the undo applies (the
    page's forms on one letter share one intent, renewed by any save)."""
    lid = _letter(app_world)
    a = _open("admin", lid)
    a.selectbox(key=f"lt_to_{lid}").set_value("已交代表").run()
    submit(a, f"lt_go_{lid}").click().run()
    assert _status(lid) == "已交代表"
    a.text_input(key=f"lt_undo_reason_{lid}").set_value("选错了").run()
    submit(a, f"lt_undo_{lid}").click().run()
    assert not a.exception
    assert _status(lid) == "登记", _messages(a)


def test_double_click_on_register_stores_one_letter(app_world) -> None:
    """登记 twice with the same drawn form: one letter."""
    def fill(at) -> None:
        at.selectbox(key="lt_0_mailbox").set_value(app_world.mailboxes[0])
        at.text_input(key="lt_0_name").set_value("张三丰")
        at.text_input(key="lt_0_phone").set_value("13812341234")
        at.text_area(key="lt_0_summary").set_value("小区门口路灯损坏三个月无人维修")
        at.selectbox(key="lt_0_category").set_value("城乡建设")
        at.run()

    at = app_as("staff", "mailbox")
    fill(at)
    drawn = dict(at.session_state["lt_reg__intent__0"])
    submit(at, "lt_submit").click().run()
    assert any("已登记来信" in x.value for x in at.success)
    # the second click of the same form: its rerun still has the old form, its fields and token
    at.session_state["lt_reg__intent__0"] = drawn
    at.session_state["lt_reg_n"] = 0
    at.run()
    fill(at)
    submit(at, "lt_submit").click().run()
    # the same letter is offered as a possible duplicate; saving anyway with the old form's token
    # is still refused
    at.button(key="lt_save_anyway").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.Letter)).scalar_one() == 1
    assert "重复点击" in _messages(at)


def _activity(world) -> int:
    from datetime import date

    from services import activities

    with session_scope("staff") as s:
        return activities.create_activity(s, world.staff(), {
            "held_on": date(clock.today().year, 1, 5) if clock.today().month > 1 or clock.today().day >= 5
            else clock.today(), "place": "社区", "district_id": world.districts[0], "organiser": "代表个人",
            "kind": "问需", "targets": ["一般选民"], "mode": "专门活动", "deputy_ids": [world.deputies[0]],
            "voters_reached": 12, "summary": "原来的内容"}, [])


def _open_activity(role: str):
    at = app_as(role, "activities")
    at.session_state["act_ledger__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    return at


def _summary(aid: int) -> str:
    with session_scope("t") as s:
        return s.get(models.Activity, aid).summary


def test_activity_edit_on_a_stale_form_is_refused_and_keeps_the_input(app_world) -> None:
    """A saves an edit; B, whose form was drawn before, saves too: B is told A changed it (who,
    when), A's text stays, B's text stays in B's form; B's deliberate second save applies."""
    aid = _activity(app_world)
    p = f"act_edit{aid}_g0"
    b = _open_activity("staff")
    b.text_area(key=f"{p}_summary").set_value("B 的内容").run()
    a = _open_activity("admin")
    a.text_area(key=f"{p}_summary").set_value("A 的内容").run()
    submit(a, f"{p}_save").click().run()
    assert not a.exception and _summary(aid) == "A 的内容"
    submit(b, f"{p}_save").click().run()
    assert not b.exception
    assert _summary(aid) == "A 的内容"
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    assert "已保存修改" not in msg
    assert b.text_area(key=f"{p}_summary").value == "B 的内容"
    submit(b, f"{p}_save").click().run()
    assert _summary(aid) == "B 的内容"
    assert "已保存修改" in _messages(b)


def test_after_a_stale_refusal_untouched_fields_show_the_new_record(app_world) -> None:
    """A changes the place; B (form drawn before) changes only the summary: refused; B's form now
    shows A's place (a field B never touched) and B's summary; B's retry keeps A's place."""
    aid = _activity(app_world)
    p = f"act_edit{aid}_g0"
    b = _open_activity("staff")
    b.text_area(key=f"{p}_summary").set_value("B 的内容").run()
    a = _open_activity("admin")
    a.text_input(key=f"{p}_place").set_value("A 改的地点").run()
    submit(a, f"{p}_save").click().run()
    submit(b, f"{p}_save").click().run()
    assert "已被他人修改" in _messages(b)
    assert b.text_input(key=f"{p}_place").value == "A 改的地点"
    assert b.text_area(key=f"{p}_summary").value == "B 的内容"
    submit(b, f"{p}_save").click().run()
    with session_scope("t") as s:
        act = s.get(models.Activity, aid)
        assert (act.place, act.summary) == ("A 改的地点", "B 的内容")


def test_activity_double_submit_saves_once(app_world) -> None:
    """Save, then the same drawn form again (a double click whose first rerun was cut short):
    refused as a repeat; one change in the log."""
    aid = _activity(app_world)
    p = f"act_edit{aid}_g0"
    at = _open_activity("staff")
    at.text_area(key=f"{p}_summary").set_value("改过的内容").run()
    slot = f"act_edit{aid}__intent__{p}"
    drawn = dict(at.session_state[slot])
    submit(at, f"{p}_save").click().run()
    assert _summary(aid) == "改过的内容"
    at.session_state[slot] = drawn
    at.session_state[f"act_edit{aid}__gen"] = 0
    at.run()
    at.text_area(key=f"{p}_summary").set_value("改过的内容").run()
    submit(at, f"{p}_save").click().run()
    assert not at.exception
    assert "重复点击" in _messages(at)
    with session_scope("t") as s:
        changes = s.execute(select(func.count()).select_from(models.AuditLog).where(
            models.AuditLog.entity == "Activity", models.AuditLog.action == "修改")).scalar_one()
    assert changes == 1


def test_opinion_step_on_a_stale_form_is_refused(app_world) -> None:
    """Two people on one opinion: A records 已转交; B's form, drawn before, records 已转交 too:
    refused with who did it, one step stored."""
    from datetime import date

    from services import opinions

    with session_scope("staff") as s:
        op_id = opinions.add_opinion(s, app_world.staff(), district_id=app_world.districts[0],
                                     deputy_id=app_world.deputies[0], raised_on=date(clock.today().year, 1, 1),
                                     content="路灯不亮", category="城乡建设", is_livelihood=True).id

    def open_op(role):
        at = app_as(role, "activities")
        at.radio(key="act_view").set_value("opinions").run()
        at.session_state["act_ops__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        at.run()
        assert at.selectbox(key=f"op{op_id}_g0_to").value is None  # no step preselected
        return at

    with session_scope("t") as s:
        ids = dict(s.execute(select(models.HandlingBody.name, models.HandlingBody.id)).all())
    b = open_op("staff")
    b.selectbox(key=f"op{op_id}_g0_to").set_value("已转交").run()
    b.selectbox(key=f"op{op_id}_g0_fw").set_value(ids["区住建局"])
    a = open_op("admin")
    a.selectbox(key=f"op{op_id}_g0_to").set_value("已转交").run()
    a.selectbox(key=f"op{op_id}_g0_fw").set_value(ids["区城管局"])
    submit(a, f"op{op_id}_g0_save").click().run()
    submit(b, f"op{op_id}_g0_save").click().run()
    assert not b.exception
    assert "管理员（admin）" in _messages(b)
    with session_scope("t") as s:
        op = s.get(models.Opinion, op_id)
        n = s.execute(select(func.count()).select_from(models.OpinionEvent).where(
            models.OpinionEvent.opinion_id == op_id)).scalar_one()
    assert op.forwarded_to == "区城管局"
    assert n == 2  # 登记 and A's 已转交
