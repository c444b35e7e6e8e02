from __future__ import annotations

from django.urls import path

from goals import views_pair

urlpatterns = [
    path("pairs/", views_pair.pair_list, name="pair_list"),
    path("pairs/<int:pk>/", views_pair.pair, name="pair"),
    path("pairs/<int:pk>/agreement/", views_pair.agreement, name="agreement"),
    path(
        "pairs/<int:pk>/agreement/confirm/",
        views_pair.agreement_confirm_view,
        name="agreement_confirm",
    ),
    path("manage/cohorts/<slug:slug>/pairs/", views_pair.cohort_pairs, name="cohort_pairs"),
]
