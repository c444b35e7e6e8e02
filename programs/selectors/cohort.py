"""Reads for the people who run programs: cohort dashboards, the enrolment picker,
applications waiting for a decision, topic usage.

Every list here is shaped so that its query count does not grow with the cohort: counts are
aggregated in SQL, related rows are joined or prefetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from mentorship.cache_versions import DIRECTORY, PARTICIPATION, cached, versions
from people.models import User
from programs.cache_invalidation import ENROLMENTS, cohort_enrolments
from programs.models import Cohort, Enrollment, Program, Topic
from programs.services.enrollment import intake_missing, with_topic_flags

Role = Enrollment.Role
Status = Enrollment.Status

# The pool: people invited or accepted (applicants are not in yet), and those who completed
# the cohort, so that a finished cohort still shows who took part.
POOL_STATUSES = (Status.INVITED, Status.ACCEPTED, Status.COMPLETED)
OFFERING_ROLES = (Role.MENTOR, Role.PEER)
SEEKING_ROLES = (Role.MENTEE, Role.PEER)


def roles_for_program(program: Program) -> list[tuple[str, str]]:
    """The program's roles as (value, label) choices."""
    return [(role, Role(role).label) for role in program.roles()]


# --- A program's cohorts ----------------------------------------------------------------------


def program_cohorts(program: Program) -> QuerySet[Cohort]:
    """The program's cohorts, newest first, with counts of their participants (invited,
    accepted or completed) and of applications waiting for a decision."""
    pool = Q(enrollments__status__in=POOL_STATUSES)
    return (
        Cohort.objects.filter(program=program)
        .annotate(
            offering=Count("enrollments", filter=pool & Q(enrollments__role__in=OFFERING_ROLES)),
            mentees=Count("enrollments", filter=pool & Q(enrollments__role=Role.MENTEE)),
            pool_size=Count("enrollments", filter=pool),
            intake_complete=Count(
                "enrollments", filter=pool & Q(enrollments__intake_completed_at__isnull=False)
            ),
            applied=Count("enrollments", filter=Q(enrollments__status=Status.APPLIED)),
        )
        .order_by("-starts_on", "name")
    )


# --- Cohort dashboard: the summary ------------------------------------------------------------


@dataclass
class RoleRow:
    role: str
    label: str
    counts: list[tuple[str, int]]  # (status, count) in Status order
    total: int = 0
    pool: int = 0
    intake_complete: int = 0


@dataclass
class UnmetTopic:
    name: str
    seekers: int


@dataclass
class CohortSummary:
    roles: list[RoleRow]
    status_totals: list[tuple[str, int]]
    total: int
    capacity: int  # places offered by mentors (or peers) in the pool
    seekers: int  # mentees (or peers) in the pool
    applied: int
    unmet_topics: list[UnmetTopic] = field(default_factory=list)

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return list(Status.choices)

    @property
    def places_short(self) -> int:
        return max(0, self.seekers - self.capacity)


def cohort_summary(cohort: Cohort) -> CohortSummary:
    """Counts by role and status, capacity against demand, intake completion and topics
    sought that no mentor offers, in two queries whatever the cohort's size."""
    rows = (
        Enrollment.objects.filter(cohort=cohort)
        .order_by()
        .values("role", "status")
        .annotate(
            n=Count("id"),
            complete=Count("id", filter=Q(intake_completed_at__isnull=False)),
            capacity=Coalesce(Sum("capacity"), 0),
        )
    )
    by_key = {(r["role"], r["status"]): r for r in rows}
    roles_present = {role for role, _ in by_key}
    role_choices = [
        (value, label)
        for value, label in Role.choices
        if value in roles_present or value in dict(roles_for_program(cohort.program))
    ]
    summary = CohortSummary(roles=[], status_totals=[], total=0, capacity=0, seekers=0, applied=0)
    for role, label in role_choices:
        row = RoleRow(role=role, label=label, counts=[])
        for status, _ in Status.choices:
            data = by_key.get((role, status))
            n = data["n"] if data else 0
            row.counts.append((status, n))
            row.total += n
            if data and status in POOL_STATUSES:
                row.pool += n
                row.intake_complete += data["complete"]
                if role in OFFERING_ROLES:
                    summary.capacity += data["capacity"]
                if role in SEEKING_ROLES:
                    summary.seekers += n
        summary.roles.append(row)
    for status, _ in Status.choices:
        n = sum(r["n"] for (_, s), r in by_key.items() if s == status)
        summary.status_totals.append((status, n))
        if status == Status.APPLIED:
            summary.applied = n
    summary.total = sum(n for _, n in summary.status_totals)
    summary.unmet_topics = [
        UnmetTopic(name=t.name, seekers=t.seekers) for t in unmet_topics(cohort)
    ]
    return summary


