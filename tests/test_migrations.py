"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db import models
from db.engine import get_engine
from db.migrate import upgrade


def test_migrated_schema_matches_the_models(db_url):
    with get_engine(db_url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(ctx, models.Base.metadata)
    assert diffs == []


def test_upgrade_is_idempotent_and_creates_every_table(sqlite_url):
    upgrade(sqlite_url)  # a second run changes nothing
    tables = set(inspect(get_engine(sqlite_url)).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_a_populated_sqlite_database_of_the_first_release_upgrades_with_its_rows_kept(tmp_path):
    """An office that ran the 0003 schema upgrades to the newest one: SQLite rebuilds tables that
    other rows reference (opinions, selections, spot checks …) and nothing is lost or refused."""
    import sqlite3

    from alembic import command

    from db.engine import dispose_all
    from db.migrate import alembic_config
    from services import demo
    from tests.test_demo import SMALL

    world, old = tmp_path / "world.db", tmp_path / "old.db"
    upgrade(f"sqlite:///{world}")
    demo.generate(f"sqlite:///{world}", seed=7, **SMALL)
    command.upgrade(alembic_config(f"sqlite:///{old}"), "0003")
    dispose_all()
    con = sqlite3.connect(old)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute(f"ATTACH DATABASE '{world}' AS w")
    counts = {}
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                        "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'")]
    for t in tables:
        cols = ", ".join(f'"{r[1]}"' for r in con.execute(f'PRAGMA main.table_info("{t}")'))
        verb = "INSERT OR REPLACE" if t == "data_versions" else "INSERT OR IGNORE"
        con.execute(f'{verb} INTO main."{t}" ({cols}) SELECT {cols} FROM w."{t}"')
    # rows the old schema cannot hold (a check sealed but not yet drawn) are dropped with their
    # dependants, so the copy is a database the 0003 release could have written
    while broken := con.execute("PRAGMA main.foreign_key_check").fetchall():
        for table, rowid, _parent, _fk in broken:
            con.execute(f'DELETE FROM main."{table}" WHERE rowid = ?', (rowid,))
    for t in tables:
        counts[t] = con.execute(f'SELECT count(*) FROM main."{t}"').fetchone()[0]
    con.commit()
    con.close()
    assert counts["opinions"] and counts["opinion_events"] and counts["letters"]

    upgrade(f"sqlite:///{old}")  # raised "FOREIGN KEY constraint failed" at 0004 before
    dispose_all()
    con = sqlite3.connect(old)
    for t, n in counts.items():
        assert con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] == n, t
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    head = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    con.close()
    assert head == models_head()


def models_head() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
