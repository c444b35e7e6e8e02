"""Staff pages: the outbox (every notification by kind and status, failed ones retried) and
the audit log (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count

from mentorship import outbox
from mentorship.models import AuditEvent, Notification, NotificationOptOut


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the app only: staff read them, nobody adds, edits or deletes one here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "recipient",
        "status",
        "due_at",
        "sent_at",
        "attempts",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__email", "kind"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["retry_failed"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    change_list_template = "admin/mentorship/notification/change_list.html"

    @admin.display(description="Last error")
    def short_error(self, obj: Notification) -> str:
        return obj.last_error[:80]

    @admin.action(description="Retry the selected failed notifications")
    def retry_failed(self, request, queryset) -> None:
        count = outbox.notifications_retry_failed(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} failed notification(s) queued again.", messages.INFO)

    def changelist_view(self, request, extra_context=None):
        # The outbox at a glance: how many of each kind are sent, pending, failed.
        counts = (
            Notification.objects.values("kind", "status").annotate(n=Count("id")).order_by("kind")
        )
        table: dict[str, dict[str, int]] = {}
        for row in counts:
            table.setdefault(row["kind"], {})[row["status"]] = row["n"]
        statuses = [s.value for s in Notification.Status]
        summary = [(kind, [by.get(s, 0) for s in statuses]) for kind, by in table.items()]
        extra_context = {**(extra_context or {}), "summary": summary, "statuses": statuses}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "via", "created_at"]
    list_filter = ["kind", "via"]
    search_fields = ["user__email"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log, for staff only, and for reading only (the database refuses edits too).

    Any active staff account sees it, without needing the model's view permission: the log is
    how staff check what other staff did, so it is not something one of them can be left out
    of. Nobody can add, change or delete a row here.
    """

    list_display = ["at", "action", "actor", "target", "ip", "path"]
    list_filter = ["action", "at"]
    search_fields = ["actor__email"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    show_full_result_count = False
    actions = None

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    @admin.display(description="Target")
    def target(self, obj: AuditEvent) -> str:
        return f"{obj.target_type} {obj.target_id}".strip()
