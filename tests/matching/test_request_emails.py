"""Self-select emails: the mentor hears when a request is put in front of them, the mentee
when it is accepted, declined or expires; each is an outbox notification recorded in the
request's transaction, sent once after commit, and a failed send is retried."""

from __future__ import annotations

import re
from datetime import timedelta
from smtplib import SMTPException

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from matching.models import MentorRequest
from matching.requests import (
    mentor_request_accept,
    mentor_request_decline,
    mentor_requests_expire,
    mentor_requests_submit,
    mentor_requests_withdraw,
)
from mentorship import outbox
from mentorship.models import Notification
from mentorship.tasks import send_notification
from programs.models import Topic
from tests.conftest import make_user, wait_until
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

SITE = "http://testserver"


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = SITE


def make_pool(program, *, capacities=(1, 1, 1)):
    """Alice Adams (a mentee who wants Leadership, remote, English and French) and mentors."""
    cohort = make_cohort(program=program, phase="closed", matching_mode="self_select")
    alice = make_user(
        email="alice@example.com",
        first_name="Alice",
        last_name="Adams",
        level=2,
        title="Engineer",
        department="Platform",
    )
    mentee = make_enrollment(
        cohort=cohort,
        person=alice,
        languages=["English", "French"],
        preferred_format="remote",
        goals="A private goal the mentor reads only on the site",
    )
    mentee.topics_sought.set(Topic.objects.filter(program=program, name="Leadership"))
    mentors = []
    for k, capacity in enumerate(capacities):
        mentor = make_enrollment(
            cohort=cohort,
            person=make_user(
                first_name=f"Mentor{k}", last_name="Mentorson", level=5, timezone="Europe/Paris"
            ),
            role="mentor",
            capacity=capacity,
            languages=["English"],
        )
        mentor.topics_offered.set(Topic.objects.filter(program=program, name="Leadership"))
        mentors.append(mentor)
    return cohort, mentee, mentors


@pytest.fixture
def pool(db, program):
    return make_pool(program)


def submit(mentee, mentors, capture):
    with capture(execute=True):
        return mentor_requests_submit(mentee=mentee, mentor_ids=[m.pk for m in mentors])


def sent_to(person):
    return [m for m in mail.outbox if m.to == [person.email]]


def row(kind, req) -> Notification:
    return Notification.objects.get(kind=kind, subject_id=req.pk)


def resend(kind, req) -> str:
    """Sending the row again (a retried or redelivered task): "" when there is nothing to do."""
    return outbox.notification_send(notification_id=row(kind, req).pk)


def html(message):
    return message.alternatives[0][0]


def both_parts(message):
    """The text part, and the HTML part as it reads (tags out, link targets kept)."""
    markup = html(message)
    hrefs = " ".join(re.findall(r'href="([^"]+)"', markup))
    return message.body, f"{strip_tags(markup)} {hrefs}"


