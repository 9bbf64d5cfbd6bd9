"""基础数据 services on SQLite, PostgreSQL and MariaDB: validation, scope, locking, search."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import masterdata as md
from services.common import PermissionDenied, StaleError, ValidationError


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """The world seen from 2026-06-15 (its deputies joined on 2024-01-10), whatever TEST_TODAY says."""
    travel("2026-06-15")


def _deputy(world, **kw) -> dict:
    """A valid deputy form for group 0 / district 0, overridden by ``kw``."""
    data = {"name": "欧阳晨", "gender": "女", "birth_year": "1985", "party": "民盟",
            "unit_title": "区第一中学教师", "phone": "13912345678", "group_id": world.groups[0],
            "district_id": world.districts[0], "term_id": world.term}
    data.update(kw)
    return data


def test_create_deputy_fills_pinyin_and_is_searchable(world):
    with session_scope("admin", url=world.url) as s:
        d = md.save_deputy(s, world.admin(), _deputy(world, name=" 欧阳晨\u3000", phone="１３９１２３４５６７８"))
        new_id = d.id
    with session_scope(url=world.url) as s:
        d = s.get(models.Deputy, new_id)
        assert (d.name, d.pinyin, d.phone, d.version) == ("欧阳晨", "oyc", "13912345678", 1)
        for q in ("欧阳", "oy", "OYC", "1391234"):
            names = [r["姓名"] for r in md.list_deputies(s, world.admin(), {"q": q}, 0, 20).rows]
            assert names == ["欧阳晨"], q
        assert md.list_deputies(s, world.admin(), {"q": "zz"}, 0, 20).total == 0


def test_polyphonic_surname_initials():
    assert md.pinyin_initials("单雄信") == "sxx"
    assert md.pinyin_initials("张三丰") == "zsf"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "请填写姓名"),
        ("phone", "1381234567", "11位手机号码"),
        ("phone", "23812345678", "11位手机号码"),
        ("birth_year", "1880", "出生年份"),
        ("birth_year", "2020", "出生年份"),
        ("gender", "未知", "性别"),
    ],
)
def test_bad_deputy_is_refused_and_nothing_written(world, field, value, message):
    with session_scope("admin", url=world.url) as s, pytest.raises(ValidationError) as exc:
        md.save_deputy(s, world.admin(), _deputy(world, **{field: value}))
    assert message in exc.value.errors[field]
    with session_scope(url=world.url) as s:
        assert s.query(models.Deputy).count() == 12


def test_district_must_belong_to_the_group(world):
    with session_scope("admin", url=world.url) as s, pytest.raises(ValidationError) as exc:
        md.save_deputy(s, world.admin(), _deputy(world, district_id=world.districts[2]))
    assert "不属于代表组" in exc.value.errors["district_id"]


def test_staff_sees_and_writes_only_their_office(world):
    staff = world.staff()
    with session_scope("staff", url=world.url) as s:
        rows = md.list_deputies(s, staff, {}, 0, 100)
        assert rows.total == 10
        assert {r["办事处"] for r in rows.rows} == {"东城办事处"}
        assert set(md.group_options(s, staff)) == {world.groups[0], world.groups[1]}
        assert world.districts[2] not in md.district_options(s, staff)
        assert len(md.deputy_options(s, staff)) == 10
        assert md.list_groups(s, staff, {}, 0, 20).total == 2
        assert md.list_mailboxes(s, staff, {}, 0, 20).total == 3
        with pytest.raises(ValidationError) as exc:
            md.save_deputy(s, staff, _deputy(world, group_id=world.groups[2], district_id=world.districts[2]))
        assert "负责范围" in exc.value.errors["group_id"]
        with pytest.raises(PermissionDenied):
            md.get_deputy(s, staff, world.deputies[-1])
        with pytest.raises(PermissionDenied):
            md.save_office(s, staff, {"name": "新办事处"})
        with pytest.raises(PermissionDenied):
            md.save_term(s, staff, {"number": 19, "name": "第十九届", "start_year": 2031, "end_year": 2035})
        d = md.save_deputy(s, staff, _deputy(world))
        assert d.group_id == world.groups[0]


def test_supervisor_and_leader_cannot_write(world):
    for actor in (world.supervisor(), world.leader()):
        with session_scope(actor.username, url=world.url) as s, pytest.raises(PermissionDenied):
            md.save_deputy(s, actor, _deputy(world))


def test_stale_deputy_save_is_refused(world):
    dep = world.deputies[0]
    with session_scope("admin", url=world.url) as s:
        form = md.get_deputy(s, world.admin(), dep)
    shown_version = form["version"]
    with session_scope("admin", url=world.url) as s:  # someone else saves first
        md.save_deputy(s, world.admin(), {**form, "unit_title": "甲单位"}, dep, shown_version)
    with session_scope("staff", url=world.url) as s, pytest.raises(StaleError) as exc:
        md.save_deputy(s, world.staff(), {**form, "unit_title": "乙单位"}, dep, shown_version)
    assert "已被他人修改" in str(exc.value)
    with session_scope(url=world.url) as s:
        d = s.get(models.Deputy, dep)
        assert (d.unit_title, d.version) == ("甲单位", shown_version + 1)


def test_deactivate_deputy_and_audit(world):
    dep = world.deputies[1]
    with session_scope("staff", url=world.url) as s:
        md.set_deputy_status(s, world.staff(), dep, "辞职", date(2026, 6, 1), expected_version=1)
    with session_scope(url=world.url) as s:
        d = s.get(models.Deputy, dep)
        assert d.status == "辞职" and d.left_on == date(2026, 6, 1)
        assert dep not in md.deputy_options(s, world.admin())
        assert dep in md.deputy_options(s, world.admin(), serving_only=False)
        log = s.query(models.AuditLog).filter_by(entity="Deputy", entity_id=str(dep), action="修改").one()
        assert log.username == "staff" and log.after["status"] == "辞职"


def test_group_with_serving_deputies_cannot_be_deactivated(world):
    with session_scope("admin", url=world.url) as s, pytest.raises(ValidationError) as exc:
        md.set_group_active(s, world.admin(), world.groups[1], False)
    assert "3名在任代表" in exc.value.errors["active"]


def test_terms_offices_groups_districts_mailboxes(world):
    admin = world.admin()
    with session_scope("admin", url=world.url) as s:
        with pytest.raises(ValidationError) as exc:
            md.save_term(s, admin, {"number": 18, "name": "重复", "start_year": 2030, "end_year": 2029})
        assert "已存在" in exc.value.errors["number"] and "不能早于" in exc.value.errors["end_year"]
        md.save_term(s, admin, {"number": 19, "name": "第十九届", "start_year": "2031", "end_year": "2035"})
        with pytest.raises(ValidationError) as exc:
            md.save_office(s, admin, {"name": "东城办事处"})
        assert "同名" in exc.value.errors["name"]
        o = md.save_office(s, admin, {"name": "南城办事处"})
        with pytest.raises(ValidationError) as exc:
            md.save_group(s, admin, {"name": "南城代表组", "office_id": o.id, "liaison_phone": "123"})
        assert "联络员电话" in exc.value.errors["liaison_phone"]
        g = md.save_group(s, admin, {"name": "南城代表组", "office_id": o.id, "liaison_name": "钱联络",
                                     "liaison_phone": "010-62345678"})
        di = md.save_district(s, admin, {"name": "第5选区", "group_id": g.id})
        with pytest.raises(ValidationError) as exc:
            md.save_mailbox(s, admin, {"name": "第5选区信箱", "district_id": di.id, "keeper_kind": "代表本人",
                                       "deputy_id": world.deputies[0]})
        assert "代表组" in exc.value.errors["deputy_id"]
        m = md.save_mailbox(s, admin, {"name": "第5选区信箱", "district_id": di.id, "keeper_kind": "联络员委托",
                                       "keeper_name": "钱联络", "delegation_start": "2026-01-05"})
        assert m.established_on is not None
        md.set_mailbox_active(s, admin, m.id, False)
    with session_scope(url=world.url) as s:
        assert md.list_terms(s, admin, {}, 0, 20).total == 2
        rows = md.list_groups(s, admin, {"q": "南城"}, 0, 20).rows
        assert rows == [{"编号": rows[0]["编号"], "代表组": "南城代表组", "办事处": "南城办事处", "联络员": "钱联络",
                         "联络员电话": "010-62345678", "选区数": 1, "在任代表数": 0, "状态": "启用"}]
        assert md.list_mailboxes(s, admin, {"active": False}, 0, 20).rows[0]["管理人"] == "钱联络"
        offices = md.list_offices(s, admin, {}, 0, 20).rows
        assert {r["办事处"]: r["在任代表数"] for r in offices} == {"东城办事处": 10, "南城办事处": 0, "西城办事处": 2}


def test_lists_page_in_sql(world):
    with session_scope(url=world.url) as s:
        first = md.list_deputies(s, world.admin(), {}, 0, 5)
        second = md.list_deputies(s, world.admin(), {}, 5, 5)
        assert first.total == second.total == 12
        assert len(first.rows) == 5
        assert not {r["编号"] for r in first.rows} & {r["编号"] for r in second.rows}


# ---------------------------------------------------------------- service: departures, reinstatement, moves


def _periods(s, deputy_id: int) -> list[tuple]:
    """(group, start, end, reason) of a deputy's periods, oldest first."""
    P = models.DeputyPeriod
    return [(p.group_id, p.start_on, p.end_on, p.end_reason) for p in s.execute(
        select(P).where(P.deputy_id == deputy_id).order_by(P.start_on)).scalars()]


