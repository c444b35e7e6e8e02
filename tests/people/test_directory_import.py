from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from allauth.account.models import EmailAddress

from people.directory_import import (
    COLUMNS,
    DirectoryFileRejected,
    DirectoryImportAlreadyApplied,
    ImportPlan,
    directory_file_preview,
    directory_import_apply,
    directory_import_create,
    directory_import_plan,
    parse_directory_file,
    read_directory_upload,
)
from people.models import DirectoryImport, User

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 2)


def employee(**values) -> dict[str, str]:
    n = values.get("employee_id", "E1")
    row = {
        "employee_id": n,
        "email": f"{n.lower()}@example.com",
        "first_name": "Ann",
        "last_name": f"Lee{n}",
        "department": "Engineering",
        "title": "Engineer",
        "level": "3",
        "location": "Berlin",
        "timezone": "Europe/Berlin",
        "manager_email": "",
        "hire_date": "2023-01-09",
        "end_date": "",
    }
    row.update(values)
    return row


def csv_bytes(
    *rows: dict[str, str],
    columns=COLUMNS,
    delimiter: str = ",",
    newline: str = "\n",
    bom: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def plan_for(data: bytes) -> ImportPlan:
    return directory_import_plan(parsed=parse_directory_file(data=data), today=TODAY)


def run_import(data: bytes, *, today: date = TODAY):
    """Preview and apply, as the browser flow does. Returns (import, result)."""
    directory_import, _plan = directory_file_preview(
        data=data, filename="export.csv", user=None, today=today
    )
    result = directory_import_apply(directory_import=directory_import, user=None, today=today)
    return directory_import, result


def snapshot() -> list[tuple]:
    users = list(User.objects.order_by("id").values_list())
    addresses = list(EmailAddress.objects.order_by("id").values_list())
    return [*users, *addresses]


def assert_rejected(data: bytes, *, line: int | None, column: str, says: str = ""):
    """The file has this error, and neither previewing nor applying writes anything."""
    before = snapshot()
    parsed = parse_directory_file(data=data)
    plan = directory_import_plan(parsed=parsed, today=TODAY)
    matching = [
        e
        for e in plan.errors
        if e.line == line and e.column == column and says.lower() in e.message.lower()
    ]
    assert matching, plan.errors
    if parsed.text is not None:
        stored = directory_import_create(parsed=parsed, plan=plan, filename="x.csv", user=None)
        assert stored.status == DirectoryImport.Status.FAILED
        result = directory_import_apply(directory_import=stored, user=None, today=TODAY)
        assert not result.applied
    assert snapshot() == before
    return matching[0]


def user(employee_id: str) -> User:
    return User.objects.get(employee_id=employee_id)


# --- Reading the file --------------------------------------------------------------------------


def test_creates_employees_with_every_field():
    _, result = run_import(
        csv_bytes(
            employee(employee_id="E1", email="ana@example.com", first_name="Ana"),
            employee(employee_id="E2", manager_email="ana@example.com", level="0", timezone=""),
        )
    )
    assert result.applied
    assert result.counts["created"] == 2
    ana, second = user("E1"), user("E2")
    assert (ana.email, ana.first_name, ana.department, ana.level) == (
        "ana@example.com",
        "Ana",
        "Engineering",
        3,
    )
    assert ana.timezone == "Europe/Berlin"
    assert ana.hire_date == date(2023, 1, 9) and ana.end_date is None and ana.is_active
    assert second.manager == ana and second.level == 0 and second.timezone == ""


def test_imported_users_get_an_unusable_password():
    run_import(csv_bytes(employee(employee_id="E1")))
    assert not user("E1").has_usable_password()


def test_utf8_with_bom_is_read():
    run_import(csv_bytes(employee(employee_id="E1", first_name="Zoë"), bom=True))
    assert user("E1").first_name == "Zoë"


def test_non_utf8_bytes_name_the_line_and_suggest_csv_utf8():
    good = csv_bytes(employee(employee_id="E1"))
    data = good + "E2,e2@example.com,Jürgen,Müller,,,,,,,2023-01-09,\n".encode("latin-1")
    error = assert_rejected(data, line=3, column="", says="not UTF-8")
    assert "CSV UTF-8" in error.message
    with pytest.raises(DirectoryFileRejected):
        directory_file_preview(data=data, filename="x.csv", user=None)
    assert not DirectoryImport.objects.exists()


def test_non_utf8_line_is_counted_after_a_bom():
    data = b"\xef\xbb\xbf" + csv_bytes(employee(employee_id="E1")) + b"E2,\xff\n"
    assert_rejected(data, line=3, column="", says="not UTF-8")


def test_utf16_file_gets_a_clear_error():
    data = csv_bytes(employee(employee_id="E1")).decode().encode("utf-16")
    assert_rejected(data, line=1, column="", says="UTF-16")


def test_nul_character_is_refused():
    data = csv_bytes(employee(employee_id="E1"), employee(employee_id="E2", title="a\x00b"))
    assert_rejected(data, line=3, column="", says="NUL")


def test_crlf_line_endings_are_read():
    run_import(csv_bytes(employee(employee_id="E1"), employee(employee_id="E2"), newline="\r\n"))
    assert user("E2").end_date is None
    assert User.objects.filter(employee_id__in=["E1", "E2"]).count() == 2


def test_semicolon_delimiter_is_detected_from_the_header():
    data = csv_bytes(employee(employee_id="E1", title="Lead, Platform"), delimiter=";")
    run_import(data)
    assert user("E1").title == "Lead, Platform"


def test_missing_required_column_is_an_error_on_the_header_line():
    columns = [c for c in COLUMNS if c != "hire_date"]
    assert_rejected(
        csv_bytes(employee(employee_id="E1"), columns=columns),
        line=1,
        column="hire_date",
        says="required column is missing",
    )


def test_unknown_columns_are_warned_about_and_ignored():
    row = {**employee(employee_id="E1"), "favourite_colour": "=green"}
    directory_import, result = run_import(csv_bytes(row, columns=[*COLUMNS, "favourite_colour"]))
    assert result.applied
    assert directory_import.report["warnings"] == [
        [1, "favourite_colour", "Unknown column; it is ignored."]
    ]


def test_header_names_ignore_case_and_whitespace():
    header = " Employee ID ;EMAIL;First_Name ; last name;HIRE_DATE"
    data = f"{header}\nE1;Ana@Example.com;Ana;Lee;2024-02-01\n".encode()
    run_import(data)
    ana = user("E1")
    assert (ana.email, ana.first_name, ana.last_name) == ("ana@example.com", "Ana", "Lee")


def test_column_named_twice_is_an_error():
    columns = [*COLUMNS, "Email"]
    assert_rejected(
        csv_bytes(employee(employee_id="E1"), columns=columns),
        line=1,
        column="email",
        says="appears twice",
    )


def test_row_with_more_cells_than_the_header_is_an_error():
    data = (
        csv_bytes(employee(employee_id="E1")) + b"E2,e2@example.com,A,B,,,,,,,2023-01-09,,extra\n"
    )
    error = assert_rejected(data, line=3, column="", says="13 cells but the header has 12")
    assert "separator" in error.message


def test_row_with_fewer_cells_than_the_header_is_an_error():
    data = csv_bytes(employee(employee_id="E1")) + b"E2,e2@example.com,A,B\n"
    assert_rejected(data, line=3, column="", says="4 cells but the header has 12")


def test_blank_lines_are_skipped_and_lines_still_counted():
    good = csv_bytes(employee(employee_id="E1")).decode()
    data = (good + "\n  \n,,,,,,,,,,,\n" + "E2,bad-email,A,B,,,,,,,2023-01-09,\n\n").encode()
    assert_rejected(data, line=6, column="email", says="not a valid email")
    run_import((good + "\n\n").encode())
    assert user("E1")


def test_quoted_cell_over_two_lines_keeps_later_line_numbers_right():
    data = csv_bytes(
        employee(employee_id="E1", title="Line one\nline two"),
        employee(employee_id="E2", hire_date="2023-13-01"),
    )
    assert_rejected(data, line=4, column="hire_date", says="not a real date")


def test_duplicate_employee_id_is_an_error_on_the_later_line_naming_the_earlier():
    data = csv_bytes(
        employee(employee_id="E1"),
        employee(employee_id="E2"),
        employee(employee_id="E1", email="other@example.com"),
    )
    error = assert_rejected(data, line=4, column="employee_id")
    assert "line 2" in error.message


def test_duplicate_email_ignores_case_and_names_the_earlier_line():
    data = csv_bytes(
        employee(employee_id="E1", email="Ann@Example.com"),
        employee(employee_id="E2", email="ann@example.COM"),
    )
    error = assert_rejected(data, line=3, column="email")
    assert "line 2" in error.message


def test_email_of_another_employee_not_in_the_file_is_an_error(user_factory):
    user_factory(email="taken@example.com", employee_id="E9")
    data = csv_bytes(
        employee(employee_id="E1"), employee(employee_id="E2", email="Taken@example.com")
    )
    error = assert_rejected(data, line=3, column="email", says="already used")
    assert "E9" in error.message


def test_email_verified_by_another_account_is_an_error(user_factory):
    other = user_factory(email="dana@example.com", employee_id="E9")
    EmailAddress.objects.create(user=other, email="dana.alt@example.com", verified=True)
    data = csv_bytes(employee(employee_id="E1", email="dana.alt@example.com"))
    assert_rejected(data, line=2, column="email", says="verified address of another account")


def test_invalid_email_is_an_error():
    data = csv_bytes(
        employee(employee_id="E1"), employee(employee_id="E2", email="ann.example.com")
    )
    assert_rejected(data, line=3, column="email", says="not a valid email")


def test_missing_required_value_is_an_error():
    data = csv_bytes(employee(employee_id="E1", first_name="  "))
    assert_rejected(data, line=2, column="first_name", says="required")


def test_manager_not_in_the_directory_or_the_file_is_an_error(user_factory):
    user_factory(email="operator@example.com", employee_id=None)
    data = csv_bytes(
        employee(employee_id="E1", manager_email="nobody@example.com"),
        employee(employee_id="E2", manager_email="operator@example.com"),
    )
    assert_rejected(data, line=2, column="manager_email", says="not in the directory")
    assert_rejected(data, line=3, column="manager_email", says="not in the directory")


def test_manager_in_the_directory_but_not_the_file_is_fine(user_factory):
    boss = user_factory(email="boss@example.com", employee_id="B1")
    run_import(csv_bytes(employee(employee_id="E1", manager_email="BOSS@example.com")))
    assert user("E1").manager == boss


def test_own_manager_is_an_error():
    data = csv_bytes(
        employee(employee_id="E1", email="a@example.com", manager_email="a@example.com")
    )
    assert_rejected(data, line=2, column="manager_email", says="own manager")


def test_manager_cycle_within_the_file_is_an_error_on_each_line():
    data = csv_bytes(
        employee(employee_id="E1", email="a@example.com", manager_email="b@example.com"),
        employee(employee_id="E2", email="b@example.com", manager_email="c@example.com"),
        employee(employee_id="E3", email="c@example.com", manager_email="a@example.com"),
        employee(employee_id="E4", email="d@example.com", manager_email="a@example.com"),
    )
    for line in (2, 3, 4):
        error = assert_rejected(data, line=line, column="manager_email", says="loop")
    assert "E1 → E2 → E3 → E1" in error.message
    assert not [e for e in plan_for(data).errors if e.line == 5]


def test_manager_cycle_through_the_database_is_an_error(user_factory):
    boss = user_factory(email="boss@example.com", employee_id="B1")
    user_factory(email="report@example.com", employee_id="R1", manager=boss)
    # The file makes the boss report to their own report, who stays in the database.
    data = csv_bytes(
        employee(employee_id="B1", email="boss@example.com", manager_email="report@example.com")
    )
    assert_rejected(data, line=2, column="manager_email", says="loop")


def test_manager_cycle_is_checked_on_the_final_state(user_factory):
    boss = user_factory(email="boss@example.com", employee_id="B1")
    user_factory(email="report@example.com", employee_id="R1", manager=boss)
    # Swapping who reports to whom in one file is no loop once both rows apply.
    run_import(
        csv_bytes(
            employee(
                employee_id="B1", email="boss@example.com", manager_email="report@example.com"
            ),
            employee(employee_id="R1", email="report@example.com", manager_email=""),
        )
    )
    assert user("B1").manager == user("R1") and user("R1").manager is None


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("hire_date", "09/01/2023", "YYYY-MM-DD"),
        ("hire_date", "2023-02-30", "not a real date"),
        ("end_date", "soon", "YYYY-MM-DD"),
    ],
)
def test_bad_date_is_an_error(column, value, says):
    data = csv_bytes(employee(employee_id="E1"), employee(employee_id="E2", **{column: value}))
    assert_rejected(data, line=3, column=column, says=says)


