"""Alembic 0006_i14_bodies on existing data (SQLite, PostgreSQL, MariaDB): free-text bodies matched
to a directory by exact and normalised name, people left for the admin, phones made canonical,
writer keys filled, opinions already resolved classed A (无法解决 D), closed letters left unclassed."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from alembic import command
from sqlalchemy import column, table, text

from db.engine import dispose_all, get_engine
from db.migrate import alembic_config
from tests.conftest import BACKENDS, _create_database


@pytest.fixture(params=BACKENDS)
def old_db(request, tmp_path_factory):  # noqa: ANN001, ANN201
    """A database at the revision before the directory (0005_i15_twostep)."""
    url, drop = _create_database(request.param, tmp_path_factory)
    command.upgrade(alembic_config(url), "0005_i15_twostep")
    yield url
    dispose_all()
    drop()


def _rows(conn, table: str, rows: list[dict]) -> None:  # noqa: ANN001
    """Insert plain rows (the 0003 columns only)."""
    for r in rows:
        cols = ", ".join(r)
        conn.execute(text(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(':' + k for k in r)})"), r)


def test_free_text_bodies_are_matched_and_the_rest_listed(old_db) -> None:
    now = datetime(2026, 6, 1, 9, 0)
    with get_engine(old_db).begin() as c:
        _rows(c, "terms", [{"id": 1, "number": 18, "name": "第十八届", "start_year": 2024, "end_year": 2028, "active": True}])
        _rows(c, "offices", [{"id": 1, "name": "东城办事处", "active": True}])
        _rows(c, "deputy_groups", [{"id": 1, "name": "东城代表组", "office_id": 1, "active": True}])
        _rows(c, "districts", [{"id": 1, "name": "第1选区", "group_id": 1, "active": True}])
        _rows(c, "deputies", [{"id": 1, "name": "张伟", "pinyin": "zw", "group_id": 1, "district_id": 1, "term_id": 1,
                               "status": "在任", "leads_enterprise": False, "is_office_leader": False, "version": 1}])
        _rows(c, "mailboxes", [{"id": 1, "name": "第1选区信箱", "district_id": 1, "keeper_kind": "代表本人",
                                "established_on": date(2024, 3, 1), "active": True}])
        texts = [("区住建局", "010-62345678"), ("区住建局", "(010)62345678"), ("区 住建局", "139-1234-0014"),
                 ("区住建局。", None), ("张伟代表本人", None), ("本人", None), (None, "13912340014")]
        _rows(c, "letters", [{"id": i + 1, "code": f"XF2026-{i + 1:06d}", "mailbox_id": 1, "district_id": 1, "group_id": 1,
                              "office_id": 1, "received_on": date(2026, 5, 1), "writer_name": "王五" if i < 2 else None,
                              "writer_phone": p, "summary": "路灯", "category": "城乡建设",
                              "status": "已办结" if t else "登记", "forwarded_to": t, "round": 1, "paused_days": 0,
                              "created_at": now, "updated_at": now, "version": 1} for i, (t, p) in enumerate(texts)])
        _rows(c, "opinions", [
            {"id": 1, "source": "活动", "district_id": 1, "group_id": 1, "raised_on": date(2026, 5, 2), "content": "a",
             "category": "城乡建设", "is_livelihood": True, "forwarded_to": "区人民法院", "status": "已解决",
             "resolved_by": "区人民法院", "resolved_on": date(2026, 5, 9), "version": 1, "round": 1, "paused_days": 0},
            {"id": 2, "source": "活动", "district_id": 1, "group_id": 1, "raised_on": date(2026, 5, 2), "content": "b",
             "category": "城乡建设", "is_livelihood": False, "forwarded_to": "区住建局", "status": "无法解决",
             "unresolvable_reason": "资金", "version": 1, "round": 1, "paused_days": 0},
            {"id": 3, "source": "活动", "district_id": 1, "group_id": 1, "raised_on": date(2026, 5, 2), "content": "c",
             "category": "城乡建设", "is_livelihood": False, "forwarded_to": "张伟同志", "status": "已转交", "version": 1, "round": 1,
             "paused_days": 0},
        ])
    command.upgrade(alembic_config(old_db), "head")
    with get_engine(old_db).connect() as c:
        bodies = dict(c.execute(text("SELECT name, kind FROM handling_bodies")).all())
        letters = {r.id: r for r in c.execute(text(
            "SELECT l.id, l.writer_phone, l.writer_key, l.outcome, b.name AS body FROM letters l "
            "LEFT JOIN handling_bodies b ON b.id = l.body_id ORDER BY l.id")).all()}
        ops = {r.id: r for r in c.execute(text(
            "SELECT o.id, o.outcome, b.name AS body, r.name AS rbody FROM opinions o "
            "LEFT JOIN handling_bodies b ON b.id = o.body_id LEFT JOIN handling_bodies r ON r.id = o.resolved_body_id"
        )).all()}
    assert bodies == {"区住建局": "政府部门", "区人民法院": "法院"}
    assert [letters[i].body for i in range(1, 8)] == ["区住建局"] * 4 + [None, None, None]
    assert [letters[i].writer_phone for i in (1, 2, 3, 7)] == ["010-62345678", "010-62345678", "13912340014",
                                                                "13912340014"]
    assert letters[1].writer_key == letters[2].writer_key == "t:010-62345678"
    assert letters[3].writer_key == letters[7].writer_key and letters[4].writer_key is None
    assert {letters[i].outcome for i in letters} == {None}  # closing said nothing about the answer
    assert (ops[1].outcome, ops[1].body, ops[1].rbody) == ("A 已解决", "区人民法院", "区人民法院")
    assert (ops[2].outcome, ops[2].body) == ("D 因条件限制留作参考", "区住建局")
    assert (ops[3].outcome, ops[3].body) == (None, None)  # a person: left for the admin


def _schema(url: str) -> dict:
    """Columns, foreign keys, CHECK names and indexes of the tables 0006 changes."""
    from sqlalchemy import inspect

    insp = inspect(get_engine(url))
    out = {"tables": sorted(t for t in insp.get_table_names() if t != "alembic_version")}
    for t in ("letters", "opinions", "proposals"):
        out[t] = {"columns": sorted(c["name"] for c in insp.get_columns(t)),
                  "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(t)),
                  "checks": sorted(c["name"] or c["sqltext"] for c in insp.get_check_constraints(t)),
                  "indexes": sorted(i["name"] for i in insp.get_indexes(t))}
    dispose_all()
    return out


def test_downgrade_restores_the_schema_and_keeps_letters_and_their_history(old_db) -> None:
    """upgrade → downgrade → upgrade on every database: the schema of 0005 comes back exactly (on
    SQLite the unnamed REFERENCES of the added columns once stopped the downgrade), and no letter or
    step of its history is lost by the table rebuild."""
    now = datetime(2026, 6, 1, 9, 0)
    with get_engine(old_db).begin() as c:
        _rows(c, "terms", [{"id": 1, "number": 18, "name": "第十八届", "start_year": 2024, "end_year": 2028, "active": True}])
        _rows(c, "offices", [{"id": 1, "name": "东城办事处", "active": True}])
        _rows(c, "deputy_groups", [{"id": 1, "name": "东城代表组", "office_id": 1, "active": True}])
        _rows(c, "districts", [{"id": 1, "name": "第1选区", "group_id": 1, "active": True}])
        _rows(c, "mailboxes", [{"id": 1, "name": "第1选区信箱", "district_id": 1, "keeper_kind": "代表本人",
                                "established_on": date(2024, 3, 1), "active": True}])
        _rows(c, "letters", [{"id": 1, "code": "XF2026-000001", "mailbox_id": 1, "district_id": 1, "group_id": 1,
                              "office_id": 1, "received_on": date(2026, 5, 1), "writer_name": "王五",
                              "writer_phone": "13912340014", "summary": "路灯", "category": "城乡建设",
                              "status": "已转办", "forwarded_to": "区住建局", "round": 1, "paused_days": 0,
                              "created_at": now, "updated_at": now, "version": 1}])
        events = table("letter_events", column("id"), column("letter_id"), column("round"), column("to_status"),
                       column("happened_on"), column("by"), column("at"), column("undone"))  # "by" is a keyword
        c.execute(events.insert().values(id=1, letter_id=1, round=1, to_status="登记", happened_on=date(2026, 5, 1),
                                         by="张三", at=now, undone=False))
    before = _schema(old_db)
    cfg = alembic_config(old_db)
    command.upgrade(cfg, "0006_i14_bodies")
    assert "body_id" in _schema(old_db)["letters"]["columns"]
    command.downgrade(cfg, "0005_i15_twostep")
    assert _schema(old_db) == before
    with get_engine(old_db).connect() as c:
        assert c.execute(text("SELECT count(*) FROM letters")).scalar_one() == 1
        assert c.execute(text("SELECT count(*) FROM letter_events")).scalar_one() == 1
        assert c.execute(text("SELECT forwarded_to FROM letters")).scalar_one() == "区住建局"
    dispose_all()
    command.upgrade(cfg, "head")
    with get_engine(old_db).connect() as c:
        assert c.execute(text("SELECT b.name FROM letters l JOIN handling_bodies b ON b.id = l.body_id")).scalar_one() \
            == "区住建局"


def test_messy_free_text_pasted_from_word_becomes_clean_bodies_named_as_typed(old_db) -> None:
    """Word's zero-width and BOM characters make no second body and no invisible name; Chinese
    brackets stay as typed; a post for a person (王局) and “no body” (不需转办) are left for the admin."""
    now = datetime(2026, 6, 1, 9, 0)
    with get_engine(old_db).begin() as c:
        _rows(c, "terms", [{"id": 1, "number": 18, "name": "第十八届", "start_year": 2024, "end_year": 2028, "active": True}])
        _rows(c, "offices", [{"id": 1, "name": "东城办事处", "active": True}])
        _rows(c, "deputy_groups", [{"id": 1, "name": "东城代表组", "office_id": 1, "active": True}])
        _rows(c, "districts", [{"id": 1, "name": "第1选区", "group_id": 1, "active": True}])
        _rows(c, "mailboxes", [{"id": 1, "name": "第1选区信箱", "district_id": 1, "keeper_kind": "代表本人",
                                "established_on": date(2024, 3, 1), "active": True}])
        texts = ["\u200b区城管局", "\u200b区城管局", "区城管局\ufeff", "区市场监督管理局（区知识产权局）", "王局", "不需转办"]
        _rows(c, "letters", [{"id": i + 1, "code": f"XF2026-{i + 1:06d}", "mailbox_id": 1, "district_id": 1, "group_id": 1,
                              "office_id": 1, "received_on": date(2026, 5, 1), "writer_name": "王五",
                              "summary": "路灯", "category": "城乡建设", "status": "已转办", "forwarded_to": t,
                              "round": 1, "paused_days": 0, "created_at": now, "updated_at": now, "version": 1}
                             for i, t in enumerate(texts)])
    command.upgrade(alembic_config(old_db), "head")
    with get_engine(old_db).connect() as c:
        names = sorted(c.execute(text("SELECT name FROM handling_bodies")).scalars())
        matched = [r[0] for r in c.execute(text("SELECT body_id FROM letters ORDER BY id"))]
    dispose_all()
    assert names == sorted(["区城管局", "区市场监督管理局（区知识产权局）"])
    assert matched[0] == matched[1] == matched[2] is not None and matched[3] is not None
    assert matched[4:] == [None, None]
