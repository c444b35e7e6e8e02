"""Sign-in, MFA, password reset, admin and SSO: the allauth side of accounts.

Shared helpers for these tests; they drive the real allauth views through the test client.
"""

from __future__ import annotations

import re
import time

from allauth.mfa import app_settings
from django.urls import reverse

from tests.conftest import totp_code

LOGIN_URL = reverse("account_login")
REQUEST_CODE_URL = reverse("account_request_login_code")
CONFIRM_CODE_URL = reverse("account_confirm_login_code")
DEFAULT_PASSWORD = "correct horse battery"  # tests.conftest.make_user's default


def password_login(client, email: str, password: str = DEFAULT_PASSWORD):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def request_code(client, email: str):
    return client.post(REQUEST_CODE_URL, {"email": email})


def code_from_mail(message) -> str:
    """The sign-in code from allauth's login-code mail (its own line after the intro)."""
    match = re.search(r"listed below\.[^\n]*\n\s*\n(\S+)\s*\n", message.body)
    assert match, message.body
    return match.group(1)


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def current_totp_code(secret: str) -> str:
    """The authenticator code now, never one about to expire before the server checks it."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left + 0.05)
    return totp_code(secret)
