"""Enrolling people from the directory: search, filter, tick many, invite in one role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship.cache_versions import bump
from programs.models import Enrollment
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def url(cohort):
    return reverse("programs:cohort_enroll", kwargs={"slug": cohort.slug})


@pytest.fixture
def outsider_client(client, other_program_admin):
    client.force_login(other_program_admin)
    return client


def _listed(response) -> list[str]:
    return [p.get_full_name() for p in response.context["page"].object_list]


def test_lists_current_employees_and_marks_those_already_enrolled(
    admin_client, cohort, user_factory
):
    today = timezone.localdate()
    ana = user_factory(first_name="Ana", last_name="Lee")
    ben = user_factory(first_name="Ben", last_name="Enrolled")
    make_enrollment(cohort=cohort, person=ben, role="mentor", status="invited")
    user_factory(
        first_name="Gone",
        last_name="Away",
        hire_date=today - timedelta(days=900),
        end_date=today - timedelta(days=1),
    )
    user_factory(first_name="Ops", last_name="Robot", employee_id=None)
    response = admin_client.get(url(cohort))
    assert response.status_code == 200
    listed = _listed(response)
    assert "Ana Lee" in listed and "Ben Enrolled" in listed
    assert "Gone Away" not in listed and "Ops Robot" not in listed
    body = response.content.decode()
    assert f'name="person" value="{ana.pk}"' in body
    assert f'name="person" value="{ben.pk}"' not in body
    assert "Enrolled: mentor, invited" in body
    assert "Who can see this page" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "ana lee"}, ["Ana Lee"]),
        ({"department": "Sales"}, ["Bo Sales", "Cy Senior"]),
        ({"location": "Berlin"}, ["Ana Lee"]),
        ({"level_min": "5"}, ["Cy Senior"]),
        ({"level_max": "3"}, ["Ana Lee", "Bo Sales"]),
        ({"level_min": "3", "level_max": "3", "department": "Sales"}, ["Bo Sales"]),
        ({"level_min": "lots"}, ["Ada Admin", "Ana Lee", "Bo Sales", "Cy Senior"]),
    ],
)
def test_search_and_filters(admin_client, cohort, user_factory, params, expected):
    user_factory(first_name="Ana", last_name="Lee", department="Eng", location="Berlin", level=2)
    user_factory(first_name="Bo", last_name="Sales", department="Sales", location="Paris", level=3)
    user_factory(first_name="Cy", last_name="Senior", department="Sales", location="Rome", level=7)
    assert sorted(_listed(admin_client.get(url(cohort), params))) == expected


def test_invites_the_ticked_people_as_mentors(admin_client, cohort, program_admin, user_factory):
    ana = user_factory(first_name="Ana", last_name="Lee", department="Eng")
    bo = user_factory(first_name="Bo", last_name="Kim", department="Eng")
    response = admin_client.post(
        url(cohort),
        {
            "person": [ana.pk, bo.pk],
            "role": "mentor",
            "capacity": "3",
            "return_query": "department=Eng&page=1",
        },
        follow=True,
    )
    assert response.redirect_chain[0][0] == url(cohort) + "?department=Eng&page=1"
    enrollments = Enrollment.objects.filter(cohort=cohort).order_by("person__first_name")
    assert [(e.person, e.role, e.status, e.capacity) for e in enrollments] == [
        (ana, "mentor", "invited", 3),
        (bo, "mentor", "invited", 3),
    ]
    assert {e.source for e in enrollments} == {"directory"}
    assert {e.invited_by for e in enrollments} == {program_admin}
    assert "Invited 2 people as mentors" in response.content.decode()


def test_invitation_emails_are_queued_once_committed(
    admin_client, cohort, user_factory, django_capture_on_commit_callbacks
):
    ana = user_factory()
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(url(cohort), {"person": [ana.pk], "role": "mentee"})
    # One sends the invitations; the other bumps the cached dashboard's version.
    assert len([c for c in callbacks if getattr(c, "func", None) is not bump]) == 1


def test_mentees_get_no_capacity_and_mentors_the_default(admin_client, cohort, user_factory):
    mentee, mentor = user_factory(), user_factory()
    admin_client.post(url(cohort), {"person": [mentee.pk], "role": "mentee", "capacity": "99"})
    admin_client.post(url(cohort), {"person": [mentor.pk], "role": "mentor", "capacity": ""})
    assert Enrollment.objects.get(person=mentee).capacity is None
    assert Enrollment.objects.get(person=mentor).capacity == cohort.default_mentor_capacity


def test_capacity_above_the_cohorts_maximum_is_refused(admin_client, cohort, user_factory):
    person = user_factory()
    response = admin_client.post(
        url(cohort),
        {"person": [person.pk], "role": "mentor", "capacity": cohort.max_mentor_capacity + 1},
    )
    assert response.status_code == 200
    assert "the cohort's maximum" in response.context["form"].errors["capacity"][0]
    assert person.pk in response.context["ticked"]
    assert not Enrollment.objects.exists()


def test_peer_role_only_in_peer_programs(client, program_admin, cohort, user_factory):
    client.force_login(program_admin)
    person = user_factory()
    response = client.post(url(cohort), {"person": [person.pk], "role": "peer"})
    assert "role" in response.context["form"].errors
    peer_cohort = make_cohort(program=make_program(admins=[program_admin], kind="peer"))
    response = client.post(url(peer_cohort), {"person": [person.pk], "role": "mentor"})
    assert "role" in response.context["form"].errors
    response = client.post(url(peer_cohort), {"person": [person.pk], "role": "peer"})
    assert response.status_code == 302
    assert Enrollment.objects.get().role == "peer"


def test_someone_already_enrolled_stops_the_whole_batch(admin_client, cohort, user_factory):
    fresh = user_factory()
    enrolled = make_enrollment(cohort=cohort, role="mentee").person
    response = admin_client.post(url(cohort), {"person": [fresh.pk, enrolled.pk], "role": "mentee"})
    assert response.status_code == 200
    assert "Already in this cohort" in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_leavers_cannot_be_invited(admin_client, cohort, user_factory):
    today = timezone.localdate()
    leaver = user_factory(hire_date=today - timedelta(days=400), end_date=today)
    response = admin_client.post(url(cohort), {"person": [leaver.pk], "role": "mentee"})
    assert response.status_code == 200
    assert "have left" in response.context["form"].errors["person"][0]
    assert not Enrollment.objects.exists()


def test_ticking_nobody_is_an_error(admin_client, cohort):
    response = admin_client.post(url(cohort), {"role": "mentee", "person": ["x"]})
    assert response.status_code == 200
    assert response.context["form"].errors["person"]


def test_htmx_search_gets_only_the_results(admin_client, cohort, user_factory):
    user_factory(first_name="Ana", last_name="Lee")
    response = admin_client.get(url(cohort), {"q": "ana"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ana Lee" in body
    assert "<html" not in body and 'role="search"' not in body
    assert 'name="return_query" value="q=ana"' in body


def test_query_count_does_not_grow_with_the_directory(admin_client, cohort, user_factory):
    def count(headers=None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url(cohort), headers=headers or {}).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        make_enrollment(cohort=cohort, person=user_factory(department="Sales", level=i))
    small, small_htmx = count(), count({"HX-Request": "true"})
    for i in range(40):
        person = user_factory(department=f"Dept{i}", location=f"Town{i}", level=i)
        if i % 4 == 0:
            make_enrollment(cohort=cohort, person=person, role="mentor")
    assert count() == small
    assert count({"HX-Request": "true"}) == small_htmx
    assert small <= 14


def test_hr_can_enrol(hr_client, cohort, user_factory):
    person = user_factory()
    assert hr_client.post(url(cohort), {"person": [person.pk], "role": "mentee"}).status_code == 302
    assert Enrollment.objects.filter(person=person).exists()


def test_other_programs_admin_gets_404(outsider_client, cohort, user_factory):
    person = user_factory()
    assert outsider_client.get(url(cohort)).status_code == 404
    response = outsider_client.post(url(cohort), {"person": [person.pk], "role": "mentee"})
    assert response.status_code == 404
    assert not Enrollment.objects.exists()


def test_participant_gets_404(participant_client, cohort):
    assert participant_client.get(url(cohort)).status_code == 404


def test_anonymous_is_sent_to_login(client, cohort):
    assert client.get(url(cohort))["Location"].startswith(reverse("account_login"))


def test_wrong_method_is_refused(admin_client, cohort):
    assert admin_client.put(url(cohort)).status_code == 405
