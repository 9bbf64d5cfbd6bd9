"""承办单位: the directory of the bodies letters, opinions and proposals are forwarded to, what each
body answered (A/B/C/D, on time, writers' satisfaction), and old free text left to map."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from components.forms import field_error, intent, keep_drawn, run_write, show_flash
from components.guard import at_click, require_page
from components.params import param_choice, param_year, year_options
from components.table import Filter, data_table
from components.text import alert, safe_md
from db.engine import session_scope
from services import bodies
from services.common import Actor, Page, ServiceError, today
from services.states import Outcome, values

TABS = ["办理情况", "已办结未解决（B/C/D类）", "单位名录", "待对应的历史填写"]
VIEWS = {"unsolved": TABS[1]}  # the 工作台 figure's link (?view=unsolved&year=…)


def render() -> None:
    """Draw the 承办单位 page (nothing runs at import)."""
    actor = require_page("bodies")
    st.caption("承办单位名录是转办来信、转交群众意见和交办议案建议时唯一可选的单位来源；"
               "代表不自行处理问题，承办单位只能是机关或单位，不能是代表本人或个人（R3）。")
    wanted = VIEWS.get(param_choice("view", VIEWS, ""), None)
    tabs = st.tabs(TABS if actor.role == "admin" else TABS[:3], default=wanted)
    with tabs[0]:
        _figures(actor)
    with tabs[1]:
        _unsolved(actor)
    with tabs[2]:
        _directory(actor)
    if actor.role == "admin":
        with tabs[3]:
            _unmapped(actor)


def _unsolved(actor: Actor) -> None:
    """Letters, opinions and proposals answered B, C or D: closed, not solved (工作台's figure)."""
    years = year_options(back=4)
    year = st.selectbox("年份", years, index=years.index(param_year(years)), key="bd_un_year",
                        format_func=lambda y: f"{y}年")
    st.caption("承办单位答复为 B 正在解决、C 列入计划逐步解决、D 因条件限制留作参考的事项：已办结，但未解决"
               "（只有 A 类计为已解决），仍需代表跟进。来信按收信日期、群众意见按提出日期、议案建议按提交日期计入年份。")

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return bodies.unsolved(s, actor, year, f, offset, limit)

    data_table("bd_unsolved", fetch, filters=[Filter("source", "来源", "select", ["来信", "群众意见", "议案建议"]),
                                              Filter("outcome", "结果分类", "select", list(bodies.NOT_SOLVED))],
               export_name=f"已办结未解决事项{year}", unit="件", empty=f"{year}年没有答复为 B、C、D 类的事项。")


def _figures(actor: Actor) -> None:
    """Per body: forwarded, on time, A/B/C/D, satisfaction; the distribution and the records behind."""
    t = today()
    year = st.selectbox("年份", list(range(t.year, t.year - 5, -1)), key="bd_year", format_func=lambda y: f"{y}年")
    with session_scope(actor.username) as s:
        rows = bodies.body_figures(s, actor, year)
    if not rows:
        st.info(f"{year}年还没有转办到名录中单位的来信、群众意见或议案建议。")
        return

    def fetch(f: dict, offset: int, limit: int) -> Page:
        return Page(rows[offset:offset + limit], len(rows))

    res = data_table("bd_fig", fetch, export_name=f"承办单位办理情况{year}", unit="个", hidden=["body_id"],
                     selectable=True, pin_by="body_id", empty="暂无数据。",
                     export_notes=["A 已解决才计为已解决；B、C、D 类如实列示。按时办结：来信在办结反馈时限内办结或反馈。"])
    long = [{"承办单位": r["承办单位"], "结果分类": c, "数量（件）": r[c]} for r in rows[:15] for c in values(Outcome)
            if r[c]]
    if long:
        chart = alt.Chart(pd.DataFrame(long)).mark_bar().encode(
            y=alt.Y("承办单位:N", sort="-x", title=None), x=alt.X("数量（件）:Q", title="答复（件）"),
            color=alt.Color("结果分类:N", sort=list(values(Outcome)),
                            scale=alt.Scale(range=["#2e7d32", "#f9a825", "#1565c0", "#9e9e9e"])),
            tooltip=["承办单位", "结果分类", "数量（件）"])
        st.altair_chart(chart, width="stretch")
    if res.selected:
        st.markdown("**所选单位的办理记录**")
        with session_scope(actor.username) as s:
            recs = bodies.body_records(s, actor, res.selected["body_id"], year)
        st.dataframe(pd.DataFrame(recs), hide_index=True, width="stretch", key="bd_recs")
    else:
        st.caption("在表中选中一个单位，可查看其背后的每一件来信和群众意见。")


def _directory(actor: Actor) -> None:
    """The directory: list, add, edit, import and export (.xlsx)."""
    key = "bd_form"
    if actor.can_write("body"):
        show_flash(key)
        with st.expander("新增承办单位", expanded=False):
            c1, c2, c3 = st.columns(3)
            with c1:
                name = st.text_input("单位名称", key="bd_name", max_chars=128)
                field_error(key, "name")
            with c2:
                kind = st.selectbox("单位类别", bodies.KINDS, key="bd_kind")
                field_error(key, "kind")
            with session_scope(actor.username) as s:
                opts = bodies.options(s)
            with c3:
                parent = st.selectbox("上级单位（可不填）", list(opts), format_func=lambda i: opts[i], index=None,
                                      key="bd_parent", placeholder="输入名称或拼音首字母搜索")
                field_error(key, "parent_id")
            it = intent(key, 0)  # one body per drawn form: a double click adds one
            if st.button("新增", key=it.key("bd_add"), type="primary"):
                run_write(key, actor.username, lambda s: bodies.add_body(
                    s, actor, {"name": name, "kind": kind, "parent_id": parent}), "已新增承办单位。", intent=it)

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return bodies.list_bodies(s, actor, f, offset, limit)

    res = data_table("bd_list", fetch, filters=[Filter("q", "名称或拼音首字母", "text"),
                                                Filter("kind", "类别", "select", list(bodies.KINDS)),
                                                Filter("active", "状态", "select", ["启用", "停用"])],
                     export_name="承办单位名录", unit="个", hidden=["id", "version"], selectable=True,
                     empty="名录中还没有承办单位。")
    if res.selected and actor.can_write("body"):
        _edit(actor, res.selected)
    if actor.can_write("body"):
        st.markdown("**导入导出（.xlsx）**")
        c1, c2 = st.columns(2)

        def data() -> bytes:  # built when clicked
            with session_scope(actor.username) as s:
                return bodies.export_xlsx(s, actor)

        c1.download_button("导出名录（可修改后导入）", at_click(data), file_name="承办单位名录.xlsx", key="bd_export")
        up = c2.file_uploader("导入名录（列：名称、类别、上级单位、状态）", type=["xlsx"], key="bd_upload")
        if up is not None and c2.button("导入", key="bd_import"):
            try:
                with session_scope(actor.username) as s:
                    n = bodies.import_xlsx(s, actor, up.getvalue())
            except ServiceError as exc:
                alert("error", "未导入：" + str(exc))
            else:
                st.success(f"已导入：新增 {n['新增']} 个，更新 {n['更新']} 个，未变 {n['未变']} 个。")


def _edit(actor: Actor, row: dict) -> None:
    """Edit the selected body (name, kind, use); a stale page is refused."""
    key = "bd_edit"
    bid = row["id"]
    st.markdown(f"**修改：{safe_md(row['名称'])}**")
    show_flash(key)
    it = intent(key, bid, row["version"])  # the version shown, not re-read at the click
    c1, c2, c3 = st.columns(3)
    with c1:
        name = st.text_input("单位名称", value=row["名称"], key=f"bd_e_name_{bid}", max_chars=128)
        field_error(key, "name")
    with c2:
        kind = st.selectbox("单位类别", bodies.KINDS, index=list(bodies.KINDS).index(row["类别"]), key=f"bd_e_kind_{bid}")
    with c3:
        active = st.checkbox("启用", value=row["状态"] == "启用", key=f"bd_e_active_{bid}",
                             help="停用的单位不再出现在选择框中，已有记录不受影响")
    keep_drawn(it, [f"bd_e_name_{bid}", f"bd_e_kind_{bid}", f"bd_e_active_{bid}"])
    if st.button("保存修改", key=it.key(f"bd_e_save_{bid}")):
        run_write(key, actor.username, lambda s: bodies.update_body(
            s, actor, bid, {"name": name, "kind": kind, "active": active}, expected_version=it.seen),
            "已保存。", intent=it)


def _unmapped(actor: Actor) -> None:
    """Admin: texts typed as a body before the directory that no body matched; map each to a body."""
    key = "bd_map"
    show_flash(key)
    with session_scope(actor.username) as s:
        rows = bodies.unmapped(s)
        opts = bodies.options(s)
    if not rows:
        st.success("历史填写的承办单位都已对应到名录中的单位。")
        return
    st.caption(f"共 {len(rows)} 种历史填写未能自动对应（名称不在名录中，或写的是个人、代表本人）。"
               "请逐一选择实际承办的单位；对应后这些记录的承办单位改为所选单位，并记入操作日志。")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="bd_unmapped")
    c1, c2 = st.columns(2)
    # no preselected text: when a colleague maps the text shown first, the list moves up and a
    # default would silently become another text nobody chose
    text = c1.selectbox("历史填写", [r["原填写"] for r in rows], key="bd_map_text", index=None,
                        placeholder="请选择")
    with c1:
        field_error(key, "text")
    body = c2.selectbox("对应到", list(opts), format_func=lambda i: opts[i], index=None, key="bd_map_body",
                        placeholder="输入名称或拼音首字母搜索")
    field_error(key, "body_id")
    it = intent(key, 0)  # one mapping per drawn form: a double click maps once
    if st.button("对应", key=it.key("bd_map_go"), type="primary"):
        if text is None:
            st.session_state[f"{key}__errors"] = {"text": "请选择历史填写（您选的一项可能已由他人对应）"}
            st.session_state[f"{key}__flash"] = ("err", "未保存，请选择要对应的历史填写。")
            st.rerun()
        run_write(key, actor.username, lambda s: bodies.map_text(s, actor, text, body), f"已将“{text}”对应到所选单位。",
                  intent=it)
