"""Every .docx the office hands up, in one 公文 layout after GB/T 9704-2012.

A4 paper, margins top 37 / bottom 35 / left 28 / right 26 mm; the title in 方正小标宋简体 二号 (22 pt,
黑体 where the font is missing), the body in 仿宋_GB2312 三号 (16 pt, 仿宋 where missing) on a fixed
28.95 pt line (22 lines a page), first-level headings 黑体, second-level 楷体_GB2312; page numbers
“— 1 —” in 宋体 四号 at the foot, odd pages on the right and even pages on the left, one character in;
落款 and 成文日期 in Chinese numerals (二〇二六年三月五日).

Tables repeat their header row on every page, never split a row across pages, and size their
columns by content (序号 narrow, 反映问题 wide). Names lists go through ``services.strokes``.

The styles are named (公文标题, 公文正文, 公文一级标题, 公文二级标题, 公文表格, 公文表头, 公文落款,
公文页码), so an office can restyle them in Word: a file ``公文模板.docx`` in the data folder (beside
the SQLite database, see ``template_path``) is used as the base document when present, and styles
it already defines are kept as the office set them. ``template_bytes()`` gives the default one.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

# fonts: the 公文 font and the one a machine without it should use instead
TITLE_FONT, TITLE_FALLBACK = "方正小标宋简体", "黑体"
BODY_FONT, BODY_FALLBACK = "仿宋_GB2312", "仿宋"
HEADING_FONT = "黑体"
KAI_FONT, KAI_FALLBACK = "楷体_GB2312", "楷体"
PAGE_FONT = "宋体"
FALLBACKS = {TITLE_FONT: TITLE_FALLBACK, BODY_FONT: BODY_FALLBACK, KAI_FONT: KAI_FALLBACK}

# sizes (号): 二号 22 pt, 三号 16 pt, 四号 14 pt, 小四 12 pt, 五号 10.5 pt
SIZE_2, SIZE_3, SIZE_4, SIZE_S4, SIZE_5 = Pt(22), Pt(16), Pt(14), Pt(12), Pt(10.5)
LINE = Pt(28.95)  # 22 lines on a page
COMPACT_LINE = Pt(16)  # GongWen(compact=True): 五号 on about 40 lines a page
COMPACT_SUFFIX = "（紧凑）"

MARGINS_MM = {"top_margin": 37, "bottom_margin": 35, "left_margin": 28, "right_margin": 26}
A4_MM = (210, 297)

TITLE, BODY, H1, H2 = "公文标题", "公文正文", "公文一级标题", "公文二级标题"
CELL, HEAD, SIGN, PAGE = "公文表格", "公文表头", "公文落款", "公文页码"

_CN_DIGITS = "〇一二三四五六七八九"
_CN_ORDINALS = "一二三四五六七八九十"


def template_path() -> Path:
    """Where an office's restyled base document lives: ``公文模板.docx`` beside the database
    (``DOC_TEMPLATE`` names another file)."""
    if os.environ.get("DOC_TEMPLATE"):
        return Path(os.environ["DOC_TEMPLATE"])
    return Path(__file__).resolve().parent.parent / "data" / "公文模板.docx"


def cn_number(n: int) -> str:
    """1–99 in Chinese numerals as in a date: 五, 十, 十一, 二十, 三十一."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def cn_date(d: date | datetime) -> str:
    """成文日期 in Chinese numerals: 2026-03-05 → 二〇二六年三月五日."""
    year = "".join(_CN_DIGITS[int(c)] for c in f"{d.year:04d}")
    return f"{year}年{cn_number(d.month)}月{cn_number(d.day)}日"


def cn_ordinal(n: int) -> str:
    """1 → 一, 12 → 十二 (heading numbers)."""
    return cn_number(n) if n >= 10 else _CN_ORDINALS[n - 1]


