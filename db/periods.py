"""Periods of service (任职记录) kept in step with each deputy, for every way a deputy is written.

A deputy's ``deputy_periods`` say in which group, and from when to when, the deputy served.
Whether a deputy counts in a year follows them (services.deputies), so a past year does not
change when a deputy resigns or moves today. This listener, installed on every Session like the
audit mechanism, maintains them:

- a new deputy gets one period: from ``joined_on`` (or 1 January of the term's first year) to
  ``left_on`` when not serving;
- a service that *moves* a deputy to another group from a date, or *reinstates* one from a date,
  says so with ``set_intent`` before the flush: the current period is closed the day before and a
  new one opened;
- any other change is a correction of the record: the first period starts at ``joined_on``, and the
  last period takes the deputy's group, district, end date and status.

Bulk loads that bypass the ORM (the demo generator) write periods themselves with ``period_row``.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from db import models
from services.states import DeputyStatus, PeriodEnd

_INTENT = "_period_intent"
_FIELDS = ("group_id", "district_id", "joined_on", "left_on", "status", "term_id")


def set_intent(deputy: models.Deputy, kind: str, on: date) -> None:
    """Say that the coming change of ``deputy`` is a move to another group ("move") or a
    reinstatement ("reinstate") taking effect on ``on`` (not a correction of the record)."""
    if kind not in ("move", "reinstate"):
        raise ValueError(kind)
    setattr(deputy, _INTENT, (kind, on))


def term_start(session: Session, term_id: int | None) -> date:
    """1 January of a term's first year (the start of service when no joining date is known)."""
    term = session.get(models.Term, term_id) if term_id is not None else None
    return date(term.start_year, 1, 1) if term is not None else date(1950, 1, 1)


def period_row(deputy: dict, start_default: date) -> dict:
    """The one period of a deputy given as plain values (for bulk inserts)."""
    serving = deputy.get("status", DeputyStatus.SERVING) == DeputyStatus.SERVING
    return {
        "deputy_id": deputy["id"], "group_id": deputy["group_id"], "district_id": deputy.get("district_id"),
        "start_on": deputy.get("joined_on") or start_default,
        "end_on": None if serving else deputy.get("left_on"),
        "end_reason": None if serving else deputy.get("status"),
    }


def _first_period(session: Session, d: models.Deputy) -> models.DeputyPeriod:
    """The period of a deputy that has none yet."""
    row = period_row({"id": None, "group_id": d.group_id, "district_id": d.district_id, "status": d.status,
                      "joined_on": d.joined_on, "left_on": d.left_on}, term_start(session, d.term_id))
    row.pop("deputy_id")
    return models.DeputyPeriod(**row)


def _sync(session: Session, d: models.Deputy) -> None:
    """Bring a changed deputy's periods in step with the deputy (see the module doc)."""
    periods = sorted(d.periods, key=lambda p: p.start_on)
    intent = d.__dict__.pop(_INTENT, None)
    if not periods:
        d.periods.append(_first_period(session, d))
        return
    last = periods[-1]
    serving = d.status == DeputyStatus.SERVING
    if intent is not None:
        kind, on = intent
        if kind == "move" and on > last.start_on and (last.end_on is None or last.end_on >= on):
            last.end_on, last.end_reason = on - timedelta(days=1), PeriodEnd.MOVED
            d.periods.append(models.DeputyPeriod(group_id=d.group_id, district_id=d.district_id, start_on=on,
                                                 end_on=None if serving else d.left_on,
                                                 end_reason=None if serving else d.status))
            return
        if kind == "reinstate" and last.end_on is not None and on > last.end_on:
            d.periods.append(models.DeputyPeriod(group_id=d.group_id, district_id=d.district_id, start_on=on))
            return
    if d.joined_on is not None:
        periods[0].start_on = d.joined_on
    last.group_id, last.district_id = d.group_id, d.district_id
    if serving:
        last.end_on, last.end_reason = None, None
    else:
        last.end_on, last.end_reason = d.left_on, d.status


def _before_flush(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
    """Give new deputies their period and keep changed deputies' periods in step."""
    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, models.Deputy) and not obj.periods:
                obj.periods.append(_first_period(session, obj))
        for obj in list(session.dirty):
            if not isinstance(obj, models.Deputy):
                continue
            state = inspect(obj)
            if any(state.attrs[f].history.has_changes() for f in _FIELDS) or _INTENT in obj.__dict__:
                _sync(session, obj)


def install() -> None:
    """Attach the listener to every Session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


install()
