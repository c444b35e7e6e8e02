"""How SMART a goal draft is: plain-words findings for the form, before anything is saved.

``assess(draft, today=...)`` is a pure function: no database, no request. Each finding names
the SMART part it concerns, the form field to fix and a message for the mentee. A ``missing``
finding blocks sending the goal to the mentor; a ``weak`` one is advice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

SPECIFIC = "Specific"
MEASURABLE = "Measurable"
ACHIEVABLE = "Achievable"
RELEVANT = "Relevant"
TIME_BOUND = "Time-bound"
PARTS = (SPECIFIC, MEASURABLE, ACHIEVABLE, RELEVANT, TIME_BOUND)

MISSING = "missing"
WEAK = "weak"

METRIC = "metric"
MILESTONES = "milestones"

# Verbs that say a direction but not what will be different; fine with a measure, vague alone.
VAGUE_PHRASES = (
    "improve",
    "get better at",
    "get better",
    "become better",
    "be better",
    "be more",
    "learn more",
    "learn about",
    "know more",
    "work on",
    "focus on",
    "understand",
    "try to",
)
_VAGUE = re.compile(
    r"\b(" + "|".join(re.escape(p) for p in VAGUE_PHRASES) + r")\b", flags=re.IGNORECASE
)

# A target more than this many times the distance of the baseline from zero is worth a second look.
FAR_TARGET_FACTOR = 10
MIN_TITLE_WORDS = 3
MIN_RELEVANCE_WORDS = 4
MAX_MILESTONES = 12


def human_date(value: date) -> str:
    """2 Jun 2027."""
    return f"{value.day} {value:%b %Y}"


@dataclass(frozen=True)
class MilestoneLine:
    title: str
    due_on: date | None = None


@dataclass(frozen=True)
class GoalDraft:
    title: str = ""
    description: str = ""
    measure_kind: str = METRIC
    metric_unit: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    milestones: Sequence[MilestoneLine] = field(default_factory=tuple)
    relevance: str = ""
    due_on: date | None = None
    no_due_reason: str = ""
    cohort_starts_on: date | None = None
    cohort_ends_on: date | None = None

    @property
    def has_measure(self) -> bool:
        if self.measure_kind == MILESTONES:
            return bool(self.milestones)
        return (
            self.baseline is not None and self.target is not None and self.baseline != self.target
        )


@dataclass(frozen=True)
class Finding:
    part: str
    level: str
    field: str
    message: str

    @property
    def blocks(self) -> bool:
        return self.level == MISSING


def _words(text: str) -> int:
    return len(text.split())


def _specific(d: GoalDraft) -> list[Finding]:
    title = d.title.strip()
    if not title:
        return [
            Finding(
                SPECIFIC,
                MISSING,
                "title",
                "Say what you will do, in a few words "
                "(for example “Give three talks at the engineering all-hands”).",
            )
        ]
    found = []
    vague = _VAGUE.search(title)
    if vague and not d.has_measure:
        found.append(
            Finding(
                SPECIFIC,
                WEAK,
                "title",
                f"“{vague.group(0).capitalize()}” on its own does not say what will be different. "
                "Say what you will do, or add a measure below.",
            )
        )
    elif _words(title) < MIN_TITLE_WORDS:
        found.append(
            Finding(
                SPECIFIC,
                WEAK,
                "title",
                "The title is very short: say what you will do and about what.",
            )
        )
    return found


def _measurable(d: GoalDraft) -> list[Finding]:
    if d.measure_kind == MILESTONES:
        if not d.milestones:
            return [
                Finding(
                    MEASURABLE,
                    MISSING,
                    "milestones",
                    "No measurable target: add the milestones you will tick off, one per line.",
                )
            ]
        if len(d.milestones) == 1:
            return [
                Finding(
                    MEASURABLE,
                    WEAK,
                    "milestones",
                    "A single milestone shows no progress until the end: split it into steps.",
                )
            ]
        return []
    found = []
    if d.baseline is None:
        found.append(
            Finding(
                MEASURABLE,
                MISSING,
                "baseline",
                "No measurable target: say where you start from (the baseline, e.g. 0).",
            )
        )
    if d.target is None:
        found.append(
            Finding(
                MEASURABLE,
                MISSING,
                "target",
                "No measurable target: say the number you aim to reach.",
            )
        )
    elif d.baseline is not None and d.target == d.baseline:
        found.append(
            Finding(
                MEASURABLE,
                MISSING,
                "target",
                "The target is the same as the baseline, so nothing would change.",
            )
        )
    if not d.metric_unit.strip():
        found.append(
            Finding(
                MEASURABLE,
                WEAK,
                "metric_unit",
                "Say what the number counts (talks, hours, %, certifications…).",
            )
        )
    return found


def _achievable(d: GoalDraft) -> list[Finding]:
    found = []
    if d.measure_kind == METRIC and d.baseline is not None and d.target is not None:
        reference = max(abs(d.baseline), Decimal(1))
        if abs(d.target - d.baseline) > FAR_TARGET_FACTOR * reference:
            found.append(
                Finding(
                    ACHIEVABLE,
                    WEAK,
                    "target",
                    "The target is far from where you start. Is it within reach in the time "
                    "you have? A smaller first target can be raised later.",
                )
            )
        if d.metric_unit.strip() == "%" and not (0 <= d.target <= 100):
            found.append(
                Finding(ACHIEVABLE, WEAK, "target", "A percentage target is usually 0 to 100.")
            )
    if d.measure_kind == MILESTONES and len(d.milestones) > MAX_MILESTONES:
        found.append(
            Finding(
                ACHIEVABLE,
                WEAK,
                "milestones",
                f"{len(d.milestones)} milestones is a lot for one goal: "
                "consider splitting it into two goals.",
            )
        )
    return found


def _relevant(d: GoalDraft) -> list[Finding]:
    relevance = d.relevance.strip()
    if not relevance:
        return [
            Finding(
                RELEVANT,
                MISSING,
                "relevance",
                "Say why this goal matters for your career: your mentor uses it to help you.",
            )
        ]
    if _words(relevance) < MIN_RELEVANCE_WORDS:
        return [
            Finding(
                RELEVANT,
                WEAK,
                "relevance",
                "Say a little more about why it matters (which role, skill or next step it "
                "leads to).",
            )
        ]
    return []


def _time_bound(d: GoalDraft, today: date) -> list[Finding]:
    reason = d.no_due_reason.strip()
    ends = d.cohort_ends_on
    if d.due_on is None:
        if reason:
            return []
        return [
            Finding(
                TIME_BOUND,
                MISSING,
                "due_on",
                "No due date: give one"
                + (f" before the cohort ends on {human_date(ends)}" if ends else "")
                + ", or say why this goal has none.",
            )
        ]
    found = []
    if d.due_on < today:
        found.append(
            Finding(
                TIME_BOUND,
                MISSING,
                "due_on",
                f"The due date {human_date(d.due_on)} has already passed.",
            )
        )
    elif ends and d.due_on > ends:
        found.append(
            Finding(
                TIME_BOUND,
                WEAK if reason else MISSING,
                "due_on",
                f"The due date is after the cohort ends on {human_date(ends)}. "
                + (
                    "You gave a reason; your mentor will see it."
                    if reason
                    else "Choose an earlier date, or say why below."
                ),
            )
        )
    elif d.cohort_starts_on and d.due_on < d.cohort_starts_on:
        found.append(
            Finding(
                TIME_BOUND,
                WEAK,
                "due_on",
                f"The due date is before the cohort starts on {human_date(d.cohort_starts_on)}.",
            )
        )
    late = [m for m in d.milestones if m.due_on and m.due_on > d.due_on]
    if d.measure_kind == MILESTONES and late:
        found.append(
            Finding(
                TIME_BOUND,
                WEAK,
                "milestones",
                f"{len(late)} milestone{'s are' if len(late) > 1 else ' is'} due after the goal "
                f"itself ({human_date(d.due_on)}).",
            )
        )
    return found


def assess(draft: GoalDraft, *, today: date) -> list[Finding]:
    """Findings in SMART order: what is missing (blocks sending) and what is weak (advice)."""
    return [
        *_specific(draft),
        *_measurable(draft),
        *_achievable(draft),
        *_relevant(draft),
        *_time_bound(draft, today),
    ]


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]


@dataclass(frozen=True)
class PartSummary:
    part: str
    level: str  # "ok", "weak" or "missing"
    findings: tuple[Finding, ...]


def summarise(findings: Sequence[Finding]) -> list[PartSummary]:
    """One line per SMART part with its worst level, for the feedback panel."""
    out = []
    for part in PARTS:
        mine = tuple(f for f in findings if f.part == part)
        if any(f.level == MISSING for f in mine):
            level = MISSING
        elif mine:
            level = WEAK
        else:
            level = "ok"
        out.append(PartSummary(part=part, level=level, findings=mine))
    return out
