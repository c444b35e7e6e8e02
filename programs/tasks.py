from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from programs.services import enrollment as enrollment_services
from programs.services import programs as program_services


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_enrollment_invitation(enrollment_id: int) -> bool:
    return enrollment_services.enrollment_invitation_send(enrollment_id=enrollment_id)


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_enrollment_decision(enrollment_id: int) -> bool:
    return program_services.enrollment_decision_send(enrollment_id=enrollment_id)
