"""Spot checks on real databases (SQLite, PostgreSQL, MariaDB): the draw, findings, grades,
follow-up, 复核 and exports, as a supervisor uses them."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from db import models
from db.engine import session_scope
from services import auth, clock, settings
from services import spotchecks as sc
from services.common import NotFound, PermissionDenied, StaleError, ValidationError, today
from tests.gongwen import assert_gongwen

YEAR = clock.today().year
START, END = date(YEAR, 1, 1), date(YEAR, 3, 31)
DAY = date(YEAR, 4, 2)
ALL_OK = dict.fromkeys(settings.DEFAULTS["spotcheck_checklist"][0], "通过")


def add_records(w, *, activities=12, letters=4, openings=2, reports=1) -> dict:
    """Records in Q1: activities of group 0, letters of group 1, openings of group 2, a report of
    group 0; plus one activity outside the period. Returns their ids by kind."""
    ids: dict[str, list[int]] = {k: [] for k in sc.KINDS}
    with session_scope("staff", url=w.url) as s:
        # created in an order that is NOT the canonical one (group 2 first)
        for i in range(openings):
            o = models.MailboxOpening(mailbox_id=w.mailboxes[2], opened_on=date(YEAR, 2, 1 + i),
                                      opened_by="吴联络", letters_found=i)
            s.add(o)
            s.flush()
            ids["开箱记录"].append(o.id)
        for i in range(letters):
            lt = models.Letter(code=f"X{YEAR}{i:04d}", mailbox_id=w.mailboxes[1], district_id=w.districts[1],
                               group_id=w.groups[1], office_id=w.offices[0], received_on=date(YEAR, 3, 1 + i),
                               summary="反映小区路灯不亮", category="城乡建设", writer_name="某某",
                               writer_phone="13912345678")
            s.add(lt)
            s.flush()
            ids["来信"].append(lt.id)
        for i in range(activities + 1):
            held = date(YEAR, 1, 5 + i) if i < activities else date(YEAR, 4, 20)
            a = models.Activity(held_on=held, place=f"社区活动室{i}", district_id=w.districts[0],
                                group_id=w.groups[0], office_id=w.offices[0], organiser="代表组统一组织",
                                kind="问需", targets=["一般选民"], mode="走访慰问", voters_reached=20 + i,
                                summary="听取居民对加装电梯的意见")
            s.add(a)
            s.flush()
            if i < activities:
                ids["联系活动"].append(a.id)
        for i in range(reports):
            r = models.Report(deputy_id=w.deputies[i], year=YEAR, form="当面述职", held_on=date(YEAR, 3, 20))
            s.add(r)
            s.flush()
            ids["述职"].append(r.id)
    return ids


SECOND_USER, SECOND = "supervisor2", "钱副督查"  # a second supervisor who confirms the dice


def second_account(url: str, username: str = SECOND_USER, display: str = SECOND, role: str = "supervisor",
                   **scope) -> str:
    """An account (password demo12345) for the second person of a dice draw; its user name."""
    with session_scope("system", url=url) as s:
        if not s.query(models.User).filter_by(username=username).first():
            s.add(models.User(username=username, display_name=display, role=role,
                              password_hash=auth.hash_password(auth.DEMO_PASSWORD), **scope))
    return username


def confirm(url: str, username: str = SECOND_USER) -> dict:
    """The second person's confirmation of a dice value (their own account and password)."""
    return {"second_username": second_account(url) if username == SECOND_USER else username,
            "second_password": auth.DEMO_PASSWORD}


@pytest.fixture(autouse=True)
def _after_the_quarter(travel):
    """Checks of Q1 are sealed and opened once Q1 is over (2 April of the test year)."""
    travel(DAY)


def new_check(w, *, value="3 5 6", kinds=sc.KINDS, group_count=None, count=None, **share) -> int:
    """Seal a check over Q1 (dice at a meeting today) and open it with ``value`` as the supervisor
    and the group liaison; return its id. ``count``: that many records of each kind per group."""
    if count is not None:
        share = {"percent": 1, "minimums": dict.fromkeys(kinds, count)}
    second = confirm(w.url)  # the account exists before the supervisor's transaction starts
    with session_scope("supervisor", url=w.url) as s:
        rule = sc.build_rule(s, w.supervisor(), period_start=START, period_end=END, kinds=list(kinds),
                             group_count=group_count, **share)
        reason = "测试再次抽查" if sc.earlier_seals(s, rule) else ""
        check = sc.seal_check(s, w.supervisor(), rule, source_kind="现场掷骰", source_name="季度抽查会",
                              source_ref="第一会议室", source_due=today(), reason=reason,
                              dice=len(value.split()))
        sc.open_check(s, w.supervisor(), check.id, value=value, **second)
        return check.id

