"""Invitation emails (the outbox's ``program_invitation``): recorded with the enrollments,
queued after commit, sent once per enrollment, never lost to an SMTP error."""

from __future__ import annotations

import smtplib

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from mentorship import outbox
from mentorship.cache_versions import bump
from mentorship.models import Notification
from mentorship.tasks import send_notification
from programs.models import Enrollment
from programs.services.enrollment import NewEnrollment, enrollments_invite
from tests.conftest import make_user, wait_until


class FailingSMTPBackend(BaseEmailBackend):
    """The edge of the world: an SMTP server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


@pytest.mark.django_db
def test_invitations_are_queued_only_after_the_transaction_commits(
    cohort, program_admin, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mentor, mentee = make_user(), make_user()
    with django_capture_on_commit_callbacks() as callbacks:
        enrollments_invite(
            cohort=cohort,
            new=[
                NewEnrollment(person=mentor, role="mentor"),
                NewEnrollment(person=mentee, role="mentee"),
            ],
            source=Enrollment.Source.DIRECTORY,
            invited_by=program_admin,
        )
        assert mailoutbox == []  # nothing leaves before the enrollments exist for others
    assert Notification.objects.filter(kind="program_invitation").count() == 2
    sending = [c for c in callbacks if getattr(c, "func", None) is not bump]  # not the version's
    assert len(sending) == 1
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentor.email, mentee.email])
    enrollment = Enrollment.objects.get(person=mentor)
    assert enrollment.status == "invited"
    assert enrollment.capacity == cohort.default_mentor_capacity
    assert enrollment.invitation_sent_at is not None


def invitation(enrollment) -> Notification:
    return Notification.objects.get(kind="program_invitation", subject_id=enrollment.pk)


def invited(cohort, **extra) -> Enrollment:
    """An enrollment invited through the service (its notice recorded, not yet sent)."""
    person = extra.pop("person", None) or make_user()
    (enrollment,) = enrollments_invite(
        cohort=cohort,
        new=[NewEnrollment(person=person, role=extra.pop("role", "mentee"))],
        source=Enrollment.Source.DIRECTORY,
        invited_by=None,
    )
    return enrollment


@pytest.mark.django_db
def test_a_rolled_back_invitation_records_and_queues_nothing(
    cohort, django_capture_on_commit_callbacks, mailoutbox
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invited(cohort)
        raise RuntimeError("the admin's request failed after enrolling")
    assert callbacks == []
    assert not Enrollment.objects.exists() and not Notification.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_invitation_links_straight_to_the_intake_and_has_text_and_html(cohort, mailoutbox):
    enrollment = invited(cohort)
    assert outbox.notification_send(notification_id=invitation(enrollment).pk) == "sent"
    [message] = mailoutbox
    intake_url = f"http://localhost:8000/enrollments/{enrollment.pk}/intake/"
    assert intake_url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and intake_url in html
    assert cohort.program.name in message.subject
    # The outbox's footer: this kind can be switched off on its own.
    assert "/unsubscribe/" in message.body and "/unsubscribe/" in html
    assert message.extra_headers["X-Mentorship-Kind"] == "program_invitation"


@pytest.mark.django_db
def test_sending_twice_sends_one_email(cohort, mailoutbox):
    enrollment = invited(cohort)
    pk = invitation(enrollment).pk
    assert outbox.notification_send(notification_id=pk) == "sent"
    assert outbox.notification_send(notification_id=pk) == ""
    assert len(mailoutbox) == 1
    # Recording it again (a retried request) adds nothing.
    assert not outbox.notify(
        "program_invitation", recipient_id=enrollment.person_id, subject_id=enrollment.pk
    )


@pytest.mark.django_db
def test_withdrawn_before_the_task_ran_gets_no_invitation(cohort, mailoutbox):
    enrollment = invited(cohort)
    Enrollment.objects.filter(pk=enrollment.pk).update(status="withdrawn")
    assert outbox.notification_send(notification_id=invitation(enrollment).pk) == "skipped"
    assert mailoutbox == []
    enrollment.refresh_from_db()
    assert enrollment.invitation_sent_at is None


@pytest.mark.django_db
def test_smtp_failure_leaves_it_pending_so_a_retry_sends_it(cohort, settings, mailoutbox):
    enrollment = invited(cohort)
    pk = invitation(enrollment).pk
    settings.EMAIL_BACKEND = f"{__name__}.FailingSMTPBackend"
    with pytest.raises(outbox.RetryLater):
        outbox.notification_send(notification_id=pk)
    enrollment.refresh_from_db()
    assert enrollment.invitation_sent_at is None
    assert invitation(enrollment).status == "pending"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.notification_send(notification_id=pk) == "sent"
    assert len(mail.outbox) == 1
    enrollment.refresh_from_db()
    assert enrollment.invitation_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_one_email_when_the_task_arrives_twice(
    cohort, celery_worker_queue, mailoutbox, settings
):
    settings.NOTIFICATION_QUEUE = celery_worker_queue
    finished: list[tuple[str, object]] = []

    def record(task_id=None, retval=None, **kwargs):
        finished.append((task_id, retval))

    task_postrun.connect(record, weak=False)
    try:
        # Committed: the outbox queues the send on the worker's queue; a redelivered or
        # duplicated task brings a second copy.
        enrollment = invited(cohort, role="mentor")
        pk = invitation(enrollment).pk
        send_notification.apply_async((pk,), queue=celery_worker_queue)
        wait_until(lambda: len(finished) == 2, message="both copies of the task to run")
    finally:
        task_postrun.disconnect(record)

    assert sorted(retval for _, retval in finished) == ["", "sent"]
    assert [m.to for m in mail.outbox] == [[enrollment.person.email]]
    enrollment.refresh_from_db()
    assert enrollment.invitation_sent_at is not None
