"""Issue 16: an idle session ends (setting idle_timeout_minutes, default 30); a deactivated or
deleted account's session goes back to the login form; backups are owner-only (test_backup)."""

from __future__ import annotations

from datetime import timedelta

from db import models
from db.engine import session_scope
from services import clock, settings
from tests.conftest import app_as


def test_idle_timeout_default_is_thirty_minutes():
    spec = settings.REGISTRY["idle_timeout_minutes"]
    assert spec.default == 30 and spec.area == "安全"


def test_an_idle_session_ends_and_shows_the_login_form(app_world):
    at = app_as("staff")
    assert "工作台" in [t.value for t in at.title]
    at.session_state["last_active"] = clock.now() - timedelta(minutes=31)
    at.run()
    assert any("长时间没有操作" in i.value for i in at.info)
    assert not at.session_state["authentication_status"]
    assert [w.label for w in at.text_input] == ["用户名", "密码"]


def test_activity_within_the_timeout_keeps_the_session(app_world):
    at = app_as("staff")
    at.session_state["last_active"] = clock.now() - timedelta(minutes=29)
    at.run()
    assert at.session_state["authentication_status"] is True
    assert "工作台" in [t.value for t in at.title]


def test_the_timeout_is_a_setting(app_world):
    with session_scope("admin", url=app_world.url) as s:
        s.merge(models.Setting(key="idle_timeout_minutes", value=5))
    at = app_as("staff")
    at.session_state["last_active"] = clock.now() - timedelta(minutes=6)
    at.run()
    assert not at.session_state["authentication_status"]


def test_a_deleted_account_goes_back_to_the_login_form(app_world):
    at = app_as("leader")
    with session_scope(url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="leader").one()
        u.username = "leader-renamed"  # the cookie's user no longer exists
    at.run()
    assert not at.exception
    assert not at.session_state["authentication_status"]
    assert [w.label for w in at.text_input] == ["用户名", "密码"]
