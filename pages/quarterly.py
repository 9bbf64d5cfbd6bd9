"""季度汇总: 各代表组每季度群众反映问题及解决情况清单。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 季度汇总 page (nothing runs at import)."""
    require_page("quarterly")
    st.caption("各代表组每季度群众反映问题及解决情况清单。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
