"""The cohort dashboard: counts, capacity against mentees, intake completion, unmet topics,
and the participant list with filters, htmx updates and a query count that stays flat."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.selectors import cohort as cohort_selectors
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def url(cohort):
    return reverse("programs:cohort_dashboard", kwargs={"slug": cohort.slug})


def complete_intake(enrollment, *, offered=(), sought=()):
    """Fill every intake answer for the enrollment's role."""
    enrollment.topics_offered.add(*offered)
    enrollment.topics_sought.add(*sought)
    enrollment.goals = "Grow"
    enrollment.bio = "Ten years here"
    enrollment.languages = ["English"]
    enrollment.preferred_format = "either"
    enrollment.intake_completed_at = timezone.now()
    enrollment.save()
    return enrollment


@pytest.fixture
def outsider_client(client, other_program_admin):
    client.force_login(other_program_admin)
    return client


@pytest.fixture
def topics(program):
    return {t.name: t for t in program.topics.all()}


ROW = re.compile(r"<tr(?: class=\"left\")?>\s*<td><strong>([^<]*)</strong>")


def _names(response) -> list[str]:
    """The names in the participant list's rows (the list is rendered HTML, from the cache
    or not)."""
    return ROW.findall(response.content.decode())


def test_summary_counts_capacity_intake_and_unmet_topics(admin_client, cohort, topics):
    mentor = make_enrollment(cohort=cohort, role="mentor", capacity=3)
    complete_intake(mentor, offered=[topics["Leadership"]])
    make_enrollment(cohort=cohort, role="mentor", status="invited", capacity=2)
    make_enrollment(cohort=cohort, role="mentor", status="withdrawn", capacity=5)
    make_enrollment(cohort=cohort, role="mentor", status="applied", capacity=4)
    for _ in range(2):
        mentee = make_enrollment(cohort=cohort, role="mentee")
        complete_intake(mentee, sought=[topics["Negotiation"], topics["Leadership"]])
    make_enrollment(cohort=cohort, role="mentee", status="invited").topics_sought.add(
        topics["System design"]
    )
    make_enrollment(cohort=cohort, role="mentee", status="declined").topics_sought.add(
        topics["Public speaking"]
    )

    response = admin_client.get(url(cohort))
    assert response.status_code == 200
    summary = cohort_selectors.cohort_summary(cohort)
    mentors, mentees = summary.roles
    assert dict(mentors.counts) == {
        "invited": 1,
        "applied": 1,
        "accepted": 1,
        "declined": 0,
        "withdrawn": 1,
        "completed": 0,
    }
    assert (mentors.total, mentees.total, summary.total) == (4, 4, 8)
    assert summary.capacity == 5  # accepted 3 + invited 2; withdrawn and applied don't count
    assert summary.seekers == 3
    assert (mentors.intake_complete, mentors.pool) == (1, 2)
    assert (mentees.intake_complete, mentees.pool) == (2, 3)
    assert summary.applied == 1
    unmet = [(t.name, t.seekers) for t in summary.unmet_topics]
    assert unmet == [("Negotiation", 2), ("System design", 1)]
    body = response.content.decode()
    assert "<strong>8</strong> people in the cohort" in body
    assert "<strong>5</strong> mentor places for 3 mentees" in body
    assert "<strong>1 / 2</strong> mentors with a complete intake" in body
    assert "<strong>Negotiation</strong>: sought by 2 mentees" in body
    assert "Review applications (1)" in body
    assert "Who can see this page" in body
    assert "Program admin" in body  # the page's own context leaves the header's roles alone
    assert reverse("programs:cohort_enroll", args=[cohort.slug]) in body
    assert reverse("programs:enroll_upload", args=[cohort.slug]) in body
    assert reverse("programs:cohort_applications", args=[cohort.slug]) in body
    assert reverse("programs:cohort_edit", args=[cohort.slug]) in body


def test_warns_when_mentees_outnumber_mentor_places(admin_client, cohort):
    make_enrollment(cohort=cohort, role="mentor", capacity=1)
    for _ in range(3):
        make_enrollment(cohort=cohort, role="mentee")
    response = admin_client.get(url(cohort))
    assert cohort_selectors.cohort_summary(cohort).places_short == 2
    assert "2 mentees more than mentor places" in response.content.decode()


