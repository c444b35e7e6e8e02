from __future__ import annotations

from django.urls import path

from mentorship import views_notifications as views

app_name = "notifications"

urlpatterns = [
    path("settings/email/", views.notification_settings, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
