"""Invitation emails through the outbox: one row per member and version, both members get it
with the .ics in their own zone, each version is sent once, an outdated one never, a failure
sending to one member never re-sends to the other, and a real worker running a send twice
sends once."""

from __future__ import annotations

from datetime import datetime, timedelta
from smtplib import SMTPException

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

import mentorship.emails
from goals.models import Meeting, PrivateNote
from goals.services.meetings import meeting_cancel, meeting_schedule, meeting_update
from mentorship import outbox
from mentorship.emails import send_templated_email
from mentorship.models import Notification
from mentorship.tasks import send_notification
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db

KIND = "meeting_invitation"


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


def move(meeting, user, days: int) -> None:
    meeting_update(
        meeting=meeting,
        user=user,
        starts_local=at(days, 18),
        timezone="Europe/Paris",
        duration_minutes=60,
        mode="video",
        video_url="https://meet.example.com/abc",
        agenda="Plan the conference talk",
    )


def rows(meeting, period: str | None = None):
    found = Notification.objects.filter(kind=KIND, subject_id=meeting.pk).order_by("pk")
    return found.filter(period=period) if period is not None else found


def send(queryset) -> list[str]:
    return [
        outbox.notification_send(notification_id=pk) for pk in queryset.values_list("pk", flat=True)
    ]


def calendar_parts(message):
    """(alternative contents, attachments) with text/calendar mimetypes."""
    alternatives = [(c, m) for c, m in message.alternatives if m.startswith("text/calendar")]
    attachments = [a for a in message.attachments if a[2].startswith("text/calendar")]
    return alternatives, attachments


def test_scheduling_records_one_row_per_member_for_the_version(pair, alice, bob):
    meeting = schedule(pair, alice)
    assert sorted(rows(meeting).values_list("recipient_id", "period", "status")) == sorted(
        [(alice.pk, "v0", "pending"), (bob.pk, "v0", "pending")]
    )


