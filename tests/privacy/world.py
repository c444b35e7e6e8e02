"""A person with something of every kind the system holds, for the data rights tests.

Every text the person wrote, or that is about them, carries a marker (``LENA-...``) or their
name, so a test can search the whole database for what is left after erasure. The other
member's own words carry ``MIRA-...`` markers: they must survive erasure, and Mira's private
notes must never be exported with Lena's data.
"""

from __future__ import annotations

from datetime import date, timedelta

from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from goals.models import (
    AgreementRevision,
    CalendarFeed,
    CheckIn,
    GoalEvent,
    Meeting,
    PrivateNote,
    ProgressUpdate,
)
from matching.models import Match, MatchRun, MentorRequest
from mentorship.audit import audit_record
from mentorship.models import Notification, NotificationOptOut
from people.models import User
from programs.models import EnrollmentImport, Topic
from tests.conftest import activate_totp, make_user
from tests.goals.goals_factories import make_goal

LENA_EMAIL = "lena.leaver@example.com"
LENA_EMPLOYEE_ID = "E-LEAVE-1"
LENA_TITLE = "Deal Closer Extraordinaire"
LENA_LOCATION = "Lisbon Riverside Office"
# Strings that must be gone from every text column after erasing Lena.
LENA_STRINGS = (
    "Leaver",
    LENA_EMAIL,
    LENA_TITLE,
    LENA_LOCATION,
    "LENA-",
    "lena-sso-subject",
    "Europe/Lisbon",
)
# Strings of the other member that must survive.
MIRA_STRINGS = ("MIRA-PRIVATE-NOTE", "MIRA-OWN-CHECKIN")


def make_lena(**extra) -> User:
    """Lena Leaver, who left ten days ago, with a manager, MFA and an SSO link."""
    manager = make_user(first_name="Manny", last_name="Manager")
    extra.setdefault("end_date", timezone.localdate() - timedelta(days=10))
    lena = make_user(
        email=LENA_EMAIL,
        first_name="Lena",
        last_name="Leaver",
        employee_id=LENA_EMPLOYEE_ID,
        department="Sales",
        level=4,
        title=LENA_TITLE,
        location=LENA_LOCATION,
        timezone="Europe/Lisbon",
        manager=manager,
        hire_date=date(2021, 3, 1),
        **extra,
    )
    activate_totp(lena)
    SocialAccount.objects.create(user=lena, provider="openid_connect", uid="lena-sso-subject")
    CalendarFeed.objects.create(person=lena)
    return lena


