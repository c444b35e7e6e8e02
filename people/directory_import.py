"""The HR directory import: read the HR system's export (CSV or XLSX), plan the changes,
apply them.

One module for the management command and the browser flow:

- ``read_directory_upload`` and ``parse_directory_file`` read the file with
  mentorship.csv_files: size limit, decoding, header and rows by line.
- ``directory_import_plan`` validates every cell and the file as a whole against the
  database, and says what would be created, changed and left alone. Cross-row rules (unique
  emails, managers, manager cycles) are checked on the final state: the database merged
  with the file.
- ``directory_import_create`` stores an uploaded file with its preview.
- ``directory_import_apply`` re-validates against the current database and writes it all,
  or nothing.

Employees are matched by ``employee_id``. Columns that a file does not have are left as they
are on existing employees. Employees in the database but not in the file are left alone.

Erased former employees (``User.erased_at``, set by the privacy app) are never written back:
a row with their employee_id is skipped before any of its cells is read, counted as
``skipped_erased``, and blanked (all but the employee_id) in the copy of the file that is
stored, so the HR system still listing a leaver cannot restore their name.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import secrets
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection
from django.db.models import F
from django.utils import timezone

from mentorship import csv_files
from mentorship.audit import audit_record
from mentorship.cache_versions import DIRECTORY, PEOPLE, bump_on_commit
from mentorship.csv_files import (
    CsvFileRejected,
    ImportAlreadyApplied,
    ImportIssue,
    ImportResult,
    ParsedFile,
    ParsedRow,
)
from people.models import DirectoryImport, User
from people.redaction import ERASED_TEXT, redact_csv_rows

COLUMNS = (
    "employee_id",
    "email",
    "first_name",
    "last_name",
    "department",
    "title",
    "level",
    "location",
    "timezone",
    "manager_email",
    "hire_date",
    "end_date",
)
REQUIRED_COLUMNS = ("employee_id", "email", "first_name", "last_name", "hire_date")
TEXT_COLUMNS = ("first_name", "last_name", "department", "title", "location")
# User fields taken from the file (besides employee_id, and manager: set in a second pass).
USER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "department",
    "title",
    "level",
    "location",
    "timezone",
    "hire_date",
    "end_date",
)
MAX_LEVEL = 32767  # PositiveSmallIntegerField
PREVIEW_LIMIT = 200
BATCH_SIZE = 2000
UPDATE_BATCH_SIZE = 5000
# pg_advisory_xact_lock key shared by every apply: one directory import at a time.
ADVISORY_LOCK_KEY = 0x6469_7265_6374_6F72  # "director"

DIRECTORY_FILE = csv_files.CsvFormat(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    rows_name="employees",
    limit_setting="DIRECTORY_IMPORT_MAX_BYTES",
)

# The names this module has always had for the shared types.
DirectoryFileRejected = CsvFileRejected  # the file cannot be read as a directory at all
DirectoryImportAlreadyApplied = ImportAlreadyApplied


@dataclass
class EmployeeRow:
    """One row's values, typed. A value that failed validation is None (or "")."""

    line: int
    employee_id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    department: str = ""
    title: str = ""
    level: int | None = None
    location: str = ""
    timezone: str = ""
    manager_email: str = ""
    hire_date: date | None = None
    end_date: date | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class PlannedUpdate:
    row: EmployeeRow
    user_id: int
    # field -> (old, new); "manager" holds emails for display.
    changes: dict[str, tuple[object, object]]


@dataclass
class ImportPlan(csv_files.FilePlan):
    creates: list[EmployeeRow] = field(default_factory=list)
    updates: list[PlannedUpdate] = field(default_factory=list)
    unchanged: list[EmployeeRow] = field(default_factory=list)
    not_in_file: int = 0
    # Lines of rows about erased former employees: skipped, never read beyond the employee_id.
    skipped_erased: list[int] = field(default_factory=list)
    erased_ids: frozenset[str] = frozenset()
    # The addresses those rows give: a manager_email naming one is an error, and is not stored.
    erased_emails: frozenset[str] = frozenset()
    # Final values the apply step needs, by employee_id.
    final: dict[str, dict] = field(default_factory=dict)
    manager_of: dict[str, str | None] = field(default_factory=dict)
    existing_ids: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            **super().counts(),
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": len(self.unchanged),
            "not_in_file": self.not_in_file,
            "skipped_erased": len(self.skipped_erased),
        }

    def report(self) -> dict:
        """What the preview page shows: every error and warning, the first rows of each
        kind of change."""
        return {**super().report(), **_changes_report(self)}

    @functools.cached_property
    def fingerprint(self) -> str:
        """Identifies the exact changes: a preview is confirmed only if applying would make
        the same ones."""
        digest = hashlib.sha256()
        for row in self.creates:
            final = self.final[row.employee_id]
            values = [*_row_values(row), final["is_active"]]
            digest.update(json.dumps(["c", values], default=str).encode())
        for update in self.updates:
            changes = sorted((k, str(old), str(new)) for k, (old, new) in update.changes.items())
            digest.update(json.dumps(["u", update.user_id, changes]).encode())
        return digest.hexdigest()


