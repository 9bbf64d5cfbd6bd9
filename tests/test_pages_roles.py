"""AppTest: every page of each demo role renders; others are unreachable; 基础数据 forms save and refuse."""

from __future__ import annotations

import pytest

from db import models
from db.engine import session_scope
from services.common import PAGES
from tests.conftest import app_as, goto

ROLES = ["admin", "staff", "supervisor", "leader"]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_renders_and_others_are_unreachable(app_world, role):
    at = app_as(role)
    assert not at.exception
    for key, (title, roles) in PAGES.items():
        if role in roles:
            goto(at, key)
            assert not at.exception, (role, key, at.exception)
            assert title in [t.value for t in at.title], (role, key)
            assert not [e.value for e in at.error if "权限" in e.value], (role, key)
        else:
            with pytest.raises(KeyError):
                goto(at, key)


def test_settings_page_is_the_admins_alone(app_world):
    """系统设置: registered for the admin only, under a pinyin url path (not the file stem)."""
    from services.common import URL_PATHS

    assert PAGES["settings"] == ("系统设置", ("admin",))
    assert URL_PATHS["settings"] == "shezhi"
    at = app_as("admin", "settings")
    assert "系统设置" in [t.value for t in at.title] and not at.exception
    for role in ("staff", "supervisor", "leader"):
        with pytest.raises(KeyError):
            goto(app_as(role), "settings")


def _button(at, label: str):
    """The (form submit) button with this label."""
    return next(b for b in at.button if b.label == label)


def _deputy_names(url: str) -> set[str]:
    """Names of all deputies in the database."""
    with session_scope(url=url) as s:
        return {d.name for d in s.query(models.Deputy)}


def test_masterdata_form_saves_a_deputy_and_lists_it(app_world):
    at = app_as("staff", "masterdata")
    at.text_input(key="md_dep_new_name").input("欧阳晨")
    at.text_input(key="md_dep_new_birth").input("1985")
    at.text_input(key="md_dep_new_phone").input("13912345678")
    at.text_input(key="md_dep_new_unit").input("区第一中学教师")
    at.selectbox(key="md_dep_new_group").select(app_world.groups[1])
    at.selectbox(key="md_dep_new_district").select(app_world.districts[1])
    _button(at, "保存代表").click()
    at.run()
    assert not at.exception
    assert any("已保存代表“欧阳晨”" in s.value for s in at.success)
    listed = at.dataframe[0].value
    assert "欧阳晨" in set(listed["姓名"])
    row = listed[listed["姓名"] == "欧阳晨"].iloc[0]
    assert (row["代表组"], row["选区"], row["联系电话"]) == ("东城第二代表组", "第2选区", "13912345678")
    assert at.text_input(key="md_dep_new_name").value == ""  # a fresh form for the next one
    with session_scope(url=app_world.url) as s:
        d = s.query(models.Deputy).filter_by(name="欧阳晨").one()
        assert (d.pinyin, d.group_id) == ("oyc", app_world.groups[1])


def test_bad_deputy_shows_the_errors_and_writes_nothing(app_world):
    before = _deputy_names(app_world.url)
    at = app_as("admin", "masterdata")
    at.text_input(key="md_dep_new_phone").input("123")
    at.text_input(key="md_dep_new_birth").input("1890")
    _button(at, "保存代表").click()
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert "请填写姓名" in errors
    assert "联系电话应为11位手机号码" in errors
    assert any("出生年份" in e for e in errors)
    assert any(e.startswith("未保存") for e in errors)
    assert at.text_input(key="md_dep_new_phone").value == "123"  # the user's input stays
    assert _deputy_names(app_world.url) == before


def test_district_outside_the_group_is_refused_beside_the_field(app_world):
    at = app_as("admin", "masterdata")
    at.text_input(key="md_dep_new_name").input("钱多多")
    at.selectbox(key="md_dep_new_group").select(app_world.groups[0])
    at.selectbox(key="md_dep_new_district").select(app_world.districts[2])
    _button(at, "保存代表").click()
    at.run()
    assert any("不属于代表组" in e.value for e in at.error)
    assert "钱多多" not in _deputy_names(app_world.url)


def test_staff_lists_only_their_office(app_world):
    at = app_as("staff", "masterdata")
    deputies = at.dataframe[0].value
    assert len(deputies) == 10 and set(deputies["办事处"]) == {"东城办事处"}
    assert app_world.groups[2] not in at.selectbox(key="md_dep_new_group").options


def test_search_by_pinyin_initials(app_world):
    at = app_as("admin", "masterdata")
    at.text_input(key="md_dep_new_name").input("欧阳晨")
    _button(at, "保存代表").click()
    at.run()
    at.text_input(key="md_dep__f_q").input("oyc").run()
    assert list(at.dataframe[0].value["姓名"]) == ["欧阳晨"]


def test_admin_creates_a_user_and_the_log_shows_it(app_world):
    at = app_as("admin", "users")
    at.text_input(key="usr_new_username").input("Wang.Li")
    at.text_input(key="usr_new_name").input("王丽")
    at.selectbox(key="usr_new_role").select("staff")
    at.selectbox(key="usr_new_office").select(app_world.offices[1])
    at.text_input(key="usr_new_password").input("abc12345")
    _button(at, "创建账号").click()
    at.run()
    assert not at.exception
    assert any("已创建账号 wang.li" in s.value for s in at.success)
    assert "wang.li" in set(at.dataframe[0].value["用户名"])
    with session_scope(url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="wang.li").one()
        assert (u.role, u.office_id) == ("staff", app_world.offices[1])
        assert u.password_hash.startswith("$2")
    goto(at, "auditlog")
    log = at.dataframe[0].value
    assert ((log["对象"] == "用户") & (log["操作"] == "新增") & log["变更内容"].str.contains("wang.li")).any()
    assert not log["变更内容"].str.contains(r"\$2").any()


def test_weak_password_is_refused_on_the_users_page(app_world):
    at = app_as("admin", "users")
    at.text_input(key="usr_new_username").input("zhaoliu")
    at.text_input(key="usr_new_name").input("赵六")
    at.text_input(key="usr_new_password").input("123")
    _button(at, "创建账号").click()
    at.run()
    assert "密码至少8位" in [e.value for e in at.error]
    with session_scope(url=app_world.url) as s:
        assert s.query(models.User).filter_by(username="zhaoliu").count() == 0


def test_admin_deactivates_a_user_and_resets_a_password(app_world):
    at = app_as("admin", "users")
    names = list(at.dataframe[0].value["用户名"])
    at.session_state["usr_list__grid"] = {"selection": {"rows": [names.index("leader")], "columns": [], "cells": []}}
    at.run()
    with session_scope(url=app_world.url) as s:
        leader = s.query(models.User).filter_by(username="leader").one().id
    at.text_input(key=f"usr_pw{leader}_1").input("newpass123")
    at.text_input(key=f"usr_pw{leader}_2").input("newpass124")
    _button(at, "重置密码").click()
    at.run()
    assert "两次输入的密码不一致" in [e.value for e in at.error]
    at.text_input(key=f"usr_pw{leader}_2").input("newpass123")
    _button(at, "重置密码").click()
    at.run()
    assert any("密码已重置" in s.value for s in at.success)
    at.checkbox(key=f"usr_e{leader}_active").uncheck()
    _button(at, "保存修改").click()
    at.run()
    from services import auth

    with session_scope(url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="leader").one()
        assert not u.active and auth.check_password("newpass123", u.password_hash)
        assert u.tokens_valid_after is not None
