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
    """Text pasted from Word: its breaks (Shift+Enter's vertical tab, a page break, \\r\\n) are line
    breaks as the user saw them (one, never an empty line); NUL and other control characters go;
    invisible characters (zero-width space, soft hyphen) are dropped and Symbol-font bullets
    (U+F0B7) print as • instead of a box; full-width characters stay as they are."""
    g = D.GongWen("路灯\x0b问题")
    g.para("反映：路灯\x0b坏了\x00，\u200b全角ＡＢＣ\r\n\uf0b7第二\u00ad点")
    g.fields([("说明", "第一行\x0c第二行")])
    g.table(["内容"], [["小区\x0b门口\x1f路灯\r\n二号楼"]])
    g.signature(date(2026, 1, 5), "第一\x0b代表组")
    doc = assert_gongwen(g.to_bytes())
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["路灯", "问题"]
    i = texts.index("反映：路灯")
    assert texts[i + 1:i + 3] == ["坏了，全角ＡＢＣ", "•第二点"]
    assert "说明：第一行" in texts and "第二行" in texts
    assert doc.tables[0].rows[1].cells[0].text == "小区\n门口路灯\n二号楼"
    assert D.xml_safe("a\r\n\r\nb") == "a\n\nb" and D.xml_safe("\uf0fc 已核实") == "√ 已核实"


def test_the_date_never_stands_alone_and_pairs_and_dates_get_their_widths() -> None:
    """Seen in LibreOffice: a 交办单 whose date fell alone onto page 2; a pairs grid (交办单, 履职档案)
    with label and value columns equally wide; 反映日期 wrapped as “2026-07-” / “20” because a
    date's 6.5 ems came out as 6.500000000000001."""
    g = D.GongWen("交办单")
    g.pairs([("来信编号", "XF2026-000302"), ("来信内容", "路灯不亮，晚上出行不便，请尽快修复。" * 3)], per_row=1)
    g.para("请于时限前办理。")
    g.table(["反映日期", "反映问题", "转办单位", "解决情况"],
            [[date(2026, 7, 20), "问题" * 40, "区住房和城乡建设局", "已解决" * 10]])
    g.signature(date(2026, 11, 30))
    doc = assert_gongwen(g.to_bytes())
    body = doc.paragraphs
    dated = [p.text for p in body].index("二〇二六年十一月三十日")
    # the empty line before the date and the last text before that (a table's last row here) go with it
    assert body[dated - 1].paragraph_format.keep_with_next
    last_row = doc.tables[1].rows[-1]
    assert all(p.paragraph_format.keep_with_next for c in last_row.cells for p in c.paragraphs)
    pairs = doc.tables[0]
    grid = [c.width for c in pairs.columns]
    assert grid[0] < grid[1] / 2  # the label column as wide as its labels, the value gets the rest
    assert pairs._tbl.tblPr.find(D.qn("w:tblLayout")).get(D.qn("w:type")) == "fixed"
    assert D.ems("第25选区") == 3 + 2 * 0.65 + 2 * 0.25  # room for the space a renderer puts around 25
    date_mm = doc.tables[1].columns[0].width.mm
    assert date_mm >= 6.5 * 12 * 0.3528 + 4.6 - 0.1  # the whole date on one line


def test_a_tie_in_a_printed_list_gives_no_score_and_counts_people(world) -> None:
    """The 名单 printed without scores says 得分相同并列6名 (not 总分70分并列6个); a list voided
    by the leader names him, not his login."""
    params = {"tie": {"total": 70.0, "tied": [1, 2, 3, 4, 5, 6], "chosen": [1, 2, 3], "places": 3},
              "reason": "并列者推动解决的问题更多"}
    assert scoring.decision_text(params) == "总分70分并列6名，选定3名"
    assert scoring.decision_text(params, scoring.ADVANCED) == "总分70分并列6个，选定3个"
    items = [{"id": 1, "代表": "王芳", "代表组": "第一组", "总分": 70.0}]
    with session_scope("leader", url=world.url) as s:
        rid = scoring.ensure_default_rubric(s)
        s.add(M.Selection(year=2025, kind=scoring.EXCELLENT, rubric_id=rid, items=items, params=params,
                          confirmed_by="leader", confirmed_at=datetime(2026, 1, 8, 10, 0),
                          voided_by="leader", voided_at=datetime(2026, 1, 9, 9, 0), void_reason="重新评选"))
    with session_scope("test", url=world.url) as s:
        sel = scoring.list_selections(s, 2025)[0]
        plain = assert_gongwen(scoring.selection_docx(s, sel["id"]))
    body = "\n".join(p.text for p in plain.paragraphs)
    assert "得分相同并列6名，选定3名" in body and "70" not in body
    assert sel["状态"].startswith("作废（赵领导 ") and "leader" not in sel["状态"]


def test_a_digest_in_a_paragraph_does_not_spread_the_line_before_it() -> None:
    """抽查记录: “可抽记录清单指纹（SHA-256）：6718cf…” was justified, so the line before the
    unbreakable digest came out one character per gap; such a paragraph is set flush left."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    g = D.GongWen("抽查记录")
    g.para("可抽记录清单指纹（SHA-256）：" + "6718cf26e6ea4199dcebe40f74ac1c193c4f43ba9965ba87fab7e0d88281a0e")
    g.para("抽查期间：2026-10-01 至 2026-11-29，每组每类抽取10%。")
    g.table(["代表组", "抽取条数"], [["第一组", 3]])
    g.signature(date(2026, 11, 30))
    doc = assert_gongwen(g.to_bytes())
    texts = {p.text[:6]: p for p in doc.paragraphs}
    assert texts["可抽记录清单"].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert texts["抽查期间：2"].alignment is None  # ordinary text keeps the style's justification
