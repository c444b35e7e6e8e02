"""The reviewing side's inbox and the review: oldest first, constant queries, end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Meeting
from goals.selectors.meetings import review_inbox
from goals.services.checkins import CheckInRefused, check_in_review, check_in_submit
from tests.conftest import make_user
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort

pytestmark = pytest.mark.django_db

INBOX = "/reviews/"


def held(pair, *, days_ago: int = 1) -> Meeting:
    return Meeting.objects.create(
        match=pair, starts_at=timezone.now() - timedelta(days=days_ago), timezone="Europe/Paris"
    )


def written(pair, *, days_ago: int = 1, usefulness: int = 4) -> CheckIn:
    meeting = held(pair, days_ago=days_ago)
    check_in = check_in_submit(
        meeting=meeting,
        user=pair.mentee.person,
        discussed="SHARED CHECK-IN TEXT",
        usefulness=usefulness,
    )
    CheckIn.objects.filter(pk=check_in.pk).update(
        submitted_at=timezone.now() - timedelta(days=days_ago)
    )
    return check_in


def test_the_url_name():
    assert reverse("goals:review_inbox") == INBOX


def test_the_mentor_sees_waiting_check_ins_oldest_first(bob_client, pair, bob, running_cohort):
    newer = written(pair, days_ago=1, usefulness=2)
    older = written(pair, days_ago=6, usefulness=5)
    reviewed = written(pair, days_ago=3)
    check_in_review(check_in=reviewed, user=bob, comment="Done")
    # Bob mentors a second mentee too.
    second = make_pair(cohort=make_cohort(program=pair.cohort.program, phase="running"), mentor=bob)
    theirs = written(second, days_ago=2)

    assert list(review_inbox(bob)) == [older, theirs, newer]
    body = bob_client.get(INBOX).content.decode()
    assert body.index("5/5") < body.index("2/5")
    assert "Alice Adams" in body and second.mentee.person.get_full_name() in body
    assert "SHARED CHECK-IN TEXT" not in body  # figures and names only
    assert reverse("goals:meeting", args=[pair.pk, newer.meeting_id]) in body


def test_the_mentee_and_outsiders_have_nothing_to_review(client, pair, alice, charlie):
    written(pair)
    for person in (alice, charlie):
        assert list(review_inbox(person)) == []
        client.force_login(person)
        assert "Nothing is waiting for your review" in client.get(INBOX).content.decode()


def test_ended_pairs_leave_the_inbox(pair, bob):
    written(pair)
    pair.status = "ended"
    pair.save()
    assert list(review_inbox(bob)) == []


def test_in_peer_programs_the_other_peer_reviews(program):
    program.kind = "peer"
    program.save()
    match = make_pair(cohort=make_cohort(program=program, phase="running"))
    first, second = match.mentee.person, match.mentor.person
    by_second = check_in_submit(meeting=held(match), user=second, discussed="x", usefulness=3)
    assert list(review_inbox(first)) == [by_second]
    assert list(review_inbox(second)) == []


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INBOX)
    assert response.status_code == 200
    return len(queries)


def test_the_inbox_has_a_constant_number_of_queries(bob_client, pair, bob, program):
    written(pair, days_ago=2)
    one = _queries(bob_client)
    for n in range(8):
        mentee_pair = make_pair(
            cohort=make_cohort(program=program, phase="running"), mentee=make_user(), mentor=bob
        )
        written(mentee_pair, days_ago=n + 3)
        written(pair, days_ago=n + 3)
    many = _queries(bob_client)
    assert len(list(review_inbox(bob))) == 17
    assert many == one


def test_wrong_method(bob_client):
    assert bob_client.post(INBOX).status_code == 405


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_htmx_partial(bob_client, pair):
    written(pair)
    body = bob_client.get(INBOX, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in body and 'id="review-inbox"' in body


# --- Reviewing --------------------------------------------------------------------------------


def test_review_flow_end_to_end(client, pair, alice, bob):
    meeting = held(pair)
    client.force_login(alice)
    client.post(
        reverse("goals:check_in", args=[pair.pk, meeting.pk]),
        {"discussed": "Keynote plan", "next_steps": "Slides", "usefulness": "5"},
    )
    check_in = CheckIn.objects.get()

    client.force_login(bob)
    inbox = client.get(INBOX).content.decode()
    assert "Alice Adams" in inbox and "5/5" in inbox
    page = client.get(reverse("goals:meeting", args=[pair.pk, meeting.pk])).content.decode()
    assert "Keynote plan" in page and "Acknowledge with this comment" in page

    review_url = reverse("goals:check_in_review", args=[pair.pk, meeting.pk])
    response = client.post(review_url, {"comment": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    check_in.refresh_from_db()
    assert check_in.reviewed_at is None

    response = client.post(review_url, {"comment": "Great plan, book the room."})
    assert response.status_code == 302
    check_in.refresh_from_db()
    assert check_in.reviewed_by == bob and check_in.reviewed_at is not None
    assert "Nothing is waiting" in client.get(INBOX).content.decode()

    client.force_login(alice)
    page = client.get(reverse("goals:meeting", args=[pair.pk, meeting.pk])).content.decode()
    assert "Great plan, book the room." in page and "Reviewed by Bob Baker" in page
    assert "Edit the check-in" not in page


def test_review_htmx(bob_client, pair):
    check_in = written(pair)
    url = reverse("goals:check_in_review", args=[pair.pk, check_in.meeting_id])
    body = bob_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in body and f'hx-post="{url}"' in body
    response = bob_client.post(url, {"comment": "Noted"}, headers={"HX-Request": "true"})
    assert response["HX-Trigger"] == "pair-changed"


def test_the_author_cannot_review_and_a_second_review_is_refused(alice_client, pair, alice, bob):
    check_in = written(pair)
    url = reverse("goals:check_in_review", args=[pair.pk, check_in.meeting_id])
    response = alice_client.post(url, {"comment": "Reviewing myself"}, follow=True)
    assert "the other side reviews it" in response.content.decode()
    check_in.refresh_from_db()
    assert check_in.reviewed_at is None
    with pytest.raises(CheckInRefused):
        check_in_review(check_in=check_in, user=alice, comment="Me")
    check_in_review(check_in=check_in, user=bob, comment="First")
    with pytest.raises(CheckInRefused):
        check_in_review(check_in=check_in, user=bob, comment="Second")
    check_in.refresh_from_db()
    assert check_in.review_comment == "First"


def test_no_review_on_an_ended_pair(pair, bob):
    check_in = written(pair)
    pair.status = "ended"
    pair.save()
    with pytest.raises(CheckInRefused):
        check_in_review(check_in=check_in, user=bob, comment="Late")
