"""The benchmark of the app itself: every page of every role, and the whole-year tasks.

    make bench SCALE=district          # 200 deputies, 5 years (the README command, one per scale)
    python -m bench.run --scale city   # 1,000 deputies, 5 years, 50,000 letters
    python -m bench.run --scale stress # 20,000 deputies, 1,000,000 letters (about an hour)
    python -m bench.run --scale district --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The data: the demo generator (``services.demo``) at the scale, as of today, over the whole term
so far (1 January four years back to today: five calendar years). Then, on a copy of it:

- every page each role may open (admin, staff of the first office, supervisor, leader), through
  AppTest, each in a process of its own (``bench.pages``): cold visits (after a write) and warm
  visits, median and p90 of ``--runs``, CPU and wall seconds, the process's peak memory, and
  beside each page its two floors from the same process: an empty page, and the page's own
  service calls;
- the whole-year tasks (``bench.tasks``), each in a process of its own.

Results go to ``bench/results/<scale>[-postgresql].md`` and ``.json``; the README keeps the last
run's figures (between the ``bench:<scale>`` markers). The machine's load average is written beside
them: the figures mean little without it. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, SCALES, pg_database, sqlite_copy, sqlite_data, years_for  # noqa: E402
from bench.tasks import LABELS, TASKS  # noqa: E402

ROLES = ("admin", "staff", "supervisor", "leader")
ROLE_NAMES = {"admin": "系统管理员", "staff": "工作人员（第一个办事处）", "supervisor": "督查人员", "leader": "领导"}
# targets of issue 18 (measured, never asserted): page CPU seconds cold, floor factor, peak MB, task seconds
TARGETS = {
    "district": {"page_cpu": 0.3, "floor_factor": 1.5},
    "city": {"page_cpu": 1.0},
    "stress": {"page_cpu": 3.0, "peak_mb": 1024, "task_s": 30},
}


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _child(module: str, args: list[str], out: Path, timeout: float) -> dict:
    """Run ``python -m module args --out out`` and read its JSON (a failure is recorded, not raised)."""
    cmd = [sys.executable, "-m", module, *args, "--out", str(out)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    try:
        subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"failed": f"超过 {timeout:.0f} 秒未完成"}
    try:
        return json.loads(out.read_text())
    except (OSError, ValueError):
        return {"failed": "进程异常退出"}


def role_pages(role: str) -> list[str]:
    from services.common import PAGES

    return [k for k, (_t, roles) in PAGES.items() if role in roles]


def floor_cpu(r: dict) -> float:
    """Empty page + the page's own service calls (those beyond the empty page's), CPU seconds."""
    own = max(0.0, r["cold_services"]["cpu_med"] - r.get("empty_services", {}).get("cpu_med", 0.0))
    return r["empty"]["cpu_med"] + own


def verdict(scale: str, r: dict) -> str:
    """Whether a page meets its scale's targets (an empty string when it does)."""
    t = TARGETS[scale]
    if r.get("failed"):
        return "未能测量"
    misses = []
    cold = r["cold"]["cpu_med"]
    if r.get("errors"):
        misses.append(f"{r['errors']} 次出错")
    if cold > t["page_cpu"]:
        misses.append(f"冷 {cold:.2f} s > {t['page_cpu']} s")
    if "floor_factor" in t:
        floor = floor_cpu(r)
        if cold > t["floor_factor"] * floor:
            misses.append(f"{cold / floor:.1f}× 下限")
    if "peak_mb" in t and r["peak_mb"] > t["peak_mb"]:
        misses.append(f"内存 {r['peak_mb']:.0f} MB")
    return "；".join(misses)


