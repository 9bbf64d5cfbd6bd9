"""议案 / 建议 / 批评和意见: registering them with their signers and sources (R4), the handling
status flow, the deputy's view of the answer, lists, import/export, a deputy's proposals for the
performance file (R8, R19) and the 工作台 figures.

Decisions (also in the README):
- Status flow: 已提交 → 已立案 (议案) / 已交办 (建议、批评和意见) → 办理中 → 已答复; an answer the lead
  deputy judged 不满意 may go back to 办理中 for a new answer (重新办理). One map, one transition().
- A 议案 needs setting proposal_min_signatures deputies (lead included): fewer only WARNS.
- R4 picker: the year's opinions and letters grouped by (category, district); a group is offered
  when it counts at least r4_threshold sources (activity opinions once per activity, letters once
  each, 不予受理 / 已合并 letters left out) and none of them is linked to a proposal yet —
  the same rule as services.activities.r4_clusters.
- Scope: a staff user sees and writes the proposals whose lead deputy is in their office/group.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from db import models
from services import bodies, deputies, imports, rules, settings
from services.common import (
    Actor,
    Figure,
    NotFound,
    Page,
    ValidationError,
    check_version,
    current_term,
    paginate,
    scope_filter,
    today,
)
from services.excel import read_xlsx, to_xlsx
from services.states import Outcome, ProposalKind, ProposalStatus, Satisfaction, values
from services.validation import clean_text, parse_date

MOTION, SUGGESTION, CRITICISM = ProposalKind.MOTION, ProposalKind.SUGGESTION, ProposalKind.CRITICISM
SUBMITTED, REGISTERED, ASSIGNED = ProposalStatus.SUBMITTED, ProposalStatus.REGISTERED, ProposalStatus.ASSIGNED
HANDLING, ANSWERED = ProposalStatus.HANDLING, ProposalStatus.ANSWERED
KINDS = values(ProposalKind)
STATUSES = values(ProposalStatus)
VIEWS = values(Satisfaction)
OUTCOMES = values(Outcome)
# the one map of allowed steps
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SUBMITTED: (REGISTERED, ASSIGNED),
    REGISTERED: (HANDLING,),
    ASSIGNED: (HANDLING,),
    HANDLING: (ANSWERED,),
    ANSWERED: (HANDLING,),  # 重新办理, only after a 不满意 view
}
ANSWER_DAYS = 90  # 代表建议 answered within 3 months (PRACTICE.md)
P = models.Proposal
D = models.Deputy
G = models.DeputyGroup


# ---------------------------------------------------------------- small helpers


def allowed_next(status: str, kind: str | None = None, deputy_view: str | None = None) -> tuple[str, ...]:
    """Statuses a proposal may move to from ``status`` (kind and the deputy's view considered)."""
    nxt = TRANSITIONS.get(status, ())
    if kind == MOTION:
        nxt = tuple(s for s in nxt if s != ASSIGNED)
    elif kind is not None:
        nxt = tuple(s for s in nxt if s != REGISTERED)
    if status == ANSWERED and deputy_view != Satisfaction.UNSATISFIED:
        nxt = ()
    return nxt


def session_label(term_name: str | None, session_no: int | None) -> str:
    """第十八届第3次会议 / 闭会期间."""
    if session_no is None:
        return f"{term_name or ''}闭会期间"
    return f"{term_name or ''}第{session_no}次会议"


def signature_warning(session: Session, kind: str, n_signers: int) -> str | None:
    """The warning for a 议案 with fewer signatures than the setting asks (None when fine)."""
    minimum = int(settings.get(session, "proposal_min_signatures"))
    if kind == MOTION and n_signers < minimum:
        return (f"议案应由{minimum}名以上代表联名提出，目前只有{n_signers}名（含领衔代表）。"
                "已保存；请补充附议代表，或改为建议。")
    return None


def _scoped(stmt, actor: Actor):
    """Restrict a statement joined to the lead deputy's group to the actor's scope."""
    return scope_filter(stmt, actor, G.office_id, D.group_id)


def _lead_scope(session: Session, actor: Actor, deputy_id: int) -> D:
    """Load a lead deputy and check the actor may write for them."""
    dep = session.get(D, deputy_id)
    if dep is None:
        raise ValidationError({"lead_deputy_id": "请选择领衔代表"})
    grp = session.get(G, dep.group_id)
    if not actor.in_scope(grp.office_id, grp.id):
        raise ValidationError({"lead_deputy_id": "领衔代表不在您负责的办事处或代表组范围内"})
    return dep


def _load(session: Session, actor: Actor, proposal_id: int) -> P:
    """Load a proposal inside the actor's scope or raise NotFound."""
    p = session.get(P, proposal_id)
    if p is None:
        raise NotFound("该议案建议不存在或已删除。")
    dep = session.get(D, p.lead_deputy_id)
    grp = session.get(G, dep.group_id)
    if not actor.in_scope(grp.office_id, grp.id):
        raise NotFound("该议案建议不在您负责的范围内。")
    return p


def _who(actor: Actor) -> str:
    """The name written into a step."""
    return actor.display_name or actor.username


# ---------------------------------------------------------------- R4: frequently raised sources


def frequent_sources(session: Session, actor: Actor, year: int | None = None, limit: int = 300) -> list[dict]:
    """R4: the opinions and letters of groups raised often with no proposal yet, to pick from.

    Each row: {"key": "opinion:12" | "letter:5", "类型", "类别", "选区", "日期", "内容", "同类（件）"}.
    The groups are the R4 rule's own query (``activities.r4_cluster_stmt``), joined: the text of
    these queries does not grow with the number of groups (SQLite refuses an expression tree of one
    condition per group above about 1,000 groups).
    """
    from services.activities import r4_cluster_stmt

    year = year or today().year
    lo, hi = deputies.year_bounds(year)
    O, L, Di = models.Opinion, models.Letter, models.District
    c = r4_cluster_stmt(session, actor, year).subquery("r4")
    ostmt = (select(O.id, O.category, O.district_id, Di.name, O.raised_on, O.content, c.c.sources)
             .join(c, and_(c.c.category == O.category, c.c.district_id == O.district_id))
             .join(Di, Di.id == O.district_id).join(G, G.id == O.group_id)
             .where(O.raised_on.between(lo, hi)).order_by(O.raised_on.desc(), O.id.desc()).limit(limit))
    ostmt = scope_filter(ostmt, actor, G.office_id, O.group_id)
    lstmt = (select(L.id, L.category, L.district_id, Di.name, L.received_on, L.summary, c.c.sources, L.code)
             .join(c, and_(c.c.category == L.category, c.c.district_id == L.district_id))
             .join(Di, Di.id == L.district_id)
             .where(L.received_on.between(lo, hi), L.status.not_in(rules.LETTER_NOT_HANDLED))
             .order_by(L.received_on.desc(), L.id.desc()).limit(limit))
    lstmt = scope_filter(lstmt, actor, L.office_id, L.group_id)
    rows = [
        {"key": f"opinion:{i}", "类型": "群众意见", "类别": cat, "选区": dn, "日期": on,
         "内容": (t or "")[:80], "同类（件）": int(n)}
        for i, cat, _d, dn, on, t, n in session.execute(ostmt)
    ]
    rows += [
        {"key": f"letter:{i}", "类型": f"来信{code}", "类别": cat, "选区": dn, "日期": on,
         "内容": (t or "")[:80], "同类（件）": int(n)}
        for i, cat, _d, dn, on, t, n, code in session.execute(lstmt)
    ]
    rows.sort(key=lambda r: (-r["同类（件）"], r["类别"], r["选区"], r["日期"]), reverse=False)
    return rows


def source_label(row: dict) -> str:
    """A one-line label of a source row for a picker."""
    return f"{row['类别']}·{row['选区']}（同类{row['同类（件）']}件）{row['类型']} {row['日期']:%Y-%m-%d}：{row['内容'][:40]}"


def _parse_sources(session: Session, actor: Actor, keys: list[str], errors: dict) -> tuple[list[int], list[int]]:
    """Split picker keys into (opinion ids, letter ids) after checking they exist and are in scope."""
    op_ids: list[int] = []
    letter_ids: list[int] = []
    for k in keys or []:
        kind, _, raw = str(k).partition(":")
        if not raw.isdigit():
            errors["sources"] = "来源意见或来信无效"
            continue
        (op_ids if kind == "opinion" else letter_ids).append(int(raw))
    if op_ids:
        O = models.Opinion
        found = session.execute(select(O.id, G.office_id, O.group_id).join(G, G.id == O.group_id)
                                .where(O.id.in_(op_ids))).all()
        if len(found) != len(set(op_ids)) or any(not actor.in_scope(o, g) for _, o, g in found):
            errors["sources"] = "有来源意见不存在或不在您负责的范围内"
    if letter_ids:
        L = models.Letter
        found = session.execute(select(L.id, L.office_id, L.group_id).where(L.id.in_(letter_ids))).all()
        if len(found) != len(set(letter_ids)) or any(not actor.in_scope(o, g) for _, o, g in found):
            errors["sources"] = "有来源来信不存在或不在您负责的范围内"
    return sorted(set(op_ids)), sorted(set(letter_ids))


# ---------------------------------------------------------------- validation and writes


def _validate(session: Session, actor: Actor, data: dict) -> tuple[dict, dict[str, str]]:
    """Check the proposal form; return (clean values, {field: Chinese message})."""
    errors: dict[str, str] = {}
    kind = clean_text(data.get("kind"))
    if kind not in KINDS:
        errors["kind"] = "请选择类型（议案、建议或批评和意见）"
    term_id = data.get("term_id")
    term = session.get(models.Term, int(term_id)) if term_id else current_term(session)
    if term is None:
        errors["term_id"] = "请选择届次"
    raw_no = data.get("session_no")
    session_no = None
    if raw_no not in (None, "", "闭会期间"):
        try:
            session_no = int(clean_text(raw_no).removeprefix("第").removesuffix("次会议").removesuffix("次"))
            if not 1 <= session_no <= 20:
                raise ValueError
        except ValueError:
            errors["session_no"] = "会次应为1–20之间的数字；闭会期间提出的请留空"
    if kind == MOTION and session_no is None and "session_no" not in errors:
        errors["session_no"] = "议案须在人民代表大会会议期间提出，请填写会次"
    title = clean_text(data.get("title"))
    if not title:
        errors["title"] = "请填写标题"
    elif len(title) > 200:
        errors["title"] = "标题不超过200字"
    summary = clean_text(data.get("summary")) or None
    if summary and len(summary) > 5000:
        errors["summary"] = "内容摘要不超过5000字"
    lead = None
    try:
        if data.get("lead_deputy_id"):
            lead = _lead_scope(session, actor, int(data["lead_deputy_id"]))
        else:
            errors["lead_deputy_id"] = "请选择领衔代表"
    except ValidationError as exc:
        errors.update(exc.errors)
    cosigners = [int(i) for i in data.get("cosigner_ids") or []]
    if lead is not None and lead.id in cosigners:
        cosigners = [i for i in cosigners if i != lead.id]
    if cosigners:
        n = session.execute(select(func.count()).select_from(D).where(D.id.in_(cosigners))).scalar_one()
        if n != len(set(cosigners)):
            errors["cosigner_ids"] = "有附议代表不存在"
    try:
        submitted_on = parse_date(data.get("submitted_on"))
        if submitted_on is None:
            errors["submitted_on"] = "请填写提出日期"
        elif submitted_on > today():
            errors["submitted_on"] = "提出日期不能晚于今天"
        elif term is not None and not term.start_year <= submitted_on.year <= term.end_year:
            errors["submitted_on"] = f"提出日期不在{term.name}（{term.start_year}–{term.end_year}年）内"
    except ValueError as exc:
        errors["submitted_on"] = str(exc)
        submitted_on = None
    body, body_id = clean_text(data.get("handling_body")) or None, None
    if body or data.get("body_id"):
        found, why = bodies.organisation(session, data.get("body_id") or body)
        if why:
            errors["handling_body"] = why
        else:
            body, body_id = found.name, found.id
    op_ids, letter_ids = _parse_sources(session, actor, data.get("sources") or [], errors)
    clean = {
        "kind": kind, "term_id": term.id if term else None, "session_no": session_no, "title": title,
        "summary": summary, "lead_deputy_id": lead.id if lead else None,
        "cosigner_ids": sorted(set(cosigners)), "submitted_on": submitted_on, "handling_body": body,
        "body_id": body_id,
        "law_related": bool(data.get("law_related")), "opinion_ids": op_ids, "letter_ids": letter_ids,
    }
    return clean, errors


def _apply(session: Session, p: P, clean: dict) -> None:
    """Write the clean values, signers and sources onto a proposal (flushed)."""
    for k in ("kind", "term_id", "session_no", "title", "summary", "lead_deputy_id", "submitted_on",
              "handling_body", "body_id", "law_related"):
        setattr(p, k, clean[k])
    session.flush()
    PSg, PSo = models.ProposalSigner, models.ProposalSource
    for row in session.execute(select(PSg).where(PSg.proposal_id == p.id)).scalars():
        session.delete(row)
    for row in session.execute(select(PSo).where(PSo.proposal_id == p.id)).scalars():
        session.delete(row)
    session.flush()
    session.add(PSg(proposal_id=p.id, deputy_id=clean["lead_deputy_id"], is_lead=True))
    for did in clean["cosigner_ids"]:
        session.add(PSg(proposal_id=p.id, deputy_id=did, is_lead=False))
    for oid in clean["opinion_ids"]:
        session.add(PSo(proposal_id=p.id, opinion_id=oid))
    for lid in clean["letter_ids"]:
        session.add(PSo(proposal_id=p.id, letter_id=lid))
    session.flush()


def create_proposal(session: Session, actor: Actor, data: dict) -> dict:
    """Register a proposal; returns {"id", "warnings"} (a 议案 short of signatures is saved with a warning)."""
    actor.require_write("proposal")
    clean, errors = _validate(session, actor, data)
    if errors:
        raise ValidationError(errors)
    p = P(status=SUBMITTED, created_by=actor.username, kind=clean["kind"], term_id=clean["term_id"],
          title=clean["title"], lead_deputy_id=clean["lead_deputy_id"], submitted_on=clean["submitted_on"])
    session.add(p)
    session.flush()
    _apply(session, p, clean)
    n_src = len(clean["opinion_ids"]) + len(clean["letter_ids"])
    session.add(models.ProposalEvent(proposal_id=p.id, from_status=None, to_status=SUBMITTED,
                                     happened_on=clean["submitted_on"], by=_who(actor),
                                     note=f"登记{clean['kind']}" + (f"，来源意见/来信{n_src}件" if n_src else "")))
    session.flush()
    warn = signature_warning(session, clean["kind"], 1 + len(clean["cosigner_ids"]))
    return {"id": p.id, "warnings": [warn] if warn else []}


def update_proposal(session: Session, actor: Actor, proposal_id: int, data: dict,
                    expected_version: int | None) -> dict:
    """Edit a proposal's fields, signers and sources (optimistic locking); returns {"id", "warnings"}."""
    actor.require_write("proposal")
    p = _load(session, actor, proposal_id)
    check_version(p, expected_version, "该议案建议")
    clean, errors = _validate(session, actor, data)
    if clean["kind"] and clean["kind"] != p.kind and p.status in (REGISTERED, ASSIGNED):
        errors["kind"] = f"该{p.kind}{p.status}，不能再改类型"
    if errors:
        raise ValidationError(errors)
    _apply(session, p, clean)
    flag_modified(p, "title")  # signers/sources changed: bump the version all the same
    session.flush()
    warn = signature_warning(session, clean["kind"], 1 + len(clean["cosigner_ids"]))
    return {"id": p.id, "warnings": [warn] if warn else []}


def delete_proposal(session: Session, actor: Actor, proposal_id: int, expected_version: int | None) -> None:
    """Delete a proposal still at 已提交 (its signers, sources and steps go with it)."""
    actor.require_write("proposal")
    p = _load(session, actor, proposal_id)
    check_version(p, expected_version, "该议案建议")
    if p.status != SUBMITTED:
        raise ValidationError({"": f"该{p.kind}已{p.status}，不能删除"})
    for cls in (models.ProposalSigner, models.ProposalSource, models.ProposalEvent):
        for row in session.execute(select(cls).where(cls.proposal_id == p.id)).scalars():
            session.delete(row)
    session.delete(p)
    session.flush()


def transition(session: Session, actor: Actor, proposal_id: int, to_status: str, *,
               expected_version: int | None = None, on: date | str | None = None, note: str = "",
               handling_body: str | int | None = None, result: str | None = None,
               deputy_view: str | None = None, outcome: str | None = None) -> P:
    """Move a proposal one allowed step, recording date, who and a note.

    已立案/已交办 need the handling body (承办单位, a body of the directory: its id or name); 已答复
    needs the answer (result) and its class A/B/C/D; the deputy's view may come with the answer or
    later (set_view); 重新办理 needs a 不满意 view (and clears the class).
    """
    actor.require_write("proposal")
    p = _load(session, actor, proposal_id)
    check_version(p, expected_version, "该议案建议")
    if to_status not in allowed_next(p.status, p.kind, p.deputy_view):
        nxt = "、".join(allowed_next(p.status, p.kind, p.deputy_view)) or "无"
        extra = "（代表对答复不满意时才可重新办理）" if p.status == ANSWERED else ""
        raise ValidationError({"to_status": f"当前状态为“{p.status}”，不能变为“{to_status}”；可选：{nxt}{extra}"})
    errors: dict[str, str] = {}
    try:
        when = parse_date(on) or today()
        if when > today():
            errors["on"] = "日期不能晚于今天"
        elif when < p.submitted_on:
            errors["on"] = "日期不能早于提出日期"
    except ValueError as exc:
        errors["on"] = str(exc)
        when = today()
    given = handling_body if isinstance(handling_body, int) else (clean_text(handling_body) or None)
    found = None
    if given is not None:
        found, why = bodies.organisation(session, given)
        if why:
            errors["handling_body"] = why
    elif to_status in (REGISTERED, ASSIGNED) and not p.body_id:
        found, why = bodies.organisation(session, p.handling_body)
        if why:
            errors["handling_body"] = "请选择承办单位" if not p.handling_body else why
    body = found.name if found else p.handling_body
    result = clean_text(result) or None
    note = clean_text(note)
    view = clean_text(deputy_view) or None
    if to_status == ANSWERED and not result:
        errors["result"] = "请填写答复和办理结果"
    if to_status == ANSWERED and outcome not in OUTCOMES:
        errors["outcome"] = "请选择办理结果分类（A 已解决 / B 正在解决 / C 列入计划逐步解决 / D 因条件限制留作参考）"
    if view is not None and view not in VIEWS:
        errors["deputy_view"] = "代表评价应为满意、基本满意或不满意"
    if errors:
        raise ValidationError(errors)
    before = p.status
    p.status = to_status
    p.handling_body = body
    if found is not None:
        p.body_id = found.id
    if to_status == ANSWERED:
        p.result = result
        p.result_on = when
        p.deputy_view = view
        p.outcome = outcome
        note = note or (f"答复（{outcome}）：{result}" + (f"；代表评价：{view}" if view else ""))
    elif before == ANSWERED:
        p.deputy_view = None
        p.outcome = None
        note = note or "代表不满意，重新办理"
    elif to_status in (REGISTERED, ASSIGNED):
        note = note or f"承办单位：{body}"
    session.add(models.ProposalEvent(proposal_id=p.id, from_status=before, to_status=to_status,
                                     happened_on=when, by=_who(actor), note=note or None))
    session.flush()
    return p


def set_outcome(session: Session, actor: Actor, proposal_id: int, outcome: str,
                expected_version: int | None = None) -> P:
    """Class an answer given before outcome classes existed (已答复 with no class, Alembic 0006_i14_bodies)."""
    actor.require_write("proposal")
    p = _load(session, actor, proposal_id)
    check_version(p, expected_version, "该议案建议")
    if p.status != ANSWERED or p.outcome:
        raise ValidationError({"outcome": "只有尚未分类的已答复议案建议才需补充结果分类"})
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "请选择办理结果分类"})
    p.outcome = outcome
    session.add(models.ProposalEvent(proposal_id=p.id, from_status=ANSWERED, to_status=ANSWERED,
                                     happened_on=today(), by=_who(actor), note=f"补充办理结果分类：{outcome}"))
    session.flush()
    return p


