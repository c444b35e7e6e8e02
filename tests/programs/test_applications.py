"""Applications: admins accept or decline one by one or in bulk; each applicant gets one email."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship import outbox
from mentorship.models import Notification
from mentorship.tasks import send_notification
from programs.models import Enrollment
from programs.services.programs import enrollments_decide
from tests.conftest import make_user, wait_until
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def url(cohort):
    return reverse("programs:cohort_applications", kwargs={"slug": cohort.slug})


class FailingSMTPBackend(BaseEmailBackend):
    """The edge of the world: an SMTP server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


@pytest.fixture
def outsider_client(client, other_program_admin):
    client.force_login(other_program_admin)
    return client


def apply(cohort, *, days_ago=0, role="mentee", **extra):
    extra.setdefault("source", Enrollment.Source.APPLICATION)
    return make_enrollment(
        cohort=cohort,
        role=role,
        status="applied",
        created_at=timezone.now() - timedelta(days=days_ago),
        **extra,
    )


# --- The list -----------------------------------------------------------------------------


def test_lists_applications_oldest_first_with_intake_answers(admin_client, cohort, user_factory):
    newer = apply(cohort, days_ago=1, person=user_factory(first_name="Nina", last_name="New"))
    older = apply(
        cohort,
        days_ago=3,
        role="mentor",
        person=user_factory(first_name="Olaf", last_name="Old"),
        goals="",
        bio="Built the billing platform",
        languages=["English", "German"],
    )
    older.topics_offered.add(cohort.program.topics.get(name="System design"))
    newer.topics_sought.add(cohort.program.topics.get(name="Negotiation"))
    newer.goals = "Negotiate my first contract"
    newer.save()
    make_enrollment(cohort=cohort, status="accepted")
    response = admin_client.get(url(cohort))
    assert response.status_code == 200
    assert [e for e, _ in response.context["rows"]] == [older, newer]
    body = response.content.decode()
    for text in [
        "System design",
        "Negotiation",
        "Negotiate my first contract",
        "English, German",
        "Built the billing platform",
        "Who can see this page",
    ]:
        assert text in body


def test_list_query_count_does_not_grow(admin_client, cohort):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url(cohort)).status_code == 200
        return len(ctx.captured_queries)

    topic = cohort.program.topics.first()
    for _ in range(3):
        apply(cohort).topics_sought.add(topic)
    small = count()
    for i in range(40):
        apply(cohort, role="mentor" if i % 2 else "mentee").topics_offered.add(topic)
    assert count() == small


# --- Deciding -----------------------------------------------------------------------------


def test_accepting_one_sets_status_decider_and_time(admin_client, cohort, program_admin):
    applicant = apply(cohort)
    other = apply(cohort)
    response = admin_client.post(url(cohort), {"decide": f"accept-{applicant.pk}"}, follow=True)
    applicant.refresh_from_db()
    assert applicant.status == "accepted"
    assert applicant.decided_by == program_admin
    assert applicant.decided_at is not None
    other.refresh_from_db()
    assert other.status == "applied"
    assert f"Accepted {applicant.person}&#x27;s application" in response.content.decode()


def test_row_button_wins_over_ticked_boxes(admin_client, cohort):
    applicant, ticked = apply(cohort), apply(cohort)
    admin_client.post(
        url(cohort),
        {"decide": f"decline-{applicant.pk}", "enrollment": [ticked.pk], "action": "accept"},
    )
    assert Enrollment.objects.get(pk=applicant.pk).status == "declined"
    assert Enrollment.objects.get(pk=ticked.pk).status == "applied"


def test_declining_in_bulk(admin_client, cohort):
    first, second, untouched = apply(cohort), apply(cohort), apply(cohort)
    response = admin_client.post(
        url(cohort), {"enrollment": [first.pk, second.pk], "action": "decline"}
    )
    assert response.status_code == 302
    statuses = dict(Enrollment.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk], statuses[untouched.pk]) == (
        "declined",
        "declined",
        "applied",
    )


