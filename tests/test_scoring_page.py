"""AppTest of 评分评优 on pinned dates (2025 looked at on 2026-01-10): the leader sees ranking and
charts and a drill-down that matches the score, also right after a write; the caption names the
0-point floor only when it clipped; a tie at the cut is shown and settled by the leader with a
reason; a list reproduces; the admin edits the rubric (event kinds included)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db import models as M
from db.engine import session_scope
from services import intents, scoring
from services.common import Actor, DuplicateSubmit
from tests.conftest import app_as, confirmed, goto, submit
from tests.scoring_example import YEAR, build_example, make_app_world, rows_of
from tests.test_scoring import _tie_world

ADMIN = Actor("admin", "admin")


@pytest.fixture
def app_world(tmp_path, monkeypatch, travel):  # noqa: ANN001, ANN201
    """The small district of 2025 for AppTest, clock on 2026-01-10."""
    return make_app_world(tmp_path, monkeypatch, travel)


def _frame_with(at, column: str):  # noqa: ANN001, ANN202
    """The first dataframe shown that has ``column``."""
    for df in at.dataframe:
        v = df.value
        if column in v.columns:
            return v
    raise AssertionError(f"no dataframe with column {column}")


def _open(role: str, tab: str | None = None, year: int = YEAR):  # noqa: ANN202
    """评分评优 for ``role`` on ``year`` (and a tab)."""
    at = app_as(role)
    at.query_params["year"] = str(year)
    if tab:
        at.query_params["tab"] = tab
    goto(at, "scoring")
    assert not at.exception
    return at


def _captions(at) -> str:  # noqa: ANN001
    """Every caption on the page."""
    return "\n".join(c.value for c in at.caption)


def test_leader_sees_ranking_charts_and_matching_drill_down(app_world) -> None:
    """Ranking, four charts, and the records behind a chosen deputy add up to the ranking's total."""
    ex = build_example(app_world)
    at = _open("leader")
    ranking = _frame_with(at, "总分")
    assert {"全区排名", "组内排名", "履职记录（条）", "解决问题（件）", "选民满意率", "任职比例"} <= set(ranking.columns)
    assert ranking.loc[ranking["代表"] == "李娜", "任职比例"].iloc[0] == "50.1%"
    assert len(at.get("vega_lite_chart")) >= 4  # radar, bars, heat map, ranking
    at.selectbox(key="sc_detail_dep").set_value(ex["a"]).run()
    assert not at.exception
    details = _frame_with(at, "分值")
    total = float(ranking.loc[ranking["代表"] == "张伟", "总分"].iloc[0])
    assert round(float(details["分值"].sum()), 2) == total == 25.0
    assert "明细合计 25 分（与得分一致）" in _captions(at)
    at.selectbox(key="sc_rank_detail_focus").set_value("F1").run()
    details = _frame_with(at, "分值")
    assert round(float(details["分值"].sum()), 2) == 20.0
    assert not at.data_editor  # the leader has no rubric editor
    assert not [b for b in at.button if b.key == "sc_refresh"]  # no cache to refresh by hand


def test_the_same_screen_shows_the_fresh_score_after_a_write(app_world) -> None:
    """A write between two views: the ranking and the drill-down both show the new total at once, and
    the caption does not blame the 0-point floor."""
    ex = build_example(app_world)
    at = _open("leader")
    at.selectbox(key="sc_detail_dep").set_value(ex["a"]).run()
    assert float(_frame_with(at, "总分").set_index("代表").loc["张伟", "总分"]) == 25.0
    with session_scope("staff") as s:
        s.add(M.Opinion(source="活动", deputy_id=ex["a"], district_id=app_world.districts[0],
                        group_id=app_world.groups[0], raised_on=date(YEAR, 6, 3), content="公交站台破损",
                        category="交通出行", status="已解决", outcome="A 已解决", forwarded_to="区交通局", resolved_on=date(YEAR, 7, 1)))
    at.run()
    assert not at.exception
    assert float(_frame_with(at, "总分").set_index("代表").loc["张伟", "总分"]) == 29.0
    assert round(float(_frame_with(at, "分值")["分值"].sum()), 2) == 29.0
    assert "明细合计 29 分（与得分一致）" in _captions(at)
    assert "最低为0分" not in _captions(at) and "不低于0" not in _captions(at)


