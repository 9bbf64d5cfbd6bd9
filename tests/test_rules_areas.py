"""The rules of the areas decided once (issue 11), on SQLite, PostgreSQL and MariaDB, with the clock
pinned: who serves in a year (R1, R5, R7, the 议案建议 list, invitations) follows the dates served,
never today's status; a record voided by a spot check does not count for R1; an opinion is
credited to the deputy named in charge alone (R5); the R6 share check and the year-1 refusal are
each one function; events still to come are neither attended nor missed.

The world (tests/conftest.py): a term 2024–2028, 12 deputies serving since 2024-01-10, seven in
东城第一代表组 (group 0), three in 东城第二代表组 (group 1), two in 西城代表组 (group 2).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import activities, attendance, masterdata, opinions, proposals, reports
from services.common import ValidationError
from services.states import Finding, RecordKind

G0, G1 = "东城第一代表组", "东城第二代表组"
LIVELIHOOD = {"content": "小区路灯不亮", "category": "城乡建设", "is_livelihood": True, "forwarded_to": "街道办事处"}


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """The world is built on 2026-01-05 (early January: 2025 has just closed); tests move on."""
    travel("2026-01-05")


# ---------------------------------------------------------------- helpers


def _activity(w, day: date, who: list[int], district: int = 0, ops: list[dict] | None = None) -> int:
    """Log an activity of deputies ``who`` (indexes) in district ``district``; return its id."""
    data = {"held_on": day, "place": "社区活动室", "district_id": w.districts[district],
            "organiser": "代表个人" if len(who) == 1 else "代表组统一组织", "kind": "问需",
            "targets": ["一般选民"], "mode": "调研座谈", "deputy_ids": [w.deputies[i] for i in who],
            "voters_reached": 20, "summary": "听取意见"}
    with session_scope("admin", url=w.url) as s:
        return activities.create_activity(s, w.admin(), data, ops)


def _resign(w, i: int, on: date) -> None:
    """Deputy ``i`` resigns, effective ``on``."""
    with session_scope("admin", url=w.url) as s:
        masterdata.set_deputy_status(s, w.admin(), w.deputies[i], "辞职", on)


def _move(w, i: int, group: int, district: int, on: date) -> None:
    """Deputy ``i`` moves to group ``group`` (district ``district``) from ``on``."""
    with session_scope("admin", url=w.url) as s:
        masterdata.move_deputy(s, w.admin(), w.deputies[i], w.groups[group], w.districts[district], on)


def _r1(w, year: int) -> dict[int, tuple[str, int]]:
    """The R1 list of ``year``: {deputy id: (group, counted activities)}."""
    with session_scope(url=w.url) as s:
        return {r["id"]: (r["代表组"], r["本年活动（次）"])
                for r in activities.r1_shortfall(s, w.admin(), year, 0, 100).rows}


def _figures(w, module, year: int) -> dict[str, object]:
    """{rule: value} of an area's 工作台 figures."""
    with session_scope(url=w.url) as s:
        return {f.rule: f.value for f in module.figures(s, w.admin(), year)}


def _two_each_in_2025(w, *, skip: tuple[int, ...] = ()) -> None:
    """Two 2025 activities for every deputy but ``skip`` (by group, in the group's district)."""
    groups = {0: [0, 1, 2, 3, 4, 5, 6], 1: [7, 8, 9], 2: [10, 11]}
    for day in (date(2025, 3, 1), date(2025, 9, 1)):
        for g, members in groups.items():
            who = [i for i in members if i not in skip]
            if who:
                _activity(w, day, who, district=g)


# ---------------------------------------------------------------- R1


@pytest.mark.parametrize("today", ["2026-01-05", "2026-06-30", "2026-12-31"])
def test_r1_2025_list_is_kept_after_a_resignation_and_a_move_in_2026(world, travel, today):
    w = world
    _two_each_in_2025(w, skip=(3, 4))
    _activity(w, date(2025, 5, 1), [4])  # 陈静: one of two
    before = _r1(w, 2025)
    assert before == {w.deputies[3]: (G0, 0), w.deputies[4]: (G0, 1)}  # 刘洋 served all 2025 with none
    with session_scope(url=w.url) as s:
        groups_before = activities.r1_by_group(s, w.admin(), 2025)
    travel(today)
    _resign(w, 3, date(2026, 1, 2))
    _move(w, 4, 1, 1, date(2026, 1, 3))
    assert _r1(w, 2025) == before  # still listed, in the group of 31 December 2025
    assert _figures(w, activities, 2025)["R1"] == 2
    with session_scope(url=w.url) as s:
        assert activities.r1_by_group(s, w.admin(), 2025) == groups_before
    now = _r1(w, 2026)
    assert w.deputies[3] not in now  # left before the reference day of 2026
    assert now[w.deputies[4]][0] == G1  # 2026 counts him in his new group


