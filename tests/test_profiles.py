"""履职档案: the five aspects from the same rules as the score, the group of the year, events not yet
held, scores and radar, .docx export, scope, R19's list of serving deputies — on 3 backends; and
the page for staff (AppTest)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document

from db import models as M
from db import periods
from db.engine import session_scope
from services import documents, profiles, scoring
from services.common import Actor, PermissionDenied
from tests.conftest import app_as, goto
from tests.gongwen import assert_gongwen
from tests.scoring_example import YEAR, activity, build_example, event, make_app_world, make_world


@pytest.fixture
def world(db_url, travel):  # noqa: ANN001, ANN201
    """The small district of 2025, looked at on 2026-01-10 (every backend)."""
    return make_world(db_url, travel)


@pytest.fixture
def app_world(tmp_path, monkeypatch, travel):  # noqa: ANN001, ANN201
    """The same district for AppTest."""
    return make_app_world(tmp_path, monkeypatch, travel)


def _parts(data: dict) -> dict[str, list[dict]]:
    """Subtitle -> rows of a file."""
    return {sub: rows for a in data["aspects"] for sub, rows in a["parts"]}


def test_file_holds_the_five_aspects_and_scores(world) -> None:
    """Deputy A's file: congress attendance, activities, proposals, resolved opinion, scores, radar."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        data = profiles.profile(s, world.staff(), ex["a"], YEAR)
    parts = _parts(data)
    assert [a["title"][:2] for a in data["aspects"]] == ["一、", "二、", "三、", "四、", "五、"]
    assert len(parts["出席人代会"]) == 3
    # the file lists every activity, and says which one a spot check voided (the score does not count it)
    assert [r["说明"] for r in parts["联系选民活动"]] == ["", "", "抽查不合格，记录作废"]
    assert {r["署名"] for r in parts["提出议案建议"]} == {"领衔", "附议"} and len(parts["提出议案建议"]) == 3
    assert [r["群众意见"] for r in parts["推动解决的群众意见"]] == ["路灯不亮"]
    assert data["scores"]["total"] == 25.0 and data["scores"]["rank"] == 2
    assert set(data["radar"]) == {"张伟（本人）", "代表组平均", "全区平均"}
    assert data["header"]["本年任职"] == "全年"
    with session_scope("test", url=world.url) as s:
        assert profiles.profile(s, world.staff(), ex["c"], YEAR)["header"]["本年任职"] == "183 天（50.1%）"


def test_docx_opens_and_holds_the_records(world) -> None:
    """The exported .docx opens with python-docx and holds the deputy's records and scores."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        blob = profiles.to_docx(profiles.profile(s, world.admin(), ex["b"], YEAR))
        c_blob = profiles.to_docx(profiles.profile(s, world.admin(), ex["c"], YEAR))
    doc = assert_gongwen(blob)
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "王芳代表" in text and "一、出席人代会情况" in text and "五、为选民办实事情况" in text
    assert f"L{YEAR}001" in cells  # B's letter (number only, never the writer)
    assert "噪音扰民" not in cells
    assert f"关于某事的建议{ex['b']}" in cells
    assert "总分5分" in text
    assert "本年任职比例50.1%" in "\n".join(p.text for p in Document(io.BytesIO(c_blob)).paragraphs)


def test_the_header_shows_the_group_of_the_year(world, travel) -> None:
    """A deputy who moved group in 2026 is in the old group in the 2025 file, in the new one in 2026's."""
    d = world.deputies[0]
    travel("2026-04-01")
    with session_scope("test", url=world.url) as s:
        dep = s.get(M.Deputy, d)
        periods.set_intent(dep, "move", date(2026, 3, 1))
        dep.group_id, dep.district_id = world.groups[1], world.districts[1]
    with session_scope("test", url=world.url) as s:
        old = profiles.profile(s, world.admin(), d, YEAR)["header"]
        new = profiles.profile(s, world.admin(), d, 2026)["header"]
    assert old["代表组"] == "东城第一代表组" and new["代表组"] == "东城第二代表组"


def test_events_not_yet_held_show_as_not_held(world, travel) -> None:
    """On 15 June an event registered for July shows 未举行 (never 出席); a 代表小组活动 is listed
    under the second aspect."""
    travel("2026-06-15")
    d = world.deputies[0]
    with session_scope("test", url=world.url) as s:
        event(s, world, date(2026, 3, 5), "人代会", {d: "出席"})
        event(s, world, date(2026, 7, 5), "人代会", {d: "出席"})
        event(s, world, date(2026, 5, 5), "代表小组活动", {d: "请假"})
        event(s, world, date(2026, 8, 5), "执法检查", {d: "缺席"})
    with session_scope("test", url=world.url) as s:
        parts = _parts(profiles.profile(s, world.admin(), d, 2026))
    assert [(r["日期"], r["出席情况"]) for r in parts["出席人代会"]] == [("2026-03-05", "出席"), ("2026-07-05", "未举行")]
    assert [(r["类型"], r["出席情况"]) for r in parts["参加常委会及代表小组活动"]] == [("代表小组活动", "请假"),
                                                                                ("执法检查", "未举行")]


