"""Object lookups scoped to the requesting user: outsiders get 404.

Program admins manage only the programs they administer; HR and staff see all programs.
Participants reach only their own enrollments.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from people.access import role_required
from people.roles import roles_for
from programs.models import Cohort, Enrollment, Program

# Pages for whoever runs programs: program admins, HR and staff (who must use MFA).
program_manager_required = role_required(
    lambda roles: roles.is_program_admin or roles.sees_directory
)


def managed_programs(user) -> QuerySet[Program]:
    if roles_for(user).sees_directory:
        return Program.objects.all()
    return Program.objects.filter(admins=user)


def get_program_for_manager(user, slug: str) -> Program:
    return get_object_or_404(managed_programs(user), slug=slug)


def get_cohort_for_manager(user, slug: str) -> Cohort:
    """A cohort of ``managed_programs(user)``: every one for HR and staff, else of a program
    they administer (a join on the admins, one row at most: the pair is unique; cheaper to
    build than the subquery of managed programs on every page of a cohort)."""
    cohorts = Cohort.objects.select_related("program")
    if not roles_for(user).sees_directory:
        cohorts = cohorts.filter(program__admins=user)
    return get_object_or_404(cohorts, slug=slug)


def get_enrollment_for_participant(user, pk: int) -> Enrollment:
    return get_object_or_404(
        Enrollment.objects.select_related("cohort__program", "person").filter(person=user), pk=pk
    )
