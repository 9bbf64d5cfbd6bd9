"""承办单位: the directory of the organisations letters, opinions and proposals are forwarded to.

R3 (deputies forward, never settle themselves) is structural: ``organisation`` is the one
function that decides, for letters and opinions alike, that a forwarded-to or resolving body is an
active organisation of this directory, and never a person (the deputy himself, 本人, 自行解决,
“张伟同志”, “张伟（代表）” …). ``not_an_organisation`` refuses such names when a body is added, so the
directory itself holds no person.

Free text typed before the directory (Alembic 0006_i14_bodies) was matched to it by exact and normalised
name (``identity.body_key``); what was not matched is listed by ``unmapped`` for the admin, who maps
each text to a body with ``map_text``.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from db import models
from services.common import Actor, Figure, NotFound, Page, ValidationError, check_version, paginate
from services.identity import body_key, name_key
from services.states import BodyKind, Outcome, values
from services.validation import clean_text

B = models.HandlingBody
KINDS = tuple(values(BodyKind))
# words meaning "the deputy settled it himself" (R3)
SELF_WORDS = ("本人", "自行", "自己", "亲自", "个人")
# titles that make a name a person's: 张伟同志, 张伟代表, 王老师 …
PERSON_TITLES = ("同志", "代表", "先生", "女士", "老师", "师傅", "书记", "主任", "局长", "镇长", "村长")
# the endings of an organisation's name
ORG_ENDINGS = ("局", "委", "办", "院", "厅", "处", "科", "所", "站", "队", "中心", "公司", "集团", "街道", "镇", "乡",
               "村", "社区", "政府", "部", "部门", "会", "室", "馆", "署", "社", "厂", "场", "园", "单位", "行", "校",
               "团", "联", "庭", "监狱", "府", "组织")
_BRACKETS = re.compile(r"[（(]\s*(代表|本人|个人)\s*[）)]")
_TAIL = re.compile(r"[（(][^（）()]*[）)]$")  # a bracketed second name at the end
# "no body": 不需转办, 无需转交, 暂不处理 … (R3: a problem is forwarded, never dropped by the deputy)
_NO_BODY = re.compile(r"(不需|无需|无须|不用|不必|暂不|未|没有|无)(转办|转交|交办|处理|办理|单位)")
# the deputies' own places: 代表工作室, 代表联络站, 代表之家 … (the deputy, not a body that handles it)
_DEPUTY_PLACE = re.compile(r"代表(工作室|联络站|联络室|之家|活动室|接待室|接待站|小组|组)")
# not one body: 有关部门, 相关单位, 各部门 …
_VAGUE = re.compile(r"^(有关|相关|各|其他|其它|上级|主管|职能)(部门|单位|机关|科室)$")
# a surname and a one-character title: 王局, 张科, 李所, 刘队 — a person called by his post
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_POST = re.compile("^[" + SURNAMES + "](局|科|所|队|处|委|站|办|总|部)$")


def not_an_organisation(name: object, deputy_names: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Why ``name`` is not an organisation's name (a Chinese reason), or None when it is one.

    Refused: empty text, the words of self-settlement (本人, 自行 …), a person's title (同志, 代表 …)
    or “（代表）” after a name, the name of a deputy, and any text that does not end like an
    organisation (局, 委, 院, 街道, 公司 …)."""
    text = re.sub(r"\s+", "", body_name(name))
    if not text:
        return "请选择承办单位"
    own = {name_key(n) for n in deputy_names if n}
    if any(w in text for w in SELF_WORDS) or _BRACKETS.search(text) or _NO_BODY.search(text):
        return "代表不自行处理问题，承办单位应为有关机关或单位，不能是代表本人（R3）"
    if _DEPUTY_PLACE.search(text) or any(text.startswith(n) for n in deputy_names if n):
        return "承办单位不能是代表本人或代表的工作室、联络站，应为实际承办的机关或单位（R3）"
    if _VAGUE.match(text):
        return "请写明具体的承办单位（如“区住房和城乡建设局”），不能只写“有关部门”"
    if _POST.match(text):
        return "承办单位应为机关或单位的名称，不能是个人（如“王局”“张科”）（R3）"
    if name_key(text) in own or any(name_key(text) == k + name_key(t) for k in own for t in PERSON_TITLES):
        return "承办单位不能是代表本人，应为实际承办的机关或单位（R3）"
    # 区市场监督管理局（区知识产权局）: a second name in brackets, itself an organisation's
    tail = _TAIL.search(text)
    inner = tail.group()[1:-1].strip() if tail else ""
    core = _TAIL.sub("", text) if inner.endswith(ORG_ENDINGS) and not inner.endswith(PERSON_TITLES) else text
    if text.endswith(PERSON_TITLES) or core.endswith(PERSON_TITLES):
        return "承办单位应为机关或单位，不能是个人（如“某某同志”“某某代表”）（R3）"
    if not core.endswith(ORG_ENDINGS):
        return "承办单位应为机关、单位或组织的名称（如“区住房和城乡建设局”“某某街道办事处”），不能是个人"
    return None


