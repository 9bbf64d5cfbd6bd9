"""Fixtures: real databases (SQLite, and PostgreSQL / MariaDB when their URLs are given), a small
district to work on, and AppTest helpers for pages."""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text

from db import models
from db.engine import dispose_all, get_engine, session_scope
from db.migrate import upgrade
from services import auth, clock, identity
from services.common import Actor

pytest_plugins = ["tests.browser"]

# Days on which the date-sensitive tests also run (the ``pinned_day`` fixture): early January, the
# end of a quarter, mid-year, New Year's Eve, a leap day, a 调休 Saturday (a working day), a day
# inside the Spring Festival and one inside the National Day holidays, and a day of a year the
# holiday package does not know yet.
PINNED_DAYS = ["2026-01-05", "2026-03-31", "2026-06-30", "2026-12-31", "2028-02-29", "2026-10-10",
               "2026-02-18", "2026-10-03", "2027-01-05"]

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql", "mysql"]
_counter = itertools.count()


def _server_url(backend: str) -> str | None:
    """Return the admin URL of a database server from the environment, if given."""
    return {"postgresql": os.environ.get("TEST_PG_URL"), "mysql": os.environ.get("TEST_MYSQL_URL")}.get(backend)


def _create_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, callable]:
    """Create a fresh database on ``backend``; return its URL and a function that drops it."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        return f"sqlite:///{path}", lambda: None
    server = _server_url(backend)
    if not server:
        pytest.skip(f"{backend}: 未设置测试服务器地址（TEST_PG_URL / TEST_MYSQL_URL）")
    name = f"rddb_t_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if backend == "mysql":
            c.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        else:
            c.execute(text(f"CREATE DATABASE {name}"))
    url = server.rsplit("/", 1)[0] + "/" + name
    if backend == "mysql":
        url += "?charset=utf8mb4"

    def drop() -> None:
        dispose_all()
        with admin.connect() as c:
            if backend == "postgresql":
                c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def _migrated_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One migrated database per backend for the whole run."""
    url, drop = _create_database(request.param, tmp_path_factory)
    upgrade(url)
    yield url
    drop()