def test_both_members_get_the_invitation_with_the_ics(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    assert send(rows(meeting)) == ["sent", "sent"]
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
        assert f"/pairs/{pair.pk}/meetings/{meeting.pk}/" in message.body
        assert message.extra_headers["X-Mentorship-Kind"] == KIND
    # Each sees the time in their own zone: 18:00 in Paris is 12:00 in New York.
    to_bob = next(m for m in mailoutbox if m.to == ["bob@example.com"])
    to_alice = next(m for m in mailoutbox if m.to == ["alice@example.com"])
    assert "America/New_York" in to_bob.subject and "12:00" in to_bob.subject
    assert "Europe/Paris" in to_alice.subject and "18:00" in to_alice.subject
    assert "Alice Adams" in to_bob.subject
    assert "Bob Baker" in to_alice.subject


def test_the_rendered_message_carries_a_calendar_part(pair, alice, mailoutbox):
    meeting = schedule(pair, alice)
    send(rows(meeting)[:1])
    raw = mailoutbox[0].message().as_string()
    assert 'Content-Type: text/calendar; method="REQUEST"' in raw or (
        "Content-Type: text/calendar; method=REQUEST" in raw
    )
    assert 'filename="invite.ics"' in raw


def test_a_version_is_sent_once(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    # Recording the same version again (a retried request) adds nothing.
    assert outbox.notify(KIND, recipient_id=alice.pk, subject_id=meeting.pk, period="v0") is False
    assert send(rows(meeting)) == ["sent", "sent"]
    assert send(rows(meeting)) == ["", ""]  # a duplicated or redelivered task
    assert len(mailoutbox) == 2


def test_an_outdated_version_is_not_sent_the_newer_one_is(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    move(meeting, bob, 6)
    assert send(rows(meeting, "v0")) == ["skipped", "skipped"]
    assert mailoutbox == []
    assert send(rows(meeting, "v1")) == ["sent", "sent"]
    assert all(m.subject.startswith("[Mentorship] Changed:") for m in mailoutbox)
    content = calendar_parts(mailoutbox[0])[1][0][1]
    assert Calendar.from_ical(content).walk("VEVENT")[0]["SEQUENCE"] == 1


def test_a_cancellation_sends_method_cancel(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    send(rows(meeting, "v0"))
    meeting_cancel(meeting=meeting, user=bob)
    mailoutbox.clear()
    assert send(rows(meeting, "v1")) == ["sent", "sent"]
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


def test_a_failure_sending_to_the_second_member_does_not_resend_to_the_first(
    pair, alice, bob, monkeypatch, mailoutbox
):
    meeting = schedule(pair, alice)
    original = mentorship.emails.send_templated_email
    failures = {"left": 1}

    def flaky(**kwargs):
        if kwargs["to"] == "bob@example.com" and failures["left"]:
            failures["left"] -= 1
            raise SMTPException("451 try again later")
        return original(**kwargs)

    monkeypatch.setattr(mentorship.emails, "send_templated_email", flaky)
    to_alice = rows(meeting).get(recipient=alice)
    to_bob = rows(meeting).get(recipient=bob)
    assert outbox.notification_send(notification_id=to_alice.pk) == "sent"
    with pytest.raises(outbox.RetryLater):
        outbox.notification_send(notification_id=to_bob.pk)
    to_bob.refresh_from_db()
    assert to_bob.status == "pending" and to_bob.attempts == 1
    # The retry (and any duplicate of either task) sends Bob his, and Alice nothing more.
    assert outbox.notification_send(notification_id=to_bob.pk) == "sent"
    assert outbox.notification_send(notification_id=to_alice.pk) == ""
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]


def test_no_private_note_or_check_in_text_in_the_email(pair, alice, bob, mailoutbox):
    meeting = schedule(pair, alice)
    PrivateNote.objects.create(meeting=meeting, author=alice, text="SECRET NOTE TEXT")
    PrivateNote.objects.create(meeting=meeting, author=bob, text="SECRET BOB TEXT")
    send(rows(meeting))
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert "SECRET" not in message.message().as_string()


def test_a_meeting_over_by_the_time_the_task_runs_is_not_sent(pair, alice, mailoutbox):
    meeting = schedule(pair, alice)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=3))
    assert send(rows(meeting)) == ["skipped", "skipped"]
    assert mailoutbox == []


def test_a_meeting_recorded_after_the_fact_records_no_invitation(pair, alice):
    meeting = schedule(pair, alice, starts_local=at(-2))
    assert not rows(meeting).exists()


def test_a_rolled_back_change_records_nothing(pair, alice, bob):
    meeting = schedule(pair, alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        move(meeting, bob, 7)
        raise RuntimeError("rolled back")
    assert set(rows(meeting).values_list("period", flat=True)) == {"v0"}


def test_rows_never_queued_are_picked_up_by_the_requeue(pair, alice):
    meeting = schedule(pair, alice)
    later = timezone.now() + outbox.REQUEUE_GRACE + timedelta(seconds=1)
    assert set(outbox.notifications_to_requeue(now=later)) == set(
        rows(meeting).values_list("pk", flat=True)
    )


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
def test_a_real_worker_sends_each_member_one_email_even_with_tasks_delivered_twice(
    pair, alice, celery_worker_queue, settings
):
    settings.NOTIFICATION_QUEUE = celery_worker_queue
    mail.outbox = []
    finished: list[str] = []

    def record(task=None, **kwargs):
        if task is not None and task.name == send_notification.name:
            finished.append(kwargs.get("task_id"))

    task_postrun.connect(record, weak=False)
    try:
        # The commit queues one task per row; each is also delivered a second time.
        meeting = schedule(pair, alice)
        ids = list(rows(meeting).values_list("pk", flat=True))
        assert len(ids) == 2
        for pk in ids:
            send_notification.apply_async((pk,), queue=celery_worker_queue)
        wait_until(lambda: len(finished) == 4, message="all four tasks to run")
    finally:
        task_postrun.disconnect(record)

    assert set(rows(meeting).values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
