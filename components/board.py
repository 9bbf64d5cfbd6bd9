"""工作台's pieces: a section of figures (each a link to its list, the rule code as a small tag)
and the comparison by 办事处. Pages pass in what services/dashboard.py computed."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from components import charts
from components.text import safe_md
from services.common import PAGES, Figure


def figure_line(f: Figure, pages: dict) -> None:
    """One figure on one line: a mark (needs attention / fine), the number, the figure in words,
    the rule code as a small grey tag; the line opens the figure's list when the role may see it."""
    value = f"{f.value} {f.unit}".strip()
    tag = f" :gray-badge[{f.rule}]" if f.rule and f.rule != "—" else ""
    page = pages.get(f.page)
    icon = ":material/error:" if f.bad else ":material/check_circle:"
    if page is not None:
        shown = f":red[**{safe_md(value)}**]" if f.bad else f"**{safe_md(value)}**"
        # the number first: on a phone a long line is cut at the right, never the figure
        st.page_link(page, label=f"{shown}　{safe_md(f.label)}{tag}", icon=icon,
                     query_params={k: str(v) for k, v in f.params.items()},
                     help=(f.help + "。" if f.help else "") + f"点击打开{PAGES[f.page][0]}中的清单。")
    else:
        st.markdown(f"{icon} **{safe_md(value)}**　{safe_md(f.label)}{tag}", help=f.help or None)


def section(name: str, about: str, figs: list[Figure], pages: dict) -> None:
    """A bordered section: its name, what it covers, how many figures need attention, the figures."""
    with st.container(border=True):
        bad = sum(1 for f in figs if f.bad)
        st.markdown(f"#### {name}")
        st.caption(about + (f"；:red[{bad} 项需要关注]" if bad else "；各项正常"))
        for f in figs:
            figure_line(f, pages)


def office_comparison(rows: list[dict]) -> None:
    """The comparison by 办事处: a table, and two bar charts side by side (stacked on a phone)."""
    if not rows:
        return
    df = pd.DataFrame(rows).drop(columns=["office_id"])
    st.dataframe(df, hide_index=True, width="stretch", key="db_offices", placeholder="")
    left, right = st.columns(2)
    for col, measure, colour in ((left, "联系活动（次）", "#1565c0"), (right, "来信超期（件）", "#b71c1c")):
        chart = alt.Chart(df).mark_bar(color=colour).encode(
            y=alt.Y("办事处:N", title=None, sort="-x", axis=alt.Axis(labelLimit=160, labelOverlap=False)),
            x=alt.X(f"{measure}:Q", title=measure),
            tooltip=["办事处:N", f"{measure}:Q"],
        ).properties(height=alt.Step(26))
        with col:
            charts.show(chart, f"db_office_{measure}", f"各办事处{measure}", width="stretch")
