from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from matching.models import Match, MatchRun, MentorRequest, PairRule
from programs.models import Cohort, Enrollment

PERSON = ("person",)


@dataclass
class Board:
    run: MatchRun | None
    proposals: list[Match]
    active: list[Match]
    ended: list[Match]
    unmatched: list[tuple[Enrollment, str]]
    locked: set[tuple[int, int]]
    excluded: list[PairRule]
    running: bool
    # Self-select accepts that replaced a draft since the latest run (cohorts matched both ways).
    replaced: list[MentorRequest]


def cohort_board(cohort: Cohort) -> Board:
    """Everything the matching board shows, in a fixed number of queries."""
    runs = list(MatchRun.objects.filter(cohort=cohort).order_by("-created_at", "-id")[:2])
    running = bool(runs) and runs[0].status == MatchRun.Status.RUNNING
    done = next((r for r in runs if r.status != MatchRun.Status.RUNNING), None)
    matches = list(
        Match.objects.filter(cohort=cohort)
        .select_related("mentee__person", "mentor__person", "ended_by")
        .order_by("-score", "id")
    )
    unmatched: list[tuple[Enrollment, str]] = []
    if done and done.unmatched:
        people = Enrollment.objects.filter(pk__in=[int(k) for k in done.unmatched]).select_related(
            "person"
        )
        unmatched = sorted(
            ((e, done.unmatched[str(e.pk)]) for e in people),
            key=lambda item: (item[0].person.last_name, item[0].person.first_name),
        )
    rules = list(
        PairRule.objects.filter(cohort=cohort).select_related("mentee__person", "mentor__person")
    )
    locked = {(r.mentee_id, r.mentor_id) for r in rules if r.kind == PairRule.Kind.LOCK}
    for match in matches:
        match.is_locked = (match.mentee_id, match.mentor_id) in locked
    replaced = MentorRequest.objects.filter(
        cohort=cohort,
        status=MentorRequest.Status.ACCEPTED,
        replaced_draft_mentor__isnull=False,
    ).select_related("mentee__person", "mentor__person", "replaced_draft_mentor__person")
    if runs:
        # A later run already planned around these matches.
        replaced = replaced.filter(decided_at__gte=runs[0].created_at)
    return Board(
        run=done,
        proposals=[m for m in matches if m.status == Match.Status.PROPOSED],
        active=[m for m in matches if m.status == Match.Status.ACTIVE],
        ended=sorted(
            (m for m in matches if m.status == Match.Status.ENDED),
            key=lambda m: m.ended_at,
            reverse=True,
        ),
        unmatched=unmatched,
        locked=locked,
        excluded=[r for r in rules if r.kind == PairRule.Kind.EXCLUDE],
        running=running,
        replaced=list(replaced.order_by("-decided_at", "-pk")),
    )


# --- Self-select requests, for the cohort's admins -------------------------------------------

REQUEST_FILTERS = {
    "open": "Open (pending or waiting)",
    **dict(MentorRequest.Status.choices),
}


@dataclass
class MenteeRequests:
    mentee: Enrollment
    requests: list[MentorRequest]


def _requests_with_status(cohort: Cohort, status: str) -> QuerySet[MentorRequest]:
    rows = MentorRequest.objects.filter(cohort=cohort)
    if status == "open":
        return rows.filter(status__in=MentorRequest.OPEN)
    if status:
        return rows.filter(status=status)
    return rows


def cohort_request_counts(cohort: Cohort) -> dict[str, int]:
    """How many of the cohort's requests are in each status (one query), plus ``open``."""
    counts = dict(
        MentorRequest.objects.filter(cohort=cohort)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts["open"] = sum(counts.get(s, 0) for s in MentorRequest.OPEN)
    counts["all"] = sum(n for s, n in counts.items() if s != "open")
    return counts


def cohort_request_mentees(cohort: Cohort, *, status: str = "") -> QuerySet[Enrollment]:
    """The mentees with a request in ``status`` ("" for any, "open"), by name: a page of
    them is what the admin's requests page shows."""
    return (
        Enrollment.objects.filter(pk__in=_requests_with_status(cohort, status).values("mentee_id"))
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "pk")
    )


def mentee_request_groups(
    cohort: Cohort, mentees: list[Enrollment], *, status: str = ""
) -> list[MenteeRequests]:
    """Each mentee's requests in ``status``: open ones by rank, then the closed ones, newest
    first. One query whatever the number of mentees."""
    rows = (
        _requests_with_status(cohort, status)
        .filter(mentee__in=mentees)
        .select_related("mentor__person", "replaced_draft_mentor__person")
    )
    by_mentee: dict[int, list[MentorRequest]] = {m.pk: [] for m in mentees}
    for row in rows:
        by_mentee[row.mentee_id].append(row)
    groups = []
    for mentee in mentees:
        mine = by_mentee[mentee.pk]
        open_ = sorted((r for r in mine if r.status in MentorRequest.OPEN), key=lambda r: r.rank)
        closed = sorted(
            (r for r in mine if r.status not in MentorRequest.OPEN),
            key=lambda r: (r.decided_at or r.created_at, r.pk),
            reverse=True,
        )
        groups.append(MenteeRequests(mentee=mentee, requests=open_ + closed))
    return groups
