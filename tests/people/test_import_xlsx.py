"""The directory import from an XLSX workbook, and the upload limits of both kinds of file."""

from __future__ import annotations

import io
import secrets

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mentorship.xlsx_files import XLSX_CONTENT_TYPE
from people.directory_import import COLUMNS
from people.models import DirectoryImport, User
from tests.mentorship.test_xlsx_files import bomb, openpyxl_never_called, table_workbook, workbook
from tests.people.test_directory_import import csv_bytes, employee
from tests.people.test_import_views import UPLOAD_URL, preview_url

pytestmark = pytest.mark.django_db

__all__ = ["openpyxl_never_called"]  # a fixture


def upload(client, data: bytes, name: str = "staff.xlsx"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data, XLSX_CONTENT_TYPE)})


def staff() -> list[dict[str, str]]:
    return [
        employee(employee_id="E1", email="ana@example.com", first_name="Ana", last_name="Lee"),
        employee(employee_id="E2", manager_email="ana@example.com", level="5"),
        employee(employee_id="E3", hire_date="2020-02-29", end_date="2024-12-31"),
    ]


def test_upload_page_states_the_formats_and_the_limits(hr_client):
    body = hr_client.get(UPLOAD_URL).content.decode()
    assert 'accept=".csv,text/csv,.xlsx,' in body
    assert "or as an XLSX workbook" in body
    assert "At most 20 MB; an XLSX workbook may unpack to at most 50 MB" in body


def test_workbook_previews_and_imports_exactly_like_the_same_csv(hr_client, hr_user):
    upload(hr_client, csv_bytes(*staff()), name="staff.csv")
    upload(hr_client, table_workbook(COLUMNS, staff()))
    from_csv, from_xlsx = DirectoryImport.objects.order_by("id")
    assert from_xlsx.filename == "staff.xlsx"
    assert from_xlsx.status == DirectoryImport.Status.PREVIEWED
    assert from_xlsx.summary == from_csv.summary
    assert from_xlsx.report == from_csv.report
    # What is kept is the sheet as CSV text, so confirming never reads the workbook again.
    assert from_xlsx.content == from_csv.content
    assert from_xlsx.sha256 != from_csv.sha256  # of the bytes as uploaded
    page = hr_client.get(preview_url(from_xlsx)).content.decode()
    assert "Would create 3, update 0, leave 0 unchanged." in page

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(openpyxl, "load_workbook", pytest.fail)
        confirmed = hr_client.post(preview_url(from_xlsx), follow=True)
    messages = [str(m) for m in confirmed.context["messages"]]
    assert any("Created 3, updated 0, left 0 unchanged" in m for m in messages), messages
    e1, e2, e3 = User.objects.filter(employee_id__in=["E1", "E2", "E3"]).order_by("employee_id")
    assert (e1.first_name, e1.email, str(e1.hire_date)) == ("Ana", "ana@example.com", "2023-01-09")
    assert (e2.manager, e2.level) == (e1, 5)
    assert (str(e3.hire_date), str(e3.end_date), e3.is_active) == (
        "2020-02-29",
        "2024-12-31",
        False,
    )

    # The same table as a CSV file is now the directory as it is: it would change nothing.
    upload(hr_client, csv_bytes(*staff()), name="staff.csv")
    again = DirectoryImport.objects.latest("id")
    assert (again.summary["created"], again.summary["updated"], again.summary["unchanged"]) == (
        0,
        0,
        3,
    )


def test_errors_in_a_workbook_are_shown_by_row_and_by_column_name_and_letter(hr_client):
    rows = staff()
    rows[1]["email"] = "not-an-email"
    rows[2]["level"] = "senior"
    upload(hr_client, table_workbook(COLUMNS, rows))
    directory_import = DirectoryImport.objects.get()
    assert directory_import.status == DirectoryImport.Status.FAILED
    body = hr_client.get(preview_url(directory_import)).content.decode()
    assert '<th scope="col">Row</th>' in body
    assert "<tr><td>3</td><td>email (B)</td><td>“not-an-email” is not a valid email" in body
    assert "<tr><td>4</td><td>level (G)</td><td>“senior” is not a whole number." in body
    assert "Confirm and import" not in body


