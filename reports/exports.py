"""Exports of the reports, safe to open in a spreadsheet: no cell is ever a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

from reports.retention import GROUPS, RetentionReport

RETENTION_COLUMNS = (
    "program",
    "cohort",
    "group",
    "headcount",
    "retention_6m",
    "retention_12m",
    "retention_24m",
)
ALL_PROGRAMS = "All programs"
ALL_COHORTS = "All cohorts"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading single quote.

    Numbers pass unchanged (a negative number is a number, not a formula); ``None`` is empty.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def format_rate(rate: float | None) -> str:
    """A fraction with 3 decimals; empty when not yet observable or suppressed."""
    return "" if rate is None else f"{rate:.3f}"


def retention_summary_rows(reports: Iterable[RetentionReport]) -> Iterator[list[Any]]:
    """One row per report and group (mentees, mentors, comparison), cells already safe.

    Program rows have cohort "All cohorts"; the all-programs rows have program "All programs".
    """
    for report in reports:
        program = report.program_name if report.program_name is not None else ALL_PROGRAMS
        cohort = report.cohort_name if report.cohort_name is not None else ALL_COHORTS
        for name in GROUPS:
            group = report.groups[name]
            row: list[Any] = [program, cohort, name, group.headcount]
            row += [format_rate(group.rate(m).rate) for m in (6, 12, 24)]
            yield [safe_cell(v) for v in row]


def write_retention_summary_csv(out: IO[str], reports: Iterable[RetentionReport]) -> None:
    """The retention summary CSV (header and rows) to a text stream opened with newline=""."""
    writer = csv.writer(out)
    writer.writerow(RETENTION_COLUMNS)
    writer.writerows(retention_summary_rows(reports))
