"""Programs' notification kinds: invitations, decisions, intake reminders and the last call.

Invitations and decisions are event notices, recorded by the services that invite and decide
(``enrollments_invite``, ``enrollments_decide``) inside their transactions. Intake reminders
and the last call are found by scans: people still owing an intake, in cohorts with reminders
on, at 09:00 in their own time zone on the due day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Value
from django.urls import reverse
from django.utils import timezone

from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import (
    Due,
    Email,
    Kind,
    add_days,
    day_reached,
    local_moment,
    local_today,
    register,
)
from programs.models import Cohort, Enrollment
from programs.services.enrollment import INVITATION, intake_missing
from programs.services.participation import enrollment_intake_editable
from programs.services.programs import DECISION

INTAKE_REMINDER = "intake_reminder"
LAST_CALL = "application_last_call"

# Who still owes an intake: taking part (invited, applied or accepted), not complete yet.
# Invited people join the pool by completing it; applicants and accepted people are matched
# on it.
OWING = (Enrollment.Status.INVITED, Enrollment.Status.APPLIED, Enrollment.Status.ACCEPTED)
DAY = timedelta(days=1)


def _enrollment(notification: Notification) -> Enrollment | None:
    return (
        Enrollment.objects.select_related("cohort__program", "person")
        .prefetch_related("topics_offered", "topics_sought")
        .filter(pk=notification.subject_id, person_id=notification.recipient_id)
        .first()
    )


def _intake_url(enrollment: Enrollment) -> str:
    return absolute_url(reverse("programs:intake", kwargs={"pk": enrollment.pk}))


def _context(enrollment: Enrollment) -> dict:
    return {
        "enrollment": enrollment,
        "cohort": enrollment.cohort,
        "program": enrollment.cohort.program,
        "person": enrollment.person,
        "intake_url": _intake_url(enrollment),
    }


def _still_owing(enrollment: Enrollment | None, today: date | None = None) -> bool:
    """Taking part, intake not complete, answers still editable, reminders on."""
    return (
        enrollment is not None
        and enrollment.status in OWING
        and enrollment.intake_completed_at is None
        and enrollment.cohort.reminders_enabled
        and enrollment_intake_editable(enrollment, today)
        and bool(intake_missing(enrollment))
    )


def _owing(now: datetime):
    """Enrollments still owing an intake in cohorts with reminders on that have not started
    (a day's margin either way: each recipient's own day is checked after)."""
    return Enrollment.objects.filter(
        status__in=OWING,
        intake_completed_at__isnull=True,
        person__is_active=True,
        cohort__reminders_enabled=True,
        cohort__starts_on__gt=timezone.localdate(now) - DAY,
    )


def _recorded(kind: str, **period) -> Exists:
    return Exists(
        Notification.objects.filter(
            kind=kind, recipient_id=OuterRef("person_id"), subject_id=OuterRef("pk"), **period
        )
    )


def offers_mentoring(user) -> bool:
    """The settings page lists mentors' kinds to people who mentor (or are peers) anywhere."""
    cached = getattr(user, "_offers_mentoring", None)
    if cached is None:
        cached = Enrollment.objects.filter(
            person=user, role__in=(Enrollment.Role.MENTOR, Enrollment.Role.PEER)
        ).exists()
        user._offers_mentoring = cached
    return cached


# --- Invitation (event) -----------------------------------------------------------------------


def build_invitation(notification: Notification) -> Email | None:
    enrollment = _enrollment(notification)
    if enrollment is None or enrollment.status != Enrollment.Status.INVITED:
        return None  # withdrawn (or otherwise decided) before the email went out
    return Email("programs/email/invitation", _context(enrollment))


def invitation_sent(notification: Notification) -> None:
    """The invitation's date, shown as a fact and the anchor of the intake reminders."""
    Enrollment.objects.filter(pk=notification.subject_id, invitation_sent_at__isnull=True).update(
        invitation_sent_at=timezone.now()
    )


# --- Decision on an application (event) -------------------------------------------------------


def build_decision(notification: Notification) -> Email | None:
    enrollment = _enrollment(notification)
    decided = (Enrollment.Status.ACCEPTED, Enrollment.Status.DECLINED)
    if enrollment is None or enrollment.decided_at is None or enrollment.status not in decided:
        return None  # withdrawn since the decision
    return Email(
        "programs/email/decision",
        {
            **_context(enrollment),
            "accepted": enrollment.status == Enrollment.Status.ACCEPTED,
            "intake_missing": intake_missing(enrollment),
            "intake_editable": enrollment.cohort.intake_editable(),
        },
    )


def decision_sent(notification: Notification) -> None:
    Enrollment.objects.filter(pk=notification.subject_id, decision_sent_at__isnull=True).update(
        decision_sent_at=timezone.now()
    )


# --- Intake reminders (scan) ------------------------------------------------------------------


