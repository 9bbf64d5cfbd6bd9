"""R11 skips weeks without a working day (issue 13): the Spring Festival week owes no opening, in
the weekly grid and in the 工作台 figure; an entered calendar decides which weeks those are."""

from __future__ import annotations

from datetime import date

from db.engine import session_scope
from services import calendars, mailboxes, workdays


def _open(world, box: int, day: str) -> None:
    with session_scope("admin", world.url) as s:
        mailboxes.record_opening(s, world.admin(), {"mailbox_id": box, "opened_on": day, "opened_by": "陈联络",
                                                   "letters_found": 0})


def test_the_spring_festival_week_is_not_a_missed_opening(world, travel):
    travel("2026-02-24")  # Tuesday after the 2026 Spring Festival week (02-16 to 02-22, no working day)
    assert not workdays.PACKAGE.week_has_workday(date(2026, 2, 16))
    for box in world.mailboxes:
        _open(world, box, "2026-02-13")
    _open(world, world.mailboxes[0], "2026-02-02")
    _open(world, world.mailboxes[0], "2026-02-09")
    with session_scope(url=world.url) as s:
        # opened on Friday 02-13: 11 days ago, but 7 of them were the workless week
        assert mailboxes.count_unopened(s, world.admin()) == 0
        assert mailboxes.figures(s, world.admin(), 2026)[0].value == 0
        grid = mailboxes.week_grid(s, world.admin(), world.groups[0], 2026, 1)
        row = next(r for r in grid["rows"] if r["id"] == world.mailboxes[0])
        assert row["02-16"] == "无工作日"
        assert row["02-09"] == "已开箱" and row["02-23"] == "本周未开"
        # the five weeks from 12-29 to 01-26 were missed; the Spring Festival week is not one of them
        assert [k for k, v in row.items() if v == "未开箱"] == ["12-29", "01-05", "01-12", "01-19", "01-26"]
        assert row["漏开周数"] == 5
    travel("2026-03-03")  # one more working week without an opening: owed again
    with session_scope(url=world.url) as s:
        assert mailboxes.count_unopened(s, world.admin()) == 4


def test_an_entered_year_decides_the_workless_weeks(world, travel):
    travel("2026-12-20")
    cutoff_plain = mailboxes.open_cutoff(workdays.PACKAGE, date(2027, 2, 16), 7)
    assert cutoff_plain == date(2027, 2, 9)  # the package has no workless week in February 2027
    with session_scope("admin", world.url) as s:
        calendars.save_year(s, world.admin(), 2027, [
            {"日期": f"2027-02-{d:02d}", "类型": "放假", "名称": "春节"} for d in range(8, 15)])
    with session_scope(url=world.url) as s:
        cal = workdays.calendar_for(s)
        assert not cal.week_has_workday(date(2027, 2, 8))
        assert mailboxes.open_cutoff(cal, date(2027, 2, 16), 7) == date(2027, 2, 2)
