"""评分评优: a hand-computed example of three deputies (pro-rating, caps, deductions), rubric versions,
bad rubric rows, candidates, selection and R20 — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from sqlalchemy import func, select

from db import models as M
from db.engine import session_scope
from services import scoring
from services.common import PermissionDenied, ValidationError

YEAR = date.today().year


def _fraction(joined: date) -> float:
    """Share of YEAR served from ``joined`` to 31 December (the formula the service documents)."""
    lo, hi = date(YEAR, 1, 1), date(YEAR, 12, 31)
    return ((hi - joined).days + 1) / ((hi - lo).days + 1)


def _activity(s, world, day: date, deputies: list[int], kind: str = "问需") -> M.Activity:
    """A contact activity in districts[0] (group 0) with its deputies."""
    a = M.Activity(held_on=day, place=f"社区{day:%m%d}", district_id=world.districts[0], group_id=world.groups[0],
                   office_id=world.offices[0], organiser="代表个人", kind=kind, targets=["一般选民"],
                   mode="走访慰问", voters_reached=10, summary="走访选民", has_signin=True)
    s.add(a)
    s.flush()
    for d in deputies:
        s.add(M.ActivityDeputy(activity_id=a.id, deputy_id=d))
    s.flush()
    return a


def _event(s, world, day: date, kind: str, attend: dict[int, str]) -> None:
    """A congress event with attendance statuses per deputy."""
    e = M.CongressEvent(kind=kind, title=f"{kind}{day:%m%d}", held_on=day, term_id=world.term)
    s.add(e)
    s.flush()
    for d, status in attend.items():
        s.add(M.Attendance(event_id=e.id, deputy_id=d, status=status))


def _proposal(s, world, kind: str, lead: int, cosigners: list[int], day: date) -> None:
    """A 议案 or 建议 with its lead (also listed as signer, as the demo does) and co-signers."""
    p = M.Proposal(kind=kind, term_id=world.term, title=f"关于某事的{kind}{lead}{day:%m%d}",
                   lead_deputy_id=lead, submitted_on=day)
    s.add(p)
    s.flush()
    s.add(M.ProposalSigner(proposal_id=p.id, deputy_id=lead, is_lead=True))
    for c in cosigners:
        s.add(M.ProposalSigner(proposal_id=p.id, deputy_id=c, is_lead=False))


def build_example(world) -> dict:
    """Deputies A, B, C of the hand-computed example (see test_hand_computed_three_deputies)."""
    a, b, c = world.deputies[:3]
    with session_scope("test", url=world.url) as s:
        rid = scoring.ensure_default_rubric(s)
        # C joined on 2 July
        s.get(M.Deputy, c).joined_on = date(YEAR, 7, 2)
        # A: 3 activities (one shared with B; one failed a spot check), 3 congress sessions,
        # 2 议案 led, co-signs B's 建议, one opinion forwarded and resolved
        _activity(s, world, date(YEAR, 2, 3), [a, b])
        _activity(s, world, date(YEAR, 3, 3), [a])
        failed = _activity(s, world, date(YEAR, 4, 3), [a])
        check = M.SpotCheck(created_by="supervisor", period_start=date(YEAR, 1, 1), period_end=date(YEAR, 6, 30),
                            rule={}, witness_value="w", seed="s", fingerprint="f", sample=[])
        s.add(check)
        s.flush()
        s.add(M.SpotCheckItem(check_id=check.id, group_id=world.groups[0], record_kind="联系活动",
                              record_id=failed.id, result="不合格"))
        for m in (1, 3, 5):
            _event(s, world, date(YEAR, m, 10), "人代会", {a: "出席", b: "出席" if m != 5 else "缺席"})
        _proposal(s, world, "议案", a, [], date(YEAR, 1, 11))
        _proposal(s, world, "议案", a, [], date(YEAR, 1, 12))
        _proposal(s, world, "建议", b, [a], date(YEAR, 1, 13))
        s.add(M.Opinion(source="活动", deputy_id=a, district_id=world.districts[0], group_id=world.groups[0],
                        raised_on=date(YEAR, 3, 3), content="路灯不亮", category="城乡建设", status="已解决",
                        forwarded_to="街道办", resolved_on=date(YEAR, 4, 1)))
        # B: one letter fed back with the writer satisfied
        s.add(M.Letter(code=f"L{YEAR}001", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                       group_id=world.groups[0], office_id=world.offices[0], received_on=date(YEAR, 2, 1),
                       summary="噪音扰民", category="其他", deputy_id=b, status="已反馈", forwarded_to="区城管局",
                       satisfaction="满意"))
        # C (from July): one 问计 activity, three 宣传 works, one congress session
        _activity(s, world, date(YEAR, 8, 5), [c], kind="问计")
        for day in (8, 9, 10):
            w = M.PublicityWork(kind="宣传", title=f"宣传{day}", held_on=date(YEAR, day, 1), audience=30)
            s.add(w)
            s.flush()
            s.add(M.PublicityDeputy(work_id=w.id, deputy_id=c))
        _event(s, world, date(YEAR, 9, 10), "人代会", {c: "出席"})
    return {"rubric": rid, "a": a, "b": b, "c": c}


def test_hand_computed_three_deputies(world) -> None:
    """Caps, a shared cap, pro-rating for a mid-year joiner, deductions: the default rubric by hand."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        rk = scoring.compute(s, ex["rubric"], YEAR)
    by = rk.by_id()
    A, B, C = by[ex["a"]], by[ex["b"]], by[ex["c"]]
    # A: 人代会 3×5=15 → row cap 10; 议案 2×6 + 附议建议 1 = 13 → shared cap 10; F1 = 20
    #    opinion forwarded 1 + resolved 3 = 4; activities: 3, one failed → 2×2 = 4 in F5
    #    deduction: failed spot check −3 → total 25
    assert A["focus"] == {"F1": 20.0, "F2": 0.0, "F3": 4.0, "F4": 0.0, "F5": 4.0}
    assert A["deduction"] == -3.0
    assert A["total"] == 25.0
    # B: 人代会 2×5=10, 建议 led 3 → F1 13; letter forwarded 1 + resolved 3 + satisfied 1 = 5;
    #    one activity 2; deductions: absent from 人代会 −10, R1 (1 < 2 activities) −5 → 5
    assert B["focus"] == {"F1": 13.0, "F2": 0.0, "F3": 5.0, "F4": 0.0, "F5": 2.0}
    assert B["deduction"] == -15.0
    assert B["total"] == 5.0
    assert B["r1_short"] is True
    # C served from 2 July: f = days served / days of the year; points ÷ f before caps
    f = _fraction(date(YEAR, 7, 2))
    assert C["fraction"] == pytest.approx(f, abs=1e-4)
    f1 = round(min(10, 5 / f), 2)  # one 人代会
    f2 = round(min(20, (3 * 4 + 2) / f), 2)  # 3 宣传 + 1 问计 → pro-rated 27.9 → focus cap 20
    f5 = round(2 / f, 2)  # one contact activity
    assert C["focus"] == {"F1": f1, "F2": f2, "F3": 0.0, "F4": 0.0, "F5": f5}
    assert f2 == 20.0
    assert C["deduction"] == 0.0  # R1 pro-rated: 1 activity required from July
    assert C["total"] == round(f1 + f2 + f5, 2)
    # ranks in the district and in the group
    assert (C["rank"], A["rank"], B["rank"]) == (1, 2, 3)
    assert (C["group_rank"], A["group_rank"], B["group_rank"]) == (1, 2, 3)
    # volume, outcomes: A has 2 counted activities + 3 attendances + 3 proposals + 1 opinion = 9 records
    assert A["volume"] == 9
    assert A["outcomes"] == 1 and B["outcomes"] == 1


