"""热点问题: 按类别、选区、时间统计群众集中反映的问题，形成监督议题，结果反馈到每位来信人（R14）。"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from components import charts
from components.forms import field_error, intent, run_write, show_flash
from components.guard import require_page
from components.params import param_choice, param_year, year_options
from components.table import Filter, Order, data_table, order_labels, rows_fetch
from components.text import safe_md
from db import dataversion
from db.engine import session_scope
from services import hotissues, settings
from services.common import Actor, Page
from services.states import Outcome, TopicStatus, values
from services.validation import free_text_for, mask_columns

TABS = ["统计图表", "集中反映", "监督议题"]
# the 排序 choices of the lists computed in Python (the first is the office's order)
DISTRICT_ORDERS = {
    "count": Order("问题多的选区在前", (("数量", True), ("选区", False))),
    "district": Order("按选区", (("选区", False),)),
}
APPEAL_ORDERS = {
    "writers": Order("来信人数多的在前", (("来信人数（人）", True), ("来信（件）", True), ("问题类别", False))),
    "latest": Order("最近来信在前", (("最近来信", True), ("来信人数（人）", True))),
    "earliest": Order("最早来信在前", (("最早来信", False), ("来信人数（人）", True))),
    "category": Order("按问题类别", (("问题类别", False), ("来信人数（人）", True))),
    "district": Order("按选区", (("代表组", False), ("选区", False), ("来信人数（人）", True))),
}


def render() -> None:
    """Draw the 热点问题 page (nothing runs at import)."""
    actor = require_page("hotissues")
    st.caption("按问题类别、选区、办事处和月份统计来信与群众意见，找出集中反映的问题，确定监督议题并把结果反馈给每位来信人。")
    years = year_options(back=4)
    year = st.selectbox("年份", years, index=years.index(param_year(years)), key="hi_year",
                        format_func=lambda y: f"{y}年")
    with session_scope(actor.username) as s:
        version = dataversion.current(s)
    wanted = "监督议题" if param_choice("view", {"topics"}) == "topics" else None
    tabs = st.tabs(TABS, default=wanted)
    with tabs[0]:
        _charts(actor, year, version)
    with tabs[1]:
        _appeals(actor, year, version)
    with tabs[2]:
        _topics(actor)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def _counts(scope: tuple[int | None, int | None], year: int, version: int, _actor: Actor) -> dict:
    """The year's counts for one scope (office, group), cached under the data version (a write
    makes them stale at once) and the scope."""
    with session_scope(_actor.username) as s:
        return hotissues.counts(s, _actor, year)


def _charts(actor: Actor, year: int, version: int) -> None:
    """Bar by category, heat map category × office, line by month (Altair, Chinese axes)."""
    data = _counts((actor.office_id, actor.group_id), year, version, actor)
    if not data["category"]:
        st.info(f"{year}年还没有来信或群众意见记录。登记来信、记录联系活动中的意见后，这里会显示统计。")
        return
    cat = pd.DataFrame(data["category"])
    bar = alt.Chart(cat).mark_bar().encode(
        x=alt.X("数量:Q", title="数量（件）"),
        y=alt.Y("问题类别:N", title="问题类别", sort="-x", axis=alt.Axis(labelOverlap=False, titleAngle=0,
                                                                      titleAlign="right", titleY=-8)),
        color=alt.Color("来源:N", title="来源"),
        tooltip=["问题类别", "来源", "数量"],
    ).properties(title="按问题类别", height=max(220, 32 * cat["问题类别"].nunique()))
    charts.show(bar, "hi_bar", f"{year}年问题按类别", width="stretch")
    heat = pd.DataFrame(data["office"])
    # one row per category and one column per office, each cell wide and tall enough for its
    # label (office names run to 8 characters: the labels are set at an angle, never overlapping)
    hm = alt.Chart(heat).mark_rect().encode(
        x=alt.X("办事处:N", title="办事处", axis=alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=200,
                                                    orient="top")),
        y=alt.Y("问题类别:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=200)),
        color=alt.Color("数量:Q", title="数量（件）", scale=alt.Scale(scheme="oranges")),
        tooltip=["办事处", "问题类别", "数量"],
    ).properties(title="问题类别 × 办事处", height=alt.Step(30), width=alt.Step(90))
    text = hm.mark_text(baseline="middle").encode(text="数量:Q", color=alt.value("black"))
    charts.show(hm + text, "hi_heat", f"{year}年问题类别与办事处", width="content")
    month = pd.DataFrame(data["month"])
    months = [charts.month_label(m) for m in sorted(set(month["月份"]))]
    month["月份"] = month["月份"].map(charts.month_label)
    line = alt.Chart(month).mark_line(point=True).encode(
        x=alt.X("月份:N", title="月份", sort=months, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("数量:Q", title="数量（件）", axis=alt.Axis(titleAngle=0, titleAlign="left", titleY=-8)),
        color=alt.Color("来源:N", title="来源"),
        tooltip=["月份", "来源", "数量"],
    ).properties(title="按月份")
    charts.show(line, "hi_month", f"{year}年问题按月份", width="stretch")
    st.markdown("**按选区**")
    dist = data["district"]
    data_table("hi_district", rows_fetch(dist, DISTRICT_ORDERS), sorts=order_labels(DISTRICT_ORDERS),
               export_name=f"{year}年问题按选区统计", unit="个", empty="暂无。")


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def _concentrated(scope: tuple[int | None, int | None], year: int, version: int, _actor: Actor) -> list[dict]:
    """Concentrated appeals for one scope, cached under the data version and the scope."""
    with session_scope(_actor.username) as s:
        return hotissues.concentrated(s, _actor, year)


def _appeals(actor: Actor, year: int, version: int) -> None:
    """Concentrated appeals; leader or admin make one a supervision topic."""
    with session_scope(actor.username) as s:
        need = int(settings.get(s, "hot_min_writers"))
    rows = mask_columns(_concentrated((actor.office_id, actor.group_id), year, version, actor), actor.role, ("监督议题",))
    st.caption(f"同一选区、同一类别问题有 {need} 位以上不同来信人反映的，列为集中反映（人数由系统管理员在“系统设置”中调整）。")
    res = data_table("hi_appeals", rows_fetch(rows, APPEAL_ORDERS), sorts=order_labels(APPEAL_ORDERS),
                     hidden=["district_id"],
                     export_name=f"{year}年集中反映问题", unit="个", selectable=True,
                     empty="暂无集中反映的问题。")
    if not actor.can_write("topic"):
        return
    show_flash("hi_topic")
    if not res.selected:
        if rows:
            st.caption("选中一行，可将其确定为监督议题。")
        return
    row = res.selected
    with session_scope(actor.username) as s:
        options = hotissues.letters_of(s, actor, year, row["问题类别"], row["district_id"])
    options = {i: free_text_for(actor.role)(text) for i, text in options.items()}  # summaries: typed personal data
    key = f"hi_new_{row['district_id']}_{row['问题类别']}"
    st.markdown(f"**确定为监督议题：{safe_md(row['选区'])} · {safe_md(row['问题类别'])}**")
    title = st.text_input("议题名称", value=f"{row['选区']}{row['问题类别']}问题集中反映的督办", key=key + "_title")
    field_error("hi_topic", "title")
    ids = st.multiselect("涵盖的来信", list(options), default=list(options), format_func=lambda i: options[i],
                         key=key + "_letters")
    field_error("hi_topic", "letter_ids")
    it = intent("hi_topic", key)  # one topic per drawn form: a double click creates one
    if st.button("确定为监督议题", key=it.key("hi_make"), type="primary"):
        run_write("hi_topic", actor.username, lambda s: hotissues.create_topic(
            s, actor, title=title, category=row["问题类别"], district_id=row["district_id"], letter_ids=ids),
            "已确定为监督议题。", intent=it)


def _topics(actor: Actor) -> None:
    """Topics, closing one with its outcome, and the writers still to be told."""
    show_flash("hi_close")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            page = hotissues.list_topics(s, actor, f, offset, limit)
        return Page(mask_columns(page.rows, actor.role, ("议题",)), page.total, page.sums)  # typed personal data

    with session_scope(actor.username) as s:
        done = hotissues.solved_topics(s)
    if done["已办结"]:
        st.caption(f"已办结议题 {done['已办结']} 个，其中 A 已解决 {done['已解决（A类）']} 个"
                   + (f"、未分类 {done['未分类']} 个" if done["未分类"] else "")
                   + "；B 正在解决、C 列入计划逐步解决、D 因条件限制留作参考不计为已解决。")
    res = data_table("hi_topics", fetch, filters=[Filter("status", "状态", "select", values(TopicStatus))],
                     export_name="监督议题", unit="个", hidden=["id"], selectable=True,
                     empty="尚无监督议题。可在“集中反映”中选中一个问题确定为监督议题。")
    if res.selected and res.selected["状态"] == TopicStatus.OPEN and actor.can_write("topic"):
        tid = res.selected["id"]
        st.markdown(f"**办结议题：{safe_md(res.selected['议题'])}**")
        outcome = st.text_area("办理结果（将作为所涵盖来信的反馈内容）", key=f"hi_outcome_{tid}")
        field_error("hi_close", "outcome")
        cls = st.selectbox("办理结果分类", values(Outcome), index=None, key=f"hi_class_{tid}",
                           placeholder="请选择（A 类才计为已解决）")
        field_error("hi_close", "outcome_class")
        it = intent("hi_close", tid)
        if st.button("办结议题", key=it.key(f"hi_close_{tid}"), type="primary"):
            run_write("hi_close", actor.username, lambda s: hotissues.close_topic(s, actor, tid, outcome, cls),
                      "议题已办结，请将结果逐一告知来信人。", intent=it)
    st.markdown("**待告知结果的来信人**")
    with session_scope(actor.username) as s:
        untold = mask_columns(hotissues.untold_writers(s, actor), actor.role, ("议题",))
    if not untold:
        st.caption("没有待告知的来信人。")
        return
    st.dataframe(pd.DataFrame(untold).drop(columns=["topic_id", "letter_id"]), hide_index=True, width="stretch",
                 key="hi_untold", placeholder="")
    if actor.can_write("topic") or actor.can_write("letter"):
        show_flash("hi_told")
        choices = {(u["topic_id"], u["letter_id"]): f"{u['来信编号']} {u['来信人']}（{u['议题']}）" for u in untold}
        # nothing preselected: when a colleague marks the first writer, the list moves up and a
        # default would silently become another writer nobody told
        pick = st.selectbox("已告知的来信人", list(choices), format_func=lambda k: choices[k], key="hi_told_pick",
                            index=None, placeholder="请选择")
        field_error("hi_told", "pick")
        it = intent("hi_told", 0)  # one mark per drawn form: a double click marks once
        if st.button("标记为已告知", key=it.key("hi_told_btn")):
            if pick is None:
                st.session_state["hi_told__errors"] = {"pick": "请选择已告知的来信人（您选的一位可能已由他人标记）"}
                st.session_state["hi_told__flash"] = ("err", "未保存，请选择已告知的来信人。")
                st.rerun()
            run_write("hi_told", actor.username, lambda s: hotissues.mark_told(s, actor, pick[0], pick[1]),
                      "已标记为已告知。", intent=it)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
