from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from people.models import User
from tests.conftest import activate_totp

pytestmark = pytest.mark.django_db

URL = reverse("people:directory")


def _names(response) -> list[str]:
    """The names in the table, in order (read from the HTML: the results may come from the
    cache, rendered by an earlier request)."""
    rows = re.findall(r"<tr[^>]*><td><strong>(.*?)</strong>", response.content.decode())
    return [html.unescape(name) for name in rows]


def _ids(response) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'href="/privacy/people/(\d+)/"', response.content.decode())
    ]


def _page_number(response) -> int:
    return int(re.search(r"Employees, page (\d+) of", response.content.decode()).group(1))


def test_hr_sees_employees_in_name_order(hr_client, user_factory):
    user_factory(first_name="Zoe", last_name="Adams")
    user_factory(first_name="Ana", last_name="Lee")
    response = hr_client.get(URL)
    assert response.status_code == 200
    names = _names(response)
    assert names.index("Zoe Adams") < names.index("Ana Lee")
    assert "Who can see this page" in response.content.decode()


def test_search_matches_every_word_against_name_or_email(hr_client, user_factory):
    user_factory(first_name="Ana", last_name="Lee", email="ana.lee@example.com")
    user_factory(first_name="Ana", last_name="Bell")
    user_factory(first_name="Bob", last_name="Lee")
    assert _names(hr_client.get(URL, {"q": "ana lee"})) == ["Ana Lee"]
    assert _names(hr_client.get(URL, {"q": "ANA.LEE@"})) == ["Ana Lee"]


def test_filters_by_department_and_location(hr_client, user_factory):
    user_factory(first_name="Eng", last_name="Berlin", department="Engineering", location="Berlin")
    user_factory(first_name="Eng", last_name="London", department="Engineering", location="London")
    user_factory(first_name="Sales", last_name="Berlin", department="Sales", location="Berlin")
    response = hr_client.get(URL, {"department": "Engineering", "location": "Berlin"})
    assert _names(response) == ["Eng Berlin"]
    assert "Engineering" in response.context["departments"]
    assert response.context["locations"] == ["Berlin", "London"]


def test_filter_menus_list_each_directory_value_once_in_order(hr_client, user_factory):
    for department, location in [
        ("Sales", "Paris"),
        ("Engineering", "Berlin"),
        ("Sales", "Berlin"),
        ("", ""),
        ("Ängste", "Zürich"),
    ]:
        user_factory(department=department, location=location)
    user_factory(department="Operators", location="Nowhere", employee_id=None)
    response = hr_client.get(URL)
    departments = sorted({"Sales", "Engineering", "Ängste", response.wsgi_request.user.department})
    departments = [d for d in departments if d]
    # The menus are read by walking the indexes; the order is the database's, as ORDER BY.
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM unnest(%s::text[]) v ORDER BY v", [departments])
        departments = [v for (v,) in cursor.fetchall()]
    assert response.context["departments"] == departments
    assert "Operators" not in response.context["departments"]
    assert "Nowhere" not in response.context["locations"]
    assert "" not in response.context["locations"]
    assert set(response.context["locations"]) >= {"Paris", "Berlin", "Zürich"}


def test_status_filter_separates_employed_from_left(hr_client, user_factory):
    today = timezone.localdate()
    user_factory(first_name="Still", last_name="Here")
    user_factory(first_name="Leaving", last_name="Soon", end_date=today + timedelta(days=30))
    user_factory(first_name="Gone", last_name="Away", end_date=today - timedelta(days=1))
    employed = _names(hr_client.get(URL))
    assert "Still Here" in employed and "Leaving Soon" in employed
    assert "Gone Away" not in employed
    assert _names(hr_client.get(URL, {"status": "left"})) == ["Gone Away"]
    assert "Gone Away" in _names(hr_client.get(URL, {"status": "all"}))


def test_unknown_status_falls_back_to_employed(hr_client, user_factory):
    user_factory(
        first_name="Gone", last_name="Away", end_date=date(2020, 1, 1), hire_date=date(2019, 1, 1)
    )
    response = hr_client.get(URL, {"status": "<script>"})
    assert response.status_code == 200
    assert response.context["filters"].status == "employed"
    assert "Gone Away" not in _names(response)


def test_operator_accounts_without_employee_id_are_not_listed(hr_client, user_factory):
    user_factory(first_name="Ops", last_name="Robot", employee_id=None)
    assert "Ops Robot" not in _names(hr_client.get(URL, {"status": "all"}))


def test_paginates_fifty_a_page_and_keeps_filters_in_links(hr_client, user_factory):
    for i in range(55):
        user_factory(first_name="Sam", last_name=f"Member{i:02d}", department="Finance")
    first = hr_client.get(URL, {"department": "Finance"})
    assert len(_names(first)) == 50
    assert "department=Finance&amp;page=2" in first.content.decode()
    second = hr_client.get(URL, {"department": "Finance", "page": 2})
    assert len(_names(second)) == 5
    assert "<strong>55</strong> people match these filters" in second.content.decode()


def test_each_page_holds_the_next_fifty_in_name_order(hr_client, user_factory):
    """Pages are read by ids first (people.selectors.on_page): same people, same order."""
    # Same last names, so the first name and then the id decide; some have left.
    for i in range(120):
        user_factory(
            first_name=f"Sam{i % 7}",
            last_name=f"Member{i % 11:02d}",
            department="Finance",
            end_date=date(2024, 1, 1) if i % 13 == 0 else None,
        )
    seen = []
    for number in (1, 2, 3):
        response = hr_client.get(URL, {"department": "Finance", "page": number})
        assert _page_number(response) == number
        seen += _ids(response)
    employed = sorted(
        (p for p in User.objects.filter(department="Finance") if p.end_date is None),
        key=lambda p: (p.last_name, p.first_name, p.pk),
    )
    assert seen == [p.pk for p in employed]
    assert len(seen) == 120 - 10
    assert _ids(hr_client.get(URL, {"q": "nobody-has-this"})) == []


def test_query_count_does_not_grow_with_the_directory(hr_client, user_factory):
    manager = user_factory(first_name="Boss", last_name="Person")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert hr_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        user_factory(manager=manager, department="Sales", location="Paris")
    small = count_queries()
    for i in range(40):
        user_factory(manager=manager, department=f"Dept{i}", location=f"Town{i}")
    assert count_queries() == small
    assert small <= 12


def test_htmx_request_gets_only_the_results_partial(hr_client, user_factory):
    user_factory(first_name="Ana", last_name="Lee")
    response = hr_client.get(URL, {"q": "ana"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ana Lee" in body
    assert "<html" not in body and 'role="search"' not in body


def test_wrong_method_is_refused(hr_client):
    assert hr_client.post(URL).status_code == 405


def test_participant_gets_404(participant_client):
    assert participant_client.get(URL).status_code == 404


def test_program_admin_gets_404(client, user_factory):
    from programs.models import Program

    admin = user_factory()
    activate_totp(admin)
    Program.objects.create(name="Eng", slug="eng").admins.add(admin)
    client.force_login(admin)
    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_hr_without_two_factor_is_sent_to_set_it_up(client, user_factory):
    client.force_login(user_factory(is_hr=True))
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_can_open_the_directory(client, user_factory):
    staff = user_factory(is_staff=True)
    activate_totp(staff)
    client.force_login(staff)
    assert client.get(URL).status_code == 200
