"""Self-select mode in the background: expire unanswered requests (beat every few minutes).

The emails about requests are outbox notifications (matching/notifications.py)."""

from __future__ import annotations

from celery import shared_task

from matching import requests


@shared_task(soft_time_limit=300, time_limit=330)
def expire_mentor_requests() -> int:
    """Idempotent: each due request is closed by a conditional UPDATE."""
    return requests.mentor_requests_expire()
