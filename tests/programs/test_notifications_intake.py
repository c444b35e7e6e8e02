"""Intake reminders and the last call: due at 09:00 in each person's own time zone on the due
day, never before, recorded once, skipped once no longer needed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mentorship import outbox
from mentorship.models import Notification
from mentorship.notifications import Due, get_kind
from mentorship.tasks import scan
from programs.models import Enrollment
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
INTAKE = get_kind("intake_reminder")
LAST_CALL = get_kind("application_last_call")


@pytest.fixture(autouse=True)
def no_broker(settings):
    """Anything these tests queue runs here, never on a shared broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def at(day, zone, hour=9):
    return datetime.combine(day, time(hour), tzinfo=zone)


def invite(cohort, person, sent_at, **extra):
    extra.setdefault("status", "invited")
    return make_enrollment(cohort=cohort, person=person, invitation_sent_at=sent_at, **extra)


def due(kind, enrollment, period, moment):
    return Due(kind.name, enrollment.person_id, enrollment.pk, period, moment)


def mine(kind, now, enrollment):
    return [d for d in kind.scan(now) if d.subject_id == enrollment.pk]


def record(kind, now):
    return outbox.notifications_record(kind.scan(now), now=now)


@pytest.fixture
def invited_day():
    """The day (a day ago) both were invited: 15:00 in Paris, 09:00 in New York."""
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture
def pair_invited(cohort, alice, bob, invited_day):
    sent = at(invited_day, PARIS, 15)
    return invite(cohort, alice, sent), invite(cohort, bob, sent, role="mentor")


# --- Intake reminders -------------------------------------------------------------------------


def test_first_reminder_at_nine_local_three_days_after_the_invitation(pair_invited, invited_day):
    mentee, mentor = pair_invited
    day = invited_day + timedelta(days=3)
    paris_nine, new_york_nine = at(day, PARIS), at(day, NEW_YORK)

    assert mine(INTAKE, paris_nine - MINUTE, mentee) == []
    assert mine(INTAKE, paris_nine, mentee) == [due(INTAKE, mentee, "first", paris_nine)]
    # Bob's 09:00 comes six hours later.
    assert mine(INTAKE, paris_nine, mentor) == []
    assert mine(INTAKE, new_york_nine - MINUTE, mentor) == []
    assert mine(INTAKE, new_york_nine, mentor) == [due(INTAKE, mentor, "first", new_york_nine)]


def test_second_reminder_after_seven_days_and_never_two_at_once(pair_invited, invited_day):
    mentee, _ = pair_invited
    first = at(invited_day + timedelta(days=3), PARIS)
    second = at(invited_day + timedelta(days=7), PARIS)
    record(INTAKE, first)
    assert mine(INTAKE, second - MINUTE, mentee) == []  # the first is recorded already
    assert mine(INTAKE, second, mentee) == [due(INTAKE, mentee, "second", second)]
    record(INTAKE, second)
    assert mine(INTAKE, second + timedelta(days=2), mentee) == []
    assert list(
        Notification.objects.filter(kind="intake_reminder", subject_id=mentee.pk)
        .order_by("due_at")
        .values_list("period", "due_at")
    ) == [("first", first), ("second", second)]

    # Someone whose first reminder never went out (scans were down) gets the second only.
    late = invite(mentee.cohort, make_user(timezone="Europe/Paris"), mentee.invitation_sent_at)
    assert mine(INTAKE, second, late) == [due(INTAKE, late, "second", second)]


def test_the_days_are_cohort_settings(cohort, alice, invited_day):
    cohort.intake_first_reminder_days, cohort.intake_second_reminder_days = 1, 2
    cohort.save()
    mentee = invite(cohort, alice, at(invited_day, PARIS, 15))
    one_day = at(invited_day + timedelta(days=1), PARIS)
    assert mine(INTAKE, one_day, mentee) == [due(INTAKE, mentee, "first", one_day)]


