"""The notification outbox: every reminder, nudge and notice is a row before it is an email.

A row's unique key (kind, recipient, subject, period) is what makes "sent once" hold: a scan or
a service records the row (a second record of the same key is a no-op), and a send task claims
it with a conditional UPDATE before sending. See ``mentorship.outbox``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=40, help_text="A registered kind (mentorship.notifications)")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject_id = models.BigIntegerField(
        default=0, help_text="Id of the kind's subject (the kind says which model); 0 for none"
    )
    period = models.CharField(
        max_length=40,
        blank=True,
        help_text="Which occurrence: a date, a week, a version; empty for a one-off",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(default=timezone.now, help_text="When it became due")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="A pending row is not queued again before this"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "subject_id", "period"], name="notification_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed", "skipped"]),
                name="notification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="notification_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False),
                name="notification_sending_is_claimed",
            ),
        ]
        indexes = [
            # The requeue scan: rows still to send (a small part of the table).
            models.Index(
                fields=["next_attempt_at"],
                name="notification_unsent",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["status", "kind"], name="notification_status_kind"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.status})"


class NotificationOptOut(models.Model):
    """A person switched one kind of email off (from an email's link or their settings)."""

    class Via(models.TextChoices):
        LINK = "link", "Unsubscribe link"
        SETTINGS = "settings", "Notification settings"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs"
    )
    kind = models.CharField(max_length=40)
    via = models.CharField(max_length=8, choices=Via.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_opt_out_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} opted out of {self.kind}"
