"""联系活动: 登记代表联系选民活动及收集的群众意见，跟踪办理，查看未达标代表。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 联系活动 page (nothing runs at import)."""
    require_page("activities")
    st.caption("登记代表联系选民活动及收集的群众意见，跟踪办理，查看未达标代表。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