def set_view(session: Session, actor: Actor, proposal_id: int, view: str,
             expected_version: int | None = None) -> P:
    """Record the lead deputy's view of the answer (满意/基本满意/不满意) of an answered proposal."""
    actor.require_write("proposal")
    p = _load(session, actor, proposal_id)
    check_version(p, expected_version, "该议案建议")
    if p.status != ANSWERED:
        raise ValidationError({"deputy_view": "答复后才能记录代表评价"})
    if view not in VIEWS:
        raise ValidationError({"deputy_view": "代表评价应为满意、基本满意或不满意"})
    p.deputy_view = view
    session.add(models.ProposalEvent(proposal_id=p.id, from_status=ANSWERED, to_status=ANSWERED,
                                     happened_on=today(), by=_who(actor), note=f"代表评价：{view}"))
    session.flush()
    return p


# ---------------------------------------------------------------- reading


def get_proposal(session: Session, actor: Actor, proposal_id: int) -> dict:
    """One proposal with its signers, sources and steps (for the detail view and the edit form)."""
    p = _load(session, actor, proposal_id)
    term = session.get(models.Term, p.term_id)
    PSg, PSo, O, L = models.ProposalSigner, models.ProposalSource, models.Opinion, models.Letter
    signers = session.execute(
        select(PSg.deputy_id, PSg.is_lead, D.name).join(D, D.id == PSg.deputy_id)
        .where(PSg.proposal_id == p.id).order_by(PSg.is_lead.desc(), D.name)
    ).all()
    sources = []
    for oid, cat, content, on in session.execute(
        select(O.id, O.category, O.content, O.raised_on).join(PSo, PSo.opinion_id == O.id)
        .where(PSo.proposal_id == p.id).order_by(O.raised_on)
    ):
        sources.append({"key": f"opinion:{oid}", "类型": "群众意见", "类别": cat, "日期": on, "内容": content})
    for lid, cat, summ, on, code in session.execute(
        select(L.id, L.category, L.summary, L.received_on, L.code).join(PSo, PSo.letter_id == L.id)
        .where(PSo.proposal_id == p.id).order_by(L.received_on)
    ):
        sources.append({"key": f"letter:{lid}", "类型": f"来信{code}", "类别": cat, "日期": on, "内容": summ})
    ev = models.ProposalEvent
    events = [
        {"status": e.to_status, "from": e.from_status, "on": e.happened_on, "by": e.by, "note": e.note or ""}
        for e in session.execute(select(ev).where(ev.proposal_id == p.id).order_by(ev.happened_on, ev.id)).scalars()
    ]
    if not events:  # imported or generated without steps: show what the record itself says
        events = [{"status": SUBMITTED, "from": None, "on": p.submitted_on, "by": p.created_by or "",
                   "note": "（无逐步办理记录，按登记信息显示）"}]
        if p.status != SUBMITTED:
            events.append({"status": p.status, "from": SUBMITTED, "on": p.result_on, "by": "",
                           "note": f"承办单位：{p.handling_body}" if p.handling_body else ""})
    return {
        "id": p.id, "version": p.version, "kind": p.kind, "term_id": p.term_id, "term": term.name,
        "session_no": p.session_no, "session": session_label(term.name, p.session_no), "title": p.title,
        "summary": p.summary or "", "lead_deputy_id": p.lead_deputy_id,
        "cosigner_ids": [d for d, lead, _ in signers if not lead],
        "signers": [f"{n}（领衔）" if lead else n for _, lead, n in signers], "n_signers": len(signers),
        "submitted_on": p.submitted_on, "handling_body": p.handling_body or "", "body_id": p.body_id, "outcome": p.outcome or "", "status": p.status,
        "deputy_view": p.deputy_view, "result": p.result or "", "result_on": p.result_on,
        "law_related": p.law_related, "sources": sources, "events": events,
        "next": list(allowed_next(p.status, p.kind, p.deputy_view)),
        "warning": signature_warning(session, p.kind, len(signers)),
    }


