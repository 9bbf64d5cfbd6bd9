"""工作台: 各项规则（R1–R20）的落实情况一览，点击数字查看明细。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 工作台 page (nothing runs at import)."""
    require_page("dashboard")
    st.caption("各项规则（R1–R20）的落实情况一览，点击数字查看明细。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
