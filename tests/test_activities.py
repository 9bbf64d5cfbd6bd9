"""Contact activities: validation, scope, locking, evidence, ledger, import, mix, R1/R4/R5/R18
figures (on SQLite, PostgreSQL and MariaDB)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from db import models
from db.engine import session_scope
from services import activities as svc
from services import clock, opinions
from services.common import NotFound, PermissionDenied, StaleError, ValidationError

YEAR = 2026
JAN = date(YEAR, 1, 10)


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """These tests tell the story of 2026 seen from 2026-06-15: the clock is pinned (whatever TEST_TODAY says),
    so January and December find the same dates in the past."""
    travel("2026-06-15")


def _data(w, **over) -> dict:
    """A valid activity in district 0 (group 0) with deputies 0 and 2."""
    d = {"held_on": JAN, "place": "和平社区活动室", "district_id": w.districts[0], "organiser": "代表组统一组织",
             "kind": "问需", "targets": ["一般选民"], "mode": "调研座谈", "deputy_ids": [w.deputies[0], w.deputies[2]],
             "voters_reached": 30, "summary": "听取选民对老旧小区改造的意见", "has_signin": True, "has_photos": False}
    d.update(over)
    return d


def _create(w, actor=None, ops=None, **over) -> int:
    """Create an activity (as staff by default); return its id."""
    actor = actor or w.staff()
    with session_scope(actor.username, url=w.url) as s:
        return svc.create_activity(s, actor, _data(w, **over), ops)


def _count(w, model) -> int:
    """Rows in a table."""
    with session_scope(url=w.url) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


OPS = [
    {"content": "小区路灯不亮", "category": "城乡建设", "is_livelihood": True, "forwarded_to": "街道办事处"},
    {"content": "公交班次太少", "category": "交通出行", "is_livelihood": False, "forwarded_to": None},
]


def test_log_activity_with_two_deputies_and_two_opinions(world):
    aid = _create(world, ops=OPS)
    with session_scope(url=world.url) as s:
        a = svc.get_activity(s, world.staff(), aid)
        audit = s.execute(select(func.count()).select_from(models.AuditLog)
                          .where(models.AuditLog.entity == "Activity", models.AuditLog.action == "新增")).scalar_one()
    assert sorted(a["deputies"]) == ["张伟", "李娜"]
    assert [o["status"] for o in a["opinions"]] == ["已转交", "待转交"]
    assert a["opinions"][0]["forwarded_to"] == "街道办事处"
    assert (a["group_id"], a["evidence"], audit) == (world.groups[0], "有佐证", 1)


def test_bad_activity_is_refused_field_by_field_and_nothing_written(world):
    bad = {"held_on": clock.today() + timedelta(days=1), "deputy_ids": [world.deputies[0], world.deputies[8]],
               "voters_reached": 0, "summary": "   "}
    with pytest.raises(ValidationError) as exc:
        _create(world, ops=OPS, **bad)
    assert set(exc.value.errors) == {"held_on", "deputy_ids", "voters_reached", "summary"}
    assert "周杰" in exc.value.errors["deputy_ids"]  # deputies[8] is in another group
    assert _count(world, models.Activity) == 0
    assert _count(world, models.Opinion) == 0


def test_bad_opinion_row_refuses_the_whole_activity(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, ops=[{"content": "", "category": "城乡建设", "forwarded_to": "街道"},
                            {"content": "内容", "category": "不存在"}])
    assert "第1条" in exc.value.errors["opinions"] and "第2条" in exc.value.errors["opinions"]
    assert _count(world, models.Activity) == 0


def test_scope_and_roles(world):
    with pytest.raises(PermissionDenied):
        _create(world, district_id=world.districts[2], deputy_ids=[world.deputies[10]])
    with pytest.raises(PermissionDenied):
        _create(world, world.leader())
    other = _create(world, world.admin(), district_id=world.districts[2], deputy_ids=[world.deputies[10]],
                    organiser="代表个人")
    mine = _create(world)
    with session_scope(url=world.url) as s:
        rows = svc.list_activities(s, world.staff(), {"year": YEAR}).rows
        assert [r["id"] for r in rows] == [mine]
        with pytest.raises(NotFound):
            svc.get_activity(s, world.staff(), other)


def test_edit_with_optimistic_locking_and_delete_logged(world):
    aid = _create(world, ops=OPS[:1])
    with session_scope("staff", url=world.url) as s:
        svc.update_activity(s, world.staff(), aid, _data(world, place="新地点"), 1,
                            [{"content": "补充意见", "category": "教育"}])
    with pytest.raises(StaleError), session_scope("staff", url=world.url) as s:
        svc.update_activity(s, world.staff(), aid, _data(world, place="旧版本"), 1)
    with session_scope(url=world.url) as s:
        a = svc.get_activity(s, world.staff(), aid)
    assert (a["place"], a["version"], len(a["opinions"])) == ("新地点", 2, 2)
    with pytest.raises(StaleError), session_scope("staff", url=world.url) as s:
        svc.delete_activity(s, world.staff(), aid, 1)
    with session_scope("staff", url=world.url) as s:
        svc.delete_activity(s, world.staff(), aid, 2)
    assert _count(world, models.Activity) == 0
    assert _count(world, models.Opinion) == 0
    assert _count(world, models.OpinionEvent) == 0
    with session_scope(url=world.url) as s:
        deleted = s.execute(select(models.AuditLog.username).where(
            models.AuditLog.entity == "Activity", models.AuditLog.action == "删除")).scalars().all()
    assert deleted == ["staff"]


def test_evidence_levels_and_verification(world):
    bare = _create(world, has_signin=False, has_photos=False)
    shown = _create(world, has_photos=True)
    with pytest.raises(PermissionDenied), session_scope("staff", url=world.url) as s:
        svc.verify_activity(s, world.staff(), shown)
    with session_scope("supervisor", url=world.url) as s:
        svc.verify_activity(s, world.supervisor(), shown)
    with session_scope(url=world.url) as s:
        levels = {r["id"]: r["佐证等级"] for r in svc.list_activities(s, world.admin(), {"year": YEAR}).rows}
        a = svc.get_activity(s, world.admin(), shown)
        verified = svc.list_activities(s, world.admin(), {"year": YEAR, "evidence": "已核实"}).total
    assert levels == {bare: "仅登记", shown: "已核实"}
    assert a["verified_by"] == "李督查" and a["verified_at"] is not None
    assert verified == 1


def test_ledger_filters_and_totals(world):
    w = world
    a1 = _create(w, held_on=date(YEAR, 1, 10), kind="问难", targets=["特困户", "孤寡病残"], mode="走访慰问",
                 voters_reached=10, typical=True, summary="走访特困户")
    a2 = _create(w, held_on=date(YEAR, 5, 10), kind="问计", targets=["行业领军人物"], mode="调研座谈",
                 voters_reached=20, deputy_ids=[w.deputies[1]], district_id=w.districts[3], organiser="代表个人")
    a3 = _create(w, held_on=date(YEAR - 1, 6, 1), voters_reached=40)
    a4 = _create(w, w.admin(), district_id=w.districts[2], deputy_ids=[w.deputies[10]], voters_reached=5)

    def ids(**f) -> set[int]:
        with session_scope(url=w.url) as s:
            return {r["id"] for r in svc.list_activities(s, w.admin(), f, 0, 100).rows}

    assert ids(year=YEAR) == {a1, a2, a4}
    assert ids(year=YEAR - 1) == {a3}
    assert ids(year=YEAR, quarter=2) == {a2}
    assert ids(year=YEAR, office=w.offices[1]) == {a4}
    assert ids(year=YEAR, group=w.groups[0]) == {a1, a2}
    assert ids(deputy=w.deputies[1]) == {a2}
    assert ids(kind="问难") == {a1}
    assert ids(mode="调研座谈") == {a2, a3, a4}
    assert ids(target="孤寡病残") == {a1}
    assert ids(target="一般选民") == {a3, a4}
    assert ids(typical=True) == {a1}
    assert ids(q="特困") == {a1}
    assert ids(q="王芳") == {a2}  # deputies[1]
    with session_scope(url=w.url) as s:
        page = svc.list_activities(s, w.admin(), {"year": YEAR}, 0, 2)
        tot = svc.totals(s, w.admin(), {"year": YEAR})
        typical = svc.typical_cases(s, w.admin(), {"year": YEAR})
    assert (page.total, len(page.rows), page.sums) == (3, 2, {"联系选民": "35 人"})
    assert tot == {"activities": 3, "voters": 35}
    assert [r["典型事例内容"] for r in typical.rows] == ["走访特困户"]


def test_import_template_round_trip_and_all_or_nothing(world):
    import io

    from openpyxl import load_workbook

    with session_scope(url=world.url) as s:
        template = svc.import_template(s)
    with session_scope("staff", url=world.url) as s:
        assert svc.import_xlsx(s, world.staff(), template) == 1  # the example row is valid here
    wb = load_workbook(io.BytesIO(template))
    ws = wb.active
    header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "活动日期")
    ws.cell(header_row + 2, 1, "2020-02-30")  # a second row: impossible date, unknown deputy
    for col, v in enumerate(["地点", "第1选区", "", "", "", "", "查无此人", 5, "内容"], start=2):
        ws.cell(header_row + 2, col, v)
    ws.cell(header_row + 3, 1, f"{YEAR}-02-01")  # a third row: other office's district
    for col, v in enumerate(["地点", "第3选区", "", "", "", "", "孙强", 0, "内容"], start=2):
        ws.cell(header_row + 3, col, v)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationError) as exc, session_scope("staff", url=world.url) as s:
        svc.import_xlsx(s, world.staff(), buf.getvalue())
    errs = exc.value.errors
    assert set(errs) == {f"第{header_row + 2}行", f"第{header_row + 3}行"}
    assert "日期不存在" in errs[f"第{header_row + 2}行"] and "查无此人" in errs[f"第{header_row + 2}行"]
    assert "不在您的负责范围内" in errs[f"第{header_row + 3}行"]
    assert _count(world, models.Activity) == 1  # only the first import


def test_mix_per_group_and_deputy(world):
    w = world
    _create(w, kind="问难", mode="走访慰问")
    _create(w, kind="问难", mode="调研座谈")
    _create(w, kind="问计", mode="调研座谈", deputy_ids=[w.deputies[0]], organiser="代表个人")
    with session_scope(url=w.url) as s:
        m = svc.mix(s, w.admin(), YEAR)
    g = m["groups"][0]
    assert (g["代表组"], g["活动（次）"], g["问难"], g["问计"], g["调研座谈"]) == ("东城第一代表组", 3, 2, 1, 2)
    dep = {d["代表"]: d for d in m["deputies"]}
    assert (dep["张伟"]["活动（次）"], dep["李娜"]["活动（次）"], dep["张伟"]["问计"]) == (3, 2, 1)


def _random_activities(w, rng: random.Random, n: int) -> None:
    """Generate ``n`` activities of this and last year for random deputies of groups 0 and 1."""
    with session_scope("admin", url=w.url) as s:
        deps = {g: list(s.execute(select(models.Deputy.id).where(models.Deputy.group_id == g)).scalars())
                for g in w.groups[:2]}
    dist = {w.groups[0]: w.districts[0], w.groups[1]: w.districts[1]}
    days = (clock.today() - date(YEAR - 1, 1, 1)).days
    for _ in range(n):
        g = rng.choice(w.groups[:2])
        who = rng.sample(deps[g], rng.randint(1, 2))
        _create(w, w.admin(), held_on=date(YEAR - 1, 1, 1) + timedelta(days=rng.randrange(days + 1)),
                district_id=dist[g], deputy_ids=who, organiser="代表个人" if len(who) == 1 else "代表组统一组织")


def test_r1_shortfall_agrees_with_direct_sql(world):
    _random_activities(world, random.Random(7), 25)
    with session_scope(url=world.url) as s:
        direct = s.execute(text(
            "SELECT d.id, (SELECT COUNT(DISTINCT a.id) FROM activity_deputies ad "
            "  JOIN activities a ON a.id = ad.activity_id "
            "  WHERE ad.deputy_id = d.id AND a.held_on >= :lo AND a.held_on <= :hi) AS n "
            "FROM deputies d WHERE d.status = '在任'"
        ), {"lo": date(YEAR, 1, 1), "hi": date(YEAR, 12, 31)}).all()
        short = {i: n for i, n in direct if n < 2}
        page = svc.r1_shortfall(s, world.admin(), YEAR, 0, 100)
        figs = {f.rule: f for f in svc.figures(s, world.admin(), YEAR)}
        by_group = svc.r1_by_group(s, world.admin(), YEAR)
    assert {r["id"]: r["本年活动（次）"] for r in page.rows} == short
    assert page.total == figs["R1"].value == len(short)
    assert sum(g["未达标（人）"] for g in by_group) == len(short)
    assert figs["R1"].params == {"view": "r1", "year": str(YEAR)} and figs["R1"].page == "activities"


def test_r1_joiners_pro_rata_and_leavers_not_listed(world, travel):
    w = world
    travel(f"{YEAR}-11-20")  # late in the year: the November joiner already serves
    with session_scope("admin", url=w.url) as s:
        late = s.get(models.Deputy, w.deputies[4])
        late.joined_on = date(YEAR, 11, 1)  # owes ceil(2 × 2/12) = 1
        gone = s.get(models.Deputy, w.deputies[5])
        gone.status, gone.left_on = "辞职", date(YEAR, 3, 1)

    def listed() -> dict[int, int]:
        with session_scope(url=w.url) as s:
            return {r["id"]: r["应达（次）"] for r in svc.r1_shortfall(s, w.admin(), YEAR, 0, 100).rows}

    before = listed()
    assert before[w.deputies[4]] == 1 and w.deputies[5] not in before
    with session_scope(url=w.url) as s:
        notes = {r["id"]: r["说明"] for r in svc.r1_shortfall(s, w.admin(), YEAR, 0, 100).rows}
    assert notes[w.deputies[4]] == f"{YEAR}-11-01起在任，按比例计" and notes[w.deputies[0]] == ""
    _create(w, held_on=date(YEAR, 11, 2), deputy_ids=[w.deputies[4]], organiser="代表个人")
    after = listed()
    assert w.deputies[4] not in after
    _create(w, held_on=JAN, deputy_ids=[w.deputies[0]], organiser="代表个人")
    assert w.deputies[0] in listed()  # one activity is still short of two
    _create(w, held_on=JAN, deputy_ids=[w.deputies[0]], organiser="代表个人")
    assert w.deputies[0] not in listed()


def test_r5_resolved_livelihood_via_activity_or_deputy(world):
    w = world
    aid = _create(w, ops=[{"content": "路灯", "category": "城乡建设", "is_livelihood": True, "forwarded_to": "街道办"}])
    with session_scope("staff", url=w.url) as s:
        op = opinions.of_activity(s, w.staff(), aid)[0]
        direct_op = opinions.add_opinion(s, w.staff(), district_id=w.districts[1], deputy_id=w.deputies[7],
                                         raised_on=JAN, content="学校门口拥堵", category="交通出行",
                                         is_livelihood=True, forwarded_to="交警大队").id
        other = opinions.add_opinion(s, w.staff(), district_id=w.districts[1], deputy_id=w.deputies[8],
                                     raised_on=JAN, content="非民生", category="其他", forwarded_to="区政府").id
    with session_scope("staff", url=w.url) as s:
        for oid in (op["id"], direct_op, other):
            opinions.transition(s, w.staff(), oid, "已解决", resolved_by="区住建局", happened_on=JAN, outcome="A 已解决")
    with session_scope(url=w.url) as s:
        page = svc.r5_missing(s, w.admin(), YEAR, 0, 100)
        # the credit rule in SQL: the deputy in charge alone; else the deputies of the activity
        direct = s.execute(text(
            "SELECT COUNT(*) FROM deputies d WHERE d.status = '在任' AND d.id NOT IN ("
            " SELECT o.deputy_id FROM opinions o WHERE o.is_livelihood = :t AND o.resolved_on >= :lo"
            "  AND o.deputy_id IS NOT NULL"
            " UNION SELECT ad.deputy_id FROM opinions o JOIN activity_deputies ad ON ad.activity_id = o.activity_id"
            "  WHERE o.is_livelihood = :t AND o.resolved_on >= :lo AND o.deputy_id IS NULL)"
        ), {"t": True, "lo": date(YEAR, 1, 1)}).scalar_one()
        fig = {f.rule: f.value for f in svc.figures(s, w.admin(), YEAR)}["R5"]
    listed = {r["id"] for r in page.rows}
    assert not listed & {w.deputies[0], w.deputies[2], w.deputies[7]}
    assert w.deputies[8] in listed  # his resolved opinion is not a livelihood one
    assert page.total == direct == fig == 12 - 3


def test_r4_often_raised_without_proposal(world):
    w = world
    cat = "城乡建设"
    for day in (10, 11):
        _create(w, held_on=date(YEAR, 1, day), ops=[{"content": f"积水{day}", "category": cat}])
    # two opinions at one activity count once
    _create(w, held_on=date(YEAR, 1, 12), ops=[{"content": "积水a", "category": cat}, {"content": "积水b", "category": cat}])

    def clusters() -> list[dict]:
        with session_scope(url=w.url) as s:
            return svc.r4_clusters(s, w.admin(), YEAR)

    assert [(c["类别"], c["提出次数（活动/来信）"]) for c in clusters()] == [(cat, 3)]
    with session_scope("admin", url=w.url) as s:
        letter = models.Letter(code="X-1", mailbox_id=w.mailboxes[1], district_id=w.districts[1],
                               group_id=w.groups[1], office_id=w.offices[0], received_on=JAN, summary="积水",
                               category=cat)
        s.add(letter)
    assert len(clusters()) == 1  # a letter in another district does not join this group
    with session_scope("admin", url=w.url) as s:
        for i in range(3):
            s.add(models.Letter(code=f"X-{i + 2}", mailbox_id=w.mailboxes[1], district_id=w.districts[1],
                                group_id=w.groups[1], office_id=w.offices[0], received_on=JAN,
                                summary="学校", category="教育"))
    assert {c["类别"]: c["来信（件）"] for c in clusters()} == {cat: 0, "教育": 3}
    with session_scope("admin", url=w.url) as s:
        op_id = s.execute(select(models.Opinion.id).where(models.Opinion.category == cat)).scalars().first()
        p = models.Proposal(kind="建议", term_id=w.term, title="关于解决积水的建议", lead_deputy_id=w.deputies[0],
                            submitted_on=JAN)
        s.add(p)
        s.flush()
        s.add(models.ProposalSource(proposal_id=p.id, opinion_id=op_id))
    assert [c["类别"] for c in clusters()] == ["教育"]
    with session_scope(url=w.url) as s:
        assert {f.rule: f.value for f in svc.figures(s, w.admin(), YEAR)}["R4"] == 1
        assert svc.r4_clusters(s, w.staff(), YEAR)[0]["类别"] == "教育"  # letters of office 0 are in scope


def test_figures_name_their_lists(world):
    _create(world, typical=True)
    with session_scope(url=world.url) as s:
        figs = svc.figures(s, world.admin(), YEAR)
    assert [f.rule for f in figs] == ["R1", "R4", "R5", "R18"]
    assert {f.params["view"] for f in figs} == {"r1", "r4", "r5", "typical"}
    assert {f.rule: f.value for f in figs}["R18"] == 1
    assert all(f.page == "activities" for f in figs)


def test_deputy_options_searchable_by_pinyin_and_scoped(world):
    with session_scope("admin", url=world.url) as s:
        s.get(models.Deputy, world.deputies[0]).pinyin = "zw"
        s.get(models.Deputy, world.deputies[6]).status = "辞职"
    with session_scope(url=world.url) as s:
        opts = svc.deputy_options(s, world.staff())
        in_group = svc.deputy_options(s, world.staff(), group_id=world.groups[1])
        everyone = svc.deputy_options(s, world.admin(), serving_only=False)
    assert opts[world.deputies[0]] == "张伟 zw（东城第一代表组）"
    assert world.deputies[6] not in opts and world.deputies[10] not in opts  # left; other office
    assert set(in_group) == set(world.deputies[7:10])
    assert len(everyone) == 12
