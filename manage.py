"""运维命令：初始化数据库、生成演示数据、管理账号、导入导出代表、备份与恢复。

The database is the one DATABASE_URL names (default: the SQLite file of ``make run``).
Exit status 0 on success; non-zero with a Chinese message on standard error otherwise.
Uses the same services as the web pages.
"""

from __future__ import annotations

import argparse
import getpass
import inspect
import os
import sys
import time
from pathlib import Path

# argparse's own English phrases, in Chinese
_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值",
    "invalid %(type)s value: %(value)r": "无效的%(type)s值：%(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}
argparse._ = lambda s: _ZH.get(s, s)

DEMO_ROLES = ("admin", "staff", "supervisor", "leader")
CLI_USER = "命令行"


class CommandError(Exception):
    """A failure to report on standard error (in Chinese) with a non-zero exit status (``code``)."""

    code = 1


class NothingToCheck(CommandError):
    """What was to be checked is not there (no such spot check, no such or no readable file): exit 2,
    told apart from a mismatch (exit 1)."""

    code = 2


def _url() -> str:
    """The database URL (DATABASE_URL or the default SQLite file)."""
    from db.engine import database_url

    return database_url()


def _shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def _actor():
    """The operator as services see it: an administrator named 命令行."""
    from services.common import Actor

    return Actor(CLI_USER, "admin", display_name="命令行")


def _require_schema(url: str) -> None:
    """Refuse to work on a database that was never initialised."""
    from sqlalchemy import inspect as sa_inspect

    from db.engine import get_engine

    if not sa_inspect(get_engine(url)).has_table("deputies"):
        raise CommandError(f"数据库尚未初始化，请先运行：python manage.py init-db（数据库：{_shown_url(url)}）")


# ---------------------------------------------------------------- commands


def cmd_init_db(args: argparse.Namespace) -> None:
    """Migrate the database to the newest schema."""
    from db.migrate import CharsetError, upgrade

    url = _url()
    try:
        upgrade(url)
    except CharsetError as exc:
        raise CommandError(str(exc)) from exc
    print(f"数据库已迁移到最新结构：{_shown_url(url)}")
    _fill_opinion_deadlines(url)


def _fill_opinion_deadlines(url: str) -> None:
    """Open opinions without due dates (recorded before Alembic 0004) get them now (once)."""
    from sqlalchemy import select

    from db import models
    from db.engine import session_scope
    from services import opinions

    O = models.Opinion
    with session_scope(CLI_USER, url=url) as s:
        ids = list(s.execute(select(O.id).where(O.status.in_(list(opinions.OPEN)), O.resolve_due.is_(None))).scalars())
        if ids:
            opinions.recompute_deadlines(s, ids)
            print(f"已为 {len(ids)} 条未办结群众意见计算办理期限")


def cmd_calendar(args: argparse.Namespace) -> None:
    """Import a 工作日历 file (.xlsx / .csv: 日期, 类型, 名称) and recompute every open due date."""
    from db.engine import session_scope
    from services import calendars

    url = _url()
    _require_schema(url)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}")
    with session_scope(CLI_USER, url=url) as s:
        saved = calendars.import_file(s, _actor(), path.read_bytes(), path.name, note=args.note or "",
                                      how="命令行导入")
    print(saved.message())


def _has_data(url: str) -> bool:
    """True when the database already holds master data."""
    from sqlalchemy import func, select

    from db import models
    from db.engine import session_scope

    with session_scope(url=url) as s:
        return bool(s.execute(select(func.count()).select_from(models.Office)).scalar_one())


def cmd_demo(args: argparse.Namespace) -> None:
    """Fill the database with deterministic demo data (services.demo.generate)."""
    url = _url()
    _require_schema(url)
    if _has_data(url):
        if args.if_empty:
            print("数据库中已有数据，跳过生成演示数据。")
            return
        raise CommandError("数据库中已有数据，演示数据只能生成到空数据库中（或使用 --if-empty 跳过）。")
    from services import demo
    sizes = {k: v for k, v in vars(args).items() if k in _SIZE_ARGS and v is not None}
    for item in args.size or []:
        key, _, value = item.partition("=")
        if not value.isdigit():
            raise CommandError(f"--size 的格式应为 名称=数字，例如 letters=1000000（收到：{item}）")
        sizes[key] = int(value)
    if args.seed is not None:
        sizes["seed"] = args.seed
    params = inspect.signature(demo.generate).parameters
    unknown = [k for k in sizes if k not in params]
    if unknown:
        raise CommandError("演示数据生成器不支持这些参数：" + "、".join(unknown))
    if sys.stderr.isatty():
        def progress(share: float, what: str) -> None:
            print(f"\r生成演示数据：{share:4.0%} {what}      ", end="", file=sys.stderr, flush=True)

        sizes["progress"] = progress
    started = time.monotonic()
    try:
        counts = demo.generate(url, **sizes)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if sys.stderr.isatty():
        print(file=sys.stderr)
    took = time.monotonic() - started
    if isinstance(counts, dict) and counts:
        from db.audit import ENTITY_NAMES
        from db.models import Base

        names = {m.class_.__tablename__: ENTITY_NAMES.get(m.class_.__name__, m.class_.__tablename__)
                 for m in Base.registry.mappers}
        detail = "，".join(f"{names.get(k, k)} {v}" for k, v in counts.items() if v)
        print(f"演示数据已生成（用时 {took:.1f} 秒）：{detail}")
    else:
        print(f"演示数据已生成（用时 {took:.1f} 秒）。")