def test_the_caption_names_the_floor_only_when_it_clipped(app_world) -> None:
    """Under a rubric where B's records add up to −5, B's total is 0 and the caption says why; A's
    caption does not mention the floor."""
    ex = build_example(app_world)
    with session_scope("admin") as s:
        rows = rows_of(s, ex["rubric"])
        for r in rows:
            if r["fact"] == "absent_congress":
                r["points"] = -20
        draft = scoring.save_draft(s, ADMIN, rows)
        scoring.publish(s, ADMIN, draft)
    at = _open("leader")
    at.selectbox(key="sc_detail_dep").set_value(ex["b"]).run()
    assert "明细合计 -5 分，低于0分；总分最低为0分，记为 0 分" in _captions(at)  # 20 − 20 − 5
    at.selectbox(key="sc_detail_dep").set_value(ex["a"]).run()
    assert "明细合计 25 分（与得分一致）" in _captions(at) and "最低为0分" not in _captions(at)


def test_dashboard_link_opens_filtered_ranking(app_world) -> None:
    """The R15 figure's query parameters (tab, year, grade) open the ranking filtered to 不称职."""
    build_example(app_world)
    at = app_as("leader")
    at.query_params["tab"] = "rank"
    at.query_params["year"] = str(YEAR)
    at.query_params["grade"] = "不称职"
    goto(at, "scoring")
    assert not at.exception
    ranking = _frame_with(at, "总分")
    assert set(ranking["等级"]) == {"不称职"} and len(ranking) == 12


@pytest.mark.parametrize("raw", ["²", "9" * 5000, "-1", "二〇二五"])
def test_a_bad_year_in_the_url_falls_back_to_this_year(app_world, raw: str) -> None:
    """A year parameter that is no year opens this year's page, never an error."""
    build_example(app_world)
    at = app_as("leader")
    at.query_params["year"] = raw
    goto(at, "scoring")
    assert not at.exception
    assert at.selectbox(key="sc_year").value == 2026


def test_admin_bad_rubric_row_refused_then_draft_saved_and_published(app_world) -> None:
    """A bad row is refused with the row named; a good edit becomes version 2 (草稿); publishing it
    makes it the current version and changes the scores."""
    ex = build_example(app_world)
    rid = ex["rubric"]
    with session_scope("t") as s:
        rows = scoring.load_rubric(s, rid).rows
    contact = next(i for i, r in enumerate(rows) if r["fact"] == "contact_activity")
    at = _open("admin")
    editor = f"sc_rub_editor_{rid}"
    assert "每条分值" in _frame_with(at, "计入的活动类型").columns  # the rubric table
    at.session_state[editor] = {"edited_rows": {}, "added_rows": [{"focus": "F2", "fact": "无故缺席人代会", "points": 3}],
                                "deleted_rows": []}
    submit(at, "sc_save_draft").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert f"第{len(rows) + 1}行" in errors and "扣分项" in errors
    with session_scope("t") as s:
        assert [r["版本"] for r in scoring.list_rubrics(s)] == [1]
    at.session_state[editor] = {"edited_rows": {contact: {"points": 5}}, "added_rows": [], "deleted_rows": []}
    submit(at, "sc_save_draft").click().run()
    assert not at.exception
    with session_scope("t") as s:
        versions = scoring.list_rubrics(s)
    assert [(v["版本"], v["状态"]) for v in versions] == [(2, "草稿"), (1, "已发布")]
    draft = versions[0]["id"]
    assert at.session_state["sc_rubric_pick"] == draft
    assert _frame_with(at, "新排名") is not None  # the preview of the draft against version 1
    confirmed(at, "sc_publish")
    assert not at.exception
    with session_scope("t") as s:
        assert scoring.current_rubric_id(s) == draft
        assert scoring.compute(s, draft, YEAR).by_id()[ex["a"]]["total"] == 31.0
        assert scoring.compute(s, rid, YEAR).by_id()[ex["a"]]["total"] == 25.0
        kept = {r["fact"]: r["kinds"] for r in scoring.load_rubric(s, draft).rows}
    assert kept["standing_attended"] == ["列席常委会", "视察", "调研", "执法检查"]  # the draft copied the kinds


