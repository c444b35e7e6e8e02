"""Cached figures derived from the directory (the retention reports) are stored under the
directory's version (``mentorship.cache_versions``): a change of a fact they use bumps it.

Connected in ``PeopleConfig.ready``. Bulk writes send no signals, so the services that write
in bulk bump themselves: the directory import (``people.directory_import``) and the leavers'
deactivation (``people.services``). Here the single-row writes, wherever they happen (the
Django admin, a shell, a service): a new person, a person deleted, and a save that changes one
of ``FIGURE_FIELDS``. A save limited by ``update_fields`` to other fields (``last_login`` on
every sign-in) costs nothing; another save of an existing person costs one SELECT to compare.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from mentorship.cache_versions import DIRECTORY, PARTICIPATION, bump_on_commit
from people.models import User

# What derived figures read about a person: in the directory at all, employed from when to
# when, department and level.
FIGURE_FIELDS = ("employee_id", "hire_date", "end_date", "department", "level")


def connect() -> None:
    pre_save.connect(remember_figure_fields, sender=User, dispatch_uid="cache_user_before")
    post_save.connect(user_saved, sender=User, dispatch_uid="cache_user_saved")
    post_delete.connect(user_deleted, sender=User, dispatch_uid="cache_user_deleted")


def remember_figure_fields(sender, instance: User, raw=False, update_fields=None, **kwargs):
    instance._figure_fields_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(FIGURE_FIELDS):
        return
    instance._figure_fields_before = (
        User.objects.filter(pk=instance.pk).values_list(*FIGURE_FIELDS).first()
    )


def user_saved(sender, instance: User, created=False, raw=False, update_fields=None, **kwargs):
    before = getattr(instance, "_figure_fields_before", None)
    instance._figure_fields_before = None
    changed = before is not None and before != tuple(getattr(instance, f) for f in FIGURE_FIELDS)
    if created or raw or changed:
        bump_on_commit(DIRECTORY)


def user_deleted(sender, instance: User, **kwargs) -> None:
    # Their enrolments and matches go with them (the cascade's rows leave it to this bump).
    bump_on_commit(DIRECTORY, PARTICIPATION)
