"""Enrollments: intake completeness, inviting people, and their invitation emails."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mentorship.emails import absolute_url, send_templated_email
from people.models import User
from programs.models import Cohort, Enrollment, Topic


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
    """Enrol people as invited, all or nothing, and email each an invitation once committed.

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
        ids = [e.pk for e in enrollments]
        transaction.on_commit(lambda: _queue_invitations(ids))
    return enrollments


def _queue_invitations(ids: list[int]) -> None:
    from programs.tasks import send_enrollment_invitation  # tasks import this module

    for pk in ids:
        send_enrollment_invitation.delay(pk)


def enrollment_invitation_send(*, enrollment_id: int) -> bool:
    """Send the invitation email for one enrollment, at most once.

    The row is claimed with a conditional UPDATE before sending: a second run of the task
    (a retry, a redelivery, a second worker) finds it claimed and sends nothing. If sending
    fails the claim is released, so the task's retry can send it. Returns whether it sent.
    """
    claimed = Enrollment.objects.filter(
        pk=enrollment_id, invitation_sent_at__isnull=True, status=Enrollment.Status.INVITED
    ).update(invitation_sent_at=timezone.now())
    if not claimed:
        return False  # another worker got there first, or the person left the cohort
    enrollment = Enrollment.objects.select_related("cohort__program", "person").get(
        pk=enrollment_id
    )
    try:
        send_templated_email(
            to=enrollment.person.email,
            template_prefix="programs/email/invitation",
            context={
                "enrollment": enrollment,
                "cohort": enrollment.cohort,
                "program": enrollment.cohort.program,
                "person": enrollment.person,
                "intake_url": absolute_url(
                    reverse("programs:intake", kwargs={"pk": enrollment.pk})
                ),
            },
        )
    except Exception:
        Enrollment.objects.filter(pk=enrollment_id).update(invitation_sent_at=None)
        raise
    return True
