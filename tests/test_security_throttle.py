"""Issue 16: login throttling a stranger cannot turn against a user; client addresses from
X-Forwarded-For only through a trusted proxy; lock and unlock audited (admin page and manage.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db import models
from db.engine import session_scope
from services import auth, clock
from services.common import PermissionDenied, ValidationError


def _fail(s, user: str, client: str, at) -> bool:  # noqa: ANN001
    return auth.record_attempt(s, user, client, False, now=at)


def test_pair_delays_grow_and_end(world):
    now = clock.now()
    waits = []
    with session_scope(url=world.url) as s:
        at = now
        for n in range(1, 9):
            _fail(s, "staff", "10.1.1.1", at)
            msg = auth.throttle_message(s, "staff", "10.1.1.1", now=at + timedelta(seconds=1))
            need = auth.pair_delay(n)
            waits.append(need.total_seconds())
            if need <= timedelta(seconds=1):
                assert msg is None, n
            else:
                assert "后再试" in msg
                # once the delay has passed, the pair may try again
                assert auth.throttle_message(s, "staff", "10.1.1.1", now=at + need) is None
            at = at + need
    assert waits == [0, 0, 5, 10, 20, 40, 80, 160]
    assert auth.pair_delay(100) == auth.PAIR_MAX_DELAY


def test_a_success_resets_its_pair(world):
    now = clock.now()
    with session_scope(url=world.url) as s:
        for _ in range(4):
            _fail(s, "staff", "10.1.1.2", now)
        assert auth.throttle_message(s, "staff", "10.1.1.2", now=now) is not None
        auth.record_attempt(s, "staff", "10.1.1.2", True, now=now + timedelta(minutes=1))
        assert auth.throttle_message(s, "staff", "10.1.1.2", now=now + timedelta(minutes=1, seconds=1)) is None


def test_strangers_cannot_lock_the_admin_out_of_their_own_pc(world):
    """The finding: 5 wrong passwords locked an account for good, admin included."""
    now = clock.now()
    with session_scope(url=world.url) as s:
        auth.record_attempt(s, "admin", "192.168.5.20", True, now=now - timedelta(days=2))
        locked = [_fail(s, "admin", f"172.16.0.{i}", now + timedelta(seconds=i)) for i in range(50)]
        assert locked.count(True) == 1  # locked once, at the ceiling
        assert locked.index(True) == auth.USER_CEILING - 1
        later = now + timedelta(seconds=50) + auth.KNOWN_CLIENT_DELAY
        # every unknown client is refused, whatever it sends
        for i in range(20):
            assert "解除锁定" in auth.throttle_message(s, "admin", f"172.17.0.{i}", now=later)
        # the admin's own PC is only slowed
        assert auth.throttle_message(s, "admin", "192.168.5.20", now=later) is None
        # a wrong try every few minutes does not prolong anything for the known PC
        assert auth.throttle_message(s, "admin", "192.168.5.20", now=later + timedelta(minutes=3)) is None
    with session_scope(url=world.url) as s:
        log = s.query(models.AuditLog).filter_by(entity="User", action="修改").all()
        assert any("login_locked_at" in (r.after or {}) for r in log)


def test_lock_ends_with_the_window(world):
    now = clock.now()
    with session_scope(url=world.url) as s:
        for i in range(auth.USER_CEILING):
            _fail(s, "leader", f"10.2.0.{i}", now)
        assert auth.throttle_message(s, "leader", "10.3.0.1", now=now) is not None
        assert auth.throttle_message(s, "leader", "10.3.0.1", now=now + auth.THROTTLE_WINDOW + timedelta(seconds=1)) is None


def test_admin_unlock_is_audited_and_admin_only(world):
    now = clock.now()
    with session_scope(url=world.url) as s:
        for i in range(auth.USER_CEILING):
            _fail(s, "leader", f"10.2.0.{i}", now)
    with session_scope("admin", url=world.url) as s:
        u = s.query(models.User).filter_by(username="leader").one()
        assert auth.is_locked(u)
        with pytest.raises(PermissionDenied):
            auth.unlock(s, world.staff(), "leader")
        with pytest.raises(ValidationError):
            auth.unlock(s, world.admin(), "nobody")
        assert auth.unlock(s, world.admin(), "LEADER ") is True
    with session_scope(url=world.url) as s:
        u = s.query(models.User).filter_by(username="leader").one()
        assert not auth.is_locked(u)
        assert auth.throttle_message(s, "leader", "10.3.0.1") is None
        entry = s.query(models.AuditLog).filter_by(entity="User", entity_id=str(u.id), username="admin").all()
        assert any("login_unlocked_at" in (r.after or {}) for r in entry)


def test_manage_unlock(world, monkeypatch, capsys):
    import manage

    monkeypatch.setenv("DATABASE_URL", world.url)
    now = clock.now()
    with session_scope(url=world.url) as s:
        for i in range(auth.USER_CEILING):
            _fail(s, "supervisor", f"10.4.0.{i}", now)
    assert manage.main(["unlock", "supervisor"]) == 0
    assert "已解除其登录锁定" in capsys.readouterr().out
    assert manage.main(["unlock", "nobody"]) != 0
    assert "不存在" in capsys.readouterr().err
    with session_scope(url=world.url) as s:
        assert auth.throttle_message(s, "supervisor", "10.9.0.1") is None
        assert s.query(models.AuditLog).filter_by(entity="User", username=manage.CLI_USER).count() >= 1


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", "10.0.0.1", "", "203.0.113.7"),  # no proxy configured: the header is ignored
        ("203.0.113.7", "10.0.0.1", "127.0.0.1", "203.0.113.7"),  # the peer is not the proxy
        (None, "198.51.100.4", "127.0.0.1", "198.51.100.4"),  # local nginx (Streamlit reports None)
        (None, "1.2.3.4, 198.51.100.4", "127.0.0.1", "198.51.100.4"),  # client-sent hop ignored
        ("10.0.0.5", "1.2.3.4, 198.51.100.4, 10.0.0.9", "10.0.0.0/8", "198.51.100.4"),  # two proxies
        ("10.0.0.5", "garbage, 10.0.0.9", "10.0.0.0/8", "10.0.0.9"),
        ("10.0.0.5", "", "10.0.0.0/8", "10.0.0.5"),
        ("2001:db8::1", "2001:db8::99", "2001:db8::1/128", "2001:db8::99"),
        # found by the attack (issue 16): a proxy that appends the port made every user the proxy;
        # a dual-stack socket (::ffff:127.0.0.1) was not the trusted 127.0.0.1
        (None, "198.51.100.4:5678", "127.0.0.1", "198.51.100.4"),
        (None, "[2001:db8::99]:443", "127.0.0.1", "2001:db8::99"),
        ("::ffff:127.0.0.1", "198.51.100.4", "127.0.0.1", "198.51.100.4"),
        ("::ffff:203.0.113.7", "", "", "203.0.113.7"),
        (None, "::ffff:198.51.100.4", "127.0.0.1", "198.51.100.4"),
    ],
)
def test_client_address(peer, forwarded, trusted, expected):
    assert auth.client_from(peer, forwarded, auth.trusted_networks(trusted)) == expected


def test_bad_trusted_proxy_setting_is_refused():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        auth.trusted_networks("127.0.0.1, nginx")


def test_rotating_forwarded_for_does_not_escape_the_client_limit(world):
    """The finding: 0 of 50 rotated X-Forwarded-For values were blocked."""
    now = clock.now()
    blocked = 0
    with session_scope(url=world.url) as s:
        for i in range(50):
            client = auth.client_from("203.0.113.50", f"10.0.{i}.1", [])
            if auth.throttle_message(s, f"user{i}", client, now=now + timedelta(seconds=i)):
                blocked += 1
                continue
            _fail(s, f"user{i}", client, now + timedelta(seconds=i))
    assert blocked == 50 - auth.MAX_FAILS_PER_CLIENT


def test_failures_sent_under_a_colleagues_address_do_not_touch_the_colleague(world):
    now = clock.now()
    with session_scope(url=world.url) as s:
        auth.record_attempt(s, "staff", "192.168.1.30", True, now=now - timedelta(days=1))
        for i in range(20):
            client = auth.client_from("192.168.1.66", "192.168.1.30", [])  # attacker claims the colleague's IP
            _fail(s, "staff", client, now + timedelta(seconds=i))
        assert auth.throttle_message(s, "staff", "192.168.1.30", now=now + timedelta(minutes=1)) is None


def test_users_page_shows_the_lock_and_unlocks(app_world):
    from tests.conftest import app_as, submit

    now = clock.now()
    with session_scope(url=app_world.url) as s:
        for i in range(auth.USER_CEILING):
            _fail(s, "leader", f"10.5.0.{i}", now)
    at = app_as("admin", "users")
    frame = at.dataframe[0].value
    assert list(frame.loc[frame["用户名"] == "leader", "登录"]) == ["已锁定"]
    with session_scope(url=app_world.url) as s:
        uid = s.query(models.User).filter_by(username="leader").one().id
    at.session_state["usr_list__grid"] = {"selection": {"rows": [list(frame["用户名"]).index("leader")], "columns": []}}
    at.run()
    assert any("已暂停从未登录过的终端登录" in w.value for w in at.warning)
    submit(at, f"usr_unlock_{uid}").click().run()  # named by the form's token (one unlock per drawn page)
    assert any("已解除账号 leader 的登录锁定" in m.value for m in at.success)
    with session_scope(url=app_world.url) as s:
        assert not auth.is_locked(s.get(models.User, uid))
