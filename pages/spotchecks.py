"""抽查督导: 随机抽查代表组活动记录，记录核查结果与整改。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 抽查督导 page (nothing runs at import)."""
    require_page("spotchecks")
    st.caption("随机抽查代表组活动记录，记录核查结果与整改。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
