"""Enrollments: intake completeness, and inviting people (each invitation an outbox notice)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from mentorship.notifications import Due
from mentorship.outbox import notifications_record
from people.models import User
from programs.models import Cohort, Enrollment, Topic

INVITATION = "program_invitation"  # programs/notifications.py


def intake_missing(enrollment: Enrollment) -> list[str]:
    """What the person still has to fill in, in plain words (empty when the intake is done).

    Uses prefetched topics when they are there: call with
    ``prefetch_related("topics_offered", "topics_sought")`` on lists.
    """
    missing = []
    if enrollment.offers_mentoring and not enrollment.topics_offered.all():
        missing.append("topics you can help with")
    if enrollment.seeks_mentoring and not enrollment.topics_sought.all():
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
        # One invitation each, sent once the enrollments are committed (the outbox queues it).
        notifications_record(Due(INVITATION, e.person_id, e.pk) for e in enrollments)
    return enrollments
