"""Users, passwords, login throttling and cookie revocation."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import stat
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import models
from services import clock
from services.common import (
    ROLE_NAMES,
    Actor,
    NotFound,
    Page,
    PermissionDenied,
    ValidationError,
    check_version,
    paginate,
)
from services.validation import clean_text

DEMO_PASSWORD = "demo12345"

# login throttling (README 安全): a stranger cannot turn it against a user
THROTTLE_WINDOW = timedelta(minutes=15)
PAIR_FREE_FAILS = 3  # failures of one (user, client) pair before its delays start
PAIR_BASE_DELAY = timedelta(seconds=5)  # then 5 s, 10 s, 20 s, … doubling
PAIR_MAX_DELAY = timedelta(minutes=15)
USER_CEILING = 10  # failures of one user from all clients in the window: clients it never logged in from wait
KNOWN_CLIENT_DELAY = timedelta(seconds=30)  # past the ceiling a known client only waits this after a failure
KNOWN_CLIENT_DAYS = 90  # a client the user logged in from within this many days is known
MAX_FAILS_PER_CLIENT = 30  # failures from one unknown client across all users in the window (guessing)

_USERNAME = re.compile(r"^[a-z0-9_.-]{3,32}$")


# the cookie signing key: COOKIE_KEY / secrets.toml, else (not in production) a random key made on
# first start and kept owner-only in this file (data/ is outside git)
KEY_FILE_DEFAULT = Path(__file__).resolve().parent.parent / "data" / "cookie_key"
MIN_KEY_LENGTH = 32


def key_file_path() -> Path:
    """Where the generated cookie key lives: COOKIE_KEY_FILE, else data/cookie_key."""
    return Path(os.environ.get("COOKIE_KEY_FILE") or KEY_FILE_DEFAULT)


def weak_key_reason(key: str | None) -> str | None:
    """Why a configured cookie key is too weak to sign logins (Chinese), or None when it is fine."""
    if not key:
        return "未设置 Cookie 签名密钥"
    if len(key) < MIN_KEY_LENGTH:
        return f"Cookie 签名密钥不足{MIN_KEY_LENGTH}个字符"
    if len(set(key)) < 10:
        return "Cookie 签名密钥过于简单（重复字符），请使用随机字符串"
    return None


def generated_key(path: Path | None = None) -> str:
    """Return the random cookie key kept in ``path``, creating it (mode 0600) on first use.

    Two processes starting at once both end up with the key the first one wrote. A key file that
    others could read is made owner-only again."""
    path = path or key_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
        key = path.read_text(encoding="ascii").strip()
        if weak_key_reason(key) is None:
            return key
        path.unlink()  # an empty or damaged file (a crash while writing): make a new key
        return generated_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text(encoding="ascii").strip()


def resolve_cookie_key(configured: str | None, production: bool) -> tuple[str | None, str | None]:
    """(key, error): the configured key if strong; in production nothing else is accepted;
    otherwise the generated key file. Never a key written in the source."""
    if configured:
        reason = weak_key_reason(configured)
        return (None, reason) if reason else (configured, None)
    if production:
        return None, weak_key_reason(None)
    return generated_key(), None


def hash_password(password: str) -> str:
    """Return the bcrypt hash of a password."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def check_password(password: str, hashed: str) -> bool:
    """True when the password matches the bcrypt hash."""
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def validate_password(password: str) -> None:
    """Refuse weak passwords with a Chinese reason."""
    if len(password or "") < 8:
        raise ValidationError({"password": "密码至少8位"})
    if password.isdigit() or password.isalpha():
        raise ValidationError({"password": "密码须同时包含字母和数字"})


def credentials(session: Session) -> dict:
    """Return the credentials dict streamlit-authenticator expects, from active users."""
    users = session.execute(select(models.User).where(models.User.active.is_(True))).scalars()
    return {
        "usernames": {
            u.username: {
                "name": u.display_name,
                "password": u.password_hash,
                "roles": [u.role],
                "email": f"{u.username}@localhost",
                "failed_login_attempts": 0,
                "logged_in": False,
            }
            for u in users
        }
    }


