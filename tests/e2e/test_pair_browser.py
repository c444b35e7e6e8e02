"""The pair's workspace in Chromium: the agreement written and confirmed, a meeting booked in
place from the pair page and shown to each member in their own time zone, a check-in written,
reviewed from the review inbox and read back, and the pair page at phone width.

Alice (mentee) is in Europe/Paris, Bob (mentor) in America/New_York.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from goals.models import AgreementRevision, CheckIn, Meeting, PrivateNote
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def new_page(browser, live_server, *, width=1280, height=900):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    # A CSP violation or a script error is a bug, even when the page still looks right.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    return page


def long_date(moment: datetime) -> str:
    """Django's "l j F Y, H:i", as the meeting page shows its start."""
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M}"


def paris_slot() -> datetime:
    """14:30 in Paris, a week or more ahead, on a day when New York is 6 hours behind (the
    two switch to and from summer time on different weekends)."""
    day = timezone.localdate() + timedelta(days=7)
    while True:
        local = datetime.combine(day, time(14, 30), tzinfo=PARIS)
        if local.utcoffset() - local.astimezone(NEW_YORK).utcoffset() == timedelta(hours=6):
            return local
        day += timedelta(days=7)


def test_agreement_written_by_alice_and_confirmed_by_bob(page, browser, live_server, pair, bob):
    sign_in(page, pair.mentee.person)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    page.get_by_role("heading", name="My mentoring").wait_for()
    page.get_by_role("link", name="Bob Baker").click()
    page.get_by_role("heading", name="You and Bob Baker").wait_for()
    page.get_by_text("You have not written your mentorship agreement yet").wait_for()
    page.get_by_role("link", name="Write it together").click()

    page.get_by_role("heading", name="Write your agreement").wait_for()
    assert page.get_by_label("Video").is_checked()
    page.get_by_label("In person").check()
    page.get_by_label("Meet every … days").fill("14")
    page.get_by_label("What the mentee expects").fill("Honest feedback on my talks.")
    page.get_by_role("button", name="Save and confirm").click()
    page.get_by_text("Agreement saved and confirmed by you. Bob is asked to confirm it.").wait_for()
    current = page.get_by_role("region", name="Version 1")
    current.get_by_text("waiting for confirmation").wait_for()
    assert "every 14 days" in current.inner_text()
    assert "in person, video" in current.inner_text()
    assert page.get_by_role("button", name="I confirm this agreement").count() == 0

    page.get_by_role("link", name="You and Bob Baker").click()
    page.get_by_text("Your agreement waits for Bob's confirmation.").wait_for()
    page.locator("#timeline").get_by_text("Alice Adams wrote the agreement").wait_for()
    assert page.console_errors == []

    mentor = new_page(browser, live_server)
    sign_in(mentor, bob)
    mentor.goto(f"/pairs/{pair.pk}/")
    mentor.get_by_text("Alice wrote your agreement.").wait_for()
    mentor.get_by_role("link", name="Read and confirm it").click()
    assert "Honest feedback on my talks." in mentor.locator("#current-heading + dl").inner_text()
    mentor.get_by_role("button", name="I confirm this agreement").click()
    mentor.get_by_text("You confirmed version 1 of the agreement.").wait_for()
    mentor.get_by_text("confirmed by both").wait_for()
    assert mentor.get_by_role("button", name="I confirm this agreement").count() == 0
    revision = AgreementRevision.objects.get()
    assert revision.is_confirmed
    assert set(revision.formats) == {"in_person", "video"}
    assert mentor.console_errors == []
    mentor.context.close()


def test_meeting_booked_in_place_shown_in_each_zone(
    page, browser, live_server, pair, bob, settings, mailoutbox
):
    # The invitation task runs in the live server's thread: nothing goes to the shared broker.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    sign_in(page, pair.mentee.person)
    page.goto(f"/pairs/{pair.pk}/")
    page.get_by_text("Nothing booked.").wait_for()
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.get_by_role("link", name="Schedule a meeting").click()
    panel = page.locator("#pair-panel")
    panel.get_by_role("heading", name="Schedule a meeting with Bob").wait_for()
    assert "Your time zone is Europe/Paris" in panel.inner_text()
    assert panel.get_by_label("Time zone").input_value() == "Europe/Paris"
    starts = paris_slot()
    panel.get_by_label("Date").fill(starts.date().isoformat())
    panel.get_by_label("Time", exact=True).fill("14:30")
    panel.get_by_label("Video link").fill("https://meet.example.com/alice-bob")
    panel.get_by_label("Agenda").fill("Feedback on my conference talk draft.")
    panel.get_by_role("button", name="Schedule and send invitations").click()

    panel.get_by_text("Meeting arranged. Bob and you get an email").wait_for()
    assert panel.locator("form").count() == 0
    page.locator("#timeline").get_by_role("link", name="Meeting booked").wait_for()
    next_meetings = page.locator("#overview")
    next_meetings.get_by_role(
        "link", name=f"{starts:%a} {starts.day} {starts:%b %Y}, 14:30"
    ).wait_for()
    assert navigations == [], "the pair page reloaded"
    assert page.url.endswith(f"/pairs/{pair.pk}/")

    meeting = Meeting.objects.get()
    assert meeting.starts_at == starts
    assert meeting.timezone == "Europe/Paris"
    assert {address for m in mailoutbox for address in m.to} >= {
        pair.mentee.person.email,
        bob.email,
    }

    page.locator("#timeline").get_by_role("link", name="Meeting booked").click()
    page.get_by_role("heading", name="Meeting with Bob Baker").wait_for()
    head = page.locator("header.page-head").inner_text()
    assert f"{long_date(starts)}\u201315:15" in head
    assert "(Europe/Paris, your time zone)" in head
    assert "Feedback on my conference talk draft." in page.locator("main").inner_text()
    assert page.console_errors == []

    mentor = new_page(browser, live_server)
    sign_in(mentor, bob)
    mentor.goto(f"/pairs/{pair.pk}/meetings/{meeting.pk}/")
    head = mentor.locator("header.page-head").inner_text()
    in_new_york = starts.astimezone(NEW_YORK)
    assert in_new_york.hour == 8  # 14:30 in Paris is 8:30 in New York
    assert f"{long_date(in_new_york)}\u201309:15" in head
    assert "(America/New_York, your time zone)" in head
    assert "14:30" in head  # Alice's time, for reference
    assert mentor.get_by_role("link", name="https://meet.example.com/alice-bob").is_visible()
    assert mentor.console_errors == []
    mentor.context.close()


