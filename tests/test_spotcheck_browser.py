"""抽查督导 in a real browser: a supervisor seals last quarter's list, opens it with dice and a
group liaison, and records 16 findings — two exceptions, the rest 其余全部合格 — counting the clicks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from db import models
from db.engine import dispose_all, session_scope
from services import spotchecks as sc
from services.common import today
from tests import test_spotchecks as tsc
from tests.browser import (
    _require_browser,
    login,
    open_page,
    shot,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.browser

# records of last quarter per group: (activities, letters); every one is drawn (100 %): 16 in all
RECORDS = ((6, 2), (3, 2), (2, 1))


@pytest.fixture(scope="module")
def sc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on a small district with 16 records of last quarter, sealed and opened (dice)."""
    _require_browser()
    base, proc, url = start_server(tmp_path_factory.mktemp("spotcheck"))
    start = sc.quarter_of(sc.quarter_of(today())[0] - timedelta(days=1))[0]
    with session_scope("staff", url=url) as s:
        groups = s.query(models.DeputyGroup).order_by(models.DeputyGroup.id).all()
        for g, (acts, letters) in zip(groups, RECORDS, strict=False):
            d = s.query(models.District).filter_by(group_id=g.id).order_by(models.District.id).first()
            box = s.query(models.Mailbox).filter_by(district_id=d.id).first()
            for i in range(acts):
                s.add(models.Activity(held_on=start + timedelta(days=i), place=f"社区服务站{i}",
                                      district_id=d.id, group_id=g.id, office_id=g.office_id, organiser="代表个人",
                                      kind="问需", targets=["一般选民"], mode="现场办公解疑", voters_reached=12,
                                      summary="听取意见"))
            for i in range(letters):
                s.add(models.Letter(code=f"B{g.id}{i:03d}", mailbox_id=box.id if box else None, district_id=d.id,
                                    group_id=g.id, office_id=g.office_id, received_on=start + timedelta(days=i),
                                    summary="反映路灯不亮", category="城乡建设", writer_name="某某"))
    from services.common import Actor

    sup = Actor("supervisor", "supervisor", display_name="督查")
    second = tsc.confirm(url)
    with session_scope("supervisor", url=url) as s:
        end = sc.quarter_of(start)[1]
        rule = sc.build_rule(s, sup, period_start=start, period_end=end, kinds=["联系活动", "来信"],
                             percent=100, minimums={"联系活动": 0, "来信": 0})
        cid = sc.seal_check(s, sup, rule, source_kind="现场掷骰", source_name="季度督查会", source_ref="302室",
                            source_due=today(), dice=3).id
        sc.open_check(s, sup, cid, value="6 1 4", **second)
    dispose_all()
    yield base, url
    stop_server(proc)


class Clicks:
    """Counts the clicks a user makes (typing is not a click)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, locator) -> None:
        locator.click()
        self.n += 1


def test_sixteen_findings_in_at_most_thirty_clicks(sc_server, page):
    base, url = sc_server
    login(page, base, "supervisor")
    open_page(page, "spotchecks")
    click = Clicks()
    click(page.get_by_role("tab", name="检查记录"))
    page.get_by_role("button", name="保存核查结果").wait_for()
    for n, (record, why) in enumerate([("社区服务站3", "签到表缺页"), ("B2001", "未写办理结果")]):
        # pick the record
        box = page.locator("[data-testid='stSelectbox']").filter(has_text="核查记录").locator("input")
        click(box)
        box.press_sequentially(record)  # the picker filters as one types
        click(page.get_by_role("option", name=re.compile(record)).first)
        wait_ready(page)
        item = "有签到表或照片" if n == 0 else "有办理结果或反馈"
        click(page.locator("[data-testid='stRadio']").filter(has_text=item).get_by_text("不通过", exact=True))
        click(page.locator("[data-testid='stRadio']").filter(has_text="核查结果").get_by_text("基本合格", exact=True))
        note = page.get_by_label("发现的问题及说明")
        click(note)
        note.fill(why)
        click(page.get_by_role("button", name="保存核查结果"))
        page.get_by_text("核查结果已保存").first.wait_for()
        wait_ready(page)
    rest = page.get_by_role("button", name=re.compile("其余.*条全部合格"))
    while (left := rest.count()):
        click(rest.first)
        expect(rest).to_have_count(left - 1, timeout=60_000)  # the group's grade is in
    expect(page.get_by_text("待评定")).to_have_count(0)
    wait_ready(page)
    shot(page, "spotcheck_findings", "[data-testid='stMain']")
    print(f"\n16 条记录的核查结论用了 {click.n} 次点击")
    with session_scope(url=url) as s:
        results = sorted(i.result for i in s.query(models.SpotCheckItem))
        grades = sorted(g.grade for g in s.query(models.SpotCheckGrade))
    assert results == ["合格"] * 14 + ["基本合格"] * 2
    assert None not in grades
    assert click.n <= 30
