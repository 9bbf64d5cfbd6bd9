"""热点问题 (R14): where voters' problems concentrate (by category, district, office, month),
concentrated appeals, and supervision topics (监督议题) whose outcome goes back to every writer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db import models
from services import clock, people, rules, settings
from services import letters as letter_service
from services.common import Actor, Figure, NotFound, Page, ValidationError, scope_filter
from services.states import LetterStatus, TopicStatus
from services.validation import clean_text, fmt_date, mask_name, mask_phone

L, O, Di, G, Of = models.Letter, models.Opinion, models.District, models.DeputyGroup, models.Office
T, TL, E = models.SupervisionTopic, models.TopicLetter, models.LetterEvent
_NOT_COUNTED = (LetterStatus.MERGED,)  # a merged letter is counted in the letter it joined


def _bounds(year: int) -> tuple[date, date]:
    """First and last day of a year."""
    return date(year, 1, 1), date(year, 12, 31)


def counts(session: Session, actor: Actor, year: int) -> dict[str, list[dict]]:
    """Letters and opinions of a year by category, by district, by category × office, by month.

    Each list holds dicts with Chinese keys, ready for Altair (数量 in 件).
    """
    lo, hi = _bounds(year)
    lmonth = func.extract("month", L.received_on)
    omonth = func.extract("month", O.raised_on)
    lbase = scope_filter(select().select_from(L), actor, L.office_id, L.group_id).where(
        L.received_on.between(lo, hi), L.status.not_in(_NOT_COUNTED))
    obase = scope_filter(select().select_from(O).join(G, G.id == O.group_id), actor, G.office_id, O.group_id).where(
        O.raised_on.between(lo, hi))
    out: dict[str, dict] = {"category": {}, "district": {}, "office": {}, "month": {}}
    # letters
    for cat, n in session.execute(lbase.with_only_columns(L.category, func.count()).group_by(L.category)):
        out["category"][(cat, "来信")] = int(n)
    for cat, n in session.execute(obase.with_only_columns(O.category, func.count()).group_by(O.category)):
        out["category"][(cat, "群众意见")] = int(n)
    for name, n in session.execute(lbase.join(Di, Di.id == L.district_id)
                                   .with_only_columns(Di.name, func.count()).group_by(Di.name)):
        out["district"][name] = out["district"].get(name, 0) + int(n)
    for name, n in session.execute(obase.join(Di, Di.id == O.district_id)
                                   .with_only_columns(Di.name, func.count()).group_by(Di.name)):
        out["district"][name] = out["district"].get(name, 0) + int(n)
    for cat, office, n in session.execute(lbase.join(Of, Of.id == L.office_id)
                                          .with_only_columns(L.category, Of.name, func.count())
                                          .group_by(L.category, Of.name)):
        out["office"][(cat, office)] = out["office"].get((cat, office), 0) + int(n)
    for cat, office, n in session.execute(obase.join(Of, Of.id == G.office_id)
                                          .with_only_columns(O.category, Of.name, func.count())
                                          .group_by(O.category, Of.name)):
        out["office"][(cat, office)] = out["office"].get((cat, office), 0) + int(n)
    for m, n in session.execute(lbase.with_only_columns(lmonth, func.count()).group_by(lmonth)):
        out["month"][(int(m), "来信")] = int(n)
    for m, n in session.execute(obase.with_only_columns(omonth, func.count()).group_by(omonth)):
        out["month"][(int(m), "群众意见")] = int(n)
    return {
        "category": [{"问题类别": c, "来源": s, "数量": n} for (c, s), n in sorted(out["category"].items())],
        "district": [{"选区": d, "数量": n} for d, n in sorted(out["district"].items(), key=lambda kv: -kv[1])],
        "office": [{"问题类别": c, "办事处": o, "数量": n} for (c, o), n in sorted(out["office"].items())],
        "month": [{"月份": f"{year}-{m:02d}", "来源": s, "数量": n} for (m, s), n in sorted(out["month"].items())],
    }


def concentrated(session: Session, actor: Actor, year: int, min_writers: int | None = None) -> list[dict]:
    """Concentrated appeals: letters of one category and district from several distinct writers.

    A writer is one identity (``letters.writer_key``, services.identity: the phone in any written
    form, else the name); anonymous letters count one each. A letter merged into another keeps its
    writer, who counts here; the letters (件) are those not merged; solved (已解决) are those closed
    as A (rules.letter_resolved: B, C and D are answered, not solved).
    """
    need = int(min_writers or settings.get(session, "hot_min_writers"))
    lo, hi = _bounds(year)
    writer = func.coalesce(L.writer_key, L.code)
    kept = func.sum(case((L.status.not_in(_NOT_COUNTED), 1), else_=0))
    solved = func.sum(case((rules.letter_resolved(), 1), else_=0))  # A only: B, C, D are not solved
    stmt = (select(L.category, L.district_id, Di.name, G.name, func.count(func.distinct(writer)), kept,
                   func.min(L.received_on), func.max(L.received_on), solved)
            .join(Di, Di.id == L.district_id).join(G, G.id == L.group_id)
            .where(L.received_on.between(lo, hi), L.status != LetterStatus.REJECTED)
            .group_by(L.category, L.district_id, Di.name, G.name)
            .having(func.count(func.distinct(writer)) >= need))
    stmt = scope_filter(stmt, actor, L.office_id, L.group_id)
    topics = {(c, d): t for c, d, t in session.execute(
        select(T.category, T.district_id, T.title).where(T.status == TopicStatus.OPEN))}
    rows = [{"问题类别": c, "district_id": d, "选区": dn, "代表组": gn, "来信人数（人）": int(w), "来信（件）": int(n or 0),
             "已解决（件）": int(ok or 0), "最早来信": first, "最近来信": last, "监督议题": topics.get((c, d), "")}
            for c, d, dn, gn, w, n, first, last, ok in session.execute(stmt)]
    rows.sort(key=lambda r: (-r["来信人数（人）"], -r["来信（件）"], r["问题类别"]))
    return rows


def letters_of(session: Session, actor: Actor, year: int, category: str, district_id: int) -> dict[int, str]:
    """Open or closed letters of one appeal, {id: "编号 日期 摘要"} (for a topic's letter list)."""
    lo, hi = _bounds(year)
    stmt = (select(L.id, L.code, L.received_on, L.summary)
            .where(L.category == category, L.district_id == district_id, L.received_on.between(lo, hi),
                   L.status.not_in(_NOT_COUNTED)).order_by(L.received_on))
    stmt = scope_filter(stmt, actor, L.office_id, L.group_id)
    return {i: f"{c} {d:%Y-%m-%d} {(s or '')[:30]}" for i, c, d, s in session.execute(stmt)}


def create_topic(session: Session, actor: Actor, *, title: str, category: str | None, district_id: int | None,
                 letter_ids: list[int]) -> models.SupervisionTopic:
    """Make a concentrated appeal a supervision topic (leader or admin) covering the given letters."""
    actor.require_write("topic")
    title = clean_text(title)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "请填写议题名称"
    elif len(title) > 128:
        errors["title"] = "议题名称不超过128字"
    ids = sorted({int(i) for i in letter_ids or []})
    if not ids:
        errors["letter_ids"] = "请选择议题涵盖的来信"
    elif session.execute(select(func.count()).select_from(L).where(L.id.in_(ids))).scalar_one() != len(ids):
        errors["letter_ids"] = "所选来信有的不存在"
    if errors:
        raise ValidationError(errors)
    topic = T(title=title, category=category, district_id=district_id, status=TopicStatus.OPEN,
              created_by=actor.display_name or actor.username)
    session.add(topic)
    session.flush()
    # the letters merged into those chosen keep their writers, who are told the outcome too
    merged = session.execute(select(L.id).where(L.merged_into_id.in_(ids))).scalars().all()
    session.add_all([TL(topic_id=topic.id, letter_id=i) for i in sorted(set(ids) | set(merged))])
    session.flush()
    return topic


def list_topics(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """Supervision topics, newest first, with letters covered and writers still to be told."""
    covered = func.count(TL.letter_id)
    stmt = (select(T.id, T.title, T.category, Di.name, T.status, T.outcome_class, T.created_by, T.created_at,
                   T.closed_at, covered.label("n"))
            .outerjoin(Di, Di.id == T.district_id).outerjoin(TL, TL.topic_id == T.id)
            .group_by(T.id, T.title, T.category, Di.name, T.status, T.outcome_class, T.created_by, T.created_at,
                      T.closed_at)
            .order_by(T.created_at.desc(), T.id.desc()))
    if f.get("status"):
        stmt = stmt.where(T.status == f["status"])
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    ids = [r.id for r in rows]
    untold = dict(session.execute(
        select(TL.topic_id, func.count()).join(T, T.id == TL.topic_id)
        .where(TL.topic_id.in_(ids), TL.told_at.is_(None), T.status == TopicStatus.CLOSED).group_by(TL.topic_id)
    ).all()) if ids else {}
    who = people.names_of(session, [r.created_by for r in rows])
    out = [{"id": r.id, "议题": r.title, "问题类别": r.category or "", "选区": r[3] or "", "状态": r.status,
            "结果分类": r.outcome_class or ("未分类" if r.status == TopicStatus.CLOSED else ""),
            "涵盖来信（件）": int(r.n or 0), "待告知来信人（人）": int(untold.get(r.id, 0)),
            "提出人": who.get(r.created_by, ""), "提出时间": fmt_date(r.created_at), "办结时间": fmt_date(r.closed_at)} for r in rows]
    return Page(out, int(total))


def close_topic(session: Session, actor: Actor, topic_id: int, outcome: str, outcome_class: str | None = None,
                ) -> None:
    """Close a topic with its outcome and its class (A 已解决 / B 正在解决 / C 列入计划逐步解决 /
    D 因条件限制留作参考, as letters are closed); every covered letter gets both for its feedback
    (the writers to tell, the letter's history and, while it is open without a result, its result).
    Only A counts as solved (``solved_topics``)."""
    actor.require_write("topic")
    topic = session.get(T, topic_id)
    if topic is None:
        raise NotFound("该监督议题不存在。")
    if topic.status == TopicStatus.CLOSED:
        raise ValidationError({"outcome": "该议题已办结"})
    outcome = clean_text(outcome)
    errors: dict[str, str] = {}
    if not outcome:
        errors["outcome"] = "请填写议题办理结果"
    if outcome_class not in letter_service.OUTCOMES:
        errors["outcome_class"] = ("请选择办理结果分类（A 已解决 / B 正在解决 / C 列入计划逐步解决 / "
                                   "D 因条件限制留作参考）")
    if errors:
        raise ValidationError(errors)
    topic.status = TopicStatus.CLOSED
    topic.outcome = outcome
    topic.outcome_class = outcome_class
    topic.closed_at = clock.now()
    letters = session.execute(
        select(L).join(TL, TL.letter_id == L.id).where(TL.topic_id == topic.id)
    ).scalars().all()
    who = actor.display_name or actor.username
    for letter in letters:
        if letter.status not in letter_service.CLOSED and not letter.result:
            letter.result = f"监督议题“{topic.title}”办理结果（{outcome_class}）：{outcome}"
        session.add(E(letter_id=letter.id, round=letter.round, from_status=letter.status, to_status="议题办结",
                      happened_on=clock.today(), by=who,
                      note=f"监督议题“{topic.title}”已办结（{outcome_class}）：{outcome}（请告知来信人）"))
    session.flush()


def solved_topics(session: Session) -> dict[str, int]:
    """Supervision topics closed, and of them solved (class A only; B, C, D are answers, not
    solutions, like letters: rules.letter_resolved) and not classed (closed before the classes)."""
    rows = dict(session.execute(select(T.outcome_class, func.count()).where(T.status == TopicStatus.CLOSED)
                                .group_by(T.outcome_class)).all())
    return {"已办结": sum(rows.values()), "已解决（A类）": rows.get(letter_service.OUTCOMES[0], 0),
            "未分类": rows.get(None, 0)}


def untold_writers(session: Session, actor: Actor, topic_id: int | None = None) -> list[dict]:
    """Writers of letters in closed topics not yet told the outcome (masked), for the staff to call."""
    stmt = (select(TL.topic_id, T.title, L.id, L.code, L.writer_name, L.writer_phone, L.received_on, G.name,
                   T.outcome_class)
            .join(T, T.id == TL.topic_id).join(L, L.id == TL.letter_id).join(G, G.id == L.group_id)
            .where(T.status == TopicStatus.CLOSED, TL.told_at.is_(None)).order_by(T.id, L.received_on))
    stmt = scope_filter(stmt, actor, L.office_id, L.group_id)
    if topic_id:
        stmt = stmt.where(TL.topic_id == topic_id)
    return [{"topic_id": t, "letter_id": lid, "议题": title, "结果分类": cls or "未分类", "来信编号": code,
             "来信人": mask_name(name) if name else "匿名", "联系电话": mask_phone(phone), "收信日期": rec,
             "代表组": g} for t, title, lid, code, name, phone, rec, g, cls in session.execute(stmt)]


def untold_count(session: Session, actor: Actor) -> int:
    """How many writers of closed topics are still to be told the outcome."""
    stmt = (select(func.count()).select_from(TL).join(T, T.id == TL.topic_id).join(L, L.id == TL.letter_id)
            .where(T.status == TopicStatus.CLOSED, TL.told_at.is_(None)))
    stmt = scope_filter(stmt, actor, L.office_id, L.group_id)
    return int(session.execute(stmt).scalar_one())


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figure of R14: writers of letters in closed supervision topics not yet told the
    outcome (a state of today, whatever the year shown)."""
    untold = untold_count(session, actor)
    return [Figure("R14", "议题已办结、尚未告知结果的来信人", untold, "人", "hotissues", {"view": "topics"},
                   bad=untold > 0, help="监督议题办结后，应将结果逐一反馈给来信人")]


def mark_told(session: Session, actor: Actor, topic_id: int, letter_id: int, note: str = "") -> None:
    """Mark that a writer was told the topic's outcome (staff of the letter's scope, leader, admin)."""
    if not (actor.can_write("letter") or actor.can_write("topic")):
        actor.require_write("letter")
    link = session.get(TL, (topic_id, letter_id))
    letter = session.get(L, letter_id)
    if link is None or letter is None or not actor.in_scope(letter.office_id, letter.group_id):
        raise NotFound("该来信不在此议题中或不在您的负责范围内。")
    topic = session.get(T, topic_id)
    if topic.status != TopicStatus.CLOSED:
        raise ValidationError({"told": "议题办结后才能告知来信人结果"})
    if link.told_at is not None:
        raise ValidationError({"told": "已标记为告知"})
    link.told_at = clock.now()
    link.told_by = actor.display_name or actor.username
    session.add(E(letter_id=letter.id, round=letter.round, from_status=letter.status, to_status="已告知",
                  happened_on=clock.today(), by=link.told_by,
                  note=f"已将监督议题“{topic.title}”的结果（{topic.outcome_class or '未分类'}）告知来信人"
                  + (f"：{clean_text(note)}" if clean_text(note) else "")))
    session.flush()


def topics_of_letter(session: Session, actor: Actor, letter_id: int) -> list[dict]:
    """The supervision topics covering a letter, with outcome and whether its writer was told."""
    letter = session.get(L, letter_id)
    if letter is None or not actor.in_scope(letter.office_id, letter.group_id):
        raise NotFound("该来信不存在或不在您的负责范围内。")
    rows = session.execute(
        select(T.id, T.title, T.status, T.outcome, TL.told_at, TL.told_by, T.outcome_class)
        .join(TL, TL.topic_id == T.id).where(TL.letter_id == letter_id).order_by(T.id)
    ).all()
    who = people.names_of(session, [r[5] for r in rows])
    return [{"topic_id": i, "title": t, "status": st, "outcome": o or "", "outcome_class": c or "",
             "told_at": at, "told_by": who.get(by, "")} for i, t, st, o, at, by, c in rows]
