"""Import and export of deputies and deputy groups as .xlsx, with downloadable templates.

Deputies: the template's headers are exactly 姓名, 性别, 出生年份, 党派, 工作单位及职务, 联系电话,
代表组, 选区 (extra columns are ignored). Groups: 代表组, 办事处, 联络员, 联络员电话.

How an import treats a file:

* Cells are cleaned first: spaces trimmed (also full-width U+3000, and spaces inside a Chinese
  name such as "张　伟"), full-width digits folded, Excel number cells accepted for phones and
  years (13912345678.0 → 13912345678, 1985.0 → 1985); 代表组 and 选区 are matched by name.
* All or nothing: every row is checked before anything is written. When any row is bad, nothing
  is written and the report lists every bad row with its Excel row number and reason(s).
* Matching existing deputies (so that an export imports back unchanged): a row whose 姓名 and
  联系电话 equal those of a deputy of the current term (or, for a row without phone, whose 姓名
  and 代表组 do) is that deputy: the row UPDATES the deputy's template fields (status and other
  fields are kept). Identical rows count as 未变化; re-importing an export therefore reports
  "新增 0 人，更新 0 人，未变化 N 人" and writes nothing. Other rows create deputies of the current
  term (status 在任). Two rows of one file with the same 姓名 and 联系电话 are an error (重复), as is
  a row matching several deputies, or a deputy outside the importing user's scope.
* Groups: a row whose 代表组 name exists updates that group's office and liaison; otherwise a
  group is created. Offices are matched by name and must exist.

``progress(done, total)`` is called while checking and writing, for the page's progress bar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models, stats
from services import imports, settings
from services import masterdata as md
from services.common import Actor, PermissionDenied, ValidationError, current_term
from services.excel import read_xlsx, to_xlsx
from services.identity import name_key, phone_key
from services.validation import clean_text, clean_word, normalize_phone

M = models
DEPUTY_COLUMNS = ["姓名", "性别", "出生年份", "党派", "工作单位及职务", "联系电话", "代表组", "选区"]
# read when the file has it (older templates lack it: the flag then stays as it is)
LEADER_COLUMN = "担任领导职务"
YES_NO = {"是": True, "否": False, "": False}
GROUP_COLUMNS = ["代表组", "办事处", "联络员", "联络员电话"]
Progress = Callable[[int, int], None] | None
_FIELD_COLUMN = {"name": "姓名", "gender": "性别", "birth_year": "出生年份", "party": "党派",
                 "unit_title": "工作单位及职务", "phone": "联系电话", "group_id": "代表组",
                 "district_id": "选区", "term_id": "届次", "occupation": "职业", "status": "状态"}
_TEMPLATE_FIELDS = ("name", "gender", "birth_year", "party", "unit_title", "phone", "group_id", "district_id")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class ImportReport:
    """What an import did (or would have done): counts and the bad rows."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)  # {"行号", "姓名"/"代表组", "问题"}
    written: bool = False

    @property
    def ok(self) -> bool:
        """True when every row was good (and the import was written)."""
        return not self.errors

    def summary(self, unit: str = "人") -> str:
        """A one-line Chinese summary of the outcome."""
        if self.errors:
            return (f"文件共 {self.total} 行，其中 {len(self.errors)} 行有问题，未导入任何数据。"
                    "请按下表修改后重新导入。")
        return (f"导入成功：共 {self.total} 行，新增 {self.created} {unit}，更新 {self.updated} {unit}，"
                f"未变化 {self.unchanged} {unit}。")


def _tick(progress: Progress, done: int, total: int) -> None:
    """Report progress every 50 rows and at the end."""
    if progress is not None and (done % 50 == 0 or done == total):
        progress(done, total)


def _clean_name(value: object) -> str:
    """A person's name: trimmed, full-width letters/digits folded, inner spaces removed from Chinese names."""
    text = clean_word(value)
    if _CJK.search(text):
        text = re.sub(r"\s+", "", text)
    return text


def _clean_gender(value: object) -> str:
    """男 / 女 from 男, 男性, 女士 ...; other text is kept for the validator to refuse."""
    text = clean_text(value)
    return {"男性": "男", "女性": "女", "女士": "女", "先生": "男"}.get(text, text)