def test_drill_down_adds_up_to_the_score(world) -> None:
    """Every focus of every deputy: the records' points (with cap / pro-rating rows) sum to the score."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        rk = scoring.compute(s, ex["rubric"], YEAR)
        details = scoring.score_details(s, ex["rubric"], YEAR, [ex["a"], ex["b"], ex["c"]])
        only_f5 = scoring.score_details(s, ex["rubric"], YEAR, ex["a"], focus="F5")
    by = rk.by_id()
    for key in ("a", "b", "c"):
        d = by[ex[key]]
        mine = [r for r in details if r["代表"] == d["name"]]
        for f in scoring.FOCUSES:
            assert round(sum(r["分值"] for r in mine if r["方面"] == f), 2) == d["focus"][f]
        assert round(sum(r["分值"] for r in mine if r["方面"] == scoring.DEDUCT), 2) == d["deduction"]
    # the failed activity is not among A's counted activities, and shows as a deduction
    assert [r["日期"] for r in only_f5] == [f"{YEAR}-02-03", f"{YEAR}-03-03"]
    assert any(r["计分项"] == "活动记录抽查不合格" and r["日期"] == f"{YEAR}-04-03" for r in details)
    assert any(r["计分项"] == "任职折算" for r in details if r["代表"] == by[ex["c"]]["name"])


def _rows_of(s, rubric_id: int) -> list[dict]:
    """Editor rows of a rubric (keys as save_draft takes them)."""
    return [{k: r[k] for k in ("focus", "fact", "points", "cap", "cap_group", "condition", "reason")}
            for r in scoring.load_rubric(s, rubric_id).rows]


def test_new_version_changes_scores_and_old_ranking_reproduces(world) -> None:
    """Publishing a new rubric version changes the scores; version 1 still gives the old ranking."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        old = {d["id"]: (d["total"], d["rank"]) for d in scoring.compute(s, ex["rubric"], YEAR).deputies}
        rows = _rows_of(s, ex["rubric"])
        for r in rows:
            if r["fact"] == "contact_activity":
                r["points"] = 5  # 2 counted activities → 10 (row cap 10)
            if r["fact"] == "absent_congress":
                r["points"] = -20
        draft = scoring.save_draft(s, world.admin(), rows, name="活动加权")
    with session_scope("test", url=world.url) as s:
        assert scoring.current_rubric_id(s) == ex["rubric"]  # a draft is not used until published
        assert [p["新总分"] for p in scoring.preview(s, draft, ex["rubric"], YEAR) if p["代表"] == "张伟"] == [31.0]
        scoring.publish(s, world.admin(), draft)
    with session_scope("test", url=world.url) as s:
        assert scoring.current_rubric_id(s) == draft
        new = scoring.compute(s, draft, YEAR).by_id()
        again = {d["id"]: (d["total"], d["rank"]) for d in scoring.compute(s, ex["rubric"], YEAR).deputies}
        versions = [r["版本"] for r in scoring.list_rubrics(s)]
    assert new[ex["a"]]["total"] == 31.0  # 25 − 4 + 10
    assert new[ex["b"]]["total"] == 0.0  # 13 + 5 + 5 − 20 − 5 < 0, never below 0
    assert again == old
    assert versions == [2, 1]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"focus": "F9", "fact": "publicity", "points": 4}, "方面须为"),
        ({"focus": "F2", "fact": "no_such_fact", "points": 4}, "不存在"),
        ({"focus": "F2", "fact": "publicity", "points": "四"}, "须为数字"),
        ({"focus": "F2", "fact": "publicity", "points": -4}, "得分项的分值须大于0"),
        ({"focus": "扣分", "fact": "absent_congress", "points": 10}, "扣分项的分值须为负数"),
        ({"focus": "F1", "fact": "absent_congress", "points": 5}, "是扣分项"),
        ({"focus": "F2", "fact": "publicity", "points": 4, "condition": "not_failed"}, "不适用"),
        ({"focus": "F2", "fact": "publicity", "points": 4, "cap": 0}, "上限须大于0"),
    ],
)
def test_bad_rubric_rows_are_refused(world, row: dict, message: str) -> None:
    """A bad row is refused with a Chinese message naming the row; nothing is written."""
    with session_scope("test", url=world.url) as s:
        rid = scoring.ensure_default_rubric(s)
        rows = _rows_of(s, rid) + [row]
    with pytest.raises(ValidationError) as err, session_scope("test", url=world.url) as s:
        scoring.save_draft(s, world.admin(), rows)
    assert message in str(err.value)
    assert f"第{len(rows)}行" in str(err.value)
    with session_scope("test", url=world.url) as s:
        assert s.execute(select(func.count()).select_from(M.Rubric)).scalar() == 1


