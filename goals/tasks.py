"""Celery tasks of the pair's workspace: thin, each takes ids and calls a service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from goals.services import meetings as meeting_services


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_meeting_invitation(meeting_id: int, sequence: int) -> bool:
    """Email both members one version of a meeting with its .ics (at most once)."""
    return meeting_services.meeting_invitation_send(meeting_id=meeting_id, sequence=sequence)


@shared_task
def queue_unsent_meeting_invitations() -> int:
    """Queue the invitations that never went out (the broker was down when they were queued).

    For beat, every few minutes; sending stays claimed once per version, so a meeting queued
    twice is still emailed once.
    """
    queued = 0
    for meeting_id, sequence in meeting_services.meetings_with_unsent_invitations():
        send_meeting_invitation.delay(meeting_id, sequence)
        queued += 1
    return queued
