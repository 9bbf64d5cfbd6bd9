"""抽查督导 page (AppTest): a supervisor draws, records findings, the grade follows, 复核 matches;
staff cannot open the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from db import models
from db.engine import session_scope
from services import clock, settings
from services import spotchecks as sc
from services.common import today
from tests import test_spotchecks as tsc
from tests.conftest import app_as, goto, submit

CHECKLIST = settings.DEFAULTS["spotcheck_checklist"][0]


@pytest.fixture(autouse=True)
def _second_day_of_a_quarter(travel):
    """The page checks last quarter; the tests run on 2 April of this year."""
    travel(date(clock.today().year, 4, 2))


def _last_quarter() -> tuple[date, date]:
    return sc.quarter_of(sc.quarter_of(today())[0] - timedelta(days=1))


def _activities(w, n: int = 4) -> list[int]:
    """n activities of group 0 in the last quarter."""
    start, _ = _last_quarter()
    ids = []
    with session_scope("staff", url=w.url) as s:
        for i in range(n):
            a = models.Activity(held_on=start + timedelta(days=i), place=f"村委会{i}",
                                district_id=w.districts[0], group_id=w.groups[0], office_id=w.offices[0],
                                organiser="代表组统一组织", kind="问难", targets=["特困户"], mode="走访慰问",
                                voters_reached=10, summary="走访困难家庭")
            s.add(a)
            s.flush()
            ids.append(a.id)
    return ids


def _drawn(w, *, groups=None, minimum=1, value="5 5 5") -> int:
    """Seal last quarter's activities and open with dice and a liaison (services); the check's id."""
    start, end = _last_quarter()
    second = tsc.confirm(w.url)
    with session_scope("supervisor", url=w.url) as s:
        rule = sc.build_rule(s, w.supervisor(), period_start=start, period_end=end, kinds=["联系活动"],
                             groups=groups, percent=1, minimums={"联系活动": minimum})
        cid = sc.seal_check(s, w.supervisor(), rule, source_kind="现场掷骰", source_name="督查会",
                            source_ref="302室", source_due=today(), dice=len(value.split())).id
        sc.open_check(s, w.supervisor(), cid, value=value, **second)
        return cid


def _frame(at: AppTest, column: str):
    """The first table on the page having ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column}")


