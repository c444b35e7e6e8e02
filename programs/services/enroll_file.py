"""The enrolment file: enrol many people in a cohort from a CSV or XLSX file, all or nothing.

One module for the management command and the browser flow, on the same steps as the
directory import (mentorship.csv_files reads the file):

- ``enrollment_file_plan`` checks every row against the directory, the cohort and the
  program's topics, and says who would be invited.
- ``enrollment_file_preview`` stores an uploaded file with its preview.
- ``enrollment_import_apply`` re-checks the stored file against the database as it is then,
  under a lock on the cohort, and invites everyone in it, or nobody.

Columns: ``email, role, capacity, topics_offered, topics_sought, goals, languages``; only
``email`` and ``role`` are required. Lists (topics, languages) are separated by ``;``. Topic
names match the program's topics ignoring case.

Decisions:

- A capacity given for a mentee is an error, not a warning: mentees take on nobody, so the
  row probably has the wrong role, and guessing which of the two is wrong would write
  something the admin did not mean. Mentors and peers without a capacity get the cohort's
  default.
- Topics a role does not use (topics offered by a mentee, sought by a mentor) are a warning
  and are not stored: the rest of the row is still meant.
- Anyone already enrolled in the cohort, in any status (withdrawn and declined included), is
  an error: the file invites people, it does not re-invite or change enrollments. So
  importing the same file again writes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from mentorship import csv_files
from mentorship.audit import audit_record
from mentorship.csv_files import ImportIssue, ImportResult, ParsedFile, ParsedRow
from people.models import User
from programs.models import Cohort, Enrollment, EnrollmentImport, Topic
from programs.services.enrollment import (
    NewEnrollment,
    enrollment_intake_refresh,
    enrollments_invite,
)

COLUMNS = ("email", "role", "capacity", "topics_offered", "topics_sought", "goals", "languages")
REQUIRED_COLUMNS = ("email", "role")
LIST_SEPARATOR = ";"
PREVIEW_LIMIT = 200

ENROLLMENT_FILE = csv_files.CsvFormat(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    rows_name="people",
    limit_setting="ENROLLMENT_FILE_MAX_BYTES",
    default_limit=2 * 1024 * 1024,
)

_DIGITS = re.compile(r"[0-9]+")


@dataclass
class EnrollmentRow:
    """One valid row: who is invited, as what, with which intake answers."""

    line: int
    person: User
    role: str
    capacity: int | None
    topics_offered: list[Topic] = field(default_factory=list)
    topics_sought: list[Topic] = field(default_factory=list)
    goals: str = ""
    languages: list[str] = field(default_factory=list)


@dataclass
class EnrollmentPlan(csv_files.FilePlan):
    invites: list[EnrollmentRow] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_role = dict.fromkeys(Enrollment.Role.values, 0)
        for row in self.invites:
            by_role[row.role] += 1
        return {
            **super().counts(),
            "invited": len(self.invites),
            "mentors": by_role[Enrollment.Role.MENTOR],
            "mentees": by_role[Enrollment.Role.MENTEE],
            "peers": by_role[Enrollment.Role.PEER],
        }

    @functools.cached_property
    def fingerprint(self) -> str:
        """Identifies the exact enrollments: a preview is confirmed only if applying would
        make the same ones."""
        digest = hashlib.sha256()
        for row in self.invites:
            values = [
                row.person.pk,
                row.role,
                row.capacity,
                sorted(t.pk for t in row.topics_offered),
                sorted(t.pk for t in row.topics_sought),
                row.goals,
                row.languages,
            ]
            digest.update(json.dumps(values).encode())
        return digest.hexdigest()

    def report(self) -> dict:
        """What the preview page shows: every error and warning, the first people to
        invite."""
        return {
            **super().report(),
            "invites": [
                {
                    "line": row.line,
                    "name": row.person.get_full_name(),
                    "email": row.person.email,
                    "role": row.role,
                    "capacity": row.capacity,
                    "topics_offered": [t.name for t in row.topics_offered],
                    "topics_sought": [t.name for t in row.topics_sought],
                    "goals": row.goals,
                    "languages": row.languages,
                }
                for row in self.invites[:PREVIEW_LIMIT]
            ],
        }


# --- Reading ----------------------------------------------------------------------------------


def read_enrollment_upload(fileobj, *, size: int | None = None) -> bytes:
    return csv_files.read_upload(fileobj, fmt=ENROLLMENT_FILE, size=size)


def parse_enrollment_file(*, data: bytes, filename: str = "") -> ParsedFile:
    """CSV text, or the first sheet of a workbook named .xlsx, split into rows."""
    return csv_files.parse_upload(data=data, fmt=ENROLLMENT_FILE, filename=filename)


def split_list(value: str) -> list[str]:
    """A ``;``-separated cell as its items, stripped, without empty ones or repeats (ignoring
    case), in the file's order."""
    items: dict[str, str] = {}
    for item in value.split(LIST_SEPARATOR):
        item = " ".join(item.split())
        if item:
            items.setdefault(item.lower(), item)
    return list(items.values())


# --- Checking ---------------------------------------------------------------------------------


