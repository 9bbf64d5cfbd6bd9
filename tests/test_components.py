"""The shared widgets: the filters + table + export component and the timeline."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _table_app() -> None:
    """A page with 45 fake rows filtered by 类别, drawn by the shared table component."""
    import streamlit as st

    from components.table import Filter, data_table
    from services.common import Page

    rows = [{"编号": i, "类别": "教育" if i % 3 else "交通", "日期": __import__("datetime").date(2026, 3, 5)}
            for i in range(1, 46)]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        data = [r for r in rows if not f.get("cat") or r["类别"] == f["cat"]]
        return Page(data[offset : offset + limit], len(data), {"合计": f"{len(data)} 件"})

    res = data_table("t", fetch, filters=[Filter("cat", "类别", "select", ["教育", "交通"])],
                     export_name="测试导出", unit="件", empty="没有记录，请先登记。")
    st.session_state["shown"] = len(res.page.rows)


def test_table_pages_totals_and_filters():
    at = AppTest.from_function(_table_app, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["shown"] == 20
    cap = at.caption[0].value
    assert "共 45 件" in cap and "第 1/3 页" in cap
    df = at.dataframe[0].value
    assert list(df.columns) == ["编号", "类别", "日期"]
    assert df["日期"].iloc[0] == "2026-03-05"
    at.number_input(key="t__page").set_value(3).run()
    assert at.session_state["shown"] == 5
    at.selectbox(key="t__f_cat").set_value("交通").run()
    assert "共 15 件" in at.caption[0].value
    assert at.session_state["shown"] == 15  # page reset to 1 when the filter changed


def test_table_reads_initial_filter_from_query_params():
    at = AppTest.from_function(_table_app, default_timeout=60)
    at.query_params["cat"] = "交通"
    at.run()
    assert at.selectbox(key="t__f_cat").value == "交通"
    assert "共 15 件" in at.caption[0].value


def _empty_app() -> None:
    """The component on an empty list."""
    from components.table import data_table
    from services.common import Page

    data_table("e", lambda f, o, n: Page([], 0), empty="还没有来信。请在下方“登记来信”中录入。")


def test_empty_list_says_what_to_do():
    at = AppTest.from_function(_empty_app, default_timeout=60).run()
    assert "请在下方" in at.info[0].value
    assert "共 0 条" in at.caption[0].value


def test_excel_export_has_chinese_headers_and_text_phones():
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from services.excel import read_xlsx, to_xlsx

    df = pd.DataFrame([{"姓名": "张三", "联系电话": 13812341234, "日期": __import__("datetime").date(2026, 3, 5)}])
    data = to_xlsx({"名单": df}, title="测试", notes=["个人信息已脱敏"])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "测试"
    assert ws["A2"].value == "个人信息已脱敏"
    assert [c.value for c in ws[3]] == ["姓名", "联系电话", "日期"]
    assert ws["B4"].value == "13812341234" and ws["C4"].is_date and ws["C4"].number_format == "yyyy-mm-dd"
    headers, rows = read_xlsx(data, ["姓名", "联系电话"])
    assert rows == [(4, {"姓名": "张三", "联系电话": "13812341234", "日期": __import__("datetime").datetime(2026, 3, 5)})]


def _timeline_app() -> None:
    """A timeline with user text that looks like HTML."""
    from datetime import date

    from components.timeline import Step, timeline

    timeline([Step("登记", date(2026, 3, 5), "王工作", "<script>alert(1)</script>"),
              Step("已交代表", date(2026, 3, 6), "王工作", "", muted=True)])


def test_timeline_shows_user_text_as_text():
    at = AppTest.from_function(_timeline_app, default_timeout=60).run()
    texts = [t.value for t in at.text]
    assert any("登记　2026-03-05　王工作" in t for t in texts)
    assert any("（已撤销）" in t for t in texts)
    from components.text import safe_md

    assert at.caption[0].value == safe_md("<script>alert(1)</script>")
    assert "\\<script\\>" in at.caption[0].value  # escaped, shown literally


def test_dates_with_gaps_are_written_as_dates():
    from datetime import date, datetime

    from components.table import _fmt_frame

    df = _fmt_frame([{"时间": datetime(2026, 3, 5, 14, 30), "日期": date(2026, 3, 5)}, {"时间": None, "日期": None}])
    assert df.to_dict("records") == [{"时间": "2026-03-05 14:30", "日期": "2026-03-05"}, {"时间": "", "日期": ""}]


def test_validation_helpers_clean_messy_cells():
    import pytest

    from services.validation import mask_address, mask_name, mask_phone, normalize_phone, parse_year

    assert normalize_phone("１３８ １２３４ １２３４") == "13812341234"
    assert normalize_phone(13812341234.0) == "13812341234"
    assert normalize_phone("0571-87654321", landline_ok=True) == "0571-87654321"
    with pytest.raises(ValueError, match="11位"):
        normalize_phone("1381234")
    assert parse_year("１９７８") == 1978 and parse_year(1978.0) == 1978
    assert mask_name("张三丰") == "张**" and mask_phone("13812341234") == "138****1234"
    assert mask_address("东城区幸福街道和平路12号") == "东城区***"


def test_charts_key_people_by_id_and_label_months_in_chinese() -> None:
    """Two 张华 stay two bars (the group tells them apart; the id where the group is the same too);
    months read 1月…12月."""
    from components import charts

    rows = [{"deputy_id": 1, "代表": "张华", "代表组": "一组"}, {"deputy_id": 2, "代表": "张华", "代表组": "二组"},
            {"deputy_id": 3, "代表": "李娜", "代表组": "一组"}, {"deputy_id": 4, "代表": "王芳", "代表组": "一组"},
            {"deputy_id": 5, "代表": "王芳", "代表组": "一组"}]
    labels = charts.person_labels(rows)
    assert labels == {1: "张华（一组）", 2: "张华（二组）", 3: "李娜", 4: "王芳（一组·4号）", 5: "王芳（一组·5号）"}
    bars = charts.focus_bars([{**r, "方面": "F1", "得分": 50 + r["deputy_id"]} for r in rows], {"F1": "履职"})
    data = bars.to_dict()["datasets"]
    shown = next(iter(data.values()))
    assert len({d["代表"] for d in shown}) == 5  # five people, five bars
    assert [charts.month_label(m) for m in ("2026-01", "2026-12")] == ["1月", "12月"]
    trend = charts.trend([{"月份": "2026-02", "项目": "来信", "数量": 1}, {"月份": "2026-11", "项目": "来信", "数量": 2}])
    assert trend.to_dict()["encoding"]["x"]["sort"] == ["2月", "11月"]
    # on a 390 px phone the legend sits under the trend, one item a line (beside it, it took half the
    # width; two a line, the second was cut at the edge)
    legend = trend.to_dict()["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["columns"] == 1
    assert trend.to_dict()["autosize"]["type"] == "fit-x"  # the legend adds height, never squeezes the lines


def test_a_chart_downloads_as_a_png_with_its_chinese_labels() -> None:
    """下载图片: the chart becomes a PNG (vl-convert, no browser), white background, page-wide
    charts a fixed width."""
    import struct

    from components import charts

    chart = charts.trend([{"月份": "2026-01", "项目": "收到来信（件）", "数量": 3},
                          {"月份": "2026-02", "项目": "收到来信（件）", "数量": 5}])
    png = charts.to_png(chart, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= charts.PNG_WIDTH and height > 100
