"""A directory file that still lists an erased person does not bring them back: their row is
skipped (and said so), and the stored copy of the file does not keep their name."""

from __future__ import annotations

import io

from django.core.management import call_command

from people.directory_import import (
    directory_file_preview,
    directory_import_apply,
    summary_text,
)
from people.models import DirectoryImport, User
from privacy.services import person_erase
from tests.privacy.search import where_is

HEADER = (
    "employee_id,email,first_name,last_name,department,title,level,location,manager_email,"
    "hire_date,end_date\n"
)
LENA_ROW = (
    "E-LEAVE-1,lena.leaver@example.com,Lena,Leaver,Sales,Deal Closer Extraordinaire,4,"
    "Lisbon Riverside Office,,2021-03-01,2026-01-31\n"
)
BOB_ROW = "E-BOB,bob.builder@example.com,Bob,Builder,Sales,Builder,2,Porto,,2022-05-01,\n"


def import_file(text: str):
    directory_import, plan = directory_file_preview(
        data=text.encode("utf-8"), filename="hr.csv", user=None
    )
    result = directory_import_apply(directory_import=directory_import, user=None)
    directory_import.refresh_from_db()
    return directory_import, plan, result


def erase_lena(hr_user) -> User:
    lena = User.objects.get(employee_id="E-LEAVE-1")
    person_erase(person=lena, by=hr_user, reason="DR-9", confirmation="E-LEAVE-1")
    return lena


def test_reimporting_a_file_that_still_lists_the_erased_person(hr_user):
    _first, _plan, result = import_file(HEADER + LENA_ROW + BOB_ROW)
    assert result.applied and result.counts["created"] == 2
    lena = erase_lena(hr_user)

    again, plan, result = import_file(HEADER + LENA_ROW + BOB_ROW)
    assert result.applied, result.errors
    assert plan.skipped_erased == [2]
    assert result.counts["skipped_erased"] == 1
    assert result.counts["unchanged"] == 1 and result.counts["updated"] == 0
    assert result.counts["not_in_file"] == 1  # the HR user, not Lena
    assert "Skipped 1 row of former employees whose data was erased" in summary_text(
        result.counts, applied=True
    )
    lena.refresh_from_db()
    assert lena.get_full_name() == "Former employee"
    assert lena.email == f"erased-{lena.pk}@erased.invalid"
    assert lena.title == "" and lena.location == "" and lena.erased_at is not None
    # The stored copy keeps the row's place and its employee_id only.
    assert again.content.splitlines()[1] == "E-LEAVE-1,,,,,,,,,,"
    assert again.content.splitlines()[2] == BOB_ROW.strip()
    for needle in ("Leaver", "lena.leaver@example.com", "Lisbon Riverside", "Deal Closer"):
        assert where_is(needle) == [], needle


def test_a_changed_row_of_the_erased_person_is_skipped_too(hr_user):
    import_file(HEADER + LENA_ROW)
    lena = erase_lena(hr_user)
    changed = LENA_ROW.replace("Sales", "Marketing").replace(",4,", ",5,")
    _again, _plan, result = import_file(HEADER + changed)
    assert result.applied and result.counts["skipped_erased"] == 1
    lena.refresh_from_db()
    assert (lena.department, lena.level) == ("Sales", 4)


def test_a_manager_who_was_erased_is_an_error_that_does_not_repeat_the_address(hr_user):
    import_file(HEADER + LENA_ROW + BOB_ROW)
    erase_lena(hr_user)
    managed = BOB_ROW.replace("Porto,,", "Porto,lena.leaver@example.com,")
    stored, plan, result = import_file(HEADER + LENA_ROW + managed)
    assert not result.applied
    [error] = plan.errors
    assert error.line == 3 and error.column == "manager_email"
    assert "former employee whose data was erased" in error.message
    assert stored.status == DirectoryImport.Status.FAILED
    # Neither Lena's row nor Bob's manager cell keeps her address in the stored file.
    assert stored.content.splitlines()[1:] == [
        "E-LEAVE-1,,,,,,,,,,",
        managed.strip().replace("lena.leaver@example.com", "(erased)"),
    ]
    for needle in ("Leaver", "lena.leaver@example.com"):
        assert where_is(needle) == [], needle


def test_the_import_command_skips_the_erased_person_too(hr_user, tmp_path):
    import_file(HEADER + LENA_ROW)
    lena = erase_lena(hr_user)
    path = tmp_path / "hr.csv"
    path.write_text(HEADER + LENA_ROW + BOB_ROW, encoding="utf-8")
    out = io.StringIO()
    call_command("import_directory", str(path), stdout=out)
    assert "Skipped 1 row of former employees" in out.getvalue()
    lena.refresh_from_db()
    assert lena.get_full_name() == "Former employee"
    assert "Leaver" not in DirectoryImport.objects.order_by("-id").first().content
