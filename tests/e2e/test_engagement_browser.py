"""Engagement and outcomes in Chromium: a program admin reaches the report from the program page,
sees the SVG chart under the strict CSP (no console errors) and the numbers as a table; HR opens
the overview of every program. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.goals.fixtures import make_pair
from tests.reports.test_engagement import SECRET, goal, meet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def busy_cohort(running_cohort):
    for i in range(7):
        match = make_pair(cohort=running_cohort, published_at=timezone.now() - timedelta(days=29))
        for k in range(i):
            meet(match, days_ago=1 + k * 3.5 + i * 0.3, usefulness=1 + (i + k) % 5)
        goal(match, "agreed" if i % 2 else "achieved")
    return running_cohort


def test_admin_opens_engagement_from_the_program_page(page, program_admin, program, busy_cohort):
    sign_in(page, program_admin)
    page.goto(f"/manage/programs/{program.slug}/")
    page.get_by_role("link", name="Engagement and outcomes").click()
    page.get_by_role("heading", name=f"Engagement and outcomes: {program.name}").wait_for()
    assert page.locator("svg.bar-chart rect.bar").count() > 0
    page.get_by_text("The numbers as a table").first.click()
    assert page.locator("figure.week-chart table").first.is_visible()
    assert SECRET not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "engagement_program.png"), full_page=True)
    assert page.console_errors == []


def test_hr_opens_the_overview(page, hr_user, program, busy_cohort):
    sign_in(page, hr_user)
    page.goto("/reports/engagement/")
    page.get_by_role("heading", name="Engagement and outcomes").wait_for()
    page.get_by_role("link", name=program.name).click()
    page.get_by_role("heading", name=f"Engagement and outcomes: {program.name}").wait_for()
    page.go_back()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "engagement_overview.png"), full_page=True)
    assert page.console_errors == []
