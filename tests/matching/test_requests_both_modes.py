"""Cohorts matched both ways (the admin's runs plus mentees' requests): a mentor's accept
replaces the admin's draft for that mentee, and the board says so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Match, MatchRun, MentorRequest
from matching.requests import (
    NoPlaceLeft,
    RequestRefused,
    mentor_request_accept,
    mentor_requests_submit,
)
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(program, participant):
    """Pat asks mentor 0; the admin's draft has Pat with mentor 1. One place each."""
    cohort = make_cohort(program=program, phase="closed", matching_mode="both", slug="eng-both")
    participant.level = 2
    participant.save()
    mentee = make_enrollment(cohort=cohort, person=participant, languages=["English"])
    mentors = [
        make_enrollment(
            cohort=cohort,
            person=make_user(first_name=f"Mentor{k}", last_name="Mentorson", level=5),
            role="mentor",
            capacity=1,
            languages=["English"],
        )
        for k in range(2)
    ]
    return cohort, mentee, mentors


def board_url(cohort):
    return reverse("matching:board", kwargs={"slug": cohort.slug})


def ask(mentee, mentor):
    (req,) = mentor_requests_submit(mentee=mentee, mentor_ids=[mentor.pk])
    return req


def test_a_mentors_accept_replaces_the_admins_draft_and_the_board_says_so(admin_client, pool):
    cohort, mentee, mentors = pool
    req = ask(mentee, mentors[0])
    MatchRun.objects.create(cohort=cohort, status=MatchRun.Status.DONE)
    draft = Match.objects.create(cohort=cohort, mentee=mentee, mentor=mentors[1], score=50)

    match = mentor_request_accept(mentor=mentors[0], request_id=req.pk)

    assert match.status == "active" and match.mentor == mentors[0]
    assert not Match.objects.filter(pk=draft.pk).exists()
    assert list(Match.objects.filter(mentee=mentee)) == [match]
    req.refresh_from_db()
    assert req.status == "accepted" and req.replaced_draft_mentor == mentors[1]
    # Mentor 1's place is free again for the admin's next run.
    assert mentors[1].capacity - Match.objects.filter(mentor=mentors[1]).count() == 1

    body = admin_client.get(board_url(cohort)).content.decode()
    assert "Drafts replaced by a mentor's accept (1)" in body
    assert (
        f"{mentee.person.get_full_name()}</strong>: Mentor0 Mentorson accepted their request"
    ) in body
    assert "replacing the draft with Mentor1 Mentorson" in body

    # The next run plans around the new match: the notice goes.
    admin_client.post(reverse("matching:run", kwargs={"slug": cohort.slug}))
    body = admin_client.get(board_url(cohort)).content.decode()
    assert "Drafts replaced" not in body
    assert not Match.objects.filter(mentee=mentee, status="proposed").exists()


def test_a_draft_with_the_same_mentor_does_not_take_the_place_the_accept_needs(pool):
    cohort, mentee, mentors = pool
    req = ask(mentee, mentors[0])
    Match.objects.create(cohort=cohort, mentee=mentee, mentor=mentors[0], score=50)
    match = mentor_request_accept(mentor=mentors[0], request_id=req.pk)
    assert Match.objects.filter(mentor=mentors[0]).get() == match
    assert match.status == "active"


def test_a_published_draft_wins_and_the_accept_is_refused(pool):
    cohort, mentee, mentors = pool
    req = ask(mentee, mentors[0])
    Match.objects.create(cohort=cohort, mentee=mentee, mentor=mentors[1], status="active")
    with pytest.raises(RequestRefused, match="already has a mentor"):
        mentor_request_accept(mentor=mentors[0], request_id=req.pk)
    req.refresh_from_db()
    assert req.status == "pending"
    assert Match.objects.filter(mentee=mentee).count() == 1


def test_a_mentee_with_only_a_draft_can_still_choose(participant_client, pool):
    cohort, mentee, mentors = pool
    Match.objects.create(cohort=cohort, mentee=mentee, mentor=mentors[1], score=50)
    page = participant_client.get(reverse("requests:choose", kwargs={"pk": mentee.pk}))
    assert "You already have a mentor" not in page.content.decode()
    response = participant_client.post(
        reverse("requests:choose", kwargs={"pk": mentee.pk}), {"choice_1": mentors[0].pk}
    )
    assert response.status_code == 302
    assert MentorRequest.objects.get(mentee=mentee).status == "pending"


def test_a_mentor_whose_places_are_drafted_for_others_hears_why(pool):
    cohort, mentee, mentors = pool
    req = ask(mentee, mentors[0])
    other = make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
    Match.objects.create(cohort=cohort, mentee=other, mentor=mentors[0], score=50)
    with pytest.raises(NoPlaceLeft, match="the program admin's draft matches"):
        mentor_request_accept(mentor=mentors[0], request_id=req.pk)
