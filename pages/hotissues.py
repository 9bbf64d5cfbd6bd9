"""热点问题: 按类别、选区、时间统计群众集中反映的问题，形成监督议题。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 热点问题 page (nothing runs at import)."""
    require_page("hotissues")
    st.caption("按类别、选区、时间统计群众集中反映的问题，形成监督议题。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
