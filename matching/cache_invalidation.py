"""Cached figures derived from who took part where (the retention reports) are stored under
the participation version (``mentorship.cache_versions``): a match that is or was published
changing bumps it.

Connected in ``MatchingConfig.ready``. The services that publish, end or move matches with
``QuerySet.update`` bump themselves (``matching.services``); here the single-row writes (a
mentor accepting a request creates an active match, the Django admin, a shell). Proposed
matches are drafts no figure reads: creating or deleting one (a matching run replaces
hundreds) does not bump; saving an existing one does, in case it was published before.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from matching.models import Match
from mentorship.cache_versions import PARTICIPATION, bump_on_commit, cascaded_from
from people.models import User
from programs.models import Cohort, Enrollment, Program

FIGURE_FIELDS = {"status", "cohort", "cohort_id", "mentee", "mentee_id", "mentor", "mentor_id"}


def connect() -> None:
    post_save.connect(match_saved, sender=Match, dispatch_uid="cache_match_saved")
    post_delete.connect(match_deleted, sender=Match, dispatch_uid="cache_match_deleted")


def match_saved(sender, instance: Match, created=False, update_fields=None, **kwargs) -> None:
    if created and instance.status == Match.Status.PROPOSED:
        return
    if update_fields is None or set(update_fields) & FIGURE_FIELDS:
        bump_on_commit(PARTICIPATION)


def match_deleted(sender, instance: Match, origin=None, **kwargs) -> None:
    if instance.status == Match.Status.PROPOSED:
        return
    if not cascaded_from(origin, Program, Cohort, Enrollment, User):
        bump_on_commit(PARTICIPATION)
