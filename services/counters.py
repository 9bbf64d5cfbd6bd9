"""Running numbers (letter numbers XF2026-000123) from a per-year counter row.

``next_number`` locks the year's row (SELECT … FOR UPDATE on PostgreSQL and MariaDB; SQLite lets
one writer at a time anyway) and moves it on in the caller's transaction, so two registrations at
the same moment never take the same number and never ask the user to click again: the second
waits for the first to commit. A year's row is created on first use from the highest number
already stored (``start``); two first uses at once collide on the primary key and the loser is
run again by ``services.intents.submit``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import models

C = models.Counter


def next_number(session: Session, name: str, year: int, start: Callable[[], int] = lambda: 0) -> int:
    """Take the next number of ``name`` in ``year`` (1, 2, …, or after ``start()`` for a new row)."""
    n = session.execute(select(C.n).where(C.name == name, C.year == year).with_for_update()).scalar()
    if n is None:
        n = int(start() or 0) + 1
        session.add(C(name=name, year=year, n=n))
        session.flush()
        return n
    session.execute(update(C).where(C.name == name, C.year == year).values(n=n + 1))
    return n + 1


def raise_to(session: Session, name: str, year: int, n: int) -> None:
    """Make sure the next number of ``name`` in ``year`` is above ``n`` (after a bulk load wrote
    numbers itself, e.g. the demo generator)."""
    cur = session.execute(select(C.n).where(C.name == name, C.year == year).with_for_update()).scalar()
    if cur is None:
        if n > 0:
            session.add(C(name=name, year=year, n=n))
            session.flush()
    elif cur < n:
        session.execute(update(C).where(C.name == name, C.year == year).values(n=n))
