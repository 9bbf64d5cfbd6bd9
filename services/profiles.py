"""履职档案 (R19): one deputy's performance file for a year, laid out in the five aspects of a report
(R8), with the scores on the five focuses; exported as a printable .docx (and PDF when LibreOffice is
on the PATH).

The five aspects (R8):
一、出席人代会情况; 二、闭会期间参加常委会和代表小组活动、视察调研执法检查; 三、联系选民、反映意见、
提出议案建议; 四、宣传和遵守宪法法律; 五、为选民办实事. A sixth part lists the year's 述职.
Letter writers' personal data never enters the file (only the letter's number, category and outcome).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db import models as M
from services import clock, deputies, opinions, rules, scoring
from services.common import Actor, Figure, NotFound, scope_filter
from services.states import Role
from services.validation import fmt_date, mask_columns

ASPECTS = [
    "一、出席人代会情况",
    "二、闭会期间参加常委会和代表小组活动、视察、调研、执法检查情况",
    "三、联系选民、反映群众意见、提出议案建议情况",
    "四、宣传和遵守宪法法律情况",
    "五、为选民办实事情况",
]
REPORTS_TITLE = "附：向选民述职情况"
# the file's free text (places, opinions, results, titles): personal data typed into it is masked
# for roles that see masked data, on the page and in the .docx (issue 16)
TEXT_COLUMNS = ("地点", "会议或活动", "群众意见", "办理结果", "标题", "内容", "转交单位", "办理单位", "承办单位")
NOT_HELD = "未举行"  # shown for an event of the year that has not happened yet (never 出席)


def _bounds(year: int) -> tuple[date, date]:
    """First day of a year and its reference day: the file, like the score, lists what has
    happened up to that day (31 December of a past year, today in the current year)."""
    return date(year, 1, 1), deputies.reference_day(year)


def _deputy(session: Session, actor: Actor, deputy_id: int, year: int | None = None) -> tuple[M.Deputy, M.DeputyGroup]:
    """The deputy and today's group, inside the actor's scope: the scope of the group the deputy
    served in during ``year`` (a past year's file stays with that year's group after a move), or of
    today's group."""
    d = session.get(M.Deputy, deputy_id)
    if d is None:
        raise NotFound("代表不存在。")
    g = session.get(M.DeputyGroup, d.group_id)
    if year is not None and not actor.in_scope(g.office_id, g.id):
        for s in deputies.served_in(session, year, deputy_ids=[deputy_id]):
            then = session.get(M.DeputyGroup, s.group_id)
            if actor.in_scope(then.office_id, then.id):
                return d, g
    actor.require_scope(g.office_id, g.id)
    return d, g


def _attendance(session: Session, deputy_id: int, year: int, congress: bool) -> list[dict]:
    """Events of the year the deputy was invited to: at the congress (rules.CONGRESS_KINDS), or the
    other activities (standing-committee activities and 代表小组活动). An event after the reference
    day has not happened: it shows as 未举行, as the score does not count it (rules.attended)."""
    E, A = M.CongressEvent, M.Attendance
    lo, ref = _bounds(year)
    congress_kinds = list(rules.CONGRESS_KINDS)
    kind = E.kind.in_(congress_kinds) if congress else E.kind.not_in(congress_kinds)
    rows = session.execute(
        select(E.held_on, E.kind, E.title, A.status).join(A, A.event_id == E.id)
        .where(A.deputy_id == deputy_id, E.held_on.between(lo, date(year, 12, 31)), kind).order_by(E.held_on, E.id)
    ).all()
    return [{"日期": fmt_date(d), "类型": k, "会议或活动": t, "出席情况": st if d <= ref else NOT_HELD}
            for d, k, t, st in rows]


def _activities(session: Session, deputy_id: int, year: int) -> list[dict]:
    """Contact activities the deputy took part in (every one, with a note when a spot check voided it)."""
    A, AD = M.Activity, M.ActivityDeputy
    lo, ref = _bounds(year)
    rows = session.execute(
        select(A.held_on, A.place, A.kind, A.mode, A.voters_reached, A.typical,
               rules.voided_by_spotcheck(A.id).label("void"))
        .join(AD, AD.activity_id == A.id).where(AD.deputy_id == deputy_id, A.held_on.between(lo, ref))
        .order_by(A.held_on, A.id)
    ).all()
    return [{"日期": fmt_date(d), "地点": p, "活动类型": k, "活动形式": m, "联系选民（人）": v,
             "典型事例": "是" if t else "", "说明": "抽查不合格，记录作废" if void else ""}
            for d, p, k, m, v, t, void in rows]


