"""Exact solvers over a list of candidate edges, candidate graphs, and optimality proofs.

Bipartite (mentees x mentors with capacities): OR-Tools min-cost flow,
``solve_max_flow_with_min_cost``: the maximum number of mentees matched, then the highest
total score among those matchings. Scores enter as integers in hundredths of a point
(``score_units``), so "optimal" means optimal at that resolution.

For big pools: ``candidate_edges`` builds a candidate graph, ``duals`` derives LP dual
prices from a solution on it, ``violations`` finds the allowed pairs those prices do not
cover (none: the solution is optimal over the whole pool), ``gap_bound`` turns repaired
prices into an upper bound on the optimum, and ``has_augmenting_path`` proves the count.

Peers (one group pairing among itself): networkx's blossom algorithm,
``max_weight_matching(maxcardinality=True)``, with the same integer units.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from ortools.graph.python import min_cost_flow

SCORE_UNITS = 100  # the objective counts hundredths of a score point
MAX_UNITS = 100 * SCORE_UNITS
ROW_BLOCK = 1 << 18  # pairs per block when scanning the (n, m) matrices
JITTER = 1e-3  # tie-breaking noise when picking candidates, below a hundredth of a point
SAMPLE_ROWS = 4000  # mentees sampled for the mentor-side candidate cut-offs


def score_units(score: np.ndarray) -> np.ndarray:
    """Scores (0..100) as the solver's integer gains. Tests use this too, so they compare
    totals at exactly the solver's resolution."""
    return np.rint(np.asarray(score, dtype=np.float64) * SCORE_UNITS).astype(np.int64)