def test_draw_stores_everything_needed_to_redo_it(world):
    ids = add_records(world)
    cid = new_check(world)
    with session_scope(url=world.url) as s:
        check = s.get(models.SpotCheck, cid)
        eligible = sc.eligible_records(s, START, END, sc.KINDS, world.groups)
        assert check.fingerprint == sc.fingerprint(eligible)
        assert check.seed == sc.make_seed(check.fingerprint, f"季度抽查会|第一会议室|{today().isoformat()}", "3 5 6")
        # the activity outside the period is not eligible, nor the opening that found no letter
        assert len(eligible) == 12 + 4 + 1 + 1
        assert check.sample == sc.draw(check.rule, eligible, check.seed)["records"]
        per_group = {g: [r for r in check.sample if r[0] == g] for g in world.groups}
        # default per kind: 10 %, at least 2 activities and 1 letter
        assert sorted(r[1] for r in per_group[world.groups[0]]) == ["联系活动", "联系活动", "述职"]
        assert len(per_group[world.groups[1]]) == 1  # 4 letters
        assert [r[2] for r in per_group[world.groups[2]]] == [ids["开箱记录"][1]]  # the one with a letter
        assert (check.second_name, check.second_role, check.opened_by) == (SECOND, "督查人员", "supervisor")
        items = s.query(models.SpotCheckItem).filter_by(check_id=cid).all()
        assert sorted([i.group_id, i.record_kind, i.record_id] for i in items) == sorted(check.sample)
        assert all(len(i.record_digest) == 64 for i in items)
        grades = s.query(models.SpotCheckGrade).filter_by(check_id=cid).all()
        assert sorted(g.group_id for g in grades) == sorted(world.groups)
        assert all(g.grade is None for g in grades)


def test_eligible_list_is_in_canonical_order_whatever_the_database_returns(world):
    ids = add_records(world)
    with session_scope(url=world.url) as s:
        eligible = sc.eligible_records(s, START, END, ["开箱记录", "来信", "联系活动", "述职"], world.groups)
    expected = sorted(
        [(world.groups[0], "联系活动", i) for i in ids["联系活动"]]
        + [(world.groups[0], "述职", i) for i in ids["述职"]]
        + [(world.groups[1], "来信", i) for i in ids["来信"]]
        + [(world.groups[2], "开箱记录", i) for i in ids["开箱记录"][1:]]  # the first found no letter
    )
    assert eligible == expected
    assert sc.fingerprint(eligible) == sc.fingerprint(list(reversed(expected)))


