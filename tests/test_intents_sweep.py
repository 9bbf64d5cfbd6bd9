"""Used form tokens do not pile up (issue 12): tokens older than the setting intent_keep_days
(30 days by default) are deleted after a save, at most once a day per process; the clock is moved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import clock, intents, settings


@pytest.fixture(autouse=True)
def _fresh_schedule(monkeypatch):
    monkeypatch.setattr(intents, "_swept_on", None)  # this process has not swept yet today


def _tokens(url: str) -> set[str]:
    with session_scope("t", url=url) as s:
        return set(s.execute(select(models.FormIntent.token)).scalars())


def _used(url: str, token: str, days_ago: float) -> None:
    with session_scope("t", url=url) as s:
        s.add(models.FormIntent(token=token, username="staff", form="f", at=clock.now() - timedelta(days=days_ago)))


def _save(url: str, token: str) -> None:
    intents.submit("staff", lambda s: None, token=token, form="f", url=url)


def test_old_tokens_are_swept_once_a_day(db_url, travel) -> None:
    travel("2026-06-15")
    _used(db_url, "old", 31)
    _used(db_url, "recent", 29.5)
    _save(db_url, "new1")
    assert _tokens(db_url) == {"recent", "new1"}
    # later the same day: no second sweep (a cheap schedule), an old token stays until tomorrow
    _used(db_url, "old2", 40)
    _save(db_url, "new2")
    assert "old2" in _tokens(db_url)
    # the next day: swept again; "recent" is now 30.5 days old
    travel("2026-06-16")
    _save(db_url, "new3")
    assert _tokens(db_url) == {"new1", "new2", "new3"}


def test_the_keep_days_setting_is_used_and_a_swept_token_is_still_refused_by_version(db_url, travel) -> None:
    travel("2026-06-15")
    with session_scope("t", url=db_url) as s:
        settings.put(s, "intent_keep_days", 7)
    _used(db_url, "eight", 8)
    _used(db_url, "six", 6)
    _save(db_url, "new")
    assert _tokens(db_url) == {"six", "new"}
    # a failed save (nothing stored) does not sweep
    intents._swept_on = None
    _used(db_url, "nine", 9)
    with pytest.raises(intents.ServiceError):
        intents.submit("staff", lambda s: (_ for _ in ()).throw(intents.ServiceError("不行")), token="x", url=db_url)
    assert "nine" in _tokens(db_url)
