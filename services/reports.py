"""述职管理: reports to voters (R6–R10) and group work report hearings (R16).

- Who counts in a year: the deputies serving on the year's reference day (``deputies.serving_at``:
  31 December of a past year, today in the current year), in the group of that day; a group's
  deputies for its plan are ``deputies.group_members``. A past year never changes when a deputy
  resigns or moves today.
- Yearly plan per group (R6): refused in year 1 of the term (``plan_year_error``, the one refusal,
  from ``first_report_year``); warned (not refused) when the share of the group's serving deputies
  is outside setting ``report_share`` (``rules.report_share``, the one share check); a rotation
  proposal that puts deputies who have not yet reported face to face in this term first; a plan can
  be locked (计划已确定): later changes are still allowed and the audit mechanism logs them.
- Face-to-face meeting (当面述职): refused for a deputy who is not in that year's plan (add the deputy
  to the plan first, so the plan stays the one list of who reports face to face and nobody both
  owes and skips a written report), dated outside the plan's year or in the future, or with more
  evaluation votes than voters present. Opinions raised go to ``services.opinions.add_opinion``.
- Satisfaction rate = (满意 + 基本满意) / all evaluation votes; grade from setting
  ``report_grade_bands`` (first band whose ``min`` the rate reaches; 80% exactly is 称职).
- Written reports (R7): every deputy serving in the year who is not in the plan owes one, except a
  deputy who began serving after 30 June (``joined_in_time_for_written``: less than half a year
  served). A deputy who left before the year's reference day owes nothing.
- Publication (R9), rectification items (R10), hearings (R16), the year at a glance, 工作台 figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from db import models
from services import clock, deputies, people, rules, settings
from services import opinions as op_svc
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    PermissionDenied,
    StaleError,
    ValidationError,
    check_version,
    current_term,
    last_change,
    paginate,
    scope_filter,
    today,
)
from services.states import (
    OpinionSource,
    RectificationSource,
    RectificationStatus,
    ReportForm,
    ReviewResult,
    values,
)
from services.validation import clean_text, fmt_date, parse_date

M = models
D, G, R = models.Deputy, models.DeputyGroup, models.Report
FACE, WRITTEN = ReportForm.FACE, ReportForm.WRITTEN
PASSED = ReviewResult.PASSED
REVIEW_RESULTS = tuple(values(ReviewResult))
RECT_OPEN, RECT_DONE = RectificationStatus.OPEN, RectificationStatus.DONE
RECT_STATUSES = tuple(values(RectificationStatus))
JOIN_CUTOFF = (6, 30)  # began serving after 30 June: owes no written report that year
WRITTEN_VIEWS = {"all": "全部应交", "missing": "未提交", "unreviewed": "未审查", "unfiled": "未备案"}


# ---------------------------------------------------------------- small helpers


def _bounds(year: int) -> tuple[date, date]:
    """First and last day of a calendar year."""
    return date(year, 1, 1), date(year, 12, 31)


def _pct(x: float | None) -> str:
    """A share as 28.6% ('—' when undefined)."""
    return "—" if x is None else f"{x * 100:.1f}%"


def _date(value: object, field: str, label: str, errors: dict, required: bool = False) -> date | None:
    """Parse a date field into ``errors``; None when empty or bad."""
    try:
        d = parse_date(value)
    except ValueError as exc:
        errors[field] = f"{label}：{exc}"
        return None
    if d is None and required:
        errors[field] = f"请填写{label}"
    return d


def _count(value: object, field: str, label: str, errors: dict, required: bool = False) -> int | None:
    """Parse a non-negative whole number into ``errors``."""
    if value is None or value == "":
        if required:
            errors[field] = f"请填写{label}"
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        errors[field] = f"{label}应为整数"
        return None
    if n < 0:
        errors[field] = f"{label}不能为负数"
        return None
    return n


def term_of_year(session: Session, year: int) -> models.Term | None:
    """The active term covering ``year`` (the current term when none covers it)."""
    T = models.Term
    term = session.execute(
        select(T).where(T.active.is_(True), T.start_year <= year, T.end_year >= year).order_by(T.number.desc())
    ).scalars().first()
    return term or current_term(session)


def share_check(session: Session, planned: int, serving: int) -> rules.ShareCheck:
    """R6: ``planned`` of ``serving`` against setting report_share (``rules.report_share``)."""
    return rules.report_share(planned, serving, rules.share_band(session))


def grade_of(satisfied: int | None, basic: int | None, unsatisfied: int | None,
             bands: list[dict]) -> tuple[float | None, str]:
    """Satisfaction rate (满意+基本满意)/votes and its grade from the bands; (None, '') without votes."""
    a, b, c = int(satisfied or 0), int(basic or 0), int(unsatisfied or 0)
    total = a + b + c
    if total == 0:
        return None, ""
    ok = a + b
    for band in sorted(bands, key=lambda x: -float(x["min"])):
        if ok >= float(band["min"]) * total - 1e-9:
            return ok / total, str(band["grade"])
    return ok / total, str(bands[-1]["grade"]) if bands else ""


def grade_bands(session: Session) -> list[dict]:
    """The grade bands (setting report_grade_bands)."""
    return list(settings.get(session, "report_grade_bands"))


def _group(session: Session, actor: Actor, group_id: int | None, *, write: bool = False) -> models.DeputyGroup:
    """Load a group inside the actor's scope (writes and reads alike)."""
    grp = session.get(G, group_id) if group_id else None
    if grp is None:
        raise ValidationError({"group_id": "请选择代表组"})
    actor.require_scope(grp.office_id, grp.id)
    return grp


def _deputy(session: Session, actor: Actor, deputy_id: int | None) -> tuple[models.Deputy, models.DeputyGroup]:
    """Load a deputy and his group inside the actor's scope."""
    dep = session.get(D, deputy_id) if deputy_id else None
    if dep is None:
        raise ValidationError({"deputy_id": "请选择代表"})
    grp = session.get(G, dep.group_id)
    actor.require_scope(grp.office_id, grp.id)
    return dep, grp


def _planned_ids(year: int):
    """Subquery: deputy ids in any group's plan for ``year``."""
    return (
        select(M.ReportPlanItem.deputy_id)
        .join(M.ReportPlan, M.ReportPlan.id == M.ReportPlanItem.plan_id)
        .where(M.ReportPlan.year == year)
    )


# ---------------------------------------------------------------- R6: the yearly plan


def first_report_year(term: models.Term) -> int:
    """R6: the first year of a term with face-to-face reports (its second year)."""
    return term.start_year + 1


