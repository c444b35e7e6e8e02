from __future__ import annotations

from django.urls import path

from programs import views_admin, views_enroll_file, views_participant

app_name = "programs"

urlpatterns = [
    # Participants (and everyone): programs open to them, applying, intake, withdrawing.
    path("programs/", views_participant.program_list, name="program_list"),
    path("programs/<slug:slug>/", views_participant.program_detail, name="program_detail"),
    path("cohorts/<slug:slug>/apply/", views_participant.cohort_apply, name="cohort_apply"),
    path("enrollments/<int:pk>/intake/", views_participant.intake, name="intake"),
    path("enrollments/<int:pk>/withdraw/", views_participant.withdraw, name="withdraw"),
    # Program admins, HR and staff.
    path("manage/programs/new/", views_admin.program_create, name="program_create"),
    path("manage/programs/<slug:slug>/", views_admin.program_manage, name="program_manage"),
    path("manage/programs/<slug:slug>/edit/", views_admin.program_edit, name="program_edit"),
    path("manage/programs/<slug:slug>/topics/", views_admin.program_topics, name="program_topics"),
    path(
        "manage/programs/<slug:slug>/cohorts/new/", views_admin.cohort_create, name="cohort_create"
    ),
    path("manage/cohorts/<slug:slug>/", views_admin.cohort_dashboard, name="cohort_dashboard"),
    path("manage/cohorts/<slug:slug>/edit/", views_admin.cohort_edit, name="cohort_edit"),
    path("manage/cohorts/<slug:slug>/enroll/", views_admin.cohort_enroll, name="cohort_enroll"),
    path(
        "manage/cohorts/<slug:slug>/applications/",
        views_admin.cohort_applications,
        name="cohort_applications",
    ),
    path(
        "manage/cohorts/<slug:slug>/enroll/file/",
        views_enroll_file.enroll_upload,
        name="enroll_upload",
    ),
    path(
        "manage/cohorts/<slug:slug>/enroll/file/<int:pk>/",
        views_enroll_file.enroll_preview,
        name="enroll_preview",
    ),
]
