"""The 议案建议 page with AppTest: entering a 建议 from two opinions raised often; a bad form; figures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text

from db import models
from db.engine import session_scope
from services import opinions
from services import proposals as svc
from tests.conftest import app_as, submit

YEAR = 2026
P = "prop_new0"


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _three_opinions(w) -> list[int]:
    """Three 住房物业 opinions from 第1选区 this year (over r4_threshold 3): raised often."""
    ids = []
    with session_scope("staff", url=w.url) as s:
        for i, content in enumerate(["电梯常坏", "电梯噪音大", "电梯无人维保"]):
            op = opinions.add_opinion(s, w.admin(), source="述职", deputy_id=w.deputies[0],
                                      district_id=w.districts[0], raised_on=date(YEAR, 1, 10 + i),
                                      content=content, category="住房物业")
            ids.append(op.id if hasattr(op, "id") else int(op))
    return ids


def test_staff_enters_a_suggestion_from_two_opinions(app_world):
    w = app_world
    ops = _three_opinions(w)
    at = app_as("staff", "proposals")
    assert not at.exception
    offered = at.multiselect(key=f"{P}_sources").options
    assert len(offered) == 3 and all("同类3件" in o for o in offered)
    at.radio(key=f"{P}_kind").set_value("建议")
    at.text_input(key=f"{P}_title").input("关于老旧小区电梯维保的建议")
    at.text_area(key=f"{P}_summary").input("多位选民反映电梯问题")
    at.selectbox(key=f"{P}_lead").set_value(w.deputies[0])
    at.multiselect(key=f"{P}_cos").select(w.deputies[1])
    at.multiselect(key=f"{P}_sources").select(f"opinion:{ops[0]}").select(f"opinion:{ops[1]}")
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["已登记建议“关于老旧小区电梯维保的建议”。"]
    assert not at.warning  # a 建议 needs no 10 signatures
    with session_scope(url=w.url) as s:
        p = s.execute(select(models.Proposal)).scalar_one()
        assert (p.kind, p.status, p.lead_deputy_id, p.session_no) == ("建议", "已提交", w.deputies[0], None)
        linked = s.execute(select(models.ProposalSource.opinion_id).where(
            models.ProposalSource.proposal_id == p.id)).scalars().all()
        assert sorted(linked) == sorted(ops[:2])
        # the cluster now has a proposal: no longer offered
        assert svc.frequent_sources(s, w.admin(), YEAR) == []
    # the list shows it with its signers
    rows = at.dataframe[0].value
    assert list(rows["标题"]) == ["关于老旧小区电梯维保的建议"]
    assert list(rows["联名（人）"]) == [2]


def test_motion_short_of_signatures_is_saved_with_a_warning_and_bad_form_writes_nothing(app_world):
    w = app_world
    at = app_as("staff", "proposals")
    at.radio(key=f"{P}_kind").set_value("议案")
    at.text_input(key=f"{P}_title").input("")
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    msgs = [e.value for e in at.error]
    assert "请填写标题" in msgs and "请选择领衔代表" in msgs
    assert "议案须在人民代表大会会议期间提出，请填写会次" in msgs
    with session_scope(url=w.url) as s:
        assert s.execute(select(func.count()).select_from(models.Proposal)).scalar_one() == 0
    at.selectbox(key=f"{P}_session").set_value(2)
    at.text_input(key=f"{P}_title").input("关于制定物业管理条例的议案")
    at.selectbox(key=f"{P}_lead").set_value(w.deputies[0])
    submit(at, f"{P}_save").click().run()
    assert not at.exception
    assert at.success and "已登记议案" in at.success[0].value
    assert at.warning and "10名以上" in at.warning[0].value


def test_figures_match_direct_sql(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:
        svc.create_proposal(s, w.admin(), {"kind": "建议", "title": "甲", "lead_deputy_id": w.deputies[0],
                                            "cosigner_ids": [w.deputies[10]], "submitted_on": date(YEAR, 1, 2)})
    with session_scope(url=w.url) as s:
        figs = {f.label: f.value for f in svc.figures(s, w.staff(), YEAR)}
        direct = s.execute(text(
            "SELECT COUNT(*) FROM deputies d JOIN deputy_groups g ON g.id = d.group_id "
            "WHERE d.status = '在任' AND g.office_id = :o AND d.id NOT IN ("
            " SELECT s.deputy_id FROM proposal_signers s JOIN proposals p ON p.id = s.proposal_id"
            " WHERE p.kind IN ('议案','建议') AND p.submitted_on BETWEEN :lo AND :hi)"),
            {"o": w.offices[0], "lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).scalar_one()
    assert figs["本年未提出议案建议的在任代表"] == direct == 9
    at = app_as("staff", None)
    at.query_params["view"] = "none"
    at.query_params["year"] = str(YEAR)
    from tests.conftest import goto
    goto(at, "proposals")
    assert not at.exception
    assert any(f"共 {direct} 人" in c.value for c in at.caption)


def test_staff_opens_a_proposal_and_moves_it_on(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:
        pid = svc.create_proposal(s, w.staff(), {"kind": "建议", "title": "关于增设公交站的建议",
                                                 "lead_deputy_id": w.deputies[0], "submitted_on": date(YEAR, 1, 2)})["id"]
    at = app_as("staff", "proposals")
    at.session_state["prop_list__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    key = f"prop_tr_{pid}"
    assert at.selectbox(key=f"{key}_to").options == ["已交办"]
    at.form_submit_button[0].click().run()  # no handling body: refused beside the field
    assert "请选择承办单位" in [e.value for e in at.error]
    with session_scope(url=w.url) as s:
        assert s.get(models.Proposal, pid).status == "已提交"
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区交通局")).scalar_one()
    at.selectbox(key=f"{key}_body").set_value(body)
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert "已变为“已交办”。" in [s.value for s in at.success]
    with session_scope(url=w.url) as s:
        p = s.get(models.Proposal, pid)
        assert (p.status, p.handling_body, p.body_id) == ("已交办", "区交通局", body)
        steps = svc.get_proposal(s, w.admin(), pid)["events"]
        assert [e["status"] for e in steps] == ["已提交", "已交办"]


def test_staff_edits_a_proposal_and_a_stale_edit_is_refused(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:
        pid = svc.create_proposal(s, w.staff(), {"kind": "建议", "title": "旧标题",
                                                 "lead_deputy_id": w.deputies[0], "submitted_on": date(YEAR, 1, 2)})["id"]
    at = app_as("staff", "proposals")
    at.session_state["prop_list__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    e = f"prop_edit_{pid}_0"
    assert at.text_input(key=f"{e}_title").value == "旧标题"
    at.text_input(key=f"{e}_title").input("新标题")
    at.multiselect(key=f"{e}_cos").select(w.deputies[1])
    submit(at, f"{e}_save").click().run()
    assert not at.exception
    assert "已保存修改。" in [x.value for x in at.success]
    with session_scope(url=w.url) as s:
        d = svc.get_proposal(s, w.admin(), pid)
        assert (d["title"], d["signers"]) == ("新标题", ["张伟（领衔）", "王芳"])
    # someone else saves meanwhile: this page's next save is refused, nothing written
    with session_scope("admin", url=w.url) as s:
        svc.update_proposal(s, w.admin(), pid, {"kind": "建议", "title": "他人改的", "lead_deputy_id": w.deputies[0],
                                                 "submitted_on": date(YEAR, 1, 2)}, None)
    e = f"prop_edit_{pid}_1"
    at.text_input(key=f"{e}_title").input("我的修改")
    submit(at, f"{e}_save").click().run()
    assert not at.exception
    assert any("已被他人修改" in x.value for x in at.error)
    with session_scope(url=w.url) as s:
        assert s.get(models.Proposal, pid).title == "他人改的"