def plan_year_error(session: Session, year: int) -> str | None:
    """Why no face-to-face plan may be made for ``year`` (year 1 of the term, outside it), or None.

    The one refusal: the plan form, the rotation proposal, saving a plan, the year at a glance
    and the R6 figure all ask it.
    """
    term = term_of_year(session, year)
    if term is None:
        return "尚未设置届次，请先由管理员维护届次。"
    if year < term.start_year or year > term.end_year:
        return f"{year}年不在{term.name}（{term.start_year}–{term.end_year}年）之内。"
    if year < first_report_year(term):
        return f"{year}年是{term.name}第一年：当面述职从本届第二年开始（R6），本年不制定述职计划。"
    return None


def reported_in_term(session: Session, deputy_ids: list[int], year: int) -> dict[int, int]:
    """{deputy_id: last year} of the face-to-face reports these deputies held in this term before ``year``."""
    term = term_of_year(session, year)
    start = term.start_year if term else year
    if not deputy_ids:
        return {}
    stmt = (
        select(R.deputy_id, func.max(R.year))
        .where(R.deputy_id.in_(deputy_ids), R.form == FACE, R.held_on.is_not(None),
               R.year >= start, R.year < year)
        .group_by(R.deputy_id)
    )
    return {i: int(y) for i, y in session.execute(stmt)}


def propose_plan(session: Session, actor: Actor, group_id: int, year: int) -> dict:
    """A rotation proposal: deputies who have not yet reported face to face this term first.

    Returns the arithmetic (serving, left, years_left, needed, suggested), the proposed ids and
    a Chinese explanation. Nothing is written.
    """
    _group(session, actor, group_id)
    err = plan_year_error(session, year)
    if err:
        raise ValidationError({"year": err})
    term = term_of_year(session, year)
    serving = deputies.group_members(session, group_id, year)
    done = reported_in_term(session, list(serving), year)
    left_ids = [i for i in serving if i not in done]
    n, left = len(serving), len(left_ids)
    years_left = term.end_year - max(year, first_report_year(term)) + 1
    needed = math.ceil(left / years_left) if years_left > 0 and left else 0
    check = share_check(session, 0, n)
    lo, hi = check.lo, check.hi
    sizes = check.sizes
    k_lo = sizes.start
    k_hi = max(sizes.stop - 1, k_lo)
    suggested = min(max(needed, k_lo), n)
    if needed <= k_hi:
        suggested = min(suggested, k_hi)
    # not yet reported first (stable by name order), then those who reported longest ago
    ordered = left_ids + sorted(done.keys() & serving.keys(), key=lambda i: (done[i], list(serving).index(i)))
    chosen = ordered[:suggested]
    text = (f"在任代表 {n} 人，本届尚未当面述职 {left} 人；本届剩余 {years_left} 个述职年度（含{year}年），"
            f"每年至少 {needed} 人才能在届内轮完；按 {_pct(lo)}–{_pct(hi)} 的比例为 {k_lo}–{k_hi} 人。"
            f"建议本年安排 {suggested} 人（占 {_pct(suggested / n) if n else '—'}）。")
    if needed > k_hi:
        text += "注意：按比例上限无法在届内轮完，建议数已超出比例上限。"
    return {"serving": n, "left": left, "years_left": years_left, "needed": needed,
            "min": k_lo, "max": k_hi, "suggested": suggested, "deputy_ids": chosen,
            "names": [serving[i] for i in chosen], "text": text}


def plan_detail(session: Session, actor: Actor, group_id: int, year: int) -> dict:
    """The group's plan for ``year`` with its items, serving deputies and share."""
    grp = _group(session, actor, group_id)
    serving = deputies.group_members(session, group_id, year)
    plan = session.execute(
        select(M.ReportPlan).where(M.ReportPlan.group_id == group_id, M.ReportPlan.year == year)
    ).scalar_one_or_none()
    items: list[dict] = []
    if plan is not None:
        rows = session.execute(
            select(M.ReportPlanItem, D.name).join(D, D.id == M.ReportPlanItem.deputy_id)
            .where(M.ReportPlanItem.plan_id == plan.id).order_by(M.ReportPlanItem.planned_on, D.name)
        ).all()
        items = [{"deputy_id": it.deputy_id, "name": name, "planned_on": it.planned_on,
                  "venue": it.venue or "", "content": it.content or ""} for it, name in rows]
    check = share_check(session, len(items), len(serving))
    return {
        "group_id": grp.id, "group": grp.name, "year": year, "plan_id": plan.id if plan else None,
        "version": plan.version if plan else 0,  # 0: no plan yet (the forms send it back)
        "locked": bool(plan and plan.locked), "locked_by": people.name_of(session, plan.locked_by) if plan else None,
        "locked_at": plan.locked_at if plan else None, "items": items, "serving": serving,
        "share": check.share, "warning": check.message(), "band": (check.lo, check.hi),
        "year_error": plan_year_error(session, year),
    }


def _plan_as_seen(session: Session, group_id: int, year: int, expected_version: int | None) -> M.ReportPlan | None:
    """The group's plan for ``year``, refused (StaleError: who, when) when it is no longer the one
    the form was drawn with: ``expected_version`` is the plan's version then, 0 for "no plan yet"
    (None: not checked)."""
    plan = session.execute(
        select(M.ReportPlan).where(M.ReportPlan.group_id == group_id, M.ReportPlan.year == year)
    ).scalar_one_or_none()
    if expected_version is not None and plan is not None and plan.version != expected_version:
        # the plan's own row changes little (its items do): name the last change of either
        raise StaleError("该述职计划", last_change(session, "ReportPlan", plan.id, parts="ReportPlanItem"))
    return plan