def _filtered(actor: Actor, f: dict):
    """Proposal ids matching the list filters (scope applied), as a select."""
    stmt = select(P.id).join(D, D.id == P.lead_deputy_id).join(G, G.id == D.group_id)
    stmt = _scoped(stmt, actor)
    if f.get("year"):
        y = int(f["year"])
        stmt = stmt.where(P.submitted_on.between(date(y, 1, 1), date(y, 12, 31)))
    if f.get("kind"):
        stmt = stmt.where(P.kind == f["kind"])
    if f.get("status"):
        stmt = stmt.where(P.status == f["status"])
    if f.get("group"):
        stmt = stmt.where(D.group_id == int(f["group"]))
    if f.get("deputy"):
        did = int(f["deputy"])
        stmt = stmt.where(exists().where(models.ProposalSigner.proposal_id == P.id,
                                         models.ProposalSigner.deputy_id == did))
    if f.get("law"):
        stmt = stmt.where(P.law_related.is_(True))
    if f.get("view"):
        stmt = stmt.where(P.deputy_view == f["view"])
    if f.get("overdue"):
        stmt = stmt.where(P.status != ANSWERED, P.submitted_on < today() - timedelta(days=ANSWER_DAYS))
    if f.get("q"):
        text = clean_text(f["q"])[:50]
        stmt = stmt.where(or_(P.title.contains(text, autoescape=True), P.summary.contains(text, autoescape=True),
                              P.handling_body.contains(text, autoescape=True), D.name == text))
    return stmt


