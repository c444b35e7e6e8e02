"""One small world of real objects for the access tests (tests/test_url_access.py and
tests/test_permission_matrix.py), and a snapshot of every row those tests must not change.

Alice (mentee) and Bob (mentor) are a pair in a running cohort of the "eng" program; Charlie
mentors Dave in the same cohort; Erin, an unmatched mentee, has a pending request to Bob and a
draft match with Charlie. The pair has an agreement, a goal with a milestone, progress, a past
meeting with a check-in (reviewed) and a private note of each member, and a future meeting.
The program has a goal template and a stored enrolment file; HR has a stored directory file.
Ada administers "eng", Otto administers "sales" only, Hana is HR; Pat has no relation to any of
it. Admins and HR have TOTP set up, as their pages require.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.apps import apps
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from goals.models import (
    AgreementRevision,
    CalendarFeed,
    CheckIn,
    Goal,
    GoalTemplate,
    Meeting,
    Milestone,
    PrivateNote,
    ProgressUpdate,
)
from goals.notifications_meetings import INVITATION
from matching.models import Match, MentorRequest
from mentorship import outbox
from people.directory_import import directory_file_preview
from programs.models import Cohort, Enrollment
from programs.services.enroll_file import enrollment_file_preview
from tests.conftest import activate_totp, make_user
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

# Text of the pair's (every member sees it) and of each member's private note (the author
# only): pages and files shown to anyone else must not contain them.
SHARED = "SHARED-TEXT-5d1e"
ALICE_PRIVATE = "ALICE-PRIVATE-0b7c"
BOB_PRIVATE = "BOB-PRIVATE-e93a"

# The apps whose rows a refused request must leave as they were. The audit log is left out on
# purpose: recording a denied access is its job.
SNAPSHOT_APPS = ("people", "programs", "matching", "goals", "mentorship", "account", "mfa")
SNAPSHOT_APPS_IF_INSTALLED = ("privacy",)
SNAPSHOT_SKIP = {"mentorship.auditevent", "privacy.auditevent"}
# Signing a test client in stamps last_login; that is the test's doing, not the request's.
SNAPSHOT_IGNORED_FIELDS = {"people.user": {"last_login"}}


def module_world(django_db_blocker):
    """Build the world once for a test module, inside a transaction rolled back after the
    module's last test: each test runs in a savepoint of it (pytest-django's ``db``), so what
    one test writes is gone before the next, and nothing is left for other modules."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


