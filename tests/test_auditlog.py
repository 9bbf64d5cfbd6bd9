"""操作日志: every write is listed with who, what record and before/after, filterable, admin only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.engine import session_scope
from services import auditlog, clock, masterdata
from services.common import PermissionDenied


def test_writes_are_listed_readably_and_filterable(world):
    dep = world.deputies[0]
    with session_scope("staff", url=world.url) as s:
        form = masterdata.get_deputy(s, world.staff(), dep)
        masterdata.save_deputy(s, world.staff(), {**form, "unit_title": "区人民医院院长"}, dep, form["version"])
    admin = world.admin()
    with session_scope(url=world.url) as s:
        page = auditlog.list_log(s, admin, {"username": "staff"}, 0, 20)
        assert page.total == 1
        row = page.rows[0]
        assert (row["用户"], row["操作"], row["对象"], row["记录编号"]) == ("staff", "修改", "代表", str(dep))
        assert "工作单位及职务：某单位职员 → 区人民医院院长" in row["变更内容"]
        everything = auditlog.list_log(s, admin, {}, 0, 5)
        assert everything.total > 20 and len(everything.rows) == 5
        created = auditlog.list_log(s, admin, {"entity": "Office", "action": "新增"}, 0, 20)
        assert created.total == 2 and all("名称：" in r["变更内容"] for r in created.rows)
        assert auditlog.list_log(s, admin, {"entity": "Deputy", "entity_id": str(dep)}, 0, 20).total == 2
        today = clock.today()
        assert auditlog.list_log(s, admin, {"period": (today, today), "username": "staff"}, 0, 20).total == 1
        old = (today - timedelta(days=10), today - timedelta(days=5))
        assert auditlog.list_log(s, admin, {"period": old}, 0, 20).total == 0
        detail = auditlog.get_entry(s, admin, row["序号"])
        assert {"字段": "工作单位及职务", "修改前": "某单位职员", "修改后": "区人民医院院长"} in detail["fields"]


def test_passwords_never_appear_and_only_admin_reads(world):
    with session_scope(url=world.url) as s:
        rows = auditlog.list_log(s, world.admin(), {"entity": "User"}, 0, 20).rows
        assert rows and all("$2" not in r["变更内容"] for r in rows)
        assert all("密码：******" in r["变更内容"] for r in rows)
        for actor in (world.staff(), world.supervisor(), world.leader()):
            with pytest.raises(PermissionDenied):
                auditlog.list_log(s, actor, {}, 0, 20)


def test_references_are_shown_by_name(world):
    with session_scope("admin", url=world.url) as s:
        form = masterdata.get_deputy(s, world.admin(), world.deputies[0])
        masterdata.save_deputy(s, world.admin(), {**form, "group_id": world.groups[1],
                                                  "district_id": world.districts[1]}, world.deputies[0], form["version"])
    with session_scope(url=world.url) as s:
        row = auditlog.list_log(s, world.admin(), {"username": "admin", "entity": "Deputy"}, 0, 5).rows[0]
        assert f"代表组：东城第一代表组（{world.groups[0]}） → 东城第二代表组（{world.groups[1]}）" in row["变更内容"]
        assert "选区：第1选区" in row["变更内容"]


def test_json_values_such_as_a_rubric_are_listed(world):
    from services import scoring

    with session_scope("admin", url=world.url) as s:
        scoring.ensure_default_rubric(s)
    with session_scope("admin", url=world.url) as s:
        page = auditlog.list_log(s, world.admin(), {"entity": "Rubric"}, 0, 20)
    assert page.total == 1
    assert "等级划分：" in page.rows[0]["变更内容"]  # the grade bands (a JSON dict) are shown, not a crash
    assert "优秀" in page.rows[0]["变更内容"]
