"""Enrollments: intake completeness, and inviting people (each invitation an outbox notice)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from mentorship.cache_versions import bump_on_commit
from mentorship.notifications import Due
from mentorship.outbox import notifications_record
from people.models import User
from programs.cache_invalidation import cohort_enrolments
from programs.models import Cohort, Enrollment, Topic

INVITATION = "program_invitation"  # programs/notifications.py


def intake_missing(enrollment: Enrollment) -> list[str]:
    """What the person still has to fill in, in plain words (empty when the intake is done).

    For lists, annotate the enrolments with ``with_topic_flags`` (two EXISTS in the list's
    own query); prefetched topics are used too when they are there.
    """
    missing = []
    if enrollment.offers_mentoring and not _has_topics(enrollment, "topics_offered"):
        missing.append("topics you can help with")
    if enrollment.seeks_mentoring and not _has_topics(enrollment, "topics_sought"):
        missing.append("topics you want help with")
    if enrollment.seeks_mentoring and not enrollment.goals.strip():
        missing.append("what you want from the program")
    if enrollment.offers_mentoring and not enrollment.bio.strip():
        missing.append("a short bio")
    if not enrollment.languages:
        missing.append("languages you speak")
    if not enrollment.preferred_format:
        missing.append("how you prefer to meet")
    return missing


def with_topic_flags(enrollments: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """The enrolments with whether they offer / seek any topic, as ``intake_missing`` needs:
    two EXISTS in the same query instead of two prefetch queries and a related manager per
    row (the topics themselves are not shown where the flags are used)."""
    return enrollments.annotate(
        has_topics_offered=Exists(
            Enrollment.topics_offered.through.objects.filter(enrollment_id=OuterRef("pk"))
        ),
        has_topics_sought=Exists(
            Enrollment.topics_sought.through.objects.filter(enrollment_id=OuterRef("pk"))
        ),
    )


def _has_topics(enrollment: Enrollment, name: str) -> bool:
    flag = getattr(enrollment, f"has_{name}", None)  # from with_topic_flags
    if flag is not None:
        return flag
    return bool(getattr(enrollment, name).all())


def enrollment_intake_refresh(*, enrollment: Enrollment) -> None:
    """Record whether the intake is complete (call after any change to the answers)."""
    complete = not intake_missing(enrollment)
    if complete and enrollment.intake_completed_at is None:
        enrollment.intake_completed_at = timezone.now()
        enrollment.save(update_fields=["intake_completed_at", "updated_at"])
    elif not complete and enrollment.intake_completed_at is not None:
        enrollment.intake_completed_at = None
        enrollment.save(update_fields=["intake_completed_at", "updated_at"])


@dataclass
class NewEnrollment:
    """One person to enrol, as an admin (directory picker or CSV file) gives them."""

    person: User
    role: str
    capacity: int | None = None
    topics_offered: list[Topic] = field(default_factory=list)
    topics_sought: list[Topic] = field(default_factory=list)
    goals: str = ""
    languages: list[str] = field(default_factory=list)


def enrollments_invite(
    *, cohort: Cohort, new: list[NewEnrollment], source: str, invited_by: User | None
) -> list[Enrollment]:
    """Enrol people as invited, all or nothing; each gets an invitation email once committed
    (a ``program_invitation`` notification, recorded in the same transaction).

    The caller has validated that nobody is enrolled yet (the unique constraint would reject
    the whole batch otherwise) and that roles fit the program's kind. Mentors without a
    capacity get the cohort's default.
    """
    with transaction.atomic():
        enrollments = Enrollment.objects.bulk_create(
            [
                Enrollment(
                    cohort=cohort,
                    person=item.person,
                    role=item.role,
                    status=Enrollment.Status.INVITED,
                    source=source,
                    capacity=(
                        None
                        if item.role == Enrollment.Role.MENTEE
                        else item.capacity or cohort.default_mentor_capacity
                    ),
                    goals=item.goals,
                    languages=item.languages,
                    invited_by=invited_by,
                )
                for item in new
            ]
        )
        offered = Enrollment.topics_offered.through
        sought = Enrollment.topics_sought.through
        offered.objects.bulk_create(
            [
                offered(enrollment_id=e.pk, topic_id=t.pk)
                for e, item in zip(enrollments, new, strict=True)
                for t in item.topics_offered
            ]
        )
        sought.objects.bulk_create(
            [
                sought(enrollment_id=e.pk, topic_id=t.pk)
                for e, item in zip(enrollments, new, strict=True)
                for t in item.topics_sought
            ]
        )
        # Bulk creates send no signal: the cohort's version (its cached dashboard).
        bump_on_commit(cohort_enrolments(cohort.pk))
        # One invitation each, sent once the enrollments are committed (the outbox queues it).
        notifications_record(Due(INVITATION, e.person_id, e.pk) for e in enrollments)
    return enrollments
