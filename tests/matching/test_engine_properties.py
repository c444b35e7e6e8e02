"""Property-based tests on random small pools: the engine against independent references.

The references here are written separately from the engine: hard rules and scores pair by
pair in plain Python, the optimum by scipy's ``linear_sum_assignment`` (mentor slots
expanded by capacity) or by brute force for peers.
"""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matching import engine
from matching.engine import match, match_peers, score_pool
from matching.pool import CRITERIA, Pool, Rules, Weights
from matching.solver import MAX_UNITS, score_units
from tests.matching import build_pool

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOPICS, LANGUAGES = 4, 3
LEVELS = [1.0, 2.0, 3.0, 4.0, 5.0, math.nan]
OFFSETS = [math.nan, -11.0, -5.0, 0.0, 1.0, 5.5, 8.0, 12.0]


@st.composite
def people(draw, k: int, side: str) -> dict:
    flags = st.lists(st.booleans(), min_size=TOPICS, max_size=TOPICS)
    spoken = st.lists(st.booleans(), min_size=LANGUAGES, max_size=LANGUAGES)
    return {
        f"{side}_level": draw(st.lists(st.sampled_from(LEVELS), min_size=k, max_size=k)),
        f"{side}_department": draw(st.lists(st.integers(-1, 2), min_size=k, max_size=k)),
        f"{side}_location": draw(st.lists(st.integers(-1, 1), min_size=k, max_size=k)),
        f"{side}_utc_offset": draw(st.lists(st.sampled_from(OFFSETS), min_size=k, max_size=k)),
        f"{side}_format": draw(st.lists(st.integers(-1, 2), min_size=k, max_size=k)),
        f"{side}_{'sought' if side == 'mentee' else 'offered'}": np.array(
            draw(st.lists(flags, min_size=k, max_size=k)), dtype=bool
        ).reshape(k, TOPICS),
        f"{side}_languages": np.array(
            draw(st.lists(spoken, min_size=k, max_size=k)), dtype=bool
        ).reshape(k, LANGUAGES),
    }


rules_strategy = st.builds(
    Rules,
    exclude_same_department=st.booleans(),
    exclude_management_chain=st.booleans(),
    min_level_gap=st.integers(0, 2),
    max_timezone_diff_hours=st.one_of(st.none(), st.integers(0, 12)),
    require_shared_language=st.booleans(),
    allow_repeats=st.booleans(),
    reverse=st.booleans(),
    preferred_level_gap=st.integers(0, 3),
)
weights_strategy = st.builds(Weights, **dict.fromkeys(CRITERIA, st.integers(0, 10)))


@st.composite
def pools(draw, *, peers: bool = False) -> Pool:
    n = draw(st.integers(1, 7 if peers else 8))
    m = n if peers else draw(st.integers(1, 5))
    pairs = st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=4)
    given = draw(people(n, "mentee"))
    if peers:
        for key, value in list(given.items()):
            other = key.replace("mentee_", "mentor_").replace("sought", "offered")
            given[other] = draw(people(n, "mentor"))[other] if "offered" in other else value
        mentor_person = list(range(n))
    else:
        given.update(draw(people(m, "mentor")))
        # Now and then a mentor is also one of the mentees (the same-person rule).
        choices = st.sampled_from([*range(n), None])
        mentor_person = [
            p if p is not None else 1000 + j
            for j, p in enumerate(draw(st.lists(choices, min_size=m, max_size=m)))
        ]
    rankings = {}
    if not peers and draw(st.booleans()):
        for i in draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True)):
            ranked = draw(st.permutations(range(m)))
            rankings[i] = list(ranked[: draw(st.integers(1, m))])
    return build_pool(
        n,
        m,
        topics=TOPICS,
        languages=LANGUAGES,
        mentor_person=mentor_person,
        capacity=draw(st.lists(st.integers(1, 3), min_size=m, max_size=m)),
        chain_pairs=draw(pairs),
        previous_pairs=draw(pairs),
        excluded_pairs=draw(pairs),
        locked_pairs=draw(
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=3)
        ),
        rankings=rankings,
        **given,
    )


# -- independent references ------------------------------------------------------------


def hours_apart(a: float, b: float) -> float:
    d = abs(a - b) % 24
    return min(d, 24 - d)


def broken_rules(pool: Pool, rules: Rules, i: int, j: int) -> set[str]:
    out = set()
    if pool.mentee_person[i] == pool.mentor_person[j]:
        out.add("same_person")
    if rules.exclude_management_chain and (i, j) in pool.chain_pairs:
        out.add("management_chain")
    da, db = pool.mentee_department[i], pool.mentor_department[j]
    if rules.exclude_same_department and da >= 0 and da == db:
        out.add("same_department")
    if rules.min_level_gap > 0:
        la, lb = pool.mentee_level[i], pool.mentor_level[j]
        gap = (la - lb) if rules.reverse else (lb - la)
        if math.isnan(gap) or gap < rules.min_level_gap:
            out.add("level_gap")
    ta, tb = pool.mentee_utc_offset[i], pool.mentor_utc_offset[j]
    limit = rules.max_timezone_diff_hours
    if limit is not None and not math.isnan(ta + tb) and hours_apart(ta, tb) > limit:
        out.add("timezone")
    a, b = pool.mentee_languages[i], pool.mentor_languages[j]
    if rules.require_shared_language and a.any() and b.any() and not (a & b).any():
        out.add("no_shared_language")
    if (i, j) in pool.excluded_pairs:
        out.add("admin_excluded")
    if not rules.allow_repeats and (i, j) in pool.previous_pairs:
        out.add("matched_before")
    return out


