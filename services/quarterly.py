"""季度汇总 (R13): per group and quarter, the problems voters raised (letters and activities'
opinions), their state and how each was resolved; exports in the layout an office sends to the
standing committee's working body; submission marks; groups that have not submitted.

Each problem row carries its kind (``ProblemKind``), its state (a ``services.states`` member) and
whether it is resolved (``rules.letter_resolved`` / ``rules.opinion_resolved``) as data; the
columns of ``COLUMNS`` are built for display only and nothing is read back from them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models
from services import clock, people, rules
from services.common import (
    REVEAL_ROLES,
    Actor,
    Figure,
    NotFound,
    PermissionDenied,
    ValidationError,
    check_version,
    scope_filter,
)
from services.letters import Clock
from services.opinions import Clock as OpinionClock
from services.states import LetterStatus, OpinionSource, OpinionStatus, Outcome, Role
from services.validation import clean_text, fmt_date, mask_free_text

L, O, G, Di, Q = models.Letter, models.Opinion, models.DeputyGroup, models.District, models.QuarterlySummary
COLUMNS = ["序号", "来源", "反映日期", "选区", "问题类别", "反映问题", "转办单位", "办理状态", "结果分类", "解决情况"]


class ProblemKind(StrEnum):
    """Where a problem of the summary came from."""

    LETTER = "来信"
    OPINION = "群众意见"


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": "季度应为1至4"})
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter) of a date."""
    return day.year, (day.month - 1) // 3 + 1


def last_quarter(day: date) -> tuple[int, int]:
    """(year, quarter) of the quarter before the one ``day`` falls in."""
    y, q = quarter_of(day)
    return (y - 1, 4) if q == 1 else (y, q - 1)


def due_quarter(year: int) -> tuple[int, int]:
    """The quarter whose summary 工作台 asks about for ``year``: the fourth quarter of a past
    year; in the current year (or a later one), the last quarter that has ended by today (in
    January–March, the fourth quarter of last year)."""
    today = clock.today()
    if year < today.year:
        return year, 4
    return last_quarter(today)


def _group(session: Session, actor: Actor, group_id: int | None) -> models.DeputyGroup:
    """Return a group inside the actor's scope, else raise NotFound."""
    group = session.get(G, group_id) if group_id else None
    if group is None or not actor.in_scope(group.office_id, group.id):
        raise NotFound("该代表组不存在或不在您的负责范围内。")
    return group


def _resolution_of_letter(state: LetterStatus, result: str | None, satisfaction: str | None,
                          reason: str | None) -> str:
    """How a letter was resolved, in one line (display)."""
    if state == LetterStatus.FED_BACK:
        return f"{result or '已办结'}（已反馈，来信人{satisfaction or '未评价'}）"
    if state == LetterStatus.CONCLUDED:
        return f"{result or '已办结'}（待反馈来信人）"
    if state in (LetterStatus.REJECTED, LetterStatus.MERGED):
        return f"{state}：{reason or ''}"
    return "正在办理"


def _resolution_of_opinion(state: OpinionStatus, resolved: bool, unresolvable: bool, result: str | None,
                           resolved_by: str | None, reason: str | None) -> str:
    """How an opinion was resolved, in one line (display)."""
    told = state == OpinionStatus.FED_BACK
    if resolved:
        text = result or (f"由{resolved_by}解决" if resolved_by else "已解决")
        return text + ("（已反馈选民）" if told else "")
    if unresolvable:
        return f"无法解决：{reason or ''}" + ("（已向选民说明）" if told else "")
    return "正在办理"


