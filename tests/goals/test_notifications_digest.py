"""The program admins' weekly digest: Monday 09:00 in each admin's own zone, once a week; new
at-risk pairs, unmatched people and unfinished intakes of their running and coming cohorts,
as names, figures and links; nothing when there is nothing to report; a fixed number of
queries whatever the number of pairs."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting, PrivateNote
from goals.notifications_progress import admin_digest_build, is_program_admin, iso_week
from goals.selectors.digest import admin_digest
from mentorship import outbox
from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import get_kind, local_moment
from tests.conftest import make_user
from tests.goals.fixtures import make_pair
from tests.goals.notification_helpers import MINUTE, NEW_YORK, PARIS, SECRET, days
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def scan(now) -> list:
    return list(get_kind("admin_digest").scan(now))


def record(now) -> list[int]:
    return outbox.notifications_record(get_kind("admin_digest").scan(now), now=now)


def send(pk: int) -> str:
    return outbox.notification_send(notification_id=pk)


def person(first: str, last: str):
    return make_user(first_name=first, last_name=last)


def meet(match, days_ago: int) -> Meeting:
    return Meeting.objects.create(
        match=match,
        organizer=match.mentee.person,
        starts_at=timezone.now() - days(days_ago),
        agenda=SECRET,
    )


def next_monday():
    today = timezone.localdate()
    return today + days(7 - today.weekday())


@pytest.fixture
def ada(program_admin):
    program_admin.timezone = PARIS
    program_admin.save()
    return program_admin


@pytest.fixture
def weekly(program):
    """A running cohort (meet every 7 days) and one that has not started yet."""
    return make_cohort(program=program, phase="running", name="Running", cadence_days=7)


@pytest.fixture
def world(ada, program, weekly):
    published = timezone.now() - days(30)

    def pair(mentee, mentor, met_days_ago=None):
        match = make_pair(
            cohort=weekly, mentee=person(*mentee), mentor=person(*mentor), published_at=published
        )
        if met_days_ago is not None:
            meet(match, met_days_ago)
        return match

    world = {
        # Inactive since 2 days (17 days without meeting, more than twice 7): new.
        "new_inactive": pair(("Nina", "Newgap"), ("Mark", "Mentorone"), met_days_ago=17),
        # Overdue since a day (9 days without meeting): new.
        "new_overdue": pair(("Otto", "Overdue"), ("Mia", "Mentortwo"), met_days_ago=9),
        # Inactive for two weeks (30 days without meeting since the start): not new.
        "old_inactive": pair(("Olga", "Oldquiet"), ("Max", "Mentorthree")),
        # Met two days ago: on track.
        "fine": pair(("Fay", "Fine"), ("Finn", "Mentorfour"), met_days_ago=2),
    }
    check_in_meeting = meet(world["fine"], 2)
    CheckIn.objects.create(
        meeting=check_in_meeting,
        match=world["fine"],
        author=world["fine"].mentee.person,
        discussed=SECRET,
        usefulness=5,
    )
    PrivateNote.objects.create(
        meeting=check_in_meeting, author=world["fine"].mentor.person, text=SECRET
    )
    Goal.objects.create(
        match=world["new_inactive"],
        owner=world["new_inactive"].mentee,
        title=SECRET,
        description=SECRET,
        measure_kind="milestones",
        due_on=timezone.localdate() + days(30),
        status="agreed",
    )
    # Accepted but in no pair: unmatched. Invited ones are not (yet) in the pool.
    world["unmatched"] = make_enrollment(cohort=weekly, person=person("Uma", "Unpaired"))
    make_enrollment(cohort=weekly, person=person("Ivo", "Invitedonly"), status="invited")
    # A cohort not started: intakes not finished.
    coming = make_cohort(program=program, phase="open", name="Coming")
    world["coming"] = coming
    make_enrollment(
        cohort=coming,
        person=person("Ian", "Incomplete"),
        status="invited",
        goals=SECRET,
    )
    make_enrollment(
        cohort=coming, person=person("Dora", "Done"), intake_completed_at=timezone.now()
    )
    make_enrollment(cohort=coming, person=person("Walt", "Withdrawn"), status="withdrawn")
    # Another program's cohort: not this admin's.
    other = make_cohort(program=make_program(name="Sales"), phase="running", name="Elsewhere")
    make_enrollment(cohort=other, person=person("Xena", "Elsewhere"))
    return world


# --- When -------------------------------------------------------------------------------------


def test_digest_on_monday_at_nine_in_each_admins_zone(ada, program, weekly):
    nora = make_user(first_name="Nora", last_name="York", timezone=NEW_YORK)
    program.admins.add(nora)
    monday = next_monday()
    week = iso_week(monday)
    assert re.fullmatch(r"\d{4}-W\d{2}", week)
    paris_nine = local_moment(monday, PARIS)
    new_york_nine = local_moment(monday, NEW_YORK)

    assert scan(local_moment(monday - days(1), PARIS)) == []  # Sunday
    assert scan(paris_nine - MINUTE) == []
    dues = scan(paris_nine)
    assert [(d.recipient_id, d.subject_id, d.period, d.due_at) for d in dues] == [
        (ada.pk, 0, week, paris_nine)
    ]
    assert len(record(paris_nine)) == 1
    assert {d.recipient_id for d in scan(new_york_nine - MINUTE)} == {ada.pk}
    assert record(new_york_nine - MINUTE) == []
    assert len(record(new_york_nine)) == 1
    assert record(new_york_nine + days(1)) == []
    assert Notification.objects.get(recipient=nora).due_at == new_york_nine
    assert set(Notification.objects.values_list("period", flat=True)) == {week}


def test_a_late_scan_still_records_the_weeks_digest_until_wednesday(ada, weekly):
    monday = next_monday()
    assert len(scan(local_moment(monday + days(2), PARIS, hour=23))) == 1
    assert scan(local_moment(monday + days(3), PARIS, hour=0)) == []


def test_next_week_is_a_new_digest(ada, weekly):
    monday = next_monday()
    assert len(record(local_moment(monday, PARIS))) == 1
    assert len(record(local_moment(monday + days(7), PARIS))) == 1
    assert Notification.objects.count() == 2


def test_only_program_admins_with_current_cohorts(ada, program, alice, hr_user):
    make_cohort(program=program, phase="completed")
    assert scan(local_moment(next_monday(), PARIS)) == []
    make_cohort(program=program, phase="open")
    assert {d.recipient_id for d in scan(local_moment(next_monday(), "UTC"))} == {ada.pk}
    ada.is_active = False
    ada.save()
    assert scan(local_moment(next_monday(), "UTC")) == []


def test_settings_page_shows_the_digest_to_program_admins_only(
    client, ada, program, alice, hr_user
):
    kind = get_kind("admin_digest")
    assert kind.audience == "admins"
    assert kind.shown_to is is_program_admin
    assert is_program_admin(ada)
    assert not is_program_admin(alice)
    assert not is_program_admin(hr_user)
    client.force_login(ada)
    assert kind.label in client.get(reverse("notifications:settings")).content.decode()
    client.force_login(alice)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert kind.label not in page
    assert get_kind("goal_due_soon").label in page


# --- What -------------------------------------------------------------------------------------


def test_digest_content(world, ada, weekly, mailoutbox):
    (pk,) = record(local_moment(next_monday(), PARIS))
    assert send(pk) == "sent"
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    assert message.to == [ada.email]
    assert message.subject == (
        "[Mentorship] Weekly digest: 2 new at-risk pairs, 1 unmatched person, 1 unfinished intake"
    )
    body = message.body
    assert "Nina Newgap with Mark Mentorone: inactive" in body
    assert "Otto Overdue with Mia Mentortwo: overdue" in body
    assert "Olga Oldquiet" not in body  # at risk for two weeks already: not new
    assert "Fay Fine" not in body
    assert "3 at risk of 4 pairs" in body
    assert "Uma Unpaired (mentee)" in body
    assert "Ivo Invitedonly" not in body
    assert "Ian Incomplete (mentee, invited)" in body
    assert "Dora Done" not in body and "Walt Withdrawn" not in body
    assert "Xena" not in body and "Elsewhere" not in body
    coming = world["coming"]
    links = {
        reverse("goals:cohort_pairs", args=[weekly.slug]) + "?health=at_risk",
        reverse("matching:board", args=[weekly.slug]),
        reverse("programs:cohort_dashboard", args=[weekly.slug]),
        reverse("programs:cohort_dashboard", args=[coming.slug]) + "?intake=incomplete",
    }
    for link in links:
        assert absolute_url(link) in body
        assert f'href="{absolute_url(link)}"' in html
    for text in (message.subject, body, html):
        assert SECRET not in text
    assert "List-Unsubscribe" in message.extra_headers


def test_nothing_to_report_sends_nothing(ada, program, weekly, mailoutbox):
    match = make_pair(cohort=weekly, published_at=timezone.now() - days(20))
    meet(match, 2)
    (pk,) = record(local_moment(next_monday(), PARIS))
    assert send(pk) == "skipped"
    assert mailoutbox == []


def test_an_admin_no_longer_running_the_program_gets_nothing(world, ada, program, mailoutbox):
    (pk,) = record(local_moment(next_monday(), PARIS))
    program.admins.remove(ada)
    assert send(pk) == "skipped"
    assert mailoutbox == []


def test_a_pair_that_met_again_is_no_longer_listed(world, ada):
    meet(world["new_inactive"], 0)
    digest = admin_digest(ada)
    (running,) = [c for c in digest.cohorts if c.started]
    assert [p.match for p in running.new_at_risk] == [world["new_overdue"]]


def test_unmatched_counted_once_matches_are_published_even_before_the_start(ada, program):
    coming = make_cohort(program=program, phase="closed", name="Published early")
    make_pair(cohort=coming)
    make_enrollment(cohort=coming, person=person("Ulla", "Waiting"))
    (digest,) = admin_digest(ada).cohorts
    assert [e.person.last_name for e in digest.unmatched.shown] == ["Waiting"]


def test_names_are_capped_and_the_rest_counted(ada, program, mailoutbox):
    coming = make_cohort(program=program, phase="open")
    for _ in range(13):
        make_enrollment(cohort=coming, status="invited")
    (pk,) = record(local_moment(next_monday(), PARIS))
    send(pk)
    (message,) = mailoutbox
    assert "13 enrolled participants" in message.body
    assert "and 3 more" in message.body


def test_query_count_does_not_grow_with_pairs(ada, program, weekly):
    coming = make_cohort(program=program, phase="open")

    def add(n):
        for _ in range(n):
            match = make_pair(cohort=weekly, published_at=timezone.now() - days(30))
            meet(match, 16)
            make_enrollment(cohort=weekly)
            make_enrollment(cohort=coming, status="invited")

    add(2)
    (pk,) = record(local_moment(next_monday(), PARIS))
    notification = Notification.objects.select_related("recipient").get(pk=pk)

    def count():
        """Queries to build and render the email."""
        with CaptureQueriesContext(connection) as queries:
            email = admin_digest_build(notification)
            context = {"recipient": notification.recipient, **email.context}
            for part in ("subject.txt", "body.txt", "body.html"):
                render_to_string(f"{email.template_prefix}_{part}", context)
        return len(queries), email.context["digest"]

    small, digest = count()
    assert digest.new_at_risk == 2
    add(8)
    large, digest = count()
    assert digest.new_at_risk == 10
    assert large == small