def test_formula_without_a_saved_value_is_an_error_at_its_cell(hr_client):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for values in staff():
        sheet.append([values[c] for c in COLUMNS])
    sheet["K3"] = "=DATE(2023,1,9)"  # hire_date of E2: openpyxl saves no value for it
    buf = io.BytesIO()
    book.save(buf)
    upload(hr_client, buf.getvalue())
    directory_import = DirectoryImport.objects.get()
    assert directory_import.status == DirectoryImport.Status.FAILED
    errors = directory_import.report["errors"]
    assert [3, "hire_date", "A value is required."] in errors
    [formula] = [e for e in errors if "formula" in e[2]]
    assert formula[:2] == [3, "hire_date"]
    assert "the formula =DATE(2023,1,9) but no saved value" in formula[2]
    body = hr_client.get(preview_url(directory_import)).content.decode()
    assert "<tr><td>3</td><td>hire_date (K)</td><td>This cell has the formula" in body
    response = hr_client.post(preview_url(directory_import), follow=True)
    assert any("has errors" in str(m) for m in response.context["messages"])
    assert not User.objects.filter(employee_id="E1").exists()


def test_zip_bomb_is_refused_before_it_is_opened_and_nothing_is_stored(
    hr_client, openpyxl_never_called
):
    response = upload(hr_client, bomb(size=100 * 1024 * 1024), name="export.xlsx")
    body = response.content.decode()
    assert response.status_code == 200
    assert "This file cannot be read, so nothing was imported." in body
    assert "export.xlsx would unpack to 100 MB, more than the limit of 50 MB" in body
    assert not DirectoryImport.objects.exists()


def test_file_named_xlsx_that_is_not_a_workbook_is_refused(hr_client, openpyxl_never_called):
    response = upload(hr_client, csv_bytes(*staff()), name="export.xlsx")
    body = response.content.decode()
    assert "export.xlsx is not an XLSX workbook: it is not a zip archive" in body
    assert not DirectoryImport.objects.exists()


def test_workbook_named_csv_is_refused_with_a_hint(hr_client):
    response = upload(hr_client, table_workbook(COLUMNS, staff()), name="export.csv")
    body = response.content.decode()
    assert "The file is a zip archive (such as an XLSX workbook), not CSV text." in body
    assert not DirectoryImport.objects.exists()


def _random_workbook(rows: int) -> bytes:
    """A workbook that does not compress: random text in every cell."""
    return workbook(*[[secrets.token_hex(16), secrets.token_hex(16)] for _ in range(rows)])


def test_workbook_over_the_size_limit_is_refused(hr_client, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 4096
    data = _random_workbook(200)
    assert 4096 < len(data) < 4096 + 64 * 1024  # over the limit, within the request overhead
    response = upload(hr_client, data)
    assert response.status_code == 200
    assert "larger than the limit of 4 KB" in response.content.decode()
    assert not DirectoryImport.objects.exists()


@pytest.mark.parametrize("name", ["staff.xlsx", "staff.csv"])
def test_upload_over_the_limit_is_refused_with_413_and_the_reason_on_the_page(
    hr_client, settings, name, openpyxl_never_called
):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 4096
    data = (
        _random_workbook(3_000)
        if name.endswith(".xlsx")
        else csv_bytes(*(employee(employee_id=f"E{i}") for i in range(1_000)))
    )
    assert len(data) > 4096 + 64 * 1024
    response = upload(hr_client, data, name=name)
    body = response.content.decode()
    assert response.status_code == 413
    assert "This file cannot be read, so nothing was imported." in body
    assert "The file is larger than the limit of 4 KB." in body
    assert 'name="file"' in body  # the form, to choose another file
    assert not DirectoryImport.objects.exists()


def test_sheet_larger_as_csv_than_the_limit_is_refused(hr_client, settings):
    # Small packed (repeated text), but more text than a CSV file within the limit.
    settings.DIRECTORY_IMPORT_MAX_BYTES = 128 * 1024
    rows = [employee(employee_id=f"E{i}") for i in range(2_000)]
    data = table_workbook(COLUMNS, rows)
    assert len(data) < 128 * 1024 < len(csv_bytes(*rows))
    body = upload(hr_client, data).content.decode()
    assert "staff.xlsx holds more than a CSV file within the limit of 128 KB could." in body
    assert not DirectoryImport.objects.exists()


def test_import_command_reads_a_workbook(tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "staff.xlsx"
    path.write_bytes(table_workbook(COLUMNS, staff()))
    call_command("import_directory", str(path))
    assert "Created 3, updated 0, left 0 unchanged" in capsys.readouterr().out
    assert DirectoryImport.objects.get().filename == "staff.xlsx"
    assert User.objects.get(employee_id="E2").level == 5
