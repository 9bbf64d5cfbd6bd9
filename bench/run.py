"""Benchmark: generate demo data at several scales and time the lists the pages run.

    python -m bench.run                 # small and medium scales
    python -m bench.run --scale small   # small only; --scale large adds 20,000 deputies / 1,000,000 letters
    python -m bench.run --url sqlite:///big.db   # time the queries on an existing database only

Each scale is generated into a fresh temporary SQLite file, and also into a fresh PostgreSQL
(MySQL/MariaDB) database when TEST_PG_URL (TEST_MYSQL_URL) names a server, the same variables
the tests use; the temporary databases are dropped afterwards. Then each query below runs
``--repeat`` times and its first and best times are printed. The queries are written here in
SQLAlchemy Core, shaped like the services' lists (a page of 20 rows plus the total count) and
served by the indexes of db/models.py. Figures only: nothing here asserts a time.
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

from sqlalchemy import and_, case, create_engine, func, or_, select, text
from sqlalchemy.engine import Connection

from db import models
from db.engine import dispose_all, get_engine
from db.migrate import upgrade
from services import clock, demo

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


# ---------------------------------------------------------------- the queries


def _page_and_count(conn: Connection, stmt) -> int:
    """Run one page of ``stmt`` and its total count (what every list of the app does)."""
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    conn.execute(stmt.limit(PAGE)).all()
    return int(total)


def queries(conn: Connection, today: date) -> list[tuple[str, Callable[[], int]]]:
    """The representative lists, as (Chinese label, function returning the row count)."""
    L, G, Mb, D = models.Letter, models.DeputyGroup, models.Mailbox, models.Deputy
    A, AD, O = models.Activity, models.ActivityDeputy, models.Office
    year = today.year
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    busiest = conn.execute(select(L.group_id).group_by(L.group_id).order_by(func.count().desc()).limit(1)).scalar()
    office = conn.execute(select(func.min(O.id))).scalar()

    def letters_by_group_status() -> int:
        stmt = (select(L.id, L.code, L.received_on, Mb.name, G.name, D.name, L.category, L.status, L.summary)
                .join(Mb, Mb.id == L.mailbox_id).join(G, G.id == L.group_id).outerjoin(D, D.id == L.deputy_id)
                .where(L.group_id == busiest, L.status == "办理中")
                .order_by(L.received_on.desc(), L.id.desc()))
        return _page_and_count(conn, stmt)

    def letters_by_office_quarter() -> int:
        stmt = (select(L.id, L.code, L.received_on, L.category, L.status)
                .where(L.office_id == office, L.received_on.between(today - timedelta(days=91), today))
                .order_by(L.received_on.desc(), L.id.desc()))
        return _page_and_count(conn, stmt)

    def letters_overdue() -> int:
        stmt = (select(L.id, L.code, L.received_on, L.resolve_due)
                .where(L.status.not_in(("已反馈", "不予受理", "已合并")), L.resolve_due < today)
                .order_by(L.resolve_due, L.id))
        return _page_and_count(conn, stmt)

    def deputy_search() -> int:
        stmt = (select(D.id, D.name, D.pinyin, G.name, D.status).join(G, G.id == D.group_id)
                .where(or_(D.name.like("张%"), D.pinyin.like("zw%"))).order_by(D.pinyin, D.id))
        return _page_and_count(conn, stmt)

    def activity_counts_per_deputy() -> int:
        counts = (select(AD.deputy_id.label("deputy_id"), func.count(A.id).label("n"))
                  .join(A, A.id == AD.activity_id).where(A.held_on.between(lo, hi))
                  .group_by(AD.deputy_id).subquery())
        n = func.coalesce(counts.c.n, 0)
        stmt = (select(D.id, D.name, G.name, n.label("n")).join(G, G.id == D.group_id)
                .outerjoin(counts, counts.c.deputy_id == D.id)
                .where(D.status == "在任").order_by(G.name, D.id))
        return len(conn.execute(stmt).all())

    def r1_shortfall_page() -> int:
        counts = (select(AD.deputy_id.label("deputy_id"), func.count(A.id).label("n"))
                  .join(A, A.id == AD.activity_id).where(A.held_on.between(lo, hi))
                  .group_by(AD.deputy_id).subquery())
        n = func.coalesce(counts.c.n, 0)
        stmt = (select(D.id, D.name, G.name, n.label("n")).join(G, G.id == D.group_id)
                .outerjoin(counts, counts.c.deputy_id == D.id)
                .where(D.status == "在任", n < 2).order_by(G.name, n, D.id))
        return _page_and_count(conn, stmt)

    def hot_issues() -> int:
        stmt = (select(L.category, L.district_id, func.count(), func.count(func.distinct(L.writer_phone)))
                .where(L.received_on.between(lo, hi)).group_by(L.category, L.district_id)
                .order_by(func.count().desc()))
        return len(conn.execute(stmt).all())

    def mailboxes_not_opened() -> int:
        last = (select(models.MailboxOpening.mailbox_id, func.max(models.MailboxOpening.opened_on).label("last"))
                .group_by(models.MailboxOpening.mailbox_id).subquery())
        stmt = (select(Mb.id, Mb.name, last.c.last).outerjoin(last, last.c.mailbox_id == Mb.id)
                .where(or_(last.c.last.is_(None), last.c.last < today - timedelta(days=7))))
        return len(conn.execute(stmt).all())

    def letter_states_per_group() -> int:
        closed = case((L.status.in_(("已反馈", "不予受理", "已合并")), 1), else_=0)
        stmt = (select(L.group_id, func.count(), func.sum(closed))
                .where(and_(L.received_on >= lo, L.received_on <= hi)).group_by(L.group_id))
        return len(conn.execute(stmt).all())

    return [
        ("来信列表：按代表组+状态筛选，一页及总数", letters_by_group_status),
        ("来信列表：按办事处+近一季度，一页及总数", letters_by_office_quarter),
        ("超期来信：一页及总数", letters_overdue),
        ("代表搜索：姓名或拼音首字母，一页及总数", deputy_search),
        ("本年每位在任代表的活动次数（全部）", activity_counts_per_deputy),
        ("R1 活动不足2次的代表：一页及总数", r1_shortfall_page),
        ("热点问题：本年来信按类别×选区计数", hot_issues),
        ("7天未开箱的信箱", mailboxes_not_opened),
        ("本年各代表组来信及办结数", letter_states_per_group),
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
        for label, fn in queries(conn, today):
            rows, first, best = _time(fn, repeat)
            out.append(Result(scale, backend, label, rows, first, best))
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
    p = argparse.ArgumentParser(description="演示数据生成与列表查询基准测试")
    p.add_argument("--scale", choices=ORDER, default="medium",
                   help="最大规模：small 仅小规模；medium 小+中（默认）；large 小+中+大（2万代表、100万来信）")
    p.add_argument("--only", action="store_true", help="只跑 --scale 指定的一个规模")
    p.add_argument("--repeat", type=int, default=3, help="每个查询重复次数（默认3）")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--backends", default="sqlite,postgresql,mysql",
                   help="逗号分隔；PostgreSQL/MySQL 仅在设置 TEST_PG_URL/TEST_MYSQL_URL 时运行")
    p.add_argument("--url", help="只在这个已有数据库上计时查询（不生成数据），例如 sqlite:///data/app.db")
    p.add_argument("--today", help="查询按哪一天计算（YYYY-MM-DD，默认今天；应与生成数据时一致）")
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
