from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting, Milestone
from goals.services.goals import goal_progress_record
from matching.services import match_end
from tests.goals.fixtures import make_pair

SECRET = "my manager keeps taking credit"


def url(cohort, **params):
    base = reverse("goals:cohort_pairs", args=[cohort.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def meet(match, *, days_ago: int, check_in_text: str | None = None, usefulness=4):
    meeting = Meeting.objects.create(
        match=match,
        organizer=match.mentee.person,
        starts_at=timezone.now() - timedelta(days=days_ago),
        agenda=f"Agenda: {SECRET}",
    )
    if check_in_text is not None:
        CheckIn.objects.create(
            meeting=meeting,
            match=match,
            author=match.mentee.person,
            discussed=check_in_text,
            usefulness=usefulness,
        )
    return meeting


@pytest.fixture
def pairs(running_cohort):
    """Three pairs: one met yesterday, one 20 days ago (overdue), one never (inactive)."""
    published = timezone.now() - timedelta(days=30)
    fresh = make_pair(cohort=running_cohort, published_at=published)
    meet(fresh, days_ago=1, check_in_text=SECRET, usefulness=5)
    late = make_pair(cohort=running_cohort, published_at=published)
    meet(late, days_ago=20, check_in_text=SECRET)
    silent = make_pair(cohort=running_cohort, published_at=published)
    Goal.objects.create(
        match=fresh,
        owner=fresh.mentee,
        title=f"Goal: {SECRET}",
        measure_kind="milestones",
        due_on=timezone.localdate(),
        status="agreed",
    )
    return fresh, late, silent


def test_admin_sees_at_risk_pairs_first_without_any_text(admin_client, running_cohort, pairs):
    fresh, late, silent = pairs
    response = admin_client.get(url(running_cohort))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [row.pk for row in rows] == [silent.pk, late.pk, fresh.pk]
    assert [row.health.state for row in rows] == ["inactive", "overdue", "on_track"]
    body = response.content.decode()
    assert SECRET not in body
    assert "5.0 of 5" in body  # the fresh pair's rating
    assert "never" in body


def test_filter_at_risk(admin_client, running_cohort, pairs):
    _fresh, late, silent = pairs
    response = admin_client.get(url(running_cohort, health="at_risk"))
    assert [row.pk for row in response.context["page"].object_list] == [silent.pk, late.pk]


def test_htmx_returns_the_list_only(admin_client, running_cohort, pairs):
    response = admin_client.get(
        url(running_cohort, health="on_track"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="pairs"
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="pairs"' in response.content


def test_hr_sees_it_too_without_text(hr_client, running_cohort, pairs):
    response = hr_client.get(url(running_cohort))
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_outsiders_get_404(client, running_cohort, other_program_admin, alice, pair):
    client.force_login(other_program_admin)
    assert client.get(url(running_cohort)).status_code == 404
    client.force_login(alice)  # a participant of this cohort
    assert client.get(url(running_cohort)).status_code == 404


def test_wrong_method(admin_client, running_cohort):
    assert admin_client.post(url(running_cohort)).status_code == 405


def test_query_count_does_not_grow_with_pairs(
    admin_client, running_cohort, django_assert_max_num_queries
):
    make_pair(cohort=running_cohort)
    with django_assert_max_num_queries(12) as small:
        admin_client.get(url(running_cohort))
    for n in range(15):
        match = make_pair(cohort=running_cohort)
        meet(match, days_ago=n, check_in_text="x")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(url(running_cohort))
    assert len(response.context["page"].object_list) == 16


def test_cohort_dashboard_loads_the_at_risk_summary(admin_client, running_cohort, pairs):
    fresh, late, silent = pairs
    dashboard = admin_client.get(reverse("programs:cohort_dashboard", args=[running_cohort.slug]))
    assert b"?summary=1" in dashboard.content
    response = admin_client.get(url(running_cohort, summary=1), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert silent.mentee.person.get_full_name() in body
    assert late.mentee.person.get_full_name() in body
    assert fresh.mentee.person.get_full_name() not in body  # on track: not listed
    assert SECRET not in body


def _pairs_on_every_rule(cohort):
    """Pairs of ``cohort`` that each hit one rule of goals.health (and one ended pair)."""
    from goals.health import DUE_SOON_DAYS
    from goals.models import AgreementRevision, Milestone

    now = timezone.now()
    cadence = cohort.cadence_days
    started = now - timedelta(days=90)

    def pair(**extra):
        return make_pair(cohort=cohort, published_at=started, **extra)

    pair()  # never met: inactive
    meet(pair(), days_ago=cadence + 1, check_in_text="x")  # overdue
    meet(pair(), days_ago=cadence, check_in_text="x")  # due on the day: not overdue yet
    meet(pair(), days_ago=2 * cadence + 1, check_in_text="x")  # inactive after meeting
    meet(pair(), days_ago=cadence - DUE_SOON_DAYS, check_in_text="x")  # due soon
    meet(pair(), days_ago=1, check_in_text="x")  # on track
    meet(pair(), days_ago=2)  # met, no check-in: due
    waiting = pair()
    meet(waiting, days_ago=1, check_in_text="x")
    CheckIn.objects.filter(match=waiting).update(submitted_at=now - timedelta(days=5))
    milestone = pair()
    meet(milestone, days_ago=1, check_in_text="x")
    goal = Goal.objects.create(
        match=milestone, owner=milestone.mentee, title="G", measure_kind="milestones",
        due_on=timezone.localdate(), status="agreed",
    )  # fmt: skip
    Milestone.objects.create(goal=goal, title="M", due_on=timezone.localdate() - timedelta(days=3))
    booked_far = pair()
    meet(booked_far, days_ago=cadence, check_in_text="x")
    Meeting.objects.create(
        match=booked_far, organizer=booked_far.mentee.person,
        starts_at=now + timedelta(days=cadence + 2),
    )  # fmt: skip
    booked = pair()
    meet(booked, days_ago=cadence + 3, check_in_text="x")
    Meeting.objects.create(
        match=booked, organizer=booked.mentee.person, starts_at=now + timedelta(days=2)
    )
    slow = pair()  # agreed a slower rhythm: not overdue at cadence + 1 days
    meet(slow, days_ago=cadence + 1, check_in_text="x")
    AgreementRevision.objects.create(
        match=slow, number=1, cadence_days=3 * cadence, mentee_confirmed_at=now,
        mentor_confirmed_at=now,
    )  # fmt: skip
    cancelled = pair()
    Meeting.objects.create(
        match=cancelled, organizer=cancelled.mentee.person, starts_at=now - timedelta(days=1),
        status="cancelled",
    )  # fmt: skip
    busy = pair()  # every other figure: goals in each state, ratings averaging 3.25
    for days_ago, usefulness in ((3, 3), (10, 3), (17, 3), (24, 4)):
        meet(busy, days_ago=days_ago, check_in_text="x", usefulness=usefulness)
    CheckIn.objects.filter(match=busy, usefulness=4).update(
        reviewed_at=now, reviewed_by=busy.mentor.person, review_comment="Good"
    )
    for status in ("draft", "agreed", "paused", "achieved", "achieved", "dropped"):
        Goal.objects.create(
            match=busy, owner=busy.mentee, title=status, measure_kind="milestones",
            due_on=timezone.localdate(), status=status,
        )  # fmt: skip
    make_pair(cohort=cohort, status="ended")  # not listed
    return busy


def test_health_in_sql_agrees_with_python_on_every_rule(running_cohort):
    """``health_index`` (the database's count, filter and order) against ``pairs_with_health``
    (goals.health in Python) on pairs that each hit one rule, in the cohort's time zone and a
    far one: same states, same order."""
    from django.utils.timezone import override

    from goals.health import Health
    from goals.selectors.pairs import health_index, pairs_with_health
    from matching.models import Match

    _pairs_on_every_rule(running_cohort)
    for zone in ("UTC", "Pacific/Kiritimati"):
        with override(zone):
            active = Match.objects.filter(cohort=running_cohort, status="active")
            rows = pairs_with_health(active)
            index = health_index(active)
            assert index.ids_in(list(Health)) == [row.match.pk for row in rows]
            for state in Health:
                expected = [row.match.pk for row in rows if row.health.state == state]
                assert index.ids[state] == expected
                assert index.counts[state] == len(expected)
            assert {row.health.state for row in rows} == set(Health)


def test_pair_figures_in_one_statement_agree_with_the_orm(running_cohort):
    """``pair_figures`` (one fixed SQL statement) gives what ``with_health_figures`` (the ORM)
    annotates, every figure of every pair, with or without the figures beyond health, in the
    cohort's time zone and a far one (the overdue milestones depend on the local day)."""
    from django.utils.timezone import override

    from goals.selectors.pairs import HEALTH_FIGURES, pair_figures, with_health_figures
    from matching.models import Match

    busy = _pairs_on_every_rule(running_cohort)
    now = timezone.now()
    pairs = Match.objects.filter(cohort=running_cohort)
    pks = list(pairs.values_list("pk", flat=True))
    for zone in ("UTC", "Pacific/Kiritimati"):
        with override(zone):
            for health_only in (True, False):
                names = HEALTH_FIGURES[:6] if health_only else HEALTH_FIGURES
                expected = {
                    match.pk: {name: getattr(match, name) for name in names}
                    for match in with_health_figures(pairs, now=now, health_only=health_only)
                }
                assert pair_figures(pks, now=now, health_only=health_only) == expected
    figures = pair_figures([busy.pk], now=now)[busy.pk]
    assert figures["mean_usefulness"] == 3.25
    assert (figures["goals_agreed"], figures["goals_achieved"]) == (4, 2)
    assert (figures["check_ins_reviewed"], figures["check_ins_written"]) == (1, 4)


def test_rows_print_what_the_template_printed(admin_client, running_cohort):
    """The rows are printed in Python: names escaped, dates as the date filter prints them,
    the mean rating as floatformat rounds it (3.25 -> 3.3, where Python's format gives 3.2)."""
    from django.template import Context, Template

    busy = _pairs_on_every_rule(running_cohort)
    person = busy.mentee.person
    person.first_name = "<b>Zoë & Co"
    person.save()
    body = admin_client.get(url(running_cohort)).content.decode()
    assert "&lt;b&gt;Zoë &amp; Co" in body and "<b>Zoë" not in body
    assert "<td>3.3 of 5</td>" in body
    assert "<td>1 / 4</td>" in body and "<td>2 / 4</td>" in body
    # Held at 20:00 UTC two days ago: the next day in Kiritimati (UTC+14).
    held = timezone.now().astimezone(UTC).replace(hour=20, minute=0) - timedelta(days=2)
    Meeting.objects.create(match=busy, organizer=person, starts_at=held)
    admin = admin_client.get(url(running_cohort)).wsgi_request.user
    days = []
    for zone in ("UTC", "Pacific/Kiritimati"):
        admin.timezone = zone  # the page is in the viewer's time zone
        admin.save()
        with timezone.override(zone):
            days.append(Template('{{ at|date:"j M Y" }}').render(Context({"at": held})))
        body = admin_client.get(url(running_cohort)).content.decode()
        assert f'<td class="nowrap">{days[-1]}</td>' in body, zone
    assert days[0] != days[1]


def test_month_abbreviations_are_the_date_filters():
    from datetime import date

    from django.utils.dateformat import format as date_format

    from goals.views_pair import month_abbreviations

    months = month_abbreviations()
    for month in range(1, 13):
        assert months[month] == date_format(date(2026, month, 1), "M")


def _due_page(client, cohort) -> str:
    """The list filtered to the pairs due (cached HTML: the filter reads the cached index)."""
    return client.get(url(cohort, health="due")).content.decode()


def _name(match) -> str:
    return match.mentee.person.get_full_name()


def test_the_page_is_cached_until_the_pairs_change(admin_client, running_cohort, pairs):
    fresh, late, _silent = pairs
    with CaptureQueriesContext(connection) as first:
        admin_client.get(url(running_cohort))
    with CaptureQueriesContext(connection) as second:
        cached = admin_client.get(url(running_cohort))
    # The rendered page came from the cache: no index, no figures, no names.
    assert len(second) < len(first)
    assert not any("WITH f " in q["sql"] for q in second.captured_queries)
    assert not any('"meetings_held"' in q["sql"] for q in second.captured_queries)
    assert not any('"first_name"' in q["sql"] for q in second.captured_queries[2:])
    assert cached.content.decode().count("<tr>") == 4  # the heading and three pairs
    assert _name(fresh) not in _due_page(admin_client, running_cohort)

    # A milestone overdue (a single-row write: a signal bumps) makes the pair due at once.
    goal = fresh.goals.get()
    milestone = Milestone.objects.create(
        goal=goal, title="Outline", position=0, due_on=timezone.localdate() - timedelta(days=1)
    )
    assert _name(fresh) in _due_page(admin_client, running_cohort)
    assert "1 milestone overdue." in admin_client.get(url(running_cohort)).content.decode()
    # Ticking it (a bulk update in the service, which bumps itself) puts it back on track.
    goal_progress_record(goal=goal, user=fresh.mentee.person, milestone_ids_done=[milestone.pk])
    assert _name(fresh) not in _due_page(admin_client, running_cohort)

    # A meeting held (a single-row save) counts at once.
    meet(fresh, days_ago=2)
    assert "<td>2</td>" in admin_client.get(url(running_cohort)).content.decode()

    # A match ended (matching's service bumps the participation version) leaves the list.
    match_end(match=late, user=running_cohort.program.admins.first(), reason="Moved teams")
    body = admin_client.get(url(running_cohort)).content.decode()
    assert '<p class="result-count"><strong>2</strong> pairs' in body
    assert _name(late) not in body


def test_a_rename_shows_on_the_cached_page(admin_client, running_cohort, pairs):
    fresh, _late, _silent = pairs
    assert _name(fresh) in admin_client.get(url(running_cohort)).content.decode()
    person = fresh.mentee.person
    person.last_name = "Renamed-Person"
    person.save()
    assert "Renamed-Person" in admin_client.get(url(running_cohort)).content.decode()
    assert (
        "Renamed-Person"
        in admin_client.get(url(running_cohort, health="on_track")).content.decode()
    )


def test_each_filter_and_page_is_its_own(admin_client, running_cohort, pairs):
    fresh, late, silent = pairs
    everything = admin_client.get(url(running_cohort)).content.decode()
    at_risk = admin_client.get(url(running_cohort, health="at_risk")).content.decode()
    assert _name(fresh) in everything and _name(fresh) not in at_risk
    assert _name(silent) in at_risk and _name(late) in at_risk
    listed = admin_client.get(
        url(running_cohort, health="at_risk"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="pairs"
    ).content.decode()
    assert "<html" not in listed and _name(silent) in listed and _name(fresh) not in listed
    assert "<html" in admin_client.get(url(running_cohort, health="at_risk")).content.decode()


def test_a_cache_that_cannot_be_reached_still_serves_it(
    admin_client, running_cohort, pairs, settings
):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    fresh, _late, _silent = pairs
    assert _name(fresh) in admin_client.get(url(running_cohort)).content.decode()