def load_actor(session: Session, username: str | None) -> Actor | None:
    """Return the Actor of an active user, or None."""
    if not username:
        return None
    u = session.execute(
        select(models.User).where(models.User.username == username.lower(), models.User.active.is_(True))
    ).scalar_one_or_none()
    if u is None:
        return None
    office_id = u.office_id
    if u.group_id is not None and office_id is None:
        office_id = session.get(models.DeputyGroup, u.group_id).office_id
    return Actor(u.username, u.role, office_id, u.group_id, u.display_name)


def session_still_valid(session: Session, username: str, started_at: datetime) -> bool:
    """False when the user logged out, changed password or was deactivated after ``started_at``."""
    u = session.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none()
    if u is None or not u.active:
        return False
    return u.tokens_valid_after is None or started_at >= u.tokens_valid_after


def still_allowed(session: Session, seen: Actor, started_at: datetime, idle_minutes: int) -> bool:
    """Whether work begun on a page drawn for ``seen`` may still go on (a file built when its
    button is clicked, outside the page's own run and its checks): the login is still good (no
    logout, password change or deactivation since ``started_at``), the account has the role and
    scope the page was drawn for, and the login is not idle past the timeout (the click counts as
    a use)."""
    if not session_still_valid(session, seen.username, started_at):
        return False
    now = load_actor(session, seen.username)
    if now is None or (now.role, now.office_id, now.group_id) != (seen.role, seen.office_id, seen.group_id):
        return False
    return touch_login(session, seen.username, started_at, idle_minutes)


def revoke_sessions(session: Session, username: str) -> None:
    """Refuse every cookie issued to this user before now (logout everywhere)."""
    u = session.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none()
    if u is not None:
        u.tokens_valid_after = clock.now()


# the idle timeout on the server (README 安全): each login's last use, written at most this often
LAST_SEEN_EVERY = timedelta(minutes=1)
LOGIN_RECORD_DAYS = 7  # login records older than this (their cookies long expired) are removed


def _login_key(started_at: datetime) -> datetime:
    """A login's key: the start of its cookie to the second (every database stores that)."""
    return started_at.replace(microsecond=0)


