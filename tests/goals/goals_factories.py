"""Goals for tests: ``make_goal(match, ...)`` with sensible SMART defaults."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from goals.models import Goal, Milestone


def make_goal(match, *, owner=None, milestones=(), **extra) -> Goal:
    """A goal of the pair's mentee (or ``owner``); metric 0 -> 10 talks unless told otherwise.

    ``milestones``: titles; gives a milestone goal when ``measure_kind`` is not set.
    """
    if milestones:
        extra.setdefault("measure_kind", Goal.MeasureKind.MILESTONES)
    kind = extra.setdefault("measure_kind", Goal.MeasureKind.METRIC)
    if kind == Goal.MeasureKind.METRIC:
        extra.setdefault("baseline", Decimal(0))
        extra.setdefault("target", Decimal(10))
        extra.setdefault("metric_unit", "talks")
    extra.setdefault("title", "Give 10 internal tech talks")
    extra.setdefault("relevance", "Speaking is expected of a staff engineer.")
    extra.setdefault("due_on", timezone.localdate() + timedelta(days=60))
    extra.setdefault("status", Goal.Status.AGREED)
    goal = Goal.objects.create(match=match, owner=owner or match.mentee, **extra)
    Milestone.objects.bulk_create(
        [Milestone(goal=goal, title=title, position=i) for i, title in enumerate(milestones)]
    )
    return goal