def test_shared_cap_group_must_agree_and_only_admin_edits(world) -> None:
    """Rows of one cap group need one cap and one focus; a leader cannot edit the rubric."""
    rows = [{"focus": "F1", "fact": "motion_lead", "points": 6, "cap": 10, "cap_group": "甲"},
            {"focus": "F1", "fact": "suggestion_lead", "points": 3, "cap": 8, "cap_group": "甲"}]
    with pytest.raises(ValidationError, match="上限不一致"), session_scope("test", url=world.url) as s:
        scoring.save_draft(s, world.admin(), rows)
    with pytest.raises(PermissionDenied), session_scope("test", url=world.url) as s:
        scoring.save_draft(s, world.leader(), rows[:1])
    with pytest.raises(ValidationError, match="递减"), session_scope("test", url=world.url) as s:
        scoring.save_draft(s, world.admin(), rows[:1], bands=[{"min": 50, "grade": "优秀"}, {"min": 60, "grade": "称职"},
                                                               {"min": 0, "grade": "不称职"}])


def test_grade_bands_and_report_floor(world) -> None:
    """Default bands 85/60/45; a 述职 satisfaction below 50% caps the grade at 基本称职."""
    with session_scope("test", url=world.url) as s:
        rubric = scoring.load_rubric(s, scoring.ensure_default_rubric(s))
    assert scoring.grade_of(rubric, 85, None) == "优秀"
    assert scoring.grade_of(rubric, 84.99, None) == "称职"
    assert scoring.grade_of(rubric, 45, 0.9) == "基本称职"
    assert scoring.grade_of(rubric, 44, None) == "不称职"
    assert scoring.grade_of(rubric, 95, 0.4) == "基本称职"
    assert scoring.grade_of(rubric, 30, 0.4) == "不称职"


