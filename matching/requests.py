"""Self-select mode: mentees request mentors from their suggestions, mentors accept or decline.

A mentee ranks up to three mentors. Only the first open choice is ``pending`` (in front of the
mentor); the others are ``queued``. A decline or an expiry passes the request to the next
choice, whose answer window starts then. Accepting creates an active ``Match``; the mentor's
Enrollment row is locked while their places are counted, so two accepts racing for a last
place are serialised by the database and exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from matching import engine
from matching.models import Match, MentorRequest
from matching.services import cohort_rules, cohort_weights, pool_load
from mentorship.outbox import notify
from programs.models import Cohort, Enrollment

# Notification kinds (matching/notifications.py): the mentor hears when a request is put in
# front of them (and again if it waits), the mentee when it is accepted, declined or expires.
REQUEST_RECEIVED = "mentor_request_received"
REQUEST_ANSWERED = "mentor_request_answered"
REQUEST_WAITING = "mentor_request_waiting"

SELF_SELECT_MODES = (Cohort.MatchingMode.SELF_SELECT, Cohort.MatchingMode.BOTH)
SUGGESTIONS = 5
OPEN_MATCH = (Match.Status.PROPOSED, Match.Status.ACTIVE)

NO_PLACE_LEFT = "The mentor's places are all taken."
MENTOR_DECLINED = "The mentor declined."
NOT_ANSWERED = "The mentor did not answer in time."


class RequestRefused(Exception):
    """A request action that is not possible now; the message says why."""


class NoPlaceLeft(RequestRefused):
    """The mentor has no place left: another mentee got the last one."""


@dataclass
class Suggestion:
    mentor: Enrollment
    score: float
    reasons: list[str]
    places_left: int


def self_select_open(cohort: Cohort) -> bool:
    return cohort.matching_mode in SELF_SELECT_MODES


def mentee_has_mentor(mentee: Enrollment) -> bool:
    """An active match. An admin's draft does not count: the mentee cannot see it, and a
    mentor's accept replaces it (cohorts matched both ways)."""
    return Match.objects.filter(mentee=mentee, status=Match.Status.ACTIVE).exists()


def mentee_refused_reason(mentee: Enrollment) -> str:
    """Why this mentee cannot request mentors now ("" when they can)."""
    if mentee.role != Enrollment.Role.MENTEE:
        return "Only mentees request mentors."
    if mentee.status != Enrollment.Status.ACCEPTED:
        return "You can choose a mentor once you have been accepted into the cohort."
    if mentee_has_mentor(mentee):
        return "You already have a mentor in this cohort."
    return ""


def places_left(mentor: Enrollment, *, replacing_draft_of: int | None = None) -> int:
    """The mentor's capacity minus their proposed and active matches; a draft of theirs for
    ``replacing_draft_of`` (a mentee id) is not counted, as the accept replaces it."""
    taken = Match.objects.filter(mentor=mentor, status__in=OPEN_MATCH)
    if replacing_draft_of is not None:
        taken = taken.exclude(mentee_id=replacing_draft_of, status=Match.Status.PROPOSED)
    return max((mentor.capacity or 0) - taken.count(), 0)