def body_name(value: object) -> str:
    """A body's name as typed (clean_text), without the format characters Word leaves in pasted
    text that clean_text keeps (soft hyphen, tag characters): they would rename a body to an
    invisible variant of itself on import."""
    return "".join(ch for ch in clean_text(value) if unicodedata.category(ch) != "Cf")


def guess_kind(name: str) -> str:
    """The likely kind of a body from its name (for bodies made from old free text)."""
    if "法院" in name or name.endswith("法庭"):
        return BodyKind.COURT
    if "检察院" in name:
        return BodyKind.PROCURATORATE
    if any(w in name for w in ("街道", "办事处")) or name.endswith(("镇", "乡", "社区", "村", "镇政府", "乡政府")):
        return BodyKind.STREET
    if name.endswith(("公司", "集团", "医院", "学校", "小学", "中学", "幼儿园", "银行", "厂")):
        return BodyKind.ENTERPRISE
    if any(w in name for w in ("局", "委", "政府", "办公室", "部门", "分局", "大队")):
        return BodyKind.GOVERNMENT
    return BodyKind.OTHER


def initials(name: str) -> str:
    """Pinyin initials of a body's name (区教育局 → qjyj; a name's first character is read as a
    word, not as a surname: 区 is qū here)."""
    from pypinyin import Style, lazy_pinyin

    return re.sub(r"[^a-z]", "", "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower())[:64]


# ---------------------------------------------------------------- R3: the one decision


def find(session: Session, value: object) -> models.HandlingBody | None:
    """The directory body named by an id or a name (exact, else normalised), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) < 10):
        return session.get(B, int(value))
    text = body_name(value)
    body = session.execute(select(B).where(B.name == text)).scalars().first()
    if body is None:
        body = session.execute(select(B).where(B.name_key == body_key(text)).order_by(B.id)).scalars().first()
    return body


def organisation(session: Session, value: object, deputy_names: set[str] | frozenset[str] = frozenset(),
                 ) -> tuple[models.HandlingBody | None, str | None]:
    """R3 for letters and opinions: (the body, None) when ``value`` (a body id or a name) is an
    active organisation of the 承办单位 directory; (None, a Chinese reason) otherwise — a person, the
    deputy himself, a body not in the directory, or one no longer in use."""
    if isinstance(value, str) and not value.strip().isdigit():
        why = not_an_organisation(value, deputy_names)
        if why:
            return None, why
    body = find(session, value)
    if body is None:
        return None, "请从承办单位名录中选择承办单位（名录中没有的，可先“新增承办单位”）"
    if not body.active:
        return None, f"承办单位“{body.name}”已停用，请选择其他单位"
    why = not_an_organisation(body.name, deputy_names)
    if why:
        return None, why
    return body, None


# ---------------------------------------------------------------- the directory


def options(session: Session, *, active_only: bool = True) -> dict[int, str]:
    """{id: "名称（拼音首字母）"} for the searchable picker: typing 区教 or qjy finds 区教育局."""
    stmt = select(B.id, B.name, B.pinyin).order_by(B.pinyin, B.name)
    if active_only:
        stmt = stmt.where(B.active.is_(True))
    return {i: f"{n}（{p}）" if p else n for i, n, p in session.execute(stmt)}


def _check(session: Session, data: dict, body_id: int | None = None) -> dict:
    """Validate a body's fields; return them clean or raise ValidationError."""
    errors: dict[str, str] = {}
    name = body_name(data.get("name"))
    why = not_an_organisation(name)
    if why:
        errors["name"] = "请填写单位名称" if not name else why
    elif len(name) > 128:
        errors["name"] = "单位名称不超过128字"
    else:
        clash = session.execute(select(B.name).where(B.name_key == body_key(name), B.id != (body_id or -1))).first()
        if clash:
            errors["name"] = f"名录中已有“{clash[0]}”，请勿重复添加"
    kind = clean_text(data.get("kind")) or BodyKind.GOVERNMENT
    if kind not in KINDS:
        errors["kind"] = "请选择单位类别：" + "、".join(KINDS)
    parent_id = data.get("parent_id") or None
    if parent_id is not None:
        parent = session.get(B, int(parent_id))
        if parent is None:
            errors["parent_id"] = "上级单位不存在"
        elif body_id is not None and _is_below(session, parent.id, body_id):
            errors["parent_id"] = "上级单位不能是本单位或其下级单位"
        else:
            parent_id = parent.id
    if errors:
        raise ValidationError(errors)
    return {"name": name, "name_key": body_key(name), "pinyin": initials(name), "kind": kind,
            "parent_id": parent_id, "active": bool(data.get("active", True))}


def _is_below(session: Session, candidate: int, body_id: int) -> bool:
    """True when ``candidate`` is ``body_id`` or one of its descendants (no cycles of parents)."""
    seen = set()
    cur = candidate
    while cur is not None and cur not in seen:
        if cur == body_id:
            return True
        seen.add(cur)
        cur = session.execute(select(B.parent_id).where(B.id == cur)).scalar()
    return False


def add_body(session: Session, actor: Actor, data: dict) -> models.HandlingBody:
    """Add a body to the directory (admin and staff; staff add inline while forwarding)."""
    actor.require_write("body")
    clean = _check(session, data)
    body = B(created_by=actor.username, **clean)
    session.add(body)
    session.flush()
    return body


def update_body(session: Session, actor: Actor, body_id: int, data: dict,
                expected_version: int | None = None) -> models.HandlingBody:
    """Change a body's name, kind, parent or use (records keep pointing to it)."""
    actor.require_write("body")
    body = session.get(B, body_id)
    if body is None:
        raise NotFound("该承办单位不存在。")
    check_version(body, expected_version, "该承办单位")
    # a field not given keeps its value (the page's edit form has no 上级单位: it must not clear it)
    current = {"name": body.name, "kind": body.kind, "parent_id": body.parent_id, "active": body.active}
    clean = _check(session, {**current, **data}, body_id=body.id)
    for k, v in clean.items():
        setattr(body, k, v)
    session.flush()
    return body


def list_bodies(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """The directory, by kind and name; ``q`` searches the name or its pinyin initials."""
    P = models.HandlingBody.__table__.alias("parent")
    stmt = select(B.id, B.version, B.name, B.pinyin, B.kind, P.c.name.label("parent"), B.active).outerjoin(
        P, P.c.id == B.parent_id)
    if f.get("kind"):
        stmt = stmt.where(B.kind == f["kind"])
    if f.get("active") in ("启用", "停用"):
        stmt = stmt.where(B.active.is_(f["active"] == "启用"))
    if f.get("q"):
        q = clean_text(f["q"])[:50]
        letters = re.sub(r"\s+", "", unicodedata.normalize("NFKC", q)).lower()  # ｑｊｙｊ typed in full width
        stmt = stmt.where(B.name.contains(q, autoescape=True) | B.pinyin.startswith(letters, autoescape=True))
    stmt = stmt.order_by(B.kind, B.pinyin, B.id)
    rows, total = paginate(session, stmt, offset, limit)
    return Page([{"id": r.id, "version": r.version, "名称": r.name, "拼音首字母": r.pinyin, "类别": r.kind,
                  "上级单位": r.parent or "", "状态": "启用" if r.active else "停用"} for r in rows], total)


COLUMNS = ["名称", "类别", "上级单位", "状态"]


def export_xlsx(session: Session, actor: Actor) -> bytes:
    """The whole directory as .xlsx (名称, 类别, 上级单位, 状态); it imports back unchanged."""
    from services.excel import to_xlsx

    rows = list_bodies(session, actor, {}, 0, 1_000_000).rows
    df = pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows], columns=COLUMNS)
    return to_xlsx({"承办单位": df}, title="承办单位名录",
                   notes=["类别：" + "、".join(KINDS) + "；状态：启用 / 停用；上级单位须为名录中的单位。"])


