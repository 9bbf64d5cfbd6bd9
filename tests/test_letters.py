"""Letters (R12): registering, every legal and illegal step, deadlines at the edges, masking,
reveal audit, undo, bulk deadline recompute — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from db import models
from db.engine import session_scope
from services import clock, letters, workdays
from services.common import Actor, NotFound, PermissionDenied, ValidationError

DL = {"handed": 2, "reply": 10, "forward": 10, "feedback": 40}
REGISTERED = date(2026, 9, 28)  # a Monday before the 2026 National Day holiday
TODAY = "2026-11-30"  # the steps below are dated September–November 2026 (across National Day)


@pytest.fixture(autouse=True)
def _on_a_day_after_the_dates_used(travel) -> None:  # noqa: ANN001
    """Every test here runs on 30 November 2026: the letters are dated around the 2026 National Day
    holidays, whose working days the deadlines depend on (whatever TEST_TODAY says)."""
    travel(TODAY)


def _data(world, **kw) -> dict:
    """A valid letter form for mailbox 0 (group 0, office 0)."""
    base = {"mailbox_id": world.mailboxes[0], "received_on": REGISTERED, "writer_name": "张三丰",
            "writer_phone": "13812341234", "writer_address": "东城区幸福街道和平路12号",
            "summary": "小区门口路灯损坏三个月无人维修，夜间出行不便", "category": "城乡建设",
            "deputy_id": world.deputies[0]}
    base.update(kw)
    return base


def _register(world, actor=None, **kw) -> int:
    """Register a letter and return its id."""
    with session_scope("staff", world.url) as s:
        return letters.register(s, actor or world.staff(), _data(world, **kw)).id


# the legal path and what each step needs
PATH = ["登记", "已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈"]
NEEDS = {
    "已回复": {"reply_content": "已收到，将转有关部门办理", "reply_method": "电话"},
    "已转办": {"forwarded_to": "区住建局"},
    "已办结": {"result": "已更换路灯", "outcome": "A 已解决"},
    "已反馈": {"feedback_method": "电话", "satisfaction": "不满意"},
    "不予受理": {"reason": "不属于人大代表职责范围"},
}


def _advance(world, letter_id: int, to: str, on: date = REGISTERED) -> None:
    """Move a fresh letter along the legal path until it reaches ``to``."""
    actor = world.staff()
    with session_scope("staff", world.url) as s:
        if to in ("不予受理", "已合并"):
            kw = dict(NEEDS.get(to, {}))
            if to == "已合并":
                other = letters.register(s, actor, _data(world, writer_phone="13900001111", summary="另一封信")).id
                kw = {"reason": "重复来信", "merged_into": other}
            letters.transition(s, actor, letter_id, to, happened_on=on, **kw)
            return
        for step in PATH[1:PATH.index(to) + 1]:
            letters.transition(s, actor, letter_id, step, happened_on=on, **NEEDS.get(step, {}))


def _status(world, letter_id: int) -> str:
    """A letter's state now."""
    with session_scope("t", world.url) as s:
        return s.get(models.Letter, letter_id).status


# ---------------------------------------------------------------- registering


def test_register_computes_code_deadlines_and_first_event(world) -> None:
    """A registered letter has a number, its three due dates on the working-day calendar, and 登记."""
    lid = _register(world)
    with session_scope("t", world.url) as s:
        letter = s.get(models.Letter, lid)
        assert letter.code == "XF2026-000001"
        assert letter.status == "登记"
        assert letter.step_due == date(2026, 9, 30)
        assert letter.reply_due == date(2026, 10, 16)  # across National Day, Sat 10 Oct worked
        assert letter.resolve_due == workdays.add_workdays(REGISTERED, 40)
        ev = s.execute(select(models.LetterEvent).where(models.LetterEvent.letter_id == lid)).scalars().all()
        assert [e.to_status for e in ev] == ["登记"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("writer_phone", "12345", "手机号码"),
    ("received_on", "tomorrow", "晚于今天"),
    ("received_on", date(2000, 1, 1), "早于信箱设立日期"),
    ("category", "不存在的类别", "类别"),
    ("summary", "", "内容摘要"),
])
def test_register_refuses_bad_input(world, field: str, value: object, message: str) -> None:
    """Bad phone, a date after today or before the mailbox existed, bad category, no summary."""
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        value = clock.today() + timedelta(days=1) if value == "tomorrow" else value
        letters.register(s, world.staff(), _data(world, **{field: value}))
    assert message in exc.value.errors[field]
    with session_scope("t", world.url) as s:
        assert s.execute(select(func.count()).select_from(models.Letter)).scalar_one() == 0


