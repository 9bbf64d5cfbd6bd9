"""The shared ideas of the rules, each decided by one function that every page, figure, score,
performance file, export and the demo generator call (README, "Rules and the functions that
decide them"). Who serves is in ``services.deputies``; the letters' clock in ``services.letters``.

- ``opinion_credit`` / ``letter_credit``: who is credited with an opinion or a letter;
- ``opinion_resolved`` / ``letter_resolved``: what counts as resolved (outcome class A only), and when;
- ``counts_for_r1``: which contact activities count (a record voided by a spot check does not);
- ``attended`` / ``absent_unexcused``: what counts as attended or missed (only events that have
  happened, of the kinds the rubric row names);
- ``report_share``: the R6 face-to-face share of a group's serving deputies (20 %–30 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, literal, select, union_all
from sqlalchemy.orm import Session

from db import models as M
from services import settings
from services.states import (
    AttendanceStatus,
    EventKind,
    Finding,
    LetterStatus,
    OpinionStatus,
    Outcome,
    RecordKind,
)

# ---------------------------------------------------------------- credit: opinions and letters

OPINION_FORWARDED = (OpinionStatus.FORWARDED, OpinionStatus.HANDLING, OpinionStatus.RESOLVED,
                     OpinionStatus.UNRESOLVABLE, OpinionStatus.FED_BACK)
OPINION_RESOLVED = (OpinionStatus.RESOLVED, OpinionStatus.FED_BACK)
LETTER_FORWARDED = (LetterStatus.FORWARDED, LetterStatus.HANDLING, LetterStatus.CONCLUDED, LetterStatus.FED_BACK)
LETTER_RESOLVED = (LetterStatus.CONCLUDED, LetterStatus.FED_BACK)
LETTER_NOT_HANDLED = (LetterStatus.REJECTED, LetterStatus.MERGED)


def opinion_credit(where: list | None = None):  # noqa: ANN201
    """SELECT (opinion_id, deputy_id) of the deputies credited with each opinion.

    The decision (README): the deputy named in charge (``opinions.deputy_id``) carries the opinion
    to its end (R3) and alone is credited with forwarding and resolving it. When nobody is named,
    the deputies who took part in the activity where it was raised share it; for an opinion
    raised at a 述职 meeting with nobody named, the deputy who reported. ``where`` adds
    conditions on ``models.Opinion``.
    """
    O, AD, R = M.Opinion, M.ActivityDeputy, M.Report
    cond = list(where or [])
    direct = select(O.id.label("opinion_id"), O.deputy_id.label("deputy_id")).where(O.deputy_id.is_not(None), *cond)
    via_activity = (select(O.id.label("opinion_id"), AD.deputy_id.label("deputy_id"))
                    .join(AD, AD.activity_id == O.activity_id).where(O.deputy_id.is_(None), *cond))
    via_report = (select(O.id.label("opinion_id"), R.deputy_id.label("deputy_id"))
                  .join(R, R.id == O.report_id)
                  .where(O.deputy_id.is_(None), O.activity_id.is_(None), *cond))
    return union_all(direct, via_activity, via_report)


def opinion_resolved(lo: date, hi: date):  # noqa: ANN201
    """SQL condition on Opinion: resolved (已解决, later 已反馈选民) on a day between lo and hi, with
    the outcome class A 已解决. B 正在解决, C 列入计划逐步解决 and D 因条件限制留作参考 are answers, not
    solutions: they are shown as they are and never counted as solved (R5, F3, 工作台)."""
    O = M.Opinion
    return and_(O.resolved_on.between(lo, hi), O.unresolvable_reason.is_(None),
                O.status.in_(OPINION_RESOLVED), O.outcome == Outcome.A)


def letter_credit(where: list | None = None):  # noqa: ANN201
    """SELECT (letter_id, deputy_id): a letter is credited to its deputy in charge, never when it
    was refused (不予受理) or merged into another letter (the surviving letter carries it)."""
    L = M.Letter
    return select(L.id.label("letter_id"), L.deputy_id.label("deputy_id")).where(
        L.deputy_id.is_not(None), L.status.not_in(LETTER_NOT_HANDLED), *(where or []))


def letter_resolved():  # noqa: ANN201
    """SQL condition on Letter: the handling body has answered (已办结, later 已反馈) with the outcome
    class A 已解决. A letter closed as B, C or D is answered, not solved (F3 counts A only)."""
    return and_(M.Letter.status.in_(LETTER_RESOLVED), M.Letter.outcome == Outcome.A)


# ---------------------------------------------------------------- 议案建议: who took part


def proposal_signers(lo: date, hi: date):  # noqa: ANN201
    """SELECT deputy_id of the deputies who led or co-signed a 议案, 建议 or 批评和意见 submitted
    between lo and hi: one meaning of "提出议案建议" for the F1 list, the R19 empty files, the score
    and the 履职档案."""
    P, PS = M.Proposal, M.ProposalSigner
    led = select(P.lead_deputy_id.label("deputy_id")).where(P.submitted_on.between(lo, hi))
    signed = (select(PS.deputy_id.label("deputy_id")).join(P, P.id == PS.proposal_id)
              .where(P.submitted_on.between(lo, hi)))
    return led.union(signed)


# ---------------------------------------------------------------- R1: what counts as an activity


def voided_by_spotcheck(activity_id_col=None):  # noqa: ANN001, ANN201
    """SQL condition: a spot check found the activity record 不合格 (the record is void)."""
    SI = M.SpotCheckItem
    col = activity_id_col if activity_id_col is not None else M.Activity.id
    return exists().where(SI.record_kind == RecordKind.ACTIVITY, SI.record_id == col, SI.result == Finding.FAIL)


def spotcheck_finding(session: Session, kind: str, record_id: int) -> str | None:
    """The latest finding a spot check recorded on a record (合格 / 基本合格 / 不合格), or None.

    A record with a finding cannot be deleted, and an activity's date and participants (who bears
    a 不合格's −3) cannot be changed by staff: the finding and its effect on scores stay."""
    SI = M.SpotCheckItem
    return session.execute(
        select(SI.result).where(SI.record_kind == kind, SI.record_id == int(record_id), SI.result.is_not(None))
        .order_by(SI.checked_at.desc(), SI.id.desc()).limit(1)
    ).scalar_one_or_none()


