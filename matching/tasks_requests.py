"""Self-select mode in the background: expire unanswered requests (beat every few minutes)
and email each side of a request, once."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from matching import requests


@shared_task(soft_time_limit=300, time_limit=330)
def expire_mentor_requests() -> int:
    """Idempotent: each due request is closed by a conditional UPDATE."""
    return requests.mentor_requests_expire()


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_mentor_request_received(request_id: int) -> bool:
    """The mentor's email: a mentee asks them (sent once; a retry after a failure sends)."""
    return requests.mentor_request_notify_mentor(request_id=request_id)


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_mentor_request_outcome(request_id: int) -> bool:
    """The mentee's email: accepted, declined or expired (sent once)."""
    return requests.mentor_request_notify_mentee(request_id=request_id)
