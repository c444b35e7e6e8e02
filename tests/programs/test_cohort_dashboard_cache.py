"""The cohort dashboard's summary and participant list are cached as rendered HTML
(programs.dashboard): every way the product changes what they show appears on the next
request, a cached request costs fewer queries, and nobody sees a cohort they may not open."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Enrollment
from programs.services.enrollment import NewEnrollment, enrollments_invite
from programs.services.participation import enrollment_intake_update, enrollment_withdraw
from programs.services.programs import cohort_update, enrollments_decide, topic_rename
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db

# A port nothing listens on: every call to the cache is refused at once.
UNREACHABLE = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}


def url(cohort, **params) -> str:
    path = reverse("programs:cohort_dashboard", kwargs={"slug": cohort.slug})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def row(body: str, name: str) -> str:
    """The participant list's row of the person named ``name`` ("" when not listed)."""
    for tr in re.findall(r"<tr(?: class=\"left\")?>\s*<td><strong>.*?</tr>", body, re.S):
        if f"<strong>{name}</strong>" in tr:
            return tr
    return ""


def status(body: str, name: str) -> str:
    found = re.search(r'<span class="pill[^"]*">([^<]+)</span>', row(body, name))
    return found.group(1) if found else ""


def without_token(body: str) -> str:
    """The page without its CSRF tokens (masked anew in every response)."""
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def counts_row(body: str, label: str) -> list[str]:
    """The cells of the "By role and status" table's row ``label`` (Mentor, Mentee, All)."""
    found = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', body, re.S)
    return re.findall(r">(\d+)<", found.group(1)) if found else []


@pytest.fixture
def page(admin_client, cohort):
    def get(**params) -> str:
        response = admin_client.get(url(cohort, **params))
        assert response.status_code == 200
        return response.content.decode()

    return get


def _person(first: str, last: str, **extra):
    return make_user(first_name=first, last_name=last, **extra)


def test_invitations_in_bulk_show_on_the_next_request(page, cohort, program_admin):
    make_enrollment(cohort=cohort, person=_person("Ann", "Early"))
    ivo = _person("Ivo", "Invited")  # before the page is cached: a new person bumps a version
    before = page()
    assert without_token(page()) == without_token(before)  # from the cache
    assert not row(before, "Ivo Invited")
    enrollments_invite(
        cohort=cohort,
        new=[NewEnrollment(person=ivo, role="mentee")],
        source=Enrollment.Source.DIRECTORY,
        invited_by=program_admin,
    )
    after = page()
    assert status(after, "Ivo Invited") == "Invited"
    assert "<strong>2</strong> people in the cohort" in after
    assert status(page(status="invited"), "Ivo Invited") == "Invited"


def test_invitations_from_the_enrol_view_show(admin_client, page, cohort):
    person = _person("Vera", "Viewed")
    page()
    response = admin_client.post(
        reverse("programs:cohort_enroll", kwargs={"slug": cohort.slug}),
        {"person": [person.pk], "role": "mentee"},
    )
    assert response.status_code == 302
    assert status(page(), "Vera Viewed") == "Invited"


@pytest.mark.parametrize("accept", [True, False])
def test_decisions_on_applications_show(page, cohort, program_admin, accept):
    applicant = make_enrollment(cohort=cohort, person=_person("Paula", "Applied"), status="applied")
    before = page()
    assert status(before, "Paula Applied") == "Applied"
    assert "Review applications (1)" in before
    enrollments_decide(
        cohort=cohort, enrollment_ids=[applicant.pk], accept=accept, decided_by=program_admin
    )
    after = page()
    assert status(after, "Paula Applied") == ("Accepted" if accept else "Declined")
    assert "Review applications (1)" not in after
    assert "<strong>0</strong> applications waiting" in after


def test_an_invitation_accepted_by_completing_the_intake_shows(page, cohort):
    invited = make_enrollment(cohort=cohort, person=_person("Ines", "Intake"), status="invited")
    before = page()
    assert status(before, "Ines Intake") == "Invited"
    enrollment_intake_update(
        enrollment=invited,
        topics_sought=list(cohort.program.topics.all()[:1]),
        goals="Lead a team",
        languages=["English"],
        preferred_format="either",
    )
    after = page()
    assert status(after, "Ines Intake") == "Accepted"
    assert "Complete</td>" in row(after, "Ines Intake")


def test_a_withdrawal_shows(page, cohort):
    enrollment = make_enrollment(cohort=cohort, person=_person("Wim", "Withdrawn"))
    assert status(page(), "Wim Withdrawn") == "Accepted"
    assert "Nobody matches these filters." in page(status="withdrawn")
    enrollment_withdraw(enrollment=enrollment, reason="New job")
    assert status(page(), "Wim Withdrawn") == "Withdrawn"
    assert status(page(status="withdrawn"), "Wim Withdrawn") == "Withdrawn"


def test_a_withdrawal_from_the_participants_page_shows(page, cohort, participant):
    enrollment = make_enrollment(cohort=cohort, person=participant)
    name = participant.get_full_name()
    assert status(page(), name) == "Accepted"
    participant_client = Client()
    participant_client.force_login(participant)
    response = participant_client.post(
        reverse("programs:withdraw", kwargs={"pk": enrollment.pk}), {"reason": "No time"}
    )
    assert response.status_code == 302
    assert status(page(), name) == "Withdrawn"


def test_a_person_renamed_or_moved_shows(page, cohort):
    person = _person("Rita", "Renamed", department="Sales")
    make_enrollment(cohort=cohort, person=person)
    assert "Sales" in row(page(), "Rita Renamed")
    person.last_name = "Married"
    person.department = "Finance"
    person.save()
    body = page()
    assert not row(body, "Rita Renamed")
    assert "Finance" in row(body, "Rita Married")


