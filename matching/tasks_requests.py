"""Self-select mode, periodic: expire unanswered mentor requests (beat every few minutes)."""

from __future__ import annotations

from celery import shared_task

from matching import requests


@shared_task(soft_time_limit=300, time_limit=330)
def expire_mentor_requests() -> int:
    """Idempotent: each due request is closed by a conditional UPDATE."""
    return requests.mentor_requests_expire()