def problems(session: Session, actor: Actor, group_id: int, year: int, quarter: int) -> list[dict]:
    """The problems a group's voters raised in a quarter: letters (not merged) and opinions.

    Each row holds the display columns (``COLUMNS``) and, as data, ``_kind`` (ProblemKind),
    ``_state`` (LetterStatus / OpinionStatus), ``_resolved`` (the one rule of each kind, as of
    today) and ``_closed`` (refused, or found unresolvable).
    """
    _group(session, actor, group_id)
    lo, hi = quarter_bounds(year, quarter)
    letters = session.execute(
        select(L.received_on, Di.name, L.category, L.summary, L.forwarded_to, L.status, L.result, L.satisfaction,
               L.outcome,
               L.close_reason, L.code, L.reply_due, L.resolve_due, L.step_due, L.paused_since,
               rules.letter_resolved().label("resolved"))
        .join(Di, Di.id == L.district_id)
        .where(L.group_id == group_id, L.received_on.between(lo, hi), L.status != LetterStatus.MERGED)
        .order_by(L.received_on, L.id)
    ).all()
    opinions = session.execute(
        select(O.raised_on, Di.name, O.category, O.content, O.forwarded_to, O.status, O.result, O.resolved_by,
               O.unresolvable_reason, O.feedback, O.source, O.outcome, O.forward_due, O.resolve_due, O.feedback_due,
               O.paused_since, rules.opinion_resolved(lo, clock.today()).label("resolved"))
        .join(Di, Di.id == O.district_id)
        .where(O.group_id == group_id, O.raised_on.between(lo, hi))
        .order_by(O.raised_on, O.id)
    ).all()
    overdue = Clock(session)
    op_clock = OpinionClock(session)
    rows = []
    for r in letters:
        state = LetterStatus(r.status)
        late = overdue.level(state, r.paused_since is not None,
                             {"reply_due": r.reply_due, "resolve_due": r.resolve_due, "step_due": r.step_due})
        rows.append({"来源": f"来信{r.code}", "反映日期": r.received_on, "选区": r[1], "问题类别": r.category,
                     "反映问题": r.summary, "转办单位": r.forwarded_to or "",
                     "办理状态": state + (f"（{late}）" if late else ""), "结果分类": r.outcome or "",
                     "解决情况": _resolution_of_letter(state, r.result, r.satisfaction, r.close_reason),
                     "_kind": ProblemKind.LETTER, "_state": state, "_resolved": bool(r.resolved),
                     "_closed": state == LetterStatus.REJECTED})
    for r in opinions:
        state = OpinionStatus(r.status)
        resolved = bool(r.resolved)
        unresolvable = not resolved and (state == OpinionStatus.UNRESOLVABLE or r.unresolvable_reason is not None)
        rows.append({"来源": "联系活动" if r.source == OpinionSource.ACTIVITY else "述职评议", "反映日期": r.raised_on,
                     "选区": r[1], "问题类别": r.category, "反映问题": r.content, "转办单位": r.forwarded_to or "",
                     "办理状态": str(state) + (f"（{late}）" if (late := op_clock.level(
                         state, r.paused_since is not None, r.forward_due, r.resolve_due, r.feedback_due)) else ""),
                     "结果分类": r.outcome or "",
                     "解决情况": _resolution_of_opinion(state, resolved, unresolvable, r.result, r.resolved_by,
                                                    r.unresolvable_reason),
                     "_kind": ProblemKind.OPINION, "_state": state, "_resolved": resolved, "_closed": unresolvable})
    rows.sort(key=lambda x: (x["反映日期"], x["来源"]))
    masked = actor.role not in REVEAL_ROLES  # personal data typed into the text (phones, IDs, house numbers)
    for i, row in enumerate(rows, start=1):
        row["序号"] = i
        if masked:
            for col in ("反映问题", "转办单位", "解决情况"):
                row[col] = mask_free_text(row[col])
    return rows


