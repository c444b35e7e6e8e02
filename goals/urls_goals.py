"""SMART goals of a pair, and the goal templates of a program for the people who run it."""

from __future__ import annotations

from django.urls import path

from goals import views_goal_templates, views_goals

GOAL = "pairs/<int:pk>/goals/<int:goal_pk>/"
TEMPLATES = "manage/programs/<slug:slug>/goal-templates/"

urlpatterns = [
    path("pairs/<int:pk>/goals/", views_goals.goal_list, name="goal_list"),
    path("pairs/<int:pk>/goals/new/", views_goals.goal_new, name="goal_new"),
    path("pairs/<int:pk>/goals/check/", views_goals.goal_check, name="goal_check"),
    path(GOAL, views_goals.goal_detail, name="goal"),
    path(f"{GOAL}edit/", views_goals.goal_edit, name="goal_edit"),
    path(f"{GOAL}decide/", views_goals.goal_decide, name="goal_decide"),
    path(f"{GOAL}status/", views_goals.goal_status, name="goal_status"),
    path(f"{GOAL}progress/", views_goals.goal_progress, name="goal_progress"),
    path(
        f"{GOAL}milestones/<int:milestone_pk>/",
        views_goals.milestone_toggle,
        name="milestone_toggle",
    ),
    path(TEMPLATES, views_goal_templates.template_list, name="goal_templates"),
    path(f"{TEMPLATES}new/", views_goal_templates.template_new, name="goal_template_new"),
    path(
        f"{TEMPLATES}<int:template_pk>/edit/",
        views_goal_templates.template_edit,
        name="goal_template_edit",
    ),
    path(
        f"{TEMPLATES}<int:template_pk>/active/",
        views_goal_templates.template_active,
        name="goal_template_active",
    ),
]
