"""The outbox's services without a worker: recording once, claiming, failures, skips, requeue."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from mentorship import outbox
from mentorship.models import Notification, NotificationOptOut
from mentorship.notifications import Due
from mentorship.tasks import scan
from tests.conftest import make_user
from tests.mentorship import kinds

pytestmark = pytest.mark.django_db


def ping(user, number=1, period=""):
    return Due("test_ping", user.pk, number, period)


def record_one(user, number=1):
    (pk,) = outbox.notifications_record([ping(user, number)])
    return pk


def test_a_reminder_is_recorded_once_per_key():
    user = make_user()
    assert len(outbox.notifications_record([ping(user), ping(user)])) == 1
    assert outbox.notifications_record([ping(user)]) == []
    assert len(outbox.notifications_record([ping(user, period="2026-W48")])) == 1
    assert len(outbox.notifications_record([ping(user, number=2)])) == 1
    assert Notification.objects.count() == 3


def test_scanning_twice_records_once():
    user = make_user()
    kinds.DUE.extend([ping(user, 1), ping(user, 2)])
    assert scan()["test_ping"] == 2
    assert scan()["test_ping"] == 0
    assert Notification.objects.filter(kind="test_ping").count() == 2


def test_a_reminder_not_yet_due_is_not_recorded():
    user = make_user()
    later = timezone.now() + timedelta(hours=2)
    kinds.DUE.append(Due("test_ping", user.pk, 1, "", later))
    assert scan()["test_ping"] == 0
    assert scan(now=later)["test_ping"] == 1


def test_people_who_switched_the_kind_off_or_left_get_no_row():
    opted_out, left, staying = make_user(), make_user(is_active=False), make_user()
    NotificationOptOut.objects.create(user=opted_out, kind="test_ping", via="settings")
    created = outbox.notifications_record([ping(opted_out), ping(left), ping(staying)])
    assert list(
        Notification.objects.filter(pk__in=created).values_list("recipient", flat=True)
    ) == [staying.pk]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown notification kind"):
        outbox.notifications_record([Due("no_such_kind", make_user().pk)])


def test_a_rolled_back_transaction_leaves_no_row():
    user = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.notify("test_ping", recipient_id=user.pk, subject_id=1)
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()


def test_send_claims_sends_and_marks_sent_once(mailoutbox):
    user = make_user(first_name="Ada")
    pk = record_one(user, 7)
    assert outbox.notification_send(notification_id=pk) == "sent"
    assert outbox.notification_send(notification_id=pk) == ""
    (message,) = mailoutbox
    assert message.to == [user.email]
    assert message.subject == "[Mentorship] Ping number 7"
    assert "Hello Ada, ping number 7." in message.body
    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at is not None


def test_every_email_has_an_unsubscribe_link_and_headers(mailoutbox):
    user = make_user()
    pk = record_one(user)
    outbox.notification_send(notification_id=pk)
    (message,) = mailoutbox
    headers = message.extra_headers
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://") and "/unsubscribe/" in url
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"].startswith(f"<notification-{pk}.")
    assert f"Stop these emails: {url}" in message.body
    html = message.alternatives[0][0]
    assert f'href="{url}"' in html and html.index(url) < html.index("</body>")
    assert "/settings/email/" in message.body


def test_a_retry_keeps_the_message_id(mailoutbox, monkeypatch):
    user = make_user()
    pk = record_one(user)
    first = outbox._message_id(Notification.objects.get(pk=pk))
    assert first == outbox._message_id(Notification.objects.get(pk=pk))


def test_an_smtp_failure_leaves_the_row_pending_with_a_backoff(mailoutbox, monkeypatch):
    user = make_user()
    pk = record_one(user)
    import mentorship.emails

    def fail(**kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(mentorship.emails, "send_templated_email", fail)
    now = timezone.now()
    with pytest.raises(outbox.RetryLater) as raised:
        outbox.notification_send(notification_id=pk, now=now)
    assert raised.value.countdown == 30
    row = Notification.objects.get(pk=pk)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == now + timedelta(seconds=30)
    assert "SMTPServerDisconnected" in row.last_error
    with pytest.raises(outbox.RetryLater) as raised:
        outbox.notification_send(notification_id=pk, now=now + timedelta(seconds=31))
    assert raised.value.countdown == 60


def test_after_the_last_try_the_row_is_failed_and_kept(mailoutbox, monkeypatch):
    user = make_user()
    pk = record_one(user)
    import mentorship.emails

    def fail(**kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(mentorship.emails, "send_templated_email", fail)
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        with pytest.raises(outbox.RetryLater):
            outbox.notification_send(notification_id=pk)
    assert outbox.notification_send(notification_id=pk) == "failed"
    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "Connection refused" in row.last_error
    # Nothing claims it again on its own; staff retry it from the admin.
    assert outbox.notification_send(notification_id=pk) == ""
    assert pk not in outbox.notifications_to_requeue(now=timezone.now() + timedelta(days=1))


def test_a_refused_address_fails_at_once(mailoutbox, monkeypatch):
    user = make_user()
    pk = record_one(user)
    import mentorship.emails

    def refuse(**kwargs):
        raise smtplib.SMTPRecipientsRefused({user.email: (550, b"No such user")})

    monkeypatch.setattr(mentorship.emails, "send_templated_email", refuse)
    assert outbox.notification_send(notification_id=pk) == "failed"
    assert "recipient refused" in Notification.objects.get(pk=pk).last_error


def test_a_bug_fails_the_row_without_retrying(mailoutbox, monkeypatch):
    user = make_user()
    pk = record_one(user)
    import dataclasses

    import mentorship.notifications as registry

    broken = dataclasses.replace(kinds.PING, build=lambda n: 1 / 0)
    monkeypatch.setitem(registry._kinds, "test_ping", broken)
    with pytest.raises(ZeroDivisionError):
        outbox.notification_send(notification_id=pk)
    row = Notification.objects.get(pk=pk)
    assert row.status == "failed" and "ZeroDivisionError" in row.last_error


def test_no_longer_due_is_skipped(mailoutbox):
    user = make_user()
    pk = record_one(user, 9)
    kinds.STALE.add(9)
    assert outbox.notification_send(notification_id=pk) == "skipped"
    assert mailoutbox == []
    assert Notification.objects.get(pk=pk).skip_reason == "no longer due"


def test_unsubscribing_after_the_row_was_recorded_skips_it(mailoutbox):
    user = make_user()
    pk = record_one(user)
    NotificationOptOut.objects.create(user=user, kind="test_ping", via="link")
    assert outbox.notification_send(notification_id=pk) == "skipped"
    assert mailoutbox == []


def test_a_claim_held_by_a_live_worker_is_not_taken(mailoutbox):
    user = make_user()
    pk = record_one(user)
    now = timezone.now()
    Notification.objects.filter(pk=pk).update(status="sending", claimed_at=now, attempts=1)
    assert outbox.notification_send(notification_id=pk, now=now + timedelta(seconds=5)) == ""
    assert pk not in outbox.notifications_to_requeue(now=now + timedelta(seconds=5))
    # Once the lease has run out, the worker that claimed it is gone: claim and send.
    later = now + outbox.lease() + timedelta(seconds=1)
    assert pk in outbox.notifications_to_requeue(now=later)
    assert outbox.notification_send(notification_id=pk, now=later) == "sent"
    assert len(mailoutbox) == 1


def test_the_lease_outlasts_the_hard_time_limit(settings):
    assert outbox.lease() > timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def test_requeue_picks_rows_that_were_never_queued_after_a_grace():
    user = make_user()
    pk = record_one(user)
    now = timezone.now()
    assert pk not in outbox.notifications_to_requeue(now=now)  # its own commit queues it
    assert pk in outbox.notifications_to_requeue(now=now + outbox.REQUEUE_GRACE)


def test_requeue_waits_for_the_backoff():
    user = make_user()
    pk = record_one(user)
    now = timezone.now() + timedelta(hours=1)
    Notification.objects.filter(pk=pk).update(
        attempts=1, next_attempt_at=now + timedelta(seconds=60)
    )
    assert pk not in outbox.notifications_to_requeue(now=now)
    assert pk in outbox.notifications_to_requeue(now=now + timedelta(seconds=60))


def test_sent_and_skipped_rows_are_never_requeued():
    user = make_user()
    sent, skipped = record_one(user, 1), record_one(user, 2)
    Notification.objects.filter(pk=sent).update(status="sent", sent_at=timezone.now())
    Notification.objects.filter(pk=skipped).update(status="skipped")
    assert outbox.notifications_to_requeue(now=timezone.now() + timedelta(days=1)) == []


def test_staff_retry_gives_a_failed_row_fresh_tries(mailoutbox):
    user = make_user()
    pk = record_one(user)
    Notification.objects.filter(pk=pk).update(status="failed", attempts=5, last_error="x")
    assert outbox.notifications_retry_failed(ids=[pk]) == 1
    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts) == ("pending", 0)
    assert outbox.notification_send(notification_id=pk) == "sent"


def test_opting_out_skips_pending_rows_and_opting_in_restores_sending():
    user = make_user()
    pk = record_one(user)
    assert outbox.notification_opt_out(user_id=user.pk, kind="test_ping", via="link") is True
    assert outbox.notification_opt_out(user_id=user.pk, kind="test_ping", via="link") is False
    assert Notification.objects.get(pk=pk).status == "skipped"
    assert outbox.notifications_record([ping(user, 2)]) == []
    assert outbox.notification_opt_in(user_id=user.pk, kind="test_ping") is True
    assert len(outbox.notifications_record([ping(user, 2)])) == 1


def test_the_unsubscribe_token_is_signed():
    token = outbox.unsubscribe_token(5, "test_ping")
    assert outbox.unsubscribe_token_read(token) == (5, "test_ping")
    assert outbox.unsubscribe_token_read(token[:-2] + "xx") is None
    assert outbox.unsubscribe_token_read(outbox.unsubscribe_token(5, "nope")) is None


def test_plain_text_parts_are_not_html_escaped(mailoutbox):
    from mentorship.emails import send_templated_email

    user = make_user(first_name="O'Brien & <Co>")
    send_templated_email(
        to=user.email,
        template_prefix="email/outbox_test",
        context={"recipient": user, "number": "1 < 2 & 'x'"},
    )
    (message,) = mailoutbox
    assert message.subject == "[Mentorship] Ping number 1 < 2 & 'x'"
    assert "Hello O'Brien & <Co>, ping number 1 < 2 & 'x'." in message.body
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in message.alternatives[0][0]  # HTML stays escaped


def test_no_retry_countdown_outlasts_the_brokers_visibility_timeout(settings):
    """A countdown past the visibility timeout would have Redis redeliver the retry early."""
    longest = max(outbox.backoff(n) for n in range(1, outbox.MAX_ATTEMPTS + 1))
    assert longest < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert [outbox.backoff(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
