"""The program list and a program's public page, as participants, program admins and HR."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db

LIST_URL = reverse("programs:program_list")


def _detail(program) -> str:
    return reverse("programs:program_detail", kwargs={"slug": program.slug})


# --- The list ----------------------------------------------------------------------------------


def test_list_shows_programs_open_for_applications_with_dates(participant_client, cohort):
    response = participant_client.get(LIST_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Engineering Mentorship" in body
    assert cohort.name in body
    assert cohort.application_closes.strftime("%-d %b %Y") in body  # the deadline
    assert cohort.starts_on.strftime("%-d %b %Y") in body
    assert "Grow by learning from colleagues." in body
    assert "One-to-one" in body
    assert "Who can see this page" in body


def test_list_leaves_out_programs_with_nothing_open_and_none_of_mine(participant_client):
    for phase in ("upcoming", "closed", "running", "completed"):
        make_cohort(program=make_program(name=f"Hidden {phase}"), phase=phase)
    body = participant_client.get(LIST_URL).content.decode()
    assert "Hidden" not in body
    assert "No program is open for applications right now" in body


def test_list_shows_my_programs_even_when_nothing_is_open(participant_client, participant):
    program = make_program(name="Leadership Circle")
    running = make_cohort(program=program, phase="running", name="Autumn")
    make_enrollment(cohort=running, person=participant, role="mentor", status="accepted")
    response = participant_client.get(LIST_URL)
    body = response.content.decode()
    assert "Leadership Circle" in body
    assert "Autumn: mentor" in body
    assert reverse("programs:intake", kwargs={"pk": running.enrollments.get().pk}) in body
    assert [m.program for m in response.context["listing"].mine] == [program]


def test_list_marks_an_open_cohort_i_am_already_in(participant_client, participant, cohort):
    make_enrollment(cohort=cohort, person=participant, status="applied")
    body = participant_client.get(LIST_URL).content.decode()
    assert "You are in this cohort" in body
    assert f"Apply to {cohort.name}" not in body


def test_participant_gets_no_manage_links(participant_client, cohort):
    body = participant_client.get(LIST_URL).content.decode()
    assert reverse("programs:program_manage", kwargs={"slug": "eng"}) not in body
    assert 'id="manage"' not in body


def test_program_admin_sees_links_to_manage_only_their_programs(admin_client, program):
    make_program(name="Someone else's", slug="else")
    body = admin_client.get(LIST_URL).content.decode()
    assert reverse("programs:program_manage", kwargs={"slug": "eng"}) in body
    assert reverse("programs:program_manage", kwargs={"slug": "else"}) not in body
    assert reverse("programs:program_create") not in body


def test_hr_sees_every_program_to_manage_and_can_create_one(hr_client, program):
    make_program(name="Sales", slug="sales-program")
    body = hr_client.get(LIST_URL).content.decode()
    assert reverse("programs:program_manage", kwargs={"slug": "eng"}) in body
    assert reverse("programs:program_manage", kwargs={"slug": "sales-program"}) in body
    assert reverse("programs:program_create") in body


def test_nav_links_to_programs_for_everyone_and_manage_for_admins(
    participant_client, admin_client, client, participant, program_admin, program
):
    client.force_login(participant)
    body = client.get(LIST_URL).content.decode()
    assert f'href="{LIST_URL}" aria-current="page">Programs' in body
    assert ">Manage</a>" not in body
    client.force_login(program_admin)
    assert ">Manage</a>" in client.get(LIST_URL).content.decode()


def test_list_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_list_wrong_method_is_405(participant_client):
    assert participant_client.post(LIST_URL).status_code == 405


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST_URL).status_code == 200
    return len(ctx.captured_queries)


def _more_programs(person, n: int) -> None:
    for _ in range(n):
        program = make_program()
        make_cohort(program=program, phase="open")
        make_cohort(program=program, phase="open")
        mine = make_cohort(program=program, phase="running")
        make_enrollment(cohort=mine, person=person, role="mentor")


def test_list_query_count_does_not_grow_with_programs_or_enrollments(client):
    person = make_user()
    client.force_login(person)
    _more_programs(person, 1)
    few = _list_queries(client)
    _more_programs(person, 6)
    assert _list_queries(client) == few


def test_list_query_count_for_hr_does_not_grow(hr_client, hr_user):
    _more_programs(hr_user, 1)
    few = _list_queries(hr_client)
    _more_programs(hr_user, 6)
    assert _list_queries(hr_client) == few


# --- A program's page --------------------------------------------------------------------------


def test_detail_shows_description_topics_and_an_apply_form(participant_client, program, cohort):
    response = participant_client.get(_detail(program))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Grow by learning from colleagues." in body
    for topic in ("Leadership", "System design", "Negotiation"):
        assert topic in body
    assert reverse("programs:cohort_apply", kwargs={"slug": cohort.slug}) in body
    form = response.context["page"].cohorts[0].form
    assert [value for value, _ in form.fields["role"].choices] == ["mentor", "mentee"]
    assert form.fields["capacity"].initial == cohort.default_mentor_capacity
    assert f'max="{cohort.max_mentor_capacity}"' in body
    assert reverse("programs:program_manage", kwargs={"slug": program.slug}) not in body


def test_peer_programs_offer_only_the_peer_role(participant_client):
    program = make_program(name="Peer Circle", kind="peer")
    make_cohort(program=program, phase="open")
    form = participant_client.get(_detail(program)).context["page"].cohorts[0].form
    assert [value for value, _ in form.fields["role"].choices] == ["peer"]


def test_detail_shows_my_enrollment_instead_of_the_form(participant_client, participant, cohort):
    enrollment = make_enrollment(cohort=cohort, person=participant, status="applied")
    body = participant_client.get(_detail(cohort.program)).content.decode()
    assert "You are in this cohort as <strong>mentee</strong>" in body
    assert "Applied" in body
    assert reverse("programs:intake", kwargs={"pk": enrollment.pk}) in body
    assert reverse("programs:cohort_apply", kwargs={"slug": cohort.slug}) not in body


def test_detail_shows_a_closed_program_to_someone_enrolled(participant_client, participant):
    program = make_program(name="Closed")
    running = make_cohort(program=program, phase="running")
    make_cohort(program=program, phase="completed", name="Not mine")
    make_enrollment(cohort=running, person=participant)
    response = participant_client.get(_detail(program))
    assert response.status_code == 200
    assert [c.cohort for c in response.context["page"].cohorts] == [running]


@pytest.mark.parametrize("phase", ["upcoming", "closed", "running", "completed"])
def test_participant_gets_404_for_a_program_with_nothing_open(participant_client, phase):
    program = make_program()
    make_cohort(program=program, phase=phase)
    assert participant_client.get(_detail(program)).status_code == 404


def test_participant_gets_404_for_an_unknown_program(participant_client):
    assert participant_client.get("/programs/no-such-program/").status_code == 404


def test_someone_elses_enrollment_does_not_open_a_closed_program(participant_client):
    program = make_program()
    make_enrollment(cohort=make_cohort(program=program, phase="running"))
    assert participant_client.get(_detail(program)).status_code == 404


def test_program_admin_sees_their_closed_program_with_a_manage_link(admin_client, program):
    make_cohort(program=program, phase="running")
    response = admin_client.get(_detail(program))
    assert response.status_code == 200
    assert reverse("programs:program_manage", kwargs={"slug": program.slug}) in (
        response.content.decode()
    )


def test_other_program_admin_gets_404_for_a_closed_program(client, other_program_admin, program):
    make_cohort(program=program, phase="running")
    client.force_login(other_program_admin)
    assert client.get(_detail(program)).status_code == 404


def test_hr_sees_any_program(hr_client, program):
    make_cohort(program=program, phase="completed")
    assert hr_client.get(_detail(program)).status_code == 200


def test_detail_anonymous_is_sent_to_sign_in(client, program, cohort):
    response = client.get(_detail(program))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_detail_wrong_method_is_405(participant_client, program, cohort):
    assert participant_client.post(_detail(program)).status_code == 405


def test_detail_query_count_does_not_grow_with_cohorts(participant_client, participant, program):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert participant_client.get(_detail(program)).status_code == 200
        return len(ctx.captured_queries)

    make_cohort(program=program, phase="open")
    make_enrollment(cohort=make_cohort(program=program, phase="running"), person=participant)
    few = count()
    for _ in range(4):
        make_cohort(program=program, phase="open")
        make_enrollment(cohort=make_cohort(program=program, phase="running"), person=participant)
    assert count() == few
