"""系统设置 (services/settings.py): the registry, validation of every kind, audited saves that
take effect at once, stale and concurrent saves refused, restore default, and a change of the
letter deadlines recomputing every open letter's due dates in the same transaction."""

from __future__ import annotations

import re
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import dataversion, models
from db.engine import session_scope
from services import letters, proposals, setting_changes, settings, workdays
from services.common import Actor, PermissionDenied, ValidationError
from tests.conftest import build_world

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Actor("admin", "admin", display_name="管理员")
ADMIN2 = Actor("admin2", "admin", display_name="另一位管理员")


def _setting_log(url: str) -> list[models.AuditLog]:
    """The audit rows written about settings, oldest first."""
    with session_scope(url=url) as s:
        return list(s.execute(select(models.AuditLog).where(models.AuditLog.entity == "Setting")
                              .order_by(models.AuditLog.id)).scalars())


def _get(url: str, key: str) -> object:
    """A setting's value as a fresh request reads it."""
    with session_scope(url=url) as s:
        return settings.get(s, key)


# ---------------------------------------------------------------- the registry


def test_every_setting_is_described_and_its_default_is_valid() -> None:
    """Each key has a label, an area of the page, a meaning, a range and a reason; each default passes
    its own validation unchanged."""
    assert set(settings.REGISTRY) == set(settings.DEFAULTS)
    for key, spec in settings.REGISTRY.items():
        assert spec.label and spec.meaning and spec.reason and spec.allowed(), key
        assert spec.area in settings.AREAS, key
        assert spec.unit or spec.kind == settings.Kind.YES_NO, key
        assert settings.same(settings.validate(key, spec.default), spec.default), key
        shown = spec.label + spec.meaning + spec.reason + spec.unit + spec.allowed()
        assert not re.search(r"issue|PRACTICE|README|\.md", shown, re.I), key  # the user reads Chinese
    assert {s.area for s in settings.REGISTRY.values()} == set(settings.AREAS)


