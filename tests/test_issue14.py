"""Issue 14 on SQLite, PostgreSQL and MariaDB: one writer one identity, the 承办单位 directory and R3,
outcome classes (A alone solved), letter handling (edit, 答复, deputy from the mailbox) and merges."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import activities, bodies, deputy_io, hotissues, identity, letters, rules
from services.common import PermissionDenied, StaleError, ValidationError
from tests.test_import_deputies import xlsx

DAY = date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _day(travel) -> None:  # noqa: ANN001
    """The story is told on 2026-06-15 whatever TEST_TODAY says."""
    travel("2026-06-15")


def _letter(world, name: str = "张三", phone: str | None = "13812341234", category: str = "交通出行",
            summary: str = "路口红绿灯时间太短", **kw) -> int:
    """Register one letter in mailbox 0 (group 0); return its id."""
    data = {"mailbox_id": world.mailboxes[0], "received_on": DAY, "writer_name": name, "writer_phone": phone,
            "summary": summary, "category": category, **kw}
    with session_scope("staff", world.url) as s:
        return letters.register(s, world.staff(), data).id


def _body(world, name: str) -> int:
    """The id of a directory body of the world."""
    with session_scope(url=world.url) as s:
        return s.execute(select(models.HandlingBody.id).where(models.HandlingBody.name == name)).scalar_one()


def _walk(world, lid: int, to: str, **last) -> None:
    """Take a letter along the legal path to ``to`` (the last step with ``last``)."""
    needs = {"已回复": {"reply_content": "已收到", "reply_method": "电话"}, "已转办": {"forwarded_to": "区交通局"},
             "已办结": {"result": "已调整", "outcome": "A 已解决"}}
    path = ["已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈"]
    with session_scope("staff", world.url) as s:
        if not s.get(models.Letter, lid).deputy_id:
            needs["已交代表"] = {"deputy_id": world.deputies[0]}
        for step in path[:path.index(to) + 1]:
            kw = {**needs.get(step, {}), **(last if step == to else {})}
            if step == "已反馈":
                kw = {"feedback_method": "电话", "satisfaction": "满意", **kw}
            letters.transition(s, world.staff(), lid, step, happened_on=DAY, **kw)


# ---------------------------------------------------------------- one writer, one identity


@pytest.mark.parametrize(("typed", "stored"), [
    ("139-1234-0014", "13912340014"), ("139 1234 0014", "13912340014"), ("139.1234.0014", "13912340014"),
    ("+86 139 1234 0014", "13912340014"), ("0086-13912340014", "13912340014"), (13912340014.0, "13912340014"),
    ("１３９１２３４００１４", "13912340014"), ("010-62345678", "010-62345678"), ("(010)62345678", "010-62345678"),
    ("（010）62345678", "010-62345678"), ("01062345678", "010-62345678"), ("010 6234 5678", "010-62345678"),
    ("+86 10 62345678", "010-62345678"), ("010-62345678-123", "010-62345678转123"),
    ("010-62345678转123", "010-62345678转123"), ("0571-87654321", "0571-87654321"), ("62345678", "62345678"),
    ("13912340014.0", "13912340014"), ("(+86)139-1234-0014", "13912340014"), ("0755 8888 6666", "0755-88886666"),
])
def test_phones_have_one_stored_and_shown_form(typed, stored) -> None:
    assert identity.canonical_phone(typed) == stored


@pytest.mark.parametrize("typed", ["1.39E+10", "123", "139-1234-001", "电话", "13912340014转8"])
def test_unreadable_phones_are_refused_in_chinese(typed) -> None:
    with pytest.raises(identity.PhoneError) as exc:
        identity.canonical_phone(typed)
    assert "电话" in str(exc.value) or "手机" in str(exc.value)


def test_names_compare_without_dot_look_alikes_spaces_or_widths() -> None:
    forms = ["阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽・买买提", "阿依古丽‧买买提", "阿依古丽 · 买买提", "阿依古丽.买买提",
             "阿依古丽⸱买买提", "阿依古丽ᐧ买买提", "阿依古丽᛫买买提", "阿依古丽⦁买买提", "阿依古丽\u200b·买买提",
             "阿依古丽·\u00ad买买提"]
    assert len({identity.name_key(f) for f in forms}) == 1
    assert identity.name_key("ＡＢＣ 张") == identity.name_key("abc张")
    assert identity.writer_key("张三", "(010)62345678") == identity.writer_key("李四", "010-62345678")
    assert identity.writer_key(None, None) is None


def test_a_letter_stores_the_phone_canonical_and_finds_the_same_landline_as_duplicate(world) -> None:
    first = _letter(world, phone="010-62345678")
    with session_scope(url=world.url) as s:
        assert s.get(models.Letter, first).writer_phone == "010-62345678"
    data = {"mailbox_id": world.mailboxes[0], "received_on": DAY, "writer_name": "张三", "writer_phone": "(010)62345678",
            "summary": "完全不同的另一件事情", "category": "教育"}
    with session_scope("staff", world.url) as s:
        dups = letters.find_possible_duplicates(s, world.staff(), data)
    assert [(d["id"], d["疑似重复原因"]) for d in dups] == [(first, "同一联系电话")]
    # a hyphenated mobile is accepted and stored in its one form
    lid = _letter(world, phone="139-1234-0014")
    with session_scope(url=world.url) as s:
        assert s.get(models.Letter, lid).writer_phone == "13912340014"


def test_r14_counts_writers_not_letters(world) -> None:
    """One writer (the same landline written two ways) and another: 2 writers, not 3."""
    _letter(world, name="王五", phone="010-62345678")
    _letter(world, name="王五", phone="(010)62345678", summary="再次反映红绿灯")
    _letter(world, name="赵六", phone="13900000006")
    with session_scope("leader", world.url) as s:
        assert hotissues.concentrated(s, world.leader(), 2026, min_writers=3) == []
        rows = hotissues.concentrated(s, world.leader(), 2026, min_writers=2)
    assert [(r["来信人数（人）"], r["来信（件）"]) for r in rows] == [(2, 3)]


def test_a_landline_with_and_without_the_area_code_is_one_writer_once_the_area_code_is_set(world) -> None:
    """62345678 and 010-62345678 are one writer once the admin has set the district's area code
    (系统设置 local_area_code = 10): letters already registered with the local number are rewritten
    in the same save, later ones are stored with the area code, R14 counts one writer."""
    from services import setting_changes, settings

    old = _letter(world, name="王五", phone="62345678")
    with session_scope(url=world.url) as s:
        assert s.get(models.Letter, old).writer_phone == "62345678"  # no area code known: kept as typed
    with session_scope("admin", world.url) as s:
        assert setting_changes.pending_recount(s, "local_area_code") == 1
        saved = setting_changes.save(s, world.admin(), "local_area_code", 10, settings.get(s, "local_area_code"))
    assert "1 件已补上区号" in saved.message()
    new = _letter(world, name="王五", phone="6234 5678", summary="再次反映红绿灯")
    other = _letter(world, name="王五", phone="(010)62345678转12", summary="第三次反映红绿灯")
    _letter(world, name="赵六", phone="13900000006")
    with session_scope(url=world.url) as s:
        got = {lid: (s.get(models.Letter, lid).writer_phone, s.get(models.Letter, lid).writer_key) for lid in (old, new, other)}
    assert got == {old: ("010-62345678", "t:010-62345678"), new: ("010-62345678", "t:010-62345678"),
                   other: ("010-62345678转12", "t:010-62345678")}
    with session_scope("leader", world.url) as s:
        rows = hotissues.concentrated(s, world.leader(), 2026, min_writers=2)
    assert [(r["来信人数（人）"], r["来信（件）"]) for r in rows] == [(2, 4)]
    # a mobile, a number with another area code and an anonymous letter are never touched
    assert identity.canonical_phone("0755-82345678", area=10) == "0755-82345678"
    assert identity.canonical_phone("13912340014", area=10) == "13912340014"


def test_r4_needs_several_writers_not_one_writer_writing_often(world) -> None:
    for i in range(3):
        _letter(world, name="孙七", phone="139-0000-0007", summary=f"第{i + 1}次反映公交站太远")
    with session_scope("staff", world.url) as s:
        assert activities.r4_clusters(s, world.staff(), 2026) == []
    _letter(world, name="周八", phone="13900000008")
    _letter(world, name="吴九", phone=None)
    with session_scope("staff", world.url) as s:
        rows = activities.r4_clusters(s, world.staff(), 2026)
    assert [(r["提出次数（活动/来信）"], r["来信（件）"]) for r in rows] == [(3, 5)]


def test_deputy_import_takes_hyphenated_mobiles_and_middle_dot_look_alikes(world) -> None:
    row = ["阿依古丽·买买提", "女", 1980, "", "", "137-0000-0001", "东城第一代表组", "第1选区"]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx([row]))
    assert rep.ok and rep.created == 1
    again = ["阿依古丽•买买提", "女", 1980, "", "", "137 0000 0001", "东城第一代表组", "第1选区"]
    with session_scope("admin", url=world.url) as s:
        rep = deputy_io.import_deputies(s, world.admin(), xlsx([again]))
    assert rep.ok and (rep.created, rep.unchanged) == (0, 1)
    with session_scope(url=world.url) as s:
        found = s.execute(select(models.Deputy.name, models.Deputy.phone)
                          .where(models.Deputy.name.like("阿依古丽%"))).all()
    assert found == [("阿依古丽·买买提", "13700000001")]  # stored as first typed


# ---------------------------------------------------------------- the directory and R3


@pytest.mark.parametrize("text", ["本人", "代表本人", "自行解决", "代表自行协调解决", "张伟", "张伟同志", "张伟（代表）",
                                  "张伟(代表)", "张伟代表本人", "张伟代表", "王老师", "", "　",
                                  # a fresh attack's wordings: a post for a person, "no body", the
                                  # deputy's own places, no body in particular
                                  "王局", "张科", "刘队", "李所", "不需转办", "无需处理", "暂不转交", "张伟代表工作室",
                                  "代表联络站", "张伟工作室", "有关部门", "相关单位", "区教育局\u200b（代表）",
                                  "区住建局（王主任）", "张伟（区住建局）", "区住建局（张伟）", "区住建局()"])
def test_r3_a_person_is_never_an_organisation(text) -> None:
    assert bodies.not_an_organisation(text, {"张伟"}) is not None


@pytest.mark.parametrize("text", ["区住房和城乡建设局", "某某街道办事处", "区人民法院", "区人民检察院", "市生态环境局区分局",
                                  "区人大常委会代表联络工作委员会", "某某物业服务有限公司", "区总工会",
                                  "区生活垃圾无害化处理厂", "区金融办", "高新区管委会", "区教育局\u200b",
                                  "区市场监督管理局（区知识产权局）"])
def test_r3_organisations_pass(text) -> None:
    assert bodies.not_an_organisation(text, {"张伟"}) is None


def test_letters_forward_only_to_active_bodies_of_the_directory(world) -> None:
    lid = _letter(world, deputy_id=world.deputies[0])  # 张伟 in charge
    _walk(world, lid, "已回复")
    for bad in ("本人", "张伟同志", "张伟（代表）", "区某某局"):
        with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
            letters.transition(s, world.staff(), lid, "已转办", happened_on=DAY, forwarded_to=bad)
        assert "forwarded_to" in exc.value.errors
    with session_scope("admin", world.url) as s:
        bodies.update_body(s, world.admin(), _body(world, "区教育局"), {"name": "区教育局", "kind": "政府部门",
                                                                       "active": False})
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "已转办", happened_on=DAY, body_id=_body(world, "区教育局"))
    assert "停用" in exc.value.errors["forwarded_to"]
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "已转办", happened_on=DAY, forwarded_to="区交通局 ")
    with session_scope(url=world.url) as s:
        letter = s.get(models.Letter, lid)
        assert (letter.forwarded_to, letter.body_id) == ("区交通局", _body(world, "区交通局"))


def test_directory_refuses_people_and_twins_and_round_trips_as_xlsx(world) -> None:
    staff = world.staff()
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        bodies.add_body(s, staff, {"name": "张伟同志", "kind": "其他"})
    assert "R3" in exc.value.errors["name"]
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        bodies.add_body(s, staff, {"name": "区 交通局", "kind": "政府部门"})
    assert "已有" in exc.value.errors["name"]
    with session_scope("staff", world.url) as s:
        new = bodies.add_body(s, staff, {"name": "区水务局", "kind": "政府部门",
                                         "parent_id": _body(world, "区政府")}).id
    with session_scope("leader", world.url) as s, pytest.raises(PermissionDenied):
        bodies.add_body(s, world.leader(), {"name": "区林业局"})
    with session_scope(url=world.url) as s:
        data = bodies.export_xlsx(s, world.admin())
        opts = bodies.options(s)
    assert "区水务局（qswj）" in opts.values()
    with session_scope("admin", world.url) as s:
        assert bodies.import_xlsx(s, world.admin(), data) == {"新增": 0, "更新": 0, "未变": len(opts)}
    with session_scope(url=world.url) as s:
        assert s.get(models.HandlingBody, new).parent_id == _body(world, "区政府")
    with pytest.raises(StaleError), session_scope("admin", world.url) as s:
        bodies.update_body(s, world.admin(), new, {"name": "区水务局", "kind": "其他"}, expected_version=99)
    with pytest.raises(ValidationError) as exc, session_scope("admin", world.url) as s:
        bodies.update_body(s, world.admin(), _body(world, "区政府"), {"name": "区政府", "kind": "政府部门",
                                                                    "parent_id": new})
    assert "下级" in exc.value.errors["parent_id"]


def test_admin_maps_old_free_text_to_a_body(world) -> None:
    with session_scope("t", world.url) as s:
        for i, text in enumerate(["张伟代表本人", "张伟代表本人", "城管"]):
            s.add(models.Letter(code=f"OLD{i}", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                                group_id=world.groups[0], office_id=world.offices[0], received_on=DAY, summary="旧",
                                category="其他", status="已转办", forwarded_to=text))
    with session_scope(url=world.url) as s:
        rows = bodies.unmapped(s)
    assert [(r["原填写"], r["记录（条）"]) for r in rows] == [("张伟代表本人", 2), ("城管", 1)]
    with pytest.raises(PermissionDenied), session_scope("staff", world.url) as s:
        bodies.map_text(s, world.staff(), "城管", _body(world, "区城管局"))
    with session_scope("admin", world.url) as s:
        assert bodies.map_text(s, world.admin(), "城管", _body(world, "区城管局")) == 1
    with pytest.raises(ValidationError), session_scope("admin", world.url) as s:  # the same mapping twice
        bodies.map_text(s, world.admin(), "城管", _body(world, "区城管局"))
    with session_scope(url=world.url) as s:
        assert [r["原填写"] for r in bodies.unmapped(s)] == ["张伟代表本人"]
        assert s.execute(select(models.Letter.forwarded_to).where(models.Letter.code == "OLD2")).scalar() == "区城管局"


# ---------------------------------------------------------------- outcome classes


def test_a_alone_counts_as_resolved_and_close_needs_a_class(world) -> None:
    ids = {c: _letter(world, phone=f"1390000010{i}") for i, c in enumerate("ABCD")}
    with pytest.raises(ValidationError) as exc:
        _walk(world, ids["A"], "已办结", outcome=None)
    assert "outcome" in exc.value.errors
    for c, lid in ids.items():
        _walk(world, lid, "已办结", outcome=next(o for o in letters.OUTCOMES if o.startswith(c)))
    with session_scope(url=world.url) as s:
        solved = s.execute(select(models.Letter.id).where(rules.letter_resolved())).scalars().all()
        rows = bodies.body_figures(s, world.admin(), 2026)
    assert solved == [ids["A"]]
    row = next(r for r in rows if r["承办单位"] == "区交通局")
    assert (row["转办来信（件）"], row["A 已解决"], row["B 正在解决"], row["C 列入计划逐步解决"],
            row["D 因条件限制留作参考"], row["A类占比"]) == (4, 1, 1, 1, 1, "25%")


# ---------------------------------------------------------------- letter handling


def test_edit_a_letter_sets_and_changes_its_deputy_with_a_reason(world) -> None:
    lid = _letter(world)
    with session_scope("staff", world.url) as s:
        v = s.get(models.Letter, lid).version
        letters.edit_letter(s, world.staff(), lid, {"deputy_id": world.deputies[0]}, expected_version=v)
    with session_scope(url=world.url) as s:
        letter = s.get(models.Letter, lid)
        v = letter.version
        assert letter.deputy_id == world.deputies[0]
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.edit_letter(s, world.staff(), lid, {"deputy_id": world.deputies[2]}, expected_version=v)
    assert "reason" in exc.value.errors
    with pytest.raises(StaleError), session_scope("staff", world.url) as s:
        letters.edit_letter(s, world.staff(), lid, {"deputy_id": world.deputies[2]}, reason="原代表出差",
                            expected_version=v - 1)
    with session_scope("staff", world.url) as s:
        letters.edit_letter(s, world.staff(), lid, {"deputy_id": world.deputies[2], "writer_phone": "139-8888-0000"},
                            reason="原代表出差", expected_version=v)
    with session_scope(url=world.url) as s:
        letter = s.get(models.Letter, lid)
        assert (letter.deputy_id, letter.writer_phone, letter.writer_key) == \
            (world.deputies[2], "13988880000", "t:13988880000")
        last = s.execute(select(models.LetterEvent).where(models.LetterEvent.letter_id == lid)
                         .order_by(models.LetterEvent.id.desc())).scalars().first()
        assert last.to_status == "修改登记" and "原代表出差" in last.note and "张伟 → 李娜" in last.note
        assert "139" not in last.note  # personal data stays out of the history
        audited = s.execute(select(func.count()).select_from(models.AuditLog).where(
            models.AuditLog.entity == "Letter", models.AuditLog.entity_id == str(lid),
            models.AuditLog.action == "修改")).scalar_one()
    assert audited >= 2


def test_the_mailbox_keeper_is_the_default_deputy(world) -> None:
    with session_scope("t", world.url) as s:
        s.get(models.Mailbox, world.mailboxes[0]).deputy_id = world.deputies[0]
    with session_scope(url=world.url) as s:
        assert letters.default_deputy(s, world.mailboxes[0]) == world.deputies[0]
        assert letters.default_deputy(s, world.mailboxes[1]) is None


# ---------------------------------------------------------------- merges


def test_merged_letters_keep_their_writers_and_chains_are_refused(world) -> None:
    keep = _letter(world, name="甲", phone="13900000021")
    dup = _letter(world, name="乙", phone="13900000022", summary="同一路口红绿灯")
    other = _letter(world, name="丙", phone="13900000023", summary="第三封")
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), dup, "已合并", happened_on=DAY, merged_into=keep, reason="同一事项")
    for source, target in ((keep, other), (other, dup)):  # B into C when A is in B; into a merged letter
        with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
            letters.transition(s, world.staff(), source, "已合并", happened_on=DAY, merged_into=target, reason="重复")
        assert "merged_into" in exc.value.errors
    with pytest.raises(ValidationError), session_scope("staff", world.url) as s:
        letters.register(s, world.staff(), {"mailbox_id": world.mailboxes[0], "received_on": DAY,
                                            "writer_name": "丁", "summary": "又一封", "category": "交通出行"},
                         merge_into=dup)
    with session_scope("staff", world.url) as s:
        info = letters.get_letter(s, world.staff(), keep)
    assert [m["编号"] for m in info["merged"]] and info["merged"][0]["来信人"] == "乙*"
    with session_scope("leader", world.url) as s:
        rows = hotissues.concentrated(s, world.leader(), 2026, min_writers=3)
        assert [(r["来信人数（人）"], r["来信（件）"]) for r in rows] == [(3, 2)]  # 乙 counts; 2 letters kept
        tid = hotissues.create_topic(s, world.leader(), title="红绿灯", category="交通出行",
                                     district_id=world.districts[0], letter_ids=[keep, other]).id
        hotissues.close_topic(s, world.leader(), tid, "已延长绿灯时间", "A 已解决")
    with session_scope("staff", world.url) as s:
        told = hotissues.untold_writers(s, world.staff(), tid)
    assert sorted(r["letter_id"] for r in told) == sorted([keep, dup, other])


def test_old_closed_letters_get_their_class_once_and_a_handover_sheet(world) -> None:
    lid = _letter(world, deputy_id=world.deputies[0])
    _walk(world, lid, "已反馈")
    with session_scope("t", world.url) as s:
        s.get(models.Letter, lid).outcome = None  # as Alembic 0006_i14_bodies leaves a letter closed before the classes
    with session_scope("staff", world.url) as s:
        assert letters.get_letter(s, world.staff(), lid)["needs_outcome"]
        letters.set_outcome(s, world.staff(), lid, "C 列入计划逐步解决")
    with pytest.raises(ValidationError), session_scope("staff", world.url) as s:
        letters.set_outcome(s, world.staff(), lid, "A 已解决")  # a class once given stays
    with session_scope("staff", world.url) as s:
        masked = letters.handover_sheet(s, world.staff(), lid)
        full = letters.handover_sheet(s, world.staff(), lid, with_writer=True)
        doc = letters.handover_docx(full)
    assert dict(masked["rows"])["联系电话"] == "138****1234" and dict(full["rows"])["联系电话"] == "13812341234"
    assert masked["to"] == "区交通局" and doc[:2] == b"PK"
    from io import BytesIO

    from docx import Document

    text = "\n".join(c.text for t in Document(BytesIO(doc)).tables for r in t.rows for c in r.cells)
    assert "路口红绿灯时间太短" in text and "张伟" in text
    with session_scope(url=world.url) as s:
        views = s.execute(select(func.count()).select_from(models.AuditLog).where(
            models.AuditLog.action == "查看", models.AuditLog.entity_id == str(lid))).scalar_one()
    assert views == 1  # only the sheet with the writer's data is logged as a view


def test_an_opinion_is_never_registered_as_forwarded_to_a_person(world) -> None:
    from services import opinions

    for bad in ("本人", "张伟同志", "张伟（代表）"):
        with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
            opinions.add_opinion(s, world.staff(), district_id=world.districts[0], deputy_id=world.deputies[0],
                                 raised_on=DAY, content="路灯", category="城乡建设", forwarded_to=bad)
        assert "forwarded_to" in exc.value.errors
    with session_scope("staff", world.url) as s:
        rows, errors = opinions.check_rows(s, [{"content": "路灯", "category": "城乡建设", "forwarded_to": "本人"}])
    assert "第1条" in errors["opinions"]
    with session_scope("staff", world.url) as s:
        op = opinions.add_opinion(s, world.staff(), district_id=world.districts[0], raised_on=DAY, content="路灯",
                                  category="城乡建设", forwarded_to="区住建局")
        assert (op.status, op.body_id) == ("已转交", _body(world, "区住建局"))


def test_handing_a_letter_names_its_deputy_when_none_was_named(world) -> None:
    lid = _letter(world)
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "已交代表", happened_on=DAY, deputy_id=world.deputies[10])
    assert "deputy_id" in exc.value.errors  # a deputy of another group
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), lid, "已交代表", happened_on=DAY, deputy_id=world.deputies[1])
    with session_scope(url=world.url) as s:
        assert s.get(models.Letter, lid).deputy_id == world.deputies[1]


def test_a_proposal_answered_before_the_classes_is_classed_once(world) -> None:
    from services import proposals

    with session_scope("staff", world.url) as s:
        pid = proposals.create_proposal(s, world.staff(), {"kind": "建议", "title": "关于增设公交站的建议",
                                                           "lead_deputy_id": world.deputies[0],
                                                           "submitted_on": date(2026, 1, 2)})["id"]
        for to, kw in (("已交办", {"handling_body": "区交通局"}), ("办理中", {}),
                       ("已答复", {"result": "已增设", "outcome": "A 已解决"})):
            proposals.transition(s, world.staff(), pid, to, on=date(2026, 2, 1), **kw)
    with session_scope("t", world.url) as s:
        s.get(models.Proposal, pid).outcome = None
    with session_scope("staff", world.url) as s:
        proposals.set_outcome(s, world.staff(), pid, "B 正在解决")
    with pytest.raises(ValidationError), session_scope("staff", world.url) as s:
        proposals.set_outcome(s, world.staff(), pid, "A 已解决")
    with session_scope(url=world.url) as s:
        assert s.get(models.Proposal, pid).outcome == "B 正在解决"


def test_handing_a_letter_needs_a_serving_deputy_and_changes_one_only_with_a_reason(world) -> None:
    """交代表 without a deputy in charge is refused beside the picker; a letter's deputy who left
    office is not handed the letter; handing to another deputy than the one named bypasses no
    reason (that is 修改登记's)."""
    lid = _letter(world)
    for kw in ({}, {"deputy_id": None}):
        with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
            letters.transition(s, world.staff(), lid, "已交代表", happened_on=DAY, **kw)
        assert "请选择承办代表" in exc.value.errors["deputy_id"]
    named = _letter(world, deputy_id=world.deputies[0])
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), named, "已交代表", happened_on=DAY, deputy_id=world.deputies[1])
    assert "修改登记" in exc.value.errors["deputy_id"]
    with session_scope("admin", world.url) as s:
        gone = s.get(models.Deputy, world.deputies[0])
        gone.status, gone.left_on = "辞职", date(2026, 6, 12)
    with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), named, "已交代表", happened_on=DAY)
    assert "不在本代表组任职" in exc.value.errors["deputy_id"]
    with session_scope(url=world.url) as s:
        assert [s.get(models.Letter, i).status for i in (lid, named)] == ["登记", "登记"]  # nothing half-written
    with session_scope("staff", world.url) as s:
        v = s.get(models.Letter, named).version
        letters.edit_letter(s, world.staff(), named, {"deputy_id": world.deputies[1]}, reason="原代表辞职",
                            expected_version=v)
        letters.transition(s, world.staff(), named, "已交代表", happened_on=DAY)
    with session_scope(url=world.url) as s:
        letter = s.get(models.Letter, named)
        assert (letter.status, letter.deputy_id) == ("已交代表", world.deputies[1])


