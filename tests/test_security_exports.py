"""Issue 16: the one .xlsx writer. No user text becomes a formula, no pasted control character
breaks an export, dates are date cells, the sheet is laid out for printing; every export of every
page, over a poisoned data set, read back cell by cell."""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.delta_generator import DeltaGenerator

from services import excel
from services.common import PAGES
from tests import poison
from tests.conftest import app_as, goto

BAD = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", " =HYPERLINK(\"http://x\")", "\n@x",
       "a\x0bb", "nul\x00l", "bell\x07", "rtl\u202eabc", "iso\u2066x", "esc\x1b[31m", "del\x7f", "c1\x85d",
       "ok\ttab\nline", "０１２３", "=1+1\x0b:red[大字]**粗体组**"]


def _cells(data: bytes):
    """Every cell of every sheet of an .xlsx."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                yield ws, c


def _check_safe(data: bytes) -> int:
    """No formula, no control character in any cell; returns the number of formula-like texts."""
    risky = 0
    for _ws, c in _cells(data):
        assert c.data_type != "f", (c.coordinate, c.value)
        if isinstance(c.value, str):
            assert not any(ch in c.value for ch in "\x00\x0b\x0c\x1b\x7f\u202e"), (c.coordinate, repr(c.value))
            if excel.formula_like(c.value):
                risky += 1
                assert c.data_type == "s" and c.quotePrefix, (c.coordinate, c.value)
    return risky


@pytest.mark.parametrize("stream", [False, True])
def test_bad_text_is_written_as_text(stream):
    frame = pd.DataFrame({"内容": BAD, "联系电话": ["0123456789"] * len(BAD),
                          "日期": [date(2026, 3, 5)] * len(BAD), "时间": [datetime(2026, 3, 5, 14, 30)] * len(BAD),
                          "是否": [True, False] * (len(BAD) // 2) + [None] * (len(BAD) % 2)})
    data = excel.to_xlsx({"来信:登记/表?" + "很长" * 20: frame}, title="=标题", notes=["@说明"], stream=stream)
    assert _check_safe(data) >= 10
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert len(ws.title) <= 31 and not set(ws.title) & set("[]:*?/\\")
    header = next(r for r in range(1, 6) if ws.cell(r, 1).value == "内容")
    assert header == 3
    got = [ws.cell(header + 1 + i, 1).value for i in range(len(BAD))]
    assert got[0] == "=1+1" and got[3] == "@SUM(A1)" and got[4] == "\t=1+1"
    assert got[5] == "\n=1+1"  # a carriage return becomes a line break
    assert got[8] == "a\nb"  # Word's Shift+Enter: a line break
    assert got[9] == "null" and got[10] == "bell" and got[11] == "rtlabc" and got[12] == "isox"
    assert got[16] == "ok\ttab\nline"
    assert ws.cell(header + 1, 2).value == "0123456789" and ws.cell(header + 1, 2).data_type == "s"
    d, t = ws.cell(header + 1, 3), ws.cell(header + 1, 4)
    assert d.is_date and d.value.date() == date(2026, 3, 5) and d.number_format == "yyyy-mm-dd"
    assert t.is_date and t.value == datetime(2026, 3, 5, 14, 30) and t.number_format == "yyyy-mm-dd hh:mm"
    assert ws.cell(header + 1, 5).value == "是" and ws.cell(header + 2, 5).value == "否"
    assert ws.cell(header, 1).font.b
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.auto_filter.ref == f"A{header}:E{header + len(BAD)}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.column_dimensions["A"].width >= 20  # widths follow the content


def test_a_category_named_like_a_formula_stays_text():
    data = excel.to_xlsx({"问题类别": pd.DataFrame({"类别": ["=1+1"]})})
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    cell = ws.cell(2, 1)
    assert cell.value == "=1+1" and cell.data_type == "s"
    # LibreOffice/Excel would show 2 for a formula; the stored XML has no <f> element
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_capped_export_says_how_many_rows_it_holds():
    frame = pd.DataFrame({"序号": range(50)})
    data = excel.to_xlsx({"列表": frame}, title="来信", total=1234, unit="件")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    notes = [ws.cell(r, 1).value for r in range(1, 4)]
    assert "共 1234 件，超过单个文件的导出上限，本文件只含前 50 件。" in notes


@pytest.mark.parametrize("stream", [False, True])
def test_rows_below_a_form_table_follow_the_same_rules(stream):
    """季度汇总's totals and liaison rows below the table go through the same cell rules: a
    liaison typed as a formula stays text, a label is bold, the table keeps its frozen header."""
    frame = pd.DataFrame({"序号": [1], "反映问题": ["=1+1"]})
    data = excel.to_xlsx({"汇总": frame}, title="表", footer=[[excel.Strong("合计"), "共1件"], ["联络员：", "=HYPERLINK(1)"]],
                         boxed=True, wrap_columns=("反映问题",), stream=stream)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [ws.cell(4, 1).value, ws.cell(4, 2).value] == [None, None]  # one blank row
    assert [ws.cell(5, 1).value, ws.cell(5, 2).value] == ["合计", "共1件"]
    assert ws.cell(5, 1).font.bold and not ws.cell(5, 2).font.bold
    assert ws.cell(6, 2).value == "=HYPERLINK(1)" and ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:B3"  # the filter covers the table, not the rows below it
    if not stream:
        assert ws.cell(3, 2).border.left.style == "thin" and ws.cell(3, 2).alignment.wrap_text
    assert _check_safe(data) == 2


def test_large_export_streams(monkeypatch):
    monkeypatch.setattr(excel, "STREAM_ROWS", 100)
    frame = pd.DataFrame({"内容": ["=x"] * 150, "日期": [date(2026, 1, 5)] * 150})
    data = excel.to_xlsx({"列表": frame}, title="大表")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.max_row == 152 and ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:B152"
    assert _check_safe(data) == 150


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory):
    return poison.build(tmp_path_factory.mktemp("poison"))


def _capture(monkeypatch) -> list:  # noqa: ANN001
    """Make every download button hand over its bytes (deferred data is produced at once)."""
    got: list = []
    original = DeltaGenerator.download_button

    def grab(self, label, data=None, *args, **kwargs):  # noqa: ANN001, ANN202
        name = str(kwargs.get("file_name") or "")
        # only spreadsheets are produced here (a PDF converter is not this test's business)
        payload = data() if callable(data) and name.endswith(".xlsx") else data
        got.append((label, name, kwargs.get("key"), payload))
        return original(self, label, payload, *args, **kwargs)

    import streamlit as st

    monkeypatch.setattr(DeltaGenerator, "download_button", grab)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: grab(st._main, *a, **k))
    return got


@pytest.mark.parametrize("role", ["admin", "leader"])
def test_every_export_of_every_page_over_poisoned_data(poisoned, monkeypatch, tmp_path, role):
    monkeypatch.setenv("DATABASE_URL", poisoned)
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    got = _capture(monkeypatch)
    at = app_as(role)
    pages = [k for k, (_t, roles) in PAGES.items() if role in roles]
    for key in pages:
        goto(at, key)
        assert not at.exception, (key, "\n".join(at.exception[0].stack_trace[-8:]) if at.exception else "")
    xlsx = [(label, name, key, data) for label, name, key, data in got if name.endswith(".xlsx")]
    seen, risky = set(), 0
    for _label, name, key, data in xlsx:
        assert data, (key, name)  # a file, never nothing
        risky += _check_safe(data)
        seen.add(key)
    print(f"{role}: {len(seen)} exports checked, {risky} formula-like cells kept as text")
    assert len(seen) >= (12 if role == "admin" else 8)
    assert risky > 100  # the poison reached the files