def _opinions(session: Session, deputy_id: int, year: int, resolved_only: bool = False) -> list[dict]:
    """Opinions credited to the deputy (rules.opinion_credit: the deputy in charge alone when one is
    named): raised in the year, or — ``resolved_only`` — resolved in the year (rules.opinion_resolved),
    exactly those the score's F3 counts."""
    O = M.Opinion
    lo, ref = _bounds(year)
    cond = rules.opinion_resolved(lo, ref) if resolved_only else O.raised_on.between(lo, ref)
    credit = rules.opinion_credit([cond]).subquery("credit")
    stmt = (select(O.raised_on, O.category, O.content, O.forwarded_to, O.status, O.resolved_on, O.result,
                   O.paused_since, O.forward_due, O.resolve_due, O.feedback_due)
            .join(credit, credit.c.opinion_id == O.id).where(credit.c.deputy_id == deputy_id))
    order = (O.resolved_on, O.id) if resolved_only else (O.raised_on, O.id)
    rows = session.execute(stmt.order_by(*order)).all()
    if resolved_only:
        return [{"解决日期": fmt_date(r[5]), "类别": r[1], "群众意见": r[2], "办理单位": r[3] or "",
                 "办理结果": r[6] or ""} for r in rows]
    # the opinion's deadline state today (the one overdue rule, services.deadlines)
    clock_ = opinions.Clock(session)
    return [{"日期": fmt_date(r[0]), "类别": r[1], "群众意见": r[2], "转交单位": r[3] or "",
             "状态": r[4] + (f"（{late}）" if (late := clock_.level(r[4], r[7] is not None, r[8], r[9], r[10])) else "")}
            for r in rows]


def _letters(session: Session, deputy_id: int, year: int, resolved_only: bool = False) -> list[dict]:
    """Letters credited to the deputy (rules.letter_credit) received in the year; ``resolved_only``:
    those the handling body has answered (rules.letter_resolved). Never the writer's data."""
    L = M.Letter
    lo, ref = _bounds(year)
    where = [L.received_on.between(lo, ref)]
    if resolved_only:
        where.append(rules.letter_resolved())
    credit = rules.letter_credit(where).subquery("credit")
    stmt = (select(L.code, L.received_on, L.category, L.status, L.forwarded_to, L.satisfaction)
            .join(credit, credit.c.letter_id == L.id).where(credit.c.deputy_id == deputy_id))
    rows = session.execute(stmt.order_by(L.received_on, L.id)).all()
    return [{"编号": c, "收信日期": fmt_date(d), "类别": cat, "状态": s, "转办单位": f or "",
             "来信人评价": sat or ""} for c, d, cat, s, f, sat in rows]


def _proposals(session: Session, deputy_id: int, year: int, law_only: bool = False) -> list[dict]:
    """议案 / 建议 the deputy led or co-signed, submitted up to the reference day."""
    P, PS = M.Proposal, M.ProposalSigner
    lo, ref = _bounds(year)
    signed = select(PS.proposal_id).where(PS.deputy_id == deputy_id)
    stmt = select(P.submitted_on, P.kind, P.title, P.lead_deputy_id, P.status, P.handling_body).where(
        or_(P.lead_deputy_id == deputy_id, P.id.in_(signed)), P.submitted_on.between(lo, ref))
    if law_only:
        stmt = stmt.where(P.law_related.is_(True))
    rows = session.execute(stmt.order_by(P.submitted_on, P.id)).all()
    return [{"提出日期": fmt_date(d), "类别": k, "标题": t, "署名": "领衔" if lead == deputy_id else "附议",
             "状态": s, "承办单位": b or ""} for d, k, t, lead, s, b in rows]


def _publicity(session: Session, deputy_id: int, year: int) -> list[dict]:
    """宣传 / 普法 / 法制调研 work up to the reference day."""
    P, PD = M.PublicityWork, M.PublicityDeputy
    lo, ref = _bounds(year)
    rows = session.execute(
        select(P.held_on, P.kind, P.title, P.audience).join(PD, PD.work_id == P.id)
        .where(PD.deputy_id == deputy_id, P.held_on.between(lo, ref)).order_by(P.held_on, P.id)
    ).all()
    return [{"日期": fmt_date(d), "类型": k, "内容": t, "受众（人）": a} for d, k, t, a in rows]


