"""季度汇总 (R13): the service on three backends and the page (AppTest), figures checked against
a direct SQL count; the .xlsx opens with openpyxl and holds the same rows."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from db.engine import get_engine, session_scope
from services import clock, letters, opinions, quarterly
from services.common import PermissionDenied, ValidationError
from services.states import LetterStatus, OpinionStatus
from tests.conftest import app_as, goto, submit
from tests.gongwen import assert_gongwen


def _fill(world, day: date) -> None:
    """Two letters of group 0 (one resolved), one of group 2, one opinion of group 0."""
    staff = world.staff()
    with session_scope("staff", world.url) as s:
        a = letters.register(s, staff, {"mailbox_id": world.mailboxes[0], "deputy_id": world.deputies[0], "received_on": day, "writer_name": "甲",
                                        "writer_phone": "13900000001", "summary": "路灯坏了", "category": "城乡建设"}).id
        letters.register(s, staff, {"mailbox_id": world.mailboxes[3], "received_on": day, "writer_name": "乙",
                                    "writer_phone": "13900000002", "summary": "学校拥堵", "category": "教育"})
        for step, kw in [("已交代表", {}), ("已回复", {"reply_content": "已电话答复来信人", "reply_method": "电话"}), ("已转办", {"forwarded_to": "区住建局"}), ("办理中", {}),
                         ("已办结", {"result": "已修复", "outcome": "A 已解决"})]:
            letters.transition(s, staff, a, step, happened_on=day, **kw)
        opinions.add_opinion(s, staff, source="活动", district_id=world.districts[0], raised_on=day,
                             content="菜市场脏乱", category="环境保护")
    with session_scope("admin", world.url) as s:
        letters.register(s, world.admin(), {"mailbox_id": world.mailboxes[2], "received_on": day,
                                            "writer_name": "丙", "writer_phone": "13900000003",
                                            "summary": "西城的事", "category": "教育"})


def _sql_count(url: str, group_id: int, lo: date, hi: date) -> int:
    """Problems of a group in a period, counted directly in SQL."""
    with get_engine(url).connect() as c:
        n_letters = c.execute(text("select count(*) from letters where group_id=:g and received_on between :a and :b "
                                   "and status <> '已合并'"), {"g": group_id, "a": lo, "b": hi}).scalar_one()
        n_ops = c.execute(text("select count(*) from opinions where group_id=:g and raised_on between :a and :b"),
                          {"g": group_id, "a": lo, "b": hi}).scalar_one()
    return int(n_letters) + int(n_ops)


def test_summary_counts_match_sql_and_submit(world) -> None:
    """Rows, totals and category counts of a quarter; submit once; missing groups listed."""
    day = clock.today()
    _fill(world, day)
    y, q = quarterly.quarter_of(day)
    lo, hi = quarterly.quarter_bounds(y, q)
    with session_scope("staff", world.url) as s:
        data = quarterly.summary(s, world.staff(), world.groups[0], y, q)
    assert data["totals"]["问题总数"] == _sql_count(world.url, world.groups[0], lo, hi) == 3
    assert data["totals"]["已解决"] == 1 and data["totals"]["来信"] == 2 and data["totals"]["群众意见"] == 1
    assert {r["问题类别"]: r["问题数"] for r in data["by_category"]} == {"城乡建设": 1, "教育": 1, "环境保护": 1}
    with session_scope("staff", world.url) as s:
        assert {r["代表组"] for r in quarterly.not_submitted(s, world.staff(), y, q)} == {"东城第一代表组", "东城第二代表组"}
        quarterly.submit(s, world.staff(), world.groups[0], y, q, "按时报送")
    with pytest.raises(ValidationError), session_scope("staff", world.url) as s:
        quarterly.submit(s, world.staff(), world.groups[0], y, q)
    with pytest.raises(PermissionDenied), session_scope("leader", world.url) as s:
        quarterly.submit(s, world.leader(), world.groups[1], y, q)
    with session_scope("staff", world.url) as s:
        assert [r["代表组"] for r in quarterly.not_submitted(s, world.staff(), y, q)] == ["东城第二代表组"]
        assert quarterly.summary(s, world.staff(), world.groups[0], y, q)["submitted_by"] == "王工作"


def test_xlsx_and_docx_hold_the_rows(world) -> None:
    """The .xlsx (title, table, totals, liaison) opens with openpyxl; the .docx is a Word file."""
    day = clock.today()
    _fill(world, day)
    y, q = quarterly.quarter_of(day)
    with session_scope("staff", world.url) as s:
        data = quarterly.summary(s, world.staff(), world.groups[0], y, q)
    ws = load_workbook(io.BytesIO(quarterly.to_xlsx(data))).active
    values = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == data["title"]
    assert list(values[2]) == quarterly.COLUMNS
    table = [r for r in values[3:3 + len(data["rows"])]]
    assert [r[5] for r in table] == [r["反映问题"] for r in data["rows"]]
    flat = " ".join(str(c) for r in values for c in r if c)
    assert "共3件" in flat and "联络员：陈联络" in flat

    doc = assert_gongwen(quarterly.to_docx(data), landscape=True)
    assert doc.tables[0].rows[1].cells[5].text == data["rows"][0]["反映问题"]
    assert doc.tables[0].rows[1].cells[0].text == "1"  # 序号
    widths = [c.width for c in doc.tables[0].rows[0].cells]
    assert widths[0] < widths[5]  # 序号 narrower than 反映问题


def test_quarterly_page_shows_the_group_figures(app_world) -> None:
    """AppTest: the page's totals and table match a direct SQL count; the export holds the rows."""
    day = clock.today()
    _fill(app_world, day)
    y, q = quarterly.quarter_of(day)
    lo, hi = quarterly.quarter_bounds(y, q)
    at = app_as("staff", "quarterly")
    at.selectbox(key="qs_group").set_value(app_world.groups[0])
    at.selectbox(key="qs_year").set_value(y)
    at.selectbox(key="qs_q").set_value(q).run()
    assert not at.exception
    expected = _sql_count(app_world.url, app_world.groups[0], lo, hi)
    metric = next(m for m in at.metric if m.label == "问题总数")
    assert metric.value == f"{expected} 件"
    shown = at.dataframe[0].value
    assert len(shown) == expected
    with session_scope("staff") as s:
        data = quarterly.summary(s, app_world.staff(), app_world.groups[0], y, q)
    ws = load_workbook(io.BytesIO(quarterly.to_xlsx(data))).active
    xlsx_rows = [r for r in ws.iter_rows(min_row=4, max_row=3 + expected, values_only=True)]
    assert [r[5] for r in xlsx_rows] == list(shown["反映问题"])
    submit(at, "qs_submit_btn").click().run()  # named by the page's token
    assert any("已报送" in x.value for x in at.success)


