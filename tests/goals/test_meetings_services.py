"""Scheduling, changing and cancelling meetings: validation, sequence, invitations queued."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from goals.models import Meeting
from goals.services import meetings as meeting_services
from goals.services.meetings import (
    MeetingRefused,
    meeting_cancel,
    meeting_schedule,
    meeting_update,
)
from mentorship import outbox
from mentorship.models import Notification

pytestmark = pytest.mark.django_db


def soon(days: int = 3, hour: int = 10) -> datetime:
    """A naive wall-clock time a few days ahead."""
    return datetime.combine(
        timezone.localdate() + timedelta(days=days), datetime.min.time()
    ).replace(hour=hour)


def kwargs(**extra) -> dict:
    values = {
        "starts_local": soon(),
        "timezone": "Europe/Paris",
        "duration_minutes": 45,
        "mode": "video",
        "location": "",
        "video_url": "https://meet.example.com/abc",
        "agenda": "Feedback on my talk",
    }
    values.update(extra)
    return values


@pytest.fixture
def queued(monkeypatch):
    """Invitation versions (meeting id, sequence) whose outbox rows were queued for sending,
    in order, instead of reaching the broker."""
    calls: list[tuple[int, int]] = []

    def record(ids):
        for row in Notification.objects.filter(pk__in=list(ids)).order_by("pk"):
            assert row.kind == "meeting_invitation"
            version = (row.subject_id, int(row.period.removeprefix("v")))
            if version not in calls:
                calls.append(version)
        return len(ids)

    monkeypatch.setattr(outbox, "queue_sends", record)
    return calls


def test_schedule_stores_the_time_in_the_organizers_zone(pair, alice):
    meeting = meeting_schedule(pair_match=pair, user=alice, **kwargs())
    meeting.refresh_from_db()
    assert meeting.starts_at == soon().replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert meeting.timezone == "Europe/Paris"
    assert meeting.organizer == alice
    assert meeting.sequence == 0
    assert meeting.status == "scheduled"
    assert meeting.agenda == "Feedback on my talk"


def test_schedule_queues_one_invitation_after_commit(
    pair, bob, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_schedule(pair_match=pair, user=bob, **kwargs(timezone="America/New_York"))
        assert queued == []  # not before the commit
    assert queued == [(meeting.pk, 0)]
    rows = Notification.objects.filter(kind="meeting_invitation", subject_id=meeting.pk)
    assert sorted(rows.values_list("recipient__email", "period")) == [
        ("alice@example.com", "v0"),
        ("bob@example.com", "v0"),
    ]


def test_a_rolled_back_schedule_queues_nothing(
    pair, alice, queued, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        meeting_schedule(pair_match=pair, user=alice, **kwargs())
        raise RuntimeError("rolled back")
    assert queued == []
    assert not Meeting.objects.exists()
    assert not Notification.objects.exists()


def test_a_meeting_recorded_after_the_fact_sends_no_invitation(
    pair, alice, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_schedule(pair_match=pair, user=alice, **kwargs(starts_local=soon(-2)))
    assert meeting.pk and queued == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "time zone"),
        ({"mode": "in_person", "video_url": ""}, "location", "where you meet"),
        ({"mode": "video", "video_url": ""}, "video_url", "video link"),
        ({"video_url": "javascript:alert(1)"}, "video_url", "https://"),
        ({"duration_minutes": 600}, "duration_minutes", "minutes"),
        ({"starts_local": soon(400)}, "date", "a year ahead"),
        ({"starts_local": soon(-45)}, "date", "cohort starts"),
    ],
)
def test_schedule_refusals_name_the_field(pair, alice, extra, field, words):
    with pytest.raises(MeetingRefused) as refused:
        meeting_schedule(pair_match=pair, user=alice, **kwargs(**extra))
    assert refused.value.field == field
    assert words in refused.value.message
    assert not Meeting.objects.exists()


def test_video_without_a_link_is_fine_when_it_says_how_to_join(pair, alice):
    meeting = meeting_schedule(
        pair_match=pair, user=alice, **kwargs(video_url="", location="Teams link in the chat")
    )
    assert meeting.location == "Teams link in the chat"


def test_a_call_needs_no_place(pair, alice):
    assert meeting_schedule(pair_match=pair, user=alice, **kwargs(mode="call", video_url=""))


def test_a_time_skipped_by_the_clock_change_is_refused(pair, alice):
    from tests.goals.test_ics import next_dst_change

    zone = ZoneInfo("Europe/Paris")
    change = next_dst_change("Europe/Paris", after=timezone.localdate() + timedelta(days=2))
    if datetime.combine(change, datetime.min.time()).replace(hour=12, tzinfo=zone).dst():
        pass  # the spring change: clocks go forward
    else:
        change = next_dst_change("Europe/Paris", after=change)
    # Paris skips 02:00-03:00 on the night of the spring change.
    starts = datetime.combine(change, datetime.min.time()).replace(hour=2, minute=30)
    with pytest.raises(MeetingRefused) as refused:
        meeting_schedule(pair_match=pair, user=alice, **kwargs(starts_local=starts))
    assert refused.value.field == "time"
    assert "does not exist" in refused.value.message


def test_outsiders_and_ended_pairs_are_refused(pair, charlie, alice):
    with pytest.raises(MeetingRefused):
        meeting_schedule(pair_match=pair, user=charlie, **kwargs())
    pair.status = "ended"
    pair.save()
    with pytest.raises(MeetingRefused) as refused:
        meeting_schedule(pair_match=pair, user=alice, **kwargs())
    assert "ended" in refused.value.message
    assert not Meeting.objects.exists()


def test_update_bumps_the_sequence_only_when_something_changes(
    pair, alice, bob, queued, django_capture_on_commit_callbacks
):
    meeting = meeting_schedule(pair_match=pair, user=alice, **kwargs())
    with django_capture_on_commit_callbacks(execute=True):
        assert meeting_update(meeting=meeting, user=bob, **kwargs()) is False
    meeting.refresh_from_db()
    assert meeting.sequence == 0 and queued == []

    for n, change in enumerate(
        [
            {"starts_local": soon(4)},
            {"duration_minutes": 60},
            {"agenda": "Something else"},
            {"mode": "in_person", "location": "Room 4"},
        ],
        start=1,
    ):
        # Each change builds on the meeting as it now is.
        values = {
            "starts_local": meeting.starts_at.astimezone(ZoneInfo(meeting.timezone)).replace(
                tzinfo=None
            ),
            "timezone": meeting.timezone,
            "duration_minutes": meeting.duration_minutes,
            "mode": meeting.mode,
            "location": meeting.location,
            "video_url": meeting.video_url,
            "agenda": meeting.agenda,
            **change,
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert meeting_update(meeting=meeting, user=bob, **values) is True
        meeting.refresh_from_db()
        assert meeting.sequence == n
        assert queued[-1] == (meeting.pk, n)
    assert meeting.organizer == alice  # the organizer stays who arranged it


def test_started_or_cancelled_meetings_cannot_be_changed(pair, alice):
    started = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(MeetingRefused):
        meeting_update(meeting=started, user=alice, **kwargs())
    with pytest.raises(MeetingRefused):
        meeting_cancel(meeting=started, user=alice)
    future = meeting_schedule(pair_match=pair, user=alice, **kwargs())
    with pytest.raises(MeetingRefused) as refused:
        meeting_update(meeting=future, user=alice, **kwargs(starts_local=soon(-1)))
    assert refused.value.field == "date"
    meeting_cancel(meeting=future, user=alice)
    with pytest.raises(MeetingRefused):
        meeting_cancel(meeting=future, user=alice)
    with pytest.raises(MeetingRefused):
        meeting_update(meeting=future, user=alice, **kwargs(agenda="x"))


def test_cancel_by_either_member_bumps_the_sequence_and_queues_the_cancellation(
    pair, alice, bob, queued, django_capture_on_commit_callbacks
):
    meeting = meeting_schedule(pair_match=pair, user=alice, **kwargs())
    with django_capture_on_commit_callbacks(execute=True):
        meeting_cancel(meeting=meeting, user=bob)
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"
    assert meeting.cancelled_by == bob
    assert meeting.cancelled_at is not None
    assert meeting.sequence == 1
    assert queued == [(meeting.pk, 1)]


def test_outsider_cannot_change_or_cancel(pair, alice, charlie):
    meeting = meeting_schedule(pair_match=pair, user=alice, **kwargs())
    with pytest.raises(MeetingRefused):
        meeting_update(meeting=meeting, user=charlie, **kwargs(agenda="Hijacked"))
    with pytest.raises(MeetingRefused):
        meeting_cancel(meeting=meeting, user=charlie)
    meeting.refresh_from_db()
    assert meeting.agenda == "Feedback on my talk" and meeting.status == "scheduled"


def test_default_time_zone_is_the_persons_own_else_the_sites(alice, charlie, settings):
    assert meeting_services.default_time_zone(alice) == "Europe/Paris"
    assert meeting_services.default_time_zone(charlie) == settings.TIME_ZONE
