"""The ranking's counts (scoring.count_facts) are the fact rows' counts: for every fact and condition,
each year, the whole district and one office, on each backend, they agree with counting the rows of
the one fact query (scoring._union) that the drill-down lists, and the volume with the distinct records
behind the positive facts."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from db.engine import session_scope
from services import demo, scoring
from services.common import Actor
from services.scoring import CONDITIONS, FACTS, _Spec, _tag, _union, count_facts, row_kinds


@pytest.fixture(autouse=True)
def _pinned_day(travel):
    """Seen from 2026-06-15 whatever the day of the run: 2026 is the current year, 2025 a past one."""
    travel("2026-06-15")


@pytest.fixture
def demo_url(db_url: str) -> str:
    """A small demo district on each backend, two years of records."""
    demo.generate(db_url, deputies=60, groups=6, districts=12, offices=3, years=2.4)
    return db_url


def _every_fact() -> dict[str, _Spec]:
    """Every fact, without a condition and with each condition that applies to its record kind."""
    out = {}
    for key, fact in FACTS.items():
        kinds = row_kinds(key, None)
        for cond in (None, *(c for c, (_n, applies) in CONDITIONS.items() if fact.kind in applies)):
            out[_tag(key, cond, kinds)] = _Spec(key, cond, kinds)
    return out


def _by_union(s, tags: dict[str, _Spec], year: int, ids) -> tuple[dict, dict]:  # noqa: ANN001
    """The reference: the union's rows counted per deputy and fact, and its distinct positive records."""
    u = _union(s, tags, year, ids)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for did, tag, n in s.execute(select(u.c.deputy_id, u.c.fact, func.count()).group_by(u.c.deputy_id, u.c.fact)):
        counts[did][tag] = int(n)
    positive = [t for t, spec in tags.items() if not FACTS[spec.fact].deduction]
    rec = select(u.c.deputy_id, u.c.kind, u.c.record_id).where(u.c.fact.in_(positive)).distinct().subquery()
    volume = {d: int(n) for d, n in s.execute(select(rec.c.deputy_id, func.count()).group_by(rec.c.deputy_id))}
    return dict(counts), volume


def test_the_rankings_counts_are_the_fact_rows_counts(demo_url):
    tags = _every_fact()
    office = Actor("staff", "staff", office_id=1, display_name="工作人员")
    with session_scope("admin", url=demo_url) as s:
        for year in (2025, 2026):
            for scope in (None, office):
                ids = scoring._scope_deputy_ids(scope, year) if scope is not None else None
                counts, volume = count_facts(s, tags, year, ids)
                want_counts, want_volume = _by_union(s, tags, year, ids)
                assert dict(counts) == want_counts, (year, scope)
                assert {d: v for d, v in volume.items() if v} == want_volume, (year, scope)
                if scope is None:  # the families' facts have rows: the comparison says something
                    seen = {t for c in counts.values() for t in c}
                    family_tags = [t for t, spec in tags.items() if FACTS[spec.fact].family]
                    assert len(family_tags) >= 6 and set(family_tags) <= seen, set(family_tags) - seen
                    assert sum(volume.values()) > 100


def test_any_rubric_of_a_familys_facts_is_counted_as_its_rows(demo_url):
    """A rubric holds any few of a family's facts, not all: every subset of the letter facts and of
    the opinion facts (with and without 民生) gives the rows' counts. A fact whose conditions are
    all shared with the others of its rubric (opinion_resolved beside opinion_resolved 民生, which
    compute always adds) is counted with its own conditions only: an earlier version put the 民生
    condition on both (a helper's attack found it)."""
    every = _every_fact()
    families: dict[str, list[str]] = defaultdict(list)
    for tag, spec in every.items():
        if FACTS[spec.fact].family:
            families[FACTS[spec.fact].family].append(tag)
    assert len(families["opinion"]) >= 4 and len(families["letter"]) >= 3
    with session_scope("admin", url=demo_url) as s:
        for members in families.values():
            for n in range(1, len(members) + 1):
                for combo in itertools.combinations(members, n):
                    tags = {t: every[t] for t in combo}
                    counts, volume = count_facts(s, tags, 2025, None)
                    want_counts, want_volume = _by_union(s, tags, 2025, None)
                    assert dict(counts) == want_counts, combo
                    assert {d: v for d, v in volume.items() if v} == want_volume, combo


def test_a_familys_record_kind_is_counted_only_by_its_family():
    """The family's volume is one conditional sum over its credited records: that is the distinct
    records of the kind only while no fact outside the family counts records of the same kind."""
    for family in scoring.FAMILIES:
        kinds = {f.kind for f in FACTS.values() if f.family == family}
        others = [k for k, f in FACTS.items() if f.kind in kinds and f.family != family]
        assert others == [], (family, others)
        assert all(f.condition is not None for f in FACTS.values() if f.family == family)


def test_what_every_fact_of_a_family_asks_is_asked_once():
    """The letter facts all ask for letters received in the year: the ranking's one pass reads that
    range once (shared_conjuncts), and each fact keeps what is its own. Conditions of other years,
    keep their own ranges."""
    from datetime import date

    from services.scoring import letter_condition, shared_conjuncts

    lo, hi = date(2026, 1, 1), date(2026, 12, 31)
    conds = [letter_condition(lo, hi, w) for w in ("forwarded", "resolved", "satisfied")]
    common, rests = shared_conjuncts(conds)
    assert [str(c) for c in common] == [str(conds[0][0])] and "received_on" in str(common[0])
    assert [len(r) for r in rests] == [len(c) - 1 for c in conds]
    other_year = letter_condition(date(2025, 1, 1), date(2025, 12, 31), "forwarded")
    common, rests = shared_conjuncts([conds[0], other_year])  # the same states, another year
    assert [str(c) for c in common] == [str(conds[0][1])] and "status" in str(common[0])
    assert rests == [[conds[0][0]], [other_year[0]]]
    assert shared_conjuncts([]) == ([], [])
