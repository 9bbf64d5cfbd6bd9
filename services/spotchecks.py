"""抽查督导 (R16): random spot checks of groups' records that anyone can verify.

The draw
========
The sample is a PURE function of three things, all stored with the check::

    draw(rule, eligible, seed) -> {"groups": [...], "records": [[group_id, kind, record_id], ...]}

* ``eligible`` — every record that may be drawn, as ``(group_id, kind, record_id)`` triples in the
  canonical order: sorted in Python by group id, then kind (the Chinese word, compared by Unicode
  code point), then record id. The order never depends on the database.
* ``fingerprint`` — SHA-256 (hex) of the canonical list written one record a line,
  ``f"{group_id}|{kind}|{record_id}"``, lines joined by ``"\\n"``, encoded as UTF-8.
* ``seed`` — SHA-256 (hex) of ``f"{witness}|{drawn_at}"`` (UTF-8), where ``witness`` is the value
  the supervisor typed in front of witnesses (dice, the closing figure of a public index…) and
  ``drawn_at`` is the draw's time as ISO text, e.g. ``2026-03-05T10:15:00``.

Recipe (hash ranking; redo it with any SHA-256 tool and a spreadsheet sort):

1. Groups. When the rule draws ``group_count`` groups out of its candidate groups, give each
   candidate group g the key ``sha256(f"{seed}|组|{g}")`` (hex text), sort the groups by key
   ascending, and keep the first ``group_count``. Otherwise every candidate group is chosen.
2. Records. For each chosen group, take its eligible records, give each the key
   ``sha256(f"{seed}|{group_id}|{kind}|{record_id}")`` (hex text), sort ascending by key and keep
   the first *share* records, where share = ``count`` (fixed count), or
   ``max(minimum, ceil(n × percent / 100))`` (percentage), and never more than the group's n
   records. A record can be drawn only once: each appears once in the eligible list.
3. The sample lists the kept records in the canonical order.

Sorting hex digests as text equals sorting them as numbers (same length, lowercase), so anyone
can check the ranking in a spreadsheet: the .xlsx export lists every eligible record with its key.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db import models
from db.audit import snapshot
from services import clock, people, settings
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    PermissionDenied,
    ValidationError,
    paginate,
    scope_filter,
    today,
)
from services.validation import clean_text, fmt_date, free_text_for

KINDS: tuple[str, ...] = ("联系活动", "来信", "开箱记录", "述职")
MARKS: tuple[str, ...] = ("通过", "不通过", "不适用")
RESULTS: tuple[str, ...] = ("合格", "基本合格", "不合格")
GRADES: tuple[str, ...] = ("优秀", "合格", "需整改")
GRADE_SCORE = {"优秀": 3, "合格": 2, "需整改": 1}
FINDING_PASS, FINDING_FAIL = "核实通过", "核实未通过"
# PRACTICE.md: each group 3 records or 10 %, whichever is more; at least 20 % of groups (≥ 2)
DEFAULT_PERCENT = 10  # the settings' defaults (spotcheck_record_share / _min), for callers without a session
DEFAULT_MINIMUM = 3
RECIPE = "sha256-rank-v1"
AUTO_PREFIX = "【抽查评定】"  # the text that begins the items the grading opens (they carry opened_by_grading)
RECIPE_TEXT = (
    "种子 = SHA256(见证值|抽取时间)；每条记录排序值 = SHA256(种子|代表组编号|类别|记录编号)，"
    "组内按排序值升序取前若干条；随机抽组时组排序值 = SHA256(种子|组|代表组编号)，升序取前若干组。"
)
# columns left out of a record's digest: set by the spot check itself when a record passes
_DIGEST_SKIP = {"verified_by", "verified_at"}

Triple = tuple[int, str, int]


# ---------------------------------------------------------------- the pure draw


def _sha(text: str) -> str:
    """SHA-256 of UTF-8 text, as lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_seed(witness: str, drawn_at: str) -> str:
    """Seed = SHA-256 hex of ``f"{witness}|{drawn_at}"``."""
    return _sha(f"{witness}|{drawn_at}")


def canonical(eligible: Iterable[Sequence]) -> list[Triple]:
    """Return the eligible list in the canonical order (group id, kind, record id), as tuples."""
    return sorted((int(g), str(k), int(r)) for g, k, r in eligible)


def fingerprint(eligible: Iterable[Sequence]) -> str:
    """SHA-256 hex of the canonical list, one ``group|kind|id`` line per record."""
    return _sha("\n".join(f"{g}|{k}|{r}" for g, k, r in canonical(eligible)))


def group_key(seed: str, group_id: int) -> str:
    """Ranking key of a group in the group draw."""
    return _sha(f"{seed}|组|{group_id}")


def record_key(seed: str, group_id: int, kind: str, record_id: int) -> str:
    """Ranking key of a record within its group."""
    return _sha(f"{seed}|{group_id}|{kind}|{record_id}")


def group_share(rule: dict, n: int) -> int:
    """How many of a group's ``n`` eligible records the rule draws (never more than n)."""
    if rule.get("percent"):
        want = max(int(rule.get("minimum") or 0), math.ceil(n * Fraction(str(rule["percent"])) / 100))
    else:
        want = int(rule.get("count") or 0)
    return max(0, min(want, n))


def draw(rule: dict, eligible: Sequence[Sequence], seed: str) -> dict:
    """The draw: a pure function of the rule, the eligible list and the seed (see module doc).

    ``rule`` needs ``groups`` (candidate group ids), optional ``group_count``, and ``count`` or
    ``percent`` + ``minimum``. Returns {"groups": chosen ids ascending, "records": [[g, kind, id]]}.
    """
    items = canonical(eligible)
    if len(set(items)) != len(items):
        raise ValueError("可抽记录清单中有重复记录")
    candidates = sorted({int(g) for g in rule.get("groups") or []})
    n_groups = rule.get("group_count")
    if n_groups is not None and int(n_groups) < len(candidates):
        ranked = sorted(candidates, key=lambda g: (group_key(seed, g), g))
        chosen = sorted(ranked[: int(n_groups)])
    else:
        chosen = candidates
    pools: dict[int, list[Triple]] = defaultdict(list)
    for g, k, r in items:
        pools[g].append((g, k, r))
    records: list[list] = []
    for g in chosen:
        pool = pools.get(g, [])
        ranked = sorted(pool, key=lambda t: (record_key(seed, *t), t))
        records.extend([list(t) for t in sorted(ranked[: group_share(rule, len(pool))])])
    return {"groups": chosen, "records": records}


