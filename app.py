"""Entry point: page config, login, the navigation the user's role may see."""

from __future__ import annotations

import os
from datetime import datetime

import streamlit as st
import streamlit_authenticator as stauth

from components import params
from components.guard import chinese_download_errors
from components.text import alert, safe_md
from db import stats
from db.engine import database_url, session_scope
from pages import (
    activities,
    attendance,
    auditlog,
    bodies,
    dashboard,
    hotissues,
    mailbox,
    masterdata,
    profiles,
    proposals,
    quarterly,
    reports,
    scoring,
    settings,
    spotchecks,
    users,
    workcalendar,
)
from services import auth, clock, intents
from services.common import PAGES, ROLE_NAMES, URL_PATHS, ServiceError

MODULES = {
    "dashboard": dashboard, "activities": activities, "mailbox": mailbox, "reports": reports,
    "proposals": proposals, "attendance": attendance, "spotchecks": spotchecks, "scoring": scoring,
    "profiles": profiles, "quarterly": quarterly, "hotissues": hotissues, "masterdata": masterdata,
    "users": users, "settings": settings, "calendar": workcalendar, "auditlog": auditlog, "bodies": bodies,
}
ICONS = {  # Material icons ship with Streamlit's front end (no emoji font is needed on the intranet)
    "dashboard": ":material/dashboard:", "activities": ":material/groups:", "mailbox": ":material/mail:",
    "reports": ":material/record_voice_over:", "proposals": ":material/description:",
    "attendance": ":material/event_available:", "spotchecks": ":material/fact_check:",
    "scoring": ":material/military_tech:", "profiles": ":material/folder_shared:",
    "quarterly": ":material/summarize:", "hotissues": ":material/local_fire_department:",
    "masterdata": ":material/database:", "users": ":material/manage_accounts:",
    "settings": ":material/settings:", "calendar": ":material/calendar_month:", "auditlog": ":material/history:",
    "bodies": ":material/apartment:",
}
COOKIE_DAYS = 1.0