def import_xlsx(session: Session, actor: Actor, data: bytes) -> dict[str, int]:
    """Import the directory from .xlsx: a row whose name (normalised) exists updates it, else adds
    it. All rows are checked first; any error writes nothing. Returns {新增, 更新, 未变}."""
    from services.excel import read_xlsx

    actor.require_write("body")
    try:
        _headers, rows = read_xlsx(data, ["名称"])
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    by_key = {b.name_key: b for b in session.execute(select(B)).scalars()}
    problems: list[str] = []
    seen: dict[str, int] = {}
    plan: list[tuple[int, dict]] = []
    for excel_row, raw in rows:
        name = body_name(raw.get("名称"))
        if not name and not any(clean_text(v) for v in raw.values()):
            continue
        why = not_an_organisation(name)
        if why:
            problems.append(f"第{excel_row}行：{why if name else '名称为空'}")
            continue
        key = body_key(name)
        if key in seen:
            problems.append(f"第{excel_row}行：与第{seen[key]}行重复")
            continue
        seen[key] = excel_row
        kind = clean_text(raw.get("类别")) or BodyKind.GOVERNMENT
        if kind not in KINDS:
            problems.append(f"第{excel_row}行：类别应为" + "、".join(KINDS))
        state = clean_text(raw.get("状态")) or "启用"
        if state not in ("启用", "停用"):
            problems.append(f"第{excel_row}行：状态应为启用或停用")
        plan.append((excel_row, {"name": name, "kind": kind, "parent": body_name(raw.get("上级单位")),
                                 "active": state != "停用"}))
    known = set(by_key) | set(seen)
    for excel_row, row in plan:
        if row["parent"] and body_key(row["parent"]) not in known:
            problems.append(f"第{excel_row}行：上级单位“{row['parent']}”不在名录中")
    # the parents after the import (the file's rows over the directory's): never a circle
    parent_of = {k: b.parent_id and next((x.name_key for x in by_key.values() if x.id == b.parent_id), None)
                 for k, b in by_key.items()}
    parent_of.update({body_key(r["name"]): body_key(r["parent"]) if r["parent"] else None for _n, r in plan})
    for excel_row, row in plan:
        key, seen_keys = body_key(row["name"]), set()
        while key and key not in seen_keys:
            seen_keys.add(key)
            key = parent_of.get(key)
        if key:
            problems.append(f"第{excel_row}行：上级单位“{row['parent']}”构成循环（单位不能是自己的上级或下级的下级）")
    if problems:
        raise ValidationError({"file": "；".join(problems[:20]) + ("……" if len(problems) > 20 else "")})
    out = {"新增": 0, "更新": 0, "未变": 0}
    parents = {b.id: b.parent_id for b in by_key.values()}
    for _row, row in plan:
        body = by_key.get(body_key(row["name"]))
        if body is None:
            body = B(name=row["name"], name_key=body_key(row["name"]), pinyin=initials(row["name"]),
                     kind=row["kind"], active=row["active"], created_by=actor.username)
            session.add(body)
            by_key[body.name_key] = body
            out["新增"] += 1
        elif (body.name, body.kind, body.active, _parent_name(by_key, parents.get(body.id))) != (
                row["name"], row["kind"], row["active"], body_key(row["parent"]) if row["parent"] else None):
            body.name, body.kind, body.active = row["name"], row["kind"], row["active"]
            body.pinyin = initials(row["name"])
            out["更新"] += 1
        else:
            out["未变"] += 1
    session.flush()
    for _row, row in plan:
        body = by_key[body_key(row["name"])]
        parent = by_key.get(body_key(row["parent"])) if row["parent"] else None
        pid = parent.id if parent is not None and parent.id != body.id else None
        if body.parent_id != pid:
            body.parent_id = pid
    session.flush()
    return out