def solve_bipartite(
    rows: np.ndarray, cols: np.ndarray, units: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Choose edges: each row at most once, column j at most ``capacity[j]`` times, the most
    edges, then the largest sum of ``units``. Returns a bool mask over the edges."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    units = np.asarray(units, dtype=np.int64)
    chosen = np.zeros(len(rows), dtype=bool)
    capacity = np.asarray(capacity, dtype=np.int64)
    keep = capacity[cols] > 0 if len(rows) else np.zeros(0, dtype=bool)
    if not keep.any():
        return chosen
    edge_ids = np.flatnonzero(keep)
    r_ids, r_node = np.unique(rows[edge_ids], return_inverse=True)
    c_ids, c_node = np.unique(cols[edge_ids], return_inverse=True)
    a, b = len(r_ids), len(c_ids)
    source, sink = a + b, a + b + 1
    e = len(edge_ids)
    degree = np.bincount(c_node, minlength=b)
    tails = np.concatenate([r_node, np.full(a, source), a + np.arange(b)])
    heads = np.concatenate([a + c_node, np.arange(a), np.full(b, sink)])
    caps = np.concatenate([np.ones(e + a, dtype=np.int64), np.minimum(capacity[c_ids], degree)])
    # Non-negative costs: every maximum flow carries the same number of units, so
    # MAX_UNITS - gain per edge orders them exactly as -gain would.
    costs = np.concatenate([MAX_UNITS - units[edge_ids], np.zeros(a + b, dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs.astype(np.int64)
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([a, -a], dtype=np.int64)
    )
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = np.asarray(flow.flows(np.arange(e, dtype=np.int32))) > 0
    chosen[edge_ids[used]] = True
    return chosen


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(starts[k], ends[k])`` for all k, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def _masked(
    score: np.ndarray, ok: np.ndarray, jitter_row: np.ndarray, jitter_col: np.ndarray
) -> np.ndarray:
    """score plus tie-breaking jitter where ok, -1 elsewhere (arithmetic: several times
    faster than np.where or a masked assignment).

    The jitter is (row + column) modulo JITTER: each mentor's order among tied mentees is
    a different rotation, so tied mentors do not all pick the same few mentees."""
    vals = jitter_row[:, None] + jitter_col[None, :]
    vals -= (vals >= np.float32(JITTER)) * np.float32(JITTER)
    vals += score
    vals += np.float32(1)
    vals *= ok
    vals -= np.float32(1)
    return vals


def candidate_edges(
    score: np.ndarray,
    allowed: np.ndarray,
    active: np.ndarray,
    capacity: np.ndarray,
    k: int,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A candidate graph: each active mentee's best ``k`` allowed mentors with capacity,
    plus each such mentor's best mentees (about ``k``; pruning from the mentee side only
    loses matches when capacity is short). Returns (rows, cols) sorted by row.

    Ties are broken by a tiny fixed jitter per mentee and per mentor (below a hundredth of
    a point), so a row of equal scores yields about k candidates, not all of them. The
    mentor-side cut-offs are estimated on a sample of mentees in large pools; candidates
    only need to be good, since ``violations`` (or the widening in engine.match) repairs
    anything the candidate graph missed.
    """
    n, m = score.shape
    k = max(1, k)
    usable = np.asarray(capacity) > 0
    rng = np.random.default_rng(seed)
    jitter_row = rng.random(n, dtype=np.float32) * np.float32(JITTER)
    jitter_col = rng.random(m, dtype=np.float32) * np.float32(JITTER)
    active_rows = np.flatnonzero(active)
    if not len(active_rows) or not usable.any():
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)

    all_usable = bool(usable.all())
    sample = active_rows[:: max(1, len(active_rows) // SAMPLE_ROWS)]
    kk = max(1, int(np.ceil(k * len(sample) / len(active_rows))))
    ok = allowed[sample]
    if not all_usable:
        ok &= usable[None, :]
    vals = _masked(score[sample], ok, jitter_row[sample], jitter_col)
    vals = np.ascontiguousarray(vals.T)
    if len(sample) > kk:
        col_cut = np.partition(vals, len(sample) - kk, axis=1)[:, len(sample) - kk]
    else:
        col_cut = np.zeros(m, dtype=np.float32)
    del vals
    np.maximum(col_cut, 0, out=col_cut)

    rows_out, cols_out = [], []
    step = max(1, ROW_BLOCK // max(m, 1))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        if not active[r0:r1].any():
            continue
        ok = allowed[r0:r1]
        if not all_usable:
            ok = ok & usable[None, :]
        if not active[r0:r1].all():
            ok = ok & active[r0:r1, None]
        vals = _masked(score[r0:r1], ok, jitter_row[r0:r1], jitter_col)
        if m > k:
            row_cut = np.partition(vals, m - k, axis=1)[:, m - k]
            np.maximum(row_cut, 0, out=row_cut)
        else:
            row_cut = np.zeros(r1 - r0, dtype=np.float32)
        # Both cut-offs are >= 0 and pairs that are not ok are -1: no need to mask again.
        keep = vals >= row_cut[:, None]
        keep |= vals >= col_cut[None, :]
        flat = np.flatnonzero(keep)  # much faster than a 2-D nonzero on sparse masks
        rows_out.append(flat // m + r0)
        cols_out.append(flat % m)
    if not rows_out:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(rows_out).astype(np.int64), np.concatenate(cols_out).astype(np.int64)


def duals(
    rows: np.ndarray,
    cols: np.ndarray,
    units: np.ndarray,
    chosen: np.ndarray,
    capacity: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """LP dual prices proving the chosen edges optimal on the edge list, or None.

    The solve is a maximum-weight b-matching with weight ``big + units`` per edge (``big``
    larger than any total of units, so the count comes first). Its LP dual: a price
    u_i >= 0 per mentee and v_j >= 0 per mentor with u_i + v_j >= big + units_ij on every
    edge, equality on chosen edges, u_i = 0 if i is unmatched and v_j = 0 if j has room.
    Substituting u_i = big + units(i, a(i)) - v_a(i) leaves difference constraints on v;
    their least solution (label-correcting, vectorised per round) is a valid dual whenever
    the matching is optimal. Any pair (i, j) outside the edge list with
    u_i + v_j >= big + units_ij cannot improve the matching either (see ``violations``).
    Returns (u, v, big).
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    m = len(capacity)
    big = (n + 1) * MAX_UNITS
    assigned = np.full(n, -1, dtype=np.int64)
    assigned[rows[chosen]] = cols[chosen]
    own = np.zeros(n, dtype=np.int64)
    own[rows[chosen]] = units[chosen]
    load = np.bincount(cols[chosen], minlength=m)
    partner = assigned[rows]

    v = np.zeros(m, dtype=np.int64)
    free_side = partner < 0
    np.maximum.at(v, cols[free_side], big + units[free_side])

    push = (partner >= 0) & ~chosen  # i matched to k, edge (i, j): v_j >= v_k + g_ij - g_ik
    src = partner[push]
    order = np.argsort(src, kind="stable")
    src = src[order]
    dst = cols[push][order]
    delta = (units[push] - own[rows[push]])[order]
    starts = np.searchsorted(src, np.arange(m + 1))
    frontier = np.flatnonzero(starts[1:] > starts[:-1])
    for _ in range(m + 2):
        if not len(frontier):
            break
        idx = _ranges(starts[frontier], starts[frontier + 1])
        new = v.copy()
        np.maximum.at(new, dst[idx], v[src[idx]] + delta[idx])
        frontier = np.flatnonzero(new > v)
        v = new
    else:
        return None  # a cycle that keeps raising prices: the matching was not optimal
    u = np.where(assigned >= 0, big + own - v[np.maximum(assigned, 0)], 0)
    if (u < 0).any() or (v[(load < capacity) & (capacity > 0)] != 0).any():
        return None
    return u, v, big


def violations(
    score: np.ndarray,
    allowed: np.ndarray,
    active: np.ndarray,
    capacity: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    big: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed pairs (active mentee, mentor with capacity) that break the dual prices:
    ``score_units > u_i + v_j - big``. None left proves the matching optimal over the whole
    allowed matrix, not just the edges it was solved on.

    Returns (rows, cols, excess): ``excess[i]`` is mentee i's largest violation (0 if
    none), so ``u + excess`` with ``v`` is a feasible dual of the whole pool and bounds
    the optimum from above (see ``gap_bound``)."""
    n, m = score.shape
    usable = np.asarray(capacity) > 0
    col_price = np.where(usable, v - big, np.iinfo(np.int64).max // 4).astype(np.float64)
    excess = np.zeros(n, dtype=np.int64)
    rows_out, cols_out = [], []
    step = max(1, ROW_BLOCK // max(m, 1))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        if not active[r0:r1].any():
            continue
        gain = score[r0:r1].astype(np.float64)
        gain *= SCORE_UNITS
        np.rint(gain, out=gain)
        gain -= col_price[None, :]
        gain -= u[r0:r1, None].astype(np.float64)
        bad = gain > 0
        bad &= allowed[r0:r1]
        bad &= active[r0:r1, None]
        flat = np.flatnonzero(bad)
        if len(flat):
            rows_out.append(flat // m + r0)
            cols_out.append(flat % m)
            gain *= bad
            excess[r0:r1] = gain.max(axis=1)
    if not rows_out:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), excess
    return (
        np.concatenate(rows_out).astype(np.int64),
        np.concatenate(cols_out).astype(np.int64),
        excess,
    )


def gap_bound(
    u: np.ndarray,
    v: np.ndarray,
    big: int,
    excess: np.ndarray,
    capacity: np.ndarray,
    matched: int,
    units: int,
) -> int:
    """How many units the best matching with ``matched`` mentees (the largest count) can
    exceed ``units`` by at most: LP weak duality with the repaired prices."""
    dual = int((u + excess).sum()) + int((np.asarray(capacity, dtype=np.int64) * v).sum())
    return max(0, dual - big * matched - units)


def has_augmenting_path(
    allowed: np.ndarray, active: np.ndarray, assigned: np.ndarray, capacity: np.ndarray
) -> bool:
    """Whether some unmatched active mentee reaches a mentor with room by an alternating
    path (any allowed pair forward, an assigned pair back) over the full allowed matrix.
    None means the matching has the largest possible count (Berge's theorem, for flows)."""
    n, m = allowed.shape
    load = np.bincount(assigned[assigned >= 0], minlength=m)
    free = load < capacity
    seen_rows = np.zeros(n, dtype=bool)
    seen_cols = np.zeros(m, dtype=bool)
    frontier = np.flatnonzero(active & (assigned < 0))
    step = max(1, ROW_BLOCK // max(m, 1))
    matched_rows = np.flatnonzero(active & (assigned >= 0))
    while len(frontier):
        seen_rows[frontier] = True
        reach = np.zeros(m, dtype=bool)
        for s0 in range(0, len(frontier), step):
            reach |= allowed[frontier[s0 : s0 + step]].any(axis=0)
        reach &= ~seen_cols
        if (reach & free).any():
            return True
        seen_cols |= reach
        back = matched_rows[reach[assigned[matched_rows]]]
        frontier = back[~seen_rows[back]]
    return False


def solve_peers(rows: np.ndarray, cols: np.ndarray, units: np.ndarray) -> list[tuple[int, int]]:
    """Most pairs, then the largest total units, each person in at most one pair.
    Edges (rows[k], cols[k]) are undirected. Returns pairs (i, j) with i < j, sorted."""
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        zip(
            np.asarray(rows).tolist(),
            np.asarray(cols).tolist(),
            np.asarray(units, dtype=np.int64).tolist(),
            strict=True,
        )
    )
    pairs = nx.max_weight_matching(graph, maxcardinality=True)
    return sorted((min(i, j), max(i, j)) for i, j in pairs)
