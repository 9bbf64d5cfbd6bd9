"""services/documents.py (the 公文 layout every .docx shares), services/strokes.py (姓氏笔画) and
services/people.py (names instead of login names): what an office checks before it hands a
document up."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from docx import Document
from docx.shared import Pt

from db import models as M
from db.engine import session_scope
from services import documents as D
from services import people, scoring
from services.strokes import by_strokes, stroke_key, strokes
from tests.gongwen import assert_gongwen, header_repeats


@pytest.mark.parametrize(("day", "text"), [
    (date(2026, 3, 5), "二〇二六年三月五日"),
    (date(2026, 12, 31), "二〇二六年十二月三十一日"),
    (date(2030, 10, 10), "二〇三〇年十月十日"),
    (datetime(2027, 1, 20, 9, 30), "二〇二七年一月二十日"),
])
def test_dates_in_chinese_numerals(day, text) -> None:
    assert D.cn_date(day) == text


def test_a_long_table_repeats_its_header_keeps_rows_whole_and_sizes_columns_by_content() -> None:
    g = D.GongWen("关于测试的报告")
    g.para("正文。")
    g.heading("基本情况")
    g.heading("细项", 2)
    rows = [[f"第{i}组", "道路破损需要修复" * 6, "已解决"] for i in range(1, 60)]
    g.table(["代表组", "反映问题", "办理情况"], rows, numbered=True)
    g.signature(date(2026, 3, 5), "某区人大常委会办公室")
    doc = assert_gongwen(g.to_bytes())
    t = doc.tables[0]
    assert header_repeats(t) and len(t.rows) == 60
    assert [c.text for c in t.rows[0].cells] == ["序号", "代表组", "反映问题", "办理情况"]
    w = [c.width for c in t.rows[0].cells]
    assert w[0] < w[1] < w[2] and w[3] < w[2]  # 序号 narrowest, 反映问题 widest
    assert abs(sum(w) - D.Mm(210 - 28 - 26)) < D.Mm(1)  # the full text width, no more
    texts = [p.text for p in doc.paragraphs]
    assert "一、基本情况" in texts and "（一）细项" in texts
    assert texts[-2:] == ["某区人大常委会办公室", "二〇二六年三月五日"]


def test_an_empty_table_says_so_and_values_print_plainly() -> None:
    g = D.GongWen("名单")
    g.table(["姓名", "日期", "得分"], [], empty="名单为空。")
    g.table(["姓名", "日期", "得分"], [["张华", date(2026, 3, 5), 91.0], ["李娜", None, float("nan")]])
    g.signature(date(2026, 1, 2))
    doc = assert_gongwen(g.to_bytes())
    assert doc.tables[0].rows[1].cells[0].text == "名单为空。"
    assert [c.text for c in doc.tables[1].rows[1].cells] == ["张华", "2026-03-05", "91"]
    assert [c.text for c in doc.tables[1].rows[2].cells] == ["李娜", "", ""]  # never "None" / "nan"


def test_an_office_restyles_the_template(tmp_path, monkeypatch) -> None:
    """A base document saved by the office keeps its own styles (here a larger body size)."""
    base = Document(io.BytesIO(D.template_bytes()))
    base.styles[D.BODY].font.size = Pt(15)
    path = tmp_path / "公文模板.docx"
    base.save(path)
    monkeypatch.setenv("DOC_TEMPLATE", str(path))
    g = D.GongWen("标题")
    g.para("正文。")
    doc = Document(io.BytesIO(g.to_bytes()))
    assert doc.styles[D.BODY].font.size == Pt(15)
    assert [p.text for p in doc.paragraphs][:1] == ["标题"]  # the template's own sample text is gone


def test_names_in_surname_stroke_order() -> None:
    assert strokes("王") == 4 and strokes("张") == 7 and strokes("黄") == 11 and strokes("A") == 0
    names = ["张华", "王芳", "丁一", "曹操", "黄明", "刘备", "王小明", "于谦"]
    # 黄 and 曹, 11 strokes each, 横竖 alike: the third stroke, 竖 before 折, puts 黄 first
    assert by_strokes(names, str) == ["丁一", "于谦", "王小明", "王芳", "刘备", "张华", "黄明", "曹操"]
    # same surname, same strokes: grouped, then the given name decides; a tie keeps the input order
    assert stroke_key("王芳") < stroke_key("王芳华")
    twins = [{"id": 2, "n": "张华"}, {"id": 1, "n": "张华"}]
    assert [x["id"] for x in by_strokes(twins, lambda x: x["n"])] == [2, 1]
    # pasted text: spaces around a name do not change its place
    assert stroke_key(" 王芳 ") == stroke_key("王芳")


def test_same_stroke_surnames_by_their_first_strokes() -> None:
    """GB/T name ordering: one stroke count, then the strokes in writing order 横竖撇点折 —
    李 (横) before 张 (折), both 7 strokes; 王 毛 方 尹 (4); 石 叶 史 白 冯 (5)."""
    assert strokes("李") == strokes("张") == 7 and ord("李") > ord("张")  # code point order would be wrong
    assert by_strokes(["张华", "李娜"], str) == ["李娜", "张华"]
    assert by_strokes(["尹", "方", "毛", "王"], str) == ["王", "毛", "方", "尹"]
    assert by_strokes(["冯", "白", "史", "叶", "石"], str) == ["石", "叶", "史", "白", "冯"]
    # a character without stroke-order data sorts after the ranked ones of its count, never lost
    assert stroke_key("\U0002A6D6") > stroke_key("一")


def test_display_names_in_queries_and_after(world) -> None:
    with session_scope("test", url=world.url) as s:
        assert people.name_of(s, "leader") == "赵领导" and people.name_of(s, "system") == "系统"
        assert people.names_of(s, ["staff", "gone", None]) == {"staff": "王工作", "gone": "gone"}
        from sqlalchemy import literal, select
        assert s.execute(select(people.display(literal("supervisor")))).scalar_one() == "李督查"
        assert s.execute(select(people.display(literal("gone")))).scalar_one() == "gone"


def test_a_list_in_stroke_order_without_scores_unless_asked(world) -> None:
    """优秀代表 by 姓氏笔画 (not by score), 经（姓名）确认 in Chinese numerals, no 总分 or 等级; with
    ``with_scores`` the scores are there."""
    items = [{"id": 1, "代表": "黄明", "代表组": "第二组", "总分": 99.0, "等级": "优秀", "全区排名": 1},
             {"id": 2, "代表": "王芳", "代表组": "第一组", "总分": 90.0, "等级": "优秀", "全区排名": 2},
             {"id": 3, "代表": "丁一", "代表组": "第一组", "总分": 80.0, "等级": "优秀", "全区排名": 3}]
    with session_scope("leader", url=world.url) as s:
        rid = scoring.ensure_default_rubric(s)
        s.add(M.Selection(year=2025, kind=scoring.EXCELLENT, rubric_id=rid, items=items, params={},
                          confirmed_by="leader", confirmed_at=datetime(2026, 1, 8, 10, 0)))
    with session_scope("test", url=world.url) as s:
        sid = scoring.latest_selection(s, 2025, scoring.EXCELLENT)["id"]
        plain = assert_gongwen(scoring.selection_docx(s, sid))
        full = assert_gongwen(scoring.selection_docx(s, sid, with_scores=True))
    rows = [[c.text for c in r.cells] for r in plain.tables[0].rows]
    assert rows == [["序号", "姓名", "代表组"], ["1", "丁一", "第一组"], ["2", "王芳", "第一组"], ["3", "黄明", "第二组"]]
    body = "\n".join(p.text for p in plain.paragraphs)
    assert "经赵领导于二〇二六年一月八日确认" in body and "以下3名代表" in body and "leader" not in body
    head = [c.text for c in full.tables[0].rows[0].cells]
    assert head[:3] == ["序号", "姓名", "代表组"] and "总分" in head and "等级" in head
    assert [c.text for c in full.tables[0].rows[1].cells][1] == "丁一"


def test_text_pasted_from_word_does_not_break_a_document() -> None:
    """A vertical tab, NUL or other control character in a letter's text (pasted from Word) is
    written as a space; full-width and zero-width characters stay as they are."""
    g = D.GongWen("路灯\x0b问题")
    g.para("反映：路灯\x0b坏了\x00，\u200b全角ＡＢＣ")
    g.fields([("说明", "第一行\x0c第二行")])
    g.table(["内容"], [["小区\x0b门口\x1f路灯"]])
    g.signature(date(2026, 1, 5), "第一\x0b代表组")
    doc = assert_gongwen(g.to_bytes())
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "路灯 问题" and "反映：路灯 坏了 ，\u200b全角ＡＢＣ" in texts
    assert doc.tables[0].rows[1].cells[0].text == "小区 门口 路灯"
