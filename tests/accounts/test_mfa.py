"""Two-factor authentication (TOTP): open to everyone, required for HR and program admins."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.http import HttpResponse
from django.urls import path, reverse

from mentorship.urls import urlpatterns as site_urlpatterns
from people.access import mfa_missing, program_admin_required
from people.roles import roles_for
from programs.models import Program
from tests.accounts import (
    DEFAULT_PASSWORD,
    current_totp_code,
    password_login,
    signed_in_user_id,
)
from tests.conftest import activate_totp

pytestmark = pytest.mark.django_db

DIRECTORY_URL = reverse("people:directory")
TOTP_SETUP_URL = reverse("mfa_activate_totp")
MFA_AUTHENTICATE_URL = reverse("mfa_authenticate")
REAUTHENTICATE_URL = reverse("account_reauthenticate")


@program_admin_required
def program_admin_page(request):
    return HttpResponse("program admin page")


# A stand-in for the program pages still to come, behind the real gate.
urlpatterns = [path("test-program-admin/", program_admin_page), *site_urlpatterns]


@pytest.fixture
def hr_without_totp(user_factory):
    return user_factory(email="hana.hr@example.com", is_hr=True)


def test_hr_without_totp_is_sent_to_totp_setup(client, hr_without_totp):
    client.force_login(hr_without_totp)
    response = client.get(DIRECTORY_URL)
    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP_URL


def test_staff_without_totp_is_sent_to_totp_setup(client, user_factory):
    client.force_login(user_factory(is_staff=True))
    response = client.get(DIRECTORY_URL)
    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP_URL


def test_without_the_requirement_hr_opens_the_directory_without_totp(
    client, hr_without_totp, settings
):
    settings.MFA_REQUIRED_FOR_ADMINS = False
    client.force_login(hr_without_totp)
    assert client.get(DIRECTORY_URL).status_code == 200


def test_hr_with_totp_signs_in_with_password_then_code(client, hr_user):
    response = password_login(client, hr_user.email)
    assert response.status_code == 302
    assert response["Location"] == MFA_AUTHENTICATE_URL
    assert signed_in_user_id(client) is None
    # Half signed in is not signed in.
    assert client.get(DIRECTORY_URL)["Location"].startswith(reverse("account_login"))

    page = client.get(MFA_AUTHENTICATE_URL)
    assert page.status_code == 200
    assert 'class="entrance"' in page.content.decode()

    response = client.post(MFA_AUTHENTICATE_URL, {"code": current_totp_code(hr_user.totp_secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == hr_user.pk
    assert client.get(DIRECTORY_URL).status_code == 200


def test_wrong_totp_code_does_not_sign_in(client, hr_user):
    password_login(client, hr_user.email)
    right = current_totp_code(hr_user.totp_secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(MFA_AUTHENTICATE_URL, {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_hr_sets_up_totp_and_then_opens_the_directory(client, hr_without_totp):
    password_login(client, hr_without_totp.email)
    assert signed_in_user_id(client) == hr_without_totp.pk
    response = client.get(DIRECTORY_URL, follow=True)
    # allauth asks for the password again before a change of authenticators.
    reauthenticate_url = f"{REAUTHENTICATE_URL}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    assert response.redirect_chain == [(TOTP_SETUP_URL, 302), (reauthenticate_url, 302)]
    assert "Set up two-factor authentication to continue." in response.content.decode()

    response = client.post(reauthenticate_url, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP_URL
    response = client.get(TOTP_SETUP_URL)
    assert response.status_code == 200
    assert 'class="manage"' in response.content.decode()

    secret = response.context["form"].secret
    response = client.post(TOTP_SETUP_URL, {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=hr_without_totp, type=Authenticator.Type.TOTP).exists()
    assert client.get(DIRECTORY_URL).status_code == 200


def test_participant_is_not_required_to_use_totp(client, participant):
    assert not mfa_missing(participant)
    client.force_login(participant)
    assert client.get(reverse("home")).status_code == 200


def test_any_employee_can_reach_totp_setup_from_the_account_pages(client, participant):
    password_login(client, participant.email)
    email_page = client.get(reverse("account_email")).content.decode()
    assert 'class="manage"' in email_page
    assert f'href="{reverse("mfa_index")}"' in email_page
    assert "Who can see this page:</strong> only you" in email_page

    mfa_page = client.get(reverse("mfa_index")).content.decode()
    assert f'href="{TOTP_SETUP_URL}"' in mfa_page
    client.post(REAUTHENTICATE_URL, {"password": DEFAULT_PASSWORD})
    setup_page = client.get(TOTP_SETUP_URL)
    assert setup_page.status_code == 200
    html = setup_page.content.decode()
    assert 'aria-describedby="authenticator_secret_helptext"' in html
    assert '<label for="id_code">Authenticator code</label>' in html


@pytest.mark.urls("tests.accounts.test_mfa")
def test_program_admin_without_totp_is_sent_to_totp_setup(client, user_factory):
    admin = user_factory(email="paula.programs@example.com")
    Program.objects.create(name="Engineering mentoring", slug="eng").admins.add(admin)
    assert roles_for(admin).is_admin_role
    client.force_login(admin)

    response = client.get("/test-program-admin/")
    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP_URL

    activate_totp(admin)
    assert client.get("/test-program-admin/").status_code == 200


@pytest.mark.urls("tests.accounts.test_mfa")
def test_program_page_is_404_for_someone_who_runs_no_program(client, participant):
    client.force_login(participant)
    assert client.get("/test-program-admin/").status_code == 404
