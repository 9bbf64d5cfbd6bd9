"""用户管理: 创建账号、设置角色和范围、重置密码、停用账号。"""

from __future__ import annotations

import streamlit as st

from components.guard import require_page


def render() -> None:
    """Draw the 用户管理 page (nothing runs at import)."""
    require_page("users")
    st.caption("创建账号、设置角色和范围、重置密码、停用账号。")
    st.info("本页功能正在建设中，暂无可显示的内容。")
