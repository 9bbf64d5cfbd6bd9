"""代表信箱 page (AppTest): a staff member registers a letter and takes it to 已反馈; the leader
sees it masked; a mailbox opening is recorded."""

from __future__ import annotations

from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import clock
from tests.conftest import app_as, confirmed, goto, submit


def _fill_letter(at, world, phone: str = "13812341234") -> None:
    """Fill the 登记来信 form (widget keys of the first form)."""
    at.selectbox(key="lt_0_mailbox").set_value(world.mailboxes[0])
    at.date_input(key="lt_0_received").set_value(clock.today())
    at.text_input(key="lt_0_name").set_value("张三丰")
    at.text_input(key="lt_0_phone").set_value(phone)
    at.text_input(key="lt_0_addr").set_value("东城区幸福街道和平路12号")
    at.text_area(key="lt_0_summary").set_value("小区门口路灯损坏三个月无人维修")
    at.selectbox(key="lt_0_category").set_value("城乡建设")
    at.run()


def test_register_letter_then_take_it_to_feedback(app_world) -> None:
    """Register (bad phone refused beside its field, then fixed), then every step to 已反馈."""
    at = app_as("staff", "mailbox")
    assert not at.exception
    _fill_letter(at, app_world, phone="12345")
    submit(at, "lt_submit").click().run()
    assert any("手机号码" in e.value for e in at.error)
    with session_scope("t") as s:
        assert s.execute(select(models.Letter)).first() is None
    at.text_input(key="lt_0_phone").set_value("13812341234").run()
    submit(at, "lt_submit").click().run()
    assert not at.exception
    assert any("已登记来信" in x.value for x in at.success)
    with session_scope("t") as s:
        letter = s.execute(select(models.Letter)).scalars().one()
    assert letter.writer_phone == "13812341234" and letter.status == "登记"
    # the form is cleared for the next letter
    assert at.text_input(key="lt_1_phone").value == ""

    at.session_state["lt_open"] = letter.id
    at.run()
    lid = letter.id
    with session_scope("t") as s:
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区住建局")).scalar_one()
    steps = [("已交代表", {"lt_hd": app_world.deputies[0]}), ("已回复", {"lt_reply": "已收到将转住建部门", "lt_rm": "电话"}),
             ("已转办", {"lt_fw": body}), ("办理中", {}),
             ("已办结", {"lt_res": "已更换路灯", "lt_out": "A 已解决"}), ("已反馈", {"lt_fm": "电话", "lt_sat": "满意"})]
    for n, (to, extra) in enumerate(steps):
        at.selectbox(key=f"lt_to_{lid}").set_value(to).run()
        # 备注 is empty for each new step (the previous step's note is not carried over)
        note = next(t for t in at.text_input if t.key.startswith(f"lt_note_{lid}_"))
        assert note.value == ""
        note.set_value(f"第{n + 1}步备注")
        for k, v in extra.items():
            widget = {"lt_fw": at.selectbox, "lt_hd": at.selectbox, "lt_res": at.text_area, "lt_fm": at.selectbox, "lt_out": at.selectbox,
                      "lt_reply": at.text_area, "lt_rm": at.radio, "lt_sat": at.radio}[k](key=f"{k}_{lid}")
            widget.set_value(v)
        at.run()
        if to == "已反馈":  # closing a letter asks for confirmation first
            confirmed(at, f"lt_go_{lid}")
        else:
            submit(at, f"lt_go_{lid}").click().run()
        assert not at.exception, to
        with session_scope("t") as s:
            assert s.get(models.Letter, lid).status == to, [e.value for e in at.error]
    with session_scope("t") as s:
        letter = s.get(models.Letter, lid)
        assert letter.satisfaction == "满意" and letter.forwarded_to == "区住建局" and letter.body_id == body
        assert (letter.reply_method, letter.reply_content, letter.outcome) == ("电话", "已收到将转住建部门", "A 已解决")
        events = s.execute(select(models.LetterEvent.to_status).where(models.LetterEvent.letter_id == lid)
                           .order_by(models.LetterEvent.id)).scalars().all()
    assert events == ["登记", "已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈"]


def test_transfer_without_body_keeps_the_form_and_says_why(app_world) -> None:
    """已转办 without 转办单位: nothing saved, the message is shown beside the field."""
    from services import letters

    with session_scope("staff") as s:
        lid = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "deputy_id": app_world.deputies[0], "received_on": clock.today(), "writer_name": "李四",
            "writer_phone": "13900000001", "summary": "噪音", "category": "环境保护"}).id
        letters.transition(s, app_world.staff(), lid, "已交代表")
        letters.transition(s, app_world.staff(), lid, "已回复", reply_content="已收到", reply_method="当面")
    at = app_as("staff", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    at.selectbox(key=f"lt_to_{lid}").set_value("已转办").run()
    submit(at, f"lt_go_{lid}").click().run()
    assert any("转办单位" in e.value for e in at.error)
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).status == "已回复"