def summary(session: Session, actor: Actor, group_id: int, year: int, quarter: int) -> dict:
    """The quarterly summary of a group: rows, counts by category and state, totals, submission."""
    group = _group(session, actor, group_id)
    rows = problems(session, actor, group_id, year, quarter)
    by_category: dict[str, dict[str, int]] = {}
    by_state: dict[tuple[ProblemKind, str], int] = {}
    for r in rows:
        c = by_category.setdefault(r["问题类别"], {"问题数": 0, "已解决": 0, "办理中": 0, "未解决或不予受理": 0})
        c["问题数"] += 1
        key = "已解决" if r["_resolved"] else ("未解决或不予受理" if r["_closed"] else "办理中")
        c[key] += 1
        by_state[(r["_kind"], r["_state"])] = by_state.get((r["_kind"], r["_state"]), 0) + 1
    totals = {
        "问题总数": len(rows),
        "来信": sum(1 for r in rows if r["_kind"] == ProblemKind.LETTER),
        "群众意见": sum(1 for r in rows if r["_kind"] == ProblemKind.OPINION),
        "已解决": sum(1 for r in rows if r["_resolved"]),
        "未解决或不予受理": sum(1 for r in rows if r["_closed"]),
    }
    # the answers that are not solutions, shown as what they are (A alone counts as 已解决)
    for cls in (Outcome.B, Outcome.C, Outcome.D):
        totals[str(cls)] = sum(1 for r in rows if r["结果分类"] == cls)
    totals["办理中"] = totals["问题总数"] - totals["已解决"] - totals["未解决或不予受理"]
    sub = session.execute(select(Q).where(Q.group_id == group_id, Q.year == year, Q.quarter == quarter)).scalars().first()
    office = session.get(models.Office, group.office_id)
    return {
        "group": group.name, "office": office.name if office else "", "liaison": group.liaison_name or "",
        "year": year, "quarter": quarter,
        "title": f"{group.name}{year}年第{quarter}季度群众反映问题及解决情况汇总表",
        "rows": [{k: r[k] for k in COLUMNS} for r in rows],
        "by_category": [{"问题类别": k, **v} for k, v in sorted(by_category.items(), key=lambda kv: -kv[1]["问题数"])],
        "by_state": [{"办理状态": f"{kind}·{state}", "数量（件）": n}
                     for (kind, state), n in sorted(by_state.items())],
        "totals": totals,
        "submitted_by": people.name_of(session, sub.submitted_by) if sub and sub.submitted_at else None,
        "submitted_at": sub.submitted_at if sub else None,
        "version": sub.version if sub else 0,  # 0: no mark yet (the submit form sends it back)
        "note": sub.note if sub else None,
    }


def _classes(t: dict) -> str:
    """The answers that are not solutions, as they are: B 正在解决 n件，C … , D …."""
    return "，".join(f"{c}{t.get(str(c), 0)}件" for c in (Outcome.B, Outcome.C, Outcome.D))


def _mark_as_seen(session: Session, group_id: int, year: int, quarter: int,
                  expected_version: int | None) -> models.QuarterlySummary | None:
    """The quarter's submission row, refused (StaleError: who, when) when it changed since the page
    showed ``expected_version`` (0: no row then; None: not checked)."""
    row = session.execute(select(Q).where(Q.group_id == group_id, Q.year == year, Q.quarter == quarter)).scalars().first()
    if expected_version is not None and row is not None:
        check_version(row, expected_version, "该季度汇总的报送状态")
    return row


def submit(session: Session, actor: Actor, group_id: int, year: int, quarter: int, note: str = "",
           expected_version: int | None = None) -> None:
    """Mark a group's quarterly summary as submitted to the working body (who, when); a page
    drawn before another change of the mark (``expected_version``) is refused."""
    actor.require_write("quarterly")
    _group(session, actor, group_id)
    lo, _hi = quarter_bounds(year, quarter)
    if lo > clock.today():
        raise ValidationError({"quarter": "该季度尚未开始，不能报送"})
    row = _mark_as_seen(session, group_id, year, quarter, expected_version)
    if row is not None and row.submitted_at is not None:
        raise ValidationError({"quarter": f"该季度汇总已于{fmt_date(row.submitted_at)}由{people.name_of(session, row.submitted_by)}报送"})
    if row is None:
        row = Q(group_id=group_id, year=year, quarter=quarter)
        session.add(row)
    row.submitted_by = actor.display_name or actor.username
    row.submitted_at = clock.now()
    row.note = clean_text(note) or None
    session.flush()


