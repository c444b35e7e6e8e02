"""The statistics of reports/retention.py on plain data, against hand and textbook figures."""

from __future__ import annotations

from datetime import date

import pytest
from scipy.stats import chi2

from reports.exports import safe_cell
from reports.retention import (
    Person,
    Subject,
    add_months,
    breakdown,
    chi2_sf_1df,
    difference_ci,
    horizon_rate,
    kaplan_meier,
    logrank,
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year, clamped
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 3, 31), 6, date(2024, 9, 30)),
        (date(2024, 7, 15), 6, date(2025, 1, 15)),  # crosses the year
        (date(2024, 12, 31), 12, date(2025, 12, 31)),
        (date(2024, 11, 15), -11, date(2023, 12, 15)),
    ],
)
def test_add_months_clamps_the_day(start, months, expected):
    assert add_months(start, months) == expected


def test_kaplan_meier_tiny_case_by_hand():
    # Five people: left on day 2, censored on day 2, left on day 3, censored and left on day 5.
    curve = kaplan_meier([(2, True), (2, False), (3, True), (5, False), (5, True)])
    # Day 2: 5 at risk (the one censored on day 2 is still at risk), 1 leaves: 4/5.
    # Day 3: 3 at risk, 1 leaves: 4/5 * 2/3.  Day 5: 2 at risk, 1 leaves: 4/5 * 2/3 * 1/2.
    assert [d for d, _ in curve.points] == [0, 2, 3, 5]
    assert [s for _, s in curve.points] == pytest.approx([1.0, 0.8, 8 / 15, 4 / 15])
    assert (curve.n, curve.events) == (5, 3)
    assert [(s.days, s.at_risk, s.events) for s in curve.steps] == [(2, 5, 1), (3, 3, 1), (5, 2, 1)]
    survival, variance = curve.at(4)
    assert survival == pytest.approx(8 / 15)
    # Greenwood: S^2 * (1 / (5 * 4) + 1 / (3 * 2)).
    assert variance == pytest.approx((8 / 15) ** 2 * (1 / 20 + 1 / 6))
    assert curve.at(1) == (1.0, 0.0)


# Freireich et al. (1963), remission times in weeks of leukaemia patients (6-MP vs placebo), the
# textbook example of Kleinbaum & Klein, "Survival Analysis", ch. 2: log-rank chi-square 16.79.
SIX_MP = [
    (6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True), (10, False),
    (11, False), (13, True), (16, True), (17, False), (19, False), (20, False), (22, True),
    (23, True), (25, False), (32, False), (32, False), (34, False), (35, False),
]  # fmt: skip
PLACEBO = [
    (t, True) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)
]


def test_logrank_textbook_example():
    result = logrank(SIX_MP, PLACEBO)
    assert result is not None
    assert result.chi2 == pytest.approx(16.79, abs=0.005)
    assert (result.observed_a, result.observed_b) == (9, 21)
    assert result.expected_a == pytest.approx(19.25, abs=0.005)
    assert result.expected_b == pytest.approx(10.75, abs=0.005)
    assert result.p_value == pytest.approx(chi2.sf(result.chi2, 1), rel=1e-9)
    assert result.p_value == pytest.approx(4.17e-5, rel=0.01)
    # Symmetric in the groups.
    assert logrank(PLACEBO, SIX_MP).chi2 == pytest.approx(result.chi2)


def test_kaplan_meier_textbook_example():
    # Kleinbaum & Klein table for the 6-MP group: 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448.
    curve = kaplan_meier(SIX_MP)
    assert [round(s, 3) for _, s in curve.points] == [
        1.0, 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448,
    ]  # fmt: skip
    assert [d for d, _ in curve.points] == [0, 6, 7, 10, 13, 16, 22, 23]
    # Greenwood standard error at 13 weeks: 0.107.
    assert curve.at(13)[1] ** 0.5 == pytest.approx(0.107, abs=0.0005)


@pytest.mark.parametrize("x", [0.0, 0.5, 1.0, 3.841458820694124, 10.0, 25.0])
def test_chi2_upper_tail_matches_scipy(x):
    assert chi2_sf_1df(x) == pytest.approx(chi2.sf(x, 1), rel=1e-12)


