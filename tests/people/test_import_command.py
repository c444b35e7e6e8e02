from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from people.models import DirectoryImport, User
from tests.people.test_directory_import import csv_bytes, employee, snapshot

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "files" / "hr_export_semicolon_bom_crlf.csv"


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_directory", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_directory", *map(str, args), stdout=out, stderr=err)
    return str(excinfo.value), err.getvalue()


def test_imports_a_file_and_prints_the_summary():
    out, err = run(SAMPLE)
    assert "Created 3, updated 0, left 0 unchanged." in out
    assert "0 employees in the directory but not in the file: left alone." in out
    assert err == ""
    bo = User.objects.get(employee_id="E101")
    assert bo.title == "Engineer, Platform" and bo.manager.email == "ana.lee@example.com"
    assert User.objects.get(employee_id="E102").title == "=Account Executive"
    assert DirectoryImport.objects.get().status == DirectoryImport.Status.APPLIED


def test_running_it_again_changes_nothing():
    run(SAMPLE)
    before = snapshot()
    out, _ = run(SAMPLE)
    assert "Created 0, updated 0, left 3 unchanged." in out
    assert snapshot() == before


def test_dry_run_prints_what_would_change_and_writes_nothing():
    out, _ = run(SAMPLE, "--dry-run")
    assert "Would create 3, update 0, leave 0 unchanged." in out
    assert "nothing was written" in out
    assert not User.objects.filter(employee_id__startswith="E1").exists()
    assert not DirectoryImport.objects.exists()


def test_verbose_lists_each_change(tmp_path, user_factory):
    user_factory(employee_id="E1", email="e1@example.com", title="Engineer")
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(employee(employee_id="E1", title="Lead")))
    out, _ = run(path, "--dry-run", "--verbosity", "2")
    assert "update line 2: E1 " in out and "title: Engineer -> Lead" in out


def test_errors_go_to_stderr_by_line_and_column_and_exit_non_zero(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        csv_bytes(
            employee(employee_id="E1"),
            employee(employee_id="E2", email="broken"),
            employee(employee_id="E3", timezone="Moon/Base"),
        )
    )
    before = snapshot()
    message, err = run_failing(path)
    assert message == "2 errors in the file; nothing was written."
    assert err.splitlines() == [
        "line 3, column email: “broken” is not a valid email address.",
        "line 4, column timezone: “Moon/Base” is not a known IANA time zone (e.g. Europe/Berlin).",
    ]
    assert snapshot() == before
    assert not DirectoryImport.objects.exists()


def test_dry_run_with_errors_also_exits_non_zero(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(employee(employee_id="E1", hire_date="")))
    message, err = run_failing(path, "--dry-run")
    assert "1 error" in message
    assert "line 2, column hire_date: A value is required." in err


def test_warnings_go_to_stderr(tmp_path):
    path = tmp_path / "export.csv"
    row = {**employee(employee_id="E1"), "notes": "x"}
    path.write_bytes(csv_bytes(row, columns=[*employee().keys(), "notes"]))
    out, err = run(path)
    assert "warning: line 1, column notes: Unknown column; it is ignored." in err
    assert "Created 1" in out


def test_non_utf8_file_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(employee(employee_id="E1")) + "E2,Zoë\n".encode("cp1252"))
    _, err = run_failing(path)
    assert err.startswith("line 3: The file is not UTF-8 text")
    assert "CSV UTF-8" in err


def test_file_over_the_size_limit_is_refused(tmp_path, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 1024
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(*(employee(employee_id=f"E{i}") for i in range(30))))
    _, err = run_failing(path)
    assert "larger than the limit" in err


def test_missing_file_is_an_error(tmp_path):
    message, _ = run_failing(tmp_path / "nope.csv")
    assert message.startswith("Cannot read")


def test_upload_page_lists_an_import_made_from_the_command_line(hr_client):
    run(SAMPLE)  # no uploading user: the recent-imports table must still render
    response = hr_client.get(reverse("people:import_upload"))
    assert response.status_code == 200
    assert "command line" in response.content.decode()
