"""CSV files that people upload, and the upload -> preview -> confirm flow around them.

Shared by the directory import (people) and the enrolment file (programs). Each kind of file
is described by a ``CsvFormat`` (its columns and size limit); this module reads it:

- ``read_upload`` reads a file object, refusing one over the size limit before reading all of
  it.
- ``parse_file`` decodes it (UTF-8, with or without BOM; UTF-16 and NUL bytes are refused with
  the line they are on), finds the delimiter, reads the header (names ignore case, spaces and
  hyphens; unknown columns are warned about, missing required ones are errors) and splits the
  rows into stripped cells by column name, skipping blank lines and keeping line numbers.
- ``parse_upload`` does the same for a file named .xlsx, after mentorship.xlsx_files has
  checked the archive and turned its first sheet into CSV text, one record per row: that
  text is what is stored, so confirming re-reads CSV and never the workbook. Its records
  are numbered as the sheet's rows (``parse_stored_text`` knows from the stored filename).

Each import then checks the rows against the database into a plan of its own (a
``FilePlan``), which it stores as a preview (``stored_import_create``) and applies all or
nothing (``stored_import_apply``) once someone confirms it. The last section holds what the
upload and preview pages and the management commands of every import share.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from mentorship import xlsx_files

SAVE_AS_HINT = (
    'In your spreadsheet, use "Save as" and choose "CSV UTF-8" (or "Excel Workbook (.xlsx)"), '
    "then try again."
)
ZIP_MAGIC = b"PK\x03\x04"
# Room for the multipart framing and the CSRF token around an uploaded file itself.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class ImportIssue:
    """An error or warning. ``line`` is the file's line number (1 = header); None for the
    file as a whole. ``column`` is the column's name, or "" for the row as a whole."""

    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"line {self.line}: {self.message}"

    def as_list(self) -> list:
        return [self.line, self.column, self.message]


@dataclass(frozen=True)
class CsvFormat:
    """A kind of file: its columns, the required ones, what a row is, and its size limit."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    rows_name: str  # what the rows are, in the plural: "employees"
    limit_setting: str  # the setting that holds the size limit in bytes
    default_limit: int = 20 * 1024 * 1024

    def max_bytes(self) -> int:
        return getattr(settings, self.limit_setting, self.default_limit)

    def too_large_issue(self) -> ImportIssue:
        return too_large_issue(self.max_bytes(), setting=self.limit_setting)

    def column_order(self, column: str) -> int:
        return self.columns.index(column) if column in self.columns else -1

    def sort_issues(self, issues: list[ImportIssue]) -> None:
        """By line, then in the order of the columns (the row as a whole first)."""
        issues.sort(key=lambda e: (e.line or 0, self.column_order(e.column)))


@dataclass
class ParsedRow:
    line: int
    values: dict[str, str]


@dataclass
class ParsedFile:
    """The file split into rows of stripped cells keyed by (known) column name.

    ``text`` is None when the file could not be read as text at all. ``fatal`` errors mean
    there are no rows to check (unreadable, empty, missing a required column)."""

    text: str | None = None
    sha256: str = ""
    delimiter: str = ","
    columns: list[str] = field(default_factory=list)
    # The spreadsheet letter of each column read ("hire_date": "K"), and what issues call
    # each header cell, by position (a known column's name, else the header's text).
    letters: dict[str, str] = field(default_factory=dict)
    header_names: list[str] = field(default_factory=list)
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    fatal: bool = False


class CsvFileRejected(Exception):
    """The file cannot be read at all (too large, not UTF-8 text)."""

    def __init__(self, errors: list[ImportIssue]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# --- Reading and parsing ----------------------------------------------------------------------


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{n / 1024:.0f} KB"


def too_large_issue(limit: int, *, setting: str) -> ImportIssue:
    return ImportIssue(
        None,
        "",
        f"The file is larger than the limit of {human_size(limit)}. Split it or ask an "
        f"administrator to raise {setting}.",
    )


def upload_declared_too_large(request, fmt: CsvFormat) -> bool:
    """Whether a POST declares a body too large to hold a file within the limit: such a body
    is refused before Django reads any of it (including the CSRF token)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > fmt.max_bytes() + UPLOAD_OVERHEAD_BYTES


