"""What the matching engine takes and gives: plain arrays, no Django.

The Django side (matching/services.py) loads a cohort into a ``Pool``; the engine
(matching/engine.py) scores every allowed (mentee, mentor) pair vectorised, removes pairs that
break a hard rule, and solves exactly: the most mentees matched, then the highest total score,
within each mentor's capacity, keeping locked pairs. Indices below are positions in the
mentee and mentor arrays, not database ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Codes for Pool.*_format.
FORMAT_UNKNOWN, FORMAT_EITHER, FORMAT_IN_PERSON, FORMAT_REMOTE = -1, 0, 1, 2

CRITERIA = (
    "topics",
    "seniority",
    "cross_department",
    "language",
    "timezone",
    "format",
    "mentee_ranking",
)

# Hard rules, as named in Scores.excluded_by and MatchResult.unmatched reasons.
RULES = (
    "same_person",
    "management_chain",
    "same_department",
    "level_gap",
    "timezone",
    "no_shared_language",
    "admin_excluded",
    "matched_before",
)


@dataclass
class Pool:
    """Mentees (n) and mentors (m) of one cohort. In peer programs, pass the same people as
    both mentees and mentors (the engine pairs them among themselves: see engine.match_peers).

    Per-person attributes are arrays of length n (mentee_*) or m (mentor_*). Unknowns: level
    and utc_offset NaN, department/location code -1, format FORMAT_UNKNOWN.
    """

    mentee_ids: np.ndarray  # int64: enrollment ids, for the caller
    mentor_ids: np.ndarray
    mentee_person: np.ndarray  # int64: person (user) ids, for the same-person rule
    mentor_person: np.ndarray
    capacity: np.ndarray  # int: each mentor's capacity (group size in group programs)
    mentee_level: np.ndarray  # float
    mentor_level: np.ndarray
    mentee_department: np.ndarray  # int codes
    mentor_department: np.ndarray
    mentee_location: np.ndarray  # int codes
    mentor_location: np.ndarray
    mentee_utc_offset: np.ndarray  # float hours, e.g. 1.0 for Europe/Berlin in winter
    mentor_utc_offset: np.ndarray
    mentee_format: np.ndarray  # FORMAT_* codes
    mentor_format: np.ndarray
    mentee_sought: np.ndarray  # bool (n, T): topics the mentee seeks
    mentor_offered: np.ndarray  # bool (m, T): topics the mentor offers
    mentee_languages: np.ndarray  # bool (n, L)
    mentor_languages: np.ndarray  # bool (m, L)
    # Pairs (mentee_idx, mentor_idx) where one is in the other's management chain, any level.
    chain_pairs: list[tuple[int, int]] = field(default_factory=list)
    # Pairs already matched in an earlier cohort of the program.
    previous_pairs: list[tuple[int, int]] = field(default_factory=list)
    # Admin decisions: pairs never to propose, pairs to keep whatever happens.
    excluded_pairs: list[tuple[int, int]] = field(default_factory=list)
    locked_pairs: list[tuple[int, int]] = field(default_factory=list)
    # Self-select mode: mentee_idx -> mentor indices in the mentee's order of preference.
    rankings: dict[int, list[int]] = field(default_factory=dict)
    # Optional labels for the reasons ("Offers 2 of the 3 topics sought: System design, ...");
    # one per column of the topic and language arrays. Empty: reasons give counts.
    topic_names: list[str] = field(default_factory=list)
    language_names: list[str] = field(default_factory=list)

    @property
    def n_mentees(self) -> int:
        return len(self.mentee_ids)

    @property
    def n_mentors(self) -> int:
        return len(self.mentor_ids)


@dataclass(frozen=True)
class Rules:
    exclude_same_department: bool = False
    exclude_management_chain: bool = True
    min_level_gap: int = 0  # mentor at least this many levels above (below, if reverse)
    max_timezone_diff_hours: int | None = None
    require_shared_language: bool = True
    allow_repeats: bool = False
    reverse: bool = False  # reverse mentoring: juniors mentor seniors
    preferred_level_gap: int = 2  # the seniority criterion scores best at this gap


@dataclass(frozen=True)
class Weights:
    """0..10 each; the score is the weighted mean of the criteria, scaled to 0..100."""

    topics: int = 5
    seniority: int = 2
    cross_department: int = 1
    language: int = 3
    timezone: int = 2
    format: int = 1
    mentee_ranking: int = 3


@dataclass
class Proposal:
    mentee: int  # index
    mentor: int  # index
    score: float  # 0..100
    breakdown: dict[str, float]  # criterion -> points contributed (they sum to score)
    locked: bool = False
    reasons: list[str] = field(default_factory=list)  # plain words, best first


@dataclass
class MatchResult:
    proposals: list[Proposal]
    unmatched: dict[int, str]  # mentee index -> why, in plain words
    optimal: str  # "global", or "candidate graph" when the pool was pruned
    stats: dict[str, float]  # match_rate, total_score, mean_score, worst_score, seconds, ...
    mentor_load: np.ndarray  # int (m,): mentees assigned to each mentor