def _wipe(url: str) -> None:
    """Delete every row, children first, so each test starts from an empty schema."""
    engine = get_engine(url)
    with engine.begin() as conn:
        if url.startswith("mysql"):
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(models.Base.metadata.sorted_tables):
            if table.name != "data_versions":  # the data version never goes back (caches key on it)
                conn.execute(table.delete())
        if url.startswith("mysql"):
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture
def db_url(_migrated_db: str) -> str:
    """URL of an empty, migrated database: the test runs once per backend."""
    _wipe(_migrated_db)
    return _migrated_db


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the head, made once per run: each test's fresh database is a
    copy of it (running the migrations takes about 0.35 s, copying the file under 1 ms)."""
    path = tmp_path_factory.mktemp("template") / "head.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    dispose_all()  # closing the last connection writes the WAL back into the one file
    engine = create_engine(url)
    with engine.connect() as conn:  # and if a connection stayed open elsewhere, this does
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def migrated_sqlite(template: Path, path: Path) -> str:
    """URL of a new, empty SQLite database at ``path``, migrated to the head (a copy of ``template``)."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """URL of an empty migrated SQLite database (for tests that need only one backend)."""
    return migrated_sqlite(_sqlite_template, tmp_path / "one.db")


@dataclass
class District:
    """Ids of the small district built by the ``world`` fixture."""

    url: str
    term: int
    offices: list[int]
    groups: list[int]  # groups[0], groups[1] in offices[0]; groups[2] in offices[1]
    districts: list[int]  # districts[i] belongs to groups[i] (i < 3); districts[3] to groups[0]
    deputies: list[int]  # 7 deputies in groups[0], 3 in groups[1], 2 in groups[2]
    mailboxes: list[int]  # one per district

    def admin(self) -> Actor:
        """The admin as services see it."""
        return Actor("admin", "admin", display_name="管理员")

    def staff(self) -> Actor:
        """A staff user scoped to offices[0]."""
        return Actor("staff", "staff", office_id=self.offices[0], display_name="王工作")

    def supervisor(self) -> Actor:
        """The supervisor."""
        return Actor("supervisor", "supervisor", display_name="李督查")

    def leader(self) -> Actor:
        """The leader."""
        return Actor("leader", "leader", display_name="赵领导")


WORLD_BODIES = [("区住建局", "政府部门"), ("区交通局", "政府部门"), ("区教育局", "政府部门"), ("区民政局", "政府部门"),
                ("区城管局", "政府部门"), ("区卫健委", "政府部门"), ("区政府", "政府部门"), ("交警大队", "政府部门"),
                ("街道办", "街道乡镇"), ("街道办事处", "街道乡镇"), ("区人民法院", "法院"), ("区人民检察院", "检察院")]


def build_world(url: str, year: int | None = None) -> District:
    """Build a small district: term in its 3rd year, 2 offices, 3 groups, 4 districts, 12 deputies,
    4 mailboxes and the four demo users (password demo12345)."""
    year = year or clock.today().year
    with session_scope("system", url=url) as s:
        term = models.Term(number=18, name="第十八届", start_year=year - 2, end_year=year + 2)
        s.add(term)
        offices = [models.Office(name="东城办事处"), models.Office(name="西城办事处")]
        s.add_all(offices)
        s.flush()
        groups = [
            models.DeputyGroup(name="东城第一代表组", office_id=offices[0].id, liaison_name="陈联络", liaison_phone="13800000001"),
            models.DeputyGroup(name="东城第二代表组", office_id=offices[0].id, liaison_name="周联络", liaison_phone="13800000002"),
            models.DeputyGroup(name="西城代表组", office_id=offices[1].id, liaison_name="吴联络", liaison_phone="13800000003"),
        ]
        s.add_all(groups)
        s.flush()
        districts = [
            models.District(name="第1选区", group_id=groups[0].id),
            models.District(name="第2选区", group_id=groups[1].id),
            models.District(name="第3选区", group_id=groups[2].id),
            models.District(name="第4选区", group_id=groups[0].id),
        ]
        s.add_all(districts)
        s.flush()
        names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴刚", "徐丽", "孙强"]
        placement = [0] * 7 + [1] * 3 + [2] * 2
        deputies = []
        for i, (name, g) in enumerate(zip(names, placement, strict=True)):
            d_idx = g if not (g == 0 and i % 2) else 3
            deputies.append(
                models.Deputy(
                    name=name, pinyin="", gender="男" if i % 2 == 0 else "女", birth_year=1970 + i,
                    party="中共党员", unit_title="某单位职员", phone=f"139{i:08d}",
                    group_id=groups[g].id, district_id=districts[d_idx].id, term_id=term.id,
                    status="在任", joined_on=date(year - 2, 1, 10),
                )
            )
        s.add_all(deputies)
        s.flush()
        mailboxes = [
            models.Mailbox(name=f"{d.name}代表信箱", district_id=d.id, keeper_kind="代表本人",
                           keeper_name="", established_on=date(year - 2, 3, 1))
            for d in districts
        ]
        s.add_all(mailboxes)
        s.flush()
        # the 承办单位 directory the tests forward to (services.bodies)
        for name, kind in WORLD_BODIES:
            s.add(models.HandlingBody(name=name, name_key=identity.body_key(name), pinyin="", kind=kind))
        pw = auth.hash_password(auth.DEMO_PASSWORD)
        s.add_all([
            models.User(username="admin", display_name="管理员", password_hash=pw, role="admin"),
            models.User(username="staff", display_name="王工作", password_hash=pw, role="staff", office_id=offices[0].id),
            models.User(username="supervisor", display_name="李督查", password_hash=pw, role="supervisor"),
            models.User(username="leader", display_name="赵领导", password_hash=pw, role="leader"),
        ])
        ids = District(
            url=url, term=term.id, offices=[o.id for o in offices], groups=[g.id for g in groups],
            districts=[d.id for d in districts], deputies=[d.id for d in deputies],
            mailboxes=[m.id for m in mailboxes],
        )
    return ids


@pytest.fixture
def world(db_url: str) -> District:
    """A small district on every backend."""
    return build_world(db_url)


@pytest.fixture
def app_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _sqlite_template: Path) -> District:
    """A small district in a SQLite file that app.py uses (DATABASE_URL points at it)."""
    url = migrated_sqlite(_sqlite_template, tmp_path / "app.db")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))  # the generated key stays here
    return build_world(url)


def app_as(role: str, page: str | None = None, *, timeout: float = 30):
    """Return an AppTest of app.py logged in as the demo user of ``role``, on ``page`` if given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = role
    at.session_state["name"] = role
    at.session_state["session_started_at"] = clock.now()
    at.run()
    # "/" redirects to 工作台 with st.switch_page; AppTest would keep requesting "/" on later runs
    # (a browser's URL moves to /gongzuotai), so the page is pinned by its url path
    goto(at, page or "dashboard")
    return at


def submit(at, name: str):  # noqa: ANN001, ANN201
    """The submit button named ``name`` of a form drawn with an intent (components.forms.intent:
    its key is the name followed by the form's token)."""
    found = [b for b in at.button if (b.key or "").startswith(name + "_") and len(b.key) == len(name) + 11]
    assert len(found) == 1, f"{name}: {len(found)} buttons ({[b.key for b in at.button]})"
    return found[0]


def confirmed(at, name: str):  # noqa: ANN001, ANN201
    """Click the submit button ``name`` and then 确认 in the confirmation it asks for."""
    submit(at, name).click().run()
    submit(at, f"{name}_yes").click().run()
    return at


