"""基础数据: terms, offices, groups, districts, deputies and mailboxes — lists, forms, scope.

Every page's selectboxes take their choices from the ``*_options`` helpers here, which return
``{id: label}`` restricted to the actor's scope (a staff account scoped to an office sees only
that office's groups, districts and deputies).

A deputy's service is kept as periods (任职记录, db/periods.py). Saving a deputy says which
change it is, so a past year keeps the group and dates it had:
- leaving office (辞职 / 罢免 / 去世) needs the date it took effect: not after today, not before the
  current period began; the period closes that day;
- reinstating (在任 again) needs the date: after the last day served, not after today; a new period
  opens (``db.periods.set_intent(d, "reinstate", on)``);
- a change of group (or district) is either "调整代表组（自某日起生效）" with the date it took
  effect, after the current period began (``set_intent(d, "move", on)``: the old period closes the
  day before), or "更正录入错误": the record was wrong, the current period takes the new group;
- the "在任代表数" of offices, groups and districts count the deputies serving today
  (``deputies.serving_at``).
"""

from __future__ import annotations

import math
import re
from datetime import date
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db import models, periods
from services import deputies
from services.common import (
    Actor,
    NotFound,
    Page,
    PermissionDenied,
    StaleError,
    ValidationError,
    check_version,
    current_term,
    paginate,
    today,
)
from services.states import DeputyStatus, KeeperKind, values
from services.validation import clean_text, clean_word, fmt_date, normalize_phone, parse_date, parse_year

M = models


# ---------------------------------------------------------------- options for selectboxes


def office_options(session: Session, actor: Actor, *, active_only: bool = True) -> dict[int, str]:
    """Offices the actor may see, {id: name}, by name."""
    stmt = select(M.Office.id, M.Office.name).order_by(M.Office.name)
    if active_only:
        stmt = stmt.where(M.Office.active.is_(True))
    if actor.office_id is not None:
        stmt = stmt.where(M.Office.id == actor.office_id)
    return {i: n for i, n in session.execute(stmt)}


