"""Applying to a cohort from the program page, while its application window is open."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from programs.models import Enrollment
from programs.services.participation import (
    AlreadyEnrolled,
    ParticipationRefused,
    enrollment_apply,
)
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def _url(cohort) -> str:
    return reverse("programs:cohort_apply", kwargs={"slug": cohort.slug})


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_mentee_applies_and_lands_on_the_intake(participant_client, participant, cohort):
    response = participant_client.post(_url(cohort), {"role": "mentee", "capacity": "3"})
    enrollment = Enrollment.objects.get(cohort=cohort, person=participant)
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:intake", kwargs={"pk": enrollment.pk})
    assert enrollment.role == "mentee"
    assert enrollment.status == Enrollment.Status.APPLIED
    assert enrollment.source == Enrollment.Source.APPLICATION
    assert enrollment.capacity is None  # mentees take on nobody
    assert "You applied to Spring 2027 as mentee" in _messages(response)[0]


def test_mentor_applies_with_their_capacity(participant_client, participant, cohort):
    participant_client.post(_url(cohort), {"role": "mentor", "capacity": "3"})
    enrollment = Enrollment.objects.get(cohort=cohort, person=participant)
    assert (enrollment.role, enrollment.capacity) == ("mentor", 3)


def test_peer_applies_to_a_peer_program(participant_client, participant):
    cohort = make_cohort(program=make_program(kind="peer"), phase="open")
    response = participant_client.post(_url(cohort), {"role": "peer", "capacity": "1"})
    assert response.status_code == 302
    assert Enrollment.objects.get(person=participant).role == "peer"


@pytest.mark.parametrize("capacity", ["0", "4", "-1"])
def test_capacity_out_of_bounds_is_an_error_on_the_capacity_field(
    participant_client, cohort, capacity
):
    response = participant_client.post(_url(cohort), {"role": "mentor", "capacity": capacity})
    assert response.status_code == 400
    form = response.context["page"].cohorts[0].form
    assert list(form.errors) == ["capacity"]
    assert "between 1 and 3" in form.errors["capacity"][0]
    assert "between 1 and 3" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_mentor_without_capacity_is_asked_for_it(participant_client, cohort):
    response = participant_client.post(_url(cohort), {"role": "mentor", "capacity": ""})
    assert response.status_code == 400
    assert list(response.context["page"].cohorts[0].form.errors) == ["capacity"]


@pytest.mark.parametrize("role", ["peer", "boss", ""])
def test_a_role_the_program_does_not_have_is_an_error_on_the_role_field(
    participant_client, cohort, role
):
    response = participant_client.post(_url(cohort), {"role": role, "capacity": "2"})
    assert response.status_code == 400
    assert list(response.context["page"].cohorts[0].form.errors) == ["role"]
    assert not Enrollment.objects.exists()


def test_mentor_role_is_refused_in_a_peer_program(participant_client):
    cohort = make_cohort(program=make_program(kind="peer"), phase="open")
    response = participant_client.post(_url(cohort), {"role": "mentor", "capacity": "2"})
    assert response.status_code == 400
    assert not Enrollment.objects.exists()


def test_applying_twice_says_so_and_keeps_one_enrollment(participant_client, participant, cohort):
    participant_client.post(_url(cohort), {"role": "mentee"})
    response = participant_client.post(_url(cohort), {"role": "mentor", "capacity": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:program_detail", kwargs={"slug": "eng"})
    assert _messages(response)[-1] == "You are already in Spring 2027 as mentee (applied)."
    assert Enrollment.objects.get(person=participant).role == "mentee"


def test_service_refuses_a_second_enrollment(participant, cohort):
    make_enrollment(cohort=cohort, person=participant, status="invited")
    with pytest.raises(AlreadyEnrolled) as exc:
        enrollment_apply(cohort=cohort, person=participant, role="mentee", capacity=None)
    assert exc.value.enrollment.status == "invited"


@pytest.mark.parametrize(
    ("phase", "words"), [("closed", "closed on"), ("upcoming", "open on"), ("running", "closed on")]
)
def test_applying_outside_the_window_is_refused_with_a_message(
    participant_client, participant, program, phase, words
):
    make_cohort(program=program, phase="open")  # the program page stays visible
    other = make_cohort(program=program, phase=phase, name="Other")
    response = participant_client.post(_url(other), {"role": "mentee"}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Applications for Other {words}" in body
    assert not Enrollment.objects.filter(person=participant).exists()


def test_applying_to_a_program_with_nothing_open_is_404(participant_client, participant):
    cohort = make_cohort(program=make_program(), phase="closed")
    assert participant_client.post(_url(cohort), {"role": "mentee"}).status_code == 404
    assert not Enrollment.objects.exists()


def test_leaver_cannot_apply(client, cohort):
    leaver = make_user(end_date=timezone.localdate() - timedelta(days=1))
    client.force_login(leaver)  # a session from before they left
    response = client.post(_url(cohort), {"role": "mentee"})
    assert response.status_code == 302
    assert "have left the company" in _messages(response)[0]
    assert not Enrollment.objects.exists()


def test_service_refuses_a_leaver(cohort):
    leaver = make_user(end_date=timezone.localdate())
    with pytest.raises(ParticipationRefused, match="left the company"):
        enrollment_apply(cohort=cohort, person=leaver, role="mentee", capacity=None)


def test_service_refuses_capacity_above_the_cohort_maximum(participant, cohort):
    with pytest.raises(ParticipationRefused, match="between 1 and 3"):
        enrollment_apply(cohort=cohort, person=participant, role="mentor", capacity=4)


def test_get_is_405(participant_client, cohort):
    assert participant_client.get(_url(cohort)).status_code == 405


def test_anonymous_is_sent_to_sign_in(client, cohort):
    response = client.post(_url(cohort), {"role": "mentee"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Enrollment.objects.exists()


def test_program_admin_can_apply_to_their_own_programs_cohort(admin_client, program_admin, cohort):
    response = admin_client.post(_url(cohort), {"role": "mentor", "capacity": "1"})
    assert response.status_code == 302
    assert Enrollment.objects.get(person=program_admin).capacity == 1


def test_no_role_chosen_asks_for_one_next_to_the_role_field(participant_client, cohort):
    response = participant_client.post(_url(cohort), {"capacity": "2"})
    assert response.status_code == 400
    body = response.content.decode()
    # The error list has the id the role fieldset's aria-describedby names (Django's "<id>_error").
    assert f'id="id_apply_{cohort.pk}_role_error"' in body
    assert re.search(rf'<fieldset[^>]*aria-describedby="[^"]*id_apply_{cohort.pk}_role_error', body)
    assert "Choose how you want to take part." in body


@pytest.mark.parametrize("capacity", ["9", "lots", ""])
def test_a_mentees_leftover_capacity_is_ignored(participant_client, participant, cohort, capacity):
    response = participant_client.post(_url(cohort), {"role": "mentee", "capacity": capacity})
    assert response.status_code == 302
    assert Enrollment.objects.get(person=participant).capacity is None
