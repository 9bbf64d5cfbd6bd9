"""AppTest of 基础数据: mailboxes, groups, districts, offices and terms through their forms."""

from __future__ import annotations

from datetime import date

import pytest

from db import models
from db.engine import session_scope
from tests.conftest import app_as


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """The world seen from 2026-06-15 (its deputies joined on 2024-01-10), whatever TEST_TODAY says."""
    travel("2026-06-15")


def _button(at, label: str):
    """The (form submit) button with this label."""
    return next(b for b in at.button if b.label == label)


def test_mailbox_keeper_list_follows_the_district_and_saves(app_world):
    at = app_as("staff", "masterdata")
    at.selectbox(key="md_box_new_district").select(app_world.districts[1]).run()
    keepers = at.selectbox(key="md_box_new_deputy").options
    assert len(keepers) == 1 + 3  # （未指定） and the 3 deputies of 东城第二代表组
    assert all("东城第二代表组" in k for k in keepers[1:])
    at.text_input(key="md_box_new_name").input("第2选区社区信箱")
    at.selectbox(key="md_box_new_deputy").select(app_world.deputies[7])
    _button(at, "保存信箱").click()
    at.run()
    assert not at.exception
    assert any("已保存代表信箱" in s.value for s in at.success)
    with session_scope(url=app_world.url) as s:
        box = s.query(models.Mailbox).filter_by(name="第2选区社区信箱").one()
        assert (box.district_id, box.deputy_id, box.keeper_kind) == (app_world.districts[1], app_world.deputies[7], "代表本人")


def test_delegated_mailbox_needs_the_liaison_and_start_date(app_world):
    at = app_as("staff", "masterdata")
    at.text_input(key="md_box_new_name").input("委托信箱")
    at.radio(key="md_box_new_kind").set_value("联络员委托")
    _button(at, "保存信箱").click()
    at.run()
    errors = [e.value for e in at.error]
    assert "委托联络员管理时请填写联络员姓名" in errors and "请填写委托开始日期" in errors
    with session_scope(url=app_world.url) as s:
        assert s.query(models.Mailbox).filter_by(name="委托信箱").count() == 0


def test_staff_adds_a_group_and_district_in_their_office(app_world):
    at = app_as("staff", "masterdata")
    assert set(at.selectbox(key="md_grp_new_office").options) == {"东城办事处"}
    at.text_input(key="md_grp_new_name").input("东城第三代表组")
    at.text_input(key="md_grp_new_liaison").input("郑联络")
    at.text_input(key="md_grp_new_phone").input("13800000009")
    _button(at, "保存代表组").click()
    at.run()
    assert any("已保存代表组" in s.value for s in at.success)
    names = set(at.dataframe[1].value["代表组"])
    assert "东城第三代表组" in names
    with session_scope(url=app_world.url) as s:
        g = s.query(models.DeputyGroup).filter_by(name="东城第三代表组").one()
        assert g.office_id == app_world.offices[0] and g.liaison_phone == "13800000009"
        new_group = g.id
    at.text_input(key="md_dist_new_name").input("第5选区")
    at.selectbox(key="md_dist_new_group").select(new_group)
    _button(at, "保存选区").click()
    at.run()
    with session_scope(url=app_world.url) as s:
        assert s.query(models.District).filter_by(name="第5选区").one().group_id == new_group


def test_only_admin_sees_office_and_term_forms(app_world):
    staff = app_as("staff", "masterdata")
    labels = [b.label for b in staff.button]
    assert "保存办事处" not in labels and "保存届次" not in labels
    admin = app_as("admin", "masterdata")
    admin.text_input(key="md_off_new_name").input("南城办事处")
    _button(admin, "保存办事处").click()
    admin.run()
    admin.text_input(key="md_term_new_number").input("19")
    admin.text_input(key="md_term_new_name").input("第十九届")
    admin.text_input(key="md_term_new_start").input("2031")
    admin.text_input(key="md_term_new_end").input("2029")
    _button(admin, "保存届次").click()
    admin.run()
    assert "结束年份不能早于起始年份" in [e.value for e in admin.error]
    with session_scope(url=app_world.url) as s:
        assert s.query(models.Office).filter_by(name="南城办事处").count() == 1
        assert s.query(models.Term).count() == 1


def _select(at, grid: str, column: str, value: str):
    """Select the row of ``grid`` whose ``column`` equals ``value`` and rerun."""
    frame = at.dataframe[0].value if grid == "md_dep" else None
    rows = list(frame[column]) if frame is not None else []
    at.session_state[f"{grid}__grid"] = {"selection": {"rows": [rows.index(value)], "columns": [], "cells": []}}
    return at.run()


