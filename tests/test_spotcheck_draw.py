"""The spot-check draw is a pure, verifiable function: property tests (hypothesis) and a chi-square
uniformity check over many seeds."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.spotchecks import (
    KINDS,
    canonical,
    draw,
    fingerprint,
    kind_share,
    make_seed_v1,
)

PROFILE = settings(derandomize=True, max_examples=150, deadline=None, database=None)

triples = st.tuples(st.integers(1, 6), st.sampled_from(KINDS), st.integers(1, 400))


@st.composite
def cases(draw_):
    """An eligible list (shuffled, no duplicates), a rule over its groups (and extra ones), a seed."""
    eligible = sorted(draw_(st.sets(triples, max_size=80)))
    draw_(st.randoms(use_true_random=False)).shuffle(eligible)
    groups = sorted({g for g, _, _ in eligible} | set(draw_(st.sets(st.integers(1, 8), max_size=3))))
    kinds = [k for k in KINDS if k in {k for _, k, _ in eligible} or draw_(st.booleans())]
    rule: dict = {"groups": groups, "kinds": kinds,
                  "percent": draw_(st.sampled_from([1, 5, 10, 12.5, 30, 100])),
                  "minimums": {k: draw_(st.integers(0, 5)) for k in kinds}}
    if groups and draw_(st.booleans()):
        rule["group_count"] = draw_(st.integers(1, len(groups)))
    seed = draw_(st.text(max_size=20))
    return rule, eligible, seed


@PROFILE
@given(cases())
def test_same_inputs_give_the_same_sample_whatever_the_input_order(case):
    rule, eligible, seed = case
    first = draw(rule, eligible, seed)
    assert draw(dict(rule), list(eligible), seed) == first
    assert draw(rule, list(reversed(eligible)), seed) == first
    assert fingerprint(eligible) == fingerprint(reversed(eligible))


@PROFILE
@given(cases())
def test_every_chosen_group_gets_exactly_its_share_and_no_record_twice(case):
    rule, eligible, seed = case
    result = draw(rule, eligible, seed)
    chosen = result["groups"]
    want_groups = min(rule.get("group_count") or len(rule["groups"]), len(rule["groups"]))
    assert len(chosen) == want_groups and set(chosen) <= set(rule["groups"])
    records = [tuple(r) for r in result["records"]]
    assert len(records) == len(set(records)), "a record was drawn twice"
    assert set(records) <= set(eligible)
    assert records == canonical(records)
    per_group = Counter((g, k) for g, k, _ in records)
    pools = Counter((g, k) for g, k, _ in eligible)
    for g in chosen:
        for k in rule["kinds"]:
            n = pools.get((g, k), 0)
            want = max(rule["minimums"][k], math.ceil(n * rule["percent"] / 100 - 1e-9))
            assert per_group.get((g, k), 0) == min(want, n) == kind_share(rule, k, n)
    assert {g for g, _ in per_group} <= set(chosen)


@PROFILE
@given(st.text(max_size=30), st.text(max_size=30))
def test_changing_the_seed_changes_the_sample(seed_a, seed_b):
    if seed_a == seed_b:
        return
    # 60 records in 3 groups, 5 drawn per group: C(20,5)^3 ≈ 6e12 samples, a collision is negligible
    eligible = [(g, "联系活动", i) for g in (1, 2, 3) for i in range(g * 100, g * 100 + 20)]
    rule = {"groups": [1, 2, 3], "kinds": ["联系活动"], "percent": 1, "minimums": {"联系活动": 5}}
    assert draw(rule, eligible, seed_a) != draw(rule, eligible, seed_b)


def test_a_record_listed_twice_is_refused():
    with pytest.raises(ValueError):
        draw({"groups": [1], "kinds": ["来信"], "percent": 10, "minimums": {}}, [(1, "来信", 3), (1, "来信", 3)], "s")


def test_a_check_drawn_before_0005_i15_is_redone_by_its_own_recipe_v1():
    """Recipe v1 (witness and time; one share per group), re-implemented with hashlib only."""
    witness, drawn_at = "掷骰 3-5-6", "2026-03-05T10:15:00"
    seed = make_seed_v1(witness, drawn_at)
    assert seed == hashlib.sha256(f"{witness}|{drawn_at}".encode()).hexdigest()
    eligible = [(g, k, i) for g in (4, 7, 9) for k in ("来信", "联系活动") for i in range(g, g + 12)]
    rule = {"recipe": "sha256-rank-v1", "groups": [4, 7, 9], "group_count": 2, "percent": 10, "minimum": 3}

    def h(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    groups = sorted(sorted([4, 7, 9], key=lambda g: h(f"{seed}|组|{g}"))[:2])
    expected = []
    for g in groups:
        pool = [t for t in eligible if t[0] == g]
        share = max(3, math.ceil(len(pool) * 0.10))  # 24 records → 3
        ranked = sorted(pool, key=lambda t: h(f"{seed}|{t[0]}|{t[1]}|{t[2]}"))
        expected += sorted(ranked[:share])
    assert draw(rule, eligible, seed) == {"groups": groups, "records": [list(t) for t in expected]}
    lines = "\n".join(f"{g}|{k}|{i}" for g, k, i in sorted(eligible))
    assert fingerprint(eligible) == h(lines)


# chi-square critical values at p = 0.001 (from tables), so a correct draw fails about 1 in 1000
CHI2_001 = {5: 20.515, 9: 27.877}


def chi_square(counts: list[int]) -> float:
    """Pearson's statistic against equal expected counts."""
    expected = sum(counts) / len(counts)
    return sum((c - expected) ** 2 / expected for c in counts)


def test_every_record_is_equally_likely_chi_square():
    eligible = [(1, "联系活动", i) for i in range(1, 11)]
    rule = {"groups": [1], "kinds": ["联系活动"], "percent": 1, "minimums": {"联系活动": 3}}
    hits = Counter()
    for n in range(3000):
        for _g, _k, r in draw(rule, eligible, f"骰子{n}")["records"]:
            hits[r] += 1
    counts = [hits[i] for i in range(1, 11)]
    assert sum(counts) == 9000
    assert chi_square(counts) < CHI2_001[9]


def test_every_subset_is_equally_likely_chi_square():
    eligible = [(1, "来信", i) for i in range(1, 6)]
    rule = {"groups": [1], "kinds": ["来信"], "percent": 1, "minimums": {"来信": 2}}
    subsets = Counter(
        tuple(r for _g, _k, r in draw(rule, eligible, f"seed-{n}")["records"]) for n in range(3000)
    )
    assert len(subsets) == 10  # C(5,2)
    assert chi_square(list(subsets.values())) < CHI2_001[9]


def test_every_group_is_equally_likely_chi_square():
    rule = {"groups": [11, 12, 13, 14, 15, 16], "group_count": 2, "kinds": [], "percent": 1, "minimums": {}}
    hits = Counter()
    for n in range(3000):
        hits.update(draw(rule, [], f"指数{n}")["groups"])
    assert chi_square([hits[g] for g in rule["groups"]]) < CHI2_001[5]


def test_a_biased_sampler_would_fail_the_chi_square_check():
    """The uniformity check can fail: a sampler preferring low ids is caught."""
    rng = random.Random(1)
    hits = Counter()
    for _ in range(3000):
        hits.update(sorted(rng.sample(range(1, 11), 4))[:3])  # drops the highest of 4: biased low
    assert chi_square([hits[i] for i in range(1, 11)]) > CHI2_001[9]
