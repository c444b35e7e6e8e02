"""Pair health, derived from the pair's records and never stored.

The rhythm is the agreed cadence (the latest agreement both confirmed, else the cohort's):

- **inactive**: no meeting for more than twice the cadence and none booked (the pair is at risk);
- **overdue**: no meeting for more than the cadence and none booked;
- **due**: a meeting is due within two days and none is booked, or something waits on the pair:
  a past meeting without its check-in, a check-in unreviewed for more than three days, an overdue
  milestone of an agreed goal;
- **on track**: otherwise.

A pair that has booked its next meeting is never worse than overdue, and only overdue when even
the booking leaves more than twice the cadence since the last meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Health(StrEnum):
    ON_TRACK = "on_track"
    DUE = "due"
    OVERDUE = "overdue"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return {
            "on_track": "On track",
            "due": "Due",
            "overdue": "Overdue",
            "inactive": "Inactive",
        }[self.value]

    @property
    def rank(self) -> int:
        """Sort key: the pairs most at risk first."""
        return {"inactive": 0, "overdue": 1, "due": 2, "on_track": 3}[self.value]

    @property
    def at_risk(self) -> bool:
        return self in (Health.OVERDUE, Health.INACTIVE)


# A check-in waiting longer than this for the mentor's review makes the pair "due".
REVIEW_WAIT_DAYS = 3
# A meeting due within this many days with nothing booked makes the pair "due".
DUE_SOON_DAYS = 2


@dataclass(frozen=True)
class HealthReport:
    state: Health
    days_since_meeting: int
    cadence_days: int
    reasons: list[str] = field(default_factory=list)


def pair_health(
    *,
    today: date,
    started_on: date,
    cadence_days: int,
    last_met_on: date | None,
    next_meeting_on: date | None,
    missing_check_ins: int = 0,
    waiting_reviews: int = 0,
    overdue_milestones: int = 0,
) -> HealthReport:
    since = last_met_on or started_on
    days = max(0, (today - since).days)
    met = (
        "since the last meeting" if last_met_on else "since the match started, with no meeting yet"
    )
    reasons: list[str] = []
    if next_meeting_on is not None:
        gap = (next_meeting_on - since).days
        if gap > 2 * cadence_days:
            state = Health.OVERDUE
            reasons.append(
                f"The next meeting ({next_meeting_on:%-d %b}) leaves {gap} days between meetings, "
                f"more than twice the {cadence_days}-day rhythm."
            )
        else:
            state = Health.ON_TRACK
    elif days > 2 * cadence_days:
        state = Health.INACTIVE
        reasons.append(f"{days} days {met}, more than twice the {cadence_days}-day rhythm.")
    elif days > cadence_days:
        state = Health.OVERDUE
        reasons.append(f"{days} days {met}; the rhythm is every {cadence_days} days.")
    elif days >= cadence_days - DUE_SOON_DAYS:
        state = Health.DUE
        reasons.append(f"A meeting is due: {days} days {met}, nothing booked.")
    else:
        state = Health.ON_TRACK
    if missing_check_ins:
        reasons.append(
            f"{missing_check_ins} past meeting{'s' if missing_check_ins != 1 else ''} "
            "without a check-in."
        )
    if waiting_reviews:
        reasons.append(
            f"{waiting_reviews} check-in{'s' if waiting_reviews != 1 else ''} waiting more than "
            f"{REVIEW_WAIT_DAYS} days for review."
        )
    if overdue_milestones:
        reasons.append(
            f"{overdue_milestones} milestone{'s' if overdue_milestones != 1 else ''} overdue."
        )
    if state == Health.ON_TRACK and (missing_check_ins or waiting_reviews or overdue_milestones):
        state = Health.DUE
    return HealthReport(
        state=state, days_since_meeting=days, cadence_days=cadence_days, reasons=reasons
    )
