"""Reads of a pair's goals: milestone counts and derived percent in one query."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from goals.models import Goal, GoalEvent, GoalTemplate
from goals.services.goals import goal_percent
from matching.models import Match
from programs.models import Program

S = Goal.Status

# Open goals first (those being worked on, then those waiting on someone), closed last.
STATUS_ORDER = [S.AGREED, S.CHANGES_REQUESTED, S.PROPOSED, S.DRAFT, S.PAUSED, S.ACHIEVED, S.DROPPED]
_STATUS_RANK = {status: i for i, status in enumerate(STATUS_ORDER)}


def with_milestone_counts(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    return goals.annotate(
        milestones_total=Count("milestones"),
        milestones_done=Count("milestones", filter=Q(milestones__done_at__isnull=False)),
    )


# What a list of goals prints (goals/goals/_goal_list.html, _progress_bar.html): title,
# status, due date, progress, and the owner's name in peer pairs.
LISTED_COLUMNS = (
    "match",
    "owner",
    "title",
    "status",
    "due_on",
    "measure_kind",
    "metric_unit",
    "baseline",
    "target",
    "current_value",
    "owner__person",
    "owner__person__first_name",
    "owner__person__last_name",
    "owner__person__email",
)


def goals_for_pair(match: Match, *, include_dropped: bool = True) -> list[Goal]:
    """The pair's goals, each with ``milestones_total``, ``milestones_done``, ``percent`` and
    ``url`` (its page).

    One query whatever the number of goals and milestones. Ordered open first (agreed, then
    waiting on someone, drafts, paused), achieved and dropped last; by due date within each.
    Loads the columns lists of goals print (never the description or relevance text).
    """
    goals = Goal.objects.filter(match=match).select_related("owner__person").only(*LISTED_COLUMNS)
    if not include_dropped:
        goals = goals.exclude(status=S.DROPPED)
    # A pair has a handful of goals: sorted here, not by a CASE of seven WHENs that cost more
    # to build and compile than the rows cost to sort (2.7 -> 1.8 ms of CPU at the bench).
    # Due dates as PostgreSQL orders them: the undated last.
    rows = sorted(
        with_milestone_counts(goals),
        key=lambda g: (
            _STATUS_RANK.get(g.status, len(STATUS_ORDER)),
            g.due_on is None,
            g.due_on or date.min,
            g.pk,
        ),
    )
    # One reverse() for the list, not one a goal: a goal's page is under its pair's list.
    goals_url = reverse("goals:goal_list", args=[match.pk])
    for goal in rows:
        goal.percent = goal_percent(goal)
        goal.url = f"{goals_url}{goal.pk}/"
    return rows


def goal_history(goal: Goal) -> QuerySet[GoalEvent]:
    """The goal's events, oldest first, with who did each."""
    return goal.events.select_related("actor").order_by("at", "id")


def goal_templates_for_program(program: Program, *, active_only: bool = False):
    """A program's goal templates with how many goals started from each."""
    templates = GoalTemplate.objects.filter(program=program)
    if active_only:
        templates = templates.filter(is_active=True)
    return templates.annotate(goals_started=Count("goals")).order_by("-is_active", "title")
