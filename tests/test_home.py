"""The home page: my cohorts, my role and status, and what I still have to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import Enrollment
from programs.selectors.participant import participant_enrollments
from programs.services.enrollment import with_topic_flags
from programs.services.programs import cohort_create, cohort_update, program_update
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db

URL = reverse("home")


def _cards(response):
    return response.context["home"].active


def test_shows_my_cohort_role_status_and_dates(participant_client, participant, cohort):
    make_enrollment(cohort=cohort, person=participant, role="mentor", status="accepted")
    response = participant_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Engineering Mentorship</a>: Spring 2027" in body
    assert "As <strong>mentor</strong>" in body
    assert "Accepted" in body
    assert cohort.starts_on.strftime("%-d %b %Y") in body
    assert cohort.ends_on.strftime("%-d %b %Y") in body


def test_unfinished_intake_is_a_todo_listing_what_is_missing(
    participant_client, participant, cohort
):
    enrollment = make_enrollment(cohort=cohort, person=participant, role="mentee", goals="Grow")
    body = participant_client.get(URL).content.decode()
    assert (
        "Your intake is missing topics you want help with, languages you speak and how you "
        "prefer to meet." in body
    )
    intake_url = reverse("programs:intake", kwargs={"pk": enrollment.pk})
    assert f'href="{intake_url}">Finish your intake' in body
    assert "what you want from the program" not in body  # they gave their goals


def test_complete_intake_is_no_longer_a_todo(participant_client, participant, cohort, program):
    enrollment = make_enrollment(
        cohort=cohort,
        person=participant,
        role="mentee",
        goals="Grow",
        languages=["English"],
        preferred_format="remote",
    )
    enrollment.topics_sought.add(program.topics.first())
    body = participant_client.get(URL).content.decode()
    assert "Finish your intake" not in body
    assert "Your intake is complete" in body


def test_applicants_are_told_they_wait_for_a_decision(participant_client, participant, cohort):
    make_enrollment(cohort=cohort, person=participant, status="applied")
    body = participant_client.get(URL).content.decode()
    assert "Waiting for the program admin&#x27;s decision on your application." in body
    assert f"The cohort starts on {cohort.starts_on.strftime('%-d %B %Y')}." in body


def test_a_running_cohort_says_until_when(participant_client, participant, program):
    running = make_cohort(program=program, phase="running")
    make_enrollment(cohort=running, person=participant)
    body = participant_client.get(URL).content.decode()
    assert f"The cohort runs until {running.ends_on.strftime('%-d %B %Y')}." in body
    assert "Finish your intake" not in body  # too late to change answers
    assert reverse("programs:intake", kwargs={"pk": running.enrollments.get().pk}) in body


def test_past_enrollments_are_listed_apart(participant_client, participant, program):
    old = make_cohort(program=program, phase="completed", name="Spring 2025")
    make_enrollment(cohort=old, person=participant, status="completed")
    left = make_cohort(program=program, phase="running", name="Autumn 2026")
    make_enrollment(cohort=left, person=participant, status="withdrawn")
    response = participant_client.get(URL)
    assert _cards(response) == []
    assert [e.cohort.name for e in response.context["home"].past] == ["Autumn 2026", "Spring 2025"]
    body = response.content.decode()
    assert "Past cohorts" in body
    assert "Spring 2025</a>, mentee, completed" in body


def test_lists_open_programs_i_am_not_in(participant_client, participant, cohort):
    mine = make_cohort(program=make_program(name="Design Guild"), phase="open", name="Mine")
    make_enrollment(cohort=mine, person=participant, status="applied")
    make_cohort(program=make_program(name="Closed Club"), phase="closed")
    body = participant_client.get(URL).content.decode()
    section = body.split('id="open-programs"')[1]
    assert "Engineering Mentorship: Spring 2027" in section
    assert "Design Guild" not in section
    assert "Closed Club" not in body
    assert f"#cohort-{cohort.slug}" in section


def test_nobody_elses_enrollments_show(participant_client, cohort):
    make_enrollment(cohort=cohort, person=make_user(first_name="Other"))
    response = participant_client.get(URL)
    assert _cards(response) == []
    assert "You are not taking part in a mentorship cohort right now" in response.content.decode()


def test_program_admin_card_links_to_managing_their_programs(admin_client, program):
    body = admin_client.get(URL).content.decode()
    assert f'href="{reverse("programs:program_manage", kwargs={"slug": "eng"})}"' in body


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_wrong_method_is_405(participant_client):
    assert participant_client.post(URL).status_code == 405


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def _enrol_more(person, n: int) -> None:
    for _ in range(n):
        program = make_program()
        for phase, status in (
            ("open", "applied"),
            ("running", "accepted"),
            ("completed", "completed"),
        ):
            enrollment = make_enrollment(
                cohort=make_cohort(program=program, phase=phase),
                person=person,
                role="mentor",
                status=status,
            )
            enrollment.topics_offered.add(*program.topics.all()[:2])
        make_cohort(program=make_program(), phase="open")


def test_query_count_does_not_grow_with_enrollments(participant_client, participant):
    _enrol_more(participant, 1)
    few = _queries(participant_client)
    _enrol_more(participant, 5)
    assert _queries(participant_client) == few


def test_query_count_does_not_grow_for_a_program_admin(admin_client, program_admin, program):
    _enrol_more(program_admin, 1)
    few = _queries(admin_client)
    for _ in range(5):
        make_program(admins=[program_admin])
    _enrol_more(program_admin, 5)
    assert _queries(admin_client) == few


# --- The cohorts open for applications, cached under the cohorts version ----------------------


def _open_section(client) -> str:
    body = client.get(URL).content.decode()
    return body.split('id="open-programs"')[1] if 'id="open-programs"' in body else ""


def test_open_cohorts_are_read_once_then_cached(participant_client, cohort):
    assert "Spring 2027" in _open_section(participant_client)
    first = _queries(participant_client)
    assert _queries(participant_client) == first  # same page, the open cohorts from the cache
    with CaptureQueriesContext(connection) as ctx:
        participant_client.get(URL)
    assert not any('"programs_cohort"' in q["sql"].split("WHERE")[0] for q in ctx)


def test_every_cohort_and_program_write_shows_on_the_next_home(participant_client, program):
    """Each change made as the product makes it (services, a form's fields only): the next
    home shows it, though the list was cached."""
    cohort = cohort_create(
        program=program,
        slug="autumn",
        name="Autumn",
        application_opens=timezone.localdate() - timedelta(days=1),
        application_closes=timezone.localdate() + timedelta(days=5),
        starts_on=timezone.localdate() + timedelta(days=10),
        ends_on=timezone.localdate() + timedelta(days=100),
    )
    assert "Engineering Mentorship: Autumn" in _open_section(participant_client)

    cohort_update(cohort=cohort, name="Autumn intake")  # only the name is saved
    assert "Engineering Mentorship: Autumn intake" in _open_section(participant_client)

    closes = timezone.localdate() + timedelta(days=7)
    cohort_update(cohort=cohort, application_closes=closes)
    assert f"apply by {closes.strftime('%-d %b %Y')}" in _open_section(participant_client)

    program_update(program=program, name="Engineering Guild", description="", kind=program.kind)
    assert "Engineering Guild: Autumn intake" in _open_section(participant_client)

    cohort_update(cohort=cohort, application_closes=timezone.localdate() - timedelta(days=1))
    assert "Autumn intake" not in _open_section(participant_client)

    other = make_cohort(program=make_program(name="Design Guild"), phase="open")
    assert "Design Guild" in _open_section(participant_client)
    other.delete()
    assert "Design Guild" not in _open_section(participant_client)


def test_the_open_cohorts_follow_the_day(participant_client, program, monkeypatch):
    today = timezone.localdate()
    opens = today + timedelta(days=1)
    make_cohort(
        program=program,
        name="Tomorrow",
        application_opens=opens,
        application_closes=opens + timedelta(days=5),
    )
    assert "Tomorrow" not in _open_section(participant_client)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: opens)
    assert "Tomorrow" in _open_section(participant_client)


def test_without_a_reachable_cache_the_home_is_served(participant_client, cohort, settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    assert "Spring 2027" in _open_section(participant_client)


def test_the_topic_flags_are_those_of_with_topic_flags(participant, program):
    """The home's plain-SQL EXISTS give what ``with_topic_flags`` gives, enrolment by one."""
    topics = list(program.topics.all()[:2])
    for offered, sought in ((0, 0), (1, 0), (0, 2), (2, 1)):
        enrollment = make_enrollment(
            cohort=make_cohort(program=program), person=participant, role="peer"
        )
        enrollment.topics_offered.add(*topics[:offered])
        enrollment.topics_sought.add(*topics[:sought])
    expected = {
        e.pk: (e.has_topics_offered, e.has_topics_sought)
        for e in with_topic_flags(Enrollment.objects.filter(person=participant))
    }
    found = {
        e.pk: (e.has_topics_offered, e.has_topics_sought)
        for e in participant_enrollments(participant)
    }
    assert found == expected
    assert sorted(expected.values()) == [(False, False), (False, True), (True, False), (True, True)]
