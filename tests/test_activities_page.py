"""The 联系活动 page with AppTest: logging an activity as staff, the shortfall list, a bad form."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import activities as svc
from tests.conftest import app_as, goto, submit

YEAR = 2026
P = "act_new0"  # widget prefix of a fresh 登记活动 form


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _r1_ids(w) -> set[int]:
    """Deputies on the R1 shortfall list, read through the service."""
    with session_scope(url=w.url) as s:
        return {r["id"] for r in svc.r1_shortfall(s, w.admin(), YEAR, 0, 100).rows}


def _r1_caption(at) -> str:
    """The totals caption of the R1 table."""
    return next(c.value for c in at.caption if "共" in c.value and "人" in c.value)


def test_staff_logs_activity_with_two_deputies_and_two_opinions(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:  # one earlier activity: both still short of 2
        svc.create_activity(s, w.admin(), {
            "held_on": date(YEAR, 1, 5), "place": "社区", "district_id": w.districts[0], "organiser": "代表组统一组织",
            "kind": "问需", "targets": ["一般选民"], "mode": "专门活动", "deputy_ids": [w.deputies[0], w.deputies[2]],
            "voters_reached": 12, "summary": "第一次活动"})
    at = app_as("staff", "activities")
    at.radio(key="act_view").set_value("short").run()
    assert not at.exception
    assert "共 10 人" in _r1_caption(at)  # 10 deputies in the staff's office (groups 0 and 1)
    names = set(at.dataframe[1].value["代表"])
    assert {"张伟", "李娜"} <= names

    at.radio(key="act_view").set_value("new").run()
    at.date_input(key=f"{P}_date").set_value(date(YEAR, 2, 3))
    at.text_input(key=f"{P}_place").input("和平社区活动室")
    at.multiselect(key=f"{P}_targets").select("一般选民").select("低收入家庭")
    at.selectbox(key=f"{P}_kind").set_value("问难")
    at.multiselect(key=f"{P}_deputies").select(w.deputies[0]).select(w.deputies[2])
    at.number_input(key=f"{P}_voters").set_value(25)
    at.checkbox(key=f"{P}_signin").check()
    at.text_area(key=f"{P}_summary").input("走访低收入家庭，听取意见")
    at.session_state[f"{P}_ops"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"content": "小区路灯不亮", "category": "城乡建设", "is_livelihood": True, "forwarded_to": "街道办事处"},
        {"content": "公交班次太少", "category": "交通出行", "is_livelihood": False},
    ]}
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["已登记活动（2 位代表，2 条意见）。"]
    assert at.text_input(key="act_new1_place").value == ""  # a fresh form for the next one

    with session_scope(url=w.url) as s:
        act = s.execute(select(models.Activity).where(models.Activity.place == "和平社区活动室")).scalar_one()
        assert sorted(d.name for d in act.deputies) == ["张伟", "李娜"]
        assert (act.kind, act.voters_reached, act.created_by) == ("问难", 25, "staff")
        ops = s.execute(select(models.Opinion).where(models.Opinion.activity_id == act.id)
                        .order_by(models.Opinion.id)).scalars().all()
        assert [(o.content, o.status) for o in ops] == [("小区路灯不亮", "已转交"), ("公交班次太少", "待转交")]

    assert not {w.deputies[0], w.deputies[2]} & _r1_ids(w)
    at.radio(key="act_view").set_value("short").run()
    assert "共 8 人" in _r1_caption(at)
    assert not {"张伟", "李娜"} & set(at.dataframe[1].value["代表"])


def test_bad_form_writes_nothing_and_keeps_input(app_world):
    at = app_as("staff", "activities")
    at.radio(key="act_view").set_value("new").run()
    at.text_input(key=f"{P}_place").input("某小区")
    at.number_input(key=f"{P}_voters").set_value(0)
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    for msg in ("请至少选择一类联系对象", "请至少选择一位参加代表", "联系选民人数应大于0", "请填写活动内容"):
        assert msg in errors
    assert at.text_input(key=f"{P}_place").value == "某小区"
    with session_scope(url=app_world.url) as s:
        assert s.execute(select(func.count()).select_from(models.Activity)).scalar_one() == 0


def test_dashboard_link_opens_the_list_and_detail_shows_timeline(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:
        svc.create_activity(s, w.staff(), {
            "held_on": date(YEAR, 1, 5), "place": "社区", "district_id": w.districts[0], "organiser": "代表个人",
            "kind": "问需", "targets": ["一般选民"], "mode": "专门活动", "deputy_ids": [w.deputies[0]], "voters_reached": 12,
            "summary": "活动内容"}, [{"content": "路面积水", "category": "城乡建设", "is_livelihood": True}])
    at = app_as("staff")
    at.query_params["view"] = "r5"
    at.query_params["year"] = str(YEAR)
    goto(at, "activities")
    assert not at.exception
    assert at.radio(key="act_view").value == "short"
    assert at.radio(key="act_short_list").value == "r5"

    at = app_as("staff", "activities")
    at.session_state["act_ledger__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any("活动详情" in h.value for h in at.subheader)
    assert any("登记（来源：活动）" in c.value for c in at.caption)  # the opinion's timeline
    at.selectbox(key="op1_g0_to").set_value("已转交").run()
    with session_scope(url=w.url) as s:
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区住建局")).scalar_one()
    at.selectbox(key="op1_g0_fw").set_value(body)
    submit(at, "op1_g0_save").click().run()
    assert not at.exception
    with session_scope(url=w.url) as s:
        assert s.get(models.Opinion, 1).status == "已转交"


def test_leader_reads_but_cannot_log(app_world):
    at = app_as("leader", "activities")
    assert not at.exception
    options = at.radio(key="act_view").options
    assert "活动台账" in options and "登记活动" not in options


def test_import_page_all_or_nothing_then_delete_with_confirmation(app_world):
    w = app_world
    with session_scope(url=w.url) as s:
        template = svc.import_template(s)
    at = app_as("staff", "activities")
    at.file_uploader(key="act_upload").set_value(("台账.xlsx", b"not an xlsx", "application/octet-stream")).run()
    at.button(key="act_import_go").click().run()
    assert not at.exception
    assert any("无法读取该文件" in e.value for e in at.error)
    at.file_uploader(key="act_upload").set_value(("台账.xlsx", template, "application/octet-stream")).run()
    at.button(key="act_import_go").click().run()
    assert [s.value for s in at.success] == ["导入成功：新增 1 次活动。"]
    assert "共 1 次" in " ".join(c.value for c in at.caption)

    at.session_state["act_ledger__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    submit(at, "act_del1").click().run()  # named by the drawn detail's token
    assert any("确定删除" in m.value for m in at.warning)
    submit(at, "act_del1_yes").click().run()
    assert not at.exception
    with session_scope(url=w.url) as s:
        assert s.execute(select(func.count()).select_from(models.Activity)).scalar_one() == 0
        logged = s.execute(select(models.AuditLog.username).where(
            models.AuditLog.entity == "Activity", models.AuditLog.action == "删除")).scalars().all()
    assert logged == ["staff"]


def test_opinion_follow_up_refuses_self_resolution_beside_the_field(app_world):
    from services import opinions

    w = app_world
    with session_scope("staff", url=w.url) as s:
        op_id = opinions.add_opinion(s, w.staff(), district_id=w.districts[0], deputy_id=w.deputies[0],
                                     raised_on=date(YEAR, 1, 5), content="路灯不亮", category="城乡建设",
                                     is_livelihood=True, forwarded_to="街道办事处").id
    at = app_as("staff", "activities")
    at.radio(key="act_view").set_value("opinions").run()
    assert at.dataframe[0].value["意见内容"].tolist() == ["路灯不亮"]
    at.session_state["act_ops__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    key = f"op{op_id}_g0"
    at.selectbox(key=f"{key}_to").set_value("已解决").run()
    # R3 is structural: only bodies of the directory are offered, and a person cannot be added as one
    offered = at.selectbox(key=f"{key}_rb").options
    assert offered and all("代表" not in o and "本人" not in o for o in offered)
    at.text_input(key=f"{key}_rb_new_name").input("张伟同志")
    at.button(key=f"{key}_rb_new_add").click().run()
    assert not at.exception
    assert any("R3" in e.value for e in at.error)
    submit(at, f"{key}_save").click().run()  # no body chosen, no class: refused beside the fields
    assert any("请选择" in e.value for e in at.error)
    with session_scope(url=w.url) as s:
        assert s.get(models.Opinion, op_id).status == "已转交"
        assert s.execute(select(models.HandlingBody).where(models.HandlingBody.name == "张伟同志")).first() is None
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区城管局")).scalar_one()
    at.selectbox(key=f"{key}_rb").set_value(body)
    at.selectbox(key=f"{key}_out").set_value("B 正在解决")
    submit(at, f"{key}_save").click().run()
    assert [m.value for m in at.success] == ["意见已更新为“已解决”。"]
    with session_scope(url=w.url) as s:
        op = s.get(models.Opinion, op_id)
        assert (op.status, op.resolved_by, op.resolved_body_id, op.outcome) == ("已解决", "区城管局", body, "B 正在解决")


def test_the_deputy_picker_offers_those_serving_on_the_activity_date(app_world):
    from services import masterdata as md

    w = app_world
    with session_scope("admin", url=w.url) as s:
        md.set_deputy_status(s, w.admin(), w.deputies[2], "辞职", date(YEAR, 5, 1))  # 李娜 leaves on 1 May
    at = app_as("staff", "activities")
    at.radio(key="act_view").set_value("new").run()
    at.date_input(key=f"{P}_date").set_value(date(YEAR, 3, 2)).run()
    assert any(o.startswith("李娜") for o in at.multiselect(key=f"{P}_deputies").options)
    at.date_input(key=f"{P}_date").set_value(date(YEAR, 6, 2)).run()
    assert not any(o.startswith("李娜") for o in at.multiselect(key=f"{P}_deputies").options)