def text_width(s: str) -> int:
    """Width of text in half-width units (a Chinese character counts 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


# what Word leaves in pasted text that prints as nothing or as a box: invisible characters (zero-
# width space, soft hyphen, BOM …: dropped) and Symbol/Wingdings bullets in the private-use area
# (U+F020–U+F0FF, e.g. U+F0B7 ·: a plain bullet, U+F0FC: √)
_INVISIBLE_IN_PRINT = re.compile("[\ufffe\uffff\u200b\u200c\u200d\u2060-\u2064\ufeff\u00ad\u180e\u034f]")
_SYMBOL_FONT = re.compile("[\uf020-\uf0ff]")


_LONG_WORD = re.compile("[!-~]{24,}")  # 24 printable ASCII characters without a space: no line break inside


def xml_safe(text: str) -> str:
    """Text a .docx can hold and a printer shows: Word's breaks (\r\n, \r, vertical tab, form
    feed) become one line break, other control characters and bidi overrides go
    (``validation.printable_text``), invisible characters are dropped and Symbol-font bullets
    become • (√ for the check mark) — never a reason for the export to fail, never a box."""
    from services.validation import printable_text

    text = _INVISIBLE_IN_PRINT.sub("", printable_text(text))
    return _SYMBOL_FONT.sub(lambda m: "√" if m.group(0) == "\uf0fc" else "•", text)


def cell_text(v: object) -> str:
    """A value as it is written in a table cell: dates 2026-03-05, whole numbers without .0,
    nothing for None / NaN / NaT, 是/否 for booleans, characters XML forbids replaced."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, datetime):
        return f"{v:%Y-%m-%d %H:%M}"
    if isinstance(v, date):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, float):
        return f"{v:g}"
    if type(v).__name__ in ("NaTType", "NAType"):
        return ""
    return xml_safe(str(v))


def ems(s: str) -> float:
    """Width of text in ems: a Chinese character 1, a Latin letter or digit at most 0.65, and a
    quarter em where Chinese meets Latin (LibreOffice spaces 第25选区 so, whatever the style says)."""
    wide = [unicodedata.east_asian_width(c) in "WF" for c in s]
    meets = sum(1 for a, b, c in zip(wide, wide[1:], s[1:], strict=False) if a != b and not c.isspace())
    return sum(1.0 if w else 0.65 for w in wide) + 0.25 * meets


def column_widths(columns: Sequence[str], rows: Iterable[Sequence[object]], total_mm: float,
                  em_mm: float = 12 * 0.3528, pad_mm: float = 4.6, keep: float = 6.5, least: float = 4,
                  cap: float = 30) -> list[float]:
    """Column widths (mm) by content, for text ``em_mm`` wide per em. A column needs its longest
    line (a header may wrap onto two lines) plus the cell padding. When everything fits, all grow
    in proportion. Otherwise the short columns (at most ``keep`` ems: 序号, dates, 选区, 状态) get
    what they need so they never wrap; the long ones get at least ``least`` ems and share what is
    left in proportion to how much more they want, counted up to ``cap`` ems so one very long
    column does not starve the rest (序号 narrow, 反映问题 wide). Only when even that does not fit
    is every column shrunk in proportion."""
    need = []
    for c in columns:
        w = ems(c)
        need.append(w if w <= 2 else math.ceil(w / 2))
    for r in rows:
        for j, v in enumerate(r):
            need[j] = max(need[j], max((ems(x) for x in cell_text(v).splitlines()), default=0))
    need = [max(n, 2.0) for n in need]
    natural = [n * em_mm + pad_mm for n in need]
    if sum(natural) <= total_mm:
        return [total_mm * n / sum(natural) for n in natural]
    short = [n <= keep + 1e-6 for n in need]  # a date is 10 × 0.65 ems, which floats make 6.500000000000001
    base = [nat if sh else least * em_mm + pad_mm for nat, sh in zip(natural, short, strict=True)]
    if sum(base) >= total_mm:
        return [total_mm * b / sum(base) for b in base]
    want = [0.0 if sh else min(n, cap) * em_mm + pad_mm - b for n, b, sh in zip(need, base, short, strict=True)]
    left, total_want = total_mm - sum(base), sum(want)
    return [b + left * w / total_want for b, w in zip(base, want, strict=True)]


def _set_fonts(rpr_owner, name: str) -> None:  # noqa: ANN001 - a style or a run
    """Latin and East Asian font of a style or run."""
    rpr_owner.font.name = name
    rpr = rpr_owner.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _style(doc, name: str, font: str, size: Pt, *, bold: bool = False, align=None,  # noqa: ANN001
           line: Pt | None = LINE, indent: Pt | None = None, keep: bool = False) -> None:
    """Define a paragraph style unless the base document already has one of that name; ``keep``
    keeps it on the page of what follows (a heading with its table)."""
    if name in [s.name for s in doc.styles]:
        return
    st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    st.base_style = doc.styles["Normal"]
    st.quick_style = True
    _set_fonts(st, font)
    st.font.size = size
    st.font.bold = bold
    pf = st.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if line is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = line
    else:
        pf.line_spacing = 1.0
    if indent is not None:
        pf.first_line_indent = indent
    if align is not None:
        pf.alignment = align
    if keep:
        pf.keep_with_next = True
    _tight_numbers(st.element.get_or_add_pPr())