def test_supervisor_seals_opens_records_and_verifies(app_world):
    w = app_world
    _activities(w, 4)
    at = app_as("supervisor", "spotchecks")
    assert not at.exception
    assert "抽查督导" in [t.value for t in at.title]
    # the eligible counts show before 封存: 4 activities in group 0, 2 to draw (at least 2 activities)
    at.radio(key="sc_group_mode").set_value("全部代表组").run()
    counts = _frame(at, "应抽条数")
    row = counts[counts["代表组"] == "东城第一代表组"].iloc[0]
    assert row["联系活动"] == 4 and row["应抽条数"] == 2
    # dice at a meeting today; sealing without the meeting place is refused beside the field
    at.radio(key="sc_source_kind").set_value("现场掷骰").run()
    at.text_input(key="sc_source_name_现场掷骰").input("季度督查会").run()
    at.button(key="sc_seal_btn").click().run()
    assert any("请填写掷骰的会议或场次" in e.value for e in at.error)
    at.text_input(key="sc_source_ref_现场掷骰").input("302会议室").run()
    at.number_input(key="sc_dice").set_value(3).run()
    at.button(key="sc_seal_btn").click().run()
    assert not at.exception
    assert any("已封存" in m.value for m in at.success)
    with session_scope(url=w.url) as s:
        check = s.query(models.SpotCheck).one()
        cid, fp = check.id, check.fingerprint
        assert check.status == "已封存" and check.seed is None
    assert any(fp in t.value for t in at.text)  # the 公告 shows the fingerprint
    # a double click on 封存 (the second click arrives after the first saved): still one check, and
    # the page says this quarter's check of these groups is under way
    at.button(key="sc_seal_btn").click().run()
    assert not at.exception
    with session_scope(url=w.url) as s:
        assert s.query(models.SpotCheck).count() == 1
    assert any("尚未结束" in m.value for m in at.warning)
    # 开签: dice need the second person, confirming with their own account and password
    second = tsc.second_account(w.url)
    at.text_input(key="sc_value").input("2，6，1\u200b").run()  # pasted with commas and a zero-width space
    assert any("将按“2 6 1”开签" in c.value for c in at.caption)
    at.button(key="sc_open_btn").click().run()
    assert any("第二人" in e.value for e in at.error)
    at.text_input(key=f"sc_second_{cid}").input(second).run()
    at.text_input(key=f"sc_second_pw_{cid}").input("wrong-pass1").run()
    at.button(key="sc_open_btn").click().run()
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert at.text_input(key="sc_value").value == "2，6，1\u200b"  # the value typed is kept
    with session_scope(url=w.url) as s:
        assert s.get(models.SpotCheck, cid).status == "已封存"
        assert s.query(models.LoginAttempt).filter_by(username=second, success=False).count() == 1
    at.text_input(key=f"sc_second_pw_{cid}").input("demo12345").run()
    at.button(key="sc_open_btn").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with session_scope(url=w.url) as s:
        check = s.get(models.SpotCheck, cid)
        assert check.seed == sc.make_seed(fp, f"季度督查会|302会议室|{today().isoformat()}", "2 6 1")
        assert (check.second_name, check.second_role, check.status) == (tsc.SECOND, "督查人员", "检查中")
        item_ids = [i.id for i in s.query(models.SpotCheckItem).filter_by(check_id=cid)
                    if i.group_id == w.groups[0]]
        records = [i.record_id for i in s.query(models.SpotCheckItem).filter_by(check_id=cid)]
    assert len(item_ids) == 2
    # one exception (checklist preset: one click to flag the item), then 其余全部合格
    at.selectbox(key=f"sc_item_{cid}").set_value(item_ids[0]).run()
    at.radio(key=f"sc_ck_{item_ids[0]}_2").set_value("不通过")
    at.radio(key=f"sc_res_{item_ids[0]}").set_value("基本合格")
    at.text_area(key=f"sc_note_{item_ids[0]}").input("签到表缺页")
    submit(at, f"sc_save_{item_ids[0]}").click().run()
    assert not at.exception
    assert any("核查结果已保存" in m.value for m in at.success)
    at.button(key=f"sc_rest_{cid}_{w.groups[0]}").click().run()
    assert not at.exception
    grades = _frame(at, "已核查")
    assert dict(zip(grades["代表组"], grades["评定"], strict=True)) == {
        "东城第一代表组": "合格", "东城第二代表组": "需整改", "西城代表组": "需整改"}
    with session_scope(url=w.url) as s:
        assert all(a.verified_by == "supervisor" for a in s.query(models.Activity)
                   .filter(models.Activity.id.in_(records)))
    # 复核 recomputes and matches
    at.button(key="sc_verify_btn").click().run()
    assert any("复核一致" in m.value for m in at.success)
    assert not at.error
    rect = _frame(at, "整改内容")
    assert sorted(rect["代表组"]) == ["东城第二代表组", "西城代表组"]
    assert at.get("vega_lite_chart")
    assert "下载图片" in [b.proto.label for b in at.get("download_button")]  # the trend chart, like every chart


def test_a_finding_without_a_result_or_a_note_is_refused_beside_the_fields(app_world):
    w = app_world
    _activities(w, 1)
    cid = _drawn(w, groups=[w.groups[0]])
    with session_scope("supervisor", url=w.url) as s:
        item_id = sc.check_detail(s, w.supervisor(), cid)["items"][0]["id"]
    at = app_as("supervisor", "spotchecks")
    submit(at, f"sc_save_{item_id}").click().run()
    assert any("请选择核查结果" in e.value for e in at.error)
    at.radio(key=f"sc_res_{item_id}").set_value("不合格")
    submit(at, f"sc_save_{item_id}").click().run()
    assert any("请写明发现的问题" in e.value for e in at.error)
    assert at.radio(key=f"sc_res_{item_id}").value == "不合格"  # the user's choice stays
    with session_scope(url=w.url) as s:
        assert s.get(models.SpotCheckItem, item_id).result is None


def test_a_changed_record_is_flagged_by_verify_with_before_and_after(app_world):
    w = app_world
    ids = _activities(w, 2)
    _drawn(w, groups=[w.groups[0]], minimum=2)
    with session_scope("staff", url=w.url) as s:
        s.get(models.Activity, ids[0]).voters_reached = 99
    at = app_as("supervisor", "spotchecks")
    at.button(key="sc_verify_btn").click().run()
    assert any("1条被抽记录在封存后发生变化" in e.value for e in at.error)
    diff = _frame(at, "封存时")
    assert diff.values.tolist() == [["联系选民数", "10", "99"]]  # the field by its Chinese name


