"""Self-select emails: the mentor hears when a request is put in front of them, the mentee
when it is accepted, declined or expires; each is sent once, from a Celery task queued on
commit, and a failed send is retried."""

from __future__ import annotations

import re
from datetime import timedelta
from smtplib import SMTPException

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

import matching.requests as requests_module
from matching.models import MentorRequest
from matching.requests import (
    mentor_request_accept,
    mentor_request_decline,
    mentor_request_notify_mentee,
    mentor_request_notify_mentor,
    mentor_requests_expire,
    mentor_requests_submit,
    mentor_requests_withdraw,
)
from matching.tasks_requests import send_mentor_request_outcome, send_mentor_request_received
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
    assert first.reasons and first.mentor_notified_at
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

    # A second run of the task (a retry, a redelivery) sends nothing.
    assert send_mentor_request_received.apply((first.pk,)).get() is False
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

    assert send_mentor_request_outcome.apply((first.pk,)).get() is False
    assert send_mentor_request_received.apply((second.pk,)).get() is False
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
    assert send_mentor_request_outcome.apply((only.pk,)).get() is False
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
    for body in both_parts(message):
        assert "accepted your request" in body and my_match in body
        assert mentors[0].person.email in body
    assert send_mentor_request_outcome.apply((first.pk,)).get() is False
    assert send_mentor_request_outcome.apply((second.pk,)).get() is False  # superseded
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
    assert second.mentee_notified_at is None  # covered by the email above, not one of its own
    assert len(sent_to(mentors[1].person)) == 0  # never put in front of its mentor
    assert len(sent_to(mentors[2].person)) == 1


@pytest.mark.django_db
def test_a_request_withdrawn_before_the_task_runs_is_not_announced(pool, mailoutbox):
    _, mentee, mentors = pool
    # No on-commit capture: the task has not run when the mentee changes their mind.
    (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])
    mentor_requests_withdraw(mentee=mentee)
    assert mentor_request_notify_mentor(request_id=req.pk) is False
    assert mentor_request_notify_mentee(request_id=req.pk) is False
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_for_the_retry(pool, monkeypatch, mailoutbox):
    _, mentee, mentors = pool
    (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])

    def refuse(**kwargs):
        raise SMTPException("relay down")

    monkeypatch.setattr("mentorship.emails.send_templated_email", refuse)
    with pytest.raises(SMTPException):
        mentor_request_notify_mentor(request_id=req.pk)
    req.refresh_from_db()
    assert req.mentor_notified_at is None
    monkeypatch.undo()
    assert mentor_request_notify_mentor(request_id=req.pk) is True
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_mentor_email_once(
    celery_worker_queue, monkeypatch, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    finished: list[object] = []

    def record(retval=None, **kwargs):
        finished.append(retval)

    def queue_twice(request_id):
        # As a redelivery would: the same task twice on the worker's queue.
        for _ in range(2):
            send_mentor_request_received.apply_async((request_id,), queue=celery_worker_queue)

    monkeypatch.setattr(requests_module, "_queue_mentor_email", queue_twice)
    _, mentee, mentors = make_pool(make_program(name="Engineering Mentorship"))
    task_postrun.connect(record, weak=False)
    try:
        (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentors[0].pk])
        wait_until(lambda: len(finished) == 2, message="both copies of the task to run")
    finally:
        task_postrun.disconnect(record)
    assert sorted(finished) == [False, True]
    assert [m.to for m in mailoutbox] == [[mentors[0].person.email]]
    assert "Alice Adams asked you" in mailoutbox[0].subject
    assert MentorRequest.objects.get(pk=req.pk).mentor_notified_at is not None