def _form(world, dep: int, **kw) -> tuple[dict, int]:
    """The deputy's edit form (as the page shows it) with ``kw`` changed, and its version."""
    with session_scope(url=world.url) as s:
        form = md.get_deputy(s, world.admin(), dep)
    return {**form, **kw}, form["version"]


def _save(world, dep: int, **kw) -> None:
    """Save the deputy's edit form with ``kw`` changed (as staff of office 0)."""
    data, version = _form(world, dep, **kw)
    with session_scope("staff", url=world.url) as s:
        md.save_deputy(s, world.staff(), data, dep, version)


def test_a_departure_needs_its_date_not_future_not_before_the_period(world):
    dep = world.deputies[2]
    for left_on, message in [(None, "请填写离任日期"), (date(2026, 6, 16), "离任日期不能晚于今天"),
                             (date(2024, 1, 9), "离任日期不能早于当选日期")]:
        with pytest.raises(ValidationError) as exc:
            _save(world, dep, status="辞职", left_on=left_on)
        assert exc.value.errors["left_on"] == message
    _save(world, dep, status="去世", left_on=date(2026, 6, 15))  # today is allowed
    with session_scope(url=world.url) as s:
        assert _periods(s, dep) == [(world.groups[0], date(2024, 1, 10), date(2026, 6, 15), "去世")]


