"""Goal services: drafting, sending, agreeing, status transitions, history, milestones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from goals.models import Goal, GoalEvent, GoalTemplate, Milestone
from goals.selectors.goals import goals_for_pair
from goals.services import goals as svc
from goals.services.goals import (
    TRANSITIONS,
    GoalInput,
    GoalNotSmart,
    GoalRefused,
    allowed_transitions,
)
from goals.smart import MilestoneLine
from programs.models import Program
from tests.goals.fixtures import make_pair
from tests.goals.goals_factories import make_goal
from tests.programs.fixtures import make_cohort, make_program

pytestmark = pytest.mark.django_db

S = Goal.Status


def good_input(**extra) -> GoalInput:
    values = {
        "title": "Give three talks at the engineering all-hands",
        "measure_kind": "metric",
        "metric_unit": "talks",
        "baseline": Decimal(0),
        "target": Decimal(3),
        "relevance": "Staff engineers are expected to share their work widely.",
        "due_on": timezone.localdate() + timedelta(days=60),
    }
    values.update(extra)
    return GoalInput(**values)


def kinds(goal):
    return list(goal.events.order_by("at", "id").values_list("kind", flat=True))


# --- Drafting -----------------------------------------------------------------------------------


def test_mentee_drafts_a_goal_with_history(pair, alice):
    goal = svc.goal_create(match=pair, user=alice, data=good_input())
    assert goal.status == S.DRAFT
    assert goal.owner == pair.mentee
    assert goal.created_by == alice
    event = goal.events.get()
    assert event.kind == GoalEvent.Kind.CREATED
    assert event.actor == alice
    assert event.data["target"] == 3.0


def test_mentee_sends_a_goal_at_once(pair, alice):
    goal = svc.goal_create(match=pair, user=alice, data=good_input(), send=True)
    assert goal.status == S.PROPOSED
    assert kinds(goal) == ["created", "proposed"]


def test_draft_may_keep_smart_findings(pair, alice):
    goal = svc.goal_create(match=pair, user=alice, data=good_input(relevance=""))
    assert goal.status == S.DRAFT


def test_sending_refused_while_a_part_is_missing(pair, alice):
    with pytest.raises(GoalNotSmart) as refused:
        svc.goal_create(match=pair, user=alice, data=good_input(relevance=""), send=True)
    assert [f.field for f in refused.value.findings] == ["relevance"]
    assert not Goal.objects.exists()


def test_draft_still_needs_what_the_database_requires(pair, alice):
    with pytest.raises(GoalRefused, match="baseline"):
        svc.goal_create(match=pair, user=alice, data=good_input(baseline=None))
    with pytest.raises(GoalRefused, match="due date"):
        svc.goal_create(match=pair, user=alice, data=good_input(due_on=None))
    assert not Goal.objects.exists()


def test_milestone_goal_keeps_its_milestones_in_order(pair, alice):
    data = good_input(
        measure_kind="milestones",
        milestones=[MilestoneLine("Pick a topic"), MilestoneLine("Give the talk")],
    )
    goal = svc.goal_create(match=pair, user=alice, data=data)
    assert list(goal.milestones.values_list("title", flat=True)) == [
        "Pick a topic",
        "Give the talk",
    ]
    assert goal.baseline is None and goal.target is None


def test_mentor_cannot_draft_goals(pair, bob):
    with pytest.raises(GoalRefused, match="drafted by the mentee"):
        svc.goal_create(match=pair, user=bob, data=good_input())


def test_outsider_cannot_draft_goals(pair, charlie):
    with pytest.raises(GoalRefused, match="two people"):
        svc.goal_create(match=pair, user=charlie, data=good_input())


def test_no_goals_on_an_ended_pair(pair, alice):
    pair.status = "ended"
    pair.save()
    with pytest.raises(GoalRefused, match="ended"):
        svc.goal_create(match=pair, user=alice, data=good_input())


def test_either_peer_owns_their_goals(alice, bob):
    peer_program = make_program(kind=Program.Kind.PEER)
    cohort = make_cohort(program=peer_program, phase="running")
    match = make_pair(cohort=cohort, mentee=alice, mentor=bob)
    goal = svc.goal_create(match=match, user=bob, data=good_input(), send=True)
    assert goal.owner == match.mentor
    with pytest.raises(GoalRefused):
        svc.goal_agree(goal=goal, user=bob)
    assert svc.goal_agree(goal=goal, user=alice).status == S.AGREED


def test_template_of_another_program_is_refused(pair, alice, other_program):
    template = GoalTemplate.objects.create(program=other_program, title="Elsewhere")
    with pytest.raises(GoalRefused, match="template"):
        svc.goal_create(match=pair, user=alice, data=good_input(), template=template)


# --- Agreeing ----------------------------------------------------------------------------------


def test_mentor_agrees_a_proposed_goal(pair, alice, bob):
    goal = make_goal(pair, status=S.PROPOSED)
    svc.goal_agree(goal=goal, user=bob)
    goal.refresh_from_db()
    assert goal.status == S.AGREED
    assert goal.agreed_at is not None
    event = goal.events.get()
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        "agreed",
        bob,
        "proposed",
        "agreed",
    )


def test_mentee_cannot_agree_their_own_goal(pair, alice):
    goal = make_goal(pair, status=S.PROPOSED)
    with pytest.raises(GoalRefused):
        svc.goal_agree(goal=goal, user=alice)
    goal.refresh_from_db()
    assert goal.status == S.PROPOSED


def test_changes_need_a_comment_kept_in_history(pair, bob):
    goal = make_goal(pair, status=S.PROPOSED)
    with pytest.raises(GoalRefused, match="what should change"):
        svc.goal_request_changes(goal=goal, user=bob, comment="  ")
    svc.goal_request_changes(goal=goal, user=bob, comment="Make the target 5 talks")
    goal.refresh_from_db()
    assert goal.status == S.CHANGES_REQUESTED
    assert goal.events.get().comment == "Make the target 5 talks"


def test_outsider_cannot_agree(pair, charlie):
    goal = make_goal(pair, status=S.PROPOSED)
    with pytest.raises(GoalRefused):
        svc.goal_agree(goal=goal, user=charlie)


def test_resend_after_changes(pair, alice, bob):
    goal = make_goal(pair, status=S.CHANGES_REQUESTED)
    assert svc.goal_propose(goal=goal, user=alice).status == S.PROPOSED


# --- Status transitions -----------------------------------------------------------------------


def test_transition_table_is_owner_or_other_only():
    assert set(TRANSITIONS.values()) == {"owner", "other"}
    assert TRANSITIONS[(S.PROPOSED, S.AGREED)] == "other"
    assert TRANSITIONS[(S.PROPOSED, S.CHANGES_REQUESTED)] == "other"
    # Nothing leaves achieved or dropped, and nothing is agreed without a proposal.
    assert not [key for key in TRANSITIONS if key[0] in (S.ACHIEVED, S.DROPPED)]
    assert [key for key in TRANSITIONS if key[1] == S.AGREED] == [
        (S.PROPOSED, S.AGREED),
        (S.PAUSED, S.AGREED),
    ]


def test_pause_resume_achieve_keep_history(pair, alice):
    goal = make_goal(pair)
    svc.goal_status_change(goal=goal, user=alice, to_status=S.PAUSED)
    svc.goal_status_change(goal=goal, user=alice, to_status=S.AGREED)
    svc.goal_status_change(goal=goal, user=alice, to_status=S.ACHIEVED)
    goal.refresh_from_db()
    assert goal.status == S.ACHIEVED and goal.achieved_at is not None
    steps = list(goal.events.values_list("from_status", "to_status", "actor"))
    assert steps == [
        ("agreed", "paused", alice.pk),
        ("paused", "agreed", alice.pk),
        ("agreed", "achieved", alice.pk),
    ]


def test_drop_with_a_reason(pair, alice):
    goal = make_goal(pair)
    svc.goal_status_change(goal=goal, user=alice, to_status=S.DROPPED, comment="Team changed")
    assert goal.events.get().comment == "Team changed"


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.DRAFT, S.ACHIEVED),
        (S.PROPOSED, S.PAUSED),
        (S.ACHIEVED, S.AGREED),
        (S.DROPPED, S.AGREED),
        (S.DRAFT, S.AGREED),
    ],
)
def test_invalid_transitions_are_refused(pair, alice, start, to):
    goal = make_goal(pair, status=start)
    with pytest.raises(GoalRefused):
        svc.goal_status_change(goal=goal, user=alice, to_status=to)
    goal.refresh_from_db()
    assert goal.status == start
    assert not goal.events.exists()


def test_mentor_cannot_change_the_mentees_status(pair, bob):
    goal = make_goal(pair)
    with pytest.raises(GoalRefused, match="whose goal"):
        svc.goal_status_change(goal=goal, user=bob, to_status=S.ACHIEVED)


def test_allowed_transitions_per_side(pair, alice, bob, charlie):
    goal = make_goal(pair, status=S.PROPOSED)
    assert allowed_transitions(goal, alice) == {S.DRAFT, S.DROPPED}
    assert allowed_transitions(goal, bob) == {S.AGREED, S.CHANGES_REQUESTED}
    assert allowed_transitions(goal, charlie) == set()
    pair.status = "ended"
    pair.save()
    goal.refresh_from_db()
    assert allowed_transitions(goal, bob) == set()


def test_status_changes_refused_on_ended_pair(pair, alice):
    goal = make_goal(pair)
    pair.status = "ended"
    pair.save()
    with pytest.raises(GoalRefused, match="ended"):
        svc.goal_status_change(goal=goal, user=alice, to_status=S.ACHIEVED)


# --- Editing ------------------------------------------------------------------------------------


def test_editing_an_agreed_target_records_it_and_asks_again(pair, alice):
    goal = make_goal(pair)
    svc.goal_update(goal=goal, user=alice, data=good_input(target=Decimal(5)))
    goal.refresh_from_db()
    assert goal.status == S.PROPOSED
    target, proposed = goal.events.order_by("id")
    assert target.kind == "target"
    assert target.data["old"]["target"] == 10.0
    assert target.data["new"]["target"] == 5.0
    assert (proposed.kind, proposed.from_status, proposed.to_status) == (
        "proposed",
        "agreed",
        "proposed",
    )


def test_editing_an_agreed_goal_text_keeps_it_agreed(pair, alice):
    goal = make_goal(pair, baseline=Decimal(0), target=Decimal(3))
    data = good_input(title="Give three talks at the all-hands", due_on=goal.due_on)
    svc.goal_update(goal=goal, user=alice, data=data)
    goal.refresh_from_db()
    assert goal.status == S.AGREED
    event = goal.events.get()
    assert event.kind == "edited"
    assert "title" in event.data["fields"]


def test_reagreement_needs_a_smart_goal(pair, alice):
    goal = make_goal(pair)
    with pytest.raises(GoalNotSmart):
        svc.goal_update(goal=goal, user=alice, data=good_input(target=Decimal(5), relevance=""))
    goal.refresh_from_db()
    assert goal.target == Decimal(10)
    assert goal.status == S.AGREED


def test_saving_a_proposed_goal_as_draft_takes_it_back(pair, alice):
    goal = make_goal(pair, status=S.PROPOSED)
    goal = svc.goal_update(goal=goal, user=alice, data=good_input(), send=False)
    assert goal.status == S.DRAFT


def test_mentor_cannot_edit(pair, bob):
    goal = make_goal(pair)
    with pytest.raises(GoalRefused, match="whose goal"):
        svc.goal_update(goal=goal, user=bob, data=good_input(target=Decimal(1)))
    goal.refresh_from_db()
    assert goal.target == Decimal(10)


def test_achieved_goal_cannot_be_edited(pair, alice):
    goal = make_goal(pair, status=S.ACHIEVED)
    with pytest.raises(GoalRefused, match="no longer be edited"):
        svc.goal_update(goal=goal, user=alice, data=good_input())


def test_editing_milestones_keeps_ticks(pair, alice, bob):
    goal = make_goal(pair, milestones=["Pick a topic", "Write slides"], status=S.DRAFT)
    ticked = goal.milestones.get(title="Pick a topic")
    svc.milestone_set_done(milestone=ticked, user=bob)
    data = good_input(
        measure_kind="milestones",
        milestones=[
            MilestoneLine("Write slides"),
            MilestoneLine("pick a topic"),
            MilestoneLine("Rehearse"),
        ],
    )
    svc.goal_update(goal=goal, user=alice, data=data)
    rows = list(goal.milestones.values_list("title", "done_by", "position"))
    assert rows == [("Write slides", None, 0), ("pick a topic", bob.pk, 1), ("Rehearse", None, 2)]


# --- Milestones -------------------------------------------------------------------------------


def test_ticking_a_milestone_records_when_who_and_percent(pair, alice):
    goal = make_goal(pair, milestones=["One", "Two"])
    milestone = goal.milestones.first()
    svc.milestone_set_done(milestone=milestone, user=alice)
    milestone.refresh_from_db()
    assert milestone.done_by == alice and milestone.done_at is not None
    event = goal.events.get()
    assert event.kind == "milestone"
    assert event.data["percent"] == 50
    svc.milestone_set_done(milestone=milestone, user=alice, done=False)
    milestone.refresh_from_db()
    assert milestone.done_at is None
    assert goal.events.order_by("id").last().data["percent"] == 0


def test_ticking_twice_changes_nothing(pair, alice):
    goal = make_goal(pair, milestones=["One"])
    milestone = goal.milestones.get()
    svc.milestone_set_done(milestone=milestone, user=alice)
    svc.milestone_set_done(milestone=milestone, user=alice)
    assert goal.events.count() == 1


def test_outsider_cannot_tick(pair, charlie):
    goal = make_goal(pair, milestones=["One"])
    with pytest.raises(GoalRefused):
        svc.milestone_set_done(milestone=goal.milestones.get(), user=charlie)
    assert not Milestone.objects.filter(done_at__isnull=False).exists()


# --- Templates ----------------------------------------------------------------------------------


def test_goal_template_create_and_unique_title(program):
    data = svc.GoalTemplateInput(title="Lead a project", milestone_titles=["Scope", "", "Ship"])
    template = svc.goal_template_create(program=program, data=data)
    assert template.milestone_titles == ["Scope", "Ship"]
    with pytest.raises(GoalRefused, match="already has"):
        svc.goal_template_create(program=program, data=data)
    svc.goal_template_set_active(template=template, active=False)
    template.refresh_from_db()
    assert not template.is_active


# --- Selector ---------------------------------------------------------------------------------


def test_goals_for_pair_counts_and_orders(pair, alice, django_assert_num_queries):
    achieved = make_goal(pair, status=S.ACHIEVED, title="Done already")
    later = make_goal(pair, due_on=timezone.localdate() + timedelta(days=90), title="Later")
    sooner = make_goal(
        pair, milestones=["a", "b", "c", "d"], due_on=timezone.localdate() + timedelta(days=9)
    )
    sooner.milestones.filter(title__in=["a", "b", "c"]).update(done_at=timezone.now())
    draft = make_goal(pair, status=S.DRAFT, title="A draft")
    with django_assert_num_queries(1):
        goals = goals_for_pair(pair)
        percents = [(g.pk, g.milestones_total, g.milestones_done, g.percent) for g in goals]
    assert [g.pk for g in goals] == [sooner.pk, later.pk, draft.pk, achieved.pk]
    assert percents[0] == (sooner.pk, 4, 3, 75)


def test_goals_for_pair_query_count_does_not_grow(pair, django_assert_num_queries):
    make_goal(pair, milestones=["a"])
    with django_assert_num_queries(1):
        goals_for_pair(pair)
    for i in range(15):
        make_goal(pair, milestones=[f"m{j}" for j in range(4)], title=f"Goal number {i}")
    with django_assert_num_queries(1):
        goals = goals_for_pair(pair)
        _ = [(g.owner.person.get_full_name(), g.percent) for g in goals]
    assert len(goals) == 16
