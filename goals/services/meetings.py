"""Meetings of a pair: schedule, change, cancel; each version's invitation goes to the outbox.

Every write is atomic and refuses with ``MeetingRefused`` (its ``field`` names the form field
the message belongs to, when there is one). Each change that calendars must know about bumps
the meeting's ``sequence`` and, in the same transaction, records one ``meeting_invitation``
notification per member for that version (``period`` ``v<sequence>``): the outbox sends each
row once, with the .ics attached (``goals.notifications_meetings``), so a failure sending to
one member never re-sends to the other, and a rolled-back change records nothing.
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
from django.utils import timezone as dj_timezone

from goals.models import Meeting
from matching.models import Match
from mentorship.outbox import notify

log = logging.getLogger(__name__)

# The outbox kind of invitations, changes and cancellations (goals.notifications_meetings).
INVITATION_KIND = "meeting_invitation"

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


def invitation_period(sequence: int) -> str:
    """The outbox period of one version of a meeting."""
    return f"v{sequence}"


def _record_invitation(meeting: Meeting) -> None:
    """Record this version's invitation (or cancellation) for both members, in the caller's
    transaction; meetings already over get none."""
    if meeting.ends_at <= _now():
        return
    match = meeting.match
    for person_id in (match.mentee.person_id, match.mentor.person_id):
        notify(
            INVITATION_KIND,
            recipient_id=person_id,
            subject_id=meeting.pk,
            period=invitation_period(meeting.sequence),
        )


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
    _record_invitation(meeting)
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
    _record_invitation(locked)
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
    _record_invitation(locked)
    return meeting


def _copy(source: Meeting, target: Meeting) -> None:
    if source is target:
        return
    for name in (*CALENDAR_FIELDS, "sequence", "status", "cancelled_at", "cancelled_by_id"):
        setattr(target, name, getattr(source, name))
    target.updated_at = source.updated_at