def test_reinstatement_asks_for_the_date_and_opens_a_new_period(world):
    dep = world.deputies[3]
    with session_scope("staff", url=world.url) as s:
        md.set_deputy_status(s, world.staff(), dep, "辞职", date(2026, 2, 28))
    for on, message in [(None, "请填写恢复任职日期"), (date(2026, 2, 28), "恢复任职日期应晚于离任日期（2026-02-28）"),
                        (date(2026, 7, 1), "恢复任职日期不能晚于今天")]:
        with session_scope("staff", url=world.url) as s, pytest.raises(ValidationError) as exc:
            md.set_deputy_status(s, world.staff(), dep, "在任", on)
        assert exc.value.errors["reinstated_on"] == message
    with session_scope("staff", url=world.url) as s:
        md.set_deputy_status(s, world.staff(), dep, "在任", date(2026, 4, 1))
    with session_scope("staff", url=world.url) as s, pytest.raises(ValidationError) as exc:
        md.set_deputy_status(s, world.staff(), dep, "辞职", date(2026, 3, 15))
    assert exc.value.errors["left_on"] == "离任日期不能早于本段任职的开始日期（2026-04-01）"
    with session_scope(url=world.url) as s:
        d = s.get(models.Deputy, dep)
        assert (d.status, d.left_on) == ("在任", None)
        assert _periods(s, dep) == [(world.groups[0], date(2024, 1, 10), date(2026, 2, 28), "辞职"),
                                    (world.groups[0], date(2026, 4, 1), None, None)]
        rows = md.deputy_periods(s, world.staff(), dep)
    assert [(r["起始日期"], r["结束日期"], r["结束原因"]) for r in rows] == [
        (date(2024, 1, 10), date(2026, 2, 28), "辞职"), (date(2026, 4, 1), None, "在任")]


