from __future__ import annotations

from datetime import date, timedelta

import pytest

from goals.health import Health, pair_health

TODAY = date(2026, 11, 22)


def health(**kwargs):
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("started_on", TODAY - timedelta(days=60))
    kwargs.setdefault("cadence_days", 14)
    kwargs.setdefault("last_met_on", None)
    kwargs.setdefault("next_meeting_on", None)
    return pair_health(**kwargs)


@pytest.mark.parametrize(
    ("days_since", "expected"),
    [
        (0, Health.ON_TRACK),
        (11, Health.ON_TRACK),
        (12, Health.DUE),  # due within two days, nothing booked
        (14, Health.DUE),
        (15, Health.OVERDUE),
        (28, Health.OVERDUE),
        (29, Health.INACTIVE),
    ],
)
def test_state_follows_days_since_last_meeting_against_cadence(days_since, expected):
    report = health(last_met_on=TODAY - timedelta(days=days_since))
    assert report.state == expected
    assert report.days_since_meeting == days_since


def test_without_any_meeting_days_count_from_the_start():
    report = health(started_on=TODAY - timedelta(days=40))
    assert report.state == Health.INACTIVE
    assert "no meeting yet" in report.reasons[0]


def test_a_booked_meeting_puts_a_late_pair_back_on_track():
    report = health(
        last_met_on=TODAY - timedelta(days=20), next_meeting_on=TODAY + timedelta(days=3)
    )
    assert report.state == Health.ON_TRACK


def test_a_booking_far_beyond_twice_the_cadence_stays_overdue():
    report = health(
        last_met_on=TODAY - timedelta(days=20), next_meeting_on=TODAY + timedelta(days=30)
    )
    assert report.state == Health.OVERDUE
    assert "50 days between meetings" in report.reasons[0]


@pytest.mark.parametrize(
    "waiting", [{"missing_check_ins": 1}, {"waiting_reviews": 2}, {"overdue_milestones": 1}]
)
def test_open_work_makes_an_on_track_pair_due(waiting):
    report = health(last_met_on=TODAY - timedelta(days=2), **waiting)
    assert report.state == Health.DUE
    assert report.reasons


def test_open_work_does_not_hide_a_worse_state():
    report = health(last_met_on=TODAY - timedelta(days=40), overdue_milestones=3)
    assert report.state == Health.INACTIVE
    assert "3 milestones overdue." in report.reasons


def test_at_risk_and_rank():
    assert Health.INACTIVE.at_risk and Health.OVERDUE.at_risk
    assert not Health.DUE.at_risk
    ranked = sorted(Health, key=lambda state: state.rank)
    assert ranked == [Health.INACTIVE, Health.OVERDUE, Health.DUE, Health.ON_TRACK]
