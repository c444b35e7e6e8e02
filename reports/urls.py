from __future__ import annotations

from django.urls import path

from reports import engagement_views, retention_views

app_name = "reports"

urlpatterns = [
    path("reports/engagement/", engagement_views.engagement_overview, name="engagement"),
    path(
        "reports/engagement/<slug:slug>/",
        engagement_views.engagement_program,
        name="engagement_program",
    ),
    path("reports/retention/", retention_views.retention_report, name="retention"),
    path("reports/retention.csv", retention_views.retention_csv, name="retention_csv"),
]
