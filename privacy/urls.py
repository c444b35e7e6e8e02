from __future__ import annotations

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/people/<int:pk>/", views.person, name="person"),
    path("privacy/people/<int:pk>/export/", views.person_export_download, name="export"),
    path("privacy/people/<int:pk>/erase/", views.person_erase_confirm, name="erase"),
]