def test_a_topic_renamed_shows_in_the_unmet_topics(page, cohort):
    topic = cohort.program.topics.get(name="Negotiation")
    make_enrollment(cohort=cohort).topics_sought.add(topic)
    assert "<strong>Negotiation</strong>: sought by 1 mentee" in page()
    topic_rename(topic=topic, name="Bargaining")
    body = page()
    assert "<strong>Bargaining</strong>: sought by 1 mentee" in body
    assert "Negotiation" not in body


def test_counts_follow_every_change(page, cohort):
    mentee = make_enrollment(cohort=cohort, status="invited")
    # Invited, applied, accepted, declined, withdrawn, completed, and the total.
    assert counts_row(page(), "Mentee") == ["1", "0", "0", "0", "0", "0", "1"]
    enrollment_withdraw(enrollment=mentee, reason="No")
    assert counts_row(page(), "Mentee") == ["0", "0", "0", "0", "1", "0", "1"]


@pytest.mark.parametrize("htmx", [False, True])
def test_a_cached_request_makes_fewer_queries(admin_client, cohort, htmx):
    for _ in range(3):
        make_enrollment(cohort=cohort)
    headers = {"HX-Request": "true"} if htmx else {}

    def get() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url(cohort, role="mentee", page=1), headers=headers)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    first, first_body = get()
    second, second_body = get()
    assert without_token(second_body) == without_token(first_body)
    assert second < first, (first, second)
    # The enrolment, cohort and participant list queries are gone; the session, the user,
    # the access checks and the cohort remain.
    assert second <= 5, second


def test_another_programs_admin_gets_404_even_once_cached(
    admin_client, cohort, other_program_admin
):
    make_enrollment(cohort=cohort, person=_person("Sam", "Secret"))
    assert "Sam Secret" in admin_client.get(url(cohort)).content.decode()
    outsider = Client()
    outsider.force_login(other_program_admin)
    with CaptureQueriesContext(connection):
        assert outsider.get(url(cohort)).status_code == 404
    response = outsider.get(url(cohort), headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert b"Sam Secret" not in response.content


def test_hr_sees_the_same_list_as_the_program_admin(admin_client, hr_user, cohort):
    make_enrollment(cohort=cohort, person=_person("Hal", "Shared"))
    admin_body = admin_client.get(url(cohort, role="mentee")).content.decode()
    hr = Client()
    hr.force_login(hr_user)
    hr_body = hr.get(url(cohort, role="mentee")).content.decode()
    assert status(admin_body, "Hal Shared") == status(hr_body, "Hal Shared") == "Accepted"


def test_each_filter_and_page_has_its_own_entry(page, cohort):
    for i in range(3):
        make_enrollment(cohort=cohort, role="mentor", person=_person(f"M{i}", "Mentor"))
    make_enrollment(cohort=cohort, person=_person("Tess", "Mentee"))
    assert row(page(role="mentee"), "Tess Mentee")
    assert not row(page(role="mentor"), "Tess Mentee")
    assert row(page(role="mentee", page=1), "Tess Mentee")
    assert not row(page(role="mentee", q="nobody"), "Tess Mentee")


def test_a_cohort_edited_shows(page, cohort):
    assert "Spring 2027" in page()
    cohort_update(cohort=cohort, name="Autumn 2027", cadence_days=21)
    body = page()
    assert "<h1>Autumn 2027" in body
    assert "a meeting about every 21 days" in body


def test_an_unreachable_cache_still_serves_the_page(admin_client, cohort):
    make_enrollment(cohort=cohort, person=_person("Una", "Reached"))
    with override_settings(CACHES=UNREACHABLE):
        body = admin_client.get(url(cohort)).content.decode()
        part = admin_client.get(url(cohort), headers={"HX-Request": "true"}).content.decode()
    assert status(body, "Una Reached") == status(part, "Una Reached") == "Accepted"
    assert "<strong>1</strong> person in the cohort" in body


def test_rows_escape_what_people_typed(page, cohort):
    person = _person("<b>Bo</b>", "O'Hara & Co", title='"Lead"', department="R&D")
    make_enrollment(cohort=cohort, person=person, role="mentor", capacity=2, source="csv")
    body = page()
    tr = row(body, "&lt;b&gt;Bo&lt;/b&gt; O&#x27;Hara &amp; Co")
    assert "<b>Bo</b>" not in body
    assert '<td>R&amp;D<br><span class="muted">&quot;Lead&quot;</span></td>' in tr
    assert "<td>2</td>" in tr and "<td>Enrolment file</td>" in tr
    assert '<span class="muted">Missing:</span> topics offered, bio, languages' in tr


def test_an_intake_saved_in_another_cohort_keeps_this_page_cached(admin_client, cohort):
    make_enrollment(cohort=cohort, person=_person("Kay", "Kept"))
    other = make_enrollment(
        cohort=make_cohort(program=cohort.program, name="Other", slug="other"), status="invited"
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url(cohort)).status_code == 200
        return len(ctx.captured_queries)

    queries()
    cached = queries()
    enrollment_intake_update(enrollment=other, goals="Grow", languages=["English"])
    enrollment_withdraw(enrollment=other, reason="Busy")
    assert queries() == cached
    # While a write in this cohort is shown at once.
    enrollment_withdraw(enrollment=Enrollment.objects.get(cohort=cohort), reason="Busy")
    with CaptureQueriesContext(connection) as ctx:
        body = admin_client.get(url(cohort)).content.decode()
    assert len(ctx.captured_queries) > cached
    assert status(body, "Kay Kept") == "Withdrawn"