def test_bulk_needs_an_action_and_a_tick(admin_client, cohort):
    applicant = apply(cohort)
    no_action = admin_client.post(url(cohort), {"enrollment": [applicant.pk], "action": ""})
    assert no_action.status_code == 200
    assert "Choose to accept or decline" in no_action.content.decode()
    nothing_ticked = admin_client.post(url(cohort), {"action": "accept"})
    assert "Tick at least one application" in nothing_ticked.content.decode()
    garbage = admin_client.post(url(cohort), {"decide": "accept-x"})
    assert garbage.status_code == 200
    assert Enrollment.objects.get(pk=applicant.pk).status == "applied"


def test_withdrawn_meanwhile_is_left_alone_and_the_admin_is_told(admin_client, cohort):
    still, withdrawn = apply(cohort), apply(cohort)
    Enrollment.objects.filter(pk=withdrawn.pk).update(status="withdrawn")
    response = admin_client.post(
        url(cohort), {"enrollment": [still.pk, withdrawn.pk], "action": "accept"}, follow=True
    )
    assert Enrollment.objects.get(pk=withdrawn.pk).status == "withdrawn"
    assert Enrollment.objects.get(pk=withdrawn.pk).decided_at is None
    assert Enrollment.objects.get(pk=still.pk).status == "accepted"
    body = response.content.decode()
    assert "no longer applications" in body
    assert f"{withdrawn.person} (withdrawn)" in body


def test_an_application_to_another_cohort_cannot_be_decided_here(admin_client, cohort, program):
    elsewhere = apply(make_cohort(program=program))
    foreign = apply(make_cohort(program=make_program(admins=[make_user()])))
    response = admin_client.post(
        url(cohort), {"enrollment": [elsewhere.pk, foreign.pk], "action": "accept"}, follow=True
    )
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"applied"}
    assert "2 of the applications are no longer in this cohort" in response.content.decode()


