"""The data version: one counter that every committed write moves on.

Figures computed from many records (rankings, 工作台) are cached keyed by this number, so the
first read after any write, in any process, recomputes them (no two-minute staleness).

How: an engine listener notes on the connection that an INSERT, UPDATE or DELETE ran (writes
to the audit log, the login throttle, the logins' last-seen times and this counter itself do not count: a 查看 entry is a
read); just before the Session commits, the counter is moved on in the same transaction. The
counter is the last row the transaction locks, so writers queue on it briefly at commit and can
never deadlock over it. Code that writes through a bare connection calls ``bump``.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from db import models

_FLAG = "rddb_wrote"
_WRITE = re.compile(r"^\s*(?:INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM|COPY)\s+[`\"]?(\w+)", re.I)
_QUIET = {"audit_log", "login_attempts", "login_sessions", "data_versions", "alembic_version"}
T = models.DataVersion.__table__


def _after_execute(conn: Connection, _cursor, statement: str, *_args) -> None:  # noqa: ANN001
    """Note a write on the connection (engine listener)."""
    m = _WRITE.match(statement)
    if m and m.group(1).lower() not in _QUIET:
        conn.info[_FLAG] = True


def _forget(conn: Connection) -> None:
    """A rolled-back transaction wrote nothing."""
    conn.info.pop(_FLAG, None)


def bump(conn: Connection) -> None:
    """Move the counter on (inside the caller's transaction)."""
    conn.info.pop(_FLAG, None)
    if conn.execute(update(T).where(T.c.id == 1).values(n=T.c.n + 1)).rowcount == 0:
        conn.execute(T.insert().values(id=1, n=1))


def _before_commit(session: Session) -> None:
    """Move the counter on when the transaction wrote anything (Session listener).

    SQLAlchemy calls this before the commit's own flush: flush first, so that writes still
    pending in the session are seen (and counted) here."""
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes only after this event: write the pending changes first
    for conn in _connections(session):
        if conn.info.get(_FLAG):
            bump(conn)


def _connections(session: Session) -> list[Connection]:
    """The connections a session's transaction holds (usually one)."""
    tx = session.get_transaction()
    if tx is None:
        return []
    return [c for c, *_rest in tx._connections.values()]  # noqa: SLF001 - no public accessor


def move_past(conn: Connection, floor: int) -> None:
    """Set the counter above ``floor`` (after a restore replaced the data and its counter: caches
    keyed by a number seen before the restore must never match again)."""
    now = int(conn.execute(select(T.c.n).where(T.c.id == 1)).scalar() or 0)
    target = max(now, floor) + 1
    if conn.execute(update(T).where(T.c.id == 1).values(n=target)).rowcount == 0:
        conn.execute(T.insert().values(id=1, n=target))


def current(session: Session) -> int:
    """The current data version (0 on an empty database)."""
    return int(session.execute(select(T.c.n).where(T.c.id == 1)).scalar() or 0)


def install_engine(engine: Engine) -> None:
    """Attach the write detector to an engine (db.engine calls it for every engine)."""
    if not event.contains(engine, "after_cursor_execute", _after_execute):
        event.listen(engine, "after_cursor_execute", _after_execute)
        event.listen(engine, "rollback", _forget)


def _after_begin(_session: Session, _transaction, conn: Connection) -> None:  # noqa: ANN001
    """A session's transaction starts clean: a mark left on the pooled connection by a write that
    ended outside a session (or was flushed by a commit after its bump) is not this transaction's,
    and must not move the counter when this one commits (a logged read, say)."""
    conn.info.pop(_FLAG, None)


def install() -> None:
    """Attach the commit listener to every Session (idempotent)."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
    if not event.contains(Session, "after_begin", _after_begin):
        event.listen(Session, "after_begin", _after_begin)


install()
