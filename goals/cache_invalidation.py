"""Cached pair health (``goals.selectors.pairs.cohort_health_index``) is stored under the pair
activity version (``mentorship.cache_versions``): any meeting, check-in, agreement revision,
goal or milestone written or deleted bumps it.

Connected in ``GoalsConfig.ready``. Signals see single-row writes wherever they happen
(services, the Django admin, a shell, deletes that cascade); the services' bulk writes of
milestones send none and bump themselves (``goals.services.goals``). A match published, ended
or moved bumps the participation version (``matching.cache_invalidation``), which the cache
key holds too, as it holds the cohort's start and rhythm. Health also moves with the clock (a
meeting's start passing, a check-in waiting its third day), which no write announces: entries
live ``HEALTH_CACHE_SECONDS`` at most.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from goals.models import AgreementRevision, CheckIn, Goal, Meeting, Milestone
from mentorship.cache_versions import bump_on_commit

# Meetings, check-ins and their reviews, agreed rhythms, goals and milestones of every pair.
PAIR_ACTIVITY = "pair-activity"

HEALTH_MODELS = (Meeting, CheckIn, AgreementRevision, Goal, Milestone)


def connect() -> None:
    for model in HEALTH_MODELS:
        name = model._meta.model_name
        post_save.connect(changed, sender=model, dispatch_uid=f"cache_health_{name}_saved")
        post_delete.connect(changed, sender=model, dispatch_uid=f"cache_health_{name}_deleted")


def changed(sender, **kwargs) -> None:
    bump_on_commit(PAIR_ACTIVITY)