def _signers_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """{proposal id: [co-signer names]} for one page, in one query."""
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        PSg = models.ProposalSigner
        for pid, name in session.execute(
            select(PSg.proposal_id, D.name).join(D, D.id == PSg.deputy_id)
            .where(PSg.proposal_id.in_(ids), PSg.is_lead.is_(False)).order_by(D.name)
        ):
            out[pid].append(name)
    return out


def _source_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """{proposal id: number of source letters/opinions} for one page."""
    if not ids:
        return {}
    PSo = models.ProposalSource
    return dict(session.execute(select(PSo.proposal_id, func.count()).where(PSo.proposal_id.in_(ids))
                                .group_by(PSo.proposal_id)).all())


def list_proposals(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20) -> Page:
    """One page of proposals (rows keyed by Chinese column names), newest first."""
    ids = _filtered(actor, f).subquery()
    stmt = (
        select(P, D.name, G.name, models.Term.name)
        .join(ids, ids.c.id == P.id).join(D, D.id == P.lead_deputy_id).join(G, G.id == D.group_id)
        .join(models.Term, models.Term.id == P.term_id)
        .order_by(P.submitted_on.desc(), P.id.desc())
    )
    rows, total = paginate(session, stmt, offset, limit)
    page_ids = [r[0].id for r in rows]
    co = _signers_of(session, page_ids)
    src = _source_counts(session, page_ids)
    out = []
    for p, lead, group, term in rows:
        out.append({
            "id": p.id, "类型": p.kind, "届次会次": session_label(term, p.session_no), "标题": p.title,
            "领衔代表": lead, "代表组": group, "附议代表": co.get(p.id, []),
            "联名（人）": 1 + len(co.get(p.id, [])), "提出日期": p.submitted_on, "承办单位": p.handling_body or "",
            "办理状态": p.status, "结果分类": p.outcome or "", "答复日期": p.result_on, "代表评价": p.deputy_view or "",
            "涉及法治": p.law_related, "来源意见来信（件）": src.get(p.id, 0),
        })
    by_kind = dict(session.execute(
        select(P.kind, func.count()).join(ids, ids.c.id == P.id).group_by(P.kind)).all())
    sums = {k: f"{by_kind.get(k, 0)} 件" for k in KINDS if by_kind.get(k)}
    return Page(out, total, sums)