def test_every_setting_the_code_reads_is_in_the_registry() -> None:
    """A setting read anywhere (settings.get(session, "key")) is on the 系统设置 page."""
    pattern = re.compile(r"settings(?:_service)?\.get\(\s*\w+\s*,\s*\"(\w+)\"")
    used = set()
    for folder in ("services", "pages", "components", "db"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "no settings.get call found: the pattern is wrong"
    assert used <= set(settings.REGISTRY), used - set(settings.REGISTRY)


# ---------------------------------------------------------------- validation of each kind

BAD = [
    # (key, value, field, words of the message)
    ("r1_min_activities", 0, "value", "须在 1–12 次之间"),
    ("r1_min_activities", 13, "value", "须在 1–12 次之间"),
    ("r1_min_activities", 2.5, "value", "须为整数"),
    ("r1_min_activities", "两次", "value", "须为整数"),
    ("r1_min_activities", True, "value", "须为整数"),
    ("mailbox_open_days", 32, "value", "1–31 天"),
    ("hot_min_writers", 1, "value", "2–100 人"),
    ("advanced_groups", 0, "value", "1–100 个"),
    ("excellent_top_n", -1, "value", "0–1000 人"),
    ("excellent_share", 0, "value", "大于 0%"),
    ("excellent_share", 1.2, "value", "不超过 100%"),
    ("excellent_share", None, "value", "请填写"),
    ("excellent_exclude_leaders", "是", "value", "请选择是或否"),
    ("letter_categories", [], "value", "至少需要 1 项"),
    ("letter_categories", ["教育", "医疗卫生", "教育"], "value", "“教育”重复出现"),
    ("letter_categories", ["教育", "  "], "value", "第 2 项为空"),
    ("letter_categories", ["教育", "一二三四五六七八九十一二三四五六七"], "value", "超过 16 个字"),
    ("activity_target_groups", ["特困户、一般选民"], "value", "分隔符“、”"),
    ("activity_modes", ["走访\u200b慰问"], "value", "不可见字符"),
    ("spotcheck_checklist", [f"项目{i}" for i in range(51)], "value", "最多 50 项"),
    ("spotcheck_checklist", "记录完整", "value", "每行一项"),
    ("letter_deadlines", {"handed": 0, "reply": 10, "forward": 10, "feedback": 40}, "handed", "1–60 个工作日"),
    ("letter_deadlines", {"handed": 2, "reply": 10, "forward": 10, "feedback": 61}, "feedback", "1–60 个工作日"),
    ("letter_deadlines", {"handed": 2, "reply": 10.5, "forward": 10, "feedback": 40}, "reply", "须为整数"),
    ("letter_deadlines", {"handed": 2, "reply": 10, "feedback": 40}, "forward", "须为整数"),
    ("letter_deadlines", {"handed": 11, "reply": 10, "forward": 10, "feedback": 40}, "handed", "不能长于首次答复时限"),
    ("letter_deadlines", {"handed": 2, "reply": 45, "forward": 1, "feedback": 40}, "reply", "不能长于办结反馈时限"),
    ("letter_deadlines", {"handed": 2, "reply": 10, "forward": 31, "feedback": 40}, "forward", "不能超过办结反馈时限"),
    ("report_share", {"min": 0, "max": 0.3}, "min", "大于 0%"),
    ("report_share", {"min": 0.2, "max": 1.1}, "max", "不超过 100%"),
    ("report_share", {"min": 0.4, "max": 0.3}, "max", "不能低于下限"),
    ("report_share", {"min": None, "max": 0.3}, "min", "请填写下限"),
    ("report_grade_bands", [{"min": 0.8, "grade": "称职"}, {"min": 0.1, "grade": "不称职"}], "min1", "须为 0%"),
    ("report_grade_bands", [{"min": 0.5, "grade": "称职"}, {"min": 0.6, "grade": "基本称职"},
                            {"min": 0, "grade": "不称职"}], "min1", "须低于上一档"),
    ("report_grade_bands", [{"min": 0.8, "grade": "称职"}, {"min": 0, "grade": "称职"}], "grade1", "重复"),
    ("report_grade_bands", [{"min": 0, "grade": "称职"}], "value", "档次须为 2–6 个"),
    ("report_grade_bands", [{"min": 1.5, "grade": "称职"}, {"min": 0, "grade": "不称职"}], "min0", "0%–100%"),
    ("spotcheck_grade_rule", {"bands": [{"grade": "优秀", "max_basic": 2, "max_fail": 0},
                                        {"grade": "合格", "max_basic": 1, "max_fail": 0}],
                              "empty": "需整改", "rectify_days": 30}, "excellent_basic", "不能多于合格允许的"),
    ("spotcheck_grade_rule", {"bands": [{"grade": "优秀", "max_basic": 0, "max_fail": 0},
                                        {"grade": "合格", "max_basic": -1, "max_fail": 0}],
                              "empty": "需整改", "rectify_days": 30}, "pass_basic", "0–20 条"),
    ("spotcheck_grade_rule", {"bands": [{"grade": "优秀", "max_basic": 0, "max_fail": 0},
                                        {"grade": "合格", "max_basic": 1, "max_fail": 0}],
                              "empty": "需整改", "rectify_days": 0}, "rectify_days", "1–365 天"),
    ("spotcheck_grade_rule", {"bands": [{"grade": "优秀", "max_basic": 0, "max_fail": 0},
                                        {"grade": "合格", "max_basic": 1, "max_fail": 0}],
                              "empty": "很好", "rectify_days": 30}, "empty", "优秀、合格或需整改"),
]


@pytest.mark.parametrize(("key", "value", "field", "words"), BAD)
def test_a_bad_value_is_refused_with_the_fields_message(key, value, field, words) -> None:
    with pytest.raises(ValidationError) as exc:
        settings.validate(key, value)
    assert field in exc.value.errors, exc.value.errors
    assert words in exc.value.errors[field], exc.value.errors[field]


def test_good_values_come_back_clean() -> None:
    """Text from a form is folded (full-width digits and letters), trimmed and typed."""
    assert settings.validate("r1_min_activities", "３") == 3
    assert settings.validate("r1_min_activities", 4.0) == 4
    assert settings.validate("letter_categories", [" 教育 ", "ＩＴ服务", "其他"]) == ["教育", "IT服务", "其他"]
    assert settings.validate("excellent_share", 0.15) == 0.15
    assert settings.validate("letter_deadlines", {"handed": "3", "reply": 10, "forward": 30, "feedback": 40}) == \
        {"handed": 3, "reply": 10, "forward": 30, "feedback": 40}
    assert settings.validate("report_share", {"min": 0.25, "max": 0.25}) == {"min": 0.25, "max": 0.25}
    with pytest.raises(ValidationError) as exc:
        settings.validate("no_such_setting", 1)
    assert "没有名为" in exc.value.errors["key"]


def test_values_are_described_with_their_units() -> None:
    assert settings.describe("r1_min_activities", 2) == "2 次"
    assert settings.describe("excellent_top_n", 0) == "0 人（按比例）"
    assert settings.describe("report_share", {"min": 0.2, "max": 0.3}) == "20%–30%"
    assert settings.describe("excellent_share", 0.125) == "12.5%"
    assert settings.describe("letter_deadlines", settings.default("letter_deadlines")) == \
        "交给代表 2；首次答复来信人 10；转办 10；办结并反馈来信人 40（工作日）"
    assert settings.describe("report_grade_bands", settings.default("report_grade_bands")) == \
        "称职：满意率 ≥ 80%；基本称职：50%（含）至 80%；不称职：低于 50%"


# ---------------------------------------------------------------- saving (three databases)


def test_a_save_is_audited_and_the_next_request_uses_it(world) -> None:
    url = world.url
    version = _settled_version(url)
    with session_scope("admin", url) as s:
        assert proposals.signature_warning(s, "议案", 6) is not None  # default: 10 signatures
        saved = setting_changes.save(s, ADMIN, "proposal_min_signatures", 5, seen=10)
    assert saved.changed and saved.message() == "已保存“议案最少联名代表人数”：5 人。"
    with session_scope("leader", url) as s:  # another request: the rule reads the new value
        assert settings.get(s, "proposal_min_signatures") == 5
        assert proposals.signature_warning(s, "议案", 6) is None
        assert dataversion.current(s) > version  # caches keyed by the data version go stale
    log = _setting_log(url)
    assert len(log) == 1
    entry = log[0]
    assert (entry.username, entry.action, entry.entity_id) == ("admin", "修改", "proposal_min_signatures")
    assert entry.after == {"value": 5}
    assert entry.note == "修改系统设置“议案最少联名代表人数”，原值：10 人"


def _settled_version(url: str) -> int:
    """The data version once the fixture's own writes are counted.

    db/dataversion bumps in ``before_commit``, which SQLAlchemy runs before the commit's final
    flush: rows flushed only at commit (the fixture's last ones) leave the flag on the pooled
    connection and the next commit there moves the counter. One read-only transaction settles it.
    """
    with session_scope(url=url) as s:
        dataversion.current(s)
    with session_scope(url=url) as s:
        return dataversion.current(s)


def test_a_refused_value_writes_nothing(world) -> None:
    url = world.url
    version = _settled_version(url)
    with pytest.raises(ValidationError) as exc, session_scope("admin", url) as s:
        setting_changes.save(s, ADMIN, "letter_deadlines", {"handed": 2, "reply": 10, "forward": 10, "feedback": 0},
                      seen=settings.default("letter_deadlines"))
    assert "feedback" in exc.value.errors
    assert _get(url, "letter_deadlines") == settings.default("letter_deadlines")
    assert _setting_log(url) == []
    with session_scope(url=url) as s:
        assert dataversion.current(s) == version
        assert s.execute(select(func.count()).select_from(models.Setting)).scalar_one() == 0


def test_only_the_admin_may_change_a_setting(world) -> None:
    for actor in (world.staff(), world.supervisor(), world.leader()):
        with pytest.raises(PermissionDenied), session_scope(actor.username, world.url) as s:
            setting_changes.save(s, actor, "r1_min_activities", 3, seen=2)
        with pytest.raises(PermissionDenied), session_scope(actor.username, world.url) as s:
            setting_changes.restore_default(s, actor, "r1_min_activities", seen=2)
    assert _get(world.url, "r1_min_activities") == 2
    assert _setting_log(world.url) == []


def test_a_stale_save_is_refused_and_says_what_the_setting_is_now(world) -> None:
    """Two admins opened the page on 2; the second saved 3; the first one's 4 is refused."""
    url = world.url
    with session_scope("admin2", url) as s:
        setting_changes.save(s, ADMIN2, "r1_min_activities", 3, seen=2)
    with pytest.raises(setting_changes.StaleSetting) as exc, session_scope("admin", url) as s:
        setting_changes.save(s, ADMIN, "r1_min_activities", 4, seen=2)
    message = str(exc.value)
    assert "已被 admin2 于" in message and "现在是：3 次" in message and "未保存" in message
    assert exc.value.current == 3
    assert _get(url, "r1_min_activities") == 3
    assert len(_setting_log(url)) == 1
    # opened again on 3, the first admin's save goes through
    with session_scope("admin", url) as s:
        setting_changes.save(s, ADMIN, "r1_min_activities", 4, seen=exc.value.current)
    assert _get(url, "r1_min_activities") == 4


def test_saving_the_value_it_already_has_changes_nothing(world) -> None:
    with session_scope("admin", world.url) as s:
        saved = setting_changes.save(s, ADMIN, "hot_min_writers", 3, seen=3)
    assert not saved.changed and saved.message() == "“集中反映的最少来信人数”已是 3 人，未作修改。"
    with session_scope("admin", world.url) as s:
        setting_changes.save(s, ADMIN, "hot_min_writers", 4, seen=3)
    with session_scope("admin", world.url) as s:  # a double click: the second save finds it done
        assert not setting_changes.save(s, ADMIN, "hot_min_writers", 4, seen=3).changed
    assert len(_setting_log(world.url)) == 1


def test_restore_default(world) -> None:
    url = world.url
    words = ["城乡建设", "教育", "其他"]
    with session_scope("admin", url) as s:
        setting_changes.save(s, ADMIN, "letter_categories", words, seen=settings.default("letter_categories"))
    with pytest.raises(setting_changes.StaleSetting), session_scope("admin", url) as s:
        setting_changes.restore_default(s, ADMIN, "letter_categories", seen=settings.default("letter_categories"))
    assert _get(url, "letter_categories") == words
    with session_scope("admin", url) as s:
        saved = setting_changes.restore_default(s, ADMIN, "letter_categories", seen=words)
    assert saved.restored and saved.message().startswith("已将“问题类别”恢复为默认值：城乡建设、社会保障")
    with session_scope(url=url) as s:
        assert letters.categories(s) == settings.default("letter_categories")
        entry = next(e for e in settings.entries(s) if e.spec.key == "letter_categories")
        assert entry.is_default and entry.changed_by == "管理员"  # the person, not the login name
    log = _setting_log(url)
    assert len(log) == 2 and log[1].note.startswith("恢复默认值系统设置“问题类别”，原值：城乡建设、教育、其他")


def test_concurrent_saves_one_wins_the_others_are_told(world) -> None:
    """Six admins save different values over the same page at once: one is stored, five are refused
    as stale (none errors, none is lost), on every database."""
    url = world.url
    n = 6
    start = threading.Barrier(n)
    outcome: dict[int, object] = {}

    def worker(i: int) -> None:
        start.wait()
        try:
            with session_scope(f"admin{i}", url) as s:
                setting_changes.save(s, Actor(f"admin{i}", "admin"), "mailbox_open_days", 10 + i, seen=7)
            outcome[i] = "saved"
        except setting_changes.StaleSetting as exc:
            outcome[i] = ("stale", exc.current)
        except Exception as exc:  # noqa: BLE001 - an error here is what the test looks for
            outcome[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, o in outcome.items() if o == "saved"]
    assert len(winners) == 1, outcome
    assert all(o == ("stale", 10 + winners[0]) for i, o in outcome.items() if i != winners[0]), outcome
    assert _get(url, "mailbox_open_days") == 10 + winners[0]
    assert len(_setting_log(url)) == 1


# ---------------------------------------------------------------- letter deadlines: recompute open letters


def _letter(url: str, world, received: date, to: str | None = None, **step) -> int:
    """Register a letter received on ``received`` and move it along the path up to ``to``."""
    staff = world.staff()
    with session_scope("staff", url) as s:
        lid = letters.register(s, staff, {
            "mailbox_id": world.mailboxes[0], "deputy_id": world.deputies[0], "received_on": received, "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "小区路灯损坏无人维修", "category": "城乡建设",
        }).id
        path = {"已交代表": ["已交代表"], "已回复": ["已交代表", "已回复"],
                "办理中": ["已交代表", "已回复", "已转办", "办理中"],
                "已反馈": ["已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈"],
                "不予受理": ["不予受理"]}.get(to, [])
        needs = {"已回复": {"reply_content": "已电话答复来信人", "reply_method": "电话"}, "已转办": {"forwarded_to": "区住建局"}, "已办结": {"result": "已修复", "outcome": "A 已解决"},
                 "已反馈": {"feedback_method": "电话", "satisfaction": "满意"}, "不予受理": {"reason": "不属于职责范围"}}
        for st in path:
            letters.transition(s, staff, lid, st, happened_on=step.get("on", received), **needs.get(st, {}))
    return lid


def _dues(url: str) -> dict[int, tuple]:
    """Every letter's (reply_due, resolve_due, step_due)."""
    with session_scope(url=url) as s:
        return {r[0]: tuple(r[1:]) for r in s.execute(
            select(models.Letter.id, models.Letter.reply_due, models.Letter.resolve_due, models.Letter.step_due))}


def _letter_log(url: str) -> int:
    """How many audit rows name a letter."""
    with session_scope(url=url) as s:
        return s.execute(select(func.count()).select_from(models.AuditLog)
                         .where(models.AuditLog.entity == "Letter")).scalar_one()


@pytest.fixture
def letters_world(db_url, travel):
    """A district on 15 June 2026 with four open and two closed letters received on 1 June."""
    travel("2026-06-15")
    world = build_world(db_url)
    got = date(2026, 6, 1)
    ids = {
        "登记": _letter(db_url, world, got),
        "已交代表": _letter(db_url, world, got, "已交代表"),
        "已回复": _letter(db_url, world, got, "已回复", on=date(2026, 6, 5)),
        "办理中": _letter(db_url, world, got, "办理中", on=date(2026, 6, 8)),
        "已反馈": _letter(db_url, world, got, "已反馈", on=date(2026, 6, 10)),
        "不予受理": _letter(db_url, world, got, "不予受理", on=date(2026, 6, 2)),
    }
    return world, ids


def test_changing_the_forward_deadline_recomputes_open_letters_and_counts_the_moved(letters_world) -> None:
    world, ids = letters_world
    url = world.url
    before = _dues(url)
    letter_log = _letter_log(url)
    dl = settings.default("letter_deadlines")
    with session_scope("admin", url) as s:
        assert setting_changes.pending_recount(s, "letter_deadlines") == 4
        saved = setting_changes.save(s, ADMIN, "letter_deadlines", {**dl, "forward": 12}, seen=dl)
    assert [(r.total, r.moved) for r in saved.recounts] == [(4, 1)]
    assert saved.message().endswith("已重新计算 4 件未结案来信的办理期限，其中 1 件的期限有变化。")
    after = _dues(url)
    assert after[ids["已回复"]][2] == workdays.add_workdays(date(2026, 6, 5), 12)  # waiting to be forwarded
    assert {k: v for k, v in after.items() if k != ids["已回复"]} == \
        {k: v for k, v in before.items() if k != ids["已回复"]}
    log = _setting_log(url)
    assert len(log) == 1  # one audited action, saying what changed and how many moved
    assert log[0].after == {"value": {**dl, "forward": 12}}
    assert log[0].note.endswith("已重新计算 4 件未结案来信的办理期限，其中 1 件的期限有变化")
    assert _letter_log(url) == letter_log  # due dates are derived columns: not an edit of each letter


def test_changing_the_reply_deadline_moves_every_open_letter_and_no_closed_one(letters_world) -> None:
    world, ids = letters_world
    url = world.url
    before = _dues(url)
    dl = settings.default("letter_deadlines")
    new = {**dl, "reply": 15, "feedback": 45}
    with session_scope("admin", url) as s:
        saved = setting_changes.save(s, ADMIN, "letter_deadlines", new, seen=dl)
    assert [(r.total, r.moved) for r in saved.recounts] == [(4, 4)]
    after = _dues(url)
    got = date(2026, 6, 1)
    for status in ("登记", "已交代表", "已回复", "办理中"):
        reply_due, resolve_due, _step = after[ids[status]]
        assert (reply_due, resolve_due) == (workdays.add_workdays(got, 15), workdays.add_workdays(got, 45)), status
    for status in ("已反馈", "不予受理"):  # closed: their due dates are history
        assert after[ids[status]] == before[ids[status]], status
    # a letter registered now gets the new deadlines too
    lid = _letter(url, world, date(2026, 6, 12))
    assert _dues(url)[lid][0] == workdays.add_workdays(date(2026, 6, 12), 15)
    # back to the default: recomputed again, and said so
    with session_scope("admin", url) as s:
        saved = setting_changes.restore_default(s, ADMIN, "letter_deadlines", seen=new)
    assert [(r.total, r.moved) for r in saved.recounts] == [(5, 5)]
    assert _dues(url)[ids["登记"]] == before[ids["登记"]]


def test_a_failed_recompute_saves_nothing(letters_world, monkeypatch) -> None:
    """The setting and the due dates change in one transaction: if the recompute fails, neither does."""
    world, _ids = letters_world
    url = world.url
    before = _dues(url)

    def broken(session, letter_ids=None):  # noqa: ANN001, ANN202
        session.execute(models.Letter.__table__.update().values(reply_due=date(2030, 1, 1)))
        raise RuntimeError("计算失败")

    monkeypatch.setattr(letters, "recompute_deadlines", broken)
    dl = settings.default("letter_deadlines")
    with pytest.raises(RuntimeError), session_scope("admin", url) as s:
        setting_changes.save(s, ADMIN, "letter_deadlines", {**dl, "reply": 12}, seen=dl)
    assert _get(url, "letter_deadlines") == dl
    assert _dues(url) == before
    assert _setting_log(url) == []
