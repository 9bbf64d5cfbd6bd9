"""基础数据: 维护届次、办事处、代表组、选区、代表和代表信箱。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 基础数据 page (nothing runs at import)."""
    require_page("masterdata")
    st.caption("维护届次、办事处、代表组、选区、代表和代表信箱。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
