"""Retention pages: permissions, the as-of filter, the chart's text table, suppression, the CSV
download (the same bytes as export_retention) and a query count that does not grow."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Meeting, PrivateNote
from tests.conftest import activate_totp, make_user
from tests.programs.fixtures import make_program
from tests.reports.retention_directory import (
    AS_OF,
    HEADER,
    cohort_on,
    directory_fixture,  # noqa: F401 (the "directory" fixture)
    expected_rows,
    match,
    person,
)

PAGE = reverse("reports:retention")
CSV = reverse("reports:retention_csv")
SECRET = "SECRET-the-reorg-is-coming"


def page(client, **params):
    return client.get(PAGE, params)


def command_bytes(*args) -> bytes:
    out = io.StringIO()
    call_command("export_retention", *args, stdout=out)
    return out.getvalue().encode("utf-8")


# Hired after every cohort start, so the viewers are in no comparison group.
HIRED_LATER = date(2026, 4, 1)


@pytest.fixture
def hr_user(db):
    user = make_user(email="hana.hr@example.com", is_hr=True, hire_date=HIRED_LATER)
    activate_totp(user)
    return user


@pytest.fixture
def eng_admin(directory):
    user = make_user(email="erin.eng@example.com", first_name="Erin", hire_date=HIRED_LATER)
    activate_totp(user)
    directory["programs"][0].admins.add(user)
    return user


@pytest.fixture
def sales_admin(directory):
    user = make_user(email="sam.sales@example.com", first_name="Sam", hire_date=HIRED_LATER)
    activate_totp(user)
    directory["programs"][1].admins.add(user)
    return user


# --- Permissions ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, directory):
    for target in (PAGE, CSV):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_hr_sees_every_program_all_programs_first(client, hr_user, directory):
    client.force_login(hr_user)
    response = page(client, as_of=AS_OF.isoformat())
    assert response.status_code == 200
    sections = response.context["sections"]
    assert [total.scope for total, _ in sections] == ["all", "program", "program"]
    assert [total.program_name for total, _ in sections[1:]] == ["Engineering", "Sales"]
    assert [c.cohort_name for c in sections[1][1]] == ["A 2024", "B 2025"]
    assert response.context["selected"].scope == "all"
    assert page(client, program="sales", as_of=AS_OF.isoformat()).status_code == 200
    assert page(client, program="nope").status_code == 404


def test_program_admin_sees_only_their_programs(client, eng_admin, sales_admin, directory):
    client.force_login(eng_admin)
    response = page(client, as_of=AS_OF.isoformat())
    assert response.status_code == 200
    sections = response.context["sections"]
    assert [total.program_name for total, _ in sections] == ["Engineering"]
    assert response.context["selected"].scope == "program"
    assert b"Sales" not in response.content
    assert page(client, program="eng").status_code == 200
    assert page(client, program="sales").status_code == 404
    assert page(client, cohort=directory["cohorts"][2].slug).status_code == 404
    assert client.get(CSV, {"program": "sales"}).status_code == 404
    client.force_login(sales_admin)
    assert page(client, program="eng").status_code == 404
    assert page(client, cohort=directory["cohorts"][0].slug).status_code == 404


def test_participants_and_outsiders_get_404(client, directory):
    for someone in (directory["people"]["m1"], make_user(email="out@example.com")):
        client.force_login(someone)
        assert page(client).status_code == 404
        assert client.get(CSV).status_code == 404


# --- The as-of date ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-13-01", "30/06/2026", "yesterday"])
def test_invalid_as_of_is_an_error_on_the_field(client, hr_user, directory, value):
    client.force_login(hr_user)
    response = page(client, as_of=value)
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"] == ["Enter a date as YYYY-MM-DD."]
    html = response.content.decode()
    assert 'id="id_as_of_error"' in html and 'aria-describedby="id_as_of_error"' in html
    assert "Enter a date as YYYY-MM-DD." in html
    assert "sections" not in response.context
    assert client.get(CSV, {"as_of": value}).status_code == 400


def test_future_as_of_is_an_error(client, hr_user, directory):
    client.force_login(hr_user)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = page(client, as_of=tomorrow.isoformat())
    assert response.status_code == 200
    (error,) = response.context["form"].errors["as_of"]
    assert "cannot be in the future" in error
    assert "cannot be in the future" in response.content.decode()


def test_as_of_defaults_to_today_and_is_shown(client, hr_user, directory):
    client.force_login(hr_user)
    response = page(client)
    assert response.context["as_of"] == timezone.localdate()
    response = page(client, as_of=AS_OF.isoformat())
    assert response.context["as_of"] == AS_OF
    assert "30 Jun 2026" in response.content.decode()


# --- What the page shows -------------------------------------------------------------------


def test_cohort_page_shows_method_rates_chart_table_and_comparison(client, hr_user, directory):
    client.force_login(hr_user)
    a = directory["cohorts"][0]
    response = page(client, cohort=a.slug, as_of=AS_OF.isoformat())
    assert response.status_code == 200
    html = response.content.decode()
    selected = response.context["selected"]
    assert selected.cohort_slug == a.slug
    assert selected.method in html
    # A 2024 mentees: 6m 5 of 6, 12m 3 of 6, 24m 2 of 6 (worked out in retention_directory).
    assert '83.3% <span class="muted">(5 of 6)</span>' in html
    assert "(3 of 6)" in html and "(2 of 6)" in html
    # One chart with three step lines and a legend with the group sizes.
    assert html.count("<svg") == 1
    assert html.count("<path d=") == 3
    assert "Mentees, 6 people" in html and "Comparison (never matched), 7 people" in html
    assert "Months since the cohort start" in html
    # The text alternative: survival at 0, 3, 6, 12, 18, 24 months per group.
    rows = response.context["survival_rows"]
    assert [label for label, _, _ in rows] == [
        "Mentees",
        "Mentors",
        "Comparison (never matched)",
    ]
    mentees = rows[0][2]
    assert [c.text for c in mentees][:2] == ["100.0%", "100.0%"]
    assert len(mentees) == 6
    assert "Share still employed, read from the curves" in html
    # Participants vs comparison: 12-month difference with its interval, and a log-rank p.
    verdict = response.context["verdict"]
    assert verdict["diff"] is not None and verdict["test"] is not None
    assert "95% interval" in html and "log-rank test: p =" in html
    assert "The difference could be chance" in html


def test_program_admin_default_is_their_program_with_chart(client, eng_admin, directory):
    client.force_login(eng_admin)
    response = page(client, as_of=AS_OF.isoformat())
    assert response.context["selected"].program_slug == "eng"
    assert response.content.decode().count("<svg") == 1


def test_small_groups_are_suppressed_everywhere(client, hr_user, directory):
    client.force_login(hr_user)
    b = directory["cohorts"][1]
    response = page(client, cohort=b.slug, as_of=AS_OF.isoformat())
    html = response.content.decode()
    # B 2025 mentors: 2 people, no rate and no curve.
    mentors = {label: cells for label, _, cells in response.context["survival_rows"]}
    assert {c.text for c in mentors["Mentors"]} == {"fewer than 5"}
    assert "Mentors, 2 people (fewer than 5 or not started: not drawn)" in html
    assert html.count("<path d=") == 2
    # Breakdowns: the level breakdown of B's mentors and the small departments are suppressed.
    cells = [c for c, _ in response.context["by_department"]] + [
        c for c, _ in response.context["by_level"]
    ]
    assert any(c.suppressed for c in cells)
    for cell in cells:
        if cell.suppressed:
            assert cell.headcount is None
    assert "fewer than 5" in html
    # "not yet observable": B's 12 and 24 months are after the as-of date.
    assert "not yet observable" in html


def test_breakdown_cell_under_five_shows_fewer_than_five(client, hr_user, directory):
    client.force_login(hr_user)
    # Sales cohort C: five mentees in Sales, one mentor (Sales), three comparison people.
    response = page(client, cohort=directory["cohorts"][2].slug, as_of=AS_OF.isoformat())
    by_department = response.context["by_department"]
    mentor_cells = [c for c, label in by_department if c.group == "mentors"]
    assert mentor_cells and all(c.suppressed for c in mentor_cells)
    mentee_cells = [c for c, label in by_department if c.group == "mentees"]
    assert [(c.value, c.headcount) for c in mentee_cells] == [("Sales", 5)]
    html = response.content.decode()
    table = html[html.index('id="department-heading"') : html.index('id="level-heading"')]
    assert "fewer than 5" in table


def test_no_note_text(client, hr_user, directory):
    a = directory["cohorts"][0]
    m = a.matches.filter(status="active").first()
    meeting = Meeting.objects.create(
        match=m,
        organizer=m.mentee.person,
        starts_at=timezone.now() - timedelta(days=3),
        agenda=f"Agenda {SECRET}",
    )
    PrivateNote.objects.create(meeting=meeting, author=m.mentor.person, text=SECRET)
    CheckIn.objects.create(
        meeting=meeting,
        match=m,
        author=m.mentee.person,
        discussed=SECRET,
        next_steps=SECRET,
        usefulness=4,
    )
    client.force_login(hr_user)
    for params in ({}, {"cohort": a.slug}, {"program": "eng"}):
        response = page(client, as_of=AS_OF.isoformat(), **params)
        assert SECRET not in response.content.decode()
    assert SECRET.encode() not in client.get(CSV).content


# --- The CSV -------------------------------------------------------------------------------


def test_csv_equals_the_command_for_hr(client, hr_user, directory):
    client.force_login(hr_user)
    response = client.get(CSV, {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="retention-2026-06-30.csv"'
    assert response.content == command_bytes("--as-of", AS_OF.isoformat())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert rows == [HEADER, *expected_rows()]


def test_csv_for_one_program_equals_the_command(client, hr_user, directory):
    client.force_login(hr_user)
    response = client.get(CSV, {"program": "eng", "as_of": AS_OF.isoformat()})
    assert 'filename="retention-eng-2026-06-30.csv"' in response["Content-Disposition"]
    assert response.content == command_bytes("--program", "eng", "--as-of", AS_OF.isoformat())


def test_program_admin_csv_has_only_their_programs(client, eng_admin, directory):
    client.force_login(eng_admin)
    response = client.get(CSV, {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert rows == [HEADER, *[r for r in expected_rows() if r[0] == "Engineering"]]
    assert response.content == command_bytes("--program", "eng", "--as-of", AS_OF.isoformat())
    assert not any(r[0] == "All programs" for r in rows)


def test_csv_default_as_of_is_today(client, hr_user, directory):
    client.force_login(hr_user)
    response = client.get(CSV)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="retention-{today}.csv"'
    assert response.content == command_bytes("--as-of", today)


# --- Links and query count -----------------------------------------------------------------


def test_linked_from_the_program_page_and_engagement(client, eng_admin, directory):
    client.force_login(eng_admin)
    response = client.get(reverse("programs:program_manage", args=["eng"]))
    assert PAGE.encode() in response.content
    response = client.get(reverse("reports:engagement"))
    assert PAGE.encode() in response.content
    response = client.get(reverse("reports:engagement_program", args=["eng"]))
    assert PAGE.encode() in response.content


def _cohorts(program, n, start_year):
    for i in range(n):
        cohort = cohort_on(program, date(start_year + i, 3, 1), f"Cohort {start_year + i}")
        for _ in range(2):
            match(cohort, person("mentee"), person("mentor"))


def test_query_count_does_not_grow_with_cohorts(
    client, hr_user, db, django_assert_num_queries, django_assert_max_num_queries
):
    program = make_program(name="Growth", slug="growth")
    _cohorts(program, 2, 2018)
    client.force_login(hr_user)
    with django_assert_max_num_queries(30) as small:
        assert page(client).status_code == 200
    _cohorts(program, 4, 2020)
    with django_assert_num_queries(len(small.captured_queries)):
        response = page(client)
    assert len(response.context["sections"][1][1]) == 6
    with django_assert_num_queries(len(small.captured_queries)):
        page(client, program="growth")


def test_choosing_another_program_drops_the_cohort(client, hr_user, directory):
    client.force_login(hr_user)
    a = directory["cohorts"][0]
    response = page(client, cohort=a.slug, program="sales", as_of=AS_OF.isoformat())
    assert response.status_code == 200
    assert response.context["selected"].scope == "program"
    assert response.context["selected"].program_slug == "sales"
    response = page(client, cohort=a.slug, program="eng", as_of=AS_OF.isoformat())
    assert response.context["selected"].cohort_slug == a.slug
    html = response.content.decode()
    assert f'name="cohort" value="{a.slug}"' in html and 'value="2026-06-30"' in html


def test_hr_gets_links_to_the_participant_exports_and_admins_do_not(client, hr_user, eng_admin):
    from django.urls import reverse

    exports = [
        reverse("report_exports:participants_csv"),
        reverse("report_exports:participants_xlsx"),
    ]
    client.force_login(hr_user)
    page = client.get(reverse("reports:retention")).content.decode()
    assert all(url in page for url in exports)
    client.force_login(eng_admin)
    page = client.get(reverse("reports:retention")).content.decode()
    assert not any(url in page for url in exports)
