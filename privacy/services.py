"""Data rights: export everything held about one person, and erase a person who has left.

Both are for HR answering a request (a subject access request, an erasure request, the
retention policy), and both are written to the audit log with the reason HR gives.

**Export** (``person_export``): a ZIP of JSON files, one per kind of record (see
``privacy.selectors``). It includes the person's own check-in notes and private notes: they
are the person's data and a subject access request covers them; HR hands the file to the
person, and the audit log says who downloaded it and why. It never includes another person's
private notes or any secret. The JSON is deterministic (sorted keys, ISO 8601 dates, UTC
times), and so is the ZIP for the same data and the same ``now``.

**Erasure** (``person_erase``): only for someone whose leaving date has come. The ``User`` row
stays, anonymised, and so do every enrolment, match, goal, meeting and check-in row, with
their dates, statuses, ratings and figures: the retention report (department, level, hire and
leaving dates, who took part) and the engagement figures (pairs, meetings, check-ins, goals,
usefulness) come out the same before and after. The employee_id stays too: it is how the
next directory import recognises the leaver and skips them, where a blank id would make the
import create them again, name and all, and count them twice in the comparison group. What
goes: names, email, title, location, time zone, manager, sign-in (password, addresses, second
factors, SSO links, sessions, calendar feed), roles, every text they wrote or that is about
them (intake answers, goals, milestones, progress notes, check-in notes and reviews, private
notes, meeting agendas and places, agreements, the end reason and the engine's reasons of
their matches and requests), pending
emails, opt-outs, and their rows in stored import files and the admin's change log.

Kept on purpose: audit log rows where they acted (append-only; they point at the anonymised
row and hold no text about them), and the other member's own words (their check-ins and
private notes are the other member's data).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO
from uuid import UUID

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from goals.cache_invalidation import PAIR_ACTIVITY
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
from matching.models import Match, MatchRun, MentorRequest
from mentorship.audit import audit_record
from mentorship.cache_versions import PEOPLE, bump_on_commit
from mentorship.models import Notification, NotificationOptOut
from people.models import DirectoryImport, User
from people.redaction import (
    ERASED_NAME,
    ERASED_TEXT,
    erased_email,
    redact_csv_rows,
    replace_in_json,
    replace_text,
)
from privacy.selectors import person_export_data
from programs.models import Enrollment, EnrollmentImport

MAX_REASON_LENGTH = 200

EXPORT_NOTES = [
    "Everything this system holds about the person, one JSON file per kind of record.",
    "Times are ISO 8601 in UTC; dates are ISO 8601.",
    "Check-ins and private notes are the person's own; other people's private notes are never "
    "included.",
    "Matches and mentor requests name the other member and nothing else about them.",
    "Secrets (password, second-factor secrets and recovery codes, calendar feed token) are "
    "never included: only whether they are set up.",
]


class ErasureRefused(Exception):
    """The person cannot be erased (still employed, already erased, confirmation wrong)."""


# --- Export -------------------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def export_json(data) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8, ISO dates, a final newline."""
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, default=_json_value)
    return (text + "\n").encode("utf-8")


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("A reason (request or ticket reference) is required")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"The reason is longer than {MAX_REASON_LENGTH} characters")
    return reason


def person_export(
    *, person: User, by: User | None, reason: str, now: datetime | None = None
) -> IO[bytes]:
    """Build the ZIP export of everything held about ``person`` in an anonymous temporary
    file (memory stays flat), record it in the audit log, and return the file at its start.

    The caller closes the file (FileResponse does)."""
    reason = _reason(reason)
    now = now or timezone.now()
    data = person_export_data(person)
    data["about"] = {
        "generated_at": now,
        "person_id": person.pk,
        "files": sorted(f"{name}.json" for name in [*data, "about"]),
        "notes": EXPORT_NOTES,
    }
    stamp = now.astimezone(UTC).timetuple()[:6]
    output = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the caller closes it
    try:
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(data):
                info = zipfile.ZipInfo(f"{name}.json", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, export_json(data[name]))
        audit_record(
            "person_exported",
            actor=by,
            target=person,
            details={"reason": reason, "files": len(data)},
        )
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def export_filename(person: User, now: datetime | None = None) -> str:
    now = now or timezone.now()
    return f"person-{person.pk}-{timezone.localdate(now).isoformat()}.zip"


