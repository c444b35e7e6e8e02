"""Meeting pages: schedule, the meeting page in the viewer's zone, change, cancel, .ics, list."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from goals.models import CheckIn, Meeting
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def form_data(**extra) -> dict:
    data = {
        "date": day(5),
        "time": "18:00",
        "timezone": "Europe/Paris",
        "duration_minutes": "60",
        "mode": "video",
        "location": "",
        "video_url": "https://meet.example.com/abc",
        "agenda": "Plan the conference talk",
    }
    data.update(extra)
    return data


def future_meeting(pair, organizer, **extra) -> Meeting:
    local = datetime.fromisoformat(f"{day(5)}T18:00")
    extra.setdefault("starts_at", local.replace(tzinfo=PARIS))
    extra.setdefault("timezone", "Europe/Paris")
    extra.setdefault("agenda", "Plan the conference talk")
    extra.setdefault("video_url", "https://meet.example.com/abc")
    return Meeting.objects.create(match=pair, organizer=organizer, duration_minutes=60, **extra)


def past_meeting(pair, organizer, **extra) -> Meeting:
    extra.setdefault("starts_at", timezone.now() - timedelta(hours=3))
    return Meeting.objects.create(match=pair, organizer=organizer, **extra)


def new_url(pair):
    return reverse("goals:meeting_new", args=[pair.pk])


def page_url(meeting):
    return reverse("goals:meeting", args=[meeting.match_id, meeting.pk])


def edit_url(meeting):
    return reverse("goals:meeting_edit", args=[meeting.match_id, meeting.pk])


def cancel_url(meeting):
    return reverse("goals:meeting_cancel", args=[meeting.match_id, meeting.pk])


def ics_url(meeting):
    return reverse("goals:meeting_ics", args=[meeting.match_id, meeting.pk])


# --- Schedule ---------------------------------------------------------------------------------


def test_the_form_starts_in_the_users_own_time_zone(alice_client, pair):
    body = alice_client.get(new_url(pair)).content.decode()
    assert "Your time zone is <strong>Europe/Paris</strong>" in body
    assert '<option value="Europe/Paris" selected>' in body
    assert 'type="date"' in body and 'type="time"' in body


def test_scheduling_creates_the_meeting_and_redirects_to_it(alice_client, pair, alice):
    response = alice_client.post(new_url(pair), form_data())
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(meeting)
    assert meeting.starts_at == datetime.fromisoformat(f"{day(5)}T18:00").replace(tzinfo=PARIS)
    assert meeting.organizer == alice and meeting.timezone == "Europe/Paris"


def test_the_mentor_can_schedule_in_his_zone(bob_client, pair):
    bob_client.post(new_url(pair), form_data(timezone="America/New_York", time="09:00"))
    meeting = Meeting.objects.get()
    assert meeting.starts_at.astimezone(ZoneInfo("America/New_York")).hour == 9


def test_htmx_get_renders_only_the_form(alice_client, pair):
    response = alice_client.get(new_url(pair), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<form" in body and "<html" not in body
    assert f'hx-post="{new_url(pair)}"' in body


def test_htmx_post_answers_with_a_confirmation_and_pair_changed(alice_client, pair):
    response = alice_client.post(new_url(pair), form_data(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "pair-changed"
    assert "Meeting arranged" in response.content.decode()
    assert Meeting.objects.count() == 1


def test_errors_are_shown_by_field_and_nothing_is_saved(alice_client, pair):
    response = alice_client.post(new_url(pair), form_data(mode="in_person", video_url=""))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Say where you meet" in body and "Nothing was saved" in body
    response = alice_client.post(new_url(pair), form_data(date=day(-45)))
    assert "The cohort starts on" in response.content.decode()
    response = alice_client.post(
        new_url(pair), form_data(), headers={"HX-Request": "true"}, follow=False
    )
    assert Meeting.objects.count() == 1  # the valid htmx one only


def test_wrong_method(alice_client, pair):
    assert alice_client.put(new_url(pair)).status_code == 405
    meeting = future_meeting(pair, None)
    assert alice_client.post(page_url(meeting)).status_code == 405
    assert alice_client.post(ics_url(meeting)).status_code == 405
    assert alice_client.delete(cancel_url(meeting)).status_code == 405
    assert alice_client.put(edit_url(meeting)).status_code == 405


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_get_404_everywhere_and_change_nothing(request, client, pair, other_pair, who):
    client.force_login(request.getfixturevalue(who))
    meeting = future_meeting(pair, None)
    urls = [
        new_url(pair),
        page_url(meeting),
        edit_url(meeting),
        cancel_url(meeting),
        ics_url(meeting),
        reverse("goals:meeting_list", args=[pair.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(new_url(pair), form_data()).status_code == 404
    assert client.post(edit_url(meeting), form_data(agenda="Hijacked")).status_code == 404
    assert client.post(cancel_url(meeting)).status_code == 404
    meeting.refresh_from_db()
    assert meeting.agenda == "Plan the conference talk" and meeting.status == "scheduled"
    assert Meeting.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(client, pair):
    meeting = future_meeting(pair, None)
    for url in (new_url(pair), page_url(meeting), ics_url(meeting)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_meeting_of_another_pair_is_404_through_this_pair(alice_client, pair, other_pair):
    theirs = future_meeting(other_pair, None)
    url = reverse("goals:meeting", args=[pair.pk, theirs.pk])
    assert alice_client.get(url).status_code == 404


def test_an_ended_pair_takes_no_new_meeting(alice_client, pair):
    pair.status = "ended"
    pair.save()
    response = alice_client.post(new_url(pair), form_data(), follow=True)
    assert "has ended" in response.content.decode()
    assert not Meeting.objects.exists()


# --- The meeting page -------------------------------------------------------------------------


def test_each_member_sees_the_time_in_their_own_zone(client, pair, alice, bob):
    meeting = future_meeting(pair, alice)
    client.force_login(alice)
    body = client.get(page_url(meeting)).content.decode()
    assert "18:00" in body and "Europe/Paris, your time zone" in body
    assert "For Bob: " in body and "America/New_York" in body
    client.force_login(bob)
    body = client.get(page_url(meeting)).content.decode()
    assert "12:00" in body and "America/New_York, your time zone" in body
    assert "Plan the conference talk" in body
    assert ics_url(meeting) in body
    assert edit_url(meeting) in body and cancel_url(meeting) in body


def test_a_past_meeting_offers_no_change_or_cancel(alice_client, pair, alice):
    meeting = past_meeting(pair, alice)
    body = alice_client.get(page_url(meeting)).content.decode()
    assert edit_url(meeting) not in body and cancel_url(meeting) not in body
    assert alice_client.post(edit_url(meeting), form_data()).status_code == 302
    meeting.refresh_from_db()
    assert meeting.sequence == 0


def test_the_page_says_who_can_see_it(alice_client, pair, alice):
    body = alice_client.get(page_url(future_meeting(pair, alice))).content.decode()
    assert "Who can see this page:" in body and "your private note, only you" in body


# --- Change and cancel ------------------------------------------------------------------------


def test_either_member_changes_the_meeting(bob_client, pair, alice):
    meeting = future_meeting(pair, alice)
    response = bob_client.get(edit_url(meeting))
    assert 'value="18:00"' in response.content.decode()  # shown in the meeting's zone
    response = bob_client.post(edit_url(meeting), form_data(time="19:00", agenda="New agenda"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.agenda == "New agenda" and meeting.sequence == 1
    assert meeting.starts_at.astimezone(PARIS).hour == 19


def test_edit_htmx_partial(alice_client, pair, alice):
    meeting = future_meeting(pair, alice)
    response = alice_client.get(edit_url(meeting), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    response = alice_client.post(
        edit_url(meeting), form_data(agenda="Changed"), headers={"HX-Request": "true"}
    )
    assert response["HX-Trigger"] == "pair-changed"


def test_cancel_asks_first_then_cancels(alice_client, pair, alice):
    meeting = future_meeting(pair, alice)
    body = alice_client.get(cancel_url(meeting)).content.decode()
    assert "Cancel the meeting?" in body
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"
    response = alice_client.post(cancel_url(meeting))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.sequence == 1
    body = alice_client.get(page_url(meeting)).content.decode()
    assert "Cancelled by you" in body
    # Cancelling again is refused and changes nothing.
    alice_client.post(cancel_url(meeting))
    meeting.refresh_from_db()
    assert meeting.sequence == 1


def test_cancel_htmx(alice_client, pair, alice):
    meeting = future_meeting(pair, alice)
    response = alice_client.get(cancel_url(meeting), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    response = alice_client.post(cancel_url(meeting), headers={"HX-Request": "true"})
    assert response["HX-Trigger"] == "pair-changed"


# --- The .ics download ------------------------------------------------------------------------


def test_the_ics_download_is_the_invitation(alice_client, pair, alice):
    meeting = future_meeting(pair, alice)
    response = alice_client.get(ics_url(meeting))
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    calendar = Calendar.from_ical(response.content)
    event = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"].startswith(str(meeting.uid))
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"


# --- The list partial -------------------------------------------------------------------------


def _list_queries(client, pair) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("goals:meeting_list", args=[pair.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_meeting_list_has_a_constant_number_of_queries(alice_client, pair, alice):
    past = past_meeting(pair, alice)
    CheckIn.objects.create(meeting=past, match=pair, author=alice, discussed="x", usefulness=4)
    one = _list_queries(alice_client, pair)
    for n in range(12):
        m = past_meeting(pair, alice, starts_at=timezone.now() - timedelta(days=n + 1))
        if n % 2:
            CheckIn.objects.create(meeting=m, match=pair, author=alice, discussed="x", usefulness=3)
        future_meeting(pair, make_user(), starts_at=timezone.now() + timedelta(days=n + 1))
    many = _list_queries(alice_client, pair)
    assert many == one


def test_the_meeting_list_shows_states_without_check_in_text(alice_client, pair, alice):
    past = past_meeting(pair, alice)
    CheckIn.objects.create(
        meeting=past, match=pair, author=alice, discussed="SECRET TEXT", usefulness=4
    )
    future_meeting(pair, alice)
    response = alice_client.get(
        reverse("goals:meeting_list", args=[pair.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "Upcoming" in body and "rated 4/5" in body
    assert "SECRET TEXT" not in body