def test_findings_make_the_grade_and_verify_activities(world):
    ids = add_records(world, letters=4)
    cid = new_check(world, kinds=["联系活动", "来信"], count=2)
    sup = world.supervisor()
    with session_scope("supervisor", url=world.url) as s:
        d = sc.check_detail(s, sup, cid)
        g0 = [i for i in d["items"] if i["group_id"] == world.groups[0]]
        g1 = [i for i in d["items"] if i["group_id"] == world.groups[1]]
        assert len(g0) == 2 and len(g1) == 2
        assert sc.record_finding(s, sup, g0[0]["id"], ALL_OK, "合格") is None  # one still unchecked
        assert sc.record_finding(s, sup, g0[1]["id"], ALL_OK, "基本合格", "签到表缺页") == "合格"
        assert sc.record_finding(s, sup, g1[0]["id"], ALL_OK, "合格") is None
        assert sc.record_finding(s, sup, g1[1]["id"], ALL_OK, "合格") == "优秀"
    with session_scope(url=world.url) as s:
        grades = {g["group_id"]: g["评定"] for g in sc.check_detail(s, sup, cid)["grades"]}
        assert grades == {world.groups[0]: "合格", world.groups[1]: "优秀", world.groups[2]: "需整改"}
        act = s.get(models.Activity, g0[0]["记录编号"])
        assert act.verified_by == "supervisor" and act.verified_at is not None
        findings = sc.record_findings(s, "联系活动", ids["联系活动"])
        assert findings == {g0[0]["记录编号"]: "核实通过", g0[1]["记录编号"]: "核实通过"}
    # a 不合格 finding turns the evidence into 核实未通过 and the group into 需整改
    with session_scope("supervisor", url=world.url) as s:
        bad = dict(ALL_OK, 时间地点属实="不通过")
        with pytest.raises(ValidationError) as e:  # a revision needs a reason
            sc.record_finding(s, sup, g0[1]["id"], bad, "不合格", "活动地点与照片不符")
        assert set(e.value.errors) == {"reason"}
        assert sc.record_finding(s, sup, g0[1]["id"], bad, "不合格", "活动地点与照片不符",
                                 reason="复看照片，地点不符") == "需整改"
    with session_scope(url=world.url) as s:
        assert sc.record_findings(s, "联系活动", [g0[1]["记录编号"]]) == {g0[1]["记录编号"]: "核实未通过"}
        assert s.get(models.Activity, g0[1]["记录编号"]).verified_by is None
        assert s.get(models.SpotCheck, cid).status == "已完成"


def test_grade_rule_is_a_setting():
    rule = settings.DEFAULTS["spotcheck_grade_rule"][0]
    assert sc.grade_for(["合格"] * 4, rule) == "优秀"
    assert sc.grade_for(["合格", "基本合格", "合格"], rule) == "合格"
    assert sc.grade_for(["基本合格", "基本合格"], rule) == "需整改"
    assert sc.grade_for(["合格", "不合格"], rule) == "需整改"
    assert sc.grade_for([], rule) == "需整改"
    lenient = {"bands": [{"grade": "合格", "max_basic": 5, "max_fail": 1}], "otherwise": "需整改"}
    assert sc.grade_for(["合格", "不合格", "基本合格"], lenient) == "合格"


def test_findings_are_validated_and_only_supervisors_record_them(world):
    add_records(world)
    cid = new_check(world, kinds=["联系活动"], count=1)
    with session_scope("supervisor", url=world.url) as s:
        item = sc.check_detail(s, world.supervisor(), cid)["items"][0]["id"]
        with pytest.raises(ValidationError) as e:
            sc.record_finding(s, world.supervisor(), item, {"记录完整": "通过"}, "不合格", "")
        assert set(e.value.errors) == {"checklist", "note"}
        with pytest.raises(PermissionDenied):
            sc.record_finding(s, world.staff(), item, ALL_OK, "合格")
        with pytest.raises(PermissionDenied):
            sc.check_detail(s, world.staff(), cid)


def test_needs_rectification_group_gets_items_its_staff_see_and_the_supervisor_closes(world):
    add_records(world)
    cid = new_check(world, kinds=["联系活动"], count=2)
    sup = world.supervisor()
    with session_scope("supervisor", url=world.url) as s:
        items = sc.check_detail(s, sup, cid)["items"]
        for it in items:
            sc.record_finding(s, sup, it["id"], ALL_OK, "不合格", "无签到表")
    with session_scope("staff", url=world.url) as s:
        page = sc.list_rectifications(s, world.staff(), {}, 0, 20)
        # group 0 (activities, 需整改) is in the staff's office; group 2 (no record → 需整改) is not
        assert sorted(r["代表组"] for r in page.rows) == ["东城第一代表组", "东城第二代表组"]
        row = next(r for r in page.rows if r["代表组"] == "东城第一代表组")
        assert row["状态"] == "未完成" and row["整改期限"] == today() + timedelta(days=30)
        assert "无签到表" in row["整改内容"]
        with pytest.raises(PermissionDenied):
            sc.close_rectification(s, world.staff(), row["id"])
    with session_scope("admin", url=world.url) as s:
        assert sc.list_rectifications(s, world.admin(), {}, 0, 20).total == 3
        figs = {f.label: f.value for f in sc.figures(s, world.admin(), YEAR)}
        assert figs["抽查整改未完成"] == 3 and figs["抽查整改已逾期"] == 0
    with session_scope("supervisor", url=world.url) as s:
        sc.close_rectification(s, sup, row["id"])
        # a colleague's page drawn before: told who confirmed it and when, nothing changes
        with pytest.raises(StaleError, match=f"李督查于{today():%Y-%m-%d}已确认完成"):
            sc.close_rectification(s, sup, row["id"])
        extra = sc.add_rectification(s, sup, cid, world.groups[0], "补充签到表", today() + timedelta(days=7))
        assert extra.status == "未完成"
    with session_scope(url=world.url) as s:
        page = sc.list_rectifications(s, world.staff(), {"status": "已完成"}, 0, 20)
        assert [(r["整改内容"][:6], r["确认人"]) for r in page.rows] == [(row["整改内容"][:6], "李督查")]  # the person, not the login name


