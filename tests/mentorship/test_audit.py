"""The audit log: one INSERT an event, who/when/what/from where, append-only in the database,
and read by staff alone in the Django admin."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from mentorship.audit import audit_record, client_ip, current_request
from mentorship.models import AuditEvent
from tests.conftest import activate_totp

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:mentorship_auditevent_changelist")


def a_request(user=None, **meta):
    request = RequestFactory().get("/somewhere/", REMOTE_ADDR="203.0.113.7", **meta)
    if user is not None:
        request.user = user
    return request


# --- audit_record -------------------------------------------------------------------------


def test_records_who_when_what_and_from_where(user_factory, django_assert_num_queries):
    actor = user_factory()
    target = user_factory()
    request = a_request(actor, HTTP_USER_AGENT="Firefox/140")
    before = timezone.now()
    with django_assert_num_queries(1):
        event = audit_record("role_changed", request=request, target=target, details={"n": 1})
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == actor
    assert before <= event.at <= timezone.now()
    assert event.action == AuditEvent.Action.ROLE_CHANGED
    assert (event.target_type, event.target_id) == ("people.user", str(target.pk))
    assert event.ip == "203.0.113.7"
    assert event.user_agent == "Firefox/140"
    assert event.path == "/somewhere/"
    assert event.details == {"n": 1}


def test_without_a_request_the_actor_is_the_system(user_factory):
    event = audit_record("export_downloaded", details={"format": "csv"})
    assert event.actor is None
    assert event.ip is None
    assert (event.path, event.user_agent, event.target_type) == ("", "", "")


def test_an_explicit_actor_wins_over_the_request(user_factory):
    someone, other = user_factory(), user_factory()
    event = audit_record("login", request=a_request(someone), actor=other)
    assert event.actor == other


def test_an_anonymous_request_has_no_actor():
    from django.contrib.auth.models import AnonymousUser

    event = audit_record("access_denied", request=a_request(AnonymousUser()))
    assert event.actor is None
    assert event.ip == "203.0.113.7"


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record("something_else")


def test_large_details_are_refused():
    with pytest.raises(ValueError, match="bytes"):
        audit_record("export_downloaded", details={"text": "x" * 5000})


def test_the_current_request_is_read_from_the_middleware(user_factory):
    """A service called from a view audits ip and path without being handed the request."""
    from mentorship.audit import CurrentRequestMiddleware

    user = user_factory()
    seen = []

    def view(request):
        seen.append(current_request())
        return audit_record("access_denied")

    request = a_request(user)
    event = CurrentRequestMiddleware(view)(request)
    assert seen == [request]
    assert current_request() is None
    assert (event.actor, event.ip, event.path) == (user, "203.0.113.7", "/somewhere/")


# --- where a request comes from -------------------------------------------------------------


def test_ip_is_remote_addr_without_a_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    request = a_request(HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "203.0.113.7"


def test_behind_the_proxy_ip_is_the_hop_the_proxy_added(settings):
    """The first hop is whatever the client sent; the last one is what our proxy saw."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = a_request(HTTP_X_FORWARDED_FOR="10.6.6.6, 198.51.100.1")
    assert client_ip(request) == "198.51.100.1"
    assert client_ip(a_request(HTTP_X_FORWARDED_FOR="not an address")) == "203.0.113.7"
    assert client_ip(a_request()) == "203.0.113.7"
    assert client_ip(a_request(HTTP_X_FORWARDED_FOR="2001:db8::1")) == "2001:db8::1"


# --- append-only ------------------------------------------------------------------------------


def test_the_database_refuses_update_and_delete():
    event = audit_record("login_failed", details={"email_domain": "example.com"})
    for sql in (
        "UPDATE mentorship_auditevent SET action = 'login' WHERE id = %s",
        "DELETE FROM mentorship_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "login_failed"


def test_the_model_refuses_a_second_save_and_a_delete():
    event = audit_record("logout")
    event.action = "login"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "logout"


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff(user_factory):
    user = user_factory(email="sam.staff@example.com", is_staff=True)
    activate_totp(user)
    return user


def test_staff_read_the_log_in_the_admin(client, staff, user_factory):
    someone = user_factory(email="dana.doe@example.com")
    audit_record("export_downloaded", actor=someone, details={"export": "retention_csv"})
    client.force_login(staff)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Export downloaded" in page
    assert str(someone) in page

    found = client.get(CHANGELIST, {"q": "dana.doe@"})
    assert str(someone) in found.content.decode()
    missing = client.get(CHANGELIST, {"q": "nobody@"})
    assert str(someone) not in missing.content.decode()
    filtered = client.get(CHANGELIST, {"action__exact": "login_failed"})
    assert str(someone) not in filtered.content.decode()

    event = AuditEvent.objects.get(action="export_downloaded")
    detail = client.get(reverse("admin:mentorship_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_nobody_adds_changes_or_deletes_in_the_admin(client, staff):
    staff.is_superuser = True
    staff.save()
    event = audit_record("logout", actor=staff)
    client.force_login(staff)
    assert client.get(reverse("admin:mentorship_auditevent_add")).status_code == 403
    change = reverse("admin:mentorship_auditevent_change", args=[event.pk])
    client.post(change, {"action": "login"})
    delete = reverse("admin:mentorship_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "logout"


def test_non_staff_do_not_see_the_log(client, user_factory, hr_user):
    client.force_login(hr_user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(user_factory())
    assert client.get(CHANGELIST).status_code == 302
