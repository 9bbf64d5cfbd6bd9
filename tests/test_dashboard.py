"""工作台: figures collected from every area's module (listed explicitly), ordered by rule; an area
whose figures fail shows one error tile; the monthly trend in scope, on any day of the year; the
page renders for every role and every figure opens the list behind it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import text

from db import models as M
from db.engine import session_scope
from services import clock, dashboard, hotissues, letters, quarterly, scoring
from services.common import PAGES, URL_PATHS, Actor
from tests.conftest import app_as, goto


def _example(world, year: int) -> None:
    """In ``year`` (group 0): one activity on 3 February, one letter on 1 February, one opinion
    resolved on 1 April; the published default rubric."""
    with session_scope("test", url=world.url) as s:
        scoring.ensure_default_rubric(s)
        a = M.Activity(held_on=date(year, 2, 3), place="社区", district_id=world.districts[0],
                       group_id=world.groups[0], office_id=world.offices[0], organiser="代表个人", kind="问需",
                       targets=["一般选民"], mode="走访慰问", voters_reached=10, summary="走访选民")
        s.add(a)
        s.flush()
        s.add(M.ActivityDeputy(activity_id=a.id, deputy_id=world.deputies[0]))
        s.add(M.Letter(code=f"L{year}001", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                       group_id=world.groups[0], office_id=world.offices[0], received_on=date(year, 2, 1),
                       summary="噪音扰民", category="其他", deputy_id=world.deputies[1], status="已反馈",
                       forwarded_to="区城管局", satisfaction="满意"))
        s.add(M.Opinion(source="活动", deputy_id=world.deputies[0], district_id=world.districts[0],
                        group_id=world.groups[0], raised_on=date(year, 3, 3), content="路灯不亮", category="城乡建设",
                        status="已解决", outcome="A 已解决", forwarded_to="街道办", resolved_on=date(year, 4, 1)))


def _r11_to_r14(world) -> None:
    """Data that makes R11–R14 non-zero today: mailboxes never opened, a letter overdue, no
    quarterly summary submitted, a closed supervision topic whose writers were not told."""
    t = clock.today()
    staff, leader = world.staff(), world.leader()
    with session_scope("staff", url=world.url) as s:
        ids = [letters.register(s, staff, {
            "mailbox_id": world.mailboxes[0], "received_on": t - timedelta(days=60), "writer_name": f"居民{i}",
            "writer_phone": f"1390000{i:04d}", "summary": f"路口红绿灯时间太短{i}", "category": "交通出行"}).id
            for i in range(3)]
    with session_scope("leader", url=world.url) as s:
        tid = hotissues.create_topic(s, leader, title="路口信号灯配时督办", category="交通出行",
                                     district_id=world.districts[0], letter_ids=ids).id
        hotissues.close_topic(s, leader, tid, "已延长绿灯时间", "A 已解决")


# ---------------------------------------------------------------- the service


def test_figures_collected_and_ordered(travel, world) -> None:
    """Figures of every area (R1 … R20 that have one), each linking to a page, ordered by rule."""
    travel("2026-11-30")
    _example(world, 2026)
    _r11_to_r14(world)
    with session_scope("test", url=world.url) as s:
        figs = dashboard.figures(s, world.leader(), 2026)
    rules = [f.rule for f in figs]
    assert {"R1", "R11", "R12", "R13", "R14", "R15", "R17", "R19", "R20"} <= set(rules)
    assert "—" not in rules  # no error tile
    nums = [int(r[1:]) for r in rules if r.startswith("R")]
    assert nums == sorted(nums)
    assert rules[:len(nums)] == [r for r in rules if r.startswith("R")]  # the rules first, then the focuses
    assert all(f.page in PAGES for f in figs)
    by = {f.label: f for f in figs}
    assert by["超期未办来信"].value == 3 and by["超期未办来信"].rule == "R12"
    assert by["7天内未开箱的信箱"].value == 4  # 4 mailboxes, none ever opened
    assert by["未报送2026年第3季度汇总的代表组"].value == 3
    assert by["议题已办结、尚未告知结果的来信人"].value == 3


def test_each_area_figure_comes_from_its_own_module(world) -> None:
    """R11 from services.mailboxes, R12 from services.letters, R13 from services.quarterly, R14
    from services.hotissues: each module's figures() answers its own rule only."""
    from services import mailboxes

    year = clock.today().year
    with session_scope("test", url=world.url) as s:
        rules_of = {m.__name__: {f.rule for f in m.figures(s, world.admin(), year)}
                    for m in (mailboxes, letters, quarterly, hotissues)}
    assert rules_of == {"services.mailboxes": {"R11"}, "services.letters": {"R12"},
                        "services.quarterly": {"R13"}, "services.hotissues": {"R14"}}