# --- Erasure ------------------------------------------------------------------------------------


@dataclass
class ErasureResult:
    person: User
    # Kind of record -> how many rows were blanked, deleted or skipped.
    counts: dict[str, int] = field(default_factory=dict)


def erasure_refusal(person: User, *, by: User | None = None, today: date | None = None) -> str:
    """Why ``person`` cannot be erased now, or "" if they can."""
    today = today or timezone.localdate()
    if person.erased_at is not None:
        return f"This person's data was already erased on {person.erased_at:%Y-%m-%d}."
    if by is not None and by.pk == person.pk:
        return "You cannot erase your own account."
    if person.end_date is None:
        return (
            "This person is still employed (no leaving date): only people who have left can "
            "be erased."
        )
    if person.end_date > today:
        return (
            f"This person leaves on {person.end_date:%Y-%m-%d}: only people who have left can "
            "be erased."
        )
    return ""


def confirmation_matches(person: User, confirmation: str) -> bool:
    typed = (confirmation or "").strip().lower()
    return bool(typed) and typed in {
        (person.employee_id or "").strip().lower(),
        person.email.strip().lower(),
    }


def person_erase(
    *,
    person: User,
    by: User | None,
    reason: str,
    confirmation: str,
    today: date | None = None,
    now: datetime | None = None,
) -> ErasureResult:
    """Anonymise a person who has left and blank everything they wrote, in one transaction.

    Raises ErasureRefused (nothing written) if they have not left, were erased already, or
    ``confirmation`` is neither their employee id nor their email."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        refusal = erasure_refusal(person, by=by, today=today)
        if refusal:
            raise ErasureRefused(refusal)
        if not confirmation_matches(person, confirmation):
            raise ErasureRefused(
                "The confirmation does not match: type the person's employee ID or email address."
            )
        result = ErasureResult(person=person)
        counts = result.counts
        old_name = person.get_full_name()
        old_email = person.email
        new_email = erased_email(person.pk)

        counts.update(_erase_participation(person))
        counts.update(_erase_account(person))
        counts.update(_erase_stored_files(person, old_name=old_name, new_email=new_email))

        person.first_name = ERASED_NAME
        person.last_name = ""
        person.email = new_email
        person.title = ""
        person.location = ""
        person.timezone = ""
        person.manager = None
        person.is_active = False
        person.is_hr = False
        person.is_staff = False
        person.is_superuser = False
        person.last_login = None
        person.erased_at = now
        person.set_unusable_password()
        person.save()
        # Their texts were blanked in bulk (no signals). Fragments that print a person key on
        # PEOPLE (the pair page, the inbox, the cohort pages), pair health on PAIR_ACTIVITY.
        # Figures (participation) are unchanged.
        bump_on_commit(PEOPLE, PAIR_ACTIVITY)
        counts.update(_erase_admin_log(person, old_name=old_name, old_email=old_email))

        audit_record(
            "person_erased",
            actor=by,
            target=person,
            details={"reason": reason, "counts": counts},
        )
    return result


def _erase_participation(person: User) -> dict[str, int]:
    """Blank every text by or about the person in programs, matching and goals; keep the rows
    (and their dates, statuses, ratings and figures) that the reports count."""
    enrollment_ids = list(Enrollment.objects.filter(person=person).values_list("id", flat=True))
    match_ids = list(
        Match.objects.filter(
            Q(mentee_id__in=enrollment_ids) | Q(mentor_id__in=enrollment_ids)
        ).values_list("id", flat=True)
    )
    goal_ids = list(Goal.objects.filter(owner_id__in=enrollment_ids).values_list("id", flat=True))
    counts: dict[str, int] = {}

    for side in ("topics_offered", "topics_sought"):
        getattr(Enrollment, side).through.objects.filter(enrollment_id__in=enrollment_ids).delete()
    counts["enrollments"] = Enrollment.objects.filter(id__in=enrollment_ids).update(
        goals="", bio="", languages=[], preferred_format="", withdrawal_reason=""
    )
    # The engine's reasons name shared languages and topics: intake answers, in other words.
    counts["matches"] = Match.objects.filter(id__in=match_ids).update(end_reason="", reasons=[])
    counts["mentor_requests"] = MentorRequest.objects.filter(
        Q(mentee_id__in=enrollment_ids) | Q(mentor_id__in=enrollment_ids)
    ).update(reasons=[])
    keys = {str(pk) for pk in enrollment_ids}
    runs = MatchRun.objects.filter(cohort__enrollments__id__in=enrollment_ids).distinct()
    for run in runs.only("id", "unmatched").order_by("id"):
        if keys & set(run.unmatched):
            run.unmatched = {
                key: ERASED_TEXT if key in keys else reason for key, reason in run.unmatched.items()
            }
            run.save(update_fields=["unmatched"])
    counts["agreement_revisions"] = AgreementRevision.objects.filter(match_id__in=match_ids).update(
        confidentiality="", mentee_expectations="", mentor_expectations=""
    )
    counts["goals"] = Goal.objects.filter(id__in=goal_ids).update(
        title=ERASED_TEXT,
        description="",
        relevance="",
        metric_unit="",
        # A goal without a due date must say why (goal_time_bound): keep a stand-in.
        no_due_reason=Case(When(no_due_reason="", then=Value("")), default=Value(ERASED_TEXT)),
    )
    counts["milestones"] = Milestone.objects.filter(goal_id__in=goal_ids).update(title=ERASED_TEXT)
    counts["goal_events"] = (
        GoalEvent.objects.filter(Q(goal_id__in=goal_ids) | Q(actor=person))
        .exclude(comment="")
        .update(comment="")
    )
    counts["progress_updates"] = ProgressUpdate.objects.filter(
        Q(goal_id__in=goal_ids) | Q(author=person)
    ).update(note="")
    counts["meetings"] = Meeting.objects.filter(match_id__in=match_ids).update(
        agenda="", location="", video_url=""
    )
    # A meeting keeps its organiser's time zone for calendars: not the erased person's.
    Meeting.objects.filter(match_id__in=match_ids, organizer=person).update(timezone="UTC")
    # A reviewed check-in keeps a comment (check_in_review_has_comment): a stand-in.
    review_stand_in = Case(
        When(reviewed_at__isnull=True, then=Value("")), default=Value(ERASED_TEXT)
    )
    counts["check_ins"] = CheckIn.objects.filter(author=person).update(
        discussed=ERASED_TEXT, next_steps="", review_comment=review_stand_in
    )
    counts["reviews"] = CheckIn.objects.filter(reviewed_by=person).update(
        review_comment=review_stand_in
    )
    counts["private_notes"] = PrivateNote.objects.filter(author=person).update(text="")
    return counts


def _erase_account(person: User) -> dict[str, int]:
    """Sign-in, roles, reminders: nothing is left to sign in with or to be emailed."""
    counts: dict[str, int] = {}
    counts["email_addresses"] = EmailAddress.objects.filter(user=person).delete()[0]
    counts["authenticators"] = Authenticator.objects.filter(user=person).delete()[0]
    counts["social_accounts"] = SocialAccount.objects.filter(user=person).delete()[0]
    counts["calendar_feeds"] = CalendarFeed.objects.filter(person=person).delete()[0]
    counts["sessions"] = _delete_sessions(person)
    person.administered_programs.clear()
    person.groups.clear()
    person.user_permissions.clear()
    counts["notifications_skipped"] = Notification.objects.filter(
        recipient=person, status__in=[Notification.Status.PENDING, Notification.Status.SENDING]
    ).update(status=Notification.Status.SKIPPED, skip_reason="The recipient's data was erased")
    Notification.objects.filter(recipient=person).exclude(last_error="").update(last_error="")
    counts["opt_outs"] = NotificationOptOut.objects.filter(user=person).delete()[0]
    return counts


def _delete_sessions(person: User) -> int:
    """The database sessions signed in as the person (session data is encoded, so each is
    decoded; erasure is rare, and the table holds one row per signed-in browser)."""
    doomed = [
        session.pk
        for session in Session.objects.iterator(chunk_size=2000)
        if str(session.get_decoded().get(SESSION_KEY, "")) == str(person.pk)
    ]
    return Session.objects.filter(pk__in=doomed).delete()[0]


def _erase_stored_files(person: User, *, old_name: str, new_email: str) -> dict[str, int]:
    """Blank the person's rows in stored directory and enrolment files and their previews."""
    old_email = person.email
    employee_id = person.employee_id
    replacements = {old_email: new_email}
    if old_name:
        replacements[old_name] = ERASED_NAME
    counts = {"directory_files": 0, "enrollment_files": 0}

    def directory_row(values: dict[str, str]) -> dict[str, str] | None:
        if (employee_id and values.get("employee_id") == employee_id) or values.get(
            "email", ""
        ).lower() == old_email:
            return {"employee_id": values.get("employee_id", "")}
        return None

    found = Q(content__icontains=old_email)
    if employee_id:
        found |= Q(content__contains=employee_id)
    for stored in DirectoryImport.objects.filter(found).order_by("id"):
        stored.content = replace_text(
            redact_csv_rows(stored.content, redact=directory_row), replacements
        )
        stored.report = _redact_report(stored.report, employee_id, replacements)
        stored.save(update_fields=["content", "report"])
        counts["directory_files"] += 1

    def enrollment_row(values: dict[str, str]) -> dict[str, str] | None:
        # Blank but for the role: the row can never enrol anyone again.
        if values.get("email", "").lower() == old_email:
            return {"role": values.get("role", "")}
        return None

    for stored in EnrollmentImport.objects.filter(content__icontains=old_email).order_by("id"):
        stored.content = replace_text(
            redact_csv_rows(stored.content, redact=enrollment_row), replacements
        )
        stored.report = replace_in_json(stored.report, replacements)
        stored.save(update_fields=["content", "report"])
        counts["enrollment_files"] += 1
    return counts


