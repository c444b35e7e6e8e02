"""Reads for participants: programs open to them, their own enrollments and what is left to do.

A participant sees the public side of programs with a cohort open for applications and of
programs they are enrolled in; program admins and HR also see the programs they manage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list

from mentorship.cache_versions import cached, fragment_key, versions
from people.roles import roles_for
from programs.access import managed_programs
from programs.cache_invalidation import COHORTS
from programs.models import Cohort, Enrollment, Program
from programs.services.enrollment import intake_missing
from programs.services.participation import enrollment_intake_editable

# The open cohorts change with the day (in the key) and with cohort writes (the version).
OPEN_PROGRAMS_SECONDS = 24 * 60 * 60

PAST_STATUSES = (
    Enrollment.Status.COMPLETED,
    Enrollment.Status.WITHDRAWN,
    Enrollment.Status.DECLINED,
)


def _open_q(today, prefix: str = "") -> Q:
    return Q(
        **{f"{prefix}application_opens__lte": today, f"{prefix}application_closes__gte": today}
    )


def cohorts_open_for_applications(today=None) -> QuerySet[Cohort]:
    today = today or timezone.localdate()
    return Cohort.objects.filter(_open_q(today)).order_by("application_closes", "starts_on", "pk")


def programs_open_for_application(today=None) -> list[Program]:
    """Programs with a cohort open today (by name), each with ``open_cohorts`` (soonest
    deadline first): one query for the cohorts with their programs, kept in the cache for the
    day under the cohorts version (any cohort or program saved or deleted bumps it)."""
    today = today or timezone.localdate()

    def compute() -> list[Program]:
        programs: dict[int, Program] = {}
        for cohort in cohorts_open_for_applications(today).select_related("program"):
            if cohort.program_id not in programs:
                programs[cohort.program_id] = cohort.program
                cohort.program.open_cohorts = []
            programs[cohort.program_id].open_cohorts.append(cohort)
        return sorted(programs.values(), key=lambda program: (program.name, program.pk))

    return cached(
        lambda: fragment_key("open-programs", versions(COHORTS), today),
        compute,
        timeout=OPEN_PROGRAMS_SECONDS,
        what="programs open for application",
    )


# What the home and the program list print of a person's enrollments and what
# ``intake_missing`` and ``enrollment_intake_editable`` read: not the cohort's forty settings
# (the columns cost more to compile into the query than the query costs to run).
PARTICIPANT_ENROLLMENT_FIELDS = (
    "role",
    "status",
    "goals",
    "bio",
    "languages",
    "preferred_format",
    "cohort__name",
    "cohort__slug",
    "cohort__starts_on",
    "cohort__ends_on",
    "cohort__program__name",
    "cohort__program__slug",
)


def participant_enrollments(user) -> list[Enrollment]:
    """All of a person's enrollments, newest cohort first, ready for ``intake_missing``."""
    return list(
        Enrollment.objects.filter(person=user)
        .annotate(**_topic_flags())
        .select_related("cohort__program")
        .only(*PARTICIPANT_ENROLLMENT_FIELDS)
        .order_by("-cohort__starts_on", "cohort__name", "pk")
    )


def _topic_flags() -> dict[str, RawSQL]:
    """``with_topic_flags``'s two annotations as plain SQL on the enrolments table: the same
    EXISTS, without building two subqueries through the ORM on every home page (0.6 ms of
    its 2). Only for a queryset of enrolments evaluated as it is (its table is not renamed,
    as it would be inside another query)."""
    flags = {}
    table = Enrollment._meta.db_table
    quote = connection.ops.quote_name
    for name in ("topics_offered", "topics_sought"):
        through = Enrollment._meta.get_field(name).remote_field.through._meta
        column = next(
            f.column for f in through.fields if f.is_relation and f.related_model is Enrollment
        )
        flags[f"has_{name}"] = RawSQL(  # noqa: S611 (names from the models, no values)
            f"EXISTS (SELECT 1 FROM {quote(through.db_table)} AS topics "  # noqa: S608
            f"WHERE topics.{quote(column)} = {quote(table)}.{quote('id')})",
            [],
            output_field=BooleanField(),
        )
    return flags


def programs_visible_to_participant(user, today=None) -> QuerySet[Program]:
    """Programs whose public page the user may open (everything else is 404)."""
    today = today or timezone.localdate()
    visible = Q(Exists(Cohort.objects.filter(_open_q(today), program=OuterRef("pk")))) | Q(
        Exists(Enrollment.objects.filter(person=user, cohort__program=OuterRef("pk")))
    )
    roles = roles_for(user)
    if roles.is_program_admin or roles.sees_directory:
        visible |= Q(pk__in=managed_programs(user).values("pk"))
    return Program.objects.filter(visible)


def get_program_for_participant(user, slug: str) -> Program:
    return get_object_or_404(programs_visible_to_participant(user), slug=slug)


def get_cohort_for_applicant(user, slug: str) -> Cohort:
    """A cohort of a program the user may see (applying to it may still be refused)."""
    return get_object_or_404(
        Cohort.objects.select_related("program").filter(
            program__in=programs_visible_to_participant(user)
        ),
        slug=slug,
    )


