"""Engagement and outcomes: figures of hand-built cohorts computed independently, suppression,
permissions, a fixed number of queries and no text of the pairs'."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting, PrivateNote
from matching.models import Match
from reports.engagement import program_engagement, programs_engagement
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

SECRET = "SECRET-the-reorg-is-coming"


def meet(match, *, days_ago: float, usefulness=None, reviewed=False, status="scheduled"):
    meeting = Meeting.objects.create(
        match=match,
        organizer=match.mentee.person,
        starts_at=timezone.now() - timedelta(days=days_ago),
        agenda=f"Agenda {SECRET}",
        status=status,
    )
    PrivateNote.objects.create(
        meeting=meeting, author=match.mentor.person, text=f"Private {SECRET}"
    )
    if usefulness is not None:
        CheckIn.objects.create(
            meeting=meeting,
            match=match,
            author=match.mentee.person,
            discussed=f"Discussed {SECRET}",
            next_steps=f"Next {SECRET}",
            usefulness=usefulness,
            reviewed_at=timezone.now() if reviewed else None,
            review_comment=f"Review {SECRET}" if reviewed else "",
        )
    return meeting


def goal(match, status):
    return Goal.objects.create(
        match=match,
        owner=match.mentee,
        title=f"Goal {SECRET}",
        description=f"Description {SECRET}",
        measure_kind="milestones",
        due_on=timezone.localdate() + timedelta(days=60),
        status=status,
    )


@pytest.fixture
def small_cohort(running_cohort):
    """Four published pairs (three active, one ended), a draft match, an unmatched mentee."""
    cohort = running_cohort
    published = timezone.now() - timedelta(days=30)
    fresh = make_pair(cohort=cohort, published_at=published)  # met 3 times, last 2 days ago
    meet(fresh, days_ago=2, usefulness=5, reviewed=True)
    meet(fresh, days_ago=9, usefulness=3)
    meet(fresh, days_ago=16)
    meet(fresh, days_ago=5, status="cancelled")  # does not count
    Meeting.objects.create(  # booked, in the future: does not count
        match=fresh, organizer=fresh.mentee.person, starts_at=timezone.now() + timedelta(days=3)
    )
    goal(fresh, "draft")
    goal(fresh, "agreed")
    goal(fresh, "achieved")
    late = make_pair(cohort=cohort, published_at=published)  # met 20 days ago: overdue
    meet(late, days_ago=20, usefulness=4)
    goal(late, "proposed")
    silent = make_pair(cohort=cohort, published_at=published)  # never met: inactive
    ended = make_pair(cohort=cohort, published_at=published, status="ended")
    meet(ended, days_ago=25)
    # A draft match (not published) and an accepted mentee with no match: accepted, unmatched.
    make_pair(cohort=cohort, status="proposed", published_at=None)
    make_enrollment(cohort=cohort, role="mentee")
    make_enrollment(cohort=cohort, role="mentee", status="applied")  # not accepted
    return {"fresh": fresh, "late": late, "silent": silent, "ended": ended}


def expected(cohort):
    """The cohort's figures, computed here from the rows, independently of the selector."""
    now = timezone.now()
    published = list(Match.objects.filter(cohort=cohort, status__in=["active", "ended"]))
    held = {
        m.pk: [
            mt
            for mt in Meeting.objects.filter(match=m)
            if mt.status == "scheduled" and mt.starts_at <= now
        ]
        for m in published
    }
    counts = [len(held[m.pk]) for m in published]
    check_ins = list(CheckIn.objects.filter(match__in=published))
    goals = list(Goal.objects.filter(match__in=published))
    accepted = [
        e
        for e in cohort.enrollments.all()
        if e.role == "mentee" and e.status in ("accepted", "completed")
    ]
    matched = [e for e in accepted if any(m.mentee_id == e.pk for m in published)]
    start = cohort.starts_on
    weeks = [0] * ((min(cohort.ends_on, timezone.localdate()) - start).days // 7 + 1)
    for meetings in held.values():
        for mt in meetings:
            weeks[(timezone.localdate(mt.starts_at) - start).days // 7] += 1
    return {
        "pairs": len(published),
        "meetings": sum(counts),
        "median": statistics.median(counts) if counts else None,
        "distribution": [
            sum(1 for c in counts if c == 0),
            sum(1 for c in counts if 1 <= c <= 2),
            sum(1 for c in counts if 3 <= c <= 5),
            sum(1 for c in counts if 6 <= c <= 9),
            sum(1 for c in counts if c >= 10),
        ],
        "written": len(check_ins),
        "reviewed": sum(1 for c in check_ins if c.reviewed_at),
        "usefulness": (
            sum(c.usefulness for c in check_ins) / len(check_ins) if check_ins else None
        ),
        "rating_pairs": len({c.match_id for c in check_ins}),
        "drafted": len(goals),
        "agreed": sum(1 for g in goals if g.status in ("agreed", "paused", "achieved")),
        "achieved": sum(1 for g in goals if g.status == "achieved"),
        "accepted": len(accepted),
        "matched": len(matched),
        "weeks": weeks,
    }


def test_small_cohort_figures(running_cohort, small_cohort):
    report = program_engagement(running_cohort.program)
    (row,) = report.cohorts
    want = expected(running_cohort)
    assert row.pairs == want["pairs"] == 4
    assert row.meetings == want["meetings"] == 5
    assert [n for _label, n in row.distribution] == want["distribution"] == [1, 2, 1, 0, 0]
    assert row.check_ins_written == want["written"] == 3
    assert row.check_ins_reviewed == want["reviewed"] == 1
    assert (
        (row.goals_drafted, row.goals_agreed, row.goals_achieved)
        == (
            want["drafted"],
            want["agreed"],
            want["achieved"],
        )
        == (4, 2, 1)
    )
    assert (row.mentees_accepted, row.mentees_matched) == (want["accepted"], want["matched"])
    assert (row.mentees_accepted, row.mentees_matched) == (6, 4)
    # Health: fresh is active; late (overdue) and silent (inactive) are at risk; ended is neither.
    assert (row.open_pairs, row.active_pairs, row.at_risk_pairs) == (3, 1, 2)
    assert [w.meetings for w in row.weeks] == want["weeks"]
    assert row.weeks[0].starts_on == running_cohort.starts_on
    # Fewer than 5 pairs: the median and the mean usefulness are suppressed; the match rate is
    # over 6 accepted mentees, so it is shown.
    assert row.median_meetings.suppressed and row.median_meetings.shown is None
    assert row.median_meetings.value == want["median"]
    assert row.mean_usefulness.suppressed and row.mean_usefulness.text == "fewer than 5"
    assert not row.match_rate.suppressed
    assert row.match_rate.shown == pytest.approx(4 / 6)
    # The program total is the cohort's (one cohort).
    assert report.total.pairs == 4 and report.total.meetings == 5
    assert [w.meetings for w in report.total.weeks] == want["weeks"]


def test_rates_shown_from_five_pairs_and_levels_add_up(program, running_cohort):
    meetings_per_pair = [0, 1, 2, 4, 7, 11]
    for i, n in enumerate(meetings_per_pair):
        match = make_pair(cohort=running_cohort, published_at=timezone.now() - timedelta(days=29))
        for k in range(n):
            meet(match, days_ago=1 + k * 2.5, usefulness=1 + (i + k) % 5)
    older = make_cohort(program=program, phase="completed")
    old_pair = make_pair(cohort=older)
    meet(old_pair, days_ago=300, usefulness=2)
    other = make_program()
    make_pair(cohort=make_cohort(program=other, phase="running"))

    report = program_engagement(program)
    by_label = {row.label: row for row in report.cohorts}
    row = by_label[running_cohort.name]
    want = expected(running_cohort)
    assert [n for _l, n in row.distribution] == want["distribution"] == [1, 2, 1, 1, 1]
    assert not row.median_meetings.suppressed
    assert row.median_meetings.shown == pytest.approx(want["median"]) == 3.0
    assert not row.mean_usefulness.suppressed
    assert row.mean_usefulness.shown == pytest.approx(want["usefulness"])
    assert row.mean_usefulness.base == want["rating_pairs"] == 5
    assert [w.meetings for w in row.weeks] == want["weeks"]
    old = by_label[older.name]
    assert old.pairs == 1 and old.median_meetings.text == "fewer than 5"
    assert len(old.weeks) == (older.ends_on - older.starts_on).days // 7 + 1
    # Program level: both cohorts, its own median over all 7 pairs.
    total = report.total
    assert total.pairs == 7
    assert total.meetings == sum(meetings_per_pair) + 1
    assert total.median_meetings.shown == statistics.median([*meetings_per_pair, 1])
    # Across programs: the other program's pair is added.
    from programs.models import Program

    overview = programs_engagement(Program.objects.all())
    assert overview.total.pairs == 8
    assert [p.label for p in overview.programs] == sorted([program.name, other.name])


def url(of=None, **params):
    if of is None:
        base = reverse("reports:engagement")
    else:
        base = reverse("reports:engagement_program", args=[of.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_page_shows_figures_chart_and_no_text(admin_client, program, running_cohort, small_cohort):
    response = admin_client.get(url(program))
    assert response.status_code == 200
    body = response.content.decode()
    assert SECRET not in body
    assert "Private" not in body
    assert "<svg" in body and "<rect" in body
    assert "fewer than 5" in body
    assert "67%" in body  # the match rate
    assert "<script" not in body.split("<main", 1)[-1].split("</main>", 1)[0]
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "HR and staff, and this program&#x27;s admins." in body or "program's admins" in body


def test_overview_for_hr_with_filter(hr_client, program, running_cohort, small_cohort):
    other = make_program(name="Zeta Program", slug="zeta")
    response = hr_client.get(url())
    assert response.status_code == 200
    body = response.content.decode()
    assert SECRET not in body
    assert [row.label for row in response.context["rows"]] == [
        "All programs",
        program.name,
        other.name,
    ]
    filtered = hr_client.get(url(program="zeta"))
    assert filtered.status_code == 200
    assert [row.label for row in filtered.context["rows"]] == [other.name, other.name]
    assert hr_client.get(url(program="nope")).status_code == 404


def test_admin_overview_lists_only_their_programs(
    admin_client, program, running_cohort, other_program_admin
):
    response = admin_client.get(url())
    assert response.status_code == 200
    assert [row.label for row in response.context["overview"].programs] == [program.name]
    assert admin_client.get(url(program="sales")).status_code == 404


def test_permissions(client, hr_user, program_admin, other_program_admin, program, small_cohort):
    target = url(program)
    anonymous = client.get(target)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client.get(url()).status_code == 302
    client.force_login(hr_user)
    assert client.get(target).status_code == 200
    client.force_login(program_admin)
    assert client.get(target).status_code == 200
    client.force_login(other_program_admin)
    assert client.get(target).status_code == 404
    participant = small_cohort["fresh"].mentee.person
    client.force_login(participant)
    assert client.get(target).status_code == 404
    assert client.get(url()).status_code == 404


def test_program_page_links_to_the_report(admin_client, program):
    response = admin_client.get(reverse("programs:program_manage", args=[program.slug]))
    assert url(program).encode() in response.content


def _pairs(cohort, n):
    for i in range(n):
        match = make_pair(cohort=cohort, published_at=timezone.now() - timedelta(days=20))
        meet(match, days_ago=1 + i, usefulness=3, reviewed=i % 2 == 0)
        goal(match, "agreed")


def test_query_count_constant(
    admin_client, program, running_cohort, django_assert_num_queries, django_assert_max_num_queries
):
    _pairs(running_cohort, 2)
    with django_assert_max_num_queries(40) as small:
        assert admin_client.get(url(program)).status_code == 200
    _pairs(running_cohort, 6)
    _pairs(make_cohort(program=program, phase="running"), 2)
    with django_assert_num_queries(len(small.captured_queries)):
        response = admin_client.get(url(program))
    assert response.context["report"].total.pairs == 10
    with django_assert_max_num_queries(40) as overview_small:
        admin_client.get(url())
    _pairs(running_cohort, 3)
    with django_assert_num_queries(len(overview_small.captured_queries)):
        admin_client.get(url())


def test_empty_program_and_upcoming_cohort(admin_client, program, hr_user):
    response = admin_client.get(url(program))
    assert response.status_code == 200
    assert b"No cohorts yet" in response.content
    make_cohort(program=program, phase="upcoming")
    response = admin_client.get(url(program))
    assert response.status_code == 200
    assert b"Not started yet" in response.content
    (row,) = response.context["report"].cohorts
    assert row.pairs == 0 and row.weeks == [] and row.match_rate.text == "fewer than 5"
    admin_client.force_login(hr_user)
    assert admin_client.get(url()).status_code == 200