def _reports(session: Session, deputy_id: int, year: int) -> list[dict]:
    """The year's 述职 with evaluation and publication."""
    R = M.Report
    rows = session.execute(select(R).where(R.deputy_id == deputy_id, R.year == year).order_by(R.form)).scalars()
    out = []
    for r in rows:
        votes = (r.satisfied or 0) + (r.basically_satisfied or 0) + (r.unsatisfied or 0)
        rate = f"{((r.satisfied or 0) + (r.basically_satisfied or 0)) / votes:.0%}" if votes else ""
        out.append({"形式": r.form, "日期": fmt_date(r.held_on or r.received_on), "地点": r.venue or "",
                    "到会选民（人）": r.voters_present if r.voters_present is not None else "",
                    "满意率": rate, "审查结果": r.review_result or "", "刊登日期": fmt_date(r.published_on)})
    return out


def _group_of_year(session: Session, deputy_id: int, year: int) -> tuple[str | None, str]:
    """The deputy's group in ``year`` (of the last period in the year, deputies.served_in) and the
    service in the year (全年, or days served and the share of the year), or (None, "") when the
    deputy did not serve in the year."""
    served = deputies.served_in(session, year, deputy_ids=[deputy_id])
    if not served:
        return None, ""
    s = served[0]
    if s.fraction >= 1:
        return s.group, "全年"
    if s.last_day is None and s.days_to_date < s.days:  # still serving in the current year
        return s.group, (f"{s.days_to_date} 天（{fmt_date(s.first_day)}起至今；评分按任职至年底"
                         f"占全年 {scoring.fraction_label(s.fraction)} 折算）")
    return s.group, f"{s.days} 天（{scoring.fraction_label(s.fraction)}）"


def profile(session: Session, actor: Actor, deputy_id: int, year: int, rubric_id: int | None = None,
            ranking: scoring.Ranking | None = None) -> dict:
    """The performance file of one deputy for a year: header, five aspects, 述职, scores.

    Returns {"header": {...}, "aspects": [{"title", "parts": [(subtitle, rows)]}], "reports": rows,
    "scores": {...} or None, "radar": {name: {F: score}}}. ``ranking`` (of the current rubric and
    the year) saves recomputing the scores when the caller has them.
    """
    d, g = _deputy(session, actor, deputy_id, year)
    district = session.get(M.District, d.district_id).name if d.district_id else ""
    term = session.get(M.Term, d.term_id)
    group_of_year, served = _group_of_year(session, deputy_id, year)
    header = {"姓名": d.name, "性别": d.gender or "", "出生年份": d.birth_year or "", "政治面貌": d.party or "",
              "工作单位及职务": d.unit_title or "", "代表组": group_of_year or g.name, "选区": district,
              "届次": term.name if term else "", "状态": d.status, "到任日期": fmt_date(d.joined_on),
              "离任日期": fmt_date(d.left_on), "本年任职": served or "本年未任职"}
    aspects = [
        {"title": ASPECTS[0], "parts": [("出席人代会", _attendance(session, deputy_id, year, True))]},
        {"title": ASPECTS[1], "parts": [("参加常委会及代表小组活动", _attendance(session, deputy_id, year, False))]},
        {"title": ASPECTS[2], "parts": [("联系选民活动", _activities(session, deputy_id, year)),
                                        ("反映群众意见", _opinions(session, deputy_id, year)),
                                        ("办理代表信箱来信", _letters(session, deputy_id, year)),
                                        ("提出议案建议", _proposals(session, deputy_id, year))]},
        {"title": ASPECTS[3], "parts": [("宣传、普法和法制调研", _publicity(session, deputy_id, year)),
                                        ("涉及法治的议案建议", _proposals(session, deputy_id, year, law_only=True))]},
        {"title": ASPECTS[4], "parts": [("推动解决的群众意见", _opinions(session, deputy_id, year, True)),
                                        ("办结的来信", _letters(session, deputy_id, year, True))]},
    ]
    # personal data typed into the records' text: masked for roles that see masked data (issue 16)
    for aspect in aspects:
        aspect["parts"] = [(sub, mask_columns(rows, actor.role, TEXT_COLUMNS)) for sub, rows in aspect["parts"]]
    reports = mask_columns(_reports(session, deputy_id, year), actor.role, TEXT_COLUMNS)
    out = {"header": header, "year": year, "aspects": aspects, "reports": reports,
           "scores": None, "radar": {}}
    rid = rubric_id or scoring.current_rubric_id(session)
    if rid is not None:
        rk = ranking if ranking is not None and ranking.rubric.id == rid and ranking.year == year \
            else scoring.ranking(session, rid, year)
        me = rk.by_id().get(deputy_id)
        if me is not None:
            avgs = scoring.averages(rk, scoring_scope())
            group = avgs["groups"].get(me["group_id"], {})
            out["scores"] = {"rubric": f"第{rk.rubric.version}版", "focus": me["focus"], "deduction": me["deduction"],
                             "total": me["total"], "grade": me["grade"], "rank": me["rank"],
                             "group_rank": me["group_rank"], "of": len(rk.deputies),
                             "fraction": me["fraction"], "cap": max(rk.rubric.focus_caps.values() or [20])}
            out["radar"] = {f"{d.name}（本人）": me["focus"], "代表组平均": {f: group.get(f, 0) for f in scoring.FOCUSES},
                            "全区平均": {f: avgs["district"][f] for f in scoring.FOCUSES}}
    return out


