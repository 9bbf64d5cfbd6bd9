"""Browser-test fixtures: a real ``streamlit run`` server on a temporary SQLite database and a
Playwright page driving Debian's chromium.

Use in a test module::

    import pytest
    from tests.browser import login, page_url

    pytestmark = pytest.mark.browser

    def test_x(server, page):
        login(page, server, "staff")
        page.goto(page_url(server, "masterdata"))

``server`` is session-scoped (one server for the whole run, started lazily by the first test
that asks for it); ``fresh_server`` is a module-scoped one for tests that need a server nobody
has visited yet. Tests skip with a clear reason when /usr/bin/chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp/shots")
START_TIMEOUT = 60.0


def _free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _streamlit_bin() -> list[str]:
    """Return the command that runs streamlit from this interpreter's environment."""
    exe = Path(sys.executable).parent / "streamlit"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "streamlit"]


def _wait_until_up(base: str, proc: subprocess.Popen, log: Path) -> None:
    """Poll the health endpoint until the server answers; fail with its log otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit 提前退出（{proc.returncode}）：\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit 在{START_TIMEOUT:.0f}秒内未响应：\n{log.read_text(errors='replace')}")


def start_server(tmp_dir: Path, *, world: bool = True) -> tuple[str, subprocess.Popen, str]:
    """Create and fill a SQLite database in ``tmp_dir`` and start streamlit on it.

    Returns (base URL, process, database URL). The caller stops the process (``stop_server``).
    """
    from db.engine import dispose_all
    from db.migrate import upgrade
    from tests.conftest import build_world

    db_url = f"sqlite:///{tmp_dir / 'browser.db'}"
    upgrade(db_url)
    if world:
        build_world(db_url)
    dispose_all()
    base, proc = serve(db_url, tmp_dir)
    return base, proc, db_url


def serve(db_url: str, tmp_dir: Path) -> tuple[str, subprocess.Popen]:
    """Start the app as ``make run`` does (``streamlit run serve.py``) on ``db_url`` and a free
    port, its log in ``tmp_dir``; wait until it answers. Returns (base URL, process)."""
    port = _free_port()
    env = dict(os.environ)
    env["DATABASE_URL"] = db_url
    env.pop("APP_ENV", None)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    log = tmp_dir / "streamlit.log"
    cmd = [
        *_streamlit_bin(), "run", str(ROOT / "serve.py"),  # app.py behind serve.py (as make run)
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc, log)
    except Exception:
        stop_server(proc)
        raise
    return base, proc


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the streamlit process started by ``start_server`` (only that process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


def _require_browser() -> None:
    """Skip the test when chromium or Playwright is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"浏览器测试需要 {CHROMIUM}（Debian 软件包 chromium），本机未安装")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("浏览器测试需要 Python 包 playwright（见 requirements-dev.txt）")
    if shutil.which("streamlit") is None and not (Path(sys.executable).parent / "streamlit").exists():
        pytest.skip("找不到 streamlit 命令")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a streamlit server on a small district (build_world), shared by the run."""
    _require_browser()
    base, proc, _url = start_server(tmp_path_factory.mktemp("browser"))
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server started for this module only (no request has reached it yet)."""
    _require_browser()
    base, proc, _url = start_server(tmp_path_factory.mktemp("fresh"))
    yield base
    stop_server(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the run."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh browser context (no cookies) and page, Chinese locale, 1400×900 window."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(30_000)
    pg = ctx.new_page()
    yield pg
    ctx.close()


def page_url(base: str, key: str) -> str:
    """URL of the page with key ``key`` (its pinyin url path, see services.common.URL_PATHS)."""
    from services.common import URL_PATHS

    return f"{base}/{URL_PATHS[key]}"


def wait_ready(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script: the app is there, its script state
    is notRunning and no element is still marked stale from a previous run. After an action,
    wait for the action's own effect (a text, a widget) as well: this only says "settled"."""
    page.wait_for_selector("[data-testid='stApp']", state="attached", timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = document.querySelector("[data-testid='stApp']");
            return app && app.getAttribute("data-test-script-state") === "notRunning"
                && !document.querySelector("[data-stale='true']");
        }""",
        timeout=timeout,
    )


def wait_login_form(page, timeout: float = 30_000) -> None:
    """Wait until the login form is drawn for good: both fields and the button are visible and
    the script has settled. The form appears only after the browser's cookie component has
    answered (that answer reruns the page once); the password field's component may be drawn a
    moment after the button, so each of them is waited for."""
    page.locator("input[type=password]").wait_for(state="visible", timeout=timeout)
    page.get_by_label("用户名").last.wait_for(state="visible", timeout=timeout)
    page.get_by_role("button", name="登录").last.wait_for(state="visible", timeout=timeout)
    wait_ready(page, timeout)


def login(page, base: str, username: str, password: str = "demo12345") -> None:
    """Log in through the real form (用户名 / 密码 / 登录) and wait until the page is drawn."""
    page.goto(base + "/")
    wait_login_form(page)
    page.get_by_label("用户名").last.fill(username)
    page.get_by_label("密码").last.fill(password)
    page.get_by_role("button", name="登录").last.click()
    # the first run after logging in draws 工作台 at "/" while the browser writes the login cookie;
    # the cookie component's answer reruns the app, which then moves to /gongzuotai: only then is
    # the session settled (a click before that could be undone by the rerun)
    page.wait_for_url(re.compile(r"/gongzuotai(\?.*)?$"), timeout=30_000)
    page.get_by_text("退出登录").wait_for(timeout=30_000)
    wait_ready(page)


def shot(page, name: str, selector: str | None = None) -> Path:
    """Save a screenshot to /tmp/shots/<name>.png (of an element when ``selector`` is given)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if selector:
        page.locator(selector).first.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    return path


def open_page(page, key: str) -> None:
    """Open a page of the logged-in user by clicking its sidebar link (keeps the session;
    a full reload of a URL starts a new Streamlit session that must re-read the cookie)."""
    from services.common import PAGES

    title = PAGES[key][0]
    page.locator("[data-testid='stSidebar'] a").filter(has_text=title).first.click()
    page.locator("h1", has_text=title).first.wait_for(timeout=30_000)
    wait_ready(page)
