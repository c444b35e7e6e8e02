"""Invitation emails: queued after commit, sent once per enrollment, never lost to an SMTP error."""

from __future__ import annotations

import smtplib

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from programs.models import Enrollment
from programs.services.enrollment import (
    NewEnrollment,
    enrollment_invitation_send,
    enrollments_invite,
)
from programs.tasks import send_enrollment_invitation
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
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentor.email, mentee.email])
    enrollment = Enrollment.objects.get(person=mentor)
    assert enrollment.status == "invited"
    assert enrollment.capacity == cohort.default_mentor_capacity
    assert enrollment.invitation_sent_at is not None


@pytest.mark.django_db
def test_invitation_links_straight_to_the_intake_and_has_text_and_html(cohort, mailoutbox):
    enrollment = Enrollment.objects.create(
        cohort=cohort, person=make_user(), role="mentee", status="invited", source="directory"
    )
    assert enrollment_invitation_send(enrollment_id=enrollment.pk)
    [message] = mailoutbox
    intake_url = f"http://localhost:8000/enrollments/{enrollment.pk}/intake/"
    assert intake_url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and intake_url in html
    assert cohort.program.name in message.subject


@pytest.mark.django_db
def test_sending_twice_sends_one_email(cohort, mailoutbox):
    enrollment = Enrollment.objects.create(
        cohort=cohort, person=make_user(), role="mentee", status="invited", source="directory"
    )
    assert enrollment_invitation_send(enrollment_id=enrollment.pk) is True
    assert enrollment_invitation_send(enrollment_id=enrollment.pk) is False
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_withdrawn_before_the_task_ran_gets_no_invitation(cohort, mailoutbox):
    enrollment = Enrollment.objects.create(
        cohort=cohort, person=make_user(), role="mentee", status="withdrawn", source="directory"
    )
    assert enrollment_invitation_send(enrollment_id=enrollment.pk) is False
    assert mailoutbox == []


@pytest.mark.django_db
def test_smtp_failure_releases_the_claim_so_a_retry_sends_it(cohort, settings, mailoutbox):
    enrollment = Enrollment.objects.create(
        cohort=cohort, person=make_user(), role="mentee", status="invited", source="directory"
    )
    settings.EMAIL_BACKEND = f"{__name__}.FailingSMTPBackend"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        enrollment_invitation_send(enrollment_id=enrollment.pk)
    enrollment.refresh_from_db()
    assert enrollment.invitation_sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert enrollment_invitation_send(enrollment_id=enrollment.pk) is True
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_running_the_task_twice_sends_one_email(
    cohort, celery_worker_queue, mailoutbox
):
    enrollment = Enrollment.objects.create(
        cohort=cohort, person=make_user(), role="mentor", capacity=2, status="invited", source="csv"
    )
    finished: list[tuple[str, object]] = []

    def record(task_id=None, retval=None, **kwargs):
        finished.append((task_id, retval))

    task_postrun.connect(record, weak=False)
    try:
        # A redelivered or duplicated task: both copies reach the worker.
        first = send_enrollment_invitation.apply_async((enrollment.pk,), queue=celery_worker_queue)
        second = send_enrollment_invitation.apply_async((enrollment.pk,), queue=celery_worker_queue)
        wait_until(lambda: len(finished) == 2, message="both copies of the task to run")
    finally:
        task_postrun.disconnect(record)

    assert {task_id for task_id, _ in finished} == {first.id, second.id}
    assert sorted(retval for _, retval in finished) == [False, True]
    assert [m.to for m in mail.outbox] == [[enrollment.person.email]]