def read_upload(fileobj, *, fmt: CsvFormat, size: int | None = None) -> bytes:
    """Read a whole file object, refusing one over the size limit without reading it all."""
    limit = fmt.max_bytes()
    if size is not None and size > limit:
        raise CsvFileRejected([fmt.too_large_issue()])
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise CsvFileRejected([fmt.too_large_issue()])
    return data


def parse_file(*, data: bytes, fmt: CsvFormat) -> ParsedFile:
    """Decode the file (UTF-8, with or without BOM) and split it into rows."""
    if len(data) > fmt.max_bytes():
        return ParsedFile(errors=[fmt.too_large_issue()], fatal=True)
    sha256 = hashlib.sha256(data).hexdigest()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        issue = ImportIssue(1, "", f"The file is UTF-16, not UTF-8. {SAVE_AS_HINT}")
        return ParsedFile(sha256=sha256, errors=[issue], fatal=True)
    if data.startswith(ZIP_MAGIC):
        issue = ImportIssue(
            None,
            "",
            "The file is a zip archive (such as an XLSX workbook), not CSV text. "
            "If it is a workbook, give its name the .xlsx extension and upload it again.",
        )
        return ParsedFile(sha256=sha256, errors=[issue], fatal=True)
    body = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in body:
        # No spreadsheet writes NUL into CSV text, and the database cannot store it.
        line = body.count(b"\n", 0, body.index(b"\x00")) + 1
        issue = ImportIssue(
            line, "", f"The file contains a NUL byte, so it is not CSV text. {SAVE_AS_HINT}"
        )
        return ParsedFile(sha256=sha256, errors=[issue], fatal=True)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        bad = body[exc.start : exc.start + 1].hex()
        issue = ImportIssue(
            line,
            "",
            f"The file is not UTF-8 text (byte 0x{bad} cannot be read). {SAVE_AS_HINT}",
        )
        return ParsedFile(sha256=sha256, errors=[issue], fatal=True)
    parsed = parse_text(text, fmt=fmt)
    parsed.sha256 = sha256
    return parsed


def parse_upload(*, data: bytes, fmt: CsvFormat, filename: str = "") -> ParsedFile:
    """An uploaded file of either kind: an XLSX workbook (named .xlsx) or CSV text."""
    if not xlsx_files.is_xlsx_name(filename):
        return parse_file(data=data, fmt=fmt)
    if len(data) > fmt.max_bytes():
        return ParsedFile(errors=[fmt.too_large_issue()], fatal=True)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        sheet = xlsx_files.xlsx_sheet_text(data=data, filename=filename, max_bytes=fmt.max_bytes())
    except xlsx_files.XlsxRejected as exc:
        return ParsedFile(sha256=sha256, errors=[ImportIssue(None, "", str(exc))], fatal=True)
    parsed = parse_text(sheet.text, fmt=fmt, by_record=True)
    parsed.sha256 = sha256
    # Every row is as wide as the widest, which leaves columns without a header and without
    # a value anywhere: nothing to warn about.
    parsed.warnings = [ImportIssue(None, "", note) for note in sheet.notes] + [
        w
        for w in parsed.warnings
        if not (w.line == 1 and w.column.startswith("#") and _unused(w.column, sheet))
    ]
    if not parsed.fatal:
        for problem in sheet.problems:
            # Cells of columns that are not read are not looked at, as in a CSV file.
            index = problem.column - 1
            name = parsed.header_names[index] if index < len(parsed.header_names) else ""
            if name in parsed.columns:
                parsed.errors.append(ImportIssue(problem.row, name, problem.message))
        fmt.sort_issues(parsed.errors)
    return parsed


def _unused(column: str, sheet: xlsx_files.SheetText) -> bool:
    return column[1:].isdigit() and int(column[1:]) not in sheet.used_columns


def parse_or_reject(*, data: bytes, fmt: CsvFormat, filename: str = "") -> ParsedFile:
    """``parse_upload``, raising CsvFileRejected for a file that cannot be read as text (or
    as a workbook): there is nothing useful to store or show but the reason."""
    parsed = parse_upload(data=data, fmt=fmt, filename=filename)
    if parsed.text is None:
        raise CsvFileRejected(parsed.errors)
    return parsed