def test_edit_over_a_newer_version_is_refused(app_world):
    from services import masterdata as md

    at = app_as("staff", "masterdata")
    _select(at, "md_dep", "姓名", "张伟")
    dep = app_world.deputies[0]
    prefix = f"md_dep_e{dep}"
    assert at.text_input(key=f"{prefix}_name").value == "张伟"
    with session_scope("admin", url=app_world.url) as s:  # someone else saves first
        form = md.get_deputy(s, app_world.admin(), dep)
        md.save_deputy(s, app_world.admin(), {**form, "unit_title": "甲单位"}, dep, form["version"])
    at.text_input(key=f"{prefix}_unit").input("乙单位")
    _button(at, "保存修改").click()
    at.run()
    assert any("已被他人修改" in e.value for e in at.error)
    with session_scope(url=app_world.url) as s:
        assert s.get(models.Deputy, dep).unit_title == "甲单位"


def test_staff_records_a_resignation_with_its_date(app_world):
    at = app_as("staff", "masterdata")
    _select(at, "md_dep", "姓名", "王芳")
    dep = app_world.deputies[1]
    at.selectbox(key=f"md_dep_e{dep}_status").select("辞职")
    _button(at, "保存修改").click()
    at.run()
    assert "请填写离任日期" in [e.value for e in at.error]  # asked for, beside the field
    at.date_input(key=f"md_dep_e{dep}_left").set_value(date(2026, 7, 1))
    _button(at, "保存修改").click()
    at.run()
    assert "离任日期不能晚于今天" in [e.value for e in at.error]
    with session_scope(url=app_world.url) as s:
        assert s.get(models.Deputy, dep).status == "在任"  # nothing written yet
    at.date_input(key=f"md_dep_e{dep}_left").set_value(date(2026, 6, 1))
    _button(at, "保存修改").click()
    at.run()
    assert not at.exception
    assert any("已保存修改" in s.value for s in at.success)
    with session_scope(url=app_world.url) as s:
        d = s.get(models.Deputy, dep)
        assert d.status == "辞职" and d.left_on == date(2026, 6, 1) and d.version == 2
    assert "王芳" not in set(at.dataframe[0].value["姓名"])  # the list shows serving deputies by default


def _periods_table(at, dep: int):
    """The 任职记录 table of the deputy being edited."""
    return next(df.value for df in at.dataframe if "结束原因" in df.value.columns)


def test_staff_moves_a_deputy_from_a_date_and_sees_the_periods(app_world):
    at = app_as("staff", "masterdata")
    _select(at, "md_dep", "姓名", "张伟")
    dep, p = app_world.deputies[0], f"md_dep_e{app_world.deputies[0]}"
    assert list(_periods_table(at, dep)["代表组"]) == ["东城第一代表组"]
    at.selectbox(key=f"{p}_group").select(app_world.groups[1])
    at.selectbox(key=f"{p}_district").select(app_world.districts[1])
    _button(at, "保存修改").click()
    at.run()  # a change of group must say whether it corrects the record or moves the deputy
    assert "代表组或选区有变化：请选择“更正录入错误”或“调整代表组（自某日起生效）”" in [e.value for e in at.error]
    at.radio(key=f"{p}_change").set_value("move")
    _button(at, "保存修改").click()
    at.run()
    assert "请填写调整生效日期" in [e.value for e in at.error]
    at.date_input(key=f"{p}_moved").set_value(date(2026, 5, 1))
    _button(at, "保存修改").click()
    at.run()
    assert not at.exception and not at.error
    table = _periods_table(at, dep)
    assert list(table["代表组"]) == ["东城第一代表组", "东城第二代表组"]
    assert list(table["结束原因"]) == ["调整代表组", "在任"]
    with session_scope(url=app_world.url) as s:
        assert s.get(models.Deputy, dep).group_id == app_world.groups[1]


def test_staff_reinstates_a_deputy_with_the_date(app_world):
    from services import masterdata as md

    dep = app_world.deputies[3]
    with session_scope("admin", url=app_world.url) as s:
        md.set_deputy_status(s, app_world.admin(), dep, "辞职", date(2026, 1, 31))
    at = app_as("staff", "masterdata")
    at.selectbox(key="md_dep__f_status").select("辞职").run()  # list the deputies who left
    _select(at, "md_dep", "姓名", "刘洋")
    p = f"md_dep_e{dep}"
    at.selectbox(key=f"{p}_status").select("在任")
    at.date_input(key=f"{p}_reinstated").set_value(date(2026, 3, 1))
    _button(at, "保存修改").click()
    at.run()
    assert not at.exception and not at.error
    with session_scope(url=app_world.url) as s:
        starts = [pd.start_on for pd in s.query(models.DeputyPeriod).filter_by(deputy_id=dep)
                  .order_by(models.DeputyPeriod.start_on)]
        assert starts == [date(2024, 1, 10), date(2026, 3, 1)]
        assert s.get(models.Deputy, dep).status == "在任"
