"""Cached pair health (``goals.selectors.pairs.cohort_health_index``) is stored under the pair
activity version (``mentorship.cache_versions``): any meeting, check-in, agreement revision,
goal or milestone written or deleted bumps it.

Each pair also has a version of its own (``pair_namespace``), bumped with the company-wide one
by the same writes and by its goals' history (goal events): the pair page's rendered HTML is
keyed by it, so one pair's meeting does not invalidate the pages of the other 5,000 pairs.

Connected in ``GoalsConfig.ready``. Signals see single-row writes wherever they happen
(services, the Django admin, a shell, deletes that cascade); the services' bulk writes of
milestones send none and bump themselves (``goals.services.goals``, ``bump_pair``). A match
published, ended or moved bumps the participation version (``matching.cache_invalidation``),
which the cache key holds too, as it holds the cohort's start and rhythm. Health also moves
with the clock (a meeting's start passing, a check-in waiting its third day), which no write
announces: entries live ``HEALTH_CACHE_SECONDS`` at most.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from goals.models import AgreementRevision, CheckIn, Goal, GoalEvent, Meeting, Milestone
from mentorship.cache_versions import bump_on_commit

# Meetings, check-ins and their reviews, agreed rhythms, goals and milestones of every pair.
PAIR_ACTIVITY = "pair-activity"

HEALTH_MODELS = (Meeting, CheckIn, AgreementRevision, Goal, Milestone)


def pair_namespace(match_id: int) -> str:
    """The version namespace of one pair's activity (what its pair page shows of it)."""
    return f"{PAIR_ACTIVITY}:{match_id}"


def bump_pair(match_id: int | None) -> None:
    """Bump the company-wide pair activity and, when known, the pair's own version."""
    if match_id is None:
        bump_on_commit(PAIR_ACTIVITY)
    else:
        bump_on_commit(PAIR_ACTIVITY, pair_namespace(match_id))


def connect() -> None:
    for model in HEALTH_MODELS:
        name = model._meta.model_name
        post_save.connect(changed, sender=model, dispatch_uid=f"cache_health_{name}_saved")
        post_delete.connect(changed, sender=model, dispatch_uid=f"cache_health_{name}_deleted")
    # Goal events are the timeline's entries (health does not read them): the pair alone.
    post_save.connect(event_changed, sender=GoalEvent, dispatch_uid="cache_pair_goalevent_saved")
    post_delete.connect(
        event_changed, sender=GoalEvent, dispatch_uid="cache_pair_goalevent_deleted"
    )


def _match_id(instance, origin) -> int | None:
    """The pair a row belongs to; None when its goal's own receiver bumps (a cascade)."""
    match_id = getattr(instance, "match_id", None)
    if match_id is not None:
        return match_id
    goal_id = getattr(instance, "goal_id", None)
    if goal_id is None or isinstance(origin, Goal):
        return None
    goal_field = type(instance)._meta.get_field("goal")
    if goal_field.is_cached(instance):
        return instance.goal.match_id
    return Goal.objects.filter(pk=goal_id).values_list("match_id", flat=True).first()


def changed(sender, instance=None, origin=None, **kwargs) -> None:
    bump_pair(_match_id(instance, origin))


def event_changed(sender, instance=None, origin=None, **kwargs) -> None:
    match_id = _match_id(instance, origin)
    if match_id is not None:
        bump_on_commit(pair_namespace(match_id))