# ---------------------------------------------------------------- reading records


def _require_reader(actor: Actor) -> None:
    """Spot checks are read by supervisors, admins and leaders."""
    if actor.role not in ("admin", "supervisor", "leader"):
        raise PermissionDenied("您的角色无权查看抽查记录。")


def _period_cond(kind: str, start: date, end: date):
    """The SQL condition putting a record of ``kind`` inside the period."""
    if kind == "联系活动":
        return models.Activity.held_on.between(start, end)
    if kind == "来信":
        return models.Letter.received_on.between(start, end)
    if kind == "开箱记录":
        return models.MailboxOpening.opened_on.between(start, end)
    r = models.Report
    return or_(
        r.held_on.between(start, end),
        and_(r.held_on.is_(None), r.received_on.between(start, end)),
        and_(r.held_on.is_(None), r.received_on.is_(None), r.year.between(start.year, end.year)),
    )


def _kind_query(kind: str):
    """SELECT (group_id, record_id) for every record of ``kind`` (joins give the group)."""
    if kind == "联系活动":
        return select(models.Activity.group_id, models.Activity.id)
    if kind == "来信":
        return select(models.Letter.group_id, models.Letter.id)
    if kind == "开箱记录":
        return (
            select(models.District.group_id, models.MailboxOpening.id)
            .join(models.Mailbox, models.Mailbox.id == models.MailboxOpening.mailbox_id)
            .join(models.District, models.District.id == models.Mailbox.district_id)
        )
    return select(models.Deputy.group_id, models.Report.id).join(
        models.Deputy, models.Deputy.id == models.Report.deputy_id
    )


def eligible_records(session: Session, start: date, end: date, kinds: Sequence[str],
                     group_ids: Sequence[int]) -> list[Triple]:
    """Every record of ``kinds`` in the period for the groups, in the canonical order."""
    out: list[Triple] = []
    groups = sorted(set(group_ids))
    if not groups:
        return out
    for kind in kinds:
        stmt = _kind_query(kind).where(_period_cond(kind, start, end))
        gcol = stmt.selected_columns[0]
        stmt = stmt.where(gcol.in_(groups))
        out.extend((int(g), kind, int(r)) for g, r in session.execute(stmt).all())
    return canonical(out)


_MODELS = {
    "联系活动": models.Activity,
    "来信": models.Letter,
    "开箱记录": models.MailboxOpening,
    "述职": models.Report,
}


def _load(session: Session, kind: str, ids: Iterable[int]) -> dict[int, object]:
    """Load the records of one kind by id, fresh from the database, in batches."""
    model = _MODELS[kind]
    ids = sorted(set(ids))
    out: dict[int, object] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        rows = session.execute(
            select(model).where(model.id.in_(chunk)).execution_options(populate_existing=True)
        ).scalars()
        out.update({obj.id: obj for obj in rows})
    return out


def digest(obj: object) -> str:
    """SHA-256 of a record's columns (incl. version / updated_at), as it is now."""
    snap = {k: v for k, v in snapshot(obj).items() if k not in _DIGEST_SKIP}
    return _sha(json.dumps(snap, sort_keys=True, ensure_ascii=False, default=str))


def _digests(session: Session, triples: Iterable[Sequence]) -> dict[tuple[str, int], str | None]:
    """Digest of each record (None when it no longer exists)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for _g, k, r in triples:
        by_kind[k].append(int(r))
    out: dict[tuple[str, int], str | None] = {}
    for kind, ids in by_kind.items():
        loaded = _load(session, kind, ids)
        for r in ids:
            out[(kind, r)] = digest(loaded[r]) if r in loaded else None
    return out


def _labels(session: Session, pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """A short, non-personal description of each record (date, place, code…)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for k, r in pairs:
        by_kind[k].append(int(r))
    out: dict[tuple[str, int], str] = {}
    for kind, ids in by_kind.items():
        if kind == "联系活动":
            rows = session.execute(
                select(models.Activity.id, models.Activity.held_on, models.Activity.place,
                       models.Activity.kind, models.Activity.mode).where(models.Activity.id.in_(ids))
            ).all()
            out.update({(kind, i): f"{fmt_date(d)} {p}（{k}·{m}）" for i, d, p, k, m in rows})
        elif kind == "来信":
            rows = session.execute(
                select(models.Letter.id, models.Letter.code, models.Letter.received_on,
                       models.Letter.category, models.Letter.status).where(models.Letter.id.in_(ids))
            ).all()
            out.update({(kind, i): f"{c} {fmt_date(d)} {cat}（{st}）" for i, c, d, cat, st in rows})
        elif kind == "开箱记录":
            rows = session.execute(
                select(models.MailboxOpening.id, models.Mailbox.name, models.MailboxOpening.opened_on,
                       models.MailboxOpening.letters_found)
                .join(models.Mailbox, models.Mailbox.id == models.MailboxOpening.mailbox_id)
                .where(models.MailboxOpening.id.in_(ids))
            ).all()
            out.update({(kind, i): f"{n} {fmt_date(d)} 开箱，来信{c}封" for i, n, d, c in rows})
        else:
            rows = session.execute(
                select(models.Report.id, models.Deputy.name, models.Report.year, models.Report.form)
                .join(models.Deputy, models.Deputy.id == models.Report.deputy_id)
                .where(models.Report.id.in_(ids))
            ).all()
            out.update({(kind, i): f"{n} {y}年{f}" for i, n, y, f in rows})
    return out


