"""The forms brought onto the intent pattern last (issue 12), on the pages (AppTest): each carries
the version the user saw and a token made when it was drawn. A double click (the same drawn form
submitted twice) stores one change; a form drawn before a colleague's save (two sessions on one
database) is refused, in Chinese, naming who changed what, with the user's input kept."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import clock, letters
from tests.conftest import app_as, submit


def _messages(at) -> str:  # noqa: ANN001
    return " ".join(x.value for x in [*at.error, *at.info, *at.success, *at.warning])


def _claimed(form: str) -> int:
    """How many tokens of ``form`` were used (one per stored save)."""
    with session_scope("t") as s:
        return s.execute(select(func.count()).select_from(models.FormIntent)
                         .where(models.FormIntent.form == form)).scalar_one()


# ---------------------------------------------------------------- 来信 补充办理结果分类

def _closed_letter_without_class(w) -> int:  # noqa: ANN001
    with session_scope("staff") as s:
        lid = letters.register(s, w.staff(), {"mailbox_id": w.mailboxes[0], "deputy_id": w.deputies[0],
                                              "received_on": clock.today(), "writer_name": "李四",
                                              "summary": "噪音", "category": "环境保护"}).id
        for step, kw in (("已交代表", {}), ("已回复", {"reply_content": "已收到", "reply_method": "书面"}),
                         ("已转办", {"forwarded_to": "区城管局"}), ("办理中", {}),
                         ("已办结", {"result": "已整改", "outcome": "A 已解决"})):
            letters.transition(s, w.staff(), lid, step, **kw)
    with session_scope("t") as s:
        s.get(models.Letter, lid).outcome = None
    return lid


def _open_letter(role: str, lid: int):  # noqa: ANN202
    at = app_as(role, "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    assert not at.exception
    return at


def _class_events(lid: int) -> int:
    with session_scope("t") as s:
        return s.execute(select(func.count()).select_from(models.LetterEvent).where(
            models.LetterEvent.letter_id == lid, models.LetterEvent.to_status == "补充分类")).scalar_one()


def test_letter_class_on_a_stale_page_is_refused_naming_who_and_keeps_the_choice(app_world) -> None:
    lid = _closed_letter_without_class(app_world)
    b = _open_letter("staff", lid)
    b.selectbox(key=f"lt_set_out_{lid}").set_value("C 列入计划逐步解决").run()
    with session_scope("admin") as s:  # a colleague corrects the summary meanwhile
        v = s.get(models.Letter, lid).version
    a = _open_letter("admin", lid)
    with session_scope("admin") as s:
        letters.edit_letter(s, app_world.admin(), lid, {"summary": "夜间施工噪音"}, expected_version=v)
    a.run()
    submit(b, f"lt_set_out_go_{lid}").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    assert _class_events(lid) == 0
    assert b.selectbox(key=f"lt_set_out_{lid}").value == "C 列入计划逐步解决"  # the choice is kept
    submit(b, f"lt_set_out_go_{lid}").click().run()  # seen now: a deliberate retry is stored
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).outcome == "C 列入计划逐步解决"


def test_letter_class_double_submit_stores_once(app_world) -> None:
    lid = _closed_letter_without_class(app_world)
    at = _open_letter("staff", lid)
    slot = f"lt_outcome__intent__{lid}"
    drawn = dict(at.session_state[slot])
    at.selectbox(key=f"lt_set_out_{lid}").set_value("B 正在解决").run()
    submit(at, f"lt_set_out_go_{lid}").click().run()
    assert any("已补充结果分类" in x.value for x in at.success)
    at.session_state[slot] = drawn  # the second click of the same drawn form
    at.run()
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith(f"lt_set_out_go_{lid}")]  # class given: no form
    _replayed(drawn["token"], "lt_outcome", lambda s: letters.set_outcome(s, app_world.staff(), lid, "A 已解决"))
    assert _class_events(lid) == 1 and _claimed("lt_outcome") == 1
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).outcome == "B 正在解决"


# ---------------------------------------------------------------- 议案建议 补充办理结果分类

def _answered_proposal_without_class(w) -> int:  # noqa: ANN001
    from services import proposals

    with session_scope("staff") as s:
        pid = proposals.create_proposal(s, w.staff(), {"kind": "建议", "title": "关于增设公交站的建议",
                                                       "lead_deputy_id": w.deputies[0],
                                                       "submitted_on": date(clock.today().year, 1, 2)})["id"]
        for to, kw in (("已交办", {"handling_body": "区交通局"}), ("办理中", {}),
                       ("已答复", {"result": "已增设", "outcome": "A 已解决"})):
            proposals.transition(s, w.staff(), pid, to, on=date(clock.today().year, 1, 3), **kw)
    with session_scope("t") as s:
        s.get(models.Proposal, pid).outcome = None
    return pid


def _open_proposal(role: str):  # noqa: ANN202
    at = app_as(role, "proposals")
    at.session_state["prop_list__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    return at


def test_proposal_class_on_a_stale_page_is_refused_and_a_double_submit_stores_once(app_world) -> None:
    from services import proposals

    pid = _answered_proposal_without_class(app_world)
    key = f"prop_tr_{pid}"
    b = _open_proposal("staff")
    a = _open_proposal("admin")
    slot = f"prop__intent__{pid}"
    drawn = dict(a.session_state[slot])
    a.selectbox(key=f"{key}_setout").set_value("B 正在解决").run()
    submit(a, f"{key}_setout_btn").click().run()
    assert any("已补充结果分类" in x.value for x in a.success), _messages(a)
    a.session_state[slot] = drawn  # A's double click: the same drawn form again
    a.run()
    assert not [x for x in a.button if (x.key or "").startswith(f"{key}_setout_btn")]
    assert _claimed(key) == 1
    with session_scope("t") as s:
        assert s.get(models.Proposal, pid).outcome == "B 正在解决"
        s.get(models.Proposal, pid).outcome = None  # (B's case: the class still missing, the record moved on)
    b.selectbox(key=f"{key}_setout").set_value("C 列入计划逐步解决").run()
    with session_scope("admin") as s:  # A corrects the title meanwhile
        proposals.update_proposal(s, app_world.admin(), pid, {
            "kind": "建议", "title": "关于增设两处公交站的建议", "lead_deputy_id": app_world.deputies[0],
            "submitted_on": date(clock.today().year, 1, 2)}, None)
    submit(b, f"{key}_setout_btn").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    assert b.selectbox(key=f"{key}_setout").value == "C 列入计划逐步解决"
    with session_scope("t") as s:
        assert s.get(models.Proposal, pid).outcome is None
    submit(b, f"{key}_setout_btn").click().run()  # seen now: the retry is stored
    with session_scope("t") as s:
        assert s.get(models.Proposal, pid).outcome == "C 列入计划逐步解决"


# ---------------------------------------------------------------- 群众意见 暂停 / 恢复 / 重新办理

def _opinion(w) -> int:  # noqa: ANN001
    from services import opinions

    with session_scope("staff") as s:
        return opinions.add_opinion(s, w.staff(), district_id=w.districts[0], deputy_id=w.deputies[0],
                                    raised_on=date(clock.today().year, 1, 1), content="路灯不亮",
                                    category="城乡建设", is_livelihood=True).id


def _open_opinion(role: str):  # noqa: ANN202
    at = app_as(role, "activities")
    at.radio(key="act_view").set_value("opinions").run()
    at.session_state["act_ops__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    return at


def _note(at, oid: int):  # noqa: ANN001, ANN202
    found = [x for x in at.text_input if (x.key or "").startswith(f"opc{oid}_g") and x.key.endswith("_ptext")]
    assert len(found) == 1, [x.key for x in at.text_input]
    return found[0]


def _opinion_steps(oid: int) -> list[str]:
    with session_scope("t") as s:
        return list(s.execute(select(models.OpinionEvent.to_status).where(
            models.OpinionEvent.opinion_id == oid).order_by(models.OpinionEvent.id)).scalars())


def test_opinion_pause_double_submit_pauses_once(app_world) -> None:
    oid = _opinion(app_world)
    at = _open_opinion("staff")
    slot = f"op{oid}__intent__{oid}"
    drawn = dict(at.session_state[slot])
    _note(at, oid).set_value("等选民补充门牌号")
    submit(at, f"opc{oid}_pgo").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert s.get(models.Opinion, oid).paused_since is not None
    n = len(_opinion_steps(oid))
    at.session_state[slot] = drawn  # the second click of the same drawn form: now under 恢复计时
    at.run()
    _note(at, oid).set_value("等选民补充门牌号")
    submit(at, f"opc{oid}_pgo").click().run()
    assert not at.exception
    assert "重复点击" in _messages(at), _messages(at)
    assert len(_opinion_steps(oid)) == n
    with session_scope("t") as s:
        assert s.get(models.Opinion, oid).paused_since is not None  # not resumed by the second click


def test_opinion_pause_and_resume_on_a_stale_page_are_refused_and_keep_the_note(app_world) -> None:
    from services import opinions

    oid = _opinion(app_world)
    b = _open_opinion("staff")
    _note(b, oid).set_value("等选民补充门牌号")
    with session_scope("admin") as s:  # a colleague pauses it meanwhile
        opinions.pause(s, app_world.admin(), oid, note="电话未接通")
    submit(b, f"opc{oid}_pgo").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    assert _note(b, oid).value == "等选民补充门牌号"
    n = len(_opinion_steps(oid))
    # B now sees 恢复计时; the colleague resumes first: B's resume is refused too
    with session_scope("admin") as s:
        opinions.resume(s, app_world.admin(), oid, note="选民已回电")
    submit(b, f"opc{oid}_pgo").click().run()
    assert "管理员（admin）" in _messages(b), _messages(b)
    assert len(_opinion_steps(oid)) == n + 1  # only the colleague's resume
    with session_scope("t") as s:
        assert s.get(models.Opinion, oid).paused_since is None


def test_opinion_reopen_on_a_stale_page_is_refused(app_world) -> None:
    from services import opinions

    oid = _opinion(app_world)
    with session_scope("t") as s:
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区住建局")).scalar_one()
    with session_scope("staff") as s:
        st = app_world.staff()
        opinions.transition(s, st, oid, "已转交", forwarded_to=body)
        opinions.transition(s, st, oid, "已解决", resolved_by=body, outcome="A 已解决", result="已修复")
        opinions.transition(s, st, oid, "已反馈选民", feedback="已电话告知")
    b = _open_opinion("staff")
    _note(b, oid).set_value("选民说灯又坏了")
    with session_scope("admin") as s:
        opinions.reopen(s, app_world.admin(), oid, reason="选民不满意")
    n = len(_opinion_steps(oid))
    submit(b, f"opc{oid}_pgo").click().run()
    assert not b.exception
    assert "管理员（admin）" in _messages(b) and "未保存" in _messages(b), _messages(b)
    assert len(_opinion_steps(oid)) == n  # one reopening, the colleague's
    assert _note(b, oid).value == "选民说灯又坏了"


# ---------------------------------------------------------------- 承办单位: 新增, 修改, 对应历史填写

def _body(name: str) -> models.HandlingBody:
    with session_scope("t") as s:
        b = s.execute(select(models.HandlingBody).where(models.HandlingBody.name == name)).scalar_one()
        s.expunge(b)
        return b


def _open_body(role: str, name: str):  # noqa: ANN202
    """The 承办单位 page with the row of ``name`` selected; returns (page, body id)."""
    at = app_as(role, "bodies")
    at.text_input(key="bd_list__f_q").set_value(name).run()  # the list filtered to that one body
    bid = _body(name).id
    at.session_state["bd_list__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert [x for x in at.text_input if x.key == f"bd_e_name_{bid}"], [x.key for x in at.text_input]
    return at, bid


def test_body_edit_on_a_stale_page_is_refused_and_untouched_fields_reload(app_world) -> None:
    b, bid = _open_body("staff", "区住建局")
    a, _ = _open_body("admin", "区住建局")
    a.selectbox(key=f"bd_e_kind_{bid}").set_value([k for k in a.selectbox(key=f"bd_e_kind_{bid}").options
                                                   if k != _body("区住建局").kind][0])
    submit(a, f"bd_e_save_{bid}").click().run()
    kind = _body("区住建局").kind
    b.text_input(key=f"bd_e_name_{bid}").set_value("区住房和城乡建设局")
    submit(b, f"bd_e_save_{bid}").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    assert _body("区住建局").kind == kind  # nothing of B's written
    assert b.text_input(key=f"bd_e_name_{bid}").value == "区住房和城乡建设局"  # B's input kept
    assert b.selectbox(key=f"bd_e_kind_{bid}").value == kind  # untouched: A's change shown
    submit(b, f"bd_e_save_{bid}").click().run()
    got = _body("区住房和城乡建设局")
    assert (got.id, got.kind) == (bid, kind)  # the retry keeps A's change


def test_body_edit_double_submit_saves_once(app_world) -> None:
    at, bid = _open_body("staff", "区住建局")
    slot = f"bd_edit__intent__{bid}"
    drawn = dict(at.session_state[slot])
    at.checkbox(key=f"bd_e_active_{bid}").uncheck()  # 停用 (the name stays: the list is filtered by it)
    submit(at, f"bd_e_save_{bid}").click().run()
    assert _body("区住建局").active is False
    at.session_state[slot] = drawn
    at.run()
    submit(at, f"bd_e_save_{bid}").click().run()
    assert not at.exception
    assert "重复点击" in _messages(at), _messages(at)
    with session_scope("t") as s:
        A = models.AuditLog
        assert s.execute(select(func.count()).select_from(A).where(
            A.entity == "HandlingBody", A.entity_id == str(bid), A.action == "修改")).scalar_one() == 1


def test_body_add_double_submit_adds_one(app_world) -> None:
    at = app_as("staff", "bodies")
    slot = "bd_form__intent__0"
    drawn = dict(at.session_state[slot])
    at.text_input(key="bd_name").set_value("区水务局")
    submit(at, "bd_add").click().run()
    assert any("已新增承办单位" in x.value for x in at.success)
    at.session_state[slot] = drawn
    at.run()
    at.text_input(key="bd_name").set_value("区水务局")
    submit(at, "bd_add").click().run()
    assert not at.exception
    assert "重复点击" in _messages(at), _messages(at)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.HandlingBody).where(
            models.HandlingBody.name == "区水务局")).scalar_one() == 1


def _old_texts(w, *texts: str) -> None:  # noqa: ANN001
    with session_scope("t") as s:
        for i, t in enumerate(texts):
            s.add(models.Letter(code=f"OLD{i}", mailbox_id=w.mailboxes[0], district_id=w.districts[0],
                                group_id=w.groups[0], office_id=w.offices[0], received_on=date(2026, 1, 5),
                                summary="旧", category="其他", status="已转办", forwarded_to=t))


def _forwarded(code: str) -> str:
    with session_scope("t") as s:
        return s.execute(select(models.Letter.forwarded_to).where(models.Letter.code == code)).scalar_one()


def test_mapping_a_text_a_colleague_mapped_meanwhile_never_maps_another_text(app_world) -> None:
    """B chooses 城管 → 区城管局; A maps 城管 first. B's click must not map the text that moved into
    城管's place (住建) to 区城管局."""
    _old_texts(app_world, "城管", "住建")
    city = _body("区城管局").id
    b = app_as("admin", "bodies")
    b.selectbox(key="bd_map_text").set_value("城管")
    b.selectbox(key="bd_map_body").set_value(city).run()
    a = app_as("admin", "bodies")
    a.selectbox(key="bd_map_text").set_value("城管")
    a.selectbox(key="bd_map_body").set_value(city)
    submit(a, "bd_map_go").click().run()
    assert _forwarded("OLD0") == "区城管局"
    submit(b, "bd_map_go").click().run()
    assert not b.exception
    assert "未保存" in _messages(b), _messages(b)
    assert _forwarded("OLD1") == "住建"  # nobody chose to map 住建


