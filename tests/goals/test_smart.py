"""The SMART check of a goal draft: what is missing (blocks sending) and what is weak."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from goals.smart import (
    ACHIEVABLE,
    MEASURABLE,
    MISSING,
    RELEVANT,
    SPECIFIC,
    TIME_BOUND,
    WEAK,
    GoalDraft,
    MilestoneLine,
    assess,
    blocking,
    summarise,
)

TODAY = date(2027, 1, 10)

GOOD = GoalDraft(
    title="Give three talks at the engineering all-hands",
    measure_kind="metric",
    metric_unit="talks",
    baseline=Decimal(0),
    target=Decimal(3),
    relevance="Staff engineers are expected to share their work widely.",
    due_on=date(2027, 5, 1),
    cohort_starts_on=date(2026, 12, 1),
    cohort_ends_on=date(2027, 6, 2),
)


def findings(draft, *, today=TODAY):
    return {(f.part, f.level, f.field) for f in assess(draft, today=today)}


def messages(draft):
    return " ".join(f.message for f in assess(draft, today=TODAY))


def test_a_good_goal_has_no_findings():
    assert assess(GOOD, today=TODAY) == []
    assert all(part.level == "ok" for part in summarise([]))


def test_good_milestone_goal_has_no_findings():
    draft = replace(
        GOOD,
        measure_kind="milestones",
        baseline=None,
        target=None,
        metric_unit="",
        milestones=[MilestoneLine("Pick a topic"), MilestoneLine("Give the talk")],
    )
    assert assess(draft, today=TODAY) == []


def test_missing_title():
    assert (SPECIFIC, MISSING, "title") in findings(replace(GOOD, title="  "))


def test_short_title_is_weak():
    assert findings(replace(GOOD, title="Talks")) == {(SPECIFIC, WEAK, "title")}


@pytest.mark.parametrize(
    "title",
    [
        "Improve my communication",
        "Get better at public speaking",
        "Learn more about Kubernetes",
        "Work on my presentation skills",
        "Be more confident in meetings",
    ],
)
def test_vague_verb_without_a_measure(title):
    draft = replace(GOOD, title=title, baseline=None, target=None)
    assert (SPECIFIC, WEAK, "title") in findings(draft)
    assert "on its own does not say what will be different" in messages(draft)


def test_vague_verb_with_a_measure_is_fine():
    draft = replace(GOOD, title="Improve test coverage of the billing service")
    assert findings(draft) == set()


def test_vague_verb_inside_a_word_is_not_vague():
    draft = replace(GOOD, title="Ship the improvements backlog", baseline=None, target=None)
    assert (SPECIFIC, WEAK, "title") not in findings(draft)


def test_metric_without_baseline_or_target():
    found = findings(replace(GOOD, baseline=None, target=None))
    assert (MEASURABLE, MISSING, "baseline") in found
    assert (MEASURABLE, MISSING, "target") in found
    assert "No measurable target" in messages(replace(GOOD, target=None))


def test_target_equal_to_baseline():
    draft = replace(GOOD, baseline=Decimal(3), target=Decimal(3))
    assert (MEASURABLE, MISSING, "target") in findings(draft)
    assert "same as the baseline" in messages(draft)


def test_metric_without_unit_is_weak():
    assert findings(replace(GOOD, metric_unit="")) == {(MEASURABLE, WEAK, "metric_unit")}


def test_milestone_goal_without_milestones():
    draft = replace(GOOD, measure_kind="milestones", baseline=None, target=None)
    assert (MEASURABLE, MISSING, "milestones") in findings(draft)


def test_single_milestone_is_weak():
    draft = replace(GOOD, measure_kind="milestones", milestones=[MilestoneLine("Everything")])
    assert findings(draft) == {(MEASURABLE, WEAK, "milestones")}


def test_target_far_beyond_baseline_is_an_achievable_hint():
    draft = replace(GOOD, baseline=Decimal(2), target=Decimal(200))
    assert findings(draft) == {(ACHIEVABLE, WEAK, "target")}


def test_percentage_over_100_is_an_achievable_hint():
    draft = replace(GOOD, metric_unit="%", baseline=Decimal(60), target=Decimal(120))
    assert (ACHIEVABLE, WEAK, "target") in findings(draft)


def test_too_many_milestones_is_an_achievable_hint():
    draft = replace(
        GOOD, measure_kind="milestones", milestones=[MilestoneLine(f"Step {i}") for i in range(13)]
    )
    assert findings(draft) == {(ACHIEVABLE, WEAK, "milestones")}


def test_no_relevance():
    draft = replace(GOOD, relevance="")
    assert findings(draft) == {(RELEVANT, MISSING, "relevance")}
    assert "why this goal matters for your career" in messages(draft)


def test_thin_relevance_is_weak():
    assert findings(replace(GOOD, relevance="promotion")) == {(RELEVANT, WEAK, "relevance")}


def test_no_due_date_and_no_reason():
    draft = replace(GOOD, due_on=None)
    assert findings(draft) == {(TIME_BOUND, MISSING, "due_on")}
    assert "before the cohort ends on 2 Jun 2027" in messages(draft)


def test_no_due_date_with_a_reason_is_fine():
    assert findings(replace(GOOD, due_on=None, no_due_reason="A habit, not a project")) == set()


def test_due_after_the_cohort_ends():
    draft = replace(GOOD, due_on=date(2027, 9, 1))
    assert findings(draft) == {(TIME_BOUND, MISSING, "due_on")}
    assert "after the cohort ends on 2 Jun 2027" in messages(draft)


def test_due_after_the_cohort_ends_with_a_reason_is_weak():
    draft = replace(GOOD, due_on=date(2027, 9, 1), no_due_reason="The exam is in September")
    assert findings(draft) == {(TIME_BOUND, WEAK, "due_on")}


def test_due_date_in_the_past():
    draft = replace(GOOD, due_on=date(2027, 1, 2))
    assert findings(draft) == {(TIME_BOUND, MISSING, "due_on")}
    assert "2 Jan 2027 has already passed" in messages(draft)


def test_due_before_the_cohort_starts_is_weak():
    draft = replace(GOOD, cohort_starts_on=date(2027, 3, 1))
    assert findings(replace(draft, due_on=date(2027, 2, 1))) == {(TIME_BOUND, WEAK, "due_on")}


def test_milestone_due_after_the_goal_is_weak():
    draft = replace(
        GOOD,
        measure_kind="milestones",
        milestones=[MilestoneLine("One", date(2027, 2, 1)), MilestoneLine("Two", date(2027, 6, 1))],
    )
    assert findings(draft) == {(TIME_BOUND, WEAK, "milestones")}


def test_without_cohort_dates_no_cohort_findings():
    draft = replace(GOOD, cohort_starts_on=None, cohort_ends_on=None, due_on=date(2030, 1, 1))
    assert findings(draft) == set()


def test_blocking_and_summary():
    found = assess(replace(GOOD, relevance="", metric_unit=""), today=TODAY)
    assert [f.field for f in blocking(found)] == ["relevance"]
    levels = {s.part: s.level for s in summarise(found)}
    assert levels == {
        SPECIFIC: "ok",
        MEASURABLE: WEAK,
        ACHIEVABLE: "ok",
        RELEVANT: MISSING,
        TIME_BOUND: "ok",
    }
