"""Solving: exactness against scipy, the optimality certificate, pruning, locks, reasons."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from matching import engine
from matching.engine import match, match_peers, score_pool
from matching.pool import Rules, Weights
from matching.solver import (
    JITTER,
    MAX_UNITS,
    _masked,
    candidate_edges,
    duals,
    has_augmenting_path,
    solve_bipartite,
    violations,
)
from tests.matching import build_pool


def reference(units: np.ndarray, ok: np.ndarray, capacity: np.ndarray) -> tuple[int, int]:
    """(matched, total units) by scipy on mentor slots, one per unit of capacity, with a
    dummy "unmatched" column per row; a large bonus per real assignment puts count first."""
    n, m = units.shape
    slots = np.repeat(np.arange(m), capacity)
    big = (n + 1) * MAX_UNITS
    gain = np.where(ok[:, slots], big + units[:, slots], -(10**12)).astype(np.float64)
    gain = np.hstack([gain, np.zeros((n, n))])
    r, c = linear_sum_assignment(gain, maximize=True)
    real = c < len(slots)
    return int(real.sum()), int(units[r[real], slots[c[real]]].sum())


def random_problem(rng, n, m, density=0.5, cap_high=3):
    units = rng.integers(0, MAX_UNITS + 1, (n, m))
    units[rng.random((n, m)) < 0.3] = 5_000  # plenty of ties
    ok = rng.random((n, m)) < density
    capacity = rng.integers(0, cap_high + 1, m)
    return units, ok, capacity


@pytest.mark.parametrize("seed", range(8))
def test_min_cost_flow_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    units, ok, capacity = random_problem(rng, 30, 12)
    rows, cols = np.nonzero(ok)
    chosen = solve_bipartite(rows, cols, units[rows, cols], capacity)
    assert np.bincount(rows[chosen], minlength=30).max() <= 1
    assert (np.bincount(cols[chosen], minlength=12) <= capacity).all()
    assert (int(chosen.sum()), int(units[rows, cols][chosen].sum())) == reference(
        units, ok, capacity
    )


@pytest.mark.parametrize("seed", range(8))
def test_dual_prices_certify_a_candidate_solution_or_name_the_pairs_that_improve_it(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = 40, 10
    units, ok, capacity = random_problem(rng, n, m, density=0.7)
    score = (units / 100).astype(np.float32)
    units = np.rint(score.astype(np.float64) * 100).astype(np.int64)
    active = np.ones(n, dtype=bool)
    rows, cols = candidate_edges(score, ok, active, capacity, 1)
    for _ in range(20):
        chosen = solve_bipartite(rows, cols, units[rows, cols], capacity)
        prices = duals(rows, cols, units[rows, cols], chosen, capacity, n)
        assert prices is not None  # an optimal solution always has dual prices
        bad_rows, bad_cols, _ = violations(score, ok, active, capacity, *prices)
        if not len(bad_rows):
            break
        assert not (ok[bad_rows, bad_cols] == 0).any()
        key = np.union1d(rows * m + cols, bad_rows * m + bad_cols)
        rows, cols = key // m, key % m
    else:
        pytest.fail("pricing did not converge")
    # Certified: the candidate solution is as good as the whole pool's optimum.
    assert (int(chosen.sum()), int(units[rows, cols][chosen].sum())) == reference(
        units, ok, capacity
    )


def crowded_pool_arrays():
    """Everyone's top two mentors are the same two, each with room for one; eight other
    mentors, lower for everyone and each with their own favourite mentees, have room for
    the rest."""
    n, m = 10, 10
    i, j = np.indices((n, m))
    score = (50 - (i - j) % n).astype(np.float32)
    score[:, :2] = 90
    ok = np.ones((n, m), dtype=bool)
    capacity = np.ones(m, dtype=np.int64)
    return score, ok, capacity


def test_pruning_from_both_sides_keeps_the_matched_count_when_capacity_is_short():
    score, ok, capacity = crowded_pool_arrays()
    n = score.shape[0]
    units = np.rint(score.astype(np.float64) * 100).astype(np.int64)
    whole_r, whole_c = np.nonzero(ok)
    whole = solve_bipartite(whole_r, whole_c, units[whole_r, whole_c], capacity).sum()
    assert whole == 10
    # Each mentee's two best mentors only: two matches.
    mentee_side = np.argsort(-score, axis=1, kind="stable")[:, :2]
    r, c = np.repeat(np.arange(n), 2), mentee_side.ravel()
    assert solve_bipartite(r, c, units[r, c], capacity).sum() == 2
    # Both sides: each mentor also keeps its best mentees.
    r, c = candidate_edges(score, ok, np.ones(n, dtype=bool), capacity, 2)
    chosen = solve_bipartite(r, c, units[r, c], capacity)
    assert chosen.sum() == whole
    assigned = np.full(n, -1)
    assigned[r[chosen]] = c[chosen]
    assert not has_augmenting_path(ok, np.ones(n, dtype=bool), assigned, capacity)


def test_tied_mentors_rank_tied_mentees_differently():
    n, m = 40, 10
    rng = np.random.default_rng(0)
    vals = _masked(
        np.full((n, m), 50, dtype=np.float32),
        np.ones((n, m), dtype=bool),
        rng.random(n, dtype=np.float32) * np.float32(JITTER),
        rng.random(m, dtype=np.float32) * np.float32(JITTER),
    )
    best_four = {tuple(sorted(np.argsort(-vals[:, j])[:4])) for j in range(m)}
    assert len(best_four) > m // 2  # not the same few mentees for every mentor


def test_augmenting_path_found_when_a_match_is_missing():
    ok = np.array([[1, 0], [1, 1]], dtype=bool)
    assigned = np.array([-1, 0])  # mentee 1 took mentor 0, the only one mentee 0 can have
    active = np.ones(2, dtype=bool)
    assert has_augmenting_path(ok, active, assigned, np.array([1, 1]))
    assert not has_augmenting_path(ok, active, assigned, np.array([1, 0]))


def random_pool(seed: int, n: int, m: int, **given):
    rng = np.random.default_rng(seed)
    return build_pool(
        n,
        m,
        topics=6,
        languages=3,
        capacity=given.pop("capacity", rng.integers(1, 4, m)),
        mentee_level=rng.integers(1, 6, n).astype(float),
        mentor_level=rng.integers(2, 9, m).astype(float),
        mentee_department=rng.integers(0, 4, n),
        mentor_department=rng.integers(0, 4, m),
        mentee_utc_offset=rng.choice([-5.0, 0.0, 1.0, 8.0], n),
        mentor_utc_offset=rng.choice([-5.0, 0.0, 1.0, 8.0], m),
        mentee_format=rng.integers(-1, 3, n),
        mentor_format=rng.integers(-1, 3, m),
        mentee_sought=rng.random((n, 6)) < 0.3,
        mentor_offered=rng.random((m, 6)) < 0.4,
        mentee_languages=rng.random((n, 3)) < 0.6,
        mentor_languages=rng.random((m, 3)) < 0.6,
        **given,
    )


RULES = Rules(max_timezone_diff_hours=6, min_level_gap=1)


def test_candidate_graph_priced_to_the_global_optimum():
    pool = random_pool(1, 400, 100)
    scores = score_pool(pool, RULES, Weights())
    whole = match(pool, RULES, Weights(), scores=scores)
    assert whole.optimal == "global"
    pruned = match(pool, RULES, Weights(), scores=scores, candidates_per_side=2)
    assert pruned.optimal == "global"
    assert pruned.stats["candidate_edges"] < pruned.stats["allowed_pairs"]
    assert pruned.stats["matched"] == whole.stats["matched"]
    assert pruned.stats["total_score"] == pytest.approx(whole.stats["total_score"], abs=0.01)


def test_large_pool_without_pricing_keeps_the_optimal_count_on_a_candidate_graph():
    pool = random_pool(2, 300, 60, capacity=1)  # capacity short: 60 places for 300
    scores = score_pool(pool, RULES, Weights())
    whole = match(pool, RULES, Weights(), scores=scores)
    with mock.patch.object(engine, "PRUNE_ABOVE", 0):
        pruned = match(
            pool, RULES, Weights(), scores=scores, candidates_per_side=1, pricing_rounds=1
        )
    assert pruned.optimal == "candidate graph"
    assert pruned.stats["matched"] == whole.stats["matched"]
    assert pruned.stats["count_optimal"] == 1
    shortfall = whole.stats["total_score"] - pruned.stats["total_score"]
    assert -0.01 <= shortfall <= pruned.stats["score_gap_bound"] + 0.01


def test_locks_are_kept_first_even_against_rules_and_capacity():
    pool = build_pool(
        3,
        2,
        capacity=[1, 1],
        mentor_department=[0, 1],
        locked_pairs=[(0, 0), (1, 0), (0, 1)],  # mentee 0 twice: the first lock counts
    )
    result = match(pool, Rules(exclude_same_department=True), Weights())
    pairs = {(p.mentee, p.mentor): p for p in result.proposals}
    assert set(pairs) == {(0, 0), (1, 0), (2, 1)}
    assert pairs[0, 0].locked and pairs[1, 0].locked and not pairs[2, 1].locked
    assert pairs[0, 0].reasons[0] == "Locked by an admin despite the same-department rule"
    assert result.mentor_load.tolist() == [2, 1]  # the admin overfilled mentor 0


def test_excluded_pairs_never_proposed():
    pool = build_pool(2, 2, capacity=[2, 2], mentor_level=[3, 2], excluded_pairs=[(0, 0)])
    result = match(pool, Rules(), Weights())
    assert {(p.mentee, p.mentor) for p in result.proposals} == {(0, 1), (1, 0)}


def test_count_comes_before_score():
    # Mentee 0 loves mentor 0, mentee 1 can only have mentor 0: both get matched.
    pool = build_pool(2, 2, mentor_level=[3, 9], excluded_pairs=[(1, 1)])
    result = match(pool, Rules(), Weights())
    assert {(p.mentee, p.mentor) for p in result.proposals} == {(0, 1), (1, 0)}
    assert result.stats["match_rate"] == 1


def test_stats_and_load():
    pool = build_pool(3, 2, capacity=[1, 1], mentor_level=[3, 4])
    result = match(pool, Rules(), Weights())
    s = result.stats
    assert (s["matched"], s["mentees"]) == (2, 3)
    assert s["match_rate"] == pytest.approx(2 / 3)
    scores = sorted(p.score for p in result.proposals)
    assert s["worst_score"] == pytest.approx(scores[0])
    assert s["total_score"] == pytest.approx(sum(scores))
    assert s["mean_score"] == pytest.approx(sum(scores) / 2)
    assert result.mentor_load.tolist() == [1, 1]
    assert [p.score for p in result.proposals] == sorted(scores, reverse=True)


def test_unmatched_mentee_told_why_in_plain_words():
    pool = build_pool(
        3,
        4,
        capacity=[1, 1, 1, 1],
        mentor_department=[0, 0, 1, 1],
        mentor_utc_offset=[0, 0, 0, 9],
    )
    rules = Rules(exclude_same_department=True, max_timezone_diff_hours=6)
    result = match(pool, rules, Weights())
    assert result.stats["matched"] == 1
    assert set(result.unmatched.values()) == {
        "2 mentors excluded by the same-department rule, 1 by the time-zone rule; "
        "the only compatible mentor is full"
    }


def test_unmatched_when_every_mentor_is_excluded_or_none_offers_a_topic():
    offered = np.zeros((3, 3), dtype=bool)
    pool = build_pool(2, 3, mentor_offered=offered, mentor_level=[0, 0, 3])
    result = match(pool, Rules(min_level_gap=1), Weights())
    assert sorted(result.unmatched.values()) == [
        "2 mentors excluded by the level-gap rule; the only compatible mentor is full, "
        "and none of them offers a topic sought"
    ]
    pool = build_pool(1, 2, mentor_level=0.0)
    result = match(pool, Rules(min_level_gap=1), Weights())
    assert result.unmatched == {0: "All 2 mentors excluded: 2 by the level-gap rule"}


def test_group_program_is_capacity_as_group_size():
    pool = build_pool(7, 2, capacity=[4, 4])
    result = match(pool, Rules(), Weights())
    assert result.stats["matched"] == 7
    assert sorted(result.mentor_load.tolist()) == [3, 4]


def peer_pool(n: int, **given):
    return build_pool(
        n,
        n,
        mentor_person=np.arange(n),
        mentee_level=given.pop("level", 3.0),
        mentor_level=given.pop("level_b", 3.0),
        mentor_department=0,
        **given,
    )


def test_peers_pair_everyone_once_with_i_below_j():
    pool = peer_pool(5, excluded_pairs=[(0, 1)])
    result = match_peers(pool, Rules(preferred_level_gap=0), Weights())
    people = [x for p in result.proposals for x in (p.mentee, p.mentor)]
    assert len(people) == len(set(people)) == 4
    assert all(p.mentee < p.mentor for p in result.proposals)
    assert (0, 1) not in {(p.mentee, p.mentor) for p in result.proposals}
    assert result.stats["matched"] == 4 and result.stats["pairs"] == 2
    assert len(result.unmatched) == 1
    (reason,) = result.unmatched.values()
    assert reason.endswith("already paired")


def test_peers_keep_locks_and_refuse_uneven_pools():
    pool = peer_pool(4, locked_pairs=[(3, 0)])
    result = match_peers(pool, Rules(), Weights())
    locked = [(p.mentee, p.mentor) for p in result.proposals if p.locked]
    assert locked == [(0, 3)]
    with pytest.raises(ValueError, match="same people"):
        match_peers(build_pool(2, 3), Rules(), Weights())


def test_peers_pruned_still_pairs_everyone_who_can_pair():
    rng = np.random.default_rng(5)
    n = 30
    pool = peer_pool(n, mentee_utc_offset=rng.choice([0.0, 9.0], n))
    pool.mentor_utc_offset = pool.mentee_utc_offset
    rules = Rules(max_timezone_diff_hours=3, preferred_level_gap=0)
    whole = match_peers(pool, rules, Weights())
    pruned = match_peers(pool, rules, Weights(), candidates_per_side=1)
    assert pruned.stats["matched"] == whole.stats["matched"]
    assert pruned.stats["total_score"] <= whole.stats["total_score"] + 0.01
