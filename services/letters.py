"""来信: registering letters, their lifecycle with working-day deadlines, masking (R12).

A letter moves 登记 → 已交代表 → 已回复 → 已转办 → 办理中 → 已办结 → 已反馈, or closes as 不予受理 /
已合并 with a reason. The allowed steps are data (``TRANSITIONS``) and every step goes through
``transition()``, which records who, when and a note as a LetterEvent, together with the
letter's fields before the step (so an admin can undo it, logged).

Deadlines are working days on the Chinese calendar (services.workdays), from the setting
letter_deadlines: handed to the deputy within ``handed`` days of receipt, first reply within
``reply`` days of receipt, forwarded within ``forward`` days of the first reply, outcome fed back
within ``feedback`` days of receipt (of the reopening, for a reopened letter). Two clocks are kept
on the letter (reply_due, resolve_due) plus the current step's deadline (step_due); the working
days a letter waited for the writer's clarification push every clock of its round. A letter is
overdue the day after a running clock's due date, and long overdue when more than twice the
deadline has passed. Both are decided in SQL (``overdue_clause``).
"""

from __future__ import annotations

import difflib
import re
from datetime import date, timedelta

from sqlalchemy import and_, case, func, null, or_, select
from sqlalchemy.orm import Session

from db import audit, models
from services import bodies, counters, deadlines, deputies, identity, mailboxes, settings, workdays
from services.common import (
    REVEAL_ROLES,
    Actor,
    Figure,
    NotFound,
    Page,
    PermissionDenied,
    ValidationError,
    check_version,
    scope_filter,
    today,
)
from services.states import LetterStatus, Outcome, ReplyMethod, Satisfaction, values
from services.validation import (
    clean_text,
    fmt_date,
    free_text_for,
    mask_address,
    mask_free_text,
    mask_name,
    mask_phone,
    normalize_phone,
    parse_date,
)

L = models.Letter
E = models.LetterEvent

STATES = values(LetterStatus)
CLOSED = (LetterStatus.FED_BACK, LetterStatus.REJECTED, LetterStatus.MERGED)
# every other state: a letter still being handled (``still_open``)
OPEN = tuple(s for s in LetterStatus if s not in CLOSED)
BEFORE_REPLY = (LetterStatus.REGISTERED, LetterStatus.HANDED)


def still_open():  # noqa: ANN201
    """SQL condition: the letter is still being handled (not 已反馈, 不予受理 or 已合并: ``CLOSED``).
    Written as the list of the open states, which the status index serves (NOT IN scans every letter)."""
    return L.status.in_(OPEN)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    LetterStatus.REGISTERED: (LetterStatus.HANDED, LetterStatus.REJECTED, LetterStatus.MERGED),
    LetterStatus.HANDED: (LetterStatus.REPLIED, LetterStatus.REJECTED, LetterStatus.MERGED),
    LetterStatus.REPLIED: (LetterStatus.FORWARDED, LetterStatus.REJECTED, LetterStatus.MERGED),
    LetterStatus.FORWARDED: (LetterStatus.HANDLING,),
    LetterStatus.HANDLING: (LetterStatus.CONCLUDED,),
    LetterStatus.CONCLUDED: (LetterStatus.FED_BACK,),
    LetterStatus.FED_BACK: (LetterStatus.HANDLING,),  # reopening, only after 不满意 (see next_steps)
    LetterStatus.REJECTED: (),
    LetterStatus.MERGED: (),
}
STEP_LABELS = {
    LetterStatus.HANDED: "交代表", LetterStatus.REPLIED: "答复来信人", LetterStatus.FORWARDED: "转办", LetterStatus.HANDLING: "开始办理",
    LetterStatus.CONCLUDED: "办结", LetterStatus.FED_BACK: "反馈来信人", LetterStatus.REJECTED: "不予受理", LetterStatus.MERGED: "合并到其他来信",
}
REOPEN_LABEL = "重新办理（来信人不满意）"
SATISFACTION = tuple(values(Satisfaction))
OUTCOMES = tuple(values(Outcome))
REPLY_METHODS = tuple(values(ReplyMethod))
FEEDBACK_METHODS = ("电话", "当面", "书面", "短信", "其他")
PAUSE, RESUME, UNDO = "暂停计时", "恢复计时", "撤销"
OVERDUE_CHOICES = {"超期": "已超期（含严重超期）", "严重超期": "严重超期（超过时限两倍）",
                   "即将到期": "即将到期（未超期）", "日历未确认": "期限所在年度日历未确认",
                   "本周到期": "本周到期（今天至本周日，未超期）"}
DUPLICATE_DAYS = 90
SIMILARITY = 0.6
# the fields a step may change (kept in LetterEvent.prior for undo)
_TRACKED = ("status", "status_on", "forwarded_to", "body_id", "result", "outcome", "reply_content", "reply_method",
            "feedback_method", "satisfaction", "close_reason", "merged_into_id", "round", "paused_since",
            "paused_days")
# the registered fields a letter's edit may change (edit_letter)
EDITABLE = {"received_on": "收信日期", "writer_name": "来信人", "writer_phone": "联系电话", "writer_address": "住址",
            "summary": "内容摘要", "category": "问题类别", "deputy_id": "承办代表"}


# ---------------------------------------------------------------- settings and small helpers


def categories(session: Session) -> list[str]:
    """Return the problem categories (setting letter_categories)."""
    return list(settings.get(session, "letter_categories"))


def deadline_days(session: Session) -> dict[str, int]:
    """Return the step deadlines in working days {handed, reply, forward, feedback}."""
    value = dict(settings.DEFAULTS["letter_deadlines"][0])
    value.update({k: int(v) for k, v in (settings.get(session, "letter_deadlines") or {}).items()})
    return value


def next_steps(letter: models.Letter) -> list[tuple[str, str]]:
    """Return the legal next steps of a letter as (to_status, label); none while paused."""
    if letter.paused_since is not None:
        return []
    out = []
    for to in TRANSITIONS.get(letter.status, ()):
        if letter.status == LetterStatus.FED_BACK:
            if letter.satisfaction == Satisfaction.UNSATISFIED:
                out.append((to, REOPEN_LABEL))
            continue
        out.append((to, STEP_LABELS[to]))
    return out


def _who(actor: Actor) -> str:
    """The name written in a letter's history."""
    return actor.display_name or actor.username


def _scope_of(session: Session, letter: models.Letter, actor: Actor) -> None:
    """Raise NotFound when the letter lies outside the actor's scope."""
    if not actor.in_scope(letter.office_id, letter.group_id):
        raise NotFound("该来信不存在或不在您的负责范围内。")


def _load(session: Session, actor: Actor, letter_id: int) -> models.Letter:
    """Return a letter inside the actor's scope, or raise NotFound."""
    letter = session.get(L, letter_id)
    if letter is None:
        raise NotFound("该来信不存在或不在您的负责范围内。")
    _scope_of(session, letter, actor)
    return letter


# ---------------------------------------------------------------- deadlines


def _round_starts(session: Session, letters: list[models.Letter]) -> dict[int, date]:
    """Return {letter id: first day of its current round} for reopened letters (one query)."""
    later = [x for x in letters if (x.round or 1) > 1]
    if not later:
        return {}
    rows = session.execute(
        select(E.letter_id, E.round, func.min(E.happened_on))
        .where(E.letter_id.in_([x.id for x in later]), E.to_status == LetterStatus.HANDLING, E.undone.is_(False))
        .group_by(E.letter_id, E.round)
    ).all()
    by = {(lid, rnd): d for lid, rnd, d in rows}
    return {x.id: by.get((x.id, x.round), x.status_on or x.received_on) for x in later}