def user_manages_program(user, program: Program) -> bool:
    roles = roles_for(user)
    if roles.sees_directory:
        return True
    return roles.is_program_admin and managed_programs(user).filter(pk=program.pk).exists()


# --- The participant's home: enrollments and what is left to do ------------------------------


@dataclass(frozen=True)
class Todo:
    text: str
    url: str = ""
    link_text: str = ""


@dataclass
class EnrollmentCard:
    enrollment: Enrollment
    missing: list[str]
    editable: bool
    todos: list[Todo] = field(default_factory=list)

    @property
    def missing_text(self) -> str:
        return get_text_list(self.missing, "and")


def _day(value) -> str:
    return date_format(value, "j F Y")


def enrollment_card(enrollment: Enrollment, today=None) -> EnrollmentCard:
    """One enrollment with what its person still has to do, in plain words."""
    today = today or timezone.localdate()
    cohort = enrollment.cohort
    card = EnrollmentCard(
        enrollment=enrollment,
        missing=intake_missing(enrollment),
        editable=enrollment_intake_editable(enrollment, today),
    )
    intake_url = reverse("programs:intake", kwargs={"pk": enrollment.pk})
    if not enrollment.is_active:
        return card
    if card.missing and card.editable:
        card.todos.append(
            Todo(
                text=f"Your intake is missing {card.missing_text}.",
                url=intake_url,
                link_text="Finish your intake",
            )
        )
    elif card.editable:
        card.todos.append(
            Todo(
                text="Your intake is complete; you can change it until the cohort starts.",
                url=intake_url,
                link_text="Review your intake",
            )
        )
    if enrollment.status == Enrollment.Status.APPLIED:
        card.todos.append(
            Todo(text="Waiting for the program admin's decision on your application.")
        )
    elif enrollment.status == Enrollment.Status.INVITED:
        card.todos.append(
            Todo(text="You are invited: completing your intake accepts the invitation.")
        )
    if today < cohort.starts_on:
        card.todos.append(Todo(text=f"The cohort starts on {_day(cohort.starts_on)}."))
    elif today <= cohort.ends_on:
        card.todos.append(Todo(text=f"The cohort runs until {_day(cohort.ends_on)}."))
    return card


@dataclass
class ParticipantHome:
    active: list[EnrollmentCard]
    past: list[Enrollment]
    open_programs: list[Program]


def participant_home(user, today=None) -> ParticipantHome:
    """A constant number of queries, however many enrollments the person has."""
    today = today or timezone.localdate()
    enrollments = participant_enrollments(user)
    active = sorted(
        (e for e in enrollments if e.is_active),
        key=lambda e: (e.cohort.starts_on, e.cohort.name, e.pk),
    )
    past = [e for e in enrollments if not e.is_active]
    in_cohorts = {e.cohort_id for e in enrollments}
    open_programs = []
    for program in programs_open_for_application(today):
        program.open_cohorts = [c for c in program.open_cohorts if c.pk not in in_cohorts]
        if program.open_cohorts:
            open_programs.append(program)
    return ParticipantHome(
        active=[enrollment_card(e, today) for e in active], past=past, open_programs=open_programs
    )


# --- The program list --------------------------------------------------------------------------


@dataclass
class MyProgram:
    program: Program
    enrollments: list[Enrollment]


@dataclass
class ProgramListing:
    mine: list[MyProgram]
    open_programs: list[Program]
    managed: list[Program]
    my_cohort_ids: set[int]


def program_listing(user, today=None) -> ProgramListing:
    """Programs open for application, the user's own, and (for admins and HR) those they manage."""
    today = today or timezone.localdate()
    enrollments = participant_enrollments(user)
    mine: dict[int, MyProgram] = {}
    for enrollment in enrollments:
        program = enrollment.cohort.program
        mine.setdefault(program.pk, MyProgram(program=program, enrollments=[]))
        mine[program.pk].enrollments.append(enrollment)
    roles = roles_for(user)
    managed = []
    if roles.is_program_admin or roles.sees_directory:
        managed = list(managed_programs(user).order_by("name"))
    return ProgramListing(
        mine=sorted(mine.values(), key=lambda m: m.program.name),
        open_programs=programs_open_for_application(today),
        managed=managed,
        my_cohort_ids={e.cohort_id for e in enrollments},
    )


@dataclass
class CohortOnPage:
    cohort: Cohort
    is_open: bool
    enrollment: Enrollment | None


@dataclass
class ProgramPage:
    program: Program
    cohorts: list[CohortOnPage]
    can_manage: bool


def program_page(user, program: Program, today=None) -> ProgramPage:
    """The open cohorts of a program and the cohorts the user is in, with their enrollment."""
    today = today or timezone.localdate()
    mine = {
        e.cohort_id: e
        for e in Enrollment.objects.filter(person=user, cohort__program=program)
        .select_related("cohort")
        .prefetch_related("topics_offered", "topics_sought")
    }
    cohorts = program.cohorts.filter(Q(_open_q(today)) | Q(pk__in=list(mine))).order_by(
        "-starts_on", "name"
    )
    return ProgramPage(
        program=program,
        cohorts=[
            CohortOnPage(
                cohort=c, is_open=c.is_open_for_applications(today), enrollment=mine.get(c.pk)
            )
            for c in cohorts
        ],
        can_manage=user_manages_program(user, program),
    )
