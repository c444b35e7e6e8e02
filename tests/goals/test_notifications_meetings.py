"""The pair's reminder kinds: meeting reminders, check-ins due, reviews waiting, cadence nudges.

For each: due at the right moment in the recipient's zone and not before, recorded once
however often scanned, skipped at send time once no longer due, silent when the cohort's
reminders are off, and an email that links to the page where to act, shows times in the
recipient's zone and carries no note text.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from goals import notifications_meetings as nm
from goals.health import Health
from goals.models import AgreementRevision, CheckIn, Meeting, PrivateNote
from goals.selectors.pairs import health_of, with_health_figures
from goals.services.meetings import meeting_cancel, meeting_update
from matching.models import Match
from mentorship import outbox, tasks
from mentorship.models import Notification
from mentorship.notifications import get_kind
from programs.models import Enrollment
from tests.conftest import make_user
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort, make_program

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
SECRETS = ("SECRET-NOTE", "SECRET-DISCUSSED", "SECRET-NEXT", "SECRET-EXPECT", "SECRET-REVIEW")
MINUTE = timedelta(minutes=1)


def scan(kind: str, now: datetime) -> list:
    return list(get_kind(kind).scan(now))


def record(kind: str, now: datetime) -> list[int]:
    return outbox.notifications_record(get_kind(kind).scan(now), now=now)


def rows(kind: str):
    return Notification.objects.filter(kind=kind).order_by("pk")


def send_all(kind: str) -> list[str]:
    return [
        outbox.notification_send(notification_id=pk)
        for pk in rows(kind).values_list("pk", flat=True)
    ]


def keys(kind: str) -> set[tuple]:
    return set(rows(kind).values_list("recipient__email", "subject_id", "period"))


def whole_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def held(pair, starts_at: datetime, **extra) -> Meeting:
    values = {
        "match": pair,
        "organizer": pair.mentee.person,
        "starts_at": starts_at,
        "timezone": "Europe/Paris",
        "duration_minutes": 60,
        "mode": "video",
        "video_url": "https://meet.example.com/abc",
        "agenda": "Talk plan",
    }
    values.update(extra)
    return Meeting.objects.create(**values)


def check_in(meeting: Meeting, submitted_at: datetime, author=None, **extra) -> CheckIn:
    return CheckIn.objects.create(
        meeting=meeting,
        match=meeting.match,
        author=author or meeting.match.mentee.person,
        discussed="SECRET-DISCUSSED",
        next_steps="SECRET-NEXT",
        usefulness=4,
        submitted_at=submitted_at,
        **extra,
    )


def assert_no_secrets(message) -> None:
    raw = message.message().as_string()
    for secret in SECRETS:
        assert secret not in raw


def reminders_off(pair) -> None:
    pair.cohort.reminders_enabled = False
    pair.cohort.save(update_fields=["reminders_enabled"])


@pytest.fixture
def peer_pair(alice, bob):
    """Alice and Bob as peers (either writes the check-in, the other reviews)."""
    program = make_program(kind="peer")
    cohort = make_cohort(program=program, phase="running")
    match = make_pair(cohort=cohort, mentee=alice, mentor=bob)
    Enrollment.objects.filter(pk__in=[match.mentee_id, match.mentor_id]).update(
        role="peer", capacity=1
    )
    return match


# --- Meeting reminders ------------------------------------------------------------------------

REMINDER = "meeting_reminder"


@pytest.fixture
def upcoming(pair):
    """A meeting in three days, arranged now."""
    return held(pair, whole_minute(timezone.now()) + timedelta(days=3, minutes=7))


def test_a_meeting_reminder_is_due_24_hours_before_and_not_earlier(upcoming, alice, bob):
    moment = upcoming.starts_at - timedelta(hours=24)
    assert scan(REMINDER, moment - MINUTE) == []
    dues = scan(REMINDER, moment)
    period = upcoming.starts_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {(d.recipient_id, d.subject_id, d.period, d.due_at) for d in dues} == {
        (alice.pk, upcoming.pk, period, moment),
        (bob.pk, upcoming.pk, period, moment),
    }


def test_a_meeting_reminder_follows_the_cohorts_setting(upcoming, alice):
    upcoming.match.cohort.meeting_reminder_hours = 2
    upcoming.match.cohort.save(update_fields=["meeting_reminder_hours"])
    moment = upcoming.starts_at - timedelta(hours=2)
    assert scan(REMINDER, moment - MINUTE) == []
    assert len(scan(REMINDER, moment)) == 2


def test_a_meeting_reminder_is_recorded_once_however_often_scanned(upcoming):
    moment = upcoming.starts_at - timedelta(hours=23)
    assert len(record(REMINDER, moment)) == 2
    assert record(REMINDER, moment) == []
    assert record(REMINDER, moment + timedelta(hours=5)) == []
    # Already recorded for both: the scan's query leaves the meeting out.
    assert scan(REMINDER, moment + timedelta(hours=5)) == []
    assert rows(REMINDER).count() == 2


def test_tasks_scan_records_the_reminder(upcoming):
    created = tasks.scan(now=upcoming.starts_at - timedelta(hours=23))
    assert created[REMINDER] == 2


def test_a_moved_meeting_gets_a_new_reminder_and_the_old_one_is_skipped(
    upcoming, alice, bob, mailoutbox
):
    record(REMINDER, upcoming.starts_at - timedelta(hours=23))
    old = set(rows(REMINDER).values_list("pk", flat=True))
    new_start = (upcoming.starts_at + timedelta(days=2)).astimezone(PARIS)
    meeting_update(
        meeting=upcoming,
        user=bob,
        starts_local=new_start.replace(tzinfo=None),
        timezone="Europe/Paris",
        duration_minutes=60,
        mode="video",
        video_url="https://meet.example.com/abc",
        agenda="Talk plan",
    )
    upcoming.refresh_from_db()
    assert scan(REMINDER, upcoming.starts_at - timedelta(hours=24, minutes=1)) == []
    assert len(record(REMINDER, upcoming.starts_at - timedelta(hours=24))) == 2
    # An unchanged meeting is never reminded a second time.
    assert record(REMINDER, upcoming.starts_at - timedelta(hours=1)) == []
    for pk in old:
        assert outbox.notification_send(notification_id=pk) == "skipped"
    assert send_all(REMINDER) == ["", "", "sent", "sent"]
    assert len(mailoutbox) == 2


def test_no_reminder_for_cancelled_or_started_meetings(upcoming, alice, mailoutbox):
    record(REMINDER, upcoming.starts_at - timedelta(hours=23))
    meeting_cancel(meeting=upcoming, user=alice)
    assert scan(REMINDER, upcoming.starts_at - timedelta(hours=22)) == []
    assert send_all(REMINDER) == ["skipped", "skipped"]
    started = held(upcoming.match, timezone.now() + timedelta(days=2))
    assert scan(REMINDER, started.starts_at + MINUTE) == []
    assert mailoutbox == []


def test_a_meeting_arranged_inside_the_window_gets_no_reminder(pair):
    """The invitation sent a moment ago says the same."""
    soon = held(pair, timezone.now() + timedelta(hours=5))
    assert scan(REMINDER, timezone.now() + MINUTE) == []
    assert scan(REMINDER, soon.starts_at - MINUTE) == []


def test_no_meeting_reminder_when_reminders_are_off(upcoming, mailoutbox):
    moment = upcoming.starts_at - timedelta(hours=23)
    record(REMINDER, moment)
    reminders_off(upcoming.match)
    assert scan(REMINDER, moment) == []
    assert send_all(REMINDER) == ["skipped", "skipped"]
    assert mailoutbox == []


def test_no_meeting_reminder_for_ended_pairs_withdrawn_or_deactivated_people(upcoming, bob):
    moment = upcoming.starts_at - timedelta(hours=23)
    pair = upcoming.match
    Enrollment.objects.filter(pk=pair.mentor_id).update(status="withdrawn")
    assert scan(REMINDER, moment) == []
    Enrollment.objects.filter(pk=pair.mentor_id).update(status="accepted")
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert scan(REMINDER, moment) == []
    bob.is_active = True
    bob.save(update_fields=["is_active"])
    Match.objects.filter(pk=pair.pk).update(status="ended", ended_at=timezone.now())
    assert scan(REMINDER, moment) == []


def test_the_meeting_reminder_email(upcoming, alice, bob, mailoutbox):
    PrivateNote.objects.create(meeting=upcoming, author=alice, text="SECRET-NOTE")
    record(REMINDER, upcoming.starts_at - timedelta(hours=23))
    assert send_all(REMINDER) == ["sent", "sent"]
    to = {m.to[0]: m for m in mailoutbox}
    for email, zone in (("alice@example.com", PARIS), ("bob@example.com", NEW_YORK)):
        message = to[email]
        local = upcoming.starts_at.astimezone(zone)
        assert message.subject.startswith("[Mentorship] Reminder: meeting with")
        assert f"{local:%H:%M}" in message.subject and zone.key in message.subject
        assert f"{local:%H:%M}" in message.body and zone.key in message.body
        assert f"/pairs/{upcoming.match_id}/meetings/{upcoming.pk}/" in message.body
        ((filename, content, mimetype),) = message.attachments
        assert (filename, mimetype) == ("invite.ics", "text/calendar; method=REQUEST")
        calendar = Calendar.from_ical(content)
        assert calendar["METHOD"] == "REQUEST"
        assert calendar.walk("VEVENT")[0]["SEQUENCE"] == upcoming.sequence
        assert "unsubscribe" in message.body.lower()
        assert_no_secrets(message)
    assert "Bob Baker" in to["alice@example.com"].subject
    assert "Alice Adams" in to["bob@example.com"].subject


# --- Check-in due -----------------------------------------------------------------------------

CHECK_IN_DUE = "check_in_due"


def local(day_offset: int, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """``hour``:``minute`` in ``zone``, ``day_offset`` days from today there."""
    day = timezone.now().astimezone(zone).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def morning_after(moment: datetime, zone: ZoneInfo, days: int = 1) -> datetime:
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(9), tzinfo=zone)


def test_check_in_due_at_nine_the_morning_after_in_the_mentees_zone(pair, alice):
    meeting = held(pair, local(-3, 15, 0, PARIS))
    due = morning_after(meeting.starts_at, PARIS)
    assert scan(CHECK_IN_DUE, due - MINUTE) == []
    assert [
        (d.recipient_id, d.subject_id, d.period, d.due_at) for d in scan(CHECK_IN_DUE, due)
    ] == [(alice.pk, meeting.pk, "", due)]


def test_check_in_due_late_in_the_evening_is_still_the_next_morning(pair, alice):
    meeting = held(pair, local(-3, 23, 30, PARIS))
    due = morning_after(meeting.starts_at, PARIS)
    assert scan(CHECK_IN_DUE, due - MINUTE) == []
    assert len(scan(CHECK_IN_DUE, due)) == 1


def test_check_in_due_follows_the_mentees_own_zone_and_the_cohorts_setting(pair, alice):
    alice.timezone = "America/Los_Angeles"
    alice.save(update_fields=["timezone"])
    pair.cohort.check_in_due_days = 2
    pair.cohort.save(update_fields=["check_in_due_days"])
    zone = ZoneInfo("America/Los_Angeles")
    meeting = held(pair, local(-5, 20, 0, zone))
    due = morning_after(meeting.starts_at, zone, days=2)
    assert scan(CHECK_IN_DUE, due - MINUTE) == []
    assert [d.due_at for d in scan(CHECK_IN_DUE, due)] == [due]


def test_check_in_due_recorded_once(pair):
    meeting = held(pair, local(-3, 15, 0, PARIS))
    due = morning_after(meeting.starts_at, PARIS)
    assert len(record(CHECK_IN_DUE, due)) == 1
    assert record(CHECK_IN_DUE, due) == []
    assert scan(CHECK_IN_DUE, due + timedelta(hours=6)) == []
    assert rows(CHECK_IN_DUE).count() == 1


def test_check_in_due_skipped_once_written_and_never_for_cancelled_meetings(
    pair, alice, mailoutbox
):
    meeting = held(pair, local(-3, 15, 0, PARIS))
    due = morning_after(meeting.starts_at, PARIS)
    record(CHECK_IN_DUE, due)
    check_in(meeting, meeting.starts_at + timedelta(hours=1))
    assert send_all(CHECK_IN_DUE) == ["skipped"]
    cancelled = held(pair, local(-4, 15, 0, PARIS), status="cancelled")
    assert scan(CHECK_IN_DUE, morning_after(cancelled.starts_at, PARIS) + MINUTE) == []
    assert scan(CHECK_IN_DUE, due + timedelta(days=1)) == []
    assert mailoutbox == []


def test_no_check_in_due_for_a_meeting_long_past(pair):
    meeting = held(pair, local(-25, 15, 0, PARIS))
    assert scan(CHECK_IN_DUE, timezone.now()) == []
    assert meeting.pk


def test_no_check_in_due_when_reminders_are_off(pair, mailoutbox):
    meeting = held(pair, local(-3, 15, 0, PARIS))
    due = morning_after(meeting.starts_at, PARIS)
    record(CHECK_IN_DUE, due)
    reminders_off(pair)
    assert scan(CHECK_IN_DUE, due) == []
    assert send_all(CHECK_IN_DUE) == ["skipped"]
    assert mailoutbox == []


def test_in_peer_pairs_either_peer_is_reminded_in_their_own_zone(peer_pair, alice, bob):
    meeting = held(peer_pair, local(-3, 15, 0, PARIS))
    for_alice = morning_after(meeting.starts_at, PARIS)
    for_bob = morning_after(meeting.starts_at, NEW_YORK)
    assert [d.recipient_id for d in record_dues(CHECK_IN_DUE, for_alice)] == [alice.pk]
    assert [d.recipient_id for d in record_dues(CHECK_IN_DUE, for_bob)] == [bob.pk]
    assert {r for r, _, _ in keys(CHECK_IN_DUE)} == {"alice@example.com", "bob@example.com"}


def record_dues(kind: str, now: datetime) -> list:
    """Scan and record; the dues that made new rows."""
    dues = scan(kind, now)
    created = set(outbox.notifications_record(dues, now=now))
    new = Notification.objects.filter(pk__in=created)
    new_keys = set(new.values_list("recipient_id", "subject_id", "period"))
    return [d for d in dues if (d.recipient_id, d.subject_id, d.period) in new_keys]


def test_the_check_in_due_email(pair, alice, mailoutbox):
    meeting = held(pair, local(-3, 15, 0, PARIS))
    PrivateNote.objects.create(meeting=meeting, author=alice, text="SECRET-NOTE")
    record(CHECK_IN_DUE, morning_after(meeting.starts_at, PARIS))
    assert send_all(CHECK_IN_DUE) == ["sent"]
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject.startswith("[Mentorship] Write the check-in for your meeting with Bob")
    assert f"/pairs/{pair.pk}/meetings/{meeting.pk}/check-in/" in message.body
    assert "15:00" in message.body and "Europe/Paris" in message.body
    html = message.alternatives[0][0]
    assert f"/pairs/{pair.pk}/meetings/{meeting.pk}/check-in/" in html and "</body>" in html
    assert_no_secrets(message)


# --- Review waiting ---------------------------------------------------------------------------

REVIEW_WAITING = "review_waiting"


def test_review_waiting_three_days_later_at_nine_in_the_mentors_zone(pair, bob):
    meeting = held(pair, local(-6, 15, 0, PARIS))
    written = check_in(meeting, local(-6, 20, 0, PARIS))
    due = morning_after(written.submitted_at, NEW_YORK, days=3)
    assert scan(REVIEW_WAITING, due - MINUTE) == []
    assert [(d.recipient_id, d.subject_id, d.due_at) for d in scan(REVIEW_WAITING, due)] == [
        (bob.pk, written.pk, due)
    ]


def test_review_waiting_recorded_once_and_skipped_once_reviewed(pair, bob, mailoutbox):
    meeting = held(pair, local(-6, 15, 0, PARIS))
    written = check_in(meeting, local(-6, 20, 0, PARIS))
    due = morning_after(written.submitted_at, NEW_YORK, days=3)
    assert len(record(REVIEW_WAITING, due)) == 1
    assert record(REVIEW_WAITING, due + timedelta(hours=3)) == []
    assert scan(REVIEW_WAITING, due + timedelta(hours=3)) == []
    CheckIn.objects.filter(pk=written.pk).update(
        reviewed_at=timezone.now(), reviewed_by=bob, review_comment="SECRET-REVIEW"
    )
    assert send_all(REVIEW_WAITING) == ["skipped"]
    assert mailoutbox == []


def test_review_waiting_follows_the_setting_and_the_switch(pair):
    pair.cohort.review_waiting_days = 1
    pair.cohort.save(update_fields=["review_waiting_days"])
    meeting = held(pair, local(-6, 15, 0, PARIS))
    written = check_in(meeting, local(-6, 20, 0, PARIS))
    due = morning_after(written.submitted_at, NEW_YORK, days=1)
    assert scan(REVIEW_WAITING, due - MINUTE) == []
    assert len(scan(REVIEW_WAITING, due)) == 1
    reminders_off(pair)
    assert scan(REVIEW_WAITING, due) == []


def test_in_peer_pairs_the_other_peer_is_asked_to_review(peer_pair, alice, bob):
    meeting = held(peer_pair, local(-6, 15, 0, PARIS))
    written = check_in(meeting, local(-6, 20, 0, PARIS), author=bob)
    due = morning_after(written.submitted_at, PARIS, days=3)
    assert [d.recipient_id for d in scan(REVIEW_WAITING, due)] == [alice.pk]


def test_the_review_waiting_email(pair, alice, bob, mailoutbox):
    meeting = held(pair, local(-6, 15, 0, PARIS))
    PrivateNote.objects.create(meeting=meeting, author=alice, text="SECRET-NOTE")
    written = check_in(meeting, local(-6, 20, 0, PARIS))
    record(REVIEW_WAITING, morning_after(written.submitted_at, NEW_YORK, days=3))
    assert send_all(REVIEW_WAITING) == ["sent"]
    (message,) = mailoutbox
    assert message.to == ["bob@example.com"]
    assert "Alice Adams" in message.subject and "review" in message.subject
    assert f"/pairs/{pair.pk}/meetings/{meeting.pk}/review/" in message.body
    assert "/reviews/" in message.body
    # Written at 20:00 in Paris: 14:00 in New York.
    assert "14:00" in message.body and "America/New_York" in message.body
    assert_no_secrets(message)


# --- Cadence nudges ---------------------------------------------------------------------------

CADENCE_NUDGE = "cadence_nudge"


@pytest.fixture
def old_pair(running_cohort, alice, bob):
    """Alice and Bob, published when their cohort started (30 days ago); rhythm 14 days."""
    started = datetime.combine(running_cohort.starts_on, time(12), tzinfo=ZoneInfo("UTC"))
    return make_pair(cohort=running_cohort, mentee=alice, mentor=bob, published_at=started)


def site_date(moment: datetime):
    return timezone.localdate(moment)


def test_a_cadence_nudge_the_morning_after_the_cadence_ran_out_in_each_zone(old_pair, alice, bob):
    last = held(old_pair, timezone.now() - timedelta(days=20))
    anchor = site_date(last.starts_at)
    due_day = anchor + timedelta(days=15)
    for_alice = datetime.combine(due_day, time(9), tzinfo=PARIS)
    for_bob = datetime.combine(due_day, time(9), tzinfo=NEW_YORK)
    assert scan(CADENCE_NUDGE, for_alice - MINUTE) == []
    dues = scan(CADENCE_NUDGE, for_alice)
    assert [(d.recipient_id, d.subject_id, d.period, d.due_at) for d in dues] == [
        (alice.pk, old_pair.pk, anchor.isoformat(), for_alice)
    ]
    record(CADENCE_NUDGE, for_alice)
    new = record_dues(CADENCE_NUDGE, for_bob)
    assert [(d.recipient_id, d.due_at) for d in new] == [(bob.pk, for_bob)]


def test_a_cadence_nudge_is_recorded_once_per_gap(old_pair):
    held(old_pair, timezone.now() - timedelta(days=20))
    now = timezone.now()
    assert len(record(CADENCE_NUDGE, now)) == 2
    assert record(CADENCE_NUDGE, now) == []
    assert scan(CADENCE_NUDGE, now + timedelta(hours=1)) == []
    # Twice the cadence later (inactive) it is the same gap: no second nudge.
    assert record(CADENCE_NUDGE, now + timedelta(days=14)) == []
    assert rows(CADENCE_NUDGE).count() == 2


def test_a_pair_that_never_met_counts_from_its_start(old_pair, alice):
    started = old_pair.cohort.starts_on
    due = datetime.combine(started + timedelta(days=15), time(9), tzinfo=PARIS)
    dues = [d for d in scan(CADENCE_NUDGE, due) if d.recipient_id == alice.pk]
    assert [(d.period, d.due_at) for d in dues] == [(started.isoformat(), due)]
    assert [d for d in scan(CADENCE_NUDGE, due - MINUTE) if d.recipient_id == alice.pk] == []


def test_no_nudge_with_a_meeting_booked_or_within_the_agreed_cadence(old_pair, alice, bob):
    held(old_pair, timezone.now() - timedelta(days=20))
    booked = held(old_pair, timezone.now() + timedelta(days=3))
    assert scan(CADENCE_NUDGE, timezone.now()) == []
    booked.delete()
    AgreementRevision.objects.create(
        match=old_pair,
        number=1,
        cadence_days=30,
        created_by=alice,
        mentee_confirmed_at=timezone.now(),
        mentor_confirmed_at=timezone.now(),
        mentee_expectations="SECRET-EXPECT",
    )
    assert scan(CADENCE_NUDGE, timezone.now()) == []
    assert len(scan(CADENCE_NUDGE, timezone.now() + timedelta(days=12))) == 2


def test_a_nudge_is_skipped_once_they_met_and_a_new_gap_gets_its_own(old_pair, mailoutbox):
    held(old_pair, timezone.now() - timedelta(days=40))
    record(CADENCE_NUDGE, timezone.now() - timedelta(days=20))
    first = set(rows(CADENCE_NUDGE).values_list("period", flat=True))
    latest = held(old_pair, timezone.now() - timedelta(days=16))
    assert send_all(CADENCE_NUDGE) == ["skipped", "skipped"]
    assert len(record(CADENCE_NUDGE, timezone.now())) == 2
    periods = set(rows(CADENCE_NUDGE).values_list("period", flat=True)) - first
    assert periods == {site_date(latest.starts_at).isoformat()}
    assert send_all(CADENCE_NUDGE)[-2:] == ["sent", "sent"]
    assert len(mailoutbox) == 2


def test_no_nudge_when_reminders_are_off(old_pair, mailoutbox):
    held(old_pair, timezone.now() - timedelta(days=20))
    record(CADENCE_NUDGE, timezone.now())
    reminders_off(old_pair)
    assert scan(CADENCE_NUDGE, timezone.now()) == []
    assert send_all(CADENCE_NUDGE) == ["skipped", "skipped"]
    assert mailoutbox == []


def test_nudges_agree_with_the_pairs_health(running_cohort):
    """Nudged exactly when the health says overdue or inactive with nothing booked."""
    now = timezone.now()
    pairs = []
    for days_ago, booked in ((5, False), (13, False), (16, False), (20, True), (40, False)):
        match = make_pair(
            cohort=running_cohort,
            mentee=make_user(timezone="UTC"),
            mentor=make_user(timezone="UTC"),
            published_at=now - timedelta(days=29),
        )
        held(match, now - timedelta(days=days_ago))
        if booked:
            held(match, now + timedelta(days=2))
        pairs.append(match)
    noon = datetime.combine(timezone.now().astimezone(ZoneInfo("UTC")).date(), time(12))
    noon = noon.replace(tzinfo=ZoneInfo("UTC"))
    nudged = {d.subject_id for d in scan(CADENCE_NUDGE, noon)}
    figures = with_health_figures(
        Match.objects.filter(pk__in=[p.pk for p in pairs]).select_related("cohort"), now=noon
    )
    at_risk = {
        m.pk
        for m in figures
        if m.next_meeting_at is None
        and health_of(m, today=noon.date()).state in (Health.OVERDUE, Health.INACTIVE)
    }
    assert nudged == at_risk == {pairs[2].pk, pairs[4].pk}


def test_the_cadence_nudge_email(old_pair, alice, bob, mailoutbox):
    last = held(old_pair, timezone.now() - timedelta(days=20))
    PrivateNote.objects.create(meeting=last, author=alice, text="SECRET-NOTE")
    check_in(last, last.starts_at + timedelta(hours=2))
    AgreementRevision.objects.create(
        match=old_pair,
        number=1,
        cadence_days=14,
        created_by=alice,
        mentee_confirmed_at=timezone.now() - timedelta(days=25),
        mentor_confirmed_at=timezone.now() - timedelta(days=25),
        mentee_expectations="SECRET-EXPECT",
    )
    record(CADENCE_NUDGE, timezone.now())
    assert send_all(CADENCE_NUDGE) == ["sent", "sent"]
    to = {m.to[0]: m for m in mailoutbox}
    message = to["alice@example.com"]
    assert "Time to meet Bob Baker" in message.subject and "20 days" in message.subject
    assert f"/pairs/{old_pair.pk}/meetings/new/" in message.body
    assert f"/pairs/{old_pair.pk}/agreement/" in message.body
    assert "every 14 days" in message.body
    assert f"{site_date(last.starts_at):%-d %B %Y}" in message.body
    assert "Alice Adams" in to["bob@example.com"].subject
    for message in mailoutbox:
        assert_no_secrets(message)


# --- All kinds --------------------------------------------------------------------------------


def test_every_meeting_kind_is_registered_with_its_templates():
    from django.template.loader import get_template

    for name in (REMINDER, CHECK_IN_DUE, REVIEW_WAITING, CADENCE_NUDGE):
        kind = get_kind(name)
        assert kind is not None and kind.scan is not None
        for part in ("subject.txt", "body.txt", "body.html"):
            get_template(f"goals/email/{name}_{part}")
    assert get_kind("meeting_invitation").scan is None
    assert nm.LOOKBACK_DAYS >= 7


def test_scans_run_a_fixed_number_of_queries_whatever_the_number_of_pairs(running_cohort):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()

    def add_pairs(n: int) -> None:
        for _ in range(n):
            busy, idle = (
                make_pair(
                    cohort=running_cohort,
                    mentee=make_user(timezone="Asia/Tokyo"),
                    mentor=make_user(timezone="America/Chicago"),
                    published_at=now - timedelta(days=29),
                )
                for _ in range(2)
            )
            held(busy, now - timedelta(days=2))  # no check-in yet
            reviewed_late = held(busy, now - timedelta(days=5))
            check_in(reviewed_late, reviewed_late.starts_at + timedelta(hours=1))
            soon = held(busy, now + timedelta(hours=20))
            Meeting.objects.filter(pk=soon.pk).update(updated_at=now - timedelta(days=3))
            held(idle, now - timedelta(days=20))  # past the cadence

    def counts() -> dict[str, tuple[int, int]]:
        found = {}
        for name in (REMINDER, CHECK_IN_DUE, REVIEW_WAITING, CADENCE_NUDGE):
            with CaptureQueriesContext(connection) as queries:
                dues = scan(name, now)
            found[name] = (len(queries), len(dues))
        return found

    add_pairs(2)
    few = counts()
    add_pairs(6)
    many = counts()
    for name in few:
        assert few[name][0] == many[name][0] <= 2, name
        assert many[name][1] > few[name][1] > 0, name