def deputy_proposals(session: Session, deputy_id: int, year: int | None = None) -> list[dict]:
    """A deputy's proposals (lead or co-signer) for the performance file (R8, R19), oldest first."""
    PSg = models.ProposalSigner
    stmt = (
        select(P, PSg.is_lead, models.Term.name)
        .join(PSg, PSg.proposal_id == P.id).join(models.Term, models.Term.id == P.term_id)
        .where(PSg.deputy_id == deputy_id).order_by(P.submitted_on, P.id)
    )
    if year:
        stmt = stmt.where(P.submitted_on.between(date(year, 1, 1), date(year, 12, 31)))
    return [
        {"id": p.id, "类型": p.kind, "届次会次": session_label(term, p.session_no), "标题": p.title,
         "角色": "领衔" if lead else "附议", "提出日期": p.submitted_on, "承办单位": p.handling_body or "",
         "办理状态": p.status, "代表评价": p.deputy_view or "", "涉及法治": p.law_related}
        for p, lead, term in session.execute(stmt)
    ]


# ---------------------------------------------------------------- deputies with none this year


def _none_statement(actor: Actor, year: int, group_id: int | None = None):
    """Deputies serving in ``year`` (``deputies.serving_at``, in the group of its reference day)
    inside the actor's scope who led or co-signed no 议案, 建议 or 批评和意见 submitted in ``year``
    (``rules.proposal_signers``):
    select of (id, name, group name). The list and its 工作台 figure read it."""
    sub = deputies.serving_at(year, name="proposal_serving")
    # 议案, 建议 and 批评和意见, led or co-signed, up to the reference day (computed once, not per deputy)
    signers = rules.proposal_signers(date(year, 1, 1), deputies.reference_day(year)).subquery()
    stmt = (select(D.id, D.name, G.name.label("group_name")).select_from(sub)
            .join(D, D.id == sub.c.deputy_id).join(G, G.id == sub.c.group_id)
            .where(D.id.not_in(select(signers.c.deputy_id))))
    if group_id:
        stmt = stmt.where(sub.c.group_id == int(group_id))
    return scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id)