def test_end_date_before_hire_date_is_an_error():
    data = csv_bytes(employee(employee_id="E1", hire_date="2024-05-01", end_date="2024-04-30"))
    assert_rejected(data, line=2, column="end_date", says="before the hire date")


def test_end_date_before_hire_date_in_the_database_is_an_error(user_factory):
    user_factory(employee_id="E1", email="e1@example.com", end_date=date(2023, 6, 1))
    columns = [c for c in COLUMNS if c != "end_date"]
    data = csv_bytes(employee(employee_id="E1", hire_date="2023-07-01"), columns=columns)
    assert_rejected(data, line=2, column="end_date", says="before the hire date")


def test_unknown_timezone_is_an_error():
    data = csv_bytes(employee(employee_id="E1", timezone="Mars/Olympus_Mons"))
    assert_rejected(data, line=2, column="timezone", says="not a known IANA time zone")


@pytest.mark.parametrize(
    ("value", "says"),
    [("3.5", "not a whole number"), ("senior", "not a whole number"), ("-1", "0 or more")],
)
def test_level_must_be_a_whole_number_of_zero_or_more(value, says):
    data = csv_bytes(employee(employee_id="E1", level=value))
    assert_rejected(data, line=2, column="level", says=says)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n  \n"])
def test_empty_file_is_an_error(data):
    assert_rejected(data, line=None, column="", says="empty")