def test_closed_as_b_c_or_d_is_a_figure_with_the_records_behind_it(world) -> None:
    """工作台: letters, opinions and proposals answered B/C/D (closed, not solved) are one figure of
    the 来信办理 section; its list holds exactly those records (A, open and reopened ones left out),
    each body's records include its proposals, and a leader reads the text with phones masked."""
    from services import dashboard, opinions, proposals

    ids = {c: _letter(world, phone=f"1390000020{i}", summary=f"第{c}件，来信人电话13912345678")
           for i, c in enumerate("ABCD")}
    for c, lid in ids.items():
        _walk(world, lid, "已办结", outcome=next(o for o in letters.OUTCOMES if o.startswith(c)))
    _walk_open = _letter(world, phone="13900000209")
    _walk(world, _walk_open, "办理中")
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), ids["D"], "已反馈", happened_on=DAY, feedback_method="电话",
                           satisfaction="不满意")
        letters.transition(s, world.staff(), ids["D"], "办理中", happened_on=DAY)  # reopened: no class until closed again
        pid = proposals.create_proposal(s, world.staff(), {"kind": "建议", "title": "关于增设公交站的建议",
                                                           "lead_deputy_id": world.deputies[0],
                                                           "submitted_on": date(2026, 1, 2)})["id"]
        for to, kw in (("已交办", {"handling_body": "区交通局"}), ("办理中", {}),
                       ("已答复", {"result": "列入明年计划", "outcome": "C 列入计划逐步解决"})):
            proposals.transition(s, world.staff(), pid, to, on=date(2026, 2, 1), **kw)
        op = opinions.add_opinion(s, world.staff(), district_id=world.districts[0], raised_on=DAY, content="路灯",
                                  category="城乡建设", forwarded_to="区住建局")
        assert op.id
    with session_scope("admin", world.url) as s:
        page = bodies.unsolved(s, world.admin(), 2026)
        fig = next(f for f in bodies.figures(s, world.admin(), 2026))
        section = dict(dashboard.sections(s, world.admin(), 2026))["来信办理"]
        recs = bodies.body_records(s, world.admin(), _body(world, "区交通局"), 2026)
    assert sorted((r["来源"][:2], r["结果分类"][0]) for r in page.rows) == [("建议", "C"), ("来信", "B"), ("来信", "C")]
    assert fig.value == page.total == 3 and (fig.unit, fig.page, fig.params) == (
        "件", "bodies", {"view": "unsolved", "year": "2026"})
    assert any(f.label == fig.label for f in section)
    assert "建议" in {r["来源"] for r in recs} and len(recs) == 5 + 1  # 5 letters and the proposal
    with session_scope("leader", world.url) as s:
        leader = bodies.unsolved(s, world.leader(), 2026, {"source": "来信"})
    assert leader.total == 2 and all("13912345678" not in r["内容"] for r in leader.rows)
    with session_scope("staff", world.url) as s:
        staff = bodies.unsolved(s, world.staff(), 2026, {"outcome": "C 列入计划逐步解决"})
        staff_all = bodies.unsolved(s, world.staff(), 2026)
        staff_fig = bodies.figures(s, world.staff(), 2026)[0]
    assert [r["来源"][:2] for r in staff.rows] == ["来信"]  # the proposal is counted for unscoped roles only
    assert staff_fig.value == staff_all.total == 2  # the tile counts what its list shows, in the staff's scope


