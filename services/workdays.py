"""The Chinese working-day calendar: public holidays and their swapped working weekends (调休).

Two sources, in this order:

1. **The office's own calendar** (工作日历, tables ``calendar_years`` / ``calendar_days``): for a year an
   administrator entered from the State Council's notice, the days entered as 放假 are days off and
   those entered as 调休上班 are working days; every other Monday–Friday works, every other weekend
   day rests. An entered year overrides the package completely.
2. **The ``holidays`` package** (``holidays.China``). For a year whose State Council arrangement it
   carries (``year_known``) its days off and ``weekend_workdays`` are used as they are. For a later
   year it still lists the statutory holidays (1 January, the Spring Festival, 清明, 劳动节, 端午, 中秋,
   国庆 with their observed days): those are days off, weekends too, and no weekend is worked. Plain
   weekends alone are never used.

A year is **confirmed** when it was entered or the package carries its arrangement; any other year
is 日历未确认 and every deadline in it is marked so (``Calendar.unconfirmed_years``,
``Calendar.warning``, and in SQL ``unconfirmed_clause``).

``calendar_for(session)`` returns the calendar of a database: a ``Calendar`` value, cached per
database and per stamp of the entered years (each save writes a new random stamp), so a save in
any process is seen at the next request. The module-level functions (``is_workday``,
``add_workdays``…) are the package calendar without entries, for code that has no database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays
from holidays.countries.china import ChinaStaticHolidays
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db import models
from services.states import CalendarDayKind

# first year whose official arrangement the package was checked against (its own docstring)
FIRST_KNOWN_YEAR = 2001
UNCONFIRMED = "日历未确认"
# the span of years a SQL condition about unconfirmed years covers (dates outside are not stored)
_SQL_YEARS = (1900, 2200)


@lru_cache(maxsize=1)
def last_known_year() -> int:
    """Return the last year whose 调休 arrangement the installed ``holidays`` package carries."""
    return max(ChinaStaticHolidays.special_public_holidays)


def year_known(year: int) -> bool:
    """True when the package carries the State Council's arrangement of ``year`` (调休 included)."""
    return FIRST_KNOWN_YEAR <= year <= last_known_year()


