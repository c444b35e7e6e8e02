"""Password reset tells nobody whether an address has an account."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.accounts import password_login, signed_in_user_id

pytestmark = pytest.mark.django_db

RESET_URL = reverse("account_reset_password")


def _page_text(response) -> str:
    """The page as a reader sees it: without the per-request CSRF token."""
    return re.sub(
        r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", response.content.decode()
    )


def test_reset_page_is_framed_and_public(client):
    response = client.get(RESET_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="entrance"' in html
    assert '<label for="id_email">Email</label>' in html
    assert "Who can see this page:</strong> anyone" in html


def test_unknown_email_gets_the_same_response_as_a_known_one(client, user_factory, mailoutbox):
    known = user_factory(email="kim.known@example.com")

    known_response = client.post(RESET_URL, {"email": known.email})
    known_page = client.get(known_response["Location"])
    client.cookies.clear()
    unknown_response = client.post(RESET_URL, {"email": "nobody@example.com"})
    unknown_page = client.get(unknown_response["Location"])

    assert known_response.status_code == unknown_response.status_code == 302
    assert known_response["Location"] == unknown_response["Location"]
    assert known_response["Location"] == reverse("account_reset_password_done")
    assert known_page.status_code == unknown_page.status_code == 200
    assert _page_text(known_page) == _page_text(unknown_page)

    # The known address gets a reset link; the unknown one allauth's "no such account" mail.
    assert [m.to for m in mailoutbox] == [[known.email], ["nobody@example.com"]]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert "/accounts/password/reset/key/" not in mailoutbox[1].body
    assert "There is no mentorship account for it" in mailoutbox[1].body


def test_reset_link_sets_a_new_password_that_signs_in(client, user_factory, mailoutbox):
    user = user_factory(email="kim.known@example.com")
    client.post(RESET_URL, {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    form_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    new_password = "a quite different passphrase 9"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")

    assert signed_in_user_id(client) is None  # ACCOUNT_LOGIN_ON_PASSWORD_RESET is off
    assert password_login(client, user.email).status_code == 200  # the old one no longer works
    assert password_login(client, user.email, new_password).status_code == 302
    assert signed_in_user_id(client) == user.pk