def due_dates(received: date, status: str, status_on: date | None, round_start: date | None,
              paused: int, dl: dict[str, int], cal: workdays.Calendar | None = None) -> tuple[date, date, date | None]:
    """Return (reply_due, resolve_due, step_due) of a letter from its facts on the calendar ``cal``
    (the database's: ``workdays.calendar_for``; the package's when None).

    ``paused`` working days (waiting for the writer) push every clock of the round.
    """
    cal = cal or workdays.PACKAGE
    reply_due = cal.add_workdays(received, dl["reply"] + paused)
    resolve_due = cal.add_workdays(round_start or received, dl["feedback"] + paused)
    step_due = None
    if status == LetterStatus.REGISTERED:
        step_due = cal.add_workdays(received, dl["handed"] + paused)
    elif status == LetterStatus.REPLIED:
        step_due = cal.add_workdays(status_on or received, dl["forward"] + paused)
    return reply_due, resolve_due, step_due


def _apply_deadlines(session: Session, letter: models.Letter, round_start: date | None = None) -> None:
    """Fill one letter's due dates from its current facts."""
    dl = deadline_days(session)
    if (letter.round or 1) > 1 and round_start is None:
        round_start = _round_starts(session, [letter]).get(letter.id)
    letter.reply_due, letter.resolve_due, letter.step_due = due_dates(
        letter.received_on, letter.status, letter.status_on, round_start, letter.paused_days or 0, dl,
        workdays.calendar_for(session))


def recompute_deadlines(session: Session, letter_ids: list[int] | None = None) -> int:
    """Fill reply_due / resolve_due / step_due of many letters (all when ``letter_ids`` is None).

    Made for bulk loads (a million letters): due dates are computed once per distinct
    (received date, paused days) and written with one UPDATE per such group (the index on
    received_on finds the rows); letters waiting to be forwarded (已回复, few at any time) and
    reopened letters are updated by id. Returns the letters touched. Derived columns only: these
    updates are not audited.
    """
    from sqlalchemy import Date, bindparam, case

    dl = deadline_days(session)
    session.flush()
    cal = workdays.calendar_for(session)
    conn = session.connection()
    table = L.__table__
    c = table.c
    chunks = [None] if letter_ids is None else [letter_ids[i:i + 900] for i in range(0, len(letter_ids), 900)]
    touched = 0
    for chunk in chunks:
        def scoped(stmt, chunk=chunk):
            return stmt if chunk is None else stmt.where(c.id.in_(chunk))

        params = []
        for received, paused, n in session.execute(scoped(
                select(c.received_on, c.paused_days, func.count()).where(c.round == 1)
                .group_by(c.received_on, c.paused_days))):
            p = paused or 0
            params.append({"r": received, "p": paused,
                           "rd": cal.add_workdays(received, dl["reply"] + p),
                           "sd": cal.add_workdays(received, dl["feedback"] + p),
                           "hd": cal.add_workdays(received, dl["handed"] + p)})
            touched += n
        if params:
            stmt = scoped(table.update().where(c.received_on == bindparam("r"), c.paused_days == bindparam("p"),
                                               c.round == 1))
            # updated_at is kept: deadlines are derived, not an edit of the letter
            stmt = stmt.values(reply_due=bindparam("rd"), resolve_due=bindparam("sd"), updated_at=c.updated_at,
                               step_due=case((c.status == LetterStatus.REGISTERED, bindparam("hd", type_=Date)), else_=None))
            if chunk is None:
                conn.execute(stmt, params)  # one statement, many (received date, paused days) groups
            else:  # an IN list of ids cannot be sent with executemany: one UPDATE per group
                for one in params:
                    conn.execute(stmt, one)
        # waiting to be forwarded: counted from the first reply (status_on)
        replied = session.execute(scoped(select(c.id, c.status_on, c.received_on, c.paused_days)
                                         .where(c.status == LetterStatus.REPLIED, c.round == 1))).all()
        cache: dict[tuple[date, int], date] = {}
        rows = []
        for lid, on, received, paused in replied:
            k = (on or received, paused or 0)
            if k not in cache:
                cache[k] = cal.add_workdays(k[0], dl["forward"] + k[1])
            rows.append({"i": lid, "due": cache[k]})
        if rows:
            conn.execute(table.update().where(c.id == bindparam("i"))
                         .values(step_due=bindparam("due"), updated_at=c.updated_at), rows)
        later = session.execute(scoped(select(L).where(L.round > 1))).scalars().all()
        starts = _round_starts(session, later)
        for letter in later:
            r, sd, st = due_dates(letter.received_on, letter.status, letter.status_on, starts.get(letter.id),
                                  letter.paused_days or 0, dl, cal)
            conn.execute(table.update().where(c.id == letter.id)
                         .values(reply_due=r, resolve_due=sd, step_due=st, updated_at=c.updated_at))
            touched += 1
    session.expire_all()
    return touched


class Clock:
    """Today's overdue thresholds of letters: the one rule (``services.deadlines``) on the letters' clocks."""

    def __init__(self, session: Session, on: date | None = None) -> None:
        """Compute the thresholds once per list (a few calendar look-ups)."""
        self.dl = deadline_days(session)
        self.rule = deadlines.Deadlines(session, self.dl, on)
        self.cal = self.rule.cal
        self.today = self.rule.today
        self.long = self.rule.long

    def _clocks(self, status: str) -> list[tuple[str, str]]:
        """(due column, deadline key) of the clocks running in ``status``."""
        out = []
        if status == LetterStatus.REGISTERED:
            out.append(("step_due", "handed"))
        if status == LetterStatus.REPLIED:
            out.append(("step_due", "forward"))
        if status in BEFORE_REPLY:
            out.append(("reply_due", "reply"))
        if status not in CLOSED:
            out.append(("resolve_due", "feedback"))
        return out

    def running(self, status: str, dues: dict[str, date | None]) -> list[tuple[date | None, str]]:
        """(due date, deadline key) of the clocks running in ``status``."""
        return [(dues.get(col), key) for col, key in self._clocks(status)]

    def level(self, status: str, paused: bool, dues: dict[str, date | None], soon: bool = False) -> str:
        """Return "" / "超期" / "严重超期" (with ``soon`` also "即将到期") for one letter (the rule of ``clause``)."""
        return self.rule.level(self.running(status, dues), paused, soon)

    @staticmethod
    def clocks() -> list[deadlines.Running]:
        """The letters' clocks in SQL: the states each runs in, its due column, its deadline key."""
        return [
            deadlines.Running(L.status == LetterStatus.REGISTERED, L.step_due, "handed"),
            deadlines.Running(L.status == LetterStatus.REPLIED, L.step_due, "forward"),
            deadlines.Running(L.status.in_(BEFORE_REPLY), L.reply_due, "reply"),
            deadlines.Running(still_open(), L.resolve_due, "feedback"),
        ]

    def clause(self, long: bool = False):  # noqa: ANN201
        """SQL condition: the letter is overdue (or long overdue) today; paused letters are not."""
        # every clock runs in an open state only: saying so up front lets the status index pick the
        # few open letters out of a million instead of scanning them all (the same letters)
        return and_(still_open(), self.rule.clause(self.clocks(), L.paused_since, long))

    def soon_clause(self):  # noqa: ANN201
        """SQL condition: not overdue, and a running clock falls due within ``due_soon_days``."""
        return and_(still_open(), self.rule.soon_clause(self.clocks(), L.paused_since))

    def attention_clause(self):  # noqa: ANN201
        """SQL condition: overdue or due soon (``clause`` or ``soon_clause``: 我的待办), the open
        states said once up front so that the status index serves the whole condition."""
        return and_(still_open(), or_(self.rule.clause(self.clocks(), L.paused_since, False),
                                      self.rule.soon_clause(self.clocks(), L.paused_since)))

    def unconfirmed_clause(self):  # noqa: ANN201
        """SQL condition: an open letter with a due date in a year whose calendar is unconfirmed."""
        return and_(still_open(),
                    self.cal.unconfirmed_clause(L.reply_due, L.resolve_due, L.step_due))