# --- Reading and parsing ----------------------------------------------------------------------


def read_directory_upload(fileobj, *, size: int | None = None) -> bytes:
    """Read a whole file object, refusing one over the size limit without reading it all."""
    return csv_files.read_upload(fileobj, fmt=DIRECTORY_FILE, size=size)


def parse_directory_file(*, data: bytes, filename: str = "") -> ParsedFile:
    """Decode the file (UTF-8, with or without BOM; or the first sheet of a workbook named
    .xlsx) and split it into rows."""
    return csv_files.parse_upload(data=data, fmt=DIRECTORY_FILE, filename=filename)


def parse_directory_text(text: str, *, filename: str = "") -> ParsedFile:
    """A stored import's text (``filename`` says whether it came from a workbook)."""
    return csv_files.parse_stored_text(text, fmt=DIRECTORY_FILE, filename=filename)


# --- Validation and planning ------------------------------------------------------------------


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _max_length(name: str) -> int:
    return User._meta.get_field(name).max_length


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGITS = re.compile(r"[0-9]+")


def _parse_date(value: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(f"“{value}” is not a date in the form YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"“{value}” is not a real date.") from None


def _validate_row(raw: ParsedRow, errors: list[ImportIssue]) -> EmployeeRow:
    values = raw.values
    row = EmployeeRow(line=raw.line)

    def error(column: str, message: str) -> None:
        errors.append(ImportIssue(raw.line, column, message))

    for name in REQUIRED_COLUMNS:
        if not values.get(name):
            error(name, "A value is required.")

    employee_id = values.get("employee_id", "")
    if len(employee_id) > _max_length("employee_id"):
        error("employee_id", f"Longer than {_max_length('employee_id')} characters.")
    else:
        row.employee_id = employee_id

    for name in ("email", "manager_email"):
        value = values.get(name, "").lower()
        if not value:
            continue
        if len(value) > _max_length("email") or not csv_files.is_valid_email(value):
            error(name, f"“{values[name]}” is not a valid email address.")
        else:
            setattr(row, name, value)

    for name in TEXT_COLUMNS:
        value = values.get(name, "")
        if len(value) > _max_length(name):
            error(name, f"Longer than {_max_length(name)} characters.")
        else:
            setattr(row, name, value)

    level = values.get("level", "")
    if level:
        if not _DIGITS.fullmatch(level):
            if re.fullmatch(r"-[0-9]+", level):
                error("level", f"“{level}” is negative; the level is 0 or more.")
            else:
                error("level", f"“{level}” is not a whole number.")
        elif int(level) > MAX_LEVEL:
            error("level", f"“{level}” is too large (at most {MAX_LEVEL}).")
        else:
            row.level = int(level)

    tz = values.get("timezone", "")
    if tz:
        if tz not in _timezones():
            error("timezone", f"“{tz}” is not a known IANA time zone (e.g. Europe/Berlin).")
        else:
            row.timezone = tz

    for name in ("hire_date", "end_date"):
        value = values.get(name, "")
        if value:
            try:
                setattr(row, name, _parse_date(value))
            except ValueError as exc:
                error(name, str(exc))
    return row


@dataclass
class _Existing:
    id: int
    employee_id: str | None
    email: str
    first_name: str
    last_name: str
    department: str
    title: str
    level: int | None
    location: str
    timezone: str
    manager_id: int | None
    hire_date: date | None
    end_date: date | None
    is_active: bool


def _load_users() -> list[_Existing]:
    fields = [
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
        "manager_id",
        "hire_date",
        "end_date",
        "is_active",
    ]
    return [_Existing(*values) for values in User.objects.order_by().values_list(*fields)]


def _row_values(row: EmployeeRow) -> list:
    return [
        row.employee_id,
        row.email,
        row.first_name,
        row.last_name,
        row.department,
        row.title,
        row.level,
        row.location,
        row.timezone,
        row.manager_email,
        row.hire_date,
        row.end_date,
    ]


def _is_active(end_date: date | None, today: date) -> bool:
    return not (end_date is not None and end_date <= today)


def directory_import_plan(*, parsed: ParsedFile, today: date | None = None) -> ImportPlan:
    """Validate the parsed file against the database and work out every change."""
    today = today or timezone.localdate()
    plan = ImportPlan.for_file(parsed)
    if parsed.fatal:
        return plan
    columns = set(parsed.columns)
    errors = plan.errors

    rows: list[EmployeeRow] = []
    line_of_id: dict[str, int] = {}
    line_of_email: dict[str, int] = {}
    plan.erased_ids = erased = _erased_employee_ids()
    kept: list[ParsedRow] = []
    erased_emails: set[str] = set()
    for raw in parsed.rows:
        if raw.values.get("employee_id", "") in erased:
            plan.skipped_erased.append(raw.line)
            if raw.values.get("email"):
                erased_emails.add(raw.values["email"].lower())
        else:
            kept.append(raw)
    plan.erased_emails = frozenset(erased_emails)
    for raw in kept:
        row = _validate_row(raw, errors)
        if row.employee_id:
            earlier = line_of_id.get(row.employee_id)
            if earlier is not None:
                errors.append(
                    ImportIssue(
                        row.line,
                        "employee_id",
                        f"“{row.employee_id}” is already on line {earlier}.",
                    )
                )
                continue  # a second row for the same person: check only the first
            line_of_id[row.employee_id] = row.line
        if row.email:
            earlier = line_of_email.get(row.email)
            if earlier is not None:
                errors.append(
                    ImportIssue(row.line, "email", f"“{row.email}” is already on line {earlier}.")
                )
            else:
                line_of_email[row.email] = row.line
        rows.append(row)

    users = _load_users()
    by_employee_id = {u.employee_id: u for u in users if u.employee_id is not None}
    by_id = {u.id: u for u in users}
    # Accounts without an employee_id (operators, such as the first superuser) join the
    # directory when the file lists their email under an employee_id not yet in use.
    operators_by_email = {u.email: u for u in users if u.employee_id is None}
    matched: dict[int, _Existing] = {}  # row line -> the user it updates
    for row in rows:
        existing = by_employee_id.get(row.employee_id) if row.employee_id else None
        if existing is None and row.employee_id and row.email:
            existing = operators_by_email.get(row.email)
        if existing is not None:
            matched[row.line] = existing
    matched_ids = {u.id for u in matched.values()}
    plan.existing_ids = {eid: u.id for eid, u in by_employee_id.items()}
    plan.existing_ids.update(
        {row.employee_id: u.id for row in rows if (u := matched.get(row.line))}
    )
    plan.not_in_file = sum(
        1
        for u in by_employee_id.values()
        if u.id not in matched_ids and u.employee_id not in erased
    )

    # The final email of every user: the file's for the users it lists, else the current one.
    final_email: dict[int, str] = {u.id: u.email for u in users}
    for row in rows:
        existing = matched.get(row.line)
        if existing is not None and row.email:
            final_email[existing.id] = row.email

    # Emails held, in the final state, by people the file does not list.
    held_by = {u.email: u for u in users if u.id not in matched_ids}
    # Verified addresses sign people in, so one that stays verified cannot go to someone
    # else. The addresses of people whose email changes are deleted unless they match it.
    verified_by: dict[str, int] = {}
    for user_id, address in EmailAddress.objects.filter(verified=True).values_list(
        "user_id", "email"
    ):
        address = address.lower()
        current = by_id.get(user_id)
        email_changes = current is not None and final_email[user_id] != current.email
        if email_changes and address != final_email[user_id]:
            continue
        verified_by[address] = user_id

    for row in rows:
        if not row.email:
            continue
        existing = matched.get(row.line)
        holder = held_by.get(row.email)
        if holder is not None:
            if holder.employee_id:
                who = f"employee {holder.employee_id} ({_name(holder)}), who is not in this file"
            else:
                who = "an account that is not in the directory"
            errors.append(
                ImportIssue(row.line, "email", f"“{row.email}” is already used by {who}.")
            )
            continue
        verified_owner = verified_by.get(row.email)
        if verified_owner is not None and verified_owner != (existing.id if existing else None):
            errors.append(
                ImportIssue(
                    row.line, "email", f"“{row.email}” is a verified address of another account."
                )
            )

    # Managers, on the final state. Each employee is a node, named by employee_id.
    key_of_user = {u.id: u.employee_id for u in by_employee_id.values()}
    for row in rows:
        existing = matched.get(row.line)
        if existing is not None:
            key_of_user[existing.id] = row.employee_id
    employee_by_email = {
        u.email: u.employee_id for u in by_employee_id.values() if u.id not in matched_ids
    }
    for row in rows:
        if row.email and row.employee_id:
            employee_by_email[row.email] = row.employee_id
    manager_of: dict[str, str | None] = {
        u.employee_id: key_of_user.get(u.manager_id)
        for u in by_employee_id.values()
        if u.id not in matched_ids
    }
    has_manager_column = "manager_email" in columns
    for row in rows:
        if not row.employee_id:
            continue
        existing = matched.get(row.line)
        if not has_manager_column:
            manager_of[row.employee_id] = key_of_user.get(existing.manager_id) if existing else None
        elif not row.manager_email:
            manager_of[row.employee_id] = None
        elif row.manager_email in erased_emails and row.manager_email not in employee_by_email:
            errors.append(
                ImportIssue(
                    row.line,
                    "manager_email",
                    "This manager is a former employee whose data was erased; give this "
                    "employee's current manager.",
                )
            )
            manager_of[row.employee_id] = None
        elif (manager := employee_by_email.get(row.manager_email)) is None:
            errors.append(
                ImportIssue(
                    row.line,
                    "manager_email",
                    f"“{row.manager_email}” is not in the directory or in this file.",
                )
            )
            manager_of[row.employee_id] = None
        elif manager == row.employee_id:
            errors.append(
                ImportIssue(row.line, "manager_email", "An employee cannot be their own manager.")
            )
            manager_of[row.employee_id] = None
        else:
            manager_of[row.employee_id] = manager
    line_of_row = {row.employee_id: row.line for row in rows if row.employee_id}
    for cycle in _manager_cycles(manager_of):
        chain = " → ".join([*cycle, cycle[0]])
        if len(chain) > 300:
            chain = chain[:300] + "…"
        for employee_id in cycle:
            line = line_of_row.get(employee_id)
            if line is not None:
                errors.append(
                    ImportIssue(line, "manager_email", f"The managers form a loop: {chain}.")
                )
    plan.manager_of = manager_of

    # Changes. Columns the file does not have keep their current values.
    for row in rows:
        existing = matched.get(row.line)
        final: dict = {"employee_id": row.employee_id}
        for name in USER_FIELDS:
            from_file = name in columns or existing is None
            final[name] = getattr(row, name) if from_file else getattr(existing, name)
        if final["hire_date"] and final["end_date"] and final["end_date"] < final["hire_date"]:
            errors.append(
                ImportIssue(
                    row.line,
                    "end_date",
                    f"The leaving date {final['end_date']} is before the hire date "
                    f"{final['hire_date']}.",
                )
            )
        final["is_active"] = _is_active(final["end_date"], today)
        plan.final[row.employee_id] = final
        if existing is None:
            plan.creates.append(row)
            continue
        changes: dict[str, tuple[object, object]] = {}
        for name in ("employee_id", *USER_FIELDS):
            old, new = getattr(existing, name), final[name]
            if old != new:
                changes[name] = (old, new)
        if has_manager_column:
            old_key = key_of_user.get(existing.manager_id) if existing.manager_id else None
            new_key = manager_of.get(row.employee_id)
            if old_key != new_key or (existing.manager_id is not None and old_key is None):
                old_manager = by_id.get(existing.manager_id) if existing.manager_id else None
                changes["manager"] = (
                    old_manager.email if old_manager else None,
                    row.manager_email or None,
                )
        if changes and existing.is_active != final["is_active"]:
            changes["is_active"] = (existing.is_active, final["is_active"])
        if changes:
            plan.updates.append(PlannedUpdate(row=row, user_id=existing.id, changes=changes))
        else:
            plan.unchanged.append(row)

    DIRECTORY_FILE.sort_issues(plan.errors)
    return plan


def _erased_employee_ids() -> frozenset[str]:
    return frozenset(
        User.objects.filter(erased_at__isnull=False, employee_id__isnull=False).values_list(
            "employee_id", flat=True
        )
    )


def _name(user: _Existing) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.email


def _manager_cycles(manager_of: dict[str, str | None]) -> list[list[str]]:
    """Each loop in the manager graph (each employee has at most one manager)."""
    done: set[str] = set()
    cycles = []
    for start in manager_of:
        if start in done:
            continue
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in position:
            position[node] = len(path)
            path.append(node)
            node = manager_of.get(node)
        if node is not None and node in position:
            cycles.append(path[position[node] :])
        done.update(path)
    return cycles


# --- Storing and applying ---------------------------------------------------------------------


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _changes_report(plan: ImportPlan) -> dict:
    return {
        "creates": [
            {
                "line": row.line,
                "employee_id": row.employee_id,
                "name": row.name,
                "email": row.email,
                "department": row.department,
                "title": row.title,
                "manager_email": row.manager_email,
                "hire_date": _display(row.hire_date),
                "end_date": _display(row.end_date),
            }
            for row in plan.creates[:PREVIEW_LIMIT]
        ],
        "updates": [
            {
                "line": u.row.line,
                "employee_id": u.row.employee_id,
                "name": u.row.name,
                "changes": [
                    [k, _display(old), _display(new)] for k, (old, new) in u.changes.items()
                ],
            }
            for u in plan.updates[:PREVIEW_LIMIT]
        ],
        "unchanged": [
            {"line": row.line, "employee_id": row.employee_id, "name": row.name}
            for row in plan.unchanged[:PREVIEW_LIMIT]
        ],
    }


def directory_import_create(
    *, parsed: ParsedFile, plan: ImportPlan, filename: str, user: User | None
) -> DirectoryImport:
    """Store a parsed file with its preview, valid or not (the status says which).

    The rows of erased former employees are stored blanked but for their employee_id (the
    plan skipped them unread, so applying the stored text makes the same changes). A
    manager_email cell naming one of them is an error; it is stored as "(erased)", which is
    still one (not an address), so the stored file stays as invalid as the uploaded one."""
    if plan.skipped_erased and parsed.text is not None:
        erased, emails = plan.erased_ids, plan.erased_emails
        text = redact_csv_rows(
            parsed.text,
            redact=lambda values: (
                {"employee_id": values["employee_id"]}
                if values.get("employee_id", "") in erased
                else None
            ),
        )
        if emails:
            text = redact_csv_rows(
                text,
                redact=lambda values: (
                    {"manager_email": ERASED_TEXT}
                    if values.get("manager_email", "").lower() in emails
                    else None
                ),
                keep_other_cells=True,
            )
        parsed = dataclasses.replace(parsed, text=text)
    return csv_files.stored_import_create(
        model=DirectoryImport,
        parsed=parsed,
        plan=plan,
        filename=filename,
        user=user,
    )


def directory_file_preview(
    *, data: bytes, filename: str, user: User | None, today: date | None = None
) -> tuple[DirectoryImport, ImportPlan]:
    """Parse, plan and store an uploaded file.

    Raises DirectoryFileRejected for a file that cannot be read as text: there is nothing
    useful to store or show but the reason."""
    parsed = csv_files.parse_or_reject(data=data, fmt=DIRECTORY_FILE, filename=filename)
    plan = directory_import_plan(parsed=parsed, today=today)
    directory_import = directory_import_create(
        parsed=parsed, plan=plan, filename=filename, user=user
    )
    return directory_import, plan


def directory_import_apply(
    *, directory_import: DirectoryImport, user: User | None, today: date | None = None
) -> ImportResult:
    """Re-validate the stored file against the current database and write every change, or
    none. One apply at a time (advisory lock); an import is applied at most once.

    If the database changed since the preview so that the changes would differ, nothing is
    written: the stored preview is refreshed and the result says ``stale``."""
    today = today or timezone.localdate()

    def lock() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])

    return csv_files.stored_import_apply(
        stored=directory_import,
        user=user,
        lock=lock,
        plan_text=lambda text: directory_import_plan(
            parsed=parse_directory_text(text, filename=directory_import.filename), today=today
        ),
        write=functools.partial(_write_audited, directory_import=directory_import, user=user),
        what="directory",
    )