def deputies_without(session: Session, actor: Actor, year: int, offset: int = 0, limit: int = 20,
                     group_id: int | None = None) -> Page:
    """Deputies serving in ``year`` who took part in no 议案 or 建议 that year (F1; one 建议 a year
    is the norm)."""
    stmt = _none_statement(actor, year, group_id)
    rows, total = paginate(session, stmt.order_by(G.name, D.name, D.id), offset, limit)
    return Page([{"id": i, "代表组": g, "代表": n, "年度": f"{year}年"} for i, n, g in rows], total,
                {"本年未提出议案建议的代表": f"{total} 人"})


# ---------------------------------------------------------------- import / export

IMPORT_HEADERS = ["类型", "会次", "标题", "内容摘要", "领衔代表", "附议代表", "提出日期", "承办单位",
                  "办理状态", "答复日期", "办理结果", "结果分类", "代表评价", "涉及法治"]
REQUIRED_HEADERS = ["类型", "标题", "领衔代表", "提出日期"]


def import_template(session: Session, actor: Actor | None = None) -> bytes:
    """The .xlsx template for importing proposals, with one example row and drop-downs from the
    current master data for every column the importer reads from a fixed list (类型, 领衔代表 and
    附议代表 of the actor's scope, 承办单位 of the directory, 办理状态, 结果分类, 代表评价, 涉及法治)."""
    from services.states import Role

    actor = actor or Actor("system", Role.ADMIN)
    example = {"类型": "建议", "会次": "", "标题": "关于加快老旧小区加装电梯的建议", "内容摘要": "多位选民反映……",
               "领衔代表": "张伟", "附议代表": "王芳、李娜", "提出日期": "2026-03-05", "承办单位": "区住房和城乡建设局",
               "办理状态": "已交办", "答复日期": "", "办理结果": "", "代表评价": "", "涉及法治": "否"}
    notes = ["类型：" + "/".join(KINDS) + "；会次填数字（闭会期间留空）；附议代表用顿号分隔",
             "办理状态：" + "/".join(STATUSES) + "（空为已提交）；代表评价：" + "/".join(VIEWS),
             "请删除本示例行后填写；导入时任一行有误则整批不导入。"]
    xlsx = to_xlsx({"议案建议": pd.DataFrame([example], columns=IMPORT_HEADERS)}, title="议案建议导入模板", notes=notes)
    names = session.execute(scope_filter(select(D.name).join(G, G.id == D.group_id).distinct().order_by(D.name),
                                         actor, G.office_id, D.group_id)).scalars().all()
    units = session.execute(select(models.HandlingBody.name).where(models.HandlingBody.active.is_(True))
                            .order_by(models.HandlingBody.pinyin, models.HandlingBody.name)).scalars().all()
    return imports.with_dropdowns(xlsx, "议案建议", {
        "类型": list(KINDS), "领衔代表": list(names), "附议代表": list(names), "承办单位": list(units),
        "办理状态": list(STATUSES), "结果分类": list(OUTCOMES), "代表评价": list(VIEWS), "涉及法治": ["是", "否"],
    }, several=("附议代表",))


