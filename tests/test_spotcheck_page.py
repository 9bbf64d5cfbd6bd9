"""抽查督导 page (AppTest): a supervisor draws, records findings, the grade follows, 复核 matches;
staff cannot open the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from db import models
from db.engine import session_scope
from services import settings
from services import spotchecks as sc
from services.common import today
from tests.conftest import app_as, confirmed, goto

CHECKLIST = settings.DEFAULTS["spotcheck_checklist"][0]


def _activities(w, n: int = 4) -> list[int]:
    """n activities of group 0 in the current quarter."""
    start, _ = sc.quarter_of(today())
    ids = []
    with session_scope("staff", url=w.url) as s:
        for i in range(n):
            a = models.Activity(held_on=min(start + timedelta(days=i), today()), place=f"村委会{i}",
                                district_id=w.districts[0], group_id=w.groups[0], office_id=w.offices[0],
                                organiser="代表组统一组织", kind="问难", targets=["特困户"], mode="走访慰问",
                                voters_reached=10, summary="走访困难家庭")
            s.add(a)
            s.flush()
            ids.append(a.id)
    return ids


def _frame(at: AppTest, column: str):
    """The first table on the page having ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column}")


def test_supervisor_draws_checks_and_verifies(app_world):
    w = app_world
    _activities(w, 4)
    at = app_as("supervisor", "spotchecks")
    assert not at.exception
    assert "抽查督导" in [t.value for t in at.title]
    # the eligible counts show before the draw: 4 activities in group 0, 2 to draw (fixed count)
    at.radio(key="sc_share_mode").set_value("按固定条数").run()
    at.number_input(key="sc_count").set_value(2).run()
    counts = _frame(at, "应抽条数")
    row = counts[counts["代表组"] == "东城第一代表组"].iloc[0]
    assert row["联系活动"] == 4 and row["应抽条数"] == 2
    # drawing without a witness value is refused beside the field
    confirmed(at, "sc_draw_btn")  # the draw asks first
    assert any("见证的随机值" in e.value for e in at.error)
    at.text_input(key="sc_witness").input("掷骰 2-6-1").run()
    confirmed(at, "sc_draw_btn")
    assert not at.exception
    assert any("已抽取样本" in m.value for m in at.success)
    with session_scope(url=w.url) as s:
        check = s.query(models.SpotCheck).one()
        assert check.witness_value == "掷骰 2-6-1"
        assert check.seed == sc.make_seed("掷骰 2-6-1", check.rule["drawn_at"])
        items = s.query(models.SpotCheckItem).filter_by(check_id=check.id).all()
        item_ids = [i.id for i in items if i.group_id == w.groups[0]]
        cid = check.id
    assert len(item_ids) == 2
    assert check.seed in [c.value for c in at.code] and check.fingerprint in [c.value for c in at.code]
    # findings for the 2 drawn records of group 0: all 合格 → 优秀
    for item_id in item_ids:
        at.selectbox(key=f"sc_item_{cid}").set_value(item_id).run()
        for n in range(len(CHECKLIST)):
            at.radio(key=f"sc_ck_{item_id}_{n}").set_value("通过")
        at.radio(key=f"sc_res_{item_id}").set_value("合格")
        at.button(key=f"sc_save_{item_id}").click().run()
        assert not at.exception
        assert any("核查结果已保存" in m.value for m in at.success)
    grades = _frame(at, "已核查")
    assert dict(zip(grades["代表组"], grades["评定"], strict=True)) == {
        "东城第一代表组": "优秀", "东城第二代表组": "需整改", "西城代表组": "需整改"}
    with session_scope(url=w.url) as s:
        assert all(a.verified_by == "supervisor" for a in s.query(models.Activity)
                   .filter(models.Activity.id.in_([i.record_id for i in items])))
    # 复核 recomputes and matches
    at.button(key="sc_verify_btn").click().run()
    assert any("复核一致" in m.value for m in at.success)
    assert not at.error
    # the groups without records got rectification items, listed in 整改跟踪
    rect = _frame(at, "整改内容")
    assert sorted(rect["代表组"]) == ["东城第二代表组", "西城代表组"]
    # the grade trend chart appears
    assert at.get("vega_lite_chart")


def test_a_finding_without_choices_is_refused_beside_the_fields(app_world):
    w = app_world
    _activities(w, 1)
    with session_scope("supervisor", url=w.url) as s:
        rule = sc.build_rule(s, w.supervisor(), period_start=sc.quarter_of(today())[0], period_end=today(),
                             kinds=["联系活动"], groups=[w.groups[0]], count=1, percent=None)
        cid = sc.create_check(s, w.supervisor(), rule, "7").id
        item_id = sc.check_detail(s, w.supervisor(), cid)["items"][0]["id"]
    at = app_as("supervisor", "spotchecks")
    at.radio(key=f"sc_res_{item_id}").set_value("不合格")
    at.button(key=f"sc_save_{item_id}").click().run()
    errors = [e.value for e in at.error]
    assert any("请逐项选择核查结论" in e for e in errors)
    assert any("请写明发现的问题" in e for e in errors)
    # the user's choice stays in the field
    assert at.radio(key=f"sc_res_{item_id}").value == "不合格"
    with session_scope(url=w.url) as s:
        assert s.get(models.SpotCheckItem, item_id).result is None


def test_a_changed_record_is_flagged_by_verify(app_world):
    w = app_world
    ids = _activities(w, 2)
    with session_scope("supervisor", url=w.url) as s:
        rule = sc.build_rule(s, w.supervisor(), period_start=sc.quarter_of(today())[0], period_end=today(),
                             kinds=["联系活动"], groups=[w.groups[0]], count=2, percent=None)
        sc.create_check(s, w.supervisor(), rule, "42")
    with session_scope("staff", url=w.url) as s:
        s.get(models.Activity, ids[0]).voters_reached = 99
    at = app_as("supervisor", "spotchecks")
    at.button(key="sc_verify_btn").click().run()
    assert any("1条被抽记录在抽取后发生变化" in e.value for e in at.error)
    changed = _frame(at, "变化")
    assert list(changed["记录编号"]) == [ids[0]] and list(changed["变化"]) == ["抽取后已修改"]


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
    with session_scope("supervisor", url=w.url) as s:
        rule = sc.build_rule(s, w.supervisor(), period_start=sc.quarter_of(today())[0], period_end=today(),
                             kinds=["联系活动"], count=1, percent=None)
        sc.create_check(s, w.supervisor(), rule, "5")  # no records: every group 需整改
    at = AppTest.from_function(_staff_rectifications, default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    assert not at.exception
    shown = _frame(at, "整改内容")
    assert sorted(shown["代表组"]) == ["东城第一代表组", "东城第二代表组"]  # office 0 only
    assert not [b for b in at.button if b.key == "sc_rect_close"]  # staff cannot close
    sup = app_as("supervisor", "spotchecks")
    assert len(_frame(sup, "整改内容")) == 3
    sup.button(key="sc_rect_close").click().run()
    assert any("已确认整改完成" in m.value for m in sup.success)
    with session_scope(url=w.url) as s:
        assert [r.closed_by for r in s.query(models.Rectification).filter_by(status="已完成")] == ["supervisor"]
