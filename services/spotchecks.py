"""抽查督导 (R16): random spot checks of groups' records that nobody can steer and anyone can verify.

A check happens in two steps:

1. **封存** (seal): the supervisor fixes the rule (period, record kinds, groups, shares) and the
   random source; the eligible list is frozen, its fingerprint stored and printed on a 抽查公告 with
   the day the random value will be taken and from where. Nobody knows the value yet.
2. **开签** (open): the value is entered — by default the result of the first draw of a national
   lottery after the seal day (draw number and date fixed on the 公告), or dice rolled at a meeting,
   entered by the supervisor and confirmed by a second person with their own account and password
   (another supervisor, or the group liaison: staff covering the drawn groups; both names kept).
   The sample is a pure function of the frozen list, the source and the value.

Recipe v2 (the README states it word for word; ``tests/test_spotcheck_recipe.py`` redoes it with
hashlib alone)::

    eligible    every record of the rule's kinds in the period, of the rule's groups (a mailbox
                opening only when letters were found in it), written "组编号|类别|记录编号",
                sorted by group number, then kind (Unicode order: 开箱记录, 来信, 联系活动, 述职),
                then record number
    fingerprint SHA-256 (hex, lowercase) of those lines joined by "\n", UTF-8
    source      "来源名称|期号或场次|日期"  e.g. "中国福利彩票双色球|2026138|2026-12-01"
    value       the published numbers in their published order, separated by one space
                e.g. "03 07 12 19 25 31 09" (dice: "3 5 6")
    seed        SHA-256 of "fingerprint|source|value"
    groups      when the rule draws k of its groups: each group's key SHA-256("seed|组|组编号"),
                ascending, the first k; otherwise every group of the rule
    records     in each chosen group, for each kind of the rule: the group's records of that kind
                ranked by SHA-256("seed|组编号|类别|记录编号") ascending; keep the first
                min(n, max(最少条数, ceil(n × 比例 ÷ 100)))
    sample      the kept records in the eligible list's order

Sorting lowercase hex digests as text equals sorting them as numbers, so a spreadsheet sort redoes
the ranking. Checks drawn before Alembic 0005_i15 (recipe v1: seed = SHA-256(见证值|抽取时间), one share
per group) are re-derived with their own recipe.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import unicodedata
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
from services.activities import evidence_level
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    PermissionDenied,
    StaleError,
    ValidationError,
    check_version,
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
RECIPE = "sha256-rank-v2"
RECIPE_V1 = "sha256-rank-v1"
# the settings holding each kind's minimum per group (spotcheck_record_share is the share of every kind)
MIN_SETTINGS = {"联系活动": "spotcheck_record_min", "来信": "spotcheck_letter_min",
                "开箱记录": "spotcheck_opening_min", "述职": "spotcheck_report_min"}
DEFAULT_KINDS = ("联系活动", "来信", "开箱记录")
LOTTERY_DEFAULT = "中国福利彩票双色球"
SECOND_ROLES = ("代表组联络员", "督查人员")
DICE_MIN, DICE_MAX, DICE_DEFAULT = 3, 10, 5  # dice fixed at 封存: 6**5 = 7,776 possible values by default
# checklist items that do not apply to a kind: preset to 不适用 (names of the default checklist)
NOT_APPLICABLE = {
    "来信": ("有签到表或照片",),
    "开箱记录": ("有签到表或照片", "有办理结果或反馈", "与代表本人核实"),
    "述职": (),
    "联系活动": (),
}
AUTO_PREFIX = "【抽查评定】"  # the text that begins the items the grading opens (they carry opened_by_grading)
RECIPE_TEXT = (
    "1. 可抽记录清单：每条记录写成“代表组编号|类别|记录编号”，按代表组编号、类别（开箱记录、来信、联系活动、述职）、"
    "记录编号排序，各行以换行符连接；清单指纹 = SHA256(清单)。\n"
    "2. 随机种子 = SHA256(清单指纹|来源名称|期号或场次|日期|开奖号码)，开奖号码按公布顺序、以一个空格分隔。\n"
    "3. 随机抽组时，每组排序值 = SHA256(种子|组|代表组编号)，升序取前若干组。\n"
    "4. 每个抽中的代表组、每类记录：排序值 = SHA256(种子|代表组编号|类别|记录编号)，升序取前 "
    "min(该类条数, max(最少条数, 向上取整(该类条数 × 比例 ÷ 100))) 条。"
)
# columns left out of a record's digest: set by the spot check itself when a record passes
# and the deadlines the app derives from the calendar and the settings (a calendar or deadline change
# moves them on letters nobody touched: not a change of the record)
_DIGEST_SKIP = {"verified_by", "verified_at", "version", "updated_at", "created_at", "writer_name",
                "writer_phone", "writer_address", "writer_key", "reply_due", "resolve_due", "step_due",
                "forward_due", "feedback_due"}


def _kept(state: dict | None) -> dict | None:
    """A stored state without the columns the digest leaves out (states stored before a column
    joined _DIGEST_SKIP compare like new ones)."""
    return None if state is None else {k: v for k, v in state.items() if k not in _DIGEST_SKIP}

Triple = tuple[int, str, int]


# ---------------------------------------------------------------- the pure draw


def _sha(text: str) -> str:
    """SHA-256 of UTF-8 text, as lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_value(value: object) -> str:
    """The random value as the recipe writes it: its numbers in order, one space between them
    ("03,07,12 19 25 31+09" → "03 07 12 19 25 31 09"; full-width digits read as digits; invisible
    characters pasted from Word dropped)."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width, bidi marks
    return " ".join(re.findall(r"[0-9]+", text))


def source_text(name: str, ref: str, day: date | str) -> str:
    """The source as the recipe writes it: "名称|期号或场次|日期"."""
    day = day.isoformat() if isinstance(day, date) else str(day)
    return f"{name}|{ref}|{day}"


def make_seed(fp: str, source: str, value: str) -> str:
    """Seed = SHA-256 hex of ``f"{fingerprint}|{source}|{value}"``."""
    return _sha(f"{fp}|{source}|{value}")


def make_seed_v1(witness: str, drawn_at: str) -> str:
    """Recipe v1 (checks before Alembic 0005_i15): SHA-256 hex of ``f"{witness}|{drawn_at}"``."""
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
    """Ranking key of a record within its group (and kind)."""
    return _sha(f"{seed}|{group_id}|{kind}|{record_id}")


def kind_share(rule: dict, kind: str, n: int) -> int:
    """How many of a group's ``n`` eligible records of ``kind`` the rule draws (never more than n)."""
    minimum = int((rule.get("minimums") or {}).get(kind, 0))
    want = max(minimum, math.ceil(n * Fraction(str(rule.get("percent") or 0)) / 100))
    return max(0, min(want, n))


def group_share(rule: dict, n: int) -> int:
    """Recipe v1: how many of a group's ``n`` eligible records the rule draws."""
    if rule.get("percent"):
        want = max(int(rule.get("minimum") or 0), math.ceil(n * Fraction(str(rule["percent"])) / 100))
    else:
        want = int(rule.get("count") or 0)
    return max(0, min(want, n))


def _chosen_groups(rule: dict, seed: str) -> list[int]:
    """The groups a draw takes (all of the rule's, or its group_count ranked by key)."""
    candidates = sorted({int(g) for g in rule.get("groups") or []})
    n_groups = rule.get("group_count")
    if n_groups is not None and int(n_groups) < len(candidates):
        ranked = sorted(candidates, key=lambda g: (group_key(seed, g), g))
        return sorted(ranked[: int(n_groups)])
    return candidates


def draw(rule: dict, eligible: Sequence[Sequence], seed: str) -> dict:
    """The draw: a pure function of the rule, the eligible list and the seed (see module doc).

    ``rule`` needs ``groups``, ``kinds``, ``percent``, ``minimums`` ({kind: n}) and optional
    ``group_count``. Returns {"groups": chosen ids ascending, "records": [[g, kind, id], ...]}.
    A v1 rule (``recipe`` sha256-rank-v1) is drawn with one share per group.
    """
    items = canonical(eligible)
    if len(set(items)) != len(items):
        raise ValueError("可抽记录清单中有重复记录")
    chosen = _chosen_groups(rule, seed)
    pools: dict[tuple, list[Triple]] = defaultdict(list)
    v1 = rule.get("recipe") == RECIPE_V1
    for g, k, r in items:
        pools[g if v1 else (g, k)].append((g, k, r))
    kept: list[Triple] = []
    for g in chosen:
        if v1:
            pool = pools.get(g, [])
            ranked = sorted(pool, key=lambda t: (record_key(seed, *t), t))
            kept.extend(ranked[: group_share(rule, len(pool))])
            continue
        for k in rule.get("kinds") or []:
            pool = pools.get((g, k), [])
            ranked = sorted(pool, key=lambda t: (record_key(seed, *t), t))
            kept.extend(ranked[: kind_share(rule, k, len(pool))])
    return {"groups": chosen, "records": [list(t) for t in canonical(kept)]}


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
    # a report stays with the group its deputy served in on its day (a deputy who moves group after
    # 封存 does not move the report out of the frozen list)
    from services.deputies import group_on_day

    r = models.Report
    group = group_on_day(r.deputy_id, func.coalesce(r.held_on, r.received_on), models.Deputy.group_id)
    return select(group, r.id).join(models.Deputy, models.Deputy.id == r.deputy_id)


def eligible_records(session: Session, start: date, end: date, kinds: Sequence[str],
                     group_ids: Sequence[int], *, letters_only: bool = True) -> list[Triple]:
    """Every record of ``kinds`` in the period for the groups, in the canonical order. A mailbox
    opening counts only when letters were found in it (``letters_only``; recipe v1 took all)."""
    out: list[Triple] = []
    groups = sorted(set(group_ids))
    if not groups:
        return out
    for kind in kinds:
        stmt = _kind_query(kind).where(_period_cond(kind, start, end))
        gcol = stmt.selected_columns[0]
        stmt = stmt.where(gcol.in_(groups))
        if kind == "开箱记录" and letters_only:
            stmt = stmt.where(models.MailboxOpening.letters_found > 0)
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


