"""The Chinese working-day calendar: holidays, 调休 Saturdays, the fallback for unknown years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services import workdays


def test_national_day_2026_and_its_swapped_working_weekend() -> None:
    """Oct 1–7 2026 are off; Sunday Sep 20 and Saturday Oct 10 are working days (调休)."""
    assert not any(workdays.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert workdays.is_workday(date(2026, 9, 20))
    assert workdays.is_workday(date(2026, 10, 10))
    assert not workdays.is_workday(date(2026, 10, 11))


def test_add_workdays_across_national_day() -> None:
    """Ten working days after Mon 28 Sep 2026 end on Fri 16 Oct (the 调休 Saturday counts)."""
    assert workdays.add_workdays(date(2026, 9, 28), 2) == date(2026, 9, 30)
    assert workdays.add_workdays(date(2026, 9, 28), 3) == date(2026, 10, 8)
    assert workdays.add_workdays(date(2026, 9, 28), 5) == date(2026, 10, 10)
    assert workdays.add_workdays(date(2026, 9, 28), 10) == date(2026, 10, 16)


def test_friday_plus_two_is_tuesday_and_zero_is_the_day_itself() -> None:
    """A Friday with two working days is due on Tuesday; n=0 returns the start."""
    assert workdays.add_workdays(date(2026, 11, 20), 2) == date(2026, 11, 24)
    assert workdays.add_workdays(date(2026, 11, 21), 0) == date(2026, 11, 21)
    assert workdays.add_workdays(date(2026, 11, 24), -2) == date(2026, 11, 20)


@pytest.mark.parametrize("start", [date(2026, 9, 25), date(2026, 9, 30), date(2026, 10, 3), date(2026, 12, 31)])
@pytest.mark.parametrize("n", [0, 1, 2, 10, 40])
def test_workdays_between_inverts_add(start: date, n: int) -> None:
    """workdays_between(d, add_workdays(d, n)) == n."""
    assert workdays.workdays_between(start, workdays.add_workdays(start, n)) == n


@pytest.mark.parametrize("today", [date(2026, 10, 8), date(2026, 10, 10), date(2026, 10, 11), date(2026, 11, 30)])
@pytest.mark.parametrize("n", [1, 2, 10])
def test_last_start_within_is_the_exact_threshold(today: date, n: int) -> None:
    """add_workdays(d, n) < today exactly when d < last_start_within(today, n)."""
    t = workdays.last_start_within(today, n)
    assert workdays.add_workdays(t, n) >= today
    from datetime import timedelta

    assert workdays.add_workdays(t - timedelta(days=1), n) < today


def test_unknown_year_keeps_the_statutory_holidays_and_says_so() -> None:
    """A year beyond the library's arrangements: its statutory holidays are days off (never plain
    weekends alone), no weekend is worked, and the 日历未确认 warning names the year."""
    year = workdays.last_known_year() + 1
    assert not workdays.year_known(year)
    oct1, jan1 = date(year, 10, 1), date(year, 1, 1)
    assert not workdays.is_workday(oct1) and not workdays.is_workday(jan1)
    assert not any(workdays.is_workday(d) for d in workdays.package_days(year)[0])
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(365)]
    assert not any(workdays.is_workday(d) for d in days if d.weekday() >= 5)
    warning = workdays.calendar_warning(date(2026, 5, 1), oct1)
    assert f"{year}年" in warning and "日历未确认" in warning
    assert workdays.calendar_warning(date(2026, 5, 1)) == ""


def test_an_entered_year_overrides_the_package() -> None:
    """Entered days off and 调休 working days decide; every other weekday works."""
    cal = workdays.Calendar({2027: ({date(2027, 2, 11), date(2027, 2, 12)}, {date(2027, 2, 20)})})
    assert cal.confirmed(2027) and cal.source(2027) == "已录入"
    assert not cal.is_workday(date(2027, 2, 11))
    assert cal.is_workday(date(2027, 2, 20))  # a Saturday worked
    assert cal.is_workday(date(2027, 10, 1))  # the admin entered no National Day: it works
    assert cal.warning(date(2027, 10, 1)) == ""