def _parent_name(by_key: dict, parent_id: int | None) -> str | None:
    """The name key of the body with id ``parent_id`` (None without one)."""
    return next((k for k, b in by_key.items() if b.id == parent_id), None) if parent_id else None


# ---------------------------------------------------------------- free text left from before the directory

# (label, model, text column, body column)
_TEXT_FIELDS = (
    ("来信转办单位", models.Letter, "forwarded_to", "body_id"),
    ("群众意见转交单位", models.Opinion, "forwarded_to", "body_id"),
    ("群众意见解决单位", models.Opinion, "resolved_by", "resolved_body_id"),
    ("议案建议承办单位", models.Proposal, "handling_body", "body_id"),
)


def unmapped(session: Session) -> list[dict]:
    """Texts typed as a body before the directory that no body matched: {原填写, 出现在, 记录数}."""
    out: dict[str, dict] = {}
    for label, model, text_col, body_col in _TEXT_FIELDS:
        t, b = getattr(model, text_col), getattr(model, body_col)
        for text, n in session.execute(select(t, func.count()).where(t.is_not(None), t != "", b.is_(None))
                                       .group_by(t)):
            row = out.setdefault(text, {"原填写": text, "出现在": [], "记录（条）": 0})
            row["出现在"].append(label)
            row["记录（条）"] += int(n)
    rows = sorted(out.values(), key=lambda r: (-r["记录（条）"], r["原填写"]))
    for r in rows:
        r["出现在"] = "、".join(r["出现在"])
        r["不能对应的原因"] = not_an_organisation(r["原填写"]) or "名录中没有同名单位"
    return rows


