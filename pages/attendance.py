"""出席与履职: 记录人代会和常委会活动出席情况，以及宣传、普法和法制调研工作。"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from components import charts
from components.forms import field_error, intent, run_write, show_flash
from components.guard import require_page
from components.params import param_choice, param_year, year_options
from components.table import Filter, data_table
from db.engine import session_scope
from services import attendance as svc
from services import clock, masterdata
from services.common import Actor, Page

TABS = ["会议活动", "出席率", "缺席名单", "宣传与法制工作"]
VIEW_TABS = {"events": "会议活动", "rates": "出席率", "absent": "缺席名单", "publicity": "宣传与法制工作"}


def _choices(actor: Actor) -> dict:
    """Choices for filters and forms, read once per run."""
    with session_scope(actor.username) as s:
        return {
            "groups": masterdata.group_options(s, actor),
            "deputies": masterdata.deputy_options(s, actor),
            "deputies_all": masterdata.deputy_options(s, actor, serving_only=False),
            "terms": masterdata.term_options(s),
        }


# ---------------------------------------------------------------- 会议活动


def _new_event(actor: Actor, ch: dict) -> None:
    """The form that creates an event and invites deputies (all marked 出席)."""
    form_key = "att_new"
    show_flash(form_key)
    gen = st.session_state.get("att_new__gen", 0)
    p = f"att_new{gen}"
    with st.expander("新建会议活动", expanded=bool(st.session_state.get(f"{form_key}__errors"))):
        c1, c2, c3 = st.columns(3)
        kind = c1.selectbox("类型", svc.EVENT_KINDS, key=f"{p}_kind")
        field_error(form_key, "kind")
        held_on = c2.date_input("日期", value=clock.today(), key=f"{p}_on", format="YYYY-MM-DD")
        field_error(form_key, "held_on")
        session_no = c3.selectbox("会次（人代会填写）", [None, *range(1, 11)], key=f"{p}_session",
                                  format_func=lambda n: "不适用" if n is None else f"第{n}次会议")
        field_error(form_key, "session_no")
        title = st.text_input("名称", key=f"{p}_title", max_chars=128,
                              placeholder="例如：区十八届人大三次会议、视察老旧小区改造")
        field_error(form_key, "title")
        terms = list(ch["terms"])
        term_id = st.selectbox("届次", terms, format_func=ch["terms"].get, key=f"{p}_term") if terms else None
        field_error(form_key, "term_id")
        every = st.checkbox("邀请负责范围内全部在任代表（以会议活动日期在任为准）", value=True, key=f"{p}_all")
        ids = []
        if not every:
            deps = ch["deputies"]
            ids = st.multiselect("应出席的代表", list(deps), format_func=lambda i: deps.get(i, str(i)),
                                 key=f"{p}_deps", placeholder="输入姓名搜索")
        field_error(form_key, "deputy_ids")
        it = intent(form_key, p)  # one event per drawn form: a double click creates one
        if st.button("创建", type="primary", key=it.key(f"{p}_save")):
            data = {"kind": kind, "held_on": held_on, "session_no": session_no, "title": title,
                    "term_id": term_id, "all_serving": every, "deputy_ids": ids}
            eid = run_write(form_key, actor.username, lambda s: svc.create_event(s, actor, data), rerun=False,
                            intent=it)
            if eid:
                st.session_state["att_new__flash"] = ("ok", f"已创建“{title}”，应出席代表默认全部出席，请在下方标记请假和缺席。")
                st.session_state["att_new__gen"] = gen + 1
                st.session_state["att_event"] = eid
                st.rerun()


def _sheet(actor: Actor, ch: dict, event_id: int) -> None:
    """The one editable table of an event: each invited deputy's 出席情况, saved at once."""
    form_key = f"att_sheet_{event_id}"
    show_flash(form_key)
    with session_scope(actor.username) as s:
        rows = svc.event_sheet(s, actor, event_id)
    gen = _carry_over(form_key, st.session_state.get(f"{form_key}__gen", 0), rows)
    # the sheet as drawn (each row's version) and a token: a save over a sheet a colleague saved
    # meanwhile is refused naming who; a double click saves once. The table shows the sheet as
    # drawn until the form ends (a colleague's save does not move rows under the user's marks).
    it = intent(form_key, gen, svc.sheet_version(rows))
    drawn = st.session_state[it.slot].setdefault("rows", [dict(r) for r in rows])
    rows = [dict(r) for r in drawn]
    if st.session_state.get(f"{form_key}__all"):
        for r in rows:
            r["出席情况"] = "出席"
    if not rows:
        st.info("该会议活动还没有您负责范围内的应出席代表。请在下方添加。")
    else:
        df = pd.DataFrame(rows)
        edited = st.data_editor(
            df, key=f"{form_key}_ed{gen}", hide_index=True, width="stretch", num_rows="fixed",
            disabled=["代表组", "代表"], column_order=["代表组", "代表", "出席情况"],
            column_config={"出席情况": st.column_config.SelectboxColumn(
                "出席情况", options=[*svc.STATUSES, svc.NOT_INVITED], required=True,
                help="默认全部出席；只需把请假、缺席的代表改过来。选“不在名单”则移出应出席名单。")},
        )
        counts = edited["出席情况"].value_counts().to_dict()
        st.caption("　".join(f"{k} {counts.get(k, 0)} 人" for k in svc.STATUSES))
        field_error(form_key, "statuses")
        field_error(form_key, "deputy_ids")
    can_write = actor.can_write("attendance")
    if not can_write:
        return
    add = st.multiselect("添加应出席的代表", [i for i in ch["deputies"] if i not in {r["deputy_id"] for r in rows}],
                         format_func=lambda i: ch["deputies"].get(i, str(i)), key=f"{form_key}_add{gen}",
                         placeholder="输入姓名搜索（添加后默认出席）")
    c1, c2 = st.columns(2)
    if rows and c1.button("全部设为出席", key=f"{form_key}_allbtn"):
        st.session_state[f"{form_key}__all"] = True
        st.session_state[f"{form_key}__gen"] = gen + 1
        st.rerun()
    if c2.button("保存出席情况", type="primary", key=it.key(f"{form_key}_save")):
        statuses = {int(r["deputy_id"]): r["出席情况"] for r in (edited.to_dict("records") if rows else [])}
        for i in add:
            statuses[int(i)] = "出席"
        _remember_marks(form_key, gen, it.seen or {}, add)
        res = run_write(form_key, actor.username, lambda s: svc.save_attendance(s, actor, event_id, statuses, it.seen),
                        rerun=False, intent=it)
        if res is not None:
            st.session_state[f"{form_key}__flash"] = (
                "ok", "已保存：" + "，".join(f"{k} {v} 人" for k, v in res.items()))
            st.session_state.pop(f"{form_key}__all", None)
            for k in ("mine", "carried"):
                st.session_state.pop(f"{form_key}__{k}", None)
            st.session_state[f"{form_key}__gen"] = gen + 1
            st.rerun()


