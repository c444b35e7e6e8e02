"""Recording progress on a goal: value or milestones, derived percent, history, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from goals.models import Goal, GoalEvent, ProgressUpdate
from goals.services.goals import GoalRefused, goal_percent, goal_progress_record
from tests.goals.goals_factories import make_goal

pytestmark = pytest.mark.django_db


def test_metric_value_sets_current_value_and_derives_percent(pair, alice):
    goal = make_goal(pair, baseline=Decimal(2), target=Decimal(12))
    update = goal_progress_record(goal=goal, user=alice, value="7", note="Two more talks")
    goal.refresh_from_db()
    assert goal.current_value == Decimal("7.00")
    assert update.value == Decimal("7.00")
    assert update.percent == 50
    assert update.note == "Two more talks"
    assert update.author == alice
    event = goal.events.get(kind=GoalEvent.Kind.PROGRESS)
    assert event.actor == alice
    assert event.data["percent"] == 50
    assert event.data["value"] == 7.0
    assert event.comment == ""
    assert "Two more talks" not in str(event.data)


def test_metric_percent_is_clamped(pair, alice):
    goal = make_goal(pair, baseline=Decimal(0), target=Decimal(10))
    assert goal_progress_record(goal=goal, user=alice, value=25).percent == 100
    assert goal_progress_record(goal=goal, user=alice, value=-3).percent == 0


def test_decreasing_metric_goal(pair, alice):
    goal = make_goal(pair, baseline=Decimal(40), target=Decimal(20), metric_unit="hours")
    assert goal_progress_record(goal=goal, user=alice, value=35).percent == 25


def test_metric_note_only_keeps_the_value(pair, alice):
    goal = make_goal(pair, current_value=Decimal(5))
    update = goal_progress_record(goal=goal, user=alice, note="Prepared the next one")
    goal.refresh_from_db()
    assert goal.current_value == Decimal(5)
    assert update.value is None
    assert update.percent == 50


def test_metric_needs_a_value_or_a_note(pair, alice):
    goal = make_goal(pair)
    with pytest.raises(GoalRefused, match="new value"):
        goal_progress_record(goal=goal, user=alice)
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "1e12"])
def test_metric_value_must_be_a_reasonable_number(pair, alice, value):
    goal = make_goal(pair)
    with pytest.raises(GoalRefused):
        goal_progress_record(goal=goal, user=alice, value=value)
    assert not ProgressUpdate.objects.exists()


def test_milestones_ticked_record_when_and_who(pair, alice, bob):
    goal = make_goal(pair, milestones=["Pick a topic", "Write slides", "Rehearse", "Present"])
    first, second, *_ = goal.milestones.all()
    update = goal_progress_record(
        goal=goal, user=bob, milestone_ids_done=[first.pk, second.pk], note="Good start"
    )
    first.refresh_from_db()
    assert first.done_by == bob and first.done_at is not None
    assert update.milestones_done == 2
    assert update.percent == 50
    assert update.value is None
    event = goal.events.get(kind=GoalEvent.Kind.PROGRESS)
    assert event.data["percent"] == 50
    assert event.data["milestones_done"] == 2


def test_milestone_already_done_keeps_its_date(pair, alice):
    goal = make_goal(pair, milestones=["One", "Two"])
    first = goal.milestones.first()
    earlier = timezone.now() - timezone.timedelta(days=3)
    first.done_at = earlier
    first.save()
    update = goal_progress_record(goal=goal, user=alice, milestone_ids_done=[first.pk], note="x")
    first.refresh_from_db()
    assert first.done_at == earlier
    assert update.percent == 50


def test_milestones_of_another_goal_are_refused(pair, alice):
    goal = make_goal(pair, milestones=["One"])
    other = make_goal(pair, milestones=["Elsewhere"])
    with pytest.raises(GoalRefused, match="own milestones"):
        goal_progress_record(goal=goal, user=alice, milestone_ids_done=[other.milestones.get().pk])
    assert not other.milestones.filter(done_at__isnull=False).exists()


def test_milestone_goal_needs_a_tick_or_a_note(pair, alice):
    goal = make_goal(pair, milestones=["One"])
    with pytest.raises(GoalRefused):
        goal_progress_record(goal=goal, user=alice)


def test_outsider_is_refused(pair, charlie):
    goal = make_goal(pair)
    with pytest.raises(GoalRefused, match="two people"):
        goal_progress_record(goal=goal, user=charlie, value=3)
    goal.refresh_from_db()
    assert goal.current_value is None
    assert not ProgressUpdate.objects.exists()


def test_ended_pair_is_refused(pair, alice):
    goal = make_goal(pair)
    pair.status = "ended"
    pair.save()
    with pytest.raises(GoalRefused, match="ended"):
        goal_progress_record(goal=goal, user=alice, value=3)
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("status", [Goal.Status.ACHIEVED, Goal.Status.DROPPED])
def test_closed_goal_is_refused(pair, alice, status):
    goal = make_goal(pair, status=status)
    with pytest.raises(GoalRefused):
        goal_progress_record(goal=goal, user=alice, value=3)


def test_refusal_is_a_value_error():
    assert issubclass(GoalRefused, ValueError)


def test_goal_percent(pair):
    metric = make_goal(pair, current_value=Decimal(3))
    assert goal_percent(metric) == 30
    assert goal_percent(make_goal(pair)) is None
    checklist = make_goal(pair, milestones=["a", "b", "c"])
    assert goal_percent(checklist) == 0
    checklist.milestones.filter(title="a").update(done_at=timezone.now())
    assert goal_percent(checklist) == 33
    empty = make_goal(pair, measure_kind=Goal.MeasureKind.MILESTONES)
    assert goal_percent(empty) is None