def test_verify_matches_then_flags_what_changed_after_the_draw(world):
    add_records(world)
    cid = new_check(world)
    sup = world.supervisor()
    with session_scope(url=world.url) as s:
        result = sc.verify(s, cid, sup)
        assert result["ok"] and result["sample_ok"] and result["fingerprint_ok"] and not result["changed"]
        items = sc.check_detail(s, sup, cid)["items"]
    act_item = next(i for i in items if i["类别"] == "联系活动")
    # passing a check marks the activity verified: not a change by the group, not flagged
    with session_scope("supervisor", url=world.url) as s:
        sc.record_finding(s, sup, act_item["id"], ALL_OK, "合格")
    with session_scope(url=world.url) as s:
        assert sc.verify(s, cid)["ok"]
    # the group edits a drawn letter after the draw, and adds a new activity to the period
    letter_item = next(i for i in items if i["类别"] == "来信")
    with session_scope("staff", url=world.url) as s:
        s.get(models.Letter, letter_item["记录编号"]).summary = "补写的内容"
        s.add(models.Activity(held_on=date(YEAR, 2, 28), place="补录", district_id=world.districts[0],
                              group_id=world.groups[0], office_id=world.offices[0], organiser="代表个人",
                              kind="问计", targets=[], mode="调研座谈", voters_reached=5, summary="补录"))
    with session_scope(url=world.url) as s:
        result = sc.verify(s, cid)
    assert not result["ok"]
    assert result["sample_ok"] and result["seed_ok"] and result["stored_list_ok"]
    assert not result["fingerprint_ok"] and len(result["added"]) == 1 and not result["removed"]
    assert [(c["类别"], c["记录编号"], c["变化"]) for c in result["changed"]] == [
        ("来信", letter_item["记录编号"], "封存后已修改")
    ]
    assert ("summary", "听取居民对加装电梯的意见", "补写的内容") not in result["changed"][0]["修改内容"]
    assert [c[0] for c in result["changed"][0]["修改内容"]] == ["内容摘要"]  # the field by its Chinese name


def test_tampered_sample_is_detected(world):
    add_records(world)
    cid = new_check(world)
    with session_scope(url=world.url) as s:
        check = s.get(models.SpotCheck, cid)
        check.sample = check.sample[1:]
    with session_scope(url=world.url) as s:
        result = sc.verify(s, cid)
    assert not result["sample_ok"] and not result["ok"]


def test_random_groups_history_filters_and_figures(world):
    add_records(world)
    cid = new_check(world, group_count=1)
    with session_scope(url=world.url) as s:
        chosen = [g["group_id"] for g in sc.check_detail(s, world.supervisor(), cid)["grades"]]
        assert len(chosen) == 1
        assert {i["group_id"] for i in sc.check_detail(s, world.supervisor(), cid)["items"]} <= set(chosen)
        page = sc.list_checks(s, world.supervisor(), {"group": chosen[0]}, 0, 20)
        assert [r["编号"] for r in page.rows] == [cid]
        other = next(g for g in world.groups if g not in chosen)
        assert sc.list_checks(s, world.supervisor(), {"group": other}, 0, 20).total == 0
        assert sc.list_checks(s, world.supervisor(), {"grade": "优秀"}, 0, 20).total == 0
        assert sc.list_checks(s, world.supervisor(), {"period": (date(YEAR - 1, 1, 1), date(YEAR - 1, 12, 31))},
                              0, 20).total == 0
        figs = {f.label: f for f in sc.figures(s, world.supervisor(), YEAR)}
        # drawn but no finding recorded: no group counts as checked yet
        assert figs["本季度未抽查代表组"].value == 3 and figs["本季度未抽查代表组"].page == "spotchecks"


