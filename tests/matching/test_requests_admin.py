"""The admin's view of a cohort's self-select requests: per mentee, their ranked choices and
where each stands; filtered by status; only the cohort's managers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from matching.models import MentorRequest
from matching.requests import (
    mentor_request_accept,
    mentor_request_decline,
    mentor_requests_expire,
    mentor_requests_submit,
)
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


def new_mentee(cohort, **person):
    return make_enrollment(cohort=cohort, person=make_user(level=2, **person), languages=["En"])


@pytest.fixture
def pool(program):
    cohort = make_cohort(
        program=program, phase="closed", matching_mode="self_select", slug="eng-self"
    )
    mentors = [
        make_enrollment(
            cohort=cohort,
            person=make_user(first_name=f"Mentor{k}", last_name="Mentorson", level=5),
            role="mentor",
            capacity=10,
            languages=["En"],
        )
        for k in range(3)
    ]
    return cohort, mentors


def url(cohort, **query):
    base = reverse("matching:requests", kwargs={"slug": cohort.slug})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def ask(mentee, mentors):
    return mentor_requests_submit(mentee=mentee, mentor_ids=[m.pk for m in mentors])


def test_admin_sees_each_mentees_ranked_choices_and_outcomes(admin_client, pool):
    cohort, mentors = pool
    alice = new_mentee(cohort, first_name="Alice", last_name="Adams")
    bob = new_mentee(cohort, first_name="Bob", last_name="Brown")
    first, _ = ask(alice, mentors[:2])
    mentor_request_decline(mentor=mentors[0], request_id=first.pk)
    (bobs,) = ask(bob, mentors[2:])
    mentor_request_accept(mentor=mentors[2], request_id=bobs.pk)

    response = admin_client.get(url(cohort))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Mentor requests" in body and "Who can see this page" in body
    assert "Alice Adams" in body and "Bob Brown" in body
    assert body.index("Alice Adams") < body.index("Bob Brown")
    # Alice: her second choice is in front of its mentor now, her first declined.
    alice_rows = body[body.index("Alice Adams") : body.index("Bob Brown")]
    assert alice_rows.index("Mentor1 Mentorson") < alice_rows.index("Mentor0 Mentorson")
    assert "Waiting for the mentor" in alice_rows and "The mentor declined." in alice_rows
    pending = MentorRequest.objects.get(mentee=alice, status="pending")
    assert timezone.localtime(pending.expires_at).strftime("%H:%M") in alice_rows
    assert "Matched on" in body[body.index("Bob Brown") :]


def test_filter_by_status(admin_client, pool):
    cohort, mentors = pool
    alice = new_mentee(cohort, first_name="Alice", last_name="Adams")
    bob = new_mentee(cohort, first_name="Bob", last_name="Brown")
    ask(alice, mentors[:2])
    ask(bob, mentors[:1])
    later = timezone.now() + timedelta(days=cohort.request_expiry_days, minutes=1)
    mentor_requests_expire(now=later)  # both first choices expire; Alice's second is asked

    body = admin_client.get(url(cohort, status="pending")).content.decode()
    assert "Alice Adams" in body and "Bob Brown" not in body
    assert "Mentor1 Mentorson" in body and "Mentor0 Mentorson" not in body
    assert "with a request that is waiting for the mentor" in body

    body = admin_client.get(url(cohort, status="expired")).content.decode()
    assert "Alice Adams" in body and "Bob Brown" in body
    assert "Mentor1 Mentorson" not in body

    body = admin_client.get(url(cohort, status="accepted")).content.decode()
    assert "No request has this status." in body

    # An unknown status is no filter.
    body = admin_client.get(url(cohort, status="bogus")).content.decode()
    assert "Alice Adams" in body and "Bob Brown" in body


def test_htmx_filter_gets_only_the_list(admin_client, pool):
    cohort, mentors = pool
    ask(new_mentee(cohort, first_name="Alice", last_name="Adams"), mentors[:1])
    response = admin_client.get(url(cohort, status="open"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Alice Adams" in body


def test_hr_sees_the_page(hr_client, pool):
    cohort, _ = pool
    assert hr_client.get(url(cohort)).status_code == 200


def test_outsiders_and_participants_get_404(client, pool, participant, other_program_admin):
    cohort, mentors = pool
    mentee = new_mentee(cohort)
    ask(mentee, mentors[:1])
    for user in (participant, other_program_admin, mentee.person, mentors[0].person):
        client.force_login(user)
        assert client.get(url(cohort)).status_code == 404, user


def test_anonymous_is_sent_to_sign_in(client, pool):
    cohort, _ = pool
    response = client.get(url(cohort))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_is_get_only(admin_client, pool):
    cohort, _ = pool
    assert admin_client.post(url(cohort)).status_code == 405


def test_query_count_does_not_grow_with_the_requests(admin_client, pool):
    cohort, mentors = pool

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url(cohort)).status_code == 200
        return len(ctx.captured_queries)

    first, *_ = ask(new_mentee(cohort), mentors)
    mentor_request_decline(mentor=mentors[0], request_id=first.pk)
    one = count()
    for k in range(12):
        order = mentors[k % 3 :] + mentors[: k % 3]
        mine = ask(new_mentee(cohort), order)
        mentor_request_accept(mentor=order[0], request_id=mine[0].pk)
    assert count() == one
    assert admin_client.get(url(cohort)).content.decode().count("Matched on") == 12


def test_the_board_links_to_the_requests_in_self_select_cohorts(admin_client, pool, program):
    cohort, _ = pool
    board = reverse("matching:board", kwargs={"slug": cohort.slug})
    assert url(cohort) in admin_client.get(board).content.decode()
    admin_only = make_cohort(program=program, phase="closed", slug="eng-admin-only")
    board = reverse("matching:board", kwargs={"slug": admin_only.slug})
    assert url(admin_only) not in admin_client.get(board).content.decode()