def intake_reminder_days(enrollment: Enrollment) -> dict[str, date]:
    """The local days of the first and second reminder, counted from the invitation."""
    tz = enrollment.person.timezone
    invited = local_today(enrollment.invitation_sent_at, tz)
    cohort = enrollment.cohort
    return {
        "first": add_days(invited, cohort.intake_first_reminder_days),
        "second": add_days(invited, cohort.intake_second_reminder_days),
    }


def scan_intake_reminders(now: datetime) -> Iterator[Due]:
    # An invitation sent at local midnight is due N days + 9 hours later; one sent just
    # before the next midnight, N days - 15 hours later: a day's margin finds them all.
    first_due_from = ExpressionWrapper(
        F("invitation_sent_at") + F("cohort__intake_first_reminder_days") * Value(DAY),
        output_field=DateTimeField(),
    )
    candidates = (
        _owing(now)
        .filter(invitation_sent_at__isnull=False)
        .alias(first_due_from=first_due_from)
        .filter(first_due_from__lte=now + DAY)
        .exclude(_recorded(INTAKE_REMINDER, period="second"))
        .annotate(first_recorded=_recorded(INTAKE_REMINDER, period="first"))
        .select_related("cohort", "person")
    )
    today = timezone.localdate(now)
    for enrollment in candidates.iterator(chunk_size=2000):
        if not enrollment.cohort.intake_editable(today):
            continue
        tz = enrollment.person.timezone
        days = intake_reminder_days(enrollment)
        # Only the latest reminder reached is sent: after a pause, never two at once.
        if day_reached(days["second"], now, tz):
            period = "second"
        elif day_reached(days["first"], now, tz) and not enrollment.first_recorded:
            period = "first"
        else:
            continue
        yield Due(
            INTAKE_REMINDER,
            enrollment.person_id,
            enrollment.pk,
            period,
            local_moment(days[period], tz),
        )


def build_intake_reminder(notification: Notification) -> Email | None:
    enrollment = _enrollment(notification)
    if not _still_owing(enrollment) or enrollment.invitation_sent_at is None:
        return None
    return Email(
        "programs/email/intake_reminder",
        {
            **_context(enrollment),
            "second": notification.period == "second",
            "invited_on": local_today(enrollment.invitation_sent_at, enrollment.person.timezone),
            "missing": intake_missing(enrollment),
            "last_day": enrollment.cohort.starts_on - DAY,
        },
    )


# --- Last call before applications close (scan) -----------------------------------------------


def last_call_day(cohort: Cohort) -> date:
    return cohort.application_closes - timedelta(days=cohort.last_call_days)


def scan_last_call(now: datetime) -> Iterator[Due]:
    today = timezone.localdate(now)
    # Cohorts whose last call day has come somewhere on Earth and whose window is still
    # open somewhere (a day's margin each way): a handful at any time.
    cohorts = [
        cohort
        for cohort in Cohort.objects.filter(
            reminders_enabled=True,
            application_closes__gte=today - DAY,
            application_opens__lte=today + DAY,
        )
        if last_call_day(cohort) <= today + DAY
    ]
    for cohort in cohorts:
        period = cohort.application_closes.isoformat()
        day = last_call_day(cohort)
        enrollments = (
            _owing(now)
            .filter(cohort=cohort)
            .exclude(_recorded(LAST_CALL, period=period))
            .select_related("person")
            .only("pk", "person_id", "person__timezone")
        )
        for enrollment in enrollments.iterator(chunk_size=2000):
            tz = enrollment.person.timezone
            if not day_reached(day, now, tz) or local_today(now, tz) > cohort.application_closes:
                continue
            yield Due(LAST_CALL, enrollment.person_id, enrollment.pk, period, local_moment(day, tz))


def build_last_call(notification: Notification) -> Email | None:
    enrollment = _enrollment(notification)
    if not _still_owing(enrollment):
        return None
    cohort = enrollment.cohort
    if notification.period != cohort.application_closes.isoformat():
        return None  # the closing date moved: a last call for the new one is recorded then
    if local_today(timezone.now(), enrollment.person.timezone) > cohort.application_closes:
        return None  # the window closed before it could go out
    return Email(
        "programs/email/application_last_call",
        {**_context(enrollment), "missing": intake_missing(enrollment)},
    )


register(
    Kind(
        name=INVITATION,
        label="Program invitations",
        description="When a program admin invites you to a cohort, with the link to your intake.",
        audience="participants",
        build=build_invitation,
        sent=invitation_sent,
    )
)
register(
    Kind(
        name=DECISION,
        label="Decisions on applications",
        description="When a program admin accepts or declines your application to a cohort.",
        audience="participants",
        build=build_decision,
        sent=decision_sent,
    )
)
register(
    Kind(
        name=INTAKE_REMINDER,
        label="Intake reminders",
        description="3 and 7 days after an invitation, while your intake is not finished.",
        audience="participants",
        build=build_intake_reminder,
        scan=scan_intake_reminders,
    )
)
register(
    Kind(
        name=LAST_CALL,
        label="Last calls before applications close",
        description="2 days before a cohort's applications close, while your intake is not "
        "finished.",
        audience="participants",
        build=build_last_call,
        scan=scan_last_call,
    )
)
