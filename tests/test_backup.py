"""Backup then restore gives back the same rows, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, select

from db import dataversion, models
from db.engine import dispose_all, session_scope
from db.migrate import upgrade
from services import backup, masterdata
from services.common import Actor


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every model table, ordered by primary key."""
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            if table.name == "data_versions":  # a restore moves it on (see the test below)
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    engine.dispose()
    return out


def add_variety(world) -> None:
    """Rows with JSON, dates, booleans, text, a self-reference and an audit trail."""
    admin = Actor("admin", "admin")
    with session_scope("admin", url=world.url) as s:
        masterdata.save_deputy(s, admin, {"name": "备份测试", "phone": "13700000099", "group_id": world.groups[0],
                                          "district_id": world.districts[0], "birth_year": 1966})
        act = models.Activity(held_on=date(2026, 3, 5), place="社区“议事厅”\n二楼", district_id=world.districts[0],
                              group_id=world.groups[0], office_id=world.offices[0], organiser="代表个人",
                              kind="问需", targets=["一般选民", "低收入家庭"], mode="走访慰问", voters_reached=12,
                              summary="走访 <b>居民</b>，收集意见。", typical=True)
        s.add(act)
        s.flush()
        s.add(models.ActivityDeputy(activity_id=act.id, deputy_id=world.deputies[0]))
        first = models.Letter(code="L-1", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                              group_id=world.groups[0], office_id=world.offices[0], received_on=date(2026, 4, 1),
                              summary="路灯不亮", category="城乡建设", writer_phone="13800001111")
        s.add(first)
        s.flush()
        dup = models.Letter(code="L-2", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                            group_id=world.groups[0], office_id=world.offices[0], received_on=date(2026, 4, 2),
                            summary="同上", category="城乡建设", status="已合并")
        s.add(dup)
        s.flush()
        first.merged_into_id = dup.id  # a forward self-reference (row inserted before its target)
        s.add(models.Setting(key="r1_min_activities", value=3))


@pytest.mark.parametrize("fmt", [None, "jsonl"])
def test_backup_then_restore_gives_the_same_rows(world, tmp_path, fmt):
    add_variety(world)
    before = snapshot(world.url)
    assert before["deputies"] and before["audit_log"] and before["letters"]
    target = tmp_path / "backup.bin"
    msg = backup.backup(world.url, target, fmt=fmt)
    assert str(target) in msg
    # damage the database: delete a deputy's audit, change a name, add a row
    with session_scope("vandal", url=world.url) as s:
        s.get(models.Deputy, world.deputies[0]).name = "被改了"
        s.add(models.Office(name="多出来的办事处"))
    assert snapshot(world.url) != before
    with session_scope("t", url=world.url) as s:
        version = dataversion.current(s)
    backup.restore(world.url, target)
    dispose_all()
    assert snapshot(world.url) == before
    with session_scope("t", url=world.url) as s:
        # figures cached under an earlier number are never served for the restored data
        assert dataversion.current(s) > version
    # the database works normally after a restore (ids continue after the largest one)
    with session_scope("admin", url=world.url) as s:
        o = models.Office(name="恢复后新增")
        s.add(o)
        s.flush()
        assert o.id > max(r[0] for r in before["offices"])


def test_sqlite_backup_restores_into_another_backend(world, tmp_path):
    """A SQLite backup file (or a JSON dump) moves the data to any backend."""
    add_variety(world)
    before = snapshot(world.url)
    dump = tmp_path / "dump.jsonl"
    backup.backup(world.url, dump, fmt="jsonl")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other)
    backup.restore(other, dump)
    assert snapshot(other) == before
    # and back from a SQLite file into the world's backend
    sqlite_file = tmp_path / "copy.db"
    backup.backup(other, sqlite_file)
    assert backup.detect(sqlite_file) == "sqlite"
    with session_scope(url=world.url) as s:
        s.add(models.Office(name="会被覆盖"))
    backup.restore(world.url, sqlite_file)
    assert snapshot(world.url) == before


def test_bad_backup_file_is_refused_in_chinese(tmp_path, sqlite_url):
    bad = tmp_path / "bad.txt"
    bad.write_text("hello")
    with pytest.raises(backup.BackupError, match="无法识别"):
        backup.restore(sqlite_url, bad)
    with pytest.raises(backup.BackupError, match="不存在"):
        backup.restore(sqlite_url, tmp_path / "missing.db")


def test_backups_are_readable_by_their_owner_only(world, tmp_path):
    """Issue 16: a backup holds every writer's personal data; other local accounts cannot read it."""
    import os
    import stat

    from services import backup

    old = os.umask(0o022)  # the usual umask: new files readable by everyone
    try:
        fmts = ["jsonl"] + (["sqlite"] if world.url.startswith("sqlite") else [])
        for fmt in fmts:
            path = tmp_path / f"b.{fmt}"
            backup.backup(world.url, path, fmt=fmt)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, fmt
    finally:
        os.umask(old)
