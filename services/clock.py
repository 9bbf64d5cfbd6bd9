"""The one clock of the application: every "today" and "now" comes from here.

Nothing else calls ``date.today()`` or ``datetime.now()``. Tests move this clock with
``time-machine`` (``tests/conftest.py``: the ``travel`` fixture and the ``TEST_TODAY`` variable),
which moves these two functions, and so every page, service and default, together.

This module imports nothing of the application, so any layer (db, services, components, pages)
may use it.
"""

from __future__ import annotations

from datetime import date, datetime


def now() -> datetime:
    """The current local time, to the second (what every timestamp column stores)."""
    return datetime.now().replace(microsecond=0)


def today() -> date:
    """Today's local date."""
    return now().date()


def year_end_or_today(year: int) -> date:
    """The last day of ``year`` that has already begun: 31 December of a past year, today for the
    current year, and 1 January for a year still to come (nothing of it has happened yet).

    The rules count a year's facts up to this day: an event registered for next month has not
    been attended yet, and a past year looks the same whatever happens today.
    """
    t = today()
    if year < t.year:
        return date(year, 12, 31)
    if year == t.year:
        return t
    return date(year, 1, 1)