def reference_score(pool: Pool, rules: Rules, weights: Weights, i: int, j: int) -> float:
    value = {}
    seeks = pool.mentee_sought[i].sum()
    shared = (pool.mentee_sought[i] & pool.mentor_offered[j]).sum()
    value["topics"] = shared / seeks if seeks else 0.0
    la, lb = pool.mentee_level[i], pool.mentor_level[j]
    gap = (la - lb) if rules.reverse else (lb - la)
    value["seniority"] = (
        0.0 if math.isnan(gap) else max(0.0, 1 - abs(gap - rules.preferred_level_gap) / 4)
    )
    da, db = pool.mentee_department[i], pool.mentor_department[j]
    value["cross_department"] = float(da >= 0 and db >= 0 and da != db)
    value["language"] = float((pool.mentee_languages[i] & pool.mentor_languages[j]).any())
    ta, tb = pool.mentee_utc_offset[i], pool.mentor_utc_offset[j]
    value["timezone"] = 0.0 if math.isnan(ta + tb) else max(0.0, 1 - hours_apart(ta, tb) / 12)
    fa, fb = pool.mentee_format[i], pool.mentor_format[j]
    loc = pool.mentee_location[i]
    remote = fa in (0, 2) and fb in (0, 2)
    in_person = fa in (0, 1) and fb in (0, 1) and loc >= 0 and loc == pool.mentor_location[j]
    value["format"] = float(remote or in_person)
    ranked = pool.rankings.get(i, [])
    value["mentee_ranking"] = (len(ranked) - ranked.index(j)) / len(ranked) if j in ranked else 0
    w = {c: getattr(weights, c) for c in CRITERIA}
    if not pool.rankings:
        w["mentee_ranking"] = 0
    total = sum(w.values())
    return 100 * sum(w[c] * value[c] for c in CRITERIA) / total if total else 0.0


def effective_locks(pool: Pool, *, peers: bool = False) -> list[tuple[int, int]]:
    taken, out = set(), []
    for i, j in pool.locked_pairs:
        if i in taken or (peers and (j in taken or i == j)):
            continue
        taken.add(i)
        if peers:
            taken.add(j)
        out.append((i, j))
    return out


def best_assignment(pool: Pool, rules: Rules, units: np.ndarray) -> tuple[int, int]:
    """(matched, units) of the best assignment, locks first, by scipy on capacity slots."""
    n, m = pool.n_mentees, pool.n_mentors
    locks = effective_locks(pool)
    matched = len(locks)
    total = sum(int(units[i, j]) for i, j in locks)
    capacity = np.array(pool.capacity, dtype=int)
    for _, j in locks:
        capacity[j] -= 1
    free = [i for i in range(n) if i not in {i for i, _ in locks}]
    slots = [j for j in range(m) for _ in range(max(capacity[j], 0))]
    if not free or not slots:
        return matched, total
    big = (n + 1) * MAX_UNITS
    gain = np.full((len(free), len(slots) + len(free)), 0.0)
    for a, i in enumerate(free):
        for b, j in enumerate(slots):
            ok = not broken_rules(pool, rules, i, j)
            gain[a, b] = big + units[i, j] if ok else -1e15
    rows, cols = linear_sum_assignment(gain, maximize=True)
    for a, b in zip(rows, cols, strict=True):
        if b < len(slots):
            matched += 1
            total += int(units[free[a], slots[b]])
    return matched, total


# -- properties ------------------------------------------------------------------------


@SETTINGS
@given(pool=pools(), rules=rules_strategy, weights=weights_strategy)
def test_scores_and_rules_match_the_plain_python_reference(pool, rules, weights):
    scores = score_pool(pool, rules, weights)
    locked = set(pool.locked_pairs)
    for i in range(pool.n_mentees):
        for j in range(pool.n_mentors):
            expected = reference_score(pool, rules, weights, i, j)
            assert math.isclose(scores.score[i, j], expected, abs_tol=1e-3)
            broken = broken_rules(pool, rules, i, j)
            assert set(scores.broken_rules(i, j)) == broken
            assert scores.allowed[i, j] == ((i, j) in locked or not broken)
            parts = scores.breakdown(i, j)
            assert math.isclose(sum(parts.values()), scores.score[i, j], abs_tol=1e-3)
        counted = sum(int(c[i]) for c in scores.excluded_by.values())
        assert counted + int(scores.allowed[i].sum()) == pool.n_mentors


