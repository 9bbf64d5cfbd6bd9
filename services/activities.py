"""联系选民活动: logging activities (R2), the ledger, evidence levels, import, the mix per deputy
and group, typical cases (R18), and who falls short: R1 (too few activities), R4 (problems raised
often with no proposal yet), R5 (no livelihood issue resolved this year).

Decisions (also in the README):
- Who is listed for a year (R1, R5): the deputies serving on the year's reference day
  (``deputies.serving_at``: 31 December of a past year, today in the current year), in the group
  of that day. A past year's lists never change when a deputy resigns or moves today.
- R1 counts a deputy's activities of the year that ``rules.counts_for_r1`` admits (a record a spot
  check found 不合格 is void), in any district. What a deputy owes is ``deputies.r1_required``:
  the minimum (setting r1_min_activities), pro rata from the first day served in the year.
- The activity form accepts a deputy only when serving on the activity's date, in the group of
  the district on that date (``deputies.serving_on``).
- R5: a deputy is credited with a resolved livelihood opinion by ``rules.opinion_credit`` (the
  deputy named in charge alone; else the deputies of its activity) and ``rules.opinion_resolved``
  (已解决 / 已反馈选民, resolved in the year).
- R4 groups opinions and letters of the year by category and district; activity opinions count
  once per activity, letters once each (不予受理 / 已合并 excluded). A group is listed when it has at
  least r4_threshold sources and none of them is linked to a proposal (ProposalSource).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from db import models
from services import clock, deputies, imports, masterdata, people, rules, settings
from services import opinions as opinion_service
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    PermissionDenied,
    ValidationError,
    check_version,
    group_office,
    last_change,
    paginate,
    scope_filter,
    today,
)
from services.excel import read_xlsx, to_xlsx
from services.states import (
    ActivityKind,
    DeputyStatus,
    OpinionSource,
    OpinionStatus,
    Organiser,
    RecordKind,
    values,
)
from services.validation import clean_text, fmt_date, free_text_for, parse_date

ORGANISERS = values(Organiser)
KINDS = values(ActivityKind)
ATTACHMENTS = {"has_signin": "签到表", "has_photos": "照片", "has_other": "其他"}
EVIDENCE_LEVELS = ["仅登记", "有佐证", "已核实"]


# ---------------------------------------------------------------- choices and scope helpers


def target_groups(session: Session) -> list[str]:
    """联系对象 choices (setting activity_target_groups)."""
    return list(settings.get(session, "activity_target_groups"))


def modes(session: Session) -> list[str]:
    """活动形式 choices (setting activity_modes)."""
    return list(settings.get(session, "activity_modes"))


def evidence_level(has_signin: bool, has_photos: bool, voters: int, verified_at: datetime | None) -> str:
    """仅登记 / 有佐证 (sign-in sheet or photos noted, voters counted) / 已核实 (verified)."""
    if verified_at is not None:
        return "已核实"
    if (has_signin or has_photos) and (voters or 0) > 0:
        return "有佐证"
    return "仅登记"


def district_options(session: Session, actor: Actor) -> dict[int, str]:
    """Active districts inside the actor's scope: {id: "第1选区（东城第一代表组）"}."""
    stmt = (
        select(models.District.id, models.District.name, models.DeputyGroup.name)
        .join(models.DeputyGroup, models.DeputyGroup.id == models.District.group_id)
        .where(models.District.active.is_(True))
        .order_by(models.DeputyGroup.name, models.District.name)
    )
    stmt = scope_filter(stmt, actor, models.DeputyGroup.office_id, models.DeputyGroup.id)
    return {i: f"{d}（{g}）" for i, d, g in session.execute(stmt)}


def group_options(session: Session, actor: Actor) -> dict[int, str]:
    """Deputy groups inside the actor's scope: {id: name}."""
    stmt = select(models.DeputyGroup.id, models.DeputyGroup.name).order_by(models.DeputyGroup.name)
    stmt = scope_filter(stmt, actor, models.DeputyGroup.office_id, models.DeputyGroup.id)
    return dict(session.execute(stmt).all())


def office_options(session: Session, actor: Actor) -> dict[int, str]:
    """Offices inside the actor's scope: {id: name}."""
    stmt = select(models.Office.id, models.Office.name).order_by(models.Office.name)
    if actor.group_id is not None:
        stmt = stmt.where(models.Office.id == group_office(session, actor.group_id))
    elif actor.office_id is not None:
        stmt = stmt.where(models.Office.id == actor.office_id)
    return dict(session.execute(stmt).all())


def deputy_options(session: Session, actor: Actor, group_id: int | None = None,
                   serving_only: bool = True, day: date | None = None) -> dict[int, str]:
    """Deputies inside the actor's scope: {id: "张伟 zw（东城第一代表组）"}.

    With ``day``: the deputies serving on that day, in the group of that day
    (``deputies.serving_on``'s rule: what the activity form accepts for an activity of that date).
    Without: ``serving_only`` keeps those serving today. The label carries the pinyin initials
    (Deputy.pinyin) so that a multiselect finds a deputy by typing "zw" as well as "张伟"
    (services.masterdata.deputy_options labels lack them).
    """
    D, G = models.Deputy, models.DeputyGroup
    if day is not None:
        sub = deputies.serving_at(day.year, day=day)
        stmt = select(D.id, D.name, D.pinyin, G.name).join(sub, sub.c.deputy_id == D.id).join(G, G.id == sub.c.group_id)
        office_col, group_col = sub.c.office_id, sub.c.group_id
    else:
        stmt = select(D.id, D.name, D.pinyin, G.name).join(G, G.id == D.group_id)
        office_col, group_col = G.office_id, D.group_id
        if serving_only:
            stmt = stmt.where(D.status == DeputyStatus.SERVING)
    stmt = scope_filter(stmt.order_by(G.name, D.name), actor, office_col, group_col)
    if group_id is not None:
        stmt = stmt.where(group_col == group_id)
    return {i: masterdata.picker_label(n, p, g) for i, n, p, g in session.execute(stmt)}


def group_of_district(session: Session, district_id: int | None) -> int | None:
    """Return the group id of a district (None when unknown)."""
    d = session.get(models.District, district_id) if district_id else None
    return d.group_id if d else None


# ---------------------------------------------------------------- validation and writes


