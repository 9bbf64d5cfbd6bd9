"""manage.py subcommands, run as an operator would (subprocess) on a temporary SQLite database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db import models
from db.engine import dispose_all, session_scope
from db.migrate import upgrade
from tests.conftest import ROOT, build_world
from tests.test_backup import snapshot
from tests.test_import_deputies import xlsx


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``python manage.py args`` with DATABASE_URL=url."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def world_file(tmp_path: Path):
    """A small district in a SQLite file."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    w = build_world(url)
    dispose_all()
    return w


def test_init_db_creates_the_schema_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'app.db'}"
    for _ in range(2):
        r = run(url, "init-db")
        assert r.returncode == 0, r.stderr
        assert "数据库已迁移到最新结构" in r.stdout
    with session_scope(url=url) as s:
        assert s.query(models.Deputy).count() == 0


def test_commands_refuse_an_uninitialised_database(tmp_path):
    r = run(f"sqlite:///{tmp_path / 'empty.db'}", "accounts")
    assert r.returncode == 1
    assert "init-db" in r.stderr and "Traceback" not in r.stderr


def test_accounts_lists_demo_accounts_only_with_the_demo_password(world_file):
    r = run(world_file.url, "accounts")
    assert r.returncode == 0
    assert "demo12345" in r.stdout
    for name in ("admin", "staff", "supervisor", "leader"):
        assert name in r.stdout
    assert "仅限东城办事处" in r.stdout
    from services import auth

    with session_scope(url=world_file.url) as s:
        u = s.query(models.User).filter_by(username="admin").one()
        auth.reset_password(s, None, u.id, "another-pass-1")
    r = run(world_file.url, "accounts")
    assert "admin " not in r.stdout and "staff" in r.stdout


def test_create_user(world_file):
    r = run(world_file.url, "create-user", "liu", "--role", "staff", "--name", "刘联络", "--group", "西城代表组",
            "--password", "pass-word-9")
    assert r.returncode == 0, r.stderr
    with session_scope(url=world_file.url) as s:
        u = s.query(models.User).filter_by(username="liu").one()
        assert (u.role, u.group_id, u.office_id) == ("staff", world_file.groups[2], world_file.offices[1])
    r = run(world_file.url, "create-user", "wuxin", "--role", "admin", "--password", "short")
    assert r.returncode == 1 and "密码至少8位" in r.stderr
    r = run(world_file.url, "create-user", "liu", "--role", "admin", "--password", "pass-word-9")
    assert r.returncode == 1 and "用户名已存在" in r.stderr
    r = run(world_file.url, "create-user", "zhou", "--role", "staff", "--office", "不存在", "--password", "pass-word-9")
    assert r.returncode == 1 and "不存在" in r.stderr


def test_export_then_import_deputies(world_file, tmp_path):
    out = tmp_path / "代表.xlsx"
    r = run(world_file.url, "export", "deputies", str(out))
    assert r.returncode == 0, r.stderr
    ws = load_workbook(io.BytesIO(out.read_bytes())).worksheets[0]
    assert ws.max_row == 13
    r = run(world_file.url, "import", "deputies", str(out))
    assert r.returncode == 0, r.stderr
    assert "新增 0 人，更新 0 人，未变化 12 人" in r.stdout
    # the same file again (e.g. a script run twice): refused naming who imported it and when, as on the page
    r = run(world_file.url, "import", "deputies", str(out))
    assert r.returncode == 1
    assert "相同内容的文件“代表.xlsx”已于" in r.stderr and "命令行" in r.stderr and "未重复导入" in r.stderr
    with session_scope(url=world_file.url) as s:
        assert s.query(models.ImportFile).count() == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["好人", "男", 1970, "", "", "13700000051", "东城第一代表组", ""],
                          ["", "男", 1970, "", "", "13700000052", "东城第一代表组", ""]]))
    r = run(world_file.url, "import", "deputies", str(bad))
    assert r.returncode == 1
    assert "第3行" in r.stderr and "请填写姓名" in r.stderr and "未导入任何数据" in r.stderr
    with session_scope(url=world_file.url) as s:
        assert s.query(models.Deputy).count() == 12
    r = run(world_file.url, "import", "deputies", str(tmp_path / "missing.xlsx"))
    assert r.returncode == 1 and "文件不存在" in r.stderr


def test_backup_and_restore(world_file, tmp_path):
    before = snapshot(world_file.url)
    target = tmp_path / "backup" / "app-backup.db"
    r = run(world_file.url, "backup", str(target))
    assert r.returncode == 0, r.stderr
    with session_scope(url=world_file.url) as s:
        s.query(models.Office).filter_by(name="西城办事处").one().name = "改名"
    r = run(world_file.url, "restore", str(target))
    assert r.returncode == 1 and "--yes" in r.stderr  # no terminal to ask: refused
    r = run(world_file.url, "restore", str(target), "--yes")
    assert r.returncode == 0, r.stderr
    assert snapshot(world_file.url) == before
    r = run(world_file.url, "restore", str(tmp_path / "nope.db"), "--yes")
    assert r.returncode == 1 and "备份文件不存在" in r.stderr


def test_demo_if_empty_skips_a_filled_database(world_file):
    r = run(world_file.url, "demo", "--if-empty")
    assert r.returncode == 0, r.stderr
    assert "跳过" in r.stdout
    r = run(world_file.url, "demo")
    assert r.returncode == 1 and "已有数据" in r.stderr


def test_unknown_command_fails_in_chinese(world_file):
    r = run(world_file.url, "frobnicate")
    assert r.returncode != 0
    assert "无效的选择" in r.stderr


def test_demo_fills_an_empty_database_and_prints_the_accounts(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run(url, "init-db").returncode == 0
    r = run(url, "demo", "--if-empty", "--seed", "7", "--offices", "2", "--groups", "3", "--districts", "5",
            "--deputies", "20", "--years", "0.5")
    assert r.returncode == 0, r.stderr
    assert "演示数据已生成" in r.stdout and "代表 20" in r.stdout
    r = run(url, "accounts")
    assert r.returncode == 0 and all(n in r.stdout for n in ("admin", "staff", "supervisor", "leader"))
    out = tmp_path / "d.xlsx"
    assert run(url, "export", "deputies", str(out)).returncode == 0
    r = run(url, "import", "deputies", str(out))
    assert r.returncode == 0 and "未变化 20 人" in r.stdout


def test_demo_refuses_more_years_than_one_term_in_chinese(tmp_path):
    """manage.py demo --years 9: refused with the longest span allowed, exit status 1, nothing written."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run(url, "init-db").returncode == 0
    r = run(url, "demo", "--deputies", "5", "--years", "9")
    assert r.returncode == 1
    assert "一届任期" in r.stderr and "--years 最大为" in r.stderr and "收到 9" in r.stderr
    r = run(url, "demo", "--deputies", "5", "--years", "0")
    assert r.returncode == 1 and "大于0" in r.stderr
    with session_scope(url=url) as s:
        assert s.execute(select(func.count()).select_from(models.Deputy)).scalar_one() == 0
