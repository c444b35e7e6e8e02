from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_home_shows_profile_to_participant(participant_client, participant):
    response = participant_client.get(reverse("home"))
    assert response.status_code == 200
    assert participant.email in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


def test_not_found_page_is_friendly_and_themed(participant_client, settings):
    settings.DEBUG = False
    response = participant_client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Who can see this page" in body