def test_an_activity_voided_by_a_spot_check_no_longer_counts_for_r1(world, travel):
    w = world
    travel("2026-06-30")
    _activity(w, date(2026, 3, 1), [0])
    second = _activity(w, date(2026, 4, 1), [0])
    assert w.deputies[0] not in _r1(w, 2026)
    with session_scope("supervisor", url=w.url) as s:
        check = models.SpotCheck(created_by="supervisor", period_start=date(2026, 1, 1), period_end=date(2026, 6, 30),
                                 rule={}, witness_value="-", seed="1", fingerprint="-", sample=[])
        s.add(check)
        s.flush()
        item = models.SpotCheckItem(check_id=check.id, group_id=w.groups[0], record_kind=RecordKind.ACTIVITY,
                                    record_id=second, result=Finding.BASIC)
        s.add(item)
    assert w.deputies[0] not in _r1(w, 2026)  # 基本合格 does not void the record
    with session_scope("supervisor", url=w.url) as s:
        s.execute(select(models.SpotCheckItem)).scalar_one().result = Finding.FAIL
    assert _r1(w, 2026)[w.deputies[0]] == (G0, 1)  # 不合格: one activity left of two
    assert _figures(w, activities, 2026)["R1"] == 12


# ---------------------------------------------------------------- R5


def _resolve(w, opinion_id: int, on: date) -> None:
    """Move an opinion to 已解决 (it was forwarded when logged)."""
    with session_scope("admin", url=w.url) as s:
        opinions.transition(s, w.admin(), opinion_id, "已解决", resolved_by="区住建局", happened_on=on, outcome="A 已解决")


def _r5(w, year: int) -> dict[int, str]:
    """The R5 list of ``year``: {deputy id: group}."""
    with session_scope(url=w.url) as s:
        return {r["id"]: r["代表组"] for r in activities.r5_missing(s, w.admin(), year, 0, 100).rows}


def test_r5_credits_the_deputy_named_in_charge_alone(world, travel):
    w = world
    travel("2026-06-30")
    aid = _activity(w, date(2026, 3, 1), [0, 1], ops=[LIVELIHOOD])  # 张伟 and 王芳
    with session_scope(url=w.url) as s:
        op = s.execute(select(models.Opinion.id).where(models.Opinion.activity_id == aid)).scalar_one()
    _resolve(w, op, date(2026, 4, 1))
    listed = _r5(w, 2026)
    assert w.deputies[0] not in listed and w.deputies[1] not in listed  # nobody named: the activity's deputies
    with session_scope("admin", url=w.url) as s:
        s.get(models.Opinion, op).deputy_id = w.deputies[2]  # 李娜 named in charge
    listed = _r5(w, 2026)
    assert w.deputies[2] not in listed
    assert w.deputies[0] in listed and w.deputies[1] in listed  # A and B are no longer credited
    assert _figures(w, activities, 2026)["R5"] == len(listed) == 11


def test_r5_2025_list_is_kept_after_a_resignation_and_a_move(world, travel):
    w = world
    travel("2025-12-01")
    aid = _activity(w, date(2025, 11, 1), [5], ops=[LIVELIHOOD])  # one deputy: in charge of it
    with session_scope(url=w.url) as s:
        op = s.execute(select(models.Opinion.id).where(models.Opinion.activity_id == aid)).scalar_one()
    _resolve(w, op, date(2025, 11, 20))
    travel("2026-03-01")
    before = _r5(w, 2025)
    assert len(before) == 11 and w.deputies[5] not in before
    _resign(w, 6, date(2026, 2, 1))
    _move(w, 0, 1, 1, date(2026, 2, 15))
    assert _r5(w, 2025) == before
    assert before[w.deputies[0]] == G0 and w.deputies[6] in before


# ---------------------------------------------------------------- R6 and R7