def map_text(session: Session, actor: Actor, text: str, body_id: int) -> int:
    """Point every record whose body was typed as ``text`` to a body of the directory (admin).

    The text is replaced by the body's name; one audit row names the mapping. Returns the count."""
    if actor.role != "admin":
        from services.common import PermissionDenied

        raise PermissionDenied("只有系统管理员可以对应历史填写的承办单位。")
    body = session.get(B, body_id) if body_id else None
    if body is None:
        raise ValidationError({"body_id": "请选择名录中的承办单位"})
    n = 0
    for _label, model, text_col, body_col in _TEXT_FIELDS:
        t, b = getattr(model, text_col), getattr(model, body_col)
        res = session.execute(update(model).where(t == text, b.is_(None))
                              .values({body_col: body.id, text_col: body.name})
                              .execution_options(synchronize_session=False))
        n += res.rowcount or 0
    if n == 0:
        raise ValidationError({"body_id": f"没有仍填写为“{text}”且未对应的记录（可能已由他人处理）"})
    session.add(models.AuditLog(username=session.info.get("actor", actor.username), action="修改",
                                entity="HandlingBody", entity_id=str(body.id),
                                before={"原填写": text}, after={"承办单位": body.name},
                                note=f"将历史填写的“{text}”对应为承办单位“{body.name}”，共{n}条记录"[:255]))
    session.flush()
    return n


# ---------------------------------------------------------------- per-body figures


