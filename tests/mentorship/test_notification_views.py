"""Unsubscribe without logging in, for one kind only; each person's email settings page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mentorship import outbox
from mentorship.models import Notification, NotificationOptOut
from mentorship.notifications import Due, all_kinds
from tests.conftest import activate_totp, make_user

pytestmark = pytest.mark.django_db


def unsubscribe_url(user, kind="test_ping"):
    return reverse(
        "notifications:unsubscribe", kwargs={"token": outbox.unsubscribe_token(user.pk, kind)}
    )


def test_the_link_asks_first_and_changes_nothing_on_get(client):
    user = make_user()
    response = client.get(unsubscribe_url(user))
    assert response.status_code == 200
    assert b"Stop test pings?" in response.content
    assert not NotificationOptOut.objects.exists()


def test_unsubscribe_works_without_login_and_only_for_that_kind(client, mailoutbox):
    user = make_user()
    response = client.post(unsubscribe_url(user), {"action": "unsubscribe"})
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    assert list(NotificationOptOut.objects.values_list("user", "kind", "via")) == [
        (user.pk, "test_ping", "link")
    ]
    assert outbox.notifications_record([Due("test_ping", user.pk, 1)]) == []
    assert len(outbox.notifications_record([Due("test_other", user.pk, 1)])) == 1


def test_mail_clients_one_click_post_needs_no_csrf_token(client):
    user = make_user()
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(unsubscribe_url(user), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationOptOut.objects.filter(user=user, kind="test_ping").exists()


def test_undo_subscribes_again(client):
    user = make_user()
    client.post(unsubscribe_url(user), {"action": "unsubscribe"})
    response = client.post(unsubscribe_url(user), {"action": "resubscribe"})
    assert b"subscribed again" in response.content
    assert not NotificationOptOut.objects.exists()


def test_a_tampered_or_unknown_link_is_404(client):
    user = make_user()
    url = unsubscribe_url(user)
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert client.post(url[:-3] + "xx/").status_code == 404
    assert client.get(unsubscribe_url(user, kind="no_such_kind")).status_code == 404
    token = outbox.unsubscribe_token(999_999, "test_ping")
    assert client.get(reverse("notifications:unsubscribe", args=[token])).status_code == 404
    assert not NotificationOptOut.objects.exists()


def test_unsubscribe_rejects_other_methods(client):
    assert client.put(unsubscribe_url(make_user())).status_code == 405


def test_unsubscribing_never_stops_a_password_reset(client, mailoutbox):
    user = make_user()
    for kind in all_kinds():
        outbox.notification_opt_out(user_id=user.pk, kind=kind.name, via="settings")
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "reset" in mailoutbox[0].subject.lower()


def test_the_settings_page_needs_a_login(client):
    response = client.get(reverse("notifications:settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_settings_page_lists_kinds_and_saves_choices(client, django_assert_max_num_queries):
    user = make_user()
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:settings"))
    assert response.status_code == 200
    assert b'value="test_ping"' in response.content
    assert b"checked" in response.content
    shown = [k.name for k in all_kinds() if k.shown_to is None or k.shown_to(user)]
    keep_on = [name for name in shown if name != "test_ping"]
    response = client.post(reverse("notifications:settings"), {"enabled": keep_on})
    assert response.status_code == 302
    assert list(NotificationOptOut.objects.filter(user=user).values_list("kind", "via")) == [
        ("test_ping", "settings")
    ]
    client.post(reverse("notifications:settings"), {"enabled": shown})
    assert not NotificationOptOut.objects.exists()


def test_kinds_not_shown_to_a_person_are_not_switched_off_by_saving(client, monkeypatch):
    import dataclasses

    import mentorship.notifications as registry
    from tests.mentorship import kinds

    monkeypatch.setitem(
        registry._kinds, "test_ping", dataclasses.replace(kinds.PING, shown_to=lambda user: False)
    )
    user = make_user()
    client.force_login(user)
    assert b'value="test_ping"' not in client.get(reverse("notifications:settings")).content
    client.post(reverse("notifications:settings"), {"enabled": []})
    assert not NotificationOptOut.objects.filter(kind="test_ping").exists()


def test_the_settings_page_shows_what_was_sent_recently(client):
    user = make_user()
    (pk,) = outbox.notifications_record([Due("test_ping", user.pk, 3)])
    outbox.notification_send(notification_id=pk)
    client.force_login(user)
    response = client.get(reverse("notifications:settings"))
    assert b"Recently sent to you" in response.content and b"Test pings" in response.content
    assert Notification.objects.get(pk=pk).status == "sent"


def test_staff_see_the_outbox_by_kind_in_the_admin(client):
    staff = make_user(is_staff=True, is_superuser=True)
    activate_totp(staff)
    user = make_user()
    outbox.notifications_record([Due("test_ping", user.pk, 1)])
    client.force_login(staff)
    response = client.get(reverse("admin:mentorship_notification_changelist"))
    assert response.status_code == 200
    assert b"The outbox by kind" in response.content and b"test_ping" in response.content
    response = client.get(
        reverse("admin:mentorship_notification_changelist") + "?status__exact=failed"
    )
    assert response.status_code == 200
