"""The enrolment file as an XLSX workbook, and the upload limits of both kinds of file."""

from __future__ import annotations

import secrets

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mentorship.xlsx_files import XLSX_CONTENT_TYPE
from programs.models import Enrollment, EnrollmentImport
from programs.services.enroll_file import COLUMNS
from tests.conftest import make_user
from tests.mentorship.test_xlsx_files import bomb, openpyxl_never_called, table_workbook, workbook
from tests.programs.fixtures import make_enrollment
from tests.programs.test_enroll_file_service import csv_bytes, row
from tests.programs.test_enroll_file_views import preview_url, upload_url

pytestmark = pytest.mark.django_db

__all__ = ["openpyxl_never_called"]  # a fixture


@pytest.fixture(autouse=True)
def _nothing_sent_unless_asked(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False


def upload(client, cohort, data: bytes, name: str = "spring.xlsx"):
    return client.post(
        upload_url(cohort), {"file": SimpleUploadedFile(name, data, XLSX_CONTENT_TYPE)}
    )


def test_upload_page_states_the_formats_and_the_limits(admin_client, cohort):
    body = admin_client.get(upload_url(cohort)).content.decode()
    assert 'accept=".csv,text/csv,.xlsx,' in body
    assert "or an XLSX workbook (its first sheet; formulas are not calculated" in body
    assert "At most 2.0\xa0MB; a workbook may unpack to at most 50.0\xa0MB." in body
    assert "At most 2 MB; an XLSX workbook may unpack to at most 50 MB" in body  # field help


def test_workbook_previews_and_enrols_exactly_like_the_same_csv(
    admin_client, program_admin, cohort, django_capture_on_commit_callbacks
):
    mentor, mentee = make_user(first_name="Mona"), make_user(first_name="Milo")
    rows = [
        row(mentor, "mentor", capacity="3", topics_offered="leadership", languages="English"),
        row(mentee, "mentee", topics_sought="Negotiation", goals="Close deals\nand grow"),
    ]
    upload(admin_client, cohort, csv_bytes(*rows), name="spring.csv")
    upload(admin_client, cohort, table_workbook(COLUMNS, rows))
    from_csv, from_xlsx = EnrollmentImport.objects.order_by("id")
    assert from_xlsx.filename == "spring.xlsx"
    assert from_xlsx.status == EnrollmentImport.Status.PREVIEWED
    assert (from_xlsx.summary, from_xlsx.report) == (from_csv.summary, from_csv.report)
    assert from_xlsx.content == from_csv.content
    body = admin_client.get(preview_url(from_xlsx)).content.decode()
    assert "Would invite 2 people (1 mentor, 1 mentee)." in body

    with pytest.MonkeyPatch.context() as patch, django_capture_on_commit_callbacks():
        patch.setattr(openpyxl, "load_workbook", pytest.fail)
        response = admin_client.post(preview_url(from_xlsx), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Invited 2 people (1 mentor, 1 mentee). Each gets an email with a link to their "
        "intake form."
    ]
    enrollment = Enrollment.objects.get(person=mentor)
    assert (enrollment.role, enrollment.capacity) == ("mentor", 3)
    assert [t.name for t in enrollment.topics_offered.all()] == ["Leadership"]
    assert Enrollment.objects.get(person=mentee).goals == "Close deals\nand grow"


def test_rows_after_a_cell_with_a_line_break_keep_their_row_numbers(
    admin_client, program_admin, cohort
):
    rows = [
        row(make_user(), "mentee", goals="first line\nsecond line\nthird line"),
        row("nobody@example.com"),
    ]
    upload(admin_client, cohort, table_workbook(COLUMNS, rows))
    enrollment_import = EnrollmentImport.objects.get()
    body = admin_client.get(preview_url(enrollment_import)).content.decode()
    assert '<th scope="col">Row</th>' in body
    assert "<tr><td>3</td><td>email (A)</td><td>“nobody@example.com” is not in the directory." in (
        body
    )


def test_confirming_reads_the_stored_text_with_the_same_row_numbers(
    admin_client, program_admin, cohort, django_capture_on_commit_callbacks
):
    early, late = make_user(), make_user()
    rows = [row(early, "mentee", goals="one\ntwo\nthree"), row(late, "mentee")]
    upload(admin_client, cohort, table_workbook(COLUMNS, rows))
    enrollment_import = EnrollmentImport.objects.get()
    make_enrollment(cohort=cohort, person=late, status="applied")
    with django_capture_on_commit_callbacks():
        response = admin_client.post(preview_url(enrollment_import), follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Nothing was written: line 3, column email:")
    assert "<tr><td>3</td><td>email (A)</td>" in response.content.decode()
    assert not Enrollment.objects.filter(person=early).exists()


def test_errors_in_a_workbook_are_shown_by_row_and_by_column_name_and_letter(admin_client, cohort):
    rows = [row(make_user(), "mentor", capacity="99"), row(make_user(), "mentee")]
    upload(admin_client, cohort, table_workbook(COLUMNS, rows))
    enrollment_import = EnrollmentImport.objects.get()
    assert enrollment_import.status == EnrollmentImport.Status.FAILED
    body = admin_client.get(preview_url(enrollment_import)).content.decode()
    assert "<tr><td>2</td><td>capacity (C)</td><td>" in body
    assert "Confirm and invite" not in body


def test_zip_bomb_is_refused_before_it_is_opened_and_nothing_is_stored(
    admin_client, cohort, openpyxl_never_called
):
    response = upload(admin_client, cohort, bomb(size=100 * 1024 * 1024))
    body = response.content.decode()
    assert response.status_code == 200
    assert "This file cannot be read, so nobody was enrolled." in body
    assert "spring.xlsx would unpack to 100 MB, more than the limit of 50 MB" in body
    assert not EnrollmentImport.objects.exists()


def test_file_named_xlsx_that_is_not_a_workbook_is_refused(admin_client, cohort):
    response = upload(admin_client, cohort, b"email,role\nx@example.com,mentee\n")
    assert "spring.xlsx is not an XLSX workbook" in response.content.decode()
    assert not EnrollmentImport.objects.exists()


def test_workbook_over_the_limit_is_refused_with_413(
    admin_client, cohort, settings, openpyxl_never_called
):
    settings.ENROLLMENT_FILE_MAX_BYTES = 4096
    data = workbook(*[[secrets.token_hex(16), secrets.token_hex(16)] for _ in range(3_000)])
    assert len(data) > 4096 + 64 * 1024
    response = upload(admin_client, cohort, data)
    assert response.status_code == 413
    assert "The file is larger than the limit of 4 KB." in response.content.decode()
    assert not EnrollmentImport.objects.exists()
