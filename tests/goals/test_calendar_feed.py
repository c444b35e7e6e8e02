"""A person's private calendar feed: the settings page, resetting the secret, the feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from goals.models import CalendarFeed, CheckIn, Meeting, PrivateNote

pytestmark = pytest.mark.django_db

SETTINGS = "/calendar/"


def feed_path(token: str) -> str:
    return reverse("goals:calendar_feed", kwargs={"token": token})


def test_the_url_names():
    assert reverse("goals:calendar") == SETTINGS
    assert reverse("goals:calendar_reset") == "/calendar/reset/"
    assert feed_path("abc") == "/calendar/abc.ics"


def test_the_first_visit_creates_the_feed_and_shows_its_url(alice_client, alice, settings):
    assert not CalendarFeed.objects.exists()
    body = alice_client.get(SETTINGS).content.decode()
    feed = CalendarFeed.objects.get(person=alice)
    assert f"{settings.SITE_URL}{feed_path(feed.token)}" in body
    assert "Reset link" in body and "Keep it private" in body
    alice_client.get(SETTINGS)
    assert CalendarFeed.objects.count() == 1


def test_reset_issues_a_new_token_and_the_old_url_is_gone(client, alice_client, alice):
    alice_client.get(SETTINGS)
    old = CalendarFeed.objects.get().token
    assert client.get(feed_path(old)).status_code == 200
    response = alice_client.post(reverse("goals:calendar_reset"))
    assert response.status_code == 302 and response["Location"] == SETTINGS
    feed = CalendarFeed.objects.get()
    assert feed.token != old and feed.reset_at is not None
    client.logout()
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(feed.token)).status_code == 200


def test_wrong_method(alice_client):
    assert alice_client.post(SETTINGS).status_code == 405
    assert alice_client.get(reverse("goals:calendar_reset")).status_code == 405
    alice_client.get(SETTINGS)
    token = CalendarFeed.objects.get().token
    assert alice_client.post(feed_path(token)).status_code == 405


def test_anonymous_is_sent_to_sign_in_for_settings_and_reset(client):
    for response in (client.get(SETTINGS), client.post(reverse("goals:calendar_reset"))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not CalendarFeed.objects.exists()


def test_unknown_token_is_404(client, alice):
    CalendarFeed.objects.create(person=alice)
    assert client.get(feed_path("not-a-token")).status_code == 404


def test_a_deactivated_persons_feed_is_404(client, alice):
    feed = CalendarFeed.objects.create(person=alice)
    alice.is_active = False
    alice.save()
    assert client.get(feed_path(feed.token)).status_code == 404


def test_the_feed_serves_the_persons_meetings_and_nothing_private(client, pair, other_pair, alice):
    feed = CalendarFeed.objects.create(person=alice)
    now = timezone.now()
    mine = Meeting.objects.create(
        match=pair, starts_at=now + timedelta(days=2), agenda="Shared agenda"
    )
    past = Meeting.objects.create(match=pair, starts_at=now - timedelta(days=2))
    CheckIn.objects.create(
        meeting=past, match=pair, author=alice, discussed="CHECK-IN TEXT", usefulness=4
    )
    PrivateNote.objects.create(meeting=mine, author=alice, text="PRIVATE NOTE TEXT")
    theirs = Meeting.objects.create(match=other_pair, starts_at=now + timedelta(days=1))

    response = client.get(feed_path(feed.token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    uids = {str(e["UID"]).split("@")[0] for e in calendar.walk("VEVENT")}
    assert uids == {str(mine.uid), str(past.uid)}
    assert str(theirs.uid) not in uids
    assert b"CHECK-IN TEXT" not in response.content
    assert b"PRIVATE NOTE TEXT" not in response.content
    assert b"Shared agenda" in response.content


def test_the_feed_keeps_recent_cancellations_as_cancelled(client, pair, alice):
    feed = CalendarFeed.objects.create(person=alice)
    now = timezone.now()
    recent = Meeting.objects.create(
        match=pair,
        starts_at=now + timedelta(days=3),
        status="cancelled",
        cancelled_at=now - timedelta(days=2),
        sequence=1,
    )
    Meeting.objects.create(
        match=pair,
        starts_at=now - timedelta(days=50),
        status="cancelled",
        cancelled_at=now - timedelta(days=60),
    )
    calendar = Calendar.from_ical(client.get(feed_path(feed.token)).content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(str(recent.uid))
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1


def test_the_settings_page_says_who_can_see_it(alice_client):
    body = alice_client.get(SETTINGS).content.decode()
    assert "Who can see this page:" in body and "only you" in body