_SIZE_ARGS = ("deputies", "offices", "groups", "districts", "letters", "activities", "years")


def demo_accounts(url: str) -> list[tuple[str, str, str]]:
    """The demo accounts that still have the demo password: (username, role, scope)."""
    from sqlalchemy import select

    from db import models
    from db.engine import session_scope
    from services import auth
    from services.common import ROLE_NAMES

    out = []
    with session_scope(url=url) as s:
        users = s.execute(select(models.User).where(models.User.username.in_(DEMO_ROLES),
                                                    models.User.active.is_(True))).scalars().all()
        for u in sorted(users, key=lambda u: DEMO_ROLES.index(u.username)):
            if not auth.check_password(auth.DEMO_PASSWORD, u.password_hash):
                continue
            scope = ""
            if u.group_id:
                scope = f"（仅限{s.get(models.DeputyGroup, u.group_id).name}）"
            elif u.office_id:
                scope = f"（仅限{s.get(models.Office, u.office_id).name}）"
            out.append((u.username, ROLE_NAMES[u.role], scope))
    return out


def cmd_accounts(args: argparse.Namespace) -> None:
    """Print the demo accounts (only when demo data with the demo password is present)."""
    from services import auth

    url = _url()
    _require_schema(url)
    accounts = demo_accounts(url)
    if not accounts:
        print("没有使用演示密码的演示账号（生产数据库不含演示账号）。")
        return
    print(f"演示账号（密码均为 {auth.DEMO_PASSWORD}，仅用于演示数据）：")
    for username, role, scope in accounts:
        print(f"  {username:<11} {role}{scope}")


def cmd_create_user(args: argparse.Namespace) -> None:
    """Create a login account."""
    from sqlalchemy import select

    from db import models
    from db.engine import session_scope
    from services import auth
    from services.common import ValidationError

    url = _url()
    _require_schema(url)
    password = args.password or os.environ.get("NEW_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CommandError("请用 --password 或环境变量 NEW_PASSWORD 提供密码。")
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            raise CommandError("两次输入的密码不一致。")
    with session_scope(CLI_USER, url=url) as s:
        office_id = group_id = None
        if args.office:
            office_id = s.execute(select(models.Office.id).where(models.Office.name == args.office)).scalar()
            if office_id is None:
                raise CommandError(f"办事处“{args.office}”不存在。")
        if args.group:
            g = s.execute(select(models.DeputyGroup).where(models.DeputyGroup.name == args.group)).scalar()
            if g is None:
                raise CommandError(f"代表组“{args.group}”不存在。")
            group_id, office_id = g.id, office_id or g.office_id
        try:
            user = auth.create_user(s, None, {"username": args.username, "display_name": args.name or args.username,
                                              "role": args.role, "office_id": office_id, "group_id": group_id,
                                              "password": password})
        except ValidationError as exc:
            raise CommandError("未创建账号：" + "；".join(exc.errors.values())) from exc
        print(f"已创建账号 {user.username}（{args.role}）。")


def cmd_unlock(args: argparse.Namespace) -> None:
    """Unlock an account locked by failed logins (recorded in 操作日志)."""
    from db.engine import session_scope
    from services import auth
    from services.common import ValidationError

    url = _url()
    _require_schema(url)
    try:
        with session_scope(CLI_USER, url=url) as s:
            was = auth.unlock(s, None, args.username)
    except ValidationError as exc:
        raise CommandError("；".join(exc.errors.values()) + "。") from exc
    state = "已解除其登录锁定" if was else "该账号未被锁定，已清除此前的登录失败记录"
    print(f"账号 {args.username.strip().lower()}：{state}（已记入操作日志）。")


def _report_import(report, unit: str) -> None:
    """Print an import report; raise CommandError when rows were bad."""
    if report.errors:
        lines = [report.summary(unit)]
        lines += [f"  第{e['行号']}行 {e.get('姓名', e.get('代表组', ''))}：{e['问题']}" for e in report.errors]
        raise CommandError("\n".join(lines))
    print(report.summary(unit))


def cmd_import(args: argparse.Namespace) -> None:
    """Import deputies or groups from an .xlsx file (all rows or none)."""
    from db.engine import session_scope
    from services import deputy_io, imports
    from services.common import ServiceError

    url = _url()
    _require_schema(url)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}")
    data = path.read_bytes()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r已处理 {done}/{total}", end="", file=sys.stderr, flush=True)

    try:
        with session_scope(CLI_USER, url=url) as s:
            fn = deputy_io.import_deputies if args.kind == "deputies" else deputy_io.import_groups
            # the same file content is imported once, as on the page (services.imports)
            report = imports.import_once(s, _actor(), args.kind, data, path.name, lambda: fn(s, _actor(), data, progress))
            if report.errors:
                s.rollback()
    except ServiceError as exc:
        raise CommandError(str(exc)) from exc
    if sys.stderr.isatty():
        print(file=sys.stderr)
    _report_import(report, "人" if args.kind == "deputies" else "个")