def overdue_clause(session: Session, long: bool = False, on: date | None = None):
    """SQL condition selecting letters overdue (or long overdue) today."""
    return Clock(session, on).clause(long)


# ---------------------------------------------------------------- registering


def _clean_writer(session: Session, data: dict, errors: dict) -> tuple[str | None, str | None, str | None]:
    """Check writer name, phone and address; anonymous letters carry neither name nor phone."""
    anonymous = bool(data.get("anonymous"))
    name = clean_text(data.get("writer_name")) or None
    address = clean_text(data.get("writer_address")) or None
    phone = None
    if anonymous:
        return None, None, address
    try:
        phone = normalize_phone(data.get("writer_phone"), landline_ok=True, area=settings.area_code(session))
    except ValueError as exc:
        errors["writer_phone"] = f"{exc}（如 139-1234-5678 或 (010)62345678）"
    if name and len(name) > 64:
        errors["writer_name"] = "来信人姓名过长"
    if not name and not phone and not anonymous:
        errors["writer_name"] = "请填写来信人姓名或联系电话；来信人未署名的请勾选“匿名来信”"
    if address and len(address) > 255:
        errors["writer_address"] = "住址过长（不超过255字）"
    return name, phone, address


def check_letter(session: Session, actor: Actor, data: dict) -> dict:
    """Validate a letter's fields; return them clean or raise ValidationError (nothing written)."""
    errors: dict[str, str] = {}
    box = session.get(models.Mailbox, data.get("mailbox_id")) if data.get("mailbox_id") else None
    district = group = None
    if box is None:
        errors["mailbox_id"] = "请选择信箱"
    else:
        district = session.get(models.District, box.district_id)
        group = session.get(models.DeputyGroup, district.group_id)
        if not actor.in_scope(group.office_id, group.id):
            errors["mailbox_id"] = "只能选择您负责范围内的信箱"
    received = mailboxes.box_date(data, "received_on", "收信日期", box, errors)
    name, phone, address = _clean_writer(session, data, errors)
    summary = clean_text(data.get("summary"))
    if not summary:
        errors["summary"] = "请填写内容摘要"
    elif len(summary) > 2000:
        errors["summary"] = "内容摘要过长（不超过2000字）"
    category = clean_text(data.get("category"))
    if category not in categories(session):
        errors["category"] = "请选择问题类别"
    deputy_id = data.get("deputy_id") or None
    if deputy_id is not None:
        dep = session.get(models.Deputy, deputy_id)
        if dep is None:
            errors["deputy_id"] = "承办代表不存在"
        else:
            # who serves, and in which group, follows the periods of service (services.deputies)
            serving = deputies.serving_on(session, [dep.id], today())
            if dep.id not in serving:
                errors["deputy_id"] = "承办代表已不在任"
            elif group is not None and serving[dep.id] != group.id:
                errors["deputy_id"] = "承办代表应为该信箱所在代表组的代表"
    if errors:
        raise ValidationError(errors)
    return {"mailbox_id": box.id, "district_id": district.id, "group_id": group.id, "office_id": group.office_id,
            "received_on": received, "writer_name": name, "writer_phone": phone, "writer_address": address,
            "summary": summary, "category": category, "deputy_id": deputy_id,
            "writer_key": identity.writer_key(name, phone, settings.area_code(session))}


def find_possible_duplicates(session: Session, actor: Actor, data: dict, exclude_id: int | None = None,
                             limit: int = 10) -> list[dict]:
    """Letters of the last 90 days of the same writer (services.identity: the phone in any of its
    written forms, else the name with look-alike dots and spaces ignored) or with a very similar summary.

    Summaries are compared (difflib) with the letters of the same electoral district only, so
    the check stays quick on a large database. Rows are masked (shown before saving).
    """
    summary = clean_text(data.get("summary"))
    try:
        phone = (normalize_phone(data.get("writer_phone"), landline_ok=True, area=settings.area_code(session))
                 if not data.get("anonymous") else None)
    except ValueError:
        phone = None
    who = None if data.get("anonymous") else identity.writer_key(data.get("writer_name"), phone,
                                                                  settings.area_code(session))
    try:
        received = parse_date(data.get("received_on")) or today()
    except ValueError:
        received = today()
    box = session.get(models.Mailbox, data.get("mailbox_id")) if data.get("mailbox_id") else None
    since = received - timedelta(days=DUPLICATE_DAYS)
    base = (select(L.id, L.code, L.received_on, L.writer_name, L.writer_phone, L.summary, L.status,
                   L.district_id)
            .where(L.received_on >= since, L.received_on <= received + timedelta(days=1)))
    base = scope_filter(base, actor, L.office_id, L.group_id)
    if exclude_id:
        base = base.where(L.id != exclude_id)
    found: dict[int, dict] = {}
    if who:
        why = "同一联系电话" if who.startswith("t:") else "同一来信人（未留电话）"
        for r in session.execute(base.where(L.writer_key == who).order_by(L.received_on.desc()).limit(limit)):
            found[r.id] = {"row": r, "why": why, "ratio": 1.0}
    if summary and box is not None:
        cands = session.execute(base.where(L.district_id == box.district_id)
                                .order_by(L.received_on.desc()).limit(2000)).all()
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(summary)
        for r in cands:
            matcher.set_seq1(r.summary or "")
            if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILARITY:
                if r.id in found:
                    found[r.id]["why"] += "、内容相似"
                else:
                    found[r.id] = {"row": r, "why": f"内容相似（{ratio:.0%}）", "ratio": ratio}
    out = sorted(found.values(), key=lambda x: (-x["ratio"], -x["row"].id))[:limit]
    return [{"id": x["row"].id, "编号": x["row"].code, "收信日期": x["row"].received_on,
             "来信人": mask_name(x["row"].writer_name) or "匿名", "联系电话": mask_phone(x["row"].writer_phone),
             "内容摘要": _short(x["row"].summary, 60), "状态": x["row"].status, "疑似重复原因": x["why"]}
            for x in out]


def _short(text: str | None, n: int) -> str:
    """Cut a text to ``n`` characters with an ellipsis."""
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _new_code(session: Session, received: date) -> str:
    """Return the next letter number of the year, e.g. XF2026-000123 (a counter row locked for
    update: concurrent registrations queue for it and never collide)."""
    prefix = f"XF{received.year}-"

    def highest() -> int:
        last = session.execute(select(func.max(L.code)).where(L.code.like(prefix + "%"))).scalar()
        m = re.search(r"(\d+)$", last or "")
        return int(m.group(1)) if m else 0

    return f"{prefix}{counters.next_number(session, 'letter', received.year, highest):06d}"