def body_figures(session: Session, actor: Actor, year: int) -> list[dict]:
    """Per body, letters and opinions of ``year`` (received / raised) in the actor's scope, and
    proposals of the year (unscoped roles): forwarded, answered on time (letters closed by their
    feedback due date), outcome classes A/B/C/D, writers' satisfaction. Bodies with nothing are left out."""
    from datetime import date as _date

    from services.common import scope_filter
    from services.states import LetterStatus, Outcome, Satisfaction

    L, O, P, G = models.Letter, models.Opinion, models.Proposal, models.DeputyGroup
    lo, hi = _date(year, 1, 1), _date(year, 12, 31)
    classes = list(Outcome)
    out: dict[int, dict] = {}

    def row(bid: int) -> dict:
        return out.setdefault(bid, {"body_id": bid, "转办来信（件）": 0, "按时办结（件）": 0, "群众意见（条）": 0,
                                    "议案建议（件）": 0, **{str(c): 0 for c in classes}, "未分类（件）": 0,
                                    "满意": 0, "基本满意": 0, "不满意": 0})

    closed = (LetterStatus.CONCLUDED, LetterStatus.FED_BACK)
    on_time = func.sum(case((and_(L.status.in_(closed), L.status_on <= L.resolve_due), 1), else_=0))
    stmt = scope_filter(select(L.body_id, func.count(L.id), on_time).where(
        L.body_id.is_not(None), L.received_on.between(lo, hi)).group_by(L.body_id), actor, L.office_id, L.group_id)
    for bid, n, ok in session.execute(stmt):
        r = row(bid)
        r["转办来信（件）"] += int(n)
        r["按时办结（件）"] += int(ok or 0)
    stmt = scope_filter(select(L.body_id, L.outcome, L.status, L.satisfaction, func.count(L.id)).where(
        L.body_id.is_not(None), L.received_on.between(lo, hi)).group_by(L.body_id, L.outcome, L.status,
                                                                       L.satisfaction), actor, L.office_id, L.group_id)
    for bid, outcome, status, sat, n in session.execute(stmt):
        r = row(bid)
        if outcome:
            r[outcome] += int(n)
        elif status in closed:
            r["未分类（件）"] += int(n)
        if sat in values(Satisfaction):
            r[sat] += int(n)
    stmt = (select(func.coalesce(O.resolved_body_id, O.body_id), O.outcome, func.count(O.id))
            .join(G, G.id == O.group_id)
            .where(func.coalesce(O.resolved_body_id, O.body_id).is_not(None), O.raised_on.between(lo, hi))
            .group_by(func.coalesce(O.resolved_body_id, O.body_id), O.outcome))
    for bid, outcome, n in session.execute(scope_filter(stmt, actor, G.office_id, O.group_id)):
        r = row(bid)
        r["群众意见（条）"] += int(n)
        if outcome:
            r[outcome] += int(n)
    if not actor.scoped:
        for bid, outcome, n in session.execute(
                select(P.body_id, P.outcome, func.count(P.id)).where(P.body_id.is_not(None),
                                                                     P.submitted_on.between(lo, hi))
                .group_by(P.body_id, P.outcome)):
            r = row(bid)
            r["议案建议（件）"] += int(n)
            if outcome:
                r[outcome] += int(n)
    names = dict(session.execute(select(B.id, B.name).where(B.id.in_(list(out) or [-1]))).all())
    kinds = dict(session.execute(select(B.id, B.kind).where(B.id.in_(list(out) or [-1]))).all())
    rows = []
    for bid, r in out.items():
        fed = r["满意"] + r["基本满意"] + r["不满意"]
        answered = sum(r[str(c)] for c in classes)
        rows.append({"body_id": bid, "承办单位": names.get(bid, ""), "类别": kinds.get(bid, ""),
                     **{k: v for k, v in r.items() if k != "body_id"},
                     "A类占比": f"{r[str(Outcome.A)] / answered:.0%}" if answered else "—",
                     "按时办结率": f"{r['按时办结（件）'] / r['转办来信（件）']:.0%}" if r["转办来信（件）"] else "—",
                     "满意率": f"{(r['满意'] + r['基本满意']) / fed:.0%}" if fed else "—"})
    rows.sort(key=lambda x: (-(x["转办来信（件）"] + x["群众意见（条）"] + x["议案建议（件）"]), x["承办单位"]))
    return rows


def _record_statements(actor: Actor, year: int, *, body_id: int | None = None,
                       outcomes: tuple[str, ...] | None = None) -> dict:
    """The SELECTs behind ``_records`` (scope applied), by source: letters (received), opinions
    (raised) and — for unscoped roles — proposals (submitted) of ``year``, of one body or with one
    of ``outcomes``. ``_records`` lists their rows, ``unsolved_count`` counts them."""
    from datetime import date as _date

    from services.common import scope_filter

    L, O, P, G = models.Letter, models.Opinion, models.Proposal, models.DeputyGroup
    lo, hi = _date(year, 1, 1), _date(year, 12, 31)
    out = {}
    stmt = select(L.code, L.received_on, L.category, L.summary, L.status, L.outcome, L.satisfaction, L.body_id).where(
        L.received_on.between(lo, hi))
    if body_id is not None:
        stmt = stmt.where(L.body_id == body_id)
    if outcomes is not None:
        stmt = stmt.where(L.outcome.in_(outcomes))
    out["letters"] = scope_filter(stmt, actor, L.office_id, L.group_id).order_by(L.received_on, L.id)
    body = func.coalesce(O.resolved_body_id, O.body_id)
    stmt = (select(O.raised_on, O.category, O.content, O.status, O.outcome, body.label("body_id"))
            .join(G, G.id == O.group_id).where(O.raised_on.between(lo, hi)))
    if body_id is not None:
        stmt = stmt.where(body == body_id)
    if outcomes is not None:
        stmt = stmt.where(O.outcome.in_(outcomes))
    out["opinions"] = scope_filter(stmt, actor, G.office_id, O.group_id).order_by(O.raised_on, O.id)
    if not actor.scoped:  # proposals belong to no office or group: counted for unscoped roles only
        stmt = select(P.kind, P.title, P.submitted_on, P.status, P.outcome, P.deputy_view, P.body_id).where(
            P.submitted_on.between(lo, hi))
        if body_id is not None:
            stmt = stmt.where(P.body_id == body_id)
        if outcomes is not None:
            stmt = stmt.where(P.outcome.in_(outcomes))
        out["proposals"] = stmt.order_by(P.submitted_on, P.id)
    return out


