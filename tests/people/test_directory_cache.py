"""The directory's results (count, table, page links) and filter menus are kept in the cache
under the people version (people.views.directory): every way the product changes what they
print shows on the next request, a repeated request reads no table, and nobody without the
directory's role is ever served them."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from people.models import User
from people.services import leavers_deactivate
from privacy.services import person_erase
from tests.conftest import activate_totp
from tests.people.test_directory_import import csv_bytes, employee, run_import

pytestmark = pytest.mark.django_db

URL = reverse("people:directory")
HTMX = {"HX-Request": "true"}


def body(client, params=None, **kwargs) -> str:
    response = client.get(URL, params or {}, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def queries(client, params=None, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params or {}, **kwargs).status_code == 200
    return len(ctx.captured_queries)


def test_a_repeated_request_reads_no_table(hr_client, user_factory):
    for i in range(60):
        user_factory(first_name="Sam", last_name=f"Member{i:02d}", department="Finance")
    for params in ({}, {"department": "Finance", "page": "2"}, {"q": "sam"}):
        first = queries(hr_client, params)
        again = queries(hr_client, params)
        # Only the session, the user and the roles (with TOTP) are left: no count, page or
        # menus.
        assert again < first, params
        assert again == 3, params
        assert body(hr_client, params, headers=HTMX) == body(hr_client, params, headers=HTMX)


def test_htmx_and_the_full_page_share_the_results(hr_client, user_factory):
    user_factory(first_name="Ana", last_name="Lee")
    page = body(hr_client, {"q": "ana"})
    with CaptureQueriesContext(connection) as ctx:
        partial = body(hr_client, {"q": "ana"}, headers=HTMX)
    assert not any("people_user" in q["sql"] for q in ctx.captured_queries[2:])
    assert partial.strip() in page
    assert "Ana Lee" in partial and 'role="search"' not in partial
    # And the other way round: the partial first, then the page around it.
    partial = body(hr_client, {"q": "lee"}, headers=HTMX)
    assert partial.strip() in body(hr_client, {"q": "lee"})


def test_a_rename_through_the_admin_shows_on_the_next_request(hr_client, user_factory):
    ana = user_factory(first_name="Ana", last_name="Lee", title="Engineer")
    boss = user_factory(first_name="Boss", last_name="Person")
    ana.manager = boss
    ana.save()
    assert "Ana Lee" in body(hr_client, {"q": "lee"})
    assert "Boss Person" in body(hr_client, {"q": "lee"})
    # A name changed with a model save (what the Django admin's change form does).
    ana.first_name, ana.title = "Anna", "Principal"
    ana.save()
    html = body(hr_client, {"q": "lee"})
    assert "Anna Lee" in html and "Principal" in html and "Ana Lee" not in html
    # The manager's own name is printed on their reports' rows.
    boss.last_name = "Renamed"
    boss.save(update_fields=["last_name"])
    assert "Boss Renamed" in body(hr_client, {"q": "lee"})


def test_an_edit_in_the_django_admin_shows_on_the_next_request(hr_client, user_factory, rf):
    ana = user_factory(first_name="Ana", last_name="Lee", location="Berlin")
    assert "Berlin" in body(hr_client, {"q": "lee"})
    admin = site._registry[User]
    request = rf.post("/")
    request.user = user_factory(is_superuser=True, is_staff=True)
    ana.location = "Lisbon"
    admin.save_model(request, ana, form=None, change=True)
    assert "Lisbon" in body(hr_client, {"q": "lee"})


def test_the_directory_import_shows_new_people_renames_and_leavers(hr_client):
    run_import(csv_bytes(employee(employee_id="E1", first_name="Ana", last_name="Lee")))
    assert "Ana Lee" in body(hr_client, {"q": "lee"})
    assert "Bo Chen" not in body(hr_client, {"q": "chen"})
    assert "Bo Chen" not in body(hr_client, {"status": "all"})
    today = timezone.localdate()
    run_import(
        csv_bytes(
            employee(employee_id="E1", first_name="Anna", last_name="Lee", end_date=str(today)),
            employee(employee_id="E2", first_name="Bo", last_name="Chen"),
        ),
        today=today,
    )
    assert "Bo Chen" in body(hr_client, {"q": "chen"})
    assert "Bo Chen" in body(hr_client, {"status": "all"})
    # The leaver is gone from the employed, listed among those who left, under the new name.
    assert "Lee" not in body(hr_client, {"q": "lee"})
    left = body(hr_client, {"q": "lee", "status": "left"})
    assert "Anna Lee" in left and f"Left {today.isoformat()}" in left


def test_a_new_person_and_a_deleted_one(hr_client, user_factory):
    assert "Zed Zulu" not in body(hr_client)
    zed = user_factory(first_name="Zed", last_name="Zulu")
    assert "Zed Zulu" in body(hr_client)
    zed.delete()
    assert "Zed Zulu" not in body(hr_client)


def test_the_count_follows_new_people(hr_client, user_factory):
    for i in range(50):
        user_factory(last_name=f"Member{i:02d}", department="Finance")
    # A full first page: the count is asked for, and kept.
    assert "<strong>50</strong> people" in body(hr_client, {"department": "Finance"})
    user_factory(last_name="Member99", department="Finance")
    assert "<strong>51</strong> people" in body(hr_client, {"department": "Finance"})
    assert "<strong>51</strong> people" in body(hr_client, {"department": "Finance", "page": 2})


def test_a_leaving_date_reached_shows_the_next_day(hr_client, user_factory, monkeypatch):
    today = timezone.localdate()
    user_factory(first_name="Leo", last_name="Leaving", end_date=today + timedelta(days=1))
    html = body(hr_client, {"q": "leaving"})
    assert "Leaving " + (today + timedelta(days=1)).isoformat() in html
    # Nothing was written, but the day changed: the person has left.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + timedelta(days=1))
    assert "Leo Leaving" not in body(hr_client, {"q": "leaving"})
    assert "Left " in body(hr_client, {"q": "leaving", "status": "left"})


def test_leavers_deactivated_and_erased(hr_client, hr_user, user_factory):
    gone = user_factory(first_name="Gone", last_name="Away", end_date=date(2024, 1, 1))
    assert "Gone Away" in body(hr_client, {"status": "left"})
    leavers_deactivate()
    assert "Gone Away" in body(hr_client, {"status": "left"})
    person_erase(person=gone, by=hr_user, reason="DR-1", confirmation=gone.email)
    html = body(hr_client, {"status": "left"})
    assert "Gone Away" not in html
    assert "Former employee" in html and "Data erased" in html


def test_the_menus_follow_new_departments_and_locations(hr_client, user_factory):
    user_factory(department="Sales", location="Paris")
    first = hr_client.get(URL)
    assert "Legal" not in first.context["departments"]
    user_factory(department="Legal", location="Oslo")
    second = hr_client.get(URL)
    assert "Legal" in second.context["departments"] and "Oslo" in second.context["locations"]


def test_only_the_directory_roles_are_served_the_cached_results(user_factory, hr_client):
    """HR's cached results are never what someone else gets: participants and program admins
    get 404 at the door, staff's results are kept apart (the roles are in the key)."""
    from programs.models import Program

    user_factory(first_name="Ana", last_name="Lee")
    participant = Client()
    participant.force_login(user_factory())
    program_admin = Client()
    admin = user_factory()
    activate_totp(admin)
    Program.objects.create(name="Eng", slug="eng").admins.add(admin)
    program_admin.force_login(admin)
    staff = user_factory(is_staff=True)
    activate_totp(staff)
    staff_client = Client()
    staff_client.force_login(staff)

    # HR's results are in the cache (people created above would have changed the version).
    for headers in ({}, HTMX):
        assert "Ana Lee" in body(hr_client, {"q": "ana"}, headers=headers)
    hr_again = queries(hr_client, {"q": "ana"})

    for client in (participant, program_admin):
        for headers in ({}, HTMX):
            response = client.get(URL, {"q": "ana"}, headers=headers)
            assert response.status_code == 404
            assert "Ana Lee" not in response.content.decode()
    assert Client().get(URL, {"q": "ana"}).status_code == 302

    # Staff's first request is computed (the results are keyed by the viewer's roles).
    assert queries(staff_client, {"q": "ana"}) > hr_again
    assert queries(staff_client, {"q": "ana"}) == hr_again
    assert "Ana Lee" in body(staff_client, {"q": "ana"})


def test_an_unreachable_cache_still_serves_the_directory(hr_client, user_factory, settings, caplog):
    user_factory(first_name="Ana", last_name="Lee")
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with caplog.at_level(logging.WARNING, logger="mentorship.cache_versions"):
        assert "Ana Lee" in body(hr_client, {"q": "ana"})
        assert "Ana Lee" in body(hr_client, {"q": "ana"}, headers=HTMX)
    assert "cannot be reached" in caplog.text


def test_every_value_is_escaped(hr_client, user_factory):
    user_factory(
        first_name="<b>Ana</b>",
        last_name="O'Lee & co",
        title='<script>alert("t")</script>',
        department="R&D",
        location="<i>Berlin</i>",
        timezone="Europe/<Berlin>",
    )
    html = body(hr_client, {"q": "lee"})
    assert "<b>Ana</b>" not in html and "&lt;b&gt;Ana&lt;/b&gt; O&#x27;Lee &amp; co" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "R&amp;D" in html and "&lt;i&gt;Berlin&lt;/i&gt;" in html
    assert "Europe/&lt;Berlin&gt;" in html
