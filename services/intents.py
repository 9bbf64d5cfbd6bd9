"""One save per intent, and no database race ever shown to a user.

A form that changes a record is drawn with an intent token (``new_token``) and the version of the
record it shows; ``submit`` runs the write in one transaction that first claims the token in the
``form_intents`` table (primary key: a second submit of the same drawn form finds it used, even
from two processes at once) and then calls the service, which checks the version
(``services.common.check_version``). Either both are stored or neither.

A write that loses a race inside the database (a version moved between read and write
(StaleDataError), a unique key taken at the same moment (IntegrityError), SQLite's "database is
locked", a PostgreSQL serialization failure or a MariaDB deadlock) is rolled back and run again,
from a fresh transaction, a few times; a retry that finds the record changed is refused by the
service with the usual Chinese message. If it still fails, the user gets ``BUSY``, never the
database's English error.

Used tokens are kept ``intent_keep_days`` days (系统设置, default 30): after a successful save, at
most once a day per process, ``sweep`` deletes older ones in a short transaction of its own.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError, InternalError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db import models
from db.engine import session_scope
from services import clock
from services.common import DuplicateSubmit, ServiceError

log = logging.getLogger(__name__)

ATTEMPTS = 6
BUSY = "有其他人正在同时保存相关记录，您的操作未保存（填写的内容仍保留），请稍候再提交一次。"
RACES = (StaleDataError, IntegrityError, OperationalError, InternalError)


def new_token() -> str:
    """A fresh intent token for a form being drawn."""
    return secrets.token_urlsafe(24)


def claim(session: Session, token: str, username: str, form: str) -> None:
    """Mark ``token`` used in the caller's transaction; refuse it when a save already used it."""
    T = models.FormIntent
    done = session.execute(select(T.username, T.at).where(T.token == token)).first()
    if done is not None:
        raise DuplicateSubmit(f"这次提交已于 {done.at:%Y-%m-%d %H:%M:%S} 保存过（重复点击），没有重复保存。")
    session.add(T(token=token, username=username, form=form[:64], at=clock.now()))
    session.flush()  # the primary key refuses a concurrent second claim here (IntegrityError: retried)


_swept_on: date | None = None  # the day this process last swept old tokens


def sweep(session: Session) -> int:
    """Delete used tokens older than the setting ``intent_keep_days``; return how many (one SQL
    DELETE, not audited row by row: the tokens are bookkeeping, not records)."""
    from services import settings

    cutoff = clock.now() - timedelta(days=int(settings.get(session, "intent_keep_days")))
    T = models.FormIntent
    return session.execute(delete(T).where(T.at < cutoff)).rowcount or 0


def _sweep_daily(actor_name: str, url: str | None) -> None:
    """Run ``sweep`` once a day per process (after a save: a cheap schedule); a failure is only logged."""
    global _swept_on
    if _swept_on == clock.today():
        return
    _swept_on = clock.today()
    try:
        with session_scope(actor_name, url=url) as s:
            n = sweep(s)
        if n:
            log.info("已清理 %d 条过期的防重复提交记录", n)
    except Exception:  # noqa: BLE001  (the user's save is done; the sweep waits for tomorrow)
        log.exception("清理过期的防重复提交记录失败")


def is_race(exc: BaseException) -> bool:
    """True for the database errors a lost race raises (worth a retry from a fresh transaction)."""
    if isinstance(exc, StaleDataError | IntegrityError | InternalError):
        return True
    if isinstance(exc, OperationalError):
        return True  # locked, deadlock, serialization failure, lock wait timeout, lost connection
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def submit(actor_name: str, fn: Callable[[Session], Any], *, token: str | None = None, form: str = "",
           url: str | None = None, attempts: int = ATTEMPTS) -> Any:
    """Run ``fn(session)`` in one transaction (claiming ``token`` first when given) and return
    its result. ServiceErrors pass through (nothing written). A lost race is retried; when every
    attempt loses, ServiceError(BUSY)."""
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            with session_scope(actor_name, url=url) as s:
                if token:
                    claim(s, token, actor_name, form)
                result = fn(s)
            if token:
                _sweep_daily(actor_name, url)
            return result
        except ServiceError:
            raise
        except RACES as exc:
            if not is_race(exc):
                raise
            last = exc
            log.info("写入冲突，第 %d 次重试：%s", attempt + 1, type(exc).__name__)
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # back off before the next try
    log.warning("写入冲突重试 %d 次仍未成功：%r", attempts, last)
    raise ServiceError(BUSY) from last
