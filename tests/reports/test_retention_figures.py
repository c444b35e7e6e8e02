"""Retention figures of the hand-made directory (tests/reports/retention_directory.py),
computed by hand there and compared with every number of the retention summary CSV (read back
with the csv module)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import Cohort
from reports.exports import write_retention_summary_csv
from reports.retention import (
    load_retention_data,
    retention_for_cohort,
    retention_for_program,
    retention_reports,
)
from tests.programs.fixtures import make_program
from tests.reports.retention_directory import (
    AS_OF,
    HEADER,
    S_A,
    cohort_on,
    directory_fixture,  # noqa: F401 (the "directory" fixture)
    expected_rows,
    match,
    person,
)


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_number_of_the_csv_matches_the_hand_computed_figures(directory):
    out = io.StringIO(newline="")
    write_retention_summary_csv(out, retention_reports(as_of=AS_OF))
    rows = read_csv(out.getvalue())
    assert rows[0] == HEADER
    assert rows[1:] == expected_rows()


def test_command_writes_the_same_csv_to_stdout(directory):
    out = io.StringIO()
    call_command("export_retention", "--as-of", "2026-06-30", stdout=out)
    assert read_csv(out.getvalue()) == [HEADER, *expected_rows()]


def test_cohort_curve_and_comparison_by_hand(directory):
    a = directory["cohorts"][0]
    report = retention_for_cohort(a, as_of=AS_OF)
    assert report.start == S_A and report.as_of == AS_OF and report.scope == "cohort"
    mentees = report.groups["mentees"]
    assert not mentees.suppressed and mentees.headcount == 6
    # m2 leaves on day 182, m3 on 183, m4 on 366 (2024 is a leap year), m5 on 731; m1 and m6
    # are followed to the as-of date (day 881).
    day = [(d - S_A).days for d in (date(2024, 7, 31), date(2024, 8, 1), date(2025, 1, 31))]
    day.append((date(2026, 1, 31) - S_A).days)
    assert day == [182, 183, 366, 731]
    curve = mentees.curve
    assert curve is not None and (curve.n, curve.events) == (6, 4)
    assert [d for d, _ in curve.points] == [0, *day]
    # 6 at risk: 5/6; 5 at risk: 5/6 * 4/5; 4 at risk: * 3/4; 3 at risk: * 2/3.
    assert [s for _, s in curve.points] == pytest.approx([1, 5 / 6, 4 / 6, 3 / 6, 2 / 6])
    assert curve.steps[-1].days == (AS_OF - S_A).days and curve.steps[-1].events == 0
    # Participants: mentees and mentors (11); 12-month: 3 + 4 kept of 11; comparison 5 of 7.
    versus = report.versus
    assert (versus.participants, versus.comparison) == (11, 7)
    assert report.groups["participants"].retention_12m == pytest.approx(7 / 11)
    diff = versus.difference_12m
    assert diff is not None and diff.difference == pytest.approx(7 / 11 - 5 / 7)
    assert diff.low < diff.difference < diff.high and (diff.n_a, diff.n_b) == (11, 7)
    assert versus.logrank is not None and 0 < versus.logrank.p_value <= 1
    # Mentors of B (2 people): size shown, no rate, no curve.
    b_report = retention_for_cohort(directory["cohorts"][1], as_of=AS_OF)
    mentors_b = b_report.groups["mentors"]
    assert mentors_b.suppressed and mentors_b.headcount == 2 and mentors_b.curve is None
    assert [r.status for r in mentors_b.rates] == [
        "suppressed", "not_yet_observable", "not_yet_observable",
    ]  # fmt: skip


def test_breakdowns_suppress_small_cells(directory):
    report = retention_for_cohort(directory["cohorts"][0], as_of=AS_OF)
    # Everyone in A is in Engineering, level 3: one cell a group; mentors (5) shown.
    cells = {(c.group, c.value): c for c in report.by_department}
    assert cells[("mentors", "Engineering")].headcount == 5
    assert cells[("mentees", "Engineering")].headcount == 6
    assert cells[("comparison", "Engineering")].rates[0].rate == pytest.approx(5 / 7)
    b_levels = {(c.group, c.value): c for c in retention_for_cohort(
        directory["cohorts"][1], as_of=AS_OF).by_level}  # fmt: skip
    assert b_levels[("mentors", "3")].suppressed and b_levels[("mentors", "3")].headcount is None
    assert b_levels[("mentees", "3")].headcount == 5


def test_program_report_counts_a_person_once_from_their_first_cohort(directory):
    eng = directory["programs"][0]
    report = retention_for_program(eng, as_of=AS_OF)
    assert report is not None and report.scope == "program" and report.start is None
    # m1: mentee in A, mentor in B; r5: mentor in A, mentee in B: participants once each.
    assert report.groups["participants"].headcount == 6 + 5 + 4 + 1  # A's 11, B's n1..n4, s1
    assert report.groups["mentees"].headcount == 11


def _queries(**kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        data = load_retention_data(**kwargs)
    assert data.cohorts
    return len(ctx.captured_queries)


def test_selectors_query_count_does_not_grow_with_cohorts(db):
    program = make_program(name="Growth", slug="growth")
    for i in range(2):
        cohort = cohort_on(program, date(2024, 1 + i, 1), f"G{i}")
        for _ in range(3):
            match(cohort, person("x"), person("y"))
    person("never")
    two = _queries(program_ids=[program.id])
    for i in range(2, 6):
        cohort = cohort_on(program, date(2024, 1 + i, 1), f"G{i}")
        for _ in range(3):
            match(cohort, person("x"), person("y"))
    assert Cohort.objects.filter(program=program).count() == 6
    assert _queries(program_ids=[program.id]) == two == 3
    with CaptureQueriesContext(connection) as ctx:
        reports = retention_reports(as_of=AS_OF)
    assert len(ctx.captured_queries) == 3 and len(reports) == 6 + 1 + 1
