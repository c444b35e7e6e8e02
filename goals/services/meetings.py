"""Meetings of a pair: schedule, change, cancel, and the invitation emails with their .ics.

Every write is atomic and refuses with ``MeetingRefused`` (its ``field`` names the form field
the message belongs to, when there is one). Each change that calendars must know about bumps
the meeting's ``sequence`` and, once the transaction commits, queues one email to each member
with the .ics attached. The email for a (meeting, sequence) is claimed with a conditional
UPDATE of ``Meeting.notified_sequence`` before it is sent, so a retried or duplicated task
never sends it twice; an SMTP failure releases the claim for the task's retry.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone as dj_timezone

from goals.models import Meeting
from matching.models import Match

log = logging.getLogger(__name__)

MAX_AHEAD = timedelta(days=366)
MIN_DURATION = 5
MAX_DURATION = 480


class MeetingRefused(ValueError):
    """A meeting change that is not possible; the message says why in plain words."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def default_time_zone(user) -> str:
    """The person's own time zone, else the site's."""
    name = getattr(user, "timezone", "") or ""
    return name if name in time_zone_names() else settings.TIME_ZONE


def local_to_aware(starts_local: datetime, tz_name: str) -> datetime:
    """A wall-clock time in ``tz_name`` as an aware datetime; refuses times that do not exist
    there (the hour skipped when clocks go forward)."""
    if tz_name not in time_zone_names():
        raise MeetingRefused("Choose a time zone from the list.", field="timezone")
    if starts_local.tzinfo is not None:
        starts_local = starts_local.replace(tzinfo=None)
    zone = zoneinfo.ZoneInfo(tz_name)
    aware = starts_local.replace(tzinfo=zone)
    round_trip = aware.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != starts_local:
        raise MeetingRefused(
            f"{starts_local:%H:%M} does not exist on {starts_local:%d %b %Y} in {tz_name}: "
            "the clocks change that night. Choose another time.",
            field="time",
        )
    return aware


def _members(match: Match) -> set[int]:
    return {match.mentee.person_id, match.mentor.person_id}


def _require_member(match: Match, user) -> None:
    if user is None or user.pk not in _members(match):
        raise MeetingRefused("Only the two people in this pair can arrange its meetings.")
    if match.status != Match.Status.ACTIVE:
        raise MeetingRefused("This pair has ended: its meetings can be read but not changed.")


def _clean(
    *,
    match: Match,
    starts_local: datetime,
    tz_name: str,
    duration_minutes: int,
    mode: str,
    location: str,
    video_url: str,
    agenda: str,
    now: datetime,
) -> dict:
    starts_at = local_to_aware(starts_local, tz_name)
    if not MIN_DURATION <= int(duration_minutes) <= MAX_DURATION:
        raise MeetingRefused(
            f"A meeting lasts {MIN_DURATION} minutes to {MAX_DURATION // 60} hours.",
            field="duration_minutes",
        )
    if mode not in Meeting.Mode.values:
        raise MeetingRefused("Choose how you meet.", field="mode")
    location = (location or "").strip()
    video_url = (video_url or "").strip()
    agenda = (agenda or "").strip()
    if video_url:
        try:
            URLValidator(schemes=["https", "http"])(video_url)
        except ValidationError as exc:
            raise MeetingRefused(
                "The video link must be a web address starting with https://.",
                field="video_url",
            ) from exc
    if mode == Meeting.Mode.IN_PERSON and not location:
        raise MeetingRefused("Say where you meet (a room, an office, a café).", field="location")
    if mode == Meeting.Mode.VIDEO and not (video_url or location):
        raise MeetingRefused(
            "Give the video link, or say in 'Where' how to join (e.g. 'Teams link in chat').",
            field="video_url",
        )
    if starts_at > now + MAX_AHEAD:
        raise MeetingRefused("Meetings can be arranged up to a year ahead.", field="date")
    cohort = match.cohort
    if starts_at.date() < cohort.starts_on:
        raise MeetingRefused(
            f"The cohort starts on {cohort.starts_on:%d %B %Y}: meet from then on.", field="date"
        )
    return {
        "starts_at": starts_at,
        "timezone": tz_name,
        "duration_minutes": int(duration_minutes),
        "mode": mode,
        "location": location[:300],
        "video_url": video_url,
        "agenda": agenda,
    }