def _plain(v: object) -> str:
    """A value as plain text for a record's state (dates 2026-03-05, 是/否, lists joined)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, datetime | date):
        return fmt_date(v)
    if isinstance(v, list | tuple):
        return "、".join(_plain(x) for x in v)
    return str(v)


def _column_state(obj: object) -> dict[str, str]:
    """A record's columns as plain text, without those the check itself sets or that say nothing
    (version, times of the save) and without the writer's personal data."""
    return {k: _plain(v) for k, v in sorted(snapshot(obj).items()) if k not in _DIGEST_SKIP}


def record_states(session: Session, pairs: Iterable[Sequence]) -> dict[tuple[str, int], dict | None]:
    """What a drawn record says, as {field: text}, per (kind, id) (None when it no longer exists).

    A contact activity's state holds its columns plus 参加代表 (names and ids), 街道社区, 佐证等级
    (what the group recorded: the spot check's own 已核实 is left out) and 意见 (each opinion with
    its status and who handles it): any change a group could make to who took part, when, where, on
    what evidence or with which opinions changes the state.
    """
    by_kind: dict[str, list[int]] = defaultdict(list)
    for p in pairs:
        k, r = (p[1], p[2]) if len(p) == 3 else (p[0], p[1])
        by_kind[k].append(int(r))
    out: dict[tuple[str, int], dict | None] = {}
    for kind, ids in by_kind.items():
        loaded = _load(session, kind, ids)
        extra: dict[int, dict[str, str]] = defaultdict(dict)
        if kind == "联系活动" and loaded:
            aids = sorted(loaded)
            people: dict[int, list[str]] = defaultdict(list)
            for i in range(0, len(aids), 500):
                for aid, did, name in session.execute(
                    select(models.ActivityDeputy.activity_id, models.Deputy.id, models.Deputy.name)
                    .join(models.Deputy, models.Deputy.id == models.ActivityDeputy.deputy_id)
                    .where(models.ActivityDeputy.activity_id.in_(aids[i:i + 500]))
                    .order_by(models.ActivityDeputy.activity_id, models.Deputy.id)
                ).all():
                    people[aid].append(f"{name}（{did}）")
            ops: dict[int, list[str]] = defaultdict(list)
            O = models.Opinion
            for i in range(0, len(aids), 500):
                for aid, oid, content, status, dep, fwd, res in session.execute(
                    select(O.activity_id, O.id, O.content, O.status, O.deputy_id, O.forwarded_to, O.result)
                    .where(O.activity_id.in_(aids[i:i + 500])).order_by(O.activity_id, O.id)
                ).all():
                    ops[aid].append(f"{oid}：{content}（{status}；负责代表{dep or '未指定'}；"
                                    f"转交{fwd or '无'}；结果{res or '无'}）")
            dists = dict(session.execute(
                select(models.District.id, models.District.name)
                .where(models.District.id.in_({a.district_id for a in loaded.values()}))
            ).all())
            for aid, a in loaded.items():
                extra[aid] = {
                    "参加代表": "、".join(people.get(aid, [])),
                    "街道社区": dists.get(a.district_id, ""),
                    "佐证等级": evidence_level(a.has_signin, a.has_photos, a.voters_reached, None),
                    "意见": "；".join(ops.get(aid, [])),
                }
        for r in ids:
            obj = loaded.get(r)
            out[(kind, r)] = None if obj is None else {**_column_state(obj), **extra.get(r, {})}
    return out


def state_digest(state: dict | None) -> str | None:
    """SHA-256 of a record's state (None for a deleted record)."""
    if state is None:
        return None
    return _sha(json.dumps(state, sort_keys=True, ensure_ascii=False))


def _digests(session: Session, triples: Iterable[Sequence]) -> dict[tuple[str, int], str | None]:
    """Digest of each record's state now (None when it no longer exists)."""
    return {k: state_digest(v) for k, v in record_states(session, triples).items()}


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
    """The default shares of a new check (settings; PRACTICE.md: 20 % of groups and at least 2,
    in each group 10 % of each kind, at least 2 activities and 1 letter): {"group_share",
    "group_min", "percent", "minimums": {kind: n}}."""
    return {"group_share": float(settings.get(session, "spotcheck_group_share")),
            "group_min": int(settings.get(session, "spotcheck_group_min")),
            "percent": round(float(settings.get(session, "spotcheck_record_share")) * 100, 2),
            "minimums": {k: int(settings.get(session, key)) for k, key in MIN_SETTINGS.items()}}


def default_group_count(session: Session, n_groups: int) -> int:
    """How many groups a quarter's draw takes by default: the share of groups (rounded up),
    at least the minimum, at most all of them (settings spotcheck_group_share / _min)."""
    d = sampling_defaults(session)
    return min(n_groups, max(d["group_min"], math.ceil(n_groups * d["group_share"] - 1e-9)))


def build_rule(session: Session, actor: Actor, *, period_start: object, period_end: object,
               kinds: Sequence[str], groups: Sequence[int] | None = None,
               group_count: int | None = None, percent: float | None = None,
               minimums: dict | None = None, on: date | None = None) -> dict:
    """Check the form's choices and return the rule dict (raises ValidationError per field).

    ``groups`` None means every active group; ``group_count`` draws that many of them at random;
    in each group, each kind: ``percent`` % of its records, at least ``minimums[kind]`` (defaults:
    the settings).
    """
    errors: dict[str, str] = {}
    start, end = period_start, period_end
    if not isinstance(start, date):
        errors["period"] = "请选择抽查期间的起始日期"
    elif not isinstance(end, date):
        errors["period"] = "请选择抽查期间的结束日期"
    elif start > end:
        errors["period"] = "起始日期不能晚于结束日期"
    elif end >= (on or today()):
        errors["period"] = "抽查期间须已经结束（止日早于今天），封存后期间内不应再有新记录"
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
    defaults = sampling_defaults(session)
    if percent is None:
        percent = defaults["percent"]
    if not 0 < float(percent) <= 100:
        errors["percent"] = "抽取比例应在1%–100%之间"
    mins = {**defaults["minimums"], **{k: v for k, v in (minimums or {}).items() if v is not None}}
    if any(int(v) < 0 or int(v) > 100 for v in mins.values()):
        errors["minimums"] = "每类最少抽取条数应为0–100的整数"
    if errors:
        raise ValidationError(errors)
    return {
        "recipe": RECIPE,
        "period": [start.isoformat(), end.isoformat()],
        "kinds": kinds,
        "groups": cand,
        "group_count": int(group_count) if group_count is not None and int(group_count) < len(cand) else None,
        "percent": int(percent) if float(percent).is_integer() else float(percent),
        "minimums": {k: int(mins[k]) for k in kinds},
    }


def describe_rule(rule: dict) -> str:
    """The rule in one Chinese sentence."""
    groups = (f"从{len(rule['groups'])}个代表组中随机抽取{rule['group_count']}个"
              if rule.get("group_count") else f"全部{len(rule['groups'])}个代表组")
    if rule.get("recipe") == RECIPE_V1:
        share = (f"每组抽取{rule['percent']}%（至少{rule['minimum']}条）" if rule.get("percent")
                 else f"每组抽取{rule['count']}条")
    else:
        mins = "、".join(f"{k}至少{n}条" for k, n in (rule.get("minimums") or {}).items())
        share = f"每组每类抽取{rule['percent']}%（{mins}）"
    return (f"期间 {rule['period'][0]} 至 {rule['period'][1]}；记录类别：{'、'.join(rule['kinds'])}"
            f"{'（开箱记录只抽有来信的）' if '开箱记录' in rule['kinds'] and rule.get('recipe') != RECIPE_V1 else ''}；"
            f"{groups}；{share}；记录不足时全部抽取。")


def eligible_counts(session: Session, actor: Actor, rule: dict) -> list[dict]:
    """Per candidate group: eligible records per kind and how many the rule would draw."""
    _require_reader(actor)
    start, end = (date.fromisoformat(x) for x in rule["period"])
    items = eligible_records(session, start, end, rule["kinds"], rule["groups"])
    per = Counter((g, k) for g, k, _ in items)
    names = group_names(session, rule["groups"])
    rows = []
    for g in rule["groups"]:
        row = {"代表组": names.get(g, str(g))}
        for k in rule["kinds"]:
            row[k] = per.get((g, k), 0)
        row["合计"] = sum(per.get((g, k), 0) for k in rule["kinds"])
        row["应抽条数"] = sum(kind_share(rule, k, per.get((g, k), 0)) for k in rule["kinds"])
        rows.append(row)
    return rows


# ---------------------------------------------------------------- 封存, 开签, 作废