def parse_stored_text(text: str, *, fmt: CsvFormat, filename: str) -> ParsedFile:
    """The text of a stored import, read again: that of a workbook is numbered by record,
    so that its line numbers stay the sheet's row numbers even after a cell that holds a
    line break."""
    return parse_text(text, fmt=fmt, by_record=xlsx_files.is_xlsx_name(filename))


def normalize_header(name: str) -> str:
    """Header names ignore case and surrounding spaces; inner spaces or hyphens count as
    underscores, so "Employee ID" names the employee_id column."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_text(text: str, *, fmt: CsvFormat, by_record: bool = False) -> ParsedFile:
    """Split CSV text into rows. Lines are numbered as a text editor shows them, or with
    ``by_record`` one a CSV record (the text of a workbook: a record per sheet row)."""
    parsed = ParsedFile(text=text)
    if not text.strip():
        parsed.errors.append(ImportIssue(None, "", "The file is empty."))
        parsed.fatal = True
        return parsed

    first_line = next(line for line in text.splitlines() if line.strip())
    parsed.delimiter = detect_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter)

    header: list[str] | None = None
    header_line = 0
    indexes: dict[str, int] = {}
    next_line = 1
    try:
        for record, cells in enumerate(reader, start=1):
            line, next_line = next_line, reader.line_num + 1
            if by_record:
                line, next_line = record, record + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if header is None:
                header, header_line = cells, line
                indexes = _read_header(cells, line, parsed, fmt)
                if parsed.fatal:
                    return parsed
                continue
            if len(cells) != len(header):
                parsed.errors.append(
                    ImportIssue(
                        line,
                        "",
                        f"This row has {len(cells)} cells but the header has {len(header)}. "
                        "Check for a missing or extra separator, or an unclosed quote.",
                    )
                )
                continue
            values = {name: cells[i].strip() for name, i in indexes.items()}
            parsed.rows.append(ParsedRow(line, values))
    except csv.Error as exc:
        parsed.errors.append(ImportIssue(next_line, "", f"Cannot read this line as CSV: {exc}."))
        parsed.fatal = True
        return parsed

    if not parsed.rows and not parsed.errors:
        parsed.errors.append(
            ImportIssue(header_line, "", f"The file has a header row but no {fmt.rows_name}.")
        )
        parsed.fatal = True
    return parsed


def _read_header(cells: list[str], line: int, parsed: ParsedFile, fmt: CsvFormat) -> dict[str, int]:
    indexes: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = normalize_header(cell)
        parsed.header_names.append(name if name in fmt.columns else cell.strip() or f"#{i + 1}")
        if not name:
            parsed.warnings.append(
                ImportIssue(line, f"#{i + 1}", "This column has no name; it is ignored.")
            )
        elif name not in fmt.columns:
            parsed.warnings.append(
                ImportIssue(line, cell.strip(), "Unknown column; it is ignored.")
            )
        elif name in indexes:
            parsed.errors.append(ImportIssue(line, name, "This column appears twice."))
        else:
            indexes[name] = i
    for name in fmt.required:
        if name not in indexes:
            parsed.errors.append(ImportIssue(line, name, "This required column is missing."))
    parsed.columns = [name for name in fmt.columns if name in indexes]
    parsed.letters = {}
    for i, name in enumerate(parsed.header_names):
        parsed.letters.setdefault(name, xlsx_files.column_letter(i))
    if parsed.errors:
        parsed.fatal = True
    return indexes


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


# --- Storing a preview and applying it --------------------------------------------------------


@dataclass
class FilePlan:
    """What an import works out from a parsed file: its errors and warnings. Each import
    subclasses it with the changes it would make, their ``counts()``, a ``fingerprint``
    that identifies them exactly, and the ``report()`` its preview page shows."""

    columns: list[str] = field(default_factory=list)
    rows: int = 0
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_file(cls, parsed: ParsedFile, **extra):
        """A plan that starts from the file's own errors and warnings."""
        return cls(
            columns=list(parsed.columns),
            rows=len(parsed.rows),
            errors=list(parsed.errors),
            warnings=list(parsed.warnings),
            letters=dict(parsed.letters),
            **extra,
        )

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def fingerprint(self) -> str:
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "errors": len(self.errors), "warnings": len(self.warnings)}

    def report(self) -> dict:
        return {
            "errors": [e.as_list() for e in self.errors],
            "warnings": [w.as_list() for w in self.warnings],
            "columns": self.columns,
            "letters": self.letters,
        }


