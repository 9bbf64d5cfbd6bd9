"""Attacks on issue 11 (one rule per idea, one clock, settings the admin can change), written by a
tester who did not write the code. Each test names the behaviour a user depends on; each failed on
the branch it was written against (see the report of the attack).

The world (tests/conftest.py) is built on 2026-01-10: a term 2024–2028, 12 deputies serving since
2024-01-10, seven in 东城第一代表组 (group 0, office 0), three in 东城第二代表组 (group 1, office 0),
two in 西城代表组 (group 2, office 1). 2025 is the past year the leader looks back on.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db import models as M
from db.engine import session_scope
from services import (
    attendance,
    masterdata,
    profiles,
    proposals,
    scoring,
    setting_changes,
    settings,
)
from services.common import NotFound, PermissionDenied, ValidationError

YEAR = 2025


@pytest.fixture(autouse=True)
def _pinned(travel):
    """Every test starts on 2026-01-10 (2025 has just closed); tests move on themselves."""
    travel("2026-01-10")


# ---------------------------------------------------------------- helpers


def _activity(s, w, day: date, who: list[int], group: int = 0) -> int:
    """A contact activity of deputies ``who`` (ids) in the first district of group ``group``."""
    a = M.Activity(held_on=day, place=f"社区{day:%m%d}", district_id=w.districts[group], group_id=w.groups[group],
                   office_id=w.offices[0] if group < 2 else w.offices[1], organiser="代表组统一组织", kind="问需",
                   targets=["一般选民"], mode="走访慰问", voters_reached=10, summary="走访选民", has_signin=True)
    s.add(a)
    s.flush()
    for d in who:
        s.add(M.ActivityDeputy(activity_id=a.id, deputy_id=d))
    s.flush()
    return a.id


def _event(s, w, day: date, kind: str, attend: dict[int, str]) -> int:
    e = M.CongressEvent(kind=kind, title=f"{kind}{day:%m%d}", held_on=day, term_id=w.term)
    s.add(e)
    s.flush()
    for d, status in attend.items():
        s.add(M.Attendance(event_id=e.id, deputy_id=d, status=status))
    s.flush()
    return e.id


def _publicity(s, day: date, deputy: int) -> None:
    wk = M.PublicityWork(kind="宣传", title=f"宣传{day:%m%d}{deputy}", held_on=day, audience=20)
    s.add(wk)
    s.flush()
    s.add(M.PublicityDeputy(work_id=wk.id, deputy_id=deputy))
    s.flush()


def _two_activities_each(s, w, year: int = YEAR) -> None:
    """Two activities in ``year`` for every deputy, one per group and half-year."""
    members = {0: w.deputies[:7], 1: w.deputies[7:10], 2: w.deputies[10:]}
    for day in (date(year, 3, 1), date(year, 9, 1)):
        for g, who in members.items():
            _activity(s, w, day, who, group=g)


def _move(w, i: int, group: int, district: int, on: date) -> None:
    with session_scope("admin", url=w.url) as s:
        masterdata.move_deputy(s, w.admin(), w.deputies[i], w.groups[group], w.districts[district], on)


def _low_bands(s, w, rubric_id: int) -> int:
    """Publish a rubric version with low grade bands (优秀 ≥ 15), so a small example has candidates."""
    rows = [{k: r[k] for k in ("focus", "fact", "points", "cap", "cap_group", "condition", "kinds", "reason")}
            for r in scoring.load_rubric(s, rubric_id).rows]
    low = scoring.save_draft(s, w.admin(), rows, bands=[
        {"min": 15, "grade": "优秀"}, {"min": 5, "grade": "称职"}, {"min": 1, "grade": "基本称职"},
        {"min": 0, "grade": "不称职"}])
    scoring.publish(s, w.admin(), low)
    return low


def _fig(w, module, actor, year: int, rule: str, view: str | None = None) -> object:
    with session_scope(url=w.url) as s:
        for f in module.figures(s, actor, year):
            if f.rule == rule and (view is None or f.params.get("view") == view):
                return f.value
    raise AssertionError(f"no figure {rule} {view}")


# ---------------------------------------------------------------- a confirmed list and today's settings


def test_a_confirmed_2025_list_reproduces_after_the_admin_changes_the_r1_minimum(world, travel):
    """The leader confirms the 2025 优秀代表 list in January 2026; in March the admin raises R1's
    minimum from 2 to 3 activities a year in 系统设置. The confirmed 2025 list must still reproduce
    (reproduce_selection promises that today's settings do not change it)."""
    w = world
    d = w.deputies
    with session_scope("admin", url=w.url) as s:
        rid = _low_bands(s, w, scoring.ensure_default_rubric(s))
        _two_activities_each(s, w)
        for m in (2, 4, 6):
            _publicity(s, date(YEAR, m, 5), d[0])
        for m in (2, 4):
            _publicity(s, date(YEAR, m, 6), d[1])
    with session_scope("leader", url=w.url) as s:
        cand = scoring.candidates(s, w.leader(), rid, YEAR)
        picked = [r["deputy_id"] for r in cand["candidates"]]
        assert picked == [d[0], d[1]] and cand["tie"] is None
        sid = scoring.confirm_selection(s, w.leader(), YEAR, scoring.EXCELLENT, rid, picked)
    travel("2026-03-02")
    with session_scope("admin", url=w.url) as s:
        setting_changes.save(s, w.admin(), "r1_min_activities", 3, 2)
    with session_scope(url=w.url) as s:
        res = scoring.reproduce_selection(s, sid)
    assert res["matches"], res["differences"]


# ---------------------------------------------------------------- F1: the 工作台 figure and the score


def test_the_f1_absence_figure_counts_only_what_the_score_deducts(world):
    """A deputy missed a 代表小组活动 without leave in 2025. The score does not deduct it (代表小组活动
    is not a standing-committee activity); the 工作台 F1 tile, whose help says it is the absences
    the score deducts, must not count it either."""
    w = world
    d = w.deputies
    with session_scope("admin", url=w.url) as s:
        rid = scoring.ensure_default_rubric(s)
        _event(s, w, date(YEAR, 5, 10), "代表小组活动", {d[0]: "缺席", d[1]: "出席"})
    with session_scope(url=w.url) as s:
        deducted = [r for r in scoring.score_details(s, rid, YEAR, list(d), focus="扣分")
                    if r["计分项"].startswith("无故缺席")]
    assert deducted == []
    assert _fig(w, attendance, w.admin(), YEAR, "F1", "absent") == len(deducted)


def test_a_past_years_absence_figure_stays_with_the_group_of_that_year(world, travel):
    """In 2025 a deputy of 东城第一代表组 missed a congress session without leave; in 2026 he moves
    to 西城代表组 (another office). For 东城's staff, the 2025 F1 figure and the 2025 absence list
    keep the absence, as the 2025 ranking keeps his −10 in 东城第一代表组."""
    w = world
    d = w.deputies
    with session_scope("admin", url=w.url) as s:
        rid = scoring.ensure_default_rubric(s)
        _event(s, w, date(YEAR, 3, 5), "人代会", {x: ("缺席" if x == d[0] else "出席") for x in d})
    staff = w.staff()
    before = _fig(w, attendance, staff, YEAR, "F1", "absent")
    assert before == 1
    travel("2026-04-01")
    _move(w, 0, 2, 2, date(2026, 3, 1))
    with session_scope(url=w.url) as s:
        mine = {r["deputy_id"]: r for r in scoring.ranking_rows(s, staff, rid, YEAR)}
        listed = attendance.absences(s, staff, {"year": YEAR}, 0, 50).rows
    assert mine[d[0]]["扣分"] < 0 and mine[d[0]]["代表组"] == "东城第一代表组"
    assert _fig(w, attendance, staff, YEAR, "F1", "absent") == before
    assert [r["deputy_id"] for r in listed] == [d[0]]


def test_a_past_years_unpublished_report_stays_with_the_group_of_that_year(world, travel):
    """张伟 of 东城第一代表组 handed in a written report for 2025, passed by the group, not yet published
    (R9). In 2026 he moves to 西城代表组. For 东城's staff the 2025 R9 figure and list keep it, as the
    2025 R7 list keeps him in 东城第一代表组."""
    from services import reports

    w = world
    d = w.deputies
    with session_scope("admin", url=w.url) as s:
        s.add(M.Report(deputy_id=d[0], year=YEAR, form="书面报告", received_on=date(YEAR, 12, 1),
                       review_result="通过", reviewed_on=date(YEAR, 12, 5)))
    staff = w.staff()
    before = _fig(w, reports, staff, YEAR, "R9")
    assert before == 1
    travel("2026-04-01")
    _move(w, 0, 2, 2, date(2026, 3, 1))
    with session_scope(url=w.url) as s:
        r7 = {r["deputy_id"]: r["代表组"] for r in reports.written_status(s, staff, {"year": YEAR}, 0, 50).rows}
        r9 = reports.unpublished(s, staff, {"year": YEAR}, 0, 50).rows
    assert r7[d[0]] == "东城第一代表组"
    assert _fig(w, reports, staff, YEAR, "R9") == before
    assert [(r["代表"], r["代表组"]) for r in r9] == [("张伟", "东城第一代表组")]


def test_a_congress_session_next_month_is_not_counted_as_attended_in_the_events_list(world, travel):
    """Staff register next month's congress session with every deputy invited (marked 出席 by
    default). The score does not count it and the 履职档案 shows it as 未举行; the 会议活动出席汇总
    list (出席与履职) must not say 12 deputies attended it either."""
    w = world
    travel("2026-06-15")
    with session_scope("staff", url=w.url) as s:
        eid = attendance.create_event(s, w.staff(), {"kind": "人代会", "title": "第十八届人大第五次会议",
                                                     "held_on": date(2026, 7, 20), "session_no": 5,
                                                     "all_serving": True})
    with session_scope(url=w.url) as s:
        rid = scoring.ensure_default_rubric(s)
        rows = {r["id"]: r for r in attendance.list_events(s, w.admin(), {"year": 2026}, 0, 20).rows}
        filed = profiles.profile(s, w.admin(), w.deputies[0], 2026, rid)["aspects"][0]["parts"][0][1]
        attended = scoring.ranking(s, rid, 2026).by_id()[w.deputies[0]]["focus"]["F1"]
    assert [r["出席情况"] for r in filed] == ["未举行"] and attended == 0
    assert rows[eid]["出席（人）"] == 0, rows[eid]


# ---------------------------------------------------------------- R19: the 履职档案 of a past year


def test_staff_open_the_2025_file_of_a_deputy_of_their_group_who_moved_away_in_2026(world, travel):
    """东城's staff see 张伟 in their 2025 ranking (he was in 东城第一代表组 all 2025); after his move
    to 西城代表组 in 2026 they must still be able to open his 2025 履职档案."""
    w = world
    d = w.deputies
    with session_scope("admin", url=w.url) as s:
        rid = scoring.ensure_default_rubric(s)
        _activity(s, w, date(YEAR, 4, 1), [d[0]])
    travel("2026-04-01")
    _move(w, 0, 2, 2, date(2026, 3, 1))
    staff = w.staff()
    with session_scope(url=w.url) as s:
        assert d[0] in {r["deputy_id"] for r in scoring.ranking_rows(s, staff, rid, YEAR)}
        try:
            data = profiles.profile(s, staff, d[0], YEAR, rid)
        except (NotFound, PermissionDenied) as exc:
            pytest.fail(f"2025 file refused to the staff who see him in the 2025 ranking: {exc}")
    assert data["header"]["代表组"] == "东城第一代表组"
    assert len(data["aspects"][2]["parts"][0][1]) == 1


def test_the_file_of_the_current_year_does_not_claim_days_not_yet_served(world, travel):
    """A deputy by-elected on 2026-03-01, looked at on 2026-06-15: his 2026 履职档案 says how long he
    has served this year. It may not claim more days than have passed (107), e.g. “306 天”."""
    import re

    w = world
    travel("2026-06-15")
    with session_scope("admin", url=w.url) as s:
        s.get(M.Deputy, w.deputies[5]).joined_on = date(2026, 3, 1)
    with session_scope(url=w.url) as s:
        rid = scoring.ensure_default_rubric(s)
        served = profiles.profile(s, w.admin(), w.deputies[5], 2026, rid)["header"]["本年任职"]
    days = re.match(r"(\d+) 天", served)
    assert days is None or int(days.group(1)) <= (date(2026, 6, 15) - date(2026, 3, 1)).days + 1, served


# ---------------------------------------------------------------- 议案建议: one word, one rule


def test_a_deputy_whose_file_shows_a_criticism_is_not_listed_as_proposing_nothing(world):
    """张伟 led a 批评和意见 in 2025: the score counts it in F1 (领衔建议、批评和意见), the 履职档案
    lists it under 提出议案建议 and R19 does not list him; the F1 list “本年未提出议案建议的在任代表”
    must not list him either."""
    w = world
    d = w.deputies
    with session_scope("admin", url=w.url) as s:
        rid = scoring.ensure_default_rubric(s)
        p = M.Proposal(kind="批评和意见", term_id=w.term, title="关于窗口服务态度的批评", lead_deputy_id=d[0],
                       submitted_on=date(YEAR, 4, 2))
        s.add(p)
        s.flush()
        s.add(M.ProposalSigner(proposal_id=p.id, deputy_id=d[0], is_lead=True))
    with session_scope(url=w.url) as s:
        f1 = scoring.ranking(s, rid, YEAR).by_id()[d[0]]["focus"]["F1"]
        filed = profiles.profile(s, w.admin(), d[0], YEAR, rid)["aspects"][2]["parts"][3][1]
        r19 = {r["deputy_id"] for r in profiles.empty_files(s, w.admin(), YEAR)}
        without = {r["id"] for r in proposals.deputies_without(s, w.admin(), YEAR, 0, 100).rows}
    assert f1 > 0 and len(filed) == 1 and d[0] not in r19
    assert d[0] not in without


# ---------------------------------------------------------------- 系统设置: bad values


@pytest.mark.parametrize("raw", ["9" * 5000, "--3"], ids=["5000-digits", "--3"])
def test_a_whole_number_setting_refuses_text_that_is_no_number_with_a_chinese_message(raw):
    """Text the check takes for digits but int() refuses (5,000 digits, --3): the setting is refused
    with a Chinese message, never a Python error."""
    with pytest.raises(ValidationError) as exc:
        settings.validate("r1_min_activities", raw)
    assert "整数" in exc.value.errors["value"] or "之间" in exc.value.errors["value"]


def test_saving_a_bad_whole_number_writes_nothing_and_says_why(world):
    w = world
    with session_scope("admin", url=w.url) as s, pytest.raises(ValidationError):
        setting_changes.save(s, w.admin(), "mailbox_open_days", "--3", 7)
    with session_scope(url=w.url) as s:
        assert settings.get(s, "mailbox_open_days") == 7
        assert s.get(M.Setting, "mailbox_open_days") is None


# ---------------------------------------------------------------- 系统设置: a deadline change


def _letter(w, received: date, path: list[str], on: date) -> int:
    """Register a letter and move it along ``path`` (each step on ``on``)."""
    from services import letters

    staff = w.staff()
    needs = {"已回复": {"reply_content": "已电话答复来信人", "reply_method": "电话"}, "已转办": {"forwarded_to": "区住建局"}, "已办结": {"result": "已修复", "outcome": "A 已解决"},
             "已反馈": {"feedback_method": "电话", "satisfaction": "不满意"}, "不予受理": {"reason": "不属职责"}}
    with session_scope("staff", url=w.url) as s:
        lid = letters.register(s, staff, {"mailbox_id": w.mailboxes[0], "deputy_id": w.deputies[0], "received_on": received,
                                          "writer_name": "张三丰", "writer_phone": "13812341234",
                                          "summary": f"路灯损坏{received}{len(path)}", "category": "城乡建设"}).id
        for st in path:
            letters.transition(s, staff, lid, st, happened_on=on, **needs.get(st, {}))
    return lid


def test_after_a_deadline_change_every_open_letter_has_the_due_dates_the_one_rule_gives(world, travel):
    """Letters received on several days, one paused and resumed (its clock pushed), one reopened after
    an unsatisfied writer (a second round), one 已办结 waiting for feedback: after the admin changes
    every deadline, each open letter's due dates are what services.letters.due_dates gives with the
    new deadlines, closed ones keep theirs, and the count said is right."""
    from services import letters

    w = world
    travel("2026-06-15")
    a = _letter(w, date(2026, 5, 6), [], date(2026, 5, 6))
    b = _letter(w, date(2026, 5, 20), ["已交代表", "已回复"], date(2026, 5, 25))
    c = _letter(w, date(2026, 4, 1), ["已交代表", "已回复", "已转办", "办理中", "已办结"], date(2026, 4, 20))
    r = _letter(w, date(2026, 3, 2), ["已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈", "办理中"],
                date(2026, 5, 4))
    p = _letter(w, date(2026, 5, 11), ["已交代表"], date(2026, 5, 12))
    closed = _letter(w, date(2026, 5, 11), ["不予受理"], date(2026, 5, 12))
    with session_scope("staff", url=w.url) as s:
        letters.pause(s, w.staff(), p, happened_on=date(2026, 5, 13), note="请补充地址")
        letters.resume(s, w.staff(), p, happened_on=date(2026, 5, 20))
    dl = settings.default("letter_deadlines")
    new = {"handed": 3, "reply": 12, "forward": 8, "feedback": 50}
    with session_scope(url=w.url) as s:
        closed_before = s.execute(select(M.Letter.reply_due, M.Letter.resolve_due, M.Letter.step_due)
                                  .where(M.Letter.id == closed)).one()
    with session_scope("admin", url=w.url) as s:
        saved = setting_changes.save(s, w.admin(), "letter_deadlines", new, seen=dl)
    assert [(x.total, x.moved) for x in saved.recounts] == [(5, 5)]
    with session_scope(url=w.url) as s:
        rows = {x.id: x for x in s.execute(select(M.Letter)).scalars()}
        starts = letters._round_starts(s, list(rows.values()))
        for lid in (a, b, c, r, p):
            x = rows[lid]
            want = letters.due_dates(x.received_on, x.status, x.status_on, starts.get(lid), x.paused_days or 0, new)
            assert (x.reply_due, x.resolve_due, x.step_due) == want, (lid, x.status, x.round, x.paused_days)
        x = rows[closed]
        assert (x.reply_due, x.resolve_due, x.step_due) == tuple(closed_before)


def test_the_deadline_setting_says_truly_what_happens_to_letters_already_concluded(world, travel):
    """The 系统设置 text of the letter deadlines promises “已办结的来信保留原期限”, and the confirmation
    counts “未办结来信”. A letter at 已办结 (the body has answered, feedback still to come) must then
    keep its due dates and not be counted as 未办结 — or the page must say what really happens."""
    w = world
    travel("2026-06-15")
    concluded = _letter(w, date(2026, 4, 1), ["已交代表", "已回复", "已转办", "办理中", "已办结"], date(2026, 4, 20))
    with session_scope(url=w.url) as s:
        before = s.execute(select(M.Letter.reply_due, M.Letter.resolve_due).where(M.Letter.id == concluded)).one()
    dl = settings.default("letter_deadlines")
    with session_scope("admin", url=w.url) as s:
        saved = setting_changes.save(s, w.admin(), "letter_deadlines", {**dl, "reply": 12, "feedback": 45}, seen=dl)
    with session_scope(url=w.url) as s:
        after = s.execute(select(M.Letter.reply_due, M.Letter.resolve_due).where(M.Letter.id == concluded)).one()
    promised = "已办结的来信保留原期限" in settings.spec("letter_deadlines").meaning
    said = saved.message()
    assert not (promised and tuple(after) != tuple(before)), (said, settings.spec("letter_deadlines").meaning)


# ---------------------------------------------------------------- logic must not read display text


def test_a_supervisors_own_rectification_item_survives_a_revised_finding_whatever_its_text(world, travel):
    """The supervisor writes a rectification item by hand, starting it with the words the grading
    uses (【抽查评定】, copied from an earlier item). When the finding is revised and the group is no
    longer 需整改, only the item the grading opened may be withdrawn: the hand-written one stays
    (whether an item was opened by the grading is a fact, not a prefix of its text)."""
    from datetime import timedelta

    from services import spotchecks as sc
    from tests import test_spotchecks as tsc

    travel(date(tsc.YEAR, 6, 15))
    tsc.add_records(world)
    cid = tsc.new_check(world, kinds=["联系活动"], count=1)
    sup = world.supervisor()
    g0 = world.groups[0]
    with session_scope("supervisor", url=world.url) as s:
        item = next(i for i in sc.check_detail(s, sup, cid)["items"] if i["group_id"] == g0)
        assert sc.record_finding(s, sup, item["id"], tsc.ALL_OK, "不合格", "无照片") == "需整改"
        sc.add_rectification(s, sup, cid, g0, "【抽查评定】另请组织联络员培训", sc.today() + timedelta(days=10))
    with session_scope("supervisor", url=world.url) as s:
        assert sc.record_finding(s, sup, item["id"], tsc.ALL_OK, "合格", reason="照片已补交") == "优秀"
    with session_scope(url=world.url) as s:
        rows = sc.list_rectifications(s, sup, {"group": g0}, 0, 20).rows
    assert [r["整改内容"] for r in rows] == ["【抽查评定】另请组织联络员培训"]


# ---------------------------------------------------------------- 系统设置: values that flow into exports and messages


def test_a_refused_5000_character_option_is_named_briefly_in_the_message():
    """An option of 5,000 characters pasted into a list setting is refused; the message beside the
    field names it briefly (not the 5,000 characters, twice, on the page)."""
    with pytest.raises(ValidationError) as exc:
        settings.validate("letter_categories", ["教" * 5000])
    message = exc.value.errors["value"]
    assert "超过" in message and len(message) < 120, len(message)


# ---------------------------------------------------------------- who serves: dates out of range


NEW = {"name": "欧阳明", "gender": "男", "birth_year": 1970, "party": "群众"}


@pytest.mark.parametrize(("joined", "status", "left"), [
    (date(1900, 1, 1), "在任", None),  # before 1949 and long before the term (2024–2028)
    (date(2200, 1, 1), "在任", None),  # after 2100 and after the term
    (date(2025, 1, 1), "辞职", date(2099, 1, 1)),  # resigned, “effective” in 2099
], ids=["joined-1900", "joined-2200", "left-in-2099"])
def test_a_new_deputy_with_dates_outside_the_term_or_a_departure_to_come_is_refused(world, travel, joined, status, left):
    """Registering a deputy, the dates of service decide who serves in every year (R1, R5, R7, scores).
    A 当选日期 in 1900 or 2200, or a 辞职 with a 离任日期 in 2099, must be refused with a Chinese
    message (editing an existing deputy already refuses a departure dated after today): otherwise a
    deputy marked 辞职 counts as serving this year, or one elected in 2200 sits in the lists."""
    w = world
    travel("2026-06-15")
    data = {**NEW, "group_id": w.groups[0], "district_id": w.districts[0], "term_id": w.term,
            "joined_on": joined, "status": status, "left_on": left}
    with session_scope("admin", url=w.url) as s, pytest.raises(ValidationError):
        masterdata.save_deputy(s, w.admin(), data)
