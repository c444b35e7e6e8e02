"""Programs as the people who run them see them: create (HR, staff), manage, edit, topics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import Program, Topic
from tests.conftest import activate_totp
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("programs:program_create")


def manage_url(program):
    return reverse("programs:program_manage", kwargs={"slug": program.slug})


def edit_url(program):
    return reverse("programs:program_edit", kwargs={"slug": program.slug})


def topics_url(program):
    return reverse("programs:program_topics", kwargs={"slug": program.slug})


@pytest.fixture
def outsider_client(client, other_program_admin):
    client.force_login(other_program_admin)
    return client


@pytest.fixture
def staff_client(client, user_factory):
    staff = user_factory(is_staff=True)
    activate_totp(staff)
    client.force_login(staff)
    return client


def _create_data(**overrides):
    data = {
        "name": "Engineering Leadership",
        "slug": "",
        "description": "For engineers who want to lead.",
        "kind": "one_to_one",
        "admins": "",
        "topics": "Leadership\nSystem design\n\n  Public   speaking \nleadership",
    }
    data.update(overrides)
    return data


# --- program_create -----------------------------------------------------------------------


def test_hr_creates_a_program_with_admins_and_topics(hr_client, user_factory):
    ada = user_factory(email="ada@example.com")
    bo = user_factory(email="bo@example.com")
    response = hr_client.post(CREATE_URL, _create_data(admins="ADA@example.com,\nbo@example.com"))
    program = Program.objects.get()
    assert response.status_code == 302
    assert response["Location"] == manage_url(program)
    assert program.slug == "engineering-leadership"
    assert set(program.admins.all()) == {ada, bo}
    assert sorted(program.topics.values_list("name", flat=True)) == [
        "Leadership",
        "Public speaking",
        "System design",
    ]


def test_create_form_page_says_who_can_see_it(hr_client):
    response = hr_client.get(CREATE_URL)
    assert response.status_code == 200
    assert "Who can see this page" in response.content.decode()


def test_staff_can_create_a_program(staff_client):
    assert staff_client.post(CREATE_URL, _create_data(slug="lead")).status_code == 302
    assert Program.objects.filter(slug="lead").exists()


def test_taken_slug_is_a_clear_error_on_the_slug(hr_client):
    make_program(name="Old", slug="engineering-leadership")
    response = hr_client.post(CREATE_URL, _create_data())
    assert response.status_code == 200
    assert "already has the address" in response.context["form"].errors["slug"][0]
    assert Program.objects.count() == 1


def test_name_without_letters_needs_a_slug(hr_client):
    response = hr_client.post(CREATE_URL, _create_data(name="!!!"))
    assert "slug" in response.context["form"].errors
    assert not Program.objects.exists()


def test_leaver_cannot_be_appointed_admin(hr_client, user_factory):
    today = timezone.localdate()
    user_factory(
        email="gone@example.com",
        hire_date=today - timedelta(days=900),
        end_date=today - timedelta(days=1),
    )
    response = hr_client.post(CREATE_URL, _create_data(admins="gone@example.com"))
    assert response.status_code == 200
    assert "left the company" in response.context["form"].errors["admins"][0]
    assert not Program.objects.exists()


def test_unknown_email_cannot_be_admin(hr_client):
    response = hr_client.post(CREATE_URL, _create_data(admins="nobody@example.com"))
    assert "nobody@example.com" in response.context["form"].errors["admins"][0]
    assert not Program.objects.exists()


def test_program_admin_cannot_create_programs(admin_client, program):
    assert admin_client.get(CREATE_URL).status_code == 404
    assert admin_client.post(CREATE_URL, _create_data()).status_code == 404
    assert Program.objects.count() == 1


def test_participant_gets_404_on_create(participant_client):
    assert participant_client.get(CREATE_URL).status_code == 404


def test_anonymous_is_sent_to_login_from_create(client):
    response = client.get(CREATE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_create_refuses_other_methods(hr_client):
    assert hr_client.put(CREATE_URL).status_code == 405


# --- program_manage -----------------------------------------------------------------------


def test_admin_sees_cohorts_with_phase_and_counts(admin_client, program):
    open_cohort = make_cohort(program=program, phase="open", name="Spring")
    make_cohort(program=program, phase="completed", name="Last year")
    make_enrollment(cohort=open_cohort, role="mentor")
    make_enrollment(cohort=open_cohort, role="mentee", status="invited")
    make_enrollment(cohort=open_cohort, role="mentee", status="applied")
    response = admin_client.get(manage_url(program))
    body = response.content.decode()
    assert response.status_code == 200
    cohorts = {c.name: c for c in response.context["cohorts"]}
    assert (cohorts["Spring"].offering, cohorts["Spring"].mentees) == (1, 1)
    assert cohorts["Spring"].applied == 1
    assert "Open" in body and "Completed" in body
    assert reverse("programs:cohort_dashboard", kwargs={"slug": open_cohort.slug}) in body
    assert "Who can see this page" in body


def test_manage_query_count_does_not_grow_with_cohorts(admin_client, program):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(manage_url(program)).status_code == 200
        return len(ctx.captured_queries)

    make_enrollment(cohort=make_cohort(program=program))
    small = count()
    for phase in ["open", "running", "completed", "upcoming", "closed"] * 3:
        cohort = make_cohort(program=program, phase=phase)
        make_enrollment(cohort=cohort, role="mentor")
    assert count() == small


def test_hr_can_manage_any_program(hr_client, program):
    assert hr_client.get(manage_url(program)).status_code == 200


def test_other_programs_admin_gets_404_on_manage(outsider_client, program):
    assert outsider_client.get(manage_url(program)).status_code == 404


def test_participant_gets_404_on_manage(participant_client, program):
    assert participant_client.get(manage_url(program)).status_code == 404


def test_anonymous_is_sent_to_login_from_manage(client, program):
    response = client.get(manage_url(program))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_manage_refuses_post(admin_client, program):
    assert admin_client.post(manage_url(program)).status_code == 405


# --- program_edit -------------------------------------------------------------------------


def test_admin_edits_description_and_kind(admin_client, program):
    response = admin_client.post(
        edit_url(program),
        {"name": "Engineering Mentorship", "description": "New words", "kind": "group"},
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.description, program.kind) == ("New words", "group")


def test_kind_is_locked_once_people_are_enrolled(admin_client, program, cohort):
    make_enrollment(cohort=cohort)
    page = admin_client.get(edit_url(program))
    assert page.context["form"].fields["kind"].disabled
    response = admin_client.post(
        edit_url(program), {"name": program.name, "description": "x", "kind": "peer"}
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.kind == "one_to_one"
    assert program.description == "x"


def test_program_admin_cannot_change_admins(admin_client, program, program_admin, user_factory):
    intruder = user_factory(email="friend@example.com")
    page = admin_client.get(edit_url(program))
    assert "admins" not in page.context["form"].fields
    admin_client.post(
        edit_url(program),
        {"name": program.name, "description": "", "kind": "one_to_one", "admins": intruder.email},
    )
    assert list(program.admins.all()) == [program_admin]


def test_hr_appoints_and_removes_admins(hr_client, program, user_factory):
    newcomer = user_factory(email="new.admin@example.com")
    response = hr_client.post(
        edit_url(program),
        {"name": program.name, "description": "", "kind": "one_to_one", "admins": newcomer.email},
    )
    assert response.status_code == 302
    assert list(program.admins.all()) == [newcomer]


def test_hr_cannot_appoint_a_leaver(hr_client, program, program_admin, user_factory):
    today = timezone.localdate()
    leaver = user_factory(hire_date=today - timedelta(days=500), end_date=today)
    response = hr_client.post(
        edit_url(program),
        {"name": program.name, "description": "", "kind": "one_to_one", "admins": leaver.email},
    )
    assert response.status_code == 200
    assert "admins" in response.context["form"].errors
    assert list(program.admins.all()) == [program_admin]


def test_other_programs_admin_gets_404_on_edit(outsider_client, program):
    assert outsider_client.get(edit_url(program)).status_code == 404
    assert outsider_client.post(edit_url(program), {"name": "x", "kind": "peer"}).status_code == 404


def test_participant_gets_404_on_edit(participant_client, program):
    assert participant_client.get(edit_url(program)).status_code == 404


def test_anonymous_is_sent_to_login_from_edit(client, program):
    assert client.get(edit_url(program))["Location"].startswith(reverse("account_login"))


def test_edit_refuses_other_methods(admin_client, program):
    assert admin_client.put(edit_url(program)).status_code == 405


# --- program_topics -----------------------------------------------------------------------


def test_topics_page_lists_topics_with_usage(admin_client, program, cohort):
    leadership = program.topics.get(name="Leadership")
    make_enrollment(cohort=cohort, role="mentee").topics_sought.add(leadership)
    response = admin_client.get(topics_url(program))
    assert response.status_code == 200
    topics = {t.name: t for t in response.context["topics"]}
    assert (topics["Leadership"].offered, topics["Leadership"].sought) == (0, 1)


def test_admin_adds_a_topic(admin_client, program):
    response = admin_client.post(topics_url(program), {"action": "add", "name": " Data  science "})
    assert response.status_code == 302
    assert program.topics.filter(name="Data science").exists()


def test_adding_a_topic_twice_is_an_error(admin_client, program):
    response = admin_client.post(topics_url(program), {"action": "add", "name": "LEADERSHIP"})
    assert response.status_code == 200
    assert "already has the topic" in response.context["add_form"].errors["name"][0]
    assert program.topics.filter(name__iexact="leadership").count() == 1


def test_admin_renames_a_topic(admin_client, program):
    topic = program.topics.get(name="Negotiation")
    response = admin_client.post(
        topics_url(program), {"action": "rename", "topic": topic.pk, "name": "Negotiating"}
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.name == "Negotiating"


def test_renaming_onto_another_topic_is_an_error(admin_client, program):
    topic = program.topics.get(name="Negotiation")
    response = admin_client.post(
        topics_url(program), {"action": "rename", "topic": topic.pk, "name": "leadership"}
    )
    assert response.status_code == 200
    assert "already has the topic" in response.content.decode()
    topic.refresh_from_db()
    assert topic.name == "Negotiation"


def test_unused_topic_is_removed_at_once(admin_client, program):
    topic = program.topics.get(name="Negotiation")
    response = admin_client.post(topics_url(program), {"action": "remove", "topic": topic.pk})
    assert response.status_code == 302
    assert not Topic.objects.filter(pk=topic.pk).exists()


def test_removing_a_topic_in_intakes_asks_first_and_says_how_many(admin_client, program, cohort):
    topic = program.topics.get(name="Leadership")
    make_enrollment(cohort=cohort, role="mentor").topics_offered.add(topic)
    make_enrollment(cohort=cohort, role="mentee").topics_sought.add(topic)
    response = admin_client.post(topics_url(program), {"action": "remove", "topic": topic.pk})
    assert response.status_code == 200
    assert response.context["confirm"]["count"] == 2
    assert "is in 2 people&#x27;s intakes" in response.content.decode()
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_confirmed_removal_takes_the_topic_out_of_intakes(admin_client, program, cohort):
    topic = program.topics.get(name="Leadership")
    mentee = make_enrollment(
        cohort=cohort,
        role="mentee",
        goals="Lead a team",
        languages=["English"],
        preferred_format="remote",
        intake_completed_at=timezone.now(),
    )
    mentee.topics_sought.add(topic)
    response = admin_client.post(
        topics_url(program), {"action": "remove", "topic": topic.pk, "confirm": "yes"}
    )
    assert response.status_code == 302
    assert not Topic.objects.filter(pk=topic.pk).exists()
    mentee.refresh_from_db()
    assert mentee.intake_completed_at is None  # their only topic is gone


def test_topic_of_another_program_is_404(admin_client, program):
    foreign = make_program(name="Other", slug="other").topics.first()
    response = admin_client.post(topics_url(program), {"action": "remove", "topic": foreign.pk})
    assert response.status_code == 404
    assert Topic.objects.filter(pk=foreign.pk).exists()


def test_hr_can_edit_topics(hr_client, program):
    assert (
        hr_client.post(topics_url(program), {"action": "add", "name": "Ethics"}).status_code == 302
    )


def test_other_programs_admin_gets_404_on_topics(outsider_client, program):
    assert outsider_client.get(topics_url(program)).status_code == 404


def test_participant_gets_404_on_topics(participant_client, program):
    assert participant_client.get(topics_url(program)).status_code == 404


def test_anonymous_is_sent_to_login_from_topics(client, program):
    assert client.get(topics_url(program))["Location"].startswith(reverse("account_login"))


def test_topics_refuse_other_methods(admin_client, program):
    assert admin_client.delete(topics_url(program)).status_code == 405