def group_options(session: Session, actor: Actor, office_id: int | None = None,
                  *, active_only: bool = True) -> dict[int, str]:
    """Deputy groups the actor may see (optionally of one office), {id: name}."""
    G = M.DeputyGroup
    stmt = select(G.id, G.name).order_by(G.office_id, G.name)
    if active_only:
        stmt = stmt.where(G.active.is_(True))
    if office_id is not None:
        stmt = stmt.where(G.office_id == office_id)
    if actor.group_id is not None:
        stmt = stmt.where(G.id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    return {i: n for i, n in session.execute(stmt)}


def district_options(session: Session, actor: Actor, group_id: int | None = None,
                     *, active_only: bool = True, with_group: bool = False) -> dict[int, str]:
    """Electoral districts the actor may see (optionally of one group), {id: name}.

    ``with_group`` labels each district "名称（代表组）".
    """
    D, G = M.District, M.DeputyGroup
    stmt = select(D.id, D.name, G.name).join(G, G.id == D.group_id).order_by(G.office_id, G.name, D.id)
    if active_only:
        stmt = stmt.where(D.active.is_(True))
    if group_id is not None:
        stmt = stmt.where(D.group_id == group_id)
    if actor.group_id is not None:
        stmt = stmt.where(D.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    return {i: (f"{n}（{g}）" if with_group else n) for i, n, g in session.execute(stmt)}


def deputy_options(session: Session, actor: Actor, group_id: int | None = None,
                   serving_only: bool = True) -> dict[int, str]:
    """Deputies the actor may see (optionally of one group), {id: "姓名 拼音首字母（代表组）"}
    (``picker_label``: typing "zw" finds 张伟 in any picker).

    ``serving_only`` keeps deputies serving today (status 在任).
    """
    D, G = M.Deputy, M.DeputyGroup
    stmt = select(D.id, D.name, D.pinyin, G.name).join(G, G.id == D.group_id).order_by(G.name, D.pinyin, D.name)
    if serving_only:
        stmt = stmt.where(D.status == SERVING)
    if group_id is not None:
        stmt = stmt.where(D.group_id == group_id)
    if actor.group_id is not None:
        stmt = stmt.where(D.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    return {i: picker_label(n, p, g) for i, n, p, g in session.execute(stmt)}


def district_group(session: Session, district_id: int | None) -> int | None:
    """The group id of a district (None when unknown)."""
    if district_id is None:
        return None
    return session.execute(select(M.District.group_id).where(M.District.id == district_id)).scalar()


def term_options(session: Session, *, active_only: bool = False) -> dict[int, str]:
    """Terms, newest first, {id: name}."""
    stmt = select(M.Term.id, M.Term.name).order_by(M.Term.number.desc())
    if active_only:
        stmt = stmt.where(M.Term.active.is_(True))
    return {i: n for i, n in session.execute(stmt)}


# ---------------------------------------------------------------- constants and helpers

SERVING = DeputyStatus.SERVING
STATUSES = tuple(values(DeputyStatus))
LEAVING = tuple(v for v in STATUSES if v != SERVING)
# how a change of a serving deputy's group is meant (the deputy form offers both)
GROUP_CHANGES = {"correct": "更正录入错误（不产生任职变动）", "move": "调整代表组（自某日起生效）"}
GENDERS = ("男", "女")
PARTIES = ("中共党员", "中共预备党员", "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社",
           "台盟", "无党派人士", "群众")
KEEPER_KINDS = tuple(values(KeeperKind))
MIN_AGE = 18  # a deputy is at least 18 (选举法)
# surnames read differently from the character's common reading
_SURNAME_INITIALS = {"单": "s", "解": "x", "曾": "z", "仇": "q", "区": "o", "查": "z", "朴": "p",
                     "乐": "y", "盖": "g", "覃": "q", "缪": "m", "尉": "y", "折": "s", "员": "y",
                     "种": "c", "秘": "b", "繁": "p", "隗": "w", "召": "s", "晟": "c"}


def free_text(value: object) -> str:
    """Trim free text (unit, party, place) without folding its full-width punctuation; control
    characters, NUL and bidi overrides removed (validation.clean_text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return clean_text(value)


def picker_label(name: str, pinyin: str | None, group: str) -> str:
    """A deputy as every picker lists them: "张伟 zw（东城第一代表组）", so that typing the pinyin
    initials ("zw") finds them as well as the name (initials worked out when a record lacks them)."""
    initials = pinyin or pinyin_initials(name)
    return f"{name} {initials}（{group}）" if initials else f"{name}（{group}）"


@lru_cache(maxsize=100_000)  # a pure function of the name: a deputy picker of 20,000 names costs 1.5 s without
def pinyin_initials(name: str) -> str:
    """Return the lower-case pinyin initials of a Chinese name (张三丰 → zsf, 单雄信 → sxx)."""
    name = clean_text(name)
    if not name:
        return ""
    first = _SURNAME_INITIALS.get(name[0])
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    if first and letters:
        letters[0] = first
    return re.sub(r"[^a-z]", "", "".join(letters).lower())[:32]


def _active_label(active: bool) -> str:
    """启用 / 停用."""
    return "启用" if active else "停用"


def _require_admin(actor: Actor, what: str) -> None:
    """Only the system administrator may change ``what``."""
    if actor.role != "admin":
        raise PermissionDenied(f"只有系统管理员可以维护{what}。")


def _get(session: Session, cls: type, obj_id: int, what: str) -> object:
    """Load a record or raise NotFound in Chinese."""
    obj = session.get(cls, obj_id) if obj_id is not None else None
    if obj is None:
        raise NotFound(f"{what}不存在或已被删除。")
    return obj


def _name_taken(session: Session, cls: type, name: str, own_id: int | None) -> bool:
    """True when another record of ``cls`` already has this name."""
    stmt = select(cls.id).where(cls.name == name)
    if own_id is not None:
        stmt = stmt.where(cls.id != own_id)
    return session.execute(stmt).first() is not None


def _name(data: dict, errors: dict, field: str = "name", label: str = "名称", max_len: int = 64) -> str:
    """Read a required name field into ``errors`` / return it cleaned (full-width letters and
    digits folded, so 第１选区 is 第1选区 in imports and lookups)."""
    value = clean_word(data.get(field))
    if not value:
        errors[field] = f"请填写{label}"
    elif len(value) > max_len:
        errors[field] = f"{label}不能超过{max_len}个字"
    return value


def _flush(session: Session, what: str) -> None:
    """Flush, turning a concurrent-version conflict into a Chinese StaleError."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleError(what) from exc


def _serving_today():  # noqa: ANN202
    """Subquery of the deputies serving today (``deputies.serving_at``): deputy_id, group_id,
    office_id, district_id."""
    day = today()
    return deputies.serving_at(day.year, day=day, name="serving_today")


def _group_scope(session: Session, actor: Actor, group_id: int) -> models.DeputyGroup:
    """Load a group and check that it lies in the actor's scope."""
    g = _get(session, M.DeputyGroup, group_id, "代表组")
    actor.require_scope(g.office_id, g.id)
    return g


# ---------------------------------------------------------------- terms (admin)


def list_terms(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """One page of terms, newest first."""
    T = M.Term
    stmt = select(T.id, T.number, T.name, T.start_year, T.end_year, T.active).order_by(T.number.desc())
    if filters.get("q"):
        stmt = stmt.where(T.name.like(f"%{filters['q']}%"))
    rows, total = paginate(session, stmt, offset, limit)
    return Page([{"编号": r[0], "届次": r[1], "名称": r[2], "起始年份": r[3], "结束年份": r[4],
                  "状态": _active_label(r[5])} for r in rows], total)


def get_term(session: Session, actor: Actor, term_id: int) -> dict:
    """A term's fields for the edit form."""
    t = _get(session, M.Term, term_id, "届次")
    return {"id": t.id, "number": t.number, "name": t.name, "start_year": t.start_year,
            "end_year": t.end_year, "active": t.active, "version": t.version}


def save_term(session: Session, actor: Actor, data: dict, term_id: int | None = None,
              expected_version: int | None = None) -> models.Term:
    """Create or edit a term (admin): number, name, first and last year. Editing a term changed
    since the form showed ``expected_version`` raises StaleError (nothing written)."""
    _require_admin(actor, "届次")
    if term_id is not None:
        check_version(_get(session, M.Term, term_id, "届次"), expected_version, "该届次")
    errors: dict[str, str] = {}
    name = _name(data, errors, label="届次名称")
    number = None
    try:
        number = int(clean_text(data.get("number")) or "x")
        if number < 1:
            raise ValueError
    except ValueError:
        errors["number"] = "届次应为正整数"
    years = {}
    for f, label in (("start_year", "起始年份"), ("end_year", "结束年份")):
        try:
            years[f] = parse_year(data.get(f), 1949, 2100)
            if years[f] is None:
                errors[f] = f"请填写{label}"
        except ValueError:
            errors[f] = f"{label}应为1949–2100之间的4位年份"
    if years.get("start_year") and years.get("end_year") and years["end_year"] < years["start_year"]:
        errors["end_year"] = "结束年份不能早于起始年份"
    if number is not None and "number" not in errors:
        stmt = select(M.Term.id).where(M.Term.number == number)
        if term_id is not None:
            stmt = stmt.where(M.Term.id != term_id)
        if session.execute(stmt).first():
            errors["number"] = f"第{number}届已存在"
    if errors:
        raise ValidationError(errors)
    t = M.Term() if term_id is None else _get(session, M.Term, term_id, "届次")
    t.number, t.name, t.start_year, t.end_year = number, name, years["start_year"], years["end_year"]
    if "active" in data:
        t.active = bool(data["active"])
    if term_id is None:
        session.add(t)
    session.flush()
    return t


def set_term_active(session: Session, actor: Actor, term_id: int, active: bool,
                    expected_version: int | None = None) -> None:
    """Activate or deactivate a term (admin)."""
    _require_admin(actor, "届次")
    t = _get(session, M.Term, term_id, "届次")
    check_version(t, expected_version, "该届次")
    t.active = bool(active)


# ---------------------------------------------------------------- offices (admin)


def list_offices(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """One page of offices in scope, with counts of groups and serving deputies."""
    O, G = M.Office, M.DeputyGroup
    groups = (select(G.office_id.label("oid"), func.count().label("n")).group_by(G.office_id)
              .where(G.active.is_(True)).subquery())
    now = _serving_today()
    deps = select(now.c.office_id.label("oid"), func.count().label("n")).group_by(now.c.office_id).subquery()
    stmt = (select(O.id, O.name, O.active, func.coalesce(groups.c.n, 0), func.coalesce(deps.c.n, 0))
            .outerjoin(groups, groups.c.oid == O.id).outerjoin(deps, deps.c.oid == O.id).order_by(O.name))
    if actor.office_id is not None:
        stmt = stmt.where(O.id == actor.office_id)
    if filters.get("q"):
        stmt = stmt.where(O.name.like(f"%{filters['q']}%"))
    if filters.get("active") is not None:
        stmt = stmt.where(O.active.is_(bool(filters["active"])))
    rows, total = paginate(session, stmt, offset, limit)
    return Page([{"编号": r[0], "办事处": r[1], "代表组数": r[3], "在任代表数": r[4],
                  "状态": _active_label(r[2])} for r in rows], total)


def get_office(session: Session, actor: Actor, office_id: int) -> dict:
    """An office's fields for the edit form."""
    o = _get(session, M.Office, office_id, "办事处")
    actor.require_scope(o.id)
    return {"id": o.id, "name": o.name, "active": o.active, "version": o.version}


def save_office(session: Session, actor: Actor, data: dict, office_id: int | None = None,
                expected_version: int | None = None) -> models.Office:
    """Create or rename an office (admin); a stale ``expected_version`` raises StaleError."""
    _require_admin(actor, "办事处")
    if office_id is not None:
        check_version(_get(session, M.Office, office_id, "办事处"), expected_version, "该办事处")
    errors: dict[str, str] = {}
    name = _name(data, errors, label="办事处名称")
    if name and "name" not in errors and _name_taken(session, M.Office, name, office_id):
        errors["name"] = "已有同名办事处"
    if errors:
        raise ValidationError(errors)
    o = M.Office() if office_id is None else _get(session, M.Office, office_id, "办事处")
    o.name = name
    if office_id is None:
        session.add(o)
    session.flush()
    return o


def set_office_active(session: Session, actor: Actor, office_id: int, active: bool,
                      expected_version: int | None = None) -> None:
    """Activate or deactivate an office (admin); refused while it has active groups."""
    _require_admin(actor, "办事处")
    o = _get(session, M.Office, office_id, "办事处")
    check_version(o, expected_version, "该办事处")
    if not active:
        n = session.execute(select(func.count()).select_from(M.DeputyGroup).where(
            M.DeputyGroup.office_id == o.id, M.DeputyGroup.active.is_(True))).scalar_one()
        if n:
            raise ValidationError({"active": f"该办事处还有{n}个启用的代表组，请先停用或调整代表组。"})
    o.active = bool(active)


# ---------------------------------------------------------------- groups


def list_groups(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """One page of deputy groups in scope, with office, liaison and counts."""
    O, G, Di = M.Office, M.DeputyGroup, M.District
    now = _serving_today()
    deps = select(now.c.group_id.label("gid"), func.count().label("n")).group_by(now.c.group_id).subquery()
    dists = (select(Di.group_id.label("gid"), func.count().label("n")).where(Di.active.is_(True))
             .group_by(Di.group_id).subquery())
    stmt = (select(G.id, G.name, O.name, G.liaison_name, G.liaison_phone, func.coalesce(dists.c.n, 0),
                   func.coalesce(deps.c.n, 0), G.active)
            .join(O, O.id == G.office_id).outerjoin(deps, deps.c.gid == G.id)
            .outerjoin(dists, dists.c.gid == G.id).order_by(O.name, G.name))
    if actor.group_id is not None:
        stmt = stmt.where(G.id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    if filters.get("office_id"):
        stmt = stmt.where(G.office_id == filters["office_id"])
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(or_(G.name.like(like), G.liaison_name.like(like)))
    if filters.get("active") is not None:
        stmt = stmt.where(G.active.is_(bool(filters["active"])))
    rows, total = paginate(session, stmt, offset, limit)
    return Page([{"编号": r[0], "代表组": r[1], "办事处": r[2], "联络员": r[3] or "", "联络员电话": r[4] or "",
                  "选区数": r[5], "在任代表数": r[6], "状态": _active_label(r[7])} for r in rows], total)


def get_group(session: Session, actor: Actor, group_id: int) -> dict:
    """A group's fields for the edit form."""
    g = _group_scope(session, actor, group_id)
    return {"id": g.id, "name": g.name, "office_id": g.office_id, "liaison_name": g.liaison_name or "",
            "liaison_phone": g.liaison_phone or "", "active": g.active, "version": g.version}


def _check_group(session: Session, actor: Actor, data: dict, group_id: int | None) -> dict:
    """Validate a group form; return cleaned values."""
    errors: dict[str, str] = {}
    name = _name(data, errors, label="代表组名称")
    if name and "name" not in errors and _name_taken(session, M.DeputyGroup, name, group_id):
        errors["name"] = "已有同名代表组"
    office_id = data.get("office_id")
    office = session.get(M.Office, office_id) if office_id else None
    if office is None:
        errors["office_id"] = "请选择所属办事处"
    elif not actor.in_scope(office.id, group_id):
        errors["office_id"] = "只能选择您负责的办事处"
    liaison = free_text(data.get("liaison_name"))
    if len(liaison) > 64:
        errors["liaison_name"] = "联络员姓名不能超过64个字"
    try:
        phone = normalize_phone(data.get("liaison_phone"), landline_ok=True)
    except ValueError as exc:
        errors["liaison_phone"] = str(exc).replace("联系电话", "联络员电话")
        phone = None
    if errors:
        raise ValidationError(errors)
    return {"name": name, "office_id": office.id, "liaison_name": liaison or None, "liaison_phone": phone}


def save_group(session: Session, actor: Actor, data: dict, group_id: int | None = None,
               expected_version: int | None = None) -> models.DeputyGroup:
    """Create or edit a deputy group (admin; staff inside their office); a stale
    ``expected_version`` raises StaleError."""
    actor.require_write("masterdata")
    if group_id is None and actor.group_id is not None:
        raise PermissionDenied("代表组范围的账号不能新建代表组。")
    if group_id is not None:
        check_version(_group_scope(session, actor, group_id), expected_version, "该代表组")
    clean = _check_group(session, actor, data, group_id)
    g = M.DeputyGroup() if group_id is None else session.get(M.DeputyGroup, group_id)
    for k, v in clean.items():
        setattr(g, k, v)
    if group_id is None:
        session.add(g)
    session.flush()
    return g


def set_group_active(session: Session, actor: Actor, group_id: int, active: bool,
                     expected_version: int | None = None) -> None:
    """Activate or deactivate a group; refused while it still has serving deputies."""
    actor.require_write("masterdata")
    g = _group_scope(session, actor, group_id)
    check_version(g, expected_version, "该代表组")
    if not active:
        now = _serving_today()
        n = session.execute(select(func.count()).select_from(now).where(now.c.group_id == g.id)).scalar_one()
        if n:
            raise ValidationError({"active": f"该代表组还有{n}名在任代表，请先将代表调整到其他代表组。"})
    g.active = bool(active)


# ---------------------------------------------------------------- districts


def list_districts(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """One page of electoral districts in scope, with group, office and deputy count."""
    O, G, Di = M.Office, M.DeputyGroup, M.District
    now = _serving_today()
    deps = select(now.c.district_id.label("did"), func.count().label("n")).group_by(now.c.district_id).subquery()
    stmt = (select(Di.id, Di.name, G.name, O.name, func.coalesce(deps.c.n, 0), Di.active)
            .join(G, G.id == Di.group_id).join(O, O.id == G.office_id)
            .outerjoin(deps, deps.c.did == Di.id).order_by(O.name, G.name, Di.id))
    if actor.group_id is not None:
        stmt = stmt.where(Di.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    if filters.get("office_id"):
        stmt = stmt.where(G.office_id == filters["office_id"])
    if filters.get("group_id"):
        stmt = stmt.where(Di.group_id == filters["group_id"])
    if filters.get("q"):
        stmt = stmt.where(Di.name.like(f"%{filters['q']}%"))
    if filters.get("active") is not None:
        stmt = stmt.where(Di.active.is_(bool(filters["active"])))
    rows, total = paginate(session, stmt, offset, limit)
    return Page([{"编号": r[0], "选区": r[1], "代表组": r[2], "办事处": r[3], "在任代表数": r[4],
                  "状态": _active_label(r[5])} for r in rows], total)


def get_district(session: Session, actor: Actor, district_id: int) -> dict:
    """A district's fields for the edit form."""
    d = _get(session, M.District, district_id, "选区")
    _group_scope(session, actor, d.group_id)
    return {"id": d.id, "name": d.name, "group_id": d.group_id, "active": d.active, "version": d.version}


def save_district(session: Session, actor: Actor, data: dict, district_id: int | None = None,
                  expected_version: int | None = None) -> models.District:
    """Create or edit an electoral district (admin; staff inside their office); a stale
    ``expected_version`` raises StaleError."""
    actor.require_write("masterdata")
    if district_id is not None:
        old = _get(session, M.District, district_id, "选区")
        _group_scope(session, actor, old.group_id)
        check_version(old, expected_version, "该选区")
    errors: dict[str, str] = {}
    name = _name(data, errors, label="选区名称")
    if name and "name" not in errors and _name_taken(session, M.District, name, district_id):
        errors["name"] = "已有同名选区"
    g = session.get(M.DeputyGroup, data.get("group_id")) if data.get("group_id") else None
    if g is None:
        errors["group_id"] = "请选择所属代表组"
    elif not actor.in_scope(g.office_id, g.id):
        errors["group_id"] = "只能选择您负责范围内的代表组"
    if errors:
        raise ValidationError(errors)
    d = M.District() if district_id is None else session.get(M.District, district_id)
    d.name, d.group_id = name, g.id
    if district_id is None:
        session.add(d)
    session.flush()
    return d


def set_district_active(session: Session, actor: Actor, district_id: int, active: bool,
                        expected_version: int | None = None) -> None:
    """Activate or deactivate a district; refused while serving deputies belong to it."""
    actor.require_write("masterdata")
    d = _get(session, M.District, district_id, "选区")
    _group_scope(session, actor, d.group_id)
    check_version(d, expected_version, "该选区")
    if not active:
        now = _serving_today()
        n = session.execute(select(func.count()).select_from(now).where(now.c.district_id == d.id)).scalar_one()
        if n:
            raise ValidationError({"active": f"该选区还有{n}名在任代表，请先调整代表的选区。"})
    d.active = bool(active)


# ---------------------------------------------------------------- deputies


def deputy_statement(actor: Actor, filters: dict) -> Select:
    """The select behind the deputies list (also used by the export): scope and filters applied."""
    O, G, D, Di, T = M.Office, M.DeputyGroup, M.Deputy, M.District, M.Term
    stmt = (select(D.id, D.name, D.gender, D.birth_year, D.party, D.unit_title, D.phone, G.name,
                   Di.name, O.name, D.status, D.version, T.name, D.pinyin)
            .join(G, G.id == D.group_id).join(O, O.id == G.office_id).join(T, T.id == D.term_id)
            .outerjoin(Di, Di.id == D.district_id).order_by(O.name, G.name, D.pinyin, D.id))
    if actor.group_id is not None:
        stmt = stmt.where(D.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    if filters.get("office_id"):
        stmt = stmt.where(G.office_id == filters["office_id"])
    if filters.get("group_id"):
        stmt = stmt.where(D.group_id == filters["group_id"])
    if filters.get("district_id"):
        stmt = stmt.where(D.district_id == filters["district_id"])
    if filters.get("status"):
        stmt = stmt.where(D.status == filters["status"])
    if filters.get("term_id"):
        stmt = stmt.where(D.term_id == filters["term_id"])
    q = clean_text(filters.get("q"))
    if q:
        conds = [D.name.like(f"%{q}%")]
        if re.fullmatch(r"[A-Za-z]+", q):
            conds.append(D.pinyin.like(f"{q.lower()}%"))
        if re.fullmatch(r"\d{3,11}", q):
            conds.append(D.phone.like(f"%{q}%"))
        stmt = stmt.where(or_(*conds))
    return stmt


def list_deputies(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """One page of deputies in scope; ``q`` searches name, pinyin initials (zw) or phone."""
    rows, total = paginate(session, deputy_statement(actor, filters), offset, limit)
    return Page([{"编号": r[0], "姓名": r[1], "性别": r[2] or "", "出生年份": r[3] or "", "党派": r[4] or "",
                  "工作单位及职务": r[5] or "", "联系电话": r[6] or "", "代表组": r[7], "选区": r[8] or "",
                  "办事处": r[9], "状态": r[10], "届次": r[12], "版本": r[11]} for r in rows], total)


def get_deputy(session: Session, actor: Actor, deputy_id: int) -> dict:
    """A deputy's fields for the edit form, with ``version`` to send back on save."""
    d = _get(session, M.Deputy, deputy_id, "代表")
    _group_scope(session, actor, d.group_id)
    return {"id": d.id, "name": d.name, "gender": d.gender or "", "birth_year": d.birth_year,
            "party": d.party or "", "unit_title": d.unit_title or "", "occupation": d.occupation or "",
            "phone": d.phone or "", "group_id": d.group_id, "district_id": d.district_id,
            "term_id": d.term_id, "status": d.status, "leads_enterprise": d.leads_enterprise,
            "is_office_leader": d.is_office_leader, "joined_on": d.joined_on, "left_on": d.left_on,
            "version": d.version}


def _service_dates_in_term(term: models.Term, dates: dict, errors: dict[str, str]) -> None:
    """The dates of service decide who serves in every year: 当选日期 and 离任日期 lie within the
    term's years, and a departure is not dated after today (it is recorded when it happens)."""
    lo, hi = date(term.start_year, 1, 1), date(term.end_year, 12, 31)
    joined, left = dates.get("joined_on"), dates.get("left_on")
    if joined is not None and "joined_on" not in errors and not lo <= joined <= hi:
        errors["joined_on"] = f"当选日期应在{term.name}（{term.start_year}–{term.end_year}年）之内"
    if left is not None and "left_on" not in errors:
        if left > today():
            errors["left_on"] = "离任日期不能晚于今天"
        elif not lo <= left <= hi:
            errors["left_on"] = f"离任日期应在{term.name}（{term.start_year}–{term.end_year}年）之内"


def check_deputy(session: Session, actor: Actor, data: dict, *, require_scope: bool = True) -> dict:
    """Validate a deputy form (or an imported row); return cleaned values or raise ValidationError.

    Rules: name required (≤32 字); gender 男/女; birth year between 1900 and (this year − 18);
    phone an 11-digit mobile number (optional); group required and in the actor's scope; the
    district, when given, must belong to that group; status one of 在任/辞职/罢免/去世.
    """
    errors: dict[str, str] = {}
    name = _name(data, errors, label="姓名", max_len=32)
    if name and re.search(r"\d", name):
        errors["name"] = "姓名不能包含数字"
    gender = clean_text(data.get("gender")) or None
    if gender not in (None, *GENDERS):
        errors["gender"] = "性别应为“男”或“女”"
    hi = today().year - MIN_AGE
    try:
        birth_year = parse_year(data.get("birth_year"), 1900, hi)
    except ValueError:
        birth_year = None
        errors["birth_year"] = f"出生年份应为1900–{hi}之间的4位年份（代表须年满{MIN_AGE}周岁）"
    try:
        phone = normalize_phone(data.get("phone"))
    except ValueError as exc:
        phone = None
        errors["phone"] = str(exc)
    party = free_text(data.get("party")) or None
    if party and len(party) > 32:
        errors["party"] = "党派不能超过32个字"
    unit = free_text(data.get("unit_title")) or None
    if unit and len(unit) > 128:
        errors["unit_title"] = "工作单位及职务不能超过128个字"
    occupation = free_text(data.get("occupation")) or None
    if occupation and len(occupation) > 64:
        errors["occupation"] = "职业不能超过64个字"
    group = session.get(M.DeputyGroup, data.get("group_id")) if data.get("group_id") else None
    if group is None:
        errors["group_id"] = "请选择代表组"
    elif require_scope and not actor.in_scope(group.office_id, group.id):
        errors["group_id"] = "只能选择您负责范围内的代表组"
    district_id = data.get("district_id") or None
    if district_id is not None:
        dist = session.get(M.District, district_id)
        if dist is None:
            errors["district_id"] = "选区不存在"
        elif group is not None and dist.group_id != group.id:
            errors["district_id"] = f"选区“{dist.name}”不属于代表组“{group.name}”"
    term_id = data.get("term_id")
    if term_id is None:
        term = current_term(session)
        term_id = term.id if term else None
    if term_id is None or session.get(M.Term, term_id) is None:
        errors["term_id"] = "请先在“届次”中建立届次"
    status = data.get("status") or SERVING
    if status not in STATUSES:
        errors["status"] = "状态应为在任、辞职、罢免或去世"
    dates = {}
    for f, label in (("joined_on", "当选日期"), ("left_on", "离任日期")):
        try:
            dates[f] = parse_date(data.get(f))
        except ValueError as exc:
            dates[f] = None
            errors[f] = f"{label}：{exc}"
    if status != SERVING and dates.get("left_on") is None and "left_on" not in errors:
        dates["left_on"] = today()
    if status == SERVING:
        dates["left_on"] = None
    if dates.get("joined_on") and dates.get("left_on") and dates["left_on"] < dates["joined_on"]:
        errors["left_on"] = "离任日期不能早于当选日期"
    term_row = session.get(M.Term, term_id) if term_id is not None else None
    if term_row is not None:
        _service_dates_in_term(term_row, dates, errors)
    if errors:
        raise ValidationError(errors)
    return {"name": name, "pinyin": pinyin_initials(name), "gender": gender, "birth_year": birth_year,
            "party": party, "unit_title": unit, "occupation": occupation, "phone": phone,
            "group_id": group.id, "district_id": district_id, "term_id": term_id, "status": status,
            "leads_enterprise": bool(data.get("leads_enterprise", False)),
            "is_office_leader": bool(data.get("is_office_leader", False)),
            "joined_on": dates["joined_on"], "left_on": dates["left_on"]}


def _last_period(d: models.Deputy) -> models.DeputyPeriod | None:
    """The deputy's current (latest) period of service."""
    return max(d.periods, key=lambda p: p.start_on) if d.periods else None


def _service_day(data: dict, field: str, label: str, errors: dict) -> date | None:
    """A required date of a change of service: given, valid, and not after today."""
    try:
        on = parse_date(data.get(field))
    except ValueError as exc:
        errors[field] = f"{label}：{exc}"
        return None
    if on is None:
        errors[field] = f"请填写{label}"
    elif on > today():
        errors[field] = f"{label}不能晚于今天"
        return None
    return on


def service_change(d: models.Deputy, clean: dict, data: dict) -> tuple[dict[str, str], tuple[str, date] | None]:
    """What an edit of an existing deputy means for the periods of service, and its date checked.

    Returns ({field: Chinese message}, intent) where intent is ("move" | "reinstate", day) for
    ``db.periods.set_intent``, or None for a correction of the record (or a departure, which closes
    the current period on the departure date). See the module doc.
    """
    errors: dict[str, str] = {}
    last = _last_period(d)
    was, will = d.status == SERVING, clean["status"] == SERVING
    moved = (clean["group_id"], clean["district_id"]) != (d.group_id, d.district_id)
    change = data.get("group_change", "correct")  # the form sends None until the user chooses
    move = moved and change == "move"
    intent = None
    if moved and was and change not in GROUP_CHANGES:
        errors["group_change"] = "代表组或选区有变化：请选择“更正录入错误”或“调整代表组（自某日起生效）”"
    if was and not will:  # leaves office
        on = _service_day(data, "left_on", "离任日期", errors)
        if on and last and on < last.start_on:
            errors["left_on"] = f"离任日期不能早于本段任职的开始日期（{fmt_date(last.start_on)}）"
        if move:
            errors["group_change"] = "离任与调整代表组请分两次保存：先调整代表组，再登记离任"
    elif not was and will:  # reinstated
        on = _service_day(data, "reinstated_on", "恢复任职日期", errors)
        if on and last and last.end_on and on <= last.end_on:
            errors["reinstated_on"] = f"恢复任职日期应晚于离任日期（{fmt_date(last.end_on)}）"
        elif on:
            intent = ("reinstate", on)
    elif not was and clean["left_on"] != d.left_on:  # corrects the date of leaving
        on = _service_day(data, "left_on", "离任日期", errors)
        if on and last and on < last.start_on:
            errors["left_on"] = f"离任日期不能早于本段任职的开始日期（{fmt_date(last.start_on)}）"
    elif was and move:  # moves to another group from a date
        on = _service_day(data, "moved_on", "调整生效日期", errors)
        if on and last and on <= last.start_on:
            errors["moved_on"] = (f"调整生效日期应晚于本段任职的开始日期（{fmt_date(last.start_on)}）；"
                                  "如属录入错误，请选择“更正录入错误”")
        elif on:
            intent = ("move", on)
    first = min(d.periods, key=lambda p: p.start_on) if d.periods else None
    if clean["joined_on"] and first and first.end_on and clean["joined_on"] > first.end_on:
        errors["joined_on"] = f"当选日期不能晚于第一段任职的结束日期（{fmt_date(first.end_on)}）"
    return errors, intent


def save_deputy(session: Session, actor: Actor, data: dict, deputy_id: int | None = None,
                expected_version: int | None = None) -> models.Deputy:
    """Create or edit a deputy. Editing needs the ``expected_version`` the form showed:
    a save over a newer version raises StaleError and writes nothing.

    For an existing deputy, ``data`` may also carry ``group_change`` ("correct" | "move"),
    ``moved_on`` and ``reinstated_on``; ``service_change`` says what they mean.
    """
    actor.require_write("masterdata")
    d = None
    if deputy_id is not None:
        d = _get(session, M.Deputy, deputy_id, "代表")
        _group_scope(session, actor, d.group_id)
        check_version(d, expected_version, "该代表信息")
    try:
        clean = check_deputy(session, actor, data)
        errors: dict[str, str] = {}
    except ValidationError as exc:
        clean, errors = None, dict(exc.errors)
    intent = None
    if d is not None and clean is not None:
        more, intent = service_change(d, clean, data)
        errors.update(more)
    if errors:
        raise ValidationError(errors)
    if d is None:
        d = M.Deputy()
        session.add(d)
    elif "leads_enterprise" not in data:  # keep flags the form did not show
        clean.pop("leads_enterprise")
        clean.pop("is_office_leader", None)
    if intent is not None:
        periods.set_intent(d, *intent)
    for k, v in clean.items():
        setattr(d, k, v)
    _flush(session, "该代表信息")
    return d


def set_deputy_status(session: Session, actor: Actor, deputy_id: int, status: str,
                      on: date | None = None, expected_version: int | None = None) -> None:
    """Record a departure (辞职 / 罢免 / 去世) or a reinstatement (在任) taking effect on ``on``."""
    form = get_deputy(session, actor, deputy_id)
    if status not in STATUSES:
        raise ValidationError({"status": "状态应为在任、辞职、罢免或去世"})
    data = {**form, "status": status}
    if status == SERVING:
        data["reinstated_on"] = on
    else:
        data["left_on"] = on
    save_deputy(session, actor, data, deputy_id, expected_version)


def move_deputy(session: Session, actor: Actor, deputy_id: int, group_id: int, district_id: int | None,
                on: date | None, expected_version: int | None = None) -> None:
    """Move a serving deputy to another group (and district) from ``on`` (调整代表组)."""
    form = get_deputy(session, actor, deputy_id)
    data = {**form, "group_id": group_id, "district_id": district_id, "group_change": "move", "moved_on": on}
    if form["status"] != SERVING:
        raise ValidationError({"group_change": "该代表已离任，不能调整代表组；如需恢复任职请先登记恢复任职"})
    save_deputy(session, actor, data, deputy_id, expected_version)


def deputy_periods(session: Session, actor: Actor, deputy_id: int) -> list[dict]:
    """任职记录: the deputy's periods of service, oldest first, as rows for a small table."""
    d = _get(session, M.Deputy, deputy_id, "代表")
    _group_scope(session, actor, d.group_id)
    P, G, Di = M.DeputyPeriod, M.DeputyGroup, M.District
    rows = session.execute(
        select(G.name, Di.name, P.start_on, P.end_on, P.end_reason)
        .join(G, G.id == P.group_id).outerjoin(Di, Di.id == P.district_id)
        .where(P.deputy_id == deputy_id).order_by(P.start_on, P.id)
    ).all()
    return [{"代表组": g, "选区": dist or "", "起始日期": start, "结束日期": end,
             "结束原因": reason or ("在任" if end is None else "")} for g, dist, start, end, reason in rows]


# ---------------------------------------------------------------- mailboxes


def list_mailboxes(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """One page of mailboxes in scope, with district, group and keeper."""
    O, G, D, Di, Mb = M.Office, M.DeputyGroup, M.Deputy, M.District, M.Mailbox
    stmt = (select(Mb.id, Mb.name, Di.name, G.name, Mb.keeper_kind, D.name, Mb.keeper_name, Mb.location,
                   Mb.established_on, Mb.active)
            .join(Di, Di.id == Mb.district_id).join(G, G.id == Di.group_id).join(O, O.id == G.office_id)
            .outerjoin(D, D.id == Mb.deputy_id).order_by(O.name, G.name, Mb.name))
    if actor.group_id is not None:
        stmt = stmt.where(Di.group_id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    if filters.get("group_id"):
        stmt = stmt.where(Di.group_id == filters["group_id"])
    if filters.get("q"):
        stmt = stmt.where(Mb.name.like(f"%{filters['q']}%"))
    if filters.get("active") is not None:
        stmt = stmt.where(Mb.active.is_(bool(filters["active"])))
    rows, total = paginate(session, stmt, offset, limit)
    out = []
    for r in rows:
        keeper = r[5] if r[4] == KeeperKind.DEPUTY else (r[6] or "")
        out.append({"编号": r[0], "信箱": r[1], "选区": r[2], "代表组": r[3], "管理方式": r[4],
                    "管理人": keeper or "", "设置地点": r[7] or "", "设立日期": r[8], "状态": _active_label(r[9])})
    return Page(out, total)


def get_mailbox(session: Session, actor: Actor, mailbox_id: int) -> dict:
    """A mailbox's fields for the edit form."""
    m = _get(session, M.Mailbox, mailbox_id, "代表信箱")
    d = session.get(M.District, m.district_id)
    _group_scope(session, actor, d.group_id)
    return {"id": m.id, "name": m.name, "district_id": m.district_id, "deputy_id": m.deputy_id,
            "keeper_kind": m.keeper_kind, "keeper_name": m.keeper_name or "",
            "delegation_start": m.delegation_start, "delegation_end": m.delegation_end,
            "location": m.location or "", "established_on": m.established_on, "active": m.active,
            "version": m.version}


def save_mailbox(session: Session, actor: Actor, data: dict, mailbox_id: int | None = None,
                 expected_version: int | None = None) -> models.Mailbox:
    """Create or edit a mailbox: its district, keeper (the deputy, or the liaison by delegation);
    a stale ``expected_version`` raises StaleError."""
    actor.require_write("masterdata")
    if mailbox_id is not None:
        old = _get(session, M.Mailbox, mailbox_id, "代表信箱")
        _group_scope(session, actor, session.get(M.District, old.district_id).group_id)
        check_version(old, expected_version, "该信箱")
    errors: dict[str, str] = {}
    name = _name(data, errors, label="信箱名称")
    if name and "name" not in errors and _name_taken(session, M.Mailbox, name, mailbox_id):
        errors["name"] = "已有同名信箱"
    dist = session.get(M.District, data.get("district_id")) if data.get("district_id") else None
    group = session.get(M.DeputyGroup, dist.group_id) if dist else None
    if dist is None:
        errors["district_id"] = "请选择选区"
    elif not actor.in_scope(group.office_id, group.id):
        errors["district_id"] = "只能选择您负责范围内的选区"
    kind = data.get("keeper_kind") or KeeperKind.DEPUTY
    if kind not in KEEPER_KINDS:
        errors["keeper_kind"] = "管理方式应为代表本人或联络员委托"
    deputy_id = data.get("deputy_id") or None
    keeper_name = clean_text(data.get("keeper_name")) or None
    dates = {}
    for f, label in (("delegation_start", "委托开始日期"), ("delegation_end", "委托结束日期"),
                     ("established_on", "设立日期")):
        try:
            dates[f] = parse_date(data.get(f))
        except ValueError as exc:
            dates[f] = None
            errors[f] = f"{label}：{exc}"
    if kind == KeeperKind.DEPUTY:
        if deputy_id is None:
            errors["deputy_id"] = "由代表本人管理时请选择代表"
        else:
            dep = session.get(M.Deputy, deputy_id)
            if dep is None or (group is not None and dep.group_id != group.id):
                errors["deputy_id"] = "管理信箱的代表须属于该选区所在的代表组"
        dates["delegation_start"] = dates["delegation_end"] = None
    elif kind == KeeperKind.LIAISON:
        if not keeper_name:
            errors["keeper_name"] = "委托联络员管理时请填写联络员姓名"
        if dates.get("delegation_start") is None and "delegation_start" not in errors:
            errors["delegation_start"] = "请填写委托开始日期"
        if dates.get("delegation_start") and dates.get("delegation_end") and \
                dates["delegation_end"] < dates["delegation_start"]:
            errors["delegation_end"] = "委托结束日期不能早于开始日期"
    if dates.get("established_on") is None and "established_on" not in errors:
        dates["established_on"] = today()
    location = free_text(data.get("location")) or None
    if location and len(location) > 128:
        errors["location"] = "设置地点不能超过128个字"
    if errors:
        raise ValidationError(errors)
    m = M.Mailbox() if mailbox_id is None else session.get(M.Mailbox, mailbox_id)
    m.name, m.district_id, m.keeper_kind, m.location = name, dist.id, kind, location
    m.deputy_id = deputy_id
    m.keeper_name = keeper_name
    m.delegation_start, m.delegation_end = dates["delegation_start"], dates["delegation_end"]
    m.established_on = dates["established_on"]
    if mailbox_id is None:
        session.add(m)
    session.flush()
    return m


def set_mailbox_active(session: Session, actor: Actor, mailbox_id: int, active: bool,
                       expected_version: int | None = None) -> None:
    """Activate or deactivate a mailbox."""
    actor.require_write("masterdata")
    m = _get(session, M.Mailbox, mailbox_id, "代表信箱")
    _group_scope(session, actor, session.get(M.District, m.district_id).group_id)
    check_version(m, expected_version, "该信箱")
    m.active = bool(active)