def test_scanned_twice_recorded_once(pair_invited, invited_day, mailoutbox):
    assert len(pair_invited) == 2
    now = at(invited_day + timedelta(days=3), PARIS)
    assert len(record(INTAKE, now)) == 1
    assert record(INTAKE, now) == []
    assert record(INTAKE, now + timedelta(hours=5)) == []  # 08:00 for Bob
    assert scan(now=now + timedelta(hours=6))["intake_reminder"] == 1  # his 09:00
    assert scan(now=now + timedelta(hours=6))["intake_reminder"] == 0
    assert Notification.objects.filter(kind="intake_reminder").count() == 2


def test_only_people_still_owing_an_intake(cohort, invited_day):
    sent = at(invited_day, PARIS, 15)
    owing = invite(cohort, make_user(), sent)
    done = invite(cohort, make_user(), sent, intake_completed_at=timezone.now())
    gone = [
        invite(cohort, make_user(), sent, status=status)
        for status in ("withdrawn", "declined", "completed")
    ]
    left = invite(cohort, make_user(is_active=False), sent)
    never_invited = make_enrollment(cohort=cohort, status="applied", source="application")
    now = at(invited_day + timedelta(days=8), PARIS)
    found = {d.subject_id for d in INTAKE.scan(now)}
    assert owing.pk in found
    assert found.isdisjoint({done.pk, left.pk, never_invited.pk, *(e.pk for e in gone)})


def test_nothing_once_the_cohort_has_started(program, alice):
    started = make_cohort(program=program, phase="running")
    mentee = invite(started, alice, timezone.now() - timedelta(days=3, hours=12))
    assert mine(INTAKE, timezone.now(), mentee) == []


def test_reminders_switched_off_for_the_cohort(pair_invited, invited_day):
    mentee, _ = pair_invited
    cohort = mentee.cohort
    now = at(invited_day + timedelta(days=3), PARIS)
    (pk,) = record(INTAKE, now)
    cohort.reminders_enabled = False
    cohort.save()
    assert mine(INTAKE, now + timedelta(days=4), mentee) == []
    assert outbox.notification_send(notification_id=pk) == "skipped"


def test_skipped_when_the_intake_was_finished_or_the_person_withdrew(pair_invited, invited_day):
    mentee, mentor = pair_invited
    now = at(invited_day + timedelta(days=3), NEW_YORK)
    ids = dict(
        Notification.objects.filter(pk__in=record(INTAKE, now)).values_list("subject_id", "pk")
    )
    Enrollment.objects.filter(pk=mentee.pk).update(
        status="accepted", intake_completed_at=timezone.now()
    )
    Enrollment.objects.filter(pk=mentor.pk).update(status="withdrawn")
    for pk in ids.values():
        assert outbox.notification_send(notification_id=pk) == "skipped"
    assert set(Notification.objects.values_list("skip_reason", flat=True)) == {"no longer due"}


def test_the_reminder_says_what_is_missing_and_links_to_the_intake(
    pair_invited, invited_day, mailoutbox
):
    mentee, _ = pair_invited
    now = at(invited_day + timedelta(days=7), PARIS)
    (pk,) = [
        n
        for n in record(INTAKE, now)
        if Notification.objects.get(pk=n).recipient_id == mentee.person_id
    ]
    assert outbox.notification_send(notification_id=pk) == "sent"
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "[Mentorship] Second reminder: finish your intake for " + (
        "Engineering Mentorship"
    )
    intake_url = f"http://localhost:8000/enrollments/{mentee.pk}/intake/"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert intake_url in body
        assert "topics you want help with" in body and "how you prefer to meet" in body
        assert f"on {invited_day:%-d %B %Y}" in body  # the invitation's day in her zone
        assert "/unsubscribe/" in body
    assert "List-Unsubscribe" in message.extra_headers


# --- Last call --------------------------------------------------------------------------------


@pytest.fixture
def last_call_day(cohort):
    return cohort.application_closes - timedelta(days=cohort.last_call_days)


