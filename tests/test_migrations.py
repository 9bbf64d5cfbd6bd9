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