@pytest.mark.django_db
def test_the_mentor_is_told_once_with_the_mentees_shareable_intake(
    pool, django_capture_on_commit_callbacks, mailoutbox
):
    _, mentee, mentors = pool
    first, _ = submit(mentee, mentors[:2], django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1  # the second choice's mentor hears nothing yet
    message = mailoutbox[0]
    assert message.to == [mentors[0].person.email]
    assert message.subject == (
        "[Mentorship] Alice Adams asked you to be their mentor in Engineering Mentorship"
    )
    first.refresh_from_db()
    assert first.reasons
    assert row("mentor_request_received", first).status == "sent"
    incoming = SITE + reverse("requests:incoming", kwargs={"pk": mentors[0].pk})
    for body in both_parts(message):
        assert "Alice Adams (Engineer, Platform) asked you to be their mentor" in body
        assert "choice 1" in body
        assert "Leadership" in body and "Remote" in body and "English, French" in body
        assert first.reasons[0] in body
        assert incoming in body
        assert "(Europe/Paris)" in body  # the deadline in the mentor's own time zone
        assert "A private goal" not in body  # goals stay on the site
    local = first.expires_at.astimezone(timezone.get_default_timezone())
    assert str(local.year) in message.body

    assert "/unsubscribe/" in message.body  # mentor requests can be switched off
    # A second run of the task (a retry, a redelivery) sends nothing.
    assert resend("mentor_request_received", first) == ""
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_decline_tells_the_mentee_which_choice_is_asked_now(
    pool, django_capture_on_commit_callbacks, mailoutbox
):
    _, mentee, mentors = pool
    first, second = submit(mentee, mentors[:2], django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mentor_request_decline(mentor=mentors[0], request_id=first.pk)
    (to_mentee,) = sent_to(mentee.person)
    (to_next_mentor,) = sent_to(mentors[1].person)
    assert to_mentee.subject == "[Mentorship] Mentor0 Mentorson cannot be your mentor"
    for body in both_parts(to_mentee):
        assert "Your request to Mentor0 Mentorson" in body and "was declined" in body
        assert "Your choice 2, Mentor1 Mentorson, has been asked now" in body
    assert "Alice Adams" in to_next_mentor.subject

    assert row("mentor_request_answered", first).period == "declined"
    assert resend("mentor_request_answered", first) == ""
    assert resend("mentor_request_received", second) == ""
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_an_expired_last_choice_tells_the_mentee_to_choose_again(
    pool, django_capture_on_commit_callbacks, mailoutbox
):
    cohort, mentee, mentors = pool
    (only,) = submit(mentee, mentors[:1], django_capture_on_commit_callbacks)
    mailoutbox.clear()
    later = timezone.now() + timedelta(days=cohort.request_expiry_days, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert mentor_requests_expire(now=later) == 1
    (message,) = mailoutbox
    assert message.to == [mentee.person.email]
    assert message.subject == "[Mentorship] Your request to Mentor0 Mentorson expired"
    choose = SITE + reverse("requests:choose", kwargs={"pk": mentee.pk})
    for body in both_parts(message):
        assert "expired: they did not answer in time" in body
        assert "None of your choices remain" in body and choose in body
    with django_capture_on_commit_callbacks(execute=True):
        assert mentor_requests_expire(now=later) == 0
    assert row("mentor_request_answered", only).period == "expired"
    assert resend("mentor_request_answered", only) == ""
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_an_accept_sends_the_mentee_a_link_to_their_match(
    pool, django_capture_on_commit_callbacks, mailoutbox
):
    _, mentee, mentors = pool
    first, second = submit(mentee, mentors[:2], django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mentor_request_accept(mentor=mentors[0], request_id=first.pk)
    (message,) = mailoutbox  # nothing about the superseded second choice
    assert message.to == [mentee.person.email]
    assert message.subject == (
        "[Mentorship] Mentor0 Mentorson is your mentor in Engineering Mentorship"
    )
    my_match = SITE + reverse("matching:my_match", kwargs={"pk": mentee.pk})
    first.refresh_from_db()
    book = SITE + reverse("goals:meeting_new", kwargs={"pk": first.match_id})
    for body in both_parts(message):
        assert "accepted your request" in body and my_match in body
        assert mentors[0].person.email in body
        assert book in body  # the first meeting, booked in the pair's workspace
    assert resend("mentor_request_answered", first) == ""
    assert (
        not Notification.objects.filter(subject_id=second.pk)
        .exclude(kind="mentor_request_received")
        .exists()
    )  # superseded: no email of its own
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_choices_skipped_for_lack_of_places_are_named(
    program, django_capture_on_commit_callbacks, mailoutbox
):
    cohort, mentee, mentors = make_pool(program)
    first, second, _ = submit(mentee, mentors, django_capture_on_commit_callbacks)
    # Meanwhile the second choice's only place goes to someone else.
    other = make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
    (theirs,) = submit(other, [mentors[1]], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mentor_request_accept(mentor=mentors[1], request_id=theirs.pk)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mentor_request_decline(mentor=mentors[0], request_id=first.pk)
    (message,) = sent_to(mentee.person)
    assert "Your choice 2, Mentor1 Mentorson, has no place left." in message.body
    assert "Your choice 3, Mentor2 Mentorson, has been asked now" in message.body
    second.refresh_from_db()
    assert second.status == "declined" and second.sent_at is None
    # Covered by the email above, not one of its own.
    assert not Notification.objects.filter(subject_id=second.pk).exists()
    assert len(sent_to(mentors[1].person)) == 0  # never put in front of its mentor
    assert len(sent_to(mentors[2].person)) == 1


@pytest.mark.django_db
def test_a_request_withdrawn_before_the_task_runs_is_not_announced(pool, mailoutbox):
    _, mentee, mentors = pool
    # No on-commit capture: the email has not gone when the mentee changes their mind.
    (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])
    mentor_requests_withdraw(mentee=mentee)
    assert resend("mentor_request_received", req) == "skipped"
    assert not Notification.objects.filter(kind="mentor_request_answered").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_rolled_back_request_records_nothing(pool, mailoutbox):
    _, mentee, mentors = pool
    with pytest.raises(RuntimeError), transaction.atomic():
        mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])
        raise RuntimeError("the request failed after submitting")
    assert not Notification.objects.exists() and not MentorRequest.objects.exists()


@pytest.mark.django_db
def test_a_failed_send_is_retried(pool, monkeypatch, mailoutbox):
    _, mentee, mentors = pool
    (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])

    def refuse(**kwargs):
        raise SMTPException("relay down")

    monkeypatch.setattr("mentorship.emails.send_templated_email", refuse)
    with pytest.raises(outbox.RetryLater):
        resend("mentor_request_received", req)
    assert row("mentor_request_received", req).status == "pending"
    monkeypatch.undo()
    assert resend("mentor_request_received", req) == "sent"
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_mentor_email_once(celery_worker_queue, mailoutbox, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.NOTIFICATION_QUEUE = celery_worker_queue
    finished: list[object] = []

    def record(retval=None, **kwargs):
        finished.append(retval)

    _, mentee, mentors = make_pool(make_program(name="Engineering Mentorship"))
    task_postrun.connect(record, weak=False)
    try:
        # Committed: the outbox queues the send; a redelivery brings a second copy.
        (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])
        send_notification.apply_async(
            (row("mentor_request_received", req).pk,), queue=celery_worker_queue
        )
        wait_until(lambda: len(finished) == 2, message="both copies of the task to run")
    finally:
        task_postrun.disconnect(record)
    assert sorted(finished) == ["", "sent"]
    assert [m.to for m in mailoutbox] == [[mentors[0].person.email]]
    assert "Alice Adams asked you" in mailoutbox[0].subject
