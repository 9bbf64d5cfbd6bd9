"""Connecting to the database that DATABASE_URL names, and one session per unit of work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

import db.audit  # noqa: F401  (installs the audit listeners on every Session)
import db.periods  # noqa: F401  (keeps every deputy's periods of service in step)
from db import dataversion

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{ROOT / 'data' / 'app.db'}"

_engines: dict[str, Engine] = {}
_makers: dict[str, sessionmaker[Session]] = {}


def database_url() -> str:
    """Return the database URL from the environment, or the default SQLite file."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    """Turn on WAL, a busy timeout and foreign keys on every SQLite connection."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Build a new engine for ``url`` with the settings each backend needs."""
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_recycle"] = 1800
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    dataversion.install_engine(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """Return the process-wide engine for ``url`` (default: DATABASE_URL)."""
    url = url or database_url()
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    """Return the process-wide session factory for ``url``."""
    url = url or database_url()
    if url not in _makers:
        _makers[url] = sessionmaker(get_engine(url), expire_on_commit=False)
    return _makers[url]


def dispose_all() -> None:
    """Close every engine of this process (used by tests and restore)."""
    for e in _engines.values():
        e.dispose()
    _engines.clear()
    _makers.clear()


@contextmanager
def session_scope(actor: str = "system", url: str | None = None) -> Iterator[Session]:
    """Open a session for one unit of work; commit on success, roll back on error.

    ``actor`` is the username written in audit rows for every change made in the session.
    """
    session = get_sessionmaker(url)()
    session.info["actor"] = actor
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