@dataclass
class ImportResult:
    applied: bool
    counts: dict[str, int]
    errors: list[ImportIssue] = field(default_factory=list)
    stale: bool = False  # the database changed since the preview; confirm again


class ImportAlreadyApplied(Exception):
    pass


def plan_summary(plan: FilePlan) -> dict:
    """The counts, and while the plan is valid the fingerprint a confirmation must match."""
    return {**plan.counts(), "fingerprint": plan.fingerprint if plan.is_valid else ""}


def stored_import_create(
    *,
    model: type[models.Model],
    parsed: ParsedFile,
    plan: FilePlan,
    filename: str,
    user,
    **extra,
):
    """Store a parsed file with its preview, valid or not (the status says which).

    ``model`` is a stored import model (such as people.DirectoryImport): uploaded_by,
    filename, content, sha256, status (previewed/applied/failed), summary, report,
    applied_at, applied_by; ``extra`` fills its other fields."""
    assert parsed.text is not None
    return model.objects.create(
        uploaded_by=user,
        filename=filename[:255],
        content=parsed.text,
        sha256=parsed.sha256,
        status=model.Status.PREVIEWED if plan.is_valid else model.Status.FAILED,
        summary=plan_summary(plan),
        report=plan.report(),
        **extra,
    )


def stored_import_apply(
    *,
    stored,
    user,
    lock: Callable[[], None],
    plan_text: Callable[[str], FilePlan],
    write: Callable[[FilePlan], None],
    what: str,
) -> ImportResult:
    """Re-validate a stored file against the current database and write every change, or
    none, in one transaction after ``lock()``. An import is applied at most once
    (ImportAlreadyApplied).

    If the database changed since the preview so that the changes would differ, nothing is
    written: the stored preview is refreshed and the result says ``stale``. ``what`` names
    what changed under us when the database refuses a write ("directory")."""
    model = type(stored)
    plan = None
    try:
        with transaction.atomic():
            lock()
            locked = model.objects.select_for_update().get(pk=stored.pk)
            if locked.status == model.Status.APPLIED:
                raise ImportAlreadyApplied
            plan = plan_text(locked.content)
            if not plan.is_valid or plan.fingerprint != locked.summary.get("fingerprint"):
                locked.status = model.Status.PREVIEWED if plan.is_valid else model.Status.FAILED
                locked.summary = plan_summary(plan)
                locked.report = plan.report()
                locked.save(update_fields=["status", "summary", "report"])
                _copy(locked, stored)
                return ImportResult(
                    applied=False, counts=plan.counts(), errors=plan.errors, stale=plan.is_valid
                )
            write(plan)
            locked.status = model.Status.APPLIED
            locked.applied_at = timezone.now()
            locked.applied_by = user
            locked.summary = plan.counts()
            locked.save(update_fields=["status", "applied_at", "applied_by", "summary"])
            _copy(locked, stored)
    except IntegrityError as exc:
        # Someone changed the data between our checks and our writes.
        issue = ImportIssue(
            None, "", f"The {what} changed while importing; nothing was written ({exc})."
        )
        return ImportResult(applied=False, counts=plan.counts() if plan else {}, errors=[issue])
    return ImportResult(applied=True, counts=plan.counts())


def _copy(source, target) -> None:
    for name in ("status", "summary", "report", "applied_at", "applied_by_id"):
        setattr(target, name, getattr(source, name))


# --- In the browser and on the command line ---------------------------------------------------

ERRORS_PAGE_SIZE = 200


ACCEPTED_FILES = f".csv,text/csv,.xlsx,{xlsx_files.XLSX_CONTENT_TYPE}"


def csv_file_field(*, label: str, help_text: str = "") -> forms.FileField:
    return forms.FileField(
        label=label,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )


