"""Opinions get the letters' clock (issue 13): due dates for 转交 / 办结 / 反馈选民, overdue and long
overdue by the one rule (services.deadlines) exactly as letters, in SQL and in Python; pause,
resume and reopen; the 即将到期 filter; the 工作台 figures. SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import date

import pytest

from db import models
from db.engine import session_scope
from services import letters, opinions, setting_changes, settings, workdays
from services.common import ValidationError

RAISED = date(2026, 6, 1)  # a Monday; the Dragon Boat Festival (06-19) lies within the deadlines


def _opinion(world, raised: date = RAISED, **kw) -> int:
    with session_scope("staff", world.url) as s:
        return opinions.add_opinion(s, world.staff(), district_id=world.districts[0], raised_on=raised,
                                    content="小区停车难", category="城乡建设", **kw).id


def _marks(world, on: str, travel, letter_id: int, opinion_id: int) -> tuple[str, str, bool, bool]:
    """(letter list mark, opinion list mark, letter in the 超期 filter, opinion in the 超期 filter) on ``on``."""
    travel(on)
    with session_scope(url=world.url) as s:
        lrow = next(r for r in letters.list_letters(s, world.admin(), {}, 0, 50).rows if r["id"] == letter_id)
        orow = next(r for r in opinions.list_opinions(s, world.admin(), {}, 0, 50).rows if r["id"] == opinion_id)
        lin = letter_id in {r["id"] for r in letters.list_letters(s, world.admin(), {"overdue": "超期"}, 0, 50).rows}
        oin = opinion_id in {r["id"] for r in opinions.list_opinions(s, world.admin(), {"overdue": "超期"}, 0, 50).rows}
    return lrow["超期"], orow["超期"], lin, oin


def test_an_opinion_is_overdue_exactly_as_a_letter(world, travel):
    travel("2026-06-01")
    # a letter whose 交代表 deadline equals the opinion's 转交 deadline (10 working days)
    with session_scope("admin", world.url) as s:
        seen = settings.get(s, "letter_deadlines")
        setting_changes.save(s, world.admin(), "letter_deadlines",
                             {"handed": 10, "reply": 10, "forward": 10, "feedback": 40}, seen)
    with session_scope("staff", world.url) as s:
        lid = letters.register(s, world.staff(), {
            "mailbox_id": world.mailboxes[0], "received_on": RAISED, "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "路灯损坏", "category": "城乡建设"}).id
    oid = _opinion(world)
    with session_scope(url=world.url) as s:
        letter, op = s.get(models.Letter, lid), s.get(models.Opinion, oid)
        assert op.forward_due == letter.step_due == date(2026, 6, 15)
        assert op.resolve_due == workdays.calendar_for(s).add_workdays(RAISED, 40)
        assert op.feedback_due is None
    twice = workdays.add_workdays(date(2026, 6, 15), 10)
    assert twice == date(2026, 6, 30)  # the Dragon Boat Festival (06-19) is not counted
    expected = {"2026-06-12": "即将到期", "2026-06-15": "即将到期", "2026-06-16": "超期",
                "2026-06-30": "超期", "2026-07-01": "严重超期"}
    for day, mark in expected.items():
        lmark, omark, lin, oin = _marks(world, day, travel, lid, oid)
        assert lmark == omark == mark, day
        assert lin == oin == (mark != "即将到期"), day


def test_forwarding_stops_the_forward_clock_and_conclusion_starts_the_feedback_clock(world, travel):
    travel("2026-06-20")
    oid = _opinion(world)
    with session_scope("staff", world.url) as s:
        assert s.get(models.Opinion, oid).forward_due < date(2026, 6, 20)
        assert opinions.figures(s, world.staff(), 2026)[0].value == 1
        opinions.transition(s, world.staff(), oid, "已转交", forwarded_to="区住建局", happened_on="2026-06-18")
    with session_scope("staff", world.url) as s:
        op = s.get(models.Opinion, oid)
        assert op.forward_due is None and op.status_on == date(2026, 6, 18)
        assert opinions.figures(s, world.staff(), 2026)[0].value == 0
        opinions.transition(s, world.staff(), oid, "已解决", resolved_by="区住建局", happened_on="2026-06-19",
                            outcome="A 已解决")
    with session_scope(url=world.url) as s:
        op = s.get(models.Opinion, oid)
        # 10 working days from the conclusion, the Dragon Boat holiday (06-19) not counted
        assert op.feedback_due == workdays.add_workdays(date(2026, 6, 19), 10) == date(2026, 7, 3)
        with pytest.raises(ValidationError, match="早于上一环节"):
            opinions.transition(s, world.staff(), oid, "已反馈选民", feedback="已告知", happened_on="2026-06-10")


def test_pause_resume_and_reopen(world, travel):
    travel("2026-06-10")
    oid = _opinion(world)
    with session_scope("staff", world.url) as s:
        before = s.get(models.Opinion, oid).resolve_due
        with pytest.raises(ValidationError, match="说明"):
            opinions.pause(s, world.staff(), oid, note="   ")
    with session_scope("staff", world.url) as s:
        opinions.pause(s, world.staff(), oid, happened_on="2026-06-10", note="请选民补充小区名称")
    travel("2026-07-20")
    with session_scope(url=world.url) as s:
        # paused: never overdue, however late
        assert opinions.list_opinions(s, world.admin(), {"overdue": "超期"}, 0, 10).total == 0
        with pytest.raises(ValidationError, match="暂停"):
            opinions.transition(s, world.staff(), oid, "已转交", forwarded_to="区住建局")
    with session_scope("staff", world.url) as s:
        opinions.resume(s, world.staff(), oid, happened_on="2026-06-17")
    with session_scope(url=world.url) as s:
        op = s.get(models.Opinion, oid)
        assert op.paused_days == 5 and op.paused_since is None
        assert op.resolve_due == workdays.add_workdays(before, 5)
    with session_scope("staff", world.url) as s:
        for to, kw in (("已转交", {"forwarded_to": "区住建局"}), ("已解决", {"resolved_by": "区住建局", "outcome": "A 已解决"}),
                       ("已反馈选民", {"feedback": "电话告知"})):
            opinions.transition(s, world.staff(), oid, to, happened_on="2026-07-01", **kw)
    with session_scope("staff", world.url) as s:
        with pytest.raises(ValidationError, match="原因"):
            opinions.reopen(s, world.staff(), oid, reason="")
    with session_scope("staff", world.url) as s:
        opinions.reopen(s, world.staff(), oid, reason="选民对结果不满意", happened_on="2026-07-10")
    with session_scope(url=world.url) as s:
        op = s.get(models.Opinion, oid)
        assert (op.status, op.round, op.resolved_on, op.paused_days) == ("办理中", 2, None, 0)
        assert op.resolve_due == workdays.add_workdays(date(2026, 7, 10), 40)
        with pytest.raises(ValidationError):
            opinions.reopen(s, world.staff(), oid, reason="再次")


def test_due_soon_filter_and_a_changed_setting_recomputes_open_opinions(world, travel):
    travel("2026-06-11")
    soon = _opinion(world)  # 转交 due 06-15: within 3 working days of Thursday 06-11
    later = _opinion(world, raised=date(2026, 6, 11))
    with session_scope(url=world.url) as s:
        ids = {r["id"] for r in opinions.list_opinions(s, world.admin(), {"overdue": "即将到期"}, 0, 10).rows}
        assert ids == {soon}
    with session_scope("admin", world.url) as s:
        saved = setting_changes.save(s, world.admin(), "opinion_forward_days", 5, 10)
    assert "已重新计算 2 条未办结群众意见的办理期限，其中 2 条的期限有变化" in saved.message()
    with session_scope(url=world.url) as s:
        assert s.get(models.Opinion, later).forward_due == workdays.add_workdays(date(2026, 6, 11), 5)
        assert opinions.list_opinions(s, world.admin(), {"overdue": "超期"}, 0, 10).total == 1
