"""Creating and editing cohorts: every date and capacity inconsistency is a form error on the
field to correct, nothing is written, and no constraint ever surfaces as a 500."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from programs.forms_admin import CohortForm
from programs.models import Cohort
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


def create_url(program):
    return reverse("programs:cohort_create", kwargs={"slug": program.slug})


def edit_url(cohort):
    return reverse("programs:cohort_edit", kwargs={"slug": cohort.slug})


@pytest.fixture
def outsider_client(client, other_program_admin):
    client.force_login(other_program_admin)
    return client


def cohort_data(**overrides):
    data = {
        "name": "Autumn 2027",
        "slug": "",
        "application_opens": "2027-08-01",
        "application_closes": "2027-08-31",
        "starts_on": "2027-09-15",
        "ends_on": "2028-03-15",
        "cadence_days": "14",
        "default_mentor_capacity": "2",
        "max_mentor_capacity": "4",
        "matching_mode": "both",
        "rule_exclude_same_department": "on",
        "rule_min_level_gap": "2",
        "rule_max_timezone_diff_hours": "5",
        "weight_topics": "8",
        "weight_seniority": "2",
        "weight_cross_department": "0",
        "weight_language": "3",
        "weight_timezone": "2",
        "weight_format": "1",
        "weight_mentee_ranking": "3",
        "reminders_enabled": "on",
        "intake_first_reminder_days": "3",
        "intake_second_reminder_days": "7",
        "last_call_days": "2",
        "request_waiting_days": "2",
        "meeting_reminder_hours": "24",
        "check_in_due_days": "1",
        "review_waiting_days": "3",
        "goal_due_soon_days": "7",
        "progress_stale_days": "30",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_creates_a_cohort_with_rules_and_weights(admin_client, program):
    response = admin_client.post(create_url(program), cohort_data())
    cohort = Cohort.objects.get(program=program)
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:cohort_dashboard", args=[cohort.slug])
    assert cohort.slug == "eng-autumn-2027"
    assert cohort.application_opens == date(2027, 8, 1)
    assert cohort.ends_on == date(2028, 3, 15)
    assert cohort.matching_mode == "both"
    assert cohort.rule_exclude_same_department is True
    assert cohort.rule_exclude_management_chain is False  # unticked checkbox
    assert (cohort.rule_min_level_gap, cohort.rule_max_timezone_diff_hours) == (2, 5)
    assert (cohort.weight_topics, cohort.weight_cross_department) == (8, 0)
    assert (cohort.default_mentor_capacity, cohort.max_mentor_capacity) == (2, 4)


def test_create_form_groups_fields_under_headings(admin_client, program):
    body = admin_client.get(create_url(program)).content.decode()
    for heading in [
        "Applications and dates",
        "Meetings and capacity",
        "Matching rules",
        "Matching weights",
        "Reminders and nudges",
    ]:
        assert f"<h2>{heading}</h2>" in body
    assert 'type="date"' in body
    assert "Who can see this page" in body


def test_generated_slug_avoids_a_taken_one(admin_client, program):
    make_cohort(program=program, slug="eng-autumn-2027")
    admin_client.post(create_url(program), cohort_data())
    assert Cohort.objects.filter(slug="eng-autumn-2027-2", name="Autumn 2027").exists()


def test_taken_slug_given_by_hand_is_an_error_on_the_slug(admin_client, program):
    make_cohort(program=program, slug="taken")
    response = admin_client.post(create_url(program), cohort_data(slug="taken"))
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "Another cohort already has this address. Choose a different one."
    ]
    assert Cohort.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"application_opens": "2027-09-01", "application_closes": "2027-08-31"},
            "application_closes",
            "on or after the day they open",
        ),
        (
            {"application_closes": "2028-04-01"},
            "application_closes",
            "on or before the day the cohort ends",
        ),
        ({"ends_on": "2027-09-15"}, "ends_on", "must end after the day it starts"),
        ({"ends_on": "2027-09-01"}, "ends_on", "must end after the day it starts"),
        (
            {"default_mentor_capacity": "5", "max_mentor_capacity": "4"},
            "default_mentor_capacity",
            "at most the maximum (4)",
        ),
        ({"max_mentor_capacity": "11"}, "max_mentor_capacity", "less than or equal to 10"),
        ({"default_mentor_capacity": "0"}, "default_mentor_capacity", "greater than or equal"),
        ({"cadence_days": "0"}, "cadence_days", "greater than or equal to 1"),
        ({"cadence_days": "91"}, "cadence_days", "less than or equal to 90"),
        ({"weight_topics": "11"}, "weight_topics", "less than or equal to 10"),
        ({"rule_max_timezone_diff_hours": "25"}, "rule_max_timezone_diff_hours", "24"),
        ({"starts_on": "soon"}, "starts_on", "Enter a valid date"),
        ({"matching_mode": "lottery"}, "matching_mode", "Select a valid choice"),
    ],
)
def test_inconsistent_values_are_errors_on_the_right_field(
    admin_client, program, overrides, field, words
):
    response = admin_client.post(create_url(program), cohort_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert not errors.get("__all__")
    assert "Nothing was saved" in response.content.decode()
    assert not Cohort.objects.exists()


def test_a_race_on_the_slug_is_a_form_error_not_a_500(admin_client, program, monkeypatch):
    """Another request takes the slug between validation and the INSERT."""
    make_cohort(program=program, slug="eng-autumn-2027")
    monkeypatch.setattr(CohortForm, "validate_unique", lambda self: None)
    response = admin_client.post(create_url(program), cohort_data(slug="eng-autumn-2027"))
    assert response.status_code == 200
    assert "just taken" in response.context["form"].errors["slug"][0]
    assert Cohort.objects.count() == 1


def test_a_constraint_the_form_missed_is_a_form_error_not_a_500(admin_client, cohort, monkeypatch):
    """Checks switched off in Python: the database's CHECK constraint still refuses, and the
    admin sees a form error."""
    monkeypatch.setattr(CohortForm, "clean", lambda self: self.cleaned_data)
    monkeypatch.setattr(Cohort, "validate_constraints", lambda self, exclude=None: None)
    response = admin_client.post(edit_url(cohort), cohort_data(ends_on="2027-09-01"))
    assert response.status_code == 200
    assert "changed meanwhile" in response.context["form"].non_field_errors()[0]
    cohort.refresh_from_db()
    assert cohort.name == "Spring 2027"


def test_admin_edits_a_cohort(admin_client, cohort):
    response = admin_client.post(
        edit_url(cohort), cohort_data(name="Spring 2027 (extended)", slug="ignored")
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "Spring 2027 (extended)"
    assert cohort.slug == "eng-spring-2027"  # the address does not change
    assert cohort.weight_topics == 8


def test_rejected_edit_changes_nothing_and_keeps_the_heading(admin_client, cohort):
    before = Cohort.objects.filter(pk=cohort.pk).values().get()
    response = admin_client.post(
        edit_url(cohort), cohort_data(name="Renamed", ends_on="2027-09-10")
    )
    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    assert "<h1>Edit Spring 2027</h1>" in response.content.decode()
    assert Cohort.objects.filter(pk=cohort.pk).values().get() == before


def test_maximum_capacity_cannot_go_below_a_mentors_capacity(admin_client, cohort):
    make_enrollment(cohort=cohort, role="mentor", capacity=3)
    response = admin_client.post(
        edit_url(cohort), cohort_data(default_mentor_capacity="1", max_mentor_capacity="2")
    )
    assert response.status_code == 200
    assert "choose at least 3" in response.context["form"].errors["max_mentor_capacity"][0]


# --- Reminders and nudges -------------------------------------------------------------------


def test_the_reminder_fieldset_shows_each_interval_with_its_help(admin_client, cohort):
    body = admin_client.get(edit_url(cohort)).content.decode()
    section = body[body.index("<h2>Reminders and nudges</h2>") :]
    for words in [
        "Send reminders and nudges",
        "First intake reminder (days after the invitation)",
        "Second intake reminder (days after the invitation)",
        "Last call (days before applications close)",
        "Meeting reminder (hours before)",
        "No progress update (days)",
        "at 09:00 their time (1 to 60)",
    ]:
        assert words in section, words
    assert 'name="intake_first_reminder_days" value="3"' in section
    assert 'name="reminders_enabled"' in section and "checked" in section


def test_admin_sets_the_reminder_intervals(admin_client, cohort):
    response = admin_client.post(
        edit_url(cohort),
        cohort_data(
            intake_first_reminder_days="2",
            intake_second_reminder_days="10",
            last_call_days="5",
            meeting_reminder_hours="48",
            progress_stale_days="21",
        ),
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (
        cohort.intake_first_reminder_days,
        cohort.intake_second_reminder_days,
        cohort.last_call_days,
        cohort.meeting_reminder_hours,
        cohort.progress_stale_days,
    ) == (2, 10, 5, 48, 21)
    assert cohort.reminders_enabled is True


def test_admin_switches_reminders_off_and_on(admin_client, cohort):
    assert (
        admin_client.post(edit_url(cohort), cohort_data(reminders_enabled=None)).status_code == 302
    )
    cohort.refresh_from_db()
    assert cohort.reminders_enabled is False
    admin_client.post(edit_url(cohort), cohort_data())
    cohort.refresh_from_db()
    assert cohort.reminders_enabled is True


def test_a_new_cohort_gets_the_reminder_intervals_given(admin_client, program):
    response = admin_client.post(create_url(program), cohort_data(review_waiting_days="5"))
    assert response.status_code == 302
    cohort = Cohort.objects.get(program=program)
    assert (cohort.review_waiting_days, cohort.intake_second_reminder_days) == (5, 7)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"intake_first_reminder_days": "7", "intake_second_reminder_days": "7"},
            "intake_second_reminder_days",
            "must come after the first (day 7): choose at least 8",
        ),
        (
            {"intake_first_reminder_days": "9", "intake_second_reminder_days": "4"},
            "intake_second_reminder_days",
            "must come after the first (day 9)",
        ),
        ({"intake_first_reminder_days": "0"}, "intake_first_reminder_days", "greater than"),
        ({"intake_second_reminder_days": "61"}, "intake_second_reminder_days", "60"),
        ({"last_call_days": "31"}, "last_call_days", "less than or equal to 30"),
        ({"last_call_days": ""}, "last_call_days", "required"),
        ({"request_waiting_days": "0"}, "request_waiting_days", "greater than or equal to 1"),
        ({"meeting_reminder_hours": "169"}, "meeting_reminder_hours", "168"),
        ({"check_in_due_days": "31"}, "check_in_due_days", "30"),
        ({"review_waiting_days": "-1"}, "review_waiting_days", "greater than or equal"),
        ({"goal_due_soon_days": "61"}, "goal_due_soon_days", "60"),
        ({"progress_stale_days": "6"}, "progress_stale_days", "greater than or equal to 7"),
        ({"progress_stale_days": "lots"}, "progress_stale_days", "Enter a whole number"),
    ],
)
def test_invalid_reminder_intervals_are_field_errors_and_nothing_is_written(
    admin_client, cohort, overrides, field, words
):
    before = Cohort.objects.filter(pk=cohort.pk).values().get()
    response = admin_client.post(edit_url(cohort), cohort_data(name="Renamed", **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert words in " ".join(errors[field])
    assert "Nothing was saved" in response.content.decode()
    assert Cohort.objects.filter(pk=cohort.pk).values().get() == before


def test_the_database_refuses_a_second_reminder_not_after_the_first(cohort):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.filter(pk=cohort.pk).update(
            intake_first_reminder_days=5, intake_second_reminder_days=5
        )


def test_hr_can_create_and_edit_cohorts(hr_client, program, cohort):
    assert hr_client.get(create_url(program)).status_code == 200
    assert hr_client.post(edit_url(cohort), cohort_data()).status_code == 302


def test_other_programs_admin_gets_404(outsider_client, program, cohort):
    assert outsider_client.get(create_url(program)).status_code == 404
    assert outsider_client.post(create_url(program), cohort_data()).status_code == 404
    assert outsider_client.get(edit_url(cohort)).status_code == 404
    assert outsider_client.post(edit_url(cohort), cohort_data()).status_code == 404
    assert Cohort.objects.count() == 1


def test_participant_gets_404(participant_client, program, cohort):
    assert participant_client.get(create_url(program)).status_code == 404
    assert participant_client.get(edit_url(cohort)).status_code == 404


def test_anonymous_is_sent_to_login(client, program, cohort):
    for url in (create_url(program), edit_url(cohort)):
        assert client.get(url)["Location"].startswith(reverse("account_login"))


def test_wrong_method_is_refused(admin_client, program, cohort):
    assert admin_client.put(create_url(program)).status_code == 405
    assert admin_client.delete(edit_url(cohort)).status_code == 405