def run(scale: str, runs: int, pg_url: str | None, roles: list[str], pages: list[str] | None,
        tasks: list[str], task_runs: int, timeout: float) -> dict:
    from services import clock

    today = clock.today()
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    backend = "postgresql" if pg_url else "sqlite"
    drop = None
    work = Path(tempfile.mkdtemp(prefix=f"bench-{scale}-"))
    if pg_url:
        _log(f"在 PostgreSQL 上生成 {scale} 数据…")
        t0 = time.perf_counter()
        url, drop = pg_database(pg_url, scale, today)
        gen_s = time.perf_counter() - t0
        make_url = lambda: url  # noqa: E731 - one database; tasks write into it (pages first)
    else:
        _log(f"准备 {scale} 数据（SQLite）…")
        t0 = time.perf_counter()
        src = sqlite_data(scale, today, _log)
        gen_s = time.perf_counter() - t0
        make_url = lambda: sqlite_copy(src, work)  # noqa: E731
    counts = _counts(make_url())
    _log("数据：" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
    result = {"scale": scale, "backend": backend, "today": today.isoformat(), "runs": runs,
              "size": SCALES[scale], "years": years_for(today), "counts": counts,
              "prepare_s": round(gen_s, 1), "pages": [], "tasks": [],
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_before": [round(x, 2) for x in load_before]}}
    try:
        page_url = make_url()
        for role in roles:
            wanted = [p for p in role_pages(role) if not pages or p in pages]
            out = work / f"p-{role}.json"
            got = _child("bench.pages", ["--url", page_url, "--role", role, "--page", *wanted,
                                         "--runs", str(runs)], out, timeout * len(wanted))
            got = got if isinstance(got, list) else []
            by_page = {r.get("page"): r for r in got}
            for page in wanted:
                r = by_page.get(page) or {"failed": "进程异常退出或超时"}
                r.update(role=role, page=page)
                r["verdict"] = verdict(scale, r)
                result["pages"].append(r)
                _log(_page_line(r))
            write(result, partial=True)
        for name in tasks:
            out = work / f"t-{name}.json"
            r = _child("bench.tasks", ["--url", make_url(), "--task", name, "--runs", str(task_runs)],
                       out, timeout)
            r.update(task=name, label=LABELS[name])
            result["tasks"].append(r)
            _log(_task_line(r))
            write(result, partial=True)
    finally:
        if drop:
            drop()
    result["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["total_s"] = round(time.perf_counter() - t_start, 1)
    return result


def _counts(url: str) -> dict:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    out = {}
    with eng.connect() as c:
        for t in ("deputies", "letters", "activities", "opinions", "proposals", "attendance"):
            out[t] = int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar())
    eng.dispose()
    return out


def _page_line(r: dict) -> str:
    if r.get("failed"):
        return f"{r['role']:<10} {r['page']:<11} 失败：{r['failed']}"
    return (f"{r['role']:<10} {r['page']:<11} 冷 {r['cold']['cpu_med']:.3f}s CPU / {r['cold']['wall_med']:.3f}s "
            f"墙钟，热 {r['warm']['cpu_med']:.3f}s，服务 {r['cold_services']['cpu_med']:.3f}s，"
            f"峰值 {r['peak_mb']:.0f} MB {r['verdict']}")


def _task_line(r: dict) -> str:
    if r.get("failed"):
        return f"{r['label']} 失败：{r['failed']}"
    return f"{r['label']}：{r['cpu_med']:.2f}s CPU / {r['wall_med']:.2f}s 墙钟，{r['what']}，峰值 {r['peak_mb']:.0f} MB"


# ---------------------------------------------------------------- report


def markdown(res: dict) -> str:
    from services.common import PAGES

    scale, t = res["scale"], TARGETS[res["scale"]]
    c = res["counts"]
    m = res["machine"]
    lines = [
        f"### {scale}（{res['backend']}，{res['today']}）",
        "",
        f"数据：代表 {c['deputies']:,} 人，来信 {c['letters']:,} 件，联系活动 {c['activities']:,} 次，"
        f"意见 {c['opinions']:,} 条，议案建议 {c['proposals']:,} 件，出席记录 {c['attendance']:,} 条"
        f"（演示数据生成器，{res['years']} 年，准备 {res['prepare_s']} 秒）。"
        f"每页冷、热各 {res['runs']} 次；{m['cpus']} 核，"
        f"负载 {m['load_before'][0]} → {m['load_after'][0]}（1 分钟平均），共 {res['total_s']:.0f} 秒"
        + ("（运行未结束：以下为已测部分）" if res.get("partial") else "") + "。"
        + ("CPU 秒只含应用进程，不含数据库服务器进程。" if res["backend"] != "sqlite" else "")
        + (f"{res['note']}。" if res.get("note") else ""),
        "",
        "目标：" + "；".join(filter(None, [
            f"每页冷访问 CPU ≤ {t['page_cpu']} s",
            f"且 ≤ {t['floor_factor']} ×（空白页 + 本页服务调用）" if "floor_factor" in t else "",
            f"峰值内存 ≤ {t['peak_mb']} MB" if "peak_mb" in t else "",
            f"全年任务 ≤ {t['task_s']} s" if "task_s" in t else ""])) + "。",
        "",
        "| 角色 | 页面 | 冷 CPU 中位/p90 (s) | 冷 墙钟 中位/p90 (s) | 热 CPU 中位/p90 (s) | 空白页 CPU (s) | 本页服务 冷/热 CPU (s) | 下限 (s) | 峰值内存（本页增量）(MB) | 未达标 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["pages"]:
        title = PAGES[r["page"]][0]
        if r.get("failed"):
            lines.append(f"| {r['role']} | {title} | — | — | — | — | — | — | — | 未能测量：{r['failed'][:80]} |")
            continue
        co, w, e = r["cold"], r["warm"], r["empty"]
        lines.append(
            f"| {r['role']} | {title} | {co['cpu_med']:.3f} / {co['cpu_p90']:.3f} | {co['wall_med']:.3f} / "
            f"{co['wall_p90']:.3f} | {w['cpu_med']:.3f} / {w['cpu_p90']:.3f} | {e['cpu_med']:.3f} | "
            f"{r['cold_services']['cpu_med']:.3f} / {r['warm_services']['cpu_med']:.3f} | {floor_cpu(r):.3f} | "
            f"{r['peak_mb']:.0f} (+{max(0.0, r['peak_mb'] - r.get('rss_before_mb', r['peak_mb'])):.0f}) | "
            f"{r['verdict'] or '—'} |")
    if res["tasks"]:
        lines += ["", "| 全年任务 | CPU 中位 (s) | 墙钟 中位 (s) | 峰值内存 (MB) | 处理了 |", "|---|---|---|---|---|"]
        for r in res["tasks"]:
            if r.get("failed"):
                lines.append(f"| {r['label']} | — | — | — | 失败：{r['failed'][:100]} |")
            else:
                lines.append(f"| {r['label']} | {r['cpu_med']:.2f} | {r['wall_med']:.2f} | {r['peak_mb']:.0f} | {r['what']} |")
    return "\n".join(lines) + "\n"


def write(res: dict, partial: bool = False) -> Path:
    """Write the results (``partial``: while the run goes on, so a stopped run keeps what it has)."""
    if partial:
        res = {**res, "partial": True, "machine": {**res["machine"], "load_after": [round(x, 2) for x in os.getloadavg()]},
               "total_s": res.get("total_s", 0.0)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = res["scale"] + ("" if res["backend"] == "sqlite" else f"-{res['backend']}")
    (RESULTS / f"{name}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    md = RESULTS / f"{name}.md"
    md.write_text(markdown(res))
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _old, tail = rest.split(end, 1)
        readme.write_text(f"{head}{start}\n{markdown(res)}{end}{tail}")
    return md


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="代表联系选民工作平台的基准测试：各页面与全年任务")
    p.add_argument("--scale", choices=list(SCALES), default="district")
    p.add_argument("--runs", type=int, default=5, help="每页冷、热各访问几次（默认 5）")
    p.add_argument("--task-runs", type=int, default=3, help="每个全年任务运行几次（默认 3）")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL"),
                   help="PostgreSQL 管理库 URL：在其上另建数据库测量（默认 SQLite）")
    p.add_argument("--roles", nargs="*", default=list(ROLES), choices=ROLES)
    p.add_argument("--pages", nargs="*", help="只测这些页面（键名，如 dashboard mailbox）")
    p.add_argument("--tasks", nargs="*", default=list(TASKS), choices=TASKS)
    p.add_argument("--timeout", type=float, default=1800, help="每页/每个任务的最长秒数")
    a = p.parse_args(argv)
    res = run(a.scale, a.runs, a.pg_url, a.roles, a.pages, a.tasks, a.task_runs, a.timeout)
    md = write(res)
    _log(f"结果：{md} 与 .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
