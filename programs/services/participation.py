"""What participants do themselves: apply to a cohort, fill in their intake, withdraw."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from mentorship.cache_versions import bump_on_commit
from people.models import User
from programs.cache_invalidation import cohort_enrolments
from programs.models import Cohort, Enrollment, Topic
from programs.services.enrollment import enrollment_intake_refresh


class ParticipationRefused(Exception):
    """The participant cannot do this; the message says why, in words for them."""


class AlreadyEnrolled(ParticipationRefused):
    def __init__(self, enrollment: Enrollment):
        self.enrollment = enrollment
        super().__init__(
            f"You are already in {enrollment.cohort.name} as "
            f"{enrollment.get_role_display().lower()} ({enrollment.get_status_display().lower()})."
        )


def _day(value) -> str:
    return date_format(value, "j F Y")


def apply_refused_reason(*, cohort: Cohort, person: User, today=None) -> str:
    """Why this person cannot apply to this cohort now (empty when they can)."""
    if person.has_left() or not person.is_active:
        return "People who have left the company cannot apply to a mentorship program."
    today = today or timezone.localdate()
    if today < cohort.application_opens:
        return f"Applications for {cohort.name} open on {_day(cohort.application_opens)}."
    if today > cohort.application_closes:
        return f"Applications for {cohort.name} closed on {_day(cohort.application_closes)}."
    return ""


def enrollment_apply(
    *, cohort: Cohort, person: User, role: str, capacity: int | None
) -> Enrollment:
    """Apply to a cohort while its application window is open: an enrollment as ``applied``.

    Raises ParticipationRefused (AlreadyEnrolled when the person is in the cohort already,
    including when two submissions race) instead of writing anything.
    """
    refused = apply_refused_reason(cohort=cohort, person=person)
    if refused:
        raise ParticipationRefused(refused)
    if role not in cohort.program.roles():
        raise ParticipationRefused(f"{cohort.program.name} has no {role} role.")
    if role == Enrollment.Role.MENTEE:
        capacity = None
    elif capacity is None or not 1 <= capacity <= cohort.max_mentor_capacity:
        raise ParticipationRefused(f"Choose a capacity between 1 and {cohort.max_mentor_capacity}.")

    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                cohort=cohort,
                person=person,
                role=role,
                status=Enrollment.Status.APPLIED,
                source=Enrollment.Source.APPLICATION,
                capacity=capacity,
            )
    except IntegrityError:
        # The unique constraint decides, so two submissions racing each other end the same way.
        existing = (
            Enrollment.objects.select_related("cohort").filter(cohort=cohort, person=person).first()
        )
        if existing is None:
            raise
        raise AlreadyEnrolled(existing) from None


def enrollment_intake_editable(enrollment: Enrollment, today=None) -> bool:
    """Answers can change while the person takes part and the cohort has not started."""
    return enrollment.is_active and enrollment.cohort.intake_editable(today)


@transaction.atomic
def enrollment_intake_update(
    *,
    enrollment: Enrollment,
    topics_offered: Iterable[Topic] | None = None,
    topics_sought: Iterable[Topic] | None = None,
    goals: str | None = None,
    languages: list[str] | None = None,
    preferred_format: str | None = None,
    bio: str | None = None,
    capacity: int | None = None,
) -> Enrollment:
    """Save the participant's intake answers (None leaves an answer as it is).

    Answers that do not apply to the role are ignored: a mentee offers no topics and has no
    capacity. Records whether the intake is now complete. An invited person who completes
    their intake has accepted the invitation: they join the cohort's pool. (Applicants are
    accepted by the program admin instead.)
    """
    if not enrollment_intake_editable(enrollment):
        raise ParticipationRefused(_not_editable_reason(enrollment))
    fields = []
    if goals is not None and enrollment.seeks_mentoring:
        enrollment.goals = goals.strip()
        fields.append("goals")
    if languages is not None:
        enrollment.languages = languages
        fields.append("languages")
    if preferred_format is not None:
        enrollment.preferred_format = preferred_format
        fields.append("preferred_format")
    if bio is not None:
        enrollment.bio = bio.strip()
        fields.append("bio")
    if capacity is not None and enrollment.offers_mentoring:
        if not 1 <= capacity <= enrollment.cohort.max_mentor_capacity:
            raise ParticipationRefused(
                f"Choose a capacity between 1 and {enrollment.cohort.max_mentor_capacity}."
            )
        enrollment.capacity = capacity
        fields.append("capacity")
    if fields:
        enrollment.save(update_fields=[*fields, "updated_at"])
    if topics_offered is not None and enrollment.offers_mentoring:
        enrollment.topics_offered.set(_program_topics(enrollment, topics_offered))
    if topics_sought is not None and enrollment.seeks_mentoring:
        enrollment.topics_sought.set(_program_topics(enrollment, topics_sought))
    # Drop any cached prefetch so completeness is judged on what was just saved.
    getattr(enrollment, "_prefetched_objects_cache", {}).clear()
    enrollment_intake_refresh(enrollment=enrollment)
    if enrollment.intake_completed_at and enrollment.status == Enrollment.Status.INVITED:
        Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.INVITED).update(
            status=Enrollment.Status.ACCEPTED, decided_at=timezone.now()
        )
        bump_on_commit(cohort_enrolments(enrollment.cohort_id))  # an update sends no signal
        enrollment.refresh_from_db(fields=["status", "decided_at", "updated_at"])
    return enrollment


def _program_topics(enrollment: Enrollment, topics: Iterable[Topic]) -> list[Topic]:
    topics = list(topics)
    program_id = enrollment.cohort.program_id
    if any(t.program_id != program_id for t in topics):
        raise ParticipationRefused("Pick topics from this program's list.")
    return topics


def _not_editable_reason(enrollment: Enrollment) -> str:
    if not enrollment.is_active:
        return (
            f"Your enrollment is {enrollment.get_status_display().lower()}, so your answers "
            "can no longer be changed."
        )
    return (
        f"{enrollment.cohort.name} started on {_day(enrollment.cohort.starts_on)}, so your "
        "answers can no longer be changed. Ask the program admin if something needs to change."
    )


def intake_not_editable_reason(enrollment: Enrollment) -> str:
    """Why the intake is read-only, for the page (empty while it is editable)."""
    return "" if enrollment_intake_editable(enrollment) else _not_editable_reason(enrollment)


WITHDRAWABLE = (Enrollment.Status.INVITED, Enrollment.Status.APPLIED, Enrollment.Status.ACCEPTED)


def enrollment_withdraw(*, enrollment: Enrollment, reason: str) -> Enrollment:
    """Leave a cohort, at any time, from invited, applied or accepted, with a reason.

    A conditional UPDATE, so two submissions (or a decision landing at the same moment) cannot
    both change the row.
    """
    reason = reason.strip()
    if not reason:
        raise ParticipationRefused("Tell the program admin why you are withdrawing.")
    now = timezone.now()
    changed = Enrollment.objects.filter(pk=enrollment.pk, status__in=WITHDRAWABLE).update(
        status=Enrollment.Status.WITHDRAWN,
        withdrawn_at=now,
        withdrawal_reason=reason,
        updated_at=now,
    )
    if changed:
        bump_on_commit(cohort_enrolments(enrollment.cohort_id))  # an update sends no signal
    enrollment.refresh_from_db(fields=["status", "withdrawn_at", "withdrawal_reason", "updated_at"])
    if not changed:
        raise ParticipationRefused(withdraw_refused_reason(enrollment))
    return enrollment


def withdraw_refused_reason(enrollment: Enrollment) -> str:
    """Why the person cannot withdraw (empty when they can)."""
    if enrollment.status in WITHDRAWABLE:
        return ""
    if enrollment.status == Enrollment.Status.WITHDRAWN:
        return f"You already withdrew from {enrollment.cohort.name}."
    if enrollment.status == Enrollment.Status.DECLINED:
        return (
            f"Your place in {enrollment.cohort.name} was declined; there is nothing to withdraw "
            "from."
        )
    return f"{enrollment.cohort.name} is over for you ({enrollment.get_status_display().lower()})."
