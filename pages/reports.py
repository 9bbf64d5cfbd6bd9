"""述职管理: 制定年度当面述职计划，记录述职会、书面报告、评议与整改。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 述职管理 page (nothing runs at import)."""
    require_page("reports")
    st.caption("制定年度当面述职计划，记录述职会、书面报告、评议与整改。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