def _yes(v: object) -> str:
    """是 / 否."""
    return "是" if v else "否"


def record_facts(session: Session, actor: Actor, kind: str, record_id: int) -> list[tuple[str, str]]:
    """What the inspector checks a drawn record against (no writer's personal data)."""
    _require_reader(actor)
    pii = free_text_for(actor.role)  # personal data typed into the record's text: masked for the supervisor
    obj = _load(session, kind, [record_id]).get(int(record_id))
    if obj is None:
        return [("状态", "该记录已被删除")]
    if kind == "联系活动":
        opinions = session.execute(select(func.count()).select_from(models.Opinion)
                                   .where(models.Opinion.activity_id == obj.id)).scalar_one()
        names = session.execute(
            select(models.Deputy.name).join(models.ActivityDeputy, models.ActivityDeputy.deputy_id == models.Deputy.id)
            .where(models.ActivityDeputy.activity_id == obj.id).order_by(models.Deputy.id)
        ).scalars().all()
        return [("日期", fmt_date(obj.held_on)), ("地点", obj.place), ("组织方式", obj.organiser),
                ("类型·形式", f"{obj.kind}·{obj.mode}"), ("参加代表", "、".join(names) or "未登记"),
                ("联系选民（人）", str(obj.voters_reached)), ("签到表", _yes(obj.has_signin)),
                ("照片", _yes(obj.has_photos)), ("收集意见（条）", str(opinions)), ("活动概要", pii(obj.summary)),
                ("登记人", people.name_of(session, obj.created_by)), ("最后修改", fmt_date(obj.updated_at))]
    if kind == "来信":
        return [("编号", obj.code), ("收信日期", fmt_date(obj.received_on)), ("类别", obj.category),
                ("办理状态", obj.status), ("转办单位", obj.forwarded_to or "未转办"),
                ("办理结果", pii(obj.result) or "无"), ("反馈方式", obj.feedback_method or "无"),
                ("来信人满意度", obj.satisfaction or "未反馈"), ("内容摘要", pii(obj.summary)),
                ("最后修改", fmt_date(obj.updated_at))]
    if kind == "开箱记录":
        box = session.get(models.Mailbox, obj.mailbox_id)
        return [("信箱", box.name if box else ""), ("开箱日期", fmt_date(obj.opened_on)), ("开箱人", obj.opened_by),
                ("发现来信（封）", str(obj.letters_found)), ("备注", pii(obj.note)),
                ("最后修改", fmt_date(obj.updated_at))]
    dep = session.get(models.Deputy, obj.deputy_id)
    return [("代表", dep.name if dep else ""), ("年度·形式", f"{obj.year}年·{obj.form}"),
            ("述职日期", fmt_date(obj.held_on or obj.received_on)), ("地点", obj.venue or ""),
            ("到会选民（人）", "" if obj.voters_present is None else str(obj.voters_present)),
            ("满意/基本满意/不满意", f"{obj.satisfied or 0}/{obj.basically_satisfied or 0}/{obj.unsatisfied or 0}"),
            ("审查结果", obj.review_result or ""), ("备案日期", fmt_date(obj.filed_on)),
            ("刊登日期", fmt_date(obj.published_on))]


def group_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """{group id: name} for the given groups (all groups when ids is None)."""
    stmt = select(models.DeputyGroup.id, models.DeputyGroup.name).order_by(models.DeputyGroup.id)
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:
            return {}
        stmt = stmt.where(models.DeputyGroup.id.in_(ids))
    return {i: n for i, n in session.execute(stmt).all()}


def group_choices(session: Session, actor: Actor) -> dict[int, str]:
    """Active groups in the actor's scope: {id: name}."""
    stmt = select(models.DeputyGroup.id, models.DeputyGroup.name).where(
        models.DeputyGroup.active.is_(True)
    ).order_by(models.DeputyGroup.id)
    stmt = scope_filter(stmt, actor, models.DeputyGroup.office_id, models.DeputyGroup.id)
    return {i: n for i, n in session.execute(stmt).all()}


# ---------------------------------------------------------------- the rule


def quarter_of(day: date) -> tuple[date, date]:
    """First and last day of the quarter holding ``day``."""
    q0 = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, q0, 1)
    end = date(day.year + (q0 == 10), 1 if q0 == 10 else q0 + 3, 1) - timedelta(days=1)
    return start, end


def sampling_defaults(session: Session) -> dict:
    """The default shares of a new draw (settings; PRACTICE.md: 20 % of groups and at least 2,
    in each group 10 % of its records and at least 3): {"group_share", "group_min",
    "percent", "minimum"}."""
    return {"group_share": float(settings.get(session, "spotcheck_group_share")),
            "group_min": int(settings.get(session, "spotcheck_group_min")),
            "percent": round(float(settings.get(session, "spotcheck_record_share")) * 100, 2),
            "minimum": int(settings.get(session, "spotcheck_record_min"))}


def default_group_count(session: Session, n_groups: int) -> int:
    """How many groups a quarter's draw takes by default: the share of groups (rounded up),
    at least the minimum, at most all of them (settings spotcheck_group_share / _min)."""
    d = sampling_defaults(session)
    return min(n_groups, max(d["group_min"], math.ceil(n_groups * d["group_share"] - 1e-9)))