def _split(value: object) -> list[str]:
    """Split a cell of names joined by 、，, ; or spaces."""
    import re

    return [x for x in re.split(r"[、，,；;\s]+", clean_text(value)) if x]


def import_xlsx(session: Session, actor: Actor, data: bytes, *, filename: str = "",
                duplicates: list[str] | None = None) -> int:
    """Import proposals: every row is checked first; any error → nothing written, ValidationError
    maps "第N行" to its problems. Returns the number imported.

    The same file content is imported once (``imports.claim_file``); a row matching a stored
    proposal (or an earlier row) by term + session + title + lead is not added and its "第N行" is
    appended to ``duplicates``."""
    actor.require_write("proposal")
    imports.refuse_repeat(session, "proposals", data)
    try:
        _h, rows = read_xlsx(data, REQUIRED_HEADERS, settings.get(session, "import_max_rows"))
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if not rows:
        raise ValidationError({"file": "文件中没有数据行"})
    if len(rows) > 5000:
        raise ValidationError({"file": "一次最多导入5000行，请分批导入"})
    by_name: dict[str, list[int]] = {}  # deputies in scope, serving or not (old proposals)
    for did, name in session.execute(
        scope_filter(select(D.id, D.name).join(G, G.id == D.group_id), actor, G.office_id, D.group_id)
    ):
        by_name.setdefault(name, []).append(did)
    all_names = {n: ids for n, ids in session.execute(select(D.name, func.count()).group_by(D.name))}

    def one(name: str, msgs: list[str]) -> int | None:
        """Resolve a deputy name to an id (in scope for the lead; anywhere for co-signers)."""
        ids = by_name.get(name, [])
        if len(ids) == 1:
            return ids[0]
        msgs.append(f"代表“{name}”" + ("重名，请在系统中逐条登记" if len(ids) > 1 else "不存在或不在您的负责范围内"))
        return None

    problems: dict[str, str] = {}
    todo: list[tuple[dict, str, date | None, str | None, str | None]] = []
    for n, row in rows:
        msgs: list[str] = []
        lead = one(clean_text(row.get("领衔代表")), msgs)
        co: list[int] = []
        for name in _split(row.get("附议代表")):
            if name in by_name and len(by_name[name]) == 1:
                co.append(by_name[name][0])
            elif all_names.get(name, 0) == 1:
                co.append(session.execute(select(D.id).where(D.name == name)).scalar_one())
            else:
                msgs.append(f"附议代表“{name}”" + ("重名" if all_names.get(name) else "不存在"))
        status = clean_text(row.get("办理状态")) or SUBMITTED
        if status not in STATUSES:
            msgs.append(f"办理状态“{status}”无效")
        view = clean_text(row.get("代表评价")) or None
        if view and view not in VIEWS:
            msgs.append(f"代表评价“{view}”无效")
        try:
            result_on = parse_date(row.get("答复日期"))
        except ValueError as exc:
            msgs.append("答复日期：" + str(exc))
            result_on = None
        result = clean_text(row.get("办理结果")) or None
        if status == ANSWERED and not result:
            msgs.append("已答复的请填写办理结果")
        outcome = _outcome_of(row.get("结果分类"))
        if clean_text(row.get("结果分类")) and outcome is None:
            msgs.append("结果分类应为 A、B、C 或 D（" + "、".join(OUTCOMES) + "）")
        elif status == ANSWERED and outcome is None:
            msgs.append("已答复的请填写结果分类（A 已解决 / B 正在解决 / C 列入计划逐步解决 / D 因条件限制留作参考）")
        data_row = {
            "kind": clean_text(row.get("类型")), "session_no": row.get("会次"), "title": row.get("标题"),
            "summary": row.get("内容摘要"), "lead_deputy_id": lead, "cosigner_ids": co,
            "submitted_on": row.get("提出日期"), "handling_body": row.get("承办单位"),
            "law_related": clean_text(row.get("涉及法治")) in ("是", "√", "1", "true", "有"),
        }
        clean, errors = _validate(session, actor, data_row)
        if status in (REGISTERED, ASSIGNED, HANDLING, ANSWERED) and not clean["handling_body"]:
            errors["handling_body"] = "已交办或立案的请填写承办单位"
        if status == REGISTERED and clean["kind"] != MOTION or status == ASSIGNED and clean["kind"] == MOTION:
            errors["status"] = "议案对应“已立案”，建议和批评意见对应“已交办”"
        for k, m in errors.items():
            if k == "lead_deputy_id" and lead is None:
                continue
            msgs.append(m)
        if msgs:
            problems[f"第{n}行"] = "；".join(dict.fromkeys(msgs))
        else:
            todo.append((n, clean, status, result_on, result, view, outcome))
    if problems:
        raise ValidationError(problems)
    seen: set[tuple] = set()
    fresh = []
    for n, clean, *rest in todo:
        k = (clean["term_id"], clean.get("session_no"), clean["title"], clean["lead_deputy_id"])
        if k in seen or session.execute(select(P.id).where(
                P.term_id == k[0], P.session_no.is_(None) if k[1] is None else P.session_no == k[1],
                P.title == k[2], P.lead_deputy_id == k[3]).limit(1)).first():
            if duplicates is not None:
                duplicates.append(f"第{n}行")
            continue
        seen.add(k)
        fresh.append((clean, *rest))
    imports.claim_file(session, actor, "proposals", data, filename, len(fresh))
    todo = fresh
    for clean, status, result_on, result, view, outcome in todo:
        p = P(status=status, created_by=actor.username, kind=clean["kind"], term_id=clean["term_id"],
              title=clean["title"], lead_deputy_id=clean["lead_deputy_id"], submitted_on=clean["submitted_on"],
              result=result, result_on=result_on if status == ANSWERED else None,
              outcome=outcome if status == ANSWERED else None,
              deputy_view=view if status == ANSWERED else None)
        session.add(p)
        session.flush()
        _apply(session, p, clean)
        session.add(models.ProposalEvent(proposal_id=p.id, from_status=None, to_status=status,
                                         happened_on=result_on or clean["submitted_on"], by=_who(actor),
                                         note="批量导入"))
    session.flush()
    return len(todo)