def withdraw(session: Session, actor: Actor, group_id: int, year: int, quarter: int,
             expected_version: int | None = None) -> None:
    """Withdraw a submission (admin only), e.g. to correct and submit again (a stale page: StaleError)."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("只有系统管理员可以撤回已报送的季度汇总。")
    row = _mark_as_seen(session, group_id, year, quarter, expected_version)
    if row is None or row.submitted_at is None:
        raise ValidationError({"quarter": "该季度汇总尚未报送"})
    row.submitted_at = None
    row.submitted_by = None
    session.flush()


def status_list(session: Session, actor: Actor, year: int, quarter: int) -> list[dict]:
    """Every active group in scope with its submission state for a quarter (``submitted`` as
    data; 报送状态 for display)."""
    stmt = (select(G.id, G.name, G.liaison_name, people.display(Q.submitted_by), Q.submitted_at)
            .outerjoin(Q, (Q.group_id == G.id) & (Q.year == year) & (Q.quarter == quarter))
            .where(G.active.is_(True)).order_by(G.office_id, G.name))
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    return [{"id": i, "submitted": at is not None, "代表组": n, "联络员": li or "",
             "报送状态": "已报送" if at else "未报送", "报送人": by or "", "报送时间": fmt_date(at)}
            for i, n, li, by, at in session.execute(stmt)]


def not_submitted(session: Session, actor: Actor, year: int, quarter: int) -> list[dict]:
    """Groups that have not submitted the quarter's summary."""
    return [r for r in status_list(session, actor, year, quarter) if not r["submitted"]]


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figure of R13: groups in scope that have not submitted the summary of the
    quarter due for ``year`` (``due_quarter``)."""
    y, q = due_quarter(year)
    missing = len(not_submitted(session, actor, y, q))
    return [Figure("R13", f"未报送{y}年第{q}季度汇总的代表组", missing, "个", "quarterly",
                   {"view": "missing", "year": str(y), "quarter": str(q)}, bad=missing > 0,
                   help="代表组联络员每季度汇总群众反映问题及解决情况，报常委会工作机构")]


# ---------------------------------------------------------------- documents


def to_xlsx(s: dict) -> bytes:
    """The summary as .xlsx through the one writer (services.excel): title, group and quarter,
    the table with grid lines, then totals, the count by category, date and liaison."""
    import pandas as pd

    from services import excel

    t = s["totals"]
    cat_cols = ["问题类别", "问题数", "已解决", "办理中", "未解决或不予受理"]
    footer: list[list[object]] = [
        [excel.Strong("合计"), (f"共{t['问题总数']}件（来信{t['来信']}件、群众意见{t['群众意见']}件），"
                               f"已解决（A类）{t['已解决']}件，办理中{t['办理中']}件，"
                               f"未解决或不予受理{t['未解决或不予受理']}件；{_classes(t)}")],
        [],
        [excel.Strong("分类统计")],
        [excel.Strong(c) for c in cat_cols],
        *[[r[c] for c in cat_cols] for r in s["by_category"]],
        [],
        [f"填报日期：{fmt_date(clock.today())}", None, None, None, f"联络员：{s['liaison']}"],
    ]
    if s.get("submitted_at"):
        footer.append([f"已于{fmt_date(s['submitted_at'])}由{s['submitted_by']}报送"])
    frame = pd.DataFrame([[r[c] for c in COLUMNS] for r in s["rows"]], columns=COLUMNS)
    return excel.to_xlsx({f"{s['year']}年第{s['quarter']}季度": frame}, title=s["title"],
                         notes=[f"代表组：{s['group']}（{s['office']}）　季度：{s['year']}年第{s['quarter']}季度"],
                         footer=footer, widths=[4, 14, 10, 8, 8, 38, 14, 8, 34],
                         wrap_columns=("反映问题", "解决情况"), boxed=True, stream=False)


def to_docx(s: dict) -> bytes:
    """The summary as a 公文 (services.documents, A4 landscape for the nine columns): the table
    repeats its header on every page; totals, 联络员 and the date in Chinese numerals."""
    from services.documents import GongWen
    from services.validation import printable

    s = printable(s)  # a pasted control character must not break the document
    # the title on two lines, broken where the words break (not one character left over)
    g = GongWen(f"{s['group']}{s['year']}年第{s['quarter']}季度\n群众反映问题及解决情况汇总表", landscape=True)
    g.para(f"代表组：{s['group']}（{s['office']}）　　季度：{s['year']}年第{s['quarter']}季度", indent=False)
    cols = COLUMNS[1:]  # 序号 is numbered by the table
    g.table(cols, [[r[c] for c in cols] for r in s["rows"]], numbered=True, empty="本季度无群众反映问题。",
            small=True)
    t = s["totals"]
    g.para(f"合计：共{t['问题总数']}件（来信{t['来信']}件、群众意见{t['群众意见']}件），已解决（A类）{t['已解决']}件，"
           f"办理中{t['办理中']}件，未解决或不予受理{t['未解决或不予受理']}件；{_classes(t)}。")
    if s["by_category"]:
        g.para("分类统计：" + "；".join(
            f"{r['问题类别']}{r['问题数']}件（已解决{r['已解决']}件）" for r in s["by_category"]) + "。")
    g.para(f"联络员：{s['liaison'] or '（未登记）'}")
    g.signature(clock.today(), s["group"])
    return g.to_bytes()
