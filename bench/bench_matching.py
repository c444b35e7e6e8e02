"""Benchmark: the matching engine on synthetic cohorts, next to a greedy baseline.

    .venv/bin/python bench/bench_matching.py [--only 5000x1200] [--seed 7]

Pools of 200x60, 1,000x300, 5,000x1,200 and 20,000x5,000 (mentees x mentors), each with
short total capacity (capacities 1-5) and ample (4-5), plus a peer pool of 1,000. The
people are realistic: 8 departments, levels 1-8 (mentees junior, mentors senior), 5
locations in 5 time zones, 20 topics with skewed popularity, 4 languages, some management
chains, earlier matches, admin exclusions and locks. The rules are a typical cohort's:
management chain excluded, mentor at least one level above, at most 6 hours apart, a
shared language.

Each case runs in its own child process, so its memory is its own: "peak" is the child's
``ru_maxrss`` (the whole process, OR-Tools' C++ memory included) and "+peak" its growth
from just before scoring to the end of matching. The greedy baseline (mentees in order
each take their best allowed mentor with room; for peers, the best-scoring allowed pairs
first) runs in the same process on the same scores.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.engine import match, match_peers, score_pool  # noqa: E402
from matching.pool import (  # noqa: E402
    FORMAT_EITHER,
    FORMAT_IN_PERSON,
    FORMAT_REMOTE,
    FORMAT_UNKNOWN,
    Pool,
    Rules,
    Weights,
)
from matching.solver import score_units  # noqa: E402

CASES = [
    ("200x60", 200, 60, "short"),
    ("200x60", 200, 60, "ample"),
    ("1000x300", 1_000, 300, "short"),
    ("1000x300", 1_000, 300, "ample"),
    ("5000x1200", 5_000, 1_200, "short"),
    ("5000x1200", 5_000, 1_200, "ample"),
    ("20000x5000", 20_000, 5_000, "short"),
    ("20000x5000", 20_000, 5_000, "ample"),
    ("peers1000", 1_000, 1_000, "peer"),
]
RULES = Rules(
    exclude_management_chain=True,
    min_level_gap=1,
    max_timezone_diff_hours=6,
    require_shared_language=True,
)
PEER_RULES = Rules(min_level_gap=0, max_timezone_diff_hours=6, preferred_level_gap=0)
OFFSETS = np.array([-5.0, 0.0, 1.0, 5.5, 8.0])  # New York, London, Berlin, Bangalore, Singapore
LOCAL_LANGUAGE = np.array([0, 0, 1, 2, 3])  # 0 English, 1 German, 2 Hindi, 3 Mandarin
N_TOPICS, N_DEPARTMENTS = 20, 8


def _people(rng: np.random.Generator, k: int, levels: tuple[int, int], topics: tuple[int, int]):
    department = rng.choice(N_DEPARTMENTS, k, p=np.linspace(2, 1, N_DEPARTMENTS) / 12)
    level = rng.integers(*levels, size=k, endpoint=True).astype(float)
    level[rng.random(k) < 0.01] = np.nan
    location = rng.choice(5, k, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    offset = OFFSETS[location].copy()
    offset[rng.random(k) < 0.02] = np.nan
    fmt = rng.choice(
        [FORMAT_EITHER, FORMAT_IN_PERSON, FORMAT_REMOTE, FORMAT_UNKNOWN],
        k,
        p=[0.5, 0.2, 0.27, 0.03],
    )
    # Each person picks between topics[0] and topics[1] topics, popular ones more often
    # (Gumbel top-k: a weighted draw without replacement, vectorised).
    popularity = np.log(1.0 / np.arange(1, N_TOPICS + 1) ** 0.8)
    keys = popularity[None, :] + rng.gumbel(size=(k, N_TOPICS))
    order = np.argsort(-keys, axis=1)
    count = rng.integers(*topics, size=k, endpoint=True)
    picked = np.zeros((k, N_TOPICS), dtype=bool)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(N_TOPICS)[None, :], axis=1)
    picked = ranks < count[:, None]
    languages = np.zeros((k, 4), dtype=bool)
    languages[:, 0] = rng.random(k) < 0.85
    local = LOCAL_LANGUAGE[location]
    languages[np.arange(k), local] |= rng.random(k) < 0.7
    languages[~languages.any(axis=1), 0] = True
    languages[rng.random(k) < 0.01] = False  # never said
    return department, level, location, offset, fmt, picked, languages


def make_pool(n: int, m: int, capacity: str, seed: int) -> Pool:
    rng = np.random.default_rng(seed)
    da, la, loa, ta, fa, sought, langa = _people(rng, n, (1, 6), (1, 3))
    db, lb, lob, tb, fb, offered, langb = _people(rng, m, (3, 8), (2, 5))
    mentor_person = np.arange(n, n + m)
    both = rng.random(m) < 0.01  # a few mentors are also mentees in this cohort
    mentor_person[both] = rng.integers(0, n, both.sum())
    if capacity == "peer":
        cap = np.ones(m, dtype=np.int64)
        db, lb, lob, tb, fb, offered, langb = da, la, loa, ta, fa, sought, langa
        mentor_person = np.arange(n)
    elif capacity == "short":
        cap = rng.integers(1, 5, size=m, endpoint=True)
    else:
        cap = rng.integers(4, 5, size=m, endpoint=True)

    def pairs(k: int) -> list[tuple[int, int]]:
        return list(
            zip(rng.integers(0, n, k).tolist(), rng.integers(0, m, k).tolist(), strict=True)
        )

    return Pool(
        mentee_ids=np.arange(n),
        mentor_ids=np.arange(m),
        mentee_person=np.arange(n),
        mentor_person=mentor_person,
        capacity=cap,
        mentee_level=la,
        mentor_level=lb,
        mentee_department=da,
        mentor_department=db,
        mentee_location=loa,
        mentor_location=lob,
        mentee_utc_offset=ta,
        mentor_utc_offset=tb,
        mentee_format=fa,
        mentor_format=fb,
        mentee_sought=sought,
        mentor_offered=offered,
        mentee_languages=langa,
        mentor_languages=langb,
        chain_pairs=pairs(n // 20),
        previous_pairs=pairs(n // 50),
        excluded_pairs=pairs(n // 100),
        locked_pairs=pairs(max(1, n // 500)),
    )


def greedy(scores, pool: Pool) -> tuple[int, int]:
    """Mentees in order take their best allowed mentor with room (locks first)."""
    room = np.asarray(pool.capacity, dtype=np.int64).copy()
    taken = np.zeros(pool.n_mentees, dtype=bool)
    units = 0
    for i, j in pool.locked_pairs:
        if not taken[i]:
            taken[i] = True
            room[j] -= 1
            units += int(score_units(scores.score[i, j]))
    matched = int(taken.sum())
    for i in np.flatnonzero(~taken).tolist():
        row = np.where(scores.allowed[i] & (room > 0), scores.score[i], -1)
        j = int(row.argmax())
        if row[j] >= 0:
            room[j] -= 1
            matched += 1
            units += int(score_units(row[j]))
    return matched, units


def greedy_peers(scores, n: int) -> tuple[int, int]:
    """The best-scoring allowed pairs first, each person once. Counts people paired."""
    sym = (scores.score + scores.score.T) / np.float32(2)
    ok = np.triu(scores.allowed & scores.allowed.T, 1)
    r, c = np.nonzero(ok)
    order = np.argsort(-sym[r, c], kind="stable")
    free = np.ones(n, dtype=bool)
    matched = units = 0
    for i, j in zip(r[order].tolist(), c[order].tolist(), strict=True):
        if free[i] and free[j]:
            free[i] = free[j] = False
            matched += 2
            units += int(score_units(sym[i, j]))
    return matched, units


def run_case(name: str, n: int, m: int, capacity: str, seed: int) -> dict:
    pool = make_pool(n, m, capacity, seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    peer = capacity == "peer"
    rules = PEER_RULES if peer else RULES
    scores = score_pool(pool, rules, Weights())
    result = (match_peers if peer else match)(pool, rules, Weights(), scores=scores)
    wall = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    g_matched, g_units = greedy_peers(scores, n) if peer else greedy(scores, pool)
    greedy_seconds = time.perf_counter() - t
    units = int(sum(int(score_units(np.float32(p.score))) for p in result.proposals))
    return {
        "case": f"{name} {capacity}",
        "capacity": int(np.asarray(pool.capacity).sum()),
        "allowed": int(result.stats["allowed_pairs"]),
        "edges": int(result.stats["candidate_edges"]),
        "scoring": result.stats["scoring_seconds"],
        "solving": result.stats["solving_seconds"],
        "wall": wall,
        "peak_mb": rss_after / 1024,
        "grow_mb": (rss_after - rss_before) / 1024,
        "matched": int(result.stats["matched"]),
        "total": units / 100,
        "optimal": result.optimal,
        "count_optimal": bool(result.stats["count_optimal"]),
        "gap": result.stats.get("score_gap_bound", float("nan")),
        "g_matched": g_matched,
        "g_total": g_units / 100,
        "g_seconds": greedy_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only cases whose name contains this")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # child process: one case
    args = parser.parse_args()
    if args.case:
        name, n, m, capacity = next(c for c in CASES if f"{c[0]} {c[3]}" == args.case)
        print(json.dumps(run_case(name, n, m, capacity, args.seed)))
        return

    print(
        f"{'case':<18}{'capacity':>9}{'allowed':>12}{'solved on':>10}{'score s':>8}"
        f"{'solve s':>8}{'total s':>8}{'peak MB':>8}{'+MB':>6}{'matched':>9}{'total score':>14}"
        "  optimal"
    )
    for name, _n, _m, capacity in CASES:
        case = f"{name} {capacity}"
        if args.only and args.only not in case:
            continue
        child = subprocess.run(  # noqa: S603 (our own script, our own arguments)
            [sys.executable, __file__, "--case", case, "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        note = r["optimal"]
        if r["optimal"] != "global":
            count = "count optimal" if r["count_optimal"] else "count unproven"
            gap = "" if r["gap"] != r["gap"] else f", score within {r['gap']:,.2f} of optimum"
            note += f" ({count}{gap})"
        print(
            f"{r['case']:<18}{r['capacity']:>9,}{r['allowed']:>12,}{r['edges']:>10,}"
            f"{r['scoring']:>8.2f}{r['solving']:>8.2f}{r['wall']:>8.2f}{r['peak_mb']:>8.0f}"
            f"{r['grow_mb']:>6.0f}{r['matched']:>9,}{r['total']:>14,.2f}  {note}"
        )
        ratio_m = r["matched"] / r["g_matched"] if r["g_matched"] else float("nan")
        ratio_s = r["total"] / r["g_total"] if r["g_total"] else float("nan")
        print(
            f"{'  greedy':<18}{'':>30}{'':>16}{r['g_seconds']:>8.2f}{'':>14}{r['g_matched']:>9,}"
            f"{r['g_total']:>14,.2f}  engine/greedy: x{ratio_m:.3f} matched, x{ratio_s:.3f} score"
        )


if __name__ == "__main__":
    main()