def _quarters(start: date, end: date) -> set[tuple[int, int]]:
    """The (year, quarter) pairs a period touches."""
    out, d = set(), start
    while d <= end:
        out.add((d.year, (d.month - 1) // 3 + 1))
        d = quarter_of(d)[1] + timedelta(days=1)
    return out


def earlier_seals(session: Session, rule: dict) -> list[models.SpotCheck]:
    """Earlier checks (sealed, drawn or abandoned) sharing a group and a quarter with ``rule``."""
    start, end = (date.fromisoformat(x) for x in rule["period"])
    qs, groups = _quarters(start, end), set(rule["groups"])
    sc = models.SpotCheck
    rows = session.execute(select(sc).where(sc.period_end >= quarter_of(start)[0],
                                            sc.period_start <= quarter_of(end)[1])
                           .order_by(sc.id)).scalars().all()
    return [c for c in rows if groups & set((c.rule or {}).get("groups") or [])
            and qs & _quarters(c.period_start, c.period_end)]


def _used_draw(session: Session, name: str, ref: str, day: date) -> str | None:
    """Why a lottery draw cannot be the source of a new 封存: an earlier check used it and it has
    been drawn (that check is opened or its draw day has come: the result may be known), or its
    number is not after such a draw of the same lottery (draw numbers grow). None when it can (two
    checks sealed before the same future draw may share it)."""
    sc = models.SpotCheck
    rows = session.execute(select(sc.id, sc.source_ref).where(
        sc.source_kind == "彩票开奖", sc.source_name == name,
        or_(sc.seed.is_not(None), sc.source_due <= day))).all()
    same = sorted(i for i, r in rows if r == ref)
    if same:
        return f"第{ref}期已开奖（第{same[0]}号抽查采用过，结果可能已为人所知），请采用之后的一期"
    if ref.isdigit():
        before = [int(r) for _i, r in rows if r and r.isdigit() and len(r) == len(ref)]
        if before and int(ref) < max(before):
            return f"期号应晚于{name}已开奖的第{max(before)}期（之前的各期都已开奖）"
    return None


def seal_check(session: Session, actor: Actor, rule: dict, *, source_kind: str, source_name: object,
               source_ref: object, source_due: object, reason: object = "", dice: object = None,
               at: datetime | None = None) -> models.SpotCheck:
    """封存: freeze the eligible list, store its fingerprint and each record's state, and fix the
    random source and the day its value will be taken. A second 封存 of a group in the same
    quarter needs a reason (shown on the record). Dice: how many are rolled is fixed here too
    (``dice``, DICE_MIN–DICE_MAX, kept in the rule): nobody can roll "one more" until a sample suits."""
    actor.require_write("spotcheck")
    errors: dict[str, str] = {}
    name = clean_text(source_name)
    ref = clean_text(source_ref)
    reason = clean_text(reason)
    now = (at or clock.now()).replace(microsecond=0)
    if not ref:
        errors["source_ref"] = "请填写开奖期号" if source_kind == "彩票开奖" else "请填写掷骰的会议或场次"
    elif len(ref) > 64 or "|" in ref:
        errors["source_ref"] = "期号或场次不超过64个字，且不能含“|”"
    if source_kind not in ("彩票开奖", "现场掷骰"):
        errors["source_kind"] = "请选择随机值来源（彩票开奖或现场掷骰）"
    if not name:
        errors["source_name"] = "请填写随机值来源，如：中国福利彩票双色球" if source_kind == "彩票开奖" else "请填写会议名称"
    elif len(name) > 64 or "|" in name:
        errors["source_name"] = "来源名称不超过64个字，且不能含“|”"
    if not isinstance(source_due, date):
        errors["source_due"] = "请选择取得随机值的日期"
    elif source_kind == "彩票开奖" and source_due <= now.date():
        errors["source_due"] = "须采用封存之后开奖的一期：开奖日期应晚于今天"
    elif source_due < now.date():
        errors["source_due"] = "掷骰日期不能早于今天"
    elif source_due > now.date() + timedelta(days=31):
        errors["source_due"] = "取得随机值的日期应在31天之内"
    n_dice = None
    if source_kind == "现场掷骰":
        try:
            n_dice = int(dice if dice is not None else DICE_DEFAULT)
        except (TypeError, ValueError):
            n_dice = 0
        if not DICE_MIN <= n_dice <= DICE_MAX:
            errors["dice"] = f"骰子个数应为{DICE_MIN}–{DICE_MAX}颗"
    valid = group_choices(session, actor)
    if not rule.get("groups") or any(g not in valid for g in rule["groups"]):
        errors["groups"] = "所选代表组不存在或已停用"
    earlier = earlier_seals(session, rule) if "groups" not in errors else []
    if n_dice:
        rule = {**rule, "dice": n_dice}
    bare = {k: v for k, v in rule.items() if k != "sealed_at"}
    for c in earlier:  # the same 封存 again (a double click, a second tab): that one stands
        if (c.status == "已封存" and c.created_by == actor.username and c.source_kind == source_kind
                and (c.source_name, c.source_ref, c.source_due) == (name, ref, source_due)
                and {k: v for k, v in (c.rule or {}).items() if k != "sealed_at"} == bare):
            return c
    if source_kind == "彩票开奖" and name and ref and "source_ref" not in errors:
        used = _used_draw(session, name, ref, now.date())
        if used:
            errors["source_ref"] = used
    live = [c for c in earlier if c.status in ("已封存", "检查中")]
    if live:
        errors["reason"] = ("第" + "、".join(str(c.id) for c in live) + "号抽查（同一代表组、同一季度）"
                            + "、".join(sorted({c.status for c in live}))
                            + "，不能再次封存：请先完成该次抽查，或在开签前将其作废（到取值日期后须由领导作废）")
    elif earlier and not reason:
        errors["reason"] = ("本季度已封存过这些代表组（第" + "、".join(str(c.id) for c in earlier)
                            + "号），再次封存须写明理由，理由将显示在抽查记录上")
    if len(reason) > 500:
        errors["reason"] = "理由不超过500字"
    if errors:
        raise ValidationError(errors)
    start, end = (date.fromisoformat(x) for x in rule["period"])
    items = eligible_records(session, start, end, rule["kinds"], rule["groups"])
    states = record_states(session, items)
    check = models.SpotCheck(
        created_by=actor.username, created_at=now, period_start=start, period_end=end,
        rule={**rule, "sealed_at": now.isoformat()}, fingerprint=fingerprint(items),
        eligible=[list(t) for t in items], snapshots={f"{k}|{r}": v for (k, r), v in states.items()},
        status="已封存", source_kind=source_kind, source_name=name, source_due=source_due, source_ref=ref,
        reseal_reason=reason or None,
    )
    session.add(check)
    session.flush()
    return check


def _group_offices(session: Session, group_ids: Iterable[int]) -> dict[int, int]:
    """{group id: office id}."""
    ids = sorted({int(g) for g in group_ids})
    if not ids:
        return {}
    return dict(session.execute(select(models.DeputyGroup.id, models.DeputyGroup.office_id)
                                .where(models.DeputyGroup.id.in_(ids))).all())


def second_person(session: Session, actor: Actor, check: models.SpotCheck, username: object,
                  password: object, client: str, groups: Iterable[int]) -> models.User:
    """The second person of a dice draw confirms the value with their own account.

    The password is checked as the login checks it (``services.auth``: the same throttling first,
    then ``check_password``). A wrong password is a failed login of that account (it counts toward
    its throttling and lock): it is committed at once, before the refusal, and nothing else is
    stored. The account must be active, neither the sealer nor the opener, and a supervisor, or
    staff whose scope covers every drawn group (``groups``: as the group liaison).
    """
    from services import auth

    name = clean_text(username).lower()
    pw = str(password or "")
    if not name or not pw:
        raise ValidationError({"second_username": "现场掷骰须由第二人（另一名督查人员或代表组联络员）"
                                                  "用本人账号确认：请第二人输入其用户名和密码"})
    if name in {actor.username, check.created_by}:
        raise ValidationError({"second_username": "第二人不能是开签或封存的督查人员本人"})
    blocked = auth.throttle_message(session, name, client)
    if blocked:
        raise ValidationError({"second_password": f"第二人账号：{blocked}"})
    user = session.execute(select(models.User).where(models.User.username == name)).scalar_one_or_none()
    if user is None or not auth.check_password(pw, user.password_hash):
        auth.record_attempt(session, name, client, False)
        session.commit()  # the failure counts toward the account's throttling; nothing else was written
        raise ValidationError({"second_password": "第二人的用户名或密码错误，未开签"})
    if not user.active:
        raise ValidationError({"second_username": "第二人的账号已停用"})
    if user.role == "supervisor":
        return user
    if user.role == "staff":
        person = auth.load_actor(session, user.username)
        offices = _group_offices(session, groups)
        if person is not None and all(person.in_scope(offices.get(g), g) for g in offices):
            return user
        raise ValidationError({"second_username": "第二人负责的范围不包括被抽中的代表组："
                                                  "代表组联络员须负责被抽中的全部代表组"})
    raise ValidationError({"second_username": "第二人须是另一名督查人员，或负责被抽中代表组的工作人员（代表组联络员）"})


def open_check(session: Session, actor: Actor, check_id: int, *, value: object,
               second_username: object = "", second_password: object = "", client: str = "",
               at: datetime | None = None, _second: models.User | None = None) -> models.SpotCheck:
    """开签: enter the random value of the source fixed at 封存; draw the sample from the frozen list.

    The sample depends only on the fingerprint, the source (name, draw number or meeting, day: all
    fixed at 封存) and the value: not on who opens, when, or what changed since. Dice need a second
    person (another supervisor, or the liaison: staff covering the drawn groups) who confirms the
    value with their own user name and password (``second_person``; ``client``: where the form was
    sent from, for the login throttling). ``_second``: the demo data's account, unchecked.
    """
    actor.require_write("spotcheck")
    check = _get_check(session, check_id, lock=True)
    if check.status == "检查中" and check.witness_value == normalize_value(value) and check.opened_by == actor.username:
        return check  # the same 开签 again (a double click): already done
    if check.status != "已封存":
        raise ValidationError({"": f"第{check.id}号抽查{'已作废' if check.status == '已作废' else '已开签'}，不能再开签。"})
    errors: dict[str, str] = {}
    val = normalize_value(value)
    now = (at or clock.now()).replace(microsecond=0)
    if not val:
        errors["value"] = "请输入开奖号码或掷骰点数（数字，按公布顺序）"
    elif len(val) > 128:
        errors["value"] = "随机值过长"
    if check.source_due and now.date() < check.source_due:
        errors["value"] = f"公告的取值日期是 {fmt_date(check.source_due)}，当天或以后才能开签"
    dice = check.source_kind == "现场掷骰"
    if dice and val and not all(p in "123456" and len(p) == 1 for p in val.split()):
        errors["value"] = "掷骰点数只能是 1 至 6，每颗骰子一个数，用空格分开（如：3 5 6 1）"
    elif dice and val and (check.rule or {}).get("dice") and len(val.split()) != int(check.rule["dice"]):
        errors["value"] = (f"公告规定掷 {check.rule['dice']} 颗骰子，请按掷出顺序输入 {check.rule['dice']} 个点数"
                           f"（现在是 {len(val.split())} 个）")
    elif not dice and val and any(len(p) > 2 for p in val.split()):
        errors["value"] = ("开奖号码每个数不超过两位：请只输入开奖号码，不要把期号、日期一并粘贴"
                           f"（读到的是“{val[:60]}”）")
    if errors:
        raise ValidationError(errors)
    src = source_text(check.source_name, check.source_ref, check.source_due)
    seed = make_seed(check.fingerprint, src, val)
    items = canonical(check.eligible or [])
    result = draw(check.rule, items, seed)
    second = None
    if dice:
        second = _second or second_person(session, actor, check, second_username, second_password, client,
                                          result["groups"])
    check.witness_value, check.seed = val, seed
    check.sample = result["records"]
    check.opened_by, check.opened_at, check.status = actor.username, now, "检查中"
    if second is not None:
        check.second_user_id, check.second_name = second.id, second.display_name or second.username
        check.second_role = "督查人员" if second.role == "supervisor" else "代表组联络员"
    snaps = check.snapshots or {}
    session.add_all(
        models.SpotCheckItem(check_id=check.id, group_id=g, record_kind=k, record_id=r,
                             record_digest=state_digest(snaps.get(f"{k}|{r}")),
                             checklist=preset_checklist(session, k))
        for g, k, r in result["records"]
    )
    session.add_all(models.SpotCheckGrade(check_id=check.id, group_id=g) for g in result["groups"])
    session.flush()
    for g in result["groups"]:
        if not any(x[0] == g for x in result["records"]):
            _regrade(session, actor, check, g)
    return check


LEADER_ROLES = ("leader", "admin")  # may abandon a check whose random value may be known


def value_may_be_known(check: models.SpotCheck, day: date | None = None) -> bool:
    """True once the random value may be known to someone: the check is opened, or the day fixed
    for its value has come (the lottery was drawn, the dice may have been rolled)."""
    if check.status != "已封存":
        return True
    return check.source_due is None or (day or today()) >= check.source_due


def abandon_check(session: Session, actor: Actor, check_id: int, reason: object,
                  at: datetime | None = None) -> None:
    """作废 a check with a reason; it stays in the history (who, when, why).

    Before the day of its random value a supervisor may abandon a sealed check (nobody can know the
    value yet). Once the value may be known (opened, or its day has come) abandoning would let the
    sealer re-draw until a sample suits: only a leader (role leader or admin) may, with a reason.
    A check with findings recorded cannot be abandoned (its findings count)."""
    check = _get_check(session, check_id, lock=True)
    reason = clean_text(reason)
    if check.status == "已作废":
        raise ValidationError({"": f"第{check.id}号抽查已作废。"})
    known = value_may_be_known(check, (at.date() if at else None))
    if known:
        if actor.role not in LEADER_ROLES:
            state = "已开签" if check.status != "已封存" else f"已到取值日期（{fmt_date(check.source_due)}）"
            raise PermissionDenied(f"第{check.id}号抽查{state}，随机值可能已为人所知，"
                                   "督查人员不能作废；确需作废须由领导（或系统管理员）写明理由作废。")
    else:
        actor.require_write("spotcheck")
    if not reason:
        raise ValidationError({"reason": "请写明作废理由"})
    if len(reason) > 500:
        raise ValidationError({"reason": "理由不超过500字"})
    done = session.execute(select(func.count()).select_from(models.SpotCheckItem).where(
        models.SpotCheckItem.check_id == check.id, models.SpotCheckItem.result.is_not(None))).scalar_one()
    if done:
        raise ValidationError({"": f"第{check.id}号抽查已记录{done}条核查结论，不能作废。"})
    check.status, check.abandoned_by = "已作废", actor.username
    check.abandoned_at = (at or clock.now()).replace(microsecond=0)
    check.abandon_reason = reason[:500]
    for row in session.execute(select(models.Rectification).where(
            models.Rectification.spot_check_id == check.id, models.Rectification.opened_by_grading.is_(True),
            models.Rectification.status == "未完成")).scalars():
        session.delete(row)
    for row in session.execute(select(models.SpotCheckGrade).where(
            models.SpotCheckGrade.check_id == check.id)).scalars():
        row.grade = None


def announcement_text(check: models.SpotCheck, sealer: str | None = None) -> str:
    """抽查公告: what was frozen, its fingerprint, and when and from where the random value comes.
    ``sealer``: the display name of who sealed (else the login name stored on the check)."""
    n = len(check.eligible or [])
    if check.source_kind == "彩票开奖":
        when = (f"随机值取自 {fmt_date(check.source_due)} 开奖的{check.source_name}第{check.source_ref}期开奖号码"
                "（封存之后的第一期，开奖结果公开可查）")
    else:
        how = f"掷 {check.rule['dice']} 颗骰子" if (check.rule or {}).get("dice") else "掷骰"
        when = (f"随机值由 {fmt_date(check.source_due)} {check.source_ref}现场{how}产生（按掷出顺序记录点数），"
                "由督查人员录入，代表组联络员（或另一名督查人员）用本人账号和密码确认，双方姓名记入抽查记录")
    text = (f"第{check.id}号抽查公告：督查人员 {sealer or check.created_by} 于 {check.created_at:%Y-%m-%d %H:%M} 封存"
            f"{describe_rule(check.rule)}可抽记录共 {n} 条，清单指纹（SHA-256）为 {check.fingerprint}。{when}。"
            "开签后任何人可按公布的方法用清单、来源和随机值重新抽取核对。")
    if check.reseal_reason:
        text += f"本季度再次封存，理由：{check.reseal_reason}。"
    return text


def preset_checklist(session: Session, kind: str) -> dict:
    """The checklist of a new finding: 不适用 where an item does not apply to the kind."""
    names = settings.get(session, "spotcheck_checklist")
    skip = set(NOT_APPLICABLE.get(kind, ()))
    return {n: "不适用" for n in names if n in skip}


def _get_check(session: Session, check_id: int, lock: bool = False) -> models.SpotCheck:
    """Return a check or raise NotFound (``lock``: SELECT … FOR UPDATE, two sessions wait)."""
    try:
        cid = int(check_id)
    except (TypeError, ValueError):
        raise NotFound("该抽查记录不存在。") from None
    check = session.get(models.SpotCheck, cid, with_for_update=lock, populate_existing=lock)
    if check is None:
        raise NotFound("该抽查记录不存在。")
    return check


def check_options(session: Session, actor: Actor, limit: int = 200, status: str | None = None) -> dict[int, str]:
    """{check id: label} of the latest checks (of one status), newest first (for a picker)."""
    _require_reader(actor)
    stmt = select(models.SpotCheck.id, models.SpotCheck.created_at, models.SpotCheck.period_start,
                  models.SpotCheck.period_end, models.SpotCheck.status)
    if status:
        stmt = stmt.where(models.SpotCheck.status == status)
    rows = session.execute(stmt.order_by(models.SpotCheck.id.desc()).limit(limit)).all()
    return {i: f"第{i}号抽查 {fmt_date(c)} 封存（{fmt_date(s)}至{fmt_date(e)}，{st}）" for i, c, s, e, st in rows}


def _second_name(session: Session, check: models.SpotCheck) -> str:
    """The display name of who confirmed a dice value (their account's, else the name stored)."""
    if check.second_user_id is not None:
        name = session.execute(select(models.User.display_name)
                               .where(models.User.id == check.second_user_id)).scalar_one_or_none()
        if name:
            return name
    return check.second_name or ""


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
    who = people.names_of(session, [check.created_by, check.opened_by, check.abandoned_by,
                                    *(i.checked_by for i in items)])
    return {
        "id": check.id,
        "created_by": who.get(check.created_by, check.created_by),
        "created_at": check.created_at,
        "period": (check.period_start, check.period_end),
        "rule": check.rule,
        "rule_text": describe_rule(check.rule),
        "witness": check.witness_value or "",
        "drawn_at": check.rule.get("drawn_at"),
        "seed": check.seed or "",
        "fingerprint": check.fingerprint,
        "eligible_count": len(check.eligible or []),
        "status": check.status,
        "v1": check.rule.get("recipe") == RECIPE_V1,
        "source_kind": check.source_kind or "",
        "source_name": check.source_name or "",
        "source_due": check.source_due,
        "source_ref": check.source_ref or "",
        "source": (source_text(check.source_name, check.source_ref, check.source_due)
                   if check.source_ref else ""),
        "announcement": announcement_text(check, who.get(check.created_by)) if check.source_kind else "",
        "opened_by": who.get(check.opened_by, check.opened_by) if check.opened_by else "",
        "opened_at": check.opened_at,
        "second": f"{check.second_role}{_second_name(session, check)}" if check.second_name else "",
        "second_confirmed": check.second_user_id is not None,  # before 0008_i15 the name was typed
        "value_may_be_known": value_may_be_known(check),
        "reseal_reason": check.reseal_reason or "",
        "abandoned": (f"{fmt_date(check.abandoned_at)} 由 {who.get(check.abandoned_by, check.abandoned_by)} 作废：{check.abandon_reason}"
                      if check.abandoned_at else ""),
        "items": [
            {
                "id": i.id, "group_id": i.group_id, "代表组": names.get(i.group_id, ""),
                "类别": i.record_kind, "记录编号": i.record_id,
                "记录": labels.get((i.record_kind, i.record_id), "（记录已删除）"),
                "checklist": i.checklist or {}, "结果": i.result or "", "说明": i.note or "",
                "核查人": who.get(i.checked_by, "") if i.checked_by else "", "核查时间": i.checked_at,
                "修订说明": i.revision_note or "", "version": i.version,
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


def _check_finding(session: Session, checklist: dict, result: str, note: object) -> tuple[dict, str]:
    """Validate one finding (ValidationError per field); return the full checklist and the note."""
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
    return {k: checklist[k] for k in names}, note


def _apply_finding(session: Session, actor: Actor, item: models.SpotCheckItem, checklist: dict, result: str,
                   note: str, revision: str = "", at: datetime | None = None) -> None:
    """Store a validated finding; a 联系活动 found 合格/基本合格 becomes 已核实, 不合格 clears it."""
    now = (at or clock.now()).replace(microsecond=0)
    item.checklist, item.result, item.note = checklist, result, note or None
    item.checked_by, item.checked_at = actor.username, now
    if revision:
        item.revision_note = revision
    if item.record_kind == "联系活动":
        act = _load(session, "联系活动", [item.record_id]).get(item.record_id)
        if act is not None:
            if result in ("合格", "基本合格"):
                act.verified_by, act.verified_at = actor.username, now
            else:
                act.verified_by, act.verified_at = None, None
            act.updated_at = now


def _open_item(session: Session, item_id: int) -> tuple[models.SpotCheckItem, models.SpotCheck]:
    """A drawn record and its check (locked), refused when the check is abandoned."""
    item = session.get(models.SpotCheckItem, int(item_id), with_for_update=True, populate_existing=True)
    if item is None:
        raise NotFound("该抽查记录不存在。")
    check = _get_check(session, item.check_id, lock=True)
    if check.status == "已作废":
        raise ValidationError({"": f"第{check.id}号抽查已作废，不能记录核查结论。"})
    return item, check


def record_finding(session: Session, actor: Actor, item_id: int, checklist: dict, result: str,
                   note: object = "", reason: object = "", seen: str | None = None,
                   at: datetime | None = None, expected_version: int | None = None) -> str | None:
    """Save the checklist and result of one drawn record; returns the group's grade (or None).

    Revising a finding already recorded is for a supervisor only, with a reason (kept on the record
    and, like every write, in the 操作日志 with before / after). ``expected_version``: the version
    the form showed (components.forms.intent); a save over a finding saved since is refused naming
    who saved it (``check_version``). ``seen``: the result the form showed (older callers).
    """
    actor.require_write("spotcheck")
    item, check = _open_item(session, item_id)
    checklist, note = _check_finding(session, checklist, result, note)
    reason = clean_text(reason)
    check_version(item, expected_version, "该抽查记录的核查结论")
    if seen is not None and (item.result or "") != (seen or ""):
        who = people.name_of(session, item.checked_by) or "他人"
        raise ValidationError({"": f"该记录的核查结论已被{who}改为“{item.result or '未核查'}”，"
                                   "请刷新后再修改。"})
    if item.result is not None:
        if (item.checklist, item.result, item.note or "") == (checklist, result, note):
            return _grade_of(session, check.id, item.group_id)  # the same finding again (a double click)
        if actor.role != "supervisor":
            raise PermissionDenied("核查结论只能由督查人员修改。")
        if not reason:
            raise ValidationError({"reason": f"该记录已核查为“{item.result}”，修改核查结论须写明理由"})
        revision = f"{fmt_date(clock.now())} {actor.display_name or actor.username}将“{item.result}”改为“{result}”：{reason[:400]}"
        revision = ((item.revision_note + "；") if item.revision_note else "") + revision
    else:
        revision = ""
    _apply_finding(session, actor, item, checklist, result, note, revision, at)
    session.flush()
    return _regrade(session, actor, check, item.group_id)


def _grade_of(session: Session, check_id: int, group_id: int) -> str | None:
    """A group's current grade in a check."""
    row = session.get(models.SpotCheckGrade, (check_id, group_id))
    return row.grade if row else None


def pass_the_rest(session: Session, actor: Actor, check_id: int, group_id: int,
                  at: datetime | None = None) -> int:
    """其余全部合格: every drawn record of the group not yet checked is found 合格, each applicable
    checklist item 通过 (不适用 where it does not apply to the kind). Returns how many were recorded."""
    actor.require_write("spotcheck")
    check = _get_check(session, check_id, lock=True)
    if check.status in ("已作废", "已封存"):
        raise ValidationError({"": f"第{check.id}号抽查{check.status}，不能记录核查结论。"})
    items = session.execute(select(models.SpotCheckItem).where(
        models.SpotCheckItem.check_id == check.id, models.SpotCheckItem.group_id == int(group_id),
        models.SpotCheckItem.result.is_(None)).with_for_update()).scalars().all()
    names = settings.get(session, "spotcheck_checklist")
    for item in items:
        preset = preset_checklist(session, item.record_kind)
        _apply_finding(session, actor, item, {n: preset.get(n, "通过") for n in names}, "合格", "", at=at)
    session.flush()
    if items:
        _regrade(session, actor, check, int(group_id))
    return len(items)


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


def rederive(check: models.SpotCheck) -> dict:
    """Redo a check from what it stored, by the recipe alone (no database): {"fingerprint_ok",
    "seed_ok", "sample_ok", "ok", "sample"}. A sealed check has no seed or sample yet."""
    rule = check.rule or {}
    stored = canonical(check.eligible or [])
    fp_ok = fingerprint(stored) == check.fingerprint
    if check.seed is None:
        return {"fingerprint_ok": fp_ok, "seed_ok": None, "sample_ok": None, "ok": fp_ok, "sample": None}
    if rule.get("recipe") == RECIPE_V1:
        seed = make_seed_v1(check.witness_value or "", rule.get("drawn_at", ""))
    else:
        seed = make_seed(check.fingerprint, source_text(check.source_name, check.source_ref, check.source_due),
                         check.witness_value or "")
    sample = draw(rule, stored, seed)["records"]
    sample_ok = [list(x) for x in sample] == [list(x) for x in (check.sample or [])]
    return {"fingerprint_ok": fp_ok, "seed_ok": seed == check.seed, "sample_ok": sample_ok,
            "ok": fp_ok and seed == check.seed and sample_ok, "sample": sample}


def verify_lines(session: Session, check_ids: Sequence[int] | None = None) -> list[tuple[int, bool | None, str]]:
    """Re-derive checks from what they stored (all when ``check_ids`` is None): (id, ok, a line in
    Chinese) each; ok is None for a number no check has (找不到). Used by ``manage.py spotcheck verify``."""
    sc = models.SpotCheck
    stmt = select(sc).order_by(sc.id)
    if check_ids is not None:
        stmt = stmt.where(sc.id.in_([int(i) for i in check_ids]))
    found = session.execute(stmt).scalars().all()
    missing = sorted(set(check_ids or []) - {c.id for c in found})
    out: list[tuple[int, bool | None, str]] = [(i, None, f"第{i}号抽查：找不到（没有这个编号的抽查）")
                                                for i in missing]
    for c in found:
        r = rederive(c)
        head = f"第{c.id}号抽查（{c.status}，{'旧版方法' if c.rule.get('recipe') == RECIPE_V1 else '复现方法v2'}）"
        if r["seed_ok"] is None:
            text = ("尚未开签；可抽记录清单与指纹一致" if r["ok"] else "不一致：可抽记录清单与指纹不符")
        elif r["ok"]:
            text = f"一致：清单指纹、随机种子和样本（{len(c.sample or [])}条）均可由保存的数据重新得出"
        else:
            bad = [w for w, ok in (("清单指纹", r["fingerprint_ok"]), ("随机种子", r["seed_ok"]),
                                   ("样本", r["sample_ok"])) if not ok]
            text = "不一致：" + "、".join(bad) + "与重新计算的结果不同"
        out.append((c.id, bool(r["ok"]), f"{head}：{text}"))
    return sorted(out)


UNREADABLE = "无法读取：这不是“导出 Excel”得到的抽查记录文件（.xlsx），或文件已损坏；请使用原文件"
FINDINGS_SHEET = "抽取记录与核查结果"


def _sheet_table(rows: list, first: str) -> tuple[list[str], list]:
    """The header row holding ``first`` and the rows below it (KeyError when there is none)."""
    for n, row in enumerate(rows):
        if row and first in [str(c) for c in row if c is not None]:
            return [str(c) if c is not None else "" for c in row], rows[n + 1:]
    raise KeyError(first)


def _findings_rows(rows: list) -> list[tuple[str, int]]:
    """(类别, 记录编号) of each row of the findings sheet (the row "本次未抽到记录" has none)."""
    head, body = _sheet_table(rows, "记录编号")
    i_kind, i_id = head.index("类别"), head.index("记录编号")
    out = []
    for r in body:
        if not r or len(r) <= max(i_kind, i_id) or (r[i_kind] in (None, "") and r[i_id] in (None, "")):
            continue
        out.append((str(r[i_kind]).strip(), int(str(r[i_id]).strip())))
    return out


def _findings_problems(found: list[tuple[str, int]], sample: Sequence[Sequence]) -> list[str]:
    """What the findings sheet says differently from the sample: rows missing, added or repeated."""
    want = Counter((str(k), int(r)) for _g, k, r in sample)
    have = Counter(found)
    words = []
    for label, diff in (("少了", want - have), ("多了", have - want)):
        if diff:
            words.append(f"“{FINDINGS_SHEET}”工作表{label}：" + "、".join(
                f"{k} {r}" + (f"（{n}行）" if n > 1 else "") for (k, r), n in sorted(diff.items())))
    return words


def verify_export(data: bytes) -> tuple[bool | None, str]:
    """Re-derive a check from its .xlsx export alone (no database): the 清单行 column gives the list,
    抽查概况 the rule, source, value and seed; the rows marked 是否抽中 the sample; the rows of the
    findings sheet must be exactly the sample. Returns (ok, a line in Chinese); ok is None when the
    file cannot be read as an export at all (nothing to compare)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not a zip, not a workbook, damaged: one Chinese line
        return None, UNREADABLE
    try:
        missing = [n for n in ("抽查概况", "可抽记录清单", FINDINGS_SHEET) if n not in wb.sheetnames]
        if missing:
            return None, f"{UNREADABLE}（缺少工作表：{'、'.join(missing)}）"
        info_rows = list(wb["抽查概况"].iter_rows(values_only=True))
        list_rows = list(wb["可抽记录清单"].iter_rows(values_only=True))
        find_rows = list(wb[FINDINGS_SHEET].iter_rows(values_only=True))
    except Exception:  # noqa: BLE001 - a damaged sheet
        return None, UNREADABLE
    where = "抽查概况"
    try:
        head, body = _sheet_table(info_rows, "项目")
        info = {str(r[head.index("项目")]): ("" if r[head.index("内容")] is None else str(r[head.index("内容")]))
                for r in body if r and r[head.index("项目")]}
        rule = json.loads(info["规则（JSON）"])
        where = "可抽记录清单"
        head, body = _sheet_table(list_rows, "清单行")
        i_line, i_hit = head.index("清单行"), head.index("是否抽中")
        eligible, marked = [], []
        for r in body:
            if not r or not r[i_line]:
                continue
            g, k, rid = str(r[i_line]).split("|")
            eligible.append((int(g), k, int(rid)))
            if str(r[i_hit]) in ("是", "True", "1"):
                marked.append([int(g), k, int(rid)])
        where = FINDINGS_SHEET
        found = _findings_rows(find_rows)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return False, f"不一致：导出文件的“{where}”工作表缺少复核所需的内容或格式被改动，请使用“导出 Excel”得到的原文件"
    fp = fingerprint(eligible)
    if rule.get("recipe") == RECIPE_V1:
        seed = make_seed_v1(info.get("随机值", ""), rule.get("drawn_at", ""))
    else:
        seed = make_seed(fp, info.get("来源（按复现方法书写）", ""), normalize_value(info.get("随机值", "")))
    problems = []
    opened = bool(info.get("随机种子"))  # a check still sealed has no seed and no sample yet
    if fp != info.get("可抽记录指纹"):
        problems.append("清单指纹")
    if opened and seed != info.get("随机种子"):
        problems.append("随机种子")
    sample = [list(x) for x in draw(rule, eligible, seed)["records"]] if opened else []
    if sample != sorted(marked):
        problems.append("样本")
    found_problems = _findings_problems(found, sample)
    head_line = f"第{info.get('抽查编号', '?')}号抽查（导出文件，{len(eligible)}条可抽记录）"
    if problems or found_problems:
        text = "不一致：" + "；".join(
            ([("、".join(problems) + "与重新计算的结果不同")] if problems else []) + found_problems)
        return False, f"{head_line}：{text}"
    return True, (f"{head_line}：一致：清单指纹、随机种子和样本（{len(marked)}条）均可由文件中的数据重新得出，"
                  "核查结果表的记录与样本相同")


def _diff(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """The fields that differ between two states: (field, before, after)."""
    if before is None or after is None:
        return []
    from services.auditlog import FIELD_NAMES

    return [(FIELD_NAMES.get(k, k), before.get(k, ""), after.get(k, "")) for k in sorted(set(before) | set(after))
            if before.get(k, "") != after.get(k, "")]


def verify(session: Session, check_id: int, actor: Actor | None = None) -> dict:
    """复核: redo the check from what it stored, and compare with the database as it is now.

    Returns {"ok", "seed_ok", "stored_list_ok", "fingerprint_ok", "sample_ok", "added", "removed",
    "changed", "changed_other", "problems"}: ``changed`` lists drawn records changed or deleted since
    封存, each with its fields before and after; ``changed_other`` counts records of the frozen list
    not drawn that changed; ``added`` / ``removed`` records that entered or left the list since.
    """
    if actor is not None:
        _require_reader(actor)
    check = _get_check(session, check_id)
    rule = check.rule
    v1 = rule.get("recipe") == RECIPE_V1
    redo = rederive(check)
    stored = canonical(check.eligible or [])
    start, end = (date.fromisoformat(x) for x in rule["period"])
    now_items = eligible_records(session, start, end, rule["kinds"], rule["groups"], letters_only=not v1)
    fingerprint_ok = fingerprint(now_items) == check.fingerprint
    now_set, stored_set = set(now_items), set(stored)
    drawn = {(k, int(r)) for _g, k, r in (check.sample or [])}
    snaps = check.snapshots or {}
    names = group_names(session, rule["groups"])
    changed, changed_other = [], 0
    if not v1:
        now_states = record_states(session, stored)
        labels = _labels(session, [(k, r) for _g, k, r in stored if (k, r) in drawn])
        for g, k, r in stored:
            before, after = _kept(snaps.get(f"{k}|{r}")), _kept(now_states.get((k, r)))
            if before == after:
                continue
            if (k, r) not in drawn:
                changed_other += 1
                continue
            changed.append({
                "代表组": names.get(g, ""), "类别": k, "记录编号": r, "记录": labels.get((k, r), "（记录已删除）"),
                "变化": "封存后已删除" if after is None else "封存后已修改",
                "修改内容": [] if after is None else _diff(before, after),
            })
    problems = []
    if redo["seed_ok"] is False:
        problems.append("随机种子与清单指纹、随机值来源和随机值不符")
    if not redo["fingerprint_ok"]:
        problems.append("保存的可抽记录清单与指纹不符")
    if redo["sample_ok"] is False:
        problems.append("按保存的规则、清单和种子重新抽取，结果与保存的样本不一致")
    if not fingerprint_ok:
        problems.append(
            f"当前数据库中的可抽记录清单与封存时不同（新增{len(now_set - stored_set)}条，"
            f"减少{len(stored_set - now_set)}条）"
        )
    if changed:
        problems.append(f"{len(changed)}条被抽记录在封存后发生变化")
    return {
        "ok": not problems, "seed_ok": redo["seed_ok"], "stored_list_ok": redo["fingerprint_ok"],
        "fingerprint_ok": fingerprint_ok, "sample_ok": redo["sample_ok"],
        "added": sorted(now_set - stored_set), "removed": sorted(stored_set - now_set),
        "changed": changed, "changed_other": changed_other, "problems": problems,
    }


# ---------------------------------------------------------------- lists


def list_checks(session: Session, actor: Actor, filters: dict, offset: int, limit: int) -> Page:
    """History of checks, newest first; filters: period (date range overlap), group, grade."""
    _require_reader(actor)
    sc, gr = models.SpotCheck, models.SpotCheckGrade
    stmt = select(sc.id, sc.created_at, sc.period_start, sc.period_end,
                  people.display(sc.created_by).label("created_by"), sc.status,
                  sc.sample, sc.source_name, sc.source_due, sc.source_ref, sc.witness_value, sc.reseal_reason,
                  people.display(sc.abandoned_by).label("abandoned_by"), sc.abandoned_at, sc.abandon_reason,
                  people.display(sc.opened_by).label("opened_by"), sc.second_role,
                  func.coalesce(select(models.User.display_name).where(models.User.id == sc.second_user_id)
                                .scalar_subquery(), sc.second_name).label("second")).order_by(sc.id.desc())
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
        src = (f"{r.source_name} {r.source_ref} {fmt_date(r.source_due)}："
               + (r.witness_value if r.witness_value else "待开签")
               if r.source_name else f"见证值：{r.witness_value}")
        out.append({
            "id": r.id, "编号": r.id, "封存时间": r.created_at,
            "抽查期间": f"{fmt_date(r.period_start)} 至 {fmt_date(r.period_end)}",
            "封存人": r.created_by, "开签人": r.opened_by or "",
            "第二人确认": f"{r.second_role or ''}{r.second}" if r.second else "", "随机值来源": src,
            "代表组": "、".join(names.get(g, "") for g, _ in gs),
            "抽取记录（条）": len(r.sample or []),
            "评定": "、".join(f"{names.get(g, '')}：{v or '待评定'}" for g, v in gs),
            "状态": r.status,
            "再次封存理由": r.reseal_reason or "",
            "作废": (f"{fmt_date(r.abandoned_at)} {r.abandoned_by}：{r.abandon_reason}" if r.abandoned_at else ""),
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
    if row.status == "已完成":  # the only change such an item takes: a colleague confirmed it meanwhile
        who = people.names_of(session, [row.closed_by]).get(row.closed_by, row.closed_by) if row.closed_by else "他人"
        raise StaleError("该整改事项", f"{who}于{fmt_date(row.closed_on)}已确认完成")
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


def source_words(d: dict) -> str:
    """Where the random value came from, in plain words."""
    if d["v1"]:
        return f"见证随机值“{d['witness']}”，抽取时间 {d['drawn_at']}（旧版方法）"
    due = fmt_date(d["source_due"])
    if d["source_kind"] == "彩票开奖":
        where = f"彩票开奖：{d['source_name']}第{d['source_ref']}期，{due}开奖"
    else:
        where = f"现场掷骰：{d['source_name']}（{d['source_ref']}），{due}"
    if not d["witness"]:
        return where + "（尚未开签）"
    if d["second"] and d.get("second_confirmed"):
        who = f"，由督查人员 {d['opened_by']} 录入、{d['second']}用本人账号确认"
    elif d["second"]:
        who = f"，由督查人员 {d['opened_by']} 与{d['second']}共同录入"
    else:
        who = f"，由 {d['opened_by']} 录入"
    return f"{where}，号码 {d['witness']}{who}"


def _export_frames(session: Session, actor: Actor, check_id: int) -> tuple[dict, dict]:
    """The detail and the frames of one check's export."""
    d = check_detail(session, actor, check_id)
    check = _get_check(session, check_id)
    names = group_names(session, check.rule["groups"])
    sample = {tuple(x) for x in check.sample or []}
    names_ck = settings.get(session, "spotcheck_checklist")
    info = pd.DataFrame([
        ("抽查编号", d["id"]), ("封存人", d["created_by"]), ("封存时间", f"{d['created_at']:%Y-%m-%d %H:%M}"),
        ("抽查规则", d["rule_text"]), ("规则（JSON）", json.dumps(check.rule, ensure_ascii=False)),
        ("随机值来源", source_words(d)), ("来源（按复现方法书写）", d["source"]), ("随机值", d["witness"]),
        ("随机种子", d["seed"]), ("可抽记录指纹", d["fingerprint"]),
        ("可抽记录（条）", d["eligible_count"]), ("抽取记录（条）", len(check.sample or [])), ("状态", d["status"]),
        ("再次封存理由", d["reseal_reason"]), ("作废", d["abandoned"]), ("复现方法", RECIPE_TEXT),
    ], columns=["项目", "内容"])
    items = pd.DataFrame([
        {"代表组": i["代表组"], "类别": i["类别"], "记录编号": i["记录编号"], "记录": i["记录"],
         **{k: i["checklist"].get(k, "") for k in names_ck},
         "结果": i["结果"], "说明": i["说明"], "核查人": i["核查人"],
         # as text: a column of times with gaps would turn the gaps into NaT, which no cell can hold
         "核查时间": f"{i['核查时间']:%Y-%m-%d %H:%M}" if i["核查时间"] else "",
         "修订说明": i["修订说明"]}
        for i in d["items"]
    ] or [{"代表组": "", "类别": "", "记录编号": "", "记录": "本次未抽到记录"}])
    grades = pd.DataFrame([{k: v for k, v in g.items() if k != "group_id"} for g in d["grades"]]
                          or [{"代表组": "", "评定": ""}])
    eligible = pd.DataFrame([
        {"代表组编号": g, "代表组": names.get(g, ""), "类别": k, "记录编号": r, "清单行": f"{g}|{k}|{r}",
         "排序值": record_key(check.seed, g, k, r) if check.seed else "", "是否抽中": (g, k, r) in sample}
        for g, k, r in canonical(check.eligible or [])
    ] or [{"代表组编号": "", "类别": "", "记录编号": "", "排序值": ""}])
    return d, {"抽查概况": info, "抽取记录与核查结果": items, "代表组评定": grades, "可抽记录清单": eligible}


def export_xlsx(session: Session, actor: Actor, check_id: int) -> bytes:
    """One check as .xlsx: rule, source, seed, fingerprint, sample with findings, grades, eligible list."""
    from services.excel import to_xlsx

    d, frames = _export_frames(session, actor, check_id)
    return to_xlsx(frames, title=f"第{d['id']}号抽查记录",
                   notes=["任何人可按“复现方法”用可抽记录清单、随机值来源和随机值重新抽取并核对。"])


def _cell(v: object) -> str:
    return fmt_date(v) if isinstance(v, date | datetime) else ("" if v is None else str(v))


def write_docx(title: str, blocks: Sequence[tuple], *, formal: bool = False, day: date | None = None) -> bytes:
    """The one place this module writes Word, always in the 公文 layout of services.documents.

    ``blocks``: ("h", text) a heading, ("p", text) a paragraph, ("pre", text) text to copy exactly
    (flush left), ("table", headers, rows) a table. Text goes in as plain runs (never interpreted).
    ``formal``: the 抽查记录 handed up (body in 三号, signed before its appendix); otherwise the
    compact variant (小四) so that the 公告 and the 验证单 stay on one page. ``day``: the 成文日期
    (default today).
    """
    from services.documents import GongWen

    day = day or today()
    g = GongWen(title, compact=not formal)
    signed = False
    for block in blocks:
        if block[0] == "h" and str(block[1]).startswith("附录") and not signed:
            g.signature(day)  # the record is dated before its appendix
            signed = True
        if block[0] == "h":
            g.heading(str(block[1]), number=False)
        elif block[0] == "p":
            g.para(str(block[1]), indent=formal)
        elif block[0] == "pre":
            g.para(str(block[1]), indent=False)
        elif block[0] == "table":
            g.table([str(c) for c in block[1]], [[_cell(v) for v in rec] for rec in block[2]], small=not formal)
    if not signed:
        g.signature(day)
    return g.to_bytes()


def export_docx(session: Session, actor: Actor, check_id: int) -> bytes:
    """One check as a printable Word record in plain words; digests only in the appendix."""
    from services.validation import printable

    d = printable(check_detail(session, actor, check_id))  # a pasted control character must not break it
    groups = "、".join(g["代表组"] for g in d["grades"]) or "（尚未开签）"
    blocks: list[tuple] = [
        ("p", f"抽查期间：{fmt_date(d['period'][0])} 至 {fmt_date(d['period'][1])}"),
        ("p", f"抽查规则：{d['rule_text']}"),
        ("p", f"封存：{fmt_date(d['created_at'])}，督查人员 {d['created_by']}；可抽记录 {d['eligible_count']} 条。"),
        ("p", f"随机值：{source_words(d)}。"),
        ("p", f"被抽查代表组：{groups}；抽取记录 {len(d['items'])} 条。状态：{d['status']}。"),
    ]
    if d["reseal_reason"]:
        blocks.append(("p", f"再次封存理由：{d['reseal_reason']}"))
    if d["abandoned"]:
        blocks.append(("p", f"作废：{d['abandoned']}"))
    blocks.append(("h", "抽取记录与核查结果"))
    blocks.append(("table", ["代表组", "类别", "记录", "结果", "发现的问题"],
                   [[i["代表组"], i["类别"], i["记录"], i["结果"] or "未核查",
                     i["说明"] + (f"（修订：{i['修订说明']}）" if i["修订说明"] else "")] for i in d["items"]]
                   or [["", "", "本次未抽到记录", "", ""]]))
    blocks.append(("h", "代表组评定"))
    blocks.append(("table", ["代表组", "抽取条数", "已核查", "评定"],
                   [[g["代表组"], f"{g['抽取条数']}条", f"{g['已核查']}条", g["评定"]] for g in d["grades"]]
                   or [["", "", "", ""]]))
    blocks.append(("p", "检查人签字：____________　　被检查代表组联络员签字：____________　　日期：__________"))
    blocks.append(("h", "附录：复核数据"))
    blocks.append(("p", f"可抽记录清单指纹（SHA-256）：{d['fingerprint']}"))
    blocks.append(("p", f"随机种子（SHA-256）：{d['seed'] or '尚未开签'}"))
    blocks.append(("p", "复核方法见《抽查验证单》。"))
    return write_docx(f"代表组活动记录抽查记录（第{d['id']}号）", blocks, formal=True)


def announcement_docx(session: Session, actor: Actor, check_id: int) -> bytes:
    """抽查公告 to print or post at 封存: the rule, how many records, the fingerprint, and when and from
    where the random value will be taken."""
    _require_reader(actor)
    check = _get_check(session, check_id)
    sealer = people.names_of(session, [check.created_by]).get(check.created_by, check.created_by)
    blocks: list[tuple] = [("p", announcement_text(check, sealer)),
                           ("p", "开签后，可抽记录清单、随机值和抽中的记录将随《抽查验证单》一并公布。"),
                           ("p", f"督查人员：{sealer}")]
    return write_docx(f"代表组活动记录抽查公告（第{check.id}号）", blocks, day=check.created_at.date())


# record numbers on paper are separated by a space: a printed line may break there, never inside a
# number ("607、609" is one unbreakable word to a line breaker, which then cut "60" from "7")
NUMBER_SEP = " "


def _sample_lines(sample: Sequence[Sequence], names: dict[int, str]) -> list[str]:
    """The sample one group a line: "城关代表组（1）：开箱记录 2682 2738；来信 629" (fits one page)."""
    per: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for g, k, r in sample:
        per[int(g)][k].append(str(r))
    return [f"{names.get(g, '')}（{g}）：" + "；".join(f"{k} {NUMBER_SEP.join(ids)}" for k, ids in kinds.items())
            for g, kinds in per.items()]


def _ranges(ids: Sequence[int]) -> str:
    """Record numbers compactly: "3 7–10 15" ("a–b": every number from a to b)."""
    ids = sorted(set(int(i) for i in ids))
    out: list[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if j == i else (f"{ids[i]}{NUMBER_SEP}{ids[j]}" if j == i + 1 else f"{ids[i]}–{ids[j]}"))
        i = j + 1
    return NUMBER_SEP.join(out)


def _group_draw_blocks(check: models.SpotCheck, names: dict[int, str]) -> list[tuple]:
    """The 验证单's steps 3 and 4 on paper: the candidate group numbers and how many are drawn, then
    in each chosen group each kind's eligible record numbers and how many are kept."""
    rule = check.rule or {}
    if not check.seed or rule.get("recipe") == RECIPE_V1:
        return []
    cands = sorted({int(g) for g in rule.get("groups") or []})
    chosen = _chosen_groups(rule, check.seed)
    if rule.get("group_count") is not None and int(rule["group_count"]) < len(cands):
        how = (f"候选代表组编号：{'、'.join(map(str, cands))}（共{len(cands)}个），随机抽取{rule['group_count']}个："
               f"每组排序值 = SHA256(种子|组|代表组编号)，升序取前{rule['group_count']}个。")
    else:
        how = f"候选代表组编号：{'、'.join(map(str, cands))}（共{len(cands)}个），全部抽取。"
    pools: dict[tuple[int, str], list[int]] = defaultdict(list)
    for g, k, r in canonical(check.eligible or []):
        if g in chosen:
            pools[(g, k)].append(r)
    lines = []
    for g in chosen:
        for k in rule.get("kinds") or []:
            ids = pools.get((g, k), [])
            lines.append(f"代表组{g}（{names.get(g, '')}）{k}：{len(ids)}条，应抽{kind_share(rule, k, len(ids))}条"
                         + (f"；记录编号 {_ranges(ids)}" if ids else ""))
    return [("h", "三、抽取代表组"), ("p", how),
            ("p", f"抽中的代表组编号：{'、'.join(map(str, chosen)) or '无'}"),
            ("h", "四、抽中代表组的可抽记录（“a–b”表示 a 到 b 的每个编号）"),
            *[("p", line) for line in lines]]


def verification_sheet(session: Session, actor: Actor, check_id: int) -> bytes:
    """抽查验证单: what any group needs to redo the draw with a SHA-256 tool, on paper: the recipe,
    the fingerprint, the source and value (the text whose SHA-256 is the seed), the candidate group
    numbers and how many are drawn, each chosen group's eligible record numbers per kind with how
    many are kept, and the sample (the full list, for the fingerprint, is in the .xlsx export)."""
    d = check_detail(session, actor, check_id)
    check = _get_check(session, check_id)
    redo = rederive(check)
    names = group_names(session, check.rule["groups"])
    if d["v1"]:
        seed_line = f"随机种子 = SHA256(“{d['witness']}|{d['drawn_at']}”)（旧版方法）"
    else:
        seed_line = f"随机种子 = SHA256(“{d['fingerprint']}|{d['source']}|{d['witness']}”)"
    blocks: list[tuple] = [
        ("p", f"抽查规则：{d['rule_text']}"),
        ("h", "一、怎样复核"),
        ("p", RECIPE_TEXT),
        ("p", "用任何 SHA-256 工具（如 Excel 插件、sha256sum、在线工具）对文字按 UTF-8 编码计算，结果为64位小写十六进制；"
              "排序值按文字升序排列即可。抽取代表组和记录只需本单第二至四部分；核对清单指纹须用本次抽查导出的 Excel"
              "“可抽记录清单”工作表（“清单行”一列）中的完整清单。"),
        ("h", "二、本次数据"),
        ("p", f"可抽记录：{d['eligible_count']} 条；清单指纹：{d['fingerprint']}"),
        ("p", f"随机值来源：{source_words(d)}"),
        ("p", f"按复现方法书写的来源：{d['source'] or '尚未开签'}；随机值：{d['witness'] or '尚未开签'}"),
        ("p", seed_line),
        ("p", f"随机种子：{d['seed'] or '尚未开签'}"),
        *_group_draw_blocks(check, names),
        ("h", "五、抽中的记录（代表组（编号）：类别 记录编号）"),
        *([("p", line) for line in _sample_lines(check.sample or [], names)] or [("p", "无")]),
        ("p", "系统复核：" + ("一致（按上述方法重新计算，指纹、种子和样本与保存的相同）" if redo["ok"]
                          else "不一致，请联系督查人员") if check.seed else "系统复核：尚未开签"),
    ]
    return write_docx(f"抽查验证单（第{d['id']}号抽查）", blocks)


# ---------------------------------------------------------------- demo data


def demo_checks(session: Session, day: date, seed: int) -> int:
    """Demo spot checks through the same functions as the page, dated from ``day``: the quarter
    before last drawn from a lottery and finished (one exception, the rest 其余全部合格); last
    quarter one 封存 abandoned with its reason, sealed again with a reason, opened with dice and a
    group liaison, findings half recorded; this quarter's list sealed, waiting for its draw.
    Returns the number of checks."""
    import random

    rng = random.Random(f"{seed}:spotchecks")
    sup = Actor("supervisor", "supervisor", display_name="李建国")
    groups = sorted(group_choices(session, sup))
    if not groups:
        return 0
    q_now = quarter_of(day)[0]
    q1 = quarter_of(q_now - timedelta(days=1))
    q0 = quarter_of(q1[0] - timedelta(days=1))
    n = default_group_count(session, len(groups))

    def at(d: date, hour: int) -> datetime:
        return datetime(d.year, d.month, d.day, hour, 0)

    def lottery() -> str:
        return " ".join(f"{x:02d}" for x in sorted(rng.sample(range(1, 34), 6))) + f" {rng.randint(1, 16):02d}"

    made = 0
    # the quarter before last: lottery, finished
    sealed = q1[0] + timedelta(days=3)
    if sealed < day:
        rule = build_rule(session, sup, period_start=q0[0], period_end=q0[1], kinds=list(DEFAULT_KINDS),
                          group_count=n, on=sealed)
        c = seal_check(session, sup, rule, source_kind="彩票开奖", source_name=LOTTERY_DEFAULT,
                       source_ref=f"{sealed.year}{rng.randint(10, 99):03d}", source_due=sealed + timedelta(days=2),
                       at=at(sealed, 10))
        open_check(session, sup, c.id, value=lottery(), at=at(sealed + timedelta(days=3), 9))
        items = session.execute(select(models.SpotCheckItem).where(models.SpotCheckItem.check_id == c.id)
                                .order_by(models.SpotCheckItem.id)).scalars().all()
        if items:  # one exception: an applicable checklist item fails, the record is 基本合格
            first = items[0]
            marks = {n: preset_checklist(session, first.record_kind).get(n, "通过")
                     for n in settings.get(session, "spotcheck_checklist")}
            failing = next((n for n, v in reversed(marks.items()) if v == "通过"), None)
            if failing:
                marks[failing] = "不通过"
            record_finding(session, sup, first.id, marks, "基本合格", "签到表照片不清晰",
                           at=at(sealed + timedelta(days=4), 10))
        for g in sorted({i.group_id for i in items}):
            pass_the_rest(session, sup, c.id, g, at=at(sealed + timedelta(days=4), 11))
        made += 1
    # last quarter: abandoned, sealed again with a reason, dice at a meeting, half recorded
    sealed = q_now + timedelta(days=2)
    if sealed + timedelta(days=1) < day:
        rule = build_rule(session, sup, period_start=q1[0], period_end=q1[1], kinds=["联系活动"],
                          group_count=n, on=sealed)
        c = seal_check(session, sup, rule, source_kind="彩票开奖", source_name=LOTTERY_DEFAULT,
                       source_ref=f"{sealed.year}{rng.randint(100, 150):03d}", source_due=sealed + timedelta(days=2),
                       at=at(sealed, 10))
        abandon_check(session, sup, c.id, "漏选了来信和开箱记录，重新封存", at=at(sealed, 11))
        # dice at a meeting of one office's groups, confirmed by that office's liaison (the staff account
        # covering them); the demo's dice are not typed by a person, so the confirmation is taken as given
        U = models.User
        second = session.execute(select(U).where(U.active.is_(True), U.role == "staff", U.office_id.is_not(None))
                                 .order_by(U.id)).scalars().first()
        offices = _group_offices(session, groups)
        mine = [g for g in groups if second is not None and offices.get(g) == second.office_id]
        if not mine:  # no liaison account: another supervisor's, else any other account
            second = session.execute(select(U).where(U.active.is_(True), U.username != sup.username)
                                     .order_by(U.role.desc(), U.id)).scalars().first()
            mine = groups
        k = min(n, len(mine))
        rule = build_rule(session, sup, period_start=q1[0], period_end=q1[1], kinds=list(DEFAULT_KINDS),
                          groups=mine, group_count=k if k < len(mine) else None, on=sealed)
        c2 = seal_check(session, sup, rule, source_kind="现场掷骰", source_name="季度督查工作会",
                        source_ref="区人大常委会302会议室", source_due=sealed + timedelta(days=1),
                        reason="第一次封存漏选了来信和开箱记录", dice=3, at=at(sealed, 11))
        open_check(session, sup, c2.id, value=" ".join(str(rng.randint(1, 6)) for _ in range(3)),
                   at=at(sealed + timedelta(days=1), 15), _second=second)
        grades = session.execute(select(models.SpotCheckGrade.group_id).where(
            models.SpotCheckGrade.check_id == c2.id).order_by(models.SpotCheckGrade.group_id)).scalars().all()
        if grades:
            pass_the_rest(session, sup, c2.id, grades[0], at=at(sealed + timedelta(days=2), 10))
        made += 2
    # this quarter: sealed, waiting for the draw
    end = day - timedelta(days=1)
    if q_now <= end:
        rule = build_rule(session, sup, period_start=q_now, period_end=end, kinds=list(DEFAULT_KINDS),
                          group_count=n, on=day)
        seal_check(session, sup, rule, source_kind="彩票开奖", source_name=LOTTERY_DEFAULT,
                   source_ref=f"{day.year}{rng.randint(151, 199):03d}", source_due=day + timedelta(days=2),
                   reason="本季度中期抽查" if earlier_seals(session, rule) else "", at=at(day, 8))
        made += 1
    return made


# ---------------------------------------------------------------- 工作台


def unchecked_groups(session: Session, actor: Actor, since: date) -> dict[int, str]:
    """Active groups (in the actor's scope) not checked since ``since``: a group counts as checked
    only when a check opened on or after that day has its findings recorded and the group graded
    (a 封存 or a draw alone does not count; an abandoned check never does)."""
    dg = models.DeputyGroup
    checked = select(models.SpotCheckGrade.group_id).join(
        models.SpotCheck, models.SpotCheck.id == models.SpotCheckGrade.check_id
    ).where(models.SpotCheck.opened_at >= datetime.combine(since, datetime.min.time()),
            models.SpotCheck.status != "已作废", models.SpotCheckGrade.grade.is_not(None))
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
        out.append(Figure("R16", "本季度未抽查代表组", n, "个", "spotchecks", {"tab": "封存与开签"},
                          bad=total - n < default_group_count(session, int(total)),
                          help=f"{fmt_date(start)}起尚未完成抽查（核查结论已记录并已评定）的代表组；"
                               "每季度应抽查不少于20%的代表组（至少2个）"))
    return out
