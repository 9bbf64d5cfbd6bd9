"""The Chinese working-day calendar: public holidays and their swapped working weekends (调休).

Built on the ``holidays`` package (``holidays.China``), which carries the State Council's yearly
arrangement: the days off (``China(years=y)``) and the weekend days worked in exchange
(``weekend_workdays``). A year the package does not know yet (the arrangement is published each
November for the next year) falls back to plain weekends: Monday to Friday are working days. The
page shows ``calendar_warning(...)`` whenever a deadline touches such a year.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from holidays.countries.china import ChinaStaticHolidays

# first year whose official arrangement the package was checked against (its own docstring)
FIRST_KNOWN_YEAR = 2001


@lru_cache(maxsize=1)
def last_known_year() -> int:
    """Return the last year whose 调休 arrangement the installed ``holidays`` package carries."""
    return max(ChinaStaticHolidays.special_public_holidays)


def year_known(year: int) -> bool:
    """True when the holiday arrangement of ``year`` is known (else plain weekends are used)."""
    return FIRST_KNOWN_YEAR <= year <= last_known_year()


@lru_cache(maxsize=64)
def _working_flags(year: int) -> tuple[bool, ...]:
    """Return one flag per day of ``year`` (index 0 = 1 January): True for a working day."""
    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days
    if not year_known(year):
        return tuple((start + timedelta(i)).weekday() < 5 for i in range(days))
    cal = holidays.China(years=year)
    swapped = {d for d in cal.weekend_workdays if d.year == year}
    flags = []
    for i in range(days):
        d = start + timedelta(i)
        if d.weekday() >= 5:
            flags.append(d in swapped)
        else:
            flags.append(d not in cal)
    return tuple(flags)


def is_workday(day: date) -> bool:
    """True when ``day`` is a working day on the Chinese calendar (调休 Saturdays included)."""
    return _working_flags(day.year)[day.timetuple().tm_yday - 1]


def add_workdays(start: date, n: int) -> date:
    """Return the ``n``-th working day after ``start`` (``start`` itself not counted; n=0 → start).

    A letter received on a Friday with a 2-working-day deadline is due on Tuesday. Negative
    ``n`` counts backwards.
    """
    if n == 0:
        return start
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    day = start
    while left:
        day += step
        if is_workday(day):
            left -= 1
    return day


def workdays_between(a: date, b: date) -> int:
    """Return the working days after ``a`` up to and including ``b`` (negative when b < a).

    ``workdays_between(d, add_workdays(d, n)) == n`` for every n ≥ 0.
    """
    if b == a:
        return 0
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a
    one = timedelta(days=1)
    while day < b:
        day += one
        if is_workday(day):
            count += 1
    return sign * count


def last_start_within(today: date, n: int) -> date:
    """Return the earliest date ``d`` with ``add_workdays(d, n) >= today``.

    So ``add_workdays(due, n) < today`` exactly when ``due < last_start_within(today, n)``: a
    comparison the database can do (used for "long overdue" = more than twice the deadline).
    """
    if n <= 0:
        return today
    # the n-th working day after d is >= today  ⇔  d >= (the n-th working day before today,
    # counting today itself when it is a working day)
    day = today if is_workday(today) else add_workdays(today, 1)
    back = add_workdays(day, -n)
    return back


def calendar_warning(*days: date | None) -> str:
    """Return a Chinese warning when any of ``days`` falls in a year whose holidays are unknown."""
    unknown = sorted({d.year for d in days if d is not None and not year_known(d.year)})
    if not unknown:
        return ""
    years = "、".join(f"{y}年" for y in unknown)
    return (f"节假日库（holidays {holidays.__version__}）尚无{years}的放假调休安排，"
            f"{years}的办理时限暂按周一至周五为工作日计算，国务院公布安排并升级节假日库后将自动更正。")
