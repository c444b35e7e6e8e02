"""Matching's notifications: a published match tells each member once, with the other's
profile and a link to book the first meeting; a mentor request still unanswered some days
after it reached the mentor reminds them once, at 09:00 their time, before it expires."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from matching.models import Match, MentorRequest
from matching.services import matches_publish
from mentorship import outbox
from mentorship.cache_versions import bump
from mentorship.models import Notification
from mentorship.notifications import Due, get_kind
from programs.models import Topic
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
WAITING = get_kind("mentor_request_waiting")


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.CELERY_TASK_ALWAYS_EAGER = True  # anything queued runs here, never on a broker


def at(day, zone, hour=9):
    return datetime.combine(day, time(hour), tzinfo=zone)


def rows(kind, subject_id):
    return Notification.objects.filter(kind=kind, subject_id=subject_id)


def send_all(kind, subject_id):
    return [outbox.notification_send(notification_id=n.pk) for n in rows(kind, subject_id)]


# --- Match published --------------------------------------------------------------------------


@pytest.fixture
def draft(program, alice, bob):
    """Alice (mentee) and Bob (mentor) proposed in a closed cohort, with intake answers."""
    cohort = make_cohort(program=program, phase="closed", name="Autumn 2027")
    match = make_pair(
        cohort=cohort,
        mentee=alice,
        mentor=bob,
        status="proposed",
        published_at=None,
        reasons=["Both of you care about Leadership."],
    )
    bob.title, bob.department = "Staff engineer", "Platform"
    bob.save()
    mentor, mentee = match.mentor, match.mentee
    mentor.bio = "Built the billing platform."
    mentor.languages = ["English", "German"]
    mentor.preferred_format = "remote"
    mentor.save()
    mentor.topics_offered.set(Topic.objects.filter(program=program, name="Leadership"))
    mentee.goals = "A private goal that stays on the site"
    mentee.save()
    mentee.topics_sought.set(Topic.objects.filter(program=program, name="Negotiation"))
    return match


def test_publishing_records_one_notice_per_member_in_its_transaction(
    draft, program_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        matches_publish(cohort=draft.cohort, user=program_admin)
    assert sorted(rows("match_published", draft.pk).values_list("recipient_id", "period")) == (
        sorted([(draft.mentee.person_id, ""), (draft.mentor.person_id, "")])
    )
    # Queued once committed (the other callback moves the cached figures' version).
    assert len([c for c in callbacks if getattr(c, "func", None) is not bump]) == 1
    # Recording again (a retried request) adds nothing.
    assert not outbox.notify(
        "match_published", recipient_id=draft.mentee.person_id, subject_id=draft.pk
    )


def test_a_rolled_back_publication_records_nothing(draft, program_admin):
    with pytest.raises(RuntimeError), transaction.atomic():
        matches_publish(cohort=draft.cohort, user=program_admin)
        raise RuntimeError("the request failed after publishing")
    assert not Notification.objects.exists()
    assert Match.objects.get(pk=draft.pk).status == "proposed"


def test_the_mentee_gets_the_mentors_profile_and_a_link_to_book_the_first_meeting(
    draft, program_admin, mailoutbox
):
    matches_publish(cohort=draft.cohort, user=program_admin)
    (pk,) = (
        rows("match_published", draft.pk)
        .filter(recipient=draft.mentee.person)
        .values_list("pk", flat=True)
    )
    assert outbox.notification_send(notification_id=pk) == "sent"
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert (
        message.subject == "[Mentorship] You are matched with Bob Baker in Engineering Mentorship"
    )
    book = SITE + reverse("goals:meeting_new", kwargs={"pk": draft.pk})
    pair = SITE + reverse("goals:pair", kwargs={"pk": draft.pk})
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "your mentor is" in body and "Bob Baker" in body
        assert "Staff engineer" in body and "Platform" in body
        assert "Can help with: Leadership" in body
        assert "English, German" in body and "remote" in body
        assert "Built the billing platform." in body
        assert "bob@example.com" in body
        assert "Both of you care about Leadership." in body
        assert book in body and pair in body
        assert "/unsubscribe/" in body


def test_the_mentor_gets_the_mentees_profile_without_their_goals_text(
    draft, program_admin, mailoutbox
):
    matches_publish(cohort=draft.cohort, user=program_admin)
    (pk,) = (
        rows("match_published", draft.pk)
        .filter(recipient=draft.mentor.person)
        .values_list("pk", flat=True)
    )
    outbox.notification_send(notification_id=pk)
    (message,) = mailoutbox
    assert message.to == ["bob@example.com"]
    assert "You are matched with Alice Adams" in message.subject
    for body in (message.body, message.alternatives[0][0]):
        assert "you will mentor" in body and "Wants to learn: Negotiation" in body
        assert "A private goal" not in body
        assert SITE + reverse("goals:meeting_new", kwargs={"pk": draft.pk}) in body


def test_sent_once_and_even_when_the_cohorts_reminders_are_off(draft, program_admin, mailoutbox):
    draft.cohort.reminders_enabled = False
    draft.cohort.save()
    matches_publish(cohort=draft.cohort, user=program_admin)
    assert send_all("match_published", draft.pk) == ["sent", "sent"]
    assert send_all("match_published", draft.pk) == ["", ""]
    assert len(mailoutbox) == 2


def test_a_match_ended_before_the_email_went_out_is_skipped(draft, program_admin, mailoutbox):
    matches_publish(cohort=draft.cohort, user=program_admin)
    Match.objects.filter(pk=draft.pk).update(status="ended")
    assert send_all("match_published", draft.pk) == ["skipped", "skipped"]
    assert mailoutbox == []


# --- A mentor request waiting -----------------------------------------------------------------


@pytest.fixture
def asked_day():
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture
def waiting_request(program, alice, bob, asked_day):
    """Alice asked Bob (New York) a day ago at 15:00 Paris time, 09:00 his time."""
    cohort = make_cohort(program=program, phase="closed", matching_mode="self_select")
    mentee = make_enrollment(cohort=cohort, person=alice)
    mentor = make_enrollment(cohort=cohort, person=bob, role="mentor")
    sent = at(asked_day, PARIS, 15)
    return MentorRequest.objects.create(
        cohort=cohort,
        mentee=mentee,
        mentor=mentor,
        rank=1,
        status="pending",
        sent_at=sent,
        expires_at=sent + timedelta(days=cohort.request_expiry_days),
    )


def mine(now, req):
    return [d for d in WAITING.scan(now) if d.subject_id == req.pk]


def test_the_mentor_is_reminded_at_nine_his_time_two_days_after_the_request(
    waiting_request, bob, asked_day
):
    due = at(asked_day + timedelta(days=2), NEW_YORK)
    assert mine(due - MINUTE, waiting_request) == []
    assert mine(due, waiting_request) == [
        Due("mentor_request_waiting", bob.pk, waiting_request.pk, "", due)
    ]
    # Paris's 09:00 that day is not his.
    assert mine(at(asked_day + timedelta(days=2), PARIS), waiting_request) == []


def test_the_days_are_the_cohorts_setting(waiting_request, bob, asked_day):
    cohort = waiting_request.cohort
    cohort.request_waiting_days = 1
    cohort.save()
    due = at(asked_day + timedelta(days=1), NEW_YORK)
    assert [d.due_at for d in mine(due, waiting_request)] == [due]


def test_recorded_once_when_scanned_twice(waiting_request, asked_day):
    now = at(asked_day + timedelta(days=2), NEW_YORK)
    assert len(outbox.notifications_record(WAITING.scan(now), now=now)) == 1
    assert outbox.notifications_record(WAITING.scan(now), now=now) == []
    later = now + timedelta(days=1)
    assert outbox.notifications_record(WAITING.scan(later), now=later) == []
    assert rows("mentor_request_waiting", waiting_request.pk).count() == 1


def test_no_reminder_once_expired_answered_or_switched_off(waiting_request, asked_day):
    due = at(asked_day + timedelta(days=2), NEW_YORK)
    assert mine(waiting_request.expires_at, waiting_request) == []  # expired by then
    MentorRequest.objects.filter(pk=waiting_request.pk).update(status="declined")
    assert mine(due, waiting_request) == []
    MentorRequest.objects.filter(pk=waiting_request.pk).update(status="pending")
    cohort = waiting_request.cohort
    cohort.reminders_enabled = False
    cohort.save()
    assert mine(due, waiting_request) == []


def test_no_reminder_when_it_would_come_after_the_request_expires(waiting_request, asked_day):
    cohort = waiting_request.cohort
    cohort.request_waiting_days = cohort.request_expiry_days  # 09:00 his time: after 09:00 expiry
    cohort.save()
    MentorRequest.objects.filter(pk=waiting_request.pk).update(
        expires_at=waiting_request.sent_at + timedelta(days=cohort.request_expiry_days, minutes=-1)
    )
    day = at(asked_day + timedelta(days=cohort.request_expiry_days), NEW_YORK)
    assert mine(day - timedelta(minutes=2), waiting_request) == []
    assert mine(day, waiting_request) == []


def test_skipped_when_answered_before_it_went_out(waiting_request, asked_day):
    now = at(asked_day + timedelta(days=2), NEW_YORK)
    outbox.notifications_record(WAITING.scan(now), now=now)
    MentorRequest.objects.filter(pk=waiting_request.pk).update(status="accepted")
    assert send_all("mentor_request_waiting", waiting_request.pk) == ["skipped"]


def test_skipped_when_reminders_were_switched_off_before_it_went_out(waiting_request, asked_day):
    now = at(asked_day + timedelta(days=2), NEW_YORK)
    outbox.notifications_record(WAITING.scan(now), now=now)
    cohort = waiting_request.cohort
    cohort.reminders_enabled = False
    cohort.save()
    assert send_all("mentor_request_waiting", waiting_request.pk) == ["skipped"]


def test_the_reminder_names_the_mentee_the_deadline_in_his_zone_and_links_to_answer(
    waiting_request, asked_day, mailoutbox
):
    now = at(asked_day + timedelta(days=2), NEW_YORK)
    outbox.notifications_record(WAITING.scan(now), now=now)
    assert send_all("mentor_request_waiting", waiting_request.pk) == ["sent"]
    (message,) = mailoutbox
    assert message.to == ["bob@example.com"]
    assert message.subject == (
        "[Mentorship] Alice Adams is waiting for your answer in Engineering Mentorship"
    )
    deadline = waiting_request.expires_at.astimezone(NEW_YORK)
    incoming = SITE + reverse("requests:incoming", kwargs={"pk": waiting_request.mentor_id})
    for body in (message.body, message.alternatives[0][0]):
        assert f"On {asked_day:%-d %B}, " in body
        assert f"{deadline.day} {deadline:%B %Y, %H:%M} (America/New_York)" in body
        assert incoming in body
        assert "/unsubscribe/" in body
