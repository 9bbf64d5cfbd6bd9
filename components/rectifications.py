"""The list of spot-check rectification items (R16), shown on 抽查督导 and on 工作台."""

from __future__ import annotations

import streamlit as st

from components.forms import field_error, intent, run_write, show_flash
from components.table import Filter, data_table
from db.engine import session_scope
from services import spotchecks as sc
from services.common import Actor, Page


def rectification_list(actor: Actor, groups: dict[int, str] | None = None) -> None:
    """The spot-check rectification items in the actor's scope, with 确认整改完成 for supervisors.

    Used on 抽查督导 and on 工作台, where staff (who cannot open 抽查督导) see their groups' items
    (``?view=spotcheck_rect``).
    """
    if groups is None:
        with session_scope(actor.username) as s:
            groups = sc.group_choices(s, actor)

    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return sc.list_rectifications(s, actor, f, offset, limit)

    table = data_table(
        "sc_rect", fetch,
        filters=[Filter("status", "状态", options=["未完成", "已完成"]),
                 Filter("group", "代表组", options=groups), Filter("overdue", "只看逾期", kind="bool")],
        export_name="抽查整改事项", unit="项", hidden=["id"],
        empty="暂无抽查整改事项（代表组评定为需整改时自动生成）。",
    )
    if not actor.can_write("spotcheck"):
        return
    open_rows = {r["id"]: r for r in table.page.rows if r["状态"] == "未完成"}
    if open_rows:
        c1, c2 = st.columns([4, 1])
        # nothing preselected: when a colleague closes the item shown first, the list moves up and a
        # default would silently become another item nobody checked
        rid = c1.selectbox("确认完成的整改事项", list(open_rows), key="sc_rect_pick", index=None, placeholder="请选择",
                           format_func=lambda i: f"{open_rows[i]['代表组']}：{open_rows[i]['整改内容'][:40]}")
        with c1:
            field_error("sc_rect", "pick")
        c2.write("")
        it = intent("sc_rect", 0)  # one confirmation per drawn form: a double click confirms once
        if c2.button("确认整改完成", key=it.key("sc_rect_close")):
            if rid is None:
                st.session_state["sc_rect__errors"] = {"pick": "请选择整改事项（您选的一项可能已由他人确认完成）"}
                st.session_state["sc_rect__flash"] = ("err", "未保存，请选择要确认完成的整改事项。")
                st.rerun()
            run_write("sc_rect", actor.username, lambda s: sc.close_rectification(s, actor, rid),
                      "已确认整改完成。", intent=it)
    show_flash("sc_rect")
