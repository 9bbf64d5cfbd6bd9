"""述职管理 services on SQLite, PostgreSQL and MariaDB: plans (R6), meetings and grading (R10),
written reports (R7), publication (R9), rectification, hearings (R16), the year at a glance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import clock
from services import reports as svc
from services.common import PermissionDenied, ValidationError

YEAR = 2026  # year 3 of the world's term
LAST = YEAR - 1  # year 2 of the term: every date in it is in the past
BANDS = [{"min": 0.8, "grade": "称职"}, {"min": 0.5, "grade": "基本称职"}, {"min": 0.0, "grade": "不称职"}]


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _plan(w, ids, year=YEAR, actor=None):
    """Save a plan of group 0 with the given deputies; return the service's answer."""
    with session_scope("t", url=w.url) as s:
        return svc.save_plan(s, actor or w.staff(), w.groups[0], year,
                             [{"deputy_id": i, "planned_on": date(year, 3, 1), "venue": "社区活动室",
                               "content": "年度履职情况"} for i in ids])


def _meeting(w, deputy, held, **over):
    """Record a meeting with 20 voters and 15/3/2 votes unless overridden."""
    data = {"deputy_id": deputy, "held_on": held, "year": held.year, "venue": "社区活动室", "voters_present": 20,
            "questions_asked": 5, "questions_answered": 4, "satisfied": 15, "basically_satisfied": 3,
            "unsatisfied": 2}
    opinions = over.pop("opinions", None)
    data.update(over)
    with session_scope("t", url=w.url) as s:
        return svc.save_meeting(s, w.staff(), data, opinions)


def _count(w, cls) -> int:
    with session_scope(url=w.url) as s:
        return s.execute(select(func.count()).select_from(cls)).scalar_one()


# ---------------------------------------------------------------- R6 plan


def test_two_of_seven_is_within_share_one_is_warned(world):
    w = world
    res = _plan(w, w.deputies[:2])
    assert res["warning"] is None
    with session_scope(url=w.url) as s:
        d = svc.plan_detail(s, w.staff(), w.groups[0], YEAR)
    assert len(d["serving"]) == 7 and round(d["share"] * 100, 1) == 28.6
    res = _plan(w, w.deputies[:1])  # saved anyway, with a warning
    assert res["warning"] and "14.3%" in res["warning"]
    with session_scope(url=w.url) as s:
        assert [i["deputy_id"] for i in svc.plan_detail(s, w.staff(), w.groups[0], YEAR)["items"]] == [w.deputies[0]]


def test_plan_refused_in_first_year_of_term(world):
    w = world
    with pytest.raises(ValidationError) as exc:
        _plan(w, w.deputies[:2], year=YEAR - 2)
    assert "第一年" in exc.value.errors["year"]
    with session_scope(url=w.url) as s, pytest.raises(ValidationError):
        svc.propose_plan(s, w.staff(), w.groups[0], YEAR - 2)
    assert _count(w, models.ReportPlan) == 0


