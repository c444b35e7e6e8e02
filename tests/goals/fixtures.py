"""Pairs for the workspace tests: alice (mentee) and bob (mentor) in a running cohort, plus
charlie, the mentor of another pair in the same cohort (an outsider to alice and bob's pair).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from matching.models import Match
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program


def make_pair(*, cohort, mentee=None, mentor=None, status="active", **extra) -> Match:
    """An active (published) match between two new or given people."""
    mentee_enrollment = make_enrollment(cohort=cohort, person=mentee, role="mentee")
    mentor_enrollment = make_enrollment(cohort=cohort, person=mentor, role="mentor")
    extra.setdefault("published_at", timezone.now())
    return Match.objects.create(
        cohort=cohort, mentee=mentee_enrollment, mentor=mentor_enrollment, status=status, **extra
    )


@pytest.fixture
def alice(db):
    return make_user(
        email="alice@example.com", first_name="Alice", last_name="Adams", timezone="Europe/Paris"
    )


@pytest.fixture
def bob(db):
    return make_user(
        email="bob@example.com", first_name="Bob", last_name="Baker", timezone="America/New_York"
    )


@pytest.fixture
def charlie(db):
    return make_user(email="charlie@example.com", first_name="Charlie", last_name="Chen")


@pytest.fixture
def running_cohort(program):
    """A running cohort of the ``program`` fixture (administered by ``program_admin``)."""
    return make_cohort(program=program, phase="running")


@pytest.fixture
def pair(running_cohort, alice, bob) -> Match:
    """Alice (mentee) and Bob (mentor), active."""
    return make_pair(cohort=running_cohort, mentee=alice, mentor=bob)


@pytest.fixture
def other_pair(running_cohort, charlie) -> Match:
    """Charlie mentors someone else in the same cohort."""
    return make_pair(cohort=running_cohort, mentor=charlie)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def other_program(db):
    return make_program()