def test_a_topic_is_closed_with_a_class_that_reaches_its_writers_and_only_a_counts_as_solved(world) -> None:
    """监督议题: closing needs a class (nothing written without); the class goes where the outcome
    text goes — the writers still to tell, each letter's history, an open letter's result — and the
    hot-issue loop counts A alone as solved (topics and the letters of an appeal)."""
    a = _letter(world, name="甲", phone="13900000301")
    b = _letter(world, name="乙", phone="13900000302", summary="同一路口又堵了")
    c = _letter(world, name="丙", phone="13900000303", summary="第三封")
    _walk(world, a, "已办结", outcome="A 已解决")
    _walk(world, c, "已办结", outcome="B 正在解决")
    with session_scope("leader", world.url) as s:
        tid = hotissues.create_topic(s, world.leader(), title="红绿灯", category="交通出行",
                                     district_id=world.districts[0], letter_ids=[a, b, c]).id
    for cls in (None, "E 其他", "已解决"):
        with pytest.raises(ValidationError) as exc, session_scope("leader", world.url) as s:
            hotissues.close_topic(s, world.leader(), tid, "已延长绿灯时间", cls)
        assert "outcome_class" in exc.value.errors
    with session_scope(url=world.url) as s:
        assert s.get(models.SupervisionTopic, tid).status == "进行中"
        assert hotissues.solved_topics(s) == {"已办结": 0, "已解决（A类）": 0, "未分类": 0}
    with session_scope("leader", world.url) as s:
        hotissues.close_topic(s, world.leader(), tid, "已延长绿灯时间", "B 正在解决")
    with session_scope("staff", world.url) as s:
        told = hotissues.untold_writers(s, world.staff(), tid)
        topics = hotissues.topics_of_letter(s, world.staff(), b)
        hotissues.mark_told(s, world.staff(), tid, b)
    assert {r["结果分类"] for r in told} == {"B 正在解决"} and len(told) == 3
    assert topics[0]["outcome_class"] == "B 正在解决"
    with session_scope(url=world.url) as s:
        open_letter = s.get(models.Letter, b)
        notes = s.execute(select(models.LetterEvent.note).where(models.LetterEvent.letter_id == b)
                          .order_by(models.LetterEvent.id)).scalars().all()
        closed_letter = s.get(models.Letter, a)
        assert "（B 正在解决）" in open_letter.result and open_letter.outcome is None  # closing the letter still classes it
        assert closed_letter.result == "已调整" and closed_letter.outcome == "A 已解决"
        assert "已办结（B 正在解决）" in notes[-2] and "（B 正在解决）告知来信人" in notes[-1]
        assert hotissues.solved_topics(s) == {"已办结": 1, "已解决（A类）": 0, "未分类": 0}
        page = hotissues.list_topics(s, world.leader(), {})
        assert page.rows[0]["结果分类"] == "B 正在解决"
        row = hotissues.concentrated(s, world.leader(), 2026, min_writers=3)[0]
    assert (row["来信（件）"], row["已解决（件）"]) == (3, 1)  # A alone; the B letter is answered, not solved