def test_r6_figure_counts_plans_by_the_share_check_on_the_band_edges(world, travel):
    """20 % and 30 % of 10 serving deputies: plans of 2 and 3 are within the band, 1 and 4 are not."""
    w = world
    travel("2026-06-30")
    with session_scope("admin", url=w.url) as s:
        for name in ("郑一", "郑二", "郑三"):
            s.add(models.Deputy(name=name, pinyin="", group_id=w.groups[0], district_id=w.districts[0],
                                term_id=w.term, status="在任", joined_on=date(2024, 1, 10)))
    with session_scope(url=w.url) as s:
        members = list(reports.plan_detail(s, w.admin(), w.groups[0], 2026)["serving"])
    assert len(members) == 10
    for k, ok in [(1, False), (2, True), (3, True), (4, False)]:
        with session_scope("admin", url=w.url) as s:
            res = reports.save_plan(s, w.admin(), w.groups[0], 2026, [{"deputy_id": i} for i in members[:k]])
        assert (res["warning"] is None) is ok, k
        with session_scope(url=w.url) as s:
            row = next(r for r in reports.overview(s, w.admin(), 2026) if r["group_id"] == w.groups[0])
            checks = {c.group_id: c for c in reports.plan_checks(s, w.admin(), 2026)}
        assert checks[w.groups[0]].check.ok is ok and row["比例是否合规"] == ("是" if ok else "否")
        # groups 1 and 2 have made no plan: they count too
        assert _figures(w, reports, 2026)["R6"] == 2 + (not ok), k


def test_the_year_one_refusal_is_one_message_everywhere(world):
    w = world
    with session_scope(url=w.url) as s:
        message = reports.plan_year_error(s, 2024)
        assert message and "第一年" in message
        assert reports.plan_detail(s, w.admin(), w.groups[0], 2024)["year_error"] == message
        with pytest.raises(ValidationError) as exc:
            reports.propose_plan(s, w.admin(), w.groups[0], 2024)
        assert exc.value.errors["year"] == message
    with session_scope("admin", url=w.url) as s, pytest.raises(ValidationError) as exc:
        reports.save_plan(s, w.admin(), w.groups[0], 2024, [{"deputy_id": w.deputies[0]}])
    assert exc.value.errors["year"] == message
    assert "R6" not in _figures(w, reports, 2024)
    assert "R6" in _figures(w, reports, 2025)


def _owed(w, year: int) -> dict[int, str]:
    """The R7 list of ``year`` (written reports owed): {deputy id: group}."""
    with session_scope(url=w.url) as s:
        return {r["deputy_id"]: r["代表组"] for r in reports.written_status(s, w.admin(), {"year": year}, 0, 100).rows}


def test_r7_2025_list_is_kept_after_a_resignation_and_a_move_and_late_starters_owe_none(world, travel):
    w = world
    with session_scope("admin", url=w.url) as s:
        s.get(models.Deputy, w.deputies[8]).joined_on = date(2025, 7, 1)  # began after 30 June: owes none
        s.get(models.Deputy, w.deputies[9]).joined_on = date(2025, 6, 30)  # half a year: owes one
    before = _owed(w, 2025)
    assert set(before) == set(w.deputies) - {w.deputies[8]}
    travel("2026-04-01")
    _resign(w, 2, date(2026, 3, 1))
    _move(w, 1, 1, 1, date(2026, 3, 15))
    assert _owed(w, 2025) == before and before[w.deputies[1]] == G0
    with session_scope(url=w.url) as s:
        assert reports.owes_written(s, w.deputies[2], 2025)
        assert not reports.owes_written(s, w.deputies[2], 2026)  # left before the reference day
    assert _owed(w, 2026)[w.deputies[1]] == G1


# ---------------------------------------------------------------- 议案建议 and attendance


def test_deputies_without_proposals_follow_the_dates_served(world, travel):
    w = world
    with session_scope(url=w.url) as s:
        before = {r["id"]: r["代表组"] for r in proposals.deputies_without(s, w.admin(), 2025, 0, 100).rows}
    assert len(before) == 12
    travel("2026-05-01")
    _resign(w, 4, date(2026, 4, 1))
    _move(w, 5, 1, 1, date(2026, 4, 15))
    with session_scope(url=w.url) as s:
        after = {r["id"]: r["代表组"] for r in proposals.deputies_without(s, w.admin(), 2025, 0, 100).rows}
        now = {r["id"]: r["代表组"] for r in proposals.deputies_without(s, w.admin(), 2026, 0, 100).rows}
        figure = next(f.value for f in proposals.figures(s, w.admin(), 2026) if f.params.get("view") == "none")
    assert after == before
    assert w.deputies[4] not in now and now[w.deputies[5]] == G1 and figure == len(now) == 11


