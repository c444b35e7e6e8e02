"""seed_demo's pairs: every health state among the running cohorts' pairs, a rich pair for the
demo logins, a full history for the completed cohorts; a second run changes nothing.

One test seeds once and checks it all: seeding the whole demo takes a few seconds.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from goals import smart
from goals.health import Health
from goals.models import (
    AgreementRevision,
    CheckIn,
    Goal,
    GoalEvent,
    GoalTemplate,
    Meeting,
    Milestone,
    PrivateNote,
    ProgressUpdate,
)
from goals.selectors.pairs import health_of, with_health_figures
from goals.services.goals import goal_input_of
from matching.models import Match, PairRule
from mentorship.cache_versions import bump
from mentorship.models import Notification

pytestmark = pytest.mark.django_db

WORKSPACE = [
    AgreementRevision,
    GoalTemplate,
    Goal,
    GoalEvent,
    Milestone,
    Meeting,
    CheckIn,
    ProgressUpdate,
    PrivateNote,
    Match,
    PairRule,
]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return [row for model in WORKSPACE for row in model.objects.order_by("pk").values_list()]


def test_seed_demo_fills_the_pairs_workspaces(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        output = seed()
    # Seeding bumps the report cache's data versions on commit; it queues no email.
    assert [c for c in callbacks if getattr(c, "func", None) is not bump] == []
    assert mailoutbox == [], "seeding sends nothing"
    now = timezone.now()
    today = timezone.localdate()

    # Running cohorts: pairs in every health state, several each, with goals in every status.
    running = Match.objects.filter(
        status=Match.Status.ACTIVE, cohort__starts_on__lte=today, cohort__ends_on__gte=today
    )
    pairs = list(with_health_figures(running.select_related("cohort")))
    states = Counter(health_of(m, today=today).state for m in pairs)
    assert set(states) == set(Health), states
    assert min(states.values()) >= 3, states
    assert "Pairs by health in eng-" in output and "Pairs by health in peer-circles-" in output
    assert set(Goal.objects.filter(match__in=running).values_list("status", flat=True)) == set(
        Goal.Status.values
    )
    assert any(m.waiting_reviews for m in pairs), "a check-in waiting days for review"
    assert any(m.overdue_milestones for m in pairs), "an overdue milestone"
    assert any(m.missing_check_ins for m in pairs), "a meeting without its check-in"
    assert any(m.meetings_held == 0 for m in pairs), "a pair that never met"
    agreements = Counter(
        "both" if m.agreed_cadence else ("one" if m.agreement_revisions.exists() else "none")
        for m in pairs
    )
    assert set(agreements) == {"both", "one", "none"} and agreements["both"] > len(pairs) / 2
    changes = GoalEvent.objects.filter(goal__match__in=running, kind="changes")
    assert changes.exists() and not changes.filter(comment="").exists()

    # The demo logins are a pair, on track, with something waiting for each of them.
    demo = Match.objects.select_related("cohort", "mentor__person").get(
        mentee__person__email="mentee@example.com", status=Match.Status.ACTIVE
    )
    assert demo.mentor.person.email == "mentor@example.com"
    assert PairRule.objects.filter(mentee=demo.mentee, mentor=demo.mentor, kind="lock").exists()
    figures = with_health_figures(Match.objects.filter(pk=demo.pk).select_related("cohort"))
    assert health_of(figures.get(), today=today).state == Health.ON_TRACK
    goals = {g.status: g for g in demo.goals.all()}
    assert sorted(demo.goals.values_list("status", flat=True)) == ["agreed", "agreed", "proposed"]
    metric = demo.goals.get(status="agreed", measure_kind="metric")
    assert metric.current_value is not None and metric.progress_updates.count() >= 2
    checklist = demo.goals.get(status="agreed", measure_kind="milestones")
    assert checklist.milestones.count() == 4
    assert checklist.milestones.filter(done_at__isnull=False).count() == 2
    assert goals["proposed"].template is not None
    held = demo.meetings.filter(status="scheduled", starts_at__lte=now)
    assert held.count() == 4 and demo.check_ins.count() == 4
    waiting = demo.check_ins.get(reviewed_at=None)
    assert waiting.meeting == held.latest("starts_at")
    upcoming = demo.meetings.get(status="scheduled", starts_at__gt=now)
    assert timedelta(days=3) < upcoming.starts_at - now < timedelta(days=7)
    assert set(
        PrivateNote.objects.filter(meeting__match=demo).values_list("author", flat=True)
    ) == {
        demo.mentee.person_id,
        demo.mentor.person_id,
    }
    revisions = list(demo.agreement_revisions.order_by("number"))
    assert len(revisions) == 2 and all(r.is_confirmed for r in revisions)

    # Completed cohorts: ended pairs with a full history, nearly all reviewed.
    completed = Match.objects.filter(cohort__ends_on__lt=today)
    assert completed.exists()
    assert set(completed.values_list("status", flat=True)) == {Match.Status.ENDED}
    assert not completed.filter(Q(ended_at=None) | Q(end_reason="") | Q(published_at=None)).exists()
    histories = completed.annotate(
        meetings_held=Count("meetings", filter=Q(meetings__status="scheduled"), distinct=True),
        goals_set=Count("goals", distinct=True),
    )
    for match in histories:
        assert match.meetings_held >= 2 and match.goals_set >= 2, match
        assert not match.meetings.filter(starts_at__gt=match.ended_at).exists()
    check_ins = CheckIn.objects.filter(match__in=completed)
    assert (
        check_ins.count()
        > 0.85 * Meeting.objects.filter(match__in=completed, status="scheduled").count()
    )
    assert check_ins.filter(reviewed_at__isnull=False).count() > 0.9 * check_ins.count()
    assert not check_ins.filter(reviewed_at__isnull=False, review_comment="").exists()
    statuses = Counter(Goal.objects.filter(match__in=completed).values_list("status", flat=True))
    assert statuses["achieved"] > sum(statuses.values()) / 2

    # Nothing in the future but booked meetings; histories in time order; SMART goals.
    assert not GoalEvent.objects.filter(at__gt=now).exists()
    assert not CheckIn.objects.filter(Q(submitted_at__gt=now) | Q(reviewed_at__gt=now)).exists()
    assert not Milestone.objects.filter(done_at__gt=now).exists()
    assert not Milestone.objects.filter(goal__status="achieved", done_at=None).exists()
    for goal in Goal.objects.select_related("match__cohort").prefetch_related("events"):
        times = [e.at for e in sorted(goal.events.all(), key=lambda e: e.pk)]
        assert times == sorted(times) and times[0] == goal.created_at, goal
        if goal.status != "draft":
            draft = goal_input_of(goal).smart_draft(goal.match)
            assert not smart.blocking(smart.assess(draft, today=goal.created_at.date())), goal
    # Seeded meetings were "sent to calendars" then: no invitation is recorded for them.
    assert not Notification.objects.filter(kind="meeting_invitation").exists(), "no invitation"

    # A second run changes nothing and says so.
    before = snapshot()
    again = seed()
    assert snapshot() == before
    assert "nothing changed" in again
