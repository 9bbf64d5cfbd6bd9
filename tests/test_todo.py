"""我的待办 (issue 13): per role and scope, in the service and on 工作台 with AppTest; each row opens
its record; per-staff counts and case ageing for supervisors and leaders."""

from __future__ import annotations

from datetime import date

import pytest

from db import models
from db.engine import session_scope
from services import letters, opinions, todo, workdays
from services.common import Actor
from tests.conftest import app_as, goto

TODAY = "2026-06-15"  # a Monday


def _world_items(world) -> dict[str, int]:
    """Letter A (office 0) and B (office 1) overdue, an opinion due soon in office 0."""
    ids = {}
    with session_scope("admin", world.url) as s:
        for name, box in (("A", world.mailboxes[0]), ("B", world.mailboxes[2])):
            ids[name] = letters.register(s, world.admin(), {
                "mailbox_id": box, "received_on": date(2026, 5, 6), "writer_name": "张三丰",
                "writer_phone": "13812341234", "summary": "路灯损坏", "category": "城乡建设"}).id
        ids["op"] = opinions.add_opinion(s, world.admin(), district_id=world.districts[0], raised_on=date(2026, 6, 3),
                                         content="小区停车难", category="城乡建设").id
        ids["codeA"] = s.get(models.Letter, ids["A"]).code
        ids["codeB"] = s.get(models.Letter, ids["B"]).code
    return ids


@pytest.fixture
def items(world, travel):
    travel(TODAY)
    return _world_items(world)


def _todo(world, actor: Actor) -> list[todo.Item]:
    with session_scope(url=world.url) as s:
        return todo.my_todo(s, actor)


def test_staff_sees_the_letters_opinions_and_mailboxes_of_their_office_only(world, items):
    rows = _todo(world, world.staff())
    kinds = [(i.kind, i.state) for i in rows]
    # received 27 working days ago: the 2-day 交代表 step is more than twice late
    assert ("来信", "严重超期") in kinds and ("群众意见", "即将到期") in kinds
    # the quarterly summary of 2026 Q1 is due from both groups of office 0
    assert [i.title for i in rows if i.kind == "季度汇总"] == ["东城第一代表组2026年第1季度汇总待报送",
                                                              "东城第二代表组2026年第1季度汇总待报送"]
    letter_rows = [i for i in rows if i.kind == "来信"]
    assert [i.params["letter"] for i in letter_rows] == [str(items["A"])]
    assert letter_rows[0].page == "mailbox" and letter_rows[0].params["view"] == "letters"
    op = next(i for i in rows if i.kind == "群众意见")
    assert op.params == {"view": "opinions", "opinion": str(items["op"])} and op.due == date(2026, 6, 17)
    # mailboxes 0, 1, 3 lie in office 0; none was opened this week
    assert sum(1 for i in rows if i.kind == "信箱") == 3
    # overdue first
    assert rows[0].state == "严重超期"


def test_a_group_scoped_staff_sees_only_their_group(world, items):
    other = Actor("staff2", "staff", group_id=world.groups[1], display_name="孙工作")
    rows = _todo(world, other)
    # mailbox 1 and the summary of group 1; letter A and the opinion are group 0's
    assert [i.kind for i in rows] == ["信箱", "季度汇总"]


def test_admin_sees_every_office_and_the_workload(world, items):
    rows = _todo(world, world.admin())
    assert {i.params.get("letter") for i in rows if i.kind == "来信"} == {str(items["A"]), str(items["B"])}
    with session_scope(url=world.url) as s:
        counts = todo.staff_counts(s, world.admin())
        ages = todo.ageing(s, world.admin())
    assert counts == [{"工作人员": "王工作", "未办结来信（件）": 1, "其中超期（件）": 1,
                       "未办结意见（条）": 1, "其中超期（条）": 0}]
    # letters received 2026-05-06: 29 working days ago (the 调休 Saturday 05-09 counts); the opinion of 06-03: 8
    assert workdays.workdays_between(date(2026, 5, 6), date(2026, 6, 15)) == 29
    assert ages == [{"已办理时长": "0–10个工作日", "未办结来信（件）": 0, "未办结意见（条）": 1},
                    {"已办理时长": "11–20个工作日", "未办结来信（件）": 0, "未办结意见（条）": 0},
                    {"已办理时长": "21–40个工作日", "未办结来信（件）": 2, "未办结意见（条）": 0},
                    {"已办理时长": "超过40个工作日", "未办结来信（件）": 0, "未办结意见（条）": 0}]


def test_age_bands_follow_the_working_days(world, travel):
    cal = workdays.PACKAGE
    day = date(2026, 10, 12)  # after the National Day week
    b10, b20, b40 = todo.age_bounds(cal, day)
    assert cal.workdays_between(b10, day) == 10 and cal.workdays_between(b10 - date.resolution, day) == 11
    assert cal.workdays_between(b20, day) <= 20 < cal.workdays_between(b20 - date.resolution, day)
    assert cal.workdays_between(b40, day) <= 40 < cal.workdays_between(b40 - date.resolution, day)


def test_leader_and_supervisor_get_no_letter_rows_but_the_workload(world, items):
    leader = _todo(world, world.leader())
    assert [i.kind for i in leader] == ["名单确认"]
    assert leader[0].params == {"tab": "select", "year": "2025"}
    assert _todo(world, world.supervisor()) == []
    assert todo.sees_workload(world.supervisor()) and not todo.sees_workload(world.staff())


