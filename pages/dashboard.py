"""工作台: 五个方面（联系选民、来信办理、述职、督导抽查、评议评优）的情况，每项点击打开清单；
各办事处对比；本年按月趋势。"""

from __future__ import annotations

import streamlit as st

from components import board, charts
from components.guard import require_page
from components.params import param_choice, param_year, year_options
from components.rectifications import rectification_list
from components.todo import my_todo
from db.engine import session_scope
from services import dashboard as svc


def render() -> None:
    """Draw 工作台 (nothing runs at import): the work in five plain-language sections, each figure
    a line that opens its list; for roles that see more than one office, the comparison by 办事处;
    the monthly trend."""
    actor = require_page("dashboard")
    st.caption("本年度、您负责范围内各项工作的情况。带红色标记的需要关注；点击任一项打开对应清单。"
               "灰色小标签是《工作意见》规则编号（R1–R20）。")
    years = year_options()
    year = st.selectbox("年度", years, index=years.index(param_year()), key="db_year", format_func=lambda y: f"{y}年")
    with session_scope(actor.username) as s:
        view = svc.overview(s, actor, year)  # cached until the next write (shared: read only)
    parts, trend, offices = view.sections, view.trend, view.offices
    if param_choice("view", {"spotcheck_rect"}) == "spotcheck_rect":
        st.subheader("抽查整改事项")
        rectification_list(actor)
    my_todo(actor)  # staff: 我的待办 first, above the sections
    st.subheader("工作概况")
    pages = st.session_state.get("_pages", {})
    if not parts:
        st.info("暂无可显示的统计。各业务模块登记数据后，这里会显示各项工作的情况。")
    for start in range(0, len(parts), 2):  # two sections side by side; one under another on a phone
        cols = st.columns(2)
        for col, (name, figs) in zip(cols, parts[start:start + 2], strict=False):
            with col:
                board.section(name, svc.SECTIONS[name], figs, pages)
    if len(offices) > 1:
        st.subheader(f"{year}年各办事处对比")
        board.office_comparison(offices)
    st.subheader(f"{year}年按月趋势")
    if trend and any(r["数量"] for r in trend):
        charts.show(charts.trend(trend), "db_trend", f"{year}年按月趋势", width="stretch")
    else:
        st.info("本年度还没有活动、来信或已解决的意见。登记后这里显示每月的变化。")


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