def test_anonymous_letter_and_landline(world) -> None:
    """An anonymous letter has no writer or phone; a landline number is accepted."""
    a = _register(world, anonymous=True, writer_name="", writer_phone="")
    b = _register(world, writer_phone="010-62345678", summary="噪音扰民")
    with session_scope("t", world.url) as s:
        assert s.get(models.Letter, a).writer_phone is None and s.get(models.Letter, a).writer_name is None
        assert s.get(models.Letter, b).writer_phone == "010-62345678"


def test_possible_duplicates_by_phone_and_by_similar_summary(world) -> None:
    """Same phone, or a very similar summary in the same district, within 90 days."""
    first = _register(world)
    with session_scope("staff", world.url) as s:
        same_phone = letters.find_possible_duplicates(s, world.staff(), _data(world, summary="完全不同的事情"))
        similar = letters.find_possible_duplicates(
            s, world.staff(), _data(world, writer_phone="13900000000",
                                    summary="小区门口路灯损坏三个月了无人维修，晚上出行不便"))
        none = letters.find_possible_duplicates(
            s, world.staff(), _data(world, writer_phone="13900000000", summary="学校周边交通拥堵"))
    assert [d["id"] for d in same_phone] == [first] and "同一联系电话" in same_phone[0]["疑似重复原因"]
    assert [d["id"] for d in similar] == [first] and "内容相似" in similar[0]["疑似重复原因"]
    assert none == []
    assert same_phone[0]["联系电话"] == "138****1234"


def test_register_and_merge(world) -> None:
    """Saving as a duplicate closes the new letter as 已合并 into the chosen one."""
    first = _register(world)
    with session_scope("staff", world.url) as s:
        second = letters.register(s, world.staff(), _data(world), merge_into=first)
        assert second.status == "已合并" and second.merged_into_id == first


# ---------------------------------------------------------------- every legal and illegal step


@pytest.mark.parametrize("start", letters.STATES)
def test_every_transition_from(world, start: str) -> None:
    """From each state, exactly the steps of TRANSITIONS are allowed (reopen only after 不满意)."""
    for target in letters.STATES:
        lid = _register(world, writer_phone="", writer_name="李四", summary=f"{start}->{target}")
        _advance(world, lid, start)
        legal = target in letters.TRANSITIONS[start]
        kw = dict(NEEDS.get(target, {}))
        with session_scope("staff", world.url) as s:
            if target == "已合并":
                kw = {"reason": "重复", "merged_into": letters.register(
                    s, world.staff(), _data(world, writer_phone="", writer_name="王五", summary="目标")).id}
            if legal:
                letters.transition(s, world.staff(), lid, target, happened_on=REGISTERED, **kw)
            else:
                with pytest.raises(ValidationError) as exc:
                    letters.transition(s, world.staff(), lid, target, happened_on=REGISTERED, **kw)
                assert "to_status" in exc.value.errors
        assert _status(world, lid) == (target if legal else start), (start, target)


def test_next_steps_offers_only_legal_steps(world) -> None:
    """next_steps lists the legal steps; reopening shows only after 不满意."""
    lid = _register(world)
    with session_scope("t", world.url) as s:
        assert [t for t, _ in letters.next_steps(s.get(models.Letter, lid))] == ["已交代表", "不予受理", "已合并"]
    _advance(world, lid, "已反馈")
    with session_scope("t", world.url) as s:
        letter = s.get(models.Letter, lid)
        assert letters.next_steps(letter) == [("办理中", letters.REOPEN_LABEL)]
        letter.satisfaction = "满意"
        assert letters.next_steps(letter) == []


@pytest.mark.parametrize(("to", "field"), [("已回复", "reply_content"), ("已回复", "reply_method"),
                                           ("已转办", "forwarded_to"), ("已办结", "result"), ("已办结", "outcome"),
                                           ("已反馈", "satisfaction"), ("不予受理", "reason")])
def test_steps_require_their_fields(world, to: str, field: str) -> None:
    """答复内容和方式, 转办单位, 办理结果 and its class, 满意度 and a reason are required by their steps."""
    lid = _register(world)
    before = {"已回复": "已交代表", "已转办": "已回复", "已办结": "办理中", "已反馈": "已办结", "不予受理": "登记"}[to]
    _advance(world, lid, before)
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, to, happened_on=REGISTERED, feedback_method="电话")
    assert field in exc.value.errors