def counts_for_r1(lo: date, hi: date):  # noqa: ANN201
    """SQL condition on Activity: it counts towards R1's minimum: held between lo and hi, and not
    voided by a spot check. (Activities cannot be dated in the future: the form refuses it.)"""
    A = M.Activity
    return and_(A.held_on.between(lo, hi), ~voided_by_spotcheck(A.id))


# ---------------------------------------------------------------- attendance


CONGRESS_KINDS = (EventKind.CONGRESS,)
STANDING_KINDS = (EventKind.STANDING_SESSION, EventKind.INSPECTION, EventKind.RESEARCH, EventKind.LAW_CHECK)


def attended(lo: date, hi: date, kinds: tuple[str, ...] | list[str]):  # noqa: ANN201
    """SQL condition on (CongressEvent E, Attendance AT): attended an event of ``kinds`` held
    between lo and hi. ``hi`` is the year's reference day: an event still to come is not attended
    (nor missed) yet."""
    E, AT = M.CongressEvent, M.Attendance
    return and_(E.held_on.between(lo, hi), AT.status == AttendanceStatus.PRESENT, E.kind.in_(list(kinds)))


def absent_unexcused(lo: date, hi: date, kinds: tuple[str, ...] | list[str]):  # noqa: ANN201
    """SQL condition on (CongressEvent E, Attendance AT): missed without leave an event of
    ``kinds`` held between lo and hi (only events that have happened)."""
    E, AT = M.CongressEvent, M.Attendance
    return and_(E.held_on.between(lo, hi), AT.status == AttendanceStatus.ABSENT, E.kind.in_(list(kinds)))


# ---------------------------------------------------------------- R6: the face-to-face share


@dataclass(frozen=True)
class ShareCheck:
    """The R6 share of one group's plan: planned of serving, against the allowed band."""

    planned: int
    serving: int
    lo: float
    hi: float

    @property
    def share(self) -> float | None:
        """planned ÷ serving (None for a group with nobody serving)."""
        return self.planned / self.serving if self.serving else None

    @property
    def sizes(self) -> range:
        """The plan sizes allowed for this group: those whose share lies within the band (edges
        included). A small group where no whole number of deputies lies within the band (3 deputies:
        20 % is 0.6, 30 % is 0.9) may plan the smallest number that reaches the lower bound (1)."""
        import math

        if self.serving <= 0:
            return range(0)
        lo = math.ceil(self.lo * self.serving - 1e-9)
        hi = math.floor(self.hi * self.serving + 1e-9)
        if lo <= hi:
            return range(lo, hi + 1)
        return range(max(1, lo), max(1, lo) + 1)

    @property
    def rounded(self) -> bool:
        """True when the group is too small for the band and the nearest whole number is allowed."""
        s = self.sizes
        return bool(s) and not (self.lo - 1e-9 <= s[0] / self.serving <= self.hi + 1e-9)

    @property
    def ok(self) -> bool:
        """True when the plan's size is an allowed one (``sizes``)."""
        return self.serving > 0 and self.planned in self.sizes

    def message(self) -> str | None:
        """A Chinese warning when the plan's size is not an allowed one, else None."""
        if self.serving <= 0:
            return "该代表组本年没有在任代表。" if self.planned else None
        if self.ok:
            return None
        allowed = "、".join(str(k) for k in self.sizes)
        why = (f"（本组人数较少，{_pct(self.lo)}–{_pct(self.hi)} 之间没有整数人数，应安排 {allowed} 人）" if self.rounded
               else f"（即 {allowed} 人）")
        return (f"当面述职 {self.planned} 人，占在任代表 {self.serving} 人的 {_pct(self.share)}，"
                f"不在规定的 {_pct(self.lo)}–{_pct(self.hi)} 之间{why}（可保存，请说明理由）。")


def _pct(x: float | None) -> str:
    """A share as 28.6% ('—' when undefined)."""
    return "—" if x is None else f"{x * 100:.1f}%"


def share_band(session: Session) -> tuple[float, float]:
    """The allowed face-to-face share (setting report_share)."""
    s = settings.get(session, "report_share")
    return float(s["min"]), float(s["max"])


def report_share(planned: int, serving: int, band: tuple[float, float]) -> ShareCheck:
    """R6: the face-to-face share of a group's plan against the band (the one share check)."""
    return ShareCheck(int(planned), int(serving), float(band[0]), float(band[1]))


def literal_day(day: date):  # noqa: ANN201
    """A date literal usable in a UNION ALL on every backend."""
    from sqlalchemy import Date

    return literal(day, Date)
