"""Changing a setting (系统设置): audited saves that refuse a stale form, restoring defaults, and
what a change recomputes at once.

``save(session, actor, key, value, seen)`` stores a setting (admin only). ``seen`` is the value
the admin's form was opened with: when someone changed the setting meanwhile nothing is saved and
``StaleSetting`` says what it is now, who changed it and when. The change is written through the
ORM, so the audit mechanism (db/audit.py) logs before/after in the same transaction; the log row
also carries a note naming the setting and what was recomputed. ``restore_default`` does the same
back to the built-in default (the stored value becomes empty, so ``settings.get`` returns it).

A setting whose change moves due dates has a ``Recompute`` hook in ``HOOKS``: the letter
deadlines recompute every open letter's due dates in the same transaction and report how many
moved. Opinion deadlines plug in the same way. (The registry, validation and reading are in
``services.settings``, which every service reads; this module sits above the services it calls.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db import models
from services import letters, opinions
from services.common import Actor, ServiceError, StaleError, ValidationError
from services.settings import REGISTRY, default, describe, label, same, validate


@dataclass(frozen=True)
class Recount:
    """What a Recompute did: ``total`` items recomputed, ``moved`` of them with a changed due date
    (or, with ``sentence``, its own words: "{total}" and "{moved}" filled in)."""

    what: str
    total: int
    moved: int
    unit: str = "件"
    sentence: str | None = None

    def message(self) -> str:
        """The sentence the page shows and the audit note keeps."""
        u = self.unit
        if self.sentence:
            return self.sentence.format(total=self.total, moved=self.moved)
        return f"已重新计算 {self.total} {u}{self.what}的办理期限，其中 {self.moved} {u}的期限有变化"


@dataclass(frozen=True)
class Recompute:
    """The hook of a deadline setting: what it recomputes when it changes, in the save's transaction.

    ``count`` says how many items a change would recompute (for the confirmation); ``run``
    recomputes them, with the new value already stored, and returns a Recount.
    """

    what: str
    count: Callable[[Session], int]
    run: Callable[[Session], Recount]
    confirm: str = "保存后将立即重新计算 {n} 件{what}的办理期限，超期提示随之变化。"

    def note(self, n: int) -> str:
        """The sentence of the page's confirmation: what saving will recompute."""
        return self.confirm.format(n=n, what=self.what)


# ---------------------------------------------------------------- the letters' deadline hook

def _open_letters():  # noqa: ANN202
    """SELECT id, due dates, received date and paused days of every open letter (not 已反馈 /
    不予受理 / 已合并)."""
    L = models.Letter
    return (select(L.id, L.reply_due, L.resolve_due, L.step_due, L.received_on, L.paused_days)
            .where(letters.still_open()))


def _count_open_letters(session: Session) -> int:
    """How many letters a change of the letter deadlines recomputes."""
    L = models.Letter
    return int(session.execute(select(func.count()).select_from(L).where(
        letters.still_open())).scalar_one())


def _recompute_open_letters(session: Session) -> Recount:
    """Recompute the due dates of every open letter with the stored deadlines; count those that moved.

    Closed letters keep theirs: their due dates are history (whether they were handled in time).
    The computation is services.letters.recompute_deadlines (the one deadline rule).
    """
    before: dict[int, tuple] = {}
    for lid, reply_due, resolve_due, step_due, _received, _paused in session.execute(_open_letters()):
        before[lid] = (reply_due, resolve_due, step_due)
    if before:
        letters.recompute_deadlines(session, list(before))
    after = {r[0]: tuple(r[1:4]) for r in session.execute(_open_letters())}
    moved = sum(1 for lid, dues in before.items() if after.get(lid) != dues)
    return Recount("未结案来信", len(before), moved)


LETTER_RECOMPUTE = Recompute("未结案来信", _count_open_letters, _recompute_open_letters)



# ---------------------------------------------------------------- the opinions' deadline hook


def _open_opinions():  # noqa: ANN202
    """SELECT id and due dates of every open opinion (not 已反馈选民)."""
    O = models.Opinion
    return select(O.id, O.forward_due, O.resolve_due, O.feedback_due).where(O.status.in_(list(opinions.OPEN)))