def test_inviting_all_serving_deputies_follows_the_event_date(world, travel):
    w = world
    travel("2026-03-10")
    _resign(w, 0, date(2026, 2, 1))
    with session_scope("admin", url=w.url) as s:
        s.get(models.Deputy, w.deputies[1]).joined_on = date(2026, 6, 1)  # by-elected: serves from June

    def invited(day: date) -> set[int]:
        with session_scope("admin", url=w.url) as s:
            eid = attendance.create_event(s, w.admin(), {"kind": "视察", "title": f"视察{day}", "held_on": day,
                                                         "all_serving": True})
        with session_scope(url=w.url) as s:
            return {r["deputy_id"] for r in attendance.event_sheet(s, w.admin(), eid)}

    assert invited(date(2026, 1, 20)) == set(w.deputies) - {w.deputies[1]}
    assert invited(date(2026, 3, 1)) == set(w.deputies) - {w.deputies[0], w.deputies[1]}
    assert invited(date(2026, 7, 1)) == set(w.deputies) - {w.deputies[0]}  # registered ahead


def test_an_absence_counts_only_once_the_event_has_happened(world, travel):
    w = world
    travel("2026-03-10")
    with session_scope("admin", url=w.url) as s:
        held = attendance.create_event(s, w.admin(), {"kind": "视察", "title": "已举行", "held_on": date(2026, 3, 1),
                                                      "deputy_ids": [w.deputies[0], w.deputies[1]]})
        coming = attendance.create_event(s, w.admin(), {"kind": "人代会", "title": "下月会议", "session_no": 3,
                                                        "held_on": date(2026, 4, 8), "all_serving": True})
        attendance.save_attendance(s, w.admin(), held, {w.deputies[0]: "缺席"})
        attendance.save_attendance(s, w.admin(), coming, {w.deputies[1]: "缺席"})

    def seen() -> tuple[int, set[int], str]:
        with session_scope(url=w.url) as s:
            fig = next(f.value for f in attendance.figures(s, w.admin(), 2026) if f.params.get("view") == "absent")
            listed = {r["deputy_id"] for r in attendance.absences(s, w.admin(), {"year": 2026}, 0, 100).rows}
            record = attendance.deputy_record(s, w.deputies[2], 2026)
            return fig, listed, f"{record['invited']}/{record['present']}"

    assert seen() == (1, {w.deputies[0]}, "0/0")  # the congress next month is not attended yet
    travel("2026-04-09")
    assert seen() == (2, {w.deputies[0], w.deputies[1]}, "1/1")


# ---------------------------------------------------------------- the activity form


def test_the_activity_form_checks_deputies_on_the_activity_date(world, travel):
    w = world
    travel("2026-06-30")
    _move(w, 2, 1, 1, date(2026, 4, 1))  # 李娜: group 0 until 31 March, then group 1
    _resign(w, 4, date(2026, 5, 1))  # 陈静 leaves on 1 May
    _activity(w, date(2026, 3, 15), [2, 4])  # both in group 0 on 15 March
    _activity(w, date(2026, 4, 15), [2], district=1)  # 李娜 in group 1 on 15 April
    with pytest.raises(ValidationError) as exc:
        _activity(w, date(2026, 5, 15), [2, 4])
    message = exc.value.errors["deputy_ids"]
    assert "不属于该选区所在代表组：李娜" in message and "在活动日期不在任：陈静" in message
    with session_scope(url=w.url) as s:
        march = activities.deputy_options(s, w.admin(), group_id=w.groups[0], day=date(2026, 3, 15))
        may = activities.deputy_options(s, w.admin(), group_id=w.groups[0], day=date(2026, 5, 15))
    assert {w.deputies[2], w.deputies[4]} <= set(march)
    assert not {w.deputies[2], w.deputies[4]} & set(may)


def _r5_ids_as_not_exists(w, year: int, actor, group_id: int | None = None) -> set[int]:
    """R5 as it was before the NOT IN rewrite (a correlated NOT EXISTS over the same credit union):
    the reference the rewrite must agree with, deputy for deputy."""
    from sqlalchemy import exists

    from services import deputies
    from services.common import scope_filter

    with session_scope(url=w.url) as s:
        sub = deputies.serving_at(year)
        done = activities._resolved_livelihood_deputies(year)  # noqa: SLF001
        stmt = select(sub.c.deputy_id).where(~exists().where(done.c.deputy_id == sub.c.deputy_id))
        stmt = scope_filter(stmt, actor, sub.c.office_id, sub.c.group_id)
        if group_id:
            stmt = stmt.where(sub.c.group_id == group_id)
        return set(s.execute(stmt).scalars())