def mentor_suggestions(*, mentee: Enrollment, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The mentee's best allowed mentors with a place left, best first, leaving out mentors
    the mentee already asked (they declined, or let the request expire)."""
    cohort = mentee.cohort
    loaded = pool_load(cohort=cohort)
    index = {e.pk: i for i, e in enumerate(loaded.mentees)}
    if mentee.pk not in index or not loaded.mentors:
        return []
    # pool_load counts active matches only; admin drafts take a place too.
    drafts = dict(
        Match.objects.filter(cohort=cohort, status=Match.Status.PROPOSED)
        .values("mentor")
        .annotate(n=Count("id"))
        .values_list("mentor", "n")
    )
    load = np.array([drafts.get(e.pk, 0) for e in loaded.mentors], dtype=np.int64)
    asked = set(
        MentorRequest.objects.filter(mentee=mentee)
        .exclude(status__in=[MentorRequest.Status.WITHDRAWN, MentorRequest.Status.SUPERSEDED])
        .exclude(status__in=MentorRequest.OPEN)
        .values_list("mentor_id", flat=True)
    )
    scores = engine.score_pool(loaded.pool, cohort_rules(cohort), cohort_weights(cohort))
    proposals = engine.suggest_mentors(
        scores, index[mentee.pk], mentor_load=load, limit=limit + len(asked)
    )
    out = []
    for p in proposals:
        mentor = loaded.mentors[p.mentor]
        if mentor.pk in asked:
            continue
        room = int(loaded.pool.capacity[p.mentor] - load[p.mentor])
        out.append(Suggestion(mentor, round(p.score), list(p.reasons), room))
    return out[:limit]


def _expiry(cohort: Cohort, now: datetime) -> datetime:
    return now + timedelta(days=cohort.request_expiry_days)


def mentor_requests_submit(
    *, mentee: Enrollment, mentor_ids: list[int], now: datetime | None = None
) -> list[MentorRequest]:
    """Replace the mentee's open requests with ``mentor_ids`` in order of preference (1..3,
    each among the current suggestions). The first becomes pending, the others wait."""
    now = now or timezone.now()
    if not self_select_open(mentee.cohort):
        raise RequestRefused("Mentees do not choose their mentors in this cohort.")
    if not mentor_ids:
        raise RequestRefused("Choose at least one mentor.")
    if len(mentor_ids) > MentorRequest.MAX_CHOICES:
        raise RequestRefused(f"Choose at most {MentorRequest.MAX_CHOICES} mentors.")
    if len(set(mentor_ids)) != len(mentor_ids):
        raise RequestRefused("Choose each mentor once.")
    suggested = {s.mentor.pk: s for s in mentor_suggestions(mentee=mentee)}
    if any(pk not in suggested for pk in mentor_ids):
        raise RequestRefused("Choose among the mentors suggested to you.")
    with transaction.atomic():
        Enrollment.objects.select_for_update().get(pk=mentee.pk)
        refused = mentee_refused_reason(mentee)
        if refused:
            raise RequestRefused(refused)
        MentorRequest.objects.filter(mentee=mentee, status__in=MentorRequest.OPEN).update(
            status=MentorRequest.Status.WITHDRAWN,
            decided_at=now,
            outcome="Replaced by new choices.",
        )
        # An earlier withdrawn or superseded request to the same mentor stays as history.
        created = MentorRequest.objects.bulk_create(
            [
                MentorRequest(
                    cohort=mentee.cohort,
                    mentee=mentee,
                    mentor=suggested[pk].mentor,
                    reasons=suggested[pk].reasons,
                    rank=rank,
                    status=MentorRequest.Status.QUEUED,
                    created_at=now,
                )
                for rank, pk in enumerate(mentor_ids, start=1)
            ]
        )
        _pass_on(mentee=mentee, now=now)
    return list(MentorRequest.objects.filter(pk__in=[r.pk for r in created]).order_by("rank"))


def mentor_requests_withdraw(*, mentee: Enrollment, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return MentorRequest.objects.filter(mentee=mentee, status__in=MentorRequest.OPEN).update(
        status=MentorRequest.Status.WITHDRAWN, decided_at=now, outcome="Withdrawn by the mentee."
    )


def _pass_on(*, mentee: Enrollment, now: datetime) -> MentorRequest | None:
    """Put the mentee's next queued choice in front of its mentor, unless one is pending.

    Choices whose mentor has no place left (or left the cohort) are closed on the way, so
    the mentee never waits on a mentor who cannot take them. Call inside a transaction.
    """
    if MentorRequest.objects.filter(mentee=mentee, status=MentorRequest.Status.PENDING).exists():
        return None
    queued = (
        MentorRequest.objects.filter(mentee=mentee, status=MentorRequest.Status.QUEUED)
        .select_related("mentor", "cohort")
        .order_by("rank")
    )
    for req in queued:
        room = places_left(req.mentor, replacing_draft_of=mentee.pk)
        if req.mentor.status != Enrollment.Status.ACCEPTED or not room:
            MentorRequest.objects.filter(pk=req.pk, status=MentorRequest.Status.QUEUED).update(
                status=MentorRequest.Status.DECLINED, decided_at=now, outcome=NO_PLACE_LEFT
            )
            continue
        sent = MentorRequest.objects.filter(pk=req.pk, status=MentorRequest.Status.QUEUED).update(
            status=MentorRequest.Status.PENDING, sent_at=now, expires_at=_expiry(req.cohort, now)
        )
        if sent:
            req.refresh_from_db()
            notify(REQUEST_RECEIVED, recipient_id=req.mentor.person_id, subject_id=req.pk)
            return req
    return None


def _close_pending(
    *, request_id: int, mentee: Enrollment, status: str, outcome: str, now: datetime
) -> bool:
    """Close one pending request (conditional UPDATE: another worker may have got there
    first) and pass the mentee on to their next choice."""
    Enrollment.objects.select_for_update().get(pk=mentee.pk)
    closed = MentorRequest.objects.filter(
        pk=request_id, status=MentorRequest.Status.PENDING
    ).update(status=status, decided_at=now, outcome=outcome)
    if closed:
        _pass_on(mentee=mentee, now=now)
        notify(
            REQUEST_ANSWERED, recipient_id=mentee.person_id, subject_id=request_id, period=status
        )
    return bool(closed)


def mentor_request_decline(
    *, mentor: Enrollment, request_id: int, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        req = (
            MentorRequest.objects.select_related("mentee")
            .filter(pk=request_id, mentor=mentor)
            .first()
        )
        if req is None or not _close_pending(
            request_id=request_id,
            mentee=req.mentee,
            status=MentorRequest.Status.DECLINED,
            outcome=MENTOR_DECLINED,
            now=now,
        ):
            raise RequestRefused("This request is no longer waiting for your answer.")


def mentor_request_accept(
    *, mentor: Enrollment, request_id: int, now: datetime | None = None
) -> Match:
    """Accept a pending request: an active match, if the mentor still has a place.

    The mentor's Enrollment row is locked first, so concurrent accepts for the same mentor
    count places one after the other; the loser gets ``NoPlaceLeft``. When this takes the
    last place, the mentor's other pending requests pass on to those mentees' next choices.

    In cohorts matched both ways, an admin's draft (proposed match) for the mentee gives way:
    a mentor who agreed beats a draft, so the draft is deleted and the request records whose
    it was (``replaced_draft_mentor``) for the board's notice. A draft already published
    wins instead: the mentee has a mentor and the accept is refused.
    """
    now = now or timezone.now()
    with transaction.atomic():
        mentor = Enrollment.objects.select_for_update().select_related("cohort").get(pk=mentor.pk)
        if mentor.status != Enrollment.Status.ACCEPTED:
            raise RequestRefused("You are no longer a mentor in this cohort.")
        # Places first: the loser of a race for the last place hears that, whatever the
        # winner's transaction did to its request meanwhile. (A request's mentee never
        # changes, so it can be read before the request is locked.)
        mentee_id = (
            MentorRequest.objects.filter(pk=request_id, mentor=mentor)
            .values_list("mentee_id", flat=True)
            .first()
        )
        room = places_left(mentor, replacing_draft_of=mentee_id)
        if room <= 0:
            drafts = Match.objects.filter(mentor=mentor, status=Match.Status.PROPOSED).exists()
            raise NoPlaceLeft(
                "You have no place left: your capacity is taken by your current mentees"
                + (" and the program admin's draft matches." if drafts else ".")
            )
        req = (
            MentorRequest.objects.select_for_update(of=("self",))
            .select_related("mentee")
            .filter(pk=request_id, mentor=mentor)
            .first()
        )
        if req is None or req.status != MentorRequest.Status.PENDING:
            raise RequestRefused("This request is no longer waiting for your answer.")
        # A draft being published at this moment is locked by the publish: once it is
        # active this finds nothing, and creating the match below is refused.
        draft = (
            Match.objects.select_for_update()
            .filter(mentee=req.mentee, status=Match.Status.PROPOSED)
            .first()
        )
        if draft is not None:
            draft.delete()
        loaded_reasons = _pair_reasons(mentee=req.mentee, mentor=mentor)
        try:
            with transaction.atomic():
                match = Match.objects.create(
                    cohort=mentor.cohort,
                    mentee=req.mentee,
                    mentor=mentor,
                    status=Match.Status.ACTIVE,
                    created_at=now,
                    published_at=now,
                    **loaded_reasons,
                )
        except IntegrityError as exc:
            raise RequestRefused("This mentee already has a mentor.") from exc
        MentorRequest.objects.filter(pk=req.pk).update(
            status=MentorRequest.Status.ACCEPTED,
            decided_at=now,
            match=match,
            replaced_draft_mentor=draft.mentor_id if draft else None,
        )
        notify(
            REQUEST_ANSWERED,
            recipient_id=req.mentee.person_id,
            subject_id=req.pk,
            period=MentorRequest.Status.ACCEPTED,
        )
        MentorRequest.objects.filter(mentee=req.mentee, status__in=MentorRequest.OPEN).update(
            status=MentorRequest.Status.SUPERSEDED,
            decided_at=now,
            outcome="You have a mentor.",
        )
        if room == 1:
            others = MentorRequest.objects.filter(
                mentor=mentor, status=MentorRequest.Status.PENDING
            ).select_related("mentee")
            for other in others:
                _close_pending(
                    request_id=other.pk,
                    mentee=other.mentee,
                    status=MentorRequest.Status.DECLINED,
                    outcome=NO_PLACE_LEFT,
                    now=now,
                )
    return match


def _pair_reasons(*, mentee: Enrollment, mentor: Enrollment) -> dict:
    """Score, breakdown and reasons for the new match, as the board shows them ({} when one
    side is outside the pool, e.g. the mentor's active matches already fill them)."""
    loaded = pool_load(cohort=mentor.cohort)
    i = next((k for k, e in enumerate(loaded.mentees) if e.pk == mentee.pk), None)
    j = next((k for k, e in enumerate(loaded.mentors) if e.pk == mentor.pk), None)
    if i is None or j is None:
        return {}
    scores = engine.score_pool(
        loaded.pool, cohort_rules(mentor.cohort), cohort_weights(mentor.cohort)
    )
    p = engine.pair_proposal(scores, i, j)
    return {
        "score": round(min(max(float(p.score), 0.0), 100.0), 2),
        "breakdown": {k: round(float(v), 2) for k, v in p.breakdown.items()},
        "reasons": ["Chosen by the mentee and accepted by the mentor.", *p.reasons],
    }


def mentor_requests_expire(*, now: datetime | None = None) -> int:
    """Expire pending requests past their answer window and pass each mentee on.

    Idempotent: each request is closed by a conditional UPDATE, so a second run (or a
    worker racing this one, or the mentor accepting at the same moment) changes nothing.
    """
    now = now or timezone.now()
    due = list(
        MentorRequest.objects.filter(
            status=MentorRequest.Status.PENDING, expires_at__lte=now
        ).values_list("pk", "mentee_id")
    )
    expired = 0
    for pk, mentee_id in due:
        with transaction.atomic():
            mentee = Enrollment.objects.get(pk=mentee_id)
            expired += _close_pending(
                request_id=pk,
                mentee=mentee,
                status=MentorRequest.Status.EXPIRED,
                outcome=NOT_ANSWERED,
                now=now,
            )
    return expired


def mentee_requests(mentee: Enrollment) -> list[MentorRequest]:
    """Open requests first, in rank order; then the history, newest first."""
    rows = list(MentorRequest.objects.filter(mentee=mentee).select_related("mentor__person"))
    open_ = sorted((r for r in rows if r.status in MentorRequest.OPEN), key=lambda r: r.rank)
    closed = sorted(
        (r for r in rows if r.status not in MentorRequest.OPEN),
        key=lambda r: (r.decided_at or r.created_at, r.pk),
        reverse=True,
    )
    return open_ + closed


def mentor_pending_requests(mentor: Enrollment) -> list[MentorRequest]:
    return list(
        MentorRequest.objects.filter(mentor=mentor, status=MentorRequest.Status.PENDING)
        .select_related("mentee__person")
        .prefetch_related("mentee__topics_sought")
        .order_by("expires_at", "pk")
    )


# --- Emails (matching/notifications.py builds them at send time) ---------------------------

# The mentee hears about a request when the mentor answered it or let it expire; withdrawn
# and superseded requests were the mentee's own doing (or the accept email covers them).
ANSWERED = (
    MentorRequest.Status.ACCEPTED,
    MentorRequest.Status.DECLINED,
    MentorRequest.Status.EXPIRED,
)


def local_time(moment: datetime, zone_name: str) -> str:
    """``moment`` in the reader's own time zone (UTC when theirs is unknown), zone named."""
    try:
        zone = ZoneInfo(zone_name) if zone_name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local.day} {local:%B %Y, %H:%M} ({zone.key})"
