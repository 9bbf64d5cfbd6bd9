"""Mailbox openings (R11): recording, validation, mailboxes not opened in time, the week grid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db import models
from db.engine import session_scope
from services import clock, mailboxes
from services.common import PermissionDenied, ValidationError


def _open(world, box: int, day: date, n: int = 1) -> None:
    """Record one opening."""
    with session_scope("staff", world.url) as s:
        mailboxes.record_opening(s, world.staff(), {"mailbox_id": box, "opened_on": day, "opened_by": "陈联络",
                                                    "letters_found": n})


@pytest.mark.parametrize(("field", "value", "message"), [
    ("opened_on", "tomorrow", "晚于今天"),
    ("opened_on", date(2000, 1, 1), "早于信箱设立日期"),
    ("opened_by", "", "开箱人"),
    ("letters_found", "-1", "信件数"),
])
def test_opening_validation(world, field: str, value: object, message: str) -> None:
    """Future dates, dates before the mailbox existed, no opener, negative counts are refused."""
    data = {"mailbox_id": world.mailboxes[0], "opened_on": clock.today(), "opened_by": "陈联络", "letters_found": 2}
    data[field] = clock.today() + timedelta(days=1) if value == "tomorrow" else value
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        mailboxes.record_opening(s, world.staff(), data)
    assert message in exc.value.errors[field]


def test_opening_rights_and_scope(world) -> None:
    """The leader cannot record; staff cannot record a mailbox of another office; one per day."""
    with pytest.raises(PermissionDenied), session_scope("leader", world.url) as s:
        mailboxes.record_opening(s, world.leader(), {"mailbox_id": world.mailboxes[0]})
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        mailboxes.record_opening(s, world.staff(), {"mailbox_id": world.mailboxes[2], "opened_on": clock.today(),
                                                    "opened_by": "x"})
    assert "范围" in exc.value.errors["mailbox_id"]
    _open(world, world.mailboxes[0], clock.today())
    with pytest.raises(ValidationError), session_scope("staff", world.url) as s:
        mailboxes.record_opening(s, world.staff(), {"mailbox_id": world.mailboxes[0], "opened_on": clock.today(),
                                                    "opened_by": "x"})


def test_unopened_mailboxes_with_days_since(world) -> None:
    """Opened 3 days ago: fine; opened 10 days ago: listed with 10 days; never: listed."""
    t = clock.today()
    _open(world, world.mailboxes[0], t - timedelta(days=3))
    _open(world, world.mailboxes[1], t - timedelta(days=10))
    with session_scope("supervisor", world.url) as s:
        page = mailboxes.list_unopened(s, world.supervisor(), {}, 0, 20)
        assert mailboxes.count_unopened(s, world.supervisor()) == page.total == 3
        assert mailboxes.count_unopened(s, world.staff()) == 2
    by_box = {r["id"]: r for r in page.rows}
    assert world.mailboxes[0] not in by_box
    assert by_box[world.mailboxes[1]]["未开箱天数（天）"] == 10
    assert by_box[world.mailboxes[2]]["说明"] == "设立以来从未开箱"


def test_week_grid_marks_opened_and_missed_weeks(world) -> None:
    """A past quarter: the week with an opening is 已开箱, the others 未开箱."""
    y = clock.today().year - 1
    monday = date(y, 7, 6) - timedelta(days=date(y, 7, 6).weekday())
    _open(world, world.mailboxes[0], monday + timedelta(days=2))
    with session_scope("staff", world.url) as s:
        grid = mailboxes.week_grid(s, world.staff(), world.groups[0], y, 3)
    row = next(r for r in grid["rows"] if r["id"] == world.mailboxes[0])
    assert row[f"{monday:%m-%d}"] == "已开箱"
    assert row["开箱周数"] == 1 and row["漏开周数"] == len(grid["weeks"]) - 1


def test_keeper_follows_the_delegation_dates(world) -> None:
    """During a delegation the liaison keeps the mailbox; otherwise the deputy."""
    box = models.Mailbox(keeper_kind="联络员委托", keeper_name="陈联络", delegation_start=date(2026, 1, 1),
                         delegation_end=date(2026, 6, 30))
    assert mailboxes.keeper_on(box, "张伟", date(2026, 3, 1)) == "陈联络（联络员受托）"
    assert mailboxes.keeper_on(box, "张伟", date(2026, 7, 1)) == "张伟（代表本人）"
    assert mailboxes.keeper_name_on(box, "张伟", date(2026, 3, 1)) == ("陈联络", "联络员受托")
    assert mailboxes.keeper_name_on(box, "张伟", date(2026, 7, 1)) == ("张伟", "代表本人")
    nobody = models.Mailbox(keeper_kind="代表本人", keeper_name="")
    assert mailboxes.keeper_on(nobody, None, date(2026, 3, 1)) == "未指定"
    assert mailboxes.keeper_name_on(nobody, None, date(2026, 3, 1)) == ("", "")


def test_default_opener_is_the_keeper_name_without_its_role(world) -> None:
    """The 开箱人 offered is the keeper's plain name (a deputy's name may itself hold （）)."""
    with session_scope("admin", world.url) as s:
        box = s.get(models.Mailbox, world.mailboxes[0])
        box.keeper_kind, box.keeper_name = "联络员委托", "陈（小）联络"
        box.delegation_start = clock.today() - timedelta(days=30)
    with session_scope("staff", world.url) as s:
        assert mailboxes.default_opener(s, world.staff(), world.mailboxes[0]) == "陈（小）联络"


def test_r11_figure_comes_from_mailboxes(world) -> None:
    """The 工作台 figure of R11: mailboxes not opened within the setting's days, in scope."""
    _open(world, world.mailboxes[0], clock.today() - timedelta(days=2))
    with session_scope("t", world.url) as s:
        (admin,) = mailboxes.figures(s, world.admin(), clock.today().year)
        (staff,) = mailboxes.figures(s, world.staff(), clock.today().year)
    assert (admin.rule, admin.label, admin.value, admin.bad) == ("R11", "7天内未开箱的信箱", 3, True)
    assert (admin.page, admin.params) == ("mailbox", {"view": "boxes"})
    assert staff.value == 2
