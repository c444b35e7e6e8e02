"""Invitation emails: both members, .ics attached, each version sent once, SMTP failures
retried, a real worker running a duplicated task sends once."""

from __future__ import annotations

from datetime import datetime, timedelta
from smtplib import SMTPException

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from goals.models import Meeting, PrivateNote
from goals.services.meetings import (
    meeting_cancel,
    meeting_invitation_send,
    meeting_schedule,
    meeting_update,
)
from goals.tasks import queue_unsent_meeting_invitations, send_meeting_invitation
from mentorship.emails import send_templated_email
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db


def at(days: int, hour: int = 10) -> datetime:
    return datetime.combine(
        timezone.localdate() + timedelta(days=days), datetime.min.time()
    ).replace(hour=hour)


def schedule(pair, user, **extra) -> Meeting:
    values = {
        "starts_local": at(5, 18),
        "timezone": "Europe/Paris",
        "duration_minutes": 60,
        "mode": "video",
        "video_url": "https://meet.example.com/abc",
        "agenda": "Plan the conference talk",
    }
    values.update(extra)
    return meeting_schedule(pair_match=pair, user=user, **values)


def calendar_parts(message):
    """(alternative contents, attachments) with text/calendar mimetypes."""
    alternatives = [(c, m) for c, m in message.alternatives if m.startswith("text/calendar")]
    attachments = [a for a in message.attachments if a[2].startswith("text/calendar")]
    return alternatives, attachments


def test_both_members_get_the_invitation_with_the_ics(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=0) is True
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]
    for message in mailoutbox:
        alternatives, attachments = calendar_parts(message)
        assert [m for _, m in alternatives] == ["text/calendar; method=REQUEST"]
        ((filename, content, mimetype),) = attachments
        assert filename == "invite.ics" and mimetype == "text/calendar; method=REQUEST"
        calendar = Calendar.from_ical(content)
        assert calendar["METHOD"] == "REQUEST"
        assert calendar.walk("VEVENT")[0]["UID"].startswith(str(meeting.uid))
        assert "Plan the conference talk" in message.body
    # Each sees the time in their own zone: 18:00 in Paris is 12:00 in New York.
    to_bob = next(m for m in mailoutbox if m.to == ["bob@example.com"])
    to_alice = next(m for m in mailoutbox if m.to == ["alice@example.com"])
    assert "America/New_York" in to_bob.subject and "12:00" in to_bob.subject
    assert "Europe/Paris" in to_alice.subject and "18:00" in to_alice.subject
    assert "Alice Adams" in to_bob.subject


def test_the_rendered_message_carries_a_calendar_part(pair, alice, mailoutbox):
    meeting = schedule(pair, alice)
    meeting_invitation_send(meeting_id=meeting.pk, sequence=0)
    raw = mailoutbox[0].message().as_string()
    assert 'Content-Type: text/calendar; method="REQUEST"' in raw or (
        "Content-Type: text/calendar; method=REQUEST" in raw
    )
    assert 'filename="invite.ics"' in raw


def test_a_version_is_sent_once(pair, alice, mailoutbox):
    meeting = schedule(pair, alice)
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=0) is True
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=0) is False
    assert len(mailoutbox) == 2
    meeting.refresh_from_db()
    assert meeting.notified_sequence == 0


def test_an_outdated_version_is_not_sent_the_newer_one_is(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    meeting_update(
        meeting=meeting,
        user=bob,
        starts_local=at(6, 18),
        timezone="Europe/Paris",
        duration_minutes=60,
        mode="video",
        video_url="https://meet.example.com/abc",
        agenda="Plan the conference talk",
    )
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=0) is False
    assert mailoutbox == []
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=1) is True
    assert all(m.subject.startswith("[Mentorship] Changed:") for m in mailoutbox)
    content = calendar_parts(mailoutbox[0])[1][0][1]
    assert Calendar.from_ical(content).walk("VEVENT")[0]["SEQUENCE"] == 1


def test_a_cancellation_sends_method_cancel(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    meeting_invitation_send(meeting_id=meeting.pk, sequence=0)
    meeting_cancel(meeting=meeting, user=bob)
    mailoutbox.clear()
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=1) is True
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert message.subject.startswith("[Mentorship] Cancelled:")
        alternatives, ((filename, content, mimetype),) = calendar_parts(message)
        assert [m for _, m in alternatives] == ["text/calendar; method=CANCEL"]
        assert (filename, mimetype) == ("cancel.ics", "text/calendar; method=CANCEL")
        calendar = Calendar.from_ical(content)
        assert calendar["METHOD"] == "CANCEL"
        assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
        assert "Bob Baker" in message.body


