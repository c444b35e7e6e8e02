"""Company single sign-on through OpenID Connect, with the identity provider faked at the edge.

The settings read OIDC_* from the environment at import, so tests set
SOCIALACCOUNT_PROVIDERS to the structure mentorship/settings.py builds. allauth talks to the
identity provider with requests; the fake answers its three calls (discovery document, token
endpoint, userinfo) and fails the test on anything else.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from people.models import User
from tests.accounts import LOGIN_URL, current_totp_code, signed_in_user_id

pytestmark = pytest.mark.django_db

IDP = "https://idp.example.com"
SSO_LOGIN_URL = reverse("openid_connect_login", kwargs={"provider_id": "company"})
SSO_CALLBACK_URL = reverse("openid_connect_callback", kwargs={"provider_id": "company"})


@pytest.fixture
def sso_settings(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "company",
                    "name": "Company single sign-on",
                    "client_id": "mentorship-test",
                    "secret": "client-secret",
                    "settings": {"server_url": IDP},
                }
            ],
        }
    }
    return settings


class FakeIdentityProvider:
    """Answers allauth's HTTP calls as a real OpenID Connect provider would."""

    def __init__(self) -> None:
        self.userinfo: dict = {}
        self.calls: list[tuple[str, str, dict]] = []

    def __call__(self, method: str, url: str, **kwargs) -> requests.Response:
        self.calls.append((method, url, kwargs))
        if (method, url) == ("GET", f"{IDP}/.well-known/openid-configuration"):
            return self._json(
                {
                    "issuer": IDP,
                    "authorization_endpoint": f"{IDP}/authorize",
                    "token_endpoint": f"{IDP}/token",
                    "userinfo_endpoint": f"{IDP}/userinfo",
                    "jwks_uri": f"{IDP}/jwks",
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                }
            )
        if (method, url) == ("POST", f"{IDP}/token"):
            data = kwargs.get("data") or {}
            assert data.get("code") == "code-from-idp"
            assert data.get("client_id") == "mentorship-test"
            assert data.get("code_verifier")  # PKCE
            return self._json({"access_token": "access-token", "token_type": "Bearer"})
        if (method, url) == ("GET", f"{IDP}/userinfo"):
            assert kwargs["headers"]["Authorization"] == "Bearer access-token"
            return self._json(self.userinfo)
        raise AssertionError(f"unexpected call to the identity provider: {method} {url}")

    @staticmethod
    def _json(payload: dict) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.encoding = "utf-8"
        return response


@pytest.fixture
def idp(sso_settings, monkeypatch):
    fake = FakeIdentityProvider()
    monkeypatch.setattr(
        requests.Session, "request", lambda session, method, url, **kw: fake(method, url, **kw)
    )
    return fake


def sso_sign_in(client, idp: FakeIdentityProvider, **claims):
    """Press the SSO button, come back from the identity provider with these claims."""
    idp.userinfo = {"sub": "idp-user-42", "email_verified": True, **claims}
    response = client.post(f"{SSO_LOGIN_URL}?process=login")
    assert response.status_code == 302
    authorize = urlparse(response["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{IDP}/authorize"
    query = parse_qs(authorize.query)
    assert query["redirect_uri"][0].endswith(SSO_CALLBACK_URL)
    assert query["code_challenge_method"] == ["S256"]
    return client.get(SSO_CALLBACK_URL, {"code": "code-from-idp", "state": query["state"][0]})


def test_login_page_has_no_sso_button_without_configuration(client):
    html = client.get(LOGIN_URL).content.decode()
    assert "/accounts/oidc/" not in html
    assert "single sign-on" not in html


def test_sso_button_starts_the_flow_with_a_valid_csrf_token(idp):
    client = Client(enforce_csrf_checks=True)
    html = client.get(LOGIN_URL).content.decode()
    assert "Sign in with Company single sign-on" in html
    assert "<h2>Or use the company sign-in</h2>" in html
    form = re.search(
        r'<form method="post" action="([^"]+)" class="inline">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
        html,
    )
    assert form, html
    assert form.group(1) == f"{SSO_LOGIN_URL}?process=login"
    response = client.post(form.group(1), {"csrfmiddlewaretoken": form.group(2)})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{IDP}/authorize?")


def test_directory_employee_signs_in_with_company_sso(client, idp):
    employee = User.objects.create_user(
        email="erin.employee@example.com", password=None, employee_id="E777"
    )
    response = sso_sign_in(client, idp, email="Erin.Employee@example.com", name="Erin")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == employee.pk
    account = SocialAccount.objects.get(provider="company")
    assert (account.user_id, account.uid) == (employee.pk, "idp-user-42")
    assert User.objects.count() == 1
    # The identity provider vouched for the address, so no verification mail is needed.
    assert EmailAddress.objects.get(user=employee).verified

    # The next time, the connected identity signs in directly.
    client.logout()
    response = sso_sign_in(client, idp, email="erin.employee@example.com")
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == employee.pk


def test_unknown_identity_does_not_create_an_account(client, idp, user_factory):
    user_factory(email="erin.employee@example.com")
    response = sso_sign_in(client, idp, email="stranger@example.com")
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email="stranger@example.com").exists()
    assert not SocialAccount.objects.exists()


def test_identity_with_unverified_email_does_not_take_over_an_employee(client, idp, user_factory):
    employee = user_factory(email="erin.employee@example.com")
    response = sso_sign_in(client, idp, email=employee.email, email_verified=False)
    assert signed_in_user_id(client) is None
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not SocialAccount.objects.exists()


def test_leaver_cannot_sign_in_with_company_sso(client, idp, user_factory):
    leaver = user_factory(email="lee.leaver@example.com", end_date=timezone.localdate())
    response = sso_sign_in(client, idp, email=leaver.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert signed_in_user_id(client) is None


def test_sso_does_not_skip_the_totp_code(client, idp, hr_user):
    response = sso_sign_in(client, idp, email=hr_user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    response = client.post(
        reverse("mfa_authenticate"), {"code": current_totp_code(hr_user.totp_secret)}
    )
    assert signed_in_user_id(client) == hr_user.pk
    assert client.get(reverse("people:directory")).status_code == 200
