"""Reads for meetings, check-ins and reviews, each a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

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

    The rules as a queryset: the inbox page reads the same check-ins in one fixed statement
    (``goals.selectors.inbox``), held equal to this by its tests.

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
