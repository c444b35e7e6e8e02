"""The participant-level export for HR: one row per enrollment, as CSV or XLSX, streamed.

Rows come from one SQL query (counts as correlated subqueries) read through a server-side
cursor in chunks, so memory does not grow with the number of rows. No note text is ever
read: only names and directory fields, statuses and counts.

Counts are per pair: an enrollment's meetings, check-ins and goals are those of its published
matches (active or ended) in that cohort, the same figures for the mentee and the mentor of
a pair. Meetings count when held: scheduled (not cancelled) and started by the time of the
export. Goals agreed are those the other side agreed (agreed, paused or achieved).

No cell is ever a formula: ``safe_cell`` escapes text for CSV, and the XLSX stores every
text cell as a string (never a formula or a link).
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterator
from typing import IO

import xlsxwriter
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting
from matching.models import Match
from programs.models import Enrollment
from reports.exports import safe_cell  # one formula rule for every export

COLUMNS = (
    "employee_id",
    "name",
    "department",
    "level",
    "program",
    "cohort",
    "role",
    "matched",
    "meetings",
    "check_ins",
    "goals_agreed",
    "goals_achieved",
    "still_employed",
)
NUMBER_COLUMNS = frozenset({"level", "meetings", "check_ins", "goals_agreed", "goals_achieved"})

PUBLISHED = (Match.Status.ACTIVE, Match.Status.ENDED)
CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _count(queryset: QuerySet):
    """A correlated ``COUNT(*)`` subquery (0 when nothing matches), without GROUP BY."""
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _pair_count(queryset: QuerySet, prefix: str = "match__"):
    """Rows of ``queryset`` in the outer enrollment's published matches, as mentee plus as
    mentor: two subqueries, each an index lookup on the match (an OR of the two sides would
    make PostgreSQL scan). Nobody is both sides of one match, so nothing counts twice."""
    published = {f"{prefix}status__in": PUBLISHED}
    as_mentee = queryset.filter(**{f"{prefix}mentee": OuterRef("pk")}, **published)
    as_mentor = queryset.filter(**{f"{prefix}mentor": OuterRef("pk")}, **published)
    return _count(as_mentee) + _count(as_mentor)


def participant_rows(*, program_slug: str | None = None, now: datetime.datetime | None = None):
    """The export's rows as dicts, in program, cohort, role and name order, read in chunks."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    held = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__lte=now)
    queryset = (
        Enrollment.objects.all()
        .annotate(
            matched=Exists(Match.objects.filter(mentee=OuterRef("pk"), status__in=PUBLISHED))
            | Exists(Match.objects.filter(mentor=OuterRef("pk"), status__in=PUBLISHED)),
            meetings=_pair_count(held),
            check_ins=_pair_count(CheckIn.objects.all()),
            goals_agreed=_pair_count(Goal.objects.filter(status__in=Goal.COUNTED)),
            goals_achieved=_pair_count(Goal.objects.filter(status=Goal.Status.ACHIEVED)),
            still_employed=ExpressionWrapper(
                Q(person__end_date__isnull=True) | Q(person__end_date__gt=today),
                output_field=BooleanField(),
            ),
        )
        .order_by(
            "cohort__program__name",
            "cohort__starts_on",
            "cohort__name",
            "role",
            "person__last_name",
            "person__first_name",
            "id",
        )
        .values(
            "person__employee_id",
            "person__first_name",
            "person__last_name",
            "person__department",
            "person__level",
            "cohort__program__name",
            "cohort__name",
            "role",
            "matched",
            "meetings",
            "check_ins",
            "goals_agreed",
            "goals_achieved",
            "still_employed",
        )
    )
    if program_slug:
        queryset = queryset.filter(cohort__program__slug=program_slug)
    for row in queryset.iterator(chunk_size=CHUNK_SIZE):
        name = " ".join(p for p in (row["person__first_name"], row["person__last_name"]) if p)
        yield {
            "employee_id": row["person__employee_id"] or "",
            "name": name,
            "department": row["person__department"],
            "level": row["person__level"],
            "program": row["cohort__program__name"],
            "cohort": row["cohort__name"],
            "role": row["role"],
            "matched": "yes" if row["matched"] else "no",
            "meetings": row["meetings"],
            "check_ins": row["check_ins"],
            "goals_agreed": row["goals_agreed"],
            "goals_achieved": row["goals_achieved"],
            "still_employed": "yes" if row["still_employed"] else "no",
        }


class _Line:
    """A file-like object for csv.writer that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows, *, batch: int = 500) -> Iterator[bytes]:
    """UTF-8 with a byte order mark (so Excel reads the accents), a header row, then the rows
    in batches; every text cell goes through ``safe_cell``."""
    writer = csv.writer(_Line())
    yield b"\xef\xbb\xbf" + writer.writerow(COLUMNS).encode()
    lines: list[str] = []
    for row in rows:
        cells = [row[column] for column in COLUMNS]
        lines.append(writer.writerow(["" if c is None else safe_cell(c) for c in cells]))
        if len(lines) >= batch:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def write_xlsx(rows, output: IO[bytes]) -> None:
    """Write the rows as one sheet to ``output`` (a binary file), row by row: constant memory,
    text always a string, numbers as numbers, no formulas, no links."""
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": tempfile.gettempdir(),
        },
    )
    sheet = workbook.add_worksheet("Participants")
    bold = workbook.add_format({"bold": True})
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column, bold)
    sheet.freeze_panes(1, 0)
    for col, width in enumerate((12, 28, 20, 6, 28, 24, 8, 8, 9, 9, 12, 14, 14)):
        sheet.set_column(col, col, width)
    for r, row in enumerate(rows, start=1):
        for col, column in enumerate(COLUMNS):
            value = row[column]
            if value is None:
                continue
            if column in NUMBER_COLUMNS:
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    workbook.close()
