"""A participant's own match: both sides see each other, either can end it with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Match
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(program):
    cohort = make_cohort(program=program, phase="running", slug="eng-running")
    mentee = make_enrollment(cohort=cohort, person=make_user(), goals="Lead a project")
    mentor = make_enrollment(
        cohort=cohort, person=make_user(title="Staff Engineer"), role="mentor", bio="Payments"
    )
    match = Match.objects.create(
        cohort=cohort, mentee=mentee, mentor=mentor, status="active", reasons=["Shares a language"]
    )
    return mentee, mentor, match


def url(enrollment):
    return reverse("matching:my_match", kwargs={"pk": enrollment.pk})


def test_the_mentee_sees_their_mentor_and_why(client, pair):
    mentee, mentor, _ = pair
    client.force_login(mentee.person)
    body = client.get(url(mentee)).content.decode()
    assert mentor.person.get_full_name() in body and "Your mentor" in body
    assert "Payments" in body and "Shares a language" in body


def test_the_mentor_sees_their_mentee_and_their_goals(client, pair):
    mentee, mentor, _ = pair
    client.force_login(mentor.person)
    body = client.get(url(mentor)).content.decode()
    assert mentee.person.get_full_name() in body and "Lead a project" in body


def test_either_side_ends_the_match_with_a_reason_and_admins_see_it(client, program_admin, pair):
    mentee, _, match = pair
    client.force_login(mentee.person)
    client.post(url(mentee), {"match": match.pk, "reason": ""})
    match.refresh_from_db()
    assert match.status == "active"  # a reason is required
    client.post(url(mentee), {"match": match.pk, "reason": "We never found a time to meet"})
    match.refresh_from_db()
    assert match.status == "ended" and match.ended_by == mentee.person
    client.force_login(program_admin)
    board = client.get(reverse("matching:board", kwargs={"slug": match.cohort.slug}))
    assert "We never found a time to meet" in board.content.decode()


def test_someone_else_cannot_see_or_end_the_match(client, pair, participant):
    mentee, _, match = pair
    client.force_login(participant)
    assert client.get(url(mentee)).status_code == 404
    assert client.post(url(mentee), {"match": match.pk, "reason": "x"}).status_code == 404
    match.refresh_from_db()
    assert match.status == "active"


def test_a_match_of_another_enrollment_cannot_be_ended_from_this_page(client, pair, program):
    mentee, _, _ = pair
    other = Match.objects.create(
        cohort=mentee.cohort,
        mentee=make_enrollment(cohort=mentee.cohort),
        mentor=make_enrollment(cohort=mentee.cohort, role="mentor"),
        status="active",
    )
    client.force_login(mentee.person)
    assert client.post(url(mentee), {"match": other.pk, "reason": "x"}).status_code == 404


def test_not_matched_yet_says_so(client, program):
    enrollment = make_enrollment(cohort=make_cohort(program=program), person=make_user())
    client.force_login(enrollment.person)
    assert "not matched in" in client.get(url(enrollment)).content.decode()


def test_anonymous_is_sent_to_sign_in_and_wrong_method_is_405(client, pair):
    mentee, _, _ = pair
    response = client.get(url(mentee))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    client.force_login(mentee.person)
    assert client.put(url(mentee)).status_code == 405
