"""Time the whole-year tasks, one per process (its peak memory is that task's alone).

    python -m bench.tasks --url sqlite:///copy.db --task scores --runs 3 --out r.json

Each task calls the services the app calls for it, as the administrator:

- ``scores``: every deputy's score of last year (``scoring.compute``, no cache);
- ``spotcheck``: a spot check of last quarter over every active group, as a supervisor does it:
  封存 (``spotchecks.build_rule`` + ``seal_check``: the eligible list frozen, fingerprint and record
  states stored) and, the next day, 开签 with the lottery value (``open_check``: the sample drawn);
  a live check of the same groups blocks a new 封存, so on the bench's copy the checks still open
  are marked 已完成 at the start of each run (one UPDATE);
- ``quarterly``: the largest group's summary of last quarter (``quarterly.summary``) and its .docx;
- ``import``: 10,000 new deputies from a template file (``deputy_io.import_deputies``), once (a
  second run of the same file would only find them all unchanged), with the import cap
  (``import_max_rows``, 5,000 by default) raised to the file's size for the run;
- ``export``: the letters list exported as 导出 Excel does (``letters.list_letters`` up to the
  export cap, the table's frame, ``excel.to_xlsx``), at most 100,000 letters;
- ``deadlines``: every open letter's deadlines recomputed (``letters.recompute_deadlines``), as a
  change of ``letter_deadlines`` on 系统设置 does.

Tasks that write run on a copy (``bench.run`` hands each its own database) and commit.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import peak_mb, rss_mb, summary, timed  # noqa: E402

TASKS = ("scores", "spotcheck", "quarterly", "import", "export", "deadlines")
LABELS = {
    "scores": "一年全部代表评分", "spotcheck": "一个季度的抽查（封存并抽取）", "quarterly": "一个代表组的季度汇总",
    "import": "导入10,000名代表", "export": "导出来信（至多100,000件）", "deadlines": "重算全部办理期限",
}
EXPORT_LETTERS = 100_000
IMPORT_DEPUTIES = 10_000


def _admin():  # noqa: ANN202
    from services.common import Actor

    return Actor("admin", "admin", display_name="系统管理员")


def _last_quarter() -> tuple[int, int]:
    from services import clock, quarterly

    return quarterly.last_quarter(clock.today())


def task(name: str, url: str) -> tuple:
    """(function to time, what it handled): the task ``name`` on ``url``."""
    from sqlalchemy import func, select

    from db import models as M
    from db.engine import session_scope
    from services import clock, letters, quarterly, scoring, spotchecks

    admin = _admin()
    if name == "scores":
        year = clock.today().year - 1

        def run() -> str:
            with session_scope("bench", url=url) as s:
                rk = scoring.compute(s, scoring.current_rubric_id(s), year)
                return f"{year}年 {len(rk.deputies):,} 人"
        return run
    if name == "spotcheck":
        y, q = _last_quarter()
        lo, hi = quarterly.quarter_bounds(y, q)
        n = [0]

        def finish_open_checks() -> None:
            """On the bench's copy: checks still 已封存/检查中 count as finished (else no new 封存)."""
            from sqlalchemy import update

            from services.states import SpotCheckStatus as S
            with session_scope("bench", url=url) as s:
                s.execute(update(M.SpotCheck).where(M.SpotCheck.status.in_([S.SEALED, S.CHECKING]))
                          .values(status=S.DONE))

        def run() -> str:
            from datetime import timedelta

            n[0] += 1
            now = clock.now()
            finish_open_checks()
            with session_scope("bench", url=url) as s:
                rule = spotchecks.build_rule(s, admin, period_start=lo, period_end=hi, kinds=list(spotchecks.KINDS))
                check = spotchecks.seal_check(s, admin, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                                              source_ref=f"2099{n[0]:03d}", source_due=now.date() + timedelta(days=1),
                                              reason=f"基准测试第{n[0]}次", at=now)
                spotchecks.open_check(s, admin, check.id, value="03 07 12 19 25 31 09", at=now + timedelta(days=1))
                sampled = s.execute(select(func.count()).select_from(M.SpotCheckItem)
                                    .where(M.SpotCheckItem.check_id == check.id)).scalar()
                return (f"{y}年第{q}季度，{len(rule['groups'])} 个代表组，封存 {len(check.eligible or []):,} 条，"
                        f"抽取 {sampled} 条")
        return run
    if name == "quarterly":
        y, q = _last_quarter()
        with session_scope("bench", url=url) as s:
            gid = s.execute(select(M.Deputy.group_id).group_by(M.Deputy.group_id)
                            .order_by(func.count().desc()).limit(1)).scalar()

        def run() -> str:
            with session_scope("bench", url=url) as s:
                summ = quarterly.summary(s, admin, gid, y, q)
                doc = quarterly.to_docx(summ)
                return f"{y}年第{q}季度，代表组 {gid}，{len(doc):,} 字节"
        return run
    if name == "import":
        data = _deputies_file(url, IMPORT_DEPUTIES)
        from services import deputy_io, settings

        def run() -> str:
            with session_scope("bench", url=url) as s, settings.pinned({"import_max_rows": IMPORT_DEPUTIES}):
                report = deputy_io.import_deputies(s, admin, data)
                errs = getattr(report, "errors", None)
                return f"{report.total:,} 行，新增 {report.created:,} 人，问题 {len(errs) if errs else 0} 行"
        return run
    if name == "export":
        from components.table import _fmt_frame
        from services.excel import to_xlsx

        def run() -> str:
            with session_scope("bench", url=url) as s:
                page = letters.list_letters(s, admin, {}, 0, EXPORT_LETTERS, reveal_all=True)
            frame = _fmt_frame(page.rows).drop(columns=["id"])
            data = to_xlsx({"来信": frame}, title="来信", notes=letters.export_notes(admin))
            return f"{len(page.rows):,} 件（共 {page.total:,} 件），{len(data) / 2**20:.1f} MB"
        return run
    if name == "deadlines":
        def run() -> str:
            with session_scope("bench", url=url) as s:
                n = letters.recompute_deadlines(s, None)
                return f"重算 {n:,} 件来信"
        return run
    raise KeyError(name)


