"""After a meeting is recorded after the fact, the confirmation says what comes next: a link to
write the check-in for the mentee, who writes it; the mentor is told he reviews it. The full
pages of the meeting and check-in forms post normally (and redirect), only their in-panel
copies post with htmx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Meeting
from tests.goals.test_meetings_views import form_data, new_url, past_meeting

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def yesterday() -> str:
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def test_the_mentee_recording_a_past_meeting_is_linked_to_its_check_in(alice_client, pair):
    response = alice_client.post(new_url(pair), form_data(date=yesterday()), headers=HTMX)
    meeting = Meeting.objects.get()
    check_in = reverse("goals:check_in", args=[pair.pk, meeting.pk])
    body = response.content.decode()
    assert "Meeting recorded." in body
    assert f'<a href="{check_in}">Write its check-in</a>' in body
    assert response["HX-Trigger"] == "pair-changed"


def test_the_mentor_recording_a_past_meeting_is_told_the_mentee_writes_it(bob_client, pair):
    response = bob_client.post(new_url(pair), form_data(date=yesterday()), headers=HTMX)
    body = response.content.decode()
    assert "Meeting recorded. Alice writes its check-in; you review it." in body
    assert "<a " not in body


def test_a_future_meeting_is_confirmed_with_the_invitations(alice_client, pair):
    response = alice_client.post(new_url(pair), form_data(), headers=HTMX)
    body = response.content.decode()
    assert "Meeting arranged. Bob and you get an email with the calendar invitation." in body
    assert "<a " not in body


def test_full_page_forms_post_without_htmx(alice_client, pair, alice):
    meeting = past_meeting(pair, alice)
    check_in = reverse("goals:check_in", args=[pair.pk, meeting.pk])
    for url in (new_url(pair), check_in):
        assert "hx-post" not in alice_client.get(url).content.decode()
        assert f'hx-post="{url}"' in alice_client.get(url, headers=HTMX).content.decode()
