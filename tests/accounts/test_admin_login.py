"""The Django admin signs in through allauth (rate limits, MFA), never its own form."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from people.models import User
from tests.accounts import DEFAULT_PASSWORD, LOGIN_URL, signed_in_user_id
from tests.conftest import activate_totp

pytestmark = pytest.mark.django_db

ADMIN_LOGIN_URL = reverse("admin:login")
ADMIN_INDEX_URL = reverse("admin:index")


def test_admin_login_page_redirects_to_allauth_login(client):
    response = client.get(ADMIN_LOGIN_URL, {"next": ADMIN_INDEX_URL})
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=%2Fadmin%2F"


def test_admin_login_form_does_not_accept_a_password(client, user_factory):
    staff = user_factory(is_staff=True, is_superuser=True)
    response = client.post(ADMIN_LOGIN_URL, {"username": staff.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert signed_in_user_id(client) is None


def test_staff_sees_admin_index_after_allauth_login(client, user_factory, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = False  # the TOTP step has its own test below
    staff = user_factory(email="sam.staff@example.com", is_staff=True, is_superuser=True)
    anonymous = client.get(ADMIN_INDEX_URL, follow=True)
    assert anonymous.redirect_chain[-1][0] == f"{LOGIN_URL}?next=%2Fadmin%2F"

    response = client.post(
        f"{LOGIN_URL}?next=%2Fadmin%2F", {"login": staff.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX_URL
    index = client.get(ADMIN_INDEX_URL)
    assert index.status_code == 200
    assert "Mentorship administration" in index.content.decode()


def test_staff_without_two_factor_is_sent_to_set_it_up_before_the_admin(client, user_factory):
    staff = user_factory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get(reverse("admin:people_user_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    activate_totp(staff)
    assert client.get(reverse("admin:people_user_changelist")).status_code == 200


def test_signed_in_employee_who_is_not_staff_cannot_open_the_admin(client, participant):
    client.force_login(participant)
    response = client.get(ADMIN_INDEX_URL, follow=True)
    assert response.status_code == 403
    assert "Mentorship administration" not in response.content.decode()


def test_set_role_gives_and_takes_hr_and_staff(user_factory):
    user = user_factory(email="olga.operator@example.com")
    out = StringIO()
    call_command("set_role", "Olga.Operator@example.com", "--hr", "--staff", stdout=out)
    user.refresh_from_db()
    assert (user.is_hr, user.is_staff) == (True, True)
    assert out.getvalue().strip() == "olga.operator@example.com: HR"

    call_command("set_role", user.email, "--no-hr", stdout=out)
    user.refresh_from_db()
    assert (user.is_hr, user.is_staff) == (False, True)


def test_set_role_refuses_unknown_email_and_missing_flags(user_factory):
    user = user_factory()
    with pytest.raises(CommandError, match="No account"):
        call_command("set_role", "nobody@example.com", "--hr")
    with pytest.raises(CommandError, match="Say what to change"):
        call_command("set_role", user.email)
    assert not User.objects.filter(is_hr=True).exists()