def _check_deputies_on(session: Session, chosen: list[models.Deputy], day: date, group_id: int) -> dict[str, str]:
    """The activity's deputies on its date: each must be serving that day (``deputies.serving_on``),
    in the group of the activity's district (the group of that day, not today's)."""
    on_day = deputies.serving_on(session, [d.id for d in chosen], day)
    gone = [d.name for d in chosen if d.id not in on_day]
    outside = [d.name for d in chosen if d.id in on_day and on_day[d.id] != group_id]
    msgs = []
    if outside:
        msgs.append("以下代表不属于该选区所在代表组：" + "、".join(outside))
    if gone:
        msgs.append("以下代表在活动日期不在任：" + "、".join(gone))
    return {"deputy_ids": "；".join(msgs)} if msgs else {}


def _validate(session: Session, data: dict, *, fields_prefix: str = "") -> tuple[dict, dict[str, str]]:
    """Check one activity's fields; return (clean values, {field: Chinese message})."""
    errors: dict[str, str] = {}
    clean: dict = {}
    try:
        held = parse_date(data.get("held_on"))
    except ValueError as exc:
        held = None
        errors["held_on"] = str(exc)
    if held is None:
        errors.setdefault("held_on", "请填写活动日期")
    elif held > today():
        errors["held_on"] = "活动日期不能晚于今天（不能登记尚未举行的活动）"
    elif held.year < 2000:
        errors["held_on"] = "活动日期不正确"
    clean["held_on"] = held
    place = clean_text(data.get("place"))
    if not place:
        errors["place"] = "请填写活动地点"
    elif len(place) > 128:
        errors["place"] = "活动地点不超过128个字"
    clean["place"] = place
    district = session.get(models.District, data.get("district_id")) if data.get("district_id") else None
    if district is None:
        errors["district_id"] = "请选择选区"
    clean["district"] = district
    organiser = clean_text(data.get("organiser"))
    if organiser not in ORGANISERS:
        errors["organiser"] = "请选择组织方式"
    clean["organiser"] = organiser
    kind = clean_text(data.get("kind"))
    if kind not in KINDS:
        errors["kind"] = "请选择活动类型（问难/问需/问计/其他）"
    clean["kind"] = kind
    allowed_targets = target_groups(session)
    targets = [clean_text(t) for t in (data.get("targets") or []) if clean_text(t)]
    bad_targets = [t for t in targets if t not in allowed_targets]
    if not targets:
        errors["targets"] = "请至少选择一类联系对象"
    elif bad_targets:
        errors["targets"] = "联系对象不在可选范围内：" + "、".join(bad_targets)
    clean["targets"] = list(dict.fromkeys(targets))
    mode = clean_text(data.get("mode"))
    if mode not in modes(session):
        errors["mode"] = "请选择活动形式"
    clean["mode"] = mode
    ids = list(dict.fromkeys(int(i) for i in (data.get("deputy_ids") or [])))
    chosen = session.execute(select(models.Deputy).where(models.Deputy.id.in_(ids))).scalars().all() if ids else []
    if not ids:
        errors["deputy_ids"] = "请至少选择一位参加代表"
    elif len(chosen) != len(ids):
        errors["deputy_ids"] = "所选代表不存在"
    elif district is not None and held is not None:
        errors.update(_check_deputies_on(session, chosen, held, district.group_id))
    if ids and organiser == Organiser.DEPUTY and len(ids) > 1 and "deputy_ids" not in errors:
        errors["organiser"] = "“代表个人”组织的活动只能有一位参加代表；多位代表请选“代表组统一组织”"
    clean["deputies"] = chosen
    try:
        voters = int(str(data.get("voters_reached") if data.get("voters_reached") is not None else "").strip() or 0)
    except ValueError:
        voters = 0
        errors["voters_reached"] = "联系选民人数应为整数"
    if "voters_reached" not in errors:
        if voters <= 0:
            errors["voters_reached"] = "联系选民人数应大于0"
        elif voters > 100000:
            errors["voters_reached"] = "联系选民人数过大，请核对"
    clean["voters_reached"] = voters
    summary = clean_text(data.get("summary"))
    if not summary:
        errors["summary"] = "请填写活动内容"
    elif len(summary) > 5000:
        errors["summary"] = "活动内容不超过5000字"
    clean["summary"] = summary
    for key in ("has_signin", "has_photos", "has_other", "typical"):
        clean[key] = bool(data.get(key))
    return clean, errors


def _apply(obj: models.Activity, clean: dict) -> None:
    """Copy checked values onto an activity."""
    district = clean["district"]
    obj.held_on = clean["held_on"]
    obj.place = clean["place"]
    obj.district_id = district.id
    obj.group_id = district.group_id
    obj.organiser = clean["organiser"]
    obj.kind = clean["kind"]
    obj.targets = clean["targets"]
    obj.mode = clean["mode"]
    obj.voters_reached = clean["voters_reached"]
    obj.summary = clean["summary"]
    obj.has_signin = clean["has_signin"]
    obj.has_photos = clean["has_photos"]
    obj.has_other = clean["has_other"]
    obj.typical = clean["typical"]
    obj.deputies = list(clean["deputies"])


def _add_opinions(session: Session, actor: Actor, act: models.Activity, rows: list[dict]) -> int:
    """Insert checked opinion rows for an activity; return how many."""
    lead = act.deputies[0].id if len(act.deputies) == 1 else None
    for row in rows:
        opinion_service._create(
            session, actor, source=OpinionSource.ACTIVITY, activity_id=act.id, report_id=None, deputy_id=lead,
            district_id=act.district_id, group_id=act.group_id, raised_on=act.held_on,
            content=row["content"], category=row["category"], is_livelihood=row["is_livelihood"],
            forwarded_to=row["forwarded_to"], body_id=row.get("body_id"),
        )
    return len(rows)


def create_activity(session: Session, actor: Actor, data: dict, opinion_rows: list[dict] | None = None) -> int:
    """Log one activity with the opinions collected there; return its id. Nothing is written
    when any field or opinion row is wrong (ValidationError names each field)."""
    actor.require_write("activity")
    clean, errors = _validate(session, data)
    rows, op_errors = opinion_service.check_rows(session, opinion_rows or [])
    errors.update(op_errors)
    if rows:
        actor.require_write("opinion")
    if errors:
        raise ValidationError(errors)
    district = clean["district"]
    office_id = group_office(session, district.group_id)
    actor.require_scope(office_id, district.group_id)
    act = models.Activity(office_id=office_id, created_by=actor.username)
    _apply(act, clean)
    session.add(act)
    session.flush()
    _add_opinions(session, actor, act, rows)
    session.flush()
    return act.id