@functools.cache
def _max_language_length() -> int:
    return Enrollment._meta.get_field("languages").base_field.max_length


class _RowChecker:
    """Checks one row's cells on their own: everything but who the person is."""

    def __init__(self, cohort: Cohort, topics: list[Topic]):
        self.cohort = cohort
        self.roles = cohort.program.roles()
        self.topic_by_name = {t.name.lower(): t for t in topics}
        self.topic_names = ", ".join(t.name for t in topics)

    def check(
        self, raw: ParsedRow, person: User | None, errors: list, warnings: list
    ) -> EnrollmentRow | None:
        """The row, or None if it has errors (``person`` is None when its email has)."""
        values = raw.values
        before = len(errors)

        def error(column: str, message: str) -> None:
            errors.append(ImportIssue(raw.line, column, message))

        def warning(column: str, message: str) -> None:
            warnings.append(ImportIssue(raw.line, column, message))

        for name in REQUIRED_COLUMNS:
            if not values.get(name):
                error(name, "A value is required.")

        role = values.get("role", "").lower()
        if role and role not in self.roles:
            error("role", self._role_message(values["role"]))

        capacity = self._capacity(values.get("capacity", ""), role, error)
        offered = self._topics(values, "topics_offered", error)
        sought = self._topics(values, "topics_sought", error)
        if role == Enrollment.Role.MENTEE and offered:
            warning("topics_offered", "Mentees do not offer topics; these are not stored.")
            offered = []
        if role == Enrollment.Role.MENTOR and sought:
            warning("topics_sought", "Mentors do not seek topics; these are not stored.")
            sought = []

        languages = split_list(values.get("languages", ""))
        for language in languages:
            if len(language) > _max_language_length():
                error(
                    "languages",
                    f"“{language}” is longer than {_max_language_length()} characters.",
                )
        if len(errors) > before or person is None:
            return None
        return EnrollmentRow(
            line=raw.line,
            person=person,
            role=role,
            capacity=capacity,
            topics_offered=offered,
            topics_sought=sought,
            goals=values.get("goals", ""),
            languages=languages,
        )

    def _role_message(self, role: str) -> str:
        if self.cohort.program.is_peer:
            return (
                f"“{role}” is not a role in this peer program: everyone mentors and is "
                "mentored, so use peer."
            )
        return f"“{role}” is not a role in this program: use mentor or mentee."

    def _capacity(self, value: str, role: str, error) -> int | None:
        bounds = f"1 to {self.cohort.max_mentor_capacity}"
        if not value:
            if role in self.roles and role != Enrollment.Role.MENTEE:
                return self.cohort.default_mentor_capacity
            return None
        if role == Enrollment.Role.MENTEE:
            error("capacity", "Mentees take on nobody: leave capacity empty for a mentee.")
        elif not _DIGITS.fullmatch(value):
            error("capacity", f"“{value}” is not a whole number ({bounds} in this cohort).")
        elif not 1 <= int(value) <= self.cohort.max_mentor_capacity:
            error(
                "capacity",
                f"{int(value)} is outside this cohort's bounds: a capacity is {bounds}.",
            )
        else:
            return int(value)
        return None

    def _topics(self, values: dict[str, str], column: str, error) -> list[Topic]:
        topics, unknown = [], []
        for name in split_list(values.get(column, "")):
            topic = self.topic_by_name.get(name.lower())
            if topic is None:
                unknown.append(f"“{name}”")
            elif topic not in topics:
                topics.append(topic)
        if unknown:
            what = "is not a topic" if len(unknown) == 1 else "are not topics"
            valid = (
                f"Valid topics: {self.topic_names}."
                if self.topic_names
                else "The program has no topics yet: add them to the program first."
            )
            error(column, f"{', '.join(unknown)} {what} of this program. {valid}")
        return topics


def enrollment_file_plan(
    *, cohort: Cohort, parsed: ParsedFile, today: date | None = None
) -> EnrollmentPlan:
    """Check the parsed file against the directory, the cohort and the program's topics."""
    today = today or timezone.localdate()
    plan = EnrollmentPlan.for_file(parsed)
    if parsed.fatal:
        return plan
    errors = plan.errors

    line_of_email: dict[str, int] = {}
    emails = []
    for raw in parsed.rows:
        email = raw.values.get("email", "").lower()
        if email and csv_files.is_valid_email(email):
            emails.append(email)
    people = {
        u.email: u
        for u in User.objects.filter(email__in=emails).only(
            "id", "email", "first_name", "last_name", "end_date", "is_active"
        )
    }
    enrolled = {
        e.person_id: e
        for e in Enrollment.objects.filter(cohort=cohort, person__in=people.values())
        .order_by()
        .only("person_id", "role", "status")
    }
    checker = _RowChecker(cohort, list(cohort.program.topics.all()))

    for raw in parsed.rows:
        email = raw.values.get("email", "").lower()
        person = None
        if email:
            person = _check_person(raw, email, people, enrolled, line_of_email, errors, today)
        row = checker.check(raw, person, errors, plan.warnings)
        if row is not None:
            plan.invites.append(row)

    ENROLLMENT_FILE.sort_issues(plan.errors)
    ENROLLMENT_FILE.sort_issues(plan.warnings)
    return plan


