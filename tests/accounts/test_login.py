"""Email is the login: by password, or by a code sent to the work address. No sign-up."""

from __future__ import annotations

import pytest
import redis
from allauth.account.models import EmailAddress
from django.urls import reverse

from people.models import User
from tests.accounts import (
    CONFIRM_CODE_URL,
    LOGIN_URL,
    code_from_mail,
    password_login,
    request_code,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db


def imported_employee(email: str = "ines.imported@example.com") -> User:
    """As the directory import creates people: no password, no EmailAddress row."""
    return User.objects.create_user(
        email=email, password=None, first_name="Ines", last_name="Imported", employee_id="E900"
    )


def test_login_page_asks_for_email_not_username(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == ["login", "password", "remember"]
    html = response.content.decode()
    assert 'type="email" name="login"' in html
    assert "username" not in html.lower()


def test_login_page_is_framed_and_says_who_can_see_it(client):
    html = client.get(LOGIN_URL).content.decode()
    assert 'class="entrance"' in html
    assert '<label for="id_login">Email</label>' in html
    assert "Who can see this page:</strong> anyone (this is a sign-in page" in html
    # Sign-up is closed, so the page does not invite anyone to sign up.
    assert reverse("account_signup") not in html
    assert "Accounts come from the HR directory" in html


def test_password_login_signs_in_employee_with_verified_email(client, user_factory):
    user = user_factory(email="vera.verified@example.com")
    response = password_login(client, "Vera.Verified@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == user.pk
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, user_factory):
    user_factory(email="vera.verified@example.com")
    response = password_login(client, "vera.verified@example.com", "not the password")
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    html = response.content.decode()
    assert 'class="callout error" role="alert"' in html
    assert "The email address and/or password you specified are not correct." in html


def test_imported_employee_signs_in_by_emailed_code(client, mailoutbox):
    user = imported_employee()
    assert not user.has_usable_password()

    response = request_code(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == CONFIRM_CODE_URL
    assert signed_in_user_id(client) is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert mailoutbox[0].subject.startswith("[Mentorship] ")

    page = client.get(CONFIRM_CODE_URL)
    assert page.status_code == 200
    assert 'class="entrance"' in page.content.decode()

    response = client.post(CONFIRM_CODE_URL, {"code": code_from_mail(mailoutbox[0])})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == user.pk
    address = EmailAddress.objects.get(user=user)
    assert address.email == user.email
    assert address.verified


def test_wrong_code_does_not_sign_in(client, mailoutbox):
    user = imported_employee()
    request_code(client, user.email)
    code = code_from_mail(mailoutbox[0])
    response = client.post(CONFIRM_CODE_URL, {"code": "X" + code[1:] if code[0] != "X" else "Y"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()


def test_code_request_for_unknown_email_looks_the_same_and_sends_no_code(client, mailoutbox):
    known = imported_employee()
    known_response = request_code(client, known.email)
    client.logout()
    unknown_response = request_code(client, "nobody@example.com")

    assert (unknown_response.status_code, unknown_response["Location"]) == (
        known_response.status_code,
        known_response["Location"],
    )
    assert [m.to for m in mailoutbox] == [[known.email], ["nobody@example.com"]]
    # The stranger gets allauth's "unknown account" mail, not a code.
    assert "There is no mentorship account for it" in mailoutbox[1].body
    assert "ask your HR team" in mailoutbox[1].body
    assert "sign-in code" not in mailoutbox[1].body


def test_signup_page_does_not_create_accounts(client, mailoutbox):
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in page.templates]
    assert "accounts come from the HR directory" in page.content.decode()

    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.person@example.com",
            "password1": "a-long-pass-42",
            "password2": "a-long-pass-42",
        },
    )
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert not EmailAddress.objects.exists()
    assert mailoutbox == []
    assert signed_in_user_id(client) is None


def test_five_failed_logins_lock_the_account_even_for_the_right_password(
    client, user_factory, settings
):
    user_factory(email="vera.verified@example.com")
    for _ in range(5):
        response = password_login(client, "vera.verified@example.com", "guess")
        assert "Too many failed login attempts" not in response.content.decode()
    # The count lives in Redis, shared by every web process.
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    redis_client = redis.Redis.from_url(settings.REDIS_URL)
    assert redis_client.keys(f"{prefix}:*:allauth:rl:allauth.account:login_failed:*/key:*")

    response = password_login(client, "vera.verified@example.com")
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_four_failed_logins_still_allow_the_right_password(client, user_factory):
    user = user_factory(email="vera.verified@example.com")
    for _ in range(4):
        password_login(client, "vera.verified@example.com", "guess")
    response = password_login(client, "vera.verified@example.com")
    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk


def test_failed_logins_for_one_account_do_not_lock_another(client, user_factory):
    user_factory(email="vera.verified@example.com")
    other = user_factory(email="otto.other@example.com")
    for _ in range(5):
        password_login(client, "vera.verified@example.com", "guess")
    response = password_login(client, "otto.other@example.com")
    assert response.status_code == 302
    assert signed_in_user_id(client) == other.pk