def _load(session: Session, actor: Actor, activity_id: int) -> models.Activity:
    """Return an activity inside the actor's scope, or raise NotFound."""
    act = session.get(models.Activity, activity_id)
    if act is None or not actor.in_scope(act.office_id, act.group_id):
        raise NotFound("该活动不存在或不在您的负责范围内。")
    return act


def deleted_note(session: Session, activity_id: int) -> str:
    """Who deleted activity ``activity_id`` and when, from the 操作日志 ("" while it exists)."""
    if session.get(models.Activity, activity_id) is not None:
        return ""
    return last_change(session, "Activity", activity_id)


def update_activity(session: Session, actor: Actor, activity_id: int, data: dict,
                    expected_version: int | None, opinion_rows: list[dict] | None = None) -> None:
    """Save an edited activity (optimistic locking) and append any new opinion rows.

    Editing the facts of a verified activity clears its verification (it must be confirmed again).
    """
    actor.require_write("activity")
    act = _load(session, actor, activity_id)
    check_version(act, expected_version, "该活动")
    clean, errors = _validate(session, data)
    rows, op_errors = opinion_service.check_rows(session, opinion_rows or [])
    errors.update(op_errors)
    if errors:
        raise ValidationError(errors)
    district = clean["district"]
    office_id = group_office(session, district.group_id)
    actor.require_scope(office_id, district.group_id)
    if act.district_id != district.id and session.execute(
        select(func.count()).select_from(models.Opinion).where(models.Opinion.activity_id == act.id)
    ).scalar_one():
        moved = session.execute(select(models.Opinion).where(models.Opinion.activity_id == act.id)).scalars()
        for op in moved:
            op.district_id, op.group_id = district.id, district.group_id
    facts_before = (act.held_on, act.voters_reached, act.has_signin, act.has_photos,
                    sorted(d.id for d in act.deputies))
    finding = rules.spotcheck_finding(session, RecordKind.ACTIVITY, act.id)
    if finding and (clean["held_on"] != act.held_on
                    or sorted(d.id for d in clean["deputies"]) != facts_before[4]):
        raise ValidationError({"": f"该活动已被抽查核查（结论：{finding}），不能更改活动日期和参加代表；"
                                   "如记录有误，请联系督查人员。"})
    _apply(act, clean)
    act.office_id = office_id
    facts_after = (act.held_on, act.voters_reached, act.has_signin, act.has_photos,
                   sorted(d.id for d in act.deputies))
    if act.verified_at is not None and facts_before != facts_after:
        act.verified_by = None
        act.verified_at = None
    session.flush()
    _add_opinions(session, actor, act, rows)
    session.flush()


def delete_activity(session: Session, actor: Actor, activity_id: int, expected_version: int | None) -> None:
    """Delete an activity with its opinions (each deletion is audited). Refused when one of its
    opinions is the source of a proposal."""
    actor.require_write("activity")
    act = _load(session, actor, activity_id)
    check_version(act, expected_version, "该活动")
    finding = rules.spotcheck_finding(session, RecordKind.ACTIVITY, act.id)
    if finding:
        raise ValidationError({"": f"该活动已被抽查核查（结论：{finding}），不能删除；如记录有误，请联系督查人员。"})
    op_ids = list(session.execute(
        select(models.Opinion.id).where(models.Opinion.activity_id == act.id)
    ).scalars())
    if op_ids and session.execute(
        select(func.count()).select_from(models.ProposalSource).where(models.ProposalSource.opinion_id.in_(op_ids))
    ).scalar_one():
        raise ValidationError({"": "该活动收集的意见已形成议案建议，不能删除；如需更正请编辑活动。"})
    for ev in session.execute(select(models.OpinionEvent).where(models.OpinionEvent.opinion_id.in_(op_ids))).scalars() if op_ids else []:
        session.delete(ev)
    for op in session.execute(select(models.Opinion).where(models.Opinion.activity_id == act.id)).scalars():
        session.delete(op)
    session.flush()
    act.deputies = []
    session.flush()
    session.delete(act)
    session.flush()


def verify_activity(session: Session, actor: Actor, activity_id: int, note: str = "",
                    expected_version: int | None = None) -> None:
    """Mark an activity 已核实 (by the liaison committee or after a spot check): who and when.
    With ``expected_version`` (the page's form) an activity changed or verified by someone else
    since the page was drawn is refused: what was checked is what is marked."""
    actor.require_write("activity.verify")
    act = _load(session, actor, activity_id)
    check_version(act, expected_version, "该活动")
    act.verified_by = actor.display_name or actor.username
    act.verified_at = clock.now()
    session.flush()


def get_activity(session: Session, actor: Actor, activity_id: int) -> dict:
    """Return one activity for the detail view and the edit form, with its opinions and steps."""
    act = _load(session, actor, activity_id)
    district = session.get(models.District, act.district_id)
    group = session.get(models.DeputyGroup, act.group_id)
    return {
        "id": act.id, "version": act.version, "held_on": act.held_on, "place": act.place,
        "district_id": act.district_id, "district": district.name if district else "",
        "group_id": act.group_id, "group": group.name if group else "", "organiser": act.organiser,
        "kind": act.kind, "targets": list(act.targets or []), "mode": act.mode,
        "deputy_ids": [d.id for d in act.deputies], "deputies": [d.name for d in act.deputies],
        "voters_reached": act.voters_reached, "summary": free_text_for(actor.role)(act.summary), "has_signin": act.has_signin,
        "has_photos": act.has_photos, "has_other": act.has_other, "typical": act.typical,
        "verified_by": people.name_of(session, act.verified_by), "verified_at": act.verified_at,
        "evidence": evidence_level(act.has_signin, act.has_photos, act.voters_reached, act.verified_at),
        "created_by": people.name_of(session, act.created_by), "created_at": act.created_at,
        "opinions": opinion_service.of_activity(session, actor, act.id),
    }


# ---------------------------------------------------------------- the ledger


