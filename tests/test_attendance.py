"""services.attendance on SQLite, PostgreSQL and MariaDB: events, one-table attendance saves, rates per
deputy/year/kind, unexcused absences, scope, publicity work and figures checked against SQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text

from db import models
from db.engine import session_scope
from services import attendance as svc
from services.common import PermissionDenied, ValidationError

YEAR = 2026


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _event(w, kind="人代会", day=(1, 8), ids=None, actor=None, year=YEAR) -> int:
    """Create an event inviting ``ids`` (deputy indexes) or everyone in the actor's scope."""
    actor = actor or w.admin()
    data = {"kind": kind, "title": f"{kind}{day}", "held_on": date(year, *day),
            "session_no": 1 if kind == "人代会" else None}
    if ids is None:
        data["all_serving"] = True
    else:
        data["deputy_ids"] = [w.deputies[i] for i in ids]
    with session_scope(actor.username, url=w.url) as s:
        return svc.create_event(s, actor, data)


def _mark(w, eid, marks, actor=None):
    """Save {deputy index: status} for an event."""
    actor = actor or w.admin()
    with session_scope(actor.username, url=w.url) as s:
        return svc.save_attendance(s, actor, eid, {w.deputies[i]: st for i, st in marks.items()})


def test_event_invites_everyone_as_present_then_exceptions(world):
    w = world
    eid = _event(w)
    with session_scope(url=w.url) as s:
        sheet = svc.event_sheet(s, w.admin(), eid)
    assert len(sheet) == 12 and {r["出席情况"] for r in sheet} == {"出席"}
    counts = _mark(w, eid, {0: "缺席", 1: "请假", 2: svc.NOT_INVITED})
    assert counts == {"出席": 0, "请假": 1, "缺席": 1}
    with session_scope(url=w.url) as s:
        got = dict(s.execute(select(models.Attendance.status, func.count()).where(models.Attendance.event_id == eid)
                             .group_by(models.Attendance.status)).all())
        assert got == {"出席": 9, "请假": 1, "缺席": 1}  # one removed from the list
        ev = svc.list_events(s, w.admin(), {"year": YEAR}).rows[0]
        assert (ev["应出席（人）"], ev["出席（人）"], ev["请假（人）"], ev["缺席（人）"]) == (11, 9, 1, 1)