@lru_cache(maxsize=256)
def package_days(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """({day off: name}, weekend days worked) of ``year`` according to the ``holidays`` package.

    For a year whose arrangement the package does not carry, the statutory holidays it lists
    are the days off and no weekend day is worked."""
    if year < 1949 or year > 2199:
        return {}, frozenset()
    cal = holidays.China(years=year)
    off = {d: str(n) for d, n in cal.items() if d.year == year}
    worked = frozenset(d for d in cal.weekend_workdays if d.year == year) if year_known(year) else frozenset()
    return off, worked


class Calendar:
    """The working days of every year: entered years first, the package for the others."""

    def __init__(self, entered: Mapping[int, tuple[Iterable[date], Iterable[date]]] | None = None) -> None:
        """``entered`` maps a year to (days off, weekend days worked) as an administrator entered them."""
        self.entered = {y: (frozenset(off), frozenset(work)) for y, (off, work) in (entered or {}).items()}
        self._flags: dict[int, tuple[bool, ...]] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- which years are known

    def source(self, year: int) -> str:
        """Where the working days of ``year`` come from: 已录入 / 节假日库 / 日历未确认."""
        if year in self.entered:
            return "已录入"
        if year_known(year):
            return "节假日库"
        return UNCONFIRMED

    def confirmed(self, year: int) -> bool:
        """True when ``year`` was entered or the package carries its official arrangement."""
        return year in self.entered or year_known(year)

    def unconfirmed_years(self, *days: date | None) -> list[int]:
        """The years among ``days`` whose calendar is not confirmed, ascending."""
        return sorted({d.year for d in days if d is not None and not self.confirmed(d.year)})

    def warning(self, *days: date | None) -> str:
        """A Chinese warning when any of ``days`` lies in an unconfirmed year ("" otherwise)."""
        years = self.unconfirmed_years(*days)
        if not years:
            return ""
        names = "、".join(f"{y}年" for y in years)
        return (f"{UNCONFIRMED}：{names}的放假调休安排尚未录入（节假日库 holidays {holidays.__version__} 也没有），"
                f"{names}的办理期限暂按法定节假日和周末计算、不含调休上班日。系统管理员在“工作日历”录入国务院通知后，"
                f"所有未办结事项的期限将自动重新计算。")

    def unconfirmed_clause(self, *cols):  # noqa: ANN002, ANN201
        """SQL: any of the date columns ``cols`` lies in an unconfirmed year."""
        ranges: list[tuple[int, int]] = []
        for y in range(_SQL_YEARS[0], _SQL_YEARS[1] + 1):
            if self.confirmed(y):
                continue
            if ranges and ranges[-1][1] == y - 1:
                ranges[-1] = (ranges[-1][0], y)
            else:
                ranges.append((y, y))
        conds = [col.between(date(a, 1, 1), date(b, 12, 31)) for col in cols for a, b in ranges]
        return or_(*conds) if conds else and_(False)

    # ---------------------------------------------------------------- working days

    def days_of(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        """({day off: name}, weekend days worked) of ``year`` from the source that decides it."""
        if year in self.entered:
            off, work = self.entered[year]
            return {d: "" for d in off}, work
        return package_days(year)

    def _working_flags(self, year: int) -> tuple[bool, ...]:
        """One flag per day of ``year`` (index 0 = 1 January): True for a working day."""
        flags = self._flags.get(year)
        if flags is not None:
            return flags
        off, worked = self.days_of(year)
        start = date(year, 1, 1)
        days = (date(year + 1, 1, 1) - start).days
        out = []
        for i in range(days):
            d = start + timedelta(i)
            out.append(d in worked or (d not in off and d.weekday() < 5))
        flags = tuple(out)
        with self._lock:
            self._flags[year] = flags
        return flags

    def is_workday(self, day: date) -> bool:
        """True when ``day`` is a working day (调休 Saturdays included)."""
        return self._working_flags(day.year)[day.timetuple().tm_yday - 1]

    def add_workdays(self, start: date, n: int) -> date:
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
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, a: date, b: date) -> int:
        """Return the working days after ``a`` up to and including ``b`` (negative when b < a)."""
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
            if self.is_workday(day):
                count += 1
        return sign * count

    def last_start_within(self, today: date, n: int) -> date:
        """Return the earliest date ``d`` with ``add_workdays(d, n) >= today``.

        So ``add_workdays(due, n) < today`` exactly when ``due < last_start_within(today, n)``: a
        comparison the database can do (used for "long overdue" = more than twice the deadline).
        """
        if n <= 0:
            return today
        day = today if self.is_workday(today) else self.add_workdays(today, 1)
        return self.add_workdays(day, -n)

    def week_has_workday(self, monday: date) -> bool:
        """True when the week (Monday–Sunday) beginning ``monday`` has at least one working day."""
        return any(self.is_workday(monday + timedelta(i)) for i in range(7))


PACKAGE = Calendar()

# ---------------------------------------------------------------- the calendar of a database

_CACHE: OrderedDict[tuple, Calendar] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _stamp(session: Session) -> tuple:
    """What identifies the entered calendar of the session's database now (one small query)."""
    Y = models.CalendarYear
    rows = session.execute(select(Y.year, Y.stamp).order_by(Y.year)).all()
    return tuple((int(y), s) for y, s in rows)


def calendar_for(session: Session) -> Calendar:
    """The calendar of the session's database: its entered years over the package."""
    stamp = _stamp(session)
    if not stamp:
        return PACKAGE
    key = (str(session.get_bind().url), stamp)
    with _CACHE_LOCK:
        cal = _CACHE.get(key)
        if cal is not None:
            _CACHE.move_to_end(key)
            return cal
    Dy = models.CalendarDay
    entered: dict[int, tuple[set[date], set[date]]] = {y: (set(), set()) for y, _s in stamp}
    for day, kind in session.execute(select(Dy.day, Dy.kind).where(Dy.year.in_([y for y, _s in stamp]))):
        if day.year in entered:
            entered[day.year][0 if kind == CalendarDayKind.OFF else 1].add(day)
    cal = Calendar(entered)
    with _CACHE_LOCK:
        _CACHE[key] = cal
        while len(_CACHE) > 16:
            _CACHE.popitem(last=False)
    return cal


# ---------------------------------------------------------------- the package calendar (no database)


def is_workday(day: date) -> bool:
    """True when ``day`` is a working day on the package calendar."""
    return PACKAGE.is_workday(day)


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` on the package calendar (see Calendar.add_workdays)."""
    return PACKAGE.add_workdays(start, n)


def workdays_between(a: date, b: date) -> int:
    """Working days after ``a`` up to ``b`` on the package calendar (see Calendar.workdays_between)."""
    return PACKAGE.workdays_between(a, b)


def last_start_within(today: date, n: int) -> date:
    """See Calendar.last_start_within (package calendar)."""
    return PACKAGE.last_start_within(today, n)


def calendar_warning(*days: date | None) -> str:
    """The 日历未确认 warning of the package calendar (see Calendar.warning)."""
    return PACKAGE.warning(*days)
