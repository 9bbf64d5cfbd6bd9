"""出席与履职: 记录人代会和常委会活动出席情况，以及宣传、普法和法制调研工作。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 出席与履职 page (nothing runs at import)."""
    require_page("attendance")
    st.caption("记录人代会和常委会活动出席情况，以及宣传、普法和法制调研工作。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
