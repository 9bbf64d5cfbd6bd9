"""The demo data: deterministic, complete (every state a page shows), consistent, on every backend."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select, text

from db import models
from db.engine import get_engine, session_scope
from services import auth, demo, deputies, rules
from tests.conftest import _wipe

TODAY = date(2026, 11, 28)
SMALL = {"offices": 2, "groups": 4, "districts": 10, "deputies": 60, "letters": 400, "today": TODAY}
LETTER_STATES = ["登记", "已交代表", "已回复", "已转办", "办理中", "已办结", "已反馈", "不予受理", "已合并"]
OPINION_STATES = ["待转交", "已转交", "办理中", "已解决", "无法解决", "已反馈选民"]
# columns whose value is not ours to fix: salted hashes, and a timestamp another service touches
UNSTABLE = {("users", "password_hash"), ("letters", "updated_at")}
SKIP_TABLES = {"audit_log", "rubrics", "rubric_rows", "login_attempts", "settings", "data_versions"}


def fingerprint(url: str) -> str:
    """A hash of every demo row, ordered by primary key (the same data gives the same hash)."""
    h = hashlib.sha256()
    with get_engine(url).connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            cols = [c for c in table.c if (table.name, c.name) not in UNSTABLE]
            rows = conn.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            h.update(f"{table.name}:{len(rows)}\n".encode())
            for r in rows:
                h.update(repr(tuple(r)).encode())
    return h.hexdigest()


def scalars(url: str, stmt) -> list:
    """Run a select and return its first column."""
    with get_engine(url).connect() as conn:
        return list(conn.execute(stmt).scalars())


@pytest.fixture
def demo_db(db_url: str) -> tuple[str, dict]:
    """A small demo district on each backend."""
    counts = demo.generate(db_url, seed=7, **SMALL)
    return db_url, counts


def test_same_seed_gives_same_data_and_another_seed_differs(demo_db):
    url, counts = demo_db
    first = fingerprint(url)
    _wipe(url)
    again = demo.generate(url, seed=7, **SMALL)
    assert again == counts
    assert fingerprint(url) == first
    _wipe(url)
    demo.generate(url, seed=8, **SMALL)
    assert fingerprint(url) != first


def test_counts_match_the_rows_written(demo_db):
    url, counts = demo_db
    assert counts["deputies"] == 60 and counts["offices"] == 2 and counts["deputy_groups"] == 4
    assert counts["districts"] == 10 and counts["mailboxes"] == 10 and counts["letters"] == 400
    with get_engine(url).connect() as conn:
        for name, n in counts.items():
            table = models.Base.metadata.tables[name]
            assert conn.execute(select(func.count()).select_from(table)).scalar() == n, name


def test_every_letter_and_opinion_state_is_present(demo_db):
    url, _ = demo_db
    L, O = models.Letter, models.Opinion
    letter_states = set(scalars(url, select(L.status).distinct()))
    assert set(LETTER_STATES) <= letter_states
    assert set(OPINION_STATES) <= set(scalars(url, select(O.status).distinct()))
    # each letter's history ends where the letter is, and merged letters point at an earlier letter
    with get_engine(url).connect() as conn:
        last = dict(conn.execute(
            select(models.LetterEvent.letter_id, models.LetterEvent.to_status)
            .where(models.LetterEvent.to_status.not_in(("暂停计时", "恢复计时")))
            .order_by(models.LetterEvent.letter_id, models.LetterEvent.id)).all())
        for lid, status in conn.execute(select(L.id, L.status)):
            assert last[lid] == status
        merged = conn.execute(select(L.id, L.merged_into_id).where(L.status == "已合并")).all()
        assert merged and all(target is not None and target < lid for lid, target in merged)
        assert conn.execute(select(func.count()).where(L.writer_name.is_(None))).scalar() > 0  # anonymous
        assert conn.execute(select(func.count()).where(L.round == 2)).scalar() > 0  # reopened
        sats = set(conn.execute(select(L.satisfaction).where(L.status == "已反馈")).scalars())
        assert {"满意", "基本满意", "不满意"} <= sats


def test_r1_shortfalls_exist_but_most_deputies_reach_two(travel, demo_db):
    """Among the deputies serving all of this year (services.deputies), a few hold fewer than the
    two activities R1 asks for (rules.counts_for_r1), most do not."""
    travel(TODAY)
    url, _ = demo_db
    A, AD = models.Activity, models.ActivityDeputy
    with session_scope("test", url=url) as s:
        whole = {d.id for d in deputies.served_in(s, TODAY.year) if d.serving and d.first_day == date(TODAY.year, 1, 1)}
        counts = Counter(s.execute(select(AD.deputy_id).join(A, A.id == AD.activity_id)
                                   .where(rules.counts_for_r1(date(TODAY.year, 1, 1), TODAY))).scalars())
    short = sum(1 for d in whole if counts[d] < 2)
    assert short >= 1
    assert short < len(whole) / 2


def test_report_plans_pass_the_r6_rule_and_never_term_year_one(travel, demo_db):
    """Each plan's size is one the R6 rule allows (rules.report_share with the setting's band) for
    the group's deputies serving in that year as services.deputies counts them; the planned
    deputies serve in that group on the year's reference day; no plan in the term's first year."""
    travel(TODAY)
    url, _ = demo_db
    P, I = models.ReportPlan, models.ReportPlanItem
    with session_scope("test", url=url) as s:
        band = rules.share_band(s)
        start = s.execute(select(models.Term.start_year)).scalar_one()
        plans = s.execute(select(P.id, P.group_id, P.year)).all()
        assert {y for _, _, y in plans} == {TODAY.year - 1, TODAY.year}
        assert all(y - start + 1 >= 2 for _, _, y in plans)
        for pid, gid, year in plans:
            planned = set(s.execute(select(I.deputy_id).where(I.plan_id == pid)).scalars())
            serving = deputies.serving_ids(s, year, group_id=gid)
            check = rules.report_share(len(planned), len(serving), band)
            assert check.ok, (gid, year, check.message())
            assert planned <= serving


def test_the_demo_decides_who_serves_as_the_periods_say(travel, demo_db):
    """Every record the generator gives a deputy falls in one of the deputy's periods of service:
    contact activities, attendance, 议案建议 signatures (services.deputies.covers)."""
    travel(TODAY)
    url, _ = demo_db
    Per, A, AD, E, At = models.DeputyPeriod, models.Activity, models.ActivityDeputy, models.CongressEvent, \
        models.Attendance
    P, S = models.Proposal, models.ProposalSigner

    def outside(stmt, day_col, deputy_col):  # noqa: ANN001, ANN202
        inside = select(Per.id).where(Per.deputy_id == deputy_col, deputies.covers(day_col, Per)).exists()
        return stmt.where(~inside)

    with session_scope("test", url=url) as s:
        assert s.execute(select(func.count()).select_from(Per)).scalar() == 60
        acts = outside(select(func.count()).select_from(AD).join(A, A.id == AD.activity_id), A.held_on, AD.deputy_id)
        atts = outside(select(func.count()).select_from(At).join(E, E.id == At.event_id), E.held_on, At.deputy_id)
        sigs = outside(select(func.count()).select_from(S).join(P, P.id == S.proposal_id), P.submitted_on,
                       S.deputy_id)
        assert [s.execute(q).scalar() for q in (acts, atts, sigs)] == [0, 0, 0]
        # the generator left some deputies, and they still count in the years they served
        left = s.execute(select(Per.deputy_id).where(Per.end_on.is_not(None))).scalars().all()
        assert left


def test_plan_size_calls_the_r6_rule():
    """plan_size picks a size rules.report_share allows, nearest the band's middle (small groups
    get the nearest whole number the rule allows)."""
    band = (0.2, 0.3)
    for n in range(1, 60):
        k = demo.plan_size(n, band)
        assert k in rules.report_share(0, n, band).sizes and rules.report_share(k, n, band).ok
    assert [demo.plan_size(n, band) for n in (1, 2, 3, 6)] == [1, 1, 1, 2]
    assert demo.plan_size(10, band) in (2, 3) and demo.plan_size(8, band) == 2
    assert demo.plan_size(20, (0.4, 0.5)) == 9  # another band from the setting
    assert demo.plan_size(0, band) == 0


def test_reports_proposals_attendance_mailboxes_cover_every_case(demo_db):
    url, _ = demo_db
    R, P, S = models.Report, models.Proposal, models.ProposalSigner
    with get_engine(url).connect() as conn:
        written = conn.execute(select(R.received_on, R.review_result, R.filed_on, R.published_on)
                               .where(R.form == "书面报告")).all()
        assert any(r.review_result is None for r in written)  # received, not reviewed
        assert any(r.review_result == "退回修改" for r in written)
        assert any(r.review_result == "通过" and r.filed_on is None for r in written)
        assert any(r.filed_on and not r.published_on for r in written)
        assert any(r.published_on for r in written)
        f2f = conn.execute(select(R.satisfied, R.basically_satisfied, R.unsatisfied, R.voters_present)
                           .where(R.form == "当面述职")).all()
        assert f2f and all(a + b + c <= v for a, b, c, v in f2f)
        assert conn.execute(select(func.count()).select_from(models.Rectification)).scalar() > 0
        kinds = Counter(k for k, in conn.execute(select(P.kind)))
        assert set(kinds) == {"议案", "建议", "批评和意见"}
        statuses = set(conn.execute(select(P.status).distinct()).scalars())
        assert {"已提交", "办理中", "已答复"} <= statuses and statuses & {"已立案", "已交办"}
        signers = conn.execute(select(S.proposal_id, func.count()).join(P, P.id == S.proposal_id)
                               .where(P.kind == "议案").group_by(S.proposal_id)).all()
        assert signers and all(n >= 10 for _, n in signers)
        assert conn.execute(select(func.count()).select_from(models.ProposalSource)
                            .where(models.ProposalSource.letter_id.is_not(None))).scalar() > 0
        att = set(conn.execute(select(models.Attendance.status).distinct()).scalars())
        assert att == {"出席", "请假", "缺席"}
        ev_kinds = set(conn.execute(select(models.CongressEvent.kind).distinct()).scalars())
        assert {"人代会", "列席常委会", "视察", "调研", "执法检查", "代表小组活动"} <= ev_kinds
        pub = set(conn.execute(select(models.PublicityWork.kind).distinct()).scalars())
        assert pub == {"宣传", "普法", "法制调研"}
        # R11: some mailbox skipped a week, and some is not opened in the last 7 days
        opened = conn.execute(select(models.MailboxOpening.mailbox_id, models.MailboxOpening.opened_on)
                              .order_by(models.MailboxOpening.mailbox_id, models.MailboxOpening.opened_on)).all()
        gaps, last = False, {}
        for box, day in opened:
            if box in last and (day - last[box]).days > 7:
                gaps = True
            last[box] = day
        assert gaps and any((TODAY - d).days > 7 for d in last.values())
        kept = set(conn.execute(select(models.Mailbox.keeper_kind).distinct()).scalars())
        assert kept == {"代表本人", "联络员委托"}
        assert conn.execute(select(func.count()).select_from(models.QuarterlySummary)).scalar() > 0
        assert conn.execute(select(func.count()).select_from(models.Hearing)).scalar() > 0
        left = conn.execute(select(models.Deputy.status, models.Deputy.left_on)
                            .where(models.Deputy.status != "在任")).all()
        assert left and all(d is not None for _, d in left)


def test_concentrated_appeals_have_several_writers(demo_db):
    url, _ = demo_db
    L = models.Letter
    rows = scalars(url, select(func.count(func.distinct(L.writer_name)))
                   .where(L.received_on >= date(TODAY.year - 1, 12, 1))
                   .group_by(L.category, L.district_id))
    assert max(rows) >= 5


def test_demo_accounts_log_in_with_the_demo_password(demo_db):
    url, _ = demo_db
    with session_scope("test", url=url) as s:
        users = {u.username: u for u in s.execute(select(models.User)).scalars()}
        assert set(users) == {"admin", "staff", "supervisor", "leader"}
        for u in users.values():
            assert auth.check_password("demo12345", u.password_hash)
            assert not auth.check_password("wrong-password", u.password_hash)
        first_office = s.execute(select(func.min(models.Office.id))).scalar()
        assert users["staff"].office_id == first_office
        actor = auth.load_actor(s, "staff")
        assert actor.role == "staff" and actor.office_id == first_office


def test_no_foreign_key_violations_and_new_rows_get_fresh_ids(demo_db):
    url, _ = demo_db
    if url.startswith("sqlite"):
        with get_engine(url).connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    # PostgreSQL: the id sequences moved past the explicit ids, so the app's inserts still work
    with session_scope("test", url=url) as s:
        office = models.Office(name="测试新增办事处")
        s.add(office)
        s.flush()
        top = s.execute(select(func.max(models.Letter.id))).scalar()
        ev = models.LetterEvent(letter_id=top, round=1, from_status=None, to_status="登记",
                                happened_on=TODAY, by="test")
        s.add(ev)
        s.flush()
        assert office.id > 2 and ev.id is not None


def test_a_database_with_data_is_refused(demo_db):
    url, _ = demo_db
    with pytest.raises(ValueError, match="已有基础数据"):
        demo.generate(url, **SMALL)


def test_years_are_honoured_up_to_a_whole_term(sqlite_url):
    """--years reaching four calendar years back makes a term in its fifth year with records from
    1 January of its first year (no silent cap at about 3 years)."""
    today = date(2026, 11, 28)
    counts = demo.generate(sqlite_url, offices=1, groups=2, districts=3, deputies=12, letters=60, years=4.5,
                           today=today)
    assert counts["deputies"] == 12
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(models.Term.start_year, models.Term.end_year)).one() == (2022, 2026)
        first = conn.execute(select(func.min(models.Activity.held_on))).scalar()
        first = date.fromisoformat(first) if isinstance(first, str) else first
        assert first.year == 2022
        plan_years = set(conn.execute(select(models.ReportPlan.year)).scalars())
        assert plan_years == {2023, 2024, 2025, 2026}  # every year but the term's first


@pytest.mark.parametrize(("years", "message"), [
    (5, "--years 最大为 4.9（从2022年1月1日起），收到 5"),
    (30, "最大为 4.9"),
    (0, "应为大于0的年数"),
    (-1, "应为大于0的年数"),
])
def test_years_beyond_one_term_are_refused_in_chinese(sqlite_url, years, message):
    """A longer span than one term is refused, with the longest allowed, before anything is written."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        demo.generate(sqlite_url, deputies=5, years=years, today=date(2026, 11, 28))
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.Deputy)).scalar() == 0