def test_an_area_that_fails_shows_one_error_tile(world, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """hotissues.figures raising: one 热点问题 error tile in its place, the error logged, the other
    areas' figures still there (and the session still usable on PostgreSQL)."""
    def broken(*_a: object) -> list:
        raise RuntimeError("boom")

    monkeypatch.setattr(hotissues, "figures", broken)
    with session_scope("test", url=world.url) as s:
        figs = dashboard.figures(s, world.admin(), clock.today().year)
    failed = [f for f in figs if f.rule == "—"]
    assert [(f.label, f.bad, f.page) for f in failed] == [("热点问题统计暂不可用", True, "")]
    assert figs[-1] is failed[0]  # a tile without a rule number comes last
    assert {"R1", "R11", "R12", "R13", "R19"} <= {f.rule for f in figs}
    assert "R14" not in {f.rule for f in figs}
    assert "services.hotissues" in caplog.text and "boom" in caplog.text


def test_the_overview_is_reused_until_a_write_and_a_failure_is_never_kept(
        travel, world, monkeypatch: pytest.MonkeyPatch) -> None:
    """工作台 (sections, trend, comparison by office) is computed once per data version, day, user
    and year: a second visit with nothing written reuses it; any committed write, another user, another
    year or the next day computes it again; a result with a failed area is not kept."""
    travel("2026-06-10")
    _example(world, 2026)
    admin, leader = world.admin(), world.leader()
    with session_scope("admin", url=world.url) as s:
        first = dashboard.overview(s, admin, 2026)
        assert dashboard.overview(s, admin, 2026) is first
        assert dashboard.overview(s, leader, 2026) is not first
        assert dashboard.overview(s, admin, 2025) is not first
    assert first.offices and sum(r["联系活动（次）"] for r in first.offices) == 1

    def r1(view: dashboard.Overview) -> int:
        return next(f.value for _n, figs in view.sections for f in figs if f.rule == "R1")

    with session_scope("staff", url=world.url) as s:  # a second activity for deputy 0: R1 met
        a = M.Activity(held_on=date(2026, 5, 3), place="社区", district_id=world.districts[0],
                       group_id=world.groups[0], office_id=world.offices[0], organiser="代表个人", kind="问需",
                       targets=["一般选民"], mode="走访慰问", voters_reached=5, summary="再次走访")
        s.add(a)
        s.flush()
        s.add(M.ActivityDeputy(activity_id=a.id, deputy_id=world.deputies[0]))
    with session_scope("admin", url=world.url) as s:
        after = dashboard.overview(s, admin, 2026)
    assert after is not first and r1(after) == r1(first) - 1
    assert sum(r["联系活动（次）"] for r in after.offices) == 2
    travel("2026-06-11")
    with session_scope("admin", url=world.url) as s:
        assert dashboard.overview(s, admin, 2026) is not after

    def broken(*_a: object) -> list:
        raise RuntimeError("boom")

    monkeypatch.setattr(hotissues, "figures", broken)
    with session_scope("admin", url=world.url) as s:  # (2024: a year not visited yet)
        failed = dashboard.overview(s, admin, 2024)
        assert any(f.label == "热点问题统计暂不可用" for _n, figs in failed.sections for f in figs)
        assert dashboard.overview(s, admin, 2024) is not failed  # tried again, not kept


# ---------------------------------------------------------------- R13: which quarter


@pytest.mark.parametrize(("today", "year", "expected"), [
    ("2026-01-05", 2026, (2025, 4)),  # early January: last year's fourth quarter is the one due
    ("2026-03-31", 2026, (2025, 4)),
    ("2026-04-01", 2026, (2026, 1)),
    ("2026-06-30", 2026, (2026, 1)),
    ("2026-12-31", 2026, (2026, 3)),
    ("2027-01-05", 2026, (2026, 4)),  # a past year asks about its own fourth quarter
    ("2026-06-30", 2024, (2024, 4)),
])
def test_the_r13_figure_asks_about_the_quarter_due(travel, today: str, year: int, expected: tuple) -> None:
    """The quarter 工作台 asks about follows the year shown and today."""
    travel(today)
    assert quarterly.due_quarter(year) == expected


def test_the_r13_figure_counts_groups_without_that_summary(travel, world) -> None:
    """Early January: the 2026 工作台 asks for 2025 Q4; the link opens that quarter's missing list."""
    travel("2026-01-05")
    with session_scope("staff", url=world.url) as s:
        quarterly.submit(s, world.staff(), world.groups[0], 2025, 4)
    with session_scope("t", url=world.url) as s:
        (admin,) = quarterly.figures(s, world.admin(), 2026)
        (staff,) = quarterly.figures(s, world.staff(), 2026)
        (past,) = quarterly.figures(s, world.admin(), 2024)
    assert (admin.value, admin.params) == (2, {"view": "missing", "year": "2025", "quarter": "4"})
    assert staff.value == 1  # office 0: group 1 still missing
    assert past.label == "未报送2024年第4季度汇总的代表组" and past.value == 3


# ---------------------------------------------------------------- the monthly trend


def test_trend_by_month_in_scope(travel, world) -> None:
    """Activities, letters and resolved opinions per month; a scope outside group 0 sees none."""
    travel("2026-11-30")
    _example(world, 2026)
    with session_scope("test", url=world.url) as s:
        rows = dashboard.trend(s, world.admin(), 2026)
        other = dashboard.trend(s, Actor("x", "staff", group_id=world.groups[2]), 2026)
    got = {(r["月份"], r["项目"]): r["数量"] for r in rows}
    assert got[("2026-02", "联系选民活动（次）")] == 1
    assert got[("2026-02", "收到来信（件）")] == 1
    assert got[("2026-04", "群众意见已解决（条）")] == 1
    assert sum(got.values()) == 3
    assert sum(r["数量"] for r in other) == 0


def test_trend_months_on_every_pinned_day(pinned_day: date, world) -> None:
    """On any day: the current year up to this month, a past year whole, a future year nothing;
    last year's data stay in last year's chart."""
    year = pinned_day.year
    _example(world, year - 1)
    with session_scope("test", url=world.url) as s:
        this = dashboard.trend(s, world.admin(), year)
        last = dashboard.trend(s, world.admin(), year - 1)
        ahead = dashboard.trend(s, world.admin(), year + 1)
    assert sorted({r["月份"] for r in this}) == [f"{year}-{m:02d}" for m in range(1, pinned_day.month + 1)]
    assert sum(r["数量"] for r in this) == 0
    assert len({r["月份"] for r in last}) == 12 and sum(r["数量"] for r in last) == 3
    assert ahead == []


def test_an_opinion_resolved_counts_by_the_one_rule(travel, world) -> None:
    """The trend counts resolved opinions as rules.opinion_resolved does: not one found
    unresolvable and then fed back to the voter."""
    travel("2026-11-30")
    with session_scope("test", url=world.url) as s:
        s.add(M.Opinion(source="活动", deputy_id=world.deputies[0], district_id=world.districts[0],
                        group_id=world.groups[0], raised_on=date(2026, 5, 3), content="修桥", category="城乡建设",
                        status="已反馈选民", forwarded_to="区住建局", resolved_on=date(2026, 6, 1),
                        unresolvable_reason="资金不足"))
    with session_scope("test", url=world.url) as s:
        rows = dashboard.trend(s, world.admin(), 2026)
    assert sum(r["数量"] for r in rows if r["项目"] == "群众意见已解决（条）") == 0


# ---------------------------------------------------------------- the page


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_dashboard_renders_for_every_role(app_world, role: str) -> None:
    """Every role gets its figures as lines in plain-language sections, the rule code a small tag
    (no error line); each line links to a page that role may open."""
    _example(app_world, clock.today().year)
    at = app_as(role, "dashboard")
    assert not at.exception
    links = at.get("page_link")
    labels = [link.proto.label for link in links]
    assert any(":gray-badge[R1]" in lbl for lbl in labels)
    assert any(":gray-badge[R19]" in lbl for lbl in labels)
    assert not any("暂不可用" in m.value for m in at.markdown)
    page_of = {path: key for key, path in URL_PATHS.items()}
    for link in links:
        assert role in PAGES[page_of[link.proto.page]][1], link.proto.label
    heads = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert heads[:2] == ["#### 联系选民", "#### 来信办理"] and "#### 评议评优" in heads


def test_leaders_see_five_sections_and_the_comparison_by_office(app_world) -> None:
    """A leader reads five sections in the office's words and the comparison by 办事处 (one row
    per office, the figures counted in SQL); a staff member scoped to one office has no comparison."""
    _example(app_world, clock.today().year)
    at = app_as("leader", "dashboard")
    assert not at.exception
    heads = [m.value[5:] for m in at.markdown if m.value.startswith("#### ")]
    assert heads == list(dashboard.SECTIONS)
    table = next(df.value for df in at.dataframe if "办事处" in df.value.columns)
    with session_scope("t") as s:
        offices = s.execute(text("SELECT COUNT(*) FROM offices WHERE active")).scalar_one()
        acts = s.execute(text("SELECT COUNT(*) FROM activities WHERE held_on BETWEEN :a AND :b"),
                         {"a": date(clock.today().year, 1, 1), "b": date(clock.today().year, 12, 31)}).scalar_one()
    assert len(table) == offices and int(table["联系活动（次）"].sum()) == acts
    staff = app_as("staff", "dashboard")
    assert not any("办事处" in df.value.columns for df in staff.dataframe)


def test_dashboard_shows_the_error_line_of_a_failing_area(app_world, monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest: an area whose figures raise shows 热点问题统计暂不可用 in its section; the other
    figures still show and link to their lists."""
    def broken(*_a: object) -> list:
        raise RuntimeError("boom")

    monkeypatch.setattr(hotissues, "figures", broken)
    at = app_as("leader", "dashboard")
    assert not at.exception
    assert any("热点问题统计暂不可用" in m.value for m in at.markdown)
    labels = [link.proto.label for link in at.get("page_link")]
    assert any(":gray-badge[R1]" in lbl for lbl in labels) and not any("[R14]" in lbl for lbl in labels)


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_every_figure_opens_its_list(app_world, role: str) -> None:
    """AppTest: each figure's tile links to its list (page and query parameters), and following
    the link opens the page without an error; for R11–R14 the list shows as many rows as the
    figure says."""
    _example(app_world, clock.today().year)
    _r11_to_r14(app_world)
    actor = getattr(app_world, role)()
    with session_scope("t") as s:
        figs = dashboard.figures(s, actor, clock.today().year)
    assert all(f.rule != "—" for f in figs)
    board = app_as(role)
    links = {(link.proto.page, frozenset(parse_qsl(link.proto.query_string))) for link in board.get("page_link")}
    for f in figs:
        if role not in PAGES[f.page][1]:
            continue  # no link is drawn for a page the role cannot open
        assert (URL_PATHS[f.page], frozenset((k, str(v)) for k, v in f.params.items())) in links, f.label
        at = app_as(role)
        for k, v in f.params.items():
            at.query_params[k] = str(v)
        goto(at, f.page)
        assert not at.exception, (f.rule, f.label)
        captions = " ".join(c.value for c in at.caption)
        if f.rule == "R11":
            assert f"未按时开箱：{f.value} 个" in captions
        elif f.rule == "R12" and f.params["overdue"] == "超期":
            assert re.search(rf"共 {f.value} 件；超期：{f.value} 件", captions), captions
        elif f.rule == "R13":
            assert f"未报送：{f.value} 个" in captions
        elif f.rule == "R14":
            untold = next(d.value for d in at.dataframe if "来信编号" in d.value.columns)
            assert len(untold) == f.value


def test_staff_sees_their_spot_check_rectifications_on_the_dashboard(app_world) -> None:
    """Staff cannot open 抽查督导; the R16 figure opens the items of their own groups on 工作台."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    with session_scope("supervisor", url=app_world.url) as s:
        s.add_all([
            M.Rectification(source="抽查", group_id=app_world.groups[0], content="补齐签到表",
                            due_on=clock.today() - timedelta(days=1)),
            M.Rectification(source="抽查", group_id=app_world.groups[2], content="西城的整改"),
        ])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.session_state["session_started_at"] = clock.now()
    at.run()
    at.query_params["view"] = "spotcheck_rect"  # as the figure's link sets it
    goto(at, "dashboard")
    assert not at.exception
    rows = at.dataframe[0].value
    assert list(rows["整改内容"]) == ["补齐签到表"]  # the other office's item is not shown


def test_every_area_of_the_dashboard_has_a_section() -> None:
    """An area added to 工作台's sources must be placed in one of the five sections."""
    assert {m for m, _area in dashboard.SOURCES} == set(dashboard.SECTION_OF)
    assert set(dashboard.SECTION_OF.values()) <= set(dashboard.SECTIONS)


def test_the_comparison_by_office_counts_in_sql_on_every_backend(world) -> None:
    """by_office: one row per active office in scope; its activity count matches a direct count;
    a staff account scoped to one office gets that office only."""
    _example(world, clock.today().year)
    year = clock.today().year
    with session_scope("t", world.url) as s:
        rows = dashboard.by_office(s, world.admin(), year)
        direct = dict(s.execute(text(
            "SELECT office_id, COUNT(*) FROM activities WHERE held_on BETWEEN :a AND :b GROUP BY office_id"),
            {"a": date(year, 1, 1), "b": date(year, 12, 31)}).all())
        mine = dashboard.by_office(s, world.staff(), year)
    assert [r["office_id"] for r in rows] == sorted(world.offices)
    assert {r["office_id"]: r["联系活动（次）"] for r in rows if r["联系活动（次）"]} == direct
    assert [r["office_id"] for r in mine] == [world.offices[0]]
