"""Scoring: each criterion and each hard rule on tiny hand-made pools (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from matching.engine import pair_proposal, score_pool, suggest_mentors
from matching.pool import (
    CRITERIA,
    FORMAT_EITHER,
    FORMAT_IN_PERSON,
    FORMAT_REMOTE,
    FORMAT_UNKNOWN,
    RULES,
    Rules,
    Weights,
)
from tests.matching import build_pool

NO_RULES = Rules(exclude_management_chain=False, require_shared_language=False)


def only(criterion: str) -> Weights:
    """Weights that score a single criterion (its value times 100)."""
    return Weights(**{c: (1 if c == criterion else 0) for c in CRITERIA})


def values(pool, criterion: str, rules: Rules = NO_RULES) -> np.ndarray:
    return score_pool(pool, rules, only(criterion)).score


def test_topics_share_of_sought_topics_the_mentor_offers():
    sought = np.array([[1, 1, 1, 0], [0, 0, 0, 0]], dtype=bool)
    offered = np.array([[1, 1, 0, 1], [0, 0, 0, 1], [1, 1, 1, 1]], dtype=bool)
    pool = build_pool(2, 3, topics=4, mentee_sought=sought, mentor_offered=offered)
    got = values(pool, "topics")
    np.testing.assert_allclose(got[0], [200 / 3, 0, 100], rtol=1e-6)
    # A mentee who seeks no topic gets 0 from every mentor (documented choice).
    np.testing.assert_array_equal(got[1], [0, 0, 0])


def test_topics_beyond_64_are_counted():
    sought = np.zeros((1, 130), dtype=bool)
    sought[0, [1, 70, 129]] = True
    offered = np.zeros((1, 130), dtype=bool)
    offered[0, [70, 129]] = True
    pool = build_pool(1, 1, topics=130, mentee_sought=sought, mentor_offered=offered)
    assert values(pool, "topics")[0, 0] == pytest.approx(200 / 3)


def test_seniority_is_best_at_the_preferred_gap_and_fades_over_four_levels():
    pool = build_pool(1, 6, mentee_level=3.0, mentor_level=[5, 4, 6, 3, 1, 9])
    got = values(pool, "seniority", Rules(preferred_level_gap=2))
    np.testing.assert_allclose(got[0], [100, 75, 75, 50, 0, 0])


def test_seniority_is_inverted_in_reverse_programs():
    pool = build_pool(1, 2, mentee_level=5.0, mentor_level=[3, 7])
    got = values(pool, "seniority", Rules(reverse=True, preferred_level_gap=2))
    np.testing.assert_allclose(got[0], [100, 0])


def test_seniority_unknown_level_earns_nothing():
    pool = build_pool(2, 1, mentee_level=[np.nan, 1.0], mentor_level=3.0)
    np.testing.assert_allclose(values(pool, "seniority")[:, 0], [0, 100])


def test_cross_department_needs_two_known_different_departments():
    pool = build_pool(2, 3, mentee_department=[0, -1], mentor_department=[0, 1, -1])
    np.testing.assert_array_equal(values(pool, "cross_department"), [[0, 100, 0], [0, 0, 0]])


def test_language_any_shared_language():
    a = np.array([[1, 0, 0], [0, 0, 0]], dtype=bool)
    b = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    pool = build_pool(2, 3, languages=3, mentee_languages=a, mentor_languages=b)
    np.testing.assert_array_equal(values(pool, "language"), [[100, 0, 0], [0, 0, 0]])


def test_timezone_closeness_around_the_clock():
    pool = build_pool(1, 5, mentee_utc_offset=12.0, mentor_utc_offset=[12, 6, -11, 0, np.nan])
    got = values(pool, "timezone")
    # +12 and -11 are one hour apart; 12 hours apart or unknown earns nothing.
    np.testing.assert_allclose(got[0], [100, 50, 100 * 11 / 12, 0, 0], rtol=1e-6)


@pytest.mark.parametrize(
    ("mentee", "mentor", "same_place", "fits"),
    [
        (FORMAT_EITHER, FORMAT_EITHER, False, True),
        (FORMAT_REMOTE, FORMAT_REMOTE, False, True),
        (FORMAT_REMOTE, FORMAT_EITHER, False, True),
        (FORMAT_IN_PERSON, FORMAT_IN_PERSON, True, True),
        (FORMAT_IN_PERSON, FORMAT_IN_PERSON, False, False),
        (FORMAT_IN_PERSON, FORMAT_EITHER, True, True),
        (FORMAT_IN_PERSON, FORMAT_EITHER, False, False),
        (FORMAT_IN_PERSON, FORMAT_REMOTE, True, False),
        (FORMAT_UNKNOWN, FORMAT_EITHER, True, False),
    ],
)
def test_format_compatibility(mentee, mentor, same_place, fits):
    pool = build_pool(
        1,
        1,
        mentee_format=mentee,
        mentor_format=mentor,
        mentee_location=0,
        mentor_location=0 if same_place else 1,
    )
    assert values(pool, "format")[0, 0] == (100 if fits else 0)


def test_in_person_needs_a_known_location():
    pool = build_pool(
        1,
        1,
        mentee_format=FORMAT_IN_PERSON,
        mentor_format=FORMAT_IN_PERSON,
        mentee_location=-1,
        mentor_location=-1,
    )
    assert values(pool, "format")[0, 0] == 0


def test_mentee_ranking_first_choice_best_unranked_zero():
    pool = build_pool(2, 4, rankings={0: [2, 0, 1]})
    got = values(pool, "mentee_ranking")
    np.testing.assert_allclose(got[0], [200 / 3, 100 / 3, 100, 0], rtol=1e-6)
    np.testing.assert_array_equal(got[1], [0, 0, 0, 0])


def test_mentee_ranking_weight_ignored_outside_self_select():
    pool = build_pool(1, 1)
    scores = score_pool(pool, NO_RULES, Weights())
    assert scores.weights["mentee_ranking"] == 0
    assert scores.score[0, 0] == pytest.approx(100)  # a perfect pair still reaches 100


def test_score_is_weighted_mean_and_breakdown_adds_up():
    sought = np.array([[1, 1]], dtype=bool)
    offered = np.array([[1, 0]], dtype=bool)
    pool = build_pool(
        1, 1, topics=2, mentee_sought=sought, mentor_offered=offered, mentor_level=2.0
    )
    weights = Weights(topics=4, seniority=2, cross_department=1, language=1, timezone=1, format=1)
    scores = score_pool(pool, NO_RULES, weights)
    parts = scores.breakdown(0, 0)
    # topics 0.5, seniority 0.75 (one level off), the other four 1.
    expected = 100 * (4 * 0.5 + 2 * 0.75 + 4) / 10
    assert scores.score[0, 0] == pytest.approx(expected)
    assert sum(parts.values()) == pytest.approx(float(scores.score[0, 0]), abs=1e-4)
    assert parts["topics"] == pytest.approx(20)
    assert parts["seniority"] == pytest.approx(15)


def test_all_weights_zero_scores_zero():
    pool = build_pool(2, 2)
    scores = score_pool(pool, NO_RULES, Weights(**dict.fromkeys(CRITERIA, 0)))
    np.testing.assert_array_equal(scores.score, 0)


def removed_by(pool, rules: Rules) -> list[list[str]]:
    """For each pair, the rules it breaks (checks broken_rules against allowed too)."""
    scores = score_pool(pool, rules, Weights())
    out = []
    for i in range(pool.n_mentees):
        row = []
        for j in range(pool.n_mentors):
            broken = scores.broken_rules(i, j)
            assert bool(scores.allowed[i, j]) == (not broken or scores.is_locked(i, j))
            row.append(broken)
        out.append(row)
    return out


def test_rule_same_person():
    pool = build_pool(2, 2, mentor_person=[1, 1000])
    assert removed_by(pool, NO_RULES) == [[[], []], [["same_person"], []]]


def test_rule_management_chain_only_when_on():
    pool = build_pool(1, 2, chain_pairs=[(0, 1)])
    assert removed_by(pool, Rules(exclude_management_chain=True))[0] == [
        [],
        ["management_chain"],
    ]
    assert removed_by(pool, Rules(exclude_management_chain=False))[0] == [[], []]


def test_rule_same_department_unknown_never_equal():
    pool = build_pool(2, 3, mentee_department=[0, -1], mentor_department=[0, 1, -1])
    got = removed_by(pool, Rules(exclude_same_department=True))
    assert got == [[["same_department"], [], []], [[], [], []]]
    assert removed_by(pool, Rules())[0][0] == []


def test_rule_level_gap():
    pool = build_pool(2, 4, mentee_level=[2, np.nan], mentor_level=[4, 3, 1, np.nan])
    got = removed_by(pool, Rules(min_level_gap=2))
    assert got[0] == [[], ["level_gap"], ["level_gap"], ["level_gap"]]
    assert got[1] == [["level_gap"]] * 4  # an unknown level cannot show the gap
    # 0 means no level rule, unknowns included.
    assert removed_by(pool, Rules(min_level_gap=0)) == [[[]] * 4] * 2


def test_rule_level_gap_reversed():
    pool = build_pool(1, 2, mentee_level=5.0, mentor_level=[3, 7])
    assert removed_by(pool, Rules(min_level_gap=1, reverse=True))[0] == [[], ["level_gap"]]


def test_rule_timezone_unknown_passes():
    pool = build_pool(1, 4, mentee_utc_offset=0.0, mentor_utc_offset=[3, 4, -11, np.nan])
    got = removed_by(pool, Rules(max_timezone_diff_hours=3))
    assert got[0] == [[], ["timezone"], ["timezone"], []]


def test_rule_shared_language_someone_without_languages_passes():
    a = np.array([[1, 0], [0, 0]], dtype=bool)
    b = np.array([[0, 1], [1, 0]], dtype=bool)
    pool = build_pool(2, 2, mentee_languages=a, mentor_languages=b)
    got = removed_by(pool, Rules(require_shared_language=True))
    assert got == [[["no_shared_language"], []], [[], []]]
    assert removed_by(pool, Rules(require_shared_language=False))[0][0] == []


def test_rule_admin_excluded():
    pool = build_pool(1, 2, excluded_pairs=[(0, 0)])
    assert removed_by(pool, Rules())[0] == [["admin_excluded"], []]


def test_rule_matched_before_unless_repeats_allowed():
    pool = build_pool(1, 2, previous_pairs=[(0, 1)])
    assert removed_by(pool, Rules())[0] == [[], ["matched_before"]]
    assert removed_by(pool, Rules(allow_repeats=True))[0] == [[], []]


def test_locked_pair_kept_whatever_the_rules_and_not_counted():
    pool = build_pool(1, 2, mentor_department=0, locked_pairs=[(0, 0)])
    scores = score_pool(pool, Rules(exclude_same_department=True), Weights())
    assert scores.allowed[0].tolist() == [True, False]
    assert scores.broken_rules(0, 0) == ["same_department"]
    assert scores.excluded_by["same_department"][0] == 1


def test_excluded_by_counts_each_mentor_once_under_its_first_rule():
    pool = build_pool(
        1,
        4,
        mentor_department=[0, 0, 1, 1],
        mentor_utc_offset=[10, 0, 10, 0],
        excluded_pairs=[(0, 0)],
    )
    rules = Rules(exclude_same_department=True, max_timezone_diff_hours=5)
    scores = score_pool(pool, rules, Weights())
    counts = {rule: int(scores.excluded_by[rule][0]) for rule in RULES}
    assert counts["same_department"] == 2
    assert counts["timezone"] == 1
    assert counts["admin_excluded"] == 0
    assert sum(counts.values()) + int(scores.allowed[0].sum()) == 4
    some = scores.excluded_counts(np.array([0]))
    assert {r: int(v[0]) for r, v in some.items()} == counts


def test_grid_and_pair_evaluation_agree_on_a_random_pool():
    rng = np.random.default_rng(3)
    n, m = 40, 30
    pool = build_pool(
        n,
        m,
        topics=5,
        languages=3,
        mentee_level=rng.integers(1, 8, n).astype(float),
        mentor_level=rng.integers(1, 8, m).astype(float),
        mentee_department=rng.integers(-1, 3, n),
        mentor_department=rng.integers(-1, 3, m),
        mentee_utc_offset=rng.choice([-5.0, 0.0, 5.5, np.nan], n),
        mentor_utc_offset=rng.choice([-5.0, 0.0, 5.5, np.nan], m),
        mentee_format=rng.integers(-1, 3, n),
        mentor_format=rng.integers(-1, 3, m),
        mentee_sought=rng.random((n, 5)) < 0.4,
        mentor_offered=rng.random((m, 5)) < 0.4,
        mentee_languages=rng.random((n, 3)) < 0.5,
        mentor_languages=rng.random((m, 3)) < 0.5,
        chain_pairs=[(1, 2), (5, 5)],
        excluded_pairs=[(3, 3)],
        locked_pairs=[(7, 7)],
        rankings={0: [1, 2], 4: [0]},
    )
    rules = Rules(exclude_same_department=True, max_timezone_diff_hours=6, min_level_gap=1)
    scores = score_pool(pool, rules, Weights())
    rows, cols = np.divmod(np.arange(n * m), m)
    parts = scores.breakdown_pairs(rows, cols)
    total = sum(parts[c].astype(np.float64) for c in CRITERIA)
    np.testing.assert_allclose(total, scores.score.ravel(), atol=1e-3)
    broken = scores.broken_rules_pairs(rows, cols)
    any_broken = np.logical_or.reduce([broken[r] for r in RULES])
    expect = ~any_broken
    expect[7 * m + 7] = True  # locked
    np.testing.assert_array_equal(expect, scores.allowed.ravel())


def test_reasons_in_plain_words():
    sought = np.array([[1, 1, 1]], dtype=bool)
    offered = np.array([[1, 0, 1]], dtype=bool)
    pool = build_pool(
        1,
        1,
        mentee_sought=sought,
        mentor_offered=offered,
        mentee_format=FORMAT_REMOTE,
        mentor_format=FORMAT_REMOTE,
        mentor_location=1,
        mentor_utc_offset=2.0,
        topic_names=["System design", "Hiring", "Leadership"],
        language_names=["English", "German"],
    )
    proposal = pair_proposal(score_pool(pool, Rules(), Weights()), 0, 0)
    assert proposal.reasons == [
        "Offers 2 of the 3 topics sought: System design, Leadership",
        "Both speak English",
        "Two levels more senior",
        "2 hours apart",
        "Different department",
        "Both prefer remote",
    ]


def test_suggestions_skip_full_and_disallowed_mentors():
    pool = build_pool(
        1, 4, capacity=[1, 1, 1, 1], mentor_level=[3, 4, 3, 0], excluded_pairs=[(0, 2)]
    )
    scores = score_pool(pool, Rules(min_level_gap=1), Weights())
    got = suggest_mentors(scores, 0, mentor_load=np.array([1, 0, 0, 0]))
    assert [p.mentor for p in got] == [1]
    got = suggest_mentors(scores, 0, limit=1)
    assert [p.mentor for p in got] == [0]  # the best: level 3 is the preferred gap