def limits_text(fmt: CsvFormat) -> str:
    """The upload limits, as the upload pages' help states them."""
    return (
        f"At most {human_size(fmt.max_bytes())}; an XLSX workbook may unpack to at most "
        f"{human_size(xlsx_files.max_uncompressed_bytes())}, and only its first sheet is read."
    )


class CsvFileForm(forms.Form):
    """An uploaded file of the ``fmt`` kind; ``cleaned_data["data"]`` holds its bytes."""

    fmt: CsvFormat
    file = csv_file_field(label="File (CSV or XLSX)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # The size Django counted while receiving it: refuse before reading it into memory.
            self.cleaned_data["data"] = read_upload(upload, fmt=self.fmt, size=upload.size)
        except CsvFileRejected as exc:
            raise forms.ValidationError([str(e) for e in exc.errors]) from exc
        return upload


def preview_context(request, stored, *, summary_text: Callable[..., str]) -> dict:
    """What a preview page shows of a stored import: counts, errors a page at a time, the
    report, and whether it can be confirmed."""
    report = stored.report or {}
    summary = stored.summary or {}
    # In a workbook, a column is named by its header and its letter, "email (B)", and lines
    # are the sheet's rows. A CSV file keeps the names a text editor shows.
    workbook = xlsx_files.is_xlsx_name(stored.filename)
    letters = (report.get("letters") or {}) if workbook else {}

    def labelled(issues: list) -> list:
        return [
            [line, f"{column} ({letters[column]})" if column in letters else column, message]
            for line, column, message in issues
        ]

    errors = Paginator(labelled(report.get("errors", [])), ERRORS_PAGE_SIZE)
    return {
        "summary": summary,
        "summary_text": summary_text(summary, applied=stored.is_applied),
        "report": {**report, "warnings": labelled(report.get("warnings", []))},
        "errors_page": errors.get_page(request.GET.get("errors_page")),
        "error_count": errors.count,
        "can_confirm": stored.status == type(stored).Status.PREVIEWED,
        "line_heading": "Row" if workbook else "Line",
    }


def stored_import_confirm(
    request,
    stored,
    *,
    apply: Callable[[], ImportResult],
    applied_text: Callable[[dict], str],
    what: str,
) -> None:
    """Apply a previewed import that someone confirmed, and tell them how it went."""
    if stored.status == type(stored).Status.FAILED:
        messages.error(request, "This file has errors. Fix them and upload it again.")
        return
    try:
        if stored.is_applied:
            raise ImportAlreadyApplied
        result = apply()
    except ImportAlreadyApplied:
        messages.info(request, "This file has already been imported; it cannot be applied again.")
        return
    if result.applied:
        messages.success(request, applied_text(result.counts))
    elif result.stale:
        messages.warning(
            request,
            f"The {what} changed since this preview, so the changes below are different now. "
            "Nothing was written: review them and confirm again.",
        )
    else:
        count = len(result.errors)
        detail = (
            str(result.errors[0])
            if count == 1
            else f"checked against the {what} as it is now, the file has {count} errors."
        )
        messages.error(request, f"Nothing was written: {detail}")


def command_read(path: str, *, fmt: CsvFormat, stderr) -> bytes:
    """A file named on the command line, or CommandError saying why it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return read_upload(fh, fmt=fmt, size=os.fstat(fh.fileno()).st_size)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    except CsvFileRejected as exc:
        raise command_failure(exc.errors, stderr=stderr) from exc


def command_check_applied(result: ImportResult, *, what: str, stderr) -> None:
    """Raise CommandError unless the file was applied."""
    if result.stale:
        raise CommandError(
            f"The {what} changed while the file was being checked; nothing was written. "
            "Run the command again."
        )
    if not result.applied:
        raise command_failure(result.errors, stderr=stderr)


def command_failure(errors: list[ImportIssue], *, stderr) -> CommandError:
    """Write every error, one a line, and return the CommandError to raise."""
    for error in errors:
        stderr.write(str(error))
    count = len(errors)
    return CommandError(
        f"{count} {'error' if count == 1 else 'errors'} in the file; nothing was written."
    )


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (DESIGN.md, Promises).

    A leading apostrophe is how spreadsheets mark a cell as text; it is added only to cells
    that would otherwise start a formula.
    """
    value = "" if value is None else str(value)
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value
