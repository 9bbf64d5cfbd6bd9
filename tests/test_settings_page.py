"""系统设置 page (AppTest): the admin sees every setting by area and edits it; a refused value shows
its error beside the field with the input kept; deadline changes and restoring a default ask
first; a stale form is refused; no other role reaches the page."""

from __future__ import annotations

from datetime import date

import pytest

from db import models
from db.engine import session_scope
from db.migrate import upgrade
from services import clock, letters, setting_changes, settings
from services.common import Actor
from tests.conftest import app_as, build_world, submit

ADMIN2 = Actor("admin2", "admin", display_name="另一位管理员")


def _value(url: str, key: str) -> object:
    """The setting as a fresh request reads it."""
    with session_scope(url=url) as s:
        return settings.get(s, key)


def _box(at, key: str):  # noqa: ANN001, ANN202
    """The 修改 expander of setting ``key`` (the block holding its form)."""
    for exp in at.expander:
        if any(str(w.key).startswith(f"set_{key}__") for w in [*exp.number_input, *exp.text_area, *exp.radio]):
            return exp
    raise AssertionError(f"no form for {key}")


def _save(at, key: str):  # noqa: ANN001, ANN202
    """Click 保存 of one setting's form and run."""
    submit(at, f"set_{key}__save").click()  # named by the form's token
    return at.run()


def test_admin_sees_every_setting_grouped_by_area(app_world) -> None:
    at = app_as("admin", "settings")
    assert not at.exception
    assert [t.value for t in at.title] == ["系统设置"]
    assert any("修改后立即生效" in c.value for c in at.caption)
    assert [t.label for t in at.tabs] == list(settings.AREAS)
    shown = [h.value for h in at.subheader]
    assert shown == [s.label for area in settings.AREAS for s in settings.REGISTRY.values() if s.area == area]
    first_tab = at.tabs[0]
    assert "来信各环节办理时限" in [h.value for h in first_tab.subheader]
    texts = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "**当前值**：2 次（默认值）" in texts
    assert "允许范围：1–12 次的整数" in texts.replace("\\", "")
    assert "指导意见：每位代表每年至少开展2次联系选民活动" in texts.replace("\\", "")
    assert not [b for b in at.button if b.label == "恢复默认值"]  # everything is at its default


def test_admin_changes_a_setting_and_it_shows_at_once(app_world) -> None:
    at = app_as("admin", "settings")
    at.number_input(key="set_r1_min_activities__in").set_value(3)
    _save(at, "r1_min_activities")
    assert not at.exception
    assert "已保存“每位代表每年至少联系选民活动次数”：3 次。" in [s.value for s in at.success]
    assert _value(app_world.url, "r1_min_activities") == 3
    assert any(m.value == "**当前值**：3 次" for m in at.markdown)
    assert [b.key[:-11] for b in at.button if b.label == "恢复默认值"] == ["set_r1_min_activities__restore"]
    with session_scope(url=app_world.url) as s:
        log = s.query(models.AuditLog).filter_by(entity="Setting").one()
        assert (log.username, log.entity_id, log.after) == ("admin", "r1_min_activities", {"value": 3})


def test_a_refused_list_shows_the_error_beside_it_and_keeps_the_input(app_world) -> None:
    at = app_as("admin", "settings")
    typed = "城乡建设\n教育\n医疗卫生\n教育"
    at.text_area(key="set_letter_categories__in").input(typed)
    _save(at, "letter_categories")
    assert not at.exception
    box = _box(at, "letter_categories")
    assert "“教育”重复出现，每项只能出现一次" in [e.value for e in box.error]
    assert at.text_area(key="set_letter_categories__in").value == typed
    assert _value(app_world.url, "letter_categories") == settings.default("letter_categories")


def test_a_refused_deadline_shows_the_error_beside_that_field(app_world) -> None:
    at = app_as("admin", "settings")
    at.number_input(key="set_letter_deadlines__in_handed").set_value(12)
    _save(at, "letter_deadlines")
    box = _box(at, "letter_deadlines")
    errors = [e.value for e in box.error]
    assert any(e.startswith("交给代表的时限（12 个工作日）不能长于首次答复时限") for e in errors), errors
    assert at.number_input(key="set_letter_deadlines__in_handed").value == 12
    assert not [w for w in at.warning if "重新计算" in w.value]  # no confirmation for a refused value
    assert _value(app_world.url, "letter_deadlines") == settings.default("letter_deadlines")


