"""Time the pages of one role through Streamlit's AppTest, in a process of their own.

    python -m bench.pages --url sqlite:///x.db --role staff --page dashboard --runs 5 --out r.json

Run by ``bench.run`` once per role, for all of the role's pages one after the other; before each
page the process's peak resident memory is reset (``/proc/self/clear_refs``), so the peak it reports
(VmHWM) is the highest during that page: the memory the process held when the page began (which
keeps what earlier pages left behind: Python seldom hands memory back) plus what the page added;
``rss_before_mb`` is the first, so the page's own increment is the difference. For each page, in
the same process:

- floor 1, an empty page: the same app, login check and menu, with the page's ``render``
  replaced by one that draws nothing (and, for reference, ``bare``: a script that only sets the
  page config, Streamlit's own cost);
- the page itself, logged in as the demo account of the role (app.py, its login check, the menu
  and the page): ``first`` is the first visit of the process; ``cold`` visits each follow a write
  (the data version moves on, as after any user's save, so every cache keyed by it misses);
  ``warm`` visits repeat the page with nothing written;
- floor 2, the page's service calls alone: every function of ``services.*`` is wrapped while the
  page runs, and the CPU and wall seconds of the outermost service calls (a service calling
  another counts once) are added up per visit. These are the very calls the page makes, with the
  arguments it makes them with, so the floor cannot drift from the page. The shell's own service
  calls (login check, menu) are in the empty page already: the floor is empty page + (the page's
  service seconds − the empty page's).

CPU seconds are those of the whole process (all threads), wall seconds the elapsed time; the
service floor uses the CPU time of the thread that runs the page. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Sample, rss_mb, summary, timed  # noqa: E402


def reset_peak() -> bool:
    """Reset this process's peak resident memory (Linux); True when it could."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_now_mb() -> float:
    """This process's peak resident memory since the last reset, MB (VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0

EMPTY = "import streamlit as st\nst.set_page_config(page_title='空白页', layout='wide')\n"


class ServiceClock:
    """Adds up the time spent in the outermost calls of ``services.*`` functions."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.cpu = 0.0
        self.wall = 0.0
        self.calls = 0
        self.replaced: list[tuple[object, str, object]] = []

    def reset(self) -> None:
        self.cpu = self.wall = 0.0
        self.calls = 0

    def wrap(self, fn):  # noqa: ANN001, ANN201
        clock = self

        @functools.wraps(fn)
        def timed_call(*a, **kw):  # noqa: ANN002, ANN003, ANN202
            depth = getattr(clock.local, "depth", 0)
            if depth:
                return fn(*a, **kw)
            clock.local.depth = 1
            c0, w0 = time.thread_time(), time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                clock.cpu += time.thread_time() - c0
                clock.wall += time.perf_counter() - w0
                clock.calls += 1
                clock.local.depth = 0

        timed_call.__bench_original__ = fn
        return timed_call

    def install(self) -> int:
        """Wrap every function defined in a ``services`` module, where the services themselves and
        the pages, components and app name it. Returns how many functions were wrapped."""
        import importlib
        import pkgutil

        import components
        import pages
        import services

        for pkg in (services, components, pages):
            for info in pkgutil.iter_modules(pkg.__path__):
                importlib.import_module(f"{pkg.__name__}.{info.name}")
        wrapped: dict[int, object] = {}
        for name, mod in list(sys.modules.items()):
            if not name.startswith("services.") or name == "services.clock":
                continue
            for attr, obj in list(vars(mod).items()):
                if inspect.isfunction(obj) and obj.__module__ == name and not attr.startswith("__"):
                    wrapped.setdefault(id(obj), self.wrap(obj))
                    self.replaced.append((mod, attr, obj))
                    setattr(mod, attr, wrapped[id(obj)])
        for name, mod in list(sys.modules.items()):
            if name.split(".")[0] not in ("pages", "components", "services"):
                continue
            for attr, obj in list(vars(mod).items()):
                if inspect.isfunction(obj) and id(obj) in wrapped:
                    self.replaced.append((mod, attr, obj))
                    setattr(mod, attr, wrapped[id(obj)])
        return len(wrapped)

    def uninstall(self) -> None:
        """Put every wrapped function back."""
        while self.replaced:
            mod, attr, obj = self.replaced.pop()
            setattr(mod, attr, obj)


