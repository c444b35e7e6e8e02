"""python manage.py enroll COHORT_SLUG FILE.csv [--dry-run]"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from programs.models import Enrollment, EnrollmentImport
from tests.conftest import make_user
from tests.programs.test_enroll_file_service import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_sent_unless_asked(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False


def enroll(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("enroll", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def write_csv(tmp_path):
    def write(data: bytes, name: str = "people.csv") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


def test_enrolls_everyone_and_says_so(
    cohort, write_csv, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mentor, mentee = make_user(), make_user()
    path = write_csv(
        csv_bytes(
            row(mentor, "mentor", capacity="1", topics_offered="Leadership"),
            row(mentee, topics_sought="leadership", languages="English"),
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        out, err = enroll(cohort.slug, path)
    assert out == (
        "Invited 2 people (1 mentor, 1 mentee). Each gets an email with a link to their "
        "intake form.\n"
    )
    assert err == ""
    enrollment = Enrollment.objects.get(person=mentor)
    assert (enrollment.source, enrollment.capacity, enrollment.invited_by) == ("csv", 1, None)
    assert Enrollment.objects.get(person=mentee).topics_sought.get().name == "Leadership"
    stored = EnrollmentImport.objects.get()
    assert (stored.status, stored.filename, stored.cohort) == ("applied", "people.csv", cohort)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentor.email, mentee.email])


def test_errors_are_printed_by_line_and_the_command_fails_writing_nothing(
    cohort, write_csv, django_capture_on_commit_callbacks
):
    path = write_csv(
        csv_bytes(
            row(make_user()),
            row("nobody@example.com", "boss"),
            row(make_user(), "mentee", capacity="2"),
        )
    )
    err = io.StringIO()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(CommandError, match="3 errors in the file; nothing was written"),
    ):
        call_command("enroll", cohort.slug, path, stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "line 3, column email: “nobody@example.com” is not in the directory.",
        "line 3, column role: “boss” is not a role in this program: use mentor or mentee.",
        "line 4, column capacity: Mentees take on nobody: leave capacity empty for a mentee.",
    ]
    assert not Enrollment.objects.exists()
    assert not EnrollmentImport.objects.exists()
    assert callbacks == []


def test_errors_make_the_command_exit_non_zero(cohort, write_csv):
    path = write_csv(csv_bytes(row("nobody@example.com")))
    with pytest.raises(CommandError) as exc:
        enroll(cohort.slug, path)
    # manage.py exits with the CommandError's return code.
    assert exc.value.returncode == 1


def test_dry_run_writes_nothing(cohort, write_csv, django_capture_on_commit_callbacks):
    person = make_user()
    path = write_csv(csv_bytes(row(person, "mentor")))
    with django_capture_on_commit_callbacks() as callbacks:
        out, _ = enroll(cohort.slug, path, "--dry-run", "--verbosity", "2")
    assert out.splitlines() == [
        f"invite line 2: {person.email} as mentor",
        "Would invite 1 person (1 mentor). Each will get an email with a link to their intake "
        "form.",
        "Dry run: nothing was written.",
    ]
    assert not Enrollment.objects.exists()
    assert not EnrollmentImport.objects.exists()
    assert callbacks == []


def test_warnings_go_to_stderr(cohort, write_csv):
    path = write_csv(csv_bytes(row(make_user(), "mentee", topics_offered="Leadership")))
    _, err = enroll(cohort.slug, path, "--dry-run")
    assert err == (
        "warning: line 2, column topics_offered: Mentees do not offer topics; these are not "
        "stored.\n"
    )


def test_unknown_cohort_is_an_error(write_csv):
    with pytest.raises(CommandError, match="There is no cohort “nope”"):
        enroll("nope", write_csv(b"email,role\n"))


def test_missing_file_is_an_error(cohort, tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv: No such file"):
        enroll(cohort.slug, str(tmp_path / "missing.csv"))


def test_unreadable_file_is_an_error_naming_the_line(cohort, write_csv):
    path = write_csv(csv_bytes(row(make_user())) + b"x@example.com,mentee,\xff\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error in the file"):
        call_command("enroll", cohort.slug, path, stderr=err)
    assert err.getvalue().startswith("line 3: The file is not UTF-8 text")
