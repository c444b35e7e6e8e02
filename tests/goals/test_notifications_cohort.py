"""Cohort milestone nudges: the midpoint, two weeks before the end, and the end (thanks, and
the next cohort). To both members of each active pair, at 09:00 in each one's zone, once per
cohort, only on the day or a few days after."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Meeting, PrivateNote
from goals.notifications_progress import COHORT_NUDGE_LATE_DAYS, cohort_anchor
from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import local_moment
from tests.goals.fixtures import make_pair
from tests.goals.notification_helpers import (
    MINUTE,
    NEW_YORK,
    PARIS,
    SECRET,
    days,
    record,
    scan,
    send,
)
from tests.programs.fixtures import make_cohort

pytestmark = pytest.mark.django_db


def row(kind: str, user) -> Notification:
    return Notification.objects.get(kind=kind, recipient=user)


def text_of(message) -> str:
    return message.subject + message.body + message.alternatives[0][0]


@pytest.fixture
def cohort60(program):
    """Running: started 30 days ago, ends in 30 days; the midpoint is today."""
    today = timezone.localdate()
    return make_cohort(
        program=program,
        name="Autumn",
        application_opens=today - days(60),
        application_closes=today - days(40),
        starts_on=today - days(30),
        ends_on=today + days(30),
    )


@pytest.fixture
def duo(cohort60, alice, bob):
    return make_pair(cohort=cohort60, mentee=alice, mentor=bob)


def test_anchors(cohort60):
    today = timezone.localdate()
    assert cohort_anchor("cohort_midpoint", cohort60) == today
    assert cohort_anchor("cohort_wrap_up", cohort60) == today + days(16)
    assert cohort_anchor("cohort_ended", cohort60) == today + days(30)
    cohort60.starts_on = today + days(5)  # 25 days long: no separate wrap-up
    assert cohort_anchor("cohort_wrap_up", cohort60) is None


@pytest.mark.parametrize(
    ("kind", "offset"), [("cohort_midpoint", 0), ("cohort_wrap_up", 16), ("cohort_ended", 30)]
)
def test_cohort_nudge_at_nine_in_each_members_zone_once(duo, alice, bob, kind, offset):
    day = timezone.localdate() + days(offset)
    period = day.isoformat()
    paris_nine = local_moment(day, PARIS)
    new_york_nine = local_moment(day, NEW_YORK)

    assert scan(kind, local_moment(day - days(1), NEW_YORK)) == []
    assert scan(kind, paris_nine - MINUTE) == []
    dues = scan(kind, paris_nine)
    assert [(d.recipient_id, d.subject_id, d.period, d.due_at) for d in dues] == [
        (alice.pk, duo.pk, period, paris_nine)
    ]
    assert len(record(kind, paris_nine)) == 1
    assert record(kind, new_york_nine - MINUTE) == []
    assert len(record(kind, new_york_nine)) == 1
    assert scan(kind, new_york_nine + MINUTE) == []  # both recorded: out of the query
    assert record(kind, new_york_nine + days(1)) == []
    assert row(kind, bob).due_at == new_york_nine
    assert Notification.objects.filter(kind=kind).count() == 2


@pytest.mark.parametrize("kind", ["cohort_midpoint", "cohort_ended"])
def test_cohort_nudge_not_for_old_cohorts(duo, cohort60, kind):
    day = cohort_anchor(kind, cohort60)
    late = local_moment(day + days(COHORT_NUDGE_LATE_DAYS), PARIS)
    assert len(scan(kind, late)) == 2
    assert scan(kind, late + days(1)) == []


def test_cohort_nudges_only_active_pairs_and_active_people(duo, cohort60, alice):
    make_pair(cohort=cohort60, status="ended")
    make_pair(cohort=cohort60, status="proposed")
    alice.is_active = False
    alice.save()
    dues = scan("cohort_midpoint", local_moment(timezone.localdate(), NEW_YORK))
    assert {d.subject_id for d in dues} == {duo.pk}
    assert {d.recipient_id for d in dues} == {duo.mentor.person_id}


def test_cohort_nudges_respect_reminders_off(duo, cohort60, alice, mailoutbox):
    now = local_moment(timezone.localdate(), NEW_YORK)
    record("cohort_midpoint", now)
    cohort60.reminders_enabled = False
    cohort60.save()
    Notification.objects.filter(recipient=alice).delete()
    assert scan("cohort_midpoint", now) == []
    assert send(Notification.objects.get(kind="cohort_midpoint").pk) == "skipped"
    assert mailoutbox == []


def test_cohort_nudge_skipped_when_the_dates_changed_or_the_pair_ended(
    duo, cohort60, alice, bob, mailoutbox
):
    record("cohort_midpoint", local_moment(timezone.localdate(), NEW_YORK))
    cohort60.ends_on += days(20)
    cohort60.save()
    assert send(row("cohort_midpoint", alice).pk) == "skipped"
    cohort60.ends_on -= days(20)
    cohort60.save()
    duo.status = "ended"
    duo.ended_at = timezone.now()
    duo.save()
    assert send(row("cohort_midpoint", bob).pk) == "skipped"
    assert mailoutbox == []


def test_midpoint_email_links_to_the_pairs_goals(duo, alice, mailoutbox):
    record("cohort_midpoint", local_moment(timezone.localdate(), NEW_YORK))
    assert send(row("cohort_midpoint", alice).pk) == "sent"
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "[Mentorship] Halfway through Autumn: time to review your goals"
    goals_url = absolute_url(reverse("goals:goal_list", args=[duo.pk]))
    assert goals_url in message.body
    assert f'href="{goals_url}"' in message.alternatives[0][0]
    assert "Bob Baker" in message.body


def test_wrap_up_email_links_to_a_last_meeting_and_the_goals(duo, cohort60, bob, mailoutbox):
    record("cohort_wrap_up", local_moment(cohort60.ends_on - days(14), NEW_YORK))
    assert send(row("cohort_wrap_up", bob).pk) == "sent"
    (message,) = mailoutbox
    assert "ends on" in message.subject
    assert absolute_url(reverse("goals:meeting_new", args=[duo.pk])) in message.body
    assert absolute_url(reverse("goals:goal_list", args=[duo.pk])) in message.body
    assert "Alice Adams" in message.body


def test_end_email_invites_the_mentee_to_mentor_in_the_next_open_cohort(
    duo, cohort60, program, alice, bob, mailoutbox
):
    next_cohort = make_cohort(program=program, phase="open", name="Spring next")
    record("cohort_ended", local_moment(cohort60.ends_on, NEW_YORK))
    assert send(row("cohort_ended", alice).pk) == "sent"
    assert send(row("cohort_ended", bob).pk) == "sent"
    to_alice, to_bob = mailoutbox
    program_url = absolute_url(reverse("programs:program_detail", args=[program.slug]))
    assert to_alice.subject == "[Mentorship] Thank you for taking part in Autumn"
    assert "mentor someone yourself" in to_alice.body
    assert next_cohort.name in to_alice.body
    assert program_url in to_alice.body
    assert f'href="{program_url}"' in to_alice.alternatives[0][0]
    assert "mentor again" in to_bob.body
    assert next_cohort.name in to_bob.body
    assert program_url in to_bob.body


def test_end_email_without_an_open_cohort(duo, cohort60, program, alice, mailoutbox):
    make_cohort(program=program, phase="upcoming", name="Not open yet")
    record("cohort_ended", local_moment(cohort60.ends_on, NEW_YORK))
    send(row("cohort_ended", alice).pk)
    (message,) = mailoutbox
    assert "When the next cohort opens" in message.body
    assert "Not open yet" not in message.body


def test_end_email_still_thanks_pairs_closed_after_the_end(duo, cohort60, alice, mailoutbox):
    record("cohort_ended", local_moment(cohort60.ends_on, NEW_YORK))
    duo.status = "ended"
    duo.ended_at = timezone.now() + days(31)
    duo.save()
    assert send(row("cohort_ended", alice).pk) == "sent"


def test_cohort_emails_never_carry_the_pairs_text(duo, cohort60, alice, mailoutbox):
    meeting = Meeting.objects.create(
        match=duo, organizer=alice, starts_at=timezone.now() - days(2), agenda=SECRET
    )
    CheckIn.objects.create(meeting=meeting, match=duo, author=alice, discussed=SECRET, usefulness=3)
    PrivateNote.objects.create(meeting=meeting, author=alice, text=SECRET)
    for kind in ("cohort_midpoint", "cohort_wrap_up", "cohort_ended"):
        record(kind, local_moment(cohort_anchor(kind, cohort60), NEW_YORK))
    for pk in Notification.objects.values_list("pk", flat=True):
        assert send(pk) == "sent"
    assert len(mailoutbox) == 6
    for message in mailoutbox:
        assert SECRET not in text_of(message)