def test_check_in_reviewed_by_mentor_private_note_stays_private(
    page, browser, live_server, pair, alice, bob
):
    starts = timezone.now() - timedelta(days=2)
    meeting = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=starts, timezone="Europe/Paris"
    )
    sign_in(page, alice)
    page.goto(f"/pairs/{pair.pk}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Write the check-in").click()
    panel = page.locator("#meeting-panel")
    panel.get_by_label("What you discussed").fill("How to open a talk with a story.")
    panel.get_by_label("4 · Very useful").check()
    panel.get_by_label("Next steps").fill("Rewrite the first three slides.")
    panel.get_by_role("button", name="Save the check-in").click()
    panel.get_by_text("Check-in saved. It is sent for review.").wait_for()
    check_in = page.locator("#check-in")
    check_in.get_by_text("How to open a talk with a story.").wait_for()
    check_in.get_by_text("Waiting for Bob's review.").wait_for()
    assert "usefulness 4/5" in check_in.inner_text()

    note = page.locator("#private-note")
    note.get_by_label("Your note").fill("I felt nervous; ask about stage fright next time.")
    note.get_by_role("button", name="Save note").click()
    note.get_by_role("status").get_by_text("Saved.").wait_for()
    assert PrivateNote.objects.get().text.startswith("I felt nervous")
    assert page.console_errors == []

    mentor = new_page(browser, live_server)
    sign_in(mentor, bob)
    mentor.goto("/pairs/")
    mentor.get_by_role("link", name="Check-ins to review").click()
    mentor.get_by_role("heading", name="Check-ins to review").wait_for()
    row = mentor.locator(".review-row").filter(has_text="Alice Adams")
    assert "usefulness 4/5" in row.inner_text()
    row.get_by_role("link", name="Read and review").click()
    mentor_check_in = mentor.locator("#check-in")
    mentor_check_in.get_by_text("How to open a talk with a story.").wait_for()
    assert "Rewrite the first three slides." in mentor_check_in.inner_text()
    mentor_check_in.get_by_label("Your comment").fill("A story opening works; keep it short.")
    mentor_check_in.get_by_role("button", name="Acknowledge with this comment").click()
    mentor_check_in.get_by_text("Reviewed by you").wait_for()
    mentor_check_in.get_by_text("A story opening works; keep it short.").wait_for()
    assert "stage fright" not in mentor.content()
    assert mentor.locator("#private-note textarea").input_value() == ""
    mentor.goto("/reviews/")
    mentor.get_by_text("Nothing is waiting for your review.").wait_for()
    assert "stage fright" not in mentor.content()
    mentor.goto(f"/pairs/{pair.pk}/")
    mentor.locator("#timeline").get_by_text("Bob Baker reviewed the check-in").wait_for()
    assert "stage fright" not in mentor.content()
    assert mentor.console_errors == []
    mentor.context.close()

    assert CheckIn.objects.get().reviewed_by == bob
    page.reload()
    review = page.locator("#check-in .review")
    review.get_by_text("Reviewed by Bob Baker").wait_for()
    assert "A story opening works; keep it short." in review.inner_text()
    assert "stage fright" in page.locator("#private-note textarea").input_value()
    assert page.console_errors == []


def test_pair_page_fits_a_phone(browser, live_server, pair, alice):
    AgreementRevision.objects.create(
        match=pair,
        number=1,
        created_by=alice,
        cadence_days=14,
        formats=["video"],
        confidentiality="Between us.",
        mentee_confirmed_at=timezone.now(),
    )
    Meeting.objects.create(
        match=pair,
        organizer=alice,
        starts_at=timezone.now() + timedelta(days=3),
        timezone="Europe/Paris",
        video_url="https://meet.example.com/" + "a-very-long-meeting-room-name-" * 4,
    )
    page = new_page(browser, live_server, width=360, height=740)
    sign_in(page, alice)
    page.goto(f"/pairs/{pair.pk}/")
    page.get_by_role("heading", name="You and Bob Baker").wait_for()
    page.locator("#timeline").get_by_text("Meeting booked").wait_for()
    width = "document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 361
    page.get_by_role("link", name="Schedule a meeting").click()
    page.locator("#pair-panel").get_by_label("Agenda").wait_for()
    assert page.evaluate(width) <= 361
    assert page.console_errors == []
    page.context.close()