def test_staff_cannot_open_the_page(app_world):
    at = app_as("staff")
    with pytest.raises(KeyError):
        goto(at, "spotchecks")


def _render_spotchecks() -> None:
    """Run the page's render() directly (as if a staff user reached it anyway)."""
    from pages import spotchecks

    spotchecks.render()


def test_render_as_staff_shows_the_permission_error(app_world):
    at = AppTest.from_function(_render_spotchecks, default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    assert [e.value for e in at.error] == ["您没有访问此页面的权限。"]
    assert not at.button and not at.text_input


def _staff_rectifications() -> None:
    """工作台's use of the list for staff: the spot-check rectifications of their own scope."""
    from components.guard import current_actor
    from pages import spotchecks

    spotchecks.rectification_list(current_actor())


def test_staff_see_their_groups_rectifications_and_the_supervisor_closes_one(app_world):
    w = app_world
    _drawn(w, value="5 2 5")  # no records: every group 需整改
    at = AppTest.from_function(_staff_rectifications, default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    assert not at.exception
    shown = _frame(at, "整改内容")
    assert sorted(shown["代表组"]) == ["东城第一代表组", "东城第二代表组"]  # office 0 only
    assert not [b for b in at.button if (b.key or "").startswith("sc_rect_close")]  # staff cannot close
    sup = app_as("supervisor", "spotchecks")
    assert len(_frame(sup, "整改内容")) == 3
    assert sup.selectbox(key="sc_rect_pick").value is None  # nothing preselected
    sup.selectbox(key="sc_rect_pick").set_value(_open_rectifications(w)[0])
    submit(sup, "sc_rect_close").click().run()
    assert any("已确认整改完成" in m.value for m in sup.success)
    with session_scope(url=w.url) as s:
        assert [r.closed_by for r in s.query(models.Rectification).filter_by(status="已完成")] == ["supervisor"]


def test_two_tabs_on_one_finding_the_later_save_is_refused_naming_who(app_world):
    w = app_world
    _activities(w, 1)
    cid = _drawn(w, groups=[w.groups[0]])
    tsc.second_account(w.url)
    with session_scope("supervisor", url=w.url) as s:
        item_id = sc.check_detail(s, w.supervisor(), cid)["items"][0]["id"]
    mine, theirs = app_as("supervisor", "spotchecks"), app_as("supervisor2", "spotchecks")
    for at in (mine, theirs):
        at.selectbox(key=f"sc_item_{cid}").set_value(item_id).run()
    theirs.radio(key=f"sc_res_{item_id}").set_value("不合格")
    theirs.text_area(key=f"sc_note_{item_id}").input("无签到表")
    submit(theirs, f"sc_save_{item_id}").click().run()
    assert any("核查结果已保存" in m.value for m in theirs.success)
    # my tab still shows the form as drawn before their save: saving 合格 over it is refused
    mine.radio(key=f"sc_res_{item_id}").set_value("合格")
    mine.text_area(key=f"sc_note_{item_id}").input("我看过了")
    submit(mine, f"sc_save_{item_id}").click().run()
    assert not mine.exception
    assert any("钱副督查" in e.value and "未保存" in e.value for e in mine.error), [e.value for e in mine.error]
    assert mine.text_area(key=f"sc_note_{item_id}").value == "我看过了"  # my input stays
    with session_scope(url=w.url) as s:
        item = s.get(models.SpotCheckItem, item_id)
        assert (item.result, item.note, item.checked_by) == ("不合格", "无签到表", "supervisor2")


def test_a_double_submit_of_one_findings_form_stores_once(app_world):
    from services import intents
    from services.common import DuplicateSubmit

    w = app_world
    _activities(w, 1)
    cid = _drawn(w, groups=[w.groups[0]])
    with session_scope("supervisor", url=w.url) as s:
        item = sc.check_detail(s, w.supervisor(), cid)["items"][0]
    token = intents.new_token()

    def save(s):
        return sc.record_finding(s, w.supervisor(), item["id"], tsc.ALL_OK | item["checklist"], "合格",
                                 expected_version=item["version"])

    intents.submit("supervisor", save, token=token, form=f"sc_find_{cid}", url=w.url)
    with pytest.raises(DuplicateSubmit):
        intents.submit("supervisor", save, token=token, form=f"sc_find_{cid}", url=w.url)
    with session_scope(url=w.url) as s:
        assert s.get(models.SpotCheckItem, item["id"]).version == item["version"] + 1
        assert s.query(models.FormIntent).filter_by(token=token).count() == 1


def test_an_opened_check_is_abandoned_by_the_admin_with_a_reason_not_by_the_supervisor(app_world):
    w = app_world
    _activities(w, 1)
    cid = _drawn(w, groups=[w.groups[0]])
    at = app_as("supervisor", "spotchecks")
    assert not [b for b in at.button if b.key == f"sc_abandon_btn_{cid}"]
    assert any("须由领导" in c.value for c in at.caption)
    at = app_as("admin", "spotchecks")
    at.button(key=f"sc_abandon_btn_{cid}").click().run()
    assert any("请写明作废理由" in e.value for e in at.error)
    at.text_input(key=f"sc_abandon_reason_{cid}").input("掷骰记录有误，经领导同意作废")
    at.button(key=f"sc_abandon_btn_{cid}").click().run()
    assert not at.exception
    assert any("已作废" in m.value for m in at.success)
    with session_scope(url=w.url) as s:
        check = s.get(models.SpotCheck, cid)
        assert (check.status, check.abandoned_by, check.abandon_reason) == ("已作废", "admin", "掷骰记录有误，经领导同意作废")


def _open_rectifications(w) -> list[int]:  # noqa: ANN001
    with session_scope(url=w.url) as s:
        return [r.id for r in s.query(models.Rectification).filter_by(status="未完成").order_by(models.Rectification.id)]


def test_closing_a_rectification_a_colleague_closed_meanwhile_never_closes_another(app_world):
    """B chooses the first open item; A closes that item first. B's click must not close the item
    that moved into its place (no default option), and says nothing was saved."""
    w = app_world
    _drawn(w, value="5 2 5")  # every group 需整改: three open items
    first, second, third = _open_rectifications(w)
    b = app_as("supervisor", "spotchecks")
    b.selectbox(key="sc_rect_pick").set_value(first).run()
    a = app_as("supervisor", "spotchecks")
    a.selectbox(key="sc_rect_pick").set_value(first)
    submit(a, "sc_rect_close").click().run()
    assert _open_rectifications(w) == [second, third]
    submit(b, "sc_rect_close").click().run()
    assert not b.exception
    assert any("未保存" in e.value for e in b.error), [e.value for e in b.error]
    assert _open_rectifications(w) == [second, third]


def test_a_double_click_on_close_rectification_confirms_once(app_world):
    w = app_world
    _drawn(w, value="5 2 5")
    first = _open_rectifications(w)[0]
    at = app_as("supervisor", "spotchecks")
    drawn = dict(at.session_state["sc_rect__intent__0"])
    at.selectbox(key="sc_rect_pick").set_value(first)
    submit(at, "sc_rect_close").click().run()
    assert any("已确认整改完成" in m.value for m in at.success)
    at.session_state["sc_rect__intent__0"] = drawn  # the second click of the same drawn form
    at.run()
    at.selectbox(key="sc_rect_pick").set_value(_open_rectifications(w)[0])  # whatever the list now shows
    submit(at, "sc_rect_close").click().run()
    assert not at.exception
    assert any("重复点击" in m.value for m in at.info), [m.value for m in at.info]
    assert len(_open_rectifications(w)) == 2


def test_a_double_click_on_a_new_rectification_adds_one(app_world):
    w = app_world
    cid = _drawn(w, value="5 2 5")
    n = len(_open_rectifications(w))
    at = app_as("supervisor", "spotchecks")
    drawn = dict(at.session_state["sc_rect_add__intent__0"])

    def fill(at) -> None:  # noqa: ANN001
        at.selectbox(key="sc_rect_check").set_value(cid)
        at.text_area(key="sc_rect_content").set_value("补齐签到表")

    fill(at)
    submit(at, "sc_rect_add_btn").click().run()
    assert any("已新增整改事项" in m.value for m in at.success), [m.value for m in at.error]
    at.session_state["sc_rect_add__intent__0"] = drawn
    at.run()
    fill(at)
    submit(at, "sc_rect_add_btn").click().run()
    assert not at.exception
    assert any("重复点击" in m.value for m in at.info), [m.value for m in at.info]
    assert len(_open_rectifications(w)) == n + 1
