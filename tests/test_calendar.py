"""工作日历 (issue 13): a letter received 2026-12-15 never falls due on a 2027 statutory holiday,
before or after the 2027 notice is entered; entering it moves the stored due dates of open letters
and opinions in one audited action and says how many moved; the 日历未确认 marks; the import file
and the command line; bad rows refused with nothing written. SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import calendars, letters, opinions, workdays
from services.common import PermissionDenied, ValidationError
from services.validation import parse_date

RECEIVED = date(2026, 12, 15)
# a 2027 notice as the State Council might publish it (the package has none): Spring Festival
# 2027-02-05 (除夕) to 02-13 off, Saturday 02-20 worked; National Day 10-01 to 10-07, Saturday 10-09 worked
NOTICE_2027 = (
    [{"日期": "2027-01-01", "类型": "放假", "名称": "元旦"}]
    + [{"日期": f"2027-02-{d:02d}", "类型": "放假", "名称": "春节"} for d in range(5, 14)]
    + [{"日期": "2027-02-20", "类型": "调休上班", "名称": "春节调休"}]
    + [{"日期": f"2027-10-{d:02d}", "类型": "放假", "名称": "国庆节"} for d in range(1, 8)]
    + [{"日期": "2027-10-09", "类型": "调休上班", "名称": "国庆节调休"}]
)


@pytest.fixture(autouse=True)
def _mid_december(travel) -> None:  # noqa: ANN001
    """Every test here runs on 2026-12-20 (a Sunday after the letter was received)."""
    travel("2026-12-20")


def _letter(world, received: date = RECEIVED) -> int:
    """Register a letter in mailbox 0 and return its id."""
    with session_scope("staff", world.url) as s:
        return letters.register(s, world.staff(), {
            "mailbox_id": world.mailboxes[0], "received_on": received, "writer_name": "张三丰",
            "writer_phone": "13812341234", "summary": "路灯损坏无人维修", "category": "城乡建设"}).id


def _opinion(world, raised: date = RECEIVED) -> int:
    """Record an opinion (待转交) in district 0 and return its id."""
    with session_scope("staff", world.url) as s:
        return opinions.add_opinion(s, world.staff(), district_id=world.districts[0], raised_on=raised,
                                    content="小区停车难", category="城乡建设").id


def _dues(world, letter_id: int) -> tuple[date, date, date | None]:
    with session_scope(url=world.url) as s:
        x = s.get(models.Letter, letter_id)
        return x.reply_due, x.resolve_due, x.step_due


def _statutory_2027() -> set[date]:
    return set(workdays.package_days(2027)[0])


def test_a_letter_of_december_is_never_due_on_a_2027_holiday_before_or_after_the_notice(world):
    lid = _letter(world)
    reply_due, resolve_due, step_due = _dues(world, lid)
    assert resolve_due.year == 2027
    holidays_2027 = _statutory_2027()
    assert date(2027, 1, 1) in holidays_2027 and date(2027, 2, 8) in holidays_2027
    for due in (reply_due, resolve_due, step_due):
        assert due not in holidays_2027 and due.weekday() < 5, due
    # the 40 working days skip the package's 2027 Spring Festival days, not only weekends
    cal = workdays.PACKAGE
    assert cal.workdays_between(RECEIVED, resolve_due) == 40
    plain = RECEIVED
    n = 0
    while n < 40:
        plain += timedelta(days=1)
        n += plain.weekday() < 5
    assert resolve_due > plain

    # before the notice: 日历未确认 at registration, in the list and on 工作台
    with session_scope(url=world.url) as s:
        assert "日历未确认" in letters.registration_warning(s, RECEIVED)
        assert letters.registration_warning(s, date(2026, 6, 1)) == ""
        row = next(r for r in letters.list_letters(s, world.admin(), {}, 0, 50).rows if r["id"] == lid)
        assert row["日历"] == "日历未确认"
        assert {r["id"] for r in letters.list_letters(s, world.admin(), {"overdue": "日历未确认"}, 0, 50).rows} == {lid}
        figs = calendars.figures(s, world.staff(), 2026)
        assert [(f.label, f.value) for f in figs] == [("日历未确认的来信期限", 1)]
        assert "日历未确认" in letters.get_letter(s, world.admin(), lid)["calendar_warning"]

    # the admin enters the 2027 notice: the stored date moves, and the count says so
    with session_scope("admin", world.url) as s:
        saved = calendars.save_year(s, world.admin(), 2027, NOTICE_2027, "国办发明电〔2026〕9号")
    assert saved.changed and saved.off == 17 and saved.work == 2
    assert saved.moved == 1
    assert "已重新计算 1 件未结案来信的办理期限，其中 1 件的期限有变化" in saved.message()
    after = _dues(world, lid)
    entered_off = {parse_date(r["日期"]) for r in NOTICE_2027 if r["类型"] == "放假"}
    assert all(due not in entered_off and due.weekday() < 5 for due in after if due is not None)
    assert after[1] == date(2027, 2, 18) and after[1] != resolve_due
    with session_scope(url=world.url) as s:
        cal = workdays.calendar_for(s)
        assert cal.workdays_between(RECEIVED, after[1]) == 40
        assert cal.is_workday(date(2027, 2, 20))  # the Saturday worked
        row = next(r for r in letters.list_letters(s, world.admin(), {}, 0, 50).rows if r["id"] == lid)
        assert row["日历"] == ""
        assert calendars.figures(s, world.staff(), 2026) == []
        assert letters.registration_warning(s, RECEIVED) == ""
        log = s.execute(select(models.AuditLog).where(models.AuditLog.entity == "CalendarYear")).scalars().all()
        assert len(log) == 1 and "2027年" in log[0].note and "1 件的期限有变化" in log[0].note


def test_entering_the_calendar_moves_open_opinions_and_keeps_closed_letters(world):
    lid, closed = _letter(world), _letter(world)
    oid = _opinion(world)
    with session_scope("staff", world.url) as s:
        letters.transition(s, world.staff(), closed, "不予受理", reason="不属于代表职责", happened_on=RECEIVED)
    closed_before = _dues(world, closed)
    with session_scope(url=world.url) as s:
        o = s.get(models.Opinion, oid)
        o_before = (o.forward_due, o.resolve_due)
        assert o.resolve_due.year == 2027
        assert [f.label for f in calendars.figures(s, world.admin(), 2026)] == ["日历未确认的来信期限",
                                                                                 "日历未确认的意见期限"]
    with session_scope("admin", world.url) as s:
        saved = calendars.save_year(s, world.admin(), 2027, NOTICE_2027)
    assert [(r.what, r.total, r.moved) for r in saved.recounts] == [("未结案来信", 1, 1), ("未办结群众意见", 1, 1)]
    assert "已重新计算 1 条未办结群众意见的办理期限，其中 1 条的期限有变化" in saved.message()
    assert _dues(world, closed) == closed_before  # a closed letter's due dates are history
    with session_scope(url=world.url) as s:
        o = s.get(models.Opinion, oid)
        assert (o.forward_due, o.resolve_due) != o_before
        assert o.resolve_due not in {parse_date(r["日期"]) for r in NOTICE_2027}
        assert opinions.list_opinions(s, world.admin(), {}, 0, 10).rows[0]["日历"] == ""
    assert lid


def test_saving_the_same_calendar_twice_changes_nothing(world):
    _letter(world)
    with session_scope("admin", world.url) as s:
        calendars.save_year(s, world.admin(), 2027, NOTICE_2027)
    with session_scope("admin", world.url) as s:
        again = calendars.save_year(s, world.admin(), 2027, list(reversed(NOTICE_2027)))
    assert not again.changed and "未作修改" in again.message()
    with session_scope(url=world.url) as s:
        assert s.execute(select(func.count()).select_from(models.AuditLog)
                         .where(models.AuditLog.note.like("%工作日历：%"))).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(models.CalendarDay)).scalar_one() == len(NOTICE_2027)


@pytest.mark.parametrize(("rows", "words"), [
    ([{"日期": "2027-02-22", "类型": "调休上班", "名称": "x"}, *NOTICE_2027[:1]], "调休上班日应为周六或周日"),
    ([*NOTICE_2027[:1], {"日期": "2027-01-01", "类型": "放假", "名称": "元旦"}], "重复"),
    ([{"日期": "2028-01-01", "类型": "放假", "名称": "元旦"}], "不在2027年"),
    ([{"日期": "2027.13.01", "类型": "放假", "名称": ""}], "日期"),
    ([{"日期": "2027-01-01", "类型": "休假日", "名称": ""}], "类型应为"),
    ([{"日期": "2027-02-20", "类型": "调休上班", "名称": ""}], "没有任何放假日期"),
    ([{"日期": "2027-01-01", "类型": "放假", "名称": "元" * 40}], "名称过长"),
])
def test_bad_rows_are_refused_by_row_and_nothing_is_written(world, rows, words):
    lid = _letter(world)
    before = _dues(world, lid)
    with pytest.raises(ValidationError) as err, session_scope("admin", world.url) as s:
        calendars.save_year(s, world.admin(), 2027, rows)
    assert words in str(err.value)
    with session_scope(url=world.url) as s:
        assert s.execute(select(func.count()).select_from(models.CalendarYear)).scalar_one() == 0
    assert _dues(world, lid) == before


def test_only_the_admin_enters_the_calendar(world):
    with pytest.raises(PermissionDenied), session_scope("staff", world.url) as s:
        calendars.save_year(s, world.staff(), 2027, NOTICE_2027)


def test_import_csv_and_xlsx_pasted_text_and_the_template(world, tmp_path):
    lid = _letter(world)
    # a GBK CSV from an office, with full-width spaces and a zero-width space pasted from Word
    text = "日期,类型,名称\n" + "\n".join(f"{r['日期']},{r['类型']},\u200b{r['名称']}\u3000" for r in NOTICE_2027) + "\n,,\n"
    with session_scope("admin", world.url) as s:
        saved = calendars.import_file(s, world.admin(), text.encode("gb18030"), "2027年放假安排.CSV")
    assert saved.years == [2027] and saved.moved == 1
    with session_scope(url=world.url) as s:
        names = set(s.execute(select(models.CalendarDay.name)).scalars())
    assert "春节" in names
    # the template's columns read back; a wrong file type is refused in Chinese
    template = calendars.template_xlsx(2028)
    rows = calendars.read_file(template, "模板.xlsx")
    assert [r["类型"] for r in rows] == ["放假", "放假", "调休上班"]
    with session_scope("admin", world.url) as s:
        again = calendars.import_file(s, world.admin(), template, "模板.xlsx")
    assert again.years == [2028]
    with pytest.raises(ValidationError, match="xlsx 或 .csv"), session_scope("admin", world.url) as s:
        calendars.import_file(s, world.admin(), b"x", "a.xls")
    assert _dues(world, lid)[1] == date(2027, 2, 18)


def test_manage_calendar_import(world, tmp_path, monkeypatch, capsys):
    import manage

    lid = _letter(world)
    path = tmp_path / "rili.csv"
    path.write_text("日期,类型,名称\n" + "\n".join(f"{r['日期']},{r['类型']},{r['名称']}" for r in NOTICE_2027),
                    encoding="utf-8-sig")
    monkeypatch.setenv("DATABASE_URL", world.url)
    assert manage.main(["calendar", "import", str(path), "--note", "国办发明电〔2026〕9号"]) == 0
    out = capsys.readouterr().out
    assert "已保存2027年工作日历" in out and "其中 1 件的期限有变化" in out
    assert _dues(world, lid)[1] == date(2027, 2, 18)
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,类型,名称\n2027-02-22,调休上班,x\n", encoding="utf-8")
    assert manage.main(["calendar", "import", str(bad)]) == 1
    assert "周六或周日" in capsys.readouterr().err


def test_a_save_from_a_stale_form_is_refused(world):
    """Two admins open the 2027 form; A saves; B's save (from the page B saw) is refused, nothing written."""
    with session_scope(url=world.url) as s:
        seen = calendars.seen_stamp(s, 2027)
    assert seen is None
    with session_scope("admin", world.url) as s:
        calendars.save_year(s, world.admin(), 2027, NOTICE_2027, seen=seen)
    with pytest.raises(calendars.StaleCalendar, match="已被 管理员 于"), session_scope("admin", world.url) as s:
        calendars.save_year(s, world.admin(), 2027, NOTICE_2027[:1], seen=seen)
    with session_scope(url=world.url) as s:
        assert s.execute(select(func.count()).select_from(models.CalendarDay)).scalar_one() == len(NOTICE_2027)
        fresh = calendars.seen_stamp(s, 2027)
    with session_scope("admin", world.url) as s:
        assert calendars.save_year(s, world.admin(), 2027, NOTICE_2027[:1], seen=fresh).changed