# what follows w:autoSpaceDN in a paragraph's properties (the schema's order)
_AFTER_AUTOSPACE = ("bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
                    "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap",
                    "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")


def _tight_numbers(ppr) -> None:  # noqa: ANN001 - a w:pPr element
    """No extra space between Chinese and Latin letters or digits (2026年, 第25选区, as 公文 print
    them; Word and LibreOffice add a quarter em each side by default, which also wrapped 第25选区
    in a column sized for it)."""
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        if ppr.find(qn(tag)) is not None:
            continue
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        follower = next((c for c in ppr if c.tag in {qn(f"w:{t}") for t in _AFTER_AUTOSPACE}), None)
        if follower is not None:
            follower.addprevious(el)
        else:
            ppr.append(el)


def _font_fallbacks(doc) -> None:  # noqa: ANN001
    """Tell Word which font to use where a 公文 font is missing (w:altName in the font table)."""
    part = next((r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")), None)
    if part is None:
        return
    root = etree.fromstring(part.blob)
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    have = {f.get(f"{{{w}}}name") for f in root.findall(f"{{{w}}}font")}
    for name, alt in FALLBACKS.items():
        if name in have:
            continue
        f = etree.SubElement(root, f"{{{w}}}font")
        f.set(f"{{{w}}}name", name)
        a = etree.SubElement(f, f"{{{w}}}altName")
        a.set(f"{{{w}}}val", alt)
        cs = etree.SubElement(f, f"{{{w}}}charset")
        cs.set(f"{{{w}}}val", "86")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)  # noqa: SLF001


def _page_field(paragraph) -> None:  # noqa: ANN001
    """“— N —”: the PAGE field between two em dashes."""
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)  # noqa: SLF001
        elif text == "1":
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)  # noqa: SLF001
        else:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = text
            run._r.append(it)  # noqa: SLF001
    paragraph.add_run(" —")


def _fixed_layout(t) -> None:  # noqa: ANN001 - a python-docx table
    """Columns as set, not as the word processor guesses from the text (autofit off, fixed layout)."""
    t.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)  # noqa: SLF001


def _mark_row(row, *, header: bool) -> None:  # noqa: ANN001
    """Row never split across pages; the header row repeats on every page."""
    tr_pr = row._tr.get_or_add_trPr()  # noqa: SLF001
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