def _write_audited(plan: ImportPlan, *, directory_import: DirectoryImport, user) -> None:
    """Write, and say so in the audit log in the same transaction: both happen or neither."""
    _write(plan)
    audit_record(
        "directory_imported",
        actor=user,
        target=directory_import,
        details={**plan.counts(), "sha256": directory_import.sha256},
    )


def _batches(items: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _update_users(fields: list[str], rows: list[tuple]) -> None:
    """Set ``fields`` on many users at once: rows are (id, value, ...) in that order.

    One UPDATE ... FROM unnest(arrays) a batch: what bulk_update does, without its CASE WHEN
    per row per field, which grows with the square of the batch in PostgreSQL."""
    meta = User._meta
    table = connection.ops.quote_name(meta.db_table)
    pk = meta.pk.column
    columns = [meta.get_field(name).column for name in fields]
    types = [meta.pk.rel_db_type(connection)] + [
        meta.get_field(name).cast_db_type(connection) for name in fields
    ]
    quoted = [connection.ops.quote_name(c) for c in [pk, *columns]]
    assignments = ", ".join(f"{q} = v.{q}" for q in quoted[1:])
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    # Only quoted names from the model's metadata go into the SQL; the values are parameters.
    names = ", ".join(quoted)
    statement = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
        f"WHERE {table}.{quoted[0]} = v.{quoted[0]}"
    )
    with connection.cursor() as cursor:
        for batch in _batches(rows, UPDATE_BATCH_SIZE):
            cursor.execute(statement, [list(column) for column in zip(*batch, strict=True)])


