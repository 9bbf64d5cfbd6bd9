"""The small example the scoring, selection and performance-file tests share, on pinned dates.

The example year is 2025 and it is looked at on 2026-01-10 (a past year: every fact of it counts,
up to 31 December), whatever day the suite runs on (TEST_TODAY included). Tests about the current
year move the clock themselves (``travel``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from db import models as M
from db.engine import session_scope
from db.migrate import upgrade
from services import scoring
from tests.conftest import District, build_world

YEAR = 2025
AFTER = "2026-01-10"  # the day the leader looks at 2025 and confirms its lists


def make_world(db_url: str, travel) -> District:  # noqa: ANN001
    """The small district of 2025 (term 2023–2027), with the clock on AFTER."""
    travel(AFTER)
    return build_world(db_url, YEAR)


def make_app_world(tmp_path: Path, monkeypatch, travel) -> District:  # noqa: ANN001
    """The same district in the SQLite file app.py uses (for AppTest), clock on AFTER."""
    travel(AFTER)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    return build_world(url, YEAR)


def fraction(first: date, last: date | None = None, year: int = YEAR) -> float:
    """Days served ÷ days in the year, exact (the formula of services.deputies.served_in)."""
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    return ((min(last or hi, hi) - max(first, lo)).days + 1) / ((hi - lo).days + 1)


def activity(s, world: District, day: date, deputies: list[int], kind: str = "问需", group: int = 0) -> M.Activity:  # noqa: ANN001
    """A contact activity in the district of group ``group`` with its deputies."""
    a = M.Activity(held_on=day, place=f"社区{day:%m%d}", district_id=world.districts[group], group_id=world.groups[group],
                   office_id=world.offices[0] if group < 2 else world.offices[1], organiser="代表个人", kind=kind,
                   targets=["一般选民"], mode="走访慰问", voters_reached=10, summary="走访选民", has_signin=True)
    s.add(a)
    s.flush()
    for d in deputies:
        s.add(M.ActivityDeputy(activity_id=a.id, deputy_id=d))
    s.flush()
    return a


def event(s, world: District, day: date, kind: str, attend: dict[int, str]) -> M.CongressEvent:  # noqa: ANN001
    """A congress event or other activity with attendance statuses per deputy."""
    e = M.CongressEvent(kind=kind, title=f"{kind}{day:%m%d}", held_on=day, term_id=world.term)
    s.add(e)
    s.flush()
    for d, status in attend.items():
        s.add(M.Attendance(event_id=e.id, deputy_id=d, status=status))
    s.flush()
    return e


def proposal(s, world: District, kind: str, lead: int, cosigners: list[int], day: date) -> M.Proposal:  # noqa: ANN001
    """A 议案 or 建议 with its lead (also listed as signer, as the demo does) and co-signers."""
    p = M.Proposal(kind=kind, term_id=world.term, title=f"关于某事的{kind}{lead}{day:%m%d}",
                   lead_deputy_id=lead, submitted_on=day)
    s.add(p)
    s.flush()
    s.add(M.ProposalSigner(proposal_id=p.id, deputy_id=lead, is_lead=True))
    for c in cosigners:
        s.add(M.ProposalSigner(proposal_id=p.id, deputy_id=c, is_lead=False))
    s.flush()
    return p


def build_example(world: District, year: int = YEAR) -> dict:
    """Deputies A, B, C of the hand-computed example (tests/test_scoring.py,
    test_hand_computed_three_deputies), in ``year``."""
    a, b, c = world.deputies[:3]
    with session_scope("test", url=world.url) as s:
        rid = scoring.ensure_default_rubric(s)
        # C joined on 2 July
        s.get(M.Deputy, c).joined_on = date(year, 7, 2)
        # A: 3 activities (one shared with B; one failed a spot check), 3 congress sessions,
        # 2 议案 led, co-signs B's 建议, one opinion forwarded and resolved
        activity(s, world, date(year, 2, 3), [a, b])
        activity(s, world, date(year, 3, 3), [a])
        failed = activity(s, world, date(year, 4, 3), [a])
        check = M.SpotCheck(created_by="supervisor", period_start=date(year, 1, 1), period_end=date(year, 6, 30),
                            rule={}, witness_value="w", seed="s", fingerprint="f", sample=[])
        s.add(check)
        s.flush()
        s.add(M.SpotCheckItem(check_id=check.id, group_id=world.groups[0], record_kind="联系活动",
                              record_id=failed.id, result="不合格"))
        for m in (1, 3, 5):
            event(s, world, date(year, m, 10), "人代会", {a: "出席", b: "出席" if m != 5 else "缺席"})
        proposal(s, world, "议案", a, [], date(year, 1, 11))
        proposal(s, world, "议案", a, [], date(year, 1, 12))
        proposal(s, world, "建议", b, [a], date(year, 1, 13))
        s.add(M.Opinion(source="活动", deputy_id=a, district_id=world.districts[0], group_id=world.groups[0],
                        raised_on=date(year, 3, 3), content="路灯不亮", category="城乡建设", status="已解决", outcome="A 已解决",
                        forwarded_to="街道办", resolved_on=date(year, 4, 1)))
        # B: one letter fed back with the writer satisfied
        s.add(M.Letter(code=f"L{year}001", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                       group_id=world.groups[0], office_id=world.offices[0], received_on=date(year, 2, 1),
                       summary="噪音扰民", category="其他", deputy_id=b, status="已反馈", outcome="A 已解决", forwarded_to="区城管局",
                       satisfaction="满意"))
        # C (from July): one 问计 activity, three 宣传 works, one congress session
        activity(s, world, date(year, 8, 5), [c], kind="问计")
        for month in (8, 9, 10):
            w = M.PublicityWork(kind="宣传", title=f"宣传{month}", held_on=date(year, month, 1), audience=30)
            s.add(w)
            s.flush()
            s.add(M.PublicityDeputy(work_id=w.id, deputy_id=c))
        event(s, world, date(year, 9, 10), "人代会", {c: "出席"})
    return {"rubric": rid, "a": a, "b": b, "c": c}


def rows_of(s, rubric_id: int) -> list[dict]:  # noqa: ANN001
    """Editor rows of a rubric (keys as save_draft takes them)."""
    return [{k: r[k] for k in ("focus", "fact", "points", "cap", "cap_group", "condition", "kinds", "reason")}
            for r in scoring.load_rubric(s, rubric_id).rows]
