"""操作日志: 系统中每一次写操作的记录：谁、何时、改了什么。"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.guard import require_page
from components.table import Filter, data_table
from db.engine import session_scope
from services import auditlog
from services.common import Page


def render() -> None:
    """Draw the 操作日志 page (nothing runs at import)."""
    actor = require_page("auditlog")
    st.caption("系统中每一次写操作（以及查看个人信息）的记录：谁、何时、哪条记录、修改前后的内容。")
    with session_scope(actor.username) as s:
        users = auditlog.user_options(s)

    def fetch(filters: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return auditlog.list_log(s, actor, filters, offset, limit)

    res = data_table(
        "audit", fetch, unit="条", export_name="操作日志", page_size=30, selectable=True, hidden=("序号",),
        filters=[
            Filter("period", "时间范围", "date_range", default=auditlog.default_period()),
            Filter("username", "用户", "select", users),
            Filter("entity", "对象", "select", auditlog.entity_options()),
            Filter("action", "操作", "select", list(auditlog.ACTIONS)),
            Filter("entity_id", "记录编号", "text"),
        ],
        empty="所选范围内没有操作记录。可放宽时间范围或清除其他筛选条件。",
    )
    if res.selected:
        with session_scope(actor.username) as s:
            entry = auditlog.get_entry(s, actor, res.selected["序号"])
        if entry:
            st.subheader("修改前后对比")
            st.text(f"{entry['时间']:%Y-%m-%d %H:%M:%S}　{entry['用户']}　{entry['操作']}　"
                    f"{entry['对象']} #{entry['记录编号']}")
            if entry["备注"]:
                st.text(entry["备注"])
            if entry["fields"]:
                st.dataframe(pd.DataFrame(entry["fields"]), hide_index=True, width="stretch", key="audit_detail", placeholder="")
    else:
        st.caption("点选一条记录可查看修改前后的逐项对比。")
