"""代表信箱: 管理代表信箱及开箱记录，登记来信并跟踪从登记到反馈的全过程。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 代表信箱 page (nothing runs at import)."""
    require_page("mailbox")
    st.caption("管理代表信箱及开箱记录，登记来信并跟踪从登记到反馈的全过程。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