def _deputies_file(url: str, n: int) -> bytes:
    """A filled deputies template: ``n`` new deputies spread over the existing groups and districts."""
    import random

    import pandas as pd
    from sqlalchemy import select

    from db import models as M
    from db.engine import session_scope
    from services.deputy_io import DEPUTY_COLUMNS
    from services.excel import to_xlsx

    with session_scope("bench", url=url) as s:
        pairs = s.execute(select(M.DeputyGroup.name, M.District.name)
                          .join(M.District, M.District.group_id == M.DeputyGroup.id)
                          .where(M.DeputyGroup.active.is_(True))).all()
    rng = random.Random(18)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂"
    rows = []
    for i in range(n):
        g, d = pairs[i % len(pairs)]
        rows.append([rng.choice(surnames) + rng.choice(given) + rng.choice(given) + f"{i:05d}"[-2:].translate(
            str.maketrans("0123456789", "零一二三四五六七八九")), rng.choice("男女"), 1960 + i % 40, "群众",
            "某公司职员", f"139{i:08d}", g, d])
    buf = to_xlsx({"代表名单": pd.DataFrame(rows, columns=DEPUTY_COLUMNS)}, text_columns=("联系电话",))
    return buf if isinstance(buf, bytes) else io.BytesIO(buf).getvalue()


def measure(name: str, url: str, runs: int) -> dict:
    if name == "import":
        runs = 1  # a second import of the same file updates nothing: only the first is an import
    base = rss_mb()
    fn = task(name, url)
    samples, what = [], ""
    for _ in range(runs):
        s, what = timed(fn)
        samples.append(s)
    return {"task": name, "label": LABELS[name], "what": what, **summary(samples),
            "rss_before_mb": round(base, 1), "peak_mb": round(peak_mb(), 1), "day": date.today().isoformat()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    try:
        result = measure(a.task, a.url, a.runs)
    except Exception as e:  # noqa: BLE001 - a task that fails is a finding
        result = {"task": a.task, "label": LABELS[a.task], "failed": f"{type(e).__name__}: {e}"[:500]}
    Path(a.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