def test_admin_edits_the_event_kinds_of_an_attendance_row(app_world) -> None:
    """The editor shows each attendance row's kinds; kinds on another fact are refused with the row
    named; 代表小组活动 added to a row is saved in the new draft."""
    ex = build_example(app_world)
    rid = ex["rubric"]
    with session_scope("t") as s:
        rows = scoring.load_rubric(s, rid).rows
    standing = next(i for i, r in enumerate(rows) if r["fact"] == "standing_attended")
    publicity = next(i for i, r in enumerate(rows) if r["fact"] == "publicity")
    at = _open("admin", "rubric")
    editor = f"sc_rub_editor_{rid}"
    shown = at.data_editor(key=editor).value
    assert list(shown.loc[standing, "kinds"]) == ["列席常委会", "视察", "调研", "执法检查"]
    at.session_state[editor] = {"edited_rows": {publicity: {"kinds": ["视察"]}}, "added_rows": [], "deleted_rows": []}
    submit(at, "sc_save_draft").click().run()
    assert f"第{publicity + 1}行" in " ".join(e.value for e in at.error)
    at.session_state[editor] = {"edited_rows": {standing: {"kinds": ["视察", "代表小组活动"]}}, "added_rows": [],
                                "deleted_rows": []}
    submit(at, "sc_save_draft").click().run()
    assert not at.exception
    with session_scope("t") as s:
        draft = scoring.list_rubrics(s)[0]["id"]
        kinds = next(r["kinds"] for r in scoring.load_rubric(s, draft).rows if r["fact"] == "standing_attended")
    assert kinds == ["视察", "代表小组活动"]


def test_admin_loads_default_rubric_on_an_empty_system(app_world) -> None:
    """Without any rubric the page says so; the admin loads the default (version 1, published)."""
    at = app_as("admin", "scoring")
    assert not at.exception
    assert any("尚未建立评分细则" in i.value for i in at.info)
    submit(at, "sc_default").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert [(v["版本"], v["状态"]) for v in scoring.list_rubrics(s)] == [(1, "已发布")]
    assert _frame_with(at, "总分") is not None


def test_leader_confirms_excellent_list_and_checks_it_reproduces(app_world) -> None:
    """The leader picks deputies and confirms: a pick beyond the candidates needs a reason; stored with
    rubric version 1, who and when; exports offered; the stored list reproduces."""
    ex = build_example(app_world)
    at = _open("leader", "select")
    at.multiselect(key="sc_sel_dep_ids").set_value([ex["c"], ex["a"]]).run()
    confirmed(at, "sc_sel_dep_confirm")
    assert not at.exception
    assert any("请写明理由" in e.value for e in at.error)
    at.text_area(key="sc_sel_dep_reason").set_value("张伟代表议案质量高").run()
    confirmed(at, "sc_sel_dep_confirm")
    assert not at.exception
    assert any("已确认" in s.value for s in at.success)
    with session_scope("t") as s:
        sel = scoring.latest_selection(s, YEAR, scoring.EXCELLENT)
    assert sel["确认人"] == "赵领导" and sel["评分细则版本"] == "第1版" and sel["理由"] == "张伟代表议案质量高"
    assert [it["代表"] for it in sel["items"]] == ["李娜", "张伟"]
    labels = [b.label for b in at.get("download_button")]
    assert "导出 Word（打印）" in labels and "导出 Excel" in labels
    at.button(key="sc_hist_check").click().run()
    assert any("重算结果与确认时一致" in s.value for s in at.success)
    # R20: group 0 now has exemplary deputies (in the confirmed list); groups 1 and 2 do not
    r20 = _frame_with(at, "组内最高分")
    assert set(r20["代表组"]) == {"东城第二代表组", "西城代表组"}


def test_a_tie_at_the_cut_is_shown_and_the_leader_settles_it(app_world) -> None:
    """Three deputies tied at the last place: the page shows the tie (no name-order cut); confirming
    without choosing among them, or without a reason, is refused; with both it is stored."""
    _tie_world(app_world)
    d = app_world.deputies
    at = _open("leader", "select")
    assert any("并列 3 名，争最后 1 名名额" in w.value for w in at.warning)
    tie = next(df.value for df in at.dataframe if list(df.value.columns) == ["全区排名", "代表", "代表组", "总分", "等级"])
    assert set(tie["代表"]) == {"周杰", "吴刚", "徐丽"} and set(tie["总分"]) == {16.0}
    assert at.multiselect(key="sc_sel_dep_ids").value == [d[7]]  # only the one sure candidate preselected
    confirmed(at, "sc_sel_dep_confirm")
    assert any("并列争最后1名名额" in e.value for e in at.error)
    at.multiselect(key="sc_sel_dep_ids").set_value([d[7], d[8]]).run()
    confirmed(at, "sc_sel_dep_confirm")
    assert any("请写明理由" in e.value for e in at.error)
    at.text_area(key="sc_sel_dep_reason").set_value("周杰代表联系选民活动覆盖面更广").run()
    confirmed(at, "sc_sel_dep_confirm")
    assert not at.exception
    assert any("已确认" in s.value for s in at.success)
    with session_scope("t") as s:
        sel = scoring.latest_selection(s, YEAR, scoring.EXCELLENT)
    assert [it["id"] for it in sel["items"]] == [d[7], d[8]]
    assert sel["params"]["tie"]["chosen"] == [d[8]] and sel["理由"] == "周杰代表联系选民活动覆盖面更广"
    assert "并列3名，选定1名" in _frame_with(at, "并列与调整")["并列与调整"].iloc[0]