def test_step_date_not_before_previous_step(world) -> None:
    """A step cannot be dated before the letter's last step."""
    lid = _register(world)
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "已交代表", happened_on=REGISTERED - timedelta(days=1))
    assert "happened_on" in exc.value.errors


def test_stale_version_is_refused(world) -> None:
    """Two staff on one letter: the second save with the old version is refused."""
    from services.common import StaleError

    lid = _register(world)
    with session_scope("staff", world.url) as s:
        v = s.get(models.Letter, lid).version
        letters.transition(s, world.staff(), lid, "已交代表", happened_on=REGISTERED, expected_version=v)
    with pytest.raises(StaleError), session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "不予受理", reason="x", expected_version=v)


# ---------------------------------------------------------------- deadlines and overdue


def _overdue_ids(world, on: date, long: bool = False) -> set[int]:
    """Ids of letters the SQL condition calls overdue on ``on``."""
    with session_scope("t", world.url) as s:
        return set(s.execute(select(models.Letter.id).where(letters.overdue_clause(s, long, on))).scalars())


def test_deadline_day_itself_is_not_overdue(world) -> None:
    """On the due day a letter is on time; the day after it is overdue; past twice the deadline,
    long overdue. The list's mark agrees with the SQL condition."""
    lid = _register(world)
    _advance(world, lid, "已交代表")
    with session_scope("t", world.url) as s:
        due = s.get(models.Letter, lid).reply_due
    assert due == date(2026, 10, 16)
    assert lid not in _overdue_ids(world, due)
    assert lid in _overdue_ids(world, due + timedelta(days=1))
    twice = workdays.add_workdays(REGISTERED, 20)
    assert lid not in _overdue_ids(world, twice, long=True)
    assert lid in _overdue_ids(world, twice + timedelta(days=1), long=True)
    with session_scope("t", world.url) as s:
        letter = s.get(models.Letter, lid)
        dues = {"reply_due": letter.reply_due, "resolve_due": letter.resolve_due, "step_due": letter.step_due}
        assert letters.Clock(s, due).level(letter.status, False, dues) == ""
        assert letters.Clock(s, due + timedelta(days=1)).level(letter.status, False, dues) == "超期"
        assert letters.Clock(s, twice + timedelta(days=1)).level(letter.status, False, dues) == "严重超期"


def test_handed_deadline_across_holiday(world) -> None:
    """Received Wed 30 Sep 2026: handed to the deputy within 2 working days = Fri 9 Oct."""
    lid = _register(world, received_on=date(2026, 9, 30))
    with session_scope("t", world.url) as s:
        assert s.get(models.Letter, lid).step_due == date(2026, 10, 9)
    assert lid not in _overdue_ids(world, date(2026, 10, 9))
    assert lid in _overdue_ids(world, date(2026, 10, 10))


def test_paused_clock_pushes_deadlines_and_is_not_overdue(world) -> None:
    """Waiting for the writer's clarification stops the clocks; resuming pushes them by the
    working days paused."""
    lid = _register(world)
    _advance(world, lid, "已交代表")
    with session_scope("staff", world.url) as s:
        letters.pause(s, world.staff(), lid, happened_on=date(2026, 10, 9), note="请来信人补充具体地址")
        with pytest.raises(ValidationError):
            letters.transition(s, world.staff(), lid, "已回复")
    assert lid not in _overdue_ids(world, date(2026, 11, 1))
    with session_scope("staff", world.url) as s:
        letters.resume(s, world.staff(), lid, happened_on=date(2026, 10, 16))
    paused = workdays.workdays_between(date(2026, 10, 9), date(2026, 10, 16))
    assert paused == 6  # Sat 10 Oct (调休), Mon 12 … Fri 16
    with session_scope("t", world.url) as s:
        letter = s.get(models.Letter, lid)
        assert letter.paused_days == 6 and letter.paused_since is None
        assert letter.reply_due == workdays.add_workdays(REGISTERED, 16)
        assert letter.resolve_due == workdays.add_workdays(REGISTERED, 46)


def test_reopened_letter_gets_a_new_round_with_its_own_clock(world) -> None:
    """不满意 at feedback: reopening starts round 2 of 办理中, due 40 working days after the reopening;
    the history keeps both rounds."""
    lid = _register(world)
    _advance(world, lid, "已反馈", on=date(2026, 10, 20))
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "办理中", happened_on=date(2026, 11, 2))
    with session_scope("staff", world.url) as s:
        letter = s.get(models.Letter, lid)
        assert letter.round == 2 and letter.status == "办理中"
        assert letter.satisfaction is None and letter.result is None
        assert letter.resolve_due == workdays.add_workdays(date(2026, 11, 2), 40)
        info = letters.get_letter(s, world.staff(), lid)
    rounds = [(e["round"], e["to"]) for e in info["events"]]
    assert (1, "已办结") in rounds and (1, "已反馈") in rounds and (2, "办理中") in rounds
    assert lid not in _overdue_ids(world, date(2026, 11, 28))


