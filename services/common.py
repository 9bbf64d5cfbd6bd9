"""Shared pieces of every service: who is acting, errors, roles and pages, scope, paging."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from db import models
from services.clock import today  # noqa: F401  (re-exported: the one clock)

ROLE_NAMES = {"admin": "系统管理员", "staff": "工作人员", "supervisor": "督查人员", "leader": "领导"}

# page key -> (title, roles that see it). The single source of the page × role table.
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "dashboard": ("工作台", ("admin", "staff", "supervisor", "leader")),
    "activities": ("联系活动", ("admin", "staff", "supervisor", "leader")),
    "mailbox": ("代表信箱", ("admin", "staff", "supervisor", "leader")),
    "reports": ("述职管理", ("admin", "staff", "supervisor", "leader")),
    "proposals": ("议案建议", ("admin", "staff", "supervisor", "leader")),
    "attendance": ("出席与履职", ("admin", "staff", "supervisor", "leader")),
    "spotchecks": ("抽查督导", ("admin", "supervisor")),
    "scoring": ("评分评优", ("admin", "supervisor", "leader")),
    "profiles": ("履职档案", ("admin", "staff", "supervisor", "leader")),
    "quarterly": ("季度汇总", ("admin", "staff", "supervisor", "leader")),
    "hotissues": ("热点问题", ("admin", "supervisor", "leader")),
    "masterdata": ("基础数据", ("admin", "staff")),
    "bodies": ("承办单位", ("admin", "staff", "supervisor", "leader")),
    "users": ("用户管理", ("admin",)),
    "settings": ("系统设置", ("admin",)),
    "calendar": ("工作日历", ("admin",)),
    "auditlog": ("操作日志", ("admin",)),
}

# page key -> url path. Deliberately NOT the file stem of pages/<key>.py: Streamlit serves a
# pages/ file whose stem matches a url path directly (without app.py's login) on a fresh server,
# and AppTest resolves such a hash to the bare file. Pinyin paths avoid the collision.
URL_PATHS: dict[str, str] = {
    "dashboard": "gongzuotai", "activities": "huodong", "mailbox": "xinxiang", "reports": "shuzhi",
    "proposals": "yijian", "attendance": "chuxi", "spotchecks": "choucha", "scoring": "pingfen",
    "profiles": "dangan", "quarterly": "jidu", "hotissues": "redian", "masterdata": "jichu",
    "users": "yonghu", "settings": "shezhi", "calendar": "rili", "auditlog": "rizhi", "bodies": "chengban",
}

# what each role may write; services check this, pages hide forms accordingly
WRITE_RIGHTS: dict[str, set[str]] = {
    "admin": {"*"},
    "staff": {
        "masterdata", "activity", "opinion", "mailbox", "letter", "report", "proposal",
        "attendance", "publicity", "quarterly", "rectification", "body",
    },
    "supervisor": {"spotcheck", "hearing", "rectification", "activity.verify"},
    "leader": {"topic", "selection"},
}

# who may see letter writers' personal data unmasked (after clicking 显示)
REVEAL_ROLES = {"admin", "staff"}


class ServiceError(Exception):
    """An error whose message (Chinese) is shown to the user as it is."""


class ValidationError(ServiceError):
    """Bad input: ``errors`` maps a field name to its Chinese message; nothing was written."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        if isinstance(errors, str):
            errors = {"": errors}
        self.errors = errors
        super().__init__("；".join(errors.values()))


class PermissionDenied(ServiceError):
    """The actor's role or scope does not allow this."""


class StaleError(ServiceError):
    """Someone else saved the record first (optimistic locking); ``change`` says who and when."""

    def __init__(self, what: str = "该记录", change: str = "") -> None:
        self.change = change
        if change:
            super().__init__(f"{what}在您打开后已被他人修改：{change}。您的修改未保存；页面已显示最新内容，"
                             "您填写的内容仍保留在表单中，请核对后再提交。")
        else:
            super().__init__(f"{what}已被他人修改，请刷新后重新编辑（您的修改未保存）。")


class DuplicateSubmit(ServiceError):
    """The same drawn form was submitted again (a double click): the first submit was applied."""


class NotFound(ServiceError):
    """The record does not exist (or is outside the actor's scope)."""


@dataclass(frozen=True)
class Actor:
    """The logged-in user as services see it: name, role and scope."""

    username: str
    role: str
    office_id: int | None = None
    group_id: int | None = None
    display_name: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def scoped(self) -> bool:
        """True when the account sees only one office or group."""
        return self.office_id is not None or self.group_id is not None

    def can_see(self, page: str) -> bool:
        """True when this role may open the page."""
        return page in PAGES and self.role in PAGES[page][1]

    def can_write(self, area: str) -> bool:
        """True when this role may write records of ``area``."""
        rights = WRITE_RIGHTS.get(self.role, set())
        return "*" in rights or area in rights

    def require_write(self, area: str) -> None:
        """Raise PermissionDenied unless this role may write ``area``."""
        if not self.can_write(area):
            raise PermissionDenied(f"您的角色（{ROLE_NAMES.get(self.role, self.role)}）无权执行此操作。")

    def in_scope(self, office_id: int | None, group_id: int | None = None) -> bool:
        """True when a record of that office/group is inside this actor's scope."""
        if self.group_id is not None:
            return group_id == self.group_id
        if self.office_id is not None:
            return office_id == self.office_id
        return True

    def require_scope(self, office_id: int | None, group_id: int | None = None) -> None:
        """Raise PermissionDenied when the record is outside this actor's scope."""
        if not self.in_scope(office_id, group_id):
            raise PermissionDenied("该记录不在您负责的办事处或代表组范围内。")


