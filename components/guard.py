"""The role guard that begins every page's render()."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

import streamlit as st

from db.engine import session_scope
from services import auth
from services.common import PAGES, Actor

_PAGE_ACTOR = "_page_actor"  # the user the page now on screen was drawn for (require_page)
REFUSED = "登录已失效或权限已变更（已退出、密码已修改、账号已停用或角色已调整），请刷新页面并重新登录后再下载。"
FAILED = "文件生成失败，请稍后再试；仍不能下载时请联系系统管理员。"
# the refusals of one download request (set by the wrapped handler, see ``chinese_download_errors``)
_REFUSALS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("rddb_download_refusals", default=None)


class DownloadRefused(PermissionError):
    """A file asked for from a page whose login or permissions no longer hold."""


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
    st.session_state[_PAGE_ACTOR] = actor
    return actor


def at_click(build: Callable[[], bytes]) -> Callable[[], bytes]:
    """The data of a download button, built when it is clicked (``st.download_button(data=...)``),
    and only if the login still holds then: Streamlit runs it outside the page's run, so none of
    the page's checks (login, role, idle timeout) run at the click. ``auth.still_allowed`` decides,
    for the user and login the page was drawn for; refused, no file is built."""
    from services import settings

    seen = st.session_state.get(_PAGE_ACTOR)
    started = st.session_state.get("session_started_at")

    def checked() -> bytes:
        if seen is None or started is None:
            raise DownloadRefused(REFUSED)
        with session_scope("system") as s:
            ok = auth.still_allowed(s, seen, started, int(settings.get(s, "idle_timeout_minutes")))
        if not ok:
            notes = _REFUSALS.get()
            if notes is not None:
                notes.append(REFUSED)
            raise DownloadRefused(REFUSED)
        return build()

    return checked


def chinese_download_errors() -> None:
    """A download whose data is not built at the click (refused by ``at_click``, or failed) is
    answered by Streamlit with the English "Failed to generate file for download" under the
    button, the reason dropped. Its handler (``DeferredFileHandler.handle`` in
    streamlit.runtime.backend_operation_handler) is wrapped to answer in Chinese: ``REFUSED`` with
    what to do, or ``FAILED``. (``asyncio.to_thread`` runs the data in a copy of the request's
    context, so the refusal is noted in a list the handler set.) If a later Streamlit renames the
    handler, nothing breaks: the English comes back."""
    try:
        from streamlit.runtime.backend_operation_handler import DeferredFileHandler
    except ImportError:
        return
    original = getattr(DeferredFileHandler, "handle", None)
    if original is None or getattr(original, "_rddb_chinese", False):
        return

    async def handle(self, request, session_id):  # noqa: ANN001, ANN202
        notes: list[str] = []
        token = _REFUSALS.set(notes)
        try:
            response = await original(self, request, session_id)
        finally:
            _REFUSALS.reset(token)
        if response.error_msg:
            response.error_msg = notes[0] if notes else FAILED
        return response

    handle._rddb_chinese = True  # type: ignore[attr-defined]
    DeferredFileHandler.handle = handle


def opened_directly() -> None:
    """A page file run on its own: Streamlit serves ``pages/<name>.py`` at /<name> without app.py
    (no login, a blank page). Each page file calls this when run as a script: it moves to app.py,
    which shows the login form (or 工作台)."""
    st.switch_page("app.py")