def test_mapping_double_submit_maps_once(app_world) -> None:
    _old_texts(app_world, "城管")
    city = _body("区城管局").id
    at = app_as("admin", "bodies")
    slot = "bd_map__intent__0"
    drawn = dict(at.session_state[slot])
    at.selectbox(key="bd_map_text").set_value("城管")
    at.selectbox(key="bd_map_body").set_value(city)
    submit(at, "bd_map_go").click().run()
    assert _forwarded("OLD0") == "区城管局"
    at.session_state[slot] = drawn
    at.run()
    assert not at.exception
    assert not [x for x in at.button if (x.key or "").startswith("bd_map_go")]  # all mapped: no form
    assert _claimed("bd_map") == 1


# ---------------------------------------------------------------- 工作日历 保存

def _calendar_days() -> int:
    with session_scope("t") as s:
        return s.execute(select(func.count()).select_from(models.CalendarDay)).scalar_one()


def test_calendar_double_submit_saves_once_and_a_stale_form_is_refused(app_world, travel) -> None:
    travel("2026-12-20")
    b = app_as("admin", "calendar")
    a = app_as("admin", "calendar")
    slot = "cal__intent__2027"
    drawn = dict(a.session_state[slot])
    a.text_input(key="cal_note_2027_0").set_value("国办发明电〔2026〕1号")
    submit(a, "cal_save_2027").click().run()
    assert any("已保存2027年工作日历" in x.value for x in a.success), _messages(a)
    with session_scope("t") as s:
        first = s.get(models.CalendarYear, 2027).entered_at
    a.session_state[slot] = drawn  # A's double click: the same drawn form again
    a.run()
    submit(a, "cal_save_2027").click().run()
    assert not a.exception
    assert "重复点击" in _messages(a), _messages(a)
    with session_scope("t") as s:
        assert s.get(models.CalendarYear, 2027).entered_at == first
    n = _calendar_days()
    b.text_input(key="cal_note_2027_0").set_value("B 的依据")
    submit(b, "cal_save_2027").click().run()  # B's form was drawn before A's save
    assert not b.exception
    msg = _messages(b)
    assert "已被 管理员 于" in msg and "未保存" in msg, msg
    assert b.text_input(key="cal_note_2027_0").value == "B 的依据"  # kept
    with session_scope("t") as s:
        assert s.get(models.CalendarYear, 2027).entered_at == first and _calendar_days() == n