def test_scope_and_empty_files(world) -> None:
    """A staff account scoped to one group cannot open another group's deputy; R19 lists empty files."""
    ex = build_example(world)
    scoped = Actor("s2", "staff", group_id=world.groups[1])
    with pytest.raises(PermissionDenied), session_scope("test", url=world.url) as s:
        profiles.profile(s, scoped, ex["a"], YEAR)
    with session_scope("test", url=world.url) as s:
        empty = profiles.empty_files(s, world.admin(), YEAR)
        fig = profiles.figures(s, world.admin(), YEAR)[0]
    # A, B (activities, proposals) and C (activity) have records; the other 9 deputies do not
    assert {r["deputy_id"] for r in empty} == set(world.deputies[3:])
    assert fig.rule == "R19" and fig.value == 9 and fig.params == {"year": str(YEAR), "view": "empty"}


def test_empty_files_follow_who_served_in_the_year(world, travel) -> None:
    """R19 counts the deputies serving in the year (deputies.serving_at): one who resigned in 2026
    is still on the 2025 list, in the group of 2025; one who left in 2025 is not."""
    gone, mover, left = world.deputies[3], world.deputies[4], world.deputies[5]
    with session_scope("test", url=world.url) as s:
        dep = s.get(M.Deputy, left)
        dep.status, dep.left_on = "辞职", date(YEAR, 6, 30)
    travel("2026-05-01")
    with session_scope("test", url=world.url) as s:
        dep = s.get(M.Deputy, gone)
        dep.status, dep.left_on = "辞职", date(2026, 4, 1)
        dep = s.get(M.Deputy, mover)
        periods.set_intent(dep, "move", date(2026, 2, 1))
        dep.group_id, dep.district_id = world.groups[2], world.districts[2]
        activity(s, world, date(2026, 3, 1), [world.deputies[6]])
    with session_scope("test", url=world.url) as s:
        rows = {r["deputy_id"]: r for r in profiles.empty_files(s, world.admin(), YEAR)}
        west = {r["deputy_id"] for r in profiles.empty_files(s, Actor("w", "staff", office_id=world.offices[1]), YEAR)}
        now = {r["deputy_id"] for r in profiles.empty_files(s, world.admin(), 2026)}
    assert gone in rows and left not in rows
    assert rows[mover]["代表组"] == "东城第一代表组" and mover not in west
    assert gone not in now and mover in now and world.deputies[6] not in now


def test_profile_page_for_staff(app_world) -> None:
    """Staff opens deputy A's file: five aspects, radar, the Word export button; no PDF without LibreOffice."""
    ex = build_example(app_world)
    at = app_as("staff")
    at.session_state["pf_deputy"] = ex["a"]
    at.query_params["year"] = str(YEAR)
    goto(at, "profiles")
    assert not at.exception
    heads = [h.value for h in at.subheader]
    assert any(h.startswith("一、") for h in heads) and any(h.startswith("五、") for h in heads)
    assert at.get("vega_lite_chart")
    assert any(b.label == "导出 Word（打印）" for b in at.get("download_button"))
    assert any("评分随即更新" in c.value for c in at.caption)
    assert not any("2分钟" in c.value for c in at.caption)
    if not documents.pdf_converter():
        assert any("PDF 转换程序" in c.value for c in at.caption)


def test_profile_page_shows_a_fresh_score_after_a_write(app_world) -> None:
    """The file's score and the ranking come from one cache that a write makes stale: a resolved
    opinion registered between two views shows at once (no two-minute delay)."""
    ex = build_example(app_world)
    at = app_as("leader")
    at.session_state["pf_deputy"] = ex["a"]
    at.query_params["year"] = str(YEAR)
    goto(at, "profiles")
    assert not at.exception
    assert [m.value for m in at.metric][:1] == ["25 分"]
    with session_scope("staff") as s:
        s.add(M.Opinion(source="活动", deputy_id=ex["a"], district_id=app_world.districts[0],
                        group_id=app_world.groups[0], raised_on=date(YEAR, 6, 3), content="公交站台破损",
                        category="交通出行", status="已解决", outcome="A 已解决", forwarded_to="区交通局", resolved_on=date(YEAR, 7, 1)))
    at.run()
    assert [m.value for m in at.metric][:1] == ["29 分"]
    with session_scope("t") as s:
        assert scoring.ranking(s, ex["rubric"], YEAR).by_id()[ex["a"]]["total"] == 29.0


def test_the_profile_picker_finds_a_deputy_by_pinyin_initials(app_world) -> None:
    """履职档案's deputy picker lists 姓名 + pinyin initials, so typing "wf" finds 王芳."""
    from services import masterdata

    at = app_as("staff")
    goto(at, "profiles")
    assert not at.exception
    picker = next(sb for sb in at.selectbox if sb.label == "代表")
    labels = list(picker.options)  # the labels the user sees and types into
    assert labels
    for lbl in labels:
        name, initials = lbl.split("（")[0].split(" ")
        assert initials == masterdata.pinyin_initials(name)
