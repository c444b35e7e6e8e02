"""A goal's page: SMART parts, progress, milestones ticked in place, progress updates,
agreeing or asking for changes, status changes, history. Pair-only: everyone else gets 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal, GoalEvent, Milestone, ProgressUpdate
from tests.goals.goals_factories import make_goal

pytestmark = pytest.mark.django_db

S = Goal.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(goal, name="goal", *extra):
    return reverse(f"goals:{name}", args=[goal.match_id, goal.pk, *extra])


def toggle_url(milestone):
    return url(milestone.goal, "milestone_toggle", milestone.pk)


@pytest.fixture
def goal(pair):
    return make_goal(
        pair,
        title="Give ten internal tech talks",
        description="Secret plan details",
        relevance="Speaking is expected of a staff engineer.",
    )


@pytest.fixture
def checklist(pair):
    return make_goal(pair, milestones=["Pick a topic", "Write slides", "Rehearse", "Present"])


# --- Detail -------------------------------------------------------------------------------------


def test_owner_sees_smart_parts_progress_and_actions(alice_client, goal, alice):
    goal.current_value = Decimal(5)
    goal.save()
    GoalEvent.objects.create(
        goal=goal,
        actor=alice,
        kind="status",
        from_status="paused",
        to_status="agreed",
        comment="Back on it",
    )
    response = alice_client.get(url(goal))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Specific", "Measurable", "Relevant", "Time-bound", "Speaking is expected"):
        assert text in html
    assert '<progress max="100" value="50"' in html
    assert "50% done (now 5 talks of 10)" in html
    assert "Mark achieved" in html and "Pause" in html and "Drop this goal" in html
    assert "Agree the goal" not in html
    assert "Alice Adams resumed the goal" in html and "Back on it" in html
    assert "Who can see this page:" in html


def test_mentor_sees_agree_and_ask_for_changes(bob_client, pair):
    proposed = make_goal(pair, status=S.PROPOSED)
    html = bob_client.get(url(proposed)).content.decode()
    assert "Alice asks you to agree this goal" in html
    assert "Agree the goal" in html and "Ask for changes" in html
    assert "Mark achieved" not in html


def test_detail_refuses_post(alice_client, goal):
    assert alice_client.post(url(goal)).status_code == 405


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_get_404_on_every_goal_page(
    client, pair, other_pair, goal, checklist, request, who
):
    client.force_login(request.getfixturevalue(who))
    milestone = checklist.milestones.first()
    assert client.get(url(goal)).status_code == 404
    assert client.get(reverse("goals:goal_list", args=[pair.pk])).status_code == 404
    assert client.post(url(goal, "goal_decide"), {"action": "agree"}).status_code == 404
    assert client.post(url(goal, "goal_status"), {"to": "achieved"}).status_code == 404
    assert client.post(url(goal, "goal_progress"), {"value": "9"}).status_code == 404
    assert client.post(toggle_url(milestone), {"done": "1"}).status_code == 404
    goal.refresh_from_db()
    assert (goal.status, goal.current_value) == (S.AGREED, None)
    assert not Milestone.objects.filter(done_at__isnull=False).exists()
    assert not GoalEvent.objects.exists()


def test_anonymous_is_sent_to_login(client, goal):
    for target in (url(goal), reverse("goals:goal_list", args=[goal.match_id])):
        response = client.get(target)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_goal_of_another_pair_is_404(alice_client, pair, other_pair):
    theirs = make_goal(other_pair)
    assert alice_client.get(reverse("goals:goal", args=[pair.pk, theirs.pk])).status_code == 404


def test_ended_pair_is_read_only(alice_client, pair, goal):
    pair.status = "ended"
    pair.save()
    html = alice_client.get(url(goal)).content.decode()
    assert "This pair has ended" in html
    assert "Mark achieved" not in html and "Record progress" not in html
    alice_client.post(url(goal, "goal_status"), {"to": "achieved"})
    alice_client.post(url(goal, "goal_progress"), {"value": "3"})
    goal.refresh_from_db()
    assert goal.status == S.AGREED and goal.current_value is None


# --- Agree / ask for changes ----------------------------------------------------------------------


def test_mentor_agrees(bob_client, pair, bob):
    proposed = make_goal(pair, status=S.PROPOSED)
    response = bob_client.post(url(proposed, "goal_decide"), {"action": "agree"})
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == S.AGREED
    assert proposed.events.get().actor == bob


def test_asking_for_changes_needs_a_comment(bob_client, pair):
    proposed = make_goal(pair, status=S.PROPOSED)
    response = bob_client.post(url(proposed, "goal_decide"), {"action": "changes", "comment": ""})
    assert response.status_code == 200
    assert "Say what should change" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == S.PROPOSED
    bob_client.post(url(proposed, "goal_decide"), {"action": "changes", "comment": "Aim for 5"})
    proposed.refresh_from_db()
    assert proposed.status == S.CHANGES_REQUESTED
    assert proposed.events.get().comment == "Aim for 5"


def test_mentee_cannot_agree_their_own_goal(alice_client, pair):
    proposed = make_goal(pair, status=S.PROPOSED)
    response = alice_client.post(url(proposed, "goal_decide"), {"action": "agree"}, follow=True)
    assert "agrees the goal, not its owner" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == S.PROPOSED
    assert not proposed.events.exists()


def test_decide_htmx_answers_with_pair_changed(bob_client, pair):
    proposed = make_goal(pair, status=S.PROPOSED)
    response = bob_client.post(url(proposed, "goal_decide"), {"action": "agree"}, **HTMX)
    assert response["HX-Trigger"] == "pair-changed"


def test_decide_refuses_get(bob_client, goal):
    assert bob_client.get(url(goal, "goal_decide")).status_code == 405


# --- Status changes -----------------------------------------------------------------------------


def test_owner_pauses_and_drops_with_a_reason(alice_client, goal):
    alice_client.post(url(goal, "goal_status"), {"to": "paused"})
    goal.refresh_from_db()
    assert goal.status == S.PAUSED
    alice_client.post(url(goal, "goal_status"), {"to": "dropped", "comment": "New team"})
    goal.refresh_from_db()
    assert goal.status == S.DROPPED
    assert list(goal.events.values_list("to_status", "comment")) == [
        ("paused", ""),
        ("dropped", "New team"),
    ]


def test_sending_a_draft_that_is_not_smart_is_refused(alice_client, pair):
    draft = make_goal(pair, status=S.DRAFT, relevance="")
    response = alice_client.post(url(draft, "goal_status"), {"to": "proposed"}, follow=True)
    assert "complete what is missing" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_mentor_cannot_mark_the_mentees_goal_achieved(bob_client, goal):
    bob_client.post(url(goal, "goal_status"), {"to": "achieved"})
    goal.refresh_from_db()
    assert goal.status == S.AGREED


def test_invalid_status_is_refused(alice_client, goal):
    alice_client.post(url(goal, "goal_status"), {"to": "changes"})
    goal.refresh_from_db()
    assert goal.status == S.AGREED


def test_status_refuses_get(alice_client, goal):
    assert alice_client.get(url(goal, "goal_status")).status_code == 405


# --- Progress -----------------------------------------------------------------------------------


def test_owner_records_a_value(alice_client, goal):
    response = alice_client.post(url(goal, "goal_progress"), {"value": "4", "note": "Two more"})
    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert (update.value, update.percent, update.note) == (Decimal(4), 40, "Two more")
    page = alice_client.get(url(goal)).content.decode()
    assert "Two more" in page and "Alice Adams recorded progress (now 4 talks, 40%)" in page


def test_mentor_may_record_progress_too(bob_client, goal):
    bob_client.post(url(goal, "goal_progress"), {"value": "2"})
    assert ProgressUpdate.objects.get().percent == 20


def test_progress_needs_a_value_or_note(alice_client, goal):
    response = alice_client.post(url(goal, "goal_progress"), {"value": "", "note": ""})
    assert response.status_code == 200
    assert "Give the new value" in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_progress_with_milestones(alice_client, checklist):
    first, second, *_ = checklist.milestones.all()
    post = {"milestones": [first.pk, second.pk], "note": "Slides drafted"}
    alice_client.post(url(checklist, "goal_progress"), post)
    update = ProgressUpdate.objects.get()
    assert (update.milestones_done, update.percent) == (2, 50)


def test_progress_htmx_errors_return_the_partial(alice_client, goal):
    response = alice_client.post(url(goal, "goal_progress"), {"value": "x"}, **HTMX)
    html = response.content.decode()
    assert 'id="progress"' in html and "<html" not in html


def test_progress_refuses_get(alice_client, goal):
    assert alice_client.get(url(goal, "goal_progress")).status_code == 405


# --- Milestones ---------------------------------------------------------------------------------


def test_ticking_a_milestone_with_htmx_returns_the_list(alice_client, checklist, alice):
    milestone = checklist.milestones.first()
    response = alice_client.post(toggle_url(milestone), {"done": ["0", "1"]}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="milestones"' in html and "<html" not in html
    assert f'id="milestone-{milestone.pk}" checked' in html
    assert "1 of 4 done (25%)" in html
    assert response["HX-Trigger"] == "pair-changed"
    milestone.refresh_from_db()
    assert milestone.done_by == alice and milestone.done_at is not None


def test_unticking_without_htmx_redirects(alice_client, checklist):
    milestone = checklist.milestones.first()
    milestone.done_at = timezone.now()
    milestone.save()
    response = alice_client.post(toggle_url(milestone), {"done": "0"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_at is None


def test_milestone_of_another_goal_is_404(alice_client, checklist, pair):
    other = make_goal(pair, milestones=["Elsewhere"])
    target = url(checklist, "milestone_toggle", other.milestones.get().pk)
    assert alice_client.post(target, {"done": "1"}).status_code == 404


def test_toggle_refuses_get(alice_client, checklist):
    assert alice_client.get(toggle_url(checklist.milestones.first())).status_code == 405


# --- List ---------------------------------------------------------------------------------------


def test_goal_list_shows_progress(alice_client, pair, checklist):
    checklist.milestones.filter(title="Pick a topic").update(done_at=timezone.now())
    html = alice_client.get(reverse("goals:goal_list", args=[pair.pk])).content.decode()
    assert "25% done (1 of 4 milestones)" in html
    assert "Add a goal" in html


def test_goal_list_partial_template(pair, alice, checklist):
    from django.template.loader import render_to_string

    from goals.access import pair_for
    from goals.selectors.goals import goals_for_pair

    html = render_to_string(
        "goals/goals/_goal_list.html",
        {"goals": goals_for_pair(pair), "pair": pair_for(pair, alice)},
    )
    assert checklist.title in html and "0% done" in html


def test_goal_list_query_count_does_not_grow(alice_client, pair, django_assert_max_num_queries):
    make_goal(pair, milestones=["a", "b"])
    target = reverse("goals:goal_list", args=[pair.pk])
    with django_assert_max_num_queries(12) as one:
        alice_client.get(target)
    for i in range(20):
        make_goal(pair, milestones=["a", "b", "c"], title=f"Goal number {i}")
        make_goal(pair, title=f"Metric goal {i}", current_value=Decimal(i % 10))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = alice_client.get(target)
    assert response.content.decode().count('class="goal-row ') == 41


def test_goal_list_refuses_post(alice_client, pair):
    assert alice_client.post(reverse("goals:goal_list", args=[pair.pk])).status_code == 405


def test_agreed_goal_cannot_be_sent_again(alice_client, goal):
    html = alice_client.get(url(goal)).content.decode()
    assert "Send to Bob" not in html
    response = alice_client.post(url(goal, "goal_status"), {"to": "proposed"}, follow=True)
    assert "nothing to send" in response.content.decode()
    goal.refresh_from_db()
    assert goal.status == S.AGREED
    assert not goal.events.exists()


def test_draft_shows_what_is_missing_and_no_progress_form(alice_client, pair):
    draft = make_goal(pair, status=S.DRAFT, relevance="")
    html = alice_client.get(url(draft)).content.decode()
    assert "Before you send it" in html and "why this goal matters" in html
    assert "Send to Bob" in html
    assert "Record progress" not in html
