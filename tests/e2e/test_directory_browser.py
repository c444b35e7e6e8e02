from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_hr_searches_the_directory_live(page, hr_user, user_factory):
    user_factory(first_name="Ana", last_name="Lee", department="Engineering")
    user_factory(first_name="Bo", last_name="Chen", department="Sales")
    sign_in(page, hr_user)
    page.goto("/directory/")
    rows = page.locator("#directory-results tbody tr")
    assert rows.count() >= 2
    # Typing filters the table in place through htmx, and the address keeps the query.
    page.get_by_label("Name or email").fill("ana")
    page.get_by_text("1 person match").wait_for()  # htmx swapped the results in
    assert "q=ana" in page.url
    assert page.locator("#directory-results tbody tr").count() == 1
    assert "Ana Lee" in page.locator("#directory-results").inner_text()
    page.get_by_label("Department").select_option("Sales")
    page.get_by_text("Nobody matches").wait_for()
    assert "department=Sales" in page.url
    assert "Nobody matches" in page.locator("#directory-results").inner_text()
    assert page.console_errors == []


def test_participant_cannot_open_the_directory(page, participant):
    sign_in(page, participant)
    response = page.goto("/directory/")
    assert response.status == 404
    assert page.get_by_role("link", name="Directory").count() == 0
