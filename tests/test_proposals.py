"""services.proposals on SQLite, PostgreSQL and MariaDB: status flow, signatures warning, R4 sources,
scope, locking, lists, import/export, the performance-file rows and figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from db import models
from db.engine import session_scope
from services import clock, opinions
from services import proposals as svc
from services.common import NotFound, ServiceError, StaleError, ValidationError

YEAR = 2026


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _new(w, kind="建议", lead=0, cos=(), **extra) -> int:
    """Create a proposal as admin; return its id."""
    data = {"kind": kind, "title": f"{kind}标题", "lead_deputy_id": w.deputies[lead],
            "cosigner_ids": [w.deputies[i] for i in cos], "submitted_on": date(YEAR, 1, 5),
            "session_no": 2 if kind == "议案" else None, **extra}
    with session_scope("admin", url=w.url) as s:
        return svc.create_proposal(s, w.admin(), data)["id"]


def _move(w, pid, to, **kw):
    """Run one transition as admin with the current version."""
    with session_scope("admin", url=w.url) as s:
        v = s.get(models.Proposal, pid).version
        return svc.transition(s, w.admin(), pid, to, expected_version=v, on=date(YEAR, 2, 1), **kw).status


def _walk(w, pid, steps):
    """Apply a list of (status, kwargs) steps."""
    for to, kw in steps:
        _move(w, pid, to, **kw)


@pytest.mark.parametrize(("kind", "path", "to", "ok"), [
    ("议案", [], "已立案", True),
    ("议案", [], "已交办", False),
    ("建议", [], "已交办", True),
    ("建议", [], "已立案", False),
    ("批评和意见", [], "已交办", True),
    ("建议", [], "办理中", False),
    ("建议", [], "已答复", False),
    ("建议", ["已交办"], "办理中", True),
    ("建议", ["已交办"], "已答复", False),
    ("建议", ["已交办", "办理中"], "已答复", True),
    ("建议", ["已交办", "办理中"], "已交办", False),
    ("建议", ["已交办", "办理中", "已答复"], "办理中", False),  # view not 不满意
    ("建议", ["已交办", "办理中", "已答复:不满意"], "办理中", True),  # 重新办理
    ("建议", ["已交办", "办理中", "已答复:满意"], "办理中", False),
])
def test_status_flow(world, kind, path, to, ok):
    w = world
    pid = _new(w, kind, cos=range(1, 10) if kind == "议案" else ())
    for step in path:
        name, _, view = step.partition(":")
        _move(w, pid, name, handling_body="区住建局", result="已答复办理结果", deputy_view=view or None,
              outcome="A 已解决")
    kw = {"handling_body": "区住建局", "result": "答复内容", "outcome": "B 正在解决"}
    if ok:
        assert _move(w, pid, to, **kw) == to
        with session_scope(url=w.url) as s:
            d = svc.get_proposal(s, w.admin(), pid)
        assert d["events"][-1]["status"] == to and d["events"][0]["status"] == "已提交"
        assert len(d["events"]) == len(path) + 2
    else:
        with pytest.raises(ValidationError) as exc:
            _move(w, pid, to, **kw)
        assert "to_status" in exc.value.errors
        with session_scope(url=w.url) as s:
            assert s.get(models.Proposal, pid).status == (path[-1].split(":")[0] if path else "已提交")


def test_transition_needs_body_and_answer(world):
    w = world
    pid = _new(w)
    with pytest.raises(ValidationError) as exc:
        _move(w, pid, "已交办")
    assert exc.value.errors == {"handling_body": "请选择承办单位"}
    _walk(w, pid, [("已交办", {"handling_body": "区教育局"}), ("办理中", {})])
    with pytest.raises(ValidationError) as exc:
        _move(w, pid, "已答复", deputy_view="很好")
    assert set(exc.value.errors) == {"result", "deputy_view", "outcome"}
    _move(w, pid, "已答复", result="已列入明年计划", outcome="C 列入计划逐步解决")
    with session_scope("admin", url=w.url) as s:
        p = s.get(models.Proposal, pid)
        assert (p.result, p.result_on, p.deputy_view, p.handling_body) == ("已列入明年计划", date(YEAR, 2, 1), None, "区教育局")
        svc.set_view(s, w.admin(), pid, "基本满意", p.version)
    with session_scope(url=w.url) as s:
        assert s.get(models.Proposal, pid).deputy_view == "基本满意"


def test_signatures_warning_is_a_warning_not_a_refusal(world):
    w = world
    with session_scope("admin", url=w.url) as s:
        few = svc.create_proposal(s, w.admin(), {"kind": "议案", "title": "甲", "session_no": 1,
                                                 "lead_deputy_id": w.deputies[0], "cosigner_ids": w.deputies[1:9],
                                                 "submitted_on": date(YEAR, 1, 5)})
        enough = svc.create_proposal(s, w.admin(), {"kind": "议案", "title": "乙", "session_no": 1,
                                                    "lead_deputy_id": w.deputies[0], "cosigner_ids": w.deputies[1:10],
                                                    "submitted_on": date(YEAR, 1, 5)})
        sugg = svc.create_proposal(s, w.admin(), {"kind": "建议", "title": "丙", "lead_deputy_id": w.deputies[0],
                                                  "submitted_on": date(YEAR, 1, 5)})
    assert len(few["warnings"]) == 1 and "10名以上" in few["warnings"][0] and "只有9名" in few["warnings"][0]
    assert enough["warnings"] == [] and sugg["warnings"] == []
    with session_scope(url=w.url) as s:
        assert s.execute(select(func.count()).select_from(models.Proposal)).scalar_one() == 3
        from services import settings
        settings.put(s, "proposal_min_signatures", 5)
    with session_scope(url=w.url) as s:
        assert svc.get_proposal(s, w.admin(), few["id"])["warning"] is None


def test_bad_form_writes_nothing(world):
    w = world
    with session_scope("admin", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.create_proposal(s, w.admin(), {"kind": "提案", "title": "", "submitted_on": clock.today() + timedelta(days=3),
                                           "session_no": "abc", "sources": ["opinion:99999"]})
    assert set(exc.value.errors) == {"kind", "title", "lead_deputy_id", "submitted_on", "session_no", "sources"}
    with session_scope(url=w.url) as s:
        assert s.execute(select(func.count()).select_from(models.Proposal)).scalar_one() == 0


def _opinion(s, w, district, category, day, content="问题"):
    """One opinion (from a 述职 meeting) in a district."""
    op = opinions.add_opinion(s, w.admin(), source="述职", deputy_id=w.deputies[0], district_id=w.districts[district],
                              raised_on=date(YEAR, 1, day), content=content, category=category)
    return op.id


def test_r4_sources_offered_and_linked(world):
    w = world
    with session_scope("admin", url=w.url) as s:
        often = [_opinion(s, w, 0, "交通出行", d) for d in (3, 4, 5)]
        _opinion(s, w, 0, "教育", 6)  # raised once only
        other_office = [_opinion(s, w, 2, "交通出行", d) for d in (3, 4, 5)]
    with session_scope(url=w.url) as s:
        admin_keys = {r["key"] for r in svc.frequent_sources(s, w.admin(), YEAR)}
        staff_keys = {r["key"] for r in svc.frequent_sources(s, w.staff(), YEAR)}
    assert admin_keys == {f"opinion:{i}" for i in often + other_office}
    assert staff_keys == {f"opinion:{i}" for i in often}
    with session_scope("staff", url=w.url) as s:
        pid = svc.create_proposal(s, w.staff(), {"kind": "建议", "title": "关于公交线路的建议",
                                                 "lead_deputy_id": w.deputies[0], "submitted_on": date(YEAR, 1, 9),
                                                 "sources": [f"opinion:{often[0]}", f"opinion:{often[1]}"]})["id"]
    with session_scope(url=w.url) as s:
        assert {r["key"] for r in svc.frequent_sources(s, w.admin(), YEAR)} == {f"opinion:{i}" for i in other_office}
        got = s.execute(text("SELECT opinion_id FROM proposal_sources WHERE proposal_id = :p ORDER BY opinion_id"),
                        {"p": pid}).scalars().all()
        assert got == sorted(often[:2])
        assert [x["key"] for x in svc.get_proposal(s, w.admin(), pid)["sources"]] == [f"opinion:{i}" for i in often[:2]]
    # a staff user cannot link an opinion of another office
    with session_scope("staff", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.create_proposal(s, w.staff(), {"kind": "建议", "title": "x", "lead_deputy_id": w.deputies[0],
                                           "submitted_on": date(YEAR, 1, 9), "sources": [f"opinion:{other_office[0]}"]})
    assert "sources" in exc.value.errors


def test_r4_counts_letters(world):
    w = world
    with session_scope("admin", url=w.url) as s:
        g = s.get(models.DeputyGroup, w.groups[0])
        for i in range(3):
            s.add(models.Letter(code=f"L{i}", mailbox_id=w.mailboxes[0], district_id=w.districts[0],
                                group_id=g.id, office_id=g.office_id, received_on=date(YEAR, 1, 2 + i),
                                writer_name="某", summary=f"噪音扰民{i}", category="环境保护", status="登记"))
        s.add(models.Letter(code="L9", mailbox_id=w.mailboxes[0], district_id=w.districts[0], group_id=g.id,
                            office_id=g.office_id, received_on=date(YEAR, 1, 9), writer_name="某",
                            summary="重复", category="环境保护", status="已合并"))
    with session_scope(url=w.url) as s:
        rows = svc.frequent_sources(s, w.staff(), YEAR)
    assert len(rows) == 3 and {r["同类（件）"] for r in rows} == {3} and all(r["key"].startswith("letter:") for r in rows)


def test_scope_and_locking(world):
    w = world
    pid = _new(w, lead=11)  # a deputy of the other office
    with session_scope("staff", url=w.url) as s:
        assert svc.list_proposals(s, w.staff(), {}).total == 0
        with pytest.raises(NotFound):
            svc.get_proposal(s, w.staff(), pid)
        with pytest.raises(ValidationError) as exc:
            svc.create_proposal(s, w.staff(), {"kind": "建议", "title": "x", "lead_deputy_id": w.deputies[11],
                                               "submitted_on": date(YEAR, 1, 9)})
        assert "lead_deputy_id" in exc.value.errors
    mine = _new(w, lead=0)
    with session_scope(url=w.url) as s:
        v = svc.get_proposal(s, w.staff(), mine)["version"]
    with session_scope("admin", url=w.url) as s:
        svc.update_proposal(s, w.admin(), mine, {"kind": "建议", "title": "改过的标题", "lead_deputy_id": w.deputies[0],
                                                  "cosigner_ids": [w.deputies[1]], "submitted_on": date(YEAR, 1, 5)}, v)
    with session_scope("staff", url=w.url) as s, pytest.raises(StaleError):
        svc.transition(s, w.staff(), mine, "已交办", expected_version=v, handling_body="区民政局")
    with session_scope(url=w.url) as s:
        d = svc.get_proposal(s, w.staff(), mine)
        assert (d["title"], d["status"], d["signers"]) == ("改过的标题", "已提交", ["张伟（领衔）", "王芳"])
    with session_scope("leader", url=w.url) as s, pytest.raises(Exception, match="无权"):
        svc.create_proposal(s, w.leader(), {})


def test_list_filters_and_deputy_file(world):
    w = world
    a = _new(w, "议案", lead=0, cos=range(1, 10), law_related=True)
    b = _new(w, "建议", lead=10, cos=(0,), summary="关于垃圾分类")
    _walk(w, b, [("已交办", {"handling_body": "区城管局"})])
    with session_scope(url=w.url) as s:
        ids = lambda f: [r["id"] for r in svc.list_proposals(s, w.admin(), f).rows]
        assert set(ids({})) == {a, b}
        assert ids({"kind": "议案"}) == [a]
        assert ids({"law": True}) == [a]
        assert ids({"status": "已交办"}) == [b]
        assert set(ids({"deputy": w.deputies[0]})) == {a, b}
        assert ids({"deputy": w.deputies[10]}) == [b]
        assert ids({"group": w.groups[2]}) == [b]
        assert ids({"q": "垃圾"}) == [b] and ids({"q": "城管"}) == [b]
        assert ids({"year": YEAR - 1}) == []
        page = svc.list_proposals(s, w.admin(), {})
        assert page.sums == {"议案": "1 件", "建议": "1 件"}
        rows = svc.deputy_proposals(s, w.deputies[0], YEAR)
        assert [(r["id"], r["角色"]) for r in rows] == [(a, "领衔"), (b, "附议")]
        assert svc.deputy_proposals(s, w.deputies[0], YEAR - 1) == []


def test_export_imports_back(world):
    w = world
    a = _new(w, "建议", lead=0, cos=(1, 2), summary="内容")
    _walk(w, a, [("已交办", {"handling_body": "区卫健委"}), ("办理中", {}), ("已答复", {"result": "已解决", "deputy_view": "满意",
                                                                                  "outcome": "A 已解决"})])
    with session_scope(url=w.url) as s:
        data = svc.export_xlsx(s, w.admin(), {})
    # the export names a proposal already stored (same session, title, lead): reported as a
    # duplicate, not added a second time (issue 12)
    dups: list[str] = []
    with session_scope("admin", url=w.url) as s:
        assert svc.import_xlsx(s, w.admin(), data, duplicates=dups) == 0
    assert len(dups) == 1 and dups[0].startswith("第")
    with session_scope(url=w.url) as s:
        assert svc.list_proposals(s, w.admin(), {}).total == 1
    # the same bytes again are refused outright, saying who imported them and when
    with session_scope("admin", url=w.url) as s, pytest.raises(ServiceError) as again:
        svc.import_xlsx(s, w.admin(), data)
    assert "未重复导入" in str(again.value)
    # a file with an unknown deputy and a bad status: nothing is imported, each row says why
    import pandas as pd

    from services.excel import to_xlsx
    frame = pd.DataFrame([
        {"类型": "建议", "标题": "好的一行", "领衔代表": "张伟", "提出日期": f"{YEAR}-01-03"},
        {"类型": "建议", "标题": "坏的一行", "领衔代表": "不存在的人", "提出日期": f"{YEAR}-01-03", "办理状态": "已完成"},
    ])
    with session_scope("admin", url=w.url) as s, pytest.raises(ValidationError) as exc:
        svc.import_xlsx(s, w.admin(), to_xlsx({"议案建议": frame}))
    assert list(exc.value.errors) == ["第3行"]
    assert "不存在的人" in exc.value.errors["第3行"] and "办理状态" in exc.value.errors["第3行"]
    with session_scope(url=w.url) as s:
        assert svc.list_proposals(s, w.admin(), {}).total == 1


def test_figures_match_direct_sql(world):
    w = world
    old = _new(w, "建议", lead=0, cos=(1,), submitted_on=clock.today() - timedelta(days=120))  # 15 February
    # a 批评和意见 counts as taking part (rules.proposal_signers: the score counts it in F1 too); not overdue
    _new(w, "批评和意见", lead=2, submitted_on=clock.today() - timedelta(days=30))
    with session_scope(url=w.url) as s:
        figs = {f.params.get("view"): f.value for f in svc.figures(s, w.staff(), YEAR)}
        none = s.execute(text(
            "SELECT COUNT(*) FROM deputies d JOIN deputy_groups g ON g.id = d.group_id "
            "WHERE d.status = '在任' AND g.office_id = :o AND NOT EXISTS ("
            " SELECT 1 FROM proposal_signers s JOIN proposals p ON p.id = s.proposal_id"
            " WHERE s.deputy_id = d.id AND p.submitted_on BETWEEN :lo AND :hi)"),
            {"o": w.offices[0], "lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).scalar_one()
        overdue = s.execute(text(
            "SELECT COUNT(*) FROM proposals p JOIN deputies d ON d.id = p.lead_deputy_id "
            "JOIN deputy_groups g ON g.id = d.group_id WHERE g.office_id = :o AND p.status <> '已答复' "
            "AND p.submitted_on < :cut"), {"o": w.offices[0], "cut": clock.today() - timedelta(days=90)}).scalar_one()
    assert figs["none"] == none == 7
    assert figs["overdue"] == overdue == 1
    assert old