def register(session: Session, actor: Actor, data: dict, *, merge_into: int | None = None) -> models.Letter:
    """Register a letter (来信登记); with ``merge_into`` it is closed at once as 已合并 into that one.

    Call ``find_possible_duplicates`` first and let the user choose to save anyway or merge.
    """
    actor.require_write("letter")
    clean = check_letter(session, actor, data)
    target = None
    if merge_into is not None:
        target = session.get(L, merge_into)
        why = _merge_refusal(session, actor, None, target)
        if why:
            raise ValidationError({"merge_into": why if target is not None else "要合并到的来信不存在或不在您的负责范围内"})
    letter = L(code=_new_code(session, clean["received_on"]), status=LetterStatus.REGISTERED, status_on=clean["received_on"],
               created_by=actor.username, round=1, paused_days=0, **clean)
    _apply_deadlines(session, letter)
    session.add(letter)
    session.flush()
    session.add(E(letter_id=letter.id, round=1, from_status=None, to_status=LetterStatus.REGISTERED,
                  happened_on=clean["received_on"], by=_who(actor),
                  note=clean_text(data.get("note")) or ("匿名来信" if data.get("anonymous") else None)))
    session.flush()
    if target is not None:
        transition(session, actor, letter.id, LetterStatus.MERGED, happened_on=clean["received_on"], merged_into=target.id,
                   reason=f"与来信{target.code}重复，登记时合并")
    return letter


def edit_letter(session: Session, actor: Actor, letter_id: int, data: dict, *, reason: str = "",
                expected_version: int | None = None) -> models.Letter:
    """Correct a registered letter's fields (``EDITABLE``): versioned (a stale page is refused),
    audited (the ORM audit keeps before/after) and written in its history with what changed.

    The deputy in charge may be set later (可稍后指定) without a reason; changing a deputy already
    named needs one. A closed letter (已反馈, 不予受理, 已合并) is not edited."""
    actor.require_write("letter")
    letter = _load(session, actor, letter_id)
    check_version(letter, expected_version, "该来信")
    if letter.status in CLOSED:
        raise ValidationError({"": f"该来信已{letter.status}，不能再修改登记信息"})
    merged = {"mailbox_id": letter.mailbox_id, "anonymous": not letter.writer_name and not letter.writer_phone,
              **{k: getattr(letter, k) for k in EDITABLE}, **data}
    merged["anonymous"] = bool(data.get("anonymous", merged["anonymous"]))
    reason = clean_text(reason)
    errors: dict[str, str] = {}
    new_deputy = merged.get("deputy_id") or None
    try:  # a deputy kept as he was is not checked again (he may have left office since)
        clean = check_letter(session, actor, {**merged, "deputy_id": None if new_deputy == letter.deputy_id
                                              else new_deputy})
        clean["deputy_id"] = new_deputy
    except ValidationError as exc:
        errors.update(exc.errors)
        clean = None
    changing_deputy = letter.deputy_id is not None and new_deputy != letter.deputy_id
    if changing_deputy and not reason:
        errors["reason"] = "更换承办代表请填写原因"
    if clean is not None and clean["received_on"] > (letter.status_on or letter.received_on) and letter.status != LetterStatus.REGISTERED:
        errors["received_on"] = "收信日期不能晚于已办理环节的日期"
    if errors:
        raise ValidationError(errors)
    changes = []
    for k, label in EDITABLE.items():
        if clean[k] != getattr(letter, k):
            if k == "deputy_id":
                names = dict(session.execute(select(models.Deputy.id, models.Deputy.name).where(
                    models.Deputy.id.in_([x for x in (letter.deputy_id, clean[k]) if x]))).all())
                changes.append(f"{label}：{names.get(letter.deputy_id, '未指定')} → {names.get(clean[k], '未指定')}")
            elif k in ("writer_name", "writer_phone", "writer_address"):
                changes.append(f"{label}已更正")  # personal data stays out of the history text
            else:
                changes.append(f"{label}已更正")
            setattr(letter, k, clean[k])
    if not changes:
        return letter  # nothing changed: a double click saves nothing twice
    letter.writer_key = clean["writer_key"]
    session.add(E(letter_id=letter.id, round=letter.round, from_status=letter.status, to_status="修改登记",
                  happened_on=today(), by=_who(actor),
                  note="；".join(changes) + (f"。原因：{reason}" if reason else "")))
    session.flush()
    _apply_deadlines(session, letter)
    session.flush()
    return letter


def set_outcome(session: Session, actor: Actor, letter_id: int, outcome: str,
                expected_version: int | None = None) -> models.Letter:
    """Class a letter answered before outcome classes existed (已办结 / 已反馈 with no class, Alembic
    0006_i14_bodies); a class once given is changed only by undoing the step."""
    actor.require_write("letter")
    letter = _load(session, actor, letter_id)
    check_version(letter, expected_version, "该来信")
    if letter.status not in (LetterStatus.CONCLUDED, LetterStatus.FED_BACK):
        raise ValidationError({"outcome": "只有已办结或已反馈的来信才需补充结果分类"})
    if letter.outcome:
        raise ValidationError({"outcome": f"该来信已分类为“{letter.outcome}”"})
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "请选择办理结果分类"})
    letter.outcome = outcome
    session.add(E(letter_id=letter.id, round=letter.round, from_status=letter.status, to_status="补充分类",
                  happened_on=today(), by=_who(actor), note=f"补充办理结果分类：{outcome}"))
    session.flush()
    return letter


def handover_sheet(session: Session, actor: Actor, letter_id: int, *, with_writer: bool = False) -> dict:
    """The content of a 交办单 (a letter handed to its deputy or forwarded to a body): the fields as
    (label, text) pairs. The writer's data is masked unless ``with_writer`` (staff in scope, admin:
    the body must call the writer back), and then the view is written to the audit log."""
    info = get_letter(session, actor, letter_id)
    writer = info["writer"]
    if with_writer:
        writer = reveal(session, actor, letter_id)
    to = info["forwarded_to"] or (f"{info['deputy']}代表" if info["deputy"] else "")
    if not to:
        raise ValidationError({"": "该来信尚未指定承办代表或转办单位，不能打印交办单"})
    rows = [("来信编号", info["code"]), ("收信日期", fmt_date(info["received_on"])), ("信箱", info["mailbox"]),
            ("选区", f"{info['district']}（{info['group']}）"), ("问题类别", info["category"]),
            ("来信人", writer["来信人"]), ("联系电话", writer["联系电话"]), ("住址", writer["住址"]),
            ("来信内容", info["summary"] if with_writer else mask_free_text(info["summary"])),
            ("承办代表", info["deputy"] or "—"),
            ("转办（承办）单位", info["forwarded_to"] or "—"),
            ("首次答复时限", fmt_date(info["reply_due"])), ("办结反馈时限", fmt_date(info["resolve_due"]))]
    if info["merged"]:
        rows.append(("并入本件的来信", "、".join(m["编号"] for m in info["merged"])))
    return {"title": "代表信箱来信交办单", "to": to, "rows": rows,
            "ask": ("请于办结反馈时限前办理并书面答复，办理结果请注明分类：A 已解决、B 正在解决、"
                    "C 列入计划逐步解决、D 因条件限制留作参考。"),
            "by": _who(actor), "on": fmt_date(today()), "masked": not with_writer}


