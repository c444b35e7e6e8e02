"""Withdrawing from a cohort, at any time, with a reason."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from programs.services.participation import ParticipationRefused, enrollment_withdraw
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


def _url(enrollment) -> str:
    return reverse("programs:withdraw", kwargs={"pk": enrollment.pk})


@pytest.fixture
def enrollment(participant, cohort):
    return make_enrollment(cohort=cohort, person=participant, status="accepted")


def test_get_asks_for_confirmation_and_a_reason(participant_client, enrollment):
    response = participant_client.get(_url(enrollment))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Withdraw from Spring 2027" in body
    assert re.search(r'<textarea name="reason"[^>]* required', body)
    enrollment.refresh_from_db()
    assert enrollment.status == "accepted"  # nothing changes until confirmed


@pytest.mark.parametrize("status", ["invited", "applied", "accepted"])
def test_withdrawing_records_status_time_and_reason(
    participant_client, participant, cohort, status
):
    enrollment = make_enrollment(cohort=cohort, person=participant, status=status)
    response = participant_client.post(_url(enrollment), {"reason": "  New role, no time.  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"
    assert enrollment.withdrawn_at is not None
    assert enrollment.withdrawal_reason == "New role, no time."
    assert "You withdrew from Spring 2027" in str(next(iter(get_messages(response.wsgi_request))))


def test_withdrawing_from_a_running_cohort_is_allowed(participant_client, participant, program):
    running = make_enrollment(
        cohort=make_cohort(program=program, phase="running"), person=participant
    )
    assert participant_client.post(_url(running), {"reason": "Moving abroad"}).status_code == 302
    running.refresh_from_db()
    assert running.status == "withdrawn"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required_and_the_error_is_on_it(participant_client, enrollment, reason):
    response = participant_client.post(_url(enrollment), {"reason": reason})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["reason"]
    assert "Tell the program admin why you are withdrawing." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "accepted"


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("withdrawn", "You already withdrew"),
        ("declined", "was declined"),
        ("completed", "is over for you"),
    ],
)
def test_cannot_withdraw_once_out_of_the_cohort(
    participant_client, participant, cohort, status, words
):
    enrollment = make_enrollment(cohort=cohort, person=participant, status=status)
    response = participant_client.get(_url(enrollment))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert words in response.content.decode()
    response = participant_client.post(_url(enrollment), {"reason": "again"})
    assert response.status_code == 409
    assert words in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == status
    assert enrollment.withdrawal_reason == ""


def test_service_withdraws_only_once(enrollment):
    enrollment_withdraw(enrollment=enrollment, reason="First")
    with pytest.raises(ParticipationRefused, match="already withdrew"):
        enrollment_withdraw(enrollment=enrollment, reason="Second")
    enrollment.refresh_from_db()
    assert enrollment.withdrawal_reason == "First"


def test_another_participants_enrollment_is_404(participant_client, cohort):
    someone_else = make_enrollment(cohort=cohort, person=make_user())
    assert participant_client.get(_url(someone_else)).status_code == 404
    assert participant_client.post(_url(someone_else), {"reason": "x"}).status_code == 404
    someone_else.refresh_from_db()
    assert someone_else.status == "accepted"


def test_the_program_admin_cannot_withdraw_someone(admin_client, enrollment):
    assert admin_client.post(_url(enrollment), {"reason": "x"}).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, enrollment):
    response = client.post(_url(enrollment), {"reason": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    enrollment.refresh_from_db()
    assert enrollment.status == "accepted"


def test_wrong_method_is_405(participant_client, enrollment):
    assert participant_client.put(_url(enrollment)).status_code == 405
