from __future__ import annotations

from django.contrib import admin

from programs.models import Program


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["admins"]
