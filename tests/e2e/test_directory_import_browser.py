from __future__ import annotations

import pytest

from people.models import User
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "employee_id,email,first_name,last_name,department,level,manager_email,hire_date,end_date"
GOOD = [
    "E1,ceo@acme.example,Carla,Boss,Executive,9,,2019-02-01,",
    "E2,ana.lee@acme.example,Ana,Lee,Engineering,3,ceo@acme.example,2022-05-16,",
    "E3,bo.chen@acme.example,Bo,Chen,Sales,2,ceo@acme.example,2021-03-01,2025-06-30",
]


def _csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _upload(page, data: bytes, name: str) -> None:
    page.goto("/directory/import/")
    page.get_by_label("Directory file (CSV or XLSX)").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_load_state()


def test_hr_fixes_a_bad_file_then_confirms_the_import(page, hr_user):
    sign_in(page, hr_user)

    bad = [*GOOD[:2], "E3,bo.chen@acme.example,Bo,Chen,Sales,two,nobody@acme.example,2021-13-01,"]
    _upload(page, _csv(bad), "export-bad.csv")
    body = page.locator("main").inner_text()
    assert "Nothing can be imported until every error below is fixed" in body
    errors = page.locator("table", has_text="Line").first.inner_text()
    for column in ("level", "manager_email", "hire_date"):
        assert column in errors
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    assert User.objects.filter(employee_id__in=["E1", "E2", "E3"]).count() == 0

    _upload(page, _csv(GOOD), "export.csv")
    assert "Preview: nothing has been written yet" in page.locator("main").inner_text()
    assert User.objects.filter(employee_id__in=["E1", "E2", "E3"]).count() == 0
    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_load_state()
    assert "Directory imported" in page.locator(".messages").inner_text()

    ana = User.objects.get(employee_id="E2")
    assert ana.manager.employee_id == "E1"
    assert not User.objects.get(employee_id="E3").is_active  # left in 2025

    page.goto("/directory/?q=ana")
    assert "Ana Lee" in page.locator("#directory-results").inner_text()
    assert page.console_errors == []


def test_participant_gets_404_on_the_import_page(page, participant):
    sign_in(page, participant)
    assert page.goto("/directory/import/").status == 404