def test_the_current_year_cannot_be_confirmed_yet(app_world) -> None:
    """In the year itself the leader sees the candidates and a notice, and no confirm button."""
    build_example(app_world)
    at = _open("leader", "select", year=2026)
    assert any("2026年度尚未结束" in i.value for i in at.info)
    assert not [b for b in at.button if (b.key or "").startswith("sc_sel_dep_confirm")]


def test_a_confirmed_list_is_replaced_only_with_a_reason_and_the_old_one_is_kept_void(app_world) -> None:
    """Confirming asks first; confirming the same year again needs a replacement reason; the old
    list stays, marked 作废 with who and when; the year has one current list."""
    ex = build_example(app_world)
    at = _open("leader", "select")
    at.multiselect(key="sc_sel_dep_ids").set_value([ex["a"]]).run()
    at.text_area(key="sc_sel_dep_reason").set_value("先定一人").run()
    submit(at, "sc_sel_dep_confirm").click().run()
    assert any("确定吗" in w.value for w in at.warning)  # asks before storing
    with session_scope("t") as s:
        assert scoring.latest_selection(s, YEAR, scoring.EXCELLENT) is None
    submit(at, "sc_sel_dep_confirm_yes").click().run()
    assert any("已确认" in s.value for s in at.success)
    at.multiselect(key="sc_sel_dep_ids").set_value([ex["a"], ex["c"]]).run()
    at.text_area(key="sc_sel_dep_reason").set_value("增加一人").run()
    confirmed(at, "sc_sel_dep_confirm")
    assert any("替换理由" in e.value for e in at.error)
    at.text_area(key="sc_sel_dep_replace").set_value("漏报了李娜的议案，重新确认").run()
    confirmed(at, "sc_sel_dep_confirm")
    assert not at.exception
    with session_scope("t") as s:
        lists = [x for x in scoring.list_selections(s, YEAR) if x["类别"] == scoring.EXCELLENT]
    assert [x["current"] for x in lists] == [True, False]
    assert lists[1]["状态"].startswith("作废（赵领导 ") and "漏报了李娜的议案" in lists[1]["状态"]
    assert len(lists[0]["items"]) == 2


def test_a_double_click_on_save_draft_saves_one_version(app_world) -> None:
    """The same drawn 保存为新草稿 form submitted twice (issue 12): one new version, the second is
    told it was already saved."""
    ex = build_example(app_world)
    rid = ex["rubric"]
    with session_scope("t") as s:
        rows = scoring.load_rubric(s, rid).rows
    contact = next(i for i, r in enumerate(rows) if r["fact"] == "contact_activity")
    at = _open("admin", "rubric")
    slot = f"sc_draft__intent__{rid}"
    drawn = dict(at.session_state[slot])
    editor = f"sc_rub_editor_{rid}"
    at.session_state[editor] = {"edited_rows": {contact: {"points": 5}}, "added_rows": [], "deleted_rows": []}
    submit(at, "sc_save_draft").click().run()
    assert not at.exception
    at.session_state["sc_rubric_pick"] = rid  # the second click arrives on the form drawn for the old version
    at.session_state[slot] = drawn
    at.run()
    at.session_state[editor] = {"edited_rows": {contact: {"points": 5}}, "added_rows": [], "deleted_rows": []}
    submit(at, "sc_save_draft").click().run()
    assert not at.exception
    assert any("重复点击" in x.value for x in at.info), [x.value for x in at.info]
    with session_scope("t") as s:
        assert [v["版本"] for v in scoring.list_rubrics(s)] == [2, 1]


def test_a_double_click_on_load_default_rubric_loads_once(app_world) -> None:
    at = app_as("admin", "scoring")
    drawn = dict(at.session_state["sc_default__intent__0"])
    submit(at, "sc_default").click().run()
    assert any("已载入默认评分细则" in x.value for x in at.success)
    with session_scope("t") as s:
        assert s.execute(select(func.count()).select_from(M.FormIntent).where(
            M.FormIntent.form == "sc_rub", M.FormIntent.token == drawn["token"])).scalar_one() == 1
        with pytest.raises(DuplicateSubmit):
            intents.claim(s, drawn["token"], "admin", "sc_rub")  # the second click's token: refused
        assert [(v["版本"], v["状态"]) for v in scoring.list_rubrics(s)] == [(1, "已发布")]
