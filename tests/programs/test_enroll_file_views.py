"""The enrolment file in the browser: upload -> preview -> confirm, for the cohort's managers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Enrollment, EnrollmentImport
from programs.services.enroll_file import enrollment_file_preview
from tests.conftest import activate_totp, make_user
from tests.programs.fixtures import make_cohort, make_enrollment
from tests.programs.test_enroll_file_service import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_sent_unless_asked(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False


def upload_url(cohort) -> str:
    return reverse("programs:enroll_upload", args=[cohort.slug])


def preview_url(enrollment_import) -> str:
    return reverse(
        "programs:enroll_preview", args=[enrollment_import.cohort.slug, enrollment_import.pk]
    )


def upload(client, cohort, data: bytes, name: str = "spring.csv"):
    return client.post(upload_url(cohort), {"file": SimpleUploadedFile(name, data, "text/csv")})


def stored_import(cohort, uploader, data: bytes | None = None) -> EnrollmentImport:
    enrollment_import, _ = enrollment_file_preview(
        cohort=cohort,
        data=data or csv_bytes(row(make_user(), "mentor", topics_offered="Leadership")),
        filename="spring.csv",
        user=uploader,
    )
    return enrollment_import


def test_upload_page_shows_the_format_the_topics_and_the_capacity_bounds(admin_client, cohort):
    response = admin_client.get(upload_url(cohort))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_file">Enrolment file (CSV or XLSX)</label>' in body
    assert 'enctype="multipart/form-data"' in body
    for column in ("email", "role", "capacity", "topics_offered", "topics_sought", "goals"):
        assert f"<code>{column}</code>" in body
    assert "Required: email, role." in body
    assert "<code>mentor</code> or <code>mentee</code>" in body
    for topic in ("Leadership", "Public speaking", "System design", "Negotiation"):
        assert f'<span class="pill">{topic}</span>' in body
    assert (
        "a whole number from 1 to 3 (this cohort's bounds); empty means the cohort's default, 2."
        in (body)
    )
    dashboard = reverse("programs:cohort_dashboard", args=[cohort.slug])
    assert f'href="{dashboard}"' in body
    assert "Who can see this page:</strong> The program's admins, HR and staff." in body


def test_upload_preview_confirm_invites_everyone(
    admin_client,
    program_admin,
    cohort,
    django_capture_on_commit_callbacks,
    mailoutbox,
    settings,
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mentor, mentee = make_user(first_name="Mona"), make_user(first_name="Milo")
    data = csv_bytes(
        row(mentor, "mentor", capacity="3", topics_offered="leadership", languages="English"),
        row(mentee, "mentee", topics_sought="Negotiation", goals="Close deals"),
    )
    response = upload(admin_client, cohort, data)
    enrollment_import = EnrollmentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(enrollment_import)
    assert enrollment_import.uploaded_by == program_admin
    assert not Enrollment.objects.exists()  # nothing written yet

    body = admin_client.get(preview_url(enrollment_import)).content.decode()
    assert "Preview: nothing has been written yet." in body
    assert "Would invite 2 people (1 mentor, 1 mentee)." in body
    assert mentor.email in body and "Leadership" in body and "Close deals" in body
    assert "Confirm and invite" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(preview_url(enrollment_import), follow=True)
    assert response.redirect_chain == [(preview_url(enrollment_import), 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Invited 2 people (1 mentor, 1 mentee). Each gets an email with a link to their "
        "intake form."
    ]
    assert "Confirm and invite" not in response.content.decode()
    enrollment = Enrollment.objects.get(person=mentor)
    assert (enrollment.role, enrollment.capacity, enrollment.status) == ("mentor", 3, "invited")
    assert enrollment.invited_by == program_admin
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentor.email, mentee.email])


def test_file_with_errors_shows_them_by_line_and_column_and_cannot_be_confirmed(
    admin_client, cohort, django_capture_on_commit_callbacks, mailoutbox
):
    good = make_user()
    data = csv_bytes(
        row(good, "mentor"),
        row("nobody@example.com"),
        row(make_user(), "mentee", topics_sought="Cooking"),
    )
    upload(admin_client, cohort, data)
    enrollment_import = EnrollmentImport.objects.get()
    assert enrollment_import.status == EnrollmentImport.Status.FAILED

    body = admin_client.get(preview_url(enrollment_import)).content.decode()
    assert "Nobody can be enrolled until every error below is fixed." in body
    assert "<tr><td>3</td><td>email</td><td>“nobody@example.com” is not in the directory." in body
    assert "<tr><td>4</td><td>topics_sought</td><td>“Cooking” is not a topic" in body
    assert "Confirm and invite" not in body

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(preview_url(enrollment_import), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This file has errors. Fix them and upload it again."
    ]
    assert not Enrollment.objects.exists()
    assert callbacks == [] and mailoutbox == []


def test_confirm_after_someone_enrolled_meanwhile_writes_nothing(
    admin_client, program_admin, cohort, django_capture_on_commit_callbacks
):
    early, late = make_user(), make_user()
    enrollment_import = stored_import(cohort, program_admin, csv_bytes(row(early), row(late)))
    make_enrollment(cohort=cohort, person=late, status="applied")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(preview_url(enrollment_import), follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Nothing was written: line 3, column email:")
    assert "already in this cohort as mentee (applied)" in message
    assert callbacks == []
    assert not Enrollment.objects.filter(person=early).exists()
    assert "<tr><td>3</td><td>email</td>" in response.content.decode()


def test_confirm_when_the_enrollments_would_differ_asks_again(admin_client, program_admin, cohort):
    enrollment_import = stored_import(cohort, program_admin, csv_bytes(row(make_user(), "mentor")))
    cohort.default_mentor_capacity = 1
    cohort.save()
    response = admin_client.post(preview_url(enrollment_import), follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("The cohort changed since this preview")
    assert not Enrollment.objects.exists()
    assert "Confirm and invite" in response.content.decode()


def test_applied_file_is_read_only_and_is_not_applied_again(admin_client, program_admin, cohort):
    enrollment_import = stored_import(cohort, program_admin)
    admin_client.post(preview_url(enrollment_import))
    assert Enrollment.objects.count() == 1

    body = admin_client.get(preview_url(enrollment_import)).content.decode()
    assert "This file cannot be applied again" in body
    response = admin_client.post(preview_url(enrollment_import), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This file has already been imported; it cannot be applied again."
    ]
    assert Enrollment.objects.count() == 1


def test_unreadable_file_is_refused_on_the_upload_page(admin_client, cohort):
    data = csv_bytes(row(make_user())) + "x@example.com,mentee,,,,Grüße,\n".encode("latin-1")
    response = upload(admin_client, cohort, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<tr><td>3</td><td>—</td><td>The file is not UTF-8 text" in body
    assert not EnrollmentImport.objects.exists()


def test_upload_declared_over_the_limit_is_refused_without_reading_it(
    admin_client, cohort, settings
):
    settings.ENROLLMENT_FILE_MAX_BYTES = 1024
    response = upload(admin_client, cohort, b"x" * 100_000)
    assert response.status_code == 413
    assert "larger than the limit of 1 KB" in response.content.decode()
    assert not EnrollmentImport.objects.exists()


def test_upload_without_a_file_shows_the_field_error(admin_client, cohort):
    response = admin_client.post(upload_url(cohort), {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_upload_and_confirm_check_the_csrf_token(program_admin, cohort):
    enrollment_import = stored_import(cohort, program_admin)
    client = Client(enforce_csrf_checks=True)
    client.force_login(program_admin)
    assert upload(client, cohort, csv_bytes(row(make_user()))).status_code == 403
    assert client.post(preview_url(enrollment_import)).status_code == 403
    assert EnrollmentImport.objects.count() == 1
    assert not Enrollment.objects.exists()


def test_hr_can_enrol_from_a_file_in_any_program(hr_client, hr_user, cohort):
    person = make_user()
    upload(hr_client, cohort, csv_bytes(row(person)))
    enrollment_import = EnrollmentImport.objects.get()
    assert hr_client.get(upload_url(cohort)).status_code == 200
    assert hr_client.get(preview_url(enrollment_import)).status_code == 200
    hr_client.post(preview_url(enrollment_import))
    assert Enrollment.objects.get(person=person).invited_by == hr_user


def test_staff_can_open_the_pages(client, cohort, program_admin):
    staff = make_user(is_staff=True)
    activate_totp(staff)
    client.force_login(staff)
    assert client.get(upload_url(cohort)).status_code == 200
    assert client.get(preview_url(stored_import(cohort, program_admin))).status_code == 200


@pytest.mark.parametrize("outsider", ["participant_client", "other_admin_client"])
def test_outsiders_get_404(request, outsider, cohort, program_admin, other_program_admin):
    if outsider == "other_admin_client":
        client = Client()
        client.force_login(other_program_admin)
    else:
        client = request.getfixturevalue(outsider)
    enrollment_import = stored_import(cohort, program_admin)
    assert client.get(upload_url(cohort)).status_code == 404
    assert upload(client, cohort, csv_bytes(row(make_user()))).status_code == 404
    assert client.get(preview_url(enrollment_import)).status_code == 404
    assert client.post(preview_url(enrollment_import)).status_code == 404
    assert EnrollmentImport.objects.count() == 1
    assert not Enrollment.objects.exists()


def test_a_file_is_only_reachable_under_its_own_cohort(admin_client, program_admin, cohort):
    other_cohort = make_cohort(program=cohort.program)
    enrollment_import = stored_import(cohort, program_admin)
    url = reverse("programs:enroll_preview", args=[other_cohort.slug, enrollment_import.pk])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url).status_code == 404
    assert not Enrollment.objects.exists()


def test_unknown_cohort_gets_404(admin_client):
    assert admin_client.get(reverse("programs:enroll_upload", args=["nope"])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, cohort, program_admin):
    enrollment_import = stored_import(cohort, program_admin)
    for url in (upload_url(cohort), preview_url(enrollment_import)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert client.post(preview_url(enrollment_import)).status_code == 302
    assert not Enrollment.objects.exists()


def test_wrong_method_is_refused(admin_client, program_admin, cohort):
    enrollment_import = stored_import(cohort, program_admin)
    assert admin_client.put(upload_url(cohort)).status_code == 405
    assert admin_client.delete(upload_url(cohort)).status_code == 405
    assert admin_client.put(preview_url(enrollment_import)).status_code == 405
    assert admin_client.delete(preview_url(enrollment_import)).status_code == 405


def test_upload_page_lists_this_cohorts_recent_files_only(admin_client, program_admin, cohort):
    mine = stored_import(cohort, program_admin)
    other = stored_import(make_cohort(program=cohort.program), program_admin)
    body = admin_client.get(upload_url(cohort)).content.decode()
    assert preview_url(mine) in body
    assert preview_url(other) not in body


def test_upload_page_query_count_does_not_grow_with_recent_files(
    admin_client, program_admin, cohort
):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(upload_url(cohort)).status_code == 200
        return len(ctx.captured_queries)

    stored_import(cohort, make_user())
    few = count_queries()
    for _ in range(12):
        stored_import(cohort, make_user())
    assert count_queries() == few


def test_preview_query_count_does_not_grow_with_the_file(admin_client, program_admin, cohort):
    def count_queries(enrollment_import) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(preview_url(enrollment_import)).status_code == 200
        return len(ctx.captured_queries)

    small = stored_import(cohort, program_admin, csv_bytes(*(row(make_user()) for _ in range(2))))
    large = stored_import(cohort, program_admin, csv_bytes(*(row(make_user()) for _ in range(60))))
    assert count_queries(small) == count_queries(large)


def test_long_files_show_the_first_rows_with_a_count(admin_client, program_admin, cohort):
    people = [make_user() for _ in range(205)]
    enrollment_import = stored_import(cohort, program_admin, csv_bytes(*(row(p) for p in people)))
    body = admin_client.get(preview_url(enrollment_import)).content.decode()
    assert "The first 200 of 205." in body
    assert people[199].email in body and people[200].email not in body


def test_many_errors_are_paged(admin_client, program_admin, cohort):
    data = csv_bytes(*(row(f"nobody{i}@example.com") for i in range(250)))
    enrollment_import = stored_import(cohort, program_admin, data)
    url = preview_url(enrollment_import)
    first = admin_client.get(url).content.decode()
    assert "Errors page 1 of 2" in first
    assert "<tr><td>201</td><td>email</td>" in first
    second = admin_client.get(url, {"errors_page": 2}).content.decode()
    assert "<tr><td>251</td><td>email</td>" in second