def test_leader_sees_masked_phone_and_no_reveal_button(app_world) -> None:
    """The leader's list and detail show 138****1234 and no 显示 button; staff's 显示 is logged."""
    from services import letters

    with session_scope("staff") as s:
        lid = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "received_on": clock.today(), "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "路灯", "category": "城乡建设"}).id
    at = app_as("leader", "mailbox")
    df = at.dataframe[0].value
    assert list(df["联系电话"]) == ["138****1234"] and list(df["来信人"]) == ["张**"]
    at.session_state["lt_open"] = lid
    at.run()
    assert not [b for b in at.button if b.key == f"lt_reveal_{lid}"]
    assert "13812341234" not in str([d.value.to_dict() for d in at.dataframe])

    at = app_as("staff", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    at.button(key=f"lt_reveal_{lid}").click().run()
    assert "13812341234" in str([d.value.to_dict() for d in at.dataframe])
    with session_scope("t") as s:
        logs = s.execute(select(models.AuditLog).where(models.AuditLog.action == "查看")).scalars().all()
    assert [(x.username, x.entity_id) for x in logs] == [("staff", str(lid))]


def test_record_opening(app_world) -> None:
    """Staff record an opening: the opener is required when the mailbox has no keeper on record
    (no made-up name such as 未指定 is saved), then the opening is stored."""
    box = app_world.mailboxes[0]
    at = app_as("staff", "mailbox")
    at.selectbox(key="mb_box").set_value(box).run()
    assert at.text_input(key=f"mb_by_{box}").value == ""
    at.number_input(key="mb_n").set_value(3).run()
    submit(at, "mb_save").click().run()
    assert not at.exception
    assert any("开箱人" in e.value for e in at.error)
    at.text_input(key=f"mb_by_{box}").set_value("陈联络").run()
    submit(at, "mb_save").click().run()
    assert not at.exception
    with session_scope("t") as s:
        row = s.execute(select(models.MailboxOpening)).scalars().one()
    assert row.letters_found == 3 and row.opened_by == "陈联络"


def test_staff_tells_the_writer_a_topic_outcome(app_world) -> None:
    """A letter in a closed supervision topic shows the outcome; staff mark the writer told."""
    from services import hotissues, letters

    with session_scope("staff") as s:
        lid = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "received_on": clock.today(), "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "路灯", "category": "城乡建设"}).id
    with session_scope("leader") as s:
        tid = hotissues.create_topic(s, app_world.leader(), title="路灯督办", category="城乡建设",
                                     district_id=app_world.districts[0], letter_ids=[lid]).id
        hotissues.close_topic(s, app_world.leader(), tid, "全区路灯已排查更换", "A 已解决")
    at = app_as("staff", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    assert any("全区路灯已排查更换" in t.value for t in at.text)
    submit(at, f"lt_told_{tid}_{lid}").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert hotissues.untold_count(s, app_world.admin()) == 0


def test_duplicate_warning_then_merge(app_world) -> None:
    """A second letter from the same phone shows the possible duplicate; 登记并合并 closes it as 已合并."""
    from services import letters

    with session_scope("staff") as s:
        first = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "received_on": clock.today(), "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "路灯", "category": "城乡建设"})
        first_id, first_code = first.id, first.code
    at = app_as("staff", "mailbox")
    _fill_letter(at, app_world)
    submit(at, "lt_submit").click().run()
    assert any("可能重复" in w.value for w in at.warning)
    dup = next(d.value for d in at.dataframe if "疑似重复原因" in d.value.columns)
    assert list(dup["编号"]) == [first_code] and list(dup["联系电话"]) == ["138****1234"]
    with session_scope("t") as s:
        assert len(s.execute(select(models.Letter)).all()) == 1  # nothing saved yet
    at.button(key="lt_merge").click().run()
    assert not at.exception
    with session_scope("t") as s:
        second = s.execute(select(models.Letter).where(models.Letter.id != first_id)).scalars().one()
    assert second.status == "已合并" and second.merged_into_id == first_id


def test_admin_undoes_a_step_staff_cannot(app_world) -> None:
    """Only the admin sees 撤销上一步; the undone step stays in the history, greyed."""
    from services import letters

    with session_scope("staff") as s:
        lid = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "deputy_id": app_world.deputies[0], "received_on": clock.today(), "writer_name": "李四",
            "writer_phone": "13900000001", "summary": "噪音", "category": "环境保护"}).id
        letters.transition(s, app_world.staff(), lid, "已交代表")
    at = app_as("staff", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    assert not [b for b in at.button if (b.key or "").startswith(f"lt_undo_{lid}_")]
    at = app_as("admin", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    submit(at, f"lt_undo_{lid}").click().run()
    assert any("撤销原因" in e.value for e in at.error)
    at.text_input(key=f"lt_undo_reason_{lid}").set_value("误操作").run()
    submit(at, f"lt_undo_{lid}").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).status == "登记"
    assert any("已撤销" in t.value for t in at.text)


def test_dashboard_link_opens_the_overdue_letters(app_world) -> None:
    """The 工作台 figure's query parameters (overdue=超期) preset the list's filter."""
    from datetime import timedelta

    from services import letters

    with session_scope("staff") as s:
        for days, phone in ((60, "13900000001"), (0, "13900000002")):
            letters.register(s, app_world.staff(), {
                "mailbox_id": app_world.mailboxes[0], "received_on": clock.today() - timedelta(days=days),
                "writer_name": "李四", "writer_phone": phone, "summary": f"噪音{days}", "category": "环境保护"})
        fig = next(f for f in letters.figures(s, app_world.staff(), clock.today().year) if f.label == "超期未办来信")
    assert fig.value == 1
    at = app_as("staff")
    for k, v in fig.params.items():
        at.query_params[k] = v
    goto(at, fig.page)
    df = at.dataframe[0].value
    assert list(df["内容摘要"]) == ["噪音60"] and list(df["超期"]) == ["严重超期"]
