"""Voters' opinions: entry, the allowed-transitions lifecycle and R3 (on SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import opinions
from services.common import NotFound, PermissionDenied, StaleError, ValidationError

YEAR = 2026
RAISED = date(YEAR, 1, 5)


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")

# the extra fields each target status needs
NEEDS = {
    "已转交": {"forwarded_to": "区住建局"},
    "办理中": {},
    "已解决": {"resolved_by": "区住建局", "result": "已修复", "outcome": "A 已解决"},
    "无法解决": {"reason": "涉及规划调整，本年度无法实施"},
    "已反馈选民": {"feedback": "已电话告知选民"},
}
# a path from 待转交 to each status
PATH = {
    "待转交": [],
    "已转交": ["已转交"],
    "办理中": ["已转交", "办理中"],
    "已解决": ["已转交", "办理中", "已解决"],
    "无法解决": ["已转交", "无法解决"],
    "已反馈选民": ["已转交", "已解决", "已反馈选民"],
}


def _opinion(w, actor=None, **over) -> int:
    """Add one opinion (district 0, as staff unless another actor is given); return its id."""
    kw = {"source": "述职", "district_id": w.districts[0], "raised_on": RAISED, "content": "小区路灯不亮",
              "category": "城乡建设", "is_livelihood": True, "deputy_id": w.deputies[0]}
    kw.update(over)
    actor = actor or w.staff()
    with session_scope(actor.username, url=w.url) as s:
        return opinions.add_opinion(s, actor, **kw).id


def _walk(w, op_id: int, steps: list[str]) -> None:
    """Move an opinion along ``steps`` as staff."""
    for step in steps:
        with session_scope("staff", url=w.url) as s:
            opinions.transition(s, w.staff(), op_id, step, happened_on=RAISED, **NEEDS[step])


def _status(w, op_id: int) -> str:
    """The opinion's status in the database."""
    with session_scope(url=w.url) as s:
        return s.get(models.Opinion, op_id).status


def test_add_opinion_for_reports_records_first_step(world):
    op_id = _opinion(world)
    with session_scope(url=world.url) as s:
        op = s.get(models.Opinion, op_id)
        assert (op.status, op.source, op.group_id) == ("待转交", "述职", world.groups[0])
        events = opinions.events(s, world.admin(), op_id)
    assert [e["status"] for e in events] == ["待转交"]
    assert events[0]["by"] == "王工作"


def test_add_opinion_with_body_starts_forwarded(world):
    op_id = _opinion(world, forwarded_to="街道办事处")
    with session_scope(url=world.url) as s:
        assert [e["status"] for e in opinions.events(s, world.admin(), op_id)] == ["待转交", "已转交"]
    assert _status(world, op_id) == "已转交"


def test_add_opinion_refuses_bad_input_and_writes_nothing(world):
    with pytest.raises(ValidationError) as exc, session_scope("staff", url=world.url) as s:
        opinions.add_opinion(s, world.staff(), district_id=world.districts[0], raised_on=date(YEAR + 1, 1, 1),
                             content="  ", category="不存在的类别")
    assert set(exc.value.errors) >= {"raised_on", "content", "category"}
    with session_scope(url=world.url) as s:
        assert s.execute(select(func.count()).select_from(models.Opinion)).scalar_one() == 0


def test_add_opinion_outside_scope_refused(world):
    with pytest.raises(PermissionDenied), session_scope("staff", url=world.url) as s:
        opinions.add_opinion(s, world.staff(), district_id=world.districts[2], raised_on=RAISED,
                             content="问题", category="教育")


@pytest.mark.parametrize(
    ("start", "to", "ok"),
    [
        ("待转交", "已转交", True),
        ("待转交", "办理中", False),
        ("待转交", "已解决", False),
        ("已转交", "办理中", True),
        ("已转交", "已解决", True),
        ("已转交", "无法解决", True),
        ("已转交", "已反馈选民", False),
        ("办理中", "已解决", True),
        ("办理中", "无法解决", True),
        ("办理中", "已转交", False),
        ("已解决", "已反馈选民", True),
        ("已解决", "办理中", False),
        ("无法解决", "已反馈选民", True),
        ("无法解决", "已解决", False),
        ("已反馈选民", "已转交", False),
    ],
)
def test_transitions(world, start, to, ok):
    op_id = _opinion(world)
    _walk(world, op_id, PATH[start])
    assert _status(world, op_id) == start
    if ok:
        _walk(world, op_id, [to])
        assert _status(world, op_id) == to
        with session_scope(url=world.url) as s:
            last = opinions.events(s, world.admin(), op_id)[-1]
        assert last["status"] == to and last["by"] == "王工作" and last["on"] == RAISED
    else:
        with pytest.raises(ValidationError) as exc:
            _walk(world, op_id, [to])
        assert "to_status" in exc.value.errors
        assert _status(world, op_id) == start


