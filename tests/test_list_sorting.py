"""Lists sort on the server (issue 17): the 来信 list orders the whole result in SQL before it
pages it — by default the office's order (overdue first, then the nearest deadline) — and the
sort choice reaches the service from the page; 本周到期 finds this week's due letters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db.engine import session_scope
from services import clock, letters
from tests.conftest import app_as, goto

TODAY = "2026-11-30"  # a Monday


@pytest.fixture(autouse=True)
def _today(travel) -> None:  # noqa: ANN001
    travel(TODAY)


def _register(world, received: date, summary: str, phone: str) -> int:
    with session_scope("staff", world.url) as s:
        return letters.register(s, world.staff(), {
            "mailbox_id": world.mailboxes[0], "received_on": received, "writer_name": "张三",
            "writer_phone": phone, "summary": summary, "category": "城乡建设"}).id


def _letters(world) -> dict[str, int]:
    """25 letters over 2025–2026 (more than one page), one of them long overdue, one closed."""
    ids = {}
    for i in range(23):
        day = date(2025, 1, 6) + timedelta(days=30 * i)
        ids[f"l{i}"] = _register(world, min(day, clock.today()), f"第{i}件来信的内容", f"1390000{i:04d}")
    ids["fresh"] = _register(world, clock.today(), "今天收到的来信", "13911110000")
    ids["closed"] = _register(world, date(2024, 12, 2), "早已不予受理的来信", "13922220000")
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), ids["closed"], "不予受理", happened_on=date(2024, 12, 3),
                           reason="不属于人大代表职责范围")
    return ids


def _all(world, f: dict, size: int = 10) -> list[dict]:
    rows, off = [], 0
    with session_scope("staff", world.url) as s:
        while True:
            page = letters.list_letters(s, world.staff(), f, off, size)
            rows += page.rows
            off += size
            if off >= page.total:
                return rows


def test_each_order_runs_over_every_page_not_just_the_one_on_screen(world) -> None:
    ids = _letters(world)
    newest = _all(world, {"sort": "received_desc"})
    assert len(newest) == 25
    days = [r["收信日期"] for r in newest]
    assert days == sorted(days, reverse=True)  # across all three pages
    assert newest[0]["id"] == ids["fresh"] and newest[-1]["id"] == ids["closed"]
    oldest = _all(world, {"sort": "received_asc"})
    assert [r["id"] for r in oldest] == [r["id"] for r in reversed(newest)]
    due = _all(world, {"sort": "due"})
    dues = [r["截止日期"] for r in due if r["截止日期"]]
    assert dues == sorted(dues) and due[-1]["id"] == ids["closed"]  # no deadline: last


def test_the_default_is_the_offices_order_overdue_first_then_the_nearest_deadline(world) -> None:
    ids = _letters(world)
    rows = _all(world, {})
    rank = {"严重超期": 0, "超期": 1, "即将到期": 2, "": 2}
    levels = [rank[r["超期"]] for r in rows]
    assert levels == sorted(levels)  # every overdue letter before every letter on time
    on_time = [r for r in rows if rank[r["超期"]] == 2 and r["截止日期"]]
    assert [r["截止日期"] for r in on_time] == sorted(r["截止日期"] for r in on_time)
    assert rows[-1]["id"] == ids["closed"]
    # the columns the office reads first
    assert list(rows[0])[1:4] == ["状态", "截止日期", "超期"]
    # an unknown sort key (a hand-made URL) is the default, not an error
    assert [r["id"] for r in _all(world, {"sort": "drop table"})] == [r["id"] for r in rows]


def test_this_weeks_due_letters(world) -> None:
    ids = _letters(world)
    rows = _all(world, {"overdue": "本周到期"})
    week_end = clock.today() + timedelta(days=6 - clock.today().weekday())
    assert rows and all(clock.today() <= r["截止日期"] <= week_end and r["超期"] in ("", "即将到期") for r in rows)
    assert ids["fresh"] in [r["id"] for r in rows]  # handed within 2 working days: due this week


def test_the_page_sorts_the_whole_list(app_world) -> None:
    _letters(app_world)
    at = app_as("staff")
    goto(at, "mailbox")
    assert not at.exception
    sort = next(sb for sb in at.selectbox if sb.label.startswith("排序"))
    assert sort.value == "office"
    sort.set_value("received_asc").run()
    assert not at.exception
    grid = at.dataframe[0].value
    assert grid.iloc[0]["收信日期"] == "2024-12-02"  # the oldest letter, which lives on the last page by default
    assert "None" not in grid.astype(str).to_numpy().ravel().tolist()


def test_opinions_open_first_and_every_order_over_all_pages(world) -> None:
    from services import opinions
    from tests.test_opinions import RAISED, _opinion, _walk

    ids = [_opinion(world, raised_on=RAISED - timedelta(days=7 * i), content=f"意见{i}") for i in range(12)]
    for i in (0, 3, 7):
        _walk(world, ids[i], ["已转交", "办理中", "已解决"])

    def all_rows(f: dict) -> list[dict]:
        out, off = [], 0
        with session_scope("staff", world.url) as s:
            while True:
                page = opinions.list_opinions(s, world.staff(), f, off, 5)
                out += page.rows
                off += 5
                if off >= page.total:
                    return out

    office = all_rows({})
    assert [r["状态"] for r in office[:9]] == ["待转交"] * 9 and {r["状态"] for r in office[9:]} == {"已解决"}
    assert [r["提出日期"] for r in office[:9]] == sorted(r["提出日期"] for r in office[:9])  # oldest open first
    assert list(office[0])[2] == "状态"  # first column shown (after the hidden id and version)
    newest = all_rows({"sort": "raised_desc"})
    assert [r["id"] for r in newest] == ids  # ids[0] was raised last


def test_activities_order_over_all_pages(world) -> None:
    from services import activities
    from tests.test_activities import _create

    ids = [_create(world, held_on=date(2026, 1, 5) + timedelta(days=9 * i), voters_reached=10 + (i * 7) % 11)
           for i in range(7)]

    def all_rows(f: dict) -> list[dict]:
        out, off = [], 0
        with session_scope("staff", world.url) as s:
            while True:
                page = activities.list_activities(s, world.staff(), f, off, 3)
                out += page.rows
                off += 3
                if off >= page.total:
                    return out

    assert [r["id"] for r in all_rows({})] == list(reversed(ids))
    assert [r["id"] for r in all_rows({"sort": "held_asc"})] == ids
    voters = [r["联系选民（人）"] for r in all_rows({"sort": "voters_desc"})]
    assert voters == sorted(voters, reverse=True) and len(voters) == 7


# ---------------------------------------------------------------- lists computed in Python


def test_python_lists_order_the_whole_list_before_paging() -> None:
    """components.table.rows_fetch: every page and the export (offset 0, the export limit) follow
    the chosen order over all 45 rows; empty cells last (or first when asked); 88.4% as a number,
    第2选区 before 第10选区, names by 姓氏笔画."""
    from components.table import EXPORT_MAX, Order, rows_fetch

    surnames = ["王", "丁", "张", "马", "白"]  # 4, 2, 7, 3, 5 strokes
    rows = [{"序号": i + 1, "选区": f"第{45 - i}选区", "满意率": f"{(i * 37) % 100}.5%" if i % 9 else "",
             "代表": surnames[i % 5] + "某", "反映日期": date(2026, 1, 1) + timedelta(days=(i * 11) % 45)}
            for i in range(45)]
    orders = {"no": Order("按序号", (("序号", False),)),
              "district": Order("按选区", (("选区", False),)),
              "sat": Order("满意率低的在前", (("满意率", False),)),
              "open": Order("未评的在前", (("满意率", True),), empty_first=True),
              "name": Order("按姓氏笔画", (("代表", False), ("反映日期", True)))}
    fetch = rows_fetch(rows, orders)

    def pages(sort: str) -> list[dict]:
        out = []
        for off in range(0, 45, 20):
            page = fetch({"sort": sort}, off, 20)
            assert page.total == 45
            out += page.rows
        assert fetch({"sort": sort}, 0, EXPORT_MAX).rows == out  # the export has the same order
        return out

    assert [r["序号"] for r in pages("no")] == list(range(1, 46))
    assert [r["序号"] for r in fetch({}, 0, 3).rows] == [1, 2, 3]  # no choice yet: the first order
    assert [r["选区"] for r in pages("district")][:3] == ["第1选区", "第2选区", "第3选区"]
    sat = [r["满意率"] for r in pages("sat")]
    assert sat[:2] == ["3.5%", "6.5%"] and sat[-5:] == [""] * 5  # 6.5% before 11.5%: numbers, not text
    assert sat.index("6.5%") < sat.index("11.5%")
    assert [float(x[:-1]) for x in sat[:-5]] == sorted(float(x[:-1]) for x in sat[:-5])
    assert [r["满意率"] for r in pages("open")][:5] == [""] * 5
    names = pages("name")
    assert [r["代表"] for r in names[::9]] == ["丁某", "马某", "王某", "白某", "张某"]
    assert [r["反映日期"] for r in names[:9]] == sorted((r["反映日期"] for r in names[:9]), reverse=True)


def test_the_quarterly_list_sorts_the_whole_quarter(app_world) -> None:
    """25 problems of one group's quarter (two pages): 按问题类别 puts the whole quarter in order, so
    the first page holds only the first categories, and the default stays the 上报 order (序号)."""
    w = app_world
    cats = ["社会保障", "教育", "城乡建设", "医疗卫生", "其他"]
    for i in range(25):
        with session_scope("staff", w.url) as s:
            letters.register(s, w.staff(), {
                "mailbox_id": w.mailboxes[0], "received_on": date(2026, 7, 1) + timedelta(days=3 * i),
                "writer_name": f"来信人{i}", "writer_phone": f"1380000{i:04d}", "summary": f"第{i}件",
                "category": cats[i % 5]})
    at = app_as("staff")
    at.query_params["year"] = "2026"
    at.query_params["quarter"] = "3"
    goto(at, "quarterly")
    assert not at.exception
    sort = at.selectbox(key="qs_rows__sort")
    assert sort.value == "date"
    grid = next(df.value for df in at.dataframe if "反映问题" in df.value.columns)
    assert list(grid["序号"]) == list(range(1, 21))
    sort.set_value("category").run()
    assert not at.exception
    grid = next(df.value for df in at.dataframe if "反映问题" in df.value.columns)
    from services.strokes import stroke_key

    first_page = list(grid["问题类别"])
    assert first_page == sorted(first_page, key=stroke_key) and len(first_page) == 20
    expected = sorted(cats, key=stroke_key)
    assert first_page == [c for c in expected for _ in range(5)][:20]  # the last category is on page 2