def scoring_scope() -> Actor:
    """Averages for the radar are over every deputy (the group and the whole district)."""
    return Actor("system", Role.ADMIN)


def to_docx(data: dict) -> bytes:
    """The file as a 公文 (services.documents): the facts, scores, the five aspects, 述职."""
    from services.documents import GongWen
    from services.validation import printable

    data = printable(data)  # a pasted control character must not break the document
    h = data["header"]
    g = GongWen(f"{h['姓名']}代表{data['year']}年度履职档案")
    g.pairs(list(h.items()))
    sc = data.get("scores")
    g.heading("履职评分", number=False)
    if sc:
        g.para(f"依据评分细则{sc['rubric']}：总分{sc['total']:g}分，等级{sc['grade']}，"
               f"全区第{sc['rank']}名（共{sc['of']}人），组内第{sc['group_rank']}名；"
               f"扣分{sc['deduction']:g}分；本年任职比例{scoring.fraction_label(sc['fraction'])}。")
        g.table(["工作重点", "得分"], [[scoring.FOCUS_LONG[f], sc["focus"][f]] for f in scoring.FOCUSES])
    else:
        g.para("尚未发布评分细则，暂无评分。")
    for aspect in data["aspects"]:
        g.heading(aspect["title"], number=False)
        for sub, rows in aspect["parts"]:
            g.heading(f"{sub}（{len(rows)}条）", 2)
            _table(g, rows)
    g.heading(REPORTS_TITLE, number=False)
    _table(g, data["reports"])
    g.para("本档案在代表组会议上通报。")
    g.signature(clock.today())
    return g.to_bytes()


def _table(g, rows: list[dict]) -> None:  # noqa: ANN001 - a documents.GongWen
    """Rows as a table (or 本年度无记录)."""
    if not rows:
        g.para("本年度无记录。")
        return
    cols = list(rows[0])
    g.table(cols, [[r.get(c, "") for c in cols] for r in rows], numbered="序号" not in cols)


def _empty_stmt(actor: Actor, year: int):  # noqa: ANN202
    """R19: deputies serving in the year (deputies.serving_at, in the group of the reference day)
    with neither a contact activity nor a 议案建议 in the year up to the reference day."""
    D, G, A, AD = M.Deputy, M.DeputyGroup, M.Activity, M.ActivityDeputy
    lo, ref = _bounds(year)
    serving = deputies.serving_at(year)
    acts = select(AD.deputy_id).join(A, A.id == AD.activity_id).where(A.held_on.between(lo, ref))
    props = rules.proposal_signers(lo, ref).subquery()
    stmt = (select(D.id, D.name, G.name.label("group_name"))
            .join(serving, serving.c.deputy_id == D.id).join(G, G.id == serving.c.group_id)
            .where(D.id.not_in(acts), D.id.not_in(select(props.c.deputy_id))))
    return scope_filter(stmt, actor, serving.c.office_id, serving.c.group_id).order_by(G.name, D.name, D.id)


def empty_files(session: Session, actor: Actor, year: int) -> list[dict]:
    """R19: serving deputies whose file holds no contact activity and no 议案建议 this year."""
    return [{"deputy_id": i, "代表": n, "代表组": g} for i, n, g in session.execute(_empty_stmt(actor, year))]


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """R19 figure for 工作台."""
    n = session.execute(select(func.count()).select_from(_empty_stmt(actor, year).order_by(None).subquery())).scalar_one()
    return [Figure("R19", "履职档案本年无活动、无议案建议的代表", int(n), "人", "profiles",
                   {"year": str(year), "view": "empty"}, bad=n > 0,
                   help="每位代表建立履职档案，记录联系选民活动和议案建议，并在代表组会议上通报")]
