"""The pair page's content is cached as rendered HTML (goals.views_pair.pair): every kind of
write the page shows reaches the next request, each member gets their own side, outsiders
never get a member's page, and a cached request makes fewer queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, GoalEvent, Meeting, Milestone
from goals.services.agreements import agreement_confirm, agreement_revise
from goals.services.checkins import check_in_review, check_in_submit
from goals.services.goals import (
    GoalInput,
    goal_create,
    goal_progress_record,
    milestone_set_done,
)
from goals.services.meetings import meeting_schedule
from matching.services import match_end


def url(pair, query=""):
    return reverse("goals:pair", args=[pair.pk]) + query


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client, pair, query="", **headers) -> str:
    response = client.get(url(pair, query), **headers)
    assert response.status_code == 200
    return response.content.decode()


def revise(pair, user):
    return agreement_revise(
        match=pair,
        user=user,
        cadence_days=14,
        formats=["video"],
        confidentiality="Between us.",
        mentee_expectations="",
        mentor_expectations="",
    )


@pytest.fixture
def goal(pair):
    goal = Goal.objects.create(
        match=pair,
        owner=pair.mentee,
        title="Give a talk at the all-hands",
        measure_kind="milestones",
        due_on=timezone.localdate() + timedelta(days=30),
        status="agreed",
    )
    for n, title in enumerate(("Outline", "Rehearse")):
        Milestone.objects.create(goal=goal, title=title, position=n)
    return goal


@pytest.fixture
def past_meeting(pair, alice):
    return Meeting.objects.create(
        match=pair, organizer=alice, starts_at=timezone.now() - timedelta(days=2)
    )


def test_a_cached_request_makes_fewer_queries(pair, alice, goal):
    client = client_for(alice)
    with CaptureQueriesContext(connection) as first:
        body = page(client, pair)
    with CaptureQueriesContext(connection) as second:
        again = page(client, pair)
    assert len(second) < len(first)
    assert len(second) <= 5  # session, user, membership, the navigation's roles
    assert "You and Bob Baker" in again and goal.title in again
    content = body.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]
    assert content in again


def test_each_member_gets_their_own_side(pair, alice, bob, past_meeting):
    revise(pair, alice)  # Bob is asked to confirm, Alice is not
    alices, bobs = client_for(alice), client_for(bob)
    for _ in range(2):  # computed, then cached
        mine, his = page(alices, pair), page(bobs, pair)
        assert "You and Bob Baker" in mine and "Your mentor" in mine
        assert "Read and confirm it" not in mine
        assert "You and Alice Adams" in his and "Your mentee" in his
        assert "Read and confirm it" in his
        assert "You and Alice Adams" not in mine and "You and Bob Baker" not in his


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_never_get_a_cached_page(pair, alice, other_pair, who, request):
    page(client_for(alice), pair)  # cached for Alice
    outsider = client_for(request.getfixturevalue(who))
    assert outsider.get(url(pair)).status_code == 404
    hx = {"HTTP_HX_REQUEST": "true"}
    assert outsider.get(url(pair, "?part=timeline"), **hx).status_code == 404


def test_a_meeting_scheduled_shows(pair, alice, bob):
    client = client_for(bob)
    assert "Meeting booked" not in page(client, pair)
    starts = (timezone.now() + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    meeting_schedule(
        pair_match=pair,
        user=alice,
        starts_local=starts,
        timezone="Europe/Paris",
        duration_minutes=30,
        mode="video",
        video_url="https://meet.example.com/ab",
    )
    body = page(client, pair)
    assert "Meeting booked (video, 30 min)" in body
    assert "Nothing booked." not in body


def test_a_check_in_and_its_review_show(pair, alice, bob, past_meeting):
    client = client_for(alice)
    assert "wrote the check-in" not in page(client, pair)
    check_in = check_in_submit(meeting=past_meeting, user=alice, discussed="x", usefulness=4)
    assert "Alice Adams wrote the check-in (useful: 4 of 5)" in page(client, pair)
    check_in_review(check_in=check_in, user=bob, comment="Good.")
    assert "Bob Baker reviewed the check-in" in page(client, pair)


def test_the_agreement_written_and_confirmed_shows(pair, alice, bob):
    client = client_for(alice)
    assert "You have not written your mentorship agreement yet" in page(client, pair)
    revision = revise(pair, alice)
    body = page(client, pair)
    assert "Alice Adams wrote the agreement" in body
    assert "Your agreement waits for Bob" in body
    agreement_confirm(revision=revision, user=bob)
    body = page(client, pair)
    assert "Both confirmed version 1 of the agreement" in body
    assert "waits for Bob" not in body


def test_a_goal_drafted_shows(pair, alice):
    client = client_for(alice)
    assert "Learn to give feedback" not in page(client, pair)
    goal_create(
        match=pair,
        user=alice,
        data=GoalInput(
            title="Learn to give feedback",
            measure_kind=Goal.MeasureKind.METRIC,
            metric_unit="sessions",
            baseline=Decimal(0),
            target=Decimal(5),
            due_on=timezone.localdate() + timedelta(days=60),
        ),
    )
    body = page(client, pair)
    assert "Learn to give feedback" in body
    assert "Alice Adams drafted the goal “Learn to give feedback”" in body


def test_milestones_ticked_show(pair, alice, goal):
    client = client_for(alice)
    assert "0 of 2 milestones" in page(client, pair)
    first, second = goal.milestones.order_by("position")
    milestone_set_done(milestone=first, user=alice)  # a single-row save
    assert "1 of 2 milestones" in page(client, pair)
    goal_progress_record(goal=goal, user=alice, milestone_ids_done=[second.pk])  # in bulk
    assert "2 of 2 milestones" in page(client, pair)


def test_a_goal_event_alone_shows(pair, alice, bob, goal):
    client = client_for(alice)
    assert "agreed the goal" not in page(client, pair)
    GoalEvent.objects.create(goal=goal, actor=bob, kind="agreed", from_status="proposed")
    assert "Bob Baker agreed the goal “Give a talk at the all-hands”" in page(client, pair)


def test_the_match_ended_shows(pair, alice, program_admin):
    client = client_for(alice)
    assert "Schedule a meeting" in page(client, pair)
    match_end(match=pair, user=program_admin, reason="Moved teams")
    body = page(client, pair)
    assert "This pair ended on" in body
    assert "Schedule a meeting" not in body


def test_a_rename_shows(pair, alice, bob):
    client = client_for(alice)
    assert "You and Bob Baker" in page(client, pair)
    bob.first_name = "Robert"
    bob.save()
    body = page(client, pair)
    assert "You and Robert Baker" in body
    assert "Robert Baker · My mentoring" in body  # the title


def test_htmx_parts_follow_writes(pair, alice, past_meeting):
    client = client_for(alice)
    hx = {"HTTP_HX_REQUEST": "true"}
    for part in ("timeline", "health", "overview"):
        body = page(client, pair, f"?part={part}", **hx)
        assert "<html" not in body and f'id="{part}"' in body
    assert "wrote the check-in" not in page(client, pair, "?part=timeline", **hx)
    CheckIn.objects.create(meeting=past_meeting, match=pair, author=alice, usefulness=5)
    timeline = page(client, pair, "?part=timeline", **hx)
    assert "Alice Adams wrote the check-in (useful: 5 of 5)" in timeline
    assert 'id="health"' not in timeline
    full = page(client, pair, "?part=timeline&timeline=all", **hx)
    assert "?part=timeline&amp;timeline=all" in full  # its refresh keeps the whole list


def test_a_cache_that_cannot_be_reached_still_serves_the_page(pair, alice, settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert "You and Bob Baker" in page(client_for(alice), pair)