def build_rule(session: Session, actor: Actor, *, period_start: object, period_end: object,
               kinds: Sequence[str], groups: Sequence[int] | None = None,
               group_count: int | None = None, count: int | None = None,
               percent: float | None = DEFAULT_PERCENT, minimum: int = DEFAULT_MINIMUM) -> dict:
    """Check the form's choices and return the rule dict (raises ValidationError per field).

    ``groups`` None means every active group; ``group_count`` draws that many of them at random;
    per group either ``count`` records, or ``percent`` % with at least ``minimum``.
    """
    errors: dict[str, str] = {}
    start, end = period_start, period_end
    if not isinstance(start, date):
        errors["period"] = "请选择抽查期间的起始日期"
    elif not isinstance(end, date):
        errors["period"] = "请选择抽查期间的结束日期"
    elif start > end:
        errors["period"] = "起始日期不能晚于结束日期"
    kinds = [k for k in KINDS if k in set(kinds or [])]
    if not kinds:
        errors["kinds"] = "请至少选择一类记录"
    valid = group_choices(session, actor)
    if groups is None:
        cand = sorted(valid)
    else:
        cand = sorted({int(g) for g in groups})
        if any(g not in valid for g in cand):
            errors["groups"] = "所选代表组不存在或已停用"
    if not cand and "groups" not in errors:
        errors["groups"] = "请至少选择一个代表组"
    if group_count is not None:
        if int(group_count) < 1:
            errors["group_count"] = "随机抽取的代表组数至少为1个"
        elif int(group_count) > len(cand):
            errors["group_count"] = f"随机抽取的代表组数不能超过可选代表组数（{len(cand)}个）"
    if percent:
        if not 0 < float(percent) <= 100:
            errors["percent"] = "抽查比例应在1%–100%之间"
        if minimum is None or int(minimum) < 0:
            errors["minimum"] = "每组最少抽取条数不能为负数"
    elif count is None or int(count) < 1:
        errors["count"] = "每组抽取条数至少为1条"
    if errors:
        raise ValidationError(errors)
    return {
        "recipe": RECIPE,
        "period": [start.isoformat(), end.isoformat()],
        "kinds": kinds,
        "groups": cand,
        "group_count": int(group_count) if group_count is not None else None,
        "count": None if percent else int(count),
        "percent": (int(percent) if float(percent).is_integer() else float(percent)) if percent else None,
        "minimum": int(minimum or 0) if percent else None,
    }


def describe_rule(rule: dict) -> str:
    """The rule in one Chinese sentence."""
    groups = (f"从{len(rule['groups'])}个代表组中随机抽取{rule['group_count']}个"
              if rule.get("group_count") else f"全部{len(rule['groups'])}个代表组")
    share = (f"每组抽取{rule['percent']}%（至少{rule['minimum']}条）" if rule.get("percent")
             else f"每组抽取{rule['count']}条")
    return (f"期间 {rule['period'][0]} 至 {rule['period'][1]}；记录类别：{'、'.join(rule['kinds'])}；"
            f"{groups}；{share}；记录不足时全部抽取。")


def eligible_counts(session: Session, actor: Actor, rule: dict) -> list[dict]:
    """Per candidate group: eligible records per kind and the share the rule would draw."""
    _require_reader(actor)
    start, end = (date.fromisoformat(x) for x in rule["period"])
    items = eligible_records(session, start, end, rule["kinds"], rule["groups"])
    per = Counter((g, k) for g, k, _ in items)
    total = Counter(g for g, _, _ in items)
    names = group_names(session, rule["groups"])
    rows = []
    for g in rule["groups"]:
        row = {"代表组": names.get(g, str(g))}
        for k in rule["kinds"]:
            row[k] = per.get((g, k), 0)
        row["合计"] = total.get(g, 0)
        row["应抽条数"] = group_share(rule, total.get(g, 0))
        rows.append(row)
    return rows


# ---------------------------------------------------------------- creating a check


def create_check(session: Session, actor: Actor, rule: dict, witness: object,
                 drawn_at: datetime | None = None) -> models.SpotCheck:
    """Draw a sample and store it with its seed, fingerprint, eligible list and record digests."""
    actor.require_write("spotcheck")
    witness = clean_text(witness)
    if not witness:
        raise ValidationError({"witness": "请输入现场见证的随机值（如掷骰结果或当日指数收盘点位）"})
    if len(witness) > 128:
        raise ValidationError({"witness": "见证随机值不能超过128个字符"})
    valid = group_choices(session, actor)
    if not rule.get("groups") or any(g not in valid for g in rule["groups"]):
        raise ValidationError({"groups": "所选代表组不存在或已停用"})
    at = (drawn_at or clock.now()).replace(microsecond=0)
    rule = {**rule, "drawn_at": at.isoformat()}
    seed = make_seed(witness, rule["drawn_at"])
    start, end = (date.fromisoformat(x) for x in rule["period"])
    items = eligible_records(session, start, end, rule["kinds"], rule["groups"])
    result = draw(rule, items, seed)
    check = models.SpotCheck(
        created_by=actor.username, created_at=at, period_start=start, period_end=end, rule=rule,
        witness_value=witness, seed=seed, fingerprint=fingerprint(items), sample=result["records"],
        eligible=[list(t) for t in items], status="检查中",
    )
    session.add(check)
    session.flush()
    digests = _digests(session, result["records"])
    session.add_all(
        models.SpotCheckItem(check_id=check.id, group_id=g, record_kind=k, record_id=r,
                             record_digest=digests[(k, r)])
        for g, k, r in result["records"]
    )
    session.add_all(models.SpotCheckGrade(check_id=check.id, group_id=g) for g in result["groups"])
    session.flush()
    for g in result["groups"]:
        if not any(x[0] == g for x in result["records"]):
            _regrade(session, actor, check, g)
    return check


def _get_check(session: Session, check_id: int) -> models.SpotCheck:
    """Return a check or raise NotFound."""
    check = session.get(models.SpotCheck, int(check_id)) if check_id is not None else None
    if check is None:
        raise NotFound("该抽查记录不存在。")
    return check


def check_options(session: Session, actor: Actor, limit: int = 200) -> dict[int, str]:
    """{check id: label} of the latest checks, newest first (for a picker)."""
    _require_reader(actor)
    rows = session.execute(
        select(models.SpotCheck.id, models.SpotCheck.created_at, models.SpotCheck.period_start,
               models.SpotCheck.period_end, models.SpotCheck.status)
        .order_by(models.SpotCheck.id.desc()).limit(limit)
    ).all()
    return {i: f"第{i}号抽查 {fmt_date(c)}（{fmt_date(s)}至{fmt_date(e)}，{st}）" for i, c, s, e, st in rows}