def cmd_export(args: argparse.Namespace) -> None:
    """Export deputies or groups to an .xlsx file in the import template's columns."""
    from db.engine import session_scope
    from services import deputy_io

    url = _url()
    _require_schema(url)
    with session_scope(CLI_USER, url=url) as s:
        data = deputy_io.export_deputies(s, _actor()) if args.kind == "deputies" else deputy_io.export_groups(s, _actor())
    path = Path(args.file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"已导出到 {path}")


def cmd_backup(args: argparse.Namespace) -> None:
    """Back up the whole database."""
    from services import backup

    url = _url()
    try:
        print(backup.backup(url, args.path, fmt=args.format))
    except (backup.BackupError, OSError) as exc:
        raise CommandError(f"备份失败：{exc}") from exc


def cmd_analyze(args: argparse.Namespace) -> None:
    """Gather the query planner's statistics (db.stats)."""
    from db import stats

    url = _url()
    _require_schema(url)
    tables = stats.refresh_if_stale(url) if args.stale else stats.analyze_url(url)
    print(f"已更新 {len(tables)} 张表的查询统计信息" + (f"：{'、'.join(tables)}" if tables else "（均无需更新）"))


def cmd_restore(args: argparse.Namespace) -> None:
    """Replace the database's contents with a backup."""
    from services import backup

    url = _url()
    _require_schema(url)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("恢复会覆盖数据库中的全部数据；确认无误请加 --yes。")
        answer = input(f"恢复将覆盖 {_shown_url(url)} 中的全部数据，输入 yes 继续：")
        if answer.strip().lower() != "yes":
            raise CommandError("已取消恢复。")
    try:
        print(backup.restore(url, args.path))
    except (backup.BackupError, OSError) as exc:
        raise CommandError(f"恢复失败：{exc}") from exc


