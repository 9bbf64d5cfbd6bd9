"""The foundations every rule stands on: one clock, periods of service, who serves in a year,
the data version that makes caches stale, and states the databases themselves keep in range."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import exc, select, text, update

from db import audit, dataversion, periods
from db import models as M
from db.engine import session_scope
from services import clock, deputies
from services.states import EventKind, values

# ---------------------------------------------------------------- the clock


def test_the_clock_follows_the_pinned_day(pinned_day):
    assert clock.today() == pinned_day
    assert clock.now().date() == pinned_day
    assert clock.year_end_or_today(pinned_day.year) == pinned_day
    assert clock.year_end_or_today(pinned_day.year - 1) == date(pinned_day.year - 1, 12, 31)
    assert clock.year_end_or_today(pinned_day.year + 1) == date(pinned_day.year + 1, 1, 1)


# ---------------------------------------------------------------- periods of service


@pytest.fixture
def world(db_url, travel):  # noqa: ANN001, ANN201
    """The stories below happen in 2026: the world (term 2024–2028) is built on 2026-01-10,
    whatever day the suite runs on (TEST_TODAY)."""
    from tests.conftest import build_world

    travel("2026-01-10")
    return build_world(db_url)


def _periods(s, deputy_id: int) -> list[tuple]:
    rows = s.execute(select(M.DeputyPeriod).where(M.DeputyPeriod.deputy_id == deputy_id)
                     .order_by(M.DeputyPeriod.start_on)).scalars()
    return [(p.group_id, p.start_on, p.end_on, p.end_reason) for p in rows]


def test_a_new_deputy_has_one_period_from_joining(world):
    with session_scope("t", url=world.url) as s:
        y = clock.today().year
        assert _periods(s, world.deputies[0]) == [(world.groups[0], date(y - 2, 1, 10), None, None)]


def test_resignation_closes_the_period_and_reinstatement_opens_another(world, travel):
    y = travel("2026-06-15").year
    with session_scope("t", url=world.url) as s:
        d = s.get(M.Deputy, world.deputies[0])
        d.status, d.left_on = "辞职", date(y, 3, 1)
    with session_scope("t", url=world.url) as s:
        assert _periods(s, world.deputies[0])[-1][2:] == (date(y, 3, 1), "辞职")
        d = s.get(M.Deputy, world.deputies[0])
        periods.set_intent(d, "reinstate", date(y, 5, 1))
        d.status, d.left_on = "在任", None
    with session_scope("t", url=world.url) as s:
        got = _periods(s, world.deputies[0])
        assert [(p[1], p[2]) for p in got] == [(date(y - 2, 1, 10), date(y, 3, 1)), (date(y, 5, 1), None)]
        served = {x.id: x for x in deputies.served_in(s, y)}[world.deputies[0]]
        # 1 Jan – 1 Mar and 1 May – 31 Dec: 60 + 245 days
        assert served.days == 60 + 245 and served.serving


def test_a_move_to_another_group_keeps_the_past_in_the_old_group(world, travel):
    travel("2026-09-01")
    with session_scope("t", url=world.url) as s:
        d = s.get(M.Deputy, world.deputies[2])
        periods.set_intent(d, "move", date(2026, 7, 1))
        d.group_id, d.district_id = world.groups[1], world.districts[1]
    with session_scope("t", url=world.url) as s:
        got = _periods(s, world.deputies[2])
        assert got[0][0] == world.groups[0] and got[0][2] == date(2026, 6, 30) and got[0][3] == "调整代表组"
        assert got[1][:3] == (world.groups[1], date(2026, 7, 1), None)
        assert world.deputies[2] in deputies.serving_ids(s, 2025, group_id=world.groups[0])
        assert world.deputies[2] in deputies.serving_ids(s, 2026, group_id=world.groups[1])
        assert world.deputies[2] not in deputies.serving_ids(s, 2026, group_id=world.groups[0])
        assert deputies.serving_on(s, [world.deputies[2]], date(2026, 3, 1)) == {world.deputies[2]: world.groups[0]}


def test_editing_a_deputy_without_a_move_corrects_the_record(world):
    with session_scope("t", url=world.url) as s:
        d = s.get(M.Deputy, world.deputies[3])
        d.group_id, d.district_id = world.groups[1], world.districts[1]
    with session_scope("t", url=world.url) as s:
        assert [p[0] for p in _periods(s, world.deputies[3])] == [world.groups[1]]


def test_a_past_year_does_not_change_when_a_deputy_resigns_today(world, travel):
    travel("2026-05-20")
    with session_scope("t", url=world.url) as s:
        before = {x.id for x in deputies.served_in(s, 2025)}
        serving_2025 = deputies.serving_ids(s, 2025)
        d = s.get(M.Deputy, world.deputies[4])
        d.status, d.left_on = "辞职", date(2026, 5, 19)
    with session_scope("t", url=world.url) as s:
        assert {x.id for x in deputies.served_in(s, 2025)} == before
        assert deputies.serving_ids(s, 2025) == serving_2025
        assert world.deputies[4] not in deputies.serving_ids(s, 2026)
        full = {x.id: x for x in deputies.served_in(s, 2025)}[world.deputies[4]]
        assert full.fraction == 1.0 and full.serving


def test_fraction_served_is_days_over_days_of_the_year(world, travel):
    travel("2026-12-20")
    with session_scope("t", url=world.url) as s:
        d = s.get(M.Deputy, world.deputies[5])
        d.joined_on = date(2026, 2, 15)  # a by-election: serves 15 February – 31 December
    with session_scope("t", url=world.url) as s:
        x = {x.id: x for x in deputies.served_in(s, 2026)}[world.deputies[5]]
        assert x.days == 320 and x.fraction == 320 / 365
        assert x.first_day == date(2026, 2, 15)
        assert deputies.r1_required(2, x.first_day, 2026) == 2  # ⌈2 × 11 ÷ 12⌉


def test_a_deputy_who_has_not_started_yet_does_not_serve(world, travel):
    travel("2026-03-01")
    with session_scope("t", url=world.url) as s:
        d = s.get(M.Deputy, world.deputies[6])
        d.joined_on = date(2026, 4, 1)
    with session_scope("t", url=world.url) as s:
        assert world.deputies[6] not in {x.id for x in deputies.served_in(s, 2026)}
        assert world.deputies[6] not in deputies.serving_ids(s, 2026)
        assert world.deputies[6] in deputies.serving_ids(s, 2026, day=date(2026, 4, 1))


@pytest.mark.parametrize(("joined", "owed"), [(date(2025, 6, 1), 2), (date(2026, 1, 20), 2),
                                              (date(2026, 7, 1), 1), (date(2026, 12, 1), 1)])
def test_r1_requirement_is_pro_rated_by_months_from_joining(joined, owed):
    assert deputies.r1_required(2, joined, 2026) == owed


# ---------------------------------------------------------------- the data version


def test_every_committed_write_moves_the_data_version(world):
    with session_scope("t", url=world.url) as s:
        v0 = dataversion.current(s)
    with session_scope("t", url=world.url) as s:
        s.get(M.Deputy, world.deputies[0]).unit_title = "新单位"
    with session_scope("t", url=world.url) as s:
        v1 = dataversion.current(s)
        assert v1 > v0
        s.execute(update(M.Office).where(M.Office.id == world.offices[0]).values(name="改名办事处"))
    with session_scope("t", url=world.url) as s:
        v2 = dataversion.current(s)
        assert v2 > v1
        audit.log_view(s, "Letter", 1, "显示来信人")  # a read, logged: not a change of data
    with session_scope("t", url=world.url) as s:
        assert dataversion.current(s) == v2
        s.add(M.Office(name="新办事处"))  # flushed only by the commit itself
    with session_scope("t", url=world.url) as s:
        v3 = dataversion.current(s)
        assert v3 > v2
    with session_scope("t", url=world.url) as s:  # a read moves nothing
        s.execute(select(M.Office)).all()
    with session_scope("t", url=world.url) as s:
        assert dataversion.current(s) == v3
    v2 = v3
    with pytest.raises(RuntimeError), session_scope("t", url=world.url) as s:
        s.get(M.Deputy, world.deputies[0]).unit_title = "回滚"
        s.flush()
        raise RuntimeError("rolled back")
    with session_scope("t", url=world.url) as s:
        assert dataversion.current(s) == v2


# ---------------------------------------------------------------- states kept by the database


def _rows(world) -> dict[str, int]:
    """One valid row in each table whose state the database must keep in range."""
    with session_scope("t", url=world.url) as s:
        ev = M.CongressEvent(kind="人代会", title="第一次会议", held_on=date(2026, 1, 5), term_id=world.term)
        act = M.Activity(held_on=date(2026, 1, 6), place="社区", district_id=world.districts[0],
                         group_id=world.groups[0], office_id=world.offices[0], organiser="代表个人", kind="问需",
                         targets=[], mode="走访慰问", voters_reached=3, summary="走访")
        s.add_all([ev, act])
        s.flush()
        op = M.Opinion(activity_id=act.id, district_id=world.districts[0], group_id=world.groups[0],
                       raised_on=date(2026, 1, 6), content="路灯", category="城乡建设")
        letter = M.Letter(code="X-1", mailbox_id=world.mailboxes[0], district_id=world.districts[0],
                          group_id=world.groups[0], office_id=world.offices[0], received_on=date(2026, 1, 7),
                          summary="反映", category="其他")
        rub = M.Rubric(version=99, name="x", grade_bands={}, focus_caps={}, created_by="t")
        s.add_all([op, letter, rub])
        s.flush()
        row = M.RubricRow(rubric_id=rub.id, focus="F1", fact="congress_attended", points=1)
        s.add(row)
        s.flush()
        return {"congress_events": ev.id, "activities": act.id, "opinions": op.id, "letters": letter.id,
                "rubric_rows": row.id, "deputies": world.deputies[0]}


BAD_STATES = [
    ("deputies", "status", "离职"),
    ("letters", "status", "已回复（首次）"),
    ("letters", "satisfaction", "很满意"),
    ("opinions", "status", "解决"),
    ("activities", "kind", "问候"),
    ("congress_events", "kind", "座谈"),
    ("rubric_rows", "focus", "F6"),
]


def test_the_database_refuses_a_word_outside_its_enumeration(world):
    from db.engine import get_engine

    ids = _rows(world)
    engine = get_engine(world.url)
    for table, column, word in BAD_STATES:
        # MariaDB reports a failed CHECK as error 4025 (OperationalError), the others as IntegrityError
        with pytest.raises((exc.IntegrityError, exc.OperationalError)), engine.begin() as conn:
            conn.execute(text(f"update {table} set {column} = :w where id = :i"), {"w": word, "i": ids[table]})
    # the enumeration's own words are accepted
    with engine.begin() as conn:
        for kind in values(EventKind):
            conn.execute(text("update congress_events set kind = :k where id = :i"),
                         {"k": kind, "i": ids["congress_events"]})


def test_every_table_has_a_chinese_name_for_the_log_and_the_demo_report():
    from db.audit import _SKIP, ENTITY_NAMES

    skipped = {m.__name__ for m in _SKIP}
    for mapper in M.Base.registry.mappers:
        name = mapper.class_.__name__
        if name not in skipped:
            assert name in ENTITY_NAMES, name


# ---------------------------------------------------------------- R6: the one share check


@pytest.mark.parametrize(("serving", "allowed"), [(10, [2, 3]), (7, [2]), (5, [1]), (4, [1]), (3, [1]), (2, [1]),
                                                  (1, [1]), (20, [4, 5, 6]), (0, [])])
def test_the_r6_share_allows_the_sizes_within_the_band_or_the_nearest_for_small_groups(serving, allowed):
    """20 %–30 %, edges included; a group too small to have a whole number within the band (3
    deputies: 0.6–0.9) may plan one deputy, and is told so when it plans otherwise."""
    from services import rules

    band = (0.2, 0.3)
    assert list(rules.report_share(0, serving, band).sizes) == allowed
    for k in range(serving + 2):
        check = rules.report_share(k, serving, band)
        assert check.ok == (k in allowed)
        assert (check.message() is None) == (check.ok or (serving == 0 and k == 0))
    if serving == 3:
        assert "没有整数人数" in rules.report_share(2, 3, band).message()
