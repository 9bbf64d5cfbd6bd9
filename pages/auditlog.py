"""操作日志: 系统中每一次写操作的记录：谁、何时、改了什么。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 操作日志 page (nothing runs at import)."""
    require_page("auditlog")
    st.caption("系统中每一次写操作的记录：谁、何时、改了什么。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
