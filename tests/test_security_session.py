"""Issue 16: an idle session ends (setting idle_timeout_minutes, default 30); a deactivated or
deleted account's session goes back to the login form; backups are owner-only (test_backup)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from db import models
from db.engine import session_scope
from services import auth, settings
from tests.conftest import app_as


def test_idle_timeout_default_is_thirty_minutes():
    spec = settings.REGISTRY["idle_timeout_minutes"]
    assert spec.default == 30 and spec.area == "安全"


def _at(minutes: int) -> time_machine.travel:
    """The clock ``minutes`` after 10:00 on the test's day (the travel fixture stands at 10:00)."""
    return time_machine.travel(datetime.combine(DAY, datetime.min.time()) + timedelta(hours=10, minutes=minutes),
                               tick=False)


DAY = date(2026, 3, 5)


def _logged_out(at) -> bool:  # noqa: ANN001
    return not at.session_state["authentication_status"] and [w.label for w in at.text_input] == ["用户名", "密码"]


def _browser(started: datetime, role: str = "staff"):  # noqa: ANN202
    """Another browser holding the same login cookie: streamlit-authenticator restores the user
    from it and app.cookie_started gives the same start of the login."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = role
    at.session_state["name"] = role
    at.session_state["session_started_at"] = started
    return at


def test_an_idle_session_ends_and_shows_the_login_form(app_world, travel):
    travel(DAY)
    with _at(0):
        at = app_as("staff")
    assert "工作台" in [t.value for t in at.title]
    with _at(31):
        at.run()
    assert any("长时间没有操作" in i.value for i in at.info)
    assert _logged_out(at)


def test_activity_within_the_timeout_keeps_the_session(app_world, travel):
    travel(DAY)
    with _at(0):
        at = app_as("staff")
    for minute in (20, 45, 70):  # each run is activity: 25 minutes apart, never idle for 30
        with _at(minute):
            at.run()
        assert at.session_state["authentication_status"] is True, minute
        assert "工作台" in [t.value for t in at.title]


def test_the_timeout_is_a_setting(app_world, travel):
    with session_scope("admin", url=app_world.url) as s:
        s.merge(models.Setting(key="idle_timeout_minutes", value=5))
    travel(DAY)
    with _at(0):
        at = app_as("staff")
    with _at(6):
        at.run()
    assert _logged_out(at)


def test_a_copied_cookie_of_an_idle_login_is_refused_in_another_browser(app_world, travel):
    """The finding: the timeout ended only the browser session; the same cookie copied to another
    browser stayed valid until it expired (1 day). The server now refuses it too."""
    travel(DAY)
    with _at(0):
        first = app_as("staff")
        started = first.session_state["session_started_at"]
    with _at(10):  # while the login is in use, its cookie works anywhere
        copy = _browser(started)
        copy.run()
        assert copy.session_state["authentication_status"] is True
    with _at(45):  # 35 minutes without activity: the login has ended, in every browser
        late = _browser(started)
        late.run()
        assert not late.exception
        assert _logged_out(late)
        first.run()
        assert _logged_out(first)
    with _at(46):  # and stays ended: activity of the refused copy does not revive it
        again = _browser(started)
        again.run()
        assert _logged_out(again)


def test_a_new_login_is_not_refused_for_an_old_idle_one(app_world, travel):
    travel(DAY)
    with _at(0):
        old = app_as("staff")
        old_started = old.session_state["session_started_at"]
    with _at(40):
        fresh = _browser(datetime.combine(DAY, datetime.min.time()) + timedelta(hours=10, minutes=40))
        fresh.run()
        assert fresh.session_state["authentication_status"] is True
        stale = _browser(old_started)
        stale.run()
        assert _logged_out(stale)


def test_idle_logins_on_the_database(world):
    """The record behind the timeout on SQLite, PostgreSQL and MariaDB (whole seconds: MariaDB's
    DATETIME keeps no fractions; a cookie's start has microseconds)."""
    start = datetime(2026, 3, 5, 10, 0, 0, 654321)
    with session_scope("system", url=world.url) as s:
        auth.begin_login(s, "staff", start, now=start.replace(microsecond=0))
    with session_scope("system", url=world.url) as s:
        assert auth.touch_login(s, "staff", start, 30, now=datetime(2026, 3, 5, 10, 29, 59))
    with session_scope("system", url=world.url) as s:
        assert auth.touch_login(s, "staff", start, 30, now=datetime(2026, 3, 5, 10, 59, 0))
    with session_scope("system", url=world.url) as s:
        assert not auth.touch_login(s, "staff", start, 30, now=datetime(2026, 3, 5, 11, 29, 1))
    with session_scope("system", url=world.url) as s:  # ended for good
        assert not auth.touch_login(s, "staff", start, 30, now=datetime(2026, 3, 5, 11, 29, 2))
        assert s.query(models.AuditLog).filter(models.AuditLog.entity == "LoginSession").count() == 0


def test_a_deleted_account_goes_back_to_the_login_form(app_world):
    at = app_as("leader")
    with session_scope(url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="leader").one()
        u.username = "leader-renamed"  # the cookie's user no longer exists
    at.run()
    assert not at.exception
    assert not at.session_state["authentication_status"]
    assert [w.label for w in at.text_input] == ["用户名", "密码"]


def _export_button_data(app_world, monkeypatch):  # noqa: ANN001, ANN202
    """Open 基础数据 as staff and keep the deferred data of its 导出全部代表 button (not clicked yet)."""
    from streamlit.delta_generator import DeltaGenerator

    from tests.conftest import goto

    kept: dict = {}
    original = DeltaGenerator.download_button

    def keep(self, label, data=None, *args, **kwargs):  # noqa: ANN001, ANN202
        kept[kwargs.get("key")] = data
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", keep)
    at = app_as("staff")
    goto(at, "masterdata")
    assert not at.exception
    build = kept["md_io_deputies_exp"]
    assert callable(build)
    return build


def _set_user(app_world, **values) -> None:  # noqa: ANN001
    with session_scope("admin", url=app_world.url) as s:
        u = s.query(models.User).filter_by(username="staff").one()
        for k, v in values.items():
            setattr(u, k, v)


def test_a_file_asked_for_from_an_open_page_is_built_only_while_the_login_holds(app_world, monkeypatch, travel):
    """A download's data is built when clicked, outside the page's run: it is refused (no file)
    once the account is deactivated, the user logged out everywhere, the role or scope changed, or
    the login idled past the timeout; built while the login holds."""
    from components.guard import DownloadRefused

    travel("2026-06-15")
    build = _export_button_data(app_world, monkeypatch)
    assert build()[:2] == b"PK"  # an .xlsx, while the login holds
    _set_user(app_world, active=False)
    with pytest.raises(DownloadRefused):
        build()
    _set_user(app_world, active=True)
    assert build()[:2] == b"PK"
    _set_user(app_world, role="leader", office_id=None)
    with pytest.raises(DownloadRefused):
        build()
    _set_user(app_world, role="staff", office_id=app_world.offices[0])
    assert build()[:2] == b"PK"
    with time_machine.travel(datetime(2026, 6, 15, 10, 5), tick=True):  # logged out everywhere, 5 minutes on
        with session_scope("admin", url=app_world.url) as s:
            auth.revoke_sessions(s, "staff")
        with pytest.raises(DownloadRefused):
            build()


def test_a_file_asked_for_after_the_idle_timeout_is_refused(app_world, monkeypatch, travel):
    from components.guard import DownloadRefused

    travel("2026-06-15")
    build = _export_button_data(app_world, monkeypatch)
    travel("2026-06-16")  # a day later: far past the 30-minute timeout
    with pytest.raises(DownloadRefused):
        build()


@pytest.mark.parametrize("ends", ["logout", "idle"])
def test_nothing_kept_for_one_login_reaches_the_next_login_at_the_same_tab(app_world, travel, ends):
    """A shared office computer: staff reveal a writer's phone and make a 交办单 with it, then log out
    (or walk away past the idle timeout); the leader logs in at the same browser tab. Whatever the
    pages kept in the tab for the staff member (the revealed data, the generated file, the open
    letter, the page's user) is gone: the leader sees the writer masked and no file."""
    from services import letters

    travel(DAY)
    with session_scope("staff") as s:
        lid = letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "deputy_id": app_world.deputies[0], "received_on": DAY,
            "writer_name": "张三丰", "writer_phone": "13812341234", "summary": "路灯", "category": "城乡建设"}).id
        letters.transition(s, app_world.staff(), lid, "已交代表")
    with _at(0):
        at = app_as("staff", "mailbox")
        at.session_state["lt_open"] = lid
        at.run()
        at.button(key=f"lt_reveal_{lid}").click().run()
        at.checkbox(key=f"lt_ho_writer_{lid}").check().run()
        at.button(key=f"lt_ho_{lid}").click().run()
        assert not at.exception
        assert "13812341234" in str([d.value.to_dict() for d in at.dataframe])
        assert [b for b in at.get("download_button") if b.proto.label == "下载交办单（.docx）"]
    with _at(1):
        if ends == "logout":
            at.sidebar.button(key="logout_btn").click().run()
    if ends == "idle":
        with _at(40):
            at.run()
    assert _logged_out(at)
    kept = set(at.session_state._state.filtered_state)  # noqa: SLF001 - every key the tab still holds
    assert kept <= {"init", "set", "delete", "delete_again", "get_all", "logout", "_delete_pending", "authentication_status", "name", "username", "email", "roles",
                    "login_username", "login_password", "FormSubmitter:login-登录", "_bad_url_params"}, kept
    with _at(41):  # the leader logs in at the same tab
        at.session_state["authentication_status"] = True
        at.session_state["username"] = at.session_state["name"] = "leader"
        at.session_state["session_started_at"] = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=10, minutes=41)
        at.run()
        from tests.conftest import goto

        goto(at, "mailbox")
        at.session_state["lt_open"] = lid
        at.run()
        assert not at.exception
        shown = str([d.value.to_dict() for d in at.dataframe])
        assert "138****1234" in shown and "13812341234" not in shown
        assert not [b for b in at.get("download_button") if b.proto.label == "下载交办单（.docx）"]