def test_decisions_are_emailed_once_committed(
    cohort, program_admin, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yes, no = apply(cohort), apply(cohort)
    with django_capture_on_commit_callbacks() as callbacks:
        enrollments_decide(
            cohort=cohort, enrollment_ids=[yes.pk], accept=True, decided_by=program_admin
        )
        enrollments_decide(
            cohort=cohort, enrollment_ids=[no.pk], accept=False, decided_by=program_admin
        )
        assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([yes.person.email, no.person.email])


# --- The decision email (the outbox's ``application_decision``) ----------------------------


def decision(enrollment) -> Notification:
    return Notification.objects.get(kind="application_decision", subject_id=enrollment.pk)


def send(enrollment) -> str:
    return outbox.notification_send(notification_id=decision(enrollment).pk)


def test_a_rolled_back_decision_records_nothing(cohort, program_admin):
    applicant = apply(cohort)
    with pytest.raises(RuntimeError), transaction.atomic():
        enrollments_decide(
            cohort=cohort, enrollment_ids=[applicant.pk], accept=True, decided_by=program_admin
        )
        raise RuntimeError("the request failed after deciding")
    assert not Notification.objects.exists()
    assert Enrollment.objects.get(pk=applicant.pk).status == "applied"


def test_acceptance_email_links_to_the_intake(cohort, program_admin, mailoutbox):
    applicant = apply(cohort)
    enrollments_decide(
        cohort=cohort, enrollment_ids=[applicant.pk], accept=True, decided_by=program_admin
    )
    assert send(applicant) == "sent"
    [message] = mailoutbox
    assert message.to == [applicant.person.email]
    assert "You're in" in message.subject and cohort.program.name in message.subject
    intake_url = f"http://localhost:8000/enrollments/{applicant.pk}/intake/"
    assert intake_url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and intake_url in html
    assert "/unsubscribe/" in message.body and "/unsubscribe/" in html


def test_decline_email_says_so_kindly(cohort, program_admin, mailoutbox):
    applicant = apply(cohort)
    enrollments_decide(
        cohort=cohort, enrollment_ids=[applicant.pk], accept=False, decided_by=program_admin
    )
    send(applicant)
    [message] = mailoutbox
    assert "can't offer you a place" in message.body
    assert "/intake/" not in message.body


def test_decision_email_is_sent_once_even_when_sending_runs_twice(
    cohort, program_admin, mailoutbox
):
    applicant = apply(cohort)
    enrollments_decide(
        cohort=cohort, enrollment_ids=[applicant.pk], accept=True, decided_by=program_admin
    )
    assert send(applicant) == "sent"
    assert send(applicant) == ""
    assert len(mailoutbox) == 1
    applicant.refresh_from_db()
    assert applicant.decision_sent_at is not None


def test_no_email_for_an_undecided_or_since_withdrawn_application(
    cohort, program_admin, mailoutbox
):
    undecided = apply(cohort)
    withdrawn = apply(cohort)
    enrollments_decide(
        cohort=cohort, enrollment_ids=[withdrawn.pk], accept=True, decided_by=program_admin
    )
    assert not Notification.objects.filter(subject_id=undecided.pk).exists()
    Enrollment.objects.filter(pk=withdrawn.pk).update(status="withdrawn")
    assert send(withdrawn) == "skipped"
    assert mailoutbox == []


def test_smtp_failure_leaves_it_pending_so_a_retry_sends_it(cohort, program_admin, settings):
    applicant = apply(cohort)
    enrollments_decide(
        cohort=cohort, enrollment_ids=[applicant.pk], accept=False, decided_by=program_admin
    )
    settings.EMAIL_BACKEND = f"{__name__}.FailingSMTPBackend"
    with pytest.raises(outbox.RetryLater):
        send(applicant)
    applicant.refresh_from_db()
    assert applicant.decision_sent_at is None
    assert decision(applicant).status == "pending"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert send(applicant) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_one_email_when_the_task_arrives_twice(
    cohort, program_admin, celery_worker_queue, mailoutbox, settings
):
    settings.NOTIFICATION_QUEUE = celery_worker_queue
    applicant = apply(cohort)
    finished: list[object] = []

    def record(retval=None, **kwargs):
        finished.append(retval)

    task_postrun.connect(record, weak=False)
    try:
        # Committed: the outbox queues the send; a redelivery brings a second copy.
        enrollments_decide(
            cohort=cohort, enrollment_ids=[applicant.pk], accept=True, decided_by=program_admin
        )
        send_notification.apply_async((decision(applicant).pk,), queue=celery_worker_queue)
        wait_until(lambda: len(finished) == 2, message="both copies of the task to run")
    finally:
        task_postrun.disconnect(record)
    assert sorted(finished) == ["", "sent"]
    assert [m.to for m in mail.outbox] == [[applicant.person.email]]


# --- Who may -------------------------------------------------------------------------------


def test_hr_can_decide(hr_client, cohort):
    applicant = apply(cohort)
    assert hr_client.get(url(cohort)).status_code == 200
    hr_client.post(url(cohort), {"decide": f"accept-{applicant.pk}"})
    assert Enrollment.objects.get(pk=applicant.pk).status == "accepted"


def test_other_programs_admin_gets_404(outsider_client, cohort):
    applicant = apply(cohort)
    assert outsider_client.get(url(cohort)).status_code == 404
    response = outsider_client.post(url(cohort), {"decide": f"accept-{applicant.pk}"})
    assert response.status_code == 404
    assert Enrollment.objects.get(pk=applicant.pk).status == "applied"


def test_participant_gets_404(participant_client, participant, cohort):
    mine = apply(cohort, person=participant)
    assert participant_client.get(url(cohort)).status_code == 404
    assert participant_client.post(url(cohort), {"decide": f"accept-{mine.pk}"}).status_code == 404
    assert Enrollment.objects.get(pk=mine.pk).status == "applied"


def test_anonymous_is_sent_to_login(client, cohort):
    assert client.get(url(cohort))["Location"].startswith(reverse("account_login"))


def test_wrong_method_is_refused(admin_client, cohort):
    assert admin_client.put(url(cohort)).status_code == 405