def unmet_topics(cohort: Cohort) -> QuerySet[Topic]:
    """Topics that mentees (or peers) in the pool seek and no mentor in the pool offers,
    most sought first, each annotated with ``seekers``."""
    offered = Enrollment.topics_offered.through.objects.filter(
        topic=OuterRef("pk"),
        enrollment__cohort=cohort,
        enrollment__status__in=POOL_STATUSES,
        enrollment__role__in=OFFERING_ROLES,
    )
    seekers = (
        Enrollment.topics_sought.through.objects.filter(
            topic=OuterRef("pk"),
            enrollment__cohort=cohort,
            enrollment__status__in=POOL_STATUSES,
            enrollment__role__in=SEEKING_ROLES,
        )
        .order_by()
        .values("topic")
        .annotate(n=Count("enrollment"))
        .values("n")
    )
    return (
        Topic.objects.filter(program_id=cohort.program_id)
        .annotate(seekers=Coalesce(Subquery(seekers, output_field=IntegerField()), 0))
        .filter(seekers__gt=0)
        .exclude(Exists(offered))
        .order_by("-seekers", "name")
    )


# --- Cohort dashboard: the participant list ---------------------------------------------------

INTAKE_FILTERS = {"complete": "Complete", "incomplete": "Not complete"}


@dataclass(frozen=True)
class ParticipantFilters:
    q: str = ""
    role: str = ""
    status: str = ""
    intake: str = ""
    department: str = ""

    @classmethod
    def from_querydict(cls, data) -> ParticipantFilters:
        role = data.get("role", "")
        status = data.get("status", "")
        intake = data.get("intake", "")
        return cls(
            q=data.get("q", "").strip()[:200],
            role=role if role in Role.values else "",
            status=status if status in Status.values else "",
            intake=intake if intake in INTAKE_FILTERS else "",
            department=data.get("department", "").strip()[:200],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.role or self.status or self.intake or self.department)


def cohort_participants(*, cohort: Cohort, filters: ParticipantFilters) -> QuerySet[Enrollment]:
    qs = with_topic_flags(Enrollment.objects.filter(cohort=cohort)).select_related("person")
    for term in filters.q.split():
        qs = qs.filter(
            Q(person__first_name__icontains=term)
            | Q(person__last_name__icontains=term)
            | Q(person__email__icontains=term)
        )
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.intake == "complete":
        qs = qs.filter(intake_completed_at__isnull=False)
    elif filters.intake == "incomplete":
        qs = qs.filter(intake_completed_at__isnull=True)
    if filters.department:
        # As a semi-join on the department's ids (read from the user_department_id index
        # alone) rather than a condition on the joined row, which made PostgreSQL read every
        # employee of the department to keep the few in the cohort (10 -> 4 ms for 7,000).
        qs = qs.filter(person__in=User.objects.filter(department=filters.department).values("pk"))
    return qs.order_by("person__last_name", "person__first_name", "pk")


# Entries are unreachable as soon as what they were read from changes; this only bounds how
# long an unreachable one takes up memory.
DEPARTMENTS_CACHE_SECONDS = 24 * 60 * 60


def cohort_departments(cohort: Cohort) -> list[str]:
    """The departments of the cohort's participants, for the dashboard's filter menu.

    Reading them joins the cohort's enrolments to the directory, which PostgreSQL does by
    scanning every employee (10-50 ms at 50,000, for a handful of names), so they are kept in
    the cache. The key holds what they depend on, taken before any query
    (``mentorship.cache_versions``): the directory's version (departments, people deleted),
    the participation version (enrolments saved or deleted one by one) and the enrolments'
    (``programs.cache_invalidation``: the programs' and the cohort's own), which the services'
    bulk invitations bump too, where no signal does.
    """

    def key() -> str:
        stamp = versions(DIRECTORY, PARTICIPATION, ENROLMENTS, cohort_enrolments(cohort.pk))
        return "cohort-departments:{}:{}".format(cohort.pk, ".".join(map(str, stamp)))

    return cached(
        key,
        lambda: _cohort_departments(cohort),
        timeout=DEPARTMENTS_CACHE_SECONDS,
        what="cohort departments",
    )