def _queue_invitation(meeting: Meeting) -> None:
    """Send the invitation once the transaction commits, for meetings not over yet."""
    if meeting.ends_at <= dj_timezone.now():
        return
    meeting_id, sequence = meeting.pk, meeting.sequence

    def queue() -> None:
        from goals.tasks import send_meeting_invitation  # tasks import this module

        send_meeting_invitation.delay(meeting_id, sequence)

    # robust: a broker outage must not fail the request that already committed; the
    # unsent-invitations scan picks the meeting up later.
    transaction.on_commit(queue, robust=True)


@transaction.atomic
def meeting_schedule(
    *,
    pair_match: Match,
    user,
    starts_local: datetime,
    timezone: str,  # an IANA name, as on the model
    duration_minutes: int,
    mode: str,
    location: str = "",
    video_url: str = "",
    agenda: str = "",
) -> Meeting:
    """Schedule a meeting of the pair at ``starts_local`` (wall-clock time in ``timezone``).

    A meeting may be recorded after the fact (it then gets no invitation email), from the
    cohort's start up to a year ahead.
    """
    _require_member(pair_match, user)
    fields = _clean(
        match=pair_match,
        starts_local=starts_local,
        tz_name=timezone,
        duration_minutes=duration_minutes,
        mode=mode,
        location=location,
        video_url=video_url,
        agenda=agenda,
        now=_now(),
    )
    meeting = Meeting.objects.create(match=pair_match, organizer=user, sequence=0, **fields)
    _queue_invitation(meeting)
    return meeting


def _now() -> datetime:
    return dj_timezone.now()


def _lock(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("match__cohort", "match__mentee", "match__mentor")
        .get(pk=meeting.pk)
    )


def _require_changeable(locked: Meeting, user, *, now: datetime) -> None:
    _require_member(locked.match, user)
    if locked.status == Meeting.Status.CANCELLED:
        raise MeetingRefused("This meeting was cancelled.")
    if locked.starts_at <= now:
        raise MeetingRefused("This meeting has started: it can no longer be changed.")


# What calendars show: a change to any of these is sent as a new SEQUENCE.
CALENDAR_FIELDS = (
    "starts_at",
    "timezone",
    "duration_minutes",
    "mode",
    "location",
    "video_url",
    "agenda",
)


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    user,
    starts_local: datetime,
    timezone: str,
    duration_minutes: int,
    mode: str,
    location: str = "",
    video_url: str = "",
    agenda: str = "",
) -> bool:
    """Change a meeting that has not started; either member may. Returns whether anything
    changed: a change increments the sequence and sends both members the update."""
    now = _now()
    locked = _lock(meeting)
    _require_changeable(locked, user, now=now)
    fields = _clean(
        match=locked.match,
        starts_local=starts_local,
        tz_name=timezone,
        duration_minutes=duration_minutes,
        mode=mode,
        location=location,
        video_url=video_url,
        agenda=agenda,
        now=now,
    )
    if fields["starts_at"] <= now:
        raise MeetingRefused("Move it to a time that has not passed yet.", field="date")
    if all(getattr(locked, name) == value for name, value in fields.items()):
        return False
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.sequence += 1
    locked.save(update_fields=[*CALENDAR_FIELDS, "sequence", "updated_at"])
    _copy(locked, meeting)
    _queue_invitation(locked)
    return True


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, user) -> Meeting:
    """Cancel a meeting that has not started; both members are sent a METHOD:CANCEL."""
    now = _now()
    locked = _lock(meeting)
    _require_changeable(locked, user, now=now)
    locked.status = Meeting.Status.CANCELLED
    locked.cancelled_at = now
    locked.cancelled_by = user
    locked.sequence += 1
    locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "sequence", "updated_at"])
    _copy(locked, meeting)
    _queue_invitation(locked)
    return meeting


