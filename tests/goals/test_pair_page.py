from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, GoalEvent, Meeting
from goals.services.agreements import agreement_revise
from matching.models import Match
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort, make_enrollment


def url(pair):
    return reverse("goals:pair", args=[pair.pk])


@pytest.fixture
def history(pair, alice, bob):
    agreement_revise(
        match=pair,
        user=alice,
        cadence_days=14,
        formats=["video"],
        confidentiality="Between us.",
        mentee_expectations="",
        mentor_expectations="",
    )
    goal = Goal.objects.create(
        match=pair,
        owner=pair.mentee,
        title="Give a talk at the all-hands",
        measure_kind="milestones",
        due_on=timezone.localdate() + timedelta(days=30),
        status="agreed",
        created_by=alice,
    )
    GoalEvent.objects.create(goal=goal, actor=bob, kind="agreed", from_status="proposed")
    past = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=timezone.now() - timedelta(days=3)
    )
    CheckIn.objects.create(
        meeting=past, match=pair, author=alice, discussed="Talk outline", usefulness=4
    )
    upcoming = Meeting.objects.create(
        match=pair, organizer=bob, starts_at=timezone.now() + timedelta(days=4)
    )
    return goal, past, upcoming


def test_member_sees_health_goals_meetings_and_timeline(alice_client, pair, history):
    goal, _past, _upcoming = history
    response = alice_client.get(url(pair))
    assert response.status_code == 200
    body = response.content.decode()
    assert "You and Bob Baker" in body
    assert "Your mentor" in body
    assert response.context["health"].state == "on_track"
    assert goal.title in body
    texts = [item.text for item in response.context["timeline"]]
    assert texts[0] == "Meeting booked (video, 45 min)"  # upcoming first
    assert "Alice Adams wrote the check-in (useful: 4 of 5)" in texts
    assert "Bob Baker agreed the goal “Give a talk at the all-hands”" in texts
    assert "Alice Adams wrote the agreement" in texts
    assert "never the text of goals" in body  # who can see it


def test_mentor_sees_the_pair_from_their_side(bob_client, pair, history):
    response = bob_client.get(url(pair))
    assert response.status_code == 200
    assert b"You and Alice Adams" in response.content
    assert b"Your mentee" in response.content
    assert b"Read and confirm it" in response.content  # Alice wrote the agreement


