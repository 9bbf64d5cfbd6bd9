"""Alembic environment: the URL comes from the caller (db.migrate) or DATABASE_URL."""

from alembic import context

from db import models
from db.engine import database_url, get_engine

config = context.config
target_metadata = models.Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection (batch mode for SQLite's ALTER limits)."""
    url = config.attributes.get("url") or database_url()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, url)
        return
    with get_engine(url).connect() as conn:
        _run(conn, url)


def _run(connection, url: str) -> None:  # noqa: ANN001
    """Configure the context on a connection and run the migrations in a transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    sqlite = url.startswith("sqlite")
    if sqlite:
        # SQLite's batch mode rebuilds a table (copy, DROP, rename): with foreign keys enforced the
        # DROP of a table that other rows reference fails (or cascades). Alembic's advice: switch
        # enforcement off for the migration (outside a transaction), then check every reference.
        if connection.in_transaction():
            connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"迁移后有 {len(broken)} 条记录的外键引用不存在：{broken[:5]}")
    finally:
        if sqlite:
            if connection.in_transaction():
                connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise SystemExit("offline mode is not supported")
run_migrations_online()
