"""复核 covers what a group could change; a finding and its effect on scores stay; a quarter counts
as checked only once graded; the demo's draws re-derive (command line and 验证单)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from db import models
from db.engine import dispose_all, session_scope
from db.migrate import upgrade
from services import activities as acts
from services import demo, rules
from services import spotchecks as sc
from services.common import Actor, PermissionDenied, ValidationError
from tests import test_spotchecks as tsc
from tests.conftest import ROOT
from tests.test_spotcheck_recipe import sha

FEB = date(tsc.YEAR, 2, 3)


@pytest.fixture(autouse=True)
def _after_the_quarter(travel):
    travel(tsc.DAY)


def _activity(w, **over) -> int:
    """One activity of group 0 in Q1 with deputies 0 and 2, logged by staff through the service."""
    data = {"held_on": FEB, "place": "和平社区活动室", "district_id": w.districts[0], "organiser": "代表组统一组织",
            "kind": "问需", "targets": ["一般选民"], "mode": "调研座谈", "deputy_ids": [w.deputies[0], w.deputies[2]],
            "voters_reached": 30, "summary": "听取选民对老旧小区改造的意见", "has_signin": True, "has_photos": False}
    data.update(over)
    with session_scope("staff", url=w.url) as s:
        return acts.create_activity(s, w.staff(), data, [{"content": "加装电梯", "category": "城乡建设"}])


def _item(w, cid: int, record_id: int) -> dict:
    with session_scope(url=w.url) as s:
        return next(i for i in sc.check_detail(s, w.supervisor(), cid)["items"] if i["记录编号"] == record_id)


def test_a_change_of_participants_opinions_or_evidence_is_flagged_with_before_and_after(world):
    aid = _activity(world)
    cid = tsc.new_check(world, kinds=["联系活动"], count=1)
    with session_scope("staff", url=world.url) as s:
        a = s.get(models.Activity, aid)
        a.deputies = [s.get(models.Deputy, world.deputies[0])]  # a deputy dropped after the draw
        a.has_signin = False  # the evidence level drops to 仅登记
        op = s.query(models.Opinion).filter_by(activity_id=aid).one()
        op.status = "已解决"
    with session_scope(url=world.url) as s:
        result = sc.verify(s, cid, world.supervisor())
    [changed] = result["changed"]
    fields = {f: (before, after) for f, before, after in changed["修改内容"]}
    assert set(fields) == {"参加代表", "签到表", "佐证等级", "意见"}
    assert fields["佐证等级"] == ("有佐证", "仅登记")
    assert fields["参加代表"][0].count("（") == 2 and fields["参加代表"][1].count("（") == 1
    assert "已解决" in fields["意见"][1] and "已解决" not in fields["意见"][0]
    # the spot check's own 已核实 is not a change by the group
    with session_scope("supervisor", url=world.url) as s:
        sc.record_finding(s, world.supervisor(), _item(world, cid, aid)["id"], tsc.ALL_OK, "合格")
    with session_scope(url=world.url) as s:
        assert len(sc.verify(s, cid)["changed"]) == 1


def test_a_finding_stays_staff_can_neither_delete_the_record_nor_move_its_deduction(world):
    aid = _activity(world)
    cid = tsc.new_check(world, kinds=["联系活动"], count=1)
    sup = world.supervisor()
    with session_scope("supervisor", url=world.url) as s:
        sc.record_finding(s, sup, _item(world, cid, aid)["id"], tsc.ALL_OK, "不合格", "无签到表")
    with session_scope(url=world.url) as s:
        version = s.get(models.Activity, aid).version
        assert rules.spotcheck_finding(s, "联系活动", aid) == "不合格"
    with pytest.raises(ValidationError) as e, session_scope("staff", url=world.url) as s:
        acts.delete_activity(s, world.staff(), aid, version)
    assert "不能删除" in str(e.value)
    base = {"held_on": FEB, "place": "和平社区活动室", "district_id": world.districts[0],
            "organiser": "代表组统一组织", "kind": "问需", "targets": ["一般选民"], "mode": "调研座谈",
            "deputy_ids": [world.deputies[0], world.deputies[2]], "voters_reached": 30,
            "summary": "听取选民对老旧小区改造的意见", "has_signin": True, "has_photos": False}
    for change in ({"deputy_ids": [world.deputies[0]]}, {"held_on": date(tsc.YEAR - 1, 12, 30)}):
        with pytest.raises(ValidationError) as e, session_scope("staff", url=world.url) as s:
            acts.update_activity(s, world.staff(), aid, base | change, version)
        assert "不能更改活动日期和参加代表" in str(e.value)
    with session_scope("staff", url=world.url) as s:  # other corrections stay possible (and are flagged)
        acts.update_activity(s, world.staff(), aid, base | {"place": "和平社区服务站"}, version)
    with session_scope(url=world.url) as s:
        assert s.get(models.Activity, aid) is not None
        assert sorted(d.id for d in s.get(models.Activity, aid).deputies) == [world.deputies[0], world.deputies[2]]
        assert [c[0] for c in sc.verify(s, cid)["changed"][0]["修改内容"]] == ["地点"]
    # staff and the admin cannot revise the finding; the supervisor can, with a reason
    item_id = _item(world, cid, aid)["id"]
    with session_scope("admin", url=world.url) as s, pytest.raises(PermissionDenied):
        sc.record_finding(s, world.admin(), item_id, tsc.ALL_OK, "合格", reason="改")
    with session_scope("staff", url=world.url) as s, pytest.raises(PermissionDenied):
        sc.record_finding(s, world.staff(), item_id, tsc.ALL_OK, "合格", reason="改")
    with session_scope("supervisor", url=world.url) as s, pytest.raises(PermissionDenied):
        sc.abandon_check(s, sup, cid, "不想要这个结论")  # an opened check: not by the supervisor
    with session_scope("leader", url=world.url) as s, pytest.raises(ValidationError, match="核查结论"):
        sc.abandon_check(s, world.leader(), cid, "不想要这个结论")  # a check with findings: by nobody


def test_a_quarter_counts_as_checked_only_once_its_findings_are_recorded_and_graded(world):
    tsc.add_records(world)
    sup = world.supervisor()

    def unchecked() -> int:
        with session_scope(url=world.url) as s:
            return {f.label: f.value for f in sc.figures(s, sup, tsc.YEAR)}["本季度未抽查代表组"]

    assert unchecked() == 3
    cid = tsc.new_check(world, kinds=["联系活动", "来信"])
    # drawn, nothing recorded: not checked; only group 2, with nothing to draw, is graded (需整改) at once
    assert unchecked() == 2
    with session_scope("supervisor", url=world.url) as s:
        assert sc.pass_the_rest(s, sup, cid, world.groups[0]) == 2
        assert sc.pass_the_rest(s, sup, cid, world.groups[0]) == 0  # a double click records nothing more
    assert unchecked() == 1  # group 0 graded too
    with session_scope("supervisor", url=world.url) as s:
        grades = {g["group_id"]: g["评定"] for g in sc.check_detail(s, sup, cid)["grades"]}
        items = sc.check_detail(s, sup, cid)["items"]
    assert grades[world.groups[0]] == "优秀" and grades[world.groups[1]] == "待评定"
    first = next(i for i in items if i["group_id"] == world.groups[0])
    assert first["checklist"] and set(first["checklist"].values()) == {"通过"}
    letter = next(i for i in items if i["类别"] == "来信")
    assert letter["结果"] == "" and letter["checklist"] == {"有签到表或照片": "不适用"}  # preset at 开签


def test_every_demo_draw_reverifies_on_the_command_line_and_on_its_sheet(tmp_path, travel):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    day = travel(date(tsc.YEAR, 8, 20))
    demo.generate(url, seed=3, deputies=40, groups=4, districts=8, offices=2, years=1, today=day)
    dispose_all()
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "spotcheck", "verify", "--all"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert "共复核 4 次抽查，一致 4 次，不一致 0 次。" in out.stdout
    sup = Actor("supervisor", "supervisor")
    with session_scope(url=url) as s:
        for check in s.query(models.SpotCheck).filter(models.SpotCheck.seed.is_not(None)):
            sheet = Document(io.BytesIO(sc.verification_sheet(s, sup, check.id)))
            text = "\n".join(p.text for p in sheet.paragraphs)
            # from the sheet alone: the seed is SHA-256 of the text it quotes, and the sample is listed
            quoted = text.split("随机种子 = SHA256(“")[1].split("”)")[0]
            assert sha(quoted) == check.seed and check.seed in text and check.fingerprint in text
            listed = text.split("五、抽中的记录")[1].split("系统复核")[0]
            drawn = re.findall(r"(开箱记录|来信|联系活动|述职) ([0-9 ]+)", listed)
            assert sorted((k, int(i)) for k, ids in drawn for i in ids.split()) == sorted(
                (k, r) for _g, k, r in check.sample)
            assert "系统复核：一致" in text
            # and from its Excel export alone
            ok, line = sc.verify_export(sc.export_xlsx(s, sup, check.id))
            assert ok and "一致" in line
    with session_scope(url=url) as s:
        first = s.query(models.SpotCheck).filter(models.SpotCheck.seed.is_not(None)).first()
        xlsx = tmp_path / "check.xlsx"
        xlsx.write_bytes(sc.export_xlsx(s, sup, first.id))
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "spotcheck", "verify", "--file", str(xlsx)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0 and "一致" in out.stdout, out.stderr
    wb = load_workbook(xlsx)  # someone marks another record as drawn
    ws = wb["可抽记录清单"]
    header = [c.value for c in ws[3]]
    col = header.index("是否抽中") + 1
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, col).value == "否")
    ws.cell(row, col).value = "是"
    buf = io.BytesIO()
    wb.save(buf)
    ok, line = sc.verify_export(buf.getvalue())
    assert not ok and "样本" in line
    assert sc.verify_export(b"not a workbook")[0] is None
    # a tampered sample says 不一致 and exits non-zero
    with session_scope(url=url) as s:
        check = s.query(models.SpotCheck).filter(models.SpotCheck.seed.is_not(None)).first()
        check.sample = check.sample[1:]
        cid = check.id
    dispose_all()
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "spotcheck", "verify", str(cid)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 1 and "不一致：样本" in out.stdout


def test_a_check_drawn_before_0005_i15_still_reverifies_by_its_own_recipe(world):
    tsc.add_records(world)
    rule = {"recipe": sc.RECIPE_V1, "period": [tsc.START.isoformat(), tsc.END.isoformat()],
            "kinds": ["联系活动", "开箱记录"], "groups": world.groups, "group_count": None, "count": None,
            "percent": 10, "minimum": 3, "drawn_at": "2026-04-02T09:30:00"}
    with session_scope(url=world.url) as s:
        eligible = sc.eligible_records(s, tsc.START, tsc.END, rule["kinds"], world.groups, letters_only=False)
        seed = sc.make_seed_v1("3-5-6", rule["drawn_at"])
        sample = sc.draw(rule, eligible, seed)["records"]
        s.add(models.SpotCheck(created_by="supervisor", period_start=tsc.START, period_end=tsc.END, rule=rule,
                               witness_value="3-5-6", seed=seed, fingerprint=sc.fingerprint(eligible),
                               sample=sample, eligible=[list(t) for t in eligible], status="检查中"))
    assert len([r for r in sample if r[1] == "开箱记录"]) == 2  # v1 drew openings without letters too
    with session_scope(url=world.url) as s:
        [(cid, ok, text)] = sc.verify_lines(s)
        assert ok and "旧版方法" in text and "一致" in text
        assert sc.verify(s, cid)["ok"]


def test_a_finding_saved_from_a_stale_page_is_refused_with_who_changed_it(world):
    aid = _activity(world)
    cid = tsc.new_check(world, kinds=["联系活动"], count=1)
    item = _item(world, cid, aid)  # both supervisors see it 未核查
    other = Actor("supervisor2", "supervisor", display_name="赵督查")
    with session_scope("supervisor2", url=world.url) as s:
        sc.record_finding(s, other, item["id"], tsc.ALL_OK, "合格", seen="")
    with pytest.raises(ValidationError) as e, session_scope("supervisor", url=world.url) as s:
        sc.record_finding(s, world.supervisor(), item["id"], tsc.ALL_OK, "不合格", "无照片", reason="复看", seen="")
    assert tsc.SECOND in str(e.value) and "合格" in str(e.value)  # the person, not the login
    with session_scope(url=world.url) as s:
        assert s.get(models.SpotCheckItem, item["id"]).result == "合格"
