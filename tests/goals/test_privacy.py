"""The privacy tiers, walked over every page of the pair's workspace for every role.

Shared text (agreement, goals, agendas, check-ins, reviews, progress notes) is the pair's only;
a private note is its author's only. Program admins and HR reach no pair page (404) and no page
of theirs shows any of that text. New URL patterns in the goals app are walked automatically:
one whose parameters this test cannot fill fails it, so nobody adds a page unchecked.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from goals.models import (
    AgreementRevision,
    CalendarFeed,
    CheckIn,
    Goal,
    GoalEvent,
    GoalTemplate,
    Meeting,
    Milestone,
    PrivateNote,
    ProgressUpdate,
)

SHARED = "SHARED-TEXT-7f3a"
ALICE_PRIVATE = "ALICE-PRIVATE-91c2"
BOB_PRIVATE = "BOB-PRIVATE-44d8"
ALL_TEXT = (SHARED, ALICE_PRIVATE, BOB_PRIVATE)
PAIR_PATH = re.compile(r"^/pairs/\d+/")


@pytest.fixture
def world(pair, other_pair, alice, bob, program):
    now = timezone.now()
    AgreementRevision.objects.create(
        match=pair,
        number=1,
        cadence_days=14,
        formats=["video"],
        confidentiality=f"Confidential {SHARED}",
        mentee_expectations=f"Mentee {SHARED}",
        mentor_expectations=f"Mentor {SHARED}",
        created_by=alice,
        mentee_confirmed_at=now,
    )
    goal = Goal.objects.create(
        match=pair,
        owner=pair.mentee,
        title=f"Goal {SHARED}",
        description=f"Description {SHARED}",
        relevance=f"Relevance {SHARED}",
        measure_kind="milestones",
        due_on=timezone.localdate() + timedelta(days=20),
        status="agreed",
        created_by=alice,
    )
    milestone = Milestone.objects.create(
        goal=goal, title=f"Milestone {SHARED}", due_on=timezone.localdate() - timedelta(days=1)
    )
    GoalEvent.objects.create(goal=goal, actor=bob, kind="changes", comment=f"Please {SHARED}")
    past = Meeting.objects.create(
        match=pair,
        organizer=alice,
        starts_at=now - timedelta(days=2),
        agenda=f"Agenda {SHARED}",
        location=f"Room {SHARED}",
        mode="in_person",
    )
    Meeting.objects.create(
        match=pair, organizer=bob, starts_at=now + timedelta(days=5), agenda=f"Next {SHARED}"
    )
    check_in = CheckIn.objects.create(
        meeting=past,
        match=pair,
        author=alice,
        discussed=f"Discussed {SHARED}",
        next_steps=f"Next steps {SHARED}",
        usefulness=4,
        review_comment=f"Review {SHARED}",
        reviewed_at=now,
        reviewed_by=bob,
    )
    ProgressUpdate.objects.create(goal=goal, author=alice, note=f"Progress {SHARED}", percent=0)
    PrivateNote.objects.create(meeting=past, author=alice, text=ALICE_PRIVATE)
    PrivateNote.objects.create(meeting=past, author=bob, text=BOB_PRIVATE)
    template = GoalTemplate.objects.create(program=program, title="Lead a project")
    return {
        "pk": pair.pk,
        "goal_pk": goal.pk,
        "meeting_pk": past.pk,
        "milestone_pk": milestone.pk,
        "template_pk": template.pk,
        "program_slug": program.slug,
        "cohort_slug": pair.cohort.slug,
        "check_in": check_in,
        "feeds": {user.pk: CalendarFeed.objects.create(person=user) for user in (alice, bob)},
    }


def goals_urls(world, viewer=None) -> list[tuple[str, str]]:
    """(name, path) of every URL pattern of the goals app, filled for the world's objects."""
    resolver = get_resolver()
    namespace = resolver.namespace_dict["goals"][1]
    urls = []
    for pattern in namespace.url_patterns:
        assert isinstance(pattern, URLPattern), pattern
        route = str(pattern.pattern)
        kwargs = {}
        for name in pattern.pattern.regex.groupindex:
            if name == "slug":
                kwargs[name] = world["cohort_slug" if "cohorts" in route else "program_slug"]
            elif name == "token":
                feed = world["feeds"].get(getattr(viewer, "pk", None))
                kwargs[name] = feed.token if feed else "not-a-token"
            else:
                assert name in world, f"test_privacy cannot fill <{name}> of {route}: add it"
                kwargs[name] = world[name]
        urls.append((pattern.name, reverse(f"goals:{pattern.name}", kwargs=kwargs)))
    return urls


