"""工作台: 各项规则（R1–R20）的落实情况一览，点击查看明细；本年按月趋势。"""

from __future__ import annotations

import streamlit as st

from components import charts
from components.guard import require_page
from components.params import param_year, year_options
from components.rectifications import rectification_list
from components.text import safe_md
from components.todo import my_todo
from db.engine import session_scope
from services import dashboard as svc
from services.common import PAGES

PER_ROW = 4


def render() -> None:
    """Draw 工作台 (nothing runs at import)."""
    actor = require_page("dashboard")
    st.caption("各项规则（R1–R20）在本年度、您负责范围内的落实情况；红色为需要关注的项目，点击“查看明细”打开对应清单。")
    years = year_options()
    year = st.selectbox("年度", years, index=years.index(param_year()), key="db_year", format_func=lambda y: f"{y}年")
    with session_scope(actor.username) as s:
        figs = svc.figures(s, actor, year)
        trend = svc.trend(s, actor, year)
    if st.query_params.get("view") == "spotcheck_rect":
        st.subheader("抽查整改事项")
        rectification_list(actor)
    my_todo(actor)
    st.subheader("各项规则落实情况")
    pages = st.session_state.get("_pages", {})
    if not figs:
        st.info("暂无可显示的统计。各业务模块登记数据后，这里会显示各项规则的落实情况。")
    for start in range(0, len(figs), PER_ROW):
        cols = st.columns(PER_ROW)
        for col, f in zip(cols, figs[start:start + PER_ROW], strict=False):
            with col, st.container(border=True):
                value = f"{f.value} {f.unit}".strip()
                # the whole label wraps above the figure (a metric label would cut it)
                st.markdown(f"**{f.rule}** {safe_md(f.label)}", help=f.help or None)
                st.metric(f"{f.rule} {f.label}", value, label_visibility="collapsed")
                st.caption(":red[需要关注]" if f.bad else ":green[正常]")
                page = pages.get(f.page)
                if page is not None:
                    st.page_link(page, label=f"查看明细（{PAGES[f.page][0]}）", icon=":material/open_in_new:",
                                 query_params={k: str(v) for k, v in f.params.items()})
    st.subheader(f"{year}年按月趋势")
    if trend and any(r["数量"] for r in trend):
        st.altair_chart(charts.trend(trend), width="stretch")
    else:
        st.info("本年度还没有活动、来信或已解决的意见。登记后这里显示每月的变化。")
