"""The retention page's report cached rendered (reports.retention_views): a cached page reads
no figure and no report, every change made the way the product makes it shows on the next
request, each viewer's scope, day and time zone has its own entry, bad parameters give the
same errors as before, and without a reachable cache the page is still served."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import retention_views
from tests.conftest import activate_totp, make_user
from tests.reports import test_retention_cache, test_retention_pages
from tests.reports.retention_directory import (
    AS_OF,
    directory_fixture,  # noqa: F401 (the "directory" fixture)
    report_html,
)

# Fixtures of the neighbouring modules, by name.
world = test_retention_cache.world
hr_user = test_retention_pages.hr_user
eng_admin = test_retention_pages.eng_admin
sales_admin = test_retention_pages.sales_admin
CHANGES = test_retention_cache.CHANGES

PAGE = reverse("reports:retention")
UNREACHABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


def uncached(client, params=None):
    """The page as computed from the database alone: the cache cannot be reached."""
    with override_settings(CACHES=UNREACHABLE):
        response = client.get(PAGE, params or {})
    assert response.status_code == 200
    return response


def no_reports(*args, **kwargs):
    raise AssertionError("a cached page reads no report")


def test_a_cached_page_reads_no_figure_and_no_report(client, hr_user, directory, monkeypatch):
    client.force_login(hr_user)
    params = {"as_of": AS_OF.isoformat()}
    expected = report_html(uncached(client, params))
    with CaptureQueriesContext(connection) as cold:
        first = client.get(PAGE, params)
    monkeypatch.setattr(retention_views, "scoped_reports", no_reports)
    with CaptureQueriesContext(connection) as warm:
        second = client.get(PAGE, params)
    assert first.status_code == second.status_code == 200
    assert report_html(second) == report_html(first) == expected
    assert len(warm.captured_queries) < len(cold.captured_queries)
    assert not [q for q in warm.captured_queries if "matching_match" in q["sql"]]
    assert "Every program and cohort" in report_html(second)


@pytest.mark.parametrize(
    ("change", "figures_change", "bumps"), CHANGES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_change_shows_on_the_next_request(change, figures_change, bumps, world):
    """Each way the product changes what the report is computed from (the directory import,
    the Django admin, services, single-row saves): the next page is the one computed afresh."""
    act = change(world)
    params = {"as_of": AS_OF.isoformat()}
    before = report_html(world.client.get(PAGE, params))
    assert report_html(world.client.get(PAGE, params)) == before  # from the cache
    act()
    after = report_html(world.client.get(PAGE, params))
    assert after == report_html(uncached(world.client, params))
    if change.__name__ in ("rename_cohort_in_admin", "create_cohort", "delete_cohort_in_admin"):
        assert after != before


def test_each_viewer_sees_their_own_scope(client, hr_user, eng_admin, sales_admin, directory):
    params = {"as_of": AS_OF.isoformat()}
    client.force_login(hr_user)
    everything = report_html(client.get(PAGE, params))
    assert "Every program and cohort" in everything and "Sales" in everything
    client.force_login(eng_admin)
    response = client.get(PAGE, params)
    assert report_html(response) == report_html(uncached(client, params)) != everything
    assert b"Sales" not in response.content
    assert "Programs and cohorts" in report_html(response)
    # The same program selected by HR and by its admin: only the heading differs, by role.
    eng = report_html(client.get(PAGE, {**params, "program": "eng"}))
    client.force_login(hr_user)
    assert report_html(client.get(PAGE, {**params, "program": "eng"})) == eng
    # An admin given another program sees it at once (no version covers who runs what).
    directory["programs"][1].admins.add(eng_admin)
    client.force_login(eng_admin)
    response = client.get(PAGE, params)
    assert "Sales" in report_html(response)
    assert report_html(response) == report_html(uncached(client, params))


def test_bad_parameters_give_the_same_errors_with_a_warm_cache(
    client, hr_user, eng_admin, sales_admin, directory
):
    client.force_login(hr_user)
    assert client.get(PAGE).status_code == 200
    assert client.get(PAGE, {"as_of": AS_OF.isoformat()}).status_code == 200
    assert client.get(PAGE, {"program": "nope"}).status_code == 404
    assert client.get(PAGE, {"cohort": "nope"}).status_code == 404
    response = client.get(PAGE, {"as_of": "yesterday"})
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"] == ["Enter a date as YYYY-MM-DD."]
    assert "Fix the date above to see the figures." in response.content.decode()
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.get(PAGE, {"as_of": tomorrow})
    assert "cannot be in the future" in response.content.decode()
    assert "Every program and cohort" not in response.content.decode()
    client.force_login(eng_admin)
    assert client.get(PAGE, {"as_of": AS_OF.isoformat()}).status_code == 200
    assert client.get(PAGE, {"program": "sales"}).status_code == 404
    assert client.get(PAGE, {"cohort": directory["cohorts"][2].slug}).status_code == 404
    # Parameters the page does not read change nothing (the same entry).
    response = client.get(PAGE, {"as_of": AS_OF.isoformat(), "utm": "x"})
    assert response.status_code == 200 and "sections" not in response.context


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_the_default_day_follows_the_clock_and_the_time_zone(client, hr_user, directory):
    client.force_login(hr_user)
    with at(datetime(2026, 6, 30, 20, 0, tzinfo=UTC)):
        utc = report_html(client.get(PAGE))
        assert "As of 30 Jun 2026" in utc
    with at(datetime(2026, 7, 1, 9, 0, tzinfo=UTC)):
        next_day = report_html(client.get(PAGE))
        assert "As of 1 Jul 2026" in next_day
        assert next_day == report_html(uncached(client))
    # Someone in Auckland at 20:00 UTC on 30 June is already on 1 July.
    hr_user.timezone = "Pacific/Auckland"
    hr_user.save()
    with at(datetime(2026, 6, 30, 20, 0, tzinfo=UTC)):
        auckland = report_html(client.get(PAGE))
        assert "As of 1 Jul 2026" in auckland
        assert auckland == report_html(uncached(client))


def test_without_a_reachable_cache_the_page_is_served(client, directory):
    hr = make_user(email="hana.hr@example.com", is_hr=True, hire_date=date(2026, 4, 1))
    activate_totp(hr)
    client.force_login(hr)
    params = {"as_of": AS_OF.isoformat()}
    response = uncached(client, params)
    assert "Every program and cohort" in report_html(response)
    assert report_html(response) == report_html(client.get(PAGE, params))