def begin_login(session: Session, username: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record a new login (its cookie's start) as used now; drop records of long-expired cookies."""
    now = now or clock.now()
    S = models.LoginSession
    session.execute(delete(S).where(S.last_seen_at < now - timedelta(days=LOGIN_RECORD_DAYS)))
    row = session.get(S, (username, _login_key(started_at)))
    if row is None:
        session.add(S(username=username, started_at=_login_key(started_at), last_seen_at=now))
    else:
        row.last_seen_at = now


def touch_login(session: Session, username: str, started_at: datetime, idle_minutes: int,
                now: datetime | None = None) -> bool:
    """True while the login (user, cookie start) was used within ``idle_minutes``; records now as
    its last use (at most once a minute, many users share the server). False once it has been idle
    longer: the login has ended on the server, and every copy of its cookie is refused from then
    on (its record keeps the old last use). A cookie without a record (issued before records were
    kept) counts as used when it was issued."""
    now = now or clock.now()
    limit = timedelta(minutes=idle_minutes)
    S = models.LoginSession
    key = _login_key(started_at)
    row = session.get(S, (username, key))
    if row is None:
        if now - key > limit:
            return False
        try:
            with session.begin_nested():
                session.add(S(username=username, started_at=key, last_seen_at=now))
        except IntegrityError:  # another browser with the same cookie recorded it just now
            pass
        return True
    if now - row.last_seen_at > limit:
        return False
    if now - row.last_seen_at >= LAST_SEEN_EVERY:
        row.last_seen_at = now
    return True


def trusted_networks(text: str | None) -> list:
    """Parse TRUSTED_PROXIES ("127.0.0.1, 10.0.0.0/8"); ValueError in Chinese on a bad entry."""
    nets = []
    for part in re.split(r"[\s,;]+", text or ""):
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES 中的“{part[:40]}”不是 IP 地址或网段") from exc
    return nets


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``text``, or None when it is not one. A port some proxies append
    (1.2.3.4:5678, [2001:db8::1]:443) is dropped, and an IPv4 address written as IPv6
    (::ffff:1.2.3.4, a dual-stack socket) is the IPv4 address: one client, one address."""
    text = text.strip()
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?|(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}", text)
    if m:
        text = m.group(1) or m.group(2)
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip


def client_from(peer: str | None, forwarded: str | None, trusted: list) -> str:
    """The client address to throttle by.

    ``peer`` is the socket's address (None: the local machine). X-Forwarded-For is read only when
    the peer is a trusted proxy; then its hops are walked from the nearest and the first address
    that is not a trusted proxy is the client. A client cannot choose its address by sending the
    header itself."""
    peer_ip = _ip(peer or "127.0.0.1")
    peer = str(peer_ip) if peer_ip is not None else peer

    def is_trusted(ip: object) -> bool:
        return ip is not None and any(ip in net for net in trusted)

    if not forwarded or not is_trusted(peer_ip):
        return peer[:64]
    hops = [h.strip() for h in str(forwarded).split(",") if h.strip()]
    nearest = peer
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            return nearest[:64]  # garbage left of a trusted hop: stay with the last trusted address
        if not is_trusted(ip):
            return str(ip)[:64]
        nearest = str(ip)
    return nearest[:64]


def pair_delay(failures: int) -> timedelta:
    """How long a (user, client) pair waits after its last failure: nothing for the first
    PAIR_FREE_FAILS failures, then 5 s, 10 s, 20 s … up to 15 minutes."""
    if failures < PAIR_FREE_FAILS:
        return timedelta(0)
    return min(PAIR_MAX_DELAY, PAIR_BASE_DELAY * (2 ** min(20, failures - PAIR_FREE_FAILS)))


def _wait_text(wait: timedelta) -> str:
    """A wait in words: 40 秒 / 3 分钟."""
    secs = max(1, int(wait.total_seconds() + 0.999))
    return f"{secs} 秒" if secs < 120 else f"{(secs + 59) // 60} 分钟"


def _reset_at(session: Session, username: str, now: datetime) -> datetime:
    """Failures before this instant no longer count: the window's start or the admin's unlock."""
    since = now - THROTTLE_WINDOW
    unlocked = session.execute(
        select(models.User.login_unlocked_at).where(models.User.username == username)
    ).scalar_one_or_none()
    return max(since, unlocked) if unlocked else since


def known_client(session: Session, username: str, client: str, now: datetime) -> bool:
    """True when this user logged in successfully from this client within KNOWN_CLIENT_DAYS."""
    A = models.LoginAttempt
    return session.execute(
        select(A.id).where(A.username == username, A.client == client, A.success.is_(True),
                           A.at >= now - timedelta(days=KNOWN_CLIENT_DAYS)).limit(1)
    ).first() is not None


def throttle_message(session: Session, username: str, client: str, now: datetime | None = None) -> str | None:
    """Return a Chinese message when this attempt must wait, else None.

    - each (user, client) pair: after 3 failures a growing delay since its last failure;
    - a user with USER_CEILING failures from anywhere: clients it never logged in from are refused
      (the account is 锁定 for them until the window passes or an admin unlocks it); a known
      client only waits KNOWN_CLIENT_DELAY after the last failure, so the right password still
      works from the user's own PC;
    - an unknown client failing for many users: refused for the window.
    """
    now = now or clock.now()
    username = username.lower()
    A = models.LoginAttempt
    reset = _reset_at(session, username, now)
    last_ok = session.execute(
        select(func.max(A.at)).where(A.username == username, A.client == client, A.success.is_(True))
    ).scalar_one()
    pair_since = max(reset, last_ok) if last_ok else reset
    n_pair, last_pair = session.execute(
        select(func.count(), func.max(A.at)).where(
            A.username == username, A.client == client, A.success.is_(False), A.at > pair_since)
    ).one()
    wait = (last_pair + pair_delay(n_pair) - now) if last_pair else timedelta(0)
    if wait > timedelta(0):
        return f"登录失败次数较多，请 {_wait_text(wait)}后再试。"
    n_user, last_user = session.execute(
        select(func.count(), func.max(A.at)).where(A.username == username, A.success.is_(False), A.at > reset)
    ).one()
    known = known_client(session, username, client, now)
    if n_user >= USER_CEILING:
        if not known:
            minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
            return (f"该账号在{minutes}分钟内登录失败次数过多，已暂停从本机登录；请稍后再试，"
                    "或请系统管理员在“用户管理”中解除锁定。")
        wait = last_user + KNOWN_CLIENT_DELAY - now
        if wait > timedelta(0):
            return f"该账号近期登录失败次数过多，请 {_wait_text(wait)}后再试。"
    if not known and client:
        n_client = session.execute(
            select(func.count()).where(A.client == client, A.success.is_(False), A.at >= now - THROTTLE_WINDOW)
        ).scalar_one()
        if n_client >= MAX_FAILS_PER_CLIENT:
            return "本机登录失败次数过多，请稍后再试。"
    return None


def record_attempt(session: Session, username: str, client: str, success: bool, now: datetime | None = None) -> bool:
    """Record one login attempt; True when this failure locked the account (written to the log)."""
    now = now or clock.now()
    username = username.lower()[:64]
    session.add(models.LoginAttempt(username=username, client=client[:64], success=success, at=now))
    if success:
        return False
    session.flush()
    reset = _reset_at(session, username, now)
    A = models.LoginAttempt
    n_user = session.execute(
        select(func.count()).where(A.username == username, A.success.is_(False), A.at > reset)
    ).scalar_one()
    user = session.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none()
    if user is None or n_user < USER_CEILING:
        return False
    if user.login_locked_at is not None and user.login_locked_at >= reset:
        return False  # already locked in this window
    user.login_locked_at = now  # the audit listener logs it (用户 登录锁定时间)
    return True


def is_locked(user: models.User, now: datetime | None = None) -> bool:
    """True while the account is locked for unknown clients (locked in the window, not unlocked since)."""
    now = now or clock.now()
    locked = user.login_locked_at
    if locked is None or locked < now - THROTTLE_WINDOW:
        return False
    return user.login_unlocked_at is None or user.login_unlocked_at < locked


def unlock(session: Session, actor: Actor | None, username: str, expected_version: int | None = None) -> bool:
    """Admin (``actor`` None: manage.py) unlocks an account: earlier failures no longer count, for
    every client. Audited (用户 解除锁定时间). Returns whether it was locked. A page drawn before
    another change of the account (``expected_version``) is refused (StaleError)."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以解除登录锁定。")
    u = session.execute(select(models.User).where(models.User.username == username.strip().lower())).scalar_one_or_none()
    if u is None:
        raise ValidationError({"username": f"用户“{username[:32]}”不存在"})
    check_version(u, expected_version, "该账号")
    was = is_locked(u)
    u.login_unlocked_at = clock.now()
    return was


def _validate_user(session: Session, data: dict, user_id: int | None) -> dict:
    """Check a user form; return cleaned values or raise ValidationError."""
    errors: dict[str, str] = {}
    username = (data.get("username") or "").strip().lower()
    if user_id is None:
        if not _USERNAME.match(username):
            errors["username"] = "用户名须为3–32位小写字母、数字、下划线、点或短横线"
        elif session.execute(select(models.User.id).where(models.User.username == username)).first():
            errors["username"] = "用户名已存在"
    display = clean_text(data.get("display_name"))  # pasted text: control/bidi/invisible characters removed
    if not display:
        errors["display_name"] = "请填写姓名"
    elif len(display) > 64:
        errors["display_name"] = "姓名不能超过64个字"
    role = data.get("role")
    if role not in ROLE_NAMES:
        errors["role"] = "请选择角色"
    office_id = data.get("office_id") or None
    group_id = data.get("group_id") or None
    if role != "staff" and (office_id or group_id):
        office_id = group_id = None
    if group_id and office_id:
        g = session.get(models.DeputyGroup, group_id)
        if g is None or g.office_id != office_id:
            errors["group_id"] = "所选代表组不属于所选办事处"
    if errors:
        raise ValidationError(errors)
    return {"username": username, "display_name": display, "role": role,
            "office_id": office_id, "group_id": group_id}


def create_user(session: Session, actor: Actor | None, data: dict) -> models.User:
    """Create a user (admin only; ``actor`` None for the command line)."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以管理用户。")
    clean = _validate_user(session, data, None)
    validate_password(data.get("password") or "")
    user = models.User(password_hash=hash_password(data["password"]), active=True, **clean)
    session.add(user)
    session.flush()
    return user


def _user(session: Session, user_id: int, expected_version: int | None) -> models.User:
    """The account ``user_id`` as the admin's form saw it: StaleError when it changed since the
    form showed ``expected_version`` (who changed what, when)."""
    u = session.get(models.User, user_id)
    if u is None:
        raise NotFound("该账号不存在。")
    check_version(u, expected_version, "该账号")
    return u


def update_user(session: Session, actor: Actor, user_id: int, data: dict,
                expected_version: int | None = None) -> None:
    """Change a user's name, role and scope; deactivating revokes their sessions. A form drawn
    before another save (``expected_version``) is refused (StaleError)."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以管理用户。")
    u = _user(session, user_id, expected_version)
    clean = _validate_user(session, data, user_id)
    if u.username == actor.username and (clean["role"] != "admin" or data.get("active") is False):
        raise ValidationError({"role": "不能降低或停用自己的管理员账号"})
    u.display_name, u.role = clean["display_name"], clean["role"]
    u.office_id, u.group_id = clean["office_id"], clean["group_id"]
    if "active" in data and bool(data["active"]) != u.active:
        u.active = bool(data["active"])
        u.tokens_valid_after = clock.now()


