"""What every part of the benchmark shares: the scales, the generated databases, timing helpers.

The data come from the demo generator (``services.demo.generate``), deterministic from the seed
and the day it is generated on; each scale's SQLite file is kept in ``bench/out/`` and reused on
the same day (``bench/out`` is not committed). Work that writes (cold visits, imports) runs on a
copy, so the kept file is never changed.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"
SEED = 2026

# deputies, offices, groups, districts, letters (None: the generator's ~3 per deputy and year);
# years None = the whole term so far (services.demo.max_years: 1 January four years back to today)
SCALES: dict[str, dict] = {
    "district": {"deputies": 200, "offices": 6, "groups": 12, "districts": 40, "letters": None},
    "city": {"deputies": 1_000, "offices": 12, "groups": 40, "districts": 150, "letters": 50_000},
    "stress": {"deputies": 20_000, "offices": 30, "groups": 120, "districts": 600, "letters": 1_000_000},
}


def years_for(today) -> float:  # noqa: ANN001
    """The generator's longest span: every calendar year of the one term it writes (five, the
    current one up to today)."""
    from services import demo

    return demo.max_years(today)


@dataclass
class Sample:
    """One timed run: CPU seconds of the whole process, wall seconds."""

    cpu: float
    wall: float


def timed(fn: Callable[[], object]) -> tuple[Sample, object]:
    """Run ``fn`` once; its CPU (process, all threads) and wall seconds, and its result."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return Sample(time.process_time() - c0, time.perf_counter() - w0), out


def p90(xs: list[float]) -> float:
    """The 90th percentile (nearest rank) of ``xs``."""
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, int(round(0.9 * len(s) + 0.5)) - 1))]


def summary(samples: list[Sample]) -> dict:
    """Median and p90 of CPU and wall seconds."""
    if not samples:
        return {}
    cpu, wall = [s.cpu for s in samples], [s.wall for s in samples]
    return {"n": len(samples), "cpu_med": statistics.median(cpu), "cpu_p90": p90(cpu),
            "wall_med": statistics.median(wall), "wall_p90": p90(wall)}


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------- databases


def sqlite_data(scale: str, today, log: Callable[[str], None] = print) -> Path:  # noqa: ANN001
    """The generated SQLite file of ``scale`` as of ``today`` (generated once a day, then reused)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{scale}-{SEED}-{today.isoformat()}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".part")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    url = f"sqlite:///{tmp}"
    took = generate(url, scale, today)
    log(f"生成 {scale} 数据：{took:.0f} 秒")
    _checkpoint(url)
    tmp.rename(path)
    return path


def generate(url: str, scale: str, today) -> float:  # noqa: ANN001
    """Migrate ``url`` and fill it with the demo data of ``scale``; return the seconds it took."""
    from db.engine import dispose_all
    from db.migrate import upgrade
    from services import demo

    upgrade(url)
    size = {k: v for k, v in SCALES[scale].items() if v is not None}
    t0 = time.perf_counter()
    demo.generate(url, seed=SEED, years=years_for(today), today=today, **size)
    took = time.perf_counter() - t0
    dispose_all()
    return took


def _checkpoint(url: str) -> None:
    """Fold the WAL into the file, so that a copy of the file alone is the whole database."""
    eng = create_engine(url)
    with eng.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()


def sqlite_copy(src: Path, workdir: Path) -> str:
    """A private copy of a generated file; its URL."""
    dst = workdir / f"work-{uuid.uuid4().hex[:6]}.db"
    shutil.copyfile(src, dst)
    return f"sqlite:///{dst}"


def pg_database(server: str, scale: str, today) -> tuple[str, Callable[[], None]]:  # noqa: ANN001
    """A fresh PostgreSQL database on ``server`` filled with ``scale``; its URL and a dropper."""
    name = f"rddb_bench_{scale}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    url = server.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        from db.engine import dispose_all

        dispose_all()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    generate(url, scale, today)
    return url, drop
