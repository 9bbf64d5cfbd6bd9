"""履职档案: 每位代表的履职档案，按述职五个方面汇总。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 履职档案 page (nothing runs at import)."""
    require_page("profiles")
    st.caption("每位代表的履职档案，按述职五个方面汇总。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