def build_world() -> SimpleNamespace:
    now = timezone.now()
    today = timezone.localdate()
    w = SimpleNamespace()
    w.admin = make_user(email="ada.admin@example.com", first_name="Ada", last_name="Admin")
    w.other_admin = make_user(email="otto.other@example.com", first_name="Otto", last_name="Other")
    w.hr = make_user(email="hana.hr@example.com", first_name="Hana", last_name="HR", is_hr=True)
    for user in (w.admin, w.other_admin, w.hr):
        activate_totp(user)
    w.alice = make_user(email="alice@example.com", first_name="Alice", last_name="Adams")
    w.bob = make_user(email="bob@example.com", first_name="Bob", last_name="Baker")
    w.charlie = make_user(email="charlie@example.com", first_name="Charlie", last_name="Chen")
    w.dave = make_user(email="dave@example.com", first_name="Dave", last_name="Dunn")
    w.erin = make_user(email="erin@example.com", first_name="Erin", last_name="Evans")
    w.outsider = make_user(email="pat.outsider@example.com", first_name="Pat", last_name="Out")
    # Someone who has left the company: HR may erase them.
    w.leaver = make_user(
        email="lee.leaver@example.com",
        first_name="Lee",
        last_name="Leaver",
        end_date=today - timedelta(days=30),
        is_active=False,
    )

    w.program = make_program(admins=[w.admin], name="Engineering Mentorship", slug="eng")
    w.other_program = make_program(admins=[w.other_admin], name="Sales Mentorship", slug="sales")
    make_cohort(program=w.other_program, phase="running", slug="sales-running")
    # Mentees may also choose mentors here ("both"), so the request pages have a subject.
    w.cohort = make_cohort(
        program=w.program,
        phase="running",
        slug="eng-running",
        matching_mode=Cohort.MatchingMode.BOTH,
    )
    w.open_cohort = make_cohort(program=w.program, phase="open", slug="eng-open")

    w.pair = make_pair(cohort=w.cohort, mentee=w.alice, mentor=w.bob)
    w.other_pair = make_pair(cohort=w.cohort, mentee=w.dave, mentor=w.charlie)
    w.alice_enrollment = w.pair.mentee
    w.bob_enrollment = w.pair.mentor
    w.erin_enrollment = make_enrollment(cohort=w.cohort, person=w.erin, role="mentee")
    w.draft = Match.objects.create(
        cohort=w.cohort, mentee=w.erin_enrollment, mentor=w.other_pair.mentor, score=50
    )
    w.mentor_request = MentorRequest.objects.create(
        cohort=w.cohort,
        mentee=w.erin_enrollment,
        mentor=w.bob_enrollment,
        rank=1,
        status=MentorRequest.Status.PENDING,
        sent_at=now,
        expires_at=now + timedelta(days=5),
    )
    # An application waiting for a decision in the open cohort.
    w.application = make_enrollment(
        cohort=w.open_cohort, role="mentee", status=Enrollment.Status.APPLIED
    )

    w.agreement = AgreementRevision.objects.create(
        match=w.pair,
        number=1,
        cadence_days=14,
        formats=["video"],
        confidentiality=f"What we say stays between us. {SHARED}",
        mentee_expectations=f"Come prepared. {SHARED}",
        mentor_expectations=f"Give honest feedback. {SHARED}",
        created_by=w.alice,
        mentee_confirmed_at=now,
    )
    w.goal = Goal.objects.create(
        match=w.pair,
        owner=w.alice_enrollment,
        title=f"Lead the design review {SHARED}",
        description=f"Run the quarterly design review. {SHARED}",
        relevance=f"Prepares me for a staff role. {SHARED}",
        measure_kind="milestones",
        due_on=today + timedelta(days=20),
        status="agreed",
        created_by=w.alice,
    )
    w.milestone = Milestone.objects.create(
        goal=w.goal, title=f"Draft the agenda {SHARED}", due_on=today + timedelta(days=3)
    )
    ProgressUpdate.objects.create(
        goal=w.goal, author=w.alice, note=f"Agenda drafted. {SHARED}", percent=0
    )
    w.meeting = Meeting.objects.create(
        match=w.pair,
        organizer=w.alice,
        starts_at=now - timedelta(days=2),
        agenda=f"Design review plan {SHARED}",
        location=f"Room 4 {SHARED}",
        mode="in_person",
    )
    w.next_meeting = Meeting.objects.create(
        match=w.pair,
        organizer=w.bob,
        starts_at=now + timedelta(days=5),
        agenda=f"Follow-up {SHARED}",
    )
    w.check_in = CheckIn.objects.create(
        meeting=w.meeting,
        match=w.pair,
        author=w.alice,
        discussed=f"The review's format. {SHARED}",
        next_steps=f"Send the invitation. {SHARED}",
        usefulness=4,
        review_comment=f"Good plan. {SHARED}",
        reviewed_at=now,
        reviewed_by=w.bob,
    )
    PrivateNote.objects.create(meeting=w.meeting, author=w.alice, text=ALICE_PRIVATE)
    PrivateNote.objects.create(meeting=w.meeting, author=w.bob, text=BOB_PRIVATE)
    w.template = GoalTemplate.objects.create(program=w.program, title="Lead a project")
    w.feed = CalendarFeed.objects.create(person=w.alice)
    w.unsubscribe_token = outbox.unsubscribe_token(w.alice.pk, INVITATION)

    newcomer = "new.mentor@example.com"
    w.enrollment_import, _ = enrollment_file_preview(
        cohort=w.cohort,
        data=f"email,role\n{w.outsider.email},mentor\n".encode(),
        filename="people.csv",
        user=w.admin,
    )
    w.directory_import, _ = directory_file_preview(
        data=(
            "employee_id,email,first_name,last_name,hire_date\n"
            f"N0001,{newcomer},New,Mentor,2024-02-01\n"
        ).encode(),
        filename="directory.csv",
        user=w.hr,
    )
    return w


def body_of(response) -> str:
    """A response's text, streamed or not (bytes that are not UTF-8 are replaced)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def snapshot_models() -> list:
    labels = [*SNAPSHOT_APPS, *(a for a in SNAPSHOT_APPS_IF_INSTALLED if apps.is_installed(a))]
    models = []
    for label in labels:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower not in SNAPSHOT_SKIP:
                models.append(model)
    return models


def snapshot() -> dict[str, list[str]]:
    """Every row of every model of the product's apps (and allauth's accounts and MFA), as
    values: a change made by a request shows as a difference between two snapshots."""
    rows = {}
    for model in snapshot_models():
        ignored = SNAPSHOT_IGNORED_FIELDS.get(model._meta.label_lower, set())
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ignored]
        rows[model._meta.label] = [str(row) for row in model.objects.order_by("pk").values(*fields)]
    return rows


def snapshot_diff(before: dict, after: dict) -> list[str]:
    """What changed, model by model, readable in a failure message."""
    changed = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label, []), after.get(label, [])
        if old != new:
            gone = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            changed.append(f"{label}: removed {gone[:3]}, added {added[:3]}")
    return changed