def test_a_completed_cohort_still_counts_who_took_part(admin_client, program):
    cohort = make_cohort(program=program, phase="completed")
    make_enrollment(cohort=cohort, role="mentor", status="completed", capacity=2)
    make_enrollment(cohort=cohort, role="mentee", status="completed")
    make_enrollment(cohort=cohort, role="mentee", status="withdrawn")
    assert admin_client.get(url(cohort)).status_code == 200
    summary = cohort_selectors.cohort_summary(cohort)
    assert (summary.capacity, summary.seekers) == (2, 1)
    assert [r.pool for r in summary.roles] == [1, 1]


def test_peer_programs_count_peers_capacity(client, program_admin):
    program = make_program(admins=[program_admin], kind="peer")
    cohort = make_cohort(program=program)
    make_enrollment(cohort=cohort, role="peer", capacity=2)
    make_enrollment(cohort=cohort, role="peer", capacity=1)
    client.force_login(program_admin)
    body = client.get(url(cohort)).content.decode()
    summary = cohort_selectors.cohort_summary(cohort)
    assert [r.role for r in summary.roles] == ["peer"]
    assert (summary.capacity, summary.seekers) == (3, 2)
    assert "<strong>3</strong> places offered by 2 peers" in body


def test_rows_show_what_each_intake_is_missing(admin_client, cohort, topics, user_factory):
    mentor = make_enrollment(
        cohort=cohort,
        role="mentor",
        person=user_factory(first_name="Mia", last_name="Mentor", department="Sales"),
        source="csv",
    )
    mentor.topics_offered.add(topics["Leadership"])
    complete_intake(
        make_enrollment(
            cohort=cohort, role="mentee", person=user_factory(first_name="Tom", last_name="Done")
        ),
        sought=[topics["Leadership"]],
    )
    response = admin_client.get(url(cohort))
    participants = cohort_selectors.cohort_participants(
        cohort=cohort, filters=cohort_selectors.ParticipantFilters()
    )
    rows = {e.person.first_name: cohort_selectors.intake_missing_for_admin(e) for e in participants}
    assert rows["Mia"] == ["bio", "languages", "preferred format"]
    assert rows["Tom"] == []
    body = response.content.decode()
    assert "bio, languages, preferred format" in body
    assert "Enrolment file" in body and "Sales" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "mentor"}, ["Mia Mentor", "Ivo Invited"]),
        ({"status": "invited"}, ["Ivo Invited"]),
        ({"intake": "complete"}, ["Carla Complete"]),
        ({"intake": "incomplete"}, ["Mia Mentor", "Ivo Invited"]),
        ({"department": "Finance"}, ["Ivo Invited"]),
        ({"q": "carla"}, ["Carla Complete"]),
        ({"role": "mentor", "department": "Finance", "status": "invited"}, ["Ivo Invited"]),
        (
            {"role": "<script>", "status": "nonsense"},
            ["Mia Mentor", "Ivo Invited", "Carla Complete"],
        ),
    ],
)
def test_filters(admin_client, cohort, user_factory, params, expected):
    make_enrollment(
        cohort=cohort,
        role="mentor",
        person=user_factory(first_name="Mia", last_name="Mentor", department="Sales"),
    )
    make_enrollment(
        cohort=cohort,
        role="mentor",
        status="invited",
        person=user_factory(first_name="Ivo", last_name="Invited", department="Finance"),
    )
    make_enrollment(
        cohort=cohort,
        role="mentee",
        person=user_factory(first_name="Carla", last_name="Complete", department="Sales"),
        intake_completed_at=timezone.now(),
    )
    assert sorted(_names(admin_client.get(url(cohort), params))) == sorted(expected)


def test_lists_fifty_a_page_and_keeps_filters_in_links(admin_client, cohort):
    for _ in range(53):
        make_enrollment(cohort=cohort, role="mentee")
    first = admin_client.get(url(cohort), {"role": "mentee"})
    assert len(_names(first)) == 50
    assert "role=mentee&amp;page=2" in first.content.decode()
    assert len(_names(admin_client.get(url(cohort), {"role": "mentee", "page": 2}))) == 3