def _copy(source: Meeting, target: Meeting) -> None:
    if source is target:
        return
    for name in (*CALENDAR_FIELDS, "sequence", "status", "cancelled_at", "cancelled_by_id"):
        setattr(target, name, getattr(source, name))
    target.updated_at = source.updated_at


# --- Invitations ------------------------------------------------------------------------------


def _claim(meeting_id: int, sequence: int) -> bool:
    """Claim the email of (meeting, sequence): only the current sequence, and only once."""
    return bool(
        Meeting.objects.filter(pk=meeting_id, sequence=sequence)
        .filter(Q(notified_sequence__isnull=True) | Q(notified_sequence__lt=sequence))
        .update(notified_sequence=sequence)
    )


def _release(meeting_id: int, sequence: int, previous: int | None) -> None:
    Meeting.objects.filter(pk=meeting_id, notified_sequence=sequence).update(
        notified_sequence=previous
    )


def meeting_invitation_send(*, meeting_id: int, sequence: int) -> bool:
    """Email both members the invitation (or the cancellation) of one version of a meeting.

    Sends nothing when that version was already sent (a retried or duplicated task), or when
    the meeting has changed since (the newer version's task sends it). Returns whether it sent.
    """
    from goals.ics import ics_method, meeting_invitation
    from mentorship.emails import absolute_url, send_templated_email

    current = (
        Meeting.objects.filter(pk=meeting_id)
        .values("notified_sequence", "starts_at", "duration_minutes")
        .first()
    )
    if current is None:
        return False
    ends_at = current["starts_at"] + timedelta(minutes=current["duration_minutes"])
    if ends_at <= _now():
        return False  # over by now (the broker was down): an invitation would only confuse
    previous = current["notified_sequence"]
    if not _claim(meeting_id, sequence):
        return False
    try:
        meeting = Meeting.objects.select_related(
            "organizer",
            "cancelled_by",
            "match__cohort__program",
            "match__mentee__person",
            "match__mentor__person",
        ).get(pk=meeting_id)
        method = ics_method(meeting)
        ics = meeting_invitation(meeting)
        mimetype = f"text/calendar; method={method}"
        cancelled = meeting.status == Meeting.Status.CANCELLED
        page = absolute_url(
            reverse("goals:meeting", kwargs={"pk": meeting.match_id, "meeting_pk": meeting.pk})
        )
        match = meeting.match
        for me, other in ((match.mentee, match.mentor), (match.mentor, match.mentee)):
            zone = zoneinfo.ZoneInfo(default_time_zone(me.person))
            send_templated_email(
                to=me.person.email,
                template_prefix=(
                    "goals/email/meeting_cancelled"
                    if cancelled
                    else "goals/email/meeting_invitation"
                ),
                context={
                    "meeting": meeting,
                    "me": me,
                    "other": other,
                    # Naive wall-clock times: templates must not shift them to another zone.
                    "starts_local": meeting.starts_at.astimezone(zone).replace(tzinfo=None),
                    "ends_local": meeting.ends_at.astimezone(zone).replace(tzinfo=None),
                    "zone_name": zone.key,
                    "updated": meeting.sequence > 0 and not cancelled,
                    "meeting_url": page,
                },
                alternatives=[(ics.decode(), mimetype)],
                attachments=[("cancel.ics" if cancelled else "invite.ics", ics.decode(), mimetype)],
            )
    except Exception:
        _release(meeting_id, sequence, previous)
        raise
    return True


def meetings_with_unsent_invitations(*, older_than: timedelta = timedelta(minutes=5)):
    """Meetings whose current version was never emailed (the broker was down when it was
    queued): for a periodic scan to queue again. Only meetings not over yet."""
    now = _now()
    return (
        Meeting.objects.filter(
            Q(notified_sequence__isnull=True) | Q(notified_sequence__lt=F("sequence")),
            updated_at__lte=now - older_than,
            match__status=Match.Status.ACTIVE,
            starts_at__gte=now - timedelta(hours=8),
        )
        .order_by("updated_at")
        .values_list("pk", "sequence")
    )