def _read(session: Session, data: bytes, columns: list[str]) -> list[tuple[int, dict]]:
    """Read the first sheet; a file that is not an .xlsx, lacks headers or has more rows than the
    setting import_max_rows is a ValidationError."""
    return _read_with_headers(session, data, columns)[1]


def _read_with_headers(session: Session, data: bytes, columns: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """The headers found and the rows (see ``_read``)."""
    try:
        return read_xlsx(data, columns, settings.get(session, "import_max_rows"))
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from exc


def _phone_key(value: object) -> str | None:
    """The phone as used for matching (normalised when valid, else None)."""
    try:
        return normalize_phone(value)
    except ValueError:
        return None


# ---------------------------------------------------------------- deputies


def deputy_template(session: Session, actor: Actor) -> bytes:
    """The deputies template: an empty sheet with the headers, notes, and the valid groups/districts."""
    G, Di = M.DeputyGroup, M.District
    groups = md.group_options(session, actor)
    rows = session.execute(
        select(G.name, Di.name).join(Di, Di.group_id == G.id, isouter=True)
        .where(G.id.in_(list(groups) or [-1])).order_by(G.name, Di.id)
    ).all()
    notes = pd.DataFrame({"填写说明": [
        "第一个工作表“代表名单”的表头不要修改；多出的列会被忽略。",
        "姓名、代表组必填；代表组、选区填写名称，须与系统中一致（见“代表组与选区”工作表），可从下拉列表选择。",
        "选区必须属于所填代表组；联系电话为11位手机号码；出生年份为4位数字；性别填男或女。",
        "担任领导职务填“是”或“否”（担任领导职务的代表按设置不参加优秀代表评选）；不填为否。",
        "导入时逐行检查，只要有一行有问题就全部不导入，并列出每个问题行的行号和原因。",
        "姓名和联系电话与本届已有代表相同的行视为同一人，将更新其信息，不会重复新增。",
    ]})
    ref = pd.DataFrame(rows, columns=["代表组", "选区"]).fillna("")
    xlsx = to_xlsx({"代表名单": pd.DataFrame(columns=[*DEPUTY_COLUMNS, LEADER_COLUMN]), "填写说明": notes,
                    "代表组与选区": ref})
    return imports.with_dropdowns(xlsx, "代表名单", {
        "性别": ["男", "女"], "党派": list(md.PARTIES),
        "代表组": sorted({g for g, _d in rows}), "选区": [d for _g, d in rows if d],
        LEADER_COLUMN: ["是", "否"]})


def export_deputies(session: Session, actor: Actor, filters: dict | None = None) -> bytes:
    """Deputies in scope (default: current term) in the template's columns, ready to import back."""
    filters = dict(filters or {})
    if "term_id" not in filters:
        term = current_term(session)
        filters["term_id"] = term.id if term else None
    rows = session.execute(md.deputy_statement(actor, filters)).all()
    leads = dict(session.execute(select(M.Deputy.id, M.Deputy.is_office_leader)
                                 .where(M.Deputy.id.in_([r[0] for r in rows] or [-1]))).all())
    frame = pd.DataFrame(
        [[r[1], r[2] or "", r[3] or "", r[4] or "", r[5] or "", r[6] or "", r[7], r[8] or "",
          "是" if leads.get(r[0]) else "否"] for r in rows],
        columns=[*DEPUTY_COLUMNS, LEADER_COLUMN],
    )
    return to_xlsx({"代表名单": frame}, text_columns=("联系电话",))


def import_deputies(session: Session, actor: Actor, data: bytes, progress: Progress = None,
                    *, dry_run: bool = False) -> ImportReport:
    """Check every row of a deputies file, then write all of them or none (see module docstring).

    Returns the report; when it has errors nothing was written. ``dry_run`` checks only.
    """
    actor.require_write("masterdata")
    headers, rows = _read_with_headers(session, data, DEPUTY_COLUMNS)
    has_leader = LEADER_COLUMN in headers
    report = ImportReport(total=len(rows))
    total = len(rows) * 2
    term = current_term(session)
    if term is None:
        raise ValidationError({"file": "系统中还没有届次，请先在“届次”中建立届次后再导入代表。"})
    groups = {g.name: g for g in session.execute(select(M.DeputyGroup)).scalars()}
    districts = {d.name: d for d in session.execute(select(M.District)).scalars()}
    # names compare by identity.name_key (middle-dot look-alikes, spaces, widths), stored as typed
    keys = {name_key(_clean_name(r.get("姓名"))) for _, r in rows} - {""}
    existing: dict[str, list[models.Deputy]] = {}
    for d in session.execute(select(M.Deputy).where(M.Deputy.term_id == term.id)).scalars():
        if name_key(d.name) in keys:
            existing.setdefault(name_key(d.name), []).append(d)
    group_names = {g.id: g.name for g in groups.values()}
    seen: dict[tuple, int] = {}
    plan: list[tuple[models.Deputy | None, dict]] = []
    for n, (excel_row, raw) in enumerate(rows, start=1):
        _tick(progress, n, total)
        problems: list[str] = []
        name = _clean_name(raw.get("姓名"))
        gname, dname = clean_word(raw.get("代表组")), clean_word(raw.get("选区"))
        group = groups.get(gname)
        if not gname:
            problems.append("代表组为空")
        elif group is None:
            problems.append(f"代表组“{gname}”不存在")
        elif not group.active:
            problems.append(f"代表组“{gname}”已停用")
        elif not actor.in_scope(group.office_id, group.id):
            problems.append(f"代表组“{gname}”不在您负责的范围内")
        dist = districts.get(dname) if dname else None
        if dname and dist is None:
            problems.append(f"选区“{dname}”不存在")
        form = {"name": name, "gender": _clean_gender(raw.get("性别")), "birth_year": raw.get("出生年份"),
                "party": raw.get("党派"), "unit_title": raw.get("工作单位及职务"), "phone": raw.get("联系电话"),
                "group_id": group.id if group else None, "district_id": dist.id if dist else None,
                "term_id": term.id}
        leader = None
        if has_leader:
            leader = YES_NO.get(clean_text(raw.get(LEADER_COLUMN)))
            if leader is None:
                problems.append(f"{LEADER_COLUMN}应填“是”或“否”")
        clean = None
        try:
            clean = md.check_deputy(session, actor, form, require_scope=False)
        except ValidationError as exc:
            for f, msg in exc.errors.items():
                if f == "group_id" and (not gname or group is None):
                    continue  # already said why
                problems.append(msg)
        phone = _phone_key(raw.get("联系电话"))
        key = (name_key(name), phone) if phone else (name_key(name), "组", gname)
        if name:
            if key in seen:
                what = "姓名和联系电话" if phone else "姓名和代表组（无联系电话）"
                problems.append(f"与第{seen[key]}行重复（{what}相同）")
            else:
                seen[key] = excel_row
        match = None
        if name and not problems:
            if phone:
                cands = [d for d in existing.get(name_key(name), []) if phone_key(d.phone) == phone]
            else:
                cands = [d for d in existing.get(name_key(name), [])
                         if not d.phone and group and d.group_id == group.id]
            if len(cands) > 1:
                problems.append("系统中有多名姓名和联系电话都相同的代表，无法确定对应哪一位，请在页面上逐个修改")
            elif cands:
                match = cands[0]
                old_group = session.get(M.DeputyGroup, match.group_id)
                if not actor.in_scope(old_group.office_id, old_group.id):
                    problems.append(f"该代表已登记在“{group_names.get(match.group_id)}”，不在您负责的范围内")
        if problems:
            report.errors.append({"行号": excel_row, "姓名": name, "问题": "；".join(dict.fromkeys(problems))})
        else:
            if leader is not None:
                clean["is_office_leader"] = leader
            elif match is not None:
                clean["is_office_leader"] = match.is_office_leader  # the file does not say: keep it
            plan.append((match, clean))
    if report.errors or dry_run:
        return report
    done = len(rows)
    for match, clean in plan:
        done += 1
        _tick(progress, done, total)
        if match is None:
            session.add(M.Deputy(**clean))
            report.created += 1
            continue
        changed = False
        for f in (*_TEMPLATE_FIELDS, "is_office_leader"):
            if f == "name" and name_key(match.name) == name_key(clean[f]):
                continue  # the same name written with another middle dot: kept as first typed
            if getattr(match, f) != clean[f]:
                setattr(match, f, clean[f])
                changed = True
        if changed:
            match.pinyin = clean["pinyin"]
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    stats.after_bulk_write(session, ["deputies", "deputy_periods"])  # a bulk load: fresh plans at once
    report.written = True
    return report


# ---------------------------------------------------------------- groups


def group_template(session: Session, actor: Actor) -> bytes:
    """The groups template: the headers, notes and the valid offices."""
    notes = pd.DataFrame({"填写说明": [
        "第一个工作表“代表组”的表头不要修改；多出的列会被忽略。",
        "代表组、办事处必填；办事处填写名称，须与系统中一致（见“办事处”工作表）。",
        "与系统中已有代表组同名的行将更新该代表组的办事处和联络员；其余行新增代表组。",
        "联络员电话可填11位手机号码或带区号的固定电话。只要有一行有问题就全部不导入。",
    ]})
    offices = pd.DataFrame({"办事处": list(md.office_options(session, actor).values())})
    return to_xlsx({"代表组": pd.DataFrame(columns=GROUP_COLUMNS), "填写说明": notes, "办事处": offices})


def export_groups(session: Session, actor: Actor) -> bytes:
    """Groups in scope in the template's columns."""
    G, O = M.DeputyGroup, M.Office
    stmt = select(G.name, O.name, G.liaison_name, G.liaison_phone).join(O, O.id == G.office_id).order_by(O.name, G.name)
    if actor.group_id is not None:
        stmt = stmt.where(G.id == actor.group_id)
    elif actor.office_id is not None:
        stmt = stmt.where(G.office_id == actor.office_id)
    frame = pd.DataFrame([[a, b, c or "", d or ""] for a, b, c, d in session.execute(stmt)], columns=GROUP_COLUMNS)
    return to_xlsx({"代表组": frame}, text_columns=("联络员电话",))


def import_groups(session: Session, actor: Actor, data: bytes, progress: Progress = None,
                  *, dry_run: bool = False) -> ImportReport:
    """Check every row of a groups file, then write all or none (see module docstring)."""
    actor.require_write("masterdata")
    if actor.group_id is not None:
        raise PermissionDenied("代表组范围的账号不能导入代表组。")
    rows = _read(session, data, GROUP_COLUMNS)
    report = ImportReport(total=len(rows))
    total = len(rows) * 2
    offices = {o.name: o for o in session.execute(select(M.Office)).scalars()}
    groups = {g.name: g for g in session.execute(select(M.DeputyGroup)).scalars()}
    seen: dict[str, int] = {}
    plan = []
    for n, (excel_row, raw) in enumerate(rows, start=1):
        _tick(progress, n, total)
        problems = []
        gname, oname = clean_word(raw.get("代表组")), clean_word(raw.get("办事处"))
        liaison = _clean_name(raw.get("联络员")) or None
        if not gname:
            problems.append("代表组为空")
        elif len(gname) > 64:
            problems.append("代表组名称不能超过64个字")
        elif gname in seen:
            problems.append(f"与第{seen[gname]}行重复（代表组名称相同）")
        else:
            seen[gname] = excel_row
        office = offices.get(oname)
        if not oname:
            problems.append("办事处为空")
        elif office is None:
            problems.append(f"办事处“{oname}”不存在")
        elif not actor.in_scope(office.id):
            problems.append(f"办事处“{oname}”不在您负责的范围内")
        try:
            phone = normalize_phone(raw.get("联络员电话"), landline_ok=True)
        except ValueError:
            phone = None
            problems.append("联络员电话应为11位手机号码或带区号的固定电话")
        existing = groups.get(gname)
        if existing is not None and not actor.in_scope(existing.office_id, existing.id):
            problems.append(f"代表组“{gname}”属于其他办事处，不在您负责的范围内")
        if problems:
            report.errors.append({"行号": excel_row, "代表组": gname, "问题": "；".join(problems)})
        else:
            plan.append((existing, {"name": gname, "office_id": office.id, "liaison_name": liaison,
                                    "liaison_phone": phone}))
    if report.errors or dry_run:
        return report
    done = len(rows)
    for existing, clean in plan:
        done += 1
        _tick(progress, done, total)
        if existing is None:
            session.add(M.DeputyGroup(**clean))
            report.created += 1
            continue
        changed = False
        for k, v in clean.items():
            if getattr(existing, k) != v:
                setattr(existing, k, v)
                changed = True
        report.updated += changed
        report.unchanged += not changed
    session.flush()
    report.written = True
    return report
