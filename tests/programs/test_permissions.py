"""Every programs page against every role: who sees it (200), who is sent to sign in, and who
gets 404 (outsiders never learn that a program, cohort or enrollment exists)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import activate_totp, make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db

OK, NOT_FOUND, LOGIN = 200, 404, "login"

# role -> expected answer, for each page (GET).
MANAGER_PAGE = {
    "anonymous": LOGIN,
    "participant": NOT_FOUND,
    "enrolled": NOT_FOUND,
    "other_admin": NOT_FOUND,
    "admin": OK,
    "hr": OK,
    "staff": OK,
}
HR_PAGE = {**MANAGER_PAGE, "admin": NOT_FOUND, "other_admin": NOT_FOUND}
OWN_ENROLLMENT_PAGE = {
    "anonymous": LOGIN,
    "participant": NOT_FOUND,
    "enrolled": OK,
    "other_admin": NOT_FOUND,
    "admin": NOT_FOUND,  # admins read intakes on their pages; the form is the person's own
    "hr": NOT_FOUND,
    "staff": NOT_FOUND,
}
PUBLIC_WHILE_OPEN = dict.fromkeys(MANAGER_PAGE, OK) | {"anonymous": LOGIN}


@pytest.fixture
def world():
    admin = make_user(first_name="Ada", last_name="Admin")
    other_admin = make_user(first_name="Otto", last_name="Other")
    hr = make_user(first_name="Hana", last_name="HR", is_hr=True)
    staff = make_user(first_name="Sam", last_name="Staff", is_staff=True)
    for user in (admin, other_admin, hr, staff):
        activate_totp(user)
    program = make_program(admins=[admin], slug="eng")
    make_program(admins=[other_admin], slug="sales")
    cohort = make_cohort(program=program, phase="open", slug="eng-open")
    enrolled = make_user(first_name="Eve", last_name="Enrolled")
    enrollment = make_enrollment(cohort=cohort, person=enrolled, role="mentee", status="invited")
    users = {
        "participant": make_user(first_name="Pat", last_name="Outsider"),
        "enrolled": enrolled,
        "other_admin": other_admin,
        "admin": admin,
        "hr": hr,
        "staff": staff,
    }
    return users, program, cohort, enrollment


def pages(program, cohort, enrollment):
    p, c = {"slug": program.slug}, {"slug": cohort.slug}
    return [
        (reverse("programs:program_detail", kwargs=p), PUBLIC_WHILE_OPEN),
        (reverse("programs:program_create"), HR_PAGE),
        (reverse("programs:program_manage", kwargs=p), MANAGER_PAGE),
        (reverse("programs:program_edit", kwargs=p), MANAGER_PAGE),
        (reverse("programs:program_topics", kwargs=p), MANAGER_PAGE),
        (reverse("programs:cohort_create", kwargs=p), MANAGER_PAGE),
        (reverse("programs:cohort_dashboard", kwargs=c), MANAGER_PAGE),
        (reverse("programs:cohort_edit", kwargs=c), MANAGER_PAGE),
        (reverse("programs:cohort_enroll", kwargs=c), MANAGER_PAGE),
        (reverse("programs:cohort_applications", kwargs=c), MANAGER_PAGE),
        (reverse("programs:enroll_upload", kwargs=c), MANAGER_PAGE),
        (reverse("programs:intake", kwargs={"pk": enrollment.pk}), OWN_ENROLLMENT_PAGE),
        (reverse("programs:withdraw", kwargs={"pk": enrollment.pk}), OWN_ENROLLMENT_PAGE),
    ]


ROLES = ["anonymous", "participant", "enrolled", "other_admin", "admin", "hr", "staff"]


@pytest.mark.parametrize("role", ROLES)
def test_each_page_answers_each_role_as_it_should(client, world, role):
    users, program, cohort, enrollment = world
    if role != "anonymous":
        client.force_login(users[role])
    wrong = []
    for url, expected in pages(program, cohort, enrollment):
        response = client.get(url)
        want = expected[role]
        if want == LOGIN:
            ok = response.status_code == 302 and reverse("account_login") in response["Location"]
        else:
            ok = response.status_code == want
        if not ok:
            wrong.append(f"{url}: expected {want}, got {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("role", ["participant", "other_admin"])
def test_outsiders_posting_to_manager_pages_change_nothing(client, world, role):
    users, program, cohort, enrollment = world
    client.force_login(users[role])
    before = (cohort.name, enrollment.status, program.topics.count())
    c = {"slug": cohort.slug}
    posts = [
        (reverse("programs:cohort_edit", kwargs=c), {"name": "Hijacked"}),
        (reverse("programs:cohort_applications", kwargs=c), {"decide": f"accept-{enrollment.pk}"}),
        (reverse("programs:program_topics", kwargs={"slug": program.slug}), {"name": "Evil"}),
        (reverse("programs:withdraw", kwargs={"pk": enrollment.pk}), {"reason": "not mine"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    cohort.refresh_from_db()
    enrollment.refresh_from_db()
    assert (cohort.name, enrollment.status, program.topics.count()) == before
