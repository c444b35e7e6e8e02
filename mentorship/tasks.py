"""The outbox's tasks: beat triggers ``scan_notifications``; each row gets a ``send_notification``.

Tasks stay thin: what is due comes from the database (each kind's scan), and sending once is
the outbox's claim on the row.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from mentorship import outbox
from mentorship.notifications import all_kinds

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None)
def send_notification(self, notification_id: int) -> str:
    try:
        return outbox.notification_send(notification_id=notification_id)
    except outbox.RetryLater as exc:
        # Countdowns stay far below the broker's visibility timeout (an hour); the row's
        # next_attempt_at lets the scan retry too if this message is lost.
        raise self.retry(countdown=exc.countdown, exc=exc.cause) from None


def scan(now=None) -> dict[str, int]:
    """Record every reminder due at ``now`` and queue what is waiting. Returns rows created per
    kind (and ``requeued``). One kind's failure is logged and does not stop the others."""
    now = now or timezone.now()
    created: dict[str, int] = {}
    for kind in all_kinds():
        if kind.scan is None:
            continue
        try:
            created[kind.name] = len(outbox.notifications_record(kind.scan(now), now=now))
        except Exception:
            logger.exception("The %s scan failed", kind.name)
    created["requeued"] = outbox.outbox_requeue(now=now)
    return created


@shared_task(soft_time_limit=240, time_limit=300)
def scan_notifications() -> dict[str, int]:
    return scan()
