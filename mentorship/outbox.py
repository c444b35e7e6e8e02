"""The outbox's services: record notifications once, send each once, requeue what is stuck.

- ``notify`` / ``notifications_record``: insert rows with ``ON CONFLICT DO NOTHING`` on the
  unique key; only the rows this call inserted are queued, after the transaction commits. People
  who switched the kind off, and accounts that cannot sign in, get no row.
- ``notification_send`` (the task's body): claims the row with a conditional UPDATE
  (pending, or sending with an expired lease), sends, marks it sent. A retried, redelivered or
  duplicated task finds nothing to claim.
- ``outbox_requeue``: rows never queued (the broker was down), waiting for a retry, or claimed
  by a worker that died, are queued again. The scan task calls it every few minutes.

The lease outlives the task's hard time limit, so a lease can only expire once the worker that
took it is gone.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from mentorship.models import Notification, NotificationOptOut
from mentorship.notifications import Due, get_kind

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30
BACKOFF_MAX_SECONDS = 600
# A freshly recorded row is being queued by its own transaction's on-commit hook.
REQUEUE_GRACE = timedelta(minutes=2)
REQUEUE_BATCH = 20_000
RECORD_CHUNK = 2_000
UNSUBSCRIBE_SALT = "mentorship.unsubscribe"


def lease() -> timedelta:
    """How long a claim holds: half as long again as the hard time limit that kills any task,
    so an expired lease means the worker that claimed the row is gone."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 3 / 2)


