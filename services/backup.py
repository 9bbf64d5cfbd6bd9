"""Backups of the whole database, and restoring them.

* SQLite: the sqlite3 online-backup API (a consistent copy of a live WAL database; never a file
  copy). The backup is itself a SQLite database file.
* PostgreSQL: ``pg_dump -Fc`` when the program is installed (restored with ``pg_restore``).
* Any backend (and MariaDB/MySQL always): a portable JSON-lines dump of every table of the data
  model: a header line, then one line per row. It restores into any backend, so it also moves
  data between SQLite, PostgreSQL and MariaDB.

``restore`` recognises the file's kind by its first bytes. A restore replaces every row of the
target database (it is meant for an empty or damaged database, or going back to a known state).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, Table, create_engine, make_url, select, text
from sqlalchemy.engine import Connection, Engine

from db import models, stats
from db.engine import dispose_all, get_engine
from services import clock
from services.common import ServiceError

FORMAT = "rddb-jsonl"
BATCH = 1000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"


class BackupError(ServiceError):
    """A backup or restore could not be done (message in Chinese)."""


def _sqlite_path(url: str) -> str:
    """The file path of a sqlite:/// URL."""
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("内存数据库无法备份。")
    return path


def _tables() -> list[Table]:
    """Every table of the data model, parents before children."""
    return list(models.Base.metadata.sorted_tables)


# ---------------------------------------------------------------- backup


def backup(url: str, path: str | Path, *, fmt: str | None = None) -> str:
    """Back up the database at ``url`` into ``path``; return a Chinese description of what was done.

    ``fmt``: None picks the best for the backend ("sqlite" for SQLite, "pg_dump" for PostgreSQL
    when installed, else "jsonl"); "jsonl" forces the portable dump.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if fmt is None:
        fmt = {"sqlite": "sqlite", "postgresql": "pg_dump" if shutil.which("pg_dump") else "jsonl"}.get(backend, "jsonl")
    if fmt == "sqlite":
        if backend != "sqlite":
            raise BackupError("只有 SQLite 数据库可以备份为 SQLite 文件，请改用 JSON 格式。")
        src_path = _sqlite_path(url)
        if not Path(src_path).exists():
            raise BackupError(f"数据库文件不存在：{src_path}")
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(src_path, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.replace(tmp, path)
        return f"已用 SQLite 在线备份接口备份到 {path}"
    if fmt == "pg_dump":
        _pg_dump(url, path)
        return f"已用 pg_dump 备份到 {path}"
    if fmt == "jsonl":
        n = _dump_jsonl(url, path)
        return f"已导出 {n} 行数据到 {path}（JSON 行格式）"
    raise BackupError(f"未知的备份格式：{fmt}")


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection string for pg_dump/pg_restore, and the environment carrying the password."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    conn = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conn, env


def _pg_dump(url: str, path: Path) -> None:
    """Run pg_dump in custom format."""
    conn, env = _libpq(url)
    tmp = path.with_suffix(path.suffix + ".part")
    res = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(tmp), "-d", conn],
                         env=env, capture_output=True, text=True, timeout=3600, check=False)
    if res.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError("pg_dump 备份失败：" + res.stderr.strip()[-500:])
    os.replace(tmp, path)


def _plain(value: object) -> object:
    """A column value as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _dump_jsonl(url: str, path: Path) -> int:
    """Write the header and every row of every table; return the row count."""
    engine = create_engine(url)
    tmp = path.with_suffix(path.suffix + ".part")
    n = 0
    try:
        with engine.connect() as conn, open(tmp, "w", encoding="utf-8") as out:
            if engine.dialect.name == "postgresql" or engine.dialect.name == "mysql":
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            header = {"format": FORMAT, "version": 1, "created": clock.now().isoformat(timespec="seconds"),
                      "backend": engine.dialect.name, "tables": [t.name for t in _tables()],
                      "alembic": _alembic_revision(conn)}
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for table in _tables():
                pk = list(table.primary_key.columns)
                result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                    select(table).order_by(*pk))
                for row in result.mappings():
                    out.write(json.dumps({"t": table.name, "r": {k: _plain(v) for k, v in row.items()}},
                                         ensure_ascii=False) + "\n")
                    n += 1
    finally:
        engine.dispose()
    os.replace(tmp, path)
    return n


def _alembic_revision(conn: Connection) -> str | None:
    """The database's Alembic revision, when it has one."""
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database without Alembic is fine
        conn.rollback()
        return None


# ---------------------------------------------------------------- restore


