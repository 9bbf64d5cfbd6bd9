"""热点问题 (R14): counts, concentrated appeals, supervision topics closing the loop at the voter."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db import models
from db.engine import session_scope
from services import clock, hotissues, letters
from services.common import Actor, PermissionDenied, ValidationError
from tests.conftest import app_as


def _letters(world, n: int = 3, category: str = "交通出行") -> list[int]:
    """``n`` letters from distinct writers about one problem in district 0."""
    ids = []
    with session_scope("staff", world.url) as s:
        for i in range(n):
            ids.append(letters.register(s, world.staff(), {
                "mailbox_id": world.mailboxes[0], "received_on": clock.today(), "writer_name": f"居民{i}",
                "writer_phone": f"1390000{i:04d}", "summary": f"路口红绿灯时间太短{i}", "category": category}).id)
    return ids


def test_counts_and_concentrated_appeals(world) -> None:
    """Three writers on one category and district make a concentrated appeal; two do not."""
    _letters(world, 3)
    _letters(world, 2, category="教育")
    year = clock.today().year
    with session_scope("leader", world.url) as s:
        data = hotissues.counts(s, world.leader(), year)
        hot = hotissues.concentrated(s, world.leader(), year)
    assert {(r["问题类别"], r["数量"]) for r in data["category"]} == {("交通出行", 3), ("教育", 2)}
    assert sum(r["数量"] for r in data["month"]) == 5
    assert [(r["问题类别"], r["来信人数（人）"]) for r in hot] == [("交通出行", 3)]


def test_topic_closes_the_loop_at_every_writer(world) -> None:
    """Leader makes a topic; closing gives each letter the outcome; writers are listed until told."""
    ids = _letters(world, 3)
    with pytest.raises(PermissionDenied), session_scope("staff", world.url) as s:
        hotissues.create_topic(s, world.staff(), title="x", category=None, district_id=None, letter_ids=ids)
    with pytest.raises(ValidationError), session_scope("leader", world.url) as s:
        hotissues.create_topic(s, world.leader(), title="", category=None, district_id=None, letter_ids=[])
    with session_scope("leader", world.url) as s:
        tid = hotissues.create_topic(s, world.leader(), title="路口信号灯配时督办", category="交通出行",
                                     district_id=world.districts[0], letter_ids=ids).id
        assert hotissues.untold_count(s, world.leader()) == 0
        hotissues.close_topic(s, world.leader(), tid, "交警部门已延长绿灯时间至45秒", "A 已解决")
    with session_scope("staff", world.url) as s:
        untold = hotissues.untold_writers(s, world.staff())
        assert sorted(u["letter_id"] for u in untold) == sorted(ids)
        assert all(u["联系电话"].count("*") == 4 for u in untold)
        for lid in ids:
            assert "45秒" in s.get(models.Letter, lid).result
        hotissues.mark_told(s, world.staff(), tid, ids[0])
        with pytest.raises(ValidationError):
            hotissues.mark_told(s, world.staff(), tid, ids[0])
    with session_scope("leader", world.url) as s:
        assert hotissues.untold_count(s, world.leader()) == 2
        page = hotissues.list_topics(s, world.leader(), {}, 0, 20)
    assert page.rows[0]["待告知来信人（人）"] == 2 and page.rows[0]["状态"] == "已办结"
    with session_scope("t", world.url) as s:
        told = s.execute(select(models.LetterEvent).where(models.LetterEvent.to_status == "已告知")).scalars().all()
    assert [e.letter_id for e in told] == [ids[0]]


def test_hotissues_page_charts_and_topic(app_world) -> None:
    """AppTest: the three charts render for the leader; a topic made on the page is listed."""
    _letters(app_world, 3)
    at = app_as("leader", "hotissues")
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3
    with session_scope("leader") as s:
        ids = [r.id for r in s.execute(select(models.Letter)).scalars()]
        hotissues.create_topic(s, app_world.leader(), title="路口信号灯配时督办", category="交通出行",
                               district_id=app_world.districts[0], letter_ids=ids)
        done = hotissues.create_topic(s, app_world.leader(), title="已办结的议题", category="交通出行",
                                      district_id=app_world.districts[0], letter_ids=ids[:1])
        hotissues.close_topic(s, app_world.leader(), done.id, "已解决", "A 已解决")
    at.run()
    assert not at.exception  # an open topic (no 办结时间) beside a closed one
    frames = [d.value for d in at.dataframe]
    assert any("议题" in f.columns and "路口信号灯配时督办" in list(f["议题"]) for f in frames)


def test_r14_figure_counts_writers_still_to_be_told(world) -> None:
    """The 工作台 figure of R14 comes from services.hotissues and follows the untold links, in scope."""
    ids = _letters(world, 3)
    with session_scope("leader", world.url) as s:
        tid = hotissues.create_topic(s, world.leader(), title="督办", category="交通出行",
                                     district_id=world.districts[0], letter_ids=ids).id
        assert hotissues.figures(s, world.leader(), clock.today().year)[0].value == 0  # still open
        hotissues.close_topic(s, world.leader(), tid, "已解决", "A 已解决")
        hotissues.mark_told(s, world.leader(), tid, ids[0])
    with session_scope("t", world.url) as s:
        (fig,) = hotissues.figures(s, world.leader(), clock.today().year)
        (west,) = hotissues.figures(s, Actor("w", "staff", office_id=world.offices[1]), clock.today().year)
    assert (fig.rule, fig.value, fig.bad, fig.page, fig.params) == ("R14", 2, True, "hotissues", {"view": "topics"})
    assert west.value == 0


def test_page_figures_are_fresh_after_a_write(app_world) -> None:
    """AppTest: the cached counts and appeals are keyed by the data version, so a letter registered
    elsewhere shows on the next run (no five-minute staleness): two writers are no concentrated
    appeal, the third makes one, and the category count moves from 2 to 3."""
    _letters(app_world, 2)
    at = app_as("leader", "hotissues")
    assert not at.exception
    assert not any("来信人数（人）" in d.value.columns for d in at.dataframe)
    assert _category_count(at) == 2
    with session_scope("staff", app_world.url) as s:
        letters.register(s, app_world.staff(), {
            "mailbox_id": app_world.mailboxes[0], "received_on": clock.today(), "writer_name": "居民9",
            "writer_phone": "13900009999", "summary": "路口红绿灯时间太短9", "category": "交通出行"})
    at.run()
    assert not at.exception
    appeals = next(d.value for d in at.dataframe if "来信人数（人）" in d.value.columns)
    assert list(appeals["来信人数（人）"]) == [3]
    assert _category_count(at) == 3


def _category_count(at) -> int:  # noqa: ANN001
    """The letters counted in the 按问题类别 bar chart (its data, summed)."""
    import json

    chart = at.get("vega_lite_chart")[0]
    spec = json.loads(chart.proto.spec)
    rows = [r for ds in chart.proto.datasets for r in _arrow_rows(ds)] if chart.proto.datasets else \
        spec.get("data", {}).get("values", [])
    return sum(int(r["数量"]) for r in rows if r.get("来源") == "来信")


def _arrow_rows(ds) -> list[dict]:  # noqa: ANN001
    """Rows of a chart dataset sent as Arrow."""
    import pyarrow as pa

    return pa.ipc.open_stream(ds.data.data).read_all().to_pylist()


def test_closing_a_topic_on_the_page_needs_its_class(app_world) -> None:
    """AppTest: 办结议题 without 办理结果分类 is refused beside the field with the text kept; with B
    the topic is closed as B and its writers are listed with the class."""
    _letters(app_world, 3)
    with session_scope("leader") as s:
        ids = [r.id for r in s.execute(select(models.Letter)).scalars()]
        tid = hotissues.create_topic(s, app_world.leader(), title="路口信号灯配时督办", category="交通出行",
                                     district_id=app_world.districts[0], letter_ids=ids).id
    at = app_as("leader", "hotissues")
    at.session_state["hi_topics__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.text_area(key=f"hi_outcome_{tid}").set_value("交警部门已调整配时").run()
    next(b for b in at.button if b.key and b.key.startswith("hi_close_")).click().run()
    assert not at.exception
    assert any("办理结果分类" in e.value for e in at.error)
    assert at.text_area(key=f"hi_outcome_{tid}").value == "交警部门已调整配时"
    with session_scope("t") as s:
        assert s.get(models.SupervisionTopic, tid).status == "进行中"
    at.selectbox(key=f"hi_class_{tid}").set_value("B 正在解决").run()
    next(b for b in at.button if b.key and b.key.startswith("hi_close_")).click().run()
    assert not at.exception
    with session_scope("t") as s:
        topic = s.get(models.SupervisionTopic, tid)
        assert (topic.status, topic.outcome_class) == ("已办结", "B 正在解决")
    untold = next(d.value for d in at.dataframe if "来信编号" in d.value.columns)
    assert set(untold["结果分类"]) == {"B 正在解决"} and len(untold) == 3