def check_detail(session: Session, actor: Actor, check_id: int) -> dict:
    """Everything shown about one check: rule, seed, fingerprint, items with findings, grades."""
    _require_reader(actor)
    check = _get_check(session, check_id)
    items = session.execute(
        select(models.SpotCheckItem).where(models.SpotCheckItem.check_id == check.id)
        .order_by(models.SpotCheckItem.group_id, models.SpotCheckItem.record_kind,
                  models.SpotCheckItem.record_id)
    ).scalars().all()
    grades = session.execute(
        select(models.SpotCheckGrade).where(models.SpotCheckGrade.check_id == check.id)
        .order_by(models.SpotCheckGrade.group_id)
    ).scalars().all()
    names = group_names(session, [g.group_id for g in grades] + [i.group_id for i in items])
    labels = _labels(session, [(i.record_kind, i.record_id) for i in items])
    counts = Counter(i.group_id for i in items)
    done = Counter(i.group_id for i in items if i.result)
    who = people.names_of(session, [check.created_by, *(i.checked_by for i in items)])
    return {
        "id": check.id,
        "created_by": who.get(check.created_by, check.created_by),
        "created_at": check.created_at,
        "period": (check.period_start, check.period_end),
        "rule": check.rule,
        "rule_text": describe_rule(check.rule),
        "witness": check.witness_value,
        "drawn_at": check.rule.get("drawn_at"),
        "seed": check.seed,
        "fingerprint": check.fingerprint,
        "eligible_count": len(check.eligible or []),
        "status": check.status,
        "items": [
            {
                "id": i.id, "group_id": i.group_id, "代表组": names.get(i.group_id, ""),
                "类别": i.record_kind, "记录编号": i.record_id,
                "记录": labels.get((i.record_kind, i.record_id), "（记录已删除）"),
                "checklist": i.checklist or {}, "结果": i.result or "", "说明": i.note or "",
                "核查人": who.get(i.checked_by, "") if i.checked_by else "", "核查时间": i.checked_at,
            }
            for i in items
        ],
        "grades": [
            {"group_id": g.group_id, "代表组": names.get(g.group_id, ""), "抽取条数": counts.get(g.group_id, 0),
             "已核查": done.get(g.group_id, 0), "评定": g.grade or "待评定"}
            for g in grades
        ],
    }


# ---------------------------------------------------------------- findings and grades


def grade_rule(session: Session) -> dict:
    """The group grading rule (setting ``spotcheck_grade_rule``)."""
    return settings.get(session, "spotcheck_grade_rule")


def grade_for(results: Sequence[str], rule: dict) -> str:
    """A group's grade from its records' results: the first band whose limits hold, else 需整改.

    Default bands: 优秀 = every record 合格; 合格 = at most one 基本合格 and no 不合格.
    A group with no drawn record gets ``rule["empty"]`` (default 需整改: nothing was recorded).
    """
    if not results:
        return rule.get("empty", "需整改")
    c = Counter(results)
    for band in rule.get("bands", []):
        if c["基本合格"] <= band.get("max_basic", 0) and c["不合格"] <= band.get("max_fail", 0):
            return band["grade"]
    return rule.get("otherwise", "需整改")


def _regrade(session: Session, actor: Actor, check: models.SpotCheck, group_id: int) -> str | None:
    """Recompute one group's grade when all its records are checked; open or drop follow-up."""
    items = session.execute(
        select(models.SpotCheckItem).where(models.SpotCheckItem.check_id == check.id,
                                           models.SpotCheckItem.group_id == group_id)
    ).scalars().all()
    row = session.get(models.SpotCheckGrade, (check.id, group_id))
    if row is None:
        row = models.SpotCheckGrade(check_id=check.id, group_id=group_id)
        session.add(row)
    rule = grade_rule(session)
    grade = grade_for([i.result for i in items], rule) if all(i.result for i in items) else None
    if row.grade != grade:
        row.grade = grade
    auto_items = session.execute(
        select(models.Rectification).where(
            models.Rectification.spot_check_id == check.id, models.Rectification.group_id == group_id,
            models.Rectification.source == "抽查", models.Rectification.opened_by_grading.is_(True),
        )
    ).scalars().all()
    if grade == "需整改" and not auto_items:
        bad = [i for i in items if i.result in ("不合格", "基本合格")]
        labels = _labels(session, [(i.record_kind, i.record_id) for i in bad])
        if bad:
            lines = [f"{i.record_kind}“{labels.get((i.record_kind, i.record_id), i.record_id)}”"
                     f"{i.result}" + (f"：{i.note}" if i.note else "") for i in bad]
            content = AUTO_PREFIX + "抽查发现问题，请整改：" + "；".join(lines)
        else:
            content = (f"{AUTO_PREFIX}抽查期间（{fmt_date(check.period_start)}至{fmt_date(check.period_end)}）"
                       "本组无可抽查的记录，请补齐活动、来信和开箱记录。")
        days = int(rule.get("rectify_days", 30))
        session.add(models.Rectification(
            source="抽查", spot_check_id=check.id, group_id=group_id, content=content[:2000],
            owner=None, due_on=today() + timedelta(days=days), status="未完成", opened_by_grading=True,
        ))
    elif grade != "需整改":  # findings revised: withdraw the items the grading opened, if not done
        for r in auto_items:
            if r.status == "未完成":
                session.delete(r)
    if all(i.result for i in session.execute(
        select(models.SpotCheckItem).where(models.SpotCheckItem.check_id == check.id)
    ).scalars()):
        pending = session.execute(
            select(func.count()).select_from(models.SpotCheckGrade).where(
                models.SpotCheckGrade.check_id == check.id, models.SpotCheckGrade.grade.is_(None))
        ).scalar_one()
        new_status = "已完成" if pending == 0 else "检查中"
    else:
        new_status = "检查中"
    if check.status != new_status:
        check.status = new_status
    return grade