def fill_pair(match: Match, *, author: User, other: User, n: int = 1, now=None) -> None:
    """``n`` of each pair record in ``match`` by ``author`` (its mentee), reviewed by
    ``other``; ``other`` also writes a private note and a check-in of their own words."""
    now = now or timezone.now()
    mentee_enrollment = match.mentee
    mentee_enrollment.goals = "LENA-INTAKE-GOALS: learn to negotiate"
    mentee_enrollment.bio = "LENA-BIO: Lena Leaver sells things"
    mentee_enrollment.languages = ["Portuguese"]
    mentee_enrollment.preferred_format = "remote"
    mentee_enrollment.withdrawal_reason = ""
    mentee_enrollment.save()
    mentee_enrollment.topics_sought.set(Topic.objects.filter(program=match.cohort.program)[:2])
    AgreementRevision.objects.create(
        match=match,
        number=1,
        cadence_days=14,
        formats=["video"],
        confidentiality="LENA-CONFIDENTIALITY",
        mentee_expectations="LENA-EXPECTATIONS",
        mentor_expectations="Help Lena Leaver close deals",
        created_by=author,
    )
    for i in range(n):
        goal = make_goal(
            match,
            title=f"LENA-GOAL-{i}",
            description="LENA-GOAL-DESCRIPTION",
            relevance="LENA-RELEVANCE",
            milestones=[f"LENA-MILESTONE-{i}"],
            created_by=author,
        )
        GoalEvent.objects.create(
            goal=goal, actor=other, kind="changes", comment="Lena Leaver, add a date please"
        )
        ProgressUpdate.objects.create(
            goal=goal, author=author, milestones_done=1, percent=100, note=f"LENA-PROGRESS-{i}"
        )
        meeting = Meeting.objects.create(
            match=match,
            organizer=author,
            starts_at=now - timedelta(days=20 + i),
            agenda=f"LENA-AGENDA-{i}",
            location="LENA-CAFE",
            timezone="Europe/Lisbon",
        )
        CheckIn.objects.create(
            meeting=meeting,
            match=match,
            author=author,
            discussed=f"LENA-CHECKIN-{i}",
            next_steps="LENA-NEXT-STEPS",
            usefulness=4,
            review_comment="Well done, Lena Leaver",
            reviewed_at=now - timedelta(days=19 + i),
            reviewed_by=other,
        )
        PrivateNote.objects.create(meeting=meeting, author=author, text=f"LENA-PRIVATE-{i}")
        PrivateNote.objects.create(meeting=meeting, author=other, text=f"MIRA-PRIVATE-NOTE-{i}")
    match.reasons = ["LENA-REASON: both speak Portuguese"]
    match.save(update_fields=["reasons"])
    MatchRun.objects.create(
        cohort=match.cohort,
        status=MatchRun.Status.DONE,
        unmatched={str(match.mentee_id): "LENA-UNMATCHED", "0": "Nobody else"},
    )
    MentorRequest.objects.create(
        reasons=["LENA-REQUEST-REASON"],
        cohort=match.cohort,
        mentee=match.mentee,
        mentor=match.mentor,
        rank=1,
        status=MentorRequest.Status.ACCEPTED,
        outcome="Accepted.",
        match=match,
        decided_at=now,
    )


def fill_reviews(match: Match, *, reviewer: User, n: int = 1, now=None) -> None:
    """``reviewer`` (the match's mentor) reviews ``n`` check-ins of the mentee's own words."""
    now = now or timezone.now()
    for i in range(n):
        meeting = Meeting.objects.create(
            match=match, organizer=match.mentee.person, starts_at=now - timedelta(days=40 + i)
        )
        CheckIn.objects.create(
            meeting=meeting,
            match=match,
            author=match.mentee.person,
            discussed=f"MIRA-OWN-CHECKIN-{i}",
            usefulness=5,
            review_comment=f"LENA-REVIEW-{i}",
            reviewed_at=now - timedelta(days=39 + i),
            reviewed_by=reviewer,
        )


def fill_account(person: User, *, n: int = 1) -> None:
    """Emails to the person (one still pending), an opt-out, audit events, a stored
    enrolment file and an admin log entry naming them."""
    for i in range(n):
        Notification.objects.create(
            kind="meeting_reminder",
            recipient=person,
            subject_id=i,
            status="sent",
            sent_at=timezone.now(),
        )
        audit_record("login", actor=person, details={"backend": "test"})
    Notification.objects.create(
        kind="check_in_due",
        recipient=person,
        subject_id=999,
        status="failed",
        last_error=f"550 {person.email} mailbox full",
    )
    Notification.objects.create(kind="goal_due_soon", recipient=person, subject_id=1000)
    NotificationOptOut.objects.create(user=person, kind="progress_stale", via="link")
    LogEntry.objects.create(
        user=person,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr=person.get_full_name(),
        action_flag=CHANGE,
        change_message="[]",
    )


def store_enrollment_file(cohort, person: User) -> EnrollmentImport:
    return EnrollmentImport.objects.create(
        cohort=cohort,
        filename="spring.csv",
        content=(
            "email,role,goals\n"
            f"{person.email},mentee,LENA-ENROL-GOALS\n"
            "someone.else@example.com,mentee,Grow\n"
        ),
        sha256="0" * 64,
        status="applied",
        applied_at=timezone.now(),
        report={"errors": [[2, "email", f"“{person.email.upper()}” is fine"]]},
    )
