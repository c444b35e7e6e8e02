from __future__ import annotations

from celery import shared_task

from people import services


@shared_task
def deactivate_leavers() -> int:
    """Hourly: accounts of people whose leaving date has come can no longer sign in."""
    return services.leavers_deactivate()