def _count_open_opinions(session: Session) -> int:
    """How many opinions a change of the opinion deadlines recomputes."""
    O = models.Opinion
    return int(session.execute(select(func.count()).select_from(O).where(
        O.status.in_(list(opinions.OPEN)))).scalar_one())


def _recompute_open_opinions(session: Session) -> Recount:
    """Recompute the due dates of every open opinion (services.opinions.recompute_deadlines); count
    those that moved. Fed-back opinions keep theirs (history)."""
    before = {r[0]: tuple(r[1:]) for r in session.execute(_open_opinions())}
    if before:
        opinions.recompute_deadlines(session, list(before))
    after = {r[0]: tuple(r[1:]) for r in session.execute(_open_opinions())}
    moved = sum(1 for oid, dues in before.items() if after.get(oid) != dues)
    return Recount("未办结群众意见", len(before), moved, "条")


OPINION_RECOMPUTE = Recompute("未办结群众意见", _count_open_opinions, _recompute_open_opinions)


# ---------------------------------------------------------------- the district's area code


def _local_numbers():  # noqa: ANN202
    """SELECT letters whose phone was stored as a local number (7–8 digits, first digit 2–9: no area
    code; mobiles start with 1, numbers with an area code with 0)."""
    L = models.Letter
    return (select(L.id, L.writer_name, L.writer_phone)
            .where(L.writer_phone.is_not(None), func.substr(L.writer_phone, 1, 1).in_(list("23456789"))))


def _count_local_numbers(session: Session) -> int:
    return len(session.execute(_local_numbers()).all())


def _rewrite_local_numbers(session: Session) -> Recount:
    """Give every letter's local phone number the area code now set, and its writer the identity
    that follows (services.identity.writer_key): 62345678 and 010-62345678 become one writer for
    duplicate detection, R4 and R14 at once. Setting it back to 0 leaves stored numbers as they are."""
    from services import identity, settings

    area = settings.area_code(session)
    rows = session.execute(_local_numbers()).all()
    moved = 0
    for lid, name, phone in rows:
        new = identity.local_with_area(phone.split("转")[0], area) + (f"转{phone.split('转')[1]}" if "转" in phone else "")
        if new != phone:
            letter = session.get(models.Letter, lid)
            letter.writer_phone = new
            letter.writer_key = identity.writer_key(name, new, area)
            moved += 1
    session.flush()
    return Recount("来信人电话", len(rows), moved,
                   sentence="已登记来信中只写了本地号码的电话 {total} 件，其中 {moved} 件已补上区号（来信人按新号码归并）")


AREA_REWRITE = Recompute("只写了本地号码的来信人电话", _count_local_numbers, _rewrite_local_numbers,
                         confirm="保存后将立即为已登记来信中 {n} 件只写了本地号码的电话补上新区号，来信人随之按新号码归并。")


# setting key -> what a change of it recomputes
HOOKS: dict[str, Recompute] = {"letter_deadlines": LETTER_RECOMPUTE, "opinion_forward_days": OPINION_RECOMPUTE,
                               "opinion_resolve_days": OPINION_RECOMPUTE, "opinion_feedback_days": OPINION_RECOMPUTE,
                               "local_area_code": AREA_REWRITE}


def hook(key: str) -> Recompute | None:
    """What a change of ``key`` recomputes (None for most settings)."""
    return HOOKS.get(key)


class StaleSetting(StaleError):
    """The setting changed after the admin's form was opened: nothing was saved."""

    def __init__(self, key: str, current: object, by: str | None, at: datetime | None) -> None:
        self.key = key
        self.current = current
        who = f"已被 {by} 于 {at:%Y-%m-%d %H:%M} 修改" if by and at else "已被他人修改"
        ServiceError.__init__(
            self, f"“{label(key)}”在您打开本页后{who}，现在是：{describe(key, current)}。"
                  "您的修改未保存；请核对后再保存（表单中保留了您填写的内容）。")


@dataclass
class Saved:
    """The outcome of a save: whether anything changed, the value now, what was recomputed."""

    key: str
    changed: bool
    value: object
    recounts: list[Recount] = field(default_factory=list)
    restored: bool = False

    def message(self) -> str:
        """The Chinese sentence the page shows."""
        name = label(self.key)
        if not self.changed:
            return f"“{name}”已是 {describe(self.key, self.value)}，未作修改。"
        head = (f"已将“{name}”恢复为默认值：{describe(self.key, self.value)}。" if self.restored
                else f"已保存“{name}”：{describe(self.key, self.value)}。")
        return head + "".join(r.message() + "。" for r in self.recounts)