def _filtered(session: Session, actor: Actor, f: dict):
    """Activity ids matching the ledger filters, as a select (scope applied)."""
    A = models.Activity
    stmt = select(A.id)
    stmt = scope_filter(stmt, actor, A.office_id, A.group_id)
    year = f.get("year")
    quarter = f.get("quarter")
    if year:
        lo, hi = deputies.year_bounds(int(year))
        if quarter:
            q = int(quarter)
            lo = date(int(year), 3 * q - 2, 1)
            hi = date(int(year) + 1, 1, 1) if q == 4 else date(int(year), 3 * q + 1, 1)
            stmt = stmt.where(A.held_on >= lo, A.held_on < hi)
        else:
            stmt = stmt.where(A.held_on.between(lo, hi))
    elif quarter:
        stmt = stmt.where(extract("month", A.held_on).between(3 * int(quarter) - 2, 3 * int(quarter)))
    if f.get("office"):
        stmt = stmt.where(A.office_id == int(f["office"]))
    if f.get("group"):
        stmt = stmt.where(A.group_id == int(f["group"]))
    if f.get("district"):
        stmt = stmt.where(A.district_id == int(f["district"]))
    if f.get("deputy"):
        stmt = stmt.where(exists().where(models.ActivityDeputy.activity_id == A.id,
                                         models.ActivityDeputy.deputy_id == int(f["deputy"])))
    if f.get("kind"):
        stmt = stmt.where(A.kind == f["kind"])
    if f.get("mode"):
        stmt = stmt.where(A.mode == f["mode"])
    if f.get("organiser"):
        stmt = stmt.where(A.organiser == f["organiser"])
    if f.get("target"):
        # JSON text holds the name as written (MySQL) or \\u-escaped (SQLite, PostgreSQL json)
        import json

        raw = cast(A.targets, String)
        escaped = json.dumps(f["target"])
        plain = json.dumps(f["target"], ensure_ascii=False)
        stmt = stmt.where(or_(raw.contains(escaped, autoescape=True), raw.contains(plain, autoescape=True)))
    if f.get("typical"):
        stmt = stmt.where(A.typical.is_(True))
    if f.get("evidence"):
        level = f["evidence"]
        has = and_(or_(A.has_signin.is_(True), A.has_photos.is_(True)), A.voters_reached > 0)
        if level == "已核实":
            stmt = stmt.where(A.verified_at.is_not(None))
        elif level == "有佐证":
            stmt = stmt.where(A.verified_at.is_(None), has)
        elif level == "仅登记":
            stmt = stmt.where(A.verified_at.is_(None), ~has)
    if f.get("q"):
        text = clean_text(f["q"])[:50]
        name_hit = exists().where(
            models.ActivityDeputy.activity_id == A.id,
            models.ActivityDeputy.deputy_id == models.Deputy.id,
            or_(models.Deputy.name.contains(text, autoescape=True),
                models.Deputy.pinyin == text.lower()),
        )
        stmt = stmt.where(or_(A.summary.contains(text, autoescape=True),
                              A.place.contains(text, autoescape=True), name_hit))
    return stmt


def _deputy_names_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """{activity id: [deputy names]} for one page of activities, in one query."""
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(models.ActivityDeputy.activity_id, models.Deputy.name)
        .join(models.Deputy, models.Deputy.id == models.ActivityDeputy.deputy_id)
        .where(models.ActivityDeputy.activity_id.in_(ids))
        .order_by(models.Deputy.name)
    )
    for aid, name in rows:
        out[aid].append(name)
    return out


def _opinion_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """{activity id: number of opinions} for one page of activities, in one query."""
    if not ids:
        return {}
    rows = session.execute(
        select(models.Opinion.activity_id, func.count()).where(models.Opinion.activity_id.in_(ids))
        .group_by(models.Opinion.activity_id)
    )
    return dict(rows.all())


# the orders the activity ledger offers (components.table ``sorts``); the first is the office's
ACTIVITY_SORTS: dict[str, str] = {
    "held_desc": "活动日期：新的在前",
    "held_asc": "活动日期：早的在前",
    "voters_desc": "联系选民人数：多的在前",
    "group": "代表组",
}


def activity_order(sort: str | None) -> list:
    """ORDER BY of the ledger for an ``ACTIVITY_SORTS`` key (unknown keys: newest first)."""
    A = models.Activity
    if sort == "held_asc":
        return [A.held_on, A.id]
    if sort == "voters_desc":
        return [A.voters_reached.desc(), A.held_on.desc(), A.id.desc()]
    if sort == "group":
        return [models.DeputyGroup.name, A.held_on.desc(), A.id.desc()]
    return [A.held_on.desc(), A.id.desc()]