def test_plan_refuses_deputy_of_other_group_and_date_outside_year(world):
    w = world
    with pytest.raises(ValidationError) as exc:
        _plan(w, [w.deputies[0], w.deputies[7]])  # deputies[7] is in group 1
    assert "不是" in exc.value.errors["items"]
    with session_scope("t", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.save_plan(s, w.staff(), w.groups[0], YEAR, [{"deputy_id": w.deputies[0], "planned_on": date(YEAR + 1, 1, 2)}])
    assert "年内" in exc.value.errors["items"]
    assert _count(w, models.ReportPlan) == 0


def test_rotation_prefers_deputies_not_yet_reported(world):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    for d in w.deputies[:2]:
        _meeting(w, d, date(LAST, 5, 10))
    with session_scope(url=w.url) as s:
        p = svc.propose_plan(s, w.staff(), w.groups[0], YEAR)
    # 7 serving, 2 reported last year: 5 left over 3 years (this year to the term's last) -> 2 a year
    assert (p["serving"], p["left"], p["years_left"], p["needed"], p["suggested"]) == (7, 5, 3, 2, 2)
    assert not set(p["deputy_ids"]) & set(w.deputies[:2])
    assert len(p["deputy_ids"]) == 2 and set(p["deputy_ids"]) <= set(w.deputies[2:7])
    assert "尚未当面述职 5 人" in p["text"]


def test_lock_records_who_and_later_changes_are_logged(world):
    w = world
    _plan(w, w.deputies[:2])
    with session_scope("staff", url=w.url) as s:
        svc.lock_plan(s, w.staff(), w.groups[0], YEAR)
    with session_scope(url=w.url) as s:
        d = svc.plan_detail(s, w.staff(), w.groups[0], YEAR)
        before = s.execute(select(func.count()).select_from(models.AuditLog)
                           .where(models.AuditLog.entity == "ReportPlanItem")).scalar_one()
    assert d["locked"] and d["locked_by"] == "王工作" and d["locked_at"] is not None
    _plan(w, [w.deputies[0], w.deputies[2]])  # allowed after lock
    with session_scope(url=w.url) as s:
        after = s.execute(select(func.count()).select_from(models.AuditLog)
                          .where(models.AuditLog.entity == "ReportPlanItem")).scalar_one()
        with pytest.raises(ValidationError):
            svc.lock_plan(s, w.staff(), w.groups[0], YEAR)
    assert after >= before + 2  # one removed, one added


def test_staff_cannot_plan_outside_scope_and_leader_cannot_write(world):
    w = world
    with session_scope("t", url=w.url) as s, pytest.raises(PermissionDenied):
        svc.save_plan(s, w.staff(), w.groups[2], YEAR, [])
    with pytest.raises(PermissionDenied):
        _plan(w, w.deputies[:2], actor=w.leader())


# ---------------------------------------------------------------- meetings and grading


@pytest.mark.parametrize("votes,rate,grade", [
    ((8, 0, 2), 0.8, "称职"),          # exactly 80%
    ((6, 2, 2), 0.8, "称职"),          # 基本满意 counts toward the rate
    ((79, 0, 21), 0.79, "基本称职"),
    ((5, 0, 5), 0.5, "基本称职"),      # exactly 50%
    ((49, 0, 51), 0.49, "不称职"),
    ((0, 0, 0), None, ""),
])
def test_satisfaction_grade_edges(votes, rate, grade):
    got_rate, got_grade = svc.grade_of(*votes, BANDS)
    assert got_grade == grade
    assert (got_rate is None) if rate is None else abs(got_rate - rate) < 1e-9


def test_meeting_records_evaluation_and_opinions(world):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    rid = _meeting(w, w.deputies[0], date(LAST, 5, 10), opinions=[
        {"content": "小区停车难", "category": "城乡建设", "is_livelihood": True, "forwarded_to": "街道办事处"}])
    with session_scope(url=w.url) as s:
        page = svc.list_meetings(s, w.staff(), {"year": LAST})
        ops = s.execute(select(models.Opinion).where(models.Opinion.report_id == rid)).scalars().all()
    row = page.rows[0]
    assert row["满意率"] == "90.0%" and row["评定"] == "称职" and row["意见（条）"] == 1
    assert [(o.source, o.deputy_id, o.status) for o in ops] == [("述职", w.deputies[0], "已转交")]


@pytest.mark.parametrize("deputy_idx,held,over,field", [
    (0, date(LAST, 5, 10), {"satisfied": 19, "basically_satisfied": 1, "unsatisfied": 1}, "satisfied"),
    (0, date(LAST - 1, 12, 30), {"year": LAST}, "held_on"),  # before the plan's year
    (2, date(LAST, 5, 10), {}, "held_on"),  # not in the plan
    (0, date(LAST, 5, 10), {"questions_asked": 2, "questions_answered": 3}, "questions_answered"),
    (0, date(LAST, 5, 10), {"opinions": [{"content": "", "category": "城乡建设"}]}, "opinions"),
])
def test_bad_meeting_is_refused_with_nothing_written(world, deputy_idx, held, over, field):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    with pytest.raises(ValidationError) as exc:
        _meeting(w, w.deputies[deputy_idx], held, **over)
    assert field in exc.value.errors
    assert _count(w, models.Report) == 0 and _count(w, models.Opinion) == 0


def test_second_meeting_same_year_refused_and_planned_meeting_cannot_leave_plan(world):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    _meeting(w, w.deputies[0], date(LAST, 5, 10))
    with pytest.raises(ValidationError) as exc:
        _meeting(w, w.deputies[0], date(LAST, 6, 10))
    assert "已登记" in exc.value.errors["deputy_id"]
    with pytest.raises(ValidationError) as exc:
        _plan(w, w.deputies[1:3], year=LAST)
    assert "不能移出" in exc.value.errors["items"]


# ---------------------------------------------------------------- R7 written reports


def _written(w, f):
    with session_scope(url=w.url) as s:
        return svc.written_status(s, w.staff(), {"year": LAST, "group": w.groups[0], **f}, 0, 100)


def test_owed_written_reports_exclude_planned_left_and_late_joiners(world):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    with session_scope("t", url=w.url) as s:
        left = s.get(models.Deputy, w.deputies[2])
        left.status, left.left_on = "辞职", date(LAST, 6, 15)  # left mid-year: owes nothing
        late = s.get(models.Deputy, w.deputies[3])
        late.joined_on = date(LAST, 9, 1)  # joined after 30 June: owes nothing that year
        early = s.get(models.Deputy, w.deputies[4])
        early.joined_on = date(LAST, 3, 1)  # joined early in the year: owes one
    names = {r["代表"] for r in _written(w, {}).rows}
    ids = {r["deputy_id"] for r in _written(w, {}).rows}
    assert ids == {w.deputies[4], w.deputies[5], w.deputies[6]}, names
    with session_scope(url=w.url) as s:
        assert not svc.owes_written(s, w.deputies[2], LAST)
        assert svc.owes_written(s, w.deputies[2], LAST - 1)  # served all of the year before
        assert len(svc.plan_detail(s, w.staff(), w.groups[0], LAST)["serving"]) == 6


def test_written_report_review_and_filing(world):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    d = w.deputies[5]
    assert len(_written(w, {"view": "missing"}).rows) == 5
    with session_scope("t", url=w.url) as s:
        svc.save_written(s, w.staff(), d, LAST, {"received_on": date(LAST, 11, 1)})
    assert len(_written(w, {"view": "missing"}).rows) == 4
    assert [r["代表"] for r in _written(w, {"view": "unreviewed"}).rows] == ["杨帆"]
    with session_scope("t", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.save_written(s, w.staff(), d, LAST, {"received_on": date(LAST, 11, 1), "filed_on": date(LAST, 12, 1)})
    assert "审查通过后" in exc.value.errors["filed_on"]
    row = _written(w, {}).rows
    version = next(r["version"] for r in row if r["deputy_id"] == d)
    with session_scope("t", url=w.url) as s:
        svc.save_written(s, w.staff(), d, LAST, {"received_on": date(LAST, 11, 1), "review_result": "通过",
                                                 "reviewer": "陈联络", "reviewed_on": date(LAST, 11, 5)}, version)
    assert [r["代表"] for r in _written(w, {"view": "unfiled"}).rows] == ["杨帆"]
    with session_scope("t", url=w.url) as s, pytest.raises(ValidationError) as exc:  # planned deputy
        svc.save_written(s, w.staff(), w.deputies[0], LAST, {"received_on": date(LAST, 11, 1)})
    assert "无需" in exc.value.errors["deputy_id"]


# ---------------------------------------------------------------- R9, R10, R16, overview, figures


def test_publication_rectification_hearing_and_overview(world):
    w = world
    _plan(w, w.deputies[:2], year=LAST)
    rid = _meeting(w, w.deputies[0], date(LAST, 5, 10))
    with session_scope(url=w.url) as s:
        assert [r["id"] for r in svc.unpublished(s, w.staff(), {"year": LAST}).rows] == [rid]
    with session_scope("t", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.set_publication(s, w.staff(), rid, date(LAST, 5, 1), "第12期")
    assert "不能早于" in exc.value.errors["published_on"]
    with session_scope("t", url=w.url) as s:
        svc.set_publication(s, w.staff(), rid, date(LAST, 6, 1), "第12期")
        x = svc.add_rectification(s, w.staff(), rid, {"content": "加强走访", "owner": "张伟",
                                                      "due_on": clock.today() - timedelta(days=1)})
    with session_scope(url=w.url) as s:
        assert svc.unpublished(s, w.staff(), {"year": LAST}).total == 0
        assert [r["状态"] for r in svc.list_rectifications(s, w.staff(), {"overdue": True}).rows] == ["已逾期"]
        row = next(r for r in svc.overview(s, w.staff(), LAST) if r["group_id"] == w.groups[0])
        figs = {f.rule: f for f in svc.figures(s, w.staff(), LAST)}
    assert row["在任代表（人）"] == 7 and row["计划当面述职（人）"] == 2 and row["计划比例"] == "28.6%"
    assert row["已当面述职（人）"] == 1 and row["书面应交（人）"] == 5 and row["已刊登（篇）"] == 1
    assert row["满意率"] == "90.0%" and row["未完成整改（项）"] == 1 and row["逾期整改（项）"] == 1
    assert figs["R6"].value == 1  # group 1 has no plan (group 2 is outside the staff's office)
    assert figs["R7"].value == 5 + 3 and figs["R10"].value == "1（1）" and figs["R16"].value == 2
    with session_scope("t", url=w.url) as s:
        svc.update_rectification(s, w.staff(), x, {"status": "已完成", "announced_on": clock.today()})
        with pytest.raises(PermissionDenied):
            svc.add_hearing(s, w.staff(), {"group_id": w.groups[0], "held_on": date(LAST, 7, 1), "heard_by": "x"})
        svc.add_hearing(s, w.supervisor(), {"group_id": w.groups[0], "held_on": date(LAST, 7, 1),
                                            "heard_by": "代表工委 李督查", "points": "加强联系"})
    with session_scope(url=w.url) as s:
        assert svc.groups_not_heard(s, w.supervisor(), LAST).total == 2
        assert svc.list_hearings(s, w.leader(), {"year": LAST}).rows[0]["代表组"] == "东城第一代表组"
        figs = {f.rule: f for f in svc.figures(s, w.staff(), LAST)}
    assert figs["R10"].value == "0（0）" and figs["R16"].value == 1


def _every_page(fetch, f: dict, size: int = 2) -> list[dict]:
    """All rows of a paged list, page by page (``size`` rows a page)."""
    rows, off = [], 0
    while True:
        page = fetch(f, off, size)
        rows += page.rows
        off += size
        if off >= page.total:
            return rows


def test_meetings_rectifications_and_hearings_sort_the_whole_list_before_paging(world):
    """Issue 17: each 排序 choice of the 述职 lists orders the whole result in SQL, then pages it
    (two rows a page here), on every database."""
    w = world
    ids = w.deputies[:4]
    _plan(w, ids, year=LAST)
    votes = [(18, 1, 1), (5, 5, 10), (10, 5, 5), (0, 0, 0)]  # rates 95 %, 50 %, 75 %, not evaluated
    reps = [_meeting(w, d, date(LAST, 3 + i, 10), satisfied=a, basically_satisfied=b, unsatisfied=c)
            for i, (d, (a, b, c)) in enumerate(zip(ids, votes, strict=True))]
    with session_scope("t", url=w.url) as s:
        for i, rid in enumerate(reps[:3]):
            svc.add_rectification(s, w.staff(), rid, {"content": f"整改{i}", "owner": "张伟",
                                                      "due_on": date(LAST, 12, 20 - 5 * i)})
        closed = svc.list_rectifications(s, w.staff(), {"year": LAST}).rows[-1]["id"]
        svc.update_rectification(s, w.staff(), closed, {"status": "已完成", "announced_on": date(LAST, 12, 1)})
        for m in (9, 3, 6):
            svc.add_hearing(s, w.supervisor(), {"group_id": w.groups[0], "held_on": date(LAST, m, 1), "heard_by": "代表工委"})

    def meetings(f, off, size):
        with session_scope(url=w.url) as s:
            return svc.list_meetings(s, w.staff(), {"year": LAST, **f}, off, size)

    assert [r["id"] for r in _every_page(meetings, {})] == list(reversed(reps))  # newest first
    assert [r["id"] for r in _every_page(meetings, {"sort": "date_asc"})] == reps
    assert [r["满意率"] for r in _every_page(meetings, {"sort": "rate_asc"})][:3] == ["50.0%", "75.0%", "95.0%"]
    assert _every_page(meetings, {"sort": "rate_asc"})[-1]["id"] == reps[3]  # not evaluated: last

    def rects(f, off, size):
        with session_scope(url=w.url) as s:
            return svc.list_rectifications(s, w.staff(), {"year": LAST, **f}, off, size)

    first = _every_page(rects, {})
    assert [r["状态"] for r in first][-1] == "已完成"  # open items first, nearest deadline first
    due = [r["整改期限"] for r in _every_page(rects, {"sort": "due"})]
    assert due == sorted(due) and len(due) == 3

    def hearings(f, off, size):
        with session_scope(url=w.url) as s:
            return svc.list_hearings(s, w.staff(), {"year": LAST, **f}, off, size)

    assert [r["听取日期"].month for r in _every_page(hearings, {})] == [9, 6, 3]
    assert [r["听取日期"].month for r in _every_page(hearings, {"sort": "date_asc"})] == [3, 6, 9]