PREVIEW_PERSONAL_KEYS = ("name", "email", "title", "location", "manager_email")


def _redact_report(report, employee_id: str | None, replacements: dict[str, str]):
    """A directory import's preview with the person's rows blanked and their name and email
    replaced wherever else they appear (error messages, other rows' managers)."""

    def walk(value):
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            if employee_id and value.get("employee_id") == employee_id:
                value = {
                    **value,
                    **{key: "" for key in PREVIEW_PERSONAL_KEYS if key in value},
                    "name": ERASED_NAME,
                }
                if "changes" in value:
                    value["changes"] = [[change[0], "", ""] for change in value["changes"]]
            return {key: walk(item) for key, item in value.items()}
        return value

    return replace_in_json(walk(report), replacements)


def _erase_admin_log(person: User, *, old_name: str, old_email: str) -> dict[str, int]:
    """The Django admin's change log names objects by their text (a user by their name)."""
    user_type = ContentType.objects.get_for_model(User)
    replacements = {old_email: person.email}
    if old_name:
        replacements[old_name] = ERASED_NAME
    found = Q(content_type=user_type, object_id=str(person.pk))
    for old in replacements:
        found |= Q(object_repr__icontains=old) | Q(change_message__icontains=old)
    changed = 0
    for entry in LogEntry.objects.filter(found).order_by("id"):
        if entry.content_type_id == user_type.pk and entry.object_id == str(person.pk):
            entry.object_repr = ERASED_NAME
        entry.object_repr = replace_text(entry.object_repr, replacements)
        entry.change_message = replace_text(entry.change_message, replacements)
        entry.save(update_fields=["object_repr", "change_message"])
        changed += 1
    return {"admin_log_entries": changed}
