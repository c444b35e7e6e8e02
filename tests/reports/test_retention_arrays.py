"""The numpy retention engine (reports/retention_arrays.py) against the person-by-person
reference functions of reports/retention.py: on random directories every report must be
equal, field by field and float by float, not merely close."""

from __future__ import annotations

import pickle
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.retention import (
    CohortInfo,
    CohortMembers,
    KMCurve,
    Person,
    RetentionData,
    kaplan_meier,
    reports_for,
)
from reports.retention_arrays import PeopleTable
from reports.retention_arrays import kaplan_meier as kaplan_meier_arrays

EPOCH = date(2021, 1, 1)
# Month ends and the days around them, so calendar months clamp (31 Jan + 1 month, 29 Feb).
SPECIAL = [date(2022, 1, 31), date(2023, 8, 31), date(2024, 2, 29), date(2024, 1, 31)]


def days(draw_from: int = 0, to: int = 6 * 365):
    return st.one_of(
        st.integers(draw_from, to).map(lambda n: EPOCH + timedelta(days=n)),
        st.sampled_from(SPECIAL),
    )


@st.composite
def directories(draw):
    """(RetentionData, as_of): people with or without dates (a leaving date may even precede
    the hire date), departments with blanks, levels with gaps, 1-5 cohorts over 1-3 programs
    (starts may coincide or follow the as-of date), overlapping mentee and mentor sets."""
    size = draw(st.integers(0, 40))
    people = []
    for pid in draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True)):
        hire = draw(st.one_of(st.none(), days(0, 5 * 365)))
        end = draw(st.one_of(st.none(), st.none(), days(0, 6 * 365)))
        department = draw(st.sampled_from(["Sales", "Engineering", "", "  ", "Legal", "sales"]))
        level = draw(st.one_of(st.none(), st.integers(1, 4)))
        people.append(Person(pid, hire, end, department, level))
    ids = [p.id for p in people]
    programs = draw(st.integers(1, 3))
    cohorts = []
    for cid in range(1, draw(st.integers(1, 5)) + 1):
        program = draw(st.integers(1, programs))
        info = CohortInfo(
            cid, f"c{cid}", f"Cohort {cid}", draw(days(365, 5 * 365)), program, f"p{program}",
            f"Program {program}",
        )  # fmt: skip
        pick = (
            st.sets(st.sampled_from(ids), max_size=max(0, len(ids) // 2)) if ids else st.just(set())
        )
        cohorts.append(CohortMembers(info, frozenset(draw(pick)), frozenset(draw(pick))))
    matched = set().union(*(m.mentees | m.mentors for m in cohorts))
    as_of = draw(days(365, 6 * 365 + 200))
    return RetentionData.from_people(cohorts, people, matched), as_of


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directories(), st.booleans())
def test_numpy_reports_equal_the_reference(directory, include_all):
    data, as_of = directory
    fast = reports_for(data, as_of, include_all=include_all)
    reference = reports_for(data, as_of, include_all=include_all, reference=True)
    assert len(fast) == len(reference)
    for mine, theirs in zip(fast, reference, strict=True):
        assert mine.groups == theirs.groups
        assert mine.versus == theirs.versus
        assert mine.by_department == theirs.by_department
        assert mine.by_level == theirs.by_level
        assert mine == theirs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=60))
def test_kaplan_meier_on_arrays_equals_the_reference(obs):
    expected = kaplan_meier(obs)
    got = kaplan_meier_arrays(
        np.array([t for t, _ in obs], dtype=np.int64), np.array([e for _, e in obs], dtype=bool)
    )
    assert (got.n, got.events) == (expected.n, expected.events)
    # Exactly equal, including the infinite Greenwood sum once everyone at risk has left.
    assert got.steps == expected.steps
    for day in (-1, 0, 5, 17, 40, 41):
        assert got.at(day) == expected.at(day)
    assert got.points == expected.points


def test_a_curve_survives_pickling_from_columns_and_from_steps():
    obs = [(3, True), (3, False), (5, True), (9, False), (9, True), (12, False)]
    from_steps = kaplan_meier(obs)
    from_columns = kaplan_meier_arrays(
        np.array([t for t, _ in obs], dtype=np.int64), np.array([e for _, e in obs], dtype=bool)
    )
    for curve in (from_steps, from_columns):
        again = pickle.loads(pickle.dumps(curve))  # noqa: S301 (our own bytes)
        assert isinstance(again, KMCurve) and again == curve == from_steps
        assert hash(again) == hash(from_steps)
        assert all(type(s.days) is int and type(s.survival) is float for s in again.steps)


def test_people_table_round_trip_and_breakdown_keys():
    people = [
        Person(7, date(2020, 1, 1), None, " Sales ", 2),
        Person(3, None, date(2024, 5, 1), "", None),
        Person(5, date(2019, 3, 1), date(2025, 1, 1), "Sales", 2),
    ]
    table = PeopleTable.from_people(people)
    assert table.ids.tolist() == [3, 5, 7]
    assert table.people() == {p.id: p for p in people}
    codes, values = table.breakdown_keys("department")
    assert [values[c] for c in codes.tolist()] == ["unknown", "Sales", "Sales"]
    codes, values = table.breakdown_keys("level")
    assert [values[c] for c in codes.tolist()] == ["unknown", "2", "2"]
    assert table.rows_of({7, 3}).tolist() == [0, 2]