def test_build_rule_refuses_bad_choices_field_by_field(world):
    with session_scope(url=world.url) as s:
        with pytest.raises(ValidationError) as e:
            sc.build_rule(s, world.supervisor(), period_start=END, period_end=START, kinds=[],
                          group_count=9, percent=0, minimums={"联系活动": -1})
        assert set(e.value.errors) == {"period", "kinds", "group_count", "percent", "minimums"}
        rule = sc.build_rule(s, world.supervisor(), period_start=START, period_end=END, kinds=["来信"])
        with pytest.raises(ValidationError) as e:
            sc.seal_check(s, world.supervisor(), rule, source_kind="彩票开奖", source_name="  ", source_ref="2026001",
                          source_due=DAY)
        assert set(e.value.errors) == {"source_name", "source_due"}  # a lottery draw after today
        with pytest.raises(PermissionDenied):
            sc.seal_check(s, world.staff(), rule, source_kind="现场掷骰", source_name="会", source_ref="会议室",
                          source_due=DAY)
        with pytest.raises(NotFound):
            sc.verify(s, 99999)


def test_exports_carry_the_seed_fingerprint_sample_and_findings(world):
    add_records(world)
    cid = new_check(world, kinds=["联系活动"], count=1)
    sup = world.supervisor()
    with session_scope("supervisor", url=world.url) as s:
        item = sc.check_detail(s, sup, cid)["items"][0]
        sc.record_finding(s, sup, item["id"], ALL_OK, "合格")
        check = s.get(models.SpotCheck, cid)
        seed, fp = check.seed, check.fingerprint
        xlsx = sc.export_xlsx(s, sup, cid)
        docx = sc.export_docx(s, sup, cid)
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["抽查概况", "抽取记录与核查结果", "代表组评定", "可抽记录清单"]
    cells = [c for row in wb["抽查概况"].iter_rows(values_only=True) for c in row]
    assert seed in cells and fp in cells
    rows = list(wb["可抽记录清单"].iter_rows(values_only=True))
    header = rows[2]
    drawn = [r for r in rows[3:] if r[header.index("是否抽中")] == "是"]
    assert [r[header.index("记录编号")] for r in drawn] == [item["记录编号"]]
    assert "合格" in [c for row in wb["抽取记录与核查结果"].iter_rows(values_only=True) for c in row]
    paras = [p.text for p in assert_gongwen(docx).paragraphs]
    appendix = paras.index("附录：复核数据")
    body, tail = "\n".join(paras[:appendix]), "\n".join(paras[appendix:])
    assert seed not in body and fp not in body and "{" not in body  # plain words, no JSON, no digests
    assert seed in tail and fp in tail
    assert "督查人员 李督查" in body  # the person, not the login name


def test_revised_findings_withdraw_only_the_items_the_grading_opened(world):
    add_records(world)
    cid = new_check(world, kinds=["联系活动"], count=1)
    sup = world.supervisor()
    g0 = world.groups[0]
    with session_scope("supervisor", url=world.url) as s:
        item = next(i for i in sc.check_detail(s, sup, cid)["items"] if i["group_id"] == g0)
        assert sc.record_finding(s, sup, item["id"], ALL_OK, "不合格", "无照片") == "需整改"
        sc.add_rectification(s, sup, cid, g0, "组织联络员培训", today() + timedelta(days=10))
    with session_scope("supervisor", url=world.url) as s:
        assert sc.list_rectifications(s, sup, {"group": g0}, 0, 20).total == 2
        # the photos turn up: the finding is revised to 合格
        assert sc.record_finding(s, sup, item["id"], ALL_OK, "合格", reason="代表组补交了照片") == "优秀"
    with session_scope(url=world.url) as s:
        assert "代表组补交了照片" in s.get(models.SpotCheckItem, item["id"]).revision_note
        rows = sc.list_rectifications(s, sup, {"group": g0}, 0, 20).rows
        assert [r["整改内容"] for r in rows] == ["组织联络员培训"]
        staff_figs = {f.label: f for f in sc.figures(s, world.staff(), YEAR)}
        assert staff_figs["抽查整改未完成"].page == "dashboard"
        assert staff_figs["抽查整改未完成"].params["view"] == "spotcheck_rect"
        assert "本季度未抽查代表组" not in staff_figs


