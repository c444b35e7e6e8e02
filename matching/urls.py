from __future__ import annotations

from django.urls import path

from matching import views, views_participant

app_name = "matching"

urlpatterns = [
    path("manage/cohorts/<slug:slug>/matching/", views.board, name="board"),
    path("manage/cohorts/<slug:slug>/matching/run/", views.run, name="run"),
    path(
        "manage/cohorts/<slug:slug>/matching/requests/",
        views.mentor_requests,
        name="requests",
    ),
    path("manage/cohorts/<slug:slug>/matching/pair/", views.pair, name="pair"),
    path("manage/cohorts/<slug:slug>/matching/publish/", views.publish, name="publish"),
    path("manage/cohorts/<slug:slug>/matching/<int:pk>/end/", views.end, name="end"),
    path("manage/cohorts/<slug:slug>/matching/<int:pk>/move/", views.move, name="move"),
    path("enrollments/<int:pk>/match/", views_participant.my_match, name="my_match"),
]
