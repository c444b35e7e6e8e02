from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from people.models import DirectoryImport, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["last_name", "first_name", "id"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "employee_id",
        "department",
        "is_hr",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_hr", "is_staff", "is_active", "department"]
    search_fields = ["email", "first_name", "last_name", "employee_id"]
    raw_id_fields = ["manager"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        (
            "Directory",
            {
                "fields": (
                    "employee_id",
                    "department",
                    "title",
                    "level",
                    "location",
                    "timezone",
                    "manager",
                    "hire_date",
                    "end_date",
                )
            },
        ),
        (
            "Roles",
            {
                "fields": (
                    "is_hr",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(DirectoryImport)
class DirectoryImportAdmin(admin.ModelAdmin):
    """A record of what HR loaded. Read-only: imports go through the Import page or command."""

    list_display = ["created_at", "filename", "status", "uploaded_by", "applied_at"]
    list_filter = ["status"]
    exclude = ["content"]
    readonly_fields = [
        "created_at",
        "filename",
        "sha256",
        "status",
        "uploaded_by",
        "applied_by",
        "applied_at",
        "summary",
        "report",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