def _remember_marks(form_key: str, gen: int, drawn: dict[int, int], add: list) -> None:
    """Keep, by deputy, the marks the user made on the sheet as drawn (the editor's changes are by
    row position, and a colleague's save may add, remove or reorder rows): a refused save can
    then show the user's marks on the sheet as it now is."""
    order = list(drawn)  # deputy ids in the order the sheet was drawn
    mine = dict(st.session_state.get(f"{form_key}__carried") or {})
    if st.session_state.get(f"{form_key}__all"):
        mine.update(dict.fromkeys(order, "出席"))
    delta = (st.session_state.get(f"{form_key}_ed{gen}") or {}).get("edited_rows", {})
    for i, change in delta.items():
        if "出席情况" in change and int(i) < len(order):
            mine[order[int(i)]] = change["出席情况"]
    mine.update({int(i): "出席" for i in add})
    st.session_state[f"{form_key}__mine"] = mine


def _carry_over(form_key: str, gen: int, rows: list[dict]) -> int:
    """After a refused save (stale sheet or repeated click: the form's intent ended), redraw the
    sheet as it now is with the user's own marks on top, by deputy, so the retry sends what the
    user chose and nothing a colleague changed is put back. Returns the editor generation."""
    mine = st.session_state.get(f"{form_key}__mine")
    if mine is None or f"{form_key}__intent__{gen}" in st.session_state:
        return gen  # nothing refused (or bad input: the editor keeps the user's changes as they are)
    st.session_state.pop(f"{form_key}__mine", None)
    st.session_state.pop(f"{form_key}__all", None)
    gen += 1
    st.session_state[f"{form_key}__gen"] = gen
    shown = {r["deputy_id"] for r in rows}
    for r in rows:
        if r["deputy_id"] in mine:
            r["出席情况"] = mine[r["deputy_id"]]
    st.session_state[f"{form_key}_add{gen}"] = [d for d, v in mine.items() if d not in shown and v != svc.NOT_INVITED]
    st.session_state[f"{form_key}__carried"] = mine
    return gen