def _bump(url: str) -> None:
    """A write, as far as caches can tell: move the data version on."""
    from db import dataversion
    from db.engine import get_engine

    with get_engine(url).begin() as conn:
        dataversion.bump(conn)


def _login(role: str, timeout: float):  # noqa: ANN202
    """An AppTest of app.py logged in as the demo account ``role`` (as tests/conftest.app_as)."""
    from streamlit.testing.v1 import AppTest

    from services import clock

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = role
    at.session_state["name"] = role
    at.session_state["session_started_at"] = clock.now()
    return at


def _goto(at, page: str) -> None:  # noqa: ANN001
    """Point the AppTest at the page registered under ``page``'s url path (not run yet)."""
    from services.common import URL_PATHS

    for page_hash, info in at._registered_pages.items():  # noqa: SLF001
        if info.get("url_pathname") == URL_PATHS[page]:
            at._page_hash = page_hash  # noqa: SLF001
            return
    raise KeyError(f"{page} 不在该角色的菜单中")


def prepare(url: str) -> ServiceClock:
    """Point the app at ``url``, run its statistics check, wrap the services."""
    os.environ["DATABASE_URL"] = url
    from db import stats

    # what the app's background statistics check (db.stats.start_schedule) would do at start, done
    # before the clock runs, so that its thread does not compete with the timed visits
    stats.refresh_if_stale(url)
    stats._started.add(url)  # noqa: SLF001
    svc = ServiceClock()
    svc.n_wrapped = svc.install()
    return svc


MODULE_FILES = {"calendar": "workcalendar"}  # page key -> module file in pages/, where they differ


def measure(url: str, role: str, page: str, runs: int, timeout: float, svc: ServiceClock) -> dict:
    """The figures of one page for one role (see the module docstring)."""
    from streamlit.testing.v1 import AppTest

    n_wrapped = svc.n_wrapped
    import gc

    gc.collect()
    base = rss_mb()
    reset_peak()

    bare = AppTest.from_string(EMPTY, default_timeout=timeout)
    bare.run()
    bare_runs = [timed(bare.run)[0] for _ in range(runs)]

    import importlib

    # the page's module (app.MODULES): named after the page key, except 工作日历's
    module = importlib.import_module(f"pages.{MODULE_FILES.get(page, page)}")
    at = _login(role, timeout)
    at.run()  # the app shell: its first run registers the role's pages
    _goto(at, page)
    errors: list[str] = []
    real_render = module.render
    module.render = lambda: None
    try:
        at.run()
        empty_runs, empty_svc = [], []
        for _ in range(runs):
            svc.reset()
            empty_runs.append(timed(at.run)[0])
            empty_svc.append(Sample(svc.cpu, svc.wall))
    finally:
        module.render = real_render

    def visit() -> Sample:
        svc.reset()
        sample, _ = timed(at.run)
        errors.extend(str(e.value)[:200] for e in at.exception)
        return sample, Sample(svc.cpu, svc.wall)

    _bump(url)
    first, first_svc = visit()
    cold, cold_svc, warm, warm_svc = [], [], [], []
    for _ in range(runs):
        _bump(url)
        s, v = visit()
        cold.append(s)
        cold_svc.append(v)
    for _ in range(runs):
        s, v = visit()
        warm.append(s)
        warm_svc.append(v)
    return {
        "role": role, "page": page, "runs": runs, "wrapped_functions": n_wrapped,
        "empty": summary(empty_runs), "bare": summary(bare_runs),
        "empty_services": summary(empty_svc), "first": {"cpu": first.cpu, "wall": first.wall,
                                                 "svc_cpu": first_svc.cpu, "svc_wall": first_svc.wall},
        "cold": summary(cold), "cold_services": summary(cold_svc),
        "warm": summary(warm), "warm_services": summary(warm_svc),
        "errors": len(errors), "error_samples": sorted(set(errors))[:3],
        "rss_before_mb": round(base, 1), "peak_mb": round(peak_now_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--page", nargs="+", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    svc = prepare(a.url)
    results = []
    for page in a.page:
        try:
            result = measure(a.url, a.role, page, a.runs, a.timeout, svc)
        except Exception as e:  # noqa: BLE001 - a page that cannot be timed is a finding, not a crash
            result = {"role": a.role, "page": page, "failed": f"{type(e).__name__}: {e}"[:500]}
        results.append(result)
        Path(a.out).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
