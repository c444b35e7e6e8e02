"""The retention reports cached in Redis (reports/retention_cache.py): a cached page reads no
figure from the database, and every way the data can change makes the next read compute
afresh. Each change is made the way the product makes it (the directory import, the Django
admin, the services, the signals of a single-row write), then the cached reports must equal
reports computed without the cache, and the bump must be repeated once the change commits."""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import partial
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.models import Match
from matching.services import match_end, matches_publish
from mentorship.cache_versions import DIRECTORY, PARTICIPATION, VERSION_SECONDS, bump, versions
from people.directory_import import COLUMNS, directory_file_preview, directory_import_apply
from people.models import User
from people.services import leavers_deactivate
from privacy.services import person_erase
from programs.models import Enrollment
from programs.services.programs import cohort_create, cohort_update, program_update
from reports.exports import write_retention_summary_csv
from reports.retention import retention_reports
from reports.retention_cache import cached_retention_reports
from tests.admin_forms import admin_form_data
from tests.conftest import activate_totp, make_user
from tests.programs.fixtures import make_enrollment
from tests.reports.retention_directory import (
    AS_OF,
    S_A,
    cohort_on,
    directory_fixture,  # noqa: F401 (the "directory" fixture)
    match,
    person,
    report_html,
)

PAGE = reverse("reports:retention")
CSV = reverse("reports:retention_csv")


def stamp() -> tuple[int, ...]:
    return versions(DIRECTORY, PARTICIPATION)


def cached():
    return cached_retention_reports(as_of=AS_OF)


def fresh():
    return retention_reports(as_of=AS_OF)


def csv_rows(reports) -> list[list[str]]:
    out = io.StringIO(newline="")
    write_retention_summary_csv(out, reports)
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


# --- Reading from the cache ------------------------------------------------------------------


@pytest.fixture
def hr_client(client, directory):
    hr = make_user(email="hana.hr@example.com", is_hr=True, hire_date=date(2026, 4, 1))
    activate_totp(hr)
    client.force_login(hr)
    return client


def test_a_cached_page_reads_no_figure_from_the_database(hr_client):
    with CaptureQueriesContext(connection) as cold:
        first = hr_client.get(PAGE, {"as_of": AS_OF.isoformat()})
    with CaptureQueriesContext(connection) as warm:
        second = hr_client.get(PAGE, {"as_of": AS_OF.isoformat()})
    assert first.status_code == second.status_code == 200
    assert report_html(second) == report_html(first)
    assert "sections" not in second.context  # the report, rendered, came from the cache
    # The three queries of load_retention_data are the figures: none when cached.
    assert len(warm.captured_queries) == len(cold.captured_queries) - 3
    figures = [q["sql"] for q in warm.captured_queries if "matching_match" in q["sql"]]
    assert figures == []
    # The CSV and the command reuse the page's entry: same figures, no query for them.
    with CaptureQueriesContext(connection) as download:
        response = hr_client.get(CSV, {"as_of": AS_OF.isoformat()})
    assert not [q for q in download.captured_queries if "matching_match" in q["sql"]]
    out = io.StringIO()
    call_command("export_retention", "--as-of", AS_OF.isoformat(), stdout=out)
    assert response.content == out.getvalue().encode("utf-8")


def test_each_scope_and_date_has_its_own_entry(directory):
    eng, sales = directory["programs"]
    assert cached_retention_reports(as_of=AS_OF, program_ids=[eng.id]) == retention_reports(
        as_of=AS_OF, program_ids=[eng.id]
    )
    assert cached_retention_reports(as_of=AS_OF, program_ids=[sales.id]) == retention_reports(
        as_of=AS_OF, program_ids=[sales.id]
    )
    earlier = date(2025, 1, 1)
    assert cached_retention_reports(as_of=earlier) == retention_reports(as_of=earlier)
    assert cached() == fresh() != retention_reports(as_of=earlier)
    assert cached_retention_reports(as_of=AS_OF, include_all=False) == retention_reports(
        as_of=AS_OF, include_all=False
    )


