"""The one overdue rule, for letters (R12) and opinions (R3) alike.

A record carries a due date per clock (letters: 交代表 / 首次答复 / 转办 / 办结反馈; opinions: 转交 /
办结 / 反馈选民). A clock runs in some states only. The record is

- **超期** (overdue) the day after a running clock's due date;
- **严重超期** (long overdue) when more than twice that clock's deadline has passed: the deadline
  counted again from the due date ends before today (``Calendar.last_start_within``);
- **即将到期** (due soon) when not overdue and a running clock falls due within ``due_soon_days``
  working days (setting), today included;
- never any of these while its clock is paused (waiting for the writer or the voter).

``Deadlines`` computes today's thresholds once (a few calendar look-ups) and gives both the SQL
condition (``clause``) and the same decision for one record in Python (``level``). The areas
describe their clocks as ``Running`` items (state condition, due column, deadline key); nothing
else decides overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, or_
from sqlalchemy.orm import Session

from services import clock, settings, workdays

OVERDUE, LONG_OVERDUE, DUE_SOON = "超期", "严重超期", "即将到期"


@dataclass(frozen=True)
class Running:
    """One clock: SQL condition of the states it runs in, its due-date column, its deadline key."""

    when: object
    due: object
    key: str


def due_soon_days(session: Session) -> int:
    """Working days ahead that count as 即将到期 (setting due_soon_days)."""
    return int(settings.get(session, "due_soon_days"))


class Deadlines:
    """Today's thresholds for deadlines of ``days`` ({key: working days}) on the database's calendar."""

    def __init__(self, session: Session, days: dict[str, int], on: date | None = None) -> None:
        """Compute the thresholds once per list."""
        self.cal = workdays.calendar_for(session)
        self.days = dict(days)
        self.today = on or clock.today()
        self.long = {k: self.cal.last_start_within(self.today, v) for k, v in self.days.items()}
        # the last due date still "due soon": the n-th working day from today (today counts as the first
        # when it is a working day)
        n = due_soon_days(session)
        start = self.today if self.cal.is_workday(self.today) else self.cal.add_workdays(self.today, 1)
        self.soon = self.cal.add_workdays(start, max(n - 1, 0))

    def late(self, due_col, key: str, long: bool = False):  # noqa: ANN001, ANN201
        """SQL: the due date has passed (long: by more than the deadline again)."""
        return due_col < (self.long[key] if long else self.today)

    def clause(self, clocks: Sequence[Running], paused_col, long: bool = False):  # noqa: ANN001, ANN201
        """SQL: overdue (or long overdue) today on any running clock; never while paused."""
        if not clocks:
            return false()
        return and_(paused_col.is_(None), or_(*(and_(c.when, self.late(c.due, c.key, long)) for c in clocks)))

    def soon_clause(self, clocks: Sequence[Running], paused_col):  # noqa: ANN001, ANN201
        """SQL: not overdue, and a running clock falls due between today and the 即将到期 horizon."""
        if not clocks:
            return false()
        due_soon = or_(*(and_(c.when, c.due.between(self.today, self.soon)) for c in clocks))
        return and_(paused_col.is_(None), due_soon, ~self.clause(clocks, paused_col))

    def level(self, running: Sequence[tuple[date | None, str]], paused: bool, soon: bool = False) -> str:
        """"" / 超期 / 严重超期 of one record from its running (due date, key) pairs (the rule of
        ``clause``); with ``soon`` also 即将到期 (the rule of ``soon_clause``)."""
        if paused:
            return ""
        worst = ""
        near = False
        for due, key in running:
            if due is None:
                continue
            if due < self.long[key]:
                return LONG_OVERDUE
            if due < self.today:
                worst = OVERDUE
            elif due <= self.soon:
                near = True
        return worst or (DUE_SOON if soon and near else "")
