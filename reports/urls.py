from __future__ import annotations

from django.urls import path

from reports import engagement_views

app_name = "reports"

urlpatterns = [
    path("reports/engagement/", engagement_views.engagement_overview, name="engagement"),
    path(
        "reports/engagement/<slug:slug>/",
        engagement_views.engagement_program,
        name="engagement_program",
    ),
]
