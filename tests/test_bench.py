"""The benchmark measures the app's own pages and tasks (issue 18). Figures are never asserted:
these tests check that a page is timed with its floors and that a task handles what it says."""

from __future__ import annotations

import json

from db.engine import dispose_all
from db.migrate import upgrade
from services import demo


def _demo(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    demo.generate(url, deputies=40, offices=2, groups=4, districts=8, letters=300)
    dispose_all()
    return url


def test_a_page_is_timed_with_its_floors(tmp_path, monkeypatch):
    """工作台 for the office's staff: cold and warm visits, the empty page and the page's own service
    calls from the same process, the peak memory; no error on the page."""
    from bench import pages

    url = _demo(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    svc = pages.prepare(url)
    try:
        assert svc.n_wrapped > 100  # every services function is wrapped
        r = pages.measure(url, "staff", "dashboard", 2, 120, svc)
    finally:
        svc.uninstall()
    from services import scoring

    assert not hasattr(scoring.compute, "__bench_original__")  # the services are themselves again
    assert r["errors"] == 0, r["error_samples"]
    assert r["cold"]["n"] == 2 and r["warm"]["n"] == 2 and r["empty"]["n"] == 2
    assert r["cold_services"]["cpu_med"] > 0  # the page's figures come from services
    # the peak (reset before the page) and the resident size are read from two sources that round
    # differently: both are recorded, the peak within a megabyte of the size before the page at least
    assert r["rss_before_mb"] > 0 and r["peak_mb"] >= r["rss_before_mb"] - 1


def test_the_run_writes_its_tables(tmp_path, monkeypatch):
    """bench.run's report: one row per page timed, the tasks with what they handled, JSON beside it."""
    from bench import run, tasks

    url = _demo(tmp_path)
    out = tmp_path / "t.json"
    assert tasks.main(["--url", url, "--task", "deadlines", "--runs", "1", "--out", str(out)]) == 0
    t = json.loads(out.read_text())
    assert "failed" not in t and t["what"].startswith("重算 ")
    res = {"scale": "district", "backend": "sqlite", "today": "2026-06-15", "runs": 1, "years": 1.5,
           "counts": {k: 1 for k in ("deputies", "letters", "activities", "opinions", "proposals", "attendance")},
           "prepare_s": 0, "total_s": 1, "machine": {"cpus": 2, "load_before": [1.0], "load_after": [1.0]},
           "pages": [{"role": "admin", "page": "users", "failed": "超时"}], "tasks": [{**t, "label": "重算"}]}
    md = run.markdown(res)
    assert "| admin | 用户管理 |" in md and "未能测量" in md and "| 重算 |" in md


def test_a_capped_export_says_what_it_holds():
    """An export above the cap says how many of how many rows it holds (not the total alone)."""
    from components.table import EXPORT_MAX, export_count

    assert export_count(12, 12, "件") == "共 12 件"
    capped = export_count(1_000_000, EXPORT_MAX, "件")
    assert capped.startswith("共 1,000,000 件，本表只含按列表顺序的前 200,000 件")


def test_every_whole_year_task_runs_against_the_current_services(tmp_path, monkeypatch):
    """Each task of bench.tasks calls the services as they are now (a task written against an older
    API, or stopped by a new limit such as the import cap, reports 失败 instead of a figure)."""
    from bench import tasks

    monkeypatch.setattr(tasks, "IMPORT_DEPUTIES", 60)  # the import cap is raised to the file's size
    monkeypatch.setattr(tasks, "EXPORT_LETTERS", 200)
    url = _demo(tmp_path)
    for name in tasks.TASKS:
        out = tmp_path / f"{name}.json"
        assert tasks.main(["--url", url, "--task", name, "--runs", "2", "--out", str(out)]) == 0
        t = json.loads(out.read_text())
        assert "failed" not in t, (name, t.get("failed"))


def test_every_page_of_the_menu_is_found_by_the_benchmark():
    """bench.pages times each page of the menu through its module in pages/ (工作日历's file is
    pages/workcalendar.py: the district table said "未能测量" for it)."""
    import importlib

    from bench import pages
    from services.common import PAGES

    for key in PAGES:
        module = importlib.import_module(f"pages.{pages.MODULE_FILES.get(key, key)}")
        assert callable(module.render), key


def test_the_concurrency_table_says_what_the_server_and_the_machine_spent():
    """Each level of bench.concurrency reports the server's CPU beside the machine's (the rest is
    the browsers'), read from /proc: both grow while this process works."""
    import os

    from bench import concurrency

    cpu0, busy0 = concurrency.server_cpu(os.getpid()), concurrency.machine_busy()
    sum(i * i for i in range(3_000_000))
    assert concurrency.server_cpu(os.getpid()) > cpu0 and concurrency.machine_busy() > busy0
    level = {"users": 20, "elapsed_s": 30.0, "failed": [], "load": 9.0, "server_cpu_s": 12.5,
             "machine_cpu_s": 58.0, "dashboard_s": {"n": 20, "median": 9.0, "p90": 12.0, "max": 13.0}}
    md = concurrency.markdown({"scale": "district", "today": "2026-06-15", "cpus": 2, "load_before": 0.5,
                               "load_after": 9.0, "levels": [level]})
    assert "| 20 | 9.0 / 12.0 / 13.0 | — | 30.0 | 12.5 | 58.0 | 0 |" in md
