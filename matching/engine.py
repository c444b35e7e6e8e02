"""The matching engine's public API: score a pool, match it, explain the result.

    scores = score_pool(pool, rules, weights)     # vectorised, hard rules applied
    result = match(pool, rules, weights)          # mentees x mentors (and groups)
    result = match_peers(pool, rules, weights)    # one group pairing among itself

``match`` maximises the matched count, then the total score (in hundredths of a point),
within the rules, capacities and locks. How it proves it:

- up to SOLVE_WHOLE_BELOW allowed pairs, OR-Tools solves the whole pool;
- above, it solves a candidate graph (each mentee's best mentors plus each mentor's best
  mentees), then prices every allowed pair with the LP dual of that solution; pairs that
  could improve it join the graph and it is solved again. When no pair can, the solution
  is optimal over the whole pool: ``optimal="global"``. Up to PRUNE_ABOVE pairs that
  always ends in "global" (falling back to the whole pool if pricing does not settle);
- above PRUNE_ABOVE pairs, by default one priced round only (each round is a full solve):
  if it does not settle, ``optimal="candidate graph"``, the count is still proven the
  largest (no augmenting path over the whole allowed matrix; the candidate graph is
  widened until there is none) and ``stats["score_gap_bound"]`` says by how many points at
  most the total score can fall short of the optimum. ``pricing_rounds`` asks for more.

Group programs are ``match`` with each mentor's capacity set to the group size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from matching.explain import locked_note, pair_reasons, unmatched_reason
from matching.pool import CRITERIA, RULES, MatchResult, Pool, Proposal, Rules, Weights
from matching.scoring import Scores, score_pool
from matching.solver import (
    SCORE_UNITS,
    candidate_edges,
    duals,
    gap_bound,
    has_augmenting_path,
    score_units,
    solve_bipartite,
    solve_peers,
    violations,
)

__all__ = [
    "AUTO_CANDIDATES",
    "PEER_WHOLE_EDGES",
    "PRUNE_ABOVE",
    "SOLVE_WHOLE_BELOW",
    "Scores",
    "match",
    "match_peers",
    "pair_proposal",
    "score_pool",
    "suggest_mentors",
]

SOLVE_WHOLE_BELOW = 250_000  # pairs; smaller pools skip the candidate graph
PRUNE_ABOVE = 25_000_000  # pairs; beyond this, never fall back to solving the whole pool
AUTO_CANDIDATES = 16  # candidates per mentee (and about as many per mentor)
PRICING_ROUNDS = 6  # candidate-graph solves, each adding the pairs that could improve it
PRICING_ROUNDS_LARGE = 1  # above PRUNE_ABOVE: each further round costs a full solve
PEER_WHOLE_EDGES = 8_000  # allowed pairs; networkx's blossom algorithm is pure Python
AUTO_PEER_CANDIDATES = 8


def _proposals(
    scores: Scores,
    rows: np.ndarray,
    cols: np.ndarray,
    locked: np.ndarray,
    *,
    peer: bool = False,
) -> list[Proposal]:
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if not len(rows):
        return []
    points = scores.breakdown_pairs(rows, cols)
    if peer:
        back = scores.breakdown_pairs(cols, rows)
        points = {c: (points[c] + back[c]) / np.float32(2) for c in CRITERIA}
    total = np.zeros(len(rows), dtype=np.float32)
    for c in CRITERIA:
        total += points[c]
    reasons = pair_reasons(scores, rows, cols, peer=peer)
    broken = scores.broken_rules_pairs(rows, cols)
    if peer:
        back_broken = scores.broken_rules_pairs(cols, rows)
        broken = {r: broken[r] | back_broken[r] for r in RULES}
    out = []
    for k in range(len(rows)):
        words = reasons[k]
        if locked[k]:
            words = [locked_note([r for r in RULES if broken[r][k]]), *words]
        out.append(
            Proposal(
                mentee=int(rows[k]),
                mentor=int(cols[k]),
                score=float(total[k]),
                breakdown={c: float(points[c][k]) for c in CRITERIA},
                locked=bool(locked[k]),
                reasons=words,
            )
        )
    out.sort(key=lambda p: (-p.score, p.mentee))
    return out


def _stats(
    proposals: list[Proposal], n: int, scoring_seconds: float, solving_seconds: float
) -> dict[str, float]:
    values = np.array([p.score for p in proposals], dtype=np.float64)
    matched = len(proposals)
    return {
        "match_rate": matched / n if n else 0.0,
        "matched": float(matched),
        "mentees": float(n),
        "total_score": float(values.sum()),
        "mean_score": float(values.mean()) if matched else 0.0,
        "worst_score": float(values.min()) if matched else 0.0,
        "scoring_seconds": scoring_seconds,
        "solving_seconds": solving_seconds,
        "locked": float(sum(p.locked for p in proposals)),
    }


def _forced_locks(pool: Pool, *, peer: bool = False) -> list[tuple[int, int]]:
    """Locked pairs in the admin's order, at most one per mentee (one per person in peer
    programs): a later lock of someone already locked is ignored."""
    n, m = pool.n_mentees, pool.n_mentors
    taken: set[int] = set()
    out = []
    for i, j in pool.locked_pairs:
        i, j = int(i), int(j)
        if not (0 <= i < n and 0 <= j < m) or i in taken or (peer and (j in taken or i == j)):
            continue
        taken.add(i)
        if peer:
            taken.add(j)
        out.append((i, j))
    return out


def _union(
    rows: np.ndarray, cols: np.ndarray, more_rows: np.ndarray, more_cols: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray]:
    key = np.concatenate([rows * m + cols, more_rows * m + more_cols])
    key.sort()
    key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    return key // m, key % m


def _count_allowed(allowed: np.ndarray, active: np.ndarray, usable: np.ndarray) -> int:
    n, m = allowed.shape
    step = max(1, (1 << 18) // max(m, 1))
    total = 0
    for r0 in range(0, n, step):
        per_row = np.count_nonzero(allowed[r0 : r0 + step] & usable[None, :], axis=1)
        total += int(per_row[active[r0 : r0 + step]].sum())
    return total


@dataclass
class _Solved:
    assigned: np.ndarray  # mentor per mentee, -1 if none (locked mentees: -1)
    optimal: str
    k: int | None
    edges: int
    rounds: int
    gap: float  # points by which the total score may fall short of the optimum


def _solve(
    scores: Scores,
    active: np.ndarray,
    capacity: np.ndarray,
    *,
    candidates_per_side: int | None,
    pricing_rounds: int | None,
) -> _Solved:
    """Assign active mentees to mentors with ``capacity`` left, optimally.

    Small pools go to the solver whole. Larger ones are solved on a candidate graph, then
    priced: LP dual prices of that solution are checked against every allowed pair, pairs
    that could improve it join the graph, and it is solved again, until none is left (the
    solution is then optimal over the whole pool: "global") or ``pricing_rounds`` pass
    (default PRICING_ROUNDS, PRICING_ROUNDS_LARGE above PRUNE_ABOVE pairs). Then a pool up
    to PRUNE_ABOVE pairs is solved whole; a larger one keeps its candidate graph (widened
    until no augmenting path is left, so the count is still the largest) and reports how
    far below the optimum its total score can be at most.
    """
    score, allowed = scores.score, scores.allowed
    n, m = score.shape
    usable = capacity > 0
    pairs = int(active.sum()) * int(usable.sum())
    assigned = np.full(n, -1, dtype=np.int64)

    def whole() -> _Solved:
        rows, cols = np.nonzero(allowed & active[:, None] & usable[None, :])
        chosen = solve_bipartite(rows, cols, score_units(score[rows, cols]), capacity)
        assigned[rows[chosen]] = cols[chosen]
        return _Solved(assigned, "global", None, len(rows), 0, 0.0)

    k = candidates_per_side
    if k is None:
        if pairs <= SOLVE_WHOLE_BELOW:
            return whole()
        k = AUTO_CANDIDATES
    if pricing_rounds is None:
        pricing_rounds = PRICING_ROUNDS if pairs <= PRUNE_ABOVE else PRICING_ROUNDS_LARGE
    rows, cols = candidate_edges(score, allowed, active, capacity, k)
    rounds = 0
    while True:
        rounds += 1
        units = score_units(score[rows, cols])
        chosen = solve_bipartite(rows, cols, units, capacity)
        prices = duals(rows, cols, units, chosen, capacity, n)
        if prices is None:
            break
        bad_rows, bad_cols, excess = violations(score, allowed, active, capacity, *prices)
        if not len(bad_rows):
            assigned[rows[chosen]] = cols[chosen]
            return _Solved(assigned, "global", k, len(rows), rounds, 0.0)
        if rounds >= pricing_rounds:
            break
        rows, cols = _union(rows, cols, bad_rows, bad_cols, m)
    if pairs <= PRUNE_ABOVE:
        return whole()
    widened = False
    while True:
        assigned[:] = -1
        assigned[rows[chosen]] = cols[chosen]
        if k >= max(n, m) or not has_augmenting_path(allowed, active, assigned, capacity):
            break
        k *= 2  # the candidate graph lost a match: widen it
        more_rows, more_cols = candidate_edges(score, allowed, active, capacity, k)
        rows, cols = _union(rows, cols, more_rows, more_cols, m)
        units = score_units(score[rows, cols])
        chosen = solve_bipartite(rows, cols, units, capacity)
        widened = True
    if widened or prices is None:
        prices = duals(rows, cols, units, chosen, capacity, n)
        if prices is not None:
            excess = violations(score, allowed, active, capacity, *prices)[2]
    gap = float("nan")
    if prices is not None:
        got = int(units[chosen].sum())
        gap = gap_bound(*prices, excess, capacity, int(chosen.sum()), got) / SCORE_UNITS
    return _Solved(assigned, "candidate graph", k, len(rows), rounds, gap)


def match(
    pool: Pool,
    rules: Rules,
    weights: Weights,
    *,
    candidates_per_side: int | None = None,
    pricing_rounds: int | None = None,
    scores: Scores | None = None,
) -> MatchResult:
    """Match mentees to mentors: the most mentees, then the highest total score.

    Locked pairs are kept first (even when a rule or the mentor's capacity says otherwise:
    the admin decided; a second lock for the same mentee is ignored), their mentees leave
    the pool and their mentors' capacity shrinks; the rest is solved as the module
    docstring says. ``candidates_per_side``: solve on a candidate graph of that many per
    side (default: automatic). ``pricing_rounds``: candidate-graph solves before falling
    back (default: 6, or 1 above PRUNE_ABOVE pairs). ``scores``: reuse a ``score_pool``.

    Stats: match_rate, matched, mentees, total_score, mean_score, worst_score (0 when
    nobody is matched), scoring_seconds, solving_seconds, locked, count_optimal (1: no
    assignment matches more), score_gap_bound (points; 0 when optimal is "global"),
    allowed_pairs, candidate_edges, candidates_per_side, pricing_rounds, capacity.
    """
    if scores is None:
        scores = score_pool(pool, rules, weights)
    started = time.perf_counter()
    n, m = pool.n_mentees, pool.n_mentors
    capacity = np.asarray(pool.capacity, dtype=np.int64).reshape(m)
    locks = _forced_locks(pool)
    lock_rows = np.array([i for i, _ in locks], dtype=np.int64)
    lock_cols = np.array([j for _, j in locks], dtype=np.int64)
    active = np.ones(n, dtype=bool)
    active[lock_rows] = False
    cap_rem = np.maximum(capacity - np.bincount(lock_cols, minlength=m), 0)
    allowed = scores.allowed
    usable = cap_rem > 0
    solved = _solve(
        scores,
        active,
        cap_rem,
        candidates_per_side=candidates_per_side,
        pricing_rounds=pricing_rounds,
    )
    assigned = solved.assigned
    allowed_edges = _count_allowed(allowed, active, usable)

    rows = np.concatenate([lock_rows, np.flatnonzero(assigned >= 0)])
    cols = np.concatenate([lock_cols, assigned[assigned >= 0]])
    is_locked = np.arange(len(rows)) < len(lock_rows)
    proposals = _proposals(scores, rows, cols, is_locked)
    load = np.bincount(cols, minlength=m).astype(np.int64)
    unmatched = _unmatched(scores, np.flatnonzero(active & (assigned < 0)), load, capacity)
    solving = time.perf_counter() - started
    stats = _stats(proposals, n, scores.seconds, solving)
    stats.update(
        count_optimal=1.0,
        score_gap_bound=solved.gap,
        allowed_pairs=float(allowed_edges),
        candidate_edges=float(solved.edges),
        candidates_per_side=float(solved.k or 0),
        pricing_rounds=float(solved.rounds),
        capacity=float(capacity.sum()),
    )
    return MatchResult(
        proposals=proposals,
        unmatched=unmatched,
        optimal=solved.optimal,
        stats=stats,
        mentor_load=load,
    )


def _unmatched(
    scores: Scores, rows: np.ndarray, load: np.ndarray, capacity: np.ndarray
) -> dict[int, str]:
    if not len(rows):
        return {}
    prep = scores._prep
    m = prep.m
    full = load >= capacity
    out = {}
    step = max(1, (1 << 20) // max(m, 1))
    excluded = scores.excluded_counts(rows)
    for s0 in range(0, len(rows), step):
        part = rows[s0 : s0 + step]
        ok = scores.allowed[part]
        offers = (prep.shared_topics(prep.grid(part)) > 0) & ok
        compatible = ok.sum(axis=1)
        n_full = (ok & full[None, :]).sum(axis=1)
        n_offering = offers.sum(axis=1)
        for k, i in enumerate(part.tolist()):
            out[i] = unmatched_reason(
                {rule: int(excluded[rule][s0 + k]) for rule in RULES},
                int(compatible[k]),
                int(n_full[k]),
                int(n_offering[k]),
                bool(prep.n_sought[i] > 0),
            )
    return out


def match_peers(
    pool: Pool,
    rules: Rules,
    weights: Weights,
    *,
    candidates_per_side: int | None = None,
    scores: Scores | None = None,
) -> MatchResult:
    """Pair the people of a peer program among themselves (mentee i is mentor i): the most
    pairs, then the highest total of symmetric scores (the mean of both directions).

    A pair is allowed only if both directions pass the hard rules (a lock overrides). Each
    proposal is (mentee=i, mentor=j) with i < j; ``mentor_load`` is 1 for everyone paired.
    Above ``PEER_WHOLE_EDGES`` allowed pairs (or when ``candidates_per_side`` is given) the
    blossom algorithm runs on each person's best candidates, widened with every allowed
    pair among people left unpaired until no two of them could pair.
    """
    n = pool.n_mentees
    if pool.n_mentors != n:
        raise ValueError("a peer pool has the same people as mentees and mentors")
    if scores is None:
        scores = score_pool(pool, rules, weights)
    started = time.perf_counter()
    locks = _forced_locks(pool, peer=True)
    active = np.ones(n, dtype=bool)
    for i, j in locks:
        active[[i, j]] = False
    sym = (scores.score + scores.score.T) / np.float32(2)
    ok = scores.allowed & scores.allowed.T
    np.fill_diagonal(ok, False)
    ok &= active[:, None] & active[None, :]
    upper = np.triu(ok, 1)
    allowed_edges = int(upper.sum())
    k = candidates_per_side
    if k is None and allowed_edges > PEER_WHOLE_EDGES:
        k = AUTO_PEER_CANDIDATES
    if k is None or k >= n - 1:
        k = None
        rows, cols = np.nonzero(upper)
    else:
        rows, cols = candidate_edges(sym, ok, active, np.ones(n), k)
        rows, cols = np.minimum(rows, cols), np.maximum(rows, cols)
        key = np.unique(rows * n + cols)
        rows, cols = key // n, key % n
    while True:
        pairs = solve_peers(rows, cols, score_units(sym[rows, cols]))
        paired = np.zeros(n, dtype=bool)
        for i, j in pairs:
            paired[[i, j]] = True
        left = np.flatnonzero(active & ~paired)
        extra = upper[np.ix_(left, left)]
        if k is None or not extra.any():
            break
        # Two unpaired people could still pair: add every allowed pair among the unpaired.
        r, c = np.nonzero(extra)
        key = np.unique(np.concatenate([rows * n + cols, left[r] * n + left[c]]))
        rows, cols = key // n, key % n
    optimal = "global" if len(rows) == allowed_edges else "candidate graph"

    p_rows = np.array([i for i, _ in locks] + [i for i, _ in pairs], dtype=np.int64)
    p_cols = np.array([j for _, j in locks] + [j for _, j in pairs], dtype=np.int64)
    is_locked = np.arange(len(p_rows)) < len(locks)
    # Locks may come as (j, i): report every pair as i < j.
    p_rows, p_cols = np.minimum(p_rows, p_cols), np.maximum(p_rows, p_cols)
    proposals = _proposals(scores, p_rows, p_cols, is_locked, peer=True)
    load = np.zeros(n, dtype=np.int64)
    load[p_rows] = 1
    load[p_cols] = 1
    left = np.flatnonzero(load == 0)
    unmatched = {}
    for i in left.tolist():
        others = np.delete(np.arange(n), i)
        there = scores.broken_rules_pairs(np.full(n - 1, i), others)
        back = scores.broken_rules_pairs(others, np.full(n - 1, i))
        removed = np.zeros(n - 1, dtype=bool)
        excluded = {}
        for rule in RULES:
            new = (there[rule] | back[rule]) & ~removed
            excluded[rule] = int(new.sum())
            removed |= new
        partners = np.flatnonzero(scores.allowed[i] & scores.allowed[:, i])
        partners = partners[partners != i]
        offers = scores._prep.shared_topics(scores._prep.pairs(np.full(len(partners), i), partners))
        unmatched[i] = unmatched_reason(
            excluded,
            len(partners),
            int((load[partners] > 0).sum()),
            int((offers > 0).sum()),
            bool(scores._prep.n_sought[i] > 0),
            noun="person",
            full_words="already paired",
        )
    # The count is proven largest when at most one unpaired person has any allowed partner
    # (every augmenting path joins two of them) or when the whole graph was solved.
    could_pair = int((upper | upper.T)[left].any(axis=1).sum()) if len(left) else 0
    solving = time.perf_counter() - started
    stats = _stats(proposals, n, scores.seconds, solving)
    # People, not pairs: "matched" counts everyone in a pair, like mentees elsewhere.
    stats.update(
        matched=float(2 * len(proposals)),
        match_rate=2 * len(proposals) / n if n else 0.0,
        pairs=float(len(proposals)),
        count_optimal=float(optimal == "global" or could_pair <= 1),
        allowed_pairs=float(allowed_edges),
        candidate_edges=float(len(rows)),
        candidates_per_side=float(k or 0),
    )
    return MatchResult(
        proposals=proposals, unmatched=unmatched, optimal=optimal, stats=stats, mentor_load=load
    )


def pair_proposal(scores: Scores, mentee: int, mentor: int) -> Proposal:
    """A pair's score, breakdown and reasons, whatever the rules say: for the board's
    "move a mentee to another mentor". The rules it breaks: ``scores.broken_rules``."""
    locked = np.array([scores.is_locked(mentee, mentor)])
    return _proposals(scores, np.array([mentee]), np.array([mentor]), locked)[0]


def suggest_mentors(
    scores: Scores,
    mentee: int,
    *,
    mentor_load: np.ndarray | None = None,
    limit: int = 5,
) -> list[Proposal]:
    """The mentee's best allowed mentors with room left (capacity minus ``mentor_load``),
    best first: self-select suggestions, and rematching after a match ends."""
    capacity = np.asarray(scores.pool.capacity, dtype=np.int64)
    room = capacity - (0 if mentor_load is None else np.asarray(mentor_load))
    ok = np.flatnonzero(scores.allowed[mentee] & (room > 0))
    best = ok[np.argsort(-scores.score[mentee, ok], kind="stable")[:limit]]
    locked = np.zeros(len(best), dtype=bool)
    return _proposals(scores, np.full(len(best), mentee), best, locked)