def test_header_without_rows_is_an_error():
    assert_rejected(csv_bytes() + b"\n\n", line=1, column="", says="no employees")


def test_file_over_the_size_limit_is_an_error(settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 1024
    data = csv_bytes(*(employee(employee_id=f"E{i}") for i in range(30)))
    assert len(data) > 1024
    assert_rejected(data, line=None, column="", says="larger than the limit")


def test_file_over_the_size_limit_is_refused_without_reading_it_all(settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 1024

    class CountingFile(io.BytesIO):
        bytes_read = 0

        def read(self, size=-1):
            data = super().read(size)
            self.bytes_read += len(data)
            return data

    upload = CountingFile(b"x" * 100_000)
    with pytest.raises(DirectoryFileRejected, match="larger than the limit"):
        read_directory_upload(upload)
    assert upload.bytes_read <= 1025
    with pytest.raises(DirectoryFileRejected):
        read_directory_upload(CountingFile(b""), size=100_000)
    assert read_directory_upload(io.BytesIO(b"a" * 1024)) == b"a" * 1024


def test_formula_like_cells_are_stored_verbatim():
    run_import(
        csv_bytes(
            employee(
                employee_id="E1",
                first_name='=HYPERLINK("http://x","Ann")',
                last_name="+Lee",
                title="-Lead-",
                department="@Platform",
                location="=1+2",
            )
        )
    )
    ann = user("E1")
    assert ann.first_name == '=HYPERLINK("http://x","Ann")'
    assert (ann.last_name, ann.title, ann.department, ann.location) == (
        "+Lee",
        "-Lead-",
        "@Platform",
        "=1+2",
    )


def test_cells_are_stripped_and_emails_lower_cased():
    data = csv_bytes(
        employee(employee_id=" E1 ", email="  Ann.Lee@Example.COM ", first_name=" Ann ")
    )
    run_import(data)
    ann = user("E1")
    assert (ann.email, ann.first_name) == ("ann.lee@example.com", "Ann")


# --- Upserting ------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing():
    data = csv_bytes(
        employee(employee_id="E1", email="a@example.com"),
        employee(employee_id="E2", manager_email="a@example.com"),
        employee(employee_id="E3", end_date="2024-12-31", manager_email="a@example.com"),
    )
    _, first = run_import(data)
    assert first.counts["created"] == 3
    before = snapshot()
    _, second = run_import(data)
    assert second.applied
    assert (second.counts["created"], second.counts["updated"], second.counts["unchanged"]) == (
        0,
        0,
        3,
    )
    assert snapshot() == before


def test_one_bad_row_among_good_ones_writes_nothing(user_factory):
    existing = user_factory(employee_id="E1", email="e1@example.com", title="Old")
    data = csv_bytes(
        employee(employee_id="E1", title="New"),
        employee(employee_id="E2"),
        employee(employee_id="E3", level="many"),
        employee(employee_id="E4"),
    )
    before = snapshot()
    directory_import, result = run_import(data)
    assert not result.applied
    assert directory_import.status == DirectoryImport.Status.FAILED
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.title == "Old"


def test_a_later_file_changes_fields_and_reports_them(user_factory):
    run_import(csv_bytes(employee(employee_id="E1", title="Engineer", level="3")))
    directory_import, result = run_import(
        csv_bytes(employee(employee_id="E1", title="Senior Engineer", level="4"))
    )
    assert result.counts["updated"] == 1
    assert directory_import.report["updates"][0]["changes"] == [
        ["title", "Engineer", "Senior Engineer"],
        ["level", "3", "4"],
    ]
    assert user("E1").title == "Senior Engineer" and user("E1").level == 4


def test_email_change_drops_the_old_verified_address(user_factory):
    ann = user_factory(employee_id="E1", email="ann@old.example.com")
    directory_import, result = run_import(
        csv_bytes(employee(employee_id="E1", email="Ann@New.example.com"))
    )
    assert result.applied and result.counts["updated"] == 1
    ann.refresh_from_db()
    assert ann.email == "ann@new.example.com"
    assert not EmailAddress.objects.filter(user=ann).exists()
    changes = directory_import.report["updates"][0]["changes"]
    assert ["email", "ann@old.example.com", "ann@new.example.com"] in changes


def test_email_change_keeps_an_address_already_verified_for_the_new_email(user_factory):
    ann = user_factory(employee_id="E1", email="ann@old.example.com")
    EmailAddress.objects.create(user=ann, email="ann@new.example.com", verified=True)
    run_import(csv_bytes(employee(employee_id="E1", email="ann@new.example.com")))
    assert list(EmailAddress.objects.filter(user=ann).values_list("email", flat=True)) == [
        "ann@new.example.com"
    ]


def test_swapping_emails_between_two_employees_in_one_file_works(user_factory):
    a = user_factory(employee_id="E1", email="a@example.com")
    b = user_factory(employee_id="E2", email="b@example.com")
    _, result = run_import(
        csv_bytes(
            employee(employee_id="E1", email="b@example.com"),
            employee(employee_id="E2", email="a@example.com"),
        )
    )
    assert result.applied and result.counts["updated"] == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.email, b.email) == ("b@example.com", "a@example.com")
    assert not EmailAddress.objects.filter(user__in=[a, b]).exists()


def test_new_employee_may_take_the_old_email_of_one_who_changes_it(user_factory):
    user_factory(employee_id="E1", email="shared@example.com")
    run_import(
        csv_bytes(
            employee(employee_id="E2", email="shared@example.com"),
            employee(employee_id="E1", email="e1.new@example.com"),
        )
    )
    assert user("E2").email == "shared@example.com"
    assert user("E1").email == "e1.new@example.com"


def test_leaving_date_in_the_past_deactivates_and_in_the_future_does_not(user_factory):
    user_factory(employee_id="E1", email="e1@example.com")
    user_factory(employee_id="E2", email="e2@example.com")
    directory_import, result = run_import(
        csv_bytes(
            employee(employee_id="E1", end_date="2025-06-02"),  # today
            employee(employee_id="E2", end_date="2025-07-01"),
            employee(employee_id="E3", end_date="2024-01-31"),
        )
    )
    assert result.applied
    assert user("E1").end_date == date(2025, 6, 2) and not user("E1").is_active
    assert user("E2").end_date == date(2025, 7, 1) and user("E2").is_active
    assert not user("E3").is_active
    first_changes = directory_import.report["updates"][0]["changes"]
    assert ["end_date", "", "2025-06-02"] in first_changes
    assert ["is_active", "yes", "no"] in first_changes


def test_manager_is_set_and_then_changed():
    people = [
        employee(employee_id="A", email="a@example.com"),
        employee(employee_id="C", email="c@example.com"),
    ]
    # The manager is created further down the file than their report.
    run_import(
        csv_bytes(
            employee(employee_id="B", email="b@example.com", manager_email="c@example.com"),
            *people,
        )
    )
    assert user("B").manager == user("C")
    directory_import, result = run_import(
        csv_bytes(
            employee(employee_id="B", email="b@example.com", manager_email="A@example.com"),
            *people,
        )
    )
    assert result.counts == {**result.counts, "updated": 1, "unchanged": 2}
    assert user("B").manager == user("A")
    assert directory_import.report["updates"][0]["changes"] == [
        ["manager", "c@example.com", "a@example.com"]
    ]
    run_import(csv_bytes(employee(employee_id="B", email="b@example.com", manager_email="")))
    assert user("B").manager is None


def test_manager_whose_email_changes_in_the_same_file_is_not_a_change():
    run_import(
        csv_bytes(
            employee(employee_id="A", email="a@example.com"),
            employee(employee_id="B", manager_email="a@example.com"),
        )
    )
    _, result = run_import(
        csv_bytes(
            employee(employee_id="A", email="a.new@example.com"),
            employee(employee_id="B", manager_email="a.new@example.com"),
        )
    )
    assert (result.counts["updated"], result.counts["unchanged"]) == (1, 1)
    assert user("B").manager == user("A")


def test_employees_not_in_the_file_are_left_alone_and_counted(user_factory):
    stays = user_factory(employee_id="S1", title="Keeps this")
    user_factory(employee_id="S2")
    user_factory(employee_id=None, email="operator@example.com")  # not in the directory
    before = User.objects.values_list().get(pk=stays.pk)
    _, result = run_import(csv_bytes(employee(employee_id="E1")))
    assert result.counts["not_in_file"] == 2
    assert User.objects.values_list().get(pk=stays.pk) == before


def test_columns_missing_from_the_file_leave_those_fields_alone(user_factory):
    boss = user_factory(employee_id="B1")
    user_factory(employee_id="E1", department="Sales", level=5, manager=boss)
    columns = ["employee_id", "email", "first_name", "last_name", "hire_date", "title"]
    _, result = run_import(
        csv_bytes(employee(employee_id="E1", title="Rep", first_name="Ann"), columns=columns)
    )
    assert result.counts["updated"] == 1
    e1 = user("E1")
    assert (e1.department, e1.level, e1.manager, e1.title) == ("Sales", 5, boss, "Rep")


def test_account_without_employee_id_joins_the_directory_by_email(user_factory):
    operator = user_factory(employee_id=None, email="founder@example.com", is_staff=True)
    directory_import, result = run_import(
        csv_bytes(employee(employee_id="E1", email="Founder@example.com"))
    )
    assert result.counts["created"] == 0 and result.counts["updated"] == 1
    operator.refresh_from_db()
    assert operator.employee_id == "E1" and operator.is_staff
    assert ["employee_id", "", "E1"] in directory_import.report["updates"][0]["changes"]


# --- Applying -----------------------------------------------------------------------------------


def test_apply_checks_the_file_again_against_the_database(user_factory):
    directory_import, plan = directory_file_preview(
        data=csv_bytes(employee(employee_id="E1", email="ann@example.com")),
        filename="x.csv",
        user=None,
    )
    assert plan.is_valid
    user_factory(employee_id="E9", email="ann@example.com")  # since the preview
    before = snapshot()
    result = directory_import_apply(directory_import=directory_import, user=None)
    assert not result.applied
    assert [(e.line, e.column) for e in result.errors] == [(2, "email")]
    assert snapshot() == before
    directory_import.refresh_from_db()
    assert directory_import.status == DirectoryImport.Status.FAILED


def test_apply_refuses_changes_different_from_the_preview(user_factory):
    ann = user_factory(employee_id="E1", email="ann@example.com", title="Engineer")
    directory_import, _ = directory_file_preview(
        data=csv_bytes(employee(employee_id="E1", email="ann@example.com", title="Lead")),
        filename="x.csv",
        user=None,
        today=TODAY,
    )
    User.objects.filter(pk=ann.pk).update(department="Sales")  # since the preview
    result = directory_import_apply(directory_import=directory_import, user=None, today=TODAY)
    assert result.stale and not result.applied
    ann.refresh_from_db()
    assert ann.title == "Engineer"
    # The refreshed preview can be confirmed.
    result = directory_import_apply(directory_import=directory_import, user=None, today=TODAY)
    assert result.applied
    ann.refresh_from_db()
    assert (ann.title, ann.department) == ("Lead", "Engineering")


def test_an_applied_import_cannot_be_applied_again(user_factory):
    hr = user_factory(is_hr=True)
    directory_import, _ = directory_file_preview(
        data=csv_bytes(employee(employee_id="E1")), filename="x.csv", user=hr
    )
    result = directory_import_apply(directory_import=directory_import, user=hr)
    assert result.applied
    directory_import.refresh_from_db()
    assert directory_import.status == DirectoryImport.Status.APPLIED
    assert directory_import.applied_by == hr and directory_import.applied_at
    assert directory_import.summary["created"] == 1
    with pytest.raises(DirectoryImportAlreadyApplied):
        directory_import_apply(directory_import=directory_import, user=hr)


def test_stored_import_keeps_the_decoded_text_and_hash():
    data = csv_bytes(employee(employee_id="E1", first_name="Zoë"), bom=True)
    directory_import, _ = directory_file_preview(data=data, filename="export.csv", user=None)
    assert directory_import.content.startswith("employee_id,")
    assert "Zoë" in directory_import.content
    assert len(directory_import.sha256) == 64
    assert directory_import.filename == "export.csv"
