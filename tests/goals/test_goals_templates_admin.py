"""Goal templates of a program: its admins, HR and staff maintain them; others get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from goals.models import GoalTemplate
from tests.goals.goals_factories import make_goal

pytestmark = pytest.mark.django_db


def list_url(program):
    return reverse("goals:goal_templates", args=[program.slug])


def new_url(program):
    return reverse("goals:goal_template_new", args=[program.slug])


def edit_url(template):
    return reverse("goals:goal_template_edit", args=[template.program.slug, template.pk])


def active_url(template):
    return reverse("goals:goal_template_active", args=[template.program.slug, template.pk])


@pytest.fixture
def template(program):
    return GoalTemplate.objects.create(
        program=program, title="Lead a project", milestone_titles=["Scope", "Ship"]
    )


POST = {
    "title": "Get a certification",
    "description": "A recognised certificate in your field.",
    "measure_kind": "milestones",
    "metric_unit": "",
    "milestone_titles": "Choose the exam\n\nStudy plan\nPass the exam",
    "relevance_hint": "Which role asks for it?",
}


def test_admin_lists_templates_with_usage(admin_client, program, template, pair):
    make_goal(pair, template=template)
    response = admin_client.get(list_url(program))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Lead a project" in html and "2 milestones" in html
    assert "Who can see this page:" in html


def test_admin_adds_a_template(admin_client, program):
    response = admin_client.post(new_url(program), POST)
    assert response.status_code == 302
    template = GoalTemplate.objects.get(program=program)
    assert template.milestone_titles == ["Choose the exam", "Study plan", "Pass the exam"]
    assert template.relevance_hint == "Which role asks for it?"


def test_duplicate_title_is_an_error_on_the_title(admin_client, program, template):
    response = admin_client.post(new_url(program), {**POST, "title": "Lead a project"})
    assert response.status_code == 200
    assert "already has a goal template" in response.context["form"].errors["title"][0]
    assert GoalTemplate.objects.count() == 1


def test_admin_edits_a_template(admin_client, template):
    response = admin_client.get(edit_url(template))
    assert response.context["form"].initial["milestone_titles"] == "Scope\nShip"
    admin_client.post(
        edit_url(template), {**POST, "measure_kind": "metric", "metric_unit": "certificates"}
    )
    template.refresh_from_db()
    assert (template.title, template.measure_kind, template.metric_unit) == (
        "Get a certification",
        "metric",
        "certificates",
    )
    assert template.milestone_titles == []


def test_admin_deactivates_and_offers_again(admin_client, template):
    admin_client.post(active_url(template), {"active": "0"})
    template.refresh_from_db()
    assert not template.is_active
    admin_client.post(active_url(template), {"active": "1"})
    template.refresh_from_db()
    assert template.is_active


def test_hr_can_manage_templates(hr_client, program, template):
    assert hr_client.get(list_url(program)).status_code == 200
    hr_client.post(active_url(template), {"active": "0"})
    template.refresh_from_db()
    assert not template.is_active


@pytest.fixture
def outsider_admin_client(client, other_program_admin):
    client.force_login(other_program_admin)
    return client


@pytest.mark.parametrize("who", ["outsider_admin_client", "participant_client", "alice_client"])
def test_outsiders_get_404_and_change_nothing(request, who, program, template):
    client = request.getfixturevalue(who)
    assert client.get(list_url(program)).status_code == 404
    assert client.get(new_url(program)).status_code == 404
    assert client.post(new_url(program), POST).status_code == 404
    assert client.get(edit_url(template)).status_code == 404
    assert client.post(edit_url(template), POST).status_code == 404
    assert client.post(active_url(template), {"active": "0"}).status_code == 404
    template.refresh_from_db()
    assert template.title == "Lead a project" and template.is_active
    assert GoalTemplate.objects.count() == 1


def test_template_of_another_program_is_404(admin_client, program, other_program):
    elsewhere = GoalTemplate.objects.create(program=other_program, title="Elsewhere")
    target = reverse("goals:goal_template_edit", args=[program.slug, elsewhere.pk])
    assert admin_client.get(target).status_code == 404


def test_anonymous_is_sent_to_login(client, program):
    response = client.get(list_url(program))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_wrong_methods(admin_client, program, template):
    assert admin_client.post(list_url(program)).status_code == 405
    assert admin_client.get(active_url(template)).status_code == 405
    assert admin_client.put(new_url(program)).status_code == 405


def test_list_query_count_does_not_grow(admin_client, program, pair, django_assert_max_num_queries):
    GoalTemplate.objects.create(program=program, title="Template 0")
    with django_assert_max_num_queries(20) as one:
        admin_client.get(list_url(program))
    for i in range(1, 25):
        template = GoalTemplate.objects.create(program=program, title=f"Template {i}")
        make_goal(pair, template=template, title=f"Goal from template {i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = admin_client.get(list_url(program))
    assert response.content.decode().count("<tr") == 26