# ---------------------------------------------------------------- 联系活动 核实此活动

def _replayed(token: str, form: str, fn) -> None:  # noqa: ANN001
    """The drawn form's token sent again (the second click of a double click reaching the server
    before the page was redrawn) is refused by the service: nothing is stored twice."""
    from services import intents
    from services.common import DuplicateSubmit

    try:
        intents.submit("t", fn, token=token, form=form)
    except DuplicateSubmit as exc:
        assert "重复点击" in str(exc)
    else:
        raise AssertionError("a used token was accepted")


def _activity(w) -> int:  # noqa: ANN001
    from services import activities

    with session_scope("staff") as s:
        return activities.create_activity(s, w.staff(), {
            "held_on": min(date(clock.today().year, 1, 5), clock.today()), "place": "社区",
            "district_id": w.districts[0], "organiser": "代表个人", "kind": "问需", "targets": ["一般选民"],
            "mode": "专门活动", "deputy_ids": [w.deputies[0]], "voters_reached": 12, "summary": "原来的内容"}, [])


def _open_activity(role: str):  # noqa: ANN202
    at = app_as(role, "activities")
    at.session_state["act_ledger__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    return at


def test_verifying_an_activity_changed_meanwhile_is_refused_naming_who(app_world) -> None:
    aid = _activity(app_world)
    b = _open_activity("supervisor")
    a = _open_activity("admin")
    a.text_area(key=f"act_edit{aid}_g0_summary").set_value("改过的内容").run()
    submit(a, f"act_edit{aid}_g0_save").click().run()
    submit(b, f"act_verify_{aid}").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "未保存" in msg, msg
    with session_scope("t") as s:
        assert s.get(models.Activity, aid).verified_at is None  # what B checked is not what is stored
    submit(b, f"act_verify_{aid}").click().run()  # B has now seen the change: verified
    with session_scope("t") as s:
        assert s.get(models.Activity, aid).verified_at is not None


def test_verifying_an_activity_double_submit_verifies_once(app_world) -> None:
    from services import activities

    aid = _activity(app_world)
    at = _open_activity("supervisor")
    slot = f"act_edit{aid}__intent__act_edit{aid}_g0"
    drawn = dict(at.session_state[slot])
    submit(at, f"act_verify_{aid}").click().run()
    assert "已标记为已核实" in _messages(at)
    with session_scope("t") as s:
        first = s.get(models.Activity, aid).verified_at
    sup = app_world.admin()
    _replayed(drawn["token"], "act_verify", lambda s: activities.verify_activity(s, sup, aid))
    with session_scope("t") as s:
        assert s.get(models.Activity, aid).verified_at == first
    assert _claimed("act_verify") == 1


# ---------------------------------------------------------------- 热点问题 / 来信 已告知议题结果

def _closed_topic(w, n: int = 2) -> tuple[int, list[int]]:  # noqa: ANN001
    from services import hotissues

    lids = []
    with session_scope("staff") as s:
        for i in range(n):
            lids.append(letters.register(s, w.staff(), {
                "mailbox_id": w.mailboxes[0], "received_on": clock.today(), "writer_name": f"张三{i}",
                "writer_phone": f"1381234123{i}", "summary": "路灯", "category": "城乡建设"}).id)
    with session_scope("leader") as s:
        tid = hotissues.create_topic(s, w.leader(), title="路灯督办", category="城乡建设",
                                     district_id=w.districts[0], letter_ids=lids).id
        hotissues.close_topic(s, w.leader(), tid, "全区路灯已排查更换", "A 已解决")
    return tid, lids


def _told(tid: int) -> list[int]:
    with session_scope("t") as s:
        return sorted(s.execute(select(models.TopicLetter.letter_id).where(
            models.TopicLetter.topic_id == tid, models.TopicLetter.told_at.is_not(None))).scalars())


def test_marking_a_writer_a_colleague_marked_meanwhile_never_marks_another(app_world) -> None:
    tid, (first, second) = _closed_topic(app_world)
    b = app_as("admin", "hotissues")
    assert b.selectbox(key="hi_told_pick").value is None  # nothing preselected
    b.selectbox(key="hi_told_pick").set_value((tid, first)).run()
    a = app_as("leader", "hotissues")
    a.selectbox(key="hi_told_pick").set_value((tid, first))
    submit(a, "hi_told_btn").click().run()
    assert _told(tid) == [first]
    submit(b, "hi_told_btn").click().run()
    assert not b.exception
    assert "未保存" in _messages(b), _messages(b)
    assert _told(tid) == [first]  # the second writer was never told: not marked


def test_marking_a_writer_told_double_submit_marks_once(app_world) -> None:
    from services import hotissues

    tid, (first, second) = _closed_topic(app_world)
    at = app_as("admin", "hotissues")
    drawn = dict(at.session_state["hi_told__intent__0"])
    at.selectbox(key="hi_told_pick").set_value((tid, first))
    submit(at, "hi_told_btn").click().run()
    assert "已标记为已告知" in _messages(at)
    at.session_state["hi_told__intent__0"] = drawn
    at.run()
    at.selectbox(key="hi_told_pick").set_value((tid, second))  # whatever the list now offers
    submit(at, "hi_told_btn").click().run()
    assert not at.exception
    assert "重复点击" in _messages(at), _messages(at)
    assert _told(tid) == [first]
    # on the letter's page: the same button twice marks once
    b = _open_letter("staff", second)
    slot = f"lt_told{tid}__intent__{second}"
    drawn = dict(b.session_state[slot])
    submit(b, f"lt_told_{tid}_{second}").click().run()
    assert _told(tid) == [first, second]
    staff = app_world.staff()
    _replayed(drawn["token"], "lt_told", lambda s: hotissues.mark_told(s, staff, tid, second))
    assert _claimed("lt_told") == 1


# ---------------------------------------------------------------- 出席 宣传与法制工作 登记

def test_publicity_double_submit_stores_one(app_world) -> None:
    at = app_as("staff", "attendance")
    slot = "att_pub__intent__att_pub0"
    drawn = dict(at.session_state[slot])

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key="att_pub0_title").set_value("宪法宣传周进社区")
        at.number_input(key="att_pub0_aud").set_value(120)
        at.multiselect(key="att_pub0_deps").select(app_world.deputies[0])
        at.text_area(key="att_pub0_summary").set_value("讲解宪法修正案")

    fill(at)
    submit(at, "att_pub0_save").click().run()
    assert "已登记" in _messages(at), _messages(at)
    at.session_state[slot] = drawn
    at.session_state["att_pub__gen"] = 0  # the form as drawn before the first save
    at.run()
    fill(at)
    submit(at, "att_pub0_save").click().run()
    assert not at.exception
    assert "重复点击" in _messages(at), _messages(at)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.PublicityWork)).scalar_one() == 1


