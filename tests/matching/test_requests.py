"""Self-select mode: mentees request mentors in order; mentors accept or decline; requests
expire and pass to the next choice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.models import Match, MentorRequest
from matching.requests import (
    RequestRefused,
    mentor_request_accept,
    mentor_request_decline,
    mentor_requests_expire,
    mentor_requests_submit,
    mentor_suggestions,
)
from matching.tasks_requests import expire_mentor_requests
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(program, participant):
    """Pat (the participant) is a mentee; three mentors with one place each."""
    cohort = make_cohort(program=program, phase="closed", matching_mode="self_select")
    mentee = make_enrollment(
        cohort=cohort, person=participant, languages=["English"], goals="Lead a team"
    )
    participant.level = 2
    participant.save()
    mentors = [
        make_enrollment(
            cohort=cohort,
            person=make_user(level=5),
            role="mentor",
            capacity=1,
            languages=["English"],
        )
        for _ in range(3)
    ]
    return cohort, mentee, mentors


def choose_url(enrollment):
    return reverse("requests:choose", kwargs={"pk": enrollment.pk})


def incoming_url(enrollment):
    return reverse("requests:incoming", kwargs={"pk": enrollment.pk})


def decide_url(enrollment, req):
    return reverse("requests:decide", kwargs={"pk": enrollment.pk, "request_pk": req.pk})


def ranked(mentee, mentors):
    return mentor_requests_submit(mentee=mentee, mentor_ids=[m.pk for m in mentors])


def statuses(mentee):
    return [
        (r.mentor_id, r.status)
        for r in MentorRequest.objects.filter(mentee=mentee).order_by("rank")
    ]


def test_mentee_sees_suggestions_with_score_reasons_and_places(participant_client, pool):
    _, mentee, mentors = pool
    response = participant_client.get(choose_url(mentee))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose your mentor" in body and "Who can see this page" in body
    assert all(m.person.get_full_name() in body for m in mentors)
    assert "Places left" in body and "/ 100" in body
    suggestions = mentor_suggestions(mentee=mentee)
    assert len(suggestions) == 3
    assert all(s.places_left == 1 and s.reasons for s in suggestions)


def test_request_then_accept_makes_an_active_match(client, participant_client, pool):
    _, mentee, mentors = pool
    response = participant_client.post(
        choose_url(mentee),
        {"choice_1": mentors[1].pk, "choice_2": mentors[0].pk, "choice_3": ""},
    )
    assert response.status_code == 302
    assert statuses(mentee) == [(mentors[1].pk, "pending"), (mentors[0].pk, "queued")]
    pending = MentorRequest.objects.get(mentee=mentee, status="pending")
    assert pending.expires_at == pending.sent_at + timedelta(days=5)

    client.force_login(mentors[1].person)
    page = client.get(incoming_url(mentors[1]))
    assert page.status_code == 200
    assert "Lead a team" in page.content.decode()  # the mentee's intake
    assert "Who can see this page" in page.content.decode()
    # The second choice's mentor sees nothing yet: one request at a time.
    client.force_login(mentors[0].person)
    assert (
        mentee.person.get_full_name() not in client.get(incoming_url(mentors[0])).content.decode()
    )

    client.force_login(mentors[1].person)
    response = client.post(decide_url(mentors[1], pending), {"action": "accept"})
    assert response.status_code == 302
    match = Match.objects.get(mentee=mentee)
    assert match.mentor == mentors[1] and match.status == "active" and match.published_at
    assert match.reasons[0].startswith("Chosen by the mentee")
    assert statuses(mentee) == [(mentors[1].pk, "accepted"), (mentors[0].pk, "superseded")]


def test_decline_passes_to_the_next_choice(pool):
    _, mentee, mentors = pool
    first, second = ranked(mentee, mentors[:2])
    mentor_request_decline(mentor=mentors[0], request_id=first.pk)
    assert statuses(mentee) == [(mentors[0].pk, "declined"), (mentors[1].pk, "pending")]
    second.refresh_from_db()
    assert second.expires_at > timezone.now() + timedelta(days=4)
    with pytest.raises(RequestRefused):
        mentor_request_decline(mentor=mentors[0], request_id=first.pk)  # already answered
    # A mentor who declined is no longer suggested.
    assert mentors[0].pk not in {s.mentor.pk for s in mentor_suggestions(mentee=mentee)}


def test_expiry_passes_to_the_next_choice_once(pool):
    cohort, mentee, mentors = pool
    ranked(mentee, mentors)
    later = timezone.now() + timedelta(days=cohort.request_expiry_days, minutes=1)
    assert mentor_requests_expire(now=later - timedelta(days=1)) == 0  # not yet due
    assert mentor_requests_expire(now=later) == 1
    assert statuses(mentee) == [
        (mentors[0].pk, "expired"),
        (mentors[1].pk, "pending"),
        (mentors[2].pk, "queued"),
    ]
    assert mentor_requests_expire(now=later) == 0  # idempotent: the new window starts now
    second = MentorRequest.objects.get(mentee=mentee, status="pending")
    assert second.expires_at == later + timedelta(days=cohort.request_expiry_days)


def test_the_expiry_task_expires_due_requests(pool):
    _, mentee, mentors = pool
    ranked(mentee, mentors[:1])
    MentorRequest.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_mentor_requests.apply().get() == 1
    assert statuses(mentee) == [(mentors[0].pk, "expired")]


def test_taking_a_mentors_last_place_passes_other_mentees_on(pool):
    cohort, mentee, mentors = pool
    other = make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
    ranked(mentee, mentors[:2])
    ranked(other, mentors[:2])
    mine = MentorRequest.objects.get(mentee=mentee, status="pending")
    mentor_request_accept(mentor=mentors[0], request_id=mine.pk)
    # Mentor 0 had one place: the other mentee's request moves to their second choice.
    assert statuses(other) == [(mentors[0].pk, "declined"), (mentors[1].pk, "pending")]
    assert MentorRequest.objects.get(mentee=other, rank=1).outcome.startswith("The mentor's")


def test_a_matched_mentee_cannot_request(participant_client, pool):
    cohort, mentee, mentors = pool
    Match.objects.create(cohort=cohort, mentee=mentee, mentor=mentors[0], status="active")
    page = participant_client.get(choose_url(mentee))
    assert page.status_code == 200
    assert "You already have a mentor" in page.content.decode()
    response = participant_client.post(choose_url(mentee), {"choice_1": mentors[1].pk})
    assert response.status_code == 409
    assert not MentorRequest.objects.exists()
    with pytest.raises(RequestRefused):
        ranked(mentee, mentors[1:2])


def test_only_suggested_mentors_and_at_most_three(participant_client, pool):
    cohort, mentee, mentors = pool
    stranger = make_enrollment(
        cohort=cohort, person=make_user(level=5), role="mentor", capacity=1, languages=["German"]
    )
    response = participant_client.post(choose_url(mentee), {"choice_1": stranger.pk})
    assert response.status_code == 400  # no shared language: never suggested
    assert "suggested to you" in response.content.decode()
    response = participant_client.post(
        choose_url(mentee), {"choice_1": mentors[0].pk, "choice_2": mentors[0].pk}
    )
    assert response.status_code == 400
    assert not MentorRequest.objects.exists()


def test_new_choices_replace_open_requests(pool):
    _, mentee, mentors = pool
    ranked(mentee, mentors[:2])
    ranked(mentee, [mentors[2], mentors[0]])
    open_ = MentorRequest.objects.filter(mentee=mentee, status__in=["pending", "queued"])
    assert [(r.mentor_id, r.status) for r in open_.order_by("rank")] == [
        (mentors[2].pk, "pending"),
        (mentors[0].pk, "queued"),
    ]
    assert MentorRequest.objects.filter(mentee=mentee, status="withdrawn").count() == 2


def test_admin_mode_cohort_404s_both_pages(client, participant_client, program, participant):
    cohort = make_cohort(program=program, phase="closed")  # matching_mode admin
    mentee = make_enrollment(cohort=cohort, person=participant)
    assert participant_client.get(choose_url(mentee)).status_code == 404
    mentor = make_enrollment(cohort=cohort, role="mentor")
    client.force_login(mentor.person)
    assert client.get(incoming_url(mentor)).status_code == 404


def test_outsiders_get_404(client, pool, other_program_admin):
    _, mentee, mentors = pool
    client.force_login(other_program_admin)
    assert client.get(choose_url(mentee)).status_code == 404
    assert client.get(incoming_url(mentors[0])).status_code == 404
    # Another mentor cannot answer a request addressed to someone else.
    req = ranked(mentee, mentors[:1])[0]
    client.force_login(mentors[1].person)
    response = client.post(decide_url(mentors[1], req), {"action": "accept"})
    assert response.status_code == 302
    assert not Match.objects.exists()
    client.force_login(mentors[1].person)
    # The mentee's own enrollment is not a mentor page, and vice versa.
    assert client.get(choose_url(mentors[1])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, pool):
    _, mentee, _ = pool
    response = client.get(choose_url(mentee))
    assert response.status_code == 302 and "login" in response["Location"]


def test_wrong_method_is_405(client, participant_client, pool):
    _, mentee, mentors = pool
    assert participant_client.put(choose_url(mentee)).status_code == 405
    client.force_login(mentors[0].person)
    assert client.post(incoming_url(mentors[0])).status_code == 405
    req = ranked(mentee, mentors[:1])[0]
    assert client.get(decide_url(mentors[0], req)).status_code == 405


def test_incoming_page_query_count_does_not_grow(client, pool, django_assert_max_num_queries):
    cohort, _, mentors = pool
    mentor = mentors[0]
    client.force_login(mentor.person)
    for _ in range(2):
        ranked(
            make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"]),
            [mentor],
        )
    with django_assert_max_num_queries(12) as few:
        client.get(incoming_url(mentor))
    for _ in range(4):
        ranked(
            make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"]),
            [mentor],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(incoming_url(mentor)).content.decode().count("Accept<") == 6


def test_the_intake_page_links_to_choosing_a_mentor_in_self_select_cohorts(
    participant_client, pool
):
    cohort, mentee, _ = pool
    intake = reverse("programs:intake", kwargs={"pk": mentee.pk})
    assert choose_url(mentee) in participant_client.get(intake).content.decode()
    cohort.matching_mode = "admin"
    cohort.save()
    assert choose_url(mentee) not in participant_client.get(intake).content.decode()