def test_r5_not_in_agrees_with_the_correlated_not_exists_in_every_credit_case(world, travel):
    """Every way an opinion is credited (deputy in charge, the activity's deputies, the reporting
    deputy), the year's edges, outcomes other than A, a deputy who left, a deputy in two groups in
    the year, an activity with nobody serving: R5 lists exactly the hand-built deputies, the same as
    the correlated NOT EXISTS, whole, per group and in an office's scope, for 2025 and 2026."""
    w = world
    travel("2026-06-30")
    _resign(w, 11, date(2026, 3, 1))  # 孙强 left in 2026: listed for 2025 only
    _move(w, 9, 0, 0, date(2026, 2, 1))  # 吴刚: group 1 then group 0 in 2026
    a_12 = _activity(w, date(2026, 2, 1), [1, 2])
    a_left = _activity(w, date(2025, 6, 1), [11], district=2)
    a_2025 = _activity(w, date(2025, 6, 2), [10], district=2)

    def opinion(day_resolved, *, deputy=None, activity=None, report=None, outcome="A 已解决",
                livelihood=True, status="已解决", reason=None) -> None:
        with session_scope("admin", url=w.url) as s:
            if report is not None:
                r = models.Report(deputy_id=w.deputies[report], year=day_resolved.year, form="当面述职")
                s.add(r)
                s.flush()
                report = r.id
            s.add(models.Opinion(
                source="述职" if report else "活动", activity_id=activity, report_id=report,
                deputy_id=None if deputy is None else w.deputies[deputy], district_id=w.districts[0],
                group_id=w.groups[0], raised_on=date(day_resolved.year, 1, 1), content="路灯",
                category="城乡建设", is_livelihood=livelihood, status=status, outcome=outcome,
                resolved_on=day_resolved, unresolvable_reason=reason))

    opinion(date(2026, 1, 1), deputy=0)  # in charge: 张伟
    opinion(date(2026, 3, 1), activity=a_12)  # nobody named: 王芳 and 李娜
    opinion(date(2026, 3, 1), deputy=3, activity=a_12)  # named in charge: 刘洋 alone
    opinion(date(2026, 4, 1), report=4)  # a 述职 opinion: 陈静, the reporting deputy
    opinion(date(2025, 12, 31), deputy=5)  # 杨帆: resolved in 2025, not in 2026
    opinion(date(2026, 7, 1), deputy=6)  # 赵磊: after today (the 2026 reference day)
    opinion(date(2026, 3, 1), deputy=7, outcome="B 正在解决")  # 黄敏: an answer, not a solution
    opinion(date(2026, 3, 1), deputy=8, livelihood=False)  # 周杰: not a livelihood issue
    opinion(date(2026, 3, 1), deputy=8, status="已反馈选民", reason="无条件")  # 无法解决 at heart
    opinion(date(2026, 5, 1), deputy=9, status="已反馈选民")  # 吴刚 after his move
    opinion(date(2025, 7, 1), activity=a_left)  # 孙强 in 2025, who left in 2026
    opinion(date(2025, 7, 2), activity=a_2025)  # 徐丽 in 2025
    opinion(date(2025, 8, 1), report=5)  # 杨帆 again in 2025 (two credits, one deputy)
    d = w.deputies
    expected = {
        2026: {d[5], d[6], d[7], d[8], d[10]},  # 孙强 (11) no longer serves
        2025: set(d) - {d[5], d[10], d[11]},
    }
    for year, want in expected.items():
        for actor in (w.admin(), w.staff()):
            for group_id in (None, *w.groups):
                with session_scope(url=w.url) as s:
                    page = activities.r5_missing(s, actor, year, 0, 100, group_id=group_id)
                    fig = {f.rule: f.value for f in activities.figures(s, actor, year)}["R5"]
                got = {r["id"] for r in page.rows}
                old = _r5_ids_as_not_exists(w, year, actor, group_id)
                assert got == old, (year, actor.role, group_id)
                assert page.total == len(got)
                if actor.role == "admin":
                    if group_id is None:
                        assert got == want, year
                        assert fig == len(want)
                    else:
                        assert got <= want