def test_timeline_and_health_partials_for_htmx(alice_client, pair, history):
    for part in ("timeline", "health", "overview"):
        response = alice_client.get(url(pair) + f"?part={part}", HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert f'id="{part}"'.encode() in response.content


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_get_404(client, pair, other_pair, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(pair)).status_code == 404


def test_proposed_match_is_not_a_pair_yet(alice_client, running_cohort, alice):
    draft = make_pair(cohort=running_cohort, mentee=alice, status="proposed", published_at=None)
    assert alice_client.get(url(draft)).status_code == 404


def test_wrong_method(alice_client, pair):
    assert alice_client.post(url(pair)).status_code == 405


def test_ended_pair_is_readable_without_add_buttons(alice_client, pair, history):
    pair.status = "ended"
    pair.ended_at = timezone.now()
    pair.save()
    response = alice_client.get(url(pair))
    assert response.status_code == 200
    assert b"This pair ended on" in response.content
    assert b"Schedule a meeting" not in response.content


def test_pair_list_shows_each_pair_with_health(alice_client, pair, program, alice):
    # Alice also mentors someone, in another cohort.
    second = make_pair(cohort=make_cohort(program=program, phase="running"), mentor=alice)
    response = alice_client.get(reverse("goals:pair_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bob Baker" in body and second.mentee.person.get_full_name() in body
    assert "Your mentor" in body and "Your mentee" in body


def test_pair_list_query_count_does_not_grow(
    alice_client, running_cohort, program, alice, django_assert_max_num_queries
):
    make_pair(cohort=running_cohort, mentee=alice)
    with django_assert_max_num_queries(12) as few:
        alice_client.get(reverse("goals:pair_list"))
    cohort = make_cohort(program=program, phase="running")
    mentoring = make_enrollment(cohort=cohort, person=alice, role="mentor", capacity=6)
    for _ in range(6):
        Match.objects.create(
            cohort=cohort,
            mentee=make_enrollment(cohort=cohort),
            mentor=mentoring,
            status="active",
            published_at=timezone.now(),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = alice_client.get(reverse("goals:pair_list"))
    assert len(response.context["pairs"]) == 7


def test_pair_page_query_count_does_not_grow_with_history(
    alice_client, pair, alice, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as few:
        alice_client.get(url(pair))
    for n in range(10):
        meeting = Meeting.objects.create(
            match=pair, organizer=alice, starts_at=timezone.now() - timedelta(days=n + 1)
        )
        CheckIn.objects.create(
            meeting=meeting, match=pair, author=alice, discussed="x", usefulness=3
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_client.get(url(pair))


def test_timeline_links_are_the_pages_they_name(pair, history):
    """The timeline builds its links from the list URLs (one reverse a kind): each must be the
    URL that reverse() gives for its agreement, meeting or goal."""
    from goals.selectors.pairs import pair_timeline

    goal, past, upcoming = history
    expected = {
        "agreement": {reverse("goals:agreement", args=[pair.pk])},
        "meeting": {reverse("goals:meeting", args=[pair.pk, m.pk]) for m in (past, upcoming)},
        "check_in": {reverse("goals:meeting", args=[pair.pk, past.pk])},
        "goal": {reverse("goals:goal", args=[pair.pk, goal.pk])},
    }
    items = pair_timeline(pair)
    assert {item.kind for item in items} == set(expected)
    for item in items:
        assert item.url in expected[item.kind], item


def test_timeline_shows_the_latest_entries_and_the_earlier_ones_on_asking(
    alice_client, pair, alice
):
    """The page shows the 20 newest entries and a link to the earlier ones (up to 60)."""
    now = timezone.now()
    for days in range(1, 31):  # 30 meetings held, each a day apart: 30 entries
        Meeting.objects.create(match=pair, organizer=alice, starts_at=now - timedelta(days=days))
    response = alice_client.get(url(pair))
    timeline = response.context["timeline"]
    assert len(timeline) == 20
    assert [item.at for item in timeline] == sorted((item.at for item in timeline), reverse=True)
    assert timeline[0].at > now - timedelta(days=1, hours=1)  # the newest first
    assert "Show earlier entries" in response.content.decode()

    response = alice_client.get(url(pair) + "?timeline=all")
    assert len(response.context["timeline"]) == 30
    assert "Show earlier entries" not in response.content.decode()
    partial = alice_client.get(
        url(pair) + "?part=timeline&timeline=all", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and partial.count('class="timeline-item') == 30
    assert "?part=timeline&amp;timeline=all" in partial  # refreshes keep the whole list


def test_short_timeline_has_no_earlier_link(alice_client, pair, history):
    response = alice_client.get(url(pair))
    assert len(response.context["timeline"]) < 20
    assert "Show earlier entries" not in response.content.decode()


def test_timeline_is_three_queries_and_loads_no_text(pair, history, django_assert_num_queries):
    """One query a source, each loading only the columns its entries print (a deferred column
    read while building an entry would be a query more)."""
    from goals.selectors.pairs import pair_timeline

    with django_assert_num_queries(3) as queries:
        items = pair_timeline(pair)
    assert {item.kind for item in items} == {"agreement", "meeting", "check_in", "goal"}
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for column in ("agenda", "discussed", "next_steps", "confidentiality", "comment"):
        assert f'."{column}"' not in sql


def test_the_next_meetings_and_the_agreement_come_from_the_timeline(pair, alice, bob):
    """``pair_activity`` takes the current agreement and the next scheduled meetings from the
    timeline's queries: the same as asking for them, whether or not every meeting to come is
    among the timeline's newest (then a query more)."""
    from goals.selectors.pairs import pair_activity
    from goals.services.agreements import current_agreement

    now = timezone.now()
    for number in (1, 2):
        agreement_revise(
            match=pair, user=alice if number == 1 else bob, cadence_days=7 * number,
            formats=["video"], confidentiality="x", mentee_expectations="",
            mentor_expectations="",
        )  # fmt: skip
    for days in (-10, -3, -1):
        Meeting.objects.create(match=pair, organizer=alice, starts_at=now + timedelta(days=days))
    Meeting.objects.create(
        match=pair, organizer=alice, starts_at=now + timedelta(days=1), status="cancelled"
    )
    for days in (9, 2, 5, 30, 14, 21):
        Meeting.objects.create(match=pair, organizer=alice, starts_at=now + timedelta(days=days))
    expected = list(
        pair.meetings.filter(status="scheduled", starts_at__gt=now).order_by("starts_at")[:3]
    )
    assert [m.starts_at.date() for m in expected] == [
        (now + timedelta(days=d)).date() for d in (2, 5, 9)
    ]
    latest = current_agreement(pair)
    assert latest.number == 2
    for limit, queries in ((60, 3), (8, 3), (7, 4), (3, 4)):  # 7 meetings to come of 10
        with CaptureQueriesContext(connection) as captured:
            activity = pair_activity(pair, limit=limit, upcoming=3)
        assert len(captured) == queries, limit
        assert activity.upcoming == expected, limit
        assert activity.agreement == latest
        assert not activity.agreement.is_confirmed
    Meeting.objects.all().delete()
    assert pair_activity(pair, limit=3).upcoming == []


def test_the_timeline_prints_as_its_template_did(alice_client, pair, history, alice):
    """Entries printed in Python: texts escaped, times as the date filter prints them in the
    viewer's time zone."""
    from django.template import Context, Template

    goal, _past, upcoming = history
    goal.title = "<script>alert(1)</script> & more"
    goal.save()
    GoalEvent.objects.create(goal=goal, actor=pair.mentor.person, kind="edited")
    body = alice_client.get(url(pair)).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    for zone in ("UTC", "Pacific/Kiritimati", "America/St_Johns"):
        alice.timezone = zone  # the page is in the viewer's time zone
        alice.save()
        with timezone.override(zone):
            printed = Template(
                '<time datetime="{{ at|date:\'c\' }}">{{ at|date:"j M Y, H:i" }}</time>'
            ).render(Context({"at": upcoming.starts_at}))
            body = alice_client.get(url(pair)).content.decode()
            assert printed in body, zone