def detect(path: str | Path) -> str:
    """Return "sqlite", "pg_dump" or "jsonl" for a backup file, or raise BackupError."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PG_MAGIC):
        return "pg_dump"
    if head.startswith(b"{"):
        try:
            with open(path, "rb") as f:
                first = json.loads(f.readline(1_000_000))
        except ValueError:
            first = {}
        if first.get("format") == FORMAT:
            return "jsonl"
    raise BackupError("无法识别的备份文件（应为本系统生成的 SQLite、pg_dump 或 JSON 行格式备份）。")


def restore(url: str, path: str | Path) -> str:
    """Replace the contents of the database at ``url`` with the backup in ``path``.

    The target must already have the schema (``manage.py init-db``). Returns a Chinese
    description of what was done.
    """
    before = _data_version(url)
    try:
        return _restore(url, path)
    finally:
        _advance_data_version(url, before)


def _data_version(url: str) -> int:
    """The data version before a restore (0 when the database has none yet)."""
    from db import dataversion

    try:
        with get_engine(url).connect() as conn:
            return int(conn.execute(select(dataversion.T.c.n).where(dataversion.T.c.id == 1)).scalar() or 0)
    except Exception:  # noqa: BLE001 - a database without the table yet
        return 0


def _advance_data_version(url: str, before: int) -> None:
    """After a restore, move the data version past every number seen before it (caches of figures
    keyed by an older number must not be served for the restored data)."""
    from db import dataversion

    dispose_all()
    try:
        with get_engine(url).begin() as conn:
            dataversion.move_past(conn, before)
        stats.analyze_url(url)  # a bulk load (a pg_dump carries no planner statistics)
    except Exception:  # noqa: BLE001 - a restore that failed half-way already raised its own error
        pass


def _restore(url: str, path: str | Path) -> str:
    """The restore itself (see ``restore``)."""
    kind = detect(path)
    backend = make_url(url).get_backend_name()
    dispose_all()
    if kind == "pg_dump":
        if backend != "postgresql" or not shutil.which("pg_restore"):
            raise BackupError("pg_dump 格式的备份只能用 pg_restore 恢复到 PostgreSQL 数据库。")
        _pg_restore(url, Path(path))
        return f"已用 pg_restore 从 {path} 恢复"
    if kind == "sqlite" and backend == "sqlite":
        src = sqlite3.connect(str(path))
        dst = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return f"已从 SQLite 备份 {path} 恢复"
    if kind == "sqlite":
        source = create_engine(f"sqlite:///{Path(path).resolve()}")
        try:
            n = _load(url, _rows_of_engine(source))
        finally:
            source.dispose()
        return f"已从 SQLite 备份 {path} 恢复 {n} 行数据"
    n = _load(url, _rows_of_jsonl(Path(path)))
    return f"已从 {path} 恢复 {n} 行数据"


def _pg_restore(url: str, path: Path) -> None:
    """Run pg_restore, dropping what the dump recreates."""
    conn, env = _libpq(url)
    res = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                          "-d", conn, str(path)], env=env, capture_output=True, text=True, timeout=3600,
                         check=False)
    if res.returncode != 0:
        raise BackupError("pg_restore 恢复失败：" + res.stderr.strip()[-500:])


def _rows_of_jsonl(path: Path) -> Iterator[tuple[str, dict]]:
    """(table, row) pairs of a JSON-lines dump, after checking its header."""
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline())
        if header.get("format") != FORMAT:
            raise BackupError("不是本系统的 JSON 行格式备份。")
        known = {t.name for t in _tables()}
        missing = [t for t in header.get("tables", []) if t not in known]
        if missing:
            raise BackupError("备份中有当前版本没有的数据表：" + "、".join(missing) + "，请先升级系统。")
        for line in f:
            if line.strip():
                item = json.loads(line)
                yield item["t"], item["r"]


def _rows_of_engine(engine: Engine) -> Iterator[tuple[str, dict]]:
    """(table, row) pairs of every model table of another database."""
    with engine.connect() as conn:
        for table in _tables():
            for row in conn.execute(select(table)).mappings():
                yield table.name, {k: _plain(v) for k, v in row.items()}


def _decode(table: Table, row: dict) -> dict:
    """Turn JSON values back into the column types (dates, datetimes); unknown columns are dropped."""
    out = {}
    for col in table.columns:
        if col.name not in row:
            continue
        v = row[col.name]
        if isinstance(v, str):
            if isinstance(col.type, DateTime):
                v = datetime.fromisoformat(v)
            elif isinstance(col.type, Date):
                v = date.fromisoformat(v[:10])
        out[col.name] = v
    return out


def _self_refs(table: Table) -> list[str]:
    """Columns of ``table`` that reference the table itself (inserted empty, filled afterwards)."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _load(url: str, rows: Iterator[tuple[str, dict]]) -> int:
    """Delete every row of the target, then insert ``rows``, all in one transaction."""
    tables = {t.name: t for t in _tables()}
    engine = create_engine(url)
    n = 0
    try:
        with engine.begin() as conn:
            mysql = engine.dialect.name == "mysql"
            if mysql:
                conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in reversed(_tables()):
                conn.execute(table.delete())
            batch: list[dict] = []
            current: Table | None = None
            later: list[tuple[Table, dict]] = []

            def flush() -> None:
                if current is not None and batch:
                    conn.execute(current.insert(), batch)
                    batch.clear()

            for name, raw in rows:
                table = tables[name]
                if table is not current:
                    flush()
                    current = table
                row = _decode(table, raw)
                refs = [c for c in _self_refs(table) if row.get(c) is not None]
                if refs:
                    # keep columns with an onupdate (updated_at) as they were, or the update would stamp them
                    keep = {c.name: row.get(c.name) for c in table.columns if c.onupdate is not None}
                    later.append((table, {c: row[c] for c in refs} | keep
                                  | {"__pk": row[table.primary_key.columns.keys()[0]]}))
                    row = {**row, **dict.fromkeys(refs)}
                batch.append(row)
                n += 1
                if len(batch) >= BATCH:
                    flush()
            flush()
            for table, values in later:
                pk_col = table.primary_key.columns.values()[0]
                pk = values.pop("__pk")
                conn.execute(table.update().where(pk_col == pk).values(**values))
            if mysql:
                conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
            if engine.dialect.name == "postgresql":
                _reset_sequences(conn)
    finally:
        engine.dispose()
    return n


def _reset_sequences(conn: Connection) -> None:
    """After inserting explicit ids, move each serial sequence past the largest id (PostgreSQL)."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(text(f"SELECT setval('{seq}', COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))


def table_counts(url: str) -> dict[str, int]:
    """Row count of every table (to compare a database before and after a restore)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(text("count(*)")).select_from(t)).scalar_one() for t in _tables()}
    finally:
        engine.dispose()
