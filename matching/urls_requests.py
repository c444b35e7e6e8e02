from __future__ import annotations

from django.urls import path

from matching import views_requests

app_name = "requests"

urlpatterns = [
    path("enrollments/<int:pk>/mentor/", views_requests.choose, name="choose"),
    path("enrollments/<int:pk>/requests/", views_requests.incoming, name="incoming"),
    path(
        "enrollments/<int:pk>/requests/<int:request_pk>/",
        views_requests.decide,
        name="decide",
    ),
]
