"""评分评优: 按五个方面工作重点计算代表得分，推荐优秀代表和先进代表组。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 评分评优 page (nothing runs at import)."""
    require_page("scoring")
    st.caption("按五个方面工作重点计算代表得分，推荐优秀代表和先进代表组。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