def test_transition_map_matches_the_lifecycle():
    assert set(opinions.TRANSITIONS) == set(opinions.STATUSES)
    assert opinions.allowed_next("已反馈选民") == ()
    for nxt in opinions.TRANSITIONS.values():
        assert set(nxt) <= set(opinions.STATUSES)


@pytest.mark.parametrize("resolved_by", ["", "代表本人", "自行解决", "本人协调解决", "张伟", "张伟代表", "张伟同志",
                                         "张伟（代表）", "张伟代表本人", "张 伟", "区某某局"])
def test_r3_deputy_never_closes_as_handled_himself(world, resolved_by):
    op_id = _opinion(world)  # deputy in charge: 张伟 (deputies[0])
    _walk(world, op_id, ["已转交", "办理中"])
    with pytest.raises(ValidationError) as exc, session_scope("staff", url=world.url) as s:
        opinions.transition(s, world.staff(), op_id, "已解决", resolved_by=resolved_by)
    assert "resolved_by" in exc.value.errors
    with session_scope(url=world.url) as s:
        op = s.get(models.Opinion, op_id)
        assert (op.status, op.resolved_on, op.resolved_by) == ("办理中", None, None)


def test_resolution_records_body_and_date(world):
    op_id = _opinion(world)
    _walk(world, op_id, ["已转交", "已解决"])
    with session_scope(url=world.url) as s:
        op = s.get(models.Opinion, op_id)
        assert (op.resolved_by, op.resolved_on, op.result) == ("区住建局", RAISED, "已修复")


@pytest.mark.parametrize(
    ("steps", "to", "field"),
    [([], "已转交", "forwarded_to"), (["已转交"], "无法解决", "reason"),
     (["已转交", "已解决"], "已反馈选民", "feedback")],
)
def test_step_needs_its_detail(world, steps, to, field):
    op_id = _opinion(world)
    _walk(world, op_id, steps)
    with pytest.raises(ValidationError) as exc, session_scope("staff", url=world.url) as s:
        opinions.transition(s, world.staff(), op_id, to)
    assert field in exc.value.errors


def test_step_date_not_in_future_nor_before_raised(world):
    op_id = _opinion(world)
    for bad in (date(YEAR + 1, 1, 1), date(YEAR - 1, 12, 31)):
        with pytest.raises(ValidationError) as exc, session_scope("staff", url=world.url) as s:
            opinions.transition(s, world.staff(), op_id, "已转交", forwarded_to="区教育局", happened_on=bad)
        assert "happened_on" in exc.value.errors
    assert _status(world, op_id) == "待转交"


def test_stale_version_refused(world):
    op_id = _opinion(world)
    _walk(world, op_id, ["已转交"])
    with pytest.raises(StaleError), session_scope("staff", url=world.url) as s:
        opinions.transition(s, world.staff(), op_id, "办理中", expected_version=1)


def test_scope_and_role(world):
    op_id = _opinion(world, world.admin(), district_id=world.districts[2], deputy_id=None)
    with pytest.raises(NotFound), session_scope("staff", url=world.url) as s:
        opinions.transition(s, world.staff(), op_id, "已转交", forwarded_to="区教育局")
    with pytest.raises(PermissionDenied), session_scope("leader", url=world.url) as s:
        opinions.transition(s, world.leader(), op_id, "已转交", forwarded_to="区教育局")


def test_list_opinions_filters_and_scope(world):
    a = _opinion(world)
    b = _opinion(world, content="学校门口拥堵", category="交通出行", is_livelihood=False,
                 forwarded_to="交警大队")
    c = _opinion(world, world.admin(), district_id=world.districts[2], deputy_id=None)
    _walk(world, b, ["已解决"])

    def ids(actor=None, **f) -> set[int]:
        with session_scope(url=world.url) as s:
            return {r["id"] for r in opinions.list_opinions(s, actor or world.admin(), f, 0, 100).rows}

    assert ids() == {a, b, c}
    assert ids(world.staff()) == {a, b}
    assert ids(status="已解决") == {b}
    assert ids(category="交通出行") == {b}
    assert ids(livelihood=True) == {a, c}
    assert ids(group=world.groups[2]) == {c}
    assert ids(q="交警") == {b}
    assert ids(year=YEAR - 1) == set()
    with session_scope(url=world.url) as s:
        page = opinions.list_opinions(s, world.admin(), {}, 0, 2)
        assert (page.total, len(page.rows), page.sums["其中民生问题"]) == (3, 2, "2 条")
        with pytest.raises(NotFound):
            opinions.get_opinion(s, world.staff(), c)
        assert opinions.get_opinion(s, world.staff(), b)["next"] == ["已反馈选民"]
