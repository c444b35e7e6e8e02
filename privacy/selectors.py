"""What the system holds about one person: counts for HR's page, and every record for the export.

Each kind is read with one query whatever the amount of data (the person's enrolment and
match ids are read first, then every kind filters on them), so an export costs the same
number of queries for a person with one check-in as for one with a thousand.

What is never read here: another person's private notes, and any secret (password hash, TOTP
secret, recovery codes, calendar feed token, SSO tokens). A match names the other member and
nothing else about them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.db.models import Q

from goals.models import (
    AgreementRevision,
    CalendarFeed,
    CheckIn,
    Goal,
    GoalEvent,
    Meeting,
    Milestone,
    PrivateNote,
    ProgressUpdate,
)
from matching.models import Match, MentorRequest
from mentorship.models import AuditEvent, Notification, NotificationOptOut
from people.models import User
from programs.models import Enrollment, Program


@dataclass(frozen=True)
class Holding:
    """One kind of record and how many the system holds about the person."""

    key: str
    label: str
    count: int


def _enrollment_ids(person: User) -> list[int]:
    return list(
        Enrollment.objects.filter(person=person).order_by("id").values_list("id", flat=True)
    )


def _match_filter(enrollment_ids: list[int]) -> Q:
    return Q(mentee_id__in=enrollment_ids) | Q(mentor_id__in=enrollment_ids)


def person_match_ids(person: User) -> list[int]:
    """Every match (draft, active or ended) the person is a member of."""
    return list(
        Match.objects.filter(_match_filter(_enrollment_ids(person)))
        .order_by("id")
        .values_list("id", flat=True)
    )


def person_holdings(person: User) -> list[Holding]:
    """How many records of each kind the system holds about or by the person."""
    enrollment_ids = _enrollment_ids(person)
    matches = Match.objects.filter(_match_filter(enrollment_ids))
    owned_goals = Goal.objects.filter(owner_id__in=enrollment_ids)
    counts = [
        ("enrollments", "Enrolments (with intake answers)", len(enrollment_ids)),
        ("matches", "Matches (draft, active or ended)", matches.count()),
        ("goals", "Their goals", owned_goals.count()),
        (
            "progress_updates",
            "Progress updates",
            ProgressUpdate.objects.filter(Q(goal__in=owned_goals) | Q(author=person)).count(),
        ),
        (
            "meetings",
            "Meetings of their matches",
            Meeting.objects.filter(match__in=matches).count(),
        ),
        ("check_ins", "Check-ins they wrote", CheckIn.objects.filter(author=person).count()),
        ("private_notes", "Their private notes", PrivateNote.objects.filter(author=person).count()),
        (
            "reviews",
            "Check-in reviews they wrote",
            CheckIn.objects.filter(reviewed_by=person).count(),
        ),
        (
            "mentor_requests",
            "Mentor requests",
            MentorRequest.objects.filter(_match_filter(enrollment_ids)).count(),
        ),
        (
            "notifications",
            "Notifications to them",
            Notification.objects.filter(recipient=person).count(),
        ),
        (
            "opt_outs",
            "Email opt-outs",
            NotificationOptOut.objects.filter(user=person).count(),
        ),
        (
            "audit_events",
            "Audit log events where they acted",
            AuditEvent.objects.filter(actor=person).count(),
        ),
    ]
    return [Holding(key, label, count) for key, label, count in counts]


# --- The export ---------------------------------------------------------------------------------


def _name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def person_export_data(person: User) -> dict[str, object]:
    """Everything held about the person, by file name of the export (without ``.json``).

    Values are plain data (dicts, lists, strings, numbers, dates); the service turns them into
    JSON. Lists are in a fixed order (by date, then id) so the same data gives the same file.
    """
    enrollment_ids = _enrollment_ids(person)
    return {
        "person": _person(person),
        "enrollments": _enrollments(enrollment_ids),
        **_pair_records(person, enrollment_ids),
        "mentor_requests": _mentor_requests(enrollment_ids),
        "notifications": _notifications(person),
        "opt_outs": list(
            NotificationOptOut.objects.filter(user=person)
            .order_by("kind", "id")
            .values("kind", "via", "created_at")
        ),
        "audit_events": list(
            AuditEvent.objects.filter(actor=person)
            .order_by("at", "id")
            .values(
                "id",
                "at",
                "action",
                "target_type",
                "target_id",
                "ip",
                "user_agent",
                "path",
                "details",
            )
        ),
    }


def _person(person: User) -> dict:
    row = (
        User.objects.filter(pk=person.pk)
        .values(
            "id",
            "employee_id",
            "email",
            "first_name",
            "last_name",
            "department",
            "title",
            "level",
            "location",
            "timezone",
            "manager__first_name",
            "manager__last_name",
            "hire_date",
            "end_date",
            "is_active",
            "is_hr",
            "is_staff",
            "is_superuser",
            "date_joined",
            "last_login",
            "erased_at",
        )
        .get()
    )
    addresses = list(
        EmailAddress.objects.filter(user=person)
        .order_by("email", "id")
        .values("email", "verified", "primary")
    )
    # Only which kinds of second factor are set up: never a secret or a recovery code.
    factors = set(Authenticator.objects.filter(user=person).values_list("type", flat=True))
    sso = list(
        SocialAccount.objects.filter(user=person)
        .order_by("provider", "id")
        .values("provider", "uid", "date_joined", "last_login")
    )
    feeds = list(CalendarFeed.objects.filter(person=person).values("created_at", "reset_at"))
    administered = list(
        Program.objects.filter(admins=person).order_by("name", "id").values_list("name", flat=True)
    )
    return {
        "directory": {
            "employee_id": row["employee_id"],
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "department": row["department"],
            "title": row["title"],
            "level": row["level"],
            "location": row["location"],
            "timezone": row["timezone"],
            "manager": _name(row["manager__first_name"], row["manager__last_name"]) or None,
            "hire_date": row["hire_date"],
            "end_date": row["end_date"],
        },
        "account": {
            "id": row["id"],
            "active": row["is_active"],
            "roles": {
                "hr": row["is_hr"],
                "staff": row["is_staff"],
                "superuser": row["is_superuser"],
                "program_admin_of": administered,
            },
            "date_joined": row["date_joined"],
            "last_login": row["last_login"],
            "erased_at": row["erased_at"],
            "email_addresses": addresses,
            "password_set": person.has_usable_password(),
            "two_factor": {
                "authenticator_app": Authenticator.Type.TOTP in factors,
                "recovery_codes": Authenticator.Type.RECOVERY_CODES in factors,
                "security_keys": Authenticator.Type.WEBAUTHN in factors,
            },
            "single_sign_on": sso,
            "calendar_feed": {
                "set_up": bool(feeds),
                "created_at": feeds[0]["created_at"] if feeds else None,
                "reset_at": feeds[0]["reset_at"] if feeds else None,
            },
        },
    }


def _enrollments(enrollment_ids: list[int]) -> list[dict]:
    rows = list(
        Enrollment.objects.filter(id__in=enrollment_ids)
        .order_by("created_at", "id")
        .values(
            "id",
            "cohort__program__name",
            "cohort__name",
            "role",
            "status",
            "source",
            "capacity",
            "goals",
            "bio",
            "languages",
            "preferred_format",
            "intake_completed_at",
            "invitation_sent_at",
            "decided_at",
            "withdrawn_at",
            "withdrawal_reason",
            "created_at",
        )
    )
    topics: dict[str, dict[int, list[str]]] = {}
    for side in ("topics_offered", "topics_sought"):
        through = getattr(Enrollment, side).through
        by_enrollment: dict[int, list[str]] = defaultdict(list)
        for enrollment_id, topic in (
            through.objects.filter(enrollment_id__in=enrollment_ids)
            .order_by("topic__name", "topic_id")
            .values_list("enrollment_id", "topic__name")
        ):
            by_enrollment[enrollment_id].append(topic)
        topics[side] = by_enrollment
    return [
        {
            "id": row["id"],
            "program": row["cohort__program__name"],
            "cohort": row["cohort__name"],
            "role": row["role"],
            "status": row["status"],
            "source": row["source"],
            "capacity": row["capacity"],
            "intake": {
                "goals": row["goals"],
                "bio": row["bio"],
                "languages": row["languages"],
                "preferred_format": row["preferred_format"],
                "topics_offered": topics["topics_offered"].get(row["id"], []),
                "topics_sought": topics["topics_sought"].get(row["id"], []),
                "completed_at": row["intake_completed_at"],
            },
            "invitation_sent_at": row["invitation_sent_at"],
            "decided_at": row["decided_at"],
            "withdrawn_at": row["withdrawn_at"],
            "withdrawal_reason": row["withdrawal_reason"],
            "created_at": row["created_at"],
        }
        for row in rows
    ]


def _pair_records(person: User, enrollment_ids: list[int]) -> dict[str, list]:
    """Matches (with agreements), goals, meetings, check-ins, private notes and reviews."""
    mine = set(enrollment_ids)
    match_rows = list(
        Match.objects.filter(_match_filter(enrollment_ids))
        .order_by("created_at", "id")
        .values(
            "id",
            "cohort__program__name",
            "cohort__name",
            "mentee_id",
            "mentor_id",
            "mentee__person__first_name",
            "mentee__person__last_name",
            "mentor__person__first_name",
            "mentor__person__last_name",
            "status",
            "score",
            "reasons",
            "created_at",
            "published_at",
            "ended_at",
            "end_reason",
        )
    )
    match_ids = [row["id"] for row in match_rows]
    agreements: dict[int, list[dict]] = defaultdict(list)
    for row in (
        AgreementRevision.objects.filter(match_id__in=match_ids)
        .order_by("match_id", "number", "id")
        .values(
            "match_id",
            "number",
            "cadence_days",
            "formats",
            "confidentiality",
            "mentee_expectations",
            "mentor_expectations",
            "created_at",
            "mentee_confirmed_at",
            "mentor_confirmed_at",
        )
    ):
        agreements[row.pop("match_id")].append(row)
    matches = []
    for row in match_rows:
        as_mentee = row["mentee_id"] in mine
        side = "mentor" if as_mentee else "mentee"
        matches.append(
            {
                "id": row["id"],
                "program": row["cohort__program__name"],
                "cohort": row["cohort__name"],
                "your_side": "mentee" if as_mentee else "mentor",
                "other_member": _name(
                    row[f"{side}__person__first_name"], row[f"{side}__person__last_name"]
                ),
                "status": row["status"],
                "score": row["score"],
                "reasons": row["reasons"],
                "created_at": row["created_at"],
                "published_at": row["published_at"],
                "ended_at": row["ended_at"],
                "end_reason": row["end_reason"],
                "agreement_revisions": agreements.get(row["id"], []),
            }
        )

    goals = _goals(person, enrollment_ids)

    meetings = [
        {
            **{k: v for k, v in row.items() if k != "organizer_id"},
            "organized_by_you": row["organizer_id"] == person.pk,
        }
        for row in Meeting.objects.filter(match_id__in=match_ids)
        .order_by("starts_at", "id")
        .values(
            "id",
            "match_id",
            "organizer_id",
            "starts_at",
            "timezone",
            "duration_minutes",
            "mode",
            "location",
            "video_url",
            "agenda",
            "status",
            "sequence",
            "created_at",
            "cancelled_at",
        )
    ]
    check_ins = list(
        CheckIn.objects.filter(author=person)
        .order_by("submitted_at", "id")
        .values(
            "id",
            "match_id",
            "meeting_id",
            "meeting__starts_at",
            "discussed",
            "next_steps",
            "usefulness",
            "submitted_at",
            "review_comment",
            "reviewed_at",
        )
    )
    # The person's own private notes only: another person's are never read.
    private_notes = list(
        PrivateNote.objects.filter(author=person)
        .order_by("meeting__starts_at", "id")
        .values("id", "meeting_id", "meeting__match_id", "meeting__starts_at", "text", "updated_at")
    )
    reviews = list(
        CheckIn.objects.filter(reviewed_by=person)
        .order_by("reviewed_at", "id")
        .values("id", "match_id", "meeting__starts_at", "review_comment", "reviewed_at")
    )
    return {
        "matches": matches,
        "goals": goals,
        "meetings": meetings,
        "check_ins": check_ins,
        "private_notes": private_notes,
        "reviews": reviews,
    }


def _goals(person: User, enrollment_ids: list[int]) -> dict[str, list]:
    owned = list(
        Goal.objects.filter(owner_id__in=enrollment_ids)
        .order_by("created_at", "id")
        .values(
            "id",
            "match_id",
            "title",
            "description",
            "measure_kind",
            "metric_unit",
            "baseline",
            "target",
            "current_value",
            "relevance",
            "due_on",
            "no_due_reason",
            "status",
            "created_at",
            "agreed_at",
            "achieved_at",
        )
    )
    owned_ids = [row["id"] for row in owned]
    owned_set = set(owned_ids)
    milestones: dict[int, list] = defaultdict(list)
    for row in (
        Milestone.objects.filter(goal_id__in=owned_ids)
        .order_by("goal_id", "position", "id")
        .values("goal_id", "title", "due_on", "position", "done_at")
    ):
        milestones[row.pop("goal_id")].append(row)
    progress: dict[int, list] = defaultdict(list)
    progress_elsewhere = []
    for row in (
        ProgressUpdate.objects.filter(Q(goal_id__in=owned_ids) | Q(author=person))
        .order_by("created_at", "id")
        .values(
            "goal_id",
            "id",
            "author_id",
            "check_in_id",
            "created_at",
            "value",
            "milestones_done",
            "percent",
            "note",
        )
    ):
        row["by_you"] = row.pop("author_id") == person.pk
        if row["goal_id"] in owned_set:
            progress[row.pop("goal_id")].append(row)
        else:
            progress_elsewhere.append(row)
    history: dict[int, list] = defaultdict(list)
    comments_elsewhere = []
    for row in (
        GoalEvent.objects.filter(Q(goal_id__in=owned_ids) | Q(actor=person))
        .order_by("at", "id")
        .values("goal_id", "id", "actor_id", "at", "kind", "from_status", "to_status", "comment")
    ):
        row["by_you"] = row.pop("actor_id") == person.pk
        if row["goal_id"] in owned_set:
            history[row.pop("goal_id")].append(row)
        else:
            comments_elsewhere.append(row)
    return {
        "goals": [
            {
                **row,
                "milestones": milestones.get(row["id"], []),
                "progress_updates": progress.get(row["id"], []),
                "history": history.get(row["id"], []),
            }
            for row in owned
        ],
        # What the person wrote on the other member's goals (peer programs, a mentor's
        # comments): their own words, without the other's goal text.
        "progress_updates_on_other_goals": progress_elsewhere,
        "comments_on_other_goals": comments_elsewhere,
    }


def _mentor_requests(enrollment_ids: list[int]) -> list[dict]:
    mine = set(enrollment_ids)
    rows = (
        MentorRequest.objects.filter(_match_filter(enrollment_ids))
        .order_by("created_at", "id")
        .values(
            "id",
            "cohort__name",
            "mentee_id",
            "mentee__person__first_name",
            "mentee__person__last_name",
            "mentor__person__first_name",
            "mentor__person__last_name",
            "rank",
            "status",
            "outcome",
            "reasons",
            "created_at",
            "sent_at",
            "expires_at",
            "decided_at",
        )
    )
    result = []
    for row in rows:
        sent = row["mentee_id"] in mine
        other = "mentor" if sent else "mentee"
        result.append(
            {
                "id": row["id"],
                "cohort": row["cohort__name"],
                "direction": "sent" if sent else "received",
                "other_member": _name(
                    row[f"{other}__person__first_name"], row[f"{other}__person__last_name"]
                ),
                "rank": row["rank"],
                "status": row["status"],
                "outcome": row["outcome"],
                "reasons": row["reasons"],
                "created_at": row["created_at"],
                "sent_at": row["sent_at"],
                "expires_at": row["expires_at"],
                "decided_at": row["decided_at"],
            }
        )
    return result


def _notifications(person: User) -> list[dict]:
    return list(
        Notification.objects.filter(recipient=person)
        .order_by("created_at", "id")
        .values(
            "id",
            "kind",
            "subject_id",
            "period",
            "status",
            "due_at",
            "created_at",
            "sent_at",
            "attempts",
            "skip_reason",
            "last_error",
        )
    )
