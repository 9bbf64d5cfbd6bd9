"""The server's entry point (`make run`: ``streamlit run serve.py``): app.py behind one small
ASGI layer.

Streamlit answers every unknown path with its index page, whose scripts are linked relative to
the path: at a nested path such as /pages/mailbox (a page file's URL) the browser then asks for
/pages/static/…, gets the index page again, and shows a blank page — no login form. Such
addresses are sent to "/" (the login form, or 工作台 when logged in) instead. And the pages/
folder is never run as Streamlit's own multipage app (``without_page_directory``)."""

from __future__ import annotations

import os

import streamlit as st
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse

# the first path segments Streamlit itself serves below (assets, components, media, its API)
SERVED_BELOW = {"_stcore", "static", "component", "media", "app", "-", "auth", "oauth2callback"}


def nested_page_path(path: str) -> bool:
    """True for a browser address that Streamlit would answer with a blank page: two or more
    path segments not under a prefix Streamlit serves (/pages/mailbox, /a/b/c); and /pages itself
    (on a fresh server its first visitor got the page files' English names and "Page not found")."""
    parts = [p for p in path.split("/") if p]
    return parts[:1] == ["pages"] or (len(parts) >= 2 and parts[0] not in SERVED_BELOW)


class NestedPathsToLogin:
    """Redirect a page request (GET/HEAD for HTML) at a nested path to "/"."""

    def __init__(self, app) -> None:  # noqa: ANN001 - the next ASGI app
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if (scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
                and nested_page_path(scope.get("path", ""))):
            accept = dict(scope.get("headers") or []).get(b"accept", b"")
            if b"text/html" in accept or not accept:
                await RedirectResponse("/", status_code=302)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def without_page_directory() -> None:
    """Never run the pages/ directory as a Streamlit "v1" multipage app.

    Streamlit decides on its first session whether the app is one: with a pages/ folder beside
    app.py, until app.py's first run has called st.navigation, the first visitor of a fresh server
    got the page files' English names in a sidebar and ran the page file of the address directly
    (/activities ran pages/activities.py without the login: an English error page, or a blank one).
    The flag Streamlit sets itself once st.navigation runs is set before the first session. If a
    later Streamlit drops the flag, nothing breaks (tests/test_browser_security.py notices)."""
    from streamlit.runtime.pages_manager import PagesManager

    if hasattr(PagesManager, "uses_pages_directory"):
        PagesManager.uses_pages_directory = False


def socket_addresses_only() -> None:
    """The client address login throttling counts by is the socket's; X-Forwarded-For is read by
    app.py (services.auth.client_from) only from a proxy named in TRUSTED_PROXIES. The web server
    under Streamlit (uvicorn) would otherwise replace the address by the header's for every
    connection from 127.0.0.1 (its default FORWARDED_ALLOW_IPS), so anyone on the machine, or
    behind a proxy there that passes the header on, could choose the address they are counted by."""
    os.environ["FORWARDED_ALLOW_IPS"] = ""  # a uvicorn configured after this trusts no proxy
    try:  # the running one was configured before this file was imported: it wraps the app only now
        import uvicorn.config
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
    except ImportError:  # not under uvicorn
        return

    class TrustNoProxy(ProxyHeadersMiddleware):
        """uvicorn's proxy-header layer with no trusted proxy: the socket's address stays."""

        def __init__(self, app, trusted_hosts: object = "") -> None:  # noqa: ANN001
            super().__init__(app, trusted_hosts="")

    uvicorn.config.ProxyHeadersMiddleware = TrustNoProxy


without_page_directory()
socket_addresses_only()
app = st.App("app.py", middleware=[Middleware(NestedPathsToLogin)])
