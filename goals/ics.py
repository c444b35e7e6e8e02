"""iCalendar (RFC 5545) for meetings: one meeting's invitation, and a person's feed.

An invitation is ``METHOD:REQUEST`` (``METHOD:CANCEL`` with ``STATUS:CANCELLED`` once the
meeting is cancelled). Its UID is the meeting's ``uid`` at this site's host, the same across
every update, and its SEQUENCE is the meeting's ``sequence``, which grows with each change, so
calendars replace the earlier version instead of adding a second event. Times carry the
organizer's IANA time zone as TZID with a matching VTIMEZONE.

Only the pair's shared details go in: who, when, where, the agenda and a link to the meeting
page. Never a check-in's text or a private note.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone as dj_timezone
from icalendar import Calendar, Event, vCalAddress, vText

from goals.models import Meeting

PRODID = "-//Mentorship//Meetings//EN"
# How far around the meetings the VTIMEZONE rules are written out.
TZ_MARGIN = timedelta(days=366)


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def meeting_uid(meeting: Meeting) -> str:
    return f"{meeting.uid}@{site_host()}"


def meeting_url(meeting: Meeting) -> str:
    path = reverse("goals:meeting", kwargs={"pk": meeting.match_id, "meeting_pk": meeting.pk})
    return f"{settings.SITE_URL}{path}"


def meeting_summary(meeting: Meeting) -> str:
    match = meeting.match
    return (
        f"Mentoring: {match.mentee.person.get_full_name()} and "
        f"{match.mentor.person.get_full_name()}"
    )


def _address(person, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.get_full_name() or person.email)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
    return address


def meeting_zone(meeting: Meeting) -> ZoneInfo:
    try:
        return ZoneInfo(meeting.timezone)
    except (ValueError, KeyError):  # a zone the tz database no longer knows
        return ZoneInfo("UTC")


def _event(meeting: Meeting, *, stamp: datetime) -> Event:
    zone = meeting_zone(meeting)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting_summary(meeting))
    if meeting.location:
        event.add("location", meeting.location)
    elif meeting.video_url:
        event.add("location", meeting.video_url)
    url = meeting_url(meeting)
    event.add("url", meeting.video_url or url)
    lines = []
    if meeting.agenda:
        lines += ["Agenda:", meeting.agenda, ""]
    if meeting.video_url:
        lines.append(f"Join: {meeting.video_url}")
    lines.append(f"Meeting page: {url}")
    event.add("description", "\n".join(lines))
    cancelled = meeting.status == Meeting.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if meeting.organizer is not None:
        event.add("organizer", _address(meeting.organizer))
    for enrollment in (meeting.match.mentee, meeting.match.mentor):
        event.add("attendee", _address(enrollment.person, role="REQ-PARTICIPANT"))
    event.add("last-modified", meeting.updated_at or stamp)
    return event


def _calendar(method: str, meetings: list[Meeting], *, name: str | None = None) -> Calendar:
    stamp = dj_timezone.now().astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for meeting in meetings:
        calendar.add_component(_event(meeting, stamp=stamp))
    if meetings:
        first = min(m.starts_at for m in meetings) - TZ_MARGIN
        last = max(m.ends_at for m in meetings) + TZ_MARGIN
        calendar.add_missing_timezones(first_date=first.date(), last_date=last.date())
        for zone in calendar.timezones:
            zone.pop("COMMENT", None)  # icalendar notes the window it wrote rules for
    return calendar


def ics_method(meeting: Meeting) -> str:
    return "CANCEL" if meeting.status == Meeting.Status.CANCELLED else "REQUEST"


def meeting_invitation(meeting: Meeting) -> bytes:
    """The .ics of one meeting as sent to both members (REQUEST, or CANCEL once cancelled).

    ``meeting`` should come with ``organizer`` and ``match__mentee__person`` /
    ``match__mentor__person`` selected.
    """
    return _calendar(ics_method(meeting), [meeting]).to_ical()


def feed_calendar(meetings: Iterable[Meeting], *, name: str = "Mentoring meetings") -> bytes:
    """A person's subscription feed (PUBLISH) of the given meetings."""
    return _calendar("PUBLISH", list(meetings), name=name).to_ical()
