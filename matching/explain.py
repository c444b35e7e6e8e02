"""Plain words for a pair's score and for an unmatched mentee.

Phrased for whoever reads them (the admin's board, the mentee's suggestions): third person,
no jargon. Topic and language names come from ``Pool.topic_names`` / ``language_names``
when the caller fills them; otherwise the reasons give counts.
"""

from __future__ import annotations

import numpy as np

from matching.pool import FORMAT_IN_PERSON, FORMAT_REMOTE, RULES
from matching.scoring import Scores, flags

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ORDINALS = ("first", "second", "third", "fourth", "fifth")

RULE_WORDS = {
    "same_person": "as the same person",
    "management_chain": "by the management-chain rule",
    "same_department": "by the same-department rule",
    "level_gap": "by the level-gap rule",
    "timezone": "by the time-zone rule",
    "no_shared_language": "by the shared-language rule",
    "admin_excluded": "by an admin",
    "matched_before": "as matched in an earlier cohort",
}
RULE_NAMES = {
    "same_person": "same-person rule",
    "management_chain": "management-chain rule",
    "same_department": "same-department rule",
    "level_gap": "level-gap rule",
    "timezone": "time-zone rule",
    "no_shared_language": "shared-language rule",
    "admin_excluded": "admin's exclusion",
    "matched_before": "no-repeats rule",
}


def _plural(noun: str) -> str:
    return "people" if noun == "person" else f"{noun}s"


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {_plural(noun)}"


def _levels(k: int) -> str:
    word = NUMBER_WORDS[k] if k < len(NUMBER_WORDS) else str(k)
    return f"{word.capitalize()} level" + ("" if k == 1 else "s")


def _names(names: list[str], flags: np.ndarray) -> list[str]:
    if not names:
        return []
    return [names[t] for t in np.flatnonzero(flags) if t < len(names)]


def pair_reasons(
    scores: Scores, rows: np.ndarray, cols: np.ndarray, *, peer: bool = False
) -> list[list[str]]:
    """Reasons for each pair (rows[k], cols[k]), the criterion earning most points first.
    Only criteria that earn points are named. ``peer``: orientation-free wording."""
    pool = scores.pool
    prep = scores._prep
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if not len(rows):
        return []
    blk = prep.pairs(rows, cols)
    points = prep.points(blk)
    if peer:  # symmetric: average both directions, as the peer score does
        back = prep.points(prep.pairs(cols, rows))
        points = {c: (points[c] + back[c]) / 2 for c in points}
    sought = flags(pool.mentee_sought, pool.n_mentees)
    offered = flags(pool.mentor_offered, pool.n_mentors)
    shared_topics = sought[rows] & offered[cols]
    if peer:
        shared_topics |= sought[cols] & offered[rows]
    la = flags(pool.mentee_languages, pool.n_mentees)
    lb = flags(pool.mentor_languages, pool.n_mentors)
    shared_langs = la[rows] & lb[cols]
    diff = prep.level_b[cols] - prep.level_a[rows]
    hours = prep.hours_apart(blk)
    fit = prep.format_fit(blk)
    fa, fb = prep.format_a[rows], prep.format_b[cols]
    topic_names = list(pool.topic_names)
    language_names = list(pool.language_names)

    out = []
    for k in range(len(rows)):
        i, j = int(rows[k]), int(cols[k])
        said: list[tuple[float, str]] = []
        for c, pts in points.items():
            p = float(pts[k])
            if p <= 0:
                continue
            if c == "topics":
                s, t = int(shared_topics[k].sum()), int(prep.n_sought[i])
                named = _names(topic_names, shared_topics[k])
                if peer:
                    text = f"Matching interests in {_count(s, 'topic')}"
                elif s == t:
                    text = "Offers the topic sought" if t == 1 else f"Offers all {t} topics sought"
                else:
                    text = f"Offers {s} of the {t} topics sought"
                text += f": {', '.join(named)}" if named else ""
            elif c == "seniority":
                d = round(float(diff[k]))
                if d == 0:
                    text = "Same level"
                elif peer:
                    text = f"{_levels(abs(d))} apart"
                else:
                    text = f"{_levels(abs(d))} more {'senior' if d > 0 else 'junior'}"
            elif c == "cross_department":
                text = "Different department"
            elif c == "language":
                named = _names(language_names, shared_langs[k])
                text = f"Both speak {' and '.join(named)}" if named else "Shares a language"
            elif c == "timezone":
                h = float(hours[k])
                text = "Same time zone" if h == 0 else f"{h:g} hour{'s' * (h != 1)} apart"
            elif c == "format":
                if fa[k] == fb[k] == FORMAT_REMOTE:
                    text = "Both prefer remote"
                elif fa[k] == fb[k] == FORMAT_IN_PERSON:
                    text = "Both prefer in person, same location"
                elif fit[k] & 2:
                    text = "Can meet in person: same location"
                else:
                    text = "Can meet remotely"
            else:  # mentee_ranking
                ranked = pool.rankings.get(i, [])
                pos = ranked.index(j) if j in ranked else 0
                nth = ORDINALS[pos] if pos < len(ORDINALS) else f"number {pos + 1}"
                text = f"The mentee's {nth} choice"
            said.append((p, text))
        said.sort(key=lambda x: -x[0])
        out.append([text for _, text in said])
    return out


def locked_note(broken: list[str]) -> str:
    if not broken:
        return "Locked by an admin"
    rules = ", ".join(RULE_NAMES[r] for r in broken)
    return f"Locked by an admin despite the {rules}"


def unmatched_reason(
    excluded: dict[str, int],
    compatible: int,
    full: int,
    offering: int,
    seeks_topics: bool,
    *,
    noun: str = "mentor",
    full_words: str = "full",
) -> str:
    """E.g. "12 mentors excluded by the same-department rule, 3 by the time-zone rule;
    the 4 compatible mentors are full"."""
    excluded = {rule: int(excluded.get(rule, 0)) for rule in RULES}
    if compatible == 0:
        total = sum(excluded.values())
        if not total:
            return "No one else in the pool" if noun == "person" else f"No {noun}s in the pool"
        if total == 1:
            rule = next(r for r, k in excluded.items() if k)
            return f"The only {noun} is excluded {RULE_WORDS[rule]}"
        listed = ", ".join(f"{k} {RULE_WORDS[r]}" for r, k in excluded.items() if k)
        return f"All {total} {_plural(noun)} excluded: {listed}"
    parts = []
    for rule, k in excluded.items():
        if k:
            head = f"{_count(k, noun)} excluded " if not parts else f"{k} "
            parts.append(head + RULE_WORDS[rule])
    if compatible == 1:
        tail = f"the only compatible {noun} is {full_words}"
    elif full == compatible:
        tail = f"the {compatible} compatible {_plural(noun)} are {full_words}"
    else:
        tail = f"{full} of the {compatible} compatible {_plural(noun)} are {full_words}"
    if seeks_topics and offering == 0:
        tail += ", and none of them offers a topic sought"
    if not parts:
        return tail[0].upper() + tail[1:]
    return f"{', '.join(parts)}; {tail}"