def record_finding(session: Session, actor: Actor, item_id: int, checklist: dict, result: str,
                   note: object = "") -> str | None:
    """Save the checklist and result of one drawn record; returns the group's grade (or None).

    A 联系活动 found 合格 or 基本合格 becomes 已核实 (verified_by / verified_at); 不合格 clears it.
    """
    actor.require_write("spotcheck")
    item = session.get(models.SpotCheckItem, int(item_id))
    if item is None:
        raise NotFound("该抽查记录不存在。")
    names = settings.get(session, "spotcheck_checklist")
    errors: dict[str, str] = {}
    checklist = dict(checklist or {})
    unknown = [k for k in checklist if k not in names]
    if unknown:
        errors["checklist"] = "未知的核查项目：" + "、".join(unknown)
    elif any(v not in MARKS for v in checklist.values()):
        errors["checklist"] = "每个核查项目只能选择通过、不通过或不适用"
    elif any(k not in checklist for k in names):
        errors["checklist"] = "请逐项选择核查结论：" + "、".join(k for k in names if k not in checklist)
    if result not in RESULTS:
        errors["result"] = "请选择核查结果（合格、基本合格或不合格）"
    note = clean_text(note)
    if result in ("不合格", "基本合格") and not note:
        errors["note"] = "结果为基本合格或不合格时，请写明发现的问题"
    if len(note) > 2000:
        errors["note"] = "说明不能超过2000字"
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    item.checklist = {k: checklist[k] for k in names}
    item.result = result
    item.note = note or None
    item.checked_by = actor.username
    item.checked_at = now
    if item.record_kind == "联系活动":
        act = _load(session, "联系活动", [item.record_id]).get(item.record_id)
        if act is not None:
            unchanged = digest(act) == item.record_digest
            if result in ("合格", "基本合格"):
                act.verified_by, act.verified_at = actor.username, now
            else:
                act.verified_by, act.verified_at = None, None
            session.flush()
            if unchanged:  # our own mark is not a change by the group: keep the baseline
                item.record_digest = digest(_load(session, "联系活动", [item.record_id])[item.record_id])
    session.flush()
    return _regrade(session, actor, _get_check(session, item.check_id), item.group_id)


def record_findings(session: Session, kind: str, record_ids: Iterable[int]) -> dict[int, str]:
    """Evidence level for the scoring helper: {record id: 核实通过 / 核实未通过} of checked records.

    The latest checked finding of each record counts; unchecked records are left out.
    """
    ids = sorted({int(i) for i in record_ids})
    out: dict[int, str] = {}
    seen: dict[int, tuple] = {}
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(models.SpotCheckItem.record_id, models.SpotCheckItem.result,
                   models.SpotCheckItem.checked_at, models.SpotCheckItem.id)
            .where(models.SpotCheckItem.record_kind == kind,
                   models.SpotCheckItem.record_id.in_(ids[i : i + 500]),
                   models.SpotCheckItem.result.is_not(None))
        ).all()
        for rid, res, at, iid in rows:
            key = (at or datetime.min, iid)
            if rid not in seen or key > seen[rid]:
                seen[rid] = key
                out[rid] = FINDING_FAIL if res == "不合格" else FINDING_PASS
    return out


# ---------------------------------------------------------------- 复核


def verify(session: Session, check_id: int, actor: Actor | None = None) -> dict:
    """复核: recompute the check from what is stored and from the database as it is now.

    Returns {"ok", "seed_ok", "stored_list_ok", "fingerprint_ok", "sample_ok", "added",
    "removed", "changed", "problems"}: ``changed`` lists drawn records whose digest differs from
    the draw (edited or deleted since), ``added``/``removed`` records that entered or left the
    eligible list since the draw.
    """
    if actor is not None:
        _require_reader(actor)
    check = _get_check(session, check_id)
    rule = check.rule
    stored = canonical(check.eligible or [])
    seed_ok = make_seed(check.witness_value, rule.get("drawn_at", "")) == check.seed
    stored_list_ok = fingerprint(stored) == check.fingerprint
    redrawn = draw(rule, stored, check.seed)["records"]
    sample_ok = [list(x) for x in redrawn] == [list(x) for x in check.sample]
    start, end = (date.fromisoformat(x) for x in rule["period"])
    now_items = eligible_records(session, start, end, rule["kinds"], rule["groups"])
    fingerprint_ok = fingerprint(now_items) == check.fingerprint
    now_set, stored_set = set(now_items), set(stored)
    items = session.execute(
        select(models.SpotCheckItem).where(models.SpotCheckItem.check_id == check.id)
    ).scalars().all()
    current = _digests(session, [(i.group_id, i.record_kind, i.record_id) for i in items])
    labels = _labels(session, [(i.record_kind, i.record_id) for i in items])
    names = group_names(session, [i.group_id for i in items])
    changed = []
    for i in items:
        now_digest = current.get((i.record_kind, i.record_id))
        if now_digest != i.record_digest:
            changed.append({
                "代表组": names.get(i.group_id, ""), "类别": i.record_kind, "记录编号": i.record_id,
                "记录": labels.get((i.record_kind, i.record_id), ""),
                "变化": "抽取后已删除" if now_digest is None else "抽取后已修改",
            })
    problems = []
    if not seed_ok:
        problems.append("随机种子与见证值、抽取时间不符")
    if not stored_list_ok:
        problems.append("保存的可抽记录清单与指纹不符")
    if not sample_ok:
        problems.append("按保存的规则、清单和种子重新抽取，结果与保存的样本不一致")
    if not fingerprint_ok:
        problems.append(
            f"当前数据库中的可抽记录清单与抽取时不同（新增{len(now_set - stored_set)}条，"
            f"减少{len(stored_set - now_set)}条）"
        )
    if changed:
        problems.append(f"{len(changed)}条被抽记录在抽取后发生变化")
    return {
        "ok": not problems, "seed_ok": seed_ok, "stored_list_ok": stored_list_ok,
        "fingerprint_ok": fingerprint_ok, "sample_ok": sample_ok,
        "added": sorted(now_set - stored_set), "removed": sorted(stored_set - now_set),
        "changed": changed, "problems": problems,
    }


# ---------------------------------------------------------------- lists