def test_an_smtp_failure_releases_the_claim_for_the_retry(pair, alice, monkeypatch, mailoutbox):
    meeting = schedule(pair, alice)
    # The service imports the sender at call time: patch it where it lives.
    import mentorship.emails

    calls = {"n": 0}
    original = mentorship.emails.send_templated_email

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SMTPException("451 try again later")
        return original(**kwargs)

    monkeypatch.setattr(mentorship.emails, "send_templated_email", flaky)
    with pytest.raises(SMTPException):
        meeting_invitation_send(meeting_id=meeting.pk, sequence=0)
    meeting.refresh_from_db()
    assert meeting.notified_sequence is None
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=0) is True
    assert len(mailoutbox) == 2


def test_the_task_retries_smtp_failures_with_backoff():
    assert SMTPException in send_meeting_invitation.autoretry_for
    assert send_meeting_invitation.retry_backoff
    assert send_meeting_invitation.max_retries >= 3


def test_no_private_note_or_check_in_text_in_the_email(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    PrivateNote.objects.create(meeting=meeting, author=alice, text="SECRET NOTE TEXT")
    meeting_invitation_send(meeting_id=meeting.pk, sequence=0)
    for message in mailoutbox:
        assert "SECRET" not in message.message().as_string()


def test_a_meeting_over_by_the_time_the_task_runs_is_not_sent(pair, alice, mailoutbox):
    meeting = schedule(pair, alice)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=3))
    assert meeting_invitation_send(meeting_id=meeting.pk, sequence=0) is False
    assert mailoutbox == []


def test_the_scan_queues_invitations_that_never_went_out(pair, alice, monkeypatch):
    sent = schedule(pair, alice)
    meeting_invitation_send(meeting_id=sent.pk, sequence=0)
    unsent = schedule(pair, alice, starts_local=at(7))
    fresh = schedule(pair, alice, starts_local=at(8))
    old = timezone.now() - timedelta(minutes=10)
    Meeting.objects.filter(pk__in=[sent.pk, unsent.pk]).update(updated_at=old)
    queued = []
    monkeypatch.setattr(send_meeting_invitation, "delay", lambda *a: queued.append(a))
    assert queue_unsent_meeting_invitations() == 1
    assert queued == [(unsent.pk, 0)]
    assert fresh.pk not in [q[0] for q in queued]  # just queued by its own request


def test_send_templated_email_is_unchanged_without_the_new_keywords(pair, alice, mailoutbox):
    send_templated_email(
        to="x@example.com",
        template_prefix="matching/email/published",
        context={"match": pair, "me": pair.mentee, "other": pair.mentor, "cohort": pair.cohort},
    )
    (message,) = mailoutbox
    assert [m for _, m in message.alternatives] == ["text/html"]
    assert message.attachments == []


def test_send_templated_email_attaches_files_and_alternatives(pair, mailoutbox):
    send_templated_email(
        to="x@example.com",
        template_prefix="matching/email/published",
        context={"match": pair, "me": pair.mentee, "other": pair.mentor, "cohort": pair.cohort},
        attachments=[("a.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")],
        alternatives=[("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST")],
    )
    (message,) = mailoutbox
    assert [m for _, m in message.alternatives] == ["text/html", "text/calendar; method=REQUEST"]
    assert message.attachments[0][0] == "a.ics"
    raw = message.message().as_string()
    assert "text/calendar; method=REQUEST" in raw or 'method="REQUEST"' in raw


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_running_the_task_twice_sends_each_member_one_email(
    pair, alice, celery_worker_queue, mailoutbox
):
    meeting = schedule(pair, alice)
    finished: list[tuple[str, object]] = []

    def record(task_id=None, retval=None, **kwargs):
        finished.append((task_id, retval))

    task_postrun.connect(record, weak=False)
    try:
        # A redelivered or duplicated task: both copies reach the worker.
        first = send_meeting_invitation.apply_async((meeting.pk, 0), queue=celery_worker_queue)
        second = send_meeting_invitation.apply_async((meeting.pk, 0), queue=celery_worker_queue)
        wait_until(lambda: len(finished) == 2, message="both copies of the task to run")
    finally:
        task_postrun.disconnect(record)

    assert {task_id for task_id, _ in finished} == {first.id, second.id}
    assert sorted(retval for _, retval in finished) == [False, True]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
