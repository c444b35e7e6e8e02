from __future__ import annotations

import itertools
import time
import uuid
from datetime import date

import pytest
import redis
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection

from people.models import User

# Factories and fixtures for programs, cohorts and enrollments, shared by every test module.
pytest_plugins = ["tests.programs.fixtures", "tests.goals.fixtures"]

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test gets its own key space in the real Redis cache (rate limits live there)."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    }


@pytest.fixture(autouse=True)
def unconsumed_notification_queue(settings):
    """Send tasks queued by tests that commit (live server, transactional tests) go to a queue
    of the test's own, emptied afterwards, never to the default queue a developer's worker
    reads. Tests with a worker point NOTIFICATION_QUEUE at the worker's queue."""
    name = f"test-outbox-{uuid.uuid4().hex}"
    broker_url = settings.CELERY_BROKER_URL  # a test may point it at a server it stops
    settings.NOTIFICATION_QUEUE = name
    yield
    client = redis.Redis.from_url(broker_url)
    client.delete(name, f"_kombu.binding.{name}")
    client.close()


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


# --- A real Celery worker on the real Redis broker -------------------------------------------


@pytest.fixture
def private_queue():
    """A queue of this test's own, so no other worker on the same Redis takes its task."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    client.close()


@pytest.fixture
def close_worker_connections():
    """The worker thread opens its own database connection: close it after each task."""

    def close(**kwargs):
        connection.close()

    task_postrun.connect(close, weak=False)
    yield
    task_postrun.disconnect(close)


@pytest.fixture
def celery_worker_queue(private_queue, close_worker_connections):
    """A real worker thread consuming a private queue on Redis; yields the queue's name."""
    from celery.contrib.testing.worker import start_worker

    from mentorship.celery import app

    with start_worker(app, queues=[private_queue], perform_ping_check=False, shutdown_timeout=30):
        yield private_queue


def wait_until(predicate, *, timeout: float = 20.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {message}"
        time.sleep(0.05)