def backoff(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 30, 60, 120, 240, 480."""
    return min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


# --- Recording --------------------------------------------------------------------------------

_INSERT = """
INSERT INTO {notification} (
    kind, recipient_id, subject_id, period, status, due_at, created_at, next_attempt_at,
    attempts, skip_reason, last_error
)
SELECT d.kind, d.recipient_id, d.subject_id, d.period, 'pending', d.due_at, %(now)s, %(now)s,
       0, '', ''
FROM unnest(
    %(kinds)s::varchar[], %(recipients)s::bigint[], %(subjects)s::bigint[],
    %(periods)s::varchar[], %(due)s::timestamptz[]
) AS d(kind, recipient_id, subject_id, period, due_at)
JOIN {user} u ON u.id = d.recipient_id AND u.is_active
WHERE NOT EXISTS (
    SELECT 1 FROM {opt_out} o WHERE o.user_id = d.recipient_id AND o.kind = d.kind
)
ON CONFLICT (kind, recipient_id, subject_id, period) DO NOTHING
RETURNING id
"""


def notifications_record(dues: Iterable[Due], *, now: datetime | None = None) -> list[int]:
    """Record each due notification once; returns the ids of the rows this call created.

    The new rows are queued for sending when the surrounding transaction commits (at once
    outside one). A rolled-back transaction leaves neither rows nor tasks.
    """
    now = now or timezone.now()
    sql = _INSERT.format(
        notification=Notification._meta.db_table,
        user=get_user_model()._meta.db_table,
        opt_out=NotificationOptOut._meta.db_table,
    )
    created: list[int] = []
    batch: list[Due] = []

    def flush() -> None:
        for due in batch:
            if get_kind(due.kind) is None:
                raise ValueError(f"unknown notification kind {due.kind!r}")
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    "now": now,
                    "kinds": [d.kind for d in batch],
                    "recipients": [d.recipient_id for d in batch],
                    "subjects": [d.subject_id for d in batch],
                    "periods": [d.period for d in batch],
                    "due": [d.due_at or now for d in batch],
                },
            )
            created.extend(row[0] for row in cursor.fetchall())
        batch.clear()

    with transaction.atomic():
        for due in dues:
            batch.append(due)
            if len(batch) >= RECORD_CHUNK:
                flush()
        if batch:
            flush()
    if created:
        ids = list(created)
        transaction.on_commit(lambda: queue_sends(ids), robust=True)
    return created


def notify(
    kind: str, *, recipient_id: int, subject_id: int = 0, period: str = "", due_at=None
) -> bool:
    """Record one event notice (e.g. from a service, inside its transaction). Whether it is new."""
    due = Due(kind, recipient_id, subject_id, period, due_at)
    return bool(notifications_record([due]))


def queue_sends(ids: Iterable[int]) -> int:
    """Queue a send task per row. If the broker is unreachable, stop: the rows stay pending and
    the next scan queues them. Never raises (a web request that committed must still answer)."""
    from mentorship.tasks import send_notification

    queued = 0
    for pk in ids:
        try:
            send_notification.apply_async((pk,), queue=settings.NOTIFICATION_QUEUE)
        except Exception:
            logger.warning(
                "Could not queue notification %s (broker unreachable?); the next scan will",
                pk,
                exc_info=True,
            )
            break
        queued += 1
    return queued


# --- Sending ----------------------------------------------------------------------------------


class RetryLater(Exception):
    """The send failed in a way worth retrying (SMTP trouble); try again in ``countdown`` s."""

    def __init__(self, countdown: int, cause: BaseException):
        super().__init__(str(cause))
        self.countdown = countdown
        self.cause = cause


_CLAIM = """
UPDATE {notification} AS n
SET status = CASE WHEN c.reason = '' THEN 'sending' ELSE 'skipped' END,
    skip_reason = c.reason,
    claimed_at = %(now)s,
    attempts = n.attempts + 1
FROM (
    SELECT CASE
        WHEN NOT u.is_active THEN 'the account is deactivated'
        WHEN EXISTS (
            SELECT 1 FROM {opt_out} o WHERE o.user_id = m.recipient_id AND o.kind = m.kind
        ) THEN 'unsubscribed'
        ELSE ''
    END AS reason
    FROM {notification} m JOIN {user} u ON u.id = m.recipient_id
    WHERE m.id = %(pk)s
) AS c
WHERE n.id = %(pk)s
  AND n.attempts < %(max_attempts)s
  AND (n.status = 'pending' OR (n.status = 'sending' AND n.claimed_at < %(expired)s))
RETURNING n.status, n.kind, n.recipient_id, n.subject_id, n.period, n.due_at, n.created_at,
          n.attempts
"""


def _claim(pk: int, now: datetime) -> Notification | None:
    """Claim the row (pending, or sending with an expired lease) in one statement that also
    skips it when the person has switched the kind off or left. Returns the claimed row (its
    recipient not loaded), or None when another task has it or it is done."""
    sql = _CLAIM.format(
        notification=Notification._meta.db_table,
        user=get_user_model()._meta.db_table,
        opt_out=NotificationOptOut._meta.db_table,
    )
    params = {"pk": pk, "now": now, "expired": now - lease(), "max_attempts": MAX_ATTEMPTS}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    status, kind, recipient_id, subject_id, period, due_at, created_at, attempts = row
    return Notification(
        pk=pk,
        status=status,
        kind=kind,
        recipient_id=recipient_id,
        subject_id=subject_id,
        period=period,
        due_at=due_at,
        created_at=created_at,
        attempts=attempts,
        claimed_at=now,
    )


def _finish(pk: int, claimed_at: datetime, **values) -> None:
    Notification.objects.filter(
        pk=pk, status=Notification.Status.SENDING, claimed_at=claimed_at
    ).update(**values)


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps([user_id, kind], salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    try:
        user_id, kind = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(kind, str) or get_kind(kind) is None:
        return None
    return user_id, kind


def _message_id(notification: Notification) -> str:
    """Stable across retries, so a mail system that saw the message already can tell."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notification.pk}.{notification.created_at:%Y%m%d%H%M%S}@{domain}>"


def notification_send(*, notification_id: int, now: datetime | None = None) -> str:
    """Send one notification at most once. Returns its status afterwards, or "" when another
    task has it (or it is already done).

    Raises ``RetryLater`` after a temporary failure while tries remain; after the last try the
    row is left ``failed`` with the error, for staff to see.
    """
    from mentorship.emails import absolute_url, send_templated_email

    now = now or timezone.now()
    notification = _claim(notification_id, now)
    if notification is None:
        return ""
    if notification.status == Notification.Status.SKIPPED:
        return Notification.Status.SKIPPED  # unsubscribed or left: skipped by the claim itself
    claimed_at = notification.claimed_at
    kind = get_kind(notification.kind)

    def skip(reason: str) -> str:
        _finish(notification_id, claimed_at, status=Notification.Status.SKIPPED, skip_reason=reason)
        return Notification.Status.SKIPPED

    if kind is None:
        return skip("unknown kind")
    recipient = notification.recipient  # one query: the kind's build and the email need it
    try:
        email = kind.build(notification)
        if email is None:
            return skip("no longer due")
        unsubscribe_url = absolute_url(
            reverse(
                "notifications:unsubscribe",
                kwargs={"token": unsubscribe_token(recipient.pk, kind.name)},
            )
        )
        send_templated_email(
            to=recipient.email,
            template_prefix=email.template_prefix,
            context={"recipient": recipient, **email.context},
            attachments=email.attachments,
            alternatives=email.alternatives,
            headers={
                "Message-ID": _message_id(notification),
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Mentorship-Kind": kind.name,
            },
            footer={
                "kind": kind,
                "unsubscribe_url": unsubscribe_url,
                "settings_url": absolute_url(reverse("notifications:settings")),
            },
        )
    except smtplib.SMTPRecipientsRefused as exc:
        # The server refused the address itself: trying again will not help.
        _finish(
            notification_id,
            claimed_at,
            status=Notification.Status.FAILED,
            last_error=f"recipient refused: {exc.recipients}"[:2000],
        )
        return Notification.Status.FAILED
    except (smtplib.SMTPException, OSError) as exc:
        attempts = notification.attempts
        error = f"attempt {attempts}: {type(exc).__name__}: {exc}"[:2000]
        if attempts >= MAX_ATTEMPTS:
            _finish(
                notification_id, claimed_at, status=Notification.Status.FAILED, last_error=error
            )
            logger.error(
                "Notification %s failed after %s tries: %s", notification_id, attempts, exc
            )
            return Notification.Status.FAILED
        wait = backoff(attempts)
        _finish(
            notification_id,
            claimed_at,
            status=Notification.Status.PENDING,
            next_attempt_at=now + timedelta(seconds=wait),
            last_error=error,
        )
        raise RetryLater(wait, exc) from exc
    except Exception as exc:
        # A bug (a template, a build function): retrying would fail the same way.
        _finish(
            notification_id,
            claimed_at,
            status=Notification.Status.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    _finish(
        notification_id,
        claimed_at,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
    )
    if kind.sent is not None:
        try:
            kind.sent(notification)
        except Exception:  # a display stamp; the email is out and must not be sent again
            logger.exception("The %s sent hook failed for %s", kind.name, notification_id)
    return Notification.Status.SENT


# --- Requeueing -------------------------------------------------------------------------------


def notifications_to_requeue(*, now: datetime | None = None) -> list[int]:
    """Rows that should be on the queue and may not be: pending past their next attempt (and
    past the grace of their own on-commit queueing), or claimed by a worker that died."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(attempts__lt=MAX_ATTEMPTS)
        .filter(
            Q(
                status=Notification.Status.PENDING,
                next_attempt_at__lte=now,
                created_at__lte=now - REQUEUE_GRACE,
            )
            | Q(status=Notification.Status.SENDING, claimed_at__lt=now - lease())
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )


def outbox_requeue(*, now: datetime | None = None) -> int:
    return queue_sends(notifications_to_requeue(now=now))


def notifications_retry_failed(*, ids: Iterable[int]) -> int:
    """Staff: give failed rows a fresh set of tries (after fixing the mail server)."""
    ids = list(
        Notification.objects.filter(
            pk__in=list(ids), status=Notification.Status.FAILED
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        Notification.objects.filter(pk__in=ids, status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_at=None,
        )
        transaction.on_commit(lambda: queue_sends(ids), robust=True)
    return len(ids)


# --- Preferences ------------------------------------------------------------------------------


def notification_opt_out(*, user_id: int, kind: str, via: str) -> bool:
    """Switch one kind off for one person; pending rows of that kind are skipped. Idempotent."""
    if get_kind(kind) is None:
        raise ValueError(f"unknown notification kind {kind!r}")
    with transaction.atomic():
        _, created = NotificationOptOut.objects.get_or_create(
            user_id=user_id, kind=kind, defaults={"via": via}
        )
        Notification.objects.filter(
            recipient_id=user_id, kind=kind, status=Notification.Status.PENDING
        ).update(status=Notification.Status.SKIPPED, skip_reason="unsubscribed")
    return created


def notification_opt_in(*, user_id: int, kind: str) -> bool:
    deleted, _ = NotificationOptOut.objects.filter(user_id=user_id, kind=kind).delete()
    return bool(deleted)


def notification_preferences_set(*, user_id: int, kinds: Iterable[str], enabled: Iterable[str]):
    """The settings page: of the ``kinds`` it showed, exactly those in ``enabled`` are on."""
    enabled = set(enabled)
    with transaction.atomic():
        for kind in kinds:
            if kind in enabled:
                notification_opt_in(user_id=user_id, kind=kind)
            else:
                notification_opt_out(
                    user_id=user_id, kind=kind, via=NotificationOptOut.Via.SETTINGS
                )