def test_rows_carry_kind_and_state_as_data(travel, world) -> None:
    """An overdue letter shows 登记（严重超期） but is counted as 来信·登记; an opinion found
    unresolvable and then fed back is not resolved (rules.opinion_resolved) but closed; a
    resolved opinion is resolved; the totals add up from the data, not from the labels."""
    travel("2026-06-15")
    staff = world.staff()
    with session_scope("staff", world.url) as s:
        late = letters.register(s, staff, {"mailbox_id": world.mailboxes[0], "deputy_id": world.deputies[0], "received_on": date(2026, 4, 1),
                                           "writer_name": "甲", "writer_phone": "13900000001",
                                           "summary": "路灯坏了", "category": "城乡建设"}).id
        hard = opinions.add_opinion(s, staff, source="活动", district_id=world.districts[0],
                                    raised_on=date(2026, 4, 2), content="修桥", category="城乡建设",
                                    forwarded_to="区住建局").id
        opinions.transition(s, staff, hard, "无法解决", reason="资金不足", happened_on=date(2026, 5, 1))
        opinions.transition(s, staff, hard, "已反馈选民", feedback="已向选民解释", happened_on=date(2026, 5, 2))
        done = opinions.add_opinion(s, staff, source="活动", district_id=world.districts[0],
                                    raised_on=date(2026, 4, 3), content="清理垃圾", category="环境保护",
                                    forwarded_to="街道办").id
        opinions.transition(s, staff, done, "已解决", resolved_by="街道办", result="已清理", outcome="A 已解决",
                            happened_on=date(2026, 4, 20))
    with session_scope("staff", world.url) as s:
        rows = quarterly.problems(s, staff, world.groups[0], 2026, 2)
        data = quarterly.summary(s, staff, world.groups[0], 2026, 2)
    by_text = {r["反映问题"]: r for r in rows}
    letter = by_text["路灯坏了"]
    assert letter["办理状态"] == "登记（严重超期）"  # for display only
    assert (letter["_kind"], letter["_state"], letter["_resolved"], letter["_closed"]) == \
        (quarterly.ProblemKind.LETTER, LetterStatus.REGISTERED, False, False)
    assert late and isinstance(letter["_state"], LetterStatus)
    fed = by_text["修桥"]
    assert (fed["_state"], fed["_resolved"], fed["_closed"]) == (OpinionStatus.FED_BACK, False, True)
    assert fed["解决情况"] == "无法解决：资金不足（已向选民说明）"
    ok = by_text["清理垃圾"]
    assert (ok["_state"], ok["_resolved"], ok["_closed"]) == (OpinionStatus.RESOLVED, True, False)
    assert data["totals"] == {"问题总数": 3, "来信": 1, "群众意见": 2, "已解决": 1, "未解决或不予受理": 1, "办理中": 1,
                              "B 正在解决": 0, "C 列入计划逐步解决": 0, "D 因条件限制留作参考": 1}
    assert ok["结果分类"] == "A 已解决" and fed["结果分类"] == "D 因条件限制留作参考"
    assert {r["办理状态"]: r["数量（件）"] for r in data["by_state"]} == \
        {"来信·登记": 1, "群众意见·已反馈选民": 1, "群众意见·已解决": 1}
    assert {r["问题类别"]: (r["已解决"], r["办理中"], r["未解决或不予受理"]) for r in data["by_category"]} == \
        {"城乡建设": (0, 1, 1), "环境保护": (1, 0, 0)}


