"""Migrating a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, make_url, text

from db.engine import ROOT, database_url


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config for ``url`` (default: DATABASE_URL)."""
    cfg = Config(str(Path(ROOT) / "alembic.ini"))
    cfg.set_main_option("script_location", str(Path(ROOT) / "db" / "migrations"))
    cfg.attributes["url"] = url or database_url()
    return cfg


class CharsetError(RuntimeError):
    """A MySQL/MariaDB database or connection that cannot store every Chinese character."""


def check_charset(url: str | None = None) -> None:
    """On MySQL/MariaDB, refuse (CharsetError, in Chinese, saying how to fix it) a database,
    connection or existing table that is not utf8mb4: utf8/utf8mb3 loses rare characters outside
    the BMP (𠀀, 𡃁 in names) and latin1 loses Chinese altogether. Other backends: nothing to check."""
    url = url or database_url()
    u = make_url(url)
    if u.get_backend_name() != "mysql":
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            db_cs, conn_cs = conn.execute(text("SELECT @@character_set_database, @@character_set_connection")).one()
            bad_tables = [t for (t,) in conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_collation IS NOT NULL AND table_collation NOT LIKE 'utf8mb4%'"))]
    finally:
        engine.dispose()
    name = u.database or "数据库名"
    problems = []
    if db_cs != "utf8mb4":
        problems.append(f"数据库 {name} 的字符集是 {db_cs}，不是 utf8mb4。请先执行："
                        f"ALTER DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;")
    if conn_cs != "utf8mb4":
        problems.append(f"连接字符集是 {conn_cs}：请在 DATABASE_URL 末尾加上 ?charset=utf8mb4。")
    if bad_tables:
        shown = "、".join(bad_tables[:5]) + ("等" if len(bad_tables) > 5 else "")
        problems.append(f"已有数据表 {shown} 不是 utf8mb4：请逐表执行 ALTER TABLE 表名 CONVERT TO CHARACTER SET "
                        "utf8mb4 COLLATE utf8mb4_unicode_ci;，或删除这些表后重新运行 init-db。")
    if problems:
        raise CharsetError("MySQL/MariaDB 数据库必须使用 utf8mb4 字符集，否则生僻字（如“𠀀”）无法保存。"
                           + " ".join(problems) + " 未创建或修改任何数据表。")


def upgrade(url: str | None = None) -> None:
    """Check the character set (MySQL/MariaDB), then migrate the database to the newest revision
    (creates every table on an empty one)."""
    check_charset(url)
    command.upgrade(alembic_config(url), "head")
