"""Simultaneous users against a real server: log in, settle on 工作台, open 代表信箱, settle.

    python -m bench.concurrency --scale district --users 1 5 10 20

One ``streamlit run`` server (as ``make run`` starts it) on a copy of the scale's generated data;
for each number of users, that many Chromium contexts (Playwright, Debian's chromium; each its own
cookies, so its own Streamlit session) start together: each opens the login page, logs in as one
of the four demo accounts in turn, and waits until 工作台 has settled (the app's script state is
notRunning and nothing is stale: ``tests.browser.wait_ready``); then it clicks 代表信箱 in the menu
and waits until that page has settled. Times run from the click on 登录 and from the click on
代表信箱. A user who is not settled within ``--timeout`` seconds counts as failed. The browsers
run on the same machine as the server: their CPU is part of the figure, so beside the times each
level reports the CPU seconds the server process used and those the whole machine used (the rest
is the browsers'). Results to
``bench/results/concurrency-<scale>.md`` and ``.json``. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, p90, sqlite_copy, sqlite_data  # noqa: E402

ACCOUNTS = ("admin", "staff", "supervisor", "leader")
SETTLED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.getAttribute("data-test-script-state") === "notRunning"
        && !document.querySelector("[data-stale='true']");
}"""


TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy (not idle, not waiting on disk)."""
    vals = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(vals[:8]) - vals[3] - vals[4]) / TICK


def start(db_url: str, workdir: Path) -> tuple[str, subprocess.Popen]:
    """The app served as ``make run`` serves it (``tests.browser.serve``) on ``db_url``."""
    from tests.browser import serve

    return serve(db_url, workdir)


async def _settled(page, timeout_ms: float) -> None:  # noqa: ANN001
    await page.wait_for_selector("[data-testid='stApp']", state="attached", timeout=timeout_ms)
    await page.wait_for_function(SETTLED, timeout=timeout_ms)


async def one_user(browser, base: str, username: str, timeout: float) -> dict:  # noqa: ANN001
    """One user's session: times to a settled 工作台 after 登录 and to a settled 代表信箱 after the click."""
    ms = timeout * 1000
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await ctx.new_page()
    page.set_default_timeout(ms)
    out: dict = {"user": username}
    try:
        await page.goto(base + "/", timeout=ms)
        await page.locator("input[type=password]").wait_for(state="visible", timeout=ms)
        await page.get_by_role("button", name="登录").last.wait_for(state="visible", timeout=ms)
        await _settled(page, ms)
        await page.get_by_label("用户名").last.fill(username)
        await page.get_by_label("密码").last.fill("demo12345")
        t0 = time.perf_counter()
        await page.get_by_role("button", name="登录").last.click()
        await page.wait_for_url(re.compile(r"/gongzuotai(\?.*)?$"), timeout=ms)
        await page.get_by_text("退出登录").wait_for(timeout=ms)
        await _settled(page, ms)
        out["dashboard_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        await page.locator("[data-testid='stSidebar'] a").filter(has_text="代表信箱").first.click()
        await page.locator("h1", has_text="代表信箱").first.wait_for(timeout=ms)
        await _settled(page, ms)
        out["mailbox_s"] = time.perf_counter() - t1
    except Exception as e:  # noqa: BLE001 - a user who never settles is a finding
        out["failed"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    finally:
        await ctx.close()
    return out


async def level(base: str, n: int, timeout: float, pid: int | None = None) -> dict:
    """``n`` users at once, in one Chromium."""
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            t0 = time.perf_counter()
            cpu0, busy0 = (server_cpu(pid) if pid else 0.0), machine_busy()
            users = await asyncio.gather(*(one_user(browser, base, ACCOUNTS[i % len(ACCOUNTS)], timeout)
                                           for i in range(n)))
            took = time.perf_counter() - t0
            cpu1, busy1 = (server_cpu(pid) if pid else 0.0), machine_busy()
        finally:
            await browser.close()
    res = {"users": n, "elapsed_s": round(took, 1), "failed": [u for u in users if "failed" in u],
           "load": round(os.getloadavg()[0], 2), "machine_cpu_s": round(busy1 - busy0, 1)}
    if pid:
        res["server_cpu_s"] = round(cpu1 - cpu0, 1)
    for key in ("dashboard_s", "mailbox_s"):
        xs = [u[key] for u in users if key in u]
        if xs:
            res[key] = {"n": len(xs), "median": statistics.median(xs), "p90": p90(xs), "max": max(xs)}
    return res


def markdown(res: dict) -> str:
    lines = [f"### 并发（{res['scale']}，SQLite，一个 streamlit 进程，{res['today']}）", "",
             f"{res['cpus']} 核，浏览器与服务器在同一台机器；负载 {res['load_before']} → {res['load_after']}"
             "（1 分钟平均）。目标：20 人同时使用时，页面稳定的中位时间 ≤ 2 s。"
             "服务器 CPU：streamlit 进程所用；整机 CPU：所有核所用（其余为浏览器等）。", "",
             "| 同时用户 | 登录→工作台稳定 中位/p90/最长 (s) | 点击→代表信箱稳定 中位/p90/最长 (s) | 用时 (s) "
             "| 服务器 CPU (s) | 整机 CPU (s) | 未完成 |",
             "|---|---|---|---|---|---|---|"]
    for r in res["levels"]:
        cells = []
        for key in ("dashboard_s", "mailbox_s"):
            s = r.get(key)
            cells.append(f"{s['median']:.1f} / {s['p90']:.1f} / {s['max']:.1f}" if s else "—")
        fails = "；".join(sorted({f["failed"][:60] for f in r["failed"]}))
        cpu = f"{r['server_cpu_s']:.1f}" if "server_cpu_s" in r else "—"
        busy = f"{r['machine_cpu_s']:.1f}" if "machine_cpu_s" in r else "—"
        lines.append(f"| {r['users']} | {cells[0]} | {cells[1]} | {r['elapsed_s']:.1f} | {cpu} | {busy} "
                     f"| {len(r['failed'])}{('（' + fails + '）') if fails else ''} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="同时多个浏览器用户：登录、工作台、代表信箱")
    p.add_argument("--scale", default="district")
    p.add_argument("--users", nargs="*", type=int, default=[1, 5, 10, 20])
    p.add_argument("--timeout", type=float, default=240)
    a = p.parse_args(argv)
    from services import clock

    today = clock.today()
    work = Path(tempfile.mkdtemp(prefix="bench-conc-"))
    db_url = sqlite_copy(sqlite_data(a.scale, today), work)
    res = {"scale": a.scale, "today": today.isoformat(), "cpus": os.cpu_count(),
           "load_before": round(os.getloadavg()[0], 2), "levels": []}
    base, proc = start(db_url, work)
    try:
        for n in a.users:
            r = asyncio.run(level(base, n, a.timeout, proc.pid))
            res["levels"].append(r)
            print(json.dumps(r, ensure_ascii=False), flush=True)
    finally:
        from tests.browser import stop_server

        stop_server(proc)
    res["load_after"] = round(os.getloadavg()[0], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"concurrency-{a.scale}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    md = markdown(res)
    (RESULTS / f"concurrency-{a.scale}.md").write_text(md)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start_m, end_m = f"<!-- bench:concurrency-{a.scale} -->", f"<!-- /bench:concurrency-{a.scale} -->"
    if start_m in text and end_m in text:
        head, rest = text.split(start_m, 1)
        tail = rest.split(end_m, 1)[1]
        readme.write_text(f"{head}{start_m}\n{md}{end_m}{tail}")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
