"""Users, passwords, login throttling and cookie revocation."""

from __future__ import annotations

import os
import re
import secrets
import stat
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import models
from services import clock
from services.common import ROLE_NAMES, Actor, Page, PermissionDenied, ValidationError, paginate

DEMO_PASSWORD = "demo12345"

# throttling: failed attempts allowed within the window, per user and per client address
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILS_PER_USER = 5
MAX_FAILS_PER_CLIENT = 20

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


def revoke_sessions(session: Session, username: str) -> None:
    """Refuse every cookie issued to this user before now (logout everywhere)."""
    u = session.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none()
    if u is not None:
        u.tokens_valid_after = clock.now()


def throttle_message(session: Session, username: str, client: str, now: datetime | None = None) -> str | None:
    """Return a Chinese message when too many failed logins came recently, else None."""
    now = now or clock.now()
    since = now - THROTTLE_WINDOW
    q = select(func.count()).select_from(models.LoginAttempt).where(
        models.LoginAttempt.at >= since, models.LoginAttempt.success.is_(False)
    )
    by_user = session.execute(q.where(models.LoginAttempt.username == username.lower())).scalar_one()
    by_client = session.execute(q.where(models.LoginAttempt.client == client)).scalar_one() if client else 0
    minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
    if by_user >= MAX_FAILS_PER_USER:
        return f"该账号在{minutes}分钟内登录失败次数过多，请稍后再试或联系系统管理员。"
    if by_client >= MAX_FAILS_PER_CLIENT:
        return f"本机在{minutes}分钟内登录失败次数过多，请稍后再试。"
    return None


def record_attempt(session: Session, username: str, client: str, success: bool) -> None:
    """Record one login attempt."""
    session.add(models.LoginAttempt(username=username.lower()[:64], client=client[:64], success=success))


def _validate_user(session: Session, data: dict, user_id: int | None) -> dict:
    """Check a user form; return cleaned values or raise ValidationError."""
    errors: dict[str, str] = {}
    username = (data.get("username") or "").strip().lower()
    if user_id is None:
        if not _USERNAME.match(username):
            errors["username"] = "用户名须为3–32位小写字母、数字、下划线、点或短横线"
        elif session.execute(select(models.User.id).where(models.User.username == username)).first():
            errors["username"] = "用户名已存在"
    display = (data.get("display_name") or "").strip()
    if not display:
        errors["display_name"] = "请填写姓名"
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


def update_user(session: Session, actor: Actor, user_id: int, data: dict) -> None:
    """Change a user's name, role and scope; deactivating revokes their sessions."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以管理用户。")
    u = session.get(models.User, user_id)
    clean = _validate_user(session, data, user_id)
    if u.username == actor.username and (clean["role"] != "admin" or data.get("active") is False):
        raise ValidationError({"role": "不能降低或停用自己的管理员账号"})
    u.display_name, u.role = clean["display_name"], clean["role"]
    u.office_id, u.group_id = clean["office_id"], clean["group_id"]
    if "active" in data and bool(data["active"]) != u.active:
        u.active = bool(data["active"])
        u.tokens_valid_after = clock.now()


def reset_password(session: Session, actor: Actor | None, user_id: int, password: str) -> None:
    """Set a new password and revoke the user's existing sessions."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以重置密码。")
    validate_password(password)
    u = session.get(models.User, user_id)
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
            "office_id": u.office_id, "group_id": u.group_id, "active": u.active}


def list_users(session: Session, filters: dict, offset: int, limit: int) -> Page:
    """One page of users, filterable by role, scope text and active."""
    U, O, G = models.User, models.Office, models.DeputyGroup
    stmt = (
        select(U.id, U.username, U.display_name, U.role, O.name, G.name, U.active, U.created_at)
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
             "代表组": r[5] or "", "状态": "启用" if r[6] else "停用", "创建时间": r[7]}
            for r in rows
        ],
        total,
    )