def body_of(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize(
    "who", ["program_admin", "hr_user", "other_program_admin", "charlie", "anonymous"]
)
def test_no_outsider_sees_any_text_and_pair_pages_are_404(client, world, who, request):
    viewer = None if who == "anonymous" else request.getfixturevalue(who)
    if viewer:
        client.force_login(viewer)
    for name, path in goals_urls(world, viewer):
        response = client.get(path)
        body = body_of(response)
        for text in ALL_TEXT:
            assert text not in body, f"{who} sees {text} on {name} ({path})"
        if PAIR_PATH.match(path):
            # POST-only actions answer GET with 405 before looking anything up.
            expected = {302, 405} if viewer is None else {404, 405}
            assert response.status_code in expected, f"{who} got {response.status_code} on {name}"


@pytest.mark.parametrize(
    "who", ["program_admin", "hr_user", "other_program_admin", "charlie", "anonymous"]
)
def test_no_outsider_post_changes_anything(client, world, who, request):
    viewer = None if who == "anonymous" else request.getfixturevalue(who)
    if viewer:
        client.force_login(viewer)
    before = snapshot()
    for name, path in goals_urls(world, viewer):
        if not PAIR_PATH.match(path):
            continue
        response = client.post(path, {"comment": "x", "text": "x", "to_status": "dropped"})
        expected = {302, 405} if viewer is None else {404, 405}
        assert response.status_code in expected, f"{who} got {response.status_code} on {name}"
    assert snapshot() == before


def snapshot() -> dict:
    """Every row of the workspace, as values: any change by a POST shows as a difference."""
    models = (
        AgreementRevision,
        Goal,
        GoalEvent,
        Milestone,
        Meeting,
        CheckIn,
        ProgressUpdate,
        PrivateNote,
        GoalTemplate,
    )
    return {
        model.__name__: sorted(map(str, model.objects.order_by("pk").values())) for model in models
    }


@pytest.mark.parametrize("who", ["program_admin", "hr_user"])
def test_admin_pages_about_the_cohort_show_no_text(client, world, who, request):
    client.force_login(request.getfixturevalue(who))
    slug = world["cohort_slug"]
    pages = [
        reverse("programs:cohort_dashboard", args=[slug]),
        reverse("matching:board", args=[slug]),
        reverse("goals:cohort_pairs", args=[slug]),
        reverse("goals:cohort_pairs", args=[slug]) + "?summary=1",
        reverse("goals:goal_templates", args=[world["program_slug"]]),
    ]
    for path in pages:
        response = client.get(path, HTTP_HX_REQUEST="true" if "summary" in path else None)
        assert response.status_code == 200, path
        body = body_of(response)
        for text in ALL_TEXT:
            assert text not in body, f"{who} sees {text} on {path}"


@pytest.mark.parametrize(
    ("who", "own", "others"),
    [("alice", ALICE_PRIVATE, BOB_PRIVATE), ("bob", BOB_PRIVATE, ALICE_PRIVATE)],
)
def test_members_see_shared_text_and_only_their_own_private_note(
    client, world, who, own, others, request
):
    viewer = request.getfixturevalue(who)
    client.force_login(viewer)
    seen_own = seen_shared = False
    for name, path in goals_urls(world, viewer):
        response = client.get(path)
        body = body_of(response)
        assert others not in body, f"{who} sees the other's private note on {name}"
        seen_own |= own in body
        seen_shared |= SHARED in body
    assert seen_own and seen_shared


def test_calendar_feed_carries_no_check_in_text_or_private_notes(client, world, alice):
    feed = world["feeds"][alice.pk]
    response = client.get(reverse("goals:calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    body = body_of(response)
    for text in ("Discussed", "Next steps", "Review", ALICE_PRIVATE, BOB_PRIVATE):
        assert text not in body