def list_activities(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of the ledger (rows keyed by Chinese column names) with totals 活动 次 / 选民 人,
    in the order ``f["sort"]`` names (``ACTIVITY_SORTS``), ordered in SQL before paging."""
    A = models.Activity
    ids = _filtered(session, actor, f).subquery()
    stmt = (
        select(A, models.District.name, models.DeputyGroup.name)
        .join(ids, ids.c.id == A.id)
        .join(models.District, models.District.id == A.district_id)
        .join(models.DeputyGroup, models.DeputyGroup.id == A.group_id)
        .order_by(*activity_order(f.get("sort")))
    )
    rows, total = paginate(session, stmt, offset, limit)
    page_ids = [r[0].id for r in rows]
    names = _deputy_names_of(session, page_ids)
    ops = _opinion_counts(session, page_ids)
    voters = session.execute(
        select(func.coalesce(func.sum(A.voters_reached), 0)).join(ids, ids.c.id == A.id)
    ).scalar_one()
    out = []
    for a, district, group in rows:
        out.append({
            "id": a.id, "日期": a.held_on, "选区": district, "代表组": group, "地点": a.place,
            "组织方式": a.organiser, "活动类型": a.kind, "活动形式": a.mode, "联系对象": list(a.targets or []),
            "参加代表": names.get(a.id, []), "联系选民（人）": a.voters_reached,
            "意见（条）": ops.get(a.id, 0),
            "佐证等级": evidence_level(a.has_signin, a.has_photos, a.voters_reached, a.verified_at),
            "典型事例": a.typical, "活动内容": free_text_for(actor.role)(a.summary),
        })
    return Page(out, total, {"联系选民": f"{int(voters)} 人"})


def totals(session: Session, actor: Actor, f: dict) -> dict:
    """Totals of the filtered ledger: {"activities": n, "voters": n}."""
    A = models.Activity
    ids = _filtered(session, actor, f).subquery()
    n, v = session.execute(
        select(func.count(), func.coalesce(func.sum(A.voters_reached), 0)).join(ids, ids.c.id == A.id)
    ).one()
    return {"activities": int(n), "voters": int(v)}


def typical_cases(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """R18: activities marked 典型事例 with their summaries (filters as the ledger)."""
    page = list_activities(session, actor, {**f, "typical": True}, offset, limit)
    rows = [
        {"id": r["id"], "日期": r["日期"], "代表组": r["代表组"], "选区": r["选区"], "参加代表": r["参加代表"],
         "活动类型": r["活动类型"], "活动形式": r["活动形式"], "联系选民（人）": r["联系选民（人）"],
         "典型事例内容": r["活动内容"], "佐证等级": r["佐证等级"]}
        for r in page.rows
    ]
    return Page(rows, page.total)


# ---------------------------------------------------------------- import of a historical ledger

IMPORT_HEADERS = ["活动日期", "地点", "选区", "组织方式", "活动类型", "联系对象", "活动形式", "参加代表",
                  "联系选民人数", "活动内容", "签到表", "照片", "其他附件", "典型事例"]
REQUIRED_HEADERS = ["活动日期", "地点", "选区", "参加代表", "联系选民人数", "活动内容"]


def import_template(session: Session, actor: Actor | None = None) -> bytes:
    """The .xlsx template of the historical ledger, with one example row and drop-downs from the
    current master data for every column the importer reads from a fixed list (选区 and 参加代表 of
    the actor's scope, 组织方式, 活动类型, 联系对象, 活动形式, 是/否 of the attachments)."""
    import pandas as pd

    from services.states import Role

    actor = actor or Actor("system", Role.ADMIN)

    example = {
        "活动日期": "2026-03-05", "地点": "某社区居委会", "选区": "第1选区", "组织方式": "代表组统一组织",
        "活动类型": "问需", "联系对象": "一般选民、低收入家庭", "活动形式": "调研座谈", "参加代表": "张伟、王芳",
        "联系选民人数": 30, "活动内容": "听取选民对老旧小区改造的意见", "签到表": "是", "照片": "是",
        "其他附件": "否", "典型事例": "否",
    }
    notes = [
        "组织方式：" + "/".join(ORGANISERS) + "；活动类型：" + "/".join(KINDS),
        "联系对象：" + "、".join(target_groups(session)) + "（多个用顿号分隔）",
        "活动形式：" + "、".join(modes(session)) + "；参加代表填姓名，多个用顿号分隔",
        "请删除本示例行后填写；导入时任一行有误则整批不导入。",
    ]
    xlsx = to_xlsx({"活动台账": pd.DataFrame([example], columns=IMPORT_HEADERS)}, title="联系选民活动台账导入模板",
                   notes=notes)
    Di, G, D = models.District, models.DeputyGroup, models.Deputy
    places = session.execute(scope_filter(
        select(Di.name).join(G, G.id == Di.group_id).where(Di.active.is_(True)).order_by(G.name, Di.id),
        actor, G.office_id, G.id)).scalars().all()
    names = session.execute(scope_filter(
        select(D.name).join(G, G.id == D.group_id).where(D.status == DeputyStatus.SERVING).distinct().order_by(D.name),
        actor, G.office_id, G.id)).scalars().all()
    yes_no = ["是", "否"]
    return imports.with_dropdowns(xlsx, "活动台账", {
        "选区": list(dict.fromkeys(places)), "组织方式": list(ORGANISERS), "活动类型": list(KINDS),
        "联系对象": target_groups(session), "活动形式": modes(session), "参加代表": list(names),
        "签到表": yes_no, "照片": yes_no, "其他附件": yes_no, "典型事例": yes_no,
    }, several=("联系对象", "参加代表"))


def _yes(value: object) -> bool:
    """True for 是/有/√/1/true cells."""
    return clean_text(value).lower() in ("是", "有", "√", "1", "true", "y", "yes")


def _split(value: object) -> list[str]:
    """Split a cell of names joined by 、，, ; or spaces."""
    import re

    return [p for p in re.split(r"[、，,；;\s]+", clean_text(value)) if p]


def import_xlsx(session: Session, actor: Actor, data: bytes, *, filename: str = "",
                duplicates: list[str] | None = None) -> int:
    """Import a historical ledger: every row is checked first; any error → nothing is written and
    ValidationError maps "第N行" to its problems. Returns the number of activities imported.

    The same file content is imported once (``imports.claim_file``: a repeat is refused saying
    when and by whom); a row matching an activity already stored (or an earlier row of the file)
    by date + district + deputies + summary is not added and its "第N行" is appended to
    ``duplicates``."""
    actor.require_write("activity")
    imports.refuse_repeat(session, "activities", data)
    try:
        _headers, rows = read_xlsx(data, REQUIRED_HEADERS, settings.get(session, "import_max_rows"))
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if not rows:
        raise ValidationError({"file": "文件中没有数据行"})
    if len(rows) > 5000:
        raise ValidationError({"file": "一次最多导入5000行，请分批导入"})
    districts = {
        name: did for did, name in session.execute(select(models.District.id, models.District.name))
    }
    allowed = district_options(session, actor)
    # name → ids per group, loaded once: every group a deputy ever served in (a historical ledger
    # names deputies who have since moved or left; _validate checks them on the activity's date)
    by_group: dict[tuple[int, str], list[int]] = {}
    P = models.DeputyPeriod
    for did, name, gid in session.execute(
        select(models.Deputy.id, models.Deputy.name, P.group_id).join(P, P.deputy_id == models.Deputy.id).distinct()
    ):
        if did not in by_group.setdefault((gid, name), []):
            by_group[(gid, name)].append(did)
    group_of = dict(session.execute(select(models.District.id, models.District.group_id)).all())
    problems: dict[str, str] = {}
    cleaned: list[dict] = []
    for n, row in rows:
        msgs: list[str] = []
        dname = clean_text(row.get("选区"))
        did = districts.get(dname)
        if did is None:
            msgs.append(f"选区“{dname}”不存在")
        elif did not in allowed:
            msgs.append(f"选区“{dname}”不在您的负责范围内")
        ids: list[int] = []
        if did is not None:
            for name in _split(row.get("参加代表")):
                found = by_group.get((group_of[did], name), [])
                if not found:
                    msgs.append(f"代表“{name}”不属于该选区所在代表组")
                elif len(found) > 1:
                    msgs.append(f"代表组内有多位“{name}”，请在系统中逐条登记")
                else:
                    ids.append(found[0])
        cell = row.get("联系选民人数")
        data_row = {
            "held_on": row.get("活动日期"), "place": row.get("地点"), "district_id": did,
            "organiser": clean_text(row.get("组织方式")) or (Organiser.DEPUTY if len(ids) == 1 else Organiser.GROUP),
            "kind": clean_text(row.get("活动类型")) or ActivityKind.OTHER, "targets": _split(row.get("联系对象")) or ["一般选民"],
            "mode": clean_text(row.get("活动形式")) or "专门活动", "deputy_ids": ids,
            "voters_reached": clean_text(cell), "summary": row.get("活动内容"),
            "has_signin": _yes(row.get("签到表")), "has_photos": _yes(row.get("照片")),
            "has_other": _yes(row.get("其他附件")), "typical": _yes(row.get("典型事例")),
        }
        if isinstance(cell, float) and cell.is_integer():
            data_row["voters_reached"] = int(cell)
        dep_msgs = any("代表" in m for m in msgs)
        clean, errors = _validate(session, data_row)
        for k, m in errors.items():
            if (k == "district_id" and did is None) or (k == "deputy_ids" and dep_msgs):
                continue
            msgs.append(m)
        if msgs:
            problems[f"第{n}行"] = "；".join(dict.fromkeys(msgs))
        else:
            cleaned.append((n, clean))
    if problems:
        raise ValidationError(problems)
    seen: set[tuple] = set()
    fresh = []
    for n, clean in cleaned:
        k = _natural_key(clean)
        if k in seen or _stored(session, k):
            if duplicates is not None:
                duplicates.append(f"第{n}行")
            continue
        seen.add(k)
        fresh.append(clean)
    imports.claim_file(session, actor, "activities", data, filename, len(fresh))
    for clean in fresh:
        district = clean["district"]
        act = models.Activity(office_id=group_office(session, district.group_id), created_by=actor.username)
        _apply(act, clean)
        session.add(act)
    session.flush()
    return len(fresh)


def _natural_key(clean: dict) -> tuple:
    """An activity's natural key: date, district, deputies, summary."""
    return (clean["held_on"], clean["district"].id, tuple(sorted(d.id for d in clean["deputies"])),
            clean["summary"])


def _stored(session: Session, key: tuple) -> bool:
    """True when an activity with this natural key is already stored."""
    held_on, district_id, deputy_ids, summary = key
    A = models.Activity
    for act in session.execute(select(A).where(A.held_on == held_on, A.district_id == district_id,
                                                A.summary == summary)).scalars():
        if tuple(sorted(d.id for d in act.deputies)) == deputy_ids:
            return True
    return False


# ---------------------------------------------------------------- mix per deputy and group (R2)


def mix(session: Session, actor: Actor, year: int, group_id: int | None = None) -> dict:
    """Counts of 三问 kinds and of modes per group and per deputy for a year.

    Returns {"groups": [rows], "deputies": [rows], "long": [{"代表组", "分类", "项目", "次数"}]}.
    """
    A = models.Activity
    lo, hi = deputies.year_bounds(year)
    base = select(A.group_id, A.kind, A.mode, func.count()).where(A.held_on.between(lo, hi))
    base = scope_filter(base, actor, A.office_id, A.group_id)
    if group_id:
        base = base.where(A.group_id == group_id)
    base = base.group_by(A.group_id, A.kind, A.mode)
    names = group_options(session, actor)
    the_modes = modes(session)
    per_group: dict[int, dict] = {}
    long: list[dict] = []
    for gid, kind, mode, n in session.execute(base):
        g = per_group.setdefault(gid, {"代表组": names.get(gid, str(gid)), "活动（次）": 0,
                                       **{k: 0 for k in KINDS}, **{m: 0 for m in the_modes}})
        g["活动（次）"] += n
        g[kind] = g.get(kind, 0) + n
        g[mode] = g.get(mode, 0) + n
    for g in per_group.values():
        for k in KINDS:
            long.append({"代表组": g["代表组"], "分类": "活动类型", "项目": k, "次数": g[k]})
        for m in the_modes:
            long.append({"代表组": g["代表组"], "分类": "活动形式", "项目": m, "次数": g.get(m, 0)})
    D = models.Deputy
    dep = (
        select(D.id, D.name, models.DeputyGroup.name, A.kind, A.mode, func.count())
        .join(models.ActivityDeputy, models.ActivityDeputy.deputy_id == D.id)
        .join(A, A.id == models.ActivityDeputy.activity_id)
        .join(models.DeputyGroup, models.DeputyGroup.id == D.group_id)
        .where(A.held_on.between(lo, hi))
    )
    dep = scope_filter(dep, actor, A.office_id, A.group_id)
    if group_id:
        dep = dep.where(A.group_id == group_id)
    dep = dep.group_by(D.id, D.name, models.DeputyGroup.name, A.kind, A.mode)
    per_dep: dict[int, dict] = {}
    for did, name, gname, kind, mode, n in session.execute(dep):
        d = per_dep.setdefault(did, {"代表": name, "代表组": gname, "活动（次）": 0,
                                     **{k: 0 for k in KINDS}, **{m: 0 for m in the_modes}})
        d["活动（次）"] += n
        d[kind] = d.get(kind, 0) + n
        d[mode] = d.get(mode, 0) + n
    groups = sorted(per_group.values(), key=lambda r: r["代表组"])
    rows = sorted(per_dep.values(), key=lambda r: (r["代表组"], r["代表"]))
    return {"groups": groups, "deputies": rows, "long": long}


# ---------------------------------------------------------------- R1: fewer activities than required


def _activity_counts(year: int):
    """Subquery: deputy_id, n = the deputy's activities of ``year`` that count for R1
    (``rules.counts_for_r1``: held in the year up to its reference day, not voided by a spot check)."""
    A, AD = models.Activity, models.ActivityDeputy
    lo, _hi = deputies.year_bounds(year)
    return (
        select(AD.deputy_id.label("deputy_id"), func.count(distinct(A.id)).label("n"))
        .join(A, A.id == AD.activity_id)
        .where(rules.counts_for_r1(lo, deputies.reference_day(year)))
        .group_by(AD.deputy_id)
        .subquery()
    )


def _r1_parts(session: Session, year: int):
    """(serving subquery, activity counts subquery, n, required) of R1 for ``year``.

    Who: ``deputies.serving_at`` (serving on the year's reference day, in that day's group).
    Owed: ``deputies.r1_required_expr`` (the minimum, pro rata from the first day served).
    Counted: ``rules.counts_for_r1``.
    """
    minimum = int(settings.get(session, "r1_min_activities"))
    sub = deputies.serving_at(year)
    counts = _activity_counts(year)
    n = func.coalesce(counts.c.n, 0)
    return sub, counts, n, deputies.r1_required_expr(minimum, year, sub.c.first_day)


def r1_statement(session: Session, actor: Actor, year: int, group_id: int | None = None):
    """The select of R1 shortfall rows: deputy id, name, group, office, count n, required, first_day.

    The one R1 rule: the list, its figure, the per-group table and the score (services.scoring)
    all read it.
    """
    D, G, O = models.Deputy, models.DeputyGroup, models.Office
    sub, counts, n, required = _r1_parts(session, year)
    stmt = (
        select(D.id, D.name, G.name.label("group_name"), O.name.label("office_name"),
               n.label("n"), required.label("required"), sub.c.first_day)
        .select_from(sub)
        .join(D, D.id == sub.c.deputy_id)
        .join(G, G.id == sub.c.group_id)
        .join(O, O.id == sub.c.office_id)
        .outerjoin(counts, counts.c.deputy_id == sub.c.deputy_id)
    )
    stmt = scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id)
    if group_id:
        stmt = stmt.where(sub.c.group_id == group_id)
    return stmt.where(n < required).order_by(G.name, n, D.name, D.id)


def _pro_rata_note(first_day: date | None, year: int) -> str:
    """"2026-03-05起在任，按比例计" for a deputy who began serving during ``year``."""
    if isinstance(first_day, str):  # a date through a subquery on SQLite
        first_day = date.fromisoformat(first_day)
    if first_day is None or first_day.year != year or (first_day.month, first_day.day) == (1, 1):
        return ""
    return f"{fmt_date(first_day)}起在任，按比例计"


def r1_shortfall(session: Session, actor: Actor, year: int, offset: int = 0, limit: int = 20,
                 group_id: int | None = None) -> Page:
    """R1: deputies serving in ``year`` with fewer counted activities than they owe, by group."""
    rows, total = paginate(session, r1_statement(session, actor, year, group_id), offset, limit)
    out = [
        {"id": r.id, "代表组": r.group_name, "办事处": r.office_name, "代表": r.name,
         "本年活动（次）": int(r.n), "应达（次）": int(r.required), "差额（次）": int(r.required) - int(r.n),
         "说明": _pro_rata_note(r.first_day, year)}
        for r in rows
    ]
    return Page(out, total)


def r1_by_group(session: Session, actor: Actor, year: int) -> list[dict]:
    """R1 per group (the group of the reference day): serving deputies, how many fall short, and
    how many counted activities they took part in."""
    G = models.DeputyGroup
    sub, counts, n, required = _r1_parts(session, year)
    short = func.sum(case((n < required, 1), else_=0))
    stmt = (
        select(G.id, G.name, func.count(sub.c.deputy_id), short, func.sum(n))
        .select_from(sub)
        .join(G, G.id == sub.c.group_id)
        .outerjoin(counts, counts.c.deputy_id == sub.c.deputy_id)
    )
    stmt = scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id).group_by(G.id, G.name).order_by(G.name)
    return [
        {"group_id": gid, "代表组": name, "在任代表（人）": int(total), "未达标（人）": int(s or 0),
         "代表参加活动（人次）": int(acts or 0)}
        for gid, name, total, s, acts in session.execute(stmt)
    ]