def test_candidates_selection_and_groups_without_exemplar(world) -> None:
    """Candidates meet R1, are not 不称职 and not office-holding leaders; the leader confirms a list
    stored with its rubric version; the .docx opens; R20 lists groups without an exemplary deputy."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        rows = _rows_of(s, ex["rubric"])
        low = scoring.save_draft(s, world.admin(), rows, bands=[
            {"min": 20, "grade": "优秀"}, {"min": 10, "grade": "称职"}, {"min": 5, "grade": "基本称职"},
            {"min": 0, "grade": "不称职"}])
        scoring.publish(s, world.admin(), low)
        s.get(M.Deputy, ex["a"]).is_office_leader = True
    with session_scope("test", url=world.url) as s:
        cand = scoring.candidates(s, world.leader(), low, YEAR)
        r20 = scoring.groups_without_exemplar(s, world.leader(), low, YEAR)
        groups = scoring.group_candidates(s, world.leader(), low, YEAR)
    assert cand["quota"] == 2  # 20% of 12 deputies
    assert [r["deputy_id"] for r in cand["candidates"]] == [ex["c"]]
    why = {r["deputy_id"]: r["说明"] for r in cand["others"]}
    assert "领导职务" in why[ex["a"]]
    assert "R1" in why[ex["b"]]
    # group 0 has 优秀 deputies (A and C); groups 1 and 2 have none
    assert {r["group_id"] for r in r20} == set(world.groups[1:])
    assert groups[0]["group_id"] == world.groups[0] and groups[0]["候选"]
    with pytest.raises(PermissionDenied), session_scope("test", url=world.url) as s:
        scoring.confirm_selection(s, world.supervisor(), YEAR, scoring.EXCELLENT, low, [ex["c"]])
    with session_scope("leader", url=world.url) as s:
        sel_id = scoring.confirm_selection(s, world.leader(), YEAR, scoring.EXCELLENT, low, [ex["c"]])
    with session_scope("test", url=world.url) as s:
        sel = scoring.latest_selection(s, YEAR, scoring.EXCELLENT)
        doc = Document(io.BytesIO(scoring.selection_docx(s, sel_id)))
        xlsx = scoring.selection_xlsx(s, sel_id)
        stored = s.get(M.Selection, sel_id)
        assert stored.rubric_id == low and stored.confirmed_by == "leader"
    assert sel["评分细则版本"] == "第2版" and sel["items"][0]["代表"] == "李娜"
    text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "李娜" in text
    assert xlsx[:2] == b"PK"


def test_figures_for_the_dashboard(world) -> None:
    """R15/R17/R20 figures open 评分评优 with the year in the query parameters."""
    build_example(world)
    with session_scope("test", url=world.url) as s:
        figs = {f.rule: f for f in scoring.figures(s, world.leader(), YEAR)}
    assert set(figs) == {"R15", "R17", "R20"}
    assert figs["R15"].value == 12  # every deputy is 不称职 under the default bands in this small example
    assert figs["R17"].value == "未确认"
    assert figs["R20"].value == 3 and figs["R20"].params["year"] == str(YEAR)


def test_deputy_who_left_mid_year_is_pro_rated(world) -> None:
    """A deputy who resigned on 31 March is scored on the quarter served (not ranked as weak), owes no
    R1 deduction, and is no 优秀代表 candidate."""
    d = world.deputies[3]
    with session_scope("test", url=world.url) as s:
        rid = scoring.ensure_default_rubric(s)
        dep = s.get(M.Deputy, d)
        dep.status, dep.left_on = "辞职", date(YEAR, 3, 31)
        _activity(s, world, date(YEAR, 2, 20), [d])
    with session_scope("test", url=world.url) as s:
        row = scoring.compute(s, rid, YEAR).by_id()[d]
        cand = scoring.candidates(s, world.admin(), rid, YEAR)
    f = (date(YEAR, 3, 31) - date(YEAR, 1, 1)).days / ((date(YEAR, 12, 31) - date(YEAR, 1, 1)).days + 1) + \
        1 / ((date(YEAR, 12, 31) - date(YEAR, 1, 1)).days + 1)
    assert row["fraction"] == pytest.approx(f, abs=1e-4)
    assert row["focus"]["F5"] == round(min(10, 2 / max(f, scoring.MIN_FRACTION)), 2) == 8.0  # floor of 25 %
    assert row["deduction"] == 0.0
    assert "年内已离任" in {r["deputy_id"]: r["说明"] for r in cand["others"]}[d]