def test_without_a_reachable_cache_the_reports_are_computed(directory, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    assert cached() == fresh()


def test_a_version_missing_from_the_cache_is_new(db):
    """A namespace evicted (or Redis restarted empty) must not start again at a version that
    entries still in the cache were stored under."""
    from django.core.cache import cache

    first = stamp()
    bump(DIRECTORY)
    assert stamp() == (first[0] + 1, first[1])
    cache.delete_many(["data-version:directory", "data-version:participation"])
    again = stamp()
    assert again[0] > first[0] + 1 and again[1] > first[1]
    # So a version may expire (every test's key space would otherwise stay in Redis).
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert 0 < client.ttl(cache.make_key("data-version:directory")) <= VERSION_SECONDS
    client.close()


# --- Every change invalidates ----------------------------------------------------------------


def admin_user() -> User:
    """Someone who acts, outside the directory (so in no comparison group)."""
    return make_user(email="admin@example.com", employee_id=None, hire_date=None)


@pytest.fixture
def world(client, directory):
    """The directory, a staff member signed in to the Django admin and a program admin, made
    before the figures are first cached (creating people bumps the directory's version)."""
    boss = make_user(
        email="root@example.com", is_staff=True, is_superuser=True, employee_id=None, hire_date=None
    )
    activate_totp(boss)
    client.force_login(boss)
    return SimpleNamespace(client=client, admin=admin_user(), **directory)


def admin_save(world, url: str, **changes) -> None:
    """Change fields in a Django admin form as a person would, and save."""
    data = admin_form_data(world.client.get(url).context["adminform"].form)
    data.update({k: v.isoformat() if isinstance(v, date) else str(v) for k, v in changes.items()})
    response = world.client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors


def admin_edit_user(world, user: User, **changes):
    return partial(
        admin_save, world, reverse("admin:people_user_change", args=[user.pk]), **changes
    )


# Each change prepares what it needs (before the figures are cached) and returns the change.


def import_directory(world):
    """Three new employees, hired before every cohort and never matched: comparison grows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for i in range(3):
        writer.writerow(
            {
                "employee_id": f"NEW{i}",
                "email": f"new{i}@example.com",
                "first_name": "New",
                "last_name": f"Hire{i}",
                "department": "Engineering",
                "level": "2",
                "timezone": "Europe/Berlin",
                "hire_date": "2019-06-01",
            }
        )
    stored, plan = directory_file_preview(
        data=out.getvalue().encode(), filename="new.csv", user=None, today=AS_OF
    )
    assert not plan.errors, plan.errors

    def apply():
        assert directory_import_apply(directory_import=stored, user=None, today=AS_OF).applied

    return apply


def edit_hire_date(world):
    # c3 was hired the day after cohort A's start; now before it: in A's comparison.
    return admin_edit_user(world, world.people["c3"], hire_date=date(2020, 1, 1))


def edit_end_date(world):
    return admin_edit_user(world, world.people["m6"], end_date=date(2024, 7, 1))


def edit_department(world):
    return admin_edit_user(world, world.people["c1"], department="Sales")


def edit_level(world):
    return admin_edit_user(world, world.people["m1"], level=7)


def save_end_date(world):
    # A single-row save outside the admin (a service, a shell).
    def save():
        someone = world.people["r1"]
        someone.end_date = date(2024, 6, 30)
        someone.save()

    return save


def hire_one(world):
    return partial(person, "newcomer", hire=date(2019, 1, 1))


def deactivate_leavers(world):
    def deactivate():
        assert leavers_deactivate(today=AS_OF) > 0

    return deactivate


def create_cohort(world):
    return partial(
        cohort_create, program=world.programs[0], slug="eng-2026-05", name="D 2026",
        application_opens=date(2025, 1, 1), application_closes=date(2025, 6, 1),
        starts_on=date(2026, 5, 1), ends_on=date(2027, 5, 1),
    )  # fmt: skip


def move_cohort_start(world):
    return partial(cohort_update, cohort=world.cohorts[0], starts_on=date(2024, 2, 1))


def rename_cohort_in_admin(world):
    url = reverse("admin:programs_cohort_change", args=[world.cohorts[1].pk])
    return partial(admin_save, world, url, name="B 2025 (renamed)")


def delete_cohort_in_admin(world):
    url = reverse("admin:programs_cohort_delete", args=[world.cohorts[1].pk])

    def delete():
        assert world.client.post(url, {"post": "yes"}).status_code == 302

    return delete


def rename_program(world):
    eng = world.programs[0]
    return partial(
        program_update, program=eng, name="Engineering mentoring", description="", kind=eng.kind
    )


def publish_matches(world):
    c = world.cohorts[2]
    match(c, person("late mentee"), person("late mentor"), status="proposed")
    return partial(matches_publish, cohort=c, user=world.admin)


def accept_request(world):
    # A mentor accepting a request creates an active match directly.
    c = world.cohorts[2]
    mentee = make_enrollment(cohort=c, person=person("chosen"))
    mentor = Enrollment.objects.get(cohort=c, person=world.people["u1"])
    return partial(Match.objects.create, cohort=c, mentee=mentee, mentor=mentor, status="active")


def end_match(world):
    active = Match.objects.filter(cohort=world.cohorts[0], status="active").first()
    return partial(match_end, match=active, user=world.admin, reason="Moved team")


def delete_match(world):
    return Match.objects.filter(cohort=world.cohorts[2]).first().delete


def delete_enrollment(world):
    # Its matches go with it.
    return Enrollment.objects.get(cohort=world.cohorts[0], person=world.people["m3"]).delete


def enrol_in_place_of(world):
    # An enrolment moved to another person: the match now names them.
    enrollment = Enrollment.objects.get(cohort=world.cohorts[0], person=world.people["m2"])

    def move():
        enrollment.person = world.people["c1"]
        enrollment.save()

    return move


def erase_leaver(world):
    leaver = world.people["m2"]  # left 2024-07-31
    return partial(
        person_erase, person=leaver, by=None, reason="Asked to be forgotten",
        confirmation=leaver.email, today=AS_OF,
    )  # fmt: skip


# (change, do the figures change?, must it bump?)
CHANGES = [
    (import_directory, True, True),
    (edit_hire_date, True, True),
    (edit_end_date, True, True),
    (edit_department, True, True),
    (edit_level, True, True),
    (save_end_date, True, True),
    (hire_one, True, True),
    (deactivate_leavers, False, True),
    (create_cohort, True, True),
    (move_cohort_start, True, True),
    (rename_cohort_in_admin, True, True),
    (delete_cohort_in_admin, True, True),
    (rename_program, True, True),
    (publish_matches, True, True),
    (accept_request, True, True),
    (end_match, False, True),
    (delete_match, True, True),
    (delete_enrollment, True, True),
    (enrol_in_place_of, True, True),
    (erase_leaver, False, False),  # keeps every figure; nothing to invalidate
]


@pytest.mark.parametrize(
    ("change", "figures_change", "bumps"), CHANGES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_change_is_never_served_from_the_cache(
    change, figures_change, bumps, world, django_capture_on_commit_callbacks
):
    act = change(world)
    before = cached()
    assert before == fresh()
    assert cached() is not before  # a second read comes from the cache (unpickled)
    start = stamp()
    with django_capture_on_commit_callbacks() as callbacks:
        act()
        during = stamp()
        after = cached()  # inside the transaction: the change is visible and so must be used
    assert after == fresh()
    assert (after != before) is figures_change
    assert (during != start) is bumps
    # Once the change commits the versions move again, so whatever a reader stored between
    # the change and the commit (from the rows as they were) is never read.
    bumps_after_commit = [
        c
        for c in callbacks
        if isinstance(c, partial) and c.func is bump and {DIRECTORY, PARTICIPATION} & set(c.args)
    ]
    for callback in bumps_after_commit:
        callback()
    assert bool(bumps_after_commit) is bumps
    assert (stamp() != during) is bumps
    assert cached() == fresh()


def test_a_change_then_the_page_and_the_csv_show_it(hr_client, directory):
    params = {"as_of": AS_OF.isoformat()}
    hr_client.get(PAGE, params)
    rows_before = csv_rows(cached())
    someone = directory["people"]["r1"]
    someone.end_date = date(2024, 6, 30)
    someone.save()
    page = hr_client.get(PAGE, params)
    download = hr_client.get(CSV, params)
    rows_after = list(csv.reader(io.StringIO(download.content.decode(), newline="")))
    assert rows_after == csv_rows(fresh()) != rows_before
    assert page.context["sections"][0][0] == fresh()[-1]  # all programs, recomputed


def test_what_no_figure_reads_does_not_invalidate(directory):
    """Signing in (last_login), a job title, intake answers, the drafts of a matching run:
    the cache stays."""
    someone = directory["people"]["c1"]
    cohort = directory["cohorts"][2]
    mentee = make_enrollment(cohort=cohort, person=person("draft mentee"))
    mentor = make_enrollment(cohort=cohort, person=person("draft mentor"), role="mentor")
    enrollment = make_enrollment(cohort=cohort, person=person("applicant"), status="applied")
    start = stamp()
    someone.last_login = someone.date_joined
    someone.save(update_fields=["last_login"])
    someone.title = "Principal engineer"
    someone.save()  # a full save that changes nothing figures read: one SELECT, no bump
    draft = Match.objects.create(cohort=cohort, mentee=mentee, mentor=mentor, status="proposed")
    draft.delete()
    enrollment.goals = "Learn to lead"
    enrollment.save(update_fields=["goals", "updated_at"])
    assert stamp() == start


def test_a_cohort_deleted_bumps_once_not_once_a_row(directory, django_capture_on_commit_callbacks):
    cohort = cohort_on(directory["programs"][0], S_A.replace(year=2023), "Old")
    for i in range(6):
        match(cohort, person(f"x{i}"), person(f"y{i}"))
    with django_capture_on_commit_callbacks() as callbacks:
        cohort.delete()
    assert len([c for c in callbacks if isinstance(c, partial) and c.func is bump]) == 1
