"""议案建议: 登记代表提出的议案、建议和批评意见，跟踪办理与答复。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 议案建议 page (nothing runs at import)."""
    require_page("proposals")
    st.caption("登记代表提出的议案、建议和批评意见，跟踪办理与答复。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