def test_last_call_at_nine_local_two_days_before_applications_close(
    cohort, alice, bob, last_call_day
):
    applicant = make_enrollment(cohort=cohort, person=alice, status="applied", source="application")
    invited = invite(cohort, bob, timezone.now() - timedelta(days=1), role="mentor")
    period = cohort.application_closes.isoformat()
    paris_nine, new_york_nine = at(last_call_day, PARIS), at(last_call_day, NEW_YORK)

    assert mine(LAST_CALL, paris_nine - MINUTE, applicant) == []
    assert mine(LAST_CALL, paris_nine, applicant) == [due(LAST_CALL, applicant, period, paris_nine)]
    assert mine(LAST_CALL, paris_nine, invited) == []
    assert mine(LAST_CALL, new_york_nine - MINUTE, invited) == []
    assert mine(LAST_CALL, new_york_nine, invited) == [
        due(LAST_CALL, invited, period, new_york_nine)
    ]


def test_last_call_recorded_once_and_only_for_those_owing(cohort, alice, last_call_day):
    owing = make_enrollment(cohort=cohort, person=alice, status="accepted")
    done = make_enrollment(cohort=cohort, intake_completed_at=timezone.now())
    withdrawn = make_enrollment(cohort=cohort, status="withdrawn")
    now = at(last_call_day, PARIS) + timedelta(hours=20)  # 09:00 reached everywhere on Earth
    created = record(LAST_CALL, now)
    assert record(LAST_CALL, now) == []
    assert record(LAST_CALL, now + timedelta(days=1)) == []
    assert set(
        Notification.objects.filter(pk__in=created).values_list("subject_id", flat=True)
    ) >= {owing.pk}
    assert not Notification.objects.filter(subject_id__in=[done.pk, withdrawn.pk]).exists()


def test_no_last_call_once_the_window_closed(cohort, alice, last_call_day):
    enrollment = make_enrollment(cohort=cohort, person=alice)
    after = at(cohort.application_closes + timedelta(days=1), PARIS, 0)
    assert mine(LAST_CALL, after, enrollment) == []
    assert mine(LAST_CALL, at(cohort.application_closes, PARIS, 23), enrollment) != []


def test_a_last_call_that_could_not_go_out_before_the_close_is_skipped(program, alice):
    closed = make_cohort(program=program, phase="closed")
    enrollment = make_enrollment(cohort=closed, person=alice)
    pk = outbox.notifications_record(
        [
            Due(
                "application_last_call",
                alice.pk,
                enrollment.pk,
                closed.application_closes.isoformat(),
            )
        ]
    )[0]
    assert outbox.notification_send(notification_id=pk) == "skipped"


def test_a_moved_closing_date_gets_its_own_last_call(cohort, alice, last_call_day):
    enrollment = make_enrollment(cohort=cohort, person=alice)
    (old,) = record(LAST_CALL, at(last_call_day, PARIS))
    cohort.application_closes += timedelta(days=3)
    cohort.save()
    assert outbox.notification_send(notification_id=old) == "skipped"
    assert mine(LAST_CALL, at(last_call_day, PARIS) + timedelta(days=1), enrollment) == []
    new_day = at(last_call_day + timedelta(days=3), PARIS)
    assert mine(LAST_CALL, new_day, enrollment) == [
        due(LAST_CALL, enrollment, cohort.application_closes.isoformat(), new_day)
    ]


def test_no_last_call_when_reminders_are_off(cohort, alice, last_call_day):
    make_enrollment(cohort=cohort, person=alice)
    cohort.reminders_enabled = False
    cohort.save()
    assert list(LAST_CALL.scan(at(last_call_day, PARIS) + timedelta(hours=20))) == []


def test_the_last_call_names_the_closing_day_and_links_to_the_intake(
    cohort, alice, last_call_day, mailoutbox
):
    enrollment = make_enrollment(cohort=cohort, person=alice, status="applied")
    (pk,) = record(LAST_CALL, at(last_call_day, PARIS))
    assert outbox.notification_send(notification_id=pk) == "sent"
    (message,) = mailoutbox
    closes = cohort.application_closes
    assert message.subject == (
        f"[Mentorship] Last call: Engineering Mentorship, Spring 2027 closes on {closes:%-d %B}"
    )
    for body in (message.body, message.alternatives[0][0]):
        assert f"{closes:%A %-d %B %Y}" in body
        assert f"http://localhost:8000/enrollments/{enrollment.pk}/intake/" in body
        assert "languages you speak" in body