def cmd_spotcheck(args: argparse.Namespace) -> None:
    """Re-derive spot checks from what they stored: 一致 / 不一致 per check."""
    from db.engine import session_scope
    from services import spotchecks

    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise NothingToCheck(f"找不到文件：{path}")
        ok, text = spotchecks.verify_export(path.read_bytes())
        print(text)
        if ok is None:
            raise NothingToCheck("无法复核：文件不是导出的抽查记录")
        if not ok:
            raise CommandError("导出文件中的抽查不一致")
        return
    url = _url()
    _require_schema(url)
    if not args.all and not args.ids:
        raise CommandError("请给出抽查编号，或用 --all 复核全部抽查，或用 --file 复核导出的 Excel 文件。")
    with session_scope(CLI_USER, url=url) as s:
        lines = spotchecks.verify_lines(s, None if args.all else args.ids)
    if not lines:
        print("没有抽查记录。")
        return
    for _cid, _ok, text in lines:
        print(text)
    bad = [cid for cid, ok, _ in lines if ok is False]
    missing = [cid for cid, ok, _ in lines if ok is None]
    done = len(lines) - len(missing)
    if done:
        print(f"共复核 {done} 次抽查，一致 {done - len(bad)} 次，不一致 {len(bad)} 次"
              + (f"；找不到 {len(missing)} 次。" if missing else "。"))
    if bad:
        raise CommandError("不一致的抽查：" + "、".join(f"第{c}号" for c in bad))
    if missing:
        raise NothingToCheck("找不到抽查：" + "、".join(f"第{c}号" for c in missing))


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser with Chinese help."""
    p = argparse.ArgumentParser(
        prog="manage.py", description="代表联系选民工作平台运维命令。数据库由环境变量 DATABASE_URL 指定（默认 data/app.db）。",
    )
    sub = p.add_subparsers(dest="command", metavar="命令", required=True)

    s = sub.add_parser("init-db", help="创建或升级数据库结构（Alembic 迁移到最新版本）")
    s.set_defaults(func=cmd_init_db)

    s = sub.add_parser("unlock", help="解除账号的登录锁定（登录失败次数过多时）")
    s.add_argument("username", help="用户名")
    s.set_defaults(func=cmd_unlock)

    s = sub.add_parser("demo", help="生成演示数据（可指定随机种子和规模）")
    s.add_argument("--if-empty", action="store_true", help="数据库已有数据时跳过（不报错）")
    s.add_argument("--seed", type=int, help="随机种子，相同种子生成相同数据（默认 2026）")
    s.add_argument("--deputies", type=int, help="代表人数")
    s.add_argument("--offices", type=int, help="办事处个数")
    s.add_argument("--groups", type=int, help="代表组个数")
    s.add_argument("--districts", type=int, help="选区个数")
    s.add_argument("--letters", type=int, help="来信件数")
    s.add_argument("--activities", type=int, help="联系活动次数")
    s.add_argument("--years", type=float, help="生成多少年的记录（默认 1.5）")
    s.add_argument("--size", action="append", metavar="名称=数字", help="其他规模参数，可重复")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("accounts", help="列出演示账号（仅当存在使用演示密码的演示账号时）")
    s.set_defaults(func=cmd_accounts)

    s = sub.add_parser("create-user", help="创建登录账号")
    s.add_argument("username", help="用户名（3–32位小写字母、数字、下划线、点或短横线）")
    s.add_argument("--role", required=True, choices=["admin", "staff", "supervisor", "leader"],
                   help="角色：admin 系统管理员、staff 工作人员、supervisor 督查人员、leader 领导")
    s.add_argument("--name", help="姓名（显示名）")
    s.add_argument("--office", help="工作人员负责的办事处名称")
    s.add_argument("--group", help="工作人员负责的代表组名称")
    s.add_argument("--password", help="密码（也可用环境变量 NEW_PASSWORD，或在终端中输入）")
    s.set_defaults(func=cmd_create_user)

    s = sub.add_parser("import", help="从 .xlsx 导入代表或代表组（有一行出错则全部不导入）")
    s.add_argument("kind", choices=["deputies", "groups"], help="deputies 代表，groups 代表组")
    s.add_argument("file", metavar="FILE.xlsx", help="Excel 文件")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("export", help="导出代表或代表组到 .xlsx（与导入模板列相同）")
    s.add_argument("kind", choices=["deputies", "groups"], help="deputies 代表，groups 代表组")
    s.add_argument("file", metavar="FILE.xlsx", help="要写入的 Excel 文件")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("calendar", help="工作日历：导入国务院放假调休安排（.xlsx 或 .csv，列：日期、类型、名称）")
    csub = s.add_subparsers(dest="action", metavar="操作", required=True)
    c = csub.add_parser("import", help="导入文件中各年度的放假、调休上班日期，并重新计算所有未办结事项的期限")
    c.add_argument("file", metavar="FILE", help=".xlsx 或 .csv 文件")
    c.add_argument("--note", help="依据（通知文号）")
    c.set_defaults(func=cmd_calendar)

    s = sub.add_parser("backup", help="备份整个数据库")
    s.add_argument("path", metavar="PATH", help="备份文件路径")
    s.add_argument("--format", choices=["sqlite", "pg_dump", "jsonl"],
                   help="备份格式（默认：SQLite 用在线备份，PostgreSQL 用 pg_dump，其他用 JSON 行格式）")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("spotcheck", help="抽查：verify 按公布的复现方法重新抽取，核对样本是否一致",
                       description="退出状态：0 一致；1 不一致；2 找不到该抽查或文件，或文件不是导出的抽查记录。")
    s.add_argument("action", choices=["verify"], help="verify 复核")
    s.add_argument("ids", nargs="*", type=int, metavar="ID", help="抽查编号（可多个）")
    s.add_argument("--all", action="store_true", help="复核全部抽查")
    s.add_argument("--file", metavar="FILE.xlsx", help="复核“导出 Excel”得到的抽查文件（不需要数据库）")
    s.set_defaults(func=cmd_spotcheck)

    s = sub.add_parser("analyze", help="更新查询统计信息（ANALYZE；大批量载入后或定期运行）")
    s.add_argument("--stale", action="store_true", help="只更新行数变化超过五分之一或尚无统计的表")
    s.set_defaults(func=cmd_analyze)

    s = sub.add_parser("restore", help="从备份恢复（覆盖数据库中的全部数据）")
    s.add_argument("path", metavar="PATH", help="备份文件路径")
    s.add_argument("--yes", action="store_true", help="不再询问，直接恢复")
    s.set_defaults(func=cmd_restore)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CommandError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - operators get a Chinese line, not a traceback
        from services.common import ServiceError

        if isinstance(exc, ServiceError):
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        print(f"错误：命令执行失败（{type(exc).__name__}: {exc}）", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