def pending_recount(session: Session, key: str) -> int | None:
    """How many items a change of ``key`` would recompute (None when it recomputes nothing)."""
    hook = HOOKS.get(key)
    return hook.count(session) if hook else None


def _locked_row(session: Session, key: str) -> models.Setting:
    """The setting's row, created empty if missing, locked until the transaction ends.

    Two admins saving at the same moment queue here: the second reads what the first stored and
    is refused as stale. SQLite: the INSERT takes the database's write lock; PostgreSQL: the
    row lock of SELECT … FOR UPDATE; MariaDB: the upsert takes the row's exclusive lock at once
    (a plain INSERT IGNORE would take a shared lock, and two of them would deadlock).
    """
    table = models.Setting.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).values(key=key, value=None).on_conflict_do_nothing()
    elif dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert as my_insert

        stmt = my_insert(table).values(key=key, value=None)
        stmt = stmt.on_duplicate_key_update(key=stmt.inserted.key)
    else:
        stmt = insert(table).values(key=key, value=None).prefix_with("OR IGNORE")
    session.execute(stmt)
    return session.execute(
        select(models.Setting).where(models.Setting.key == key).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _last_change(session: Session, key: str) -> tuple[str | None, datetime | None]:
    """Who changed the setting last, and when (from the audit log)."""
    A = models.AuditLog
    row = session.execute(select(A.username, A.at).where(A.entity == "Setting", A.entity_id == key)
                          .order_by(A.at.desc(), A.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (None, None)


def _annotate(session: Session, key: str, note: str) -> None:
    """Put ``note`` on the audit row the save just wrote (the audit mechanism wrote it at flush)."""
    session.flush()
    A = models.AuditLog
    entry = session.execute(select(A).where(A.entity == "Setting", A.entity_id == key)
                            .order_by(A.id.desc()).limit(1)).scalars().first()
    if entry is not None:
        entry.note = note[:255]
        session.flush()


def _write(session: Session, actor: Actor, key: str, value: object | None, seen: object,
           restored: bool) -> Saved:
    """Store ``value`` (None: back to the default) unless the setting moved since ``seen``."""
    actor.require_write("settings")
    row = _locked_row(session, key)
    current = copy.deepcopy(row.value) if row.value is not None else default(key)
    new = default(key) if value is None else value
    if same(current, new):  # already so (also a double click's second save): nothing to do
        return Saved(key, False, current, restored=restored)
    if not same(current, seen):
        by, at = _last_change(session, key)
        raise StaleSetting(key, current, by, at)
    row.value = copy.deepcopy(value)
    session.flush()
    hook = HOOKS.get(key)
    recounts = [hook.run(session)] if hook is not None else []
    head = f"{'恢复默认值' if restored else '修改'}系统设置“{label(key)}”"
    tail = "".join("；" + r.message() for r in recounts)
    was = f"，原值：{describe(key, current)}"
    room = 255 - len(head) - len(tail)
    if len(was) > room:
        was = was[:max(room - 1, 0)] + "…" if room > 1 else ""
    _annotate(session, key, head + was + tail)
    return Saved(key, True, new, recounts, restored)


def save(session: Session, actor: Actor, key: str, value: object, seen: object) -> Saved:
    """Validate and store a setting (admin only), in the caller's transaction.

    ``seen`` is the value the admin's form showed; if the setting is no longer that, nothing is
    saved and StaleSetting says what it is now. A change of a deadline setting recomputes the
    open items' due dates in the same transaction (``Saved.recounts``). The audit mechanism logs
    the change; its log row notes the setting's name and what was recomputed.
    """
    actor.require_write("settings")
    clean = validate(key, value)
    return _write(session, actor, key, clean, seen, restored=False)


def restore_default(session: Session, actor: Actor, key: str, seen: object) -> Saved:
    """Put a setting back to its built-in default (admin only); stale and audited like ``save``."""
    if key not in REGISTRY:
        raise ValidationError({"key": f"没有名为“{key}”的设置项"})
    return _write(session, actor, key, None, seen, restored=True)