def test_logrank_without_events_is_none():
    assert logrank([(5, False), (6, False)], [(3, False)]) is None


def test_newcombe_interval_textbook_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80, method 10:
    # 0.2000 (0.0524 to 0.3339).
    ci = difference_ci(56, 70, 48, 80)
    assert ci.difference == pytest.approx(0.2)
    assert ci.low == pytest.approx(0.0524, abs=0.00005)
    assert ci.high == pytest.approx(0.3339, abs=0.00005)
    # 10/10 - 0/20 by hand: Wilson bounds 0.7225 (10/10, lower) and 0.1611 (0/20, upper), so
    # low = 1 - sqrt(0.2775^2 + 0.1611^2) = 0.6791; high = 1 - 0 + sqrt(0 + 0) = 1.
    ci = difference_ci(10, 10, 0, 20)
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.6791, 1.0)


def _subject(i, *, department="", level=None, end=None, start=date(2024, 1, 1)):
    return Subject(Person(i, date(2020, 1, 1), end, department, level), start)


def test_horizon_rate_observable_suppressed_and_exact_day():
    start = date(2024, 1, 31)
    people = [_subject(i, start=start) for i in range(4)]
    people.append(_subject(9, start=start, end=date(2024, 7, 31)))  # leaves on the 6-month day
    rate = horizon_rate(people, 6, as_of=date(2024, 7, 31))
    assert (rate.status, rate.observable, rate.retained, rate.rate) == ("ok", 5, 4, 0.8)
    assert horizon_rate(people, 6, as_of=date(2024, 7, 30)).status == "not_yet_observable"
    assert horizon_rate(people[:4], 6, as_of=date(2025, 1, 1)).status == "suppressed"
    assert horizon_rate(people[:4], 6, as_of=date(2025, 1, 1)).rate is None


def test_department_breakdown_suppression_and_its_complement():
    as_of = date(2026, 1, 1)
    x = [_subject(i, department="X", end=date(2024, 3, 1) if i == 0 else None) for i in range(6)]
    y = [_subject(10 + i, department="Y") for i in range(5)]
    z = [_subject(20 + i, department="Z") for i in range(2)]
    cells = breakdown("department", {"mentees": x + y + z}, as_of)
    by_value = {c.value: c for c in cells}
    assert by_value["Z"].suppressed and by_value["Z"].headcount is None  # 2 people
    # Y has 5, but with only Z hidden, Y = total - X would give Z away: hidden too.
    assert by_value["Y"].suppressed and by_value["Y"].headcount is None
    assert all(r.rate is None for r in by_value["Y"].rates + by_value["Z"].rates)
    shown = by_value["X"]
    assert not shown.suppressed and shown.headcount == 6
    assert [r.rate for r in shown.rates] == pytest.approx([5 / 6, 5 / 6, 5 / 6])


def test_level_breakdown_suppression():
    as_of = date(2026, 1, 1)
    subjects = (
        [_subject(i, level=1) for i in range(2)]
        + [_subject(10 + i, level=2) for i in range(3)]
        + [_subject(20 + i, level=3, end=date(2025, 6, 1) if i < 3 else None) for i in range(6)]
        + [_subject(30 + i, level=None) for i in range(5)]
    )
    cells = breakdown("level", {"comparison": subjects}, as_of)
    assert [c.value for c in cells] == ["1", "2", "3", "unknown"]
    by_value = {c.value: c for c in cells}
    assert by_value["1"].suppressed and by_value["2"].suppressed  # 2 and 3 people
    assert by_value["3"].headcount == 6 and by_value["unknown"].headcount == 5
    # Level 3: 6-month (2024-07-01) all retained; 12-month (2025-01-01) all; 24-month 3/6 left.
    assert [r.rate for r in by_value["3"].rates] == pytest.approx([1.0, 1.0, 0.5])
    assert all(c.group == "comparison" for c in cells)


def test_breakdown_with_one_cell_only_small_is_all_hidden():
    cells = breakdown("department", {"mentors": [_subject(1, department="X")]}, date(2026, 1, 1))
    assert [(c.value, c.suppressed, c.headcount) for c in cells] == [("X", True, None)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20", "'+44 20"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Plain", "Plain"),
        ("a=b", "a=b"),
        (12, 12),
        (-0.5, -0.5),
        (None, ""),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