def test_one_save_is_all_or_nothing(world):
    w = world
    eid = _event(w, "视察", ids=[0, 1])
    with pytest.raises(ValidationError):
        _mark(w, eid, {0: "缺席", 1: "迟到"})
    with pytest.raises(ValidationError):  # a deputy of the other office, by the staff user
        _mark(w, eid, {0: "缺席", 11: "出席"}, actor=w.staff())
    with session_scope(url=w.url) as s:
        assert set(s.execute(select(models.Attendance.status).where(models.Attendance.event_id == eid)).scalars()) == {"出席"}


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "开会"}, "kind"),
    ({"title": ""}, "title"),
    ({"held_on": "2026-13-40"}, "held_on"),
    ({"session_no": None}, "session_no"),
    ({"all_serving": False, "deputy_ids": []}, "deputy_ids"),
])
def test_event_form_errors(world, data, field):
    w = world
    base = {"kind": "人代会", "title": "一次会议", "held_on": date(YEAR, 1, 8), "session_no": 1, "all_serving": True}
    with session_scope("admin", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.create_event(s, w.admin(), {**base, **data})
    assert field in exc.value.errors
    with session_scope(url=w.url) as s:
        assert s.execute(select(func.count()).select_from(models.CongressEvent)).scalar_one() == 0


def test_rates_per_deputy_year_and_kind(world):
    w = world
    e1 = _event(w, "人代会", (1, 8), ids=[0, 1, 2])
    e2 = _event(w, "视察", (3, 8), ids=[0, 1])
    e3 = _event(w, "调研", (4, 8), ids=[0])
    _event(w, "人代会", (1, 8), ids=[0], year=YEAR - 1)  # last year: not counted
    _mark(w, e1, {1: "请假"})
    _mark(w, e2, {0: "缺席", 1: "缺席"})
    _mark(w, e3, {0: "出席"})
    with session_scope(url=w.url) as s:
        page = svc.rates(s, w.admin(), {"year": YEAR})
        by = {r["代表"]: r for r in page.rows}
        assert (by["张伟"]["应出席（次）"], by["张伟"]["出席（次）"], by["张伟"]["缺席（次）"], by["张伟"]["出席率"]) == (3, 2, 1, "66.7%")
        assert (by["王芳"]["出席（次）"], by["王芳"]["请假（次）"], by["王芳"]["出席率"]) == (0, 1, "0.0%")
        assert by["李娜"]["出席率"] == "100.0%"
        assert page.rows[0]["代表"] == "王芳"  # lowest rate first
        assert page.sums["总出席率"] == "50.0%"  # 3 of 6
        kinds = {r["类型"]: r for r in svc.rates_by_kind(s, w.admin(), YEAR)}
        assert list(kinds) == ["人代会", "视察", "调研"]
        assert (kinds["人代会"]["应出席（人次）"], kinds["人代会"]["出席率"]) == (3, "66.7%")
        assert kinds["视察"]["出席率"] == "0.0%"
        only = {r["代表"] for r in svc.rates(s, w.admin(), {"year": YEAR, "kind": "调研"}).rows}
        assert only == {"张伟"}
        assert svc.deputy_record(s, w.deputies[0], YEAR)["rate"] == "66.7%"
        # direct SQL: 张伟's rate this year
        n, p = s.execute(text(
            "SELECT COUNT(*), SUM(CASE WHEN a.status = '出席' THEN 1 ELSE 0 END) FROM attendance a "
            "JOIN congress_events e ON e.id = a.event_id WHERE a.deputy_id = :d AND e.held_on BETWEEN :lo AND :hi"),
            {"d": w.deputies[0], "lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).one()
        assert f"{int(p) / int(n):.1%}" == by["张伟"]["出席率"]


def test_absences_and_scope(world):
    w = world
    eid = _event(w, "执法检查", ids=[0, 5, 11])
    _mark(w, eid, {0: "缺席", 11: "缺席"})
    with session_scope(url=w.url) as s:
        assert {r["代表"] for r in svc.absences(s, w.admin(), {"year": YEAR}).rows} == {"张伟", "孙强"}
        staff_rows = svc.absences(s, w.staff(), {"year": YEAR}).rows
        assert [r["代表"] for r in staff_rows] == ["张伟"]
        assert {r["代表"] for r in svc.event_sheet(s, w.staff(), eid)} == {"张伟", "杨帆"}
        assert svc.absences(s, w.admin(), {"year": YEAR, "kind": "视察"}).total == 0
    with session_scope("staff", url=w.url) as s, pytest.raises(PermissionDenied):
        svc.delete_event(s, w.staff(), eid)
    with session_scope("leader", url=w.url) as s, pytest.raises(PermissionDenied):
        svc.save_attendance(s, w.leader(), eid, {})


def test_publicity_work(world):
    w = world
    with session_scope("staff", url=w.url) as s:
        wid = svc.create_publicity(s, w.staff(), {"kind": "普法", "title": "民法典进社区", "held_on": date(YEAR, 1, 9),
                                                  "audience": 80, "deputy_ids": [w.deputies[0], w.deputies[1]],
                                                  "summary": "讲解民法典"})
        with pytest.raises(ValidationError) as exc:
            svc.create_publicity(s, w.staff(), {"kind": "讲座", "title": "", "held_on": date(YEAR, 1, 9),
                                                "audience": -1, "deputy_ids": [w.deputies[11]]})
        assert set(exc.value.errors) == {"kind", "title", "audience", "deputy_ids"}
    with session_scope("admin", url=w.url) as s:
        svc.create_publicity(s, w.admin(), {"kind": "宣传", "title": "宣讲全会精神", "held_on": date(YEAR, 1, 10),
                                            "audience": 50, "deputy_ids": [w.deputies[11]]})
    with session_scope(url=w.url) as s:
        staff = svc.list_publicity(s, w.staff(), {"year": YEAR})
        assert [r["主题"] for r in staff.rows] == ["民法典进社区"]
        assert staff.rows[0]["参加代表"] == ["张伟", "王芳"] or sorted(staff.rows[0]["参加代表"]) == ["张伟", "王芳"]
        assert staff.sums == {"活动": "1 次", "受众": "80 人"}
        assert svc.list_publicity(s, w.admin(), {"year": YEAR}).total == 2
        assert svc.list_publicity(s, w.admin(), {"kind": "普法"}).total == 1
        assert [r["名称"] for r in svc.deputy_record(s, w.deputies[0])["publicity"]] == ["民法典进社区"]
    with session_scope("staff", url=w.url) as s:
        svc.delete_publicity(s, w.staff(), wid)
    with session_scope(url=w.url) as s:
        assert s.execute(select(func.count()).select_from(models.PublicityDeputy)).scalar_one() == 1


def test_figures_match_direct_sql(world):
    w = world
    e1 = _event(w, "人代会")
    e2 = _event(w, "视察", (2, 1), ids=[0, 1, 11])
    _mark(w, e1, {0: "缺席", 3: "缺席", 11: "缺席", 4: "请假"})
    _mark(w, e2, {0: "缺席"})
    with session_scope("admin", url=w.url) as s:
        svc.create_publicity(s, w.admin(), {"kind": "法制调研", "title": "调研", "held_on": date(YEAR, 1, 9),
                                            "deputy_ids": [w.deputies[0]]})
    with session_scope(url=w.url) as s:
        for actor, office in ((w.staff(), w.offices[0]), (w.admin(), 0)):
            figs = {f.params["view"]: f.value for f in svc.figures(s, actor, YEAR)}
            direct = s.execute(text(
                "SELECT COUNT(*) FROM attendance a JOIN congress_events e ON e.id = a.event_id "
                "JOIN deputies d ON d.id = a.deputy_id JOIN deputy_groups g ON g.id = d.group_id "
                "WHERE a.status = '缺席' AND e.held_on BETWEEN :lo AND :hi AND (:o = 0 OR g.office_id = :o)"),
                {"o": office, "lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).scalar_one()
            assert figs["absent"] == direct
            assert figs["publicity"] == 1
        assert svc.figures(s, w.staff(), YEAR)[0].value == 3


def test_scoped_staff_sees_only_events_of_their_deputies(world):
    w = world
    mine = _event(w, "视察", (2, 2), ids=[0])
    theirs = _event(w, "代表小组活动", (2, 3), ids=[11])
    with session_scope(url=w.url) as s:
        assert [r["id"] for r in svc.list_events(s, w.staff(), {"year": YEAR}).rows] == [mine]
        assert set(svc.event_options(s, YEAR, w.staff())) == {mine}
        assert set(svc.event_options(s, YEAR)) == {mine, theirs}
        assert svc.list_events(s, w.admin(), {"year": YEAR}).total == 2


def test_every_page_of_the_event_list_counts_its_own_events(world):
    """For roles that see every event the list pages the events first and then counts the
    attendance of that page's events only: each page, one event at a time, shows the same events and
    counts as the whole list, with the year, kind and name filters, and an event nobody was invited to."""
    w = world
    a = _event(w, "人代会", (1, 8))
    b = _event(w, "视察", (2, 3), ids=[0, 1, 2])
    c = _event(w, "调研", (3, 4), ids=[3])
    _event(w, "调研", (7, 1), ids=[4, 5])  # still to come on 2026-06-15: invited, not yet attended
    _event(w, "视察", (5, 5), ids=[0], year=YEAR - 1)
    _mark(w, a, {0: "缺席", 1: "请假"})
    _mark(w, b, {2: "缺席"})
    _mark(w, c, {3: svc.NOT_INVITED})  # nobody left on c
    for f in ({"year": YEAR}, {"year": YEAR, "kind": "调研"}, {"year": YEAR, "q": "视察"}, {"year": YEAR - 1}, {}):
        with session_scope(url=w.url) as s:
            whole = svc.list_events(s, w.admin(), f, 0, 100)
            pages = [svc.list_events(s, w.leader(), f, i, 1) for i in range(whole.total)]
        assert [p.rows[0] for p in pages] == whole.rows and {p.total for p in pages} <= {whole.total}, f
    with session_scope(url=w.url) as s:
        rows = {r["id"]: r for r in svc.list_events(s, w.admin(), {"year": YEAR}, 0, 100).rows}
    assert [rows[b][k] for k in ("应出席（人）", "出席（人）", "请假（人）", "缺席（人）")] == [3, 2, 0, 1]
    assert rows[c]["应出席（人）"] == 0 and rows[a]["缺席（人）"] == 1