# Streamlit's file uploader has English text that no parameter changes ("Drag and drop a file
# here", "Upload", "200MB per file"): hidden and replaced by Chinese with CSS (constant markup).
# What CSS cannot reach is listed in the README (界面文字).
CHINESE_WIDGET_TEXT = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::before {
  content: "将文件拖放到此处，或点击“选择文件”"; font-size: 0.9rem; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "单个文件不超过 50MB"; display: block; font-size: 0.8rem; opacity: 0.7; }
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p { display: none; }
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"]::after { content: "选择文件"; }
[data-testid="stMain"] [data-testid="stPageLink"] a span,
[data-testid="stMain"] [data-testid="stPageLink"] a span * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
</style>"""
# (the last rule: a figure or a to-do line on 工作台 wraps on a phone instead of being cut at the right)


def _quiet_page_not_found() -> None:
    """An unknown url path (a page file's name, /pages/x, a typo) opens the default page (the login
    form, or 首页) with a Chinese notice instead of Streamlit's English "Page not found" dialog.

    Streamlit sends that dialog from ``streamlit.commands.navigation.send_page_not_found``; it is
    replaced by a function that only remembers the fact for this run. If a later Streamlit renames
    it, nothing breaks: the English dialog comes back (tests/test_security_urls.py notices)."""
    import streamlit.commands.navigation as nav

    def remember(_ctx) -> None:  # noqa: ANN001
        st.session_state["_unknown_url"] = True

    if hasattr(nav, "send_page_not_found"):
        nav.send_page_not_found = remember


def cookie_key() -> str:
    """Return the cookie signing key: COOKIE_KEY or secrets.toml's cookie_key, else (outside
    production) the random key generated on first start (services.auth.generated_key)."""
    key = os.environ.get("COOKIE_KEY")
    if not key:
        try:
            key = st.secrets.get("cookie_key")
        except Exception:  # noqa: BLE001 - no secrets.toml is a normal set-up
            key = None
    production = os.environ.get("APP_ENV", "").lower() == "production"
    key, error = auth.resolve_cookie_key(key, production)
    if error:
        st.error(
            f"{error}。请在环境变量 COOKIE_KEY 或 .streamlit/secrets.toml 的 cookie_key 中设置至少"
            f"{auth.MIN_KEY_LENGTH}个字符的随机字符串（生产模式下必须设置）。系统拒绝启动。"
        )
        st.stop()
    return key


def client_address() -> str:
    """The client address login throttling counts by: the socket's address, or, when that is a
    proxy named in TRUSTED_PROXIES, the nearest untrusted hop of X-Forwarded-For."""
    try:
        trusted = auth.trusted_networks(os.environ.get("TRUSTED_PROXIES"))
    except ValueError as exc:
        st.error(f"{exc}。请改正环境变量 TRUSTED_PROXIES（多个用逗号分隔）。系统拒绝登录。")
        st.stop()
    try:
        forwarded = st.context.headers.get("X-Forwarded-For", "")
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request (tests): the local machine
        forwarded, ip = "", None
    return auth.client_from(ip if isinstance(ip, str) else None,
                            forwarded if isinstance(forwarded, str) else "", trusted)


def cookie_component_ready() -> bool:
    """True once the browser's cookie component has answered (its value lands under key "init").

    Until then the page reruns when it answers, and text typed into a form before that rerun would
    be lost, so the login form waits for it. Without a browser (AppTest: no request headers) no
    component runs, and the form is shown at once.
    """
    return st.session_state.get("init") is not None or not st.context.headers.get("Host")


def login_form(authenticator: stauth.Authenticate) -> bool:
    """Our Chinese login form, throttled, checked by streamlit-authenticator; True once logged in."""
    if not cookie_component_ready():
        st.caption("正在载入登录页面……")
        return False
    box = st.empty()
    with box.container():
        st.title("代表联系选民工作平台")
        st.caption("区人大常委会代表工作机构内部使用。请使用分配的账号登录。")
        with st.form("login"):
            username = st.text_input("用户名", key="login_username").strip().lower()
            password = st.text_input("密码", type="password", key="login_password")
            submitted = st.form_submit_button("登录", type="primary")
        message = st.empty()
    if not submitted:
        return False
    if not username or not password:
        message.error("请输入用户名和密码。")
        return False
    client = client_address()
    with session_scope("system") as s:
        blocked = auth.throttle_message(s, username, client)
    if blocked:
        alert("error", blocked, where=message)
        return False
    ok = authenticator.authentication_controller.login(username, password)
    try:  # a lost race with an admin saving this account is retried, never an English error
        intents.submit("system", lambda s: auth.record_attempt(s, username, client, bool(ok)))
    except ServiceError as exc:
        st.session_state["authentication_status"] = None
        alert("error", exc, where=message)
        return False
    if not ok:
        st.session_state["authentication_status"] = None
        message.error("用户名或密码错误。")
        return False
    # the cookie is written by a component in the browser: it must render, so no st.rerun() here
    write_cookie(authenticator)
    started = cookie_started(getattr(authenticator.cookie_controller.cookie_model, "exp_date", None))
    st.session_state["session_started_at"] = started
    try:  # the idle timeout is kept on the server (a lost race is retried: services.intents.submit)
        intents.submit("system", lambda s: auth.begin_login(s, username, started))
    except ServiceError as exc:
        end_session(authenticator)
        alert("error", exc, where=message)
        return False
    st.session_state["just_logged_in"] = True
    st.session_state["logout"] = None  # a login of its own: the flag of the one that ended is done
    box.empty()
    return True


# what a browser tab keeps when its login ends: the cookie component's answers and the
# authenticator's logout flag. Everything else was kept for the login that ended (a writer's revealed
# phone, a generated 交办单, the page's user, open records, filters) and must not reach the next
# person who logs in at the same tab.
KEEP_ON_LOGOUT = frozenset({"init", "set", "delete", "get_all", "logout"})


def end_session(authenticator: stauth.Authenticate) -> None:
    """Forget the login in this browser session (and all the pages kept for it) and delete the cookie."""
    for k in list(st.session_state.keys()):
        if k not in KEEP_ON_LOGOUT:
            del st.session_state[k]
    st.session_state["authentication_status"] = None
    # the authenticator's own flag: never bring a login back from the cookie this tab sent when it
    # connected (st.context.cookies stays as it was for the whole tab session, so an ended login's
    # cookie came back on every run and ate the next login's click)
    st.session_state["logout"] = True
    st.session_state["_delete_pending"] = True  # drawn again until the browser says it ran it
    try:
        authenticator.cookie_controller.delete_cookie()
    except Exception:  # noqa: BLE001 - a missing cookie is fine; the server record refuses it anyway
        pass


# The cookie is deleted by a component the browser runs once its frame has loaded. A rerun that
# comes first (an answer of the cookie component still on its way, on a busy machine) removes the
# frame before it ran, and the ended login's cookie stayed. So the deletion is drawn again, under a
# key of its own, on the logged-out runs that follow until its own answer says the browser ran it.


def retry_cookie_delete(authenticator: stauth.Authenticate) -> None:
    """On logged-out runs after a logout: draw the deletion again until the browser has run it."""
    if not st.session_state.get("_delete_pending"):
        return
    if st.session_state.get("delete_again"):
        st.session_state.pop("_delete_pending", None)
        return
    model = authenticator.cookie_controller.cookie_model
    try:
        model.cookie_manager.cookie_manager(method="delete", cookie=model.cookie_name, key="delete_again",
                                            default=False)
    except Exception:  # noqa: BLE001 - the next run tries again
        pass


def write_cookie(authenticator: stauth.Authenticate) -> None:
    """Write the login cookie (the login form's run); a deletion still pending from a logout in
    this tab is dropped, so it never deletes the new login's cookie."""
    st.session_state.pop("_delete_pending", None)
    authenticator.cookie_controller.set_cookie()


def log_out(authenticator: stauth.Authenticate) -> None:
    """退出登录 (the button's click, at the top of the run it starts): every session of the account
    ends on the server, and this run goes on to the login form. No st.rerun(): the cookie's
    deletion is drawn in this run and must reach the browser (after a rerun it often did not, and
    a reload brought the ended login back as "登录已失效")."""
    username = st.session_state.get("username")
    if username:
        with session_scope(username) as s:
            auth.revoke_sessions(s, username)
    end_session(authenticator)


def check_session(authenticator: stauth.Authenticate) -> bool:
    """Refuse a session whose cookie predates a logout or password change (server-side record)."""
    username = st.session_state.get("username")
    started = st.session_state.get("session_started_at")
    if started is None:
        token = authenticator.cookie_controller.get_cookie() or {}
        started = cookie_started(token.get("exp_date"))
        st.session_state["session_started_at"] = started
    with session_scope("system") as s:
        valid = auth.session_still_valid(s, username, started)
    if not valid:
        st.warning("登录已失效（已退出、密码已修改或账号已停用），请重新登录。")
        end_session(authenticator)
        return False
    return True


def cookie_started(exp: float | None) -> datetime:
    """When the login of a cookie began (its expiry less its lifetime): the same instant in the
    browser that logged in and in any browser the cookie was copied to, so both are one login."""
    if not exp:
        return clock.now()
    return datetime.fromtimestamp(exp - COOKIE_DAYS * 86400)


def idle_expired() -> bool:
    """True when this login has had no interaction for longer than the setting
    idle_timeout_minutes (系统设置 → 安全). Judged on the server (services.auth.touch_login), per
    login: the same cookie copied to another browser is refused after the timeout too."""
    from services import settings as app_settings

    username, started = st.session_state["username"], st.session_state["session_started_at"]

    def touch(s) -> bool:  # noqa: ANN001
        return auth.touch_login(s, username, started, int(app_settings.get(s, "idle_timeout_minutes")))

    try:  # two tabs of one login touching it at once: a lost race is retried
        return not intents.submit("system", touch)
    except ServiceError:  # every retry lost: keep the session this time, the next run decides
        return False


def main() -> None:
    """Log the user in, then run the page they chose among those their role may see."""
    st.set_page_config(page_title="代表联系选民工作平台", page_icon=":material/account_balance:", layout="wide")
    params.new_run()
    stats.start_schedule(database_url())  # planner statistics: now (in the background) and hourly
    with session_scope("system") as s:
        creds = auth.credentials(s)
    authenticator = stauth.Authenticate(
        creds, "rddb_auth", cookie_key(), COOKIE_DAYS, auto_hash=False, login_sleep_time=0
    )
    with st.container(height=1, border=False):  # the cookie component's invisible frame
        authenticator.login(location="unrendered")
        if st.session_state.get("logout_btn") and st.session_state.get("authentication_status"):
            log_out(authenticator)
    logged_in = bool(st.session_state.get("authentication_status")) and check_session(authenticator)
    if logged_in and idle_expired():
        end_session(authenticator)
        st.info("长时间没有操作，已自动退出登录，请重新登录。")
        logged_in = False
    if not logged_in and not login_form(authenticator):
        with st.container(height=1, border=False):  # invisible, as the cookie component's
            retry_cookie_delete(authenticator)
        # every url path answers with the login form above, never with a page
        st.session_state.pop("_unknown_url", None)
        nav = st.navigation(
            [st.Page(lambda: None, title="登录", url_path="login"),
             *(st.Page(lambda: None, title=PAGES[k][0], url_path=u) for k, u in URL_PATHS.items())],
            position="hidden",
        )
        unknown = st.session_state.pop("_unknown_url", False)  # nothing of it kept past this run
        # an unknown path seen while the browser's cookie is still being read: if the cookie brings
        # back a login, the notice is shown then (by that run the browser may already have left the
        # unknown path for the default one, so that run would not see it); a login form shown for
        # good forgets it
        if not cookie_component_ready():
            if unknown:
                st.session_state["_unknown_pending"] = True
        else:
            st.session_state.pop("_unknown_pending", None)
        nav.run()
        return
    with session_scope("system") as s:
        actor = auth.load_actor(s, st.session_state["username"])
    if actor is None:  # a cookie of an account deleted or deactivated meanwhile: back to the login form
        end_session(authenticator)
        st.rerun()
    pages = {
        key: st.Page(MODULES[key].render, title=title, url_path=URL_PATHS[key], icon=ICONS[key])
        for key, (title, roles) in PAGES.items()
        if actor.role in roles
    }
    st.session_state["_pages"] = pages
    st.markdown(CHINESE_WIDGET_TEXT, unsafe_allow_html=True)  # constant markup only
    with st.sidebar:
        st.markdown("**代表联系选民工作平台**")
        st.caption(f"{safe_md(actor.display_name)}（{ROLE_NAMES[actor.role]}）")
        st.divider()
        st.button("退出登录", key="logout_btn")  # its click is handled at the top of the next run (log_out)
    # "/" opens 工作台 at its own url path, so links to /gongzuotai (with filters) work too
    def home() -> None:
        """Right after logging in, draw 工作台 here: the login cookie's component must render
        before any rerun. Later visits to "/" move to /gongzuotai."""
        if st.session_state.pop("just_logged_in", False):
            MODULES["dashboard"].render()
        else:
            st.switch_page(pages["dashboard"])

    home_page = st.Page(home, title="首页", url_path="home", default=True, visibility="hidden")
    # the menu is st.navigation's own (only this role's pages): on a phone it closes the sidebar
    # after a page is chosen, which links drawn by hand (st.page_link) do not
    st.session_state["_unknown_url"] = False
    nav = st.navigation([home_page, *pages.values()], position="sidebar", expanded=True)  # every page listed: no English "View N more"
    if st.session_state.pop("_unknown_url", False) | st.session_state.pop("_unknown_pending", False):
        st.session_state["_unknown_notice"] = True
    # the notice stays until the page the user lands on has shown it: "/" moves on to 工作台 with a
    # rerun (st.switch_page), which would otherwise wipe a notice drawn in the run before
    if st.session_state.get("_unknown_notice"):
        st.warning("没有这个页面（链接有误或您的角色不能打开），已打开工作台。", icon=":material/link_off:")
        if nav.title != home_page.title:
            st.session_state.pop("_unknown_notice")
    nav.run()


_quiet_page_not_found()
chinese_download_errors()
main()