def _records(session: Session, actor: Actor, year: int, *, body_id: int | None = None,
             outcomes: tuple[str, ...] | None = None) -> list[dict]:
    """The rows of ``_record_statements``: the records behind ``body_figures`` and ``unsolved``.
    Writers never shown; personal data typed into the text masked for the roles that see masked data."""
    from services.validation import free_text_for

    pii = free_text_for(actor.role)
    names = dict(session.execute(select(B.id, B.name)).all())
    stmts = _record_statements(actor, year, body_id=body_id, outcomes=outcomes)
    rows = []
    for r in session.execute(stmts["letters"]):
        rows.append({"来源": f"来信{r.code}", "日期": r.received_on, "问题类别": r.category, "内容": pii(r.summary),
                     "承办单位": names.get(r.body_id, ""), "状态": r.status, "结果分类": r.outcome or "",
                     "满意度": r.satisfaction or ""})
    for r in session.execute(stmts["opinions"]):
        rows.append({"来源": "群众意见", "日期": r.raised_on, "问题类别": r.category, "内容": pii(r.content),
                     "承办单位": names.get(r.body_id, ""), "状态": r.status, "结果分类": r.outcome or "", "满意度": ""})
    if "proposals" in stmts:
        for r in session.execute(stmts["proposals"]):
            rows.append({"来源": r.kind, "日期": r.submitted_on, "问题类别": "", "内容": pii(r.title),
                         "承办单位": names.get(r.body_id, ""), "状态": r.status, "结果分类": r.outcome or "",
                         "满意度": r.deputy_view or ""})
    return rows


def body_records(session: Session, actor: Actor, body_id: int, year: int) -> list[dict]:
    """The letters, opinions and proposals of ``year`` behind a body's figures (each one the
    figures count; scope applied; writers never shown)."""
    return _records(session, actor, year, body_id=body_id)


# ---------------------------------------------------------------- answered, not solved (B/C/D)

NOT_SOLVED = tuple(str(c) for c in (Outcome.B, Outcome.C, Outcome.D))


def unsolved(session: Session, actor: Actor, year: int, f: dict | None = None, offset: int = 0,
             limit: int = 20) -> Page:
    """Letters, opinions and proposals of ``year`` answered as B 正在解决, C 列入计划逐步解决 or
    D 因条件限制留作参考: closed, but not solved (rules.letter_resolved / opinion_resolved count A
    only). ``f``: 来源 (来信 / 群众意见 / 议案建议) and 结果分类."""
    f = f or {}
    rows = _records(session, actor, year, outcomes=NOT_SOLVED)
    kind = f.get("source")
    if kind == "来信":
        rows = [r for r in rows if r["来源"].startswith("来信")]
    elif kind == "群众意见":
        rows = [r for r in rows if r["来源"] == "群众意见"]
    elif kind == "议案建议":
        rows = [r for r in rows if r["来源"] in ("议案", "建议", "批评和意见")]
    if f.get("outcome") in NOT_SOLVED:
        rows = [r for r in rows if r["结果分类"] == f["outcome"]]
    return Page(rows[offset:offset + limit], len(rows))


def unsolved_count(session: Session, actor: Actor, year: int) -> int:
    """How many records ``unsolved`` lists without a filter (counted in the database)."""
    stmts = _record_statements(actor, year, outcomes=NOT_SOLVED)
    return sum(int(session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one())
               for q in stmts.values())


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figure of the outcome classes: what was closed in ``year`` as B, C or D — answered,
    not solved — opening its list on the 承办单位 page."""
    n = unsolved_count(session, actor, year)
    return [Figure("R3", "已办结但未解决（B/C/D类）的来信、意见和议案建议", n, "件", "bodies",
                   {"view": "unsolved", "year": str(year)},
                   help="承办单位答复为 B 正在解决、C 列入计划逐步解决或 D 因条件限制留作参考的，"
                        "只有 A 类计为已解决；这些事项仍需代表跟进")]


def names(session: Session) -> list[str]:
    """Names of the active bodies, by pinyin (the choices of a table cell)."""
    return list(session.execute(select(B.name).where(B.active.is_(True)).order_by(B.pinyin, B.name)).scalars())
