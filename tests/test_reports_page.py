"""The 述职管理 page with AppTest: staff plans, locks, records a meeting; bad meetings write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import clock
from services import reports as svc
from tests.conftest import app_as, goto, submit

YEAR = 2026  # year 3 of the world's term
M = "rep_meet_new0"  # widget prefix of a fresh 登记当面述职 form


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _overview_row(at, group: str) -> dict:
    """The 年度概览 row of a group as the page shows it."""
    df = next(d.value for d in at.dataframe if "计划当面述职（人）" in d.value.columns)
    return df[df["代表组"] == group].iloc[0].to_dict()


def _reports(w) -> int:
    with session_scope(url=w.url) as s:
        return s.execute(select(func.count()).select_from(models.Report)).scalar_one()


def _fill_meeting(at, w, held: date, present: int, votes: tuple[int, int, int]) -> None:
    at.selectbox(key=f"{M}_deputy").set_value(w.deputies[0])
    at.date_input(key=f"{M}_held").set_value(held)
    at.text_input(key=f"{M}_venue").input("和平社区活动室")
    at.number_input(key=f"{M}_present").set_value(present)
    at.number_input(key=f"{M}_asked").set_value(6)
    at.number_input(key=f"{M}_answered").set_value(5)
    for k, v in zip(("sat", "basic", "unsat"), votes, strict=True):
        at.number_input(key=f"{M}_{k}").set_value(v)


def test_staff_plans_locks_and_records_a_meeting(app_world):
    w = app_world
    at = app_as("staff", "reports")
    assert not at.exception
    row = _overview_row(at, "东城第一代表组")
    assert (row["在任代表（人）"], row["计划当面述职（人）"], row["计划状态"]) == (7, 0, "未制定")

    at.selectbox(key="rep_plan_group").set_value(w.groups[0]).run()
    ms = f"rep_plan_dep_{w.groups[0]}_{YEAR}_0"
    at.multiselect(key=ms).select(w.deputies[0]).run()
    assert any("14.3%" in x.value and "不在规定范围" in x.value for x in at.warning)  # live share
    at.multiselect(key=ms).select(w.deputies[1]).run()
    assert any("已选 2 人 / 在任代表 7 人 = 28.6%" in x.value for x in at.success)
    submit(at, "rep_plan_save").click().run()
    assert not at.exception
    assert any("已保存东城第一代表组" in x.value for x in at.success)
    submit(at, "rep_plan_lock").click().run()
    assert any(x.value == "计划已确定。" for x in at.success)
    with session_scope(url=w.url) as s:
        d = svc.plan_detail(s, w.admin(), w.groups[0], YEAR)
    assert d["locked"] and d["locked_by"] == "王工作"
    assert {i["deputy_id"] for i in d["items"]} == set(w.deputies[:2])
    row = _overview_row(at, "东城第一代表组")
    assert (row["计划当面述职（人）"], row["计划比例"], row["计划状态"], row["书面应交（人）"]) == (2, "28.6%", "已确定", 5)

    _fill_meeting(at, w, clock.today(), 30, (25, 3, 2))
    submit(at, f"{M}_save").click().run()
    assert not at.exception
    assert [x.value for x in at.success if x.value.startswith("已保存述职")] == ["已保存述职记录。满意率 93.3%，评定：称职。"]
    row = _overview_row(at, "东城第一代表组")
    assert (row["已当面述职（人）"], row["满意率"], row["评定"]) == (1, "93.3%", "称职")


def test_bad_meetings_are_refused_with_nothing_written(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:
        svc.save_plan(s, w.staff(), w.groups[0], YEAR, [{"deputy_id": w.deputies[0]}, {"deputy_id": w.deputies[1]}])
    at = app_as("staff", "reports")
    _fill_meeting(at, w, clock.today(), 30, (28, 2, 1))  # 31 votes, 30 voters present
    submit(at, f"{M}_save").click().run()
    assert not at.exception
    assert any("多于到会选民 30 人" in e.value for e in at.error)
    assert _reports(w) == 0
    assert at.text_input(key=f"{M}_venue").value == "和平社区活动室"  # the input stays

    at.number_input(key=f"{M}_sat").set_value(20)
    at.date_input(key=f"{M}_held").set_value(date(YEAR - 1, 12, 20))  # before the plan's year
    submit(at, f"{M}_save").click().run()
    assert any(f"计划年度（{YEAR}年）" in e.value for e in at.error)
    assert _reports(w) == 0


def test_leader_reads_without_forms_and_supervisor_records_a_hearing(app_world):
    w = app_world
    at = app_as("leader", "reports")
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith(("rep_plan_save", "rep_plan_propose"))]
    at = app_as("supervisor", "reports")
    at.text_input(key="rep_hear_new0_by").input("代表工委 李督查")
    at.text_area(key="rep_hear_new0_points").input("加强选民联系")
    submit(at, "rep_hear_new0_save").click().run()
    assert not at.exception
    assert any(x.value == "已登记听取汇报。" for x in at.success)
    with session_scope(url=w.url) as s:
        assert svc.groups_not_heard(s, w.admin(), YEAR).total == 2


def test_proposal_button_ticks_the_suggested_deputies(app_world):
    w = app_world
    at = app_as("staff", "reports")
    at.selectbox(key="rep_plan_group").set_value(w.groups[0]).run()
    at.button(key="rep_plan_propose").click().run()
    assert not at.exception
    # nobody reported in year 2: 7 left over 3 years needs 3 a year, above the 30% cap (said so)
    text = next(x.value for x in at.info if "尚未当面述职" in x.value)
    assert "尚未当面述职 7 人" in text and "剩余 3 个述职年度" in text and "建议本年安排 3 人" in text
    assert "超出比例上限" in text
    picked = at.multiselect(key=f"rep_plan_dep_{w.groups[0]}_{YEAR}_0").value
    assert len(picked) == 3 and set(picked) <= set(w.deputies[:7])
    assert any("42.9%" in x.value for x in at.warning)  # the live share warns, saving stays possible


def test_dashboard_link_opens_the_missing_written_reports(app_world):
    w = app_world
    with session_scope(url=w.url) as s:
        fig = next(f for f in svc.figures(s, w.staff(), YEAR) if f.rule == "R7")
    assert fig.value == 10 and fig.params["view"] == "missing"  # no plan: all 10 of the office owe one
    at = app_as("staff")
    for k, v in fig.params.items():
        at.query_params[k] = v
    goto(at, fig.page)
    assert not at.exception
    assert at.radio(key="rep_written_view").value == "missing"
    df = next(d.value for d in at.dataframe if "状态" in d.value.columns and "收到日期" in d.value.columns)
    assert len(df) == 10 and set(df["状态"]) == {"未提交"}


def _select_row(at, grid: str, row: int = 0):
    """Select a row of a data_table the way a click does."""
    at.session_state[f"{grid}__grid"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def test_staff_corrects_a_meeting_and_records_a_written_report(app_world):
    w = app_world
    with session_scope("staff", url=w.url) as s:
        svc.save_plan(s, w.staff(), w.groups[0], YEAR, [{"deputy_id": w.deputies[0]}, {"deputy_id": w.deputies[1]}])
        rid = svc.save_meeting(s, w.staff(), {"deputy_id": w.deputies[0], "year": YEAR, "held_on": clock.today(),
                                              "venue": "社区", "voters_present": 10, "satisfied": 7,
                                              "basically_satisfied": 0, "unsatisfied": 3})
    at = _select_row(app_as("staff", "reports"), "rep_meetings")
    p = f"rep_meet_edit{rid}"
    at.number_input(key=f"{p}_sat").set_value(8)
    at.number_input(key=f"{p}_unsat").set_value(2)
    submit(at, f"{p}_save").click().run()
    assert not at.exception
    assert any(x.value == "已保存述职记录。满意率 80.0%，评定：称职。" for x in at.success)
    with session_scope(url=w.url) as s:
        rep = svc.get_report(s, w.admin(), rid)
    assert (rep["satisfied"], rep["unsatisfied"], rep["version"]) == (8, 2, 2)

    at = _select_row(app_as("staff", "reports"), "rep_written_t")  # first owing deputy of the office
    dep_id = next(r["deputy_id"] for r in svc_rows(w) if r["状态"] == "未提交")
    q = f"rep_w{dep_id}_0"
    at.date_input(key=f"{q}_rec").set_value(clock.today())
    submit(at, f"{q}_save").click().run()
    assert not at.exception
    assert any(x.value.startswith("已保存") and "书面报告" in x.value for x in at.success)
    assert dep_id not in {r["deputy_id"] for r in svc_rows(w) if r["状态"] == "未提交"}


def svc_rows(w) -> list[dict]:
    """The written-report rows of the staff's office for this year, in the page's order."""
    with session_scope(url=w.url) as s:
        return svc.written_status(s, w.staff(), {"year": YEAR}, 0, 100).rows


def test_the_page_refuses_year_one_in_the_service_words(app_world):
    w = app_world
    at = app_as("staff", "reports")
    at.selectbox(key="rep_year").set_value(2024).run()  # the world's term began in 2024
    assert not at.exception
    with session_scope(url=w.url) as s:
        message = svc.plan_year_error(s, 2024)
    assert "第一年" in message
    assert message in [x.value for x in at.info]  # 年度概览
    assert message in [x.value for x in at.warning]  # 述职计划: the same words, and no plan form
    assert not [b for b in at.button if (b.key or "").startswith(("rep_plan_save", "rep_plan_propose"))]
