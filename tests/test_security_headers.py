from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(participant_client):
    response = participant_client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_pages_forbid_framing_and_sniffing(client):
    response = client.get(reverse("account_login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_authenticated_pages_are_not_cached(participant_client):
    response = participant_client.get(reverse("home"))
    assert "no-store" in response["Cache-Control"]


def test_htmx_is_served_from_our_own_origin_and_configured_without_eval(participant_client):
    body = participant_client.get(reverse("home")).content.decode()
    assert '<script src="/static/django_htmx/htmx-2.min.js"' in body
    assert '"allowEval": false' in body
    assert '"X-CSRFToken"' in body
