"""Logging in: the Chinese form, throttling, revoked sessions, roles and the production key."""

from __future__ import annotations

from datetime import timedelta

from streamlit.testing.v1 import AppTest

from db import models
from db.engine import session_scope
from services import auth, clock
from tests.conftest import ROOT, app_as


def _login(at: AppTest, username: str, password: str) -> AppTest:
    """Fill the login form and submit it."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    return at.run()


def test_login_form_is_chinese_and_logs_in(app_world):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    labels = [w.label for w in at.text_input]
    assert labels == ["用户名", "密码"]
    assert [b.label for b in at.button] == ["登录"]
    _login(at, "Staff", "demo12345")  # usernames are case-insensitive
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "staff"
    assert "工作台" in [t.value for t in at.title]


def test_wrong_password_is_refused_in_chinese(app_world):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    _login(at, "staff", "wrong-password")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    assert not at.session_state["authentication_status"]


def test_ceiling_refuses_an_unknown_client_even_with_right_password(app_world):
    with session_scope(url=app_world.url) as s:
        for i in range(auth.USER_CEILING):
            auth.record_attempt(s, "staff", f"10.0.0.{i}", False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    _login(at, "staff", "demo12345")  # this PC (127.0.0.1) never logged in as staff
    assert "登录失败次数过多" in at.error[0].value
    assert not at.session_state["authentication_status"]


def test_ceiling_only_slows_a_known_client(app_world):
    failed_at = clock.now() - auth.KNOWN_CLIENT_DELAY - timedelta(seconds=2)
    with session_scope(url=app_world.url) as s:
        auth.record_attempt(s, "staff", "127.0.0.1", True, now=failed_at - timedelta(days=3))  # staff's own PC
        for i in range(auth.USER_CEILING):
            auth.record_attempt(s, "staff", f"10.0.0.{i}", False, now=failed_at)
    with session_scope(url=app_world.url) as s:
        assert "秒后再试" in auth.throttle_message(s, "staff", "127.0.0.1", now=failed_at + timedelta(seconds=1))
        assert "用户管理" in auth.throttle_message(s, "staff", "10.9.9.9")  # a stranger's PC: locked
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    _login(at, "staff", "demo12345")
    assert at.session_state["authentication_status"] is True


def test_throttle_window_expires(app_world):
    with session_scope(url=app_world.url) as s:
        for i in range(auth.USER_CEILING):
            auth.record_attempt(s, "staff", f"10.0.1.{i}", False)
    with session_scope(url=app_world.url) as s:
        later = clock.now() + auth.THROTTLE_WINDOW + timedelta(minutes=1)
        assert auth.throttle_message(s, "staff", "", now=clock.now()) is not None
        assert auth.throttle_message(s, "staff", "", now=later) is None


def test_session_older_than_logout_is_refused(app_world):
    at = app_as("staff")
    assert "工作台" in [t.value for t in at.title]
    with session_scope(url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="staff").one()
        u.tokens_valid_after = clock.now() + timedelta(seconds=5)
    at.run()
    assert any("登录已失效" in w.value for w in at.warning)
    assert not at.session_state["authentication_status"]


def test_deactivated_user_is_logged_out(app_world):
    at = app_as("leader")
    with session_scope(url=app_world.url) as s:
        s.query(models.User).filter_by(username="leader").one().active = False
    at.run()
    assert not at.session_state["authentication_status"]


def test_logout_revokes_the_cookie_server_side(app_world):
    at = app_as("supervisor")
    at.button(key="logout_btn").click().run()
    with session_scope(url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="supervisor").one()
        assert u.tokens_valid_after is not None
        started_before = u.tokens_valid_after - timedelta(seconds=1)
        assert not auth.session_still_valid(s, "supervisor", started_before)


def test_production_refuses_a_weak_or_missing_key(app_world, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    for weak in ("short-key", "x" * 40, None):
        if weak is None:
            monkeypatch.delenv("COOKIE_KEY", raising=False)
        else:
            monkeypatch.setenv("COOKIE_KEY", weak)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
        assert "拒绝启动" in at.error[0].value
        assert len(at.text_input) == 0  # no login form


def test_production_starts_with_a_strong_key(app_world, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("COOKIE_KEY", "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.error
    assert [w.label for w in at.text_input] == ["用户名", "密码"]


def test_passwords_are_bcrypt_and_never_logged(world):
    with session_scope("admin", url=world.url) as s:
        u = auth.create_user(s, world.admin(), {"username": "newbie", "display_name": "新人",
                                                "role": "leader", "password": "abc12345"})
        uid = u.id
    with session_scope("admin", url=world.url) as s:
        u = s.get(models.User, uid)
        assert u.password_hash.startswith("$2")
        assert auth.check_password("abc12345", u.password_hash)
        logged = s.query(models.AuditLog).filter_by(entity="User", entity_id=str(uid)).one()
        assert logged.after["password_hash"] == "******"


def test_a_lost_race_while_logging_in_is_retried_or_told_in_chinese(app_world, monkeypatch):
    """An admin saving this account at the moment the user logs in (the account's version moves):
    the login's write is retried, and when every retry loses the user gets a Chinese message, never
    Streamlit's English error (issue 12: no database concurrency error reaches a user)."""
    from sqlalchemy.orm.exc import StaleDataError

    from services import auth, intents

    real = auth.record_attempt
    calls = {"n": 0}

    def lose_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 1:
            raise StaleDataError("UPDATE statement on table 'users' expected to update 1 row(s); 0 were matched.")
        return real(*args, **kwargs)

    monkeypatch.setattr(auth, "record_attempt", lose_once)
    at = _login(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run(), "staff", "demo12345")
    assert not at.exception and at.session_state["authentication_status"] is True and calls["n"] == 2

    def always_lose(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise StaleDataError("UPDATE statement on table 'users' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(auth, "record_attempt", always_lose)
    monkeypatch.setitem(intents.submit.__kwdefaults__, "attempts", 2)
    at = _login(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run(), "staff", "demo12345")
    assert not at.exception and not at.session_state["authentication_status"]
    assert any("有其他人正在同时保存" in e.value for e in at.error)
