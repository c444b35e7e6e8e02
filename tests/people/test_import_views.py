from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from people.directory_import import directory_file_preview
from people.models import DirectoryImport, User
from tests.conftest import activate_totp, make_user
from tests.people.test_directory_import import csv_bytes, employee

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("people:import_upload")


def preview_url(directory_import: DirectoryImport) -> str:
    return reverse("people:import_preview", args=[directory_import.pk])


def upload(client, data: bytes, name: str = "export.csv"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data, "text/csv")})


def stored_import(uploader, data: bytes | None = None) -> DirectoryImport:
    directory_import, _ = directory_file_preview(
        data=data or csv_bytes(employee(employee_id="E1")), filename="export.csv", user=uploader
    )
    return directory_import


def test_upload_page_has_a_labelled_file_field_with_format_help(hr_client):
    response = hr_client.get(UPLOAD_URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_file">Directory file (CSV or XLSX)</label>' in body
    assert 'enctype="multipart/form-data"' in body
    assert "csrfmiddlewaretoken" in body
    assert "employee_id, email, first_name, last_name, hire_date" in body  # required columns
    assert "YYYY-MM-DD" in body
    assert "Who can see this page:</strong> HR and staff" in body


def test_upload_preview_confirm_imports_the_directory(hr_client, hr_user):
    data = csv_bytes(
        employee(employee_id="E1", email="ana@example.com", first_name="Ana", last_name="Lee"),
        employee(employee_id="E2", manager_email="ana@example.com"),
    )
    response = upload(hr_client, data)
    directory_import = DirectoryImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(directory_import)
    assert directory_import.uploaded_by == hr_user
    assert not User.objects.filter(employee_id="E1").exists()  # nothing written yet

    preview = hr_client.get(preview_url(directory_import))
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Ana Lee" in body and "ana@example.com" in body
    assert "Preview: nothing has been written yet." in body
    assert f'action="{preview_url(directory_import)}"' in body
    assert "Confirm and import" in body and "csrfmiddlewaretoken" in body
    assert "Who can see this page:</strong> HR and staff" in body

    confirmed = hr_client.post(preview_url(directory_import), follow=True)
    assert confirmed.redirect_chain == [(preview_url(directory_import), 302)]
    messages = [str(m) for m in confirmed.context["messages"]]
    assert any("Created 2, updated 0, left 0 unchanged" in m for m in messages), messages
    assert User.objects.get(employee_id="E2").manager == User.objects.get(employee_id="E1")
    directory_import.refresh_from_db()
    assert directory_import.status == DirectoryImport.Status.APPLIED
    assert directory_import.applied_by == hr_user


def test_preview_shows_changed_fields_old_and_new(hr_client, user_factory):
    user_factory(employee_id="E1", email="e1@example.com", title="Engineer")
    upload(hr_client, csv_bytes(employee(employee_id="E1", title="Staff Engineer")))
    body = hr_client.get(preview_url(DirectoryImport.objects.get())).content.decode()
    assert "<strong>title</strong>: Engineer &rarr; Staff Engineer" in body


def test_file_with_errors_shows_each_by_line_and_column_and_cannot_be_confirmed(hr_client):
    data = csv_bytes(
        employee(employee_id="E1"),
        employee(employee_id="E2", email="not-an-email", hire_date="yesterday"),
    )
    upload(hr_client, data)
    directory_import = DirectoryImport.objects.get()
    assert directory_import.status == DirectoryImport.Status.FAILED
    body = hr_client.get(preview_url(directory_import)).content.decode()
    assert "<tr><td>3</td><td>email</td><td>“not-an-email” is not a valid email" in body
    assert "<tr><td>3</td><td>hire_date</td>" in body
    assert "Confirm and import" not in body

    response = hr_client.post(preview_url(directory_import), follow=True)
    assert any("has errors" in str(m) for m in response.context["messages"])
    assert not User.objects.filter(employee_id__in=["E1", "E2"]).exists()


def test_errors_are_paginated_so_every_one_can_be_seen(hr_client):
    rows = [employee(employee_id=f"E{i}", level="x") for i in range(250)]
    upload(hr_client, csv_bytes(*rows))
    url = preview_url(DirectoryImport.objects.get())
    first = hr_client.get(url)
    assert first.context["error_count"] == 250
    assert len(first.context["errors_page"].object_list) == 200
    second = hr_client.get(url, {"errors_page": 2}).content.decode()
    assert "<tr><td>251</td><td>level</td>" in second


def test_unreadable_file_is_refused_on_the_upload_page(hr_client):
    data = csv_bytes(employee(employee_id="E1")) + "E2,é\n".encode("latin-1")
    response = upload(hr_client, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<tr><td>3</td><td>—</td><td>The file is not UTF-8 text" in body
    assert "CSV UTF-8" in body
    assert not DirectoryImport.objects.exists()


def test_file_over_the_size_limit_is_refused(hr_client, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 1024
    response = upload(hr_client, csv_bytes(*(employee(employee_id=f"E{i}") for i in range(30))))
    assert response.status_code == 200
    assert "larger than the limit of 1 KB" in response.content.decode()
    assert not DirectoryImport.objects.exists()


def test_upload_declared_over_the_limit_is_refused_without_reading_it(hr_client, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 1024
    response = upload(hr_client, b"x" * 100_000)
    assert response.status_code == 413
    assert "larger than the limit of 1 KB" in response.content.decode()
    assert not DirectoryImport.objects.exists()


def test_upload_still_checks_the_csrf_token(hr_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_user)
    response = upload(client, csv_bytes(employee(employee_id="E1")))
    assert response.status_code == 403
    assert not DirectoryImport.objects.exists()


def test_confirm_checks_the_csrf_token(hr_user):
    directory_import = stored_import(hr_user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_user)
    assert client.post(preview_url(directory_import)).status_code == 403
    directory_import.refresh_from_db()
    assert directory_import.status == DirectoryImport.Status.PREVIEWED


def test_upload_without_a_file_shows_the_field_error(hr_client):
    response = hr_client.post(UPLOAD_URL, {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_applied_import_is_read_only_and_is_not_applied_again(hr_client, hr_user):
    directory_import = stored_import(hr_user)
    hr_client.post(preview_url(directory_import))
    User.objects.filter(employee_id="E1").update(title="Changed since")

    body = hr_client.get(preview_url(directory_import)).content.decode()
    assert "cannot be applied again" in body
    assert "Confirm and import" not in body
    response = hr_client.post(preview_url(directory_import), follow=True)
    assert any("already been imported" in str(m) for m in response.context["messages"])
    assert User.objects.get(employee_id="E1").title == "Changed since"


def test_long_lists_are_capped_with_a_count(hr_client, hr_user):
    directory_import = stored_import(
        hr_user, csv_bytes(*(employee(employee_id=f"E{i:03d}") for i in range(250)))
    )
    body = hr_client.get(preview_url(directory_import)).content.decode()
    assert "The first 200 of 250." in body
    assert "(E199)" in body and "(E200)" not in body


def test_preview_query_count_does_not_grow_with_the_file(hr_client, hr_user):
    def count_queries(directory_import) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert hr_client.get(preview_url(directory_import)).status_code == 200
        return len(ctx.captured_queries)

    small = stored_import(hr_user, csv_bytes(*(employee(employee_id=f"S{i}") for i in range(3))))
    large = stored_import(hr_user, csv_bytes(*(employee(employee_id=f"L{i}") for i in range(300))))
    assert count_queries(small) == count_queries(large)


def test_wrong_method_is_refused(hr_client, hr_user):
    directory_import = stored_import(hr_user)
    assert hr_client.put(UPLOAD_URL).status_code == 405
    assert hr_client.delete(preview_url(directory_import)).status_code == 405
    assert hr_client.put(preview_url(directory_import)).status_code == 405


def test_participant_gets_404(participant_client, hr_user):
    directory_import = stored_import(hr_user)
    assert participant_client.get(UPLOAD_URL).status_code == 404
    assert participant_client.post(UPLOAD_URL).status_code == 404
    assert participant_client.get(preview_url(directory_import)).status_code == 404
    assert participant_client.post(preview_url(directory_import)).status_code == 404
    directory_import.refresh_from_db()
    assert directory_import.status == DirectoryImport.Status.PREVIEWED


def test_anonymous_is_sent_to_login(client, hr_user):
    directory_import = stored_import(hr_user)
    for url in (UPLOAD_URL, preview_url(directory_import)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_hr_sees_imports_uploaded_by_a_colleague(hr_client):
    colleague = make_user(is_hr=True)
    directory_import = stored_import(colleague)
    response = hr_client.get(preview_url(directory_import))
    assert response.status_code == 200
    assert colleague.get_full_name() in response.content.decode()


def test_colleagues_import_is_404_for_a_participant(client, participant):
    directory_import = stored_import(make_user(is_hr=True))
    client.force_login(participant)
    assert client.get(preview_url(directory_import)).status_code == 404


def test_staff_can_import(client):
    staff = make_user(is_staff=True)
    activate_totp(staff)
    client.force_login(staff)
    assert client.get(UPLOAD_URL).status_code == 200


def test_missing_import_is_404(hr_client):
    assert hr_client.get(reverse("people:import_preview", args=[999999])).status_code == 404


def test_recent_imports_are_listed_on_the_upload_page(hr_client, hr_user):
    directory_import = stored_import(hr_user)
    body = hr_client.get(UPLOAD_URL).content.decode()
    assert preview_url(directory_import) in body