def test_due_soon_filter_on_the_letter_list(world, items):
    with session_scope(url=world.url) as s:
        soon = letters.list_letters(s, world.admin(), {"overdue": "即将到期"}, 0, 10)
        late = letters.list_letters(s, world.admin(), {"overdue": "超期"}, 0, 10)
    assert soon.total == 0 and late.total == 2


# ---------------------------------------------------------------- AppTest


@pytest.fixture
def app_items(app_world, travel):
    travel(TODAY)
    return _world_items(app_world)


def _todo_links(at) -> list:  # noqa: ANN001
    return [link for link in at.get("page_link") if "｜" in link.proto.label]


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_my_todo_on_the_dashboard_per_role(app_world, app_items, role):
    at = app_as(role, "dashboard")
    assert not at.exception
    assert "我的待办" in [h.value for h in at.subheader]
    labels = [link.proto.label for link in _todo_links(at)]
    codes = " ".join(labels).replace("\\", "")
    if role == "staff":
        assert app_items["codeA"] in codes and app_items["codeB"] not in codes
        assert any("群众意见" in x for x in labels)
    elif role == "admin":
        assert app_items["codeA"] in codes and app_items["codeB"] in codes
    elif role == "leader":
        assert any("确认2025年度优秀代表名单" in x.replace("\\", "") for x in labels)
        assert app_items["codeA"] not in codes
    else:
        assert labels == []
        assert any("暂无待办事项" in s.value for s in at.success)
    tables = [h.value for h in at.markdown if "各工作人员" in h.value]
    assert bool(tables) == (role != "staff")


def test_a_todo_row_opens_its_record(app_world, app_items):
    at = app_as("staff", "dashboard")
    link = next(x for x in _todo_links(at) if app_items["codeA"] in x.proto.label.replace("\\", ""))
    assert link.proto.page == "xinxiang"
    at.query_params["view"] = "letters"
    at.query_params["letter"] = str(app_items["A"])
    goto(at, "mailbox")
    assert not at.exception
    assert any(app_items["codeA"] in h.value.replace("\\", "") for h in at.subheader)
    at = app_as("staff", "dashboard")
    op_link = next(x for x in _todo_links(at) if "群众意见" in x.proto.label)
    assert op_link.proto.page == "huodong"
    at.query_params["view"] = "opinions"
    at.query_params["opinion"] = str(app_items["op"])
    goto(at, "activities")
    assert not at.exception
    assert any(m.label == "转交期限" and m.value == "2026-06-17" for m in at.metric)
    # a forged id outside the scope: a Chinese notice, never the record
    at.query_params["opinion"] = "999999"
    goto(at, "activities")
    assert not at.exception and any("不存在" in e.value for e in at.error)
    # bad parameters (a superscript digit, 5,000 digits, text): the list, never an error
    for bad in ("²", "9" * 5000, "-1", "abc"):
        at.query_params["opinion"] = bad
        goto(at, "activities")
        assert not at.exception and not at.error, bad
        at.query_params["letter"] = bad
        at.query_params["view"] = "letters"
        goto(at, "mailbox")
        assert not at.exception and not at.error, bad
        at.query_params["view"] = "opinions"


def test_totals_count_beyond_the_rows_shown(world, items, monkeypatch):
    monkeypatch.setattr(todo, "LIMIT", 1)
    rows = _todo(world, world.admin())
    assert sum(1 for i in rows if i.kind == "来信") == 1
    with session_scope(url=world.url) as s:
        assert todo.totals(s, world.admin()) == {"来信": 2, "群众意见": 1}
        assert todo.totals(s, world.leader()) == {}


def test_the_workload_names_people_and_tells_namesakes_apart_by_login(world, items):
    """The per-staff table shows each person by name; only two accounts of one name get their
    login beside it (the login of the demo is English, a name is what a leader reads)."""
    from services import auth

    with session_scope(url=world.url) as s:
        auth.create_user(s, None, {"username": "wang2", "display_name": "王工作", "role": "staff",
                                   "office_id": world.offices[0], "password": "demo12345xyz"})
    with session_scope(url=world.url) as s:
        counts = todo.staff_counts(s, world.admin())
    assert sorted((r["工作人员"], r["用户名"]) for r in counts) == [("王工作", "staff"), ("王工作", "wang2")]


def test_the_board_is_kept_until_a_write_or_the_next_day(world, travel) -> None:
    """工作台's 我的待办 is computed once per data version, day and user: a repeat visit reuses it, a
    new letter (any committed write) or the next day computes it again, another user gets their own."""
    travel(TODAY)
    admin, leader = world.admin(), world.leader()
    with session_scope(url=world.url) as s:
        first = todo.board(s, admin)
        assert todo.board(s, admin) is first and todo.board(s, leader) is not first
    assert "来信" not in {i.kind for i in first.items}
    with session_scope("admin", world.url) as s:
        letters.register(s, admin, {"mailbox_id": world.mailboxes[0], "received_on": date(2026, 5, 6),
                                    "writer_name": "张三丰", "writer_phone": "13812341234", "summary": "路灯损坏",
                                    "category": "城乡建设"})
    with session_scope(url=world.url) as s:
        after = todo.board(s, admin)
    assert after is not first and [i.kind for i in after.items].count("来信") == 1
    travel("2026-06-16")
    with session_scope(url=world.url) as s:
        assert todo.board(s, admin) is not after
        assert todo.board(s, leader).staff_counts is not None
