"""Retention in Chromium: HR opens the report, sees the Kaplan-Meier chart under the strict CSP
(no console errors) with its text table; a program admin reaches it from the program page.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.reports.retention_directory import AS_OF, directory_fixture  # noqa: F401
from tests.reports.test_retention_pages import (  # noqa: F401 (fixtures)
    HIRED_LATER,
    eng_admin,
    hr_user,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_hr_opens_retention(page, hr_user, directory):  # noqa: F811
    sign_in(page, hr_user)
    page.goto(f"/reports/retention/?as_of={AS_OF.isoformat()}")
    page.get_by_role("heading", name="Retention", exact=True).wait_for()
    assert page.locator("svg.km-chart path").count() == 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "retention_all.png"), full_page=True)
    page.get_by_role("link", name="A 2024").click()
    page.get_by_role("heading", name="Engineering: A 2024").wait_for()
    page.screenshot(path=str(ARTIFACTS / "retention_cohort.png"), full_page=True)
    page.goto("/reports/retention/?as_of=2026-02-30")
    assert page.locator("#id_as_of_error").is_visible()
    page.screenshot(path=str(ARTIFACTS / "retention_error.png"), full_page=True)
    assert page.console_errors == []


def test_admin_opens_retention_from_the_program_page(page, eng_admin, directory):  # noqa: F811
    sign_in(page, eng_admin)
    page.goto("/manage/programs/eng/")
    page.get_by_role("link", name="Retention").click()
    page.get_by_role("heading", name="Engineering: all cohorts").wait_for()
    assert "Sales" not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "retention_admin.png"), full_page=True)
    assert page.console_errors == []