def goto(at, page: str):  # noqa: ANN001, ANN201
    """Open the page registered under url path ``page`` and run it.

    Our pages are callables (ENGINEERING.md, trap 1), which AppTest.switch_page cannot name by
    file, so the registered page is looked up by its url path. Raises KeyError when the
    logged-in role has no such page (it is not registered for that role).
    """
    from services.common import URL_PATHS

    for page_hash, info in at._registered_pages.items():
        if info.get("url_pathname") == URL_PATHS[page] or (page == "dashboard" and info.get("page_name") == "工作台"):
            at._page_hash = page_hash
            at.run()
            return at
    raise KeyError(f"page {page!r} is not registered for this user")


def _morning(day: str | date) -> datetime:
    """10:00 local time on ``day`` (a working hour, far from midnight)."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(d, time(10, 0))


def _scan_components_once() -> None:
    """Every AppTest scans the installed packages for Streamlit components (about 0.12 s, reading
    the metadata of every distribution): the packages do not change during a run, so the first
    scan's result serves every AppTest of the run."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    found: list = []

    def once(max_workers: int | None = None) -> list:
        if not found:
            found.append(scan(max_workers))
        return list(found[0])

    manifest_scanner.scan_component_manifests = once


def _wait_for_script_end() -> None:
    """AppTest waits for a script run by waking every millisecond to scan the run's events, taking
    the interpreter lock from the script's thread each time. Here the wait is for the run's end
    itself (its SHUTDOWN event), with the same timeout and the same error when it passes."""
    import threading

    from streamlit.runtime.scriptrunner import ScriptRunnerEvent
    from streamlit.testing.v1 import local_script_runner

    def require_widgets_deltas(runner, timeout: float = 3) -> None:  # noqa: ANN001
        ended = threading.Event()

        def on_event(sender, event, **_kw) -> None:  # noqa: ANN001
            if event == ScriptRunnerEvent.SHUTDOWN:
                ended.set()

        runner.on_event.connect(on_event, weak=False)
        try:
            if runner.script_stopped() or ended.wait(timeout) or runner.script_stopped():
                return
        finally:
            runner.on_event.disconnect(on_event)
        runner.request_stop()
        runner.join()
        raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")

    local_script_runner.require_widgets_deltas = require_widgets_deltas


def _compile_scripts_once() -> None:
    """Every AppTest makes a new script cache, so each of its runs parses app.py and the page file,
    rewrites them for Streamlit's magic and compiles them again (a quarter of a page test's time);
    a server compiles them once. Here the compiled code is kept for the run, keyed by the file's
    path and content (an edited file is compiled again) and the magic setting."""
    import hashlib
    import threading

    from streamlit import config as st_config
    from streamlit.runtime.scriptrunner import script_cache

    compile_script = script_cache.ScriptCache.get_bytecode
    compiled: dict[tuple, object] = {}
    lock = threading.Lock()

    def get_bytecode(self, script_path: str):  # noqa: ANN001, ANN202
        path = os.path.abspath(script_path)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        key = (path, digest, bool(st_config.get_option("runner.magicEnabled")))
        with lock:
            code = compiled.get(key)
        if code is None:
            code = compile_script(self, path)
            with lock:
                compiled[key] = code
        return code

    script_cache.ScriptCache.get_bytecode = get_bytecode


def pytest_configure(config: pytest.Config) -> None:
    """Run the whole session on the day given by TEST_TODAY (``make test`` runs the suite on
    several days, so that no test depends on the day it happens to run); the real day otherwise.
    The clock is moved before any fixture runs, session fixtures included."""
    _scan_components_once()
    _wait_for_script_end()
    _compile_scripts_once()
    day = os.environ.get("TEST_TODAY")
    if day:
        travel = time_machine.travel(_morning(day), tick=True)
        travel.start()
        config.stash[_TRAVEL] = travel


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put the clock back."""
    travel = config.stash.get(_TRAVEL, None)
    if travel is not None:
        travel.stop()


_TRAVEL = pytest.StashKey[object]()


@pytest.fixture(params=PINNED_DAYS)
def pinned_day(request: pytest.FixtureRequest):
    """Move the clock (services.clock, and date.today itself) to each of PINNED_DAYS in turn."""
    with time_machine.travel(_morning(request.param), tick=True):
        yield date.fromisoformat(request.param)


@pytest.fixture
def travel():
    """Move the clock to a given day for the rest of the test: ``travel("2027-01-05")``."""
    stack = []

    def go(day: str | date) -> date:
        t = time_machine.travel(_morning(day), tick=True)
        t.start()
        stack.append(t)
        return date.fromisoformat(day) if isinstance(day, str) else day

    yield go
    while stack:
        stack.pop().stop()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Streamlit caches are shared by all users: start each test with them empty."""
    yield
    try:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    except Exception:  # noqa: BLE001
        pass


@pytest.fixture(autouse=True)
def _clear_ranking_cache():
    """The ranking cache (services.scoring) is keyed by the data version, which starts again in a
    wiped test database: each test starts with it empty."""
    from services import dashboard, scoring, todo

    scoring.clear_cache()
    dashboard.clear_cache()
    todo.clear_cache()
    yield
