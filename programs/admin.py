"""The Django admin for staff: a raw view of programs, topics, cohorts and enrollments.

Program admins and HR work in the app's own pages; this is for operators fixing data.
"""

from __future__ import annotations

from django.contrib import admin

from programs.models import Cohort, Enrollment, Program, Topic


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["admins"]
    inlines = [TopicInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "program"]
    list_filter = ["program"]
    search_fields = ["name"]
    list_select_related = ["program"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "program",
        "application_opens",
        "application_closes",
        "starts_on",
        "ends_on",
        "matching_mode",
    ]
    list_filter = ["program", "matching_mode"]
    search_fields = ["name", "slug", "program__name"]
    list_select_related = ["program"]
    date_hierarchy = "starts_on"
    fieldsets = [
        (None, {"fields": ["program", "name", "slug"]}),
        (
            "Applications and dates",
            {"fields": ["application_opens", "application_closes", "starts_on", "ends_on"]},
        ),
        (
            "Meetings and capacity",
            {
                "fields": [
                    "cadence_days",
                    "default_mentor_capacity",
                    "max_mentor_capacity",
                    "matching_mode",
                ]
            },
        ),
        (
            "Matching rules",
            {
                "fields": [
                    "rule_exclude_same_department",
                    "rule_exclude_management_chain",
                    "rule_min_level_gap",
                    "rule_max_timezone_diff_hours",
                ]
            },
        ),
        ("Matching weights", {"fields": list(Cohort.WEIGHT_FIELDS)}),
    ]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["person", "cohort", "role", "status", "source", "capacity", "created_at"]
    list_filter = ["role", "status", "source", "cohort__program"]
    search_fields = ["person__email", "person__first_name", "person__last_name", "cohort__name"]
    list_select_related = ["person", "cohort__program"]
    raw_id_fields = ["person", "cohort", "invited_by", "decided_by"]
    filter_horizontal = ["topics_offered", "topics_sought"]
    readonly_fields = ["created_at", "updated_at"]
