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


class AuditEvent(models.Model):
    """One security-relevant thing that happened: who, when, what, from where.

    Append-only: the model refuses to save an existing row, and a trigger in the database
    (migration 0002) refuses UPDATE and DELETE, so not even the admin or a raw query can
    rewrite history. Rows are written by ``mentorship.audit.audit_record`` only.

    Personal data is kept to ids that erasure can reach: the actor is a foreign key (an erased
    person's row stays, anonymised, so the id keeps pointing at it), the target is a type and
    an id, and ``details`` holds counts, ids and names of things, never a note's text or an
    address typed by someone else.
    """

    class Action(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGOUT = "logout", "Signed out"
        ROLE_CHANGED = "role_changed", "Role changed"
        DIRECTORY_IMPORTED = "directory_imported", "Directory imported"
        ENROLLMENT_IMPORTED = "enrollment_imported", "Enrolment file imported"
        MATCHING_PUBLISHED = "matching_published", "Matching published"
        EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
        ACCESS_DENIED = "access_denied", "Access denied"
        PERSON_EXPORTED = "person_exported", "Person's data exported"
        PERSON_ERASED = "person_erased", "Person erased"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # A person who acted is anonymised, never deleted: deleting them would orphan the log.
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # audit_event_actor_at leads with actor
        help_text="Who did it; empty for the system (a command, a scheduled task)",
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(
        max_length=100, blank=True, help_text='What it was done to: "app_label.model"'
    )
    target_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    path = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action__in=[
                        "login",
                        "login_failed",
                        "logout",
                        "role_changed",
                        "directory_imported",
                        "enrollment_imported",
                        "matching_published",
                        "export_downloaded",
                        "access_denied",
                        "person_exported",
                        "person_erased",
                    ]
                ),
                name="audit_event_action_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["action", "-at"], name="audit_event_action_at"),
            models.Index(fields=["actor", "-at"], name="audit_event_actor_at"),
            models.Index(fields=["target_type", "target_id"], name="audit_event_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        # History is not edited: a second save of the same row is a bug, said loudly here
        # rather than by the database trigger's less helpful error.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events are append-only; this one is already saved")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only; they are never deleted")
