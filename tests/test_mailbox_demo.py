"""代表信箱, 季度汇总 and 热点问题 on the demo data (services.demo): every role's page renders, and the
overdue figure agrees with the list's overdue filter and with a per-letter recomputation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from db import models
from db.engine import session_scope
from db.migrate import upgrade
from services import demo, letters
from services.common import Actor
from tests.conftest import app_as, goto


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database filled by services.demo.generate (default size)."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('demo')) / 'demo.db'}"
    upgrade(url)
    demo.generate(url)
    return url


def test_demo_deadlines_and_overdue_agree(demo_url: str) -> None:
    """recompute_deadlines (bulk) gives every letter the dates of the one-letter rule, and the SQL
    overdue filter equals the per-letter marks."""
    admin = Actor("admin", "admin")
    with session_scope("t", demo_url) as s:
        dl = letters.deadline_days(s)
        clock = letters.Clock(s)
        rows = s.execute(select(models.Letter)).scalars().all()
        assert any(x.round == 2 for x in rows)  # reopened letters are counted too
        marked = 0
        for x in rows:
            if x.round == 1:  # a reopened letter's clock starts at its reopening (not known here)
                expect = letters.due_dates(x.received_on, x.status, x.status_on, None, x.paused_days, dl)
                assert (x.reply_due, x.resolve_due, x.step_due) == expect, x.code
            marked += bool(clock.level(x.status, x.paused_since is not None,
                                       {"reply_due": x.reply_due, "resolve_due": x.resolve_due,
                                        "step_due": x.step_due}))
        page = letters.list_letters(s, admin, {"overdue": "超期"}, 0, 5)
    assert page.total == marked


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_demo_pages_render(demo_url: str, monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    """Each of the three pages runs without an exception for every role that may open it."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    at = app_as(role)
    for page in ("mailbox", "quarterly", "hotissues"):
        try:
            goto(at, page)
        except KeyError:
            assert page == "hotissues" and role == "staff"
            continue
        assert not at.exception, (role, page)