def handover_docx(sheet: dict) -> bytes:
    """The 交办单 as a printable .docx in the 公文 layout (services.documents.GongWen)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from services.documents import GongWen

    g = GongWen(sheet["title"])
    g.para(f"{sheet['to']}：", indent=False)
    g.pairs(sheet["rows"], per_row=1)
    g.para(sheet["ask"])
    if sheet["masked"]:
        g.para("（来信人个人信息已脱敏；需联系来信人的，请与交办人联系。）")
    # left-aligned, each on one line (justified, a wrapped 签收 line was spread across the page)
    g.para(f"交办人：{sheet['by']}　　　　交办日期：{sheet['on']}", indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    g.para("承办单位（代表）签收：________　　签收日期：________", indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    g.signature(today())
    return g.to_bytes()


def merged_into_this(session: Session, letter_id: int) -> list[dict]:
    """The letters merged into one letter (listed on the surviving letter), writers masked."""
    rows = session.execute(select(L.id, L.code, L.received_on, L.writer_name, L.writer_phone, L.close_reason)
                           .where(L.merged_into_id == letter_id).order_by(L.received_on, L.id)).all()
    return [{"id": r.id, "编号": r.code, "收信日期": r.received_on, "来信人": mask_name(r.writer_name) or "匿名",
             "联系电话": mask_phone(r.writer_phone), "合并理由": r.close_reason or ""} for r in rows]


# ---------------------------------------------------------------- lifecycle


def _snapshot(letter: models.Letter) -> dict:
    """The tracked fields of a letter as JSON (for undo)."""
    out = {}
    for k in _TRACKED:
        v = getattr(letter, k)
        out[k] = v.isoformat() if isinstance(v, date) else v
    return out


def _restore(letter: models.Letter, prior: dict) -> None:
    """Put back the tracked fields saved by ``_snapshot``."""
    for k in _TRACKED:
        if k not in prior:
            continue
        v = prior[k]
        if k in ("status_on", "paused_since") and v:
            v = date.fromisoformat(v)
        setattr(letter, k, v)


def _step_date(letter: models.Letter, happened_on: object, errors: dict) -> date:
    """Check the date of a step: not in the future, not before the letter's last step."""
    try:
        when = parse_date(happened_on) or today()
    except ValueError as exc:
        errors["happened_on"] = str(exc)
        return today()
    if when > today():
        errors["happened_on"] = "日期不能晚于今天"
    elif when < (letter.status_on or letter.received_on):
        errors["happened_on"] = f"日期不能早于上一环节日期（{fmt_date(letter.status_on or letter.received_on)}）"
    return when


def _deputy_names(session: Session, letter: models.Letter) -> set[str]:
    """The name of the letter's deputy in charge (R3: never the body a letter goes to)."""
    if not letter.deputy_id:
        return set()
    name = session.execute(select(models.Deputy.name).where(models.Deputy.id == letter.deputy_id)).scalar()
    return {name} if name else set()


def _hand_to(session: Session, letter: models.Letter, deputy_id: int | None,
             ) -> tuple[models.Deputy | None, str | None]:
    """交代表: (the deputy the letter goes to, None), or (None, a Chinese reason). The letter needs a
    deputy in charge — its own, or ``deputy_id`` when it has none — serving in its group today;
    a deputy already named is changed only under 修改登记, with a reason."""
    if letter.deputy_id and deputy_id and deputy_id != letter.deputy_id:
        return None, "该来信已有承办代表；更换承办代表请在“修改登记”中选择并填写原因"
    chosen = deputy_id or letter.deputy_id
    if not chosen:
        return None, "请选择承办代表（交代表须指定交给哪位代表）"
    if deputies.serving_on(session, [chosen], today()).get(chosen) != letter.group_id:
        if chosen == letter.deputy_id:
            return None, "该来信的承办代表已不在本代表组任职；请先在“修改登记”中更换承办代表（填写原因）"
        return None, "承办代表应为该来信所在代表组的在任代表"
    return session.get(models.Deputy, chosen), None


def _merge_refusal(session: Session, actor: Actor, letter: models.Letter | None,
                   target: models.Letter | None) -> str | None:
    """Why ``letter`` may not be merged into ``target`` (None when it may): the target must exist
    in scope, not be the letter, not itself be merged (no chains A → B → C), and no letter may
    already be merged into the one being merged."""
    if target is None or not actor.in_scope(target.office_id, target.group_id):
        return "请选择要合并到的来信"
    if letter is not None and target.id == letter.id:
        return "不能合并到本来信"
    if target.status == LetterStatus.MERGED:
        return f"来信{target.code}本身已合并到其他来信，请合并到最终保留的来信"
    if target.status in CLOSED:  # its writer was told already: a letter joining it would never hear back
        return f"来信{target.code}已{target.status}，办理已结束，不能再并入来信；请作为新来信办理"
    if letter is not None and letter.id is not None and session.execute(
            select(func.count(L.id)).where(L.merged_into_id == letter.id)).scalar_one():
        return "已有其他来信合并到本来信，本来信不能再合并（不允许连环合并）"
    return None


def transition(
    session: Session,
    actor: Actor,
    letter_id: int,
    to_status: str,
    *,
    happened_on: date | str | None = None,
    note: str = "",
    forwarded_to: str | None = None,
    result: str | None = None,
    feedback_method: str | None = None,
    satisfaction: str | None = None,
    reason: str | None = None,
    merged_into: int | None = None,
    outcome: str | None = None,
    reply_content: str | None = None,
    reply_method: str | None = None,
    body_id: int | None = None,
    deputy_id: int | None = None,
    expected_version: int | None = None,
) -> models.Letter:
    """Move a letter one legal step, recording who, when and a note.

    已交代表 may name the deputy in charge when the letter has none yet (``deputy_id``: serving in
    the letter's group).
    已回复 needs what the writer was told and how (电话 / 当面 / 书面); 已转办 needs a body of the
    承办单位 directory (``body_id``, or its name as ``forwarded_to``), never a person (R3,
    ``bodies.organisation``); 已办结 needs 办理结果 and its class A/B/C/D; 已反馈 needs 反馈方式 and
    满意度; 不予受理 and 已合并 need a reason (已合并 also the letter it joins, itself not merged, and
    no letter may be merged into the one merged: no chains); 已反馈 → 办理中 reopens a letter whose
    writer was not satisfied, as a new round with its own clock.
    """
    actor.require_write("letter")
    letter = _load(session, actor, letter_id)
    check_version(letter, expected_version, "该来信")
    if letter.paused_since is not None:
        raise ValidationError({"to_status": "该来信正在等待来信人补充说明（计时已暂停），请先恢复计时再办理"})
    legal = dict(next_steps(letter))
    if to_status not in legal:
        nxt = "、".join(f"{STEP_LABELS.get(s, s)}" for s in legal) or "无"
        if letter.status == LetterStatus.FED_BACK and to_status == LetterStatus.HANDLING:
            raise ValidationError({"to_status": "只有来信人对反馈结果“不满意”时才能重新办理"})
        raise ValidationError({"to_status": f"当前状态为“{letter.status}”，不能直接变为“{to_status}”；可办理：{nxt}"})
    errors: dict[str, str] = {}
    when = _step_date(letter, happened_on, errors)
    note = clean_text(note)
    forwarded_to = clean_text(forwarded_to) or None
    result = clean_text(result) or None
    reason = clean_text(reason) or None
    body = None
    if to_status == LetterStatus.FORWARDED:
        body, why = bodies.organisation(session, body_id or forwarded_to, _deputy_names(session, letter))
        if why:
            errors["forwarded_to"] = why if (body_id or forwarded_to) else \
                "请选择转办单位（代表不自行处理问题，应转交有关单位办理）"
    handed_to = None
    if to_status == LetterStatus.HANDED:
        handed_to, why = _hand_to(session, letter, int(deputy_id) if deputy_id else None)
        if why:
            errors["deputy_id"] = why
    reply_content = clean_text(reply_content) or None
    if to_status == LetterStatus.REPLIED:
        if not reply_content:
            errors["reply_content"] = "请填写答复来信人的内容"
        elif len(reply_content) > 2000:
            errors["reply_content"] = "答复内容过长（不超过2000字）"
        if reply_method not in REPLY_METHODS:
            errors["reply_method"] = "请选择答复方式（电话、当面或书面）"
    if to_status == LetterStatus.CONCLUDED:
        if not result:
            errors["result"] = "请填写办理结果"
        if outcome not in OUTCOMES:
            errors["outcome"] = "请选择办理结果分类（A 已解决 / B 正在解决 / C 列入计划逐步解决 / D 因条件限制留作参考）"
    if to_status == LetterStatus.FED_BACK:
        if feedback_method not in FEEDBACK_METHODS:
            errors["feedback_method"] = "请选择反馈方式"
        if satisfaction not in SATISFACTION:
            errors["satisfaction"] = "请选择来信人满意度"
    if to_status in (LetterStatus.REJECTED, LetterStatus.MERGED) and not reason:
        errors["reason"] = "请填写理由"
    target = None
    if to_status == LetterStatus.MERGED:
        target = session.get(L, merged_into) if merged_into else None
        why = _merge_refusal(session, actor, letter, target)
        if why:
            errors["merged_into"] = why
    if errors:
        raise ValidationError(errors)
    prior = _snapshot(letter)
    before = letter.status
    reopening = before == LetterStatus.FED_BACK and to_status == LetterStatus.HANDLING
    if reopening:
        note = note or f"来信人对第{letter.round}轮办理结果不满意（{letter.result or ''}），重新办理"
        letter.round = (letter.round or 1) + 1
        letter.result = None
        letter.feedback_method = None
        letter.satisfaction = None
        letter.paused_days = 0
        letter.outcome = None
    letter.status = to_status
    letter.status_on = when
    if handed_to is not None:
        letter.deputy_id = handed_to.id
        note = note or f"交{handed_to.name}代表阅处"
    if to_status == LetterStatus.REPLIED:
        letter.reply_content = reply_content
        letter.reply_method = reply_method
        note = note or f"{reply_method}答复：{reply_content}"
    elif to_status == LetterStatus.FORWARDED:
        letter.forwarded_to = body.name
        letter.body_id = body.id
        note = note or f"转办至{body.name}"
    elif to_status == LetterStatus.CONCLUDED:
        letter.result = result
        letter.outcome = outcome
        note = note or f"办理结果（{outcome}）：{result}"
    elif to_status == LetterStatus.FED_BACK:
        letter.feedback_method = feedback_method
        letter.satisfaction = satisfaction
        note = note or f"{feedback_method}反馈，来信人{satisfaction}"
    elif to_status == LetterStatus.REJECTED:
        letter.close_reason = reason
        note = note or f"理由：{reason}"
    elif to_status == LetterStatus.MERGED:
        letter.close_reason = reason
        letter.merged_into_id = target.id
        note = note or f"并入来信{target.code}：{reason}"
        # the writer of a merged letter is told the outcome of the topics covering the surviving one
        TL = models.TopicLetter
        for (topic_id,) in session.execute(select(TL.topic_id).where(TL.letter_id == target.id)).all():
            if session.get(TL, (topic_id, letter.id)) is None:
                session.add(TL(topic_id=topic_id, letter_id=letter.id))
    session.add(E(letter_id=letter.id, round=letter.round, from_status=before, to_status=to_status,
                  happened_on=when, by=_who(actor), note=note or None, prior=prior))
    session.flush()
    _apply_deadlines(session, letter, round_start=when if reopening else None)
    session.flush()
    return letter