def _events(actor: Actor, ch: dict) -> None:
    """Events list, the new-event form, and the attendance table of the chosen event."""
    if actor.can_write("attendance"):
        _new_event(actor, ch)
    filters = [
        Filter("year", "年度", "year", year_options(), default=param_year()),
        Filter("kind", "类型", "select", svc.EVENT_KINDS),
        Filter("q", "搜索名称", "text"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.list_events(s, actor, f, offset, limit)

    res = data_table("att_events", fetch, filters=filters, export_name="会议活动出席汇总", unit="个",
                     hidden=("id",), empty="该年度还没有会议活动。请用上方“新建会议活动”创建。")
    with session_scope(actor.username) as s:
        opts = svc.event_options(s, res.filters.get("year"), actor)
    if not opts:
        return
    ids = list(opts)
    chosen = st.session_state.get("att_event")
    event_id = st.selectbox("登记出席情况的会议活动", ids, index=ids.index(chosen) if chosen in ids else 0,
                            format_func=opts.get, key="att_pick")
    st.session_state["att_event"] = event_id
    _sheet(actor, ch, event_id)


# ---------------------------------------------------------------- 出席率 and 缺席名单


def _rates(actor: Actor, ch: dict) -> None:
    """Attendance rate per deputy (year, kind, group) and per kind."""
    st.caption("出席率 = 出席次数 ÷ 应出席次数；请假计入应出席但不计为出席；只统计已举行的会议活动。")
    filters = [
        Filter("year", "年度", "year", year_options(), default=param_year()),
        Filter("kind", "类型", "select", svc.EVENT_KINDS),
        Filter("group", "代表组", "select", ch["groups"]),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.rates(s, actor, f, offset, limit)

    res = data_table("att_rates", fetch, filters=filters, export_name="代表出席率", unit="人", hidden=("id",),
                     empty="该年度还没有出席记录。请在“会议活动”中登记。")
    year = res.filters.get("year")
    with session_scope(actor.username) as s:
        by_kind = svc.rates_by_kind(s, actor, year)
    if by_kind:
        st.markdown(f"**{year}年各类会议活动出席情况**")
        st.dataframe(pd.DataFrame(by_kind), hide_index=True, width="stretch", placeholder="")
        long = pd.DataFrame([
            {"类型": r["类型"], "情况": k, "人次": r[f"{k}（人次）"], "order": i}
            for r in by_kind for i, k in enumerate(svc.STATUSES)
        ])
        chart = alt.Chart(long).mark_bar().encode(
            x=alt.X("类型:N", title="会议活动类型", sort=svc.EVENT_KINDS, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("人次:Q", title="人次", stack="zero"),
            color=alt.Color("情况:N", title="出席情况", sort=svc.STATUSES,
                            scale=alt.Scale(domain=svc.STATUSES, range=["#2e7d32", "#f9a825", "#c62828"])),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("类型:N", title="类型"), alt.Tooltip("情况:N", title="出席情况"),
                     alt.Tooltip("人次:Q", title="人次")],
        )
        charts.show(chart, "att_chart", "出席情况", width="stretch")


def _absent(actor: Actor, ch: dict) -> None:
    """Unexcused absences (缺席) list."""
    st.caption("未请假而缺席已举行的会议活动的记录（尚未举行的不计），评分时按细则扣分。")
    filters = [
        Filter("year", "年度", "year", year_options(), default=param_year()),
        Filter("kind", "类型", "select", svc.EVENT_KINDS),
        Filter("group", "代表组", "select", ch["groups"]),
        Filter("deputy", "代表", "select", ch["deputies_all"]),
        Filter("deducted", "只看计入扣分的会议活动", "bool", default=False),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.absences(s, actor, f, offset, limit)

    data_table("att_absent", fetch, filters=filters, export_name="缺席名单", unit="人次", hidden=("deputy_id",),
               empty="没有缺席记录。")


# ---------------------------------------------------------------- 宣传与法制工作


def _publicity(actor: Actor, ch: dict) -> None:
    """Publicity, law-publicity and rule-of-law research work: form and list."""
    st.caption("宣传党委决策和人大决议（F2）、普法和法制调研（F4）：记录日期、参加代表、受众人数和内容。")
    form_key = "att_pub"
    if actor.can_write("publicity"):
        show_flash(form_key)
        gen = st.session_state.get("att_pub__gen", 0)
        p = f"att_pub{gen}"
        with st.expander("登记宣传或法制工作", expanded=bool(st.session_state.get(f"{form_key}__errors"))):
            c1, c2, c3 = st.columns(3)
            kind = c1.selectbox("类型", svc.PUBLICITY_KINDS, key=f"{p}_kind")
            field_error(form_key, "kind")
            held_on = c2.date_input("日期", value=clock.today(), key=f"{p}_on", format="YYYY-MM-DD")
            field_error(form_key, "held_on")
            audience = c3.number_input("受众人数（人）", min_value=0, max_value=1_000_000, step=1, key=f"{p}_aud")
            field_error(form_key, "audience")
            title = st.text_input("主题", key=f"{p}_title", max_chars=128)
            field_error(form_key, "title")
            deps = ch["deputies"]
            ids = st.multiselect("参加代表", list(deps), format_func=lambda i: deps.get(i, str(i)), key=f"{p}_deps",
                                 placeholder="输入姓名搜索")
            field_error(form_key, "deputy_ids")
            summary = st.text_area("内容", key=f"{p}_summary")
            field_error(form_key, "summary")
            it = intent(form_key, p)  # one record per drawn form: a double click stores one
            if st.button("保存", type="primary", key=it.key(f"{p}_save")):
                data = {"kind": kind, "held_on": held_on, "audience": audience, "title": title,
                        "deputy_ids": ids, "summary": summary}
                wid = run_write(form_key, actor.username, lambda s: svc.create_publicity(s, actor, data), rerun=False,
                                intent=it)
                if wid:
                    st.session_state["att_pub__flash"] = ("ok", f"已登记{kind}“{title}”。")
                    st.session_state["att_pub__gen"] = gen + 1
                    st.rerun()
    filters = [
        Filter("year", "年度", "year", year_options(), default=param_year()),
        Filter("kind", "类型", "select", svc.PUBLICITY_KINDS),
        Filter("group", "代表组", "select", ch["groups"]),
        Filter("deputy", "代表", "select", ch["deputies_all"]),
        Filter("q", "搜索", "text"),
    ]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return svc.list_publicity(s, actor, f, offset, limit)

    data_table("att_pub_list", fetch, filters=filters, export_name="宣传与法制工作", unit="次", hidden=("id",),
               empty="该年度还没有宣传、普法或法制调研记录。请用上方表单登记。")


def render() -> None:
    """Draw the 出席与履职 page (nothing runs at import)."""
    actor = require_page("attendance")
    st.caption("记录人代会和常委会活动的出席情况、代表出席率和缺席名单，以及宣传、普法和法制调研工作。")
    ch = _choices(actor)
    default = VIEW_TABS.get(param_choice("view", VIEW_TABS, ""), TABS[0])
    tabs = dict(zip(TABS, st.tabs(TABS, default=default), strict=True))
    with tabs["会议活动"]:
        _events(actor, ch)
    with tabs["出席率"]:
        _rates(actor, ch)
    with tabs["缺席名单"]:
        _absent(actor, ch)
    with tabs["宣传与法制工作"]:
        _publicity(actor, ch)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