def test_a_move_from_a_date_keeps_the_past_in_the_old_group_a_correction_does_not(world):
    moved, corrected = world.deputies[4], world.deputies[5]
    with pytest.raises(ValidationError) as exc:  # the form sends no choice until the user makes one
        _save(world, moved, group_id=world.groups[1], district_id=world.districts[1], group_change=None)
    assert "请选择" in exc.value.errors["group_change"]
    with pytest.raises(ValidationError) as exc:
        _save(world, moved, group_id=world.groups[1], district_id=world.districts[1], group_change="move")
    assert exc.value.errors["moved_on"] == "请填写调整生效日期"
    with pytest.raises(ValidationError) as exc:
        _save(world, moved, group_id=world.groups[1], district_id=world.districts[1], group_change="move",
              moved_on=date(2024, 1, 10))
    assert "如属录入错误" in exc.value.errors["moved_on"]
    _save(world, moved, group_id=world.groups[1], district_id=world.districts[1], group_change="move",
          moved_on=date(2026, 5, 1))
    _save(world, corrected, group_id=world.groups[1], district_id=world.districts[1], group_change="correct")
    with session_scope(url=world.url) as s:
        assert _periods(s, moved) == [(world.groups[0], date(2024, 1, 10), date(2026, 4, 30), "调整代表组"),
                                      (world.groups[1], date(2026, 5, 1), None, None)]
        assert _periods(s, corrected) == [(world.groups[1], date(2024, 1, 10), None, None)]
        assert [r["代表组"] for r in md.deputy_periods(s, world.admin(), moved)] == ["东城第一代表组", "东城第二代表组"]
    with session_scope("staff", url=world.url) as s, pytest.raises(ValidationError) as exc:
        md.move_deputy(s, world.staff(), moved, world.groups[2], world.districts[2], date(2026, 6, 1))
    assert "负责范围" in exc.value.errors["group_id"]  # 西城 is another office


def test_leaving_and_moving_in_one_save_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _save(world, world.deputies[6], status="辞职", left_on=date(2026, 6, 1), group_id=world.groups[1],
              district_id=world.districts[1], group_change="move", moved_on=date(2026, 5, 1))
    assert "分两次保存" in exc.value.errors["group_change"]


def test_serving_counts_follow_who_serves_today(world):
    with session_scope("staff", url=world.url) as s:
        md.set_deputy_status(s, world.staff(), world.deputies[0], "辞职", date(2026, 3, 1))
        md.move_deputy(s, world.staff(), world.deputies[1], world.groups[1], world.districts[1], date(2026, 4, 1))
    with session_scope("admin", url=world.url) as s:
        d = s.get(models.Deputy, world.deputies[2])
        d.joined_on = date(2026, 9, 1)  # elected, but not serving before September
    with session_scope(url=world.url) as s:
        groups = {r["代表组"]: r["在任代表数"] for r in md.list_groups(s, world.admin(), {}, 0, 20).rows}
        offices = {r["办事处"]: r["在任代表数"] for r in md.list_offices(s, world.admin(), {}, 0, 20).rows}
        districts = {r["选区"]: r["在任代表数"] for r in md.list_districts(s, world.admin(), {}, 0, 20).rows}
    assert groups == {"东城第一代表组": 4, "东城第二代表组": 4, "西城代表组": 2}
    assert offices == {"东城办事处": 8, "西城办事处": 2}
    # district 0 had deputies 0, 2, 4, 6; district 3 had 1, 3, 5; deputy 1 moved to district 1
    assert districts == {"第1选区": 2, "第2选区": 4, "第3选区": 2, "第4选区": 2}