# ---------------------------------------------------------------- a selected row is pinned by its id

def test_an_open_letter_stays_open_when_a_colleague_registers_a_newer_one(app_world) -> None:
    """Lists select by row position: a letter registered by a colleague moves B's row down; B's
    open letter (and its step form) stays on the letter B picked."""
    with session_scope("staff") as s:
        first = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "deputy_id": app_world.deputies[0], "received_on": clock.today(),
            "writer_name": "李四", "writer_phone": "13900000001", "summary": "楼道灯不亮", "category": "城乡建设"}).id
    b = app_as("staff", "mailbox")
    b.session_state["lt_list__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    b.run()
    assert b.session_state["lt_open"] == first
    b.selectbox(key=f"lt_to_{first}").set_value("已交代表").run()
    with session_scope("staff") as s:
        newer = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "deputy_id": app_world.deputies[0],
            "received_on": clock.today() - timedelta(days=3),  # (entered late) its deadline is nearer: row 0
            "writer_name": "王五", "writer_phone": "13900000002", "summary": "路面破损", "category": "城乡建设"}).id
    with session_scope("staff") as s:
        assert letters.list_letters(s, app_world.staff(), {}, 0, 20).rows[0]["id"] == newer  # the list moved
    b.run()
    assert not b.exception
    assert b.session_state["lt_open"] == first  # not the newer letter now in row 0
    assert b.selectbox(key=f"lt_to_{first}").value == "已交代表"  # the form and its input stay
    assert not [x for x in b.selectbox if x.key == f"lt_to_{newer}"]


def test_an_open_user_form_stays_on_its_user_when_the_list_reorders(app_world) -> None:
    from services import auth

    with session_scope("t") as s:
        staff = s.execute(select(models.User.id).where(models.User.username == "staff")).scalar_one()
    b = app_as("admin", "users")
    b.session_state["usr_list__grid"] = {"selection": {"rows": [2], "columns": [], "cells": []}}  # staff
    b.run()
    assert [x for x in b.text_input if x.key == f"usr_e{staff}_name"]
    with session_scope("admin") as s:
        auth.create_user(s, app_world.admin(), {"username": "aaa", "display_name": "新同事",
                                                 "password": "Abcdefg123", "role": "staff"})
    b.run()
    assert not b.exception
    assert [x for x in b.text_input if x.key == f"usr_e{staff}_name"], [x.key for x in b.text_input]
