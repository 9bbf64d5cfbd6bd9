"""履职档案: the five aspects from the tables, scores and radar, .docx export, scope — on 3 backends;
and the page for staff (AppTest)."""

from __future__ import annotations

import io

import pytest
from docx import Document

from db.engine import session_scope
from services import profiles
from services.common import Actor, PermissionDenied
from tests.conftest import app_as
from tests.test_scoring import YEAR, build_example


def test_file_holds_the_five_aspects_and_scores(world) -> None:
    """Deputy A's file: congress attendance, activities, proposals, resolved opinion, scores, radar."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        data = profiles.profile(s, world.staff(), ex["a"], YEAR)
    parts = {sub: rows for a in data["aspects"] for sub, rows in a["parts"]}
    assert [a["title"][:2] for a in data["aspects"]] == ["一、", "二、", "三、", "四、", "五、"]
    assert len(parts["出席人代会"]) == 3
    assert len(parts["联系选民活动"]) == 3  # the file lists every activity, also the one that failed a check
    assert {r["署名"] for r in parts["提出议案建议"]} == {"领衔", "附议"} and len(parts["提出议案建议"]) == 3
    assert [r["群众意见"] for r in parts["推动解决的群众意见"]] == ["路灯不亮"]
    assert data["scores"]["total"] == 25.0 and data["scores"]["rank"] == 2
    assert set(data["radar"]) == {"张伟（本人）", "代表组平均", "全区平均"}


def test_docx_opens_and_holds_the_records(world) -> None:
    """The exported .docx opens with python-docx and holds the deputy's records and scores."""
    ex = build_example(world)
    with session_scope("test", url=world.url) as s:
        blob = profiles.to_docx(profiles.profile(s, world.admin(), ex["b"], YEAR))
    doc = Document(io.BytesIO(blob))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "王芳代表" in text and "一、出席人代会情况" in text and "五、为选民办实事情况" in text
    assert f"L{YEAR}001" in cells  # B's letter (number only, never the writer)
    assert "噪音扰民" not in cells
    assert f"关于某事的建议{ex['b']}" in cells[:100000]
    assert "总分 5 分" in text


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


def test_profile_page_for_staff(app_world) -> None:
    """Staff opens deputy A's file: five aspects, radar, the Word export button; no PDF without LibreOffice."""
    ex = build_example(app_world)
    at = app_as("staff")
    at.session_state["pf_deputy"] = ex["a"]
    from tests.conftest import goto

    goto(at, "profiles")
    assert not at.exception
    heads = [h.value for h in at.subheader]
    assert any(h.startswith("一、") for h in heads) and any(h.startswith("五、") for h in heads)
    assert at.get("vega_lite_chart")
    assert any(b.label == "导出 Word（打印）" for b in at.get("download_button"))
    if not profiles.pdf_converter():
        assert any("LibreOffice" in c.value for c in at.caption)
