"""Matching's notification kinds: a match published, and the self-select requests.

Event notices, recorded by the services inside their transactions: ``match_published`` (each
member, by ``matches_publish``), ``mentor_request_received`` (the mentor, when a request is
put in front of them), ``mentor_request_answered`` (the mentee: accepted, declined or
expired; the period is the outcome). One reminder found by a scan: ``mentor_request_waiting``
(the mentor, once per request still unanswered some days after it reached them, at 09:00
their time, before it expires).

Emails are built at send time from the rows as they are then; links into the pair's workspace
are reversed by URL name (matching does not import goals).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Value
from django.urls import reverse
from django.utils import timezone

from matching.models import Match, MentorRequest
from matching.requests import (
    ANSWERED,
    MENTOR_DECLINED,
    NO_PLACE_LEFT,
    NOT_ANSWERED,
    REQUEST_ANSWERED,
    REQUEST_RECEIVED,
    REQUEST_WAITING,
    local_time,
)
from matching.services import MATCH_PUBLISHED
from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import (
    Due,
    Email,
    Kind,
    add_days,
    local_moment,
    local_today,
    register,
)
from programs.models import Enrollment
from programs.notifications import offers_mentoring

DAY = timedelta(days=1)


def _meeting_url(match_id: int) -> str:
    """Where the pair books a meeting (the goals app's page, by name)."""
    return absolute_url(reverse("goals:meeting_new", kwargs={"pk": match_id}))


def _pair_url(match_id: int) -> str:
    return absolute_url(reverse("goals:pair", kwargs={"pk": match_id}))


# --- Match published (event) ------------------------------------------------------------------


def build_match_published(notification: Notification) -> Email | None:
    match = (
        Match.objects.select_related("cohort__program", "mentee__person", "mentor__person")
        .prefetch_related(
            "mentee__topics_offered",
            "mentee__topics_sought",
            "mentor__topics_offered",
            "mentor__topics_sought",
        )
        .filter(pk=notification.subject_id, status=Match.Status.ACTIVE)
        .first()
    )
    if match is None:
        return None  # ended before the email went out
    if notification.recipient_id == match.mentee.person_id:
        me, other = match.mentee, match.mentor
    elif notification.recipient_id == match.mentor.person_id:
        me, other = match.mentor, match.mentee
    else:
        return None
    # The other's profile as the intake shares it: what they offer (or seek), how they like to
    # meet, their languages and bio. Never their goals text: that stays on the site.
    offers = [t.name for t in other.topics_offered.all()] if other.offers_mentoring else []
    seeks = [t.name for t in other.topics_sought.all()] if other.seeks_mentoring else []
    return Email(
        "matching/email/published",
        {
            "match": match,
            "me": me,
            "other": other,
            "cohort": match.cohort,
            "program": match.cohort.program,
            "other_offers": offers,
            "other_seeks": seeks,
            "meeting_url": _meeting_url(match.pk),
            "pair_url": _pair_url(match.pk),
        },
    )


# --- A request reaches the mentor (event) -----------------------------------------------------


def _request(notification: Notification) -> MentorRequest | None:
    return (
        MentorRequest.objects.select_related("cohort__program", "mentee__person", "mentor__person")
        .prefetch_related("mentee__topics_sought")
        .filter(pk=notification.subject_id)
        .first()
    )


def _incoming_url(req: MentorRequest) -> str:
    return absolute_url(reverse("requests:incoming", kwargs={"pk": req.mentor_id}))


def build_request_received(notification: Notification) -> Email | None:
    req = _request(notification)
    if req is None or req.status != MentorRequest.Status.PENDING:
        return None  # answered or withdrawn before the email went out
    if req.mentor.person_id != notification.recipient_id:
        return None
    return Email(
        "matching/email/request_received",
        {
            "req": req,
            "mentee": req.mentee,
            "mentor": req.mentor,
            "cohort": req.cohort,
            "program": req.cohort.program,
            "topics": [t.name for t in req.mentee.topics_sought.all()],
            "expires": local_time(req.expires_at, req.mentor.person.timezone),
            "incoming_url": _incoming_url(req),
        },
    )


# --- The mentee hears the outcome (event; period = accepted, declined or expired) ---------------


def build_request_answered(notification: Notification) -> Email | None:
    req = _request(notification)
    if req is None or req.status not in ANSWERED or req.status != notification.period:
        return None
    mentee = req.mentee
    if mentee.person_id != notification.recipient_id:
        return None
    mine = MentorRequest.objects.filter(mentee=mentee).select_related("mentor__person")
    context = {
        "req": req,
        "mentee": mentee,
        "mentor": req.mentor,
        "cohort": req.cohort,
        "program": req.cohort.program,
        "accepted": req.status == MentorRequest.Status.ACCEPTED,
        "what_happened": {
            MENTOR_DECLINED: "was declined",
            NOT_ANSWERED: "expired: they did not answer in time",
            NO_PLACE_LEFT: "was closed: their places are all taken",
        }.get(req.outcome, "was closed"),
        "match_url": absolute_url(reverse("matching:my_match", kwargs={"pk": mentee.pk})),
        "choose_url": absolute_url(reverse("requests:choose", kwargs={"pk": mentee.pk})),
        "has_mentor": Match.objects.filter(mentee=mentee, status=Match.Status.ACTIVE).exists(),
        "next_request": mine.filter(status=MentorRequest.Status.PENDING).first(),
        # Later choices closed in the same step because their mentor had no place left.
        "skipped": list(
            mine.filter(
                status=MentorRequest.Status.DECLINED,
                sent_at__isnull=True,
                decided_at=req.decided_at,
            ).order_by("rank")
        ),
    }
    if context["accepted"] and req.match_id:
        context["meeting_url"] = _meeting_url(req.match_id)
    if context["next_request"]:
        context["next_expires"] = local_time(
            context["next_request"].expires_at, mentee.person.timezone
        )
    return Email("matching/email/request_answered", context)


# --- A request still waiting for the mentor (scan) --------------------------------------------


def request_waiting_moment(req: MentorRequest) -> datetime:
    """09:00 in the mentor's zone, ``request_waiting_days`` after the day it reached them."""
    tz = req.mentor.person.timezone
    day = add_days(local_today(req.sent_at, tz), req.cohort.request_waiting_days)
    return local_moment(day, tz)


def scan_request_waiting(now: datetime) -> Iterator[Due]:
    # 09:00 on the Nth local day falls between N days - 15 hours and N days + 9 hours after
    # the request reached the mentor: a day's margin finds them all.
    due_from = ExpressionWrapper(
        F("sent_at") + F("cohort__request_waiting_days") * Value(DAY),
        output_field=DateTimeField(),
    )
    recorded = Notification.objects.filter(
        kind=REQUEST_WAITING,
        recipient_id=OuterRef("mentor__person_id"),
        subject_id=OuterRef("pk"),
    )
    waiting = (
        MentorRequest.objects.filter(
            status=MentorRequest.Status.PENDING,
            sent_at__isnull=False,
            expires_at__gt=now,
            cohort__reminders_enabled=True,
            mentor__status=Enrollment.Status.ACCEPTED,
            mentor__person__is_active=True,
        )
        .alias(due_from=due_from)
        .filter(due_from__lte=now + DAY)
        .exclude(Exists(recorded))
        .select_related("cohort", "mentor__person")
    )
    for req in waiting.iterator(chunk_size=2000):
        moment = request_waiting_moment(req)
        if moment <= now:  # and before it expires (in the query)
            yield Due(REQUEST_WAITING, req.mentor.person_id, req.pk, "", moment)


def build_request_waiting(notification: Notification) -> Email | None:
    req = _request(notification)
    if (
        req is None
        or req.status != MentorRequest.Status.PENDING
        or req.expires_at <= timezone.now()
        or not req.cohort.reminders_enabled
        or req.mentor.person_id != notification.recipient_id
    ):
        return None
    tz = req.mentor.person.timezone
    return Email(
        "matching/email/mentor_request_waiting",
        {
            "req": req,
            "mentee": req.mentee,
            "mentor": req.mentor,
            "cohort": req.cohort,
            "program": req.cohort.program,
            "asked_on": local_today(req.sent_at, tz),
            "expires": local_time(req.expires_at, tz),
            "incoming_url": _incoming_url(req),
        },
    )


register(
    Kind(
        name=MATCH_PUBLISHED,
        label="Matches published",
        description="When the program admin publishes your match, with the other person's "
        "profile and a link to book your first meeting.",
        audience="participants",
        build=build_match_published,
    )
)
register(
    Kind(
        name=REQUEST_RECEIVED,
        label="Mentor requests",
        description="When a mentee asks you to be their mentor (self-select cohorts).",
        audience="mentors",
        shown_to=offers_mentoring,
        build=build_request_received,
    )
)
register(
    Kind(
        name=REQUEST_ANSWERED,
        label="Answers to your mentor requests",
        description="When a mentor you asked accepts or declines, or the request expires.",
        audience="participants",
        build=build_request_answered,
    )
)
register(
    Kind(
        name=REQUEST_WAITING,
        label="Mentor requests waiting",
        description="2 days after a mentee's request reached you, if you have not answered it yet.",
        audience="mentors",
        shown_to=offers_mentoring,
        build=build_request_waiting,
        scan=scan_request_waiting,
    )
)