# ---------------------------------------------------------------- R5: no livelihood issue resolved

OPEN_OPINION = (OpinionStatus.PENDING, OpinionStatus.FORWARDED, OpinionStatus.HANDLING)


def _resolved_livelihood_deputies(year: int):
    """Subquery of (opinion_id, deputy_id): the deputies credited (``rules.opinion_credit``) with a
    livelihood opinion resolved in ``year`` (``rules.opinion_resolved``, up to its reference day)."""
    O = models.Opinion
    lo, _hi = deputies.year_bounds(year)
    resolved = rules.opinion_resolved(lo, deputies.reference_day(year))
    return rules.opinion_credit([O.is_livelihood.is_(True), resolved]).subquery("r5_done")


def r5_statement(session: Session, actor: Actor, year: int, group_id: int | None = None):
    """The select of R5 rows: deputies serving in ``year`` (``deputies.serving_at``) credited with
    no livelihood opinion resolved in the year."""
    D, G, O = models.Deputy, models.DeputyGroup, models.Office
    sub = deputies.serving_at(year)
    done = _resolved_livelihood_deputies(year)
    counts = _activity_counts(year)
    stmt = (
        select(D.id, D.name, G.name.label("group_name"), O.name.label("office_name"),
               func.coalesce(counts.c.n, 0).label("n"))
        .select_from(sub)
        .join(D, D.id == sub.c.deputy_id)
        .join(G, G.id == sub.c.group_id)
        .join(O, O.id == sub.c.office_id)
        .outerjoin(counts, counts.c.deputy_id == sub.c.deputy_id)
        # NOT IN over the subquery (computed once), never a correlated NOT EXISTS: SQLite re-ran the
        # credit union per serving deputy (quadratic: 3.9 s at 10,000 deputies, 0.1 s as NOT IN)
        .where(sub.c.deputy_id.not_in(select(done.c.deputy_id).where(done.c.deputy_id.is_not(None))))
    )
    stmt = scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id)
    if group_id:
        stmt = stmt.where(sub.c.group_id == group_id)
    return stmt.order_by(G.name, D.name, D.id)