def check_result(pool: Pool, rules: Rules, scores, result) -> tuple[int, int]:
    """The invariants of any match result; returns its (matched, units)."""
    locks = effective_locks(pool)
    pairs = [(p.mentee, p.mentor) for p in result.proposals]
    mentees = [i for i, _ in pairs]
    assert len(mentees) == len(set(mentees))  # each mentee at most once
    for i, j in locks:  # locked pairs stay, marked as such
        assert (i, j) in pairs
    locked_load = np.bincount([j for _, j in locks], minlength=pool.n_mentors)
    load = np.bincount([j for _, j in pairs], minlength=pool.n_mentors)
    assert (load <= np.maximum(pool.capacity, locked_load)).all()
    assert (result.mentor_load == load).all()
    for p in result.proposals:
        assert p.locked == ((p.mentee, p.mentor) in locks)
        if not p.locked:
            assert not broken_rules(pool, rules, p.mentee, p.mentor)
            assert (p.mentee, p.mentor) not in pool.excluded_pairs
        assert math.isclose(sum(p.breakdown.values()), p.score, abs_tol=1e-3)
        assert p.score == scores.score[p.mentee, p.mentor]
    unmatched = set(range(pool.n_mentees)) - set(mentees)
    assert set(result.unmatched) == unmatched
    assert all(result.unmatched.values())
    assert result.stats["matched"] == len(pairs)
    units = score_units(scores.score)
    return len(pairs), sum(int(units[i, j]) for i, j in pairs)


@SETTINGS
@given(pool=pools(), rules=rules_strategy, weights=weights_strategy)
def test_match_is_as_good_as_an_independent_exact_solver(pool, rules, weights):
    scores = score_pool(pool, rules, weights)
    result = match(pool, rules, weights, scores=scores)
    got = check_result(pool, rules, scores, result)
    assert result.optimal == "global"
    assert got == best_assignment(pool, rules, score_units(scores.score))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools(), rules=rules_strategy, weights=weights_strategy, k=st.integers(1, 2))
def test_pruned_solves_keep_the_optimum(pool, rules, weights, k):
    scores = score_pool(pool, rules, weights)
    best = best_assignment(pool, rules, score_units(scores.score))
    # Candidate graph, priced to the global optimum.
    priced = match(pool, rules, weights, scores=scores, candidates_per_side=k)
    assert check_result(pool, rules, scores, priced) == best
    assert priced.optimal == "global"
    # As a pool too large to solve whole: no pricing, still the optimal count.
    with mock.patch.object(engine, "PRUNE_ABOVE", 0):
        pruned = match(pool, rules, weights, scores=scores, candidates_per_side=k, pricing_rounds=1)
    matched, units = check_result(pool, rules, scores, pruned)
    assert matched == best[0]
    # The reported bound really bounds the shortfall (0 when proven global).
    assert 0 <= best[1] - units <= round(pruned.stats["score_gap_bound"] * 100)


def best_peer_pairing(ok: np.ndarray, units: np.ndarray, free: list[int]) -> tuple[int, int]:
    """Brute force over every pairing of the free people: (pairs, units), best first."""
    if not free:
        return 0, 0
    first, rest = free[0], free[1:]
    best = best_peer_pairing(ok, units, rest)  # first stays unpaired
    for other in rest:
        if ok[first, other]:
            count, total = best_peer_pairing(ok, units, [p for p in rest if p != other])
            best = max(best, (count + 1, total + int(units[first, other])))
    return best


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools(peers=True), rules=rules_strategy, weights=weights_strategy)
def test_match_peers_is_as_good_as_brute_force(pool, rules, weights):
    scores = score_pool(pool, rules, weights)
    result = match_peers(pool, rules, weights, scores=scores)
    n = pool.n_mentees
    locks = effective_locks(pool, peers=True)
    locked = {(min(i, j), max(i, j)) for i, j in locks}
    pairs = [(p.mentee, p.mentor) for p in result.proposals]
    people = [x for pair in pairs for x in pair]
    assert len(people) == len(set(people))
    assert all(i < j for i, j in pairs)
    assert locked <= set(pairs)
    for p in result.proposals:
        if not p.locked:
            assert not broken_rules(pool, rules, p.mentee, p.mentor)
            assert not broken_rules(pool, rules, p.mentor, p.mentee)
    assert set(result.unmatched) == set(range(n)) - set(people)
    ok = np.array(
        [
            [
                i != j
                and not broken_rules(pool, rules, i, j)
                and not broken_rules(pool, rules, j, i)
                for j in range(n)
            ]
            for i in range(n)
        ]
    )
    sym = (scores.score + scores.score.T) / np.float32(2)
    units = score_units(sym)
    free = [i for i in range(n) if not any(i in pair for pair in locked)]
    best = best_peer_pairing(ok, units, free)
    solved = [(i, j) for i, j in pairs if (i, j) not in locked]
    assert (len(solved), sum(int(units[i, j]) for i, j in solved)) == best
