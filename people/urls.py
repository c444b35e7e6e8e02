from __future__ import annotations

from django.urls import path

from people import import_views, views

app_name = "people"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/<int:pk>/", import_views.import_preview, name="import_preview"),
]
