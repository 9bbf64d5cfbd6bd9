"""Every remaining record-changing form saves once, on the version the user saw (issue 12), on the
pages (AppTest): a double click (the same drawn form submitted twice) stores one change, and a
form drawn before a colleague's save (two sessions on one database) is refused, in Chinese,
naming who changed what and when, with the user's input kept."""

from __future__ import annotations

from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from tests.conftest import app_as, submit


def _messages(at) -> str:  # noqa: ANN001
    return " ".join(x.value for x in [*at.error, *at.info, *at.success, *at.warning])


def _pick(at, grid: str, row: int):  # noqa: ANN001, ANN202
    """Select row ``row`` of the data_table ``grid`` and rerun."""
    at.session_state[f"{grid}__grid"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    return at


def _changes(entity: str, entity_id: object, action: str = "修改") -> int:
    with session_scope("t") as s:
        A = models.AuditLog
        return s.execute(select(func.count()).select_from(A).where(
            A.entity == entity, A.entity_id == str(entity_id), A.action == action)).scalar_one()


def _twice(at, slot: str, button: str, fill) -> None:  # noqa: ANN001
    """Submit the form ``button`` (filled by ``fill``), then submit the same drawn form again (a
    double click whose first rerun was cut short: the old token and version come back)."""
    drawn = dict(at.session_state[slot])
    fill(at)
    submit(at, button).click().run()
    assert not at.exception, at.exception
    at.session_state[slot] = drawn
    at.run()
    fill(at)
    submit(at, button).click().run()
    assert not at.exception, at.exception
    assert "重复点击" in _messages(at), _messages(at)


# ---------------------------------------------------------------- 用户管理

def _staff_user() -> models.User:
    with session_scope("t") as s:
        u = s.execute(select(models.User).where(models.User.username == "staff")).scalar_one()
        s.expunge(u)
        return u


def _user_page():  # noqa: ANN202
    return _pick(app_as("admin", "users"), "usr_list", 2)  # admin, leader, staff, supervisor


def test_user_edit_double_submit_saves_once(app_world) -> None:
    uid = _staff_user().id
    at = _user_page()

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key=f"usr_e{uid}_name").set_value("王工作甲")  # in a form: sent with the submit

    _twice(at, f"usr__intent__{uid}", f"usr_save_{uid}", fill)
    assert _staff_user().display_name == "王工作甲"
    assert _changes("User", uid) == 1


def test_user_edit_on_a_stale_page_is_refused_and_keeps_the_input(app_world) -> None:
    uid = _staff_user().id
    b = _user_page()
    a = _user_page()
    a.selectbox(key=f"usr_e{uid}_role").set_value("supervisor")
    submit(a, f"usr_save_{uid}").click().run()
    assert _staff_user().role == "supervisor"
    b.text_input(key=f"usr_e{uid}_name").set_value("王工作乙")
    submit(b, f"usr_save_{uid}").click().run()
    assert not b.exception
    msg = _messages(b)
    assert "管理员（admin）" in msg and "角色" in msg and "未保存" in msg, msg
    u = _staff_user()
    assert (u.display_name, u.role) == ("王工作", "supervisor")
    assert b.text_input(key=f"usr_e{uid}_name").value == "王工作乙"
    assert b.selectbox(key=f"usr_e{uid}_role").value == "supervisor"  # untouched: reloaded
    submit(b, f"usr_save_{uid}").click().run()
    assert _staff_user().display_name == "王工作乙" and _staff_user().role == "supervisor"


def test_password_reset_double_submit_and_stale(app_world) -> None:
    uid = _staff_user().id
    b = _user_page()
    a = _user_page()

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key=f"usr_pw{uid}_1").set_value("Apassword123")
        at.text_input(key=f"usr_pw{uid}_2").set_value("Apassword123")

    _twice(a, f"usr__intent__{uid}", f"usr_pw_{uid}", fill)
    assert _changes("User", uid) == 1
    from services import auth

    assert auth.check_password("Apassword123", _staff_user().password_hash)
    b.text_input(key=f"usr_pw{uid}_1").set_value("Bpassword123")
    b.text_input(key=f"usr_pw{uid}_2").set_value("Bpassword123")
    submit(b, f"usr_pw_{uid}").click().run()
    assert "密码" in _messages(b) and "未保存" in _messages(b), _messages(b)
    assert auth.check_password("Apassword123", _staff_user().password_hash)


def test_create_user_double_submit_creates_one(app_world) -> None:
    at = app_as("admin", "users")

    def fill(at) -> None:  # noqa: ANN001
        at.text_input(key="usr_new_username").set_value("newstaff")
        at.text_input(key="usr_new_name").set_value("新同事")
        at.text_input(key="usr_new_password").set_value("Abcdefg123")

    _twice(at, "usr_new__intent__0", "usr_new_save", fill)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(models.User).where(
            models.User.username == "newstaff")).scalar_one() == 1
