"""What every .docx of the app must be (services/documents.py): the 公文 layout after GB/T 9704.
``assert_gongwen`` opens a document and checks paper, margins, fonts of the named styles, the
page-number footers, every table's repeated header row and unsplit rows, and the 成文日期."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from services import documents as D


def _east_asian(style) -> str | None:  # noqa: ANN001
    rpr = style.element.rPr
    return rpr.rFonts.get(qn("w:eastAsia")) if rpr is not None and rpr.rFonts is not None else None


def _footer_text(footer) -> str:  # noqa: ANN001
    """A footer's text with the PAGE field shown as its instruction."""
    out = []
    for el in footer._element.iter():  # noqa: SLF001
        if el.tag == qn("w:t") and el.text:
            out.append(el.text)
        elif el.tag == qn("w:instrText"):
            out.append(f"{{{el.text.strip()}}}")
    return "".join(out)


def assert_gongwen(blob: bytes, *, landscape: bool = False, compact: bool = False, tables: bool = True) -> Document:
    """Check one document; return it opened for further checks. ``compact``: the one-page variant
    (body in 五号); ``tables``: the document must hold a table."""
    doc = Document(io.BytesIO(blob))
    sec = doc.sections[0]
    size = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    assert (abs(sec.page_width - size[0]) < Mm(1)) and (abs(sec.page_height - size[1]) < Mm(1))
    for side, mm in D.MARGINS_MM.items():
        assert abs(getattr(sec, side) - Mm(mm)) < Mm(0.5), side
    styles = doc.styles
    assert _east_asian(styles[D.TITLE]) == "方正小标宋简体" and styles[D.TITLE].font.size == Pt(22)
    body, sign = (D.BODY + D.COMPACT_SUFFIX, D.SIGN + D.COMPACT_SUFFIX) if compact else (D.BODY, D.SIGN)
    assert _east_asian(styles[body]) == "仿宋_GB2312" and styles[body].font.size == Pt(10.5 if compact else 16)
    assert any(p.style.name == body for p in doc.paragraphs)
    assert _east_asian(styles[D.H1]) == "黑体"
    # the fallbacks are in the font table
    fonts = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")).blob.decode()
    assert re.search(r'w:name="方正小标宋简体".*?w:altName w:val="黑体"', fonts, re.S)
    assert re.search(r'w:name="仿宋_GB2312".*?w:altName w:val="仿宋"', fonts, re.S)
    # the title is the first paragraph, in the title style
    assert doc.paragraphs[0].style.name == D.TITLE and doc.paragraphs[0].text
    # — N — on odd pages (right) and even pages (left)
    assert doc.settings.odd_and_even_pages_header_footer
    assert _footer_text(sec.footer) == "— {PAGE}1 —"  # the field and its cached value
    assert _footer_text(sec.even_page_footer) == "— {PAGE}1 —"  # the field and its cached value
    # tables: header row repeats, no row splits across pages, widths not all equal when contents differ
    assert doc.tables or not tables, "a document without a table"
    for t in doc.tables:
        for i, row in enumerate(t.rows):
            tr_pr = row._tr.trPr  # noqa: SLF001
            assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None
            if i == 0 and t.rows[0].cells[0].paragraphs[0].style.name == D.HEAD and len(t.columns) > 1 \
                    and t.rows[0].cells[1].paragraphs[0].style.name == D.HEAD:
                assert tr_pr.find(qn("w:tblHeader")) is not None
    # 成文日期 in Chinese numerals
    assert any(re.fullmatch(r"[〇一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日", p.text)
               for p in doc.paragraphs if p.style.name == sign)
    return doc


def header_repeats(table) -> bool:  # noqa: ANN001
    """True when the table's first row is marked to repeat on each page."""
    tr_pr = table.rows[0]._tr.trPr  # noqa: SLF001
    return tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