def save_plan(session: Session, actor: Actor, group_id: int, year: int, items: list[dict],
              expected_version: int | None = None) -> dict:
    """Create or replace a group's plan for ``year``; return {"plan_id", "warning"}. A plan saved
    by someone else since the form showed ``expected_version`` (0: none yet) is refused.

    Each item: deputy_id, planned_on, venue, content. Refused in year 1 of the term, for a deputy
    not serving in the group, a date outside the year, or dropping a deputy whose meeting is
    already recorded. A share outside report_share is only warned. On a locked plan the change
    is allowed and logged by the audit mechanism.
    """
    actor.require_write("report")
    grp = _group(session, actor, group_id, write=True)
    _plan_as_seen(session, group_id, year, expected_version)
    errors: dict[str, str] = {}
    err = plan_year_error(session, year)
    if err:
        raise ValidationError({"year": err})
    serving = deputies.group_members(session, group_id, year)
    lo, hi = _bounds(year)
    clean: dict[int, dict] = {}
    problems: list[str] = []
    for row in items:
        did = row.get("deputy_id")
        did = int(did) if did not in (None, "") else None
        if did is None:
            continue
        if did not in serving:
            problems.append(f"代表（编号{did}）不是{grp.name}{year}年的在任代表")
            continue
        if did in clean:
            problems.append(f"{serving[did]}重复列入")
            continue
        e: dict[str, str] = {}
        planned = _date(row.get("planned_on"), "d", f"{serving[did]}的计划日期", e)
        if planned is not None and not lo <= planned <= hi:
            e["d"] = f"{serving[did]}的计划日期应在{year}年内"
        venue = clean_text(row.get("venue"))
        content = clean_text(row.get("content"))
        if len(venue) > 128:
            e["v"] = f"{serving[did]}的地点过长（不超过128字）"
        if len(content) > 2000:
            e["c"] = f"{serving[did]}的述职内容过长（不超过2000字）"
        problems.extend(e.values())
        clean[did] = {"planned_on": planned, "venue": venue or None, "content": content or None}
    plan = session.execute(
        select(M.ReportPlan).where(M.ReportPlan.group_id == group_id, M.ReportPlan.year == year)
    ).scalar_one_or_none()
    if plan is not None:
        held = session.execute(
            select(R.deputy_id, D.name).join(D, D.id == R.deputy_id)
            .join(M.ReportPlanItem, and_(M.ReportPlanItem.deputy_id == R.deputy_id,
                                         M.ReportPlanItem.plan_id == plan.id))
            .where(R.year == year, R.form == FACE)
        ).all()
        dropped = [name for did, name in held if did not in clean]
        if dropped:
            problems.append(f"{'、'.join(dropped)}已登记当面述职，不能移出计划")
    if problems:
        errors["items"] = "；".join(problems)
    if errors:
        raise ValidationError(errors)
    if plan is None:
        plan = M.ReportPlan(group_id=group_id, year=year, locked=False)
        session.add(plan)
        session.flush()
    else:
        flag_modified(plan, "locked")  # the items changed: the plan's version moves on (stale forms refused)
    existing = {it.deputy_id: it for it in session.execute(
        select(M.ReportPlanItem).where(M.ReportPlanItem.plan_id == plan.id)).scalars()}
    for did, it in existing.items():
        if did not in clean:
            session.delete(it)
    for did, vals in clean.items():
        it = existing.get(did)
        if it is None:
            session.add(M.ReportPlanItem(plan_id=plan.id, deputy_id=did, **vals))
        else:
            for k, v in vals.items():
                if getattr(it, k) != v:
                    setattr(it, k, v)
    session.flush()
    return {"plan_id": plan.id, "warning": share_check(session, len(clean), len(serving)).message()}


def lock_plan(session: Session, actor: Actor, group_id: int, year: int, expected_version: int | None = None) -> None:
    """Mark a plan 计划已确定 (who and when); later changes stay possible and are logged. A plan
    changed since the page showed ``expected_version`` is refused (StaleError)."""
    actor.require_write("report")
    _group(session, actor, group_id, write=True)
    plan = _plan_as_seen(session, group_id, year, expected_version)
    if plan is None:
        raise ValidationError({"plan": "该代表组本年还没有述职计划，请先保存计划。"})
    if plan.locked:
        raise ValidationError({"plan": "计划已确定，无需重复确定。"})
    plan.locked = True
    plan.locked_by = actor.display_name or actor.username
    plan.locked_at = clock.now()


# ---------------------------------------------------------------- 当面述职 meetings


def save_meeting(session: Session, actor: Actor, data: dict, opinion_rows: list[dict] | None = None,
                 report_id: int | None = None, expected_version: int | None = None) -> int:
    """Record (or edit) a face-to-face report meeting with its evaluation and opinions; return its id.

    data: deputy_id, held_on, venue, voters_present, questions_asked, questions_answered,
    video_recorded, text_note, satisfied, basically_satisfied, unsatisfied.
    """
    actor.require_write("report")
    errors: dict[str, str] = {}
    dep, grp = _deputy(session, actor, data.get("deputy_id"))
    held = _date(data.get("held_on"), "held_on", "述职日期", errors, required=True)
    year = int(data["year"]) if data.get("year") else (held.year if held else None)
    if held and year is not None and held.year != year:
        errors["held_on"] = f"述职日期应在计划年度（{year}年）内"
    report = None
    if report_id is not None:
        report = session.get(R, report_id)
        if report is None or report.form != FACE:
            raise NotFound("该述职记录不存在。")
        check_version(report, expected_version, "该述职记录")
        year = report.year
        if held and held.year != year:
            errors["held_on"] = f"述职日期应在计划年度（{year}年）内"
    if held and held > today():
        errors["held_on"] = "述职日期不能晚于今天"
    plan = None
    if year is not None and "held_on" not in errors:
        plan = session.execute(
            select(M.ReportPlan).where(M.ReportPlan.group_id == grp.id, M.ReportPlan.year == year)
        ).scalar_one_or_none()
        in_plan = plan is not None and session.get(M.ReportPlanItem, (plan.id, dep.id)) is not None
        if not in_plan:
            # a meeting before the plan's year lands here too: no plan item for that year
            errors["held_on"] = (f"{dep.name}不在{grp.name}{year}年的当面述职计划中：请先在“述职计划”中"
                                 f"列入该代表，或检查述职日期是否在计划年度内")
        elif report is None and session.execute(
            select(R.id).where(R.deputy_id == dep.id, R.year == year, R.form == FACE)
        ).first():
            errors["deputy_id"] = f"{dep.name}{year}年的当面述职已登记，请在列表中选中后修改"
    venue = clean_text(data.get("venue"))
    if not venue:
        errors["venue"] = "请填写述职地点"
    elif len(venue) > 128:
        errors["venue"] = "述职地点过长（不超过128字）"
    present = _count(data.get("voters_present"), "voters_present", "到会选民人数", errors, required=True)
    asked = _count(data.get("questions_asked"), "questions_asked", "选民提问数", errors)
    answered = _count(data.get("questions_answered"), "questions_answered", "现场答复数", errors)
    if asked is not None and answered is not None and answered > asked:
        errors["questions_answered"] = "现场答复数不能多于选民提问数"
    votes = {}
    for f, label in (("satisfied", "满意票"), ("basically_satisfied", "基本满意票"), ("unsatisfied", "不满意票")):
        votes[f] = _count(data.get(f), f, label, errors)
    total = sum(v or 0 for v in votes.values())
    if present is not None and total > present:
        errors["satisfied"] = f"测评票合计 {total} 张，多于到会选民 {present} 人"
    note = clean_text(data.get("text_note"))
    if len(note) > 5000:
        errors["text_note"] = "述职报告或存放说明过长（不超过5000字）"
    rows, op_errors = op_svc.check_rows(session, opinion_rows or [])
    errors.update(op_errors)
    if errors:
        raise ValidationError(errors)
    if report is None:
        report = R(deputy_id=dep.id, year=year, form=FACE)
        session.add(report)
    report.held_on, report.venue, report.voters_present = held, venue, present
    report.questions_asked, report.questions_answered = asked, answered
    report.video_recorded = bool(data.get("video_recorded"))
    report.text_note = note or None
    report.satisfied = votes["satisfied"]
    report.basically_satisfied = votes["basically_satisfied"]
    report.unsatisfied = votes["unsatisfied"]
    session.flush()
    district_id = dep.district_id or session.execute(
        select(M.District.id).where(M.District.group_id == grp.id).order_by(M.District.id)).scalar()
    for row in rows:
        op_svc.add_opinion(session, actor, source=OpinionSource.REPORT, report_id=report.id, deputy_id=dep.id,
                           district_id=district_id, raised_on=held, content=row["content"],
                           category=row["category"], is_livelihood=row["is_livelihood"],
                           forwarded_to=row["forwarded_to"])
    return report.id