def _outcome_of(value: object) -> str | None:
    """An outcome class from a cell: "A", "A 已解决" or "已解决" (None when empty or unknown)."""
    text = clean_text(value).replace(" ", "")
    if not text:
        return None
    for o in OUTCOMES:
        if text in (o[0], o.replace(" ", ""), o[2:]) or text.upper() == o[0]:
            return o
    return None


def export_xlsx(session: Session, actor: Actor, f: dict) -> bytes:
    """The filtered proposals in the import template's columns (an export imports back)."""
    page = list_proposals(session, actor, f, 0, 200_000)
    ids = [r["id"] for r in page.rows]
    extra = {p.id: p for p in session.execute(select(P).where(P.id.in_(ids))).scalars()} if ids else {}
    rows = []
    for r in page.rows:
        p = extra[r["id"]]
        rows.append({"类型": p.kind, "会次": p.session_no or "", "标题": p.title, "内容摘要": p.summary or "",
                     "领衔代表": r["领衔代表"], "附议代表": "、".join(r["附议代表"]), "提出日期": p.submitted_on,
                     "承办单位": p.handling_body or "", "办理状态": p.status, "答复日期": p.result_on,
                     "办理结果": p.result or "", "结果分类": p.outcome or "", "代表评价": p.deputy_view or "",
                     "涉及法治": p.law_related})
    return to_xlsx({"议案建议": pd.DataFrame(rows, columns=IMPORT_HEADERS)}, title="议案建议",
                   notes=[f"共 {len(rows)} 件"])


# ---------------------------------------------------------------- 工作台 figures


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """F1/R4 figures: deputies with no 议案/建议 this year, proposals unanswered past 3 months,
    answers the deputy judged 不满意 (still at 已答复)."""
    count = lambda stmt: int(session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())
    none = count(_none_statement(actor, year))
    overdue = count(_filtered(actor, {"overdue": True}))
    unhappy = count(_filtered(actor, {"view": Satisfaction.UNSATISFIED, "status": ANSWERED, "year": year}))
    y = str(year)
    return [
        Figure("F1", "本年未提出议案建议的在任代表", none, "人", "proposals", {"view": "none", "year": y},
               bad=none > 0, help="代表每年至少领衔或附议一件议案或建议"),
        Figure("F1", f"提出超过{ANSWER_DAYS}天仍未答复的议案建议", overdue, "件", "proposals",
               {"view": "overdue"}, bad=overdue > 0, help="代表建议应在三个月内答复"),
        Figure("F3", "本年代表不满意、尚未重新办理的答复", unhappy, "件", "proposals",
               {"view": "unhappy", "year": y}, bad=unhappy > 0, help="代表不满意的，承办单位应重新办理答复"),
    ]


__all__ = [
    "KINDS", "STATUSES", "TRANSITIONS", "VIEWS", "allowed_next", "create_proposal", "delete_proposal",
    "deputies_without", "deputy_proposals", "export_xlsx", "figures", "frequent_sources", "get_proposal",
    "import_template", "import_xlsx", "list_proposals", "set_view", "signature_warning", "transition",
    "update_proposal",
]