def r5_missing(session: Session, actor: Actor, year: int, offset: int = 0, limit: int = 20,
               group_id: int | None = None) -> Page:
    """R5: deputies serving in ``year`` with no livelihood issue resolved, with the livelihood
    opinions of the year credited to them that are still open."""
    rows, total = paginate(session, r5_statement(session, actor, year, group_id), offset, limit)
    ids = [r.id for r in rows]
    open_counts: dict[int, int] = {}
    if ids:
        O = models.Opinion
        lo, hi = deputies.year_bounds(year)
        credit = rules.opinion_credit([O.is_livelihood.is_(True), O.raised_on.between(lo, hi),
                                       O.status.in_(OPEN_OPINION)]).subquery()
        open_counts = dict(session.execute(
            select(credit.c.deputy_id, func.count(distinct(credit.c.opinion_id)))
            .where(credit.c.deputy_id.in_(ids)).group_by(credit.c.deputy_id)
        ).all())
    out = [
        {"id": r.id, "代表组": r.group_name, "办事处": r.office_name, "代表": r.name,
         "本年活动（次）": int(r.n), "本人名下未办结的民生问题（条）": int(open_counts.get(r.id, 0))}
        for r in rows
    ]
    return Page(out, total)


# ---------------------------------------------------------------- R4: raised often, no proposal yet


