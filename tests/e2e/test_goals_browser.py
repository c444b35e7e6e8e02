"""A SMART goal in Chromium: the mentee sees the live SMART feedback while typing, sends the
goal, the mentor agrees it, and milestones are ticked in place (htmx under the strict CSP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from goals.models import Goal, Milestone
from tests.e2e.conftest import sign_in
from tests.goals.goals_factories import make_goal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def new_page(browser, live_server, *, width=1280):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    return page


def test_live_smart_feedback_send_and_agree(browser, live_server, pair, alice, bob):
    page = new_page(browser, live_server, width=360)
    sign_in(page, alice)
    page.goto(f"/pairs/{pair.pk}/goals/new/")
    feedback = page.locator("#smart-feedback")
    page.get_by_label("Specific: what you will do").fill("Improve my speaking")
    feedback.get_by_text("on its own does not say what will be different").wait_for()
    feedback.get_by_text("No measurable target").first.wait_for()
    assert not Goal.objects.exists()

    page.get_by_label("Where you start (baseline)").fill("0")
    page.get_by_label("Where you aim to be (target)").fill("3")
    page.get_by_label("What the number counts").fill("talks")
    page.get_by_label("Relevant: why it matters for your career").fill(
        "Staff engineers are expected to share their work widely."
    )
    due = timezone.localdate() + timedelta(days=40)
    page.get_by_label("Time-bound: due date").fill(due.isoformat())
    feedback.get_by_text("Ready to send to Bob").wait_for()
    page.get_by_role("button", name="Send to Bob").click()
    page.get_by_text("Goal sent to Bob to agree.").wait_for()
    goal = Goal.objects.get()
    assert goal.status == Goal.Status.PROPOSED
    assert page.console_errors == []

    mentor = new_page(browser, live_server)
    sign_in(mentor, bob)
    mentor.goto(f"/pairs/{pair.pk}/goals/{goal.pk}/")
    mentor.get_by_role("button", name="Agree the goal").click()
    mentor.get_by_text("Goal agreed.").wait_for()
    goal.refresh_from_db()
    assert goal.status == Goal.Status.AGREED
    assert mentor.console_errors == []


def test_milestones_are_ticked_in_place(browser, live_server, pair, alice):
    goal = make_goal(pair, milestones=["Pick a topic", "Write slides", "Rehearse", "Present"])
    page = new_page(browser, live_server)
    sign_in(page, alice)
    page.goto(f"/pairs/{pair.pk}/goals/{goal.pk}/")
    page.get_by_role("region", name="Milestones").get_by_label("Write slides").check()
    page.get_by_text("1 of 4 done (25%)").wait_for()
    assert Milestone.objects.get(title="Write slides").done_by == alice
    assert page.url.endswith(f"/goals/{goal.pk}/")
    assert page.console_errors == []