def test_a_body_name_pasted_from_word_is_the_same_body() -> None:
    """Zero-width, right-to-left, BOM, NUL and soft hyphen inside a body's name do not make
    another body (identity.body_key), in the app and in the migration's copy alike."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "db/migrations/versions/0006_i14_bodies.py"
    spec = importlib.util.spec_from_file_location("m0006", path)
    m0006 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0006)
    for typed in ("区住建局\u200b", "\u200b区住建局", "区住建局\u202e", "区住建局\ufeff", "区住建局\x00", "区\u00ad住建局",
                  "区住建局\x0b"):
        assert identity.body_key(typed) == m0006.body_key(typed) == identity.body_key("区住建局"), repr(typed)
        assert m0006.is_organisation(typed, set()), repr(typed)
    for text in ("王局", "不需转办", "张伟代表工作室", "有关部门"):
        assert not m0006.is_organisation(text, set()) and bodies.not_an_organisation(text) is not None


def test_a_letter_is_never_merged_into_a_closed_one(world) -> None:
    """已反馈 and 不予受理 letters took their last step: a letter merged into them would never hear
    back; the merge list offers only open letters."""
    done = _letter(world, name="甲", phone="13900000401")
    _walk(world, done, "已反馈")
    refused = _letter(world, name="乙", phone="13900000402", summary="第二封")
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), refused, "不予受理", happened_on=DAY, reason="不属职责")
    new = _letter(world, name="丙", phone="13900000403", summary="同一路口红绿灯时间太短")
    for target in (done, refused):
        with pytest.raises(ValidationError) as exc, session_scope("staff", world.url) as s:
            letters.transition(s, world.staff(), new, "已合并", happened_on=DAY, merged_into=target, reason="重复")
        assert "办理已结束" in exc.value.errors["merged_into"]
        with pytest.raises(ValidationError), session_scope("staff", world.url) as s:
            letters.register(s, world.staff(), {"mailbox_id": world.mailboxes[0], "received_on": DAY,
                                                "writer_name": "丁", "summary": "又一封", "category": "交通出行"},
                             merge_into=target)
    with session_scope("staff", world.url) as s:
        assert set(letters.merge_candidates(s, world.staff(), new)).isdisjoint({done, refused})
        assert s.get(models.Letter, new).status == "登记"


def test_the_masked_handover_sheet_masks_personal_data_typed_into_the_letter(world) -> None:
    """交办单 for a body: the writer is masked and so is a phone or ID number the staff typed into
    the summary; the unmasked sheet (logged) keeps them."""
    lid = _letter(world, deputy_id=world.deputies[0], summary="来信人住幸福路12号，电话13912345678，身份证110101199001011234")
    _walk(world, lid, "已转办")
    with session_scope("staff", world.url) as s:
        masked = dict(letters.handover_sheet(s, world.staff(), lid)["rows"])["来信内容"]
        full = dict(letters.handover_sheet(s, world.staff(), lid, with_writer=True)["rows"])["来信内容"]
    assert "13912345678" not in masked and "110101199001011234" not in masked
    assert "13912345678" in full


def test_a_body_edited_on_the_page_keeps_its_parent_and_an_import_makes_no_circle(world) -> None:
    """The page's edit form has no 上级单位: saving a name must not clear it. An import whose
    rows make two bodies each other's parent is refused, nothing written."""
    with session_scope("admin", world.url) as s:
        parent = bodies.add_body(s, world.admin(), {"name": "区交通运输局", "kind": "政府部门"})
        child = bodies.add_body(s, world.admin(), {"name": "区交通运输局执法大队", "kind": "政府部门",
                                                   "parent_id": parent.id})
        bodies.update_body(s, world.admin(), child.id, {"name": "区交通运输综合执法大队", "kind": "政府部门",
                                                        "active": True}, expected_version=child.version)
        assert child.parent_id == parent.id
        cid, pid = child.id, parent.id
    import pandas as pd

    from services.excel import to_xlsx

    data = to_xlsx({"承办单位": pd.DataFrame([
        {"名称": "区交通运输局", "类别": "政府部门", "上级单位": "区交通运输综合执法大队", "状态": "启用"},
        {"名称": "区交通运输综合执法大队", "类别": "政府部门", "上级单位": "区交通运输局", "状态": "启用"}])})
    with pytest.raises(ValidationError) as exc, session_scope("admin", world.url) as s:
        bodies.import_xlsx(s, world.admin(), data)
    assert "循环" in exc.value.errors["file"]
    with session_scope(url=world.url) as s:
        assert (s.get(models.HandlingBody, pid).parent_id, s.get(models.HandlingBody, cid).parent_id) == (None, pid)