def planned_options(session: Session, actor: Actor, year: int, *, pending_only: bool = True) -> dict[int, str]:
    """Deputies in the actor's scope planned to report face to face in ``year``, {id: "姓名（代表组）"}.

    ``pending_only`` leaves out those whose meeting is already recorded.
    """
    stmt = (
        select(D.id, D.name, G.name)
        .join(M.ReportPlanItem, M.ReportPlanItem.deputy_id == D.id)
        .join(M.ReportPlan, M.ReportPlan.id == M.ReportPlanItem.plan_id)
        .join(G, G.id == M.ReportPlan.group_id)
        .where(M.ReportPlan.year == year)
        .order_by(G.name, M.ReportPlanItem.planned_on, D.name)
    )
    if pending_only:
        stmt = stmt.where(D.id.not_in(select(R.deputy_id).where(R.year == year, R.form == FACE)))
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    return {i: f"{n}（{g}）" for i, n, g in session.execute(stmt)}


def report_options(session: Session, actor: Actor, year: int) -> dict[int, str]:
    """Reports of ``year`` in scope (meetings held, written reports received), {id: label}."""
    stmt = _report_stmt(actor, {"year": year}).where(
        or_(R.held_on.is_not(None), R.received_on.is_not(None))).order_by(G.name, D.name, R.form)
    return {r.Report.id: f"{r.deputy_name}（{r.group_name}）{r.Report.form} "
                         f"{fmt_date(r.Report.held_on or r.Report.received_on)}" for r in session.execute(stmt)}


def _report_stmt(actor: Actor, f: dict):
    """Select reports with deputy and group, filtered by year/group/form and the actor's scope.

    The group is the deputy's group on the report's day (held, received or reviewed): a report of a
    past year stays with that year's group after the deputy moved (deputies.group_on_day)."""
    day = func.coalesce(R.held_on, R.received_on, R.reviewed_on)
    stmt = (
        select(R, D.name.label("deputy_name"), G.name.label("group_name"), G.id.label("group_id"))
        .join(D, D.id == R.deputy_id).join(G, G.id == deputies.group_on_day(R.deputy_id, day, D.group_id))
    )
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if f.get("year"):
        stmt = stmt.where(R.year == int(f["year"]))
    if f.get("group"):
        stmt = stmt.where(G.id == int(f["group"]))
    if f.get("form"):
        stmt = stmt.where(R.form == f["form"])
    if f.get("q"):
        stmt = stmt.where(D.name.contains(f["q"]))
    return stmt


# the 排序 choices of the lists (components.table.data_table ``sorts``; the first is the default)
MEETING_SORTS: dict[str, str] = {"date_desc": "述职日期：新的在前", "date_asc": "述职日期：早的在前",
                                 "rate_asc": "满意率：低的在前", "group": "按代表组、代表"}
RECT_SORTS: dict[str, str] = {"open_first": "未完成的在前，整改期限近的在前", "due": "按整改期限", "group": "按代表组"}
HEARING_SORTS: dict[str, str] = {"date_desc": "听取日期：新的在前", "date_asc": "听取日期：早的在前", "group": "按代表组"}


def _meeting_order(sort: str | None) -> list:
    """ORDER BY of the 当面述职 list for a ``MEETING_SORTS`` key (unknown: newest first)."""
    if sort == "date_asc":
        return [R.held_on, R.id]
    if sort == "rate_asc":  # (满意 + 基本满意) ÷ votes, the unevaluated last
        votes = R.satisfied + R.basically_satisfied + R.unsatisfied
        rate = (R.satisfied + R.basically_satisfied) * 1.0 / func.nullif(votes, 0)
        return [case((rate.is_(None), 1), else_=0), rate, R.held_on.desc(), R.id]
    if sort == "group":
        return [G.name, D.name, R.held_on.desc(), R.id]
    return [R.held_on.desc(), R.id.desc()]


