"""People who have left the company cannot sign in, by password, code or session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from people.models import User
from people.services import leavers_deactivate
from tests.accounts import (
    CONFIRM_CODE_URL,
    code_from_mail,
    password_login,
    request_code,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db

INACTIVE_URL = reverse("account_inactive")


def _days(n: int):
    return timezone.localdate() + timedelta(days=n)


def test_leavers_deactivate_switches_off_only_people_whose_end_date_has_come(user_factory):
    left_today = user_factory(end_date=_days(0))
    left_last_month = user_factory(end_date=_days(-30))
    leaving_soon = user_factory(end_date=_days(1))
    employed = user_factory()

    assert leavers_deactivate() == 2
    assert leavers_deactivate() == 0  # nothing left to do the second time

    active = dict(User.objects.values_list("pk", "is_active"))
    assert active[left_today.pk] is False
    assert active[left_last_month.pk] is False
    assert active[leaving_soon.pk] is True
    assert active[employed.pk] is True


def test_deactivated_leaver_cannot_sign_in_by_password(client, user_factory):
    leaver = user_factory(email="lee.leaver@example.com", end_date=_days(-1))
    leavers_deactivate()
    response = password_login(client, leaver.email)
    assert response.status_code == 302
    assert response["Location"] == INACTIVE_URL
    assert signed_in_user_id(client) is None


def test_deactivated_leaver_gets_no_sign_in_code(client, user_factory, mailoutbox):
    leaver = user_factory(email="lee.leaver@example.com", end_date=_days(-1))
    leavers_deactivate()
    request_code(client, leaver.email)
    # The same "no such account" mail a stranger gets; no code to enter.
    assert len(mailoutbox) == 1
    assert "There is no mentorship account for it" in mailoutbox[0].body
    response = client.post(CONFIRM_CODE_URL, {"code": "ABCDEF"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_leaver_is_refused_before_the_deactivation_job_runs(client, user_factory, mailoutbox):
    leaver = user_factory(email="lee.leaver@example.com", end_date=_days(0))
    assert leaver.is_active

    response = password_login(client, leaver.email)
    assert response.status_code == 302
    assert response["Location"] == INACTIVE_URL
    assert signed_in_user_id(client) is None

    request_code(client, leaver.email)
    response = client.post(CONFIRM_CODE_URL, {"code": code_from_mail(mailoutbox[-1])})
    assert response.status_code == 302
    assert response["Location"] == INACTIVE_URL
    assert signed_in_user_id(client) is None


def test_leaver_with_a_future_end_date_still_signs_in(client, user_factory):
    leaving_soon = user_factory(email="sol.soon@example.com", end_date=_days(7))
    leavers_deactivate()
    response = password_login(client, leaving_soon.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == leaving_soon.pk


def test_deactivation_ends_an_open_session(client, user_factory):
    leaver = user_factory(end_date=_days(0))
    client.force_login(leaver)
    assert client.get(reverse("home")).status_code == 200
    leavers_deactivate()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
