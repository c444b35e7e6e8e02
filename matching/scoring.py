"""Scores for every (mentee, mentor) pair of a pool, and the hard rules that remove pairs.

Vectorised: the whole (n x m) grid is built in row blocks of about a quarter of a million
pairs (so temporaries stay in cache and never cost n x m x criteria memory), with numpy
operations over each block; there is no Python loop per pair. The same code evaluates an
arbitrary list of pairs (for a pair's breakdown, its reasons, or the rules it would break),
so a breakdown always adds up to the score in the grid, to float32 rounding.

Decisions on the open points, in one place:

- Each criterion's value is in 0..1; the score is ``100 * sum(w_c * value_c) / sum(w_c)``
  and a criterion's points are its term of that sum, so the points add up to the score.
  All weights 0: every score is 0 (the solver then only maximises the matched count).
- An unknown attribute earns no points and breaks no hard rule, except the level-gap rule
  (a required gap cannot be checked without levels, so an unknown level fails it).
  Unknown departments are never "the same"; someone who gave no languages passes the
  shared-language rule; an unknown time zone passes the time-zone rule.
- topics: share of the topics the mentee seeks that the mentor offers; 0 for a mentee who
  seeks none (nothing to tell mentors apart by, and a mentee who said what they seek wins
  a contested mentor who offers it).
- seniority: ``1 - |gap - preferred_level_gap| / SENIORITY_SPAN`` clipped to 0..1, where
  gap = mentor level - mentee level (mentee - mentor in reverse programs).
- timezone: ``1 - d / 12`` clipped, d the hours apart around the clock (+12 and -11 are one
  hour apart). The time-zone rule uses the same d.
- format: 1 when both accept remote meetings, or both accept in-person meetings and share a
  known location; "either" accepts both; an unknown format accepts neither (no points).
- mentee_ranking: only in self-select mode (``pool.rankings`` non-empty); otherwise its
  weight is dropped from the sum so scores still reach 100. The k-th of r ranked mentors
  gets ``(r - k + 1) / r`` (1 for the first choice); unranked mentors 0.
- The level-gap rule is on when ``min_level_gap > 0``: the mentor must be at least that
  many levels above the mentee (below, in reverse programs). 0 means no level rule.
- ``excluded_by[rule][i]`` counts mentors removed for mentee i, each mentor once, under the
  first rule in ``RULES`` order that removes it; so the counts plus the allowed mentors add
  up to m. Locked pairs are allowed whatever the rules say (the admin overrode them) and are
  not counted as removed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from matching.pool import (
    CRITERIA,
    FORMAT_EITHER,
    FORMAT_IN_PERSON,
    FORMAT_REMOTE,
    RULES,
    Pool,
    Rules,
    Weights,
)

SENIORITY_SPAN = 4.0  # levels off the preferred gap at which seniority earns nothing
TIMEZONE_SPAN = 12.0  # hours apart at which timezone earns nothing
BLOCK_PAIRS = 1 << 18  # pairs per scoring block


def _bitmasks(flags: np.ndarray) -> list[np.ndarray]:
    """bool (p, T) -> one bit per column, packed into the narrowest unsigned words (uint8
    for up to 8 columns ... uint64 words for more than 32), one array of length p per word."""
    flags = np.asarray(flags, dtype=bool)
    p, t = flags.shape
    if t == 0:
        return [np.zeros(p, dtype=np.uint8)]
    width = next(w for w in (8, 16, 32, 64) if t <= w or w == 64)
    dtype = np.dtype(f"uint{width}")
    words = []
    for start in range(0, t, width):
        chunk = flags[:, start : start + width]
        bits = np.left_shift(np.uint64(1), np.arange(chunk.shape[1], dtype=np.uint64))
        words.append((chunk.astype(np.uint64) * bits).sum(axis=1, dtype=np.uint64).astype(dtype))
    return words


def flags(values: np.ndarray, rows: int) -> np.ndarray:
    """A (rows, columns) bool matrix from a topic or language array (any empty shape)."""
    arr = np.asarray(values, dtype=bool)
    if arr.ndim == 2 and arr.shape[0] == rows:
        return arr
    if arr.size == 0:
        return np.zeros((rows, arr.shape[-1] if arr.ndim == 2 else 0), dtype=bool)
    return arr.reshape(rows, -1)


def _pair_keys(pairs: list[tuple[int, int]], n: int, m: int) -> np.ndarray:
    """Sorted unique keys ``i * m + j`` of the pairs whose indices are in range."""
    if not pairs:
        return np.empty(0, dtype=np.int64)
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    ok = (arr[:, 0] >= 0) & (arr[:, 0] < n) & (arr[:, 1] >= 0) & (arr[:, 1] < m)
    arr = arr[ok]
    return np.unique(arr[:, 0] * m + arr[:, 1])


@dataclass
class _Block:
    """Pairs to evaluate: a grid block (``rows`` against every mentor; ``a`` is a column
    vector of mentee indices, ``b`` a row vector of all mentors) or a list of pairs (``a``
    and ``b`` of the same shape). ``a`` and ``b`` index the per-person arrays directly."""

    a: np.ndarray
    b: np.ndarray
    m: int
    grid: bool = False
    cache: dict[str, np.ndarray] = field(default_factory=dict)  # shared by criteria and rules

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(self.a.shape, self.b.shape)

    def lookup(self, keys: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        """Bool mask (or float32 values, 0 where absent) of the block's pairs among the
        sorted pair keys ``i * m + j``."""
        out = np.zeros(self.shape, dtype=bool if values is None else np.float32)
        if not len(keys):
            return out
        if self.grid:
            rows = self.a[:, 0]
            if not len(rows):
                return out
            if rows[-1] - rows[0] == len(rows) - 1:  # a slice of the sorted keys
                lo, hi = np.searchsorted(keys, [rows[0] * self.m, (rows[-1] + 1) * self.m])
                flat, sel = keys[lo:hi] - rows[0] * self.m, slice(lo, hi)
            else:
                where = np.full(int(rows.max()) + 1, -1, dtype=np.int64)
                where[rows] = np.arange(len(rows))
                key_rows = keys // self.m
                sel = np.flatnonzero(key_rows <= rows.max())
                sel = sel[where[key_rows[sel]] >= 0]
                flat = where[key_rows[sel]] * self.m + keys[sel] % self.m
            out.reshape(-1)[flat] = True if values is None else values[sel]
            return out
        k = self.a * self.m + self.b
        pos = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
        found = keys[pos] == k
        if values is None:
            return found
        out[found] = values[pos[found]]
        return out


class _Prepared:
    """Per-person arrays, precomputed so that each criterion and rule costs a few numpy
    operations per pair (unknowns folded into codes that can never compare equal, NaN
    levels into infinities, time-zone offsets taken modulo 24 once per person)."""

    def __init__(self, pool: Pool, rules: Rules, weights: Weights) -> None:
        self.n, self.m = n, m = pool.n_mentees, pool.n_mentors
        self.rules = rules
        f32 = np.float32
        self.mentee_person = np.asarray(pool.mentee_person, dtype=np.int64)
        self.mentor_person = np.asarray(pool.mentor_person, dtype=np.int64)
        self.level_a = np.asarray(pool.mentee_level, dtype=f32)
        self.level_b = np.asarray(pool.mentor_level, dtype=f32)
        sign = f32(-1 if rules.reverse else 1)
        span = f32(SENIORITY_SPAN)
        # seniority: |gap - preferred| / span == |sen_b - sen_a|, gap = sign * (b - a).
        self.sen_a = (sign * self.level_a + f32(rules.preferred_level_gap)) / span
        self.sen_b = sign * self.level_b / span
        # level-gap rule: the pair passes when gap_b >= gap_a; an unknown level never does.
        self.gap_a = np.nan_to_num(sign * self.level_a + f32(rules.min_level_gap), nan=np.inf)
        self.gap_b = np.nan_to_num(sign * self.level_b, nan=-np.inf)

        dep_a = np.asarray(pool.mentee_department, dtype=np.int64)
        dep_b = np.asarray(pool.mentor_department, dtype=np.int64)
        self.dep_a = np.where(dep_a >= 0, dep_a, -1)
        self.dep_b = np.where(dep_b >= 0, dep_b, -2)  # unknowns never equal
        self.dep_known = bool((dep_a >= 0).all() and (dep_b >= 0).all())
        self.dep_known_a = (dep_a >= 0).astype(f32)
        self.dep_known_b = (dep_b >= 0).astype(f32)

        # Offsets modulo 24 once per person: hours apart around the clock is then
        # min(d, 24 - d) with d = |a - b| < 24, without a modulo per pair.
        self.tz_a = np.asarray(pool.mentee_utc_offset, dtype=f32) % f32(24)
        self.tz_b = np.asarray(pool.mentor_utc_offset, dtype=f32) % f32(24)

        self.loc_a = np.asarray(pool.mentee_location, dtype=np.int64)
        self.loc_b = np.asarray(pool.mentor_location, dtype=np.int64)
        fa = np.asarray(pool.mentee_format, dtype=np.int64)
        fb = np.asarray(pool.mentor_format, dtype=np.int64)
        self.format_a, self.format_b = fa, fb
        self.remote_a = (fa == FORMAT_EITHER) | (fa == FORMAT_REMOTE)
        self.remote_b = (fb == FORMAT_EITHER) | (fb == FORMAT_REMOTE)
        # Where each would meet in person: their location, or a code no one else has.
        in_person_a = ((fa == FORMAT_EITHER) | (fa == FORMAT_IN_PERSON)) & (self.loc_a >= 0)
        in_person_b = ((fb == FORMAT_EITHER) | (fb == FORMAT_IN_PERSON)) & (self.loc_b >= 0)
        self.meet_a = np.where(in_person_a, self.loc_a, -1)
        self.meet_b = np.where(in_person_b, self.loc_b, -2)

        sought = flags(pool.mentee_sought, n)
        self.topics_a = _bitmasks(sought)
        self.topics_b = _bitmasks(flags(pool.mentor_offered, m))
        n_sought = sought.sum(axis=1)
        self.n_sought = n_sought
        self.inv_sought = np.zeros(n, dtype=f32)
        np.divide(f32(1), n_sought, out=self.inv_sought, where=n_sought > 0, casting="unsafe")
        self.lang_a = _bitmasks(flags(pool.mentee_languages, n))
        self.lang_b = _bitmasks(flags(pool.mentor_languages, m))
        self.has_lang_a = np.logical_or.reduce([w != 0 for w in self.lang_a])
        self.has_lang_b = np.logical_or.reduce([w != 0 for w in self.lang_b])
        self.all_have_lang = bool(self.has_lang_a.all() and self.has_lang_b.all())

        self.chain = _pair_keys(pool.chain_pairs, n, m)
        self.previous = _pair_keys(pool.previous_pairs, n, m)
        self.excluded = _pair_keys(pool.excluded_pairs, n, m)
        self.locked = _pair_keys(pool.locked_pairs, n, m)
        rank_pairs: dict[int, float] = {}
        for i, ranked in pool.rankings.items():
            if not 0 <= i < n:
                continue
            r = len(ranked)
            for k, j in enumerate(ranked):
                if 0 <= j < m:
                    rank_pairs.setdefault(int(i) * m + int(j), (r - k) / r)
        self.rank_keys = np.array(sorted(rank_pairs), dtype=np.int64)
        self.rank_values = np.array([rank_pairs[k] for k in self.rank_keys.tolist()], dtype=f32)

        w = {c: float(getattr(weights, c)) for c in CRITERIA}
        if not pool.rankings:
            w["mentee_ranking"] = 0.0
        total = sum(w.values())
        self.weights = w
        self.coef = {c: f32(100.0 * w[c] / total if total > 0 else 0.0) for c in CRITERIA}

    # -- shared per-pair quantities, computed once per block ----------------------------

    def shared_topics(self, blk: _Block) -> np.ndarray:
        """Topics the mentee seeks that the mentor offers (uint8/uint16 counts)."""
        if "topics" not in blk.cache:
            count = None
            for wa, wb in zip(self.topics_a, self.topics_b, strict=True):
                c = np.bitwise_count(wa[blk.a] & wb[blk.b])
                count = c if count is None else count + c.astype(np.uint16)
            blk.cache["topics"] = count
        return blk.cache["topics"]

    def shares_language(self, blk: _Block) -> np.ndarray:
        if "language" not in blk.cache:
            out = None
            for wa, wb in zip(self.lang_a, self.lang_b, strict=True):
                w = wa[blk.a] & wb[blk.b]
                out = w != 0 if out is None else out | (w != 0)
            blk.cache["language"] = out
        return blk.cache["language"]

    def hours_apart(self, blk: _Block) -> np.ndarray:
        """Hours apart around the clock (NaN if either offset is unknown)."""
        if "hours" not in blk.cache:
            d = self.tz_a[blk.a] - self.tz_b[blk.b]
            np.abs(d, out=d)
            blk.cache["hours"] = np.minimum(d, np.float32(24) - d, out=d)
        return blk.cache["hours"]

    def format_fit(self, blk: _Block) -> np.ndarray:
        """0 no common format, 1 both can meet remotely, 2 in person (same location), 3 both."""
        remote = self.remote_a[blk.a] & self.remote_b[blk.b]
        in_person = self.meet_a[blk.a] == self.meet_b[blk.b]
        return remote.view(np.uint8) | (in_person.view(np.uint8) << 1)

    # -- criteria: each returns a new float32 array of the block's shape, values 0..1 ---

    def topics(self, blk: _Block) -> np.ndarray:
        v = self.shared_topics(blk).astype(np.float32)
        v *= self.inv_sought[blk.a]
        return v

    def seniority(self, blk: _Block) -> np.ndarray:
        v = self.sen_b[blk.b] - self.sen_a[blk.a]
        np.abs(v, out=v)
        np.subtract(np.float32(1), v, out=v)
        return np.fmax(v, np.float32(0), out=v)  # fmax also turns unknown (NaN) into 0

    def cross_department(self, blk: _Block) -> np.ndarray:
        v = (self.dep_a[blk.a] != self.dep_b[blk.b]).astype(np.float32)
        if not self.dep_known:
            v *= self.dep_known_a[blk.a]
            v *= self.dep_known_b[blk.b]
        return v

    def language(self, blk: _Block) -> np.ndarray:
        return self.shares_language(blk).astype(np.float32)

    def timezone(self, blk: _Block) -> np.ndarray:
        v = self.hours_apart(blk) * np.float32(-1 / TIMEZONE_SPAN)
        v += np.float32(1)
        return np.fmax(v, np.float32(0), out=v)

    def format(self, blk: _Block) -> np.ndarray:
        remote = self.remote_a[blk.a] & self.remote_b[blk.b]
        remote |= self.meet_a[blk.a] == self.meet_b[blk.b]
        return remote.astype(np.float32)

    def mentee_ranking(self, blk: _Block) -> np.ndarray:
        return blk.lookup(self.rank_keys, self.rank_values)

    # -- hard rules ---------------------------------------------------------------------

    def rule_masks(self, blk: _Block, *, all_rules: bool = False) -> dict[str, np.ndarray]:
        """Rule -> bool array, True where the rule removes the pair. Rules that are off
        (or cannot remove any pair of the block) are left out unless ``all_rules``."""
        r = self.rules
        masks = {"same_person": self.mentee_person[blk.a] == self.mentor_person[blk.b]}
        if r.exclude_management_chain:
            masks["management_chain"] = blk.lookup(self.chain)
        if r.exclude_same_department:
            masks["same_department"] = self.dep_a[blk.a] == self.dep_b[blk.b]
        if r.min_level_gap > 0:
            masks["level_gap"] = self.gap_b[blk.b] < self.gap_a[blk.a]
        if r.max_timezone_diff_hours is not None:
            masks["timezone"] = self.hours_apart(blk) > np.float32(r.max_timezone_diff_hours)
        if r.require_shared_language:
            mask = ~self.shares_language(blk)
            if not self.all_have_lang:  # someone who gave no languages passes
                mask &= self.has_lang_a[blk.a]
                mask &= self.has_lang_b[blk.b]
            masks["no_shared_language"] = mask
        masks["admin_excluded"] = blk.lookup(self.excluded)
        if not r.allow_repeats:
            masks["matched_before"] = blk.lookup(self.previous)
        if all_rules:
            return {rule: masks.get(rule, np.zeros(blk.shape, dtype=bool)) for rule in RULES}
        return masks

    def points(self, blk: _Block) -> dict[str, np.ndarray]:
        """Criterion -> float32 points; summed in CRITERIA order they give the score."""
        out = {}
        for c in CRITERIA:
            if self.coef[c] == 0:
                out[c] = np.zeros(blk.shape, dtype=np.float32)
            else:
                v = getattr(self, c)(blk)
                v *= self.coef[c]
                out[c] = v
        return out

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> _Block:
        a = np.asarray(rows, dtype=np.int64)
        b = np.asarray(cols, dtype=np.int64)
        a, b = np.broadcast_arrays(a, b)
        return _Block(a=a, b=b, m=self.m)

    def grid(self, rows: np.ndarray) -> _Block:
        """The given mentees against every mentor."""
        a = np.asarray(rows, dtype=np.int64)[:, None]
        return _Block(a=a, b=np.arange(self.m, dtype=np.int64)[None, :], m=self.m, grid=True)

    def excluded_counts(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Rule -> int32 per given mentee: mentors removed, each under its first rule."""
        rows = np.asarray(rows, dtype=np.int64)
        out = {rule: np.zeros(len(rows), dtype=np.int32) for rule in RULES}
        step = max(1, BLOCK_PAIRS // max(self.m, 1))
        for s0 in range(0, len(rows), step):
            blk = self.grid(rows[s0 : s0 + step])
            removed = blk.lookup(self.locked)  # a lock shields the pair from every rule
            for rule, mask in self.rule_masks(blk).items():
                out[rule][s0 : s0 + step] = np.count_nonzero(mask > removed, axis=1)
                removed |= mask
        return out


@dataclass
class Scores:
    """The scored pool. ``allowed`` and ``score`` are (n, m); a pair's breakdown, reasons
    and the rules it breaks are computed on demand (keeping seven n x m breakdown arrays
    would cost 2.8 GB on a 20,000 x 5,000 pool), and so are the per-rule counts."""

    allowed: np.ndarray  # bool (n, m): pairs left after the hard rules, plus locked pairs
    score: np.ndarray  # float32 (n, m): 0..100, for every pair (also those a rule removes)
    weights: dict[str, float]  # criterion -> weight used (mentee_ranking 0 unless self-select)
    seconds: float
    pool: Pool
    rules: Rules
    _prep: _Prepared = field(repr=False)
    _excluded_by: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def excluded_by(self) -> dict[str, np.ndarray]:
        """Rule -> int32 (n,): mentors removed for each mentee, each under the first rule in
        RULES order that removes it (computed on first use; see ``excluded_counts``)."""
        if self._excluded_by is None:
            self._excluded_by = self._prep.excluded_counts(np.arange(self._prep.n))
        return self._excluded_by

    def excluded_counts(self, mentees: np.ndarray) -> dict[str, np.ndarray]:
        """``excluded_by`` for some mentees only (cheaper on a large pool)."""
        if self._excluded_by is not None:
            return {rule: counts[mentees] for rule, counts in self._excluded_by.items()}
        return self._prep.excluded_counts(mentees)

    def breakdown_pairs(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Criterion -> float32 points for each (rows[k], cols[k]); they sum to the score."""
        return self._prep.points(self._prep.pairs(rows, cols))

    def breakdown(self, mentee: int, mentor: int) -> dict[str, float]:
        pts = self.breakdown_pairs(np.array([mentee]), np.array([mentor]))
        return {c: float(v[0]) for c, v in pts.items()}

    def broken_rules_pairs(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Rule -> bool per pair: whether the rule would remove it (locks ignored)."""
        return self._prep.rule_masks(self._prep.pairs(rows, cols), all_rules=True)

    def broken_rules(self, mentee: int, mentor: int) -> list[str]:
        """The hard rules this pair breaks, in RULES order (empty: the pair is allowed,
        or would be without a lock). For the board's "move" with confirmation."""
        masks = self.broken_rules_pairs(np.array([mentee]), np.array([mentor]))
        return [rule for rule in RULES if masks[rule][0]]

    def is_locked(self, mentee: int, mentor: int) -> bool:
        blk = self._prep.pairs(np.array([mentee]), np.array([mentor]))
        return bool(blk.lookup(self._prep.locked)[0])


def score_pool(pool: Pool, rules: Rules, weights: Weights) -> Scores:
    """Score every pair and apply the hard rules, in row blocks (see the module docstring)."""
    started = time.perf_counter()
    prep = _Prepared(pool, rules, weights)
    n, m = prep.n, prep.m
    score = np.empty((n, m), dtype=np.float32)
    allowed = np.empty((n, m), dtype=bool)
    step = max(1, BLOCK_PAIRS // max(m, 1))
    used = [c for c in CRITERIA if prep.coef[c] != 0]
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        blk = prep.grid(np.arange(r0, r1))
        total = score[r0:r1]
        if not used:
            total.fill(0)
        # The same float32 steps as _Prepared.points (0 + x is x), so breakdowns add up.
        for c in used:
            v = getattr(prep, c)(blk)
            if c == used[0]:
                np.multiply(v, prep.coef[c], out=total)
            else:
                v *= prep.coef[c]
                total += v
        removed = None
        for mask in prep.rule_masks(blk).values():
            removed = mask if removed is None else np.logical_or(removed, mask, out=removed)
        np.logical_not(removed, out=allowed[r0:r1])
        if len(prep.locked):
            allowed[r0:r1] |= blk.lookup(prep.locked)
    return Scores(
        allowed=allowed,
        score=score,
        weights=dict(prep.weights),
        seconds=time.perf_counter() - started,
        pool=pool,
        rules=rules,
        _prep=prep,
    )