@pytest.fixture
def june_world(travel, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The app's district on 15 June 2026 with a registered letter and one waiting to be forwarded."""
    travel("2026-06-15")
    url = f"sqlite:///{tmp_path / 'june.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    world = build_world(url)
    staff = world.staff()
    with session_scope("staff", url) as s:
        data = {"mailbox_id": world.mailboxes[0], "deputy_id": world.deputies[0], "received_on": date(2026, 6, 1), "writer_name": "张三丰",
                "writer_phone": "13812341234", "summary": "小区路灯损坏无人维修", "category": "城乡建设"}
        letters.register(s, staff, data)
        lid = letters.register(s, staff, data).id
        letters.transition(s, staff, lid, "已交代表", happened_on=date(2026, 6, 2))
        letters.transition(s, staff, lid, "已回复", happened_on=date(2026, 6, 3), reply_content="已电话告知维修安排",
                           reply_method="电话")
    return world


def test_a_deadline_change_asks_first_then_recomputes_and_says_how_many_moved(june_world) -> None:
    assert clock.today() == date(2026, 6, 15)
    at = app_as("admin", "settings")
    at.number_input(key="set_letter_deadlines__in_forward").set_value(12)
    _save(at, "letter_deadlines")
    warning = [w.value for w in at.warning if "重新计算" in w.value]
    assert warning and "保存后将立即重新计算 2 件未结案来信的办理期限" in warning[0]
    assert _value(june_world.url, "letter_deadlines")["forward"] == 10  # nothing saved yet
    submit(at, "set_letter_deadlines__yes").click()
    at.run()
    assert not at.exception
    assert any(s.value.endswith("已重新计算 2 件未结案来信的办理期限，其中 1 件的期限有变化。") for s in at.success)
    assert _value(june_world.url, "letter_deadlines")["forward"] == 12


def test_cancelling_a_deadline_change_saves_nothing(june_world) -> None:
    at = app_as("admin", "settings")
    at.number_input(key="set_letter_deadlines__in_reply").set_value(12)
    _save(at, "letter_deadlines")
    at.button(key="set_letter_deadlines__no").click()
    at.run()
    assert not [w for w in at.warning if "重新计算" in w.value]
    assert at.number_input(key="set_letter_deadlines__in_reply").value == 12  # the input stays
    assert _value(june_world.url, "letter_deadlines") == settings.default("letter_deadlines")


def test_restoring_a_default_asks_first(app_world) -> None:
    with session_scope("admin", app_world.url) as s:
        setting_changes.save(s, Actor("admin", "admin"), "r4_threshold", 5, seen=3)
    at = app_as("admin", "settings")
    submit(at, "set_r4_threshold__restore").click()
    at.run()
    assert any("恢复为默认值（3 件）吗" in w.value for w in at.warning)
    assert _value(app_world.url, "r4_threshold") == 5
    submit(at, "set_r4_threshold__restore_yes").click()
    at.run()
    assert not at.exception
    assert "已将“同类问题形成议案建议的提示门槛”恢复为默认值：3 件。" in [s.value for s in at.success]
    assert _value(app_world.url, "r4_threshold") == 3


def test_a_stale_form_is_refused_with_the_value_now_and_the_input_kept(app_world) -> None:
    at = app_as("admin", "settings")  # the admin opens the page on 7 days
    with session_scope("admin2", app_world.url) as s:  # meanwhile another admin saves 10
        setting_changes.save(s, ADMIN2, "mailbox_open_days", 10, seen=7)
    at.number_input(key="set_mailbox_open_days__in").set_value(5)
    _save(at, "mailbox_open_days")
    errors = [e.value for e in at.error]
    assert any("已被 admin2 于" in e and "现在是：10 天" in e and "未保存" in e for e in errors), errors
    assert at.number_input(key="set_mailbox_open_days__in").value == 5
    assert _value(app_world.url, "mailbox_open_days") == 10
    _save(at, "mailbox_open_days")  # told what it is now, the admin saves on purpose
    assert "已保存“信箱开启周期”：5 天。" in [s.value for s in at.success]
    assert _value(app_world.url, "mailbox_open_days") == 5


def test_the_page_warns_when_the_setting_moved_since_it_was_opened(app_world) -> None:
    at = app_as("admin", "settings")
    with session_scope("admin2", app_world.url) as s:
        setting_changes.save(s, ADMIN2, "hot_min_writers", 4, seen=3)
    at.run()
    assert any("此设置已被他人修改" in w.value for w in at.warning)
    at.button(key="set_hot_min_writers__reload").click()
    at.run()
    assert at.number_input(key="set_hot_min_writers__in").value == 4
    assert not any("此设置已被他人修改" in w.value for w in at.warning)


def test_percentages_yes_no_and_the_spot_check_rule_save(app_world) -> None:
    at = app_as("admin", "settings")
    at.number_input(key="set_report_share__in_min").set_value(25.0)
    at.number_input(key="set_report_share__in_max").set_value(40.0)
    _save(at, "report_share")
    at.radio(key="set_excellent_exclude_leaders__in").set_value("否")
    _save(at, "excellent_exclude_leaders")
    at.number_input(key="set_spotcheck_grade_rule__in_rectify_days").set_value(15)
    _save(at, "spotcheck_grade_rule")
    assert not at.exception
    assert _value(app_world.url, "report_share") == {"min": 0.25, "max": 0.4}
    assert _value(app_world.url, "excellent_exclude_leaders") is False
    assert _value(app_world.url, "spotcheck_grade_rule")["rectify_days"] == 15
    at.number_input(key="set_excellent_share__in").set_value(0.0)
    _save(at, "excellent_share")
    assert any("大于 0%" in e.value for e in _box(at, "excellent_share").error)
    assert _value(app_world.url, "excellent_share") == 0.2


def test_other_roles_see_no_settings_page(app_world) -> None:
    for role in ("staff", "supervisor", "leader"):
        at = app_as(role)
        assert "settings" not in at.session_state["_pages"], role  # the menu holds only these pages
    assert "settings" in app_as("admin").session_state["_pages"]


def test_the_guard_stops_a_non_admin_who_reaches_the_page(app_world) -> None:
    """Even run directly (not through the navigation), the page draws nothing for staff."""
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        from pages import settings as page

        page.render()

    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "staff"
    at.run()
    assert "您没有访问此页面的权限。" in [e.value for e in at.error]
    assert not at.number_input and not at.button and not at.subheader
