"""Migrating a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from db.engine import ROOT, database_url


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config for ``url`` (default: DATABASE_URL)."""
    cfg = Config(str(Path(ROOT) / "alembic.ini"))
    cfg.set_main_option("script_location", str(Path(ROOT) / "db" / "migrations"))
    cfg.attributes["url"] = url or database_url()
    return cfg


def upgrade(url: str | None = None) -> None:
    """Migrate the database to the newest revision (creates every table on an empty one)."""
    command.upgrade(alembic_config(url), "head")