def test_record_facts_show_what_is_checked_without_the_writers_personal_data(world):
    ids = add_records(world)
    with session_scope(url=world.url) as s:
        sup = world.supervisor()
        act = dict(sc.record_facts(s, sup, "联系活动", ids["联系活动"][0]))
        assert act["签到表"] == "否" and act["联系选民（人）"] == "20"
        letter = sc.record_facts(s, sup, "来信", ids["来信"][0])
        assert dict(letter)["转办单位"] == "未转办"
        assert not any("13912345678" in v or "某某" in v for _, v in letter)
        assert dict(sc.record_facts(s, sup, "开箱记录", ids["开箱记录"][1]))["发现来信（封）"] == "1"
        assert dict(sc.record_facts(s, sup, "述职", ids["述职"][0]))["年度·形式"] == f"{YEAR}年·当面述职"
        assert sc.record_facts(s, sup, "来信", 987654) == [("状态", "该记录已被删除")]
        with pytest.raises(PermissionDenied):
            sc.record_facts(s, world.staff(), "来信", ids["来信"][0])


def test_the_default_shares_of_a_draw_are_settings(world) -> None:
    """系统设置 moves the default number of groups a quarter's draw takes, and the records per group."""
    with session_scope("admin", world.url) as s:
        assert sc.default_group_count(s, 3) == 2  # 20 % of 3 rounded up is 1, at least 2
        assert sc.default_group_count(s, 12) == 3
        assert sc.sampling_defaults(s)["percent"] == 10
        assert sc.sampling_defaults(s)["minimums"] == {"联系活动": 2, "来信": 1, "开箱记录": 0, "述职": 0}
        settings.put(s, "spotcheck_group_share", 0.5)
        settings.put(s, "spotcheck_group_min", 1)
        settings.put(s, "spotcheck_record_share", 0.25)
    with session_scope("admin", world.url) as s:
        assert sc.default_group_count(s, 3) == 2 and sc.default_group_count(s, 12) == 6
        assert sc.default_group_count(s, 1) == 1
        assert sc.sampling_defaults(s)["percent"] == 25


def test_a_deadline_setting_change_is_not_a_change_of_the_drawn_letters(world):
    """The due dates the app derives move on every letter when the admin changes the deadlines: 复核
    must not report letters nobody touched as changed after 封存 (the noise hid real edits)."""
    from services import setting_changes

    add_records(world)
    cid = new_check(world, kinds=["来信"], count=4)
    with session_scope(url=world.url) as s:
        assert sc.verify(s, cid)["ok"]
    with session_scope("admin", url=world.url) as s:
        current = settings.get(s, "letter_deadlines")
        longer = {k: (v + 1 if isinstance(v, int) else v) for k, v in current.items()}
        setting_changes.save(s, world.admin(), "letter_deadlines", longer, current)
    with session_scope(url=world.url) as s:
        result = sc.verify(s, cid)
    assert result["ok"], result["problems"]
    assert result["changed"] == [] and result["changed_other"] == 0