def _write(plan: ImportPlan) -> None:
    now = timezone.now()
    token = secrets.token_hex(6)

    # Emails are unique (case-insensitively) row by row, so park every changing email on a
    # placeholder first: then swaps, and new people taking an old address, go through.
    movers = [u for u in plan.updates if "email" in u.changes]
    _update_users(["email"], [(u.user_id, f"{u.user_id}.{token}@import.invalid") for u in movers])

    fields = ["employee_id", *USER_FIELDS, "is_active"]
    _update_users(
        fields,
        [
            (u.user_id, *(plan.final[u.row.employee_id][name] for name in fields))
            for u in plan.updates
        ],
    )

    id_of = dict(plan.existing_ids)
    created = [
        User(
            password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20),
            date_joined=now,
            **plan.final[row.employee_id],
        )
        for row in plan.creates
    ]
    for batch in _batches(created):
        User.objects.bulk_create(batch)
    id_of.update({u.employee_id: u.pk for u in created})

    # Managers in a second pass: a manager may be created further down the file.
    managed = [
        (id_of[row.employee_id], id_of[plan.manager_of[row.employee_id]])
        for row in plan.creates
        if plan.manager_of.get(row.employee_id)
    ]
    for u in plan.updates:
        if "manager" in u.changes:
            manager = plan.manager_of.get(u.row.employee_id)
            managed.append((u.user_id, id_of[manager] if manager else None))
    _update_users(["manager"], managed)

    # A new address must be verified again: drop the old ones.
    if movers:
        EmailAddress.objects.filter(user_id__in=[u.user_id for u in movers]).exclude(
            email__iexact=F("user__email")
        ).delete()

    # Bulk writes send no signals: figures and fragments cached from the directory are stale
    # once committed.
    bump_on_commit(DIRECTORY, PEOPLE)


# --- Presenting ---------------------------------------------------------------------------


def summary_text(counts: dict[str, int], *, applied: bool) -> str:
    created, updated, unchanged = (counts.get(k, 0) for k in ("created", "updated", "unchanged"))
    if applied:
        text = f"Created {created}, updated {updated}, left {unchanged} unchanged."
    else:
        text = f"Would create {created}, update {updated}, leave {unchanged} unchanged."
    others = counts.get("not_in_file", 0)
    people = "employee" if others == 1 else "employees"
    text = f"{text} {others} {people} in the directory but not in the file: left alone."
    erased = counts.get("skipped_erased", 0)
    if erased:
        rows = "row" if erased == 1 else "rows"
        text += f" Skipped {erased} {rows} of former employees whose data was erased."
    return text