def pause(session: Session, actor: Actor, letter_id: int, *, happened_on: date | str | None = None,
          note: str = "", expected_version: int | None = None) -> models.Letter:
    """Stop a letter's clocks while it waits for the writer's clarification."""
    actor.require_write("letter")
    letter = _load(session, actor, letter_id)
    check_version(letter, expected_version, "该来信")
    if letter.status in CLOSED:
        raise ValidationError({"to_status": "已结束的来信无需暂停计时"})
    if letter.paused_since is not None:
        raise ValidationError({"to_status": "该来信已在暂停计时中"})
    errors: dict[str, str] = {}
    when = _step_date(letter, happened_on, errors)
    note = clean_text(note)
    if not note:
        errors["note"] = "请说明需要来信人补充的内容"
    if errors:
        raise ValidationError(errors)
    prior = _snapshot(letter)
    letter.paused_since = when
    session.add(E(letter_id=letter.id, round=letter.round, from_status=letter.status, to_status=PAUSE,
                  happened_on=when, by=_who(actor), note=f"等待来信人补充说明：{note}", prior=prior))
    session.flush()
    return letter


def resume(session: Session, actor: Actor, letter_id: int, *, happened_on: date | str | None = None,
           note: str = "", expected_version: int | None = None) -> models.Letter:
    """Restart the clocks; the working days paused push every deadline of the round."""
    actor.require_write("letter")
    letter = _load(session, actor, letter_id)
    check_version(letter, expected_version, "该来信")
    if letter.paused_since is None:
        raise ValidationError({"to_status": "该来信没有暂停计时"})
    errors: dict[str, str] = {}
    try:
        when = parse_date(happened_on) or today()
    except ValueError as exc:
        errors["happened_on"] = str(exc)
        when = today()
    if when > today():
        errors["happened_on"] = "日期不能晚于今天"
    elif when < letter.paused_since:
        errors["happened_on"] = "恢复日期不能早于暂停日期"
    if errors:
        raise ValidationError(errors)
    prior = _snapshot(letter)
    days = workdays.calendar_for(session).workdays_between(letter.paused_since, when)
    letter.paused_days = (letter.paused_days or 0) + days
    letter.paused_since = None
    session.add(E(letter_id=letter.id, round=letter.round, from_status=letter.status, to_status=RESUME,
                  happened_on=when, by=_who(actor),
                  note=(clean_text(note) + "；" if clean_text(note) else "") + f"暂停{days}个工作日，时限相应顺延",
                  prior=prior))
    session.flush()
    _apply_deadlines(session, letter)
    session.flush()
    return letter


def undo_last(session: Session, actor: Actor, letter_id: int, reason: str,
              expected_version: int | None = None) -> models.Letter:
    """Undo the letter's last step (admin only); the step stays in the history marked undone."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以撤销办理步骤。")
    letter = _load(session, actor, letter_id)
    check_version(letter, expected_version, "该来信")
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "请填写撤销原因"})
    last = session.execute(
        select(E).where(E.letter_id == letter.id, E.undone.is_(False), E.prior.is_not(None))
        .order_by(E.id.desc()).limit(1)
    ).scalars().first()
    if last is None:
        raise ValidationError({"reason": "该来信只有登记环节，没有可撤销的步骤"})
    before = letter.status
    _restore(letter, last.prior)
    last.undone = True
    session.add(E(letter_id=letter.id, round=letter.round, from_status=before, to_status=UNDO,
                  happened_on=today(), by=_who(actor), note=f"撤销“{last.to_status}”：{reason}"))
    session.add(models.AuditLog(username=session.info.get("actor", actor.username), action="撤销",
                                entity="Letter", entity_id=str(letter.id),
                                before={"status": before}, after={"status": letter.status},
                                note=f"撤销步骤“{last.to_status}”（{fmt_date(last.happened_on)}）：{reason}"[:255]))
    session.flush()
    _apply_deadlines(session, letter)
    session.flush()
    return letter


# ---------------------------------------------------------------- reading: masking, list, detail


def may_reveal(actor: Actor, letter: models.Letter | None = None) -> bool:
    """True when the actor may see writers' personal data after clicking 显示 (staff in scope, admin)."""
    if actor.role not in REVEAL_ROLES:
        return False
    return letter is None or actor.in_scope(letter.office_id, letter.group_id)


def _free_text_mask(actor: Actor, revealed: bool = False):  # noqa: ANN202
    """The function free text passes through for this actor: personal data typed into it (phones,
    ID and bank-card numbers, house numbers) masked for roles that only see masked data."""
    return (lambda text: text or "") if revealed else free_text_for(actor.role)