def _check_person(raw, email, people, enrolled, line_of_email, errors, today) -> User | None:
    def error(message: str) -> None:
        errors.append(ImportIssue(raw.line, "email", message))

    earlier = line_of_email.get(email)
    if earlier is not None:
        error(f"“{email}” is already on line {earlier}.")
        return None
    line_of_email[email] = raw.line
    if not csv_files.is_valid_email(email):
        error(f"“{raw.values['email']}” is not a valid email address.")
        return None
    person = people.get(email)
    if person is None:
        error(f"“{email}” is not in the directory.")
        return None
    name = person.get_full_name() or email
    if person.has_left(today):
        error(f"{name} ({email}) left the company on {person.end_date:%Y-%m-%d}.")
        return None
    if not person.is_active:
        error(f"{name} ({email}) has a deactivated account.")
        return None
    enrollment = enrolled.get(person.pk)
    if enrollment is not None:
        error(
            f"{name} ({email}) is already in this cohort as "
            f"{enrollment.get_role_display().lower()} ({enrollment.get_status_display().lower()})."
        )
        return None
    return person


# --- Storing and applying ---------------------------------------------------------------------


def enrollment_file_preview(
    *, cohort: Cohort, data: bytes, filename: str, user: User | None, today: date | None = None
) -> tuple[EnrollmentImport, EnrollmentPlan]:
    """Parse, check and store an uploaded file, valid or not (its status says which).

    Raises CsvFileRejected for a file that cannot be read as text."""
    parsed = csv_files.parse_or_reject(data=data, fmt=ENROLLMENT_FILE, filename=filename)
    plan = enrollment_file_plan(cohort=cohort, parsed=parsed, today=today)
    return enrollment_import_create(
        cohort=cohort, parsed=parsed, plan=plan, filename=filename, user=user
    ), plan


def enrollment_import_create(
    *, cohort: Cohort, parsed: ParsedFile, plan: EnrollmentPlan, filename: str, user: User | None
) -> EnrollmentImport:
    return csv_files.stored_import_create(
        model=EnrollmentImport,
        parsed=parsed,
        plan=plan,
        filename=filename,
        user=user,
        cohort=cohort,
    )


def enrollment_import_apply(
    *, enrollment_import: EnrollmentImport, user: User | None, today: date | None = None
) -> ImportResult:
    """Check the stored file again against the database as it is now, and invite everyone
    in it, or nobody. Applies to one cohort at a time (its row is locked), at most once.

    Each new enrollment is invited (one email each, queued once the transaction commits) and
    its intake recorded as complete if the file's answers complete it."""
    today = today or timezone.localdate()
    cohort: Cohort  # as it is once locked

    def lock() -> None:
        nonlocal cohort
        cohort = (
            Cohort.objects.select_for_update(of=("self",))
            .select_related("program")
            .get(pk=enrollment_import.cohort_id)
        )

    def plan_text(text: str) -> EnrollmentPlan:
        parsed = csv_files.parse_stored_text(
            text, fmt=ENROLLMENT_FILE, filename=enrollment_import.filename
        )
        return enrollment_file_plan(cohort=cohort, parsed=parsed, today=today)

    def write(plan: EnrollmentPlan) -> None:
        enrollments = enrollments_invite(
            cohort=cohort,
            new=[
                NewEnrollment(
                    person=row.person,
                    role=row.role,
                    capacity=row.capacity,
                    topics_offered=row.topics_offered,
                    topics_sought=row.topics_sought,
                    goals=row.goals,
                    languages=row.languages,
                )
                for row in plan.invites
            ],
            source=Enrollment.Source.CSV,
            invited_by=user,
        )
        created = Enrollment.objects.filter(pk__in=[e.pk for e in enrollments])
        for enrollment in created.prefetch_related("topics_offered", "topics_sought"):
            enrollment_intake_refresh(enrollment=enrollment)
        # In the same transaction as the enrolments: both happen or neither.
        audit_record(
            "enrollment_imported",
            actor=user,
            target=enrollment_import,
            details={**plan.counts(), "cohort_id": cohort.pk, "sha256": enrollment_import.sha256},
        )

    return csv_files.stored_import_apply(
        stored=enrollment_import,
        user=user,
        lock=lock,
        plan_text=plan_text,
        write=write,
        what="cohort",
    )


# --- Presenting -------------------------------------------------------------------------------


def summary_text(counts: dict[str, int], *, applied: bool) -> str:
    invited = counts.get("invited", 0)
    people = "person" if invited == 1 else "people"
    roles = [
        f"{counts[key]} {label if counts[key] == 1 else label + 's'}"
        for key, label in (("mentors", "mentor"), ("mentees", "mentee"), ("peers", "peer"))
        if counts.get(key)
    ]
    detail = f" ({', '.join(roles)})" if roles else ""
    if applied:
        return (
            f"Invited {invited} {people}{detail}. Each gets an email with a link to their "
            "intake form."
        )
    return (
        f"Would invite {invited} {people}{detail}. Each will get an email with a link to "
        "their intake form."
    )
