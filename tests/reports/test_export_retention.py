"""python manage.py export_retention: options, errors, and no formula in any cell."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from tests.programs.fixtures import make_program
from tests.reports.retention_directory import (
    AS_OF,
    HEADER,
    cohort_on,
    directory_fixture,  # noqa: F401 (the "directory" fixture)
    expected_rows,
    match,
    person,
)


def run(*args) -> list[list[str]]:
    out = io.StringIO()
    call_command("export_retention", *args, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


def test_program_option_keeps_that_program_only(directory):
    rows = run("--program", "eng", "--as-of", AS_OF.isoformat())
    assert rows == [HEADER, *[r for r in expected_rows() if r[0] == "Engineering"]]


def test_output_option_writes_the_file(directory, tmp_path):
    target = tmp_path / "retention.csv"
    err = io.StringIO()
    call_command("export_retention", "--as-of", "2026-06-30", "--output", str(target), stderr=err)
    with target.open(newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [HEADER, *expected_rows()]
    assert str(target) in err.getvalue()


def test_as_of_defaults_to_today(directory):
    rows = run()
    assert rows[0] == HEADER and len(rows) == 1 + len(expected_rows())


@pytest.mark.parametrize("value", ["2026-13-01", "30/06/2026", "yesterday", "2026-6-30", ""])
def test_bad_as_of_names_the_option(db, value):
    with pytest.raises(CommandError, match="--as-of"):
        run("--as-of", value)


def test_bad_program_names_the_option(db):
    with pytest.raises(CommandError, match=r"--program.*nope"):
        run("--program", "nope")


def test_unwritable_output_names_the_option(db, tmp_path):
    with pytest.raises(CommandError, match="--output"):
        run("--output", str(tmp_path / "missing-dir" / "x.csv"))


def test_no_data_gives_the_header_only(db):
    assert run("--as-of", "2026-01-01") == [HEADER]


def test_formula_looking_names_are_escaped_when_read_back(db):
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR"]
    for i, name in enumerate(names):
        program = make_program(name=name, slug=f"evil-{i}")
        cohort = cohort_on(program, date(2024, 1, 1), name)
        match(cohort, person("x"), person("y"))
    rows = run("--as-of", "2026-01-01")[1:]
    cells = {cell for row in rows for cell in row[:2]}
    for name in names:
        assert "'" + name in cells
        assert name not in cells
    # Every text cell is safe: nothing starts with a formula character.
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