def list_meetings(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """当面述职 held: date, deputy, voters, questions, evaluation, rate and grade, in the order
    ``f["sort"]`` names (``MEETING_SORTS``), ordered in SQL before paging."""
    bands = grade_bands(session)
    stmt = _report_stmt(actor, {**f, "form": FACE}).order_by(*_meeting_order(f.get("sort")))
    rows, total = paginate(session, stmt, offset, limit)
    ids = [r.Report.id for r in rows]
    n_ops = dict(session.execute(
        select(M.Opinion.report_id, func.count()).where(M.Opinion.report_id.in_(ids)).group_by(M.Opinion.report_id)
    ).all()) if ids else {}
    out = []
    for r in rows:
        rep = r.Report
        rate, grade = grade_of(rep.satisfied, rep.basically_satisfied, rep.unsatisfied, bands)
        out.append({
            "id": rep.id, "version": rep.version, "deputy_id": rep.deputy_id,
            "述职日期": rep.held_on, "代表": r.deputy_name, "代表组": r.group_name, "地点": rep.venue or "",
            "到会选民（人）": rep.voters_present, "提问（个）": rep.questions_asked,
            "现场答复（个）": rep.questions_answered, "录像": rep.video_recorded,
            "满意（票）": rep.satisfied, "基本满意（票）": rep.basically_satisfied,
            "不满意（票）": rep.unsatisfied, "满意率": _pct(rate), "评定": grade or "未测评",
            "意见（条）": int(n_ops.get(rep.id, 0)),
            "刊登日期": rep.published_on, "刊登期号": rep.publication_issue or "",
        })
    return Page(out, total)


def get_report(session: Session, actor: Actor, report_id: int) -> dict:
    """One report's fields (face-to-face or written) for a form."""
    rep = session.get(R, report_id)
    if rep is None:
        raise NotFound("该述职记录不存在。")
    dep, grp = _deputy(session, actor, rep.deputy_id)
    cols = [c.key for c in R.__table__.columns]
    out = {c: getattr(rep, c) for c in cols}
    out.update({"deputy_name": dep.name, "group_name": grp.name, "group_id": grp.id})
    return out


# ---------------------------------------------------------------- R7: written reports


def joined_in_time_for_written(first_day_col, year: int):  # noqa: ANN001, ANN201
    """R7's joining rule, as an SQL condition over the first day served in ``year`` (the
    ``first_day`` column of ``deputies.serving_at``): a deputy who began serving after 30 June
    (less than half the year served) owes no written report for that year."""
    return first_day_col <= date(year, *JOIN_CUTOFF)


def _owed_stmt(actor: Actor, year: int):
    """Deputies who owe a written report for ``year`` (R7) with their written report (outer join):
    serving in the year (``deputies.serving_at``, in the group of its reference day), in time
    (``joined_in_time_for_written``), and not in any group's face-to-face plan of the year."""
    sub = deputies.serving_at(year, name="r7_serving")
    W = select(R).where(R.form == WRITTEN, R.year == year).subquery()
    stmt = (
        select(D.id, D.name, G.id.label("group_id"), G.name.label("group_name"), sub.c.first_day,
               W.c.id.label("report_id"), W.c.version, W.c.received_on, W.c.review_result, W.c.reviewer,
               W.c.reviewed_on, W.c.filed_on, W.c.published_on, W.c.publication_issue)
        .select_from(sub)
        .join(D, D.id == sub.c.deputy_id)
        .join(G, G.id == sub.c.group_id)
        .outerjoin(W, W.c.deputy_id == sub.c.deputy_id)
        .where(joined_in_time_for_written(sub.c.first_day, year), sub.c.deputy_id.not_in(_planned_ids(year)))
    )
    return scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id), W


def written_status(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Written reports owed for a year (view: all / missing / unreviewed / unfiled), per group."""
    year = int(f.get("year") or today().year)
    stmt, W = _owed_stmt(actor, year)
    if f.get("group"):
        stmt = stmt.where(G.id == int(f["group"]))
    view = f.get("view") or "all"
    if view == "missing":
        stmt = stmt.where(W.c.received_on.is_(None))
    elif view == "unreviewed":
        stmt = stmt.where(W.c.received_on.is_not(None), or_(W.c.review_result.is_(None),
                                                            W.c.review_result != PASSED))
    elif view == "unfiled":
        stmt = stmt.where(W.c.review_result == PASSED, W.c.filed_on.is_(None))
    stmt = stmt.order_by(G.name, D.name, D.id)
    rows, total = paginate(session, stmt, offset, limit)
    out = []
    for r in rows:
        if r.received_on is None:
            state = "未提交"
        elif r.review_result != PASSED:
            state = ReviewResult.RETURNED.value if r.review_result == ReviewResult.RETURNED else "待审查"
        elif r.filed_on is None:
            state = "待备案"
        else:
            state = "已备案"
        out.append({
            "deputy_id": r.id, "report_id": r.report_id, "version": r.version,
            "代表组": r.group_name, "代表": r.name, "状态": state, "收到日期": r.received_on,
            "审查结果": r.review_result or "", "审查人": r.reviewer or "", "审查日期": r.reviewed_on,
            "备案日期": r.filed_on, "刊登日期": r.published_on, "刊登期号": r.publication_issue or "",
        })
    return Page(out, total, {"书面报告": f"{total} 人"})


def owes_written(session: Session, deputy_id: int, year: int) -> bool:
    """True when the deputy owes a written report for ``year`` (R7)."""
    stmt, _W = _owed_stmt(Actor("system", "admin"), year)
    return session.execute(stmt.where(D.id == deputy_id)).first() is not None


def save_written(session: Session, actor: Actor, deputy_id: int, year: int, data: dict,
                 expected_version: int | None = None) -> int:
    """Record a written report's receipt, group review and filing; return its id.

    data: received_on, review_result (通过/退回修改), reviewer, reviewed_on, filed_on.
    """
    actor.require_write("report")
    dep, _grp = _deputy(session, actor, deputy_id)
    errors: dict[str, str] = {}
    if not owes_written(session, dep.id, year):
        raise ValidationError({"deputy_id": f"{dep.name}{year}年无需提交书面报告（已列入当面述职计划，或当年未在任）"})
    received = _date(data.get("received_on"), "received_on", "收到日期", errors, required=True)
    result = clean_text(data.get("review_result")) or None
    reviewer = clean_text(data.get("reviewer")) or None
    reviewed = _date(data.get("reviewed_on"), "reviewed_on", "审查日期", errors)
    filed = _date(data.get("filed_on"), "filed_on", "备案日期", errors)
    now = today()
    lo = date(year, 1, 1)
    if received and not lo <= received <= now:
        errors["received_on"] = f"收到日期应在{year}-01-01至今天之间"
    if result and result not in REVIEW_RESULTS:
        errors["review_result"] = "审查结果应为通过或退回修改"
    if result and not reviewer:
        errors["reviewer"] = "请填写审查人"
    if reviewer and len(reviewer) > 64:
        errors["reviewer"] = "审查人过长"
    if result and reviewed is None and "reviewed_on" not in errors:
        errors["reviewed_on"] = "请填写审查日期"
    if reviewed and not result:
        errors["review_result"] = "请选择审查结果"
    if reviewed and received and reviewed < received:
        errors["reviewed_on"] = "审查日期不能早于收到日期"
    if reviewed and reviewed > now:
        errors["reviewed_on"] = "审查日期不能晚于今天"
    if filed and result != PASSED:
        errors["filed_on"] = "审查通过后才能备案"
    elif filed and reviewed and filed < reviewed:
        errors["filed_on"] = "备案日期不能早于审查日期"
    elif filed and filed > now:
        errors["filed_on"] = "备案日期不能晚于今天"
    rep = session.execute(
        select(R).where(R.deputy_id == dep.id, R.year == year, R.form == WRITTEN)
    ).scalar_one_or_none()
    if rep is not None:
        check_version(rep, expected_version, "该书面报告")
    if errors:
        raise ValidationError(errors)
    if rep is None:
        rep = R(deputy_id=dep.id, year=year, form=WRITTEN)
        session.add(rep)
    rep.received_on, rep.review_result, rep.reviewer = received, result, reviewer
    rep.reviewed_on, rep.filed_on = reviewed, filed
    session.flush()
    return rep.id


# ---------------------------------------------------------------- R9: publication


def set_publication(session: Session, actor: Actor, report_id: int, published_on: object, issue: object,
                    expected_version: int | None = None) -> None:
    """Record the date and issue of 人大工作信息 that published a report."""
    actor.require_write("report")
    rep = session.get(R, report_id)
    if rep is None:
        raise NotFound("该述职记录不存在。")
    _deputy(session, actor, rep.deputy_id)
    check_version(rep, expected_version, "该述职记录")
    errors: dict[str, str] = {}
    pub = _date(published_on, "published_on", "刊登日期", errors, required=True)
    issue = clean_text(issue)
    if not issue:
        errors["publication_issue"] = "请填写人大工作信息期号"
    elif len(issue) > 32:
        errors["publication_issue"] = "期号过长（不超过32字）"
    since = rep.held_on if rep.form == FACE else rep.received_on
    if pub and since and pub < since:
        errors["published_on"] = f"刊登日期不能早于{'述职' if rep.form == FACE else '收到报告'}日期（{fmt_date(since)}）"
    if pub and pub > today():
        errors["published_on"] = "刊登日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    rep.published_on, rep.publication_issue = pub, issue


def _publishable(cols=R):  # noqa: ANN001, ANN202
    """Condition over report columns (the Report table, or a subquery carrying form, held_on and
    review_result): a report that should be published (meeting held, or written report passed)."""
    return or_(and_(cols.form == FACE, cols.held_on.is_not(None)),
               and_(cols.form == WRITTEN, cols.review_result == PASSED))


def _due_publication(year: int):
    """Condition: a report of ``year`` that should be published (R9)."""
    return and_(R.year == year, _publishable())


def unpublished(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Reports held or passed but not yet published in 人大工作信息 (R9)."""
    year = int(f.get("year") or today().year)
    stmt = _report_stmt(actor, {"group": f.get("group")}).where(_due_publication(year))
    if not f.get("all"):
        stmt = stmt.where(R.published_on.is_(None))
    stmt = stmt.order_by(G.name, D.name, R.id)
    rows, total = paginate(session, stmt, offset, limit)
    out = [{"id": r.Report.id, "version": r.Report.version, "代表组": r.group_name, "代表": r.deputy_name,
            "形式": r.Report.form, "述职或收到日期": r.Report.held_on or r.Report.received_on,
            "刊登日期": r.Report.published_on, "刊登期号": r.Report.publication_issue or ""} for r in rows]
    return Page(out, total)


# ---------------------------------------------------------------- R10: rectification


def add_rectification(session: Session, actor: Actor, report_id: int, data: dict) -> int:
    """Add a rectification item raised by voters' evaluation of a report; return its id."""
    actor.require_write("rectification")
    rep = session.get(R, report_id) if report_id else None
    if rep is None:
        raise ValidationError({"report_id": "请选择述职记录"})
    _dep, grp = _deputy(session, actor, rep.deputy_id)
    errors: dict[str, str] = {}
    content = clean_text(data.get("content"))
    owner = clean_text(data.get("owner"))
    if not content:
        errors["content"] = "请填写整改事项"
    elif len(content) > 2000:
        errors["content"] = "整改事项过长（不超过2000字）"
    if not owner:
        errors["owner"] = "请填写责任人"
    elif len(owner) > 64:
        errors["owner"] = "责任人过长"
    due = _date(data.get("due_on"), "due_on", "整改期限", errors, required=True)
    announced = _date(data.get("announced_on"), "announced_on", "代表组会议通报日期", errors)
    if announced and announced > today():
        errors["announced_on"] = "通报日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    rect = M.Rectification(source=RectificationSource.REPORT, report_id=rep.id, group_id=grp.id, content=content, owner=owner,
                           due_on=due, status=RECT_OPEN, announced_on=announced)
    session.add(rect)
    session.flush()
    return rect.id


