"""The .ics files parse back with the right times, a stable UID, a growing SEQUENCE, and
METHOD:CANCEL once cancelled; the feed holds the person's meetings and nothing private."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from goals.ics import feed_calendar, meeting_invitation
from goals.models import CheckIn, Meeting, PrivateNote
from goals.services.meetings import meeting_cancel, meeting_schedule, meeting_update
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort

pytestmark = pytest.mark.django_db


def next_dst_change(tz_name: str, *, after: date) -> date:
    """The first day after ``after`` whose UTC offset in ``tz_name`` differs from the day
    before (the day the clocks change)."""
    zone = ZoneInfo(tz_name)
    day = after
    for _ in range(400):
        nxt = day + timedelta(days=1)
        if (
            datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
            != datetime(nxt.year, nxt.month, nxt.day, 12, tzinfo=zone).utcoffset()
        ):
            return nxt
        day = nxt
    raise AssertionError("no DST change found")


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def only_event(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def start_in_utc_by_vtimezone(calendar: Calendar, event) -> datetime:
    """DTSTART read with the VTIMEZONE rules inside the file (not this machine's tz data)."""
    dtstart = event["DTSTART"]
    tzid = dtstart.params["TZID"]
    (vtimezone,) = [tz for tz in calendar.walk("VTIMEZONE") if str(tz["TZID"]) == tzid]
    naive = dtstart.dt.replace(tzinfo=None)
    return naive.replace(tzinfo=vtimezone.to_tz()).astimezone(UTC)


def schedule(pair, user, starts_local: datetime, tz_name: str, **extra) -> Meeting:
    extra.setdefault("duration_minutes", 60)
    extra.setdefault("mode", "video")
    extra.setdefault("video_url", "https://meet.example.com/abc")
    extra.setdefault("agenda", "Talk about the next talk")
    return meeting_schedule(
        pair_match=pair, user=user, starts_local=starts_local, timezone=tz_name, **extra
    )


@pytest.mark.parametrize(
    ("organizer", "tz_name", "offsets"),
    [
        ("alice", "Europe/Paris", {1, 2}),  # CET and CEST
        ("bob", "America/New_York", {-5, -4}),  # EST and EDT
    ],
)
def test_times_are_right_in_utc_across_both_dst_changes(request, pair, organizer, tz_name, offsets):
    user = request.getfixturevalue(organizer)
    zone = ZoneInfo(tz_name)
    first = next_dst_change(tz_name, after=timezone.localdate() + timedelta(days=2))
    second = next_dst_change(tz_name, after=first)
    seen_offsets = set()
    for change in (first, second):
        for day in (change - timedelta(days=1), change + timedelta(days=1)):
            local = datetime.combine(day, datetime.min.time()).replace(hour=10)
            meeting = schedule(pair, user, local, tz_name)
            calendar = parse(meeting_invitation(meeting))
            event = only_event(calendar)
            offset = int(local.replace(tzinfo=zone).utcoffset().total_seconds() // 3600)
            seen_offsets.add(offset)
            expected = (local - timedelta(hours=offset)).replace(tzinfo=UTC)
            assert event["DTSTART"].params["TZID"] == tz_name
            assert event["DTSTART"].dt.astimezone(UTC) == expected
            assert event["DTEND"].dt.astimezone(UTC) == expected + timedelta(minutes=60)
            # Read with the VTIMEZONE the file carries, as a calendar app without tz data would.
            assert start_in_utc_by_vtimezone(calendar, event) == expected
            assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [tz_name]
    assert seen_offsets == offsets


def test_invitation_has_the_rfc5545_parts(pair, alice, bob, settings):
    settings.SITE_URL = "https://mentoring.example.org"
    meeting = schedule(
        pair, alice, datetime.now() + timedelta(days=3), "Europe/Paris", agenda="Career plan"
    )
    calendar = parse(meeting_invitation(meeting))
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert "PRODID" in calendar
    event = only_event(calendar)
    assert event["UID"] == f"{meeting.uid}@mentoring.example.org"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert "DTSTAMP" in event
    assert event["SUMMARY"] == "Mentoring: Alice Adams and Bob Baker"
    assert event["LOCATION"] == "https://meet.example.com/abc"
    assert event["URL"] == "https://meet.example.com/abc"
    description = str(event["DESCRIPTION"])
    assert "Career plan" in description
    assert f"https://mentoring.example.org/pairs/{pair.pk}/meetings/{meeting.pk}/" in description
    assert str(event["ORGANIZER"]) == "mailto:alice@example.com"
    assert event["ORGANIZER"].params["CN"] == "Alice Adams"
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == ["mailto:alice@example.com", "mailto:bob@example.com"]


def test_in_person_meeting_has_its_place_as_location(pair, alice):
    meeting = schedule(
        pair,
        alice,
        datetime.now() + timedelta(days=3),
        "Europe/Paris",
        mode="in_person",
        location="Room 4.12, Paris office",
        video_url="",
    )
    event = only_event(parse(meeting_invitation(meeting)))
    assert event["LOCATION"] == "Room 4.12, Paris office"


def test_uid_is_stable_and_sequence_grows_then_cancel(pair, alice, bob):
    meeting = schedule(pair, alice, datetime.now() + timedelta(days=3), "Europe/Paris")
    first = only_event(parse(meeting_invitation(meeting)))

    new_start = (datetime.now() + timedelta(days=4)).replace(microsecond=0, second=0)
    assert meeting_update(
        meeting=meeting,
        user=bob,
        starts_local=new_start,
        timezone="America/New_York",
        duration_minutes=30,
        mode="video",
        video_url="https://meet.example.com/abc",
        agenda="Talk about the next talk",
    )
    meeting.refresh_from_db()
    second = only_event(parse(meeting_invitation(meeting)))
    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second["DTSTART"].params["TZID"] == "America/New_York"
    assert second["DTSTART"].dt.astimezone(UTC) == new_start.replace(
        tzinfo=ZoneInfo("America/New_York")
    ).astimezone(UTC)

    meeting_cancel(meeting=meeting, user=alice)
    meeting.refresh_from_db()
    calendar = parse(meeting_invitation(meeting))
    third = only_event(calendar)
    assert calendar["METHOD"] == "CANCEL"
    assert third["STATUS"] == "CANCELLED"
    assert third["UID"] == first["UID"]
    assert third["SEQUENCE"] > second["SEQUENCE"]


def test_feed_has_the_persons_meetings_across_pairs_and_recent_cancellations(
    pair, program, running_cohort, alice, bob
):
    now = timezone.now()
    # Alice also mentors someone in another cohort.
    second_pair = make_pair(cohort=make_cohort(program=program, phase="running"), mentor=alice)
    other = make_pair(cohort=running_cohort)  # not hers
    upcoming = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=now + timedelta(days=2)
    )
    past = Meeting.objects.create(
        match=second_pair, organizer=alice, starts_at=now - timedelta(days=5), timezone="Asia/Tokyo"
    )
    recently_cancelled = Meeting.objects.create(
        match=pair,
        starts_at=now + timedelta(days=9),
        status="cancelled",
        cancelled_at=now - timedelta(days=3),
        sequence=1,
    )
    Meeting.objects.create(  # cancelled long ago: gone from the feed
        match=pair,
        starts_at=now - timedelta(days=40),
        status="cancelled",
        cancelled_at=now - timedelta(days=45),
    )
    Meeting.objects.create(match=other, starts_at=now + timedelta(days=1))
    check_in = CheckIn.objects.create(
        meeting=past, match=second_pair, author=alice, discussed="SECRET DISCUSSION", usefulness=4
    )
    PrivateNote.objects.create(meeting=upcoming, author=alice, text="SECRET NOTE")

    from goals.selectors.meetings import feed_meetings

    body = feed_calendar(feed_meetings(alice))
    calendar = parse(body)
    assert calendar["METHOD"] == "PUBLISH"
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(events) == {str(upcoming.uid), str(past.uid), str(recently_cancelled.uid)}
    assert events[str(recently_cancelled.uid)]["STATUS"] == "CANCELLED"
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {"Asia/Tokyo"}
    assert events[str(past.uid)]["DTSTART"].dt == past.starts_at.replace(microsecond=0)
    assert b"SECRET" not in body
    assert check_in.discussed.encode() not in body