def test_a_refused_or_failed_download_says_why_in_chinese(app_world, monkeypatch, travel):
    """At the click Streamlit runs the download's data in its own handler, which answered a refused
    (or failed) file with the English "Failed to generate file for download" and no way forward:
    the refusal now says in Chinese what happened and what to do; another failure says so in Chinese."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from streamlit.proto.BackMsg_pb2 import BackendOperationRequest
    from streamlit.runtime.backend_operation_handler import DeferredFileHandler
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from components.guard import FAILED, REFUSED

    travel("2026-06-15")
    build = _export_button_data(app_world, monkeypatch)  # app.py has run: its handler is installed
    files = MediaFileManager(MemoryMediaFileStorage("/media"))
    handler = DeferredFileHandler(lambda: files)

    def click(data):  # noqa: ANN001, ANN202 - what the browser's click on the button asks for
        request = BackendOperationRequest(request_id="r1")
        request.deferred_file.file_id = files.add_deferred(data, "application/octet-stream", "1.2")
        # Streamlit answers the click on its server's event-loop thread, not the script's; running it
        # on a thread of its own also keeps it clear of an event loop another test left running here
        # (Playwright's sync API keeps one in the main thread while the browser tests' browser lives).
        with ThreadPoolExecutor(max_workers=1) as server_thread:
            return server_thread.submit(asyncio.run, handler.handle(request, "session")).result()

    answer = click(build)
    assert answer.deferred_file.url and not answer.error_msg  # the login holds: the file
    assert click(lambda: 1 / 0).error_msg == FAILED
    _set_user(app_world, active=False)
    assert click(build).error_msg == REFUSED