def list_checks(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """History of checks, newest first; filters: period (date range overlap), group, grade."""
    _require_reader(actor)
    sc, gr = models.SpotCheck, models.SpotCheckGrade
    stmt = select(sc.id, sc.created_at, sc.period_start, sc.period_end,
                  people.display(sc.created_by).label("created_by"), sc.status, sc.sample).order_by(sc.id.desc())
    rng = filters.get("period")
    if rng:
        stmt = stmt.where(sc.period_end >= rng[0], sc.period_start <= rng[1])
    if filters.get("group") or filters.get("grade"):
        sub = select(gr.check_id)
        if filters.get("group"):
            sub = sub.where(gr.group_id == int(filters["group"]))
        if filters.get("grade"):
            sub = sub.where(gr.grade == filters["grade"])
        stmt = stmt.where(sc.id.in_(sub))
    rows, total = paginate(session, stmt, offset, limit)
    ids = [r.id for r in rows]
    grades: dict[int, list] = defaultdict(list)
    if ids:
        for cid, gid, g in session.execute(
            select(gr.check_id, gr.group_id, gr.grade).where(gr.check_id.in_(ids))
        ).all():
            grades[cid].append((gid, g))
    names = group_names(session, [g for v in grades.values() for g, _ in v])
    out = []
    for r in rows:
        gs = sorted(grades.get(r.id, []))
        out.append({
            "id": r.id, "编号": r.id, "抽取时间": r.created_at,
            "抽查期间": f"{fmt_date(r.period_start)} 至 {fmt_date(r.period_end)}",
            "抽查人": r.created_by, "代表组": "、".join(names.get(g, "") for g, _ in gs),
            "抽取记录（条）": len(r.sample or []),
            "评定": "、".join(f"{names.get(g, '')}：{v or '待评定'}" for g, v in gs),
            "状态": r.status,
        })
    return Page(out, total)


def list_rectifications(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """Spot-check rectification items in the actor's scope (staff see their own groups')."""
    rc, dg = models.Rectification, models.DeputyGroup
    stmt = (
        select(rc.id, rc.spot_check_id, dg.name, rc.content, rc.due_on, rc.status, rc.closed_on,
               people.display(rc.closed_by).label("closed_by"))
        .join(dg, dg.id == rc.group_id)
        .where(rc.source == "抽查")
        .order_by(rc.status.desc(), rc.due_on, rc.id)
    )
    stmt = scope_filter(stmt, actor, dg.office_id, rc.group_id)
    if filters.get("status"):
        stmt = stmt.where(rc.status == filters["status"])
    if filters.get("group"):
        stmt = stmt.where(rc.group_id == int(filters["group"]))
    if filters.get("overdue"):
        stmt = stmt.where(rc.status == "未完成", rc.due_on < today())
    if filters.get("check"):
        stmt = stmt.where(rc.spot_check_id == int(filters["check"]))
    rows, total = paginate(session, stmt, offset, limit)
    t = today()
    return Page([
        {"id": r.id, "抽查编号": r.spot_check_id, "代表组": r.name, "整改内容": r.content,
         "整改期限": r.due_on, "状态": r.status,
         "是否逾期": bool(r.status == "未完成" and r.due_on and r.due_on < t),
         "完成日期": r.closed_on, "确认人": r.closed_by or ""}
        for r in rows
    ], total)


def add_rectification(session: Session, actor: Actor, check_id: int, group_id: int, content: object,
                      due_on: object) -> models.Rectification:
    """Add a rectification item for a group of a check (supervisor)."""
    actor.require_write("spotcheck")
    check = _get_check(session, check_id)
    errors = {}
    content = clean_text(content)
    if not content:
        errors["content"] = "请填写整改内容"
    if session.get(models.SpotCheckGrade, (check.id, int(group_id))) is None:
        errors["group"] = "该代表组不在本次抽查范围内"
    if not isinstance(due_on, date):
        errors["due_on"] = "请选择整改期限"
    elif due_on < today():
        errors["due_on"] = "整改期限不能早于今天"
    if errors:
        raise ValidationError(errors)
    row = models.Rectification(source="抽查", spot_check_id=check.id, group_id=int(group_id),
                               content=content, due_on=due_on, status="未完成")
    session.add(row)
    session.flush()
    return row


def close_rectification(session: Session, actor: Actor, rect_id: int) -> None:
    """The supervisor confirms a spot-check rectification item as done."""
    actor.require_write("spotcheck")
    row = session.get(models.Rectification, int(rect_id))
    if row is None or row.source != "抽查":
        raise NotFound("该整改事项不存在。")
    if row.status == "已完成":
        raise ValidationError({"": "该整改事项已确认完成。"})
    row.status, row.closed_on, row.closed_by = "已完成", today(), actor.username


def grade_trend(session: Session, actor: Actor, group_id: int | None = None) -> list[dict]:
    """Every graded group per check, oldest first: 代表组, 抽查日期, 评定, 分值 (3 优秀 … 1 需整改)."""
    _require_reader(actor)
    gr, sc, dg = models.SpotCheckGrade, models.SpotCheck, models.DeputyGroup
    stmt = (select(dg.name, sc.id, sc.created_at, gr.grade)
            .join(sc, sc.id == gr.check_id).join(dg, dg.id == gr.group_id)
            .where(gr.grade.is_not(None)).order_by(sc.created_at, sc.id, dg.id))
    if group_id:
        stmt = stmt.where(gr.group_id == int(group_id))
    return [{"代表组": n, "抽查编号": i, "抽查日期": c.date(), "评定": g, "分值": GRADE_SCORE.get(g, 0)}
            for n, i, c, g in session.execute(stmt).all()]


# ---------------------------------------------------------------- exports


def _export_frames(session: Session, actor: Actor, check_id: int) -> tuple[dict, dict]:
    """The detail and the frames of one check's export."""
    d = check_detail(session, actor, check_id)
    check = _get_check(session, check_id)
    names = group_names(session, check.rule["groups"])
    sample = {tuple(x) for x in check.sample}
    names_ck = settings.get(session, "spotcheck_checklist")
    info = pd.DataFrame([
        ("抽查编号", d["id"]), ("抽取人", d["created_by"]), ("抽取时间（ISO）", d["drawn_at"]),
        ("抽查规则", d["rule_text"]), ("规则（JSON）", json.dumps(check.rule, ensure_ascii=False)),
        ("见证随机值", d["witness"]), ("随机种子", d["seed"]), ("可抽记录指纹", d["fingerprint"]),
        ("可抽记录（条）", d["eligible_count"]), ("抽取记录（条）", len(check.sample)), ("状态", d["status"]),
        ("复现方法", RECIPE_TEXT),
    ], columns=["项目", "内容"])
    items = pd.DataFrame([
        {"代表组": i["代表组"], "类别": i["类别"], "记录编号": i["记录编号"], "记录": i["记录"],
         **{k: i["checklist"].get(k, "") for k in names_ck},
         "结果": i["结果"], "说明": i["说明"], "核查人": i["核查人"], "核查时间": i["核查时间"]}
        for i in d["items"]
    ] or [{"代表组": "", "类别": "", "记录编号": "", "记录": "本次未抽到记录"}])
    grades = pd.DataFrame([{k: v for k, v in g.items() if k != "group_id"} for g in d["grades"]]
                          or [{"代表组": "", "评定": ""}])
    eligible = pd.DataFrame([
        {"代表组编号": g, "代表组": names.get(g, ""), "类别": k, "记录编号": r,
         "排序值": record_key(check.seed, g, k, r), "是否抽中": (g, k, r) in sample}
        for g, k, r in canonical(check.eligible or [])
    ] or [{"代表组编号": "", "类别": "", "记录编号": "", "排序值": ""}])
    return d, {"抽查概况": info, "抽取记录与核查结果": items, "代表组评定": grades, "可抽记录清单": eligible}


def export_xlsx(session: Session, actor: Actor, check_id: int) -> bytes:
    """One check as .xlsx: rule, seed, fingerprint, sample with findings, grades, eligible list."""
    from services.excel import to_xlsx

    d, frames = _export_frames(session, actor, check_id)
    return to_xlsx(frames, title=f"第{d['id']}号抽查记录",
                   notes=["任何人可按“复现方法”用可抽记录清单和随机种子重新抽取并核对。"])


def export_docx(session: Session, actor: Actor, check_id: int) -> bytes:
    """One check as a 公文 record (services.documents): facts, sample with findings, grades,
    signature lines."""
    from services.documents import GongWen
    from services.validation import printable

    d, frames = printable(_export_frames(session, actor, check_id))
    g = GongWen(f"代表组活动记录抽查记录（第{d['id']}号）")
    g.fields((k, v) for k, v in frames["抽查概况"].itertuples(index=False) if k != "规则（JSON）")

    def table(title: str, df: pd.DataFrame) -> None:
        g.heading(title)
        g.table([str(c) for c in df.columns], [list(r) for r in df.itertuples(index=False)])

    items = frames["抽取记录与核查结果"]
    table("抽取记录与核查结果", items[[c for c in ("代表组", "类别", "记录编号", "记录", "结果", "说明")
                                if c in items.columns]])
    table("代表组评定", frames["代表组评定"])
    g.para("检查人签字：", indent=False)
    g.para("被检查代表组联络员签字：", indent=False)
    g.signature(today())
    return g.to_bytes()


# ---------------------------------------------------------------- 工作台


def unchecked_groups(session: Session, actor: Actor, since: date) -> dict[int, str]:
    """Active groups (in the actor's scope) not drawn in any check made on or after ``since``."""
    dg = models.DeputyGroup
    checked = select(models.SpotCheckGrade.group_id).join(
        models.SpotCheck, models.SpotCheck.id == models.SpotCheckGrade.check_id
    ).where(models.SpotCheck.created_at >= datetime.combine(since, datetime.min.time()))
    stmt = select(dg.id, dg.name).where(dg.active.is_(True), dg.id.not_in(checked)).order_by(dg.id)
    stmt = scope_filter(stmt, actor, dg.office_id, dg.id)
    return {i: n for i, n in session.execute(stmt).all()}


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """R16 figures: open / overdue spot-check rectifications; groups not checked this quarter."""
    rc, dg = models.Rectification, models.DeputyGroup
    t = today()
    base = select(func.count()).select_from(rc).join(dg, dg.id == rc.group_id).where(
        rc.source == "抽查", rc.status == "未完成")
    base = scope_filter(base, actor, dg.office_id, rc.group_id)
    open_n = session.execute(base).scalar_one()
    overdue_n = session.execute(base.where(rc.due_on < t)).scalar_one()
    # roles without the 抽查督导 page (staff, leader) see the list on 工作台 (view=spotcheck_rect),
    # drawn there by pages.spotchecks.rectification_list
    page, where = (("spotchecks", {"tab": "整改跟踪"}) if actor.can_see("spotchecks")
                   else ("dashboard", {"view": "spotcheck_rect"}))
    out = [
        Figure("R16", "抽查整改未完成", int(open_n), "项", page, {**where, "status": "未完成"},
               bad=bool(open_n), help="抽查评定为需整改的代表组尚未完成的整改事项"),
        Figure("R16", "抽查整改已逾期", int(overdue_n), "项", page, {**where, "overdue": "1"},
               bad=bool(overdue_n), help="已过整改期限仍未完成的抽查整改事项"),
    ]
    if actor.can_see("spotchecks"):
        start, _end = quarter_of(t)
        total = session.execute(select(func.count()).select_from(dg).where(dg.active.is_(True))).scalar_one()
        n = len(unchecked_groups(session, actor, start))
        out.append(Figure("R16", "本季度未抽查代表组", n, "个", "spotchecks", {"tab": "新建抽查"},
                          bad=total - n < default_group_count(session, int(total)),
                          help=f"{fmt_date(start)}起尚未被抽查的代表组；每季度应抽查不少于20%的代表组（至少2个）"))
    return out
