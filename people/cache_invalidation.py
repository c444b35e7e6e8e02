"""Cached figures derived from the directory (the retention reports) are stored under the
directory's version (``mentorship.cache_versions``): a change of a fact they use bumps it.
Rendered fragments that print people are stored under the people version: a change of what
they print of a person (``SHOWN_FIELDS``) bumps that.

Connected in ``PeopleConfig.ready``. Bulk writes send no signals, so the services that write
in bulk bump themselves: the directory import (``people.directory_import``) and the leavers'
deactivation (``people.services``). Here the single-row writes, wherever they happen (the
Django admin, a shell, a service): a new person, a person deleted, and a save that changes one
of ``FIGURE_FIELDS`` or ``SHOWN_FIELDS``. A save limited by ``update_fields`` to other fields
(``last_login`` on every sign-in) costs nothing; another save of an existing person costs one
SELECT to compare.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from mentorship.cache_versions import DIRECTORY, PARTICIPATION, PEOPLE, bump_on_commit
from people.models import User

# What derived figures read about a person: in the directory at all, employed from when to
# when, department and level.
FIGURE_FIELDS = ("employee_id", "hire_date", "end_date", "department", "level")
# What pages print of a person besides those (a change of either bumps the people version):
# name, address, job, place, clock, manager, and whether they can still sign in.
SHOWN_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "title",
    "location",
    "timezone",
    "manager_id",
    "is_active",
    "erased_at",
)
COMPARED = FIGURE_FIELDS + SHOWN_FIELDS


def connect() -> None:
    pre_save.connect(remember_figure_fields, sender=User, dispatch_uid="cache_user_before")
    post_save.connect(user_saved, sender=User, dispatch_uid="cache_user_saved")
    post_delete.connect(user_deleted, sender=User, dispatch_uid="cache_user_deleted")


def remember_figure_fields(sender, instance: User, raw=False, update_fields=None, **kwargs):
    instance._figure_fields_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {_field(f) for f in update_fields} & set(COMPARED):
        return
    instance._figure_fields_before = (
        User.objects.filter(pk=instance.pk).values_list(*COMPARED).first()
    )


def _field(name: str) -> str:
    return "manager_id" if name == "manager" else name


def user_saved(sender, instance: User, created=False, raw=False, update_fields=None, **kwargs):
    before = getattr(instance, "_figure_fields_before", None)
    instance._figure_fields_before = None
    if created or raw:
        bump_on_commit(DIRECTORY, PEOPLE)
        return
    if before is None:
        return
    after = tuple(getattr(instance, f) for f in COMPARED)
    figures = len(FIGURE_FIELDS)
    changed = [DIRECTORY] if before[:figures] != after[:figures] else []
    if before != after:  # pages print the figures' fields too (department, level, dates)
        changed.append(PEOPLE)
    if changed:
        bump_on_commit(*changed)


def user_deleted(sender, instance: User, **kwargs) -> None:
    # Their enrolments and matches go with them (the cascade's rows leave it to this bump).
    bump_on_commit(DIRECTORY, PARTICIPATION, PEOPLE)
