"""Figures computed from many records, kept until the next write: a small LRU map and the one
way to key and fill it (the data version, the day, the database).

``db.dataversion`` moves on with every committed write in any process, so an entry keyed by it is
never stale; what a transaction that wrote computes is never kept (it may yet roll back).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from db import dataversion
from services import clock

T = TypeVar("T")


class Cache:
    """A small thread-safe LRU map (no streamlit: the service owns its cache)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> object | None:
        """The value under ``key`` (None when absent); marks it recently used."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def peek(self, key: tuple) -> object | None:
        """The value under ``key`` (None when absent), without counting a hit or a miss."""
        with self._lock:
            return self._data.get(key)

    def put(self, key: tuple, value: object) -> None:
        """Store ``value``; the least recently used entry goes when full."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        """Number of entries."""
        with self._lock:
            return len(self._data)


def database_key(session: Session) -> str:
    """The database a session reads (its URL without the password)."""
    return session.get_bind().url.render_as_string(hide_password=True)


def has_unsaved_writes(session: Session) -> bool:
    """True when the session's transaction wrote something not yet committed (its figures must not
    be cached under the committed data version)."""
    if session.new or session.dirty or session.deleted:
        return True
    if not session.in_transaction():
        return False
    return bool(session.connection().info.get(dataversion._FLAG))  # noqa: SLF001 - the write flag


def cached(session: Session, cache: Cache, key: tuple, compute: Callable[[], T],
           keep: Callable[[T], bool] = lambda _v: True) -> T:
    """``compute()``'s value, from ``cache`` when it holds one for ``key`` + the database, the data
    version and today (read before computing: an entry never holds data older than its key).
    Computed afresh, and not kept, inside a transaction that wrote; not kept when ``keep(value)``
    is false (e.g. a result in which a part failed: the next call tries again)."""
    if has_unsaved_writes(session):
        return compute()
    full = (database_key(session), dataversion.current(session), clock.today(), *key)
    hit = cache.get(full)
    if hit is not None:
        return hit  # type: ignore[return-value]
    value = compute()
    if keep(value):
        cache.put(full, value)
    return value
