"""Programs, their topics and cohorts; admins' decisions on applications.

Forms validate what a person typed; these functions keep the database consistent whatever
the caller, and let the database's constraints have the last word (callers turn an
IntegrityError from a race into a form error, never a 500).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from mentorship.cache_versions import bump_on_commit
from mentorship.notifications import Due
from mentorship.outbox import notifications_record
from people.models import User
from programs.cache_invalidation import cohort_enrolments
from programs.models import Cohort, Enrollment, Program, Topic
from programs.services.enrollment import enrollment_intake_refresh

DECISION = "application_decision"  # programs/notifications.py

# --- Programs ---------------------------------------------------------------------------------


def program_kind_locked(program: Program) -> bool:
    """A program's kind decides the roles people hold; once anyone is enrolled it stays."""
    return Enrollment.objects.filter(cohort__program=program).exists()


def program_create(
    *,
    name: str,
    slug: str,
    description: str,
    kind: str,
    admins: list[User],
    topics: list[str],
) -> Program:
    with transaction.atomic():
        program = Program.objects.create(name=name, slug=slug, description=description, kind=kind)
        program.admins.set(admins)
        Topic.objects.bulk_create([Topic(program=program, name=topic) for topic in topics])
    return program


def program_update(
    *,
    program: Program,
    name: str,
    description: str,
    kind: str,
    admins: list[User] | None = None,
) -> Program:
    """Change a program; ``admins=None`` leaves its admins as they are (only HR and staff
    appoint them). The kind cannot change once the program has enrollments."""
    with transaction.atomic():
        if kind != program.kind and program_kind_locked(program):
            raise ValidationError(
                {"kind": "The kind cannot change once people are enrolled in a cohort."}
            )
        program.name = name
        program.description = description
        program.kind = kind
        program.save(update_fields=["name", "description", "kind"])
        if admins is not None:
            program.admins.set(admins)
    return program


# --- Topics -----------------------------------------------------------------------------------


def topic_add(*, program: Program, name: str) -> Topic:
    return Topic.objects.create(program=program, name=name)


def topic_rename(*, topic: Topic, name: str) -> Topic:
    topic.name = name
    topic.save(update_fields=["name"])
    return topic


def topic_intake_count(topic: Topic) -> int:
    """How many people's intake answers (any cohort) name the topic, offered or sought."""
    return (
        Enrollment.objects.filter(Q(topics_offered=topic) | Q(topics_sought=topic))
        .distinct()
        .count()
    )


def topic_remove(*, topic: Topic) -> int:
    """Remove a topic from the program and from everyone's intake answers.

    Someone whose only topic it was no longer has a complete intake: their completion is
    recomputed. Returns how many intakes named it.
    """
    with transaction.atomic():
        affected = set(
            Enrollment.topics_offered.through.objects.filter(topic=topic).values_list(
                "enrollment_id", flat=True
            )
        ) | set(
            Enrollment.topics_sought.through.objects.filter(topic=topic).values_list(
                "enrollment_id", flat=True
            )
        )
        topic.delete()
        for enrollment in Enrollment.objects.filter(pk__in=affected).prefetch_related(
            "topics_offered", "topics_sought"
        ):
            enrollment_intake_refresh(enrollment=enrollment)
    return len(affected)


# --- Cohorts ----------------------------------------------------------------------------------

COHORT_FIELDS = (
    "name",
    "application_opens",
    "application_closes",
    "starts_on",
    "ends_on",
    "cadence_days",
    "default_mentor_capacity",
    "max_mentor_capacity",
    "matching_mode",
    "request_expiry_days",
    "rule_exclude_same_department",
    "rule_exclude_management_chain",
    "rule_require_shared_language",
    "rule_allow_repeat_pairs",
    "rule_min_level_gap",
    "rule_max_timezone_diff_hours",
    *Cohort.WEIGHT_FIELDS,
    *Cohort.REMINDER_FIELDS,
)


def cohort_create(*, program: Program, slug: str, **values) -> Cohort:
    unknown = set(values) - set(COHORT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown cohort fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        return Cohort.objects.create(program=program, slug=slug, **values)


def cohort_update(*, cohort: Cohort, **values) -> Cohort:
    unknown = set(values) - set(COHORT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown cohort fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(cohort, name, value)
    with transaction.atomic():
        cohort.save(update_fields=list(values))
    return cohort


def mentor_capacity_above(cohort: Cohort, maximum: int) -> list[int]:
    """Capacities above ``maximum`` held by people still taking part in the cohort."""
    return list(
        Enrollment.objects.filter(
            cohort=cohort,
            capacity__gt=maximum,
            status__in=[
                Enrollment.Status.INVITED,
                Enrollment.Status.APPLIED,
                Enrollment.Status.ACCEPTED,
            ],
        )
        .order_by("-capacity")
        .values_list("capacity", flat=True)
    )


# --- Decisions on applications ----------------------------------------------------------------


@dataclass
class Decisions:
    """What a bulk decision did: who was decided, and who was left alone because their
    enrollment was no longer an application (withdrawn meanwhile, decided by someone else)."""

    decided: list[Enrollment] = field(default_factory=list)
    skipped: list[Enrollment] = field(default_factory=list)
    missing: int = 0


def enrollments_decide(
    *, cohort: Cohort, enrollment_ids: list[int], accept: bool, decided_by: User
) -> Decisions:
    """Accept or decline applications to ``cohort``; each decided applicant gets one email.

    Only enrollments still ``applied`` are decided: the rows are locked first, so a
    participant withdrawing at the same moment either withdraws before (and is skipped) or
    after (and withdraws an accepted enrollment). Ids of other cohorts count as missing.
    """
    status = Enrollment.Status.ACCEPTED if accept else Enrollment.Status.DECLINED
    ids = sorted(set(enrollment_ids))
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Enrollment.objects.select_for_update(of=("self",))
            .filter(cohort=cohort, pk__in=ids)
            .select_related("person")
            .order_by("pk")
        )
        result = Decisions(missing=len(ids) - len(rows))
        for enrollment in rows:
            if enrollment.status == Enrollment.Status.APPLIED:
                result.decided.append(enrollment)
            else:
                result.skipped.append(enrollment)
        decided_ids = [e.pk for e in result.decided]
        Enrollment.objects.filter(pk__in=decided_ids).update(
            status=status, decided_by=decided_by, decided_at=now, updated_at=now
        )
        bump_on_commit(cohort_enrolments(cohort.pk))  # an update sends no signal (the dashboard)
        for enrollment in result.decided:
            enrollment.status = status
            enrollment.decided_by = decided_by
            enrollment.decided_at = now
        # Each decided applicant hears once the decision is committed (an outbox notice).
        notifications_record(Due(DECISION, e.person_id, e.pk) for e in result.decided)
    return result


def cohort_slug_for(program: Program, name: str, *, taken=None) -> str:
    """A unique slug for a new cohort: the program's slug and the cohort's name."""
    max_length = Cohort._meta.get_field("slug").max_length
    base = slugify(f"{program.slug} {name}")[:max_length].strip("-") or program.slug
    taken = taken if taken is not None else _slugs_like(base)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = f"{base[: max_length - len(suffix)].rstrip('-')}{suffix}"
    return candidate


def _slugs_like(base: str) -> set[str]:
    return set(Cohort.objects.filter(slug__startswith=base).values_list("slug", flat=True))