def _cohort_departments(cohort: Cohort) -> list[str]:
    return list(
        Enrollment.objects.filter(cohort=cohort)
        .exclude(person__department="")
        .order_by("person__department")
        .values_list("person__department", flat=True)
        .distinct()
    )


# intake_missing() speaks to the participant; the admin reads about them.
_MISSING_FOR_ADMIN = {
    "topics you can help with": "topics offered",
    "topics you want help with": "topics sought",
    "what you want from the program": "goals",
    "a short bio": "bio",
    "languages you speak": "languages",
    "how you prefer to meet": "preferred format",
}


def intake_missing_for_admin(enrollment: Enrollment) -> list[str]:
    """What the participant still has to fill in, in the admin's words (uses the topic flags
    of ``cohort_participants``)."""
    return [_MISSING_FOR_ADMIN.get(item, item) for item in intake_missing(enrollment)]


# --- Enrolling people from the directory ------------------------------------------------------


@dataclass(frozen=True)
class CandidateFilters:
    q: str = ""
    department: str = ""
    location: str = ""
    level_min: int | None = None
    level_max: int | None = None

    @classmethod
    def from_querydict(cls, data) -> CandidateFilters:
        return cls(
            q=data.get("q", "").strip()[:200],
            department=data.get("department", "").strip()[:200],
            location=data.get("location", "").strip()[:200],
            level_min=_level(data.get("level_min")),
            level_max=_level(data.get("level_max")),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q
            or self.department
            or self.location
            or self.level_min is not None
            or self.level_max is not None
        )


def _level(value) -> int | None:
    try:
        level = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return level if 0 <= level <= 1000 else None


def current_employees(today=None) -> QuerySet[User]:
    """People in the HR directory who still work here and can sign in."""
    today = today or timezone.localdate()
    return User.objects.filter(employee_id__isnull=False, is_active=True).exclude(
        end_date__isnull=False, end_date__lte=today
    )


def enroll_candidates(*, cohort: Cohort, filters: CandidateFilters) -> QuerySet[User]:
    """Current employees matching the filters, in name order, each annotated with
    ``enrolled_role`` and ``enrolled_status`` when already in the cohort (one query)."""
    existing = Enrollment.objects.filter(cohort=cohort, person=OuterRef("pk"))
    qs = current_employees().annotate(
        enrolled_role=Subquery(existing.values("role")[:1]),
        enrolled_status=Subquery(existing.values("status")[:1]),
    )
    for term in filters.q.split():
        qs = qs.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        )
    if filters.department:
        qs = qs.filter(department=filters.department)
    if filters.location:
        qs = qs.filter(location=filters.location)
    if filters.level_min is not None:
        qs = qs.filter(level__gte=filters.level_min)
    if filters.level_max is not None:
        qs = qs.filter(level__lte=filters.level_max)
    return qs.order_by("last_name", "first_name", "id")


@dataclass
class CandidateChoices:
    departments: list[str]
    locations: list[str]
    levels: list[int]


def enroll_choices() -> CandidateChoices:
    """Departments, locations and levels of current employees, for the picker's menus."""
    base = current_employees().order_by()
    return CandidateChoices(
        departments=list(
            base.exclude(department="")
            .order_by("department")
            .values_list("department", flat=True)
            .distinct()
        ),
        locations=list(
            base.exclude(location="")
            .order_by("location")
            .values_list("location", flat=True)
            .distinct()
        ),
        levels=list(
            base.exclude(level__isnull=True)
            .order_by("level")
            .values_list("level", flat=True)
            .distinct()
        ),
    )


# --- Applications -----------------------------------------------------------------------------


def cohort_applications(cohort: Cohort) -> QuerySet[Enrollment]:
    """Applications waiting for a decision, oldest first, with their intake answers."""
    return (
        Enrollment.objects.filter(cohort=cohort, status=Status.APPLIED)
        .select_related("person")
        .prefetch_related("topics_offered", "topics_sought")
        .order_by("created_at", "pk")
    )


# --- Topics -----------------------------------------------------------------------------------


def program_topics_with_usage(program: Program) -> QuerySet[Topic]:
    """The program's topics, each with how many intakes (any cohort) offer and seek it."""

    def count(through):
        return Coalesce(
            Subquery(
                through.objects.filter(topic=OuterRef("pk"))
                .order_by()
                .values("topic")
                .annotate(n=Count("enrollment"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    return (
        Topic.objects.filter(program=program)
        .annotate(
            offered=count(Enrollment.topics_offered.through),
            sought=count(Enrollment.topics_sought.through),
        )
        .order_by("name")
    )
