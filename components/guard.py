"""The role guard that begins every page's render()."""

from __future__ import annotations

import streamlit as st

from db.engine import session_scope
from services import auth
from services.common import PAGES, Actor


def current_actor() -> Actor | None:
    """Return the logged-in user as an Actor (read fresh from the database), or None."""
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username")
    with session_scope() as s:
        return auth.load_actor(s, username)


def require_page(page: str) -> Actor:
    """Stop the page unless the logged-in user's role may see it; return the Actor.

    Checked on the server on every run, whatever the navigation showed.
    """
    actor = current_actor()
    if actor is None:
        st.warning("请先登录。")
        st.stop()
    if not actor.can_see(page):
        st.error("您没有访问此页面的权限。")
        st.stop()
    title = PAGES[page][0]
    st.title(title)
    return actor


def opened_directly() -> None:
    """A page file run on its own: Streamlit serves ``pages/<name>.py`` at /<name> without app.py
    (no login, a blank page). Each page file calls this when run as a script: it moves to app.py,
    which shows the login form (or 工作台)."""
    st.switch_page("app.py")