def scope_filter(stmt: Select, actor: Actor, office_col, group_col) -> Select:  # noqa: ANN001
    """Restrict a query to the actor's office or group."""
    if actor.group_id is not None:
        return stmt.where(group_col == actor.group_id)
    if actor.office_id is not None:
        return stmt.where(office_col == actor.office_id)
    return stmt


@dataclass
class Page:
    """One page of a list: rows as dicts, the total count, and optional totals."""

    rows: list[dict]
    total: int
    sums: dict = field(default_factory=dict)


def paginate(session: Session, stmt: Select, offset: int, limit: int) -> tuple[list, int]:
    """Run ``stmt`` for one page and count all its rows, both in SQL."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    return rows, int(total)


# column names the "what changed" message names in Chinese (others: 修改了内容)
_FIELD_WORDS = {"status": "状态", "summary": "内容", "paused_since": "暂停计时", "result": "办理结果",
                "forwarded_to": "转办单位", "title": "标题", "name": "名称", "phone": "电话",
                "held_on": "日期", "place": "地点", "deputy_id": "承办代表", "satisfaction": "满意度",
                "district_id": "选区", "voters_reached": "联系选民人数", "kind": "类型", "mode": "活动形式",
                "organiser": "组织方式", "targets": "联系对象", "typical": "典型事例", "received_on": "收到日期",
                "review_result": "审查结果", "handling_body": "承办单位", "deputy_view": "代表评价",
                "active": "启用状态", "liaison_name": "联络员", "liaison_phone": "联络员电话", "role": "角色",
                "display_name": "姓名", "office_id": "办事处", "group_id": "代表组", "password_hash": "密码",
                "login_unlocked_at": "解除登录锁定", "login_locked_at": "登录锁定", "number": "届次",
                "start_year": "起始年份", "end_year": "结束年份", "location": "设置地点", "keeper_kind": "管理方式",
                "keeper_name": "受委托联络员", "owner": "责任人", "due_on": "整改期限",
                "announced_on": "通报日期", "published_on": "刊登日期", "publication_issue": "刊登期号",
                "locked": "确定计划", "submitted_at": "报送标记", "note": "备注"}


def last_change(session: Session, entity: str, entity_id: object, *, parts: str | None = None) -> str:
    """Who last changed a record and how, from the audit log: "王工作（staff）于 2026-03-05 10:12
    修改（状态改为“已交代表”）"; "" when the log has nothing. ``parts``: the entity of the record's
    rows (e.g. a plan's items, logged as "<record id>/<...>"), whose changes count as the record's."""
    A = models.AuditLog
    which = and_(A.entity == entity, A.entity_id == str(entity_id))
    if parts:
        which = or_(which, and_(A.entity == parts, A.entity_id.like(f"{entity_id}/%")))
    rows = session.execute(
        select(A).where(which, A.action != "查看").order_by(A.id.desc()).limit(10)
    ).scalars().all()
    if not rows:
        return ""
    row = rows[0]
    after: dict = {}
    for r in reversed(rows):  # the rows one save wrote (same user, same moment), merged
        if r.username == row.username and r.at == row.at:
            after.update(r.after or {})
    name = session.execute(select(models.User.display_name).where(models.User.username == row.username)).scalar()
    who = f"{name}（{row.username}）" if name and name != row.username else row.username
    if row.action in ("删除", "新增"):
        how = row.action
    elif "status" in after:
        how = f"修改（状态改为“{after['status']}”）"
    elif "paused_since" in after:
        how = "修改（" + ("暂停计时" if after["paused_since"] else "恢复计时") + "）"
    else:
        words = [w for k, w in _FIELD_WORDS.items() if k in after]
        how = "修改（" + "、".join(words) + "）" if words else "修改"
    return f"{who}于 {row.at:%Y-%m-%d %H:%M:%S} {how}"


def check_version(obj: object, expected: int | None, what: str = "该记录") -> None:
    """Refuse a save when the record's version moved since the user opened it (the form carries
    the version it was drawn with); the message says who changed it, when and how."""
    if expected is not None and getattr(obj, "version", None) != expected:
        from sqlalchemy.orm import object_session

        session = object_session(obj)
        change = ""
        if session is not None:
            from sqlalchemy import inspect as sa_inspect

            ident = sa_inspect(obj).identity
            change = last_change(session, type(obj).__name__, "/".join(str(i) for i in ident or ()))
        raise StaleError(what, change.strip())




def group_office(session: Session, group_id: int) -> int:
    """Return the office id of a group."""
    return session.get(models.DeputyGroup, group_id).office_id


def current_term(session: Session) -> models.Term | None:
    """Return the active term with the highest number."""
    return session.execute(
        select(models.Term).where(models.Term.active.is_(True)).order_by(models.Term.number.desc())
    ).scalars().first()


def term_year(term: models.Term, year: int) -> int:
    """Return N of "year N of the term" for a calendar year (R6)."""
    return year - term.start_year + 1


@dataclass
class Figure:
    """One compliance figure for 工作台: a rule, a count, and the list behind it.

    ``page`` is the page key that lists the records; ``params`` are query parameters that the
    page's table reads as initial filter values (e.g. {"view": "r1", "year": "2026"}).
    ``bad`` is True when the figure shows a shortfall (drawn in red).
    """

    rule: str
    label: str
    value: int | float | str
    unit: str
    page: str
    params: dict = field(default_factory=dict)
    bad: bool = False
    help: str = ""
