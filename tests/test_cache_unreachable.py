"""Redis is the cache too: when it cannot be reached, writes still succeed and the pages that
cache derived figures compute them instead (the reminders' broker outage is tested with a
real worker in tests/mentorship/test_outbox_delivery.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Meeting
from mentorship.cache_versions import DIRECTORY, bump
from tests.goals.fixtures import make_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_cache(settings):
    """The cache pointed at a port nothing listens on: every call is refused at once."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }


def test_a_bump_never_fails_the_write(unreachable_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="mentorship.cache_versions"):
        bump(DIRECTORY)
    assert "not bumped" in caplog.text


def test_writes_and_cached_pages_work_without_the_cache(
    unreachable_cache, admin_client, running_cohort, hr_client
):
    pair = make_pair(cohort=running_cohort, published_at=timezone.now() - timedelta(days=30))
    # A meeting saved bumps the pair-activity version from its post_save receiver.
    Meeting.objects.create(
        match=pair, organizer=pair.mentee.person, starts_at=timezone.now() - timedelta(days=1)
    )

    pairs_page = admin_client.get(reverse("goals:cohort_pairs", args=[running_cohort.slug]))
    assert pairs_page.status_code == 200
    assert pair.mentee.person.get_full_name() in pairs_page.content.decode()
    dashboard = admin_client.get(reverse("programs:cohort_dashboard", args=[running_cohort.slug]))
    assert dashboard.status_code == 200
    assert hr_client.get(reverse("reports:retention")).status_code == 200
