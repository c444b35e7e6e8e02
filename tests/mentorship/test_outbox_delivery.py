"""Delivery guarantees with real workers on the real Redis and PostgreSQL (not eager mode):
each reminder is sent exactly once whatever is duplicated, killed or down."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from mentorship import outbox
from mentorship.mailsink import MailSink
from mentorship.models import Notification
from mentorship.notifications import Due
from mentorship.tasks import scan, send_notification
from tests.conftest import make_user, wait_until
from tests.mentorship import kinds

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outbox_queue(settings, private_queue):
    """Send tasks go to this test's private queue."""
    settings.NOTIFICATION_QUEUE = private_queue
    return private_queue


def queue_length(name: str) -> int:
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    try:
        return client.llen(name)
    finally:
        client.close()


def sent_count() -> int:
    return Notification.objects.filter(status="sent").count()


def test_a_transaction_rolled_back_queues_nothing_and_a_commit_queues_one(outbox_queue):
    user = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.notify("test_ping", recipient_id=user.pk, subject_id=1)
        raise RuntimeError("the change failed")
    assert queue_length(outbox_queue) == 0
    assert not Notification.objects.exists()
    with transaction.atomic():
        outbox.notify("test_ping", recipient_id=user.pk, subject_id=1)
        assert queue_length(outbox_queue) == 0  # not before the commit
    assert queue_length(outbox_queue) == 1


def test_scanning_twice_sends_one_email(outbox_queue, celery_worker_queue, mailoutbox):
    user = make_user()
    kinds.DUE.append(Due("test_ping", user.pk, 1))
    scan()
    scan()
    wait_until(lambda: sent_count() == 1, message="the reminder sent")
    scan()
    assert len(mailoutbox) == 1


def test_two_scans_at_once_send_each_reminder_once(outbox_queue, celery_worker_queue, mailoutbox):
    users = [make_user() for _ in range(30)]
    kinds.DUE.extend(Due("test_ping", u.pk, n) for n, u in enumerate(users, 1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(scan()["test_ping"])
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(results) == 30  # each row created by exactly one of the two scans
    wait_until(lambda: sent_count() == 30, message="30 reminders sent")
    assert len(mailoutbox) == 30
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)


def test_a_task_delivered_twice_sends_once(outbox_queue, celery_worker_queue, mailoutbox):
    user = make_user()
    (pk,) = outbox.notifications_record([Due("test_ping", user.pk, 1)])
    send_notification.apply_async((pk,), queue=outbox_queue)
    send_notification.apply_async((pk,), queue=outbox_queue)
    wait_until(lambda: sent_count() == 1, message="the reminder sent")
    wait_until(lambda: queue_length(outbox_queue) == 0, message="all three tasks consumed")
    assert len(mailoutbox) == 1


def test_an_smtp_failure_is_retried_by_the_worker(
    outbox_queue, celery_worker_queue, mailoutbox, monkeypatch
):
    import mentorship.emails

    original = mentorship.emails.send_templated_email
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return original(**kwargs)

    monkeypatch.setattr(mentorship.emails, "send_templated_email", flaky)
    monkeypatch.setattr(outbox, "backoff", lambda attempts: 0)
    user = make_user()
    (pk,) = outbox.notifications_record([Due("test_ping", user.pk, 1)])
    wait_until(lambda: sent_count() == 1, message="the retried reminder sent")
    row = Notification.objects.get(pk=pk)
    assert row.attempts == 2 and row.last_error == ""
    assert len(mailoutbox) == 1


def test_a_worker_killed_mid_send_leads_to_one_email_later(outbox_queue, settings, worker_process):
    # Short time limits, so the lease (1.5x the hard limit) runs out within the test.
    settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT = 2, 4
    held = threading.Event()
    with MailSink(hold=held) as sink:
        user = make_user()
        worker = worker_process(outbox_queue, smtp_port=sink.port)
        (pk,) = outbox.notifications_record([Due("test_ping", user.pk, 1)])
        wait_until(sink.sink.conversation_started.is_set, timeout=60, message="the send started")
        worker.kill()  # SIGKILL in the middle of the SMTP conversation
        worker.wait(10)
        held.set()
        row = Notification.objects.get(pk=pk)
        assert row.status == "sending" and sink.messages == []
        # While the lease holds, the scan leaves the row alone (its worker might be alive).
        assert scan()["requeued"] == 0
        worker_process(outbox_queue, smtp_port=sink.port)
        wait_until(
            lambda: timezone.now() > row.claimed_at + outbox.lease(),
            timeout=30,
            message="the lease ran out",
        )
        assert scan()["requeued"] == 1
        wait_until(lambda: sent_count() == 1, timeout=60, message="the reminder sent")
        assert scan()["requeued"] == 0
        wait_until(lambda: queue_length(outbox_queue) == 0, message="the queue drained")
        (message,) = sink.messages
        assert message.recipients == [user.email]
        assert Notification.objects.get(pk=pk).attempts == 2


@pytest.fixture
def broker_of_its_own(redis_server, settings):
    """The test process publishes to a Redis server the test can stop and start."""
    from mentorship.celery import app

    def use(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url
    use(redis_server.url)
    settings.CELERY_BROKER_URL = redis_server.url
    yield redis_server
    use(original)


def test_with_redis_down_requests_succeed_and_the_reminder_goes_out_after(
    outbox_queue, broker_of_its_own, worker_process, alice_client, pair
):
    """Broker down: a mentee books a meeting in the browser; the page answers and the two
    invitations wait as rows; the first scan after Redis returns queues them; each sent once."""
    from tests.goals.test_meetings_views import form_data, new_url

    redis_server = broker_of_its_own
    with MailSink() as sink:
        worker_process(outbox_queue, broker_url=redis_server.url, smtp_port=sink.port)
        redis_server.stop()
        started = time.monotonic()
        response = alice_client.post(new_url(pair), form_data())
        assert response.status_code == 302, response.content[:500]
        assert time.monotonic() - started < 20
        assert alice_client.get(response["Location"]).status_code == 200
        rows = Notification.objects.filter(kind="meeting_invitation")
        assert sorted(rows.values_list("status", flat=True)) == ["pending", "pending"]
        # A scan while the broker is down cannot queue them either; they stay pending...
        assert scan(now=timezone.now() + outbox.REQUEUE_GRACE)["requeued"] == 0
        assert rows.filter(status="pending").count() == 2
        redis_server.start()
        # ...and the first scan after Redis returns queues what waited.
        assert scan(now=timezone.now() + outbox.REQUEUE_GRACE)["requeued"] == 2
        wait_until(lambda: sent_count() == 2, timeout=60, message="both invitations sent")
        assert sorted(m.recipients[0] for m in sink.messages) == [
            "alice@example.com",
            "bob@example.com",
        ]
        scan(now=timezone.now() + outbox.REQUEUE_GRACE)
        time.sleep(1)
        assert len(sink.messages) == 2
