"""Benchmark: generate demo data at several scales and time the lists the pages run.

    python -m bench.lists                 # small and medium scales
    python -m bench.lists --scale small   # small only; --scale large adds 20,000 deputies / 1,000,000 letters
    python -m bench.lists --url sqlite:///big.db   # time the queries on an existing database only

Each scale is generated into a fresh temporary SQLite file, and also into a fresh PostgreSQL
(MySQL/MariaDB) database when TEST_PG_URL (TEST_MYSQL_URL) names a server, the same variables
the tests use; the temporary databases are dropped afterwards. Then each list below runs
``--repeat`` times and its first and best times are printed. The lists are the services' own
functions, called as the pages call them (a page of 20 rows plus the total count), so they count
what the app counts. Figures only: nothing here asserts a time.

The data are generated as of ``--today`` (default today); the lists, like the app, run on the
clock's today (``services.clock``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from db import models
from db.engine import dispose_all, get_engine, session_scope
from db.migrate import upgrade
from services import activities, clock, demo, hotissues, letters, mailboxes, masterdata, quarterly
from services.common import Actor, Page
from services.states import LetterStatus

SCALES: dict[str, dict] = {
    "small": {"offices": 6, "groups": 12, "districts": 40, "deputies": 180},
    "medium": {"offices": 12, "groups": 40, "districts": 150, "deputies": 2_000, "letters": 100_000},
    "large": {"offices": 30, "groups": 120, "districts": 600, "deputies": 20_000, "letters": 1_000_000},
}
ORDER = ["small", "medium", "large"]
PAGE = 20


@dataclass
class Result:
    """One timed line of the table."""

    scale: str
    backend: str
    what: str
    rows: int
    first: float
    best: float


# ---------------------------------------------------------------- databases


def _temp_database(backend: str, workdir: Path) -> tuple[str, Callable[[], None]] | None:
    """Create an empty database on ``backend``; return its URL and a function that drops it."""
    if backend == "sqlite":
        path = workdir / f"bench_{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}", lambda: None
    server = os.environ.get("TEST_PG_URL" if backend == "postgresql" else "TEST_MYSQL_URL")
    if not server:
        return None
    name = f"rddb_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        extra = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if backend == "mysql" else ""
        c.execute(text(f"CREATE DATABASE {name}{extra}"))
    url = server.rsplit("/", 1)[0] + "/" + name + ("?charset=utf8mb4" if backend == "mysql" else "")

    def drop() -> None:
        dispose_all()
        with admin.connect() as c:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            c.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()

    return url, drop


# ---------------------------------------------------------------- the lists


def queries(session: Session, today: date) -> list[tuple[str, Callable[[], int]]]:
    """The representative lists, as (Chinese label, function returning the list's total).

    Each calls the service function the page calls (a page of 20 rows plus the total), as the
    administrator sees it, so the figures time the app's own queries and count what it counts.
    """
    admin = Actor("bench", "admin", display_name="基准测试")
    L, O = models.Letter, models.Office
    year = today.year
    busiest = session.execute(select(L.group_id).group_by(L.group_id).order_by(func.count().desc()).limit(1)).scalar()
    office = session.execute(select(func.min(O.id))).scalar()
    qy, qq = quarterly.quarter_of(today)

    def total(page: Page) -> int:
        return int(page.total)

    return [
        ("来信列表：按代表组+状态筛选，一页及总数", lambda: total(letters.list_letters(
            session, admin, {"group_id": busiest, "status": LetterStatus.HANDLING}, 0, PAGE))),
        ("来信列表：按办事处+近一季度，一页及总数", lambda: total(letters.list_letters(
            session, admin, {"office_id": office, "period": (today - timedelta(days=91), today)}, 0, PAGE))),
        ("超期来信：一页及总数", lambda: total(letters.list_letters(session, admin, {"overdue": "超期"}, 0, PAGE))),
        ("代表搜索：姓名或拼音首字母，一页及总数", lambda: total(masterdata.list_deputies(
            session, admin, {"q": "张"}, 0, PAGE))),
        ("R1 各代表组达标情况（全部代表组）", lambda: len(activities.r1_by_group(session, admin, year))),
        ("R1 活动不足2次的代表：一页及总数", lambda: total(activities.r1_shortfall(session, admin, year, 0, PAGE))),
        ("热点问题：本年集中反映的问题", lambda: len(hotissues.concentrated(session, admin, year))),
        ("7天未开箱的信箱：一页及总数", lambda: total(mailboxes.list_unopened(session, admin, {}, 0, PAGE))),
        ("季度汇总：来信最多的代表组本季度", lambda: len(quarterly.summary(session, admin, busiest, qy, qq)["rows"])),
    ]


def _time(fn: Callable[[], int], repeat: int) -> tuple[int, float, float]:
    """Run ``fn`` ``repeat`` times; return its row count, first and best seconds."""
    times, rows = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t)
    return rows, times[0], min(times)


# ---------------------------------------------------------------- one scale on one backend


def run_one(scale: str, backend: str, url: str, repeat: int, today: date, seed: int,
            generate: bool = True) -> list[Result]:
    """Migrate, generate, and time the queries on one database (only time them when not ``generate``)."""
    out: list[Result] = []
    if generate:
        upgrade(url)
        t = time.perf_counter()
        cpu = time.process_time()
        counts = demo.generate(url, seed=seed, today=today, **SCALES[scale])
        gen = time.perf_counter() - t
        gen_cpu = time.process_time() - cpu
        total = sum(counts.values())
        out += [
            Result(scale, backend, f"生成演示数据（共{total:,}行；{total / gen:,.0f}行/秒，进程CPU {gen_cpu:.1f}秒）",
                   total, gen, gen),
            Result(scale, backend, f"其中来信 {counts.get('letters', 0):,} 件、来信记录 "
                                   f"{counts.get('letter_events', 0):,} 条、代表 {counts.get('deputies', 0):,} 人、"
                                   f"活动 {counts.get('activities', 0):,} 次",
                   counts.get("letters", 0), 0.0, 0.0),
        ]
    engine = get_engine(url)
    with engine.connect() as conn:
        if backend == "postgresql" or backend == "sqlite":
            conn.execute(text("ANALYZE"))
            conn.commit()
    with session_scope("bench", url=url) as session:
        for label, fn in queries(session, today):
            rows, first, best = _time(fn, repeat)
            out.append(Result(scale, backend, label, rows, first, best))
        session.rollback()  # the lists only read
    return out


def print_table(results: list[Result], file=sys.stdout) -> None:
    """Print the figures as an aligned text table."""
    head = ("规模", "数据库", "项目", "行数", "首次（秒）", "最快（秒）")
    rows = [(r.scale, r.backend, r.what, f"{r.rows:,}", f"{r.first:.3f}" if r.first else "",
             f"{r.best:.3f}" if r.best else "") for r in results]

    def width(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    widths = [max(width(x) for x in col) for col in zip(head, *rows, strict=True)]

    def line(cells: tuple) -> str:
        parts = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - width(c))
            parts.append(pad + c if i >= 3 else c + pad)
        return "  ".join(parts)

    print(line(head), file=file)
    print("-" * (sum(widths) + 2 * (len(widths) - 1)), file=file)
    for r in rows:
        print(line(r), file=file)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(description="演示数据生成与各页面列表查询基准测试")
    p.add_argument("--scale", choices=ORDER, default="medium",
                   help="最大规模：small 仅小规模；medium 小+中（默认）；large 小+中+大（2万代表、100万来信）")
    p.add_argument("--only", action="store_true", help="只跑 --scale 指定的一个规模")
    p.add_argument("--repeat", type=int, default=3, help="每个查询重复次数（默认3）")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--backends", default="sqlite,postgresql,mysql",
                   help="逗号分隔；PostgreSQL/MySQL 仅在设置 TEST_PG_URL/TEST_MYSQL_URL 时运行")
    p.add_argument("--url", help="只在这个已有数据库上计时查询（不生成数据），例如 sqlite:///data/app.db")
    p.add_argument("--today", help="演示数据按哪一天生成（YYYY-MM-DD，默认今天）；查询与页面一样按今天计算")
    args = p.parse_args(argv)
    today = date.fromisoformat(args.today) if args.today else clock.today()
    if args.url:
        backend = args.url.split(":", 1)[0].split("+", 1)[0]
        print_table(run_one("已有", backend, args.url, args.repeat, today, args.seed, generate=False))
        return 0
    scales = [args.scale] if args.only else ORDER[: ORDER.index(args.scale) + 1]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="rddb_bench_") as tmp:
        for scale in scales:
            for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
                made = _temp_database(backend, Path(tmp))
                if made is None:
                    continue
                url, drop = made
                print(f"[{time.strftime('%H:%M:%S')}] {scale} / {backend} …", file=sys.stderr, flush=True)
                try:
                    results.extend(run_one(scale, backend, url, args.repeat, today, args.seed))
                finally:
                    dispose_all()
                    drop()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
