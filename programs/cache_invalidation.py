"""Cached figures derived from who took part where (the retention reports) are stored under
the participation version (``mentorship.cache_versions``): a program renamed, a cohort
created, edited (name, slug, start, program) or deleted, an enrolment created, moved or
deleted bumps it.

Connected in ``ProgramsConfig.ready``. Signals see single-row writes wherever they happen (the
Django admin, services, a shell); the bulk writes of enrolments change only statuses and
intake answers, which retention does not read (it counts published matches), so they need no
bump. A save limited by ``update_fields`` to other fields (intake answers, reminder settings)
does not bump.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from mentorship.cache_versions import PARTICIPATION, bump_on_commit, cascaded_from
from people.models import User
from programs.models import Cohort, Enrollment, Program

# What derived figures read of each model (field names and attnames, as update_fields has them).
FIGURE_FIELDS = {
    Program: {"name", "slug"},
    Cohort: {"name", "slug", "starts_on", "program", "program_id"},
    Enrollment: {"person", "person_id", "cohort", "cohort_id", "role"},
}
# Deleting one of these deletes the rows below it; its own receiver bumps.
OWNERS = {Program: (), Cohort: (Program,), Enrollment: (Program, Cohort, User)}


def connect() -> None:
    for model in FIGURE_FIELDS:
        name = model._meta.model_name
        post_save.connect(saved, sender=model, dispatch_uid=f"cache_{name}_saved")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"cache_{name}_deleted")


def saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or set(update_fields) & FIGURE_FIELDS[sender]:
        bump_on_commit(PARTICIPATION)


def deleted(sender, instance, origin=None, **kwargs) -> None:
    if not cascaded_from(origin, *OWNERS[sender]):
        bump_on_commit(PARTICIPATION)
