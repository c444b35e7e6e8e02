from __future__ import annotations

from django.urls import path

from reports import export_views

app_name = "report_exports"

urlpatterns = [
    path(
        "reports/export/participants.csv",
        export_views.participants_csv,
        name="participants_csv",
    ),
    path(
        "reports/export/participants.xlsx",
        export_views.participants_xlsx,
        name="participants_xlsx",
    ),
]
