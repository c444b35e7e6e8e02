"""Reads for meetings, check-ins and reviews, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.timesince import timesince

from goals.access import member_matches
from goals.models import CheckIn, Meeting
from matching.models import Match
from programs.models import Enrollment, Program

# Cancelled meetings stay in a person's feed this long, marked cancelled, so calendars that
# subscribed remove them instead of keeping a stale event.
FEED_CANCELLED_DAYS = 30
# How far back the feed reaches.
FEED_PAST_DAYS = 366


def meetings_for_pair(match: Match) -> QuerySet[Meeting]:
    """The pair's meetings, newest first, each with its check-in and ``is_upcoming`` (one
    query)."""
    return (
        match.meetings.select_related("check_in", "organizer")
        .annotate(
            is_upcoming=ExpressionWrapper(Q(starts_at__gt=Now()), output_field=BooleanField())
        )
        .order_by("-starts_at", "-id")
    )


def meeting_in_pair(match: Match, meeting_pk: int) -> Meeting:
    """One meeting of the pair (``Meeting.DoesNotExist`` for any other), with what its page
    shows."""
    return (
        Meeting.objects.select_related("check_in__reviewed_by", "organizer", "cancelled_by")
        .filter(match=match)
        .get(pk=meeting_pk)
    )


def review_inbox(user) -> QuerySet[CheckIn]:
    """Check-ins waiting for ``user``'s review across their active pairs, oldest first.

    In one-to-one programs the mentor reviews; in peer programs the peer who did not write
    the check-in. The author never reviews their own. Two queries (the pairs, then the lazy
    queryset of check-ins), whatever the number.
    """
    if not user.is_authenticated:
        return CheckIn.objects.none()
    # The person's pairs first (a few ids, found from their own enrollments by index), then
    # their check-ins: one query filtering on the person through the joins of every active
    # pair made PostgreSQL read all of them, and so would a subquery (it cannot know how few).
    mine = Enrollment.objects.filter(person=user).values("pk")
    reviews = list(
        Match.objects.filter(status=Match.Status.ACTIVE)
        .filter(Q(mentor__in=mine) | Q(mentee__in=mine, cohort__program__kind=Program.Kind.PEER))
        .values_list("pk", flat=True)
    )
    return (
        CheckIn.objects.filter(match__in=reviews, reviewed_at__isnull=True)
        .exclude(author=user)
        # What the inbox shows: the author, the meeting, the program and cohort (the pair's
        # two people are the author and the viewer, so they are not joined again).
        .select_related("meeting", "author", "match__cohort__program")
        .only(
            # Figures and names only: the inbox never shows check-in text.
            "id",
            "submitted_at",
            "usefulness",
            "author__first_name",
            "author__last_name",
            "author__email",
            "meeting__id",
            "meeting__starts_at",
            "meeting__timezone",
            "match__id",
            "match__cohort__name",
            "match__cohort__program__name",
            "match__cohort__program__kind",
        )
        .order_by("submitted_at", "id")
    )


@dataclass(frozen=True)
class InboxRow:
    """One check-in of the review inbox as its row prints it, made ready in Python: the
    template's per-row url reversing, time zone conversions, date filters and timesince were
    most of the page's time (41 rows of the bench's mentor: 17-21 -> 14-16 ms of CPU a
    request). Plain values, not six model instances a row (check-in, meeting, author, match,
    cohort, program): the row shows names and figures only."""

    author: str  # the author's full name
    program: str
    cohort: str
    usefulness: int
    url: str  # the meeting's page
    meeting_iso: str  # the meeting's start in the viewer's time zone, ISO 8601
    meeting_on: str  # the same as "Sun 22 Nov 2026"
    waiting: str  # how long since the check-in was written, as "6 days, 3 hours"


def review_inbox_rows(user, *, tz_name: str, now: datetime | None = None) -> list[InboxRow]:
    """``review_inbox(user)`` as rows ready to print, dates in the time zone ``tz_name``."""
    now = now or timezone.now()
    tz = ZoneInfo(tz_name)
    meetings_url: dict[int, str] = {}  # one reverse() a pair, not one a row
    rows = []
    for (
        match_id,
        meeting_id,
        starts_at,
        submitted_at,
        usefulness,
        first_name,
        last_name,
        cohort,
        program,
    ) in review_inbox(user).values_list(
        "match_id",
        "meeting_id",
        "meeting__starts_at",
        "submitted_at",
        "usefulness",
        "author__first_name",
        "author__last_name",
        "match__cohort__name",
        "match__cohort__program__name",
    ):
        if match_id not in meetings_url:
            meetings_url[match_id] = reverse("goals:meeting_list", args=[match_id])
        starts = starts_at.astimezone(tz)
        rows.append(
            InboxRow(
                author=f"{first_name} {last_name}".strip(),  # as User.get_full_name
                program=program,
                cohort=cohort,
                usefulness=usefulness,
                url=f"{meetings_url[match_id]}{meeting_id}/",
                meeting_iso=starts.isoformat(),
                meeting_on=dateformat.format(starts, "D j M Y"),
                waiting=timesince(submitted_at, now),
            )
        )
    return rows


def feed_meetings(user, *, now=None) -> QuerySet[Meeting]:
    """The meetings of a person's calendar feed: scheduled ones across their pairs (future ones
    only while the pair is active), and those cancelled in the last 30 days."""
    now = now or timezone.now()
    pairs = member_matches(user)
    scheduled = Q(status=Meeting.Status.SCHEDULED) & (
        Q(match__status=Match.Status.ACTIVE) | Q(starts_at__lt=now)
    )
    cancelled = Q(
        status=Meeting.Status.CANCELLED,
        cancelled_at__gte=now - timedelta(days=FEED_CANCELLED_DAYS),
    )
    return (
        Meeting.objects.filter(match__in=pairs)
        .filter(scheduled | cancelled)
        .filter(starts_at__gte=now - timedelta(days=FEED_PAST_DAYS))
        .select_related("organizer", "match__mentee__person", "match__mentor__person")
        .order_by("starts_at", "id")
    )