def r4_cluster_stmt(session: Session, actor: Actor, year: int):  # noqa: ANN201
    """R4 in SQL: the (category, district_id, sources, opinions, letters) groups of the year's
    opinions and letters in the actor's scope with at least ``r4_threshold`` sources and none linked
    to a proposal. Sources: each activity once, each opinion raised outside an activity, each distinct
    writer of the letters handled (not refused or merged): one writer's three letters are one source. Its text is the same however many groups match, so other
    queries join it (the 议案建议 source picker) instead of listing the groups."""
    threshold = int(settings.get(session, "r4_threshold"))
    lo, hi = deputies.year_bounds(year)
    O = models.Opinion
    L = models.Letter
    PS = models.ProposalSource
    o_linked = exists().where(PS.opinion_id == O.id)
    ostmt = (
        select(O.category.label("category"), O.district_id.label("district_id"),
               (func.count(distinct(O.activity_id))
                + func.sum(case((O.activity_id.is_(None), 1), else_=0))).label("sources"),
               func.count(O.id).label("opinions"),
               literal(0).label("letters"),
               func.sum(case((o_linked, 1), else_=0)).label("linked"))
        .join(models.DeputyGroup, models.DeputyGroup.id == O.group_id)
        .where(O.raised_on.between(lo, hi))
        .group_by(O.category, O.district_id)
    )
    ostmt = scope_filter(ostmt, actor, models.DeputyGroup.office_id, O.group_id)
    l_linked = exists().where(PS.letter_id == L.id)
    lstmt = (
        # one writer writing often is one source (services.identity: letters.writer_key)
        select(L.category, L.district_id, func.count(distinct(func.coalesce(L.writer_key, L.code))), literal(0),
               func.count(L.id), func.sum(case((l_linked, 1), else_=0)))
        .where(L.received_on.between(lo, hi), L.status.not_in(rules.LETTER_NOT_HANDLED))
        .group_by(L.category, L.district_id)
    )
    lstmt = scope_filter(lstmt, actor, L.office_id, L.group_id)
    u = union_all(ostmt, lstmt).subquery("r4_parts")
    return (
        select(u.c.category, u.c.district_id, func.sum(u.c.sources).label("sources"),
               func.sum(u.c.opinions).label("opinions"), func.sum(u.c.letters).label("letters"))
        .group_by(u.c.category, u.c.district_id)
        .having(func.sum(u.c.sources) >= threshold, func.sum(u.c.linked) == 0)
    )


def r4_clusters(session: Session, actor: Actor, year: int) -> list[dict]:
    """R4: (category, district) groups of the year's opinions and letters with at least
    r4_threshold sources and none linked to a proposal, most sources first (``r4_cluster_stmt``)."""
    c = r4_cluster_stmt(session, actor, year).subquery("r4")
    Di, G = models.District, models.DeputyGroup
    stmt = (select(c.c.category, c.c.district_id, c.c.sources, c.c.opinions, c.c.letters, Di.name, G.name)
            .outerjoin(Di, Di.id == c.c.district_id).outerjoin(G, G.id == Di.group_id))
    rows = [
        {"类别": cat, "选区": f"{dname}（{gname}）" if dname else str(did), "district_id": did,
         "提出次数（活动/来信）": int(n or 0), "群众意见（条）": int(o or 0), "来信（件）": int(lt or 0),
         "状态": "尚未形成议案建议"}
        for cat, did, n, o, lt, dname, gname in session.execute(stmt)
    ]
    rows.sort(key=lambda r: (-r["提出次数（活动/来信）"], r["类别"], r["选区"]))
    return rows


def r4_page(session: Session, actor: Actor, year: int, offset: int = 0, limit: int = 20) -> Page:
    """R4 list as a Page (aggregated groups, at most categories × districts rows)."""
    rows = r4_clusters(session, actor, year)
    return Page(rows[offset:offset + limit], len(rows))


# ---------------------------------------------------------------- 工作台 figures


def count_typical(session: Session, actor: Actor, year: int) -> int:
    """R18: typical cases recorded this year."""
    return totals(session, actor, {"year": year, "typical": True})["activities"]


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figures of R1, R4, R5 and R18, each opening the list behind it."""
    minimum = int(settings.get(session, "r1_min_activities"))
    count = lambda stmt: session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    r1 = int(count(r1_statement(session, actor, year)))
    r5 = int(count(r5_statement(session, actor, year)))
    r4 = len(r4_clusters(session, actor, year))
    r18 = count_typical(session, actor, year)
    y = str(year)
    return [
        Figure("R1", f"本年联系选民活动少于{minimum}次的代表", r1, "人", "activities",
               {"view": "r1", "year": y}, bad=r1 > 0, help=f"每位代表每年至少联系选民{minimum}次"),
        Figure("R4", "多次反映、尚未形成议案建议的问题", r4, "个", "activities",
               {"view": "r4", "year": y}, bad=r4 > 0, help="同一选区同类问题多次反映，应研究形成议案或建议"),
        Figure("R5", "本年尚未推动解决民生问题的代表", r5, "人", "activities",
               {"view": "r5", "year": y}, bad=r5 > 0, help="每位代表每年推动解决一至两件民生问题"),
        Figure("R18", "本年典型事例", r18, "个", "activities", {"view": "typical", "year": y},
               bad=False, help="好的经验和典型事例在全区推广"),
    ]


def require_edit(actor: Actor) -> bool:
    """True when the actor may log and edit activities (pages hide forms otherwise)."""
    return actor.can_write("activity")


__all__ = [
    "ATTACHMENTS", "EVIDENCE_LEVELS", "KINDS", "ORGANISERS", "PermissionDenied", "create_activity",
    "delete_activity", "figures", "get_activity", "import_template", "import_xlsx", "list_activities",
    "mix", "r1_by_group", "r1_shortfall", "r4_clusters", "r4_page", "r5_missing", "typical_cases",
    "update_activity", "verify_activity",
]
