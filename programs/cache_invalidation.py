"""Cache versions that the programs' data bumps (``mentorship.cache_versions``).

The participation version (``PARTICIPATION``) holds cached figures derived from who took part
where (the retention reports): a program renamed, a cohort created, edited (name, slug, start,
program) or deleted, an enrolment created, moved or deleted bumps it. A save limited by
``update_fields`` to other fields (intake answers, reminder settings, statuses) does not: the
bulk writes of enrolments change only statuses and intake answers, which retention does not
read (it counts published matches).

The enrolments versions (defined here) hold what the programs' own pages show and cache as
rendered HTML (the cohort dashboard): any field of a program, cohort, enrolment or topic, and
the topics an intake offers or seeks. Each cohort has its own (``cohort_enrolments``), bumped
by every save or delete of the cohort or of one of its enrolments and by every change of one
of its intakes' topics; programs and topics bump ``ENROLMENTS``, which every cohort's pages
hold too. The services' bulk writes of enrolments (``programs.services``) bump their cohort's
themselves, as they send no signal.

The cohorts version (``COHORTS``) holds what is cached of every cohort and program at once
(the cohorts open for applications, on everyone's home): any save or delete of a cohort or a
program bumps it, whichever fields (``cohort_update`` saves only the fields it changes).

The notifications' record of when an invitation or decision went out
(``programs.notifications``) is on no page that caches, so it bumps nothing.

Connected in ``ProgramsConfig.ready``. Signals see single-row writes wherever they happen (the
Django admin, services, a shell).
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from mentorship.cache_versions import PARTICIPATION, bump_on_commit, cascaded_from
from people.models import User
from programs.models import Cohort, Enrollment, Program, Topic

# Every field the programs' pages show of programs and topics (all their cohorts' pages).
ENROLMENTS = "enrolments"
# Every field of every cohort and program (lists across cohorts: those open for applications).
COHORTS = "cohorts"


def cohort_enrolments(cohort_id: int) -> str:
    """The version of one cohort's own data: the cohort, its enrolments and their intakes'
    topics (an intake saved in one cohort leaves the other cohorts' pages cached)."""
    return f"{ENROLMENTS}:cohort:{cohort_id}"


# What derived figures read of each model (field names and attnames, as update_fields has them).
FIGURE_FIELDS = {
    Program: {"name", "slug"},
    Cohort: {"name", "slug", "starts_on", "program", "program_id"},
    Enrollment: {"person", "person_id", "cohort", "cohort_id", "role"},
}
# Deleting one of these deletes the rows below it; its own receiver bumps (a person deleted
# bumps the participation and people versions: people.cache_invalidation).
OWNERS = {Program: (), Cohort: (Program,), Enrollment: (Program, Cohort, User), Topic: (Program,)}


def connect() -> None:
    for model in (*FIGURE_FIELDS, Topic):
        name = model._meta.model_name
        post_save.connect(saved, sender=model, dispatch_uid=f"cache_{name}_saved")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"cache_{name}_deleted")
    for through in (Enrollment.topics_offered.through, Enrollment.topics_sought.through):
        m2m_changed.connect(
            topics_changed, sender=through, dispatch_uid=f"cache_{through._meta.model_name}"
        )


def _own(sender, instance) -> str:
    """The namespace a row of ``sender`` bumps besides the participation version."""
    if sender is Enrollment:
        return cohort_enrolments(instance.cohort_id)
    if sender is Cohort:
        return cohort_enrolments(instance.pk)
    return ENROLMENTS  # a program or a topic: every cohort of the program


def _namespaces(sender, instance, *, figures: bool) -> list[str]:
    namespaces = [_own(sender, instance)]
    if figures:
        namespaces.append(PARTICIPATION)
    if sender in (Cohort, Program):
        namespaces.append(COHORTS)
    return namespaces


def saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    figures = FIGURE_FIELDS.get(sender)
    changed = bool(figures) and (created or update_fields is None or set(update_fields) & figures)
    bump_on_commit(*_namespaces(sender, instance, figures=changed))


def deleted(sender, instance, origin=None, **kwargs) -> None:
    if cascaded_from(origin, *OWNERS[sender]):
        return
    bump_on_commit(*_namespaces(sender, instance, figures=sender in FIGURE_FIELDS))


def topics_changed(sender, instance, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        # From the enrolment's side (the intake), or from a topic's (any enrolment).
        own = _own(Enrollment, instance) if isinstance(instance, Enrollment) else ENROLMENTS
        bump_on_commit(own)
