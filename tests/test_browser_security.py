"""Browser (issue 16): page-file URLs and unknown paths show the login form (logged out) or 工作台
with a Chinese notice (logged in), never Streamlit's English "Page not found" dialog."""

from __future__ import annotations

import re

import pytest

from tests.browser import login, shot, wait_login_form, wait_ready

pytestmark = pytest.mark.browser

PATHS = ["activities", "mailbox", "no-such-page", "users", "auditlog"]


def test_unknown_paths_show_no_english_dialog(server, page):
    for path in PATHS:
        page.goto(f"{server}/{path}", wait_until="load")
        try:
            wait_login_form(page)
        finally:
            shot(page, f"i16_unknown_{path.replace('/', '_')}")
        body = page.locator("body").inner_text()
        assert "Page not found" not in body and "not found" not in body.lower(), path
    login(page, server, "staff")
    for path in PATHS:
        page.goto(f"{server}/{path}", wait_until="load")
        try:
            page.get_by_text("没有这个页面").wait_for(timeout=30_000)
        finally:
            shot(page, f"i16_in_unknown_{path.replace('/', '_')}")
        wait_ready(page)
        body = page.locator("body").inner_text()
        assert "Page not found" not in body, path


PAGE_FILE_PATHS = ["pages", "pages/mailbox", "pages/users.py", "pages/dashboard", "a/b/c"]


def test_page_file_urls_show_the_login_form(server, page):
    """The finding: /pages/<name> (a page file's URL, any nested path) gave a blank page — the
    index page's scripts, linked relative to the path, came back as the index page again."""
    for path in PAGE_FILE_PATHS:
        page.goto(f"{server}/{path}", wait_until="load")
        try:
            wait_login_form(page)
        finally:
            shot(page, f"i16_pagefile_{path.replace('/', '_')}")
        body = page.locator("body").inner_text()
        assert "用户名" in body and "not found" not in body.lower(), path
    login(page, server, "staff")
    page.goto(f"{server}/pages/mailbox", wait_until="load")
    page.get_by_text("退出登录").wait_for(timeout=30_000)  # logged in: the app, not a blank page
    wait_ready(page)


def test_the_first_visitor_of_a_fresh_server_at_pages_sees_the_login(fresh_server, page):
    """The finding: on a fresh server the first visitor of /pages saw the page files' English
    names (app, activities, auditlog …) in a sidebar and Streamlit's English "Page not found"."""
    page.goto(f"{fresh_server}/pages", wait_until="load")
    wait_login_form(page)
    wait_ready(page)
    body = page.locator("body").inner_text()
    shot(page, "i16_fresh_pages")
    assert "not found" not in body.lower() and "auditlog" not in body


def _failed_login_client(browser, base: str, db_url: str, forwarded: str) -> str:
    """Fail one login sending X-Forwarded-For: ``forwarded``; the client address it was counted by."""
    from sqlalchemy import text

    from db.engine import get_engine

    ctx = browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-For": forwarded})
    try:
        pg = ctx.new_page()
        pg.goto(base + "/")
        wait_login_form(pg)
        pg.get_by_label("用户名").last.fill("staff")
        pg.get_by_label("密码").last.fill("wrong-pass-1")
        pg.get_by_role("button", name="登录").last.click()
        pg.get_by_text("用户名或密码错误").wait_for(timeout=30_000)
    finally:
        ctx.close()
    with get_engine(db_url).connect() as conn:
        return conn.execute(text("SELECT client FROM login_attempts ORDER BY id DESC LIMIT 1")).scalar_one()


@pytest.mark.parametrize(("trusted", "expected"), [("", "127.0.0.1"), ("127.0.0.1", "198.51.100.4")])
def test_forwarded_for_counts_only_from_a_trusted_proxy(browser, tmp_path, monkeypatch, trusted, expected):
    """The finding: the web server under Streamlit (uvicorn) took X-Forwarded-For from any
    connection of 127.0.0.1 before the app saw it, so without TRUSTED_PROXIES a client on the
    machine chose the address its failures were counted by (rotating it escaped the limit)."""
    from tests.browser import start_server, stop_server

    monkeypatch.setenv("TRUSTED_PROXIES", trusted)
    base, proc, db_url = start_server(tmp_path)
    try:
        assert _failed_login_client(browser, base, db_url, "198.51.100.4") == expected
    finally:
        stop_server(proc)


def _cookie_gone(page, name: str = "rddb_auth", timeout: float = 30.0) -> bool:
    """Wait (polling the browser's cookie jar, not sleeping a fixed time) until ``name`` is gone."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name not in {c["name"] for c in page.context.cookies()}:
            return True
        page.wait_for_timeout(100)  # the jar is not in the page: look again shortly
    return False


def test_after_logout_the_next_login_works_with_or_without_a_reload(server, page):
    """The finding (a helper's attack): after 退出登录 the login cookie stayed in the browser, a reload
    brought the ended login back as "登录已失效", and the next login's click was eaten by it."""
    login(page, server, "staff")
    page.get_by_text("退出登录").first.click()
    wait_login_form(page)
    assert _cookie_gone(page), "退出登录 left the login cookie in the browser"
    page.get_by_label("用户名").last.fill("leader")  # the same tab, no reload
    page.get_by_label("密码").last.fill("demo12345")
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url(re.compile(r"/gongzuotai(\?.*)?$"), timeout=30_000)
    page.get_by_text("退出登录").wait_for(timeout=30_000)
    wait_ready(page)
    assert "领导" in page.locator("[data-testid='stSidebar']").inner_text()
    page.get_by_text("退出登录").first.click()
    wait_login_form(page)
    assert _cookie_gone(page)
    page.goto(server + "/", wait_until="load")  # a reload: a new tab session reads the cookies again
    wait_login_form(page)
    try:
        assert "登录已失效" not in page.locator("body").inner_text()
        login(page, server, "staff")
    finally:
        shot(page, "logout_relogin")
