"""AppTest of 评分评优: the leader sees ranking and charts and a drill-down that matches the score;
the admin edits the rubric (bad rows refused, a good edit saved as a new draft, then published)."""

from __future__ import annotations

from db.engine import session_scope
from services import scoring
from tests.conftest import app_as
from tests.test_scoring import YEAR, build_example


def _frame_with(at, column: str):
    """The first dataframe shown that has ``column``."""
    for df in at.dataframe:
        v = df.value
        if column in v.columns:
            return v
    raise AssertionError(f"no dataframe with column {column}")


def test_leader_sees_ranking_charts_and_matching_drill_down(app_world) -> None:
    """Ranking, four charts, and the records behind a chosen deputy add up to the ranking's total."""
    ex = build_example(app_world)
    at = app_as("leader", "scoring")
    assert not at.exception
    ranking = _frame_with(at, "总分")
    assert {"全区排名", "组内排名", "履职记录（条）", "解决问题（件）", "选民满意率"} <= set(ranking.columns)
    assert len(at.get("vega_lite_chart")) >= 4  # radar, bars, heat map, ranking
    # pick deputy A (张伟) for the drill-down
    at.selectbox(key="sc_detail_dep").set_value(ex["a"]).run()
    assert not at.exception
    details = _frame_with(at, "分值")
    total = float(ranking.loc[ranking["代表"] == "张伟", "总分"].iloc[0])
    assert round(float(details["分值"].sum()), 2) == total == 25.0
    assert any("与得分一致" in c.value for c in at.caption)
    # one focus only
    at.selectbox(key="sc_rank_detail_focus").set_value("F1").run()
    details = _frame_with(at, "分值")
    assert round(float(details["分值"].sum()), 2) == 20.0
    # the leader has no rubric editor
    assert not at.data_editor


def test_admin_bad_rubric_row_refused_then_draft_saved_and_published(app_world) -> None:
    """A bad row is refused with the row named; a good edit becomes version 2 (草稿); publishing it
    makes it the current version and changes the scores."""
    ex = build_example(app_world)
    rid = ex["rubric"]
    with session_scope("t") as s:
        rows = scoring.load_rubric(s, rid).rows
    contact = next(i for i, r in enumerate(rows) if r["fact"] == "contact_activity")
    at = app_as("admin", "scoring")
    assert not at.exception
    editor = f"sc_rub_editor_{rid}"
    at.session_state[editor] = {"edited_rows": {}, "added_rows": [{"focus": "F2", "fact": "absent_congress", "points": 3}],
                                "deleted_rows": []}
    at.button(key="sc_save_draft").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert f"第{len(rows) + 1}行" in errors and "扣分项" in errors
    with session_scope("t") as s:
        assert [r["版本"] for r in scoring.list_rubrics(s)] == [1]
    at.session_state[editor] = {"edited_rows": {contact: {"points": 5}}, "added_rows": [], "deleted_rows": []}
    at.button(key="sc_save_draft").click().run()
    assert not at.exception
    with session_scope("t") as s:
        versions = scoring.list_rubrics(s)
    assert [(v["版本"], v["状态"]) for v in versions] == [(2, "草稿"), (1, "已发布")]
    draft = versions[0]["id"]
    assert at.session_state["sc_rubric_pick"] == draft
    assert _frame_with(at, "新排名") is not None  # the preview of the draft against version 1
    at.button(key="sc_publish").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert scoring.current_rubric_id(s) == draft
        assert scoring.compute(s, draft, YEAR).by_id()[ex["a"]]["total"] == 31.0
        assert scoring.compute(s, rid, YEAR).by_id()[ex["a"]]["total"] == 25.0


def test_dashboard_link_opens_filtered_ranking(app_world) -> None:
    """The R15 figure's query parameters (tab, year, grade) open the ranking filtered to 不称职."""
    build_example(app_world)
    at = app_as("leader")
    at.query_params["tab"] = "rank"
    at.query_params["year"] = str(YEAR)
    at.query_params["grade"] = "不称职"
    from tests.conftest import goto

    goto(at, "scoring")
    assert not at.exception
    ranking = _frame_with(at, "总分")
    assert set(ranking["等级"]) == {"不称职"} and len(ranking) == 12


def test_admin_loads_default_rubric_on_an_empty_system(app_world) -> None:
    """Without any rubric the page says so; the admin loads the default (version 1, published)."""
    at = app_as("admin", "scoring")
    assert not at.exception
    assert any("尚未建立评分细则" in i.value for i in at.info)
    at.button(key="sc_default").click().run()
    assert not at.exception
    with session_scope("t") as s:
        assert [(v["版本"], v["状态"]) for v in scoring.list_rubrics(s)] == [(1, "已发布")]
    assert _frame_with(at, "总分") is not None


def test_leader_confirms_excellent_list(app_world) -> None:
    """The leader picks deputies and confirms: stored with rubric version 1, who and when; exports offered."""
    ex = build_example(app_world)
    at = app_as("leader")
    at.query_params["tab"] = "select"
    from tests.conftest import goto

    goto(at, "scoring")
    assert not at.exception
    at.multiselect(key="sc_sel_dep").set_value([ex["c"], ex["a"]]).run()
    at.button(key="sc_confirm_dep").click().run()
    assert not at.exception
    assert any("已确认" in s.value for s in at.success)
    with session_scope("t") as s:
        sel = scoring.latest_selection(s, YEAR, scoring.EXCELLENT)
    assert sel["确认人"] == "leader" and sel["评分细则版本"] == "第1版"
    assert [it["代表"] for it in sel["items"]] == ["李娜", "张伟"]
    labels = [b.label for b in at.get("download_button")]
    assert "导出 Word（打印）" in labels and "导出 Excel" in labels
    # R20: group 0 now has exemplary deputies (in the confirmed list); groups 1 and 2 do not
    r20 = _frame_with(at, "组内最高分")
    assert set(r20["代表组"]) == {"东城第二代表组", "西城代表组"}