def update_rectification(session: Session, actor: Actor, rect_id: int, data: dict,
                         expected_version: int | None = None) -> None:
    """Record a rectification item's announcement date and completion (status 已完成); an item
    changed since the form showed ``expected_version`` is refused (StaleError)."""
    actor.require_write("rectification")
    rect = session.get(M.Rectification, rect_id)
    if rect is None or rect.source != RectificationSource.REPORT:
        raise NotFound("该整改事项不存在（可能已被删除），未保存。")
    check_version(rect, expected_version, "该整改事项")
    grp = session.get(G, rect.group_id)
    actor.require_scope(grp.office_id, grp.id)
    errors: dict[str, str] = {}
    announced = _date(data.get("announced_on"), "announced_on", "代表组会议通报日期", errors)
    status = data.get("status") or rect.status
    if status not in RECT_STATUSES:
        errors["status"] = "状态应为未完成或已完成"
    if announced and announced > today():
        errors["announced_on"] = "通报日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    if announced is not None:
        rect.announced_on = announced
    if status != rect.status:
        rect.status = status
        if status == RECT_DONE:
            rect.closed_on, rect.closed_by = today(), actor.display_name or actor.username
        else:
            rect.closed_on = rect.closed_by = None


def list_rectifications(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Rectification items from reports (R10), with overdue shown; filters year/group/status/overdue."""
    X = M.Rectification
    stmt = (
        select(X, G.name.label("group_name"), D.name.label("deputy_name"), R.year)
        .join(G, G.id == X.group_id).join(R, R.id == X.report_id).join(D, D.id == R.deputy_id)
        .where(X.source == RectificationSource.REPORT)
    )
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if f.get("year"):
        stmt = stmt.where(R.year == int(f["year"]))
    if f.get("group"):
        stmt = stmt.where(G.id == int(f["group"]))
    if f.get("status"):
        stmt = stmt.where(X.status == f["status"])
    now = today()
    if f.get("overdue"):
        stmt = stmt.where(X.status == RECT_OPEN, X.due_on < now)
    if f.get("sort") == "due":
        order = [case((X.due_on.is_(None), 1), else_=0), X.due_on, X.id]
    elif f.get("sort") == "group":
        order = [G.name, X.status.desc(), X.due_on, X.id]
    else:  # RECT_SORTS' first: open items first, the nearest deadline first
        order = [X.status.desc(), X.due_on, X.id]
    rows, total = paginate(session, stmt.order_by(*order), offset, limit)
    out = []
    for r in rows:
        x = r.Rectification
        overdue = x.status == RECT_OPEN and x.due_on is not None and x.due_on < now
        out.append({"id": x.id, "version": x.version, "status": x.status, "代表组": r.group_name, "代表": r.deputy_name, "年度": r.year,
                    "整改事项": x.content, "责任人": x.owner or "", "整改期限": x.due_on,
                    "状态": "已逾期" if overdue else x.status, "会议通报日期": x.announced_on,
                    "完成日期": x.closed_on})
    return Page(out, total)


# ---------------------------------------------------------------- R16: hearings


def add_hearing(session: Session, actor: Actor, data: dict) -> int:
    """Record a hearing of a group's work report by the working body; return its id."""
    actor.require_write("hearing")
    grp = _group(session, actor, data.get("group_id"), write=True)
    errors: dict[str, str] = {}
    held = _date(data.get("held_on"), "held_on", "听取日期", errors, required=True)
    if held and held > today():
        errors["held_on"] = "听取日期不能晚于今天"
    heard_by = clean_text(data.get("heard_by"))
    points = clean_text(data.get("points"))
    if not heard_by:
        errors["heard_by"] = "请填写听取人（工作机构及人员）"
    elif len(heard_by) > 128:
        errors["heard_by"] = "听取人过长（不超过128字）"
    if len(points) > 5000:
        errors["points"] = "意见要点过长（不超过5000字）"
    if errors:
        raise ValidationError(errors)
    h = M.Hearing(group_id=grp.id, held_on=held, heard_by=heard_by, points=points or None)
    session.add(h)
    session.flush()
    return h.id


def list_hearings(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Hearings of group work reports, newest first."""
    H = M.Hearing
    stmt = select(H, G.name.label("group_name")).join(G, G.id == H.group_id)
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    if f.get("year"):
        lo, hi = _bounds(int(f["year"]))
        stmt = stmt.where(H.held_on.between(lo, hi))
    if f.get("group"):
        stmt = stmt.where(G.id == int(f["group"]))
    order = {"date_asc": [H.held_on, H.id], "group": [G.name, H.held_on.desc(), H.id]}.get(
        f.get("sort"), [H.held_on.desc(), H.id.desc()])  # HEARING_SORTS
    rows, total = paginate(session, stmt.order_by(*order), offset, limit)
    out = [{"id": r.Hearing.id, "听取日期": r.Hearing.held_on, "代表组": r.group_name,
            "听取人": r.Hearing.heard_by, "意见要点": r.Hearing.points or ""} for r in rows]
    return Page(out, total)


def _not_heard_stmt(actor: Actor, year: int):
    """Active groups with no hearing in ``year``."""
    lo, hi = _bounds(year)
    heard = select(M.Hearing.group_id).where(M.Hearing.held_on.between(lo, hi))
    stmt = (select(G.id, G.name, M.Office.name.label("office_name"))
            .join(M.Office, M.Office.id == G.office_id)
            .where(G.active.is_(True), G.id.not_in(heard)))
    return scope_filter(stmt, actor, G.office_id, G.id).order_by(G.office_id, G.name)


def groups_not_heard(session: Session, actor: Actor, year: int, offset: int = 0, limit: int = 20) -> Page:
    """Groups whose work report has not been heard in ``year`` (R16)."""
    rows, total = paginate(session, _not_heard_stmt(actor, year), offset, limit)
    return Page([{"id": r.id, "办事处": r.office_name, "代表组": r.name} for r in rows], total)


# ---------------------------------------------------------------- the year at a glance


@dataclass
class GroupPlan:
    """One group's R6 position in a year: its serving deputies, its plan (if any), the share check."""

    group_id: int
    name: str
    plan: models.ReportPlan | None
    check: rules.ShareCheck

    @property
    def needs_attention(self) -> bool:
        """The R6 figure's test: a group with deputies serving whose plan is missing or whose
        share is outside the band (``rules.ShareCheck.ok``)."""
        return self.check.serving > 0 and (self.plan is None or not self.check.ok)


def _group_ids_in_scope(actor: Actor):  # noqa: ANN202
    """SELECT of the ids of the active groups in the actor's scope (queries filter with IN over it:
    their text stays the same however many groups there are)."""
    return scope_filter(select(G.id).where(G.active.is_(True)), actor, G.office_id, G.id).correlate(None)


def _groups_in_scope(session: Session, actor: Actor) -> list:
    """Active groups in the actor's scope: rows (id, name), by office and name."""
    return session.execute(
        scope_filter(select(G.id, G.name).where(G.active.is_(True)), actor, G.office_id, G.id)
        .order_by(G.office_id, G.name)
    ).all()


def plan_checks(session: Session, actor: Actor, year: int, groups: list | None = None) -> list[GroupPlan]:
    """R6 per group in scope for ``year``: serving deputies (``deputies.serving_at``), the plan and
    its ``rules.report_share`` check. The year at a glance and the 工作台 figure read it."""
    groups = _groups_in_scope(session, actor) if groups is None else groups
    if not groups:
        return []
    gids = _group_ids_in_scope(actor)  # the groups passed are those of the scope (overview)
    sub = deputies.serving_at(year)
    serving = dict(session.execute(
        select(sub.c.group_id, func.count()).where(sub.c.group_id.in_(gids)).group_by(sub.c.group_id)).all())
    plans = {p.group_id: p for p in session.execute(
        select(M.ReportPlan).where(M.ReportPlan.year == year, M.ReportPlan.group_id.in_(gids))).scalars()}
    planned = dict(session.execute(
        select(M.ReportPlan.group_id, func.count()).join(M.ReportPlanItem, M.ReportPlanItem.plan_id == M.ReportPlan.id)
        .where(M.ReportPlan.year == year, M.ReportPlan.group_id.in_(gids)).group_by(M.ReportPlan.group_id)).all())
    band = rules.share_band(session)
    return [GroupPlan(g.id, g.name, plans.get(g.id),
                      rules.report_share(int(planned.get(g.id, 0)), int(serving.get(g.id, 0)), band))
            for g in groups]


def _report_groups(year: int):
    """Subquery of the reports of ``year`` with the group each counts in (group_id): the group whose
    plan lists a face-to-face report, the group of the reference day for a written one (so a past
    year stays as it was when a deputy moves group today). Carries the columns the year at a
    glance counts (form, held_on, review_result, published_on and the evaluation votes)."""
    RP, RPI = M.ReportPlan, M.ReportPlanItem
    cols = (R.id.label("report_id"), R.form, R.held_on, R.review_result, R.published_on,
            R.satisfied, R.basically_satisfied, R.unsatisfied)
    face = (select(*cols, RP.group_id.label("group_id"))
            .join(RPI, RPI.deputy_id == R.deputy_id).join(RP, and_(RP.id == RPI.plan_id, RP.year == R.year))
            .where(R.year == year, R.form == FACE))
    sub = deputies.serving_at(year, name="written_group")
    written = (select(*cols, sub.c.group_id.label("group_id"))
               .join(sub, sub.c.deputy_id == R.deputy_id).where(R.year == year, R.form == WRITTEN))
    return union_all(face, written).subquery("report_group")


def overview(session: Session, actor: Actor, year: int) -> list[dict]:
    """One row per group in scope: serving, planned (share), held, written, published, satisfaction."""
    bands = grade_bands(session)
    groups = _groups_in_scope(session, actor)
    if not groups:
        return []
    gids = _group_ids_in_scope(actor)
    checks = {c.group_id: c for c in plan_checks(session, actor, year, groups)}
    rg = _report_groups(year)
    face = {g: row for g, *row in session.execute(
        select(rg.c.group_id, func.count(rg.c.report_id), func.sum(func.coalesce(rg.c.satisfied, 0)),
               func.sum(func.coalesce(rg.c.basically_satisfied, 0)), func.sum(func.coalesce(rg.c.unsatisfied, 0)))
        .where(rg.c.form == FACE, rg.c.held_on.is_not(None), rg.c.group_id.in_(gids))
        .group_by(rg.c.group_id)).all()}
    owed_stmt, _w = _owed_stmt(actor, year)
    owed_sub = owed_stmt.where(G.id.in_(gids)).subquery()
    written = {g: row for g, *row in session.execute(
        select(owed_sub.c.group_id, func.count(),
               func.sum(case((owed_sub.c.received_on.is_not(None), 1), else_=0)),
               func.sum(case((owed_sub.c.review_result == PASSED, 1), else_=0)),
               func.sum(case((owed_sub.c.filed_on.is_not(None), 1), else_=0)))
        .group_by(owed_sub.c.group_id)).all()}
    published = dict(session.execute(
        select(rg.c.group_id, func.count(rg.c.report_id))
        .where(_publishable(rg.c), rg.c.published_on.is_not(None), rg.c.group_id.in_(gids))
        .group_by(rg.c.group_id)).all())
    X = M.Rectification
    now = today()
    rect = {g: (o, od) for g, o, od in session.execute(
        select(X.group_id, func.count(X.id), func.sum(case((X.due_on < now, 1), else_=0)))
        .join(R, R.id == X.report_id)
        .where(X.source == RectificationSource.REPORT, X.status == RECT_OPEN, R.year == year, X.group_id.in_(gids))
        .group_by(X.group_id)).all()}
    out = []
    for g in groups:
        c = checks[g.id]
        held, s1, s2, s3 = face.get(g.id, (0, 0, 0, 0))
        rate, grade = grade_of(s1, s2, s3, bands)
        w_owed, w_rec, w_rev, w_fil = (int(x or 0) for x in written.get(g.id, (0, 0, 0, 0)))
        plan = c.plan
        out.append({
            "group_id": g.id, "代表组": g.name, "在任代表（人）": c.check.serving,
            "计划当面述职（人）": c.check.planned, "计划比例": _pct(c.check.share),
            "比例是否合规": "—" if plan is None else ("是" if c.check.ok else "否"),
            "计划状态": "未制定" if plan is None else ("已确定" if plan.locked else "草拟中"),
            "已当面述职（人）": int(held or 0),
            "书面应交（人）": w_owed, "书面已交（人）": w_rec, "书面已审查（人）": w_rev,
            "书面已备案（人）": w_fil, "已刊登（篇）": int(published.get(g.id, 0)),
            "满意率": _pct(rate), "评定": grade or "—",
            "未完成整改（项）": int(rect.get(g.id, (0, 0))[0] or 0),
            "逾期整改（项）": int(rect.get(g.id, (0, 0))[1] or 0),
        })
    return out


# ---------------------------------------------------------------- 工作台 figures


def _scalar_count(session: Session, stmt) -> int:
    """Count the rows of a select in SQL."""
    return int(session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figures of R6, R7, R9, R10 and R16, each opening the list behind it."""
    y = str(year)
    out: list[Figure] = []
    if plan_year_error(session, year) is None:
        r6 = sum(1 for c in plan_checks(session, actor, year) if c.needs_attention)
        lo, hi = rules.share_band(session)
        out.append(Figure("R6", "未制定述职计划或比例不在规定范围的代表组", r6, "个", "reports",
                          {"tab": "overview", "year": y}, bad=r6 > 0,
                          help=f"每个代表组每年安排{_pct(lo)}–{_pct(hi)}的代表当面述职（本届第二年起）"))
    owed, W = _owed_stmt(actor, year)
    r7 = _scalar_count(session, owed.where(W.c.received_on.is_(None)))
    out.append(Figure("R7", "未提交书面述职报告的代表", r7, "人", "reports",
                      {"tab": "written", "view": "missing", "year": y}, bad=r7 > 0,
                      help="未当面述职的代表应提交书面报告，经代表组审查后报代表联络工委备案"))
    r9 = _scalar_count(session, _report_stmt(actor, {}).where(_due_publication(year), R.published_on.is_(None)))
    out.append(Figure("R9", "尚未在人大工作信息刊登的述职", r9, "篇", "reports",
                      {"tab": "publish", "year": y}, bad=r9 > 0, help="述职报告在人大工作信息上刊登"))
    X = M.Rectification
    base = scope_filter(select(X.id).join(G, G.id == X.group_id)
                        .where(X.source == RectificationSource.REPORT, X.status == RECT_OPEN),
                        actor, G.office_id, G.id)
    open_n = _scalar_count(session, base)
    overdue_n = _scalar_count(session, base.where(X.due_on < today()))
    out.append(Figure("R10", "述职评议整改未完成（其中逾期）", f"{open_n}（{overdue_n}）", "项", "reports",
                      {"tab": "publish", "overdue": "1"}, bad=overdue_n > 0,
                      help="选民评议提出的意见应整改，并在代表组会议上通报"))
    r16 = _scalar_count(session, _not_heard_stmt(actor, year))
    out.append(Figure("R16", "本年尚未听取工作汇报的代表组", r16, "个", "reports",
                      {"tab": "hearing", "year": y}, bad=r16 > 0, help="常委会工作机构定期听取代表组工作汇报"))
    return out


def can_write(actor: Actor) -> bool:
    """True when the actor may write plans, meetings and written reports (pages hide forms otherwise)."""
    return actor.can_write("report")


__all__ = [
    "FACE", "WRITTEN", "PermissionDenied", "add_hearing", "add_rectification", "figures", "grade_of",
    "groups_not_heard", "list_hearings", "list_meetings", "list_rectifications", "lock_plan", "overview",
    "plan_detail", "propose_plan", "save_meeting", "save_plan", "save_written", "set_publication",
    "unpublished", "update_rectification", "written_status",
]