def test_a_directory_file_pasted_from_word_renames_nothing_and_imports_twice_unchanged(world) -> None:
    """Names with Word's soft hyphen or zero-width space are the bodies already there: the import
    says 未变 and the names stay clean; the same file imported again changes nothing."""
    import pandas as pd

    from services.excel import to_xlsx

    with session_scope(url=world.url) as s:
        before = dict(s.execute(select(models.HandlingBody.id, models.HandlingBody.name)).all())
        kind = s.execute(select(models.HandlingBody.kind).where(models.HandlingBody.name == "区交通局")).scalar_one()
    data = to_xlsx({"承办单位": pd.DataFrame([
        {"名称": "区交\u00ad通局", "类别": kind, "上级单位": "", "状态": "启用"},
        {"名称": "区水务局\u200b", "类别": "政府部门", "上级单位": "区交通局\u00ad", "状态": "启用"}])})
    for expected in ({"新增": 1, "更新": 0, "未变": 1}, {"新增": 0, "更新": 0, "未变": 2}):
        with session_scope("admin", world.url) as s:
            assert bodies.import_xlsx(s, world.admin(), data) == expected
    with session_scope(url=world.url) as s:
        after = dict(s.execute(select(models.HandlingBody.id, models.HandlingBody.name)).all())
        water = s.execute(select(models.HandlingBody).where(models.HandlingBody.name == "区水务局")).scalar_one()
        assert s.get(models.HandlingBody, water.parent_id).name == "区交通局"
    assert {k: v for k, v in after.items() if k in before} == before and "区水务局" in after.values()


def test_the_directory_is_searched_by_pinyin_initials_typed_in_full_width(world) -> None:
    """A Chinese input method in full-width mode types ｑｊｔｙ: the same search as qjty."""
    with session_scope("admin", world.url) as s:
        bodies.add_body(s, world.admin(), {"name": "区交通运输局", "kind": "政府部门"})
    with session_scope("admin", world.url) as s:
        found = {q: [r["名称"] for r in bodies.list_bodies(s, world.admin(), {"q": q}).rows]
                 for q in ("qjty", "QJTY", "ｑｊｔｙ", "ＱＪ　ＴＹ", "qj ty", "交通运输")}
    assert all(names == ["区交通运输局"] for names in found.values()), found