def test_max_years_is_exactly_the_longest_span_honoured():
    """demo.max_years(today) is honoured and a tenth more is not, on several days of the year."""
    for day in ("2026-01-01", "2026-01-05", "2026-06-30", "2026-12-31", "2028-02-29"):
        today = date.fromisoformat(day)
        top = demo.max_years(today)
        assert top >= 3.9
        demo.check_years(today, top)
        with pytest.raises(ValueError):
            demo.check_years(today, round(top + 0.1, 1))


def test_early_january_and_tiny_sizes_still_work(sqlite_url):
    counts = demo.generate(sqlite_url, offices=1, groups=1, districts=1, deputies=3, letters=5,
                           today=date(2027, 1, 3))
    assert counts["deputies"] == 3 and counts["letters"] == 5
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        # 2027 is the term's third year (term 2025–2029): both plan years are allowed
        years = set(conn.execute(select(models.ReportPlan.year)).scalars())
        assert years <= {2026, 2027}


def test_sqlite_fast_path_stores_exactly_what_core_inserts_store(sqlite_url, tmp_path, monkeypatch):
    import sqlite3

    from db.migrate import upgrade

    sizes = {"offices": 1, "groups": 2, "districts": 4, "deputies": 25, "letters": 120, "today": TODAY}
    demo.generate(sqlite_url, seed=3, **sizes)

    def core_insert(self, table, rows):
        for i in range(0, len(rows), demo.CHUNK):
            self.session.execute(table.insert(), rows[i:i + demo.CHUNK])

    monkeypatch.setattr(demo._Ctx, "_insert_sqlite", core_insert)
    core_url = f"sqlite:///{tmp_path / 'core.db'}"
    upgrade(core_url)
    demo.generate(core_url, seed=3, **sizes)

    def raw(url: str) -> dict:
        con = sqlite3.connect(url.split("///", 1)[1])
        out = {}
        for table in models.Base.metadata.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            cols = [c.name for c in table.c if (table.name, c.name) not in UNSTABLE]
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            out[table.name] = con.execute(
                f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{table.name}" ORDER BY {order}'
            ).fetchall()
        con.close()
        return out

    fast, core = raw(sqlite_url), raw(core_url)
    assert fast.keys() == core.keys()
    for name in fast:
        assert fast[name] == core[name], name


def test_fast_paths_store_the_same_rows_as_core_inserts(db_url, monkeypatch):
    sizes = {"offices": 1, "groups": 2, "districts": 4, "deputies": 25, "letters": 120, "today": TODAY}
    demo.generate(db_url, seed=5, **sizes)
    fast = fingerprint(db_url)
    _wipe(db_url)

    def core_insert(self, table, rows):
        for i in range(0, len(rows), demo.CHUNK):
            self.session.execute(table.insert(), rows[i:i + demo.CHUNK])

    monkeypatch.setattr(demo._Ctx, "_insert_sqlite", core_insert)
    monkeypatch.setattr(demo._Ctx, "_insert_pg_copy", core_insert)
    demo.generate(db_url, seed=5, **sizes)
    assert fingerprint(db_url) == fast


def test_bench_prints_a_table_of_figures(capsys):
    from bench import lists as run

    assert run.main(["--scale", "small", "--only", "--repeat", "1", "--backends", "sqlite"]) == 0
    out = capsys.readouterr().out
    assert "生成演示数据" in out and "来信列表：按代表组+状态筛选" in out and "R1 活动不足2次的代表" in out
    assert len([line for line in out.splitlines() if line.startswith("small")]) == 2 + 9  # 9 queries