def test_htmx_request_gets_only_the_participant_list(admin_client, cohort, user_factory):
    make_enrollment(cohort=cohort, person=user_factory(first_name="Ana", last_name="Lee"))
    response = admin_client.get(url(cohort), {"q": "ana"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ana Lee" in body
    assert "<html" not in body and 'role="search"' not in body and "By role and status" not in body


def test_filter_form_updates_the_list_with_htmx_and_keeps_a_url(admin_client, cohort):
    body = admin_client.get(url(cohort)).content.decode()
    assert 'hx-target="#participants"' in body
    assert 'hx-push-url="true"' in body
    assert f'hx-get="{url(cohort)}"' in body


def _populate(cohort, topics, n):
    for i in range(n):
        role = "mentor" if i % 3 == 0 else "mentee"
        enrollment = make_enrollment(cohort=cohort, role=role, status="accepted")
        if i % 2:
            complete_intake(
                enrollment, offered=[topics["Leadership"]], sought=[topics["Negotiation"]]
            )


@pytest.mark.parametrize("htmx", [False, True])
def test_query_count_does_not_grow_with_the_cohort(admin_client, cohort, topics, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url(cohort), headers=headers).status_code == 200
        return len(ctx.captured_queries)

    _populate(cohort, topics, 3)
    small = count()
    _populate(cohort, topics, 40)
    assert count() == small
    assert small <= 16, small


def test_hr_can_open_any_dashboard(hr_client, cohort):
    assert hr_client.get(url(cohort)).status_code == 200


def test_other_programs_admin_gets_404(outsider_client, cohort):
    assert outsider_client.get(url(cohort)).status_code == 404
    assert outsider_client.get(url(cohort), headers={"HX-Request": "true"}).status_code == 404


def test_participant_gets_404_even_when_enrolled(participant_client, participant, cohort):
    make_enrollment(cohort=cohort, person=participant)
    assert participant_client.get(url(cohort)).status_code == 404


def test_anonymous_is_sent_to_login(client, cohort):
    response = client.get(url(cohort))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_wrong_method_is_refused(admin_client, cohort):
    assert admin_client.post(url(cohort)).status_code == 405


def test_unknown_cohort_is_404(admin_client, cohort):
    assert admin_client.get(reverse("programs:cohort_dashboard", args=["nope"])).status_code == 404


def test_department_menu_follows_enrolments_and_the_directory(admin_client, cohort, user_factory):
    """The menu is cached; every way its departments change shows on the next visit."""
    from programs.services.enrollment import NewEnrollment, enrollments_invite

    def menu() -> list[str]:
        """The department menu's options, as the page shows them."""
        body = admin_client.get(url(cohort)).content.decode()
        select = re.search(r'<select id="id_department".*?</select>', body, re.S).group(0)
        return re.findall(r'<option value="([^"]+)"', select)

    sales = make_enrollment(cohort=cohort, person=user_factory(department="Sales"))
    make_enrollment(cohort=cohort, person=user_factory(department="Finance"))
    lawyer = user_factory(department="Legal")
    assert menu() == ["Finance", "Sales"]
    assert menu() == ["Finance", "Sales"]  # from the cache
    # Enrolled in bulk (no signal): the service bumps the enrolments' version.
    enrollments_invite(
        cohort=cohort,
        new=[NewEnrollment(person=lawyer, role="mentee")],
        source="directory",
        invited_by=None,
    )
    assert menu() == ["Finance", "Legal", "Sales"]
    # A person moved to another department (the directory's version).
    sales.person.department = "Marketing"
    sales.person.save()
    assert menu() == ["Finance", "Legal", "Marketing"]
    # Enrolments deleted.
    cohort.enrollments.filter(person__department="Legal").delete()
    assert menu() == ["Finance", "Marketing"]
    # Someone else's cohort changes nothing here.
    other = make_cohort(program=cohort.program, name="Other", slug="other")
    make_enrollment(cohort=other, person=user_factory(department="Support"))
    assert menu() == ["Finance", "Marketing"]