def test_reopen_refused_when_satisfied(world) -> None:
    """A satisfied writer's letter cannot be reopened."""
    lid = _register(world)
    with session_scope("staff", world.url) as s:
        for step in PATH[1:-1]:
            letters.transition(s, world.staff(), lid, step, happened_on=REGISTERED, **NEEDS.get(step, {}))
        letters.transition(s, world.staff(), lid, "已反馈", feedback_method="电话", satisfaction="满意",
                           happened_on=REGISTERED)
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "办理中")
    assert "不满意" in exc.value.errors["to_status"]


def test_recompute_deadlines_in_bulk(world) -> None:
    """Letters inserted without due dates get the same dates the single-letter path computes."""
    rows = []
    for i in range(30):
        day = date(2026, 9, 1) + timedelta(days=i * 2)
        rows.append({"code": f"B{i:04d}", "mailbox_id": world.mailboxes[0], "district_id": world.districts[0],
                     "group_id": world.groups[0], "office_id": world.offices[0], "received_on": day,
                     "summary": "批量", "category": "教育", "status": ["登记", "已回复", "办理中"][i % 3],
                     "status_on": day + timedelta(days=3), "round": 1, "paused_days": i % 2, "version": 1})
    with session_scope("system", world.url) as s:
        s.execute(insert(models.Letter), rows)
    with session_scope("system", world.url) as s:
        assert letters.recompute_deadlines(s) == 30
    with session_scope("t", world.url) as s:
        for letter in s.execute(select(models.Letter)).scalars():
            expect = letters.due_dates(letter.received_on, letter.status, letter.status_on, None,
                                       letter.paused_days, DL)
            assert (letter.reply_due, letter.resolve_due, letter.step_due) == expect
    # the same for a chosen few that span several (received date, paused days) groups
    with session_scope("system", world.url) as s:
        s.execute(models.Letter.__table__.update().values(reply_due=None, resolve_due=None, step_due=None))
        ids = list(s.execute(select(models.Letter.id).order_by(models.Letter.id).limit(7)).scalars())
        assert letters.recompute_deadlines(s, ids) == 7
    with session_scope("t", world.url) as s:
        done = s.execute(select(models.Letter.id).where(models.Letter.reply_due.is_not(None))).scalars()
        assert sorted(done) == ids


# ---------------------------------------------------------------- masking, reveal, undo


@pytest.mark.parametrize("role", ["leader", "supervisor", "staff", "admin"])
def test_lists_mask_personal_data_for_every_role(world, role: str) -> None:
    """Lists show 张**, 138****1234 and the address to the district, whoever reads them."""
    _register(world)
    actor = getattr(world, role)()
    with session_scope(role, world.url) as s:
        page = letters.list_letters(s, actor, {}, 0, 20)
    row = page.rows[0]
    assert row["来信人"] == "张**" and row["联系电话"] == "138****1234"
    assert row["住址"] == "东城区***"


@pytest.mark.parametrize(("role", "allowed"), [("leader", False), ("supervisor", False), ("staff", True),
                                               ("admin", True)])
def test_reveal_by_role_writes_an_audit_row(world, role: str, allowed: bool) -> None:
    """Staff of the scope and admin may reveal (logged as 查看); leader and supervisor may not."""
    lid = _register(world)
    actor = getattr(world, role)()
    if allowed:
        with session_scope(role, world.url) as s:
            assert letters.reveal(s, actor, lid)["联系电话"] == "13812341234"
        with session_scope("t", world.url) as s:
            logs = s.execute(select(models.AuditLog).where(models.AuditLog.action == "查看",
                                                           models.AuditLog.entity == "Letter")).scalars().all()
        assert [(x.username, x.entity_id) for x in logs] == [(role, str(lid))]
    else:
        with pytest.raises(PermissionDenied), session_scope(role, world.url) as s:
            letters.reveal(s, actor, lid)


def test_staff_of_another_office_cannot_see_the_letter(world) -> None:
    """A staff account scoped to office 1 neither lists nor reveals office 0's letters."""

    lid = _register(world)
    other = Actor("west", "staff", office_id=world.offices[1])
    with session_scope("west", world.url) as s:
        assert letters.list_letters(s, other, {}, 0, 20).total == 0
        with pytest.raises(NotFound):
            letters.reveal(s, other, lid)


