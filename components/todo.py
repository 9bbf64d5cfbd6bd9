"""我的待办: the user's own to-do rows on 工作台 (a section of its own, so 工作台 may place it by role),
and for supervisors and leaders the open cases per staff member and their age."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.text import safe_md
from db.engine import session_scope
from services import todo
from services.common import PAGES, Actor

SHOWN = 50  # rows drawn as links (in a scrolling box); the rest are counted


def my_todo(actor: Actor) -> None:
    """Draw 我的待办 for ``actor`` (each row opens its record) and, for supervisors and leaders,
    the workload per staff member and the case ageing."""
    with session_scope(actor.username) as s:
        view = todo.board(s, actor)  # kept until the next write (shared: read only)
    items, totals, counts, ages = view.items, view.totals, view.staff_counts, view.ageing
    pages = st.session_state.get("_pages", {})
    st.subheader("我的待办")
    if not items:
        st.success("暂无待办事项：没有超期或即将到期的来信和意见，也没有待审查、待确认的事项。")
    else:
        late = sum(1 for i in items if i.state in ("超期", "严重超期"))
        capped = [f"{kind}共 {n} {'件' if kind == '来信' else '条'}" for kind, n in totals.items()
                  if n > sum(1 for i in items if i.kind == kind)]
        st.caption(f"列出 {len(items)} 项，其中已超期 {late} 项；点击一行打开该记录。"
                   + (f"（{'、'.join(capped)}超期或即将到期，每类列出最紧急的 {todo.LIMIT} 项。）" if capped else ""))
        box = st.container(height=320 if len(items) > 8 else "content", border=len(items) > 8)
        for item in items[:SHOWN]:
            due = f"｜期限 {item.due:%Y-%m-%d}" if item.due else ""
            label = f"{item.kind}｜{item.title}｜{item.state}{due}"
            page = pages.get(item.page)
            if page is None:
                box.text(label)
            else:
                box.page_link(page, label=safe_md(label), query_params=item.params,
                             icon=":material/priority_high:" if item.state in ("超期", "严重超期")
                             else ":material/schedule:")
        if len(items) > SHOWN:
            st.caption(f"另有 {len(items) - SHOWN} 项未列出，请在{PAGES['mailbox'][0]}、{PAGES['activities'][0]}等页面按“期限”筛选查看。")
    if counts is not None:
        st.markdown("**各工作人员负责范围内的未办结事项**")
        if counts:
            st.dataframe(pd.DataFrame(counts), hide_index=True, width="stretch", key="todo_staff")
        else:
            st.caption("没有工作人员账号。")
        st.markdown("**未办结来信和意见的已办理时长（工作日）**")
        st.dataframe(pd.DataFrame(ages), hide_index=True, width="stretch", key="todo_ageing")
