"""Planner statistics kept current: ANALYZE after bulk loads, at start and on a schedule.

SQLite plans queries from the statistics ANALYZE stores (``sqlite_stat1``) and never gathers them
itself: without them one 工作台 count took 46 s at 1,000,000 letters instead of 0.2 s. So:

- bulk loads (the demo generator, a deputies import, a restore) call ``analyze`` when they finish;
- every app process starts ``start_schedule``: a background thread that, at once and then every
  hour, runs ANALYZE on the tables whose statistics are missing or stale (``stale``: the row
  count moved by more than a fifth since the last ANALYZE);
- ``manage.py analyze`` does it by hand.

PostgreSQL (autovacuum) and MySQL/MariaDB (InnoDB's automatic recalculation) keep their own
statistics current; ``analyze`` still runs there after a bulk load, so the first queries after it
do not wait for the daemon.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

LOG = logging.getLogger(__name__)
MIN_ROWS = 1_000  # smaller tables plan the same with or without statistics
DRIFT = 0.2  # statistics older than a change of a fifth of the rows are stale
EVERY_SECONDS = 3600

_started: set[str] = set()
_lock = threading.Lock()


def _tables(conn: Connection) -> list[str]:
    return [t for t in inspect(conn).get_table_names() if t != "alembic_version"]


def analyze(conn: Connection, tables: Iterable[str] | None = None) -> list[str]:
    """Gather planner statistics for ``tables`` (default: every table); return the tables."""
    names = list(tables) if tables is not None else _tables(conn)
    if not names:
        return []
    dialect = conn.dialect.name
    quote = conn.dialect.identifier_preparer.quote
    if dialect == "mysql":
        conn.exec_driver_sql("ANALYZE TABLE " + ", ".join(quote(t) for t in names))
    else:
        for t in names:
            conn.exec_driver_sql(f"ANALYZE {quote(t)}")
    return names


def after_bulk_write(session, tables: Iterable[str]) -> None:  # noqa: ANN001
    """``analyze`` ``tables`` inside a write's own transaction, at its end (an import). Skipped on
    MySQL/MariaDB, where ANALYZE TABLE would commit the transaction half-way (InnoDB recalculates
    its statistics by itself after a tenth of a table changed)."""
    conn = session.connection()
    if conn.dialect.name != "mysql":
        analyze(conn, tables)


def analyze_url(url: str | None = None, tables: Iterable[str] | None = None) -> list[str]:
    """``analyze`` in a transaction of its own on the database ``url`` names."""
    from db.engine import get_engine

    with get_engine(url).begin() as conn:
        return analyze(conn, tables)


def stale(conn: Connection) -> list[str]:
    """SQLite tables of at least ``MIN_ROWS`` rows without statistics or whose row count moved by
    more than ``DRIFT`` since they were gathered (other databases keep theirs: none)."""
    if conn.dialect.name != "sqlite":
        return []
    known: dict[str, int] = {}
    if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
        for tbl, stat in conn.execute(text("SELECT tbl, stat FROM sqlite_stat1")):
            try:
                known[tbl] = max(known.get(tbl, 0), int(str(stat).split()[0]))
            except (ValueError, IndexError):
                continue
    out = []
    quote = conn.dialect.identifier_preparer.quote
    for t in _tables(conn):
        n = int(conn.exec_driver_sql(f"SELECT count(*) FROM {quote(t)}").scalar() or 0)
        had = known.get(t)
        if had is None:
            if n >= MIN_ROWS:
                out.append(t)
        elif abs(n - had) > max(DRIFT * had, MIN_ROWS / 10) and max(n, had) >= MIN_ROWS:
            out.append(t)
    return out


def refresh_if_stale(url: str | None = None) -> list[str]:
    """ANALYZE the stale tables (``stale``) of ``url``'s database; return them."""
    from db.engine import get_engine

    with get_engine(url).begin() as conn:
        tables = stale(conn)
        if tables:
            t0 = time.perf_counter()
            analyze(conn, tables)
            LOG.info("ANALYZE %s: %.1f s", ", ".join(tables), time.perf_counter() - t0)
        return tables


def start_schedule(url: str, every: float = EVERY_SECONDS) -> bool:
    """Start, once per process and database, a daemon thread running ``refresh_if_stale`` now and
    then every ``every`` seconds. Returns True when this call started it."""
    with _lock:
        if url in _started:
            return False
        _started.add(url)

    def loop() -> None:
        while True:
            try:
                refresh_if_stale(url)
            except Exception:  # noqa: BLE001 - statistics are an optimisation: log, retry later
                LOG.exception("refreshing planner statistics failed")
            time.sleep(every)

    threading.Thread(target=loop, name="rddb-analyze", daemon=True).start()
    return True