def test_export_reveals_only_for_roles_that_may_and_logs_it(world) -> None:
    """An export with personal data is refused for the leader; a staff export is logged."""
    _register(world)
    with pytest.raises(PermissionDenied), session_scope("leader", world.url) as s:
        letters.list_letters(s, world.leader(), {}, 0, 100, reveal_all=True)
    with session_scope("staff", world.url) as s:
        page = letters.list_letters(s, world.staff(), {}, 0, 100, reveal_all=True)
    assert page.rows[0]["联系电话"] == "13812341234"
    assert "脱敏" in letters.export_notes(world.leader())[0]
    with session_scope("t", world.url) as s:
        assert s.execute(select(func.count()).select_from(models.AuditLog)
                         .where(models.AuditLog.action == "查看")).scalar_one() == 1


def test_undo_only_by_admin_and_logged(world) -> None:
    """Staff cannot undo; the admin's undo restores the state, marks the step and logs 撤销."""
    lid = _register(world)
    _advance(world, lid, "已转办")
    with pytest.raises(PermissionDenied), session_scope("staff", world.url) as s:
        letters.undo_last(s, world.staff(), lid, "填错了")
    with session_scope("admin", world.url) as s:
        letters.undo_last(s, world.admin(), lid, "转办单位填错")
    with session_scope("t", world.url) as s:
        letter = s.get(models.Letter, lid)
        assert letter.status == "已回复" and letter.forwarded_to is None
        assert letter.step_due == workdays.add_workdays(REGISTERED, 10)
        undone = s.execute(select(models.LetterEvent).where(models.LetterEvent.undone.is_(True))).scalars().all()
        assert [e.to_status for e in undone] == ["已转办"]
        assert s.execute(select(func.count()).select_from(models.AuditLog)
                         .where(models.AuditLog.action == "撤销")).scalar_one() == 1


def test_list_filters_and_overdue_counts(world) -> None:
    """Filters by state, category and search; the totals count overdue letters."""
    a = _register(world)
    _register(world, summary="学校门口交通拥堵", category="交通出行", writer_phone="13900000002",
              received_on=clock.today())
    with session_scope("staff", world.url) as s:
        assert letters.list_letters(s, world.staff(), {"category": "交通出行"}, 0, 20).total == 1
        assert letters.list_letters(s, world.staff(), {"q": "路灯"}, 0, 20).rows[0]["id"] == a
        overdue = letters.list_letters(s, world.staff(), {"overdue": "超期"}, 0, 20)
        assert [r["id"] for r in overdue.rows] == [a]
        assert overdue.rows[0]["超期"] == "严重超期"
        assert overdue.sums["超期"] == "1 件"


def test_figures(world) -> None:
    """工作台 figures of R12 (from services.letters): overdue and long-overdue letters, in scope."""
    _register(world)
    with session_scope("staff", world.url) as s:
        figs = {f.label: f for f in letters.figures(s, world.staff(), clock.today().year)}
        west = letters.figures(s, Actor("w", "staff", office_id=world.offices[1]), clock.today().year)
    assert {f.rule for f in figs.values()} == {"R12"}
    over = figs["超期未办来信"]
    assert over.value == 1 and over.page == "mailbox" and over.params["overdue"] == "超期"
    assert figs["严重超期来信（超过时限两倍）"].value == 1
    assert [f.value for f in west] == [0, 0]


def test_deputy_in_charge_must_serve_in_the_mailbox_group_today(world) -> None:
    """Who serves follows the periods of service: a deputy who resigned, or moved to another group,
    cannot take a letter of the old group; a deputy moved into the group can."""
    from db.periods import set_intent

    with session_scope("admin", world.url) as s:
        gone = s.get(models.Deputy, world.deputies[0])
        gone.status, gone.left_on = "辞职", date(2026, 10, 31)
        moved = s.get(models.Deputy, world.deputies[2])
        set_intent(moved, "move", date(2026, 11, 1))
        moved.group_id, moved.district_id = world.groups[1], world.districts[1]
        came = s.get(models.Deputy, world.deputies[7])  # of group 1
        set_intent(came, "move", date(2026, 11, 1))
        came.group_id, came.district_id = world.groups[0], world.districts[0]
    for deputy, message in ((world.deputies[0], "已不在任"), (world.deputies[2], "所在代表组")):
        with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
            letters.register(s, world.staff(), _data(world, deputy_id=deputy))
        assert message in exc.value.errors["deputy_id"]
    assert _register(world, deputy_id=world.deputies[7])