def reset_password(session: Session, actor: Actor | None, user_id: int, password: str,
                   expected_version: int | None = None) -> None:
    """Set a new password and revoke the user's existing sessions (a stale form: StaleError)."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以重置密码。")
    u = _user(session, user_id, expected_version)
    validate_password(password)
    u.password_hash = hash_password(password)
    u.tokens_valid_after = clock.now()


def get_user(session: Session, actor: Actor, user_id: int) -> dict:
    """A user's fields for the edit form (admin only)."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以管理用户。")
    u = session.get(models.User, user_id)
    if u is None:
        raise PermissionDenied("用户不存在。")
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "office_id": u.office_id, "group_id": u.group_id, "active": u.active, "locked": is_locked(u),
            "version": u.version}


def list_users(session: Session, filters: dict, offset: int, limit: int) -> Page:
    """One page of users, filterable by role, scope text and active."""
    U, O, G = models.User, models.Office, models.DeputyGroup
    stmt = (
        select(U.id, U.username, U.display_name, U.role, O.name, G.name, U.active, U.created_at,
               U.login_locked_at, U.login_unlocked_at)
        .outerjoin(O, O.id == U.office_id)
        .outerjoin(G, G.id == U.group_id)
        .order_by(U.username)
    )
    if filters.get("role"):
        stmt = stmt.where(U.role == filters["role"])
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(U.username.like(like) | U.display_name.like(like))
    if filters.get("active") is not None:
        stmt = stmt.where(U.active.is_(bool(filters["active"])))
    rows, total = paginate(session, stmt, offset, limit)
    return Page(
        [
            {"编号": r[0], "用户名": r[1], "姓名": r[2], "角色": ROLE_NAMES[r[3]], "办事处": r[4] or "",
             "代表组": r[5] or "", "状态": "启用" if r[6] else "停用",
             "登录": "已锁定" if is_locked(models.User(login_locked_at=r[8], login_unlocked_at=r[9])) else "",
             "创建时间": r[7]}
            for r in rows
        ],
        total,
    )