def masked_writer(name: str | None, phone: str | None, address: str | None) -> dict:
    """The writer's personal data masked: 张*, 138****1234, address down to the district."""
    return {"来信人": mask_name(name) if name else "匿名", "联系电话": mask_phone(phone),
            "住址": mask_address(address)}


def reveal(session: Session, actor: Actor, letter_id: int) -> dict:
    """Return the writer's name, phone and address unmasked; the view is written to the audit log."""
    letter = _load(session, actor, letter_id)
    if not may_reveal(actor, letter):
        raise PermissionDenied("您的角色只能查看脱敏后的来信人信息。")
    audit.log_view(session, "Letter", letter.id, f"查看来信{letter.code}的来信人个人信息")
    return {"来信人": letter.writer_name or "匿名", "联系电话": letter.writer_phone or "",
            "住址": letter.writer_address or ""}


def _conditions(actor: Actor, f: dict, clock: Clock) -> list:
    """The WHERE conditions (on the letters table only) of the list's scope and filters."""
    conds = []
    if actor.group_id is not None:
        conds.append(L.group_id == actor.group_id)
    elif actor.office_id is not None:
        conds.append(L.office_id == actor.office_id)
    period = f.get("period")
    if period:
        conds.append(L.received_on.between(period[0], period[1]))
    if f.get("year"):
        conds.append(L.received_on.between(date(int(f["year"]), 1, 1), date(int(f["year"]), 12, 31)))
    for key, col in (("office_id", L.office_id), ("group_id", L.group_id), ("deputy_id", L.deputy_id),
                     ("mailbox_id", L.mailbox_id), ("district_id", L.district_id), ("category", L.category),
                     ("satisfaction", L.satisfaction)):
        if f.get(key):
            conds.append(col == f[key])
    status = f.get("status")
    if status == "未办结":
        conds.append(still_open())
    elif status:
        conds.append(L.status == status)
    if f.get("overdue") == "本周到期":
        week_end = clock.today + timedelta(days=6 - clock.today.weekday())
        conds.append(and_(L.paused_since.is_(None), next_due(clock).between(clock.today, week_end)))
    elif f.get("overdue") == deadlines.DUE_SOON:
        conds.append(clock.soon_clause())
    elif f.get("overdue") == workdays.UNCONFIRMED:
        conds.append(clock.unconfirmed_clause())
    elif f.get("overdue"):
        conds.append(clock.clause(long=f["overdue"] == "严重超期"))
    if f.get("paused"):
        conds.append(L.paused_since.is_not(None))
    if f.get("q"):
        q = str(f["q"]).replace("\\", "").replace("%", "").replace("_", "")
        conds.append(L.summary.like(f"%{q}%"))
    if f.get("ids"):
        conds.append(L.id.in_(f["ids"]))
    return conds


def _filtered(session: Session, actor: Actor, f: dict, clock: Clock):
    """The letter list query with the page's filters (no paging)."""
    Mb, G, D = models.Mailbox, models.DeputyGroup, models.Deputy
    return (select(L.id, L.code, L.received_on, Mb.name.label("mailbox"), G.name.label("grp"),
                   L.writer_name, L.writer_phone, L.writer_address, L.category, L.summary,
                   D.name.label("deputy"), L.status, L.status_on, L.forwarded_to, L.result, L.outcome, L.satisfaction,
                   L.reply_due, L.resolve_due, L.step_due, L.paused_since, L.round)
            .join(Mb, Mb.id == L.mailbox_id).join(G, G.id == L.group_id).outerjoin(D, D.id == L.deputy_id)
            .where(*_conditions(actor, f, clock)))


# the orders the letter list offers (components.table ``sorts``); the first is the office's
LETTER_SORTS: dict[str, str] = {
    "office": "办理顺序：严重超期、超期在前，截止日期近的在前",
    "due": "截止日期：近的在前",
    "received_desc": "收信日期：新的在前",
    "received_asc": "收信日期：早的在前",
    "status": "状态",
}


def next_due(clock: Clock):  # noqa: ANN201 - an SQL expression
    """SQL: the deadline a letter works to now (the running clock that falls first): the step due
    while it waits to be handed or forwarded, the reply due before the first reply, then the
    feedback due; none once it is closed (the deadlines' order is a settings rule: handed ≤ reply
    ≤ feedback)."""
    return case(
        (L.status.in_(list(CLOSED)), null()),
        (L.status.in_([LetterStatus.REGISTERED, LetterStatus.REPLIED]), L.step_due),
        (L.status.in_(list(BEFORE_REPLY)), L.reply_due),
        else_=L.resolve_due)


def letter_order(clock: Clock, sort: str | None) -> list:
    """ORDER BY of the letter list for a ``LETTER_SORTS`` key (unknown keys: the office's)."""
    due = next_due(clock)
    no_due_last = case((due.is_(None), 1), else_=0)
    if sort == "received_desc":
        return [L.received_on.desc(), L.id.desc()]
    if sort == "received_asc":
        return [L.received_on, L.id]
    if sort == "due":
        return [no_due_last, due, L.received_on, L.id]
    if sort == "status":
        return [L.status, no_due_last, due, L.id]
    late = case((clock.clause(True), 0), (clock.clause(False), 1), else_=2)
    return [late, no_due_last, due, L.received_on, L.id]


def list_letters(session: Session, actor: Actor, f: dict, offset: int = 0, limit: int = 20, *,
                 reveal_all: bool = False) -> Page:
    """One page of letters with masked writers, deadlines and overdue marks, in the order
    ``f["sort"]`` names (``LETTER_SORTS``; by default the office's: overdue first, then the
    nearest deadline), ordered in SQL before paging.

    ``reveal_all`` (an export by a role that may reveal) shows the personal data and writes one
    audit row naming the export.
    """
    clock = Clock(session)
    conds = _conditions(actor, f, clock)
    # one count each: every clause below starts with the open states, so the status index takes the
    # few open letters instead of a pass over every letter (a CASE per row: 0.9 s at a million)
    total, overdue, long, unconfirmed = (
        int(session.execute(select(func.count(L.id)).where(*conds, *extra)).scalar_one() or 0)
        for extra in ((), (clock.clause(False),), (clock.clause(True),), (clock.unconfirmed_clause(),)))
    stmt = _filtered(session, actor, f, clock).add_columns(next_due(clock).label("due")) \
        .order_by(*letter_order(clock, f.get("sort")))
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    if reveal_all:
        if actor.role not in REVEAL_ROLES:
            raise PermissionDenied("您的角色只能导出脱敏后的来信人信息。")
        audit.log_view(session, "Letter", "", f"导出来信名单（含来信人个人信息）{len(rows)}件")
    pii = _free_text_mask(actor, reveal_all)
    out = []
    for r in rows:
        person = ({"来信人": r.writer_name or "匿名", "联系电话": r.writer_phone or "", "住址": r.writer_address or ""}
                  if reveal_all else masked_writer(r.writer_name, r.writer_phone, r.writer_address))
        dues = {"reply_due": r.reply_due, "resolve_due": r.resolve_due, "step_due": r.step_due}
        level = clock.level(r.status, r.paused_since is not None, dues, soon=True)
        unsure = r.status not in CLOSED and bool(clock.cal.unconfirmed_years(*(d for d, _k in clock.running(r.status, dues))))
        out.append({
            "id": r.id, "状态": r.status + ("（暂停计时）" if r.paused_since else ""), "截止日期": r.due,
            "超期": level, "编号": r.code, "收信日期": r.received_on, "内容摘要": r.summary if reveal_all
            else _short(pii(r.summary), 40), "问题类别": r.category, "信箱": r.mailbox, "代表组": r.grp, **person,
            "承办代表": r.deputy or "", "轮次": r.round, "转办单位": pii(r.forwarded_to or ""), "结果分类": r.outcome or "",
            "首次答复时限": r.reply_due, "办结反馈时限": r.resolve_due, "日历": workdays.UNCONFIRMED if unsure else "",
            "满意度": r.satisfaction or "",
        })
    sums = {"超期": f"{overdue} 件", "严重超期": f"{long} 件"}
    if unconfirmed:
        sums[workdays.UNCONFIRMED] = f"{unconfirmed} 件"
    return Page(out, total, sums)


