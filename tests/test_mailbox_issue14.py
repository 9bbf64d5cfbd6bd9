"""代表信箱 page (AppTest), issue 14: the keeper pre-fills the deputy; a registered letter is edited
and its deputy changed only with a reason; a closed letter is classed; a hyphenated mobile is taken."""

from __future__ import annotations

from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import clock, letters
from tests.conftest import app_as, submit


def test_keeper_prefills_and_deputy_changes_need_a_reason(app_world) -> None:
    w = app_world
    with session_scope("t") as s:
        s.get(models.Mailbox, w.mailboxes[0]).deputy_id = w.deputies[0]
    at = app_as("staff", "mailbox")
    at.selectbox(key="lt_0_mailbox").set_value(w.mailboxes[0]).run()
    assert at.selectbox(key=f"lt_0_deputy_{w.mailboxes[0]}").value == w.deputies[0]
    at.text_input(key="lt_0_name").set_value("阿依古丽・买买提")
    at.text_input(key="lt_0_phone").set_value("139-1234-0014")
    at.text_area(key="lt_0_summary").set_value("小区门口路灯损坏")
    at.selectbox(key="lt_0_category").set_value("城乡建设").run()
    submit(at, "lt_submit").click().run()
    assert not at.exception and any("已登记来信" in x.value for x in at.success)
    with session_scope("t") as s:
        letter = s.execute(select(models.Letter)).scalars().one()
    assert (letter.deputy_id, letter.writer_phone, letter.writer_name) == \
        (w.deputies[0], "13912340014", "阿依古丽・买买提")  # phone canonical, name as typed
    lid, v = letter.id, letter.version
    at.session_state["lt_open"] = lid
    at.run()
    at.selectbox(key=f"lt_e_dep_{lid}_{v}").set_value(w.deputies[2])
    submit(at, f"lt_e_save_{lid}").click().run()
    assert any("原因" in e.value for e in at.error)
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).deputy_id == w.deputies[0]
    at.text_input(key=f"lt_e_reason_{lid}_{v}").set_value("张伟代表外出学习")
    submit(at, f"lt_e_save_{lid}").click().run()
    assert not at.exception and any("已保存修改" in x.value for x in at.success)
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).deputy_id == w.deputies[2]


def test_a_letter_closed_before_the_classes_is_classed_on_its_page(app_world) -> None:
    w = app_world
    with session_scope("staff") as s:
        lid = letters.register(s, w.staff(), {"mailbox_id": w.mailboxes[0], "deputy_id": w.deputies[0], "received_on": clock.today(),
                                              "writer_name": "李四", "summary": "噪音", "category": "环境保护"}).id
        for step, kw in (("已交代表", {}), ("已回复", {"reply_content": "已收到", "reply_method": "书面"}),
                         ("已转办", {"forwarded_to": "区城管局"}), ("办理中", {}),
                         ("已办结", {"result": "已整改", "outcome": "A 已解决"})):
            letters.transition(s, w.staff(), lid, step, **kw)
    with session_scope("t") as s:
        s.get(models.Letter, lid).outcome = None
    at = app_as("staff", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    at.selectbox(key=f"lt_set_out_{lid}").set_value("D 因条件限制留作参考")
    submit(at, f"lt_set_out_go_{lid}").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert s.get(models.Letter, lid).outcome == "D 因条件限制留作参考"
    at.button(key=f"lt_ho_{lid}").click().run()
    assert not at.exception
    assert [b for b in at.get("download_button") if b.proto.label == "下载交办单（.docx）"]


def test_editing_a_letter_whose_deputy_left_keeps_him_unless_changed(app_world) -> None:
    """The deputy in charge resigned: the edit form still shows him (he is not among those to choose), so correcting
    the summary neither asks for a reason nor clears the deputy; a double click saves once."""
    from datetime import timedelta

    w = app_world
    with session_scope("staff") as s:
        lid = letters.register(s, w.staff(), {"mailbox_id": w.mailboxes[0], "deputy_id": w.deputies[0],
                                              "received_on": clock.today(), "writer_name": "李四", "summary": "噪音",
                                              "category": "环境保护"}).id
    with session_scope("admin") as s:
        gone = s.get(models.Deputy, w.deputies[0])
        gone.status, gone.left_on = "辞职", clock.today() - timedelta(days=1)
    with session_scope("t") as s:
        v = s.get(models.Letter, lid).version
    at = app_as("staff", "mailbox")
    at.session_state["lt_open"] = lid
    at.run()
    picker = at.selectbox(key=f"lt_e_dep_{lid}_{v}")
    assert picker.value == w.deputies[0] and "已不在本组任职" in picker.format_func(picker.value)
    at.text_area(key=f"lt_e_sum_{lid}_{v}").set_value("夜间施工噪音扰民")
    button = submit(at, f"lt_e_save_{lid}")
    button.click().run()
    assert not at.exception and any("已保存修改" in x.value for x in at.success), [e.value for e in at.error]
    with session_scope("t") as s:
        letter = s.get(models.Letter, lid)
        assert (letter.deputy_id, letter.summary) == (w.deputies[0], "夜间施工噪音扰民")
        edits = s.execute(select(models.LetterEvent).where(models.LetterEvent.letter_id == lid,
                                                           models.LetterEvent.to_status == "修改登记")).scalars().all()
    assert len(edits) == 1