def test_the_opinion_form_warns_for_an_unconfirmed_year(world):
    with session_scope(url=world.url) as s:
        assert "日历未确认" in opinions.registration_warning(s, RECEIVED)
        assert opinions.registration_warning(s, date(2026, 6, 1)) == ""
        assert opinions.registration_warning(s, None) == ""


def test_a_notice_file_with_a_few_days_of_the_year_before_amends_that_year_and_keeps_its_holidays(world):
    """A notice lists 2018-12-29 调休上班 and 2018-12-30/31 放假 with the 2019 days: importing such a
    file must not replace the whole earlier year by those few days (its Spring Festival stays off)."""
    before = _letter(world, date(2026, 2, 10))
    rows = [*NOTICE_2027, {"日期": "2026-12-31", "类型": "放假", "名称": "元旦"}]
    text = "日期,类型,名称\n" + "\n".join(f"{r['日期']},{r['类型']},{r['名称']}" for r in rows)
    with session_scope("admin", world.url) as s:
        saved = calendars.import_file(s, world.admin(), text.encode("utf-8"), "2027年放假安排.csv")
        assert "2026年文件只含少数日期，已并入该年原有安排" in saved.message()
    with session_scope(url=world.url) as s:
        days_2026 = {d for d, k in s.execute(select(models.CalendarDay.day, models.CalendarDay.kind)
                                                .where(models.CalendarDay.year == 2026)) if k == "放假"}
    assert date(2026, 12, 31) in days_2026
    assert {date(2026, 2, 17), date(2026, 10, 1), date(2026, 10, 2)} <= days_2026  # Spring Festival, National Day
    assert len(days_2026) >= 20
    # a letter of February 2026 keeps the due dates of the 2026 arrangement
    with session_scope(url=world.url) as s:
        due = s.get(models.Letter, before).resolve_due
    assert due not in days_2026 and due.weekday() < 5


def test_a_paste_from_excel_with_serial_dates_and_a_header_with_a_zero_width_space_imports(world):
    """A 日期 column formatted 常规 shows 46430 for 2027-02-12; a tab-separated paste saved as .csv;
    a header cell carrying a zero-width space from Word."""
    serial = {date(2027, 1, 1) + timedelta(days=i): 46388 + i for i in range(400)}
    lines = ["日期\u200b\t类型\t名称"] + [f"{serial[parse_date(r['日期'])]}\t{r['类型']}\t{r['名称']}" for r in NOTICE_2027]
    with session_scope("admin", world.url) as s:
        saved = calendars.import_file(s, world.admin(), "\n".join(lines).encode("utf-8"), "粘贴.csv")
    assert saved.years == [2027]
    with session_scope(url=world.url) as s:
        stored = set(s.execute(select(models.CalendarDay.day)).scalars())
    assert stored == {parse_date(r["日期"]) for r in NOTICE_2027}