def registration_warning(session: Session, received: date | None) -> str:
    """The 日历未确认 warning for a letter received on ``received`` ("" when its deadlines lie in
    confirmed years): shown on the registration form before saving."""
    if received is None:
        return ""
    dues = due_dates(received, LetterStatus.REGISTERED, received, None, 0, deadline_days(session),
                     workdays.calendar_for(session))
    return workdays.calendar_for(session).warning(*dues)


def export_notes(actor: Actor) -> list[str]:
    """The line an export carries about personal data."""
    if actor.role in REVEAL_ROLES:
        return ["本表含来信人姓名、联系电话、住址等个人信息（导出已记入操作日志），请妥善保管，不得外传。"]
    return ["来信人姓名、联系电话、住址已按规定脱敏（您的角色只能查看脱敏信息）。"]


def get_letter(session: Session, actor: Actor, letter_id: int) -> dict:
    """A letter's fields (writer masked), clocks, history and legal next steps for its page."""
    letter = _load(session, actor, letter_id)
    clock = Clock(session)
    box = session.get(models.Mailbox, letter.mailbox_id)
    group = session.get(models.DeputyGroup, letter.group_id)
    district = session.get(models.District, letter.district_id)
    dep = session.get(models.Deputy, letter.deputy_id) if letter.deputy_id else None
    target = session.get(L, letter.merged_into_id) if letter.merged_into_id else None
    events = session.execute(select(E).where(E.letter_id == letter.id).order_by(E.id)).scalars().all()
    dues = {"reply_due": letter.reply_due, "resolve_due": letter.resolve_due, "step_due": letter.step_due}
    step_label = {LetterStatus.REGISTERED: "交代表时限", LetterStatus.REPLIED: "转办时限"}.get(letter.status)
    pii = _free_text_mask(actor)
    return {
        "id": letter.id, "version": letter.version, "code": letter.code, "status": letter.status,
        "round": letter.round, "received_on": letter.received_on, "mailbox": box.name, "district": district.name,
        "group": group.name, "deputy": dep.name if dep else "", "category": letter.category,
        "summary": pii(letter.summary), "forwarded_to": pii(letter.forwarded_to), "result": pii(letter.result),
        "feedback_method": letter.feedback_method or "", "satisfaction": letter.satisfaction or "",
        "close_reason": pii(letter.close_reason), "merged_into": target.code if target else "",
        "outcome": letter.outcome or "", "reply_content": pii(letter.reply_content),
        "reply_method": letter.reply_method or "", "body_id": letter.body_id, "deputy_id": letter.deputy_id,
        "mailbox_id": letter.mailbox_id, "group_id": letter.group_id,
        "may_edit": letter.status not in CLOSED and actor.can_write("letter"),
        "needs_outcome": letter.status in (LetterStatus.CONCLUDED, LetterStatus.FED_BACK) and not letter.outcome,
        "merged": merged_into_this(session, letter.id),
        "paused_since": letter.paused_since, "paused_days": letter.paused_days or 0,
        "reply_due": letter.reply_due, "resolve_due": letter.resolve_due, "step_due": letter.step_due,
        "step_label": step_label, "overdue": clock.level(letter.status, letter.paused_since is not None, dues),
        "writer": masked_writer(letter.writer_name, letter.writer_phone, letter.writer_address),
        "may_reveal": may_reveal(actor, letter), "next": next_steps(letter),
        "may_pause": letter.status not in CLOSED,
        "calendar_warning": clock.cal.warning(*(d for d, _k in clock.running(letter.status, dues)))
        if letter.status not in CLOSED else "",
        "events": [{"id": e.id, "round": e.round, "from": e.from_status, "to": e.to_status, "on": e.happened_on,
                    "at": e.at, "by": e.by, "note": pii(e.note), "undone": e.undone} for e in events],
    }


def mailbox_options(session: Session, actor: Actor) -> dict[int, str]:
    """Active mailboxes in the actor's scope, {id: "信箱（代表组）"}."""
    Mb, Di, G = models.Mailbox, models.District, models.DeputyGroup
    stmt = (select(Mb.id, Mb.name, G.name).join(Di, Di.id == Mb.district_id).join(G, G.id == Di.group_id)
            .where(Mb.active.is_(True)).order_by(G.name, Mb.name))
    stmt = scope_filter(stmt, actor, G.office_id, G.id)
    return {i: f"{n}（{g}）" for i, n, g in session.execute(stmt)}


def default_deputy(session: Session, mailbox_id: int | None) -> int | None:
    """The deputy who keeps a mailbox (its one keeper), when serving in the mailbox's group today:
    the registration form names them in charge by default."""
    box = session.get(models.Mailbox, mailbox_id) if mailbox_id else None
    if box is None or not box.deputy_id:
        return None
    group_id = session.get(models.District, box.district_id).group_id
    serving = deputies.serving_on(session, [box.deputy_id], today())
    return box.deputy_id if serving.get(box.deputy_id) == group_id else None


def mailbox_group(session: Session, mailbox_id: int | None) -> int | None:
    """Return the group id of a mailbox (to offer that group's deputies)."""
    if not mailbox_id:
        return None
    box = session.get(models.Mailbox, mailbox_id)
    return session.get(models.District, box.district_id).group_id if box else None


def merge_candidates(session: Session, actor: Actor, letter_id: int) -> dict[int, str]:
    """Open letters of the same district in the last 90 days, {id: "编号 摘要"}, to merge into
    (never one closed: 已反馈, 不予受理 or itself merged)."""
    letter = _load(session, actor, letter_id)
    since = letter.received_on - timedelta(days=DUPLICATE_DAYS)
    stmt = (select(L.id, L.code, L.summary).where(L.district_id == letter.district_id, L.id != letter.id,
                                                  L.received_on >= since, still_open())
            .order_by(L.received_on.desc()).limit(200))
    return {i: f"{c} {_short(s, 30)}" for i, c, s in session.execute(stmt)}


# ---------------------------------------------------------------- 工作台


def status_counts(session: Session, actor: Actor, f: dict | None = None) -> dict[str, int]:
    """Letters per state (with the list's filters)."""
    clock = Clock(session)
    sub = _filtered(session, actor, {**(f or {}), "status": None}, clock).subquery()
    rows = session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
    return {s: int(n) for s, n in rows}


def figures(session: Session, actor: Actor, year: int) -> list[Figure]:
    """The 工作台 figures of R12: letters overdue today, and long overdue (past twice a deadline).

    Overdue is a state of today (``Clock``), whatever the year shown."""
    clock = Clock(session)
    base = scope_filter(select(func.count(L.id)), actor, L.office_id, L.group_id)
    overdue = session.execute(base.where(clock.clause(False))).scalar_one()
    long = session.execute(base.where(clock.clause(True))).scalar_one()
    return [
        Figure("R12", "超期未办来信", int(overdue), "件", "mailbox", {"view": "letters", "overdue": "超期"},
               bad=overdue > 0, help="超过交代表、首次答复、转办或办结反馈时限（工作日）的来信"),
        Figure("R12", "严重超期来信（超过时限两倍）", int(long), "件", "mailbox",
               {"view": "letters", "overdue": "严重超期"}, bad=long > 0, help="已超过办理时限两倍的来信"),
    ]