class GongWen:
    """One document being written: title, body paragraphs, headings, tables, 落款."""

    def __init__(self, title: str, *, landscape: bool = False, compact: bool = False) -> None:
        """``compact``: the same layout, fonts, page numbers and 成文日期 with body text in 五号 on
        a tighter line — for a sheet of data meant to fit a page (the 抽查验证单, the 公告)."""
        base = template_path()
        self.doc = Document(str(base)) if base.is_file() else Document()
        suffix = COMPACT_SUFFIX if compact else ""
        self.body, self.h1, self.h2, self.sign = (BODY + suffix, H1 + suffix, H2 + suffix, SIGN + suffix)
        self._install_styles()
        sec = self.doc.sections[0]
        short, long_ = A4_MM
        sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = (Mm(long_), Mm(short)) if landscape else (Mm(short), Mm(long_))
        for side, mm in MARGINS_MM.items():
            setattr(sec, side, Mm(mm))
        sec.footer_distance = Mm(23)  # the number's line (about 5 mm) sits 7 mm below the text block
        self.text_mm = (long_ if landscape else short) - MARGINS_MM["left_margin"] - MARGINS_MM["right_margin"]
        self._footers(sec)
        self._counters = [0, 0]
        self.title = title
        for line in xml_safe(title).split("\n"):
            self.doc.add_paragraph(line, style=TITLE)
        self.doc.add_paragraph("", style=self.body)

    def _install_styles(self) -> None:
        doc = self.doc
        normal = doc.styles["Normal"]
        if not (normal.element.rPr is not None and normal.element.rPr.rFonts is not None
                and normal.element.rPr.rFonts.get(qn("w:eastAsia")) == BODY_FONT):
            _set_fonts(normal, BODY_FONT)
            normal.font.size = SIZE_3
        _style(doc, TITLE, TITLE_FONT, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
        _style(doc, BODY, BODY_FONT, SIZE_3, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=Pt(32))
        _style(doc, H1, HEADING_FONT, SIZE_3, indent=Pt(32), keep=True)
        _style(doc, H2, KAI_FONT, SIZE_3, indent=Pt(32), keep=True)
        if self.body != BODY:  # the compact variants
            _style(doc, self.body, BODY_FONT, SIZE_5, align=WD_ALIGN_PARAGRAPH.LEFT, indent=Pt(21), line=COMPACT_LINE)
            _style(doc, self.h1, HEADING_FONT, SIZE_5, indent=Pt(21), keep=True, line=COMPACT_LINE)
            _style(doc, self.h2, KAI_FONT, SIZE_5, indent=Pt(21), keep=True, line=COMPACT_LINE)
            _style(doc, self.sign, BODY_FONT, SIZE_5, align=WD_ALIGN_PARAGRAPH.RIGHT, line=COMPACT_LINE)
        _style(doc, CELL, BODY_FONT, SIZE_S4, line=None)
        _style(doc, HEAD, HEADING_FONT, SIZE_S4, line=None, align=WD_ALIGN_PARAGRAPH.CENTER)
        _style(doc, SIGN, BODY_FONT, SIZE_3, align=WD_ALIGN_PARAGRAPH.RIGHT)
        _style(doc, PAGE, PAGE_FONT, SIZE_4, line=None)
        _font_fallbacks(doc)

    def _footers(self, sec) -> None:  # noqa: ANN001
        """Odd pages: number on the right, one character in; even pages: on the left."""
        self.doc.settings.odd_and_even_pages_header_footer = True
        for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT), (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            for r in list(p.runs):
                r._r.getparent().remove(r._r)  # noqa: SLF001
            p.style = self.doc.styles[PAGE]
            p.alignment = align
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                p.paragraph_format.right_indent = SIZE_4
            else:
                p.paragraph_format.left_indent = SIZE_4
            _page_field(p)

    # ------------------------------------------------------------------ content

    def para(self, text: str, *, indent: bool = True, align=None) -> None:  # noqa: ANN001
        """A body paragraph (first line indented two characters unless ``indent`` is False). A line
        holding a long unbreakable run (a SHA-256 digest, a link) is set flush left: justified, the
        line before it was spread to one character per gap."""
        for line in xml_safe(str(text)).split("\n"):
            p = self.doc.add_paragraph(line, style=self.body)
            if not indent:
                p.paragraph_format.first_line_indent = Pt(0)
            if align is not None:
                p.alignment = align
            elif _LONG_WORD.search(line):
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT

    def fields(self, pairs: Iterable[tuple[str, object]]) -> None:
        """“标签：内容” lines (no indent, left-aligned so a long code is not spread out), e.g. the
        facts of a record."""
        for label, value in pairs:
            self.para(f"{label}：{cell_text(value)}", indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)

    def heading(self, text: str, level: int = 1, *, number: bool = True) -> None:
        """一、… (黑体) or （一）… (楷体), numbered in order unless ``number`` is False (the text
        carries its own number)."""
        if level == 1:
            self._counters = [self._counters[0] + 1, 0]
            prefix = f"{cn_ordinal(self._counters[0])}、" if number else ""
            self.doc.add_paragraph(prefix + xml_safe(text), style=self.h1)
        else:
            self._counters[1] += 1
            prefix = f"（{cn_ordinal(self._counters[1])}）" if number else ""
            self.doc.add_paragraph(prefix + xml_safe(text), style=self.h2)

    def pairs(self, items: Sequence[tuple[str, object]], per_row: int = 2) -> None:
        """Facts as a label / value grid (no header row), ``per_row`` pairs to a row, rows kept whole."""
        items = list(items)
        cols = 2 * per_row
        t = self.doc.add_table(rows=0, cols=cols)
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        rows = [items[i:i + per_row] for i in range(0, len(items), per_row)]
        flat = [[x for k, v in r for x in (k, cell_text(v))] + [""] * (cols - 2 * len(r)) for r in rows]
        for r in flat:
            row = t.add_row()
            for j, v in enumerate(r):
                row.cells[j].paragraphs[0].text = v
                row.cells[j].paragraphs[0].style = self.doc.styles[HEAD if j % 2 == 0 else CELL]
            _mark_row(row, header=False)
        _fixed_layout(t)
        for j, w in enumerate(column_widths([""] * cols, flat, self.text_mm)):
            t.columns[j].width = Mm(w)  # the grid: what LibreOffice and WPS lay out by
            for row in t.rows:
                row.cells[j].width = Mm(w)
        self.doc.add_paragraph("", style=CELL)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]], *,
              empty: str = "无记录。", numbered: bool = False, small: bool = False) -> None:
        """A table: header row repeated on each page, rows kept whole, columns sized by content.
        ``numbered`` adds a 序号 column; no rows → one merged row saying ``empty``; ``small`` sets
        it in 五号 (10.5 pt) instead of 小四, for tables of many columns."""
        columns = list(columns)
        data = [[cell_text(v) for v in r] for r in rows]
        if numbered:
            columns = ["序号", *columns]
            data = [[str(i), *r] for i, r in enumerate(data, start=1)]
        size = SIZE_5 if small else SIZE_S4
        widths = column_widths(columns, data, self.text_mm, em_mm=size.pt * 0.3528)
        t = self.doc.add_table(rows=1, cols=len(columns))
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        _fixed_layout(t)
        for j, c in enumerate(columns):
            cell = t.rows[0].cells[j]
            cell.paragraphs[0].text = xml_safe(str(c))
            cell.paragraphs[0].style = self.doc.styles[HEAD]
        _mark_row(t.rows[0], header=True)
        for r in data:
            row = t.add_row()
            for j, v in enumerate(r):
                cell = row.cells[j]
                lines = v.split("\n")
                cell.paragraphs[0].text = lines[0]
                cell.paragraphs[0].style = self.doc.styles[CELL]
                for extra in lines[1:]:
                    cell.add_paragraph(extra, style=CELL)
            _mark_row(row, header=False)
        if not data:
            row = t.add_row()
            merged = row.cells[0].merge(row.cells[-1])
            merged.paragraphs[0].text = empty
            merged.paragraphs[0].style = self.doc.styles[CELL]
            _mark_row(row, header=False)
        for j, w in enumerate(widths):
            t.columns[j].width = Mm(w)
            for row in t.rows:
                row.cells[j].width = Mm(w)
                if small:
                    for p in row.cells[j].paragraphs:
                        for r in p.runs:
                            r.font.size = size
        self.doc.add_paragraph("", style=CELL)

    def names(self, names: Sequence[str], *, per_line: int = 4) -> None:
        """A run of names (already in stroke order) set out ``per_line`` to a line, as lists of
        deputies are printed."""
        for i in range(0, len(names), per_line):
            self.para("　　".join(names[i:i + per_line]), indent=True)

    def signature(self, day: date | datetime, issuer: str | None = None) -> None:
        """落款: the issuer (if any) and the 成文日期 in Chinese numerals, right-aligned and moved in
        as GB/T 9704 sets them (issuer four characters in, date two). The date never stands alone
        on a page: the paragraph before it goes with it."""
        self._keep_last_with_next()
        blank = self.doc.add_paragraph("", style=self.body)
        blank.paragraph_format.keep_with_next = True
        if issuer:
            p = self.doc.add_paragraph(xml_safe(issuer), style=self.sign)
            p.paragraph_format.right_indent = Pt(16 * 4)
            p.paragraph_format.keep_with_next = True
        p = self.doc.add_paragraph(cn_date(day), style=self.sign)
        p.paragraph_format.right_indent = Pt(16 * 2)

    def _keep_last_with_next(self) -> None:
        """Keep the last text written (through empty spacing paragraphs: a paragraph, or a table's
        last row) on the page of what follows."""
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        body = self.doc.element.body
        for el in reversed(list(body.iterchildren())):
            if el.tag == qn("w:p"):
                p = Paragraph(el, self.doc._body)  # noqa: SLF001
                p.paragraph_format.keep_with_next = True
                if p.text.strip():
                    return
            elif el.tag == qn("w:tbl"):
                for cell in Table(el, self.doc._body).rows[-1].cells:  # noqa: SLF001
                    for p in cell.paragraphs:
                        p.paragraph_format.keep_with_next = True
                return

    def to_bytes(self) -> bytes:
        """The finished .docx."""
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def template_bytes() -> bytes:
    """The default base document with every 公文 style, for an office to restyle in Word and
    save as ``template_path()``."""
    g = GongWen("公文标题")
    g.para("正文。")
    g.heading("一级标题")
    g.heading("二级标题", 2)
    g.table(["序号", "内容"], [["1", "表格文字"]])
    body = g.doc.element.body
    for el in list(body):
        if el.tag != qn("w:sectPr"):
            body.remove(el)
    return g.to_bytes()


# ---------------------------------------------------------------------------- PDF


def pdf_converter() -> str | None:
    """Path of LibreOffice (soffice / libreoffice) when installed, else None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx_bytes: bytes) -> bytes | None:
    """Convert a .docx to PDF with LibreOffice; None when it is not available or fails."""
    exe = pdf_converter()
    if not exe:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "file.docx"
        src.write_bytes(docx_bytes)
        try:
            subprocess.run([exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                            "--convert-to", "pdf", "--outdir", tmp, str(src)],
                           check=True, capture_output=True, timeout=120)
        except (subprocess.SubprocessError, OSError):
            return None
        out = Path(tmp) / "file.pdf"
        return out.read_bytes() if out.exists() else None
