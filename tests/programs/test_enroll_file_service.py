"""The enrolment file: every bad case is reported by line and column and writes nothing; a
good file invites everyone in it, once."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from mentorship.csv_files import CsvFileRejected, ImportAlreadyApplied, ImportIssue
from programs.models import Enrollment, EnrollmentImport
from programs.services.enroll_file import (
    COLUMNS,
    enrollment_file_plan,
    enrollment_file_preview,
    enrollment_import_apply,
    parse_enrollment_file,
    read_enrollment_upload,
)
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_sent_unless_asked(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False


def csv_bytes(*rows: dict[str, str], columns=COLUMNS, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def row(person, role="mentee", **values) -> dict[str, str]:
    email = person if isinstance(person, str) else person.email
    return {"email": email, "role": role, **values}


def plan_for(cohort, data: bytes):
    return enrollment_file_plan(cohort=cohort, parsed=parse_enrollment_file(data=data))


def run(cohort, data: bytes, *, user=None):
    """Preview and apply, as the browser flow does. Returns (import, result)."""
    enrollment_import, _plan = enrollment_file_preview(
        cohort=cohort, data=data, filename="people.csv", user=user
    )
    result = enrollment_import_apply(enrollment_import=enrollment_import, user=user)
    return enrollment_import, result


@pytest.fixture
def rejected(cohort, django_capture_on_commit_callbacks, mailoutbox):
    """Check a file: it has the one error expected (among others maybe), nothing is written
    and no email is queued. Returns the matching error."""

    def check(data: bytes, *, line, column, says, target=None) -> ImportIssue:
        target = target or cohort
        before = Enrollment.objects.count()
        with django_capture_on_commit_callbacks() as callbacks:
            try:
                enrollment_import, result = run(target, data)
            except CsvFileRejected as exc:
                errors = exc.errors
            else:
                assert not result.applied
                assert enrollment_import.status == EnrollmentImport.Status.FAILED
                assert enrollment_import.report["errors"] == [e.as_list() for e in result.errors]
                errors = result.errors
        matching = [
            e for e in errors if e.line == line and e.column == column and says in e.message
        ]
        assert matching, f"no error at line {line}, column {column!r} saying {says!r}: {errors}"
        assert Enrollment.objects.count() == before
        assert callbacks == []
        assert mailoutbox == []
        return matching[0]

    return check


# --- A good file ------------------------------------------------------------------------------


def test_good_file_invites_everyone_with_their_answers_and_emails_each_once(
    cohort, program_admin, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mentor, mentee = make_user(), make_user()
    data = csv_bytes(
        row(
            mentor,
            "mentor",
            capacity="3",
            topics_offered="Leadership; system design",
            languages="English;German",
            goals="Give back",
        ),
        row(
            mentee,
            "mentee",
            topics_sought="PUBLIC SPEAKING",
            goals="Speak at a conference",
            languages="English",
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_import, result = run(cohort, data, user=program_admin)

    assert result.applied
    assert result.counts["invited"] == 2
    assert enrollment_import.status == EnrollmentImport.Status.APPLIED
    assert enrollment_import.applied_by == program_admin
    first = Enrollment.objects.get(cohort=cohort, person=mentor)
    assert (first.role, first.status, first.source) == ("mentor", "invited", "csv")
    assert first.capacity == 3
    assert first.invited_by == program_admin
    assert sorted(t.name for t in first.topics_offered.all()) == ["Leadership", "System design"]
    assert list(first.topics_sought.all()) == []
    assert first.languages == ["English", "German"]
    assert first.goals == "Give back"
    second = Enrollment.objects.get(cohort=cohort, person=mentee)
    assert second.capacity is None
    assert [t.name for t in second.topics_sought.all()] == ["Public speaking"]
    assert second.goals == "Speak at a conference"
    # The file has no preferred format, so no intake is complete from it.
    assert first.intake_completed_at is None and second.intake_completed_at is None

    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentor.email, mentee.email])
    assert all(e.invitation_sent_at for e in Enrollment.objects.filter(cohort=cohort))


def test_mentor_without_capacity_gets_the_cohort_default(cohort):
    mentor = make_user()
    _, result = run(cohort, csv_bytes(row(mentor, "mentor")))
    assert result.applied
    assert Enrollment.objects.get(person=mentor).capacity == cohort.default_mentor_capacity


def test_only_email_and_role_columns_are_needed(cohort):
    person = make_user()
    _, result = run(cohort, csv_bytes(row(person, "Mentee"), columns=["email", "role"]))
    assert result.applied
    assert Enrollment.objects.get(person=person).role == "mentee"


def test_emails_ignore_case_and_cells_are_stripped(cohort):
    person = make_user(email="mixed.case@example.com")
    data = csv_bytes(row("  Mixed.Case@Example.com ", " mentee ", languages=" English ; ;french"))
    _, result = run(cohort, data)
    assert result.applied
    assert Enrollment.objects.get(person=person).languages == ["English", "french"]


def test_repeated_topics_and_languages_are_stored_once(cohort):
    person = make_user()
    data = csv_bytes(
        row(person, topics_sought="Leadership;leadership; LEADERSHIP", languages="English;english")
    )
    run(cohort, data)
    enrollment = Enrollment.objects.get(person=person)
    assert [t.name for t in enrollment.topics_sought.all()] == ["Leadership"]
    assert enrollment.languages == ["English"]


def test_semicolon_separated_file_with_quoted_lists_is_read(cohort):
    person = make_user()
    data = csv_bytes(
        row(person, topics_sought="Leadership;Negotiation", goals="Lead, then negotiate"),
        delimiter=";",
    )
    assert b'"Leadership;Negotiation"' in data
    _, result = run(cohort, data)
    assert result.applied
    enrollment = Enrollment.objects.get(person=person)
    assert sorted(t.name for t in enrollment.topics_sought.all()) == ["Leadership", "Negotiation"]
    assert enrollment.goals == "Lead, then negotiate"


def test_header_names_ignore_case_spaces_and_hyphens(cohort):
    person = make_user()
    data = f" E-Mail ;ROLE;Topics Sought\n{person.email};mentee;Leadership\n".encode()
    # "E-Mail" reads as e_mail, which is not a column: the email column is missing.
    assert plan_for(cohort, data).errors == [
        ImportIssue(1, "email", "This required column is missing.")
    ]
    data = f" Email ;ROLE;Topics-Sought\n{person.email};mentee;Leadership\n".encode()
    _, result = run(cohort, data)
    assert result.applied
    assert Enrollment.objects.get(person=person).topics_sought.get().name == "Leadership"


def test_utf8_with_bom_and_blank_lines_is_read(cohort):
    person = make_user()
    data = csv_bytes(row(person), bom=True) + b"\n ,,,,,,\n\n"
    _, result = run(cohort, data)
    assert result.applied and result.counts["rows"] == 1


def test_unknown_columns_are_warned_about_and_ignored(cohort):
    person = make_user()
    data = csv_bytes({**row(person), "shoe_size": "44"}, columns=[*COLUMNS, "shoe_size"])
    enrollment_import, result = run(cohort, data)
    assert result.applied
    assert enrollment_import.report["warnings"] == [
        [1, "shoe_size", "Unknown column; it is ignored."]
    ]


def test_topics_a_role_does_not_use_are_warned_about_and_not_stored(cohort):
    mentor, mentee = make_user(), make_user()
    data = csv_bytes(
        row(mentor, "mentor", topics_offered="Leadership", topics_sought="Negotiation"),
        row(mentee, "mentee", topics_offered="Leadership", topics_sought="Negotiation"),
    )
    enrollment_import, result = run(cohort, data)
    assert result.applied
    assert [w[:2] for w in enrollment_import.report["warnings"]] == [
        [2, "topics_sought"],
        [3, "topics_offered"],
    ]
    assert not Enrollment.objects.get(person=mentor).topics_sought.exists()
    assert not Enrollment.objects.get(person=mentee).topics_offered.exists()


def test_enrolled_in_another_cohort_of_the_program_is_fine(cohort, program):
    person = make_user()
    make_enrollment(cohort=make_cohort(program=program, phase="completed"), person=person)
    _, result = run(cohort, csv_bytes(row(person)))
    assert result.applied


def test_peer_program_takes_peers_with_topics_both_ways(program_admin):
    program = make_program(admins=[program_admin], kind="peer")
    cohort = make_cohort(program=program)
    person = make_user()
    data = csv_bytes(row(person, "peer", topics_offered="Leadership", topics_sought="Negotiation"))
    _, result = run(cohort, data)
    assert result.applied and result.counts["peers"] == 1
    enrollment = Enrollment.objects.get(person=person)
    assert enrollment.role == "peer"
    assert enrollment.capacity == cohort.default_mentor_capacity
    assert enrollment.topics_offered.get().name == "Leadership"
    assert enrollment.topics_sought.get().name == "Negotiation"


def test_leaving_date_in_the_future_is_fine(cohort):
    person = make_user(end_date=timezone.localdate() + timedelta(days=30))
    _, result = run(cohort, csv_bytes(row(person)))
    assert result.applied


# --- Each bad case: line and column, nothing written -------------------------------------------


def test_unknown_email_is_an_error(rejected):
    rejected(
        csv_bytes(row("nobody@example.com")),
        line=2,
        column="email",
        says="“nobody@example.com” is not in the directory",
    )


def test_invalid_email_is_an_error(rejected):
    rejected(csv_bytes(row("not-an-email")), line=2, column="email", says="not a valid email")


@pytest.mark.parametrize("days_ago", [0, 1, 400])
def test_employee_who_has_left_is_an_error(rejected, days_ago):
    left_on = timezone.localdate() - timedelta(days=days_ago)
    person = make_user(end_date=left_on)
    error = rejected(csv_bytes(row(person)), line=2, column="email", says="left the company")
    assert f"{left_on:%Y-%m-%d}" in error.message


def test_deactivated_account_is_an_error(rejected):
    person = make_user(is_active=False)
    rejected(csv_bytes(row(person)), line=2, column="email", says="deactivated")


@pytest.mark.parametrize("role", ["boss", "peer", "mentors"])
def test_unknown_role_is_an_error_naming_the_valid_ones(rejected, role):
    error = rejected(csv_bytes(row(make_user(), role)), line=2, column="role", says="is not a role")
    assert "use mentor or mentee" in error.message


@pytest.mark.parametrize("role", ["mentor", "mentee"])
def test_peer_program_refuses_mentor_and_mentee(rejected, program_admin, role):
    cohort = make_cohort(program=make_program(admins=[program_admin], kind="peer"))
    error = rejected(
        csv_bytes(row(make_user(), role)), line=2, column="role", says="peer", target=cohort
    )
    assert "use peer" in error.message


@pytest.mark.parametrize("column", ["topics_offered", "topics_sought"])
def test_topic_not_in_the_program_is_an_error_listing_the_valid_ones(rejected, column):
    role = "mentor" if column == "topics_offered" else "mentee"
    data = csv_bytes(row(make_user(), role, **{column: "Leadership;Cooking;Knitting"}))
    error = rejected(data, line=2, column=column, says="“Cooking”, “Knitting” are not topics")
    assert "Valid topics: Career growth, Leadership, Negotiation, Public speaking, System " in (
        error.message
    )


def test_topic_of_another_program_is_an_error(rejected, other_program_admin):
    make_program(topics=["Sales craft"])
    data = csv_bytes(row(make_user(), topics_sought="Sales craft"))
    rejected(data, line=2, column="topics_sought", says="“Sales craft” is not a topic")


def test_program_without_topics_says_so(rejected, program_admin):
    cohort = make_cohort(program=make_program(admins=[program_admin], topics=[]))
    data = csv_bytes(row(make_user(), topics_sought="Leadership"))
    rejected(data, line=2, column="topics_sought", says="no topics yet", target=cohort)


def test_same_email_twice_is_an_error_on_the_later_line(rejected):
    person = make_user(email="twice@example.com")
    data = csv_bytes(row(person, "mentor"), row(make_user()), row("TWICE@example.com"))
    rejected(data, line=4, column="email", says="“twice@example.com” is already on line 2")


@pytest.mark.parametrize("status", [s for s, _ in Enrollment.Status.choices])
def test_already_enrolled_in_any_status_is_an_error(rejected, cohort, status):
    person = make_user()
    make_enrollment(cohort=cohort, person=person, role="mentor", status=status)
    error = rejected(csv_bytes(row(person)), line=2, column="email", says="already in this cohort")
    assert f"as mentor ({status})" in error.message


@pytest.mark.parametrize(
    "capacity, says",
    [
        ("0", "outside this cohort's bounds: a capacity is 1 to 3"),
        ("4", "outside this cohort's bounds: a capacity is 1 to 3"),
        ("two", "“two” is not a whole number (1 to 3 in this cohort)"),
        ("1.5", "“1.5” is not a whole number"),
        ("-1", "“-1” is not a whole number"),
    ],
)
def test_capacity_must_be_a_whole_number_within_the_cohort_bounds(rejected, capacity, says):
    data = csv_bytes(row(make_user(), "mentor", capacity=capacity))
    rejected(data, line=2, column="capacity", says=says)


def test_capacity_for_a_mentee_is_an_error(rejected):
    data = csv_bytes(row(make_user(), "mentee", capacity="2"))
    rejected(data, line=2, column="capacity", says="leave capacity empty for a mentee")


def test_language_longer_than_the_field_is_an_error(rejected):
    data = csv_bytes(row(make_user(), languages="English;" + "x" * 51))
    rejected(data, line=2, column="languages", says="longer than 50 characters")


@pytest.mark.parametrize("column", ["email", "role"])
def test_missing_required_value_is_an_error(rejected, column):
    values = row(make_user())
    values[column] = ""
    rejected(csv_bytes(values), line=2, column=column, says="A value is required")


@pytest.mark.parametrize("column", ["email", "role"])
def test_missing_required_column_is_an_error_on_the_header_line(rejected, column):
    columns = [c for c in COLUMNS if c != column]
    rejected(
        csv_bytes(row(make_user()), columns=columns),
        line=1,
        column=column,
        says="required column is missing",
    )


def test_column_named_twice_is_an_error(rejected):
    data = csv_bytes(row(make_user()), columns=[*COLUMNS, "Role"])
    rejected(data, line=1, column="role", says="appears twice")


def test_row_with_more_or_fewer_cells_than_the_header_is_an_error(rejected):
    good = csv_bytes(row(make_user()))
    rejected(good + b"a@example.com,mentee,,,,,,extra\n", line=3, column="", says="8 cells")
    rejected(good + b"a@example.com,mentee\n", line=3, column="", says="2 cells but the header")


def test_blank_lines_keep_line_numbers_right(rejected):
    good = csv_bytes(row(make_user())).decode()
    data = (good + "\n  \n,,,,,,\nnobody@example.com,mentee,,,,,\n").encode()
    rejected(data, line=6, column="email", says="not in the directory")


def test_non_utf8_bytes_name_the_line(rejected):
    data = csv_bytes(row(make_user())) + "x@example.com,mentee,,,,Grüße,\n".encode("latin-1")
    error = rejected(data, line=3, column="", says="not UTF-8")
    assert "CSV UTF-8" in error.message
    assert not EnrollmentImport.objects.exists()


def test_utf16_file_gets_a_clear_error(rejected):
    data = csv_bytes(row(make_user())).decode().encode("utf-16")
    rejected(data, line=1, column="", says="UTF-16")


def test_nul_byte_is_refused(rejected):
    data = csv_bytes(row(make_user()), row(make_user(), goals="a\x00b"))
    rejected(data, line=3, column="", says="NUL")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n  \n"])
def test_empty_file_is_an_error(rejected, data):
    rejected(data, line=None, column="", says="The file is empty")


def test_header_without_rows_is_an_error(rejected):
    rejected(csv_bytes() + b"\n", line=1, column="", says="a header row but no people")


def test_file_over_the_size_limit_is_refused(rejected, settings):
    settings.ENROLLMENT_FILE_MAX_BYTES = 1024
    data = csv_bytes(*(row(f"p{i}@example.com", goals="x" * 40) for i in range(30)))
    error = rejected(data, line=None, column="", says="larger than the limit of 1 KB")
    assert "ENROLLMENT_FILE_MAX_BYTES" in error.message
    with pytest.raises(CsvFileRejected):
        read_enrollment_upload(io.BytesIO(data))


def test_one_bad_row_among_good_ones_writes_nothing(rejected):
    good = [row(make_user(), "mentor", topics_offered="Leadership") for _ in range(5)]
    data = csv_bytes(*good[:3], row(make_user(), "mentee", capacity="2"), *good[3:])
    rejected(data, line=5, column="capacity", says="mentee")


def test_every_error_of_a_file_is_reported_in_line_and_column_order(cohort):
    data = csv_bytes(
        row(make_user()),
        row("nobody@example.com", "boss", capacity="x", topics_offered="Cooking"),
        row(make_user(), "mentee", languages="y" * 60),
    )
    plan = plan_for(cohort, data)
    assert [(e.line, e.column) for e in plan.errors] == [
        (3, "email"),
        (3, "role"),
        (3, "capacity"),
        (3, "topics_offered"),
        (4, "languages"),
    ]
    assert plan.invites and len(plan.invites) == 1  # the good rows are still checked


# --- Applying ---------------------------------------------------------------------------------


def test_reuploading_the_same_file_after_applying_reports_everyone_as_already_enrolled(
    cohort, rejected
):
    people = [make_user() for _ in range(3)]
    data = csv_bytes(*(row(p) for p in people))
    assert run(cohort, data)[1].applied
    for line in (2, 3, 4):
        rejected(data, line=line, column="email", says="already in this cohort as mentee")
    assert Enrollment.objects.filter(cohort=cohort).count() == 3


def test_confirm_checks_the_file_again_against_the_database(
    cohort, django_capture_on_commit_callbacks
):
    early, late = make_user(), make_user()
    enrollment_import, plan = enrollment_file_preview(
        cohort=cohort, data=csv_bytes(row(early), row(late)), filename="x.csv", user=None
    )
    assert plan.is_valid
    make_enrollment(cohort=cohort, person=late, status="applied")  # meanwhile, they applied

    with django_capture_on_commit_callbacks() as callbacks:
        result = enrollment_import_apply(enrollment_import=enrollment_import, user=None)
    assert not result.applied and not result.stale
    assert [(e.line, e.column) for e in result.errors] == [(3, "email")]
    assert callbacks == []
    assert not Enrollment.objects.filter(person=early).exists()
    enrollment_import.refresh_from_db()
    assert enrollment_import.status == EnrollmentImport.Status.FAILED


def test_confirm_refuses_enrollments_different_from_the_preview(cohort):
    mentor = make_user()
    enrollment_import, _ = enrollment_file_preview(
        cohort=cohort, data=csv_bytes(row(mentor, "mentor")), filename="x.csv", user=None
    )
    cohort.default_mentor_capacity = 1  # the capacity the mentor would get changes
    cohort.save()
    result = enrollment_import_apply(enrollment_import=enrollment_import, user=None)
    assert not result.applied and result.stale
    assert not Enrollment.objects.exists()
    enrollment_import.refresh_from_db()
    assert enrollment_import.status == EnrollmentImport.Status.PREVIEWED
    assert enrollment_import.report["invites"][0]["capacity"] == 1
    # Confirming the refreshed preview works.
    assert enrollment_import_apply(enrollment_import=enrollment_import, user=None).applied
    assert Enrollment.objects.get(person=mentor).capacity == 1


def test_an_applied_file_cannot_be_applied_again(cohort):
    enrollment_import, result = run(cohort, csv_bytes(row(make_user())))
    assert result.applied
    with pytest.raises(ImportAlreadyApplied):
        enrollment_import_apply(enrollment_import=enrollment_import, user=None)
    assert Enrollment.objects.count() == 1


def test_stored_file_keeps_the_decoded_text_hash_and_cohort(cohort, program_admin):
    person = make_user()
    enrollment_import, _ = enrollment_file_preview(
        cohort=cohort,
        data=csv_bytes(row(person, goals="Grow ✓"), bom=True),
        filename="spring.csv",
        user=program_admin,
    )
    assert enrollment_import.content.startswith("email,role,")
    assert "Grow ✓" in enrollment_import.content
    assert len(enrollment_import.sha256) == 64
    assert (
        enrollment_import.filename,
        enrollment_import.cohort,
        enrollment_import.uploaded_by,
    ) == (
        "spring.csv",
        cohort,
        program_admin,
    )
    assert enrollment_import.summary["invited"] == 1
    assert enrollment_import.summary["fingerprint"]