def _xlsx_without(data: bytes, sheet: str, edit) -> bytes:  # noqa: ANN001
    """The export with one sheet edited by ``edit(ws)`` (as someone would in Excel)."""
    wb = load_workbook(io.BytesIO(data))
    edit(wb[sheet])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_verify_file_checks_the_findings_sheet_and_tells_missing_from_mismatch(world, tmp_path, monkeypatch, capsys):
    import manage

    add_records(world)
    cid = new_check(world)
    with session_scope(url=world.url) as s:
        data = sc.export_xlsx(s, world.supervisor(), cid)
        sample = s.get(models.SpotCheck, cid).sample
    assert sc.verify_export(data)[0] is True
    sheet = sc.FINDINGS_SHEET

    def header_row(ws):  # noqa: ANN001, ANN202
        return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 3).value == "记录编号")

    first_kind, first_id = sample[0][1], sample[0][2]
    deleted = _xlsx_without(data, sheet, lambda ws: ws.delete_rows(header_row(ws) + 1))
    ok, line = sc.verify_export(deleted)
    assert ok is False and f"少了：{first_kind} {first_id}" in line, line

    def add_row(ws):  # noqa: ANN001, ANN202
        ws.append(["东城第一代表组", "联系活动", 99999, "补上的一条", *([""] * 5), "合格"])
    ok, line = sc.verify_export(_xlsx_without(data, sheet, add_row))
    assert ok is False and "多了：联系活动 99999" in line, line
    # the findings rows alone moved: the sample itself still agrees, and the line says which sheet
    assert "样本" not in line and sheet in line
    # not a workbook, a Word file, a workbook of something else: a Chinese line, no Python error name
    from docx import Document
    buf = io.BytesIO()
    Document().save(buf)
    other = io.BytesIO()
    from openpyxl import Workbook
    Workbook().save(other)
    for junk in (b"not a workbook", data[: len(data) // 2], buf.getvalue(), other.getvalue()):
        ok, line = sc.verify_export(junk)
        assert ok is None and "导出 Excel" in line and "Error" not in line and "Zip" not in line, line
    # the command: 一致 0, 不一致 1, 找不到 2 (a missing check is not a mismatch)
    monkeypatch.setenv("DATABASE_URL", world.url)
    good, bad, junk = tmp_path / "good.xlsx", tmp_path / "bad.xlsx", tmp_path / "junk.xlsx"
    good.write_bytes(data)
    bad.write_bytes(deleted)
    junk.write_bytes(b"PK\x03\x04 broken")
    cases = [(["spotcheck", "verify", "--file", str(good)], 0, "一致"),
             (["spotcheck", "verify", "--file", str(good)], 0, "一致"),  # the same export verified twice
             (["spotcheck", "verify", "--file", str(bad)], 1, "少了"),
             (["spotcheck", "verify", "--file", str(junk)], 2, "无法读取"),
             (["spotcheck", "verify", "--file", str(tmp_path / "nope.xlsx")], 2, "找不到文件"),
             (["spotcheck", "verify", "999"], 2, "找不到"),
             (["spotcheck", "verify", str(cid)], 0, "一致")]
    for argv, code, words in cases:
        assert manage.main(argv) == code, argv
        out = capsys.readouterr()
        assert words in out.out + out.err, (argv, out)
        assert "BadZip" not in out.out + out.err
        assert ("不一致：" in out.out) == (code == 1), (argv, out)


def test_the_dashboard_figures_link_to_tabs_the_page_has(world):
    """工作台's “本季度未抽查代表组” linked to a tab named 新建抽查 that the page does not have: the
    page said the link was wrong. Every figure's tab is one of the page's tabs."""
    from pages.spotchecks import TABS

    with session_scope(url=world.url) as s:
        figs = sc.figures(s, world.supervisor(), YEAR)
    tabs = [f.params["tab"] for f in figs if f.page == "spotchecks"]
    assert len(tabs) == 3 and set(tabs) <= set(TABS)


def test_a_deputy_who_moves_group_or_leaves_after_the_seal_is_no_change_of_the_list(world):
    """A report stays with the group its deputy served in on its day: a deputy moved to another
    group (or who left) after 封存 does not make 复核 report the frozen list as changed."""
    from services import masterdata

    ids = add_records(world)
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, world.supervisor(), period_start=START, period_end=END, kinds=list(sc.KINDS))
        cid = sc.seal_check(s, world.supervisor(), rule, source_kind="彩票开奖", source_name="双色球",
                            source_ref="2026038", source_due=today() + timedelta(days=1)).id
    with session_scope("admin", url=world.url) as s:
        masterdata.move_deputy(s, world.admin(), world.deputies[0], world.groups[2], world.districts[2], today())
        masterdata.set_deputy_status(s, world.admin(), world.deputies[1], "辞职", today())
    with session_scope(url=world.url) as s:
        result = sc.verify(s, cid)
        assert result["fingerprint_ok"], (result["added"], result["removed"])
        assert result["ok"], result["problems"]
        assert (world.groups[0], "述职", ids["述职"][0]) in sc.eligible_records(s, START, END, sc.KINDS, world.groups)
