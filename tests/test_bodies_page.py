"""承办单位 page (AppTest): staff add a body (a person refused beside the field), read the figures per
body; the admin maps old free text; the leader reads only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db import models
from db.engine import session_scope
from tests.conftest import app_as, submit


def test_staff_add_a_body_and_a_person_is_refused(app_world) -> None:
    at = app_as("staff", "bodies")
    assert not at.exception
    at.text_input(key="bd_name").input("张伟（代表）")
    submit(at, "bd_add").click().run()
    assert any("R3" in e.value for e in at.error)
    at.text_input(key="bd_name").input("区水务局")
    submit(at, "bd_add").click().run()
    assert not at.exception
    assert any("已新增承办单位" in x.value for x in at.success)
    with session_scope("t") as s:
        names = s.execute(select(models.HandlingBody.name)).scalars().all()
    assert "区水务局" in names and "张伟（代表）" not in names
    assert not [t for t in at.tabs if t.label == "待对应的历史填写"]  # the admin's section


def test_admin_maps_old_text_and_the_leader_only_reads(app_world) -> None:
    with session_scope("t") as s:
        s.add(models.Letter(code="OLD1", mailbox_id=app_world.mailboxes[0], district_id=app_world.districts[0],
                            group_id=app_world.groups[0], office_id=app_world.offices[0], received_on=date(2026, 1, 5),
                            summary="旧", category="其他", status="已转办", forwarded_to="城管"))
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区城管局")).scalar_one()
    at = app_as("admin", "bodies")
    assert not at.exception
    assert at.selectbox(key="bd_map_text").value is None  # nothing preselected
    assert at.selectbox(key="bd_map_text").options == ["城管"]
    at.selectbox(key="bd_map_text").set_value("城管")
    at.selectbox(key="bd_map_body").set_value(body)
    submit(at, "bd_map_go").click().run()
    assert not at.exception
    assert any("历史填写的承办单位都已对应" in x.value for x in at.success)
    with session_scope("t") as s:
        letter = s.execute(select(models.Letter).where(models.Letter.code == "OLD1")).scalars().one()
        assert (letter.forwarded_to, letter.body_id) == ("区城管局", body)
    at = app_as("leader", "bodies")
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith("bd_add")]


def test_the_dashboard_figure_of_b_c_d_opens_its_list(app_world) -> None:
    """工作台's figure of items closed as B/C/D opens the 承办单位 page on that list, with as many rows."""
    from urllib.parse import parse_qsl

    from services import bodies, clock
    from tests.conftest import goto

    year = clock.today().year
    with session_scope("t") as s:
        body = s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == "区城管局")).scalar_one()
        for i, outcome in enumerate(("A 已解决", "B 正在解决", "D 因条件限制留作参考")):
            s.add(models.Letter(code=f"BCD{i}", mailbox_id=app_world.mailboxes[0], district_id=app_world.districts[0],
                                group_id=app_world.groups[0], office_id=app_world.offices[0],
                                received_on=date(year, 1, 5), summary=f"第{i}件", category="其他", status="已办结",
                                forwarded_to="区城管局", body_id=body, result="已答复", outcome=outcome))
    with session_scope("t") as s:
        fig = bodies.figures(s, app_world.staff(), year)[0]
    assert fig.value == 2
    board = app_as("staff")
    links = {(link.proto.page, frozenset(parse_qsl(link.proto.query_string))) for link in board.get("page_link")}
    assert ("chengban", frozenset({("view", "unsolved"), ("year", str(year))})) in links
    at = app_as("staff")
    for k, v in fig.params.items():
        at.query_params[k] = v
    goto(at, "bodies")
    assert not at.exception
    listed = next(d.value for d in at.dataframe if "结果分类" in d.value.columns and "承办单位" in d.value.columns)
    assert sorted(listed["结果分类"]) == ["B 正在解决", "D 因条件限制留作参考"]