def test_submission_state_is_data_not_a_label(world) -> None:
    """status_list carries ``submitted``; not_submitted follows it (the 报送状态 text is for display)."""
    y, q = quarterly.last_quarter(clock.today())
    with session_scope("staff", world.url) as s:
        quarterly.submit(s, world.staff(), world.groups[1], y, q)
        rows = quarterly.status_list(s, world.admin(), y, q)
        missing = quarterly.not_submitted(s, world.admin(), y, q)
    assert {r["代表组"]: (r["submitted"], r["报送状态"]) for r in rows} == {
        "东城第一代表组": (False, "未报送"), "东城第二代表组": (True, "已报送"), "西城代表组": (False, "未报送")}
    assert [r["id"] for r in missing] == [world.groups[0], world.groups[2]]


def test_status_page_lists_the_missing_groups_of_a_dashboard_link(app_world) -> None:
    """AppTest: ?view=missing&year=&quarter= (the R13 tile's link) opens the 报送情况 list filtered to
    the groups that have not submitted, without the internal ``submitted`` column."""
    y, q = quarterly.due_quarter(clock.today().year)
    with session_scope("staff", app_world.url) as s:
        quarterly.submit(s, app_world.staff(), app_world.groups[0], y, q)
    at = app_as("admin")
    at.query_params.update({"view": "missing", "year": str(y), "quarter": str(q)})
    goto(at, "quarterly")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "报送状态" in d.value.columns)
    assert list(table["代表组"]) == ["东城第二代表组", "西城代表组"]
    assert "submitted" not in table.columns
