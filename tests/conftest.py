from __future__ import annotations

import itertools
import uuid
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

from people.models import User

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test gets its own key space in the real Redis cache (rate limits live there)."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    }


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 costs ~0.3 s a user by design; tests need hashing to work, not to be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(*, email: str | None = None, password: str | None = "correct horse battery", **extra):
    n = next(_serial)
    email = email or f"person{n}@example.com"
    extra.setdefault("first_name", f"First{n}")
    extra.setdefault("last_name", f"Last{n}")
    extra.setdefault("employee_id", f"E{n:05d}")
    extra.setdefault("hire_date", date(2023, 1, 9))
    user = User.objects.create_user(email=email, password=password, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def activate_totp(user) -> str:
    """Set up TOTP for the user; the secret is kept on the object for totp_code()."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret
    return secret


def totp_code(secret: str) -> str:
    """The code an authenticator app would show now."""
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def hr_user(db):
    """HR, with two-factor authentication set up."""
    user = make_user(
        email="harriet.hr@example.com", first_name="Harriet", last_name="Hughes", is_hr=True
    )
    activate_totp(user)
    return user


@pytest.fixture
def participant(db):
    return make_user(email="pat.participant@example.com", first_name="Pat", last_name="Parker")


@pytest.fixture
def hr_client(client, hr_user):
    client.force_login(hr_user)
    return client


@pytest.fixture
def participant_client(client, participant):
    client.force_login(participant)
    return client
