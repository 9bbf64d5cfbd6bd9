"""Issue 16: MySQL/MariaDB must be utf8mb4 (init-db checks before creating anything and says how
to fix it); rare characters outside the BMP round-trip on all three databases."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from db import models
from db.engine import dispose_all, session_scope
from services import letters, masterdata
from tests.test_letters import _register


@pytest.fixture(autouse=True)
def _late_in_2026(travel) -> None:  # noqa: ANN001
    """The records here are dated in 2026 (up to November): the clock stands after them, whatever
    day the suite runs on (TEST_TODAY=2026-01-05 refused them as future dates)."""
    travel("2026-11-30")

RARE = "𠀀𡃁𪚥"  # outside the Basic Multilingual Plane (4 bytes in UTF-8)


def test_rare_characters_round_trip(world):
    with session_scope("admin", url=world.url) as s:
        g = masterdata.save_group(s, world.admin(), {"name": f"{RARE}代表组", "office_id": world.offices[0],
                                                    "liaison_name": f"王{RARE}"})
        gid = g.id
    lid = _register(world, summary=f"{RARE}路灯不亮", writer_name=f"张{RARE}")
    with session_scope("admin", url=world.url) as s:
        assert s.get(models.DeputyGroup, gid).name == f"{RARE}代表组"
        assert s.get(models.DeputyGroup, gid).liaison_name == f"王{RARE}"
        assert letters.reveal(s, world.admin(), lid)["来信人"] == f"张{RARE}"
        assert s.get(models.Letter, lid).summary == f"{RARE}路灯不亮"


def _mysql_server() -> str:
    server = os.environ.get("TEST_MYSQL_URL")
    if not server:
        pytest.skip("mysql: 未设置测试服务器地址（TEST_MYSQL_URL）")
    return server


@pytest.mark.parametrize("charset", ["utf8", "latin1"])
def test_init_db_refuses_a_database_that_is_not_utf8mb4(charset, monkeypatch, capsys):
    import manage

    server = _mysql_server()
    name = f"rddb_cs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} CHARACTER SET {charset}"))
    url = server.rsplit("/", 1)[0] + "/" + name + "?charset=utf8mb4"
    try:
        monkeypatch.setenv("DATABASE_URL", url)
        assert manage.main(["init-db"]) != 0
        err = capsys.readouterr().err
        assert "utf8mb4" in err and f"ALTER DATABASE `{name}` CHARACTER SET utf8mb4" in err
        with admin.connect() as c:  # nothing was created: it can be fixed and rerun
            n = c.execute(text("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = :n"),
                          {"n": name}).scalar()
            assert n == 0
            c.execute(text(f"ALTER DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        dispose_all()
        assert manage.main(["init-db"]) == 0
        with session_scope("admin", url=url) as s:
            s.add(models.Office(name=f"{RARE}办事处"))
        with session_scope(url=url) as s:
            assert s.query(models.Office).filter_by(name=f"{RARE}办事处").count() == 1
    finally:
        dispose_all()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def test_init_db_refuses_a_utf8mb3_connection(monkeypatch, capsys):
    import manage

    server = _mysql_server()
    name = f"rddb_cs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    try:
        monkeypatch.setenv("DATABASE_URL", server.rsplit("/", 1)[0] + "/" + name + "?charset=utf8")
        assert manage.main(["init-db"]) != 0
        assert "?charset=utf8mb4" in capsys.readouterr().err
    finally:
        dispose_all()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
