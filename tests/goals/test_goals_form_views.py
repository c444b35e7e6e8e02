"""Drafting and editing goals: live SMART feedback, save as draft, send, re-agreement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal, GoalEvent, GoalTemplate
from programs.models import Program
from tests.goals.fixtures import make_pair
from tests.goals.goals_factories import make_goal
from tests.programs.fixtures import make_cohort, make_program

pytestmark = pytest.mark.django_db

S = Goal.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def new_url(pair):
    return reverse("goals:goal_new", args=[pair.pk])


def check_url(pair):
    return reverse("goals:goal_check", args=[pair.pk])


def edit_url(goal):
    return reverse("goals:goal_edit", args=[goal.match_id, goal.pk])


def detail_url(goal):
    return reverse("goals:goal", args=[goal.match_id, goal.pk])


def good_post(**extra):
    data = {
        "title": "Give three talks at the engineering all-hands",
        "description": "",
        "measure_kind": "metric",
        "metric_unit": "talks",
        "baseline": "0",
        "target": "3",
        "milestones": "",
        "relevance": "Staff engineers are expected to share their work widely.",
        "due_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "no_due_reason": "",
        "action": "send",
    }
    data.update(extra)
    return data


# --- New goal -----------------------------------------------------------------------------------


def test_mentee_sees_the_form_with_smart_checker(alice_client, pair):
    response = alice_client.get(new_url(pair))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-post="{check_url(pair)}"' in html
    assert 'hx-trigger="input changed delay:500ms, change"' in html
    assert 'id="smart-feedback" aria-live="polite"' in html
    assert "Send to Bob" in html
    assert "Who can see this page:" in html and "Bob Baker" in html


def test_mentee_sends_a_smart_goal(alice_client, pair):
    response = alice_client.post(new_url(pair), good_post())
    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(goal)
    assert goal.status == S.PROPOSED
    assert goal.owner == pair.mentee
    assert list(goal.events.values_list("kind", flat=True)) == ["created", "proposed"]


def test_sending_is_refused_with_errors_on_the_fields(alice_client, pair):
    response = alice_client.post(new_url(pair), good_post(relevance="", title="Improve"))
    assert response.status_code == 200
    assert not Goal.objects.exists()
    form = response.context["form"]
    assert "relevance" in form.errors
    assert "why this goal matters for your career" in form.errors["relevance"][0]
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "missing part" in html


def test_draft_is_saved_with_findings(alice_client, pair):
    response = alice_client.post(new_url(pair), good_post(relevance="", action="draft"))
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.status == S.DRAFT


def test_draft_still_needs_a_target_and_a_due_date(alice_client, pair):
    response = alice_client.post(new_url(pair), good_post(target="", due_on="", action="draft"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"target", "due_on"}
    assert not Goal.objects.exists()


def test_milestone_lines_with_dates(alice_client, pair):
    due = timezone.localdate() + timedelta(days=20)
    post = good_post(
        measure_kind="milestones",
        baseline="",
        target="",
        milestones=f"Pick a topic\n\n{due.isoformat()} Write the slides\n- Give the talk",
    )
    response = alice_client.post(new_url(pair), post)
    assert response.status_code == 302
    goal = Goal.objects.get()
    rows = list(goal.milestones.values_list("title", "due_on"))
    assert rows == [("Pick a topic", None), ("Write the slides", due), ("Give the talk", None)]


def test_bad_milestone_date_is_an_error_by_line(alice_client, pair):
    post = good_post(measure_kind="milestones", milestones="One\n2027-02-30 Two")
    response = alice_client.post(new_url(pair), post)
    assert response.status_code == 200
    assert "Line 2" in response.context["form"].errors["milestones"][0]


def test_htmx_get_returns_the_form_partial(alice_client, pair):
    response = alice_client.get(new_url(pair), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="goal-form"' in html
    assert "<html" not in html
    assert f'hx-post="{new_url(pair)}"' in html


def test_htmx_post_answers_with_a_confirmation_and_pair_changed(alice_client, pair):
    response = alice_client.post(new_url(pair), good_post(), **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "pair-changed"
    assert "sent to Bob" in response.content.decode()


def test_htmx_post_with_errors_returns_the_form_partial(alice_client, pair):
    response = alice_client.post(new_url(pair), good_post(relevance=""), **HTMX)
    html = response.content.decode()
    assert 'id="goal-form"' in html and "<html" not in html
    assert "Nothing was saved" in html


def test_new_refuses_other_methods(alice_client, pair):
    assert alice_client.put(new_url(pair)).status_code == 405


def test_mentor_cannot_draft_goals(bob_client, pair):
    assert bob_client.get(new_url(pair)).status_code == 404
    assert bob_client.post(new_url(pair), good_post()).status_code == 404
    assert not Goal.objects.exists()


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_get_404(client, pair, other_pair, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(new_url(pair)).status_code == 404
    assert client.post(new_url(pair), good_post()).status_code == 404
    assert client.post(check_url(pair), good_post()).status_code == 404
    assert not Goal.objects.exists()


def test_anonymous_is_sent_to_login(client, pair):
    response = client.get(new_url(pair))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_ended_pair_takes_no_new_goals(alice_client, pair):
    pair.status = "ended"
    pair.save()
    response = alice_client.post(new_url(pair), good_post())
    assert response.status_code == 200
    assert "has ended" in response.content.decode()
    assert not Goal.objects.exists()


def test_peer_owns_their_goal(client, alice, bob):
    cohort = make_cohort(program=make_program(kind=Program.Kind.PEER), phase="running")
    match = make_pair(cohort=cohort, mentee=alice, mentor=bob)
    client.force_login(bob)
    response = client.post(new_url(match), good_post())
    assert response.status_code == 302
    assert Goal.objects.get().owner == match.mentor


# --- Live check ---------------------------------------------------------------------------------


def test_check_returns_the_feedback_partial(alice_client, pair):
    response = alice_client.post(
        check_url(pair), good_post(title="Improve my speaking", baseline="", target=""), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert "on its own does not say what will be different" in html
    assert "No measurable target" in html
    assert "missing part" in html
    assert not Goal.objects.exists()


def test_check_says_due_after_the_cohort(alice_client, pair):
    late = pair.cohort.ends_on + timedelta(days=30)
    response = alice_client.post(check_url(pair), good_post(due_on=late.isoformat()), **HTMX)
    ends = pair.cohort.ends_on
    assert f"after the cohort ends on {ends.day} {ends:%b %Y}" in response.content.decode()


def test_check_of_a_smart_goal_says_ready(alice_client, pair):
    response = alice_client.post(check_url(pair), good_post(), **HTMX)
    assert "Ready to send to Bob" in response.content.decode()


def test_check_reports_format_errors(alice_client, pair):
    response = alice_client.post(check_url(pair), good_post(baseline="lots"), **HTMX)
    assert "Where you start (baseline)" in response.content.decode()


def test_check_refuses_get(alice_client, pair):
    assert alice_client.get(check_url(pair)).status_code == 405


# --- Templates ----------------------------------------------------------------------------------


def test_mentee_starts_from_a_template(alice_client, pair, program):
    template = GoalTemplate.objects.create(
        program=program,
        title="Lead a project",
        milestone_titles=["Scope it", "Ship it"],
        relevance_hint="Which role does leading prepare you for?",
    )
    GoalTemplate.objects.create(program=program, title="Retired", is_active=False)
    page = alice_client.get(new_url(pair)).content.decode()
    assert "Lead a project" in page and "Retired" not in page
    response = alice_client.get(new_url(pair), {"template": template.pk})
    form = response.context["form"]
    assert form.initial["title"] == "Lead a project"
    assert form.initial["measure_kind"] == "milestones"
    assert form.initial["milestones"] == "Scope it\nShip it"
    html = response.content.decode()
    assert "Which role does leading prepare you for?" in html
    assert "why this goal matters for your career" in html  # assessed at once
    post = good_post(
        template=template.pk, measure_kind="milestones", milestones="Scope it\nShip it"
    )
    alice_client.post(new_url(pair), post)
    assert Goal.objects.get().template == template


def test_template_of_another_program_is_404(alice_client, pair, other_program):
    template = GoalTemplate.objects.create(program=other_program, title="Elsewhere")
    assert alice_client.get(new_url(pair), {"template": template.pk}).status_code == 404


# --- Edit ---------------------------------------------------------------------------------------


def test_owner_edits_a_draft_and_sends_it(alice_client, pair):
    goal = make_goal(pair, status=S.DRAFT)
    response = alice_client.get(edit_url(goal))
    assert response.status_code == 200
    assert response.context["form"].initial["title"] == goal.title
    response = alice_client.post(edit_url(goal), good_post(title="Give three internal talks"))
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Give three internal talks"
    assert goal.status == S.PROPOSED


def test_editing_an_agreed_target_sends_it_back(alice_client, pair):
    goal = make_goal(pair)
    page = alice_client.get(edit_url(goal)).content.decode()
    assert "sends it back to Bob to agree again" in page
    response = alice_client.post(
        edit_url(goal), good_post(target="5", due_on=goal.due_on.isoformat(), action="save")
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == S.PROPOSED
    event = goal.events.get(kind=GoalEvent.Kind.TARGET)
    assert event.actor.email == "alice@example.com"
    assert (event.data["old"]["target"], event.data["new"]["target"]) == (10.0, 5.0)


def test_edit_shows_the_mentors_comment(alice_client, pair, bob):
    goal = make_goal(pair, status=S.CHANGES_REQUESTED)
    GoalEvent.objects.create(goal=goal, actor=bob, kind="changes", comment="Aim for 5 talks")
    assert "Aim for 5 talks" in alice_client.get(edit_url(goal)).content.decode()


def test_mentor_cannot_edit(bob_client, pair):
    goal = make_goal(pair)
    assert bob_client.get(edit_url(goal)).status_code == 404
    assert bob_client.post(edit_url(goal), good_post(target="1")).status_code == 404
    goal.refresh_from_db()
    assert goal.target == Decimal(10)


def test_achieved_goal_is_not_editable(alice_client, pair):
    goal = make_goal(pair, status=S.ACHIEVED)
    response = alice_client.get(edit_url(goal))
    assert response.status_code == 302
    assert response["Location"] == detail_url(goal)


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_get_404_on_edit(client, pair, other_pair, request, who):
    goal = make_goal(pair)
    client.force_login(request.getfixturevalue(who))
    assert client.get(edit_url(goal)).status_code == 404
    assert client.post(edit_url(goal), good_post(target="1")).status_code == 404
    goal.refresh_from_db()
    assert goal.target == Decimal(10)


def test_goal_of_another_pair_is_404(alice_client, pair, other_pair):
    goal = make_goal(other_pair)
    url = reverse("goals:goal_edit", args=[pair.pk, goal.pk])
    assert alice_client.get(url).status_code == 404


def test_edit_refuses_other_methods(alice_client, pair):
    goal = make_goal(pair)
    assert alice_client.delete(edit_url(goal)).status_code == 405
