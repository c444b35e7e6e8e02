"""The retention reports computed with numpy: the same figures as the reference functions of
``reports.retention``, at the size of the whole directory.

The reference functions (``horizon_rates``, ``observations``, ``kaplan_meier``, ``logrank``,
``breakdown``, ``cohort_subjects``, ``pooled_subjects``) state the method one person at a time
and are what the hand-worked tests pin; they take seconds for the 14 reports of a 50,000-person
directory, almost all of it Python loops over people. Here the directory is a table of arrays
(day numbers of hiring and leaving, department and level codes) and a group is an array of
table rows with, per row, the index of its start among the scope's cohort starts. Every count
is a vector comparison or a ``bincount``; the few floating-point sums (Kaplan-Meier, Greenwood,
log-rank) are accumulated in the reference's order (``np.multiply.accumulate`` and
``np.add.accumulate`` run left to right, unlike ``np.sum``), so the results are not merely
close but identical, which tests/reports/test_retention_arrays.py checks against the
reference on random directories.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from reports.retention import (
    COMPARISON,
    GROUPS,
    HORIZONS,
    MENTEES,
    MENTORS,
    MIN_CELL,
    PARTICIPANTS,
    UNKNOWN,
    BreakdownCell,
    CohortMembers,
    GroupRetention,
    HorizonRate,
    KMCurve,
    LogRank,
    ParticipantsVsComparison,
    Person,
    RetentionReport,
    Scope,
    _sort_key,
    add_months,
    chi2_sf_1df,
    difference_ci,
)

# The day number (date.toordinal) of a missing date: later than any real day, so a person
# without a leaving date leaves after every day, and one without a hire date is never hired.
NEVER = 1 << 40


def _codes(values: Iterable) -> tuple[np.ndarray, tuple]:
    """Small integer codes for ``values`` and the distinct values, in order of appearance."""
    values = list(values)
    distinct = tuple(dict.fromkeys(values))
    code = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values)), distinct


def _days(values: Iterable[date | None]) -> np.ndarray:
    return np.array([NEVER if v is None else v.toordinal() for v in values], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class PeopleTable:
    """The directory facts retention needs, one array element a person, ordered by id."""

    ids: np.ndarray  # int64, ascending
    hire: np.ndarray  # int64 day numbers, NEVER when unknown
    end: np.ndarray  # int64 day numbers, NEVER when the person has not left
    department: np.ndarray  # int64 codes into departments
    level: np.ndarray  # int64 codes into levels
    departments: tuple[str, ...]
    levels: tuple[int | None, ...]

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[int, date | None, date | None, str, int | None]]
    ) -> PeopleTable:
        """From (id, hire_date, end_date, department, level) rows; an id seen twice is kept once."""
        by_id = {r[0]: r for r in rows}
        ids = np.fromiter(by_id, dtype=np.int64, count=len(by_id))
        order = np.argsort(ids, kind="stable")
        unique = list(map(list(by_id.values()).__getitem__, order.tolist()))
        department, departments = _codes([r[3] or "" for r in unique])
        level, levels = _codes([r[4] for r in unique])
        return cls(
            ids=ids[order],
            hire=_days([r[1] for r in unique]),
            end=_days([r[2] for r in unique]),
            department=department,
            level=level,
            departments=departments,
            levels=levels,
        )

    @classmethod
    def from_people(cls, people: Iterable[Person]) -> PeopleTable:
        return cls.from_rows((p.id, p.hire_date, p.end_date, p.department, p.level) for p in people)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids: Iterable[int]) -> np.ndarray:
        """Table rows of these ids (every one must be in the table), ascending."""
        wanted = np.array(sorted(ids), dtype=np.int64)
        rows = np.searchsorted(self.ids, wanted)
        if len(rows) and not np.array_equal(self.ids[np.minimum(rows, len(self) - 1)], wanted):
            raise KeyError("ids not in the table")
        return rows

    def people(self) -> dict[int, Person]:
        """The same people as Person objects (for the reference functions)."""
        out: dict[int, Person] = {}
        for pid, hire, end, dept, lvl in zip(
            self.ids.tolist(),
            self.hire.tolist(),
            self.end.tolist(),
            self.department.tolist(),
            self.level.tolist(),
            strict=True,
        ):
            out[pid] = Person(
                pid,
                None if hire == NEVER else date.fromordinal(hire),
                None if end == NEVER else date.fromordinal(end),
                self.departments[dept],
                self.levels[lvl],
            )
        return out

    def breakdown_keys(self, dimension: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Per person, the code of their breakdown value ("unknown" for a blank department or a
        missing level), and the values; the same keys as reports.retention's ``_key``."""
        if dimension == "department":
            keys = [d.strip() or UNKNOWN for d in self.departments]
            codes = self.department
        else:
            keys = [UNKNOWN if v is None else str(v) for v in self.levels]
            codes = self.level
        remap, values = _codes(keys)
        if not len(remap):
            return codes, values
        return remap[codes], values


@dataclass(frozen=True, eq=False)
class Group:
    """People followed from a start: table rows (ascending) and, per row, the index of their
    start in the scope's ``starts``."""

    rows: np.ndarray
    start_index: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


class Followed:
    """One group's per-person facts for a report: days to leaving, start, and per horizon who
    is observable and who was kept (computed once, used by rates, curves and breakdowns)."""

    def __init__(self, table: PeopleTable, group: Group, context: ReportContext):
        self.n = len(group)
        self.rows = group.rows
        self.start_index = group.start_index
        self.start = context.starts[group.start_index]
        self.end = table.end[group.rows]
        as_of = context.as_of
        self.observable: dict[int, np.ndarray] = {}
        self.kept: dict[int, np.ndarray] = {}
        for months in HORIZONS:
            horizon = context.horizon_days[months][group.start_index]
            observable = horizon <= as_of
            self.observable[months] = observable
            self.kept[months] = observable & (self.end > horizon)
        # Observations of those followed at all (start on or before the as-of date): the days
        # from the start to leaving if they left by the as-of date, else to the as-of date.
        followed = self.start <= as_of
        start, end = self.start[followed], self.end[followed]
        self.event = end <= as_of
        self.days = np.maximum(np.where(self.event, end - start, as_of - start), 0)

    def rates(self) -> tuple[HorizonRate, ...]:
        return tuple(
            _rate(
                m,
                int(np.count_nonzero(self.observable[m])),
                int(np.count_nonzero(self.kept[m])),
            )
            for m in HORIZONS
        )


class ReportContext:
    """A scope's cohort starts (sorted day numbers) and each start's horizon days."""

    def __init__(self, starts: Sequence[int], as_of: date):
        self.starts = np.array(sorted(set(starts)), dtype=np.int64)
        self.as_of = as_of.toordinal()
        self.horizon_days = {
            m: np.array(
                [add_months(date.fromordinal(s), m).toordinal() for s in self.starts.tolist()],
                dtype=np.int64,
            )
            for m in HORIZONS
        }


def _rate(months: int, observable: int, kept: int) -> HorizonRate:
    if not observable:
        return HorizonRate(months, 0, None, None, "not_yet_observable")
    if observable < MIN_CELL:
        return HorizonRate(months, observable, None, None, "suppressed")
    return HorizonRate(months, observable, kept, kept / observable, "ok")


# --- Survival ------------------------------------------------------------------------------


def kaplan_meier(days: np.ndarray, event: np.ndarray) -> KMCurve:
    """``reports.retention.kaplan_meier`` on arrays of observations (same steps, same floats)."""
    n = len(days)
    times, inverse, counts = np.unique(days, return_inverse=True, return_counts=True)
    d = np.bincount(inverse[event], minlength=len(times))
    at_risk = n - np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.multiply.accumulate(1 - d / at_risk)
        term = np.where(
            d == 0, 0.0, np.where(d == at_risk, math.inf, d / (at_risk * (at_risk - d)))
        )
        greenwood = np.add.accumulate(term)
        var = np.where(survival == 0, 0.0, survival * survival * greenwood)
    return KMCurve.from_columns(
        n, int(d.sum()), (times.astype(np.int64), survival, at_risk, d.astype(np.int64), var)
    )


def logrank(
    a_days: np.ndarray, a_event: np.ndarray, b_days: np.ndarray, b_event: np.ndarray
) -> LogRank | None:
    """``reports.retention.logrank`` on arrays (sums accumulated in the same order)."""
    total = int(np.count_nonzero(a_event)) + int(np.count_nonzero(b_event))
    if not total:
        return None
    times = np.unique(np.concatenate((a_days, b_days)))
    size = len(times)

    def counts(days: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(times, days), minlength=size).astype(np.int64)

    def at_risk(days: np.ndarray) -> np.ndarray:
        leaving = counts(days)
        return len(days) - np.concatenate(([0], np.cumsum(leaving)[:-1])).astype(np.int64)

    d_a, d_b = counts(a_days[a_event]), counts(b_days[b_event])
    n_a, n_b = at_risk(a_days), at_risk(b_days)
    n, d = n_a + n_b, d_a + d_b
    with np.errstate(divide="ignore", invalid="ignore"):
        e_terms = np.where(d > 0, d * n_a / n, 0.0)
        v_terms = np.where((d > 0) & (n > 1), d * (n_a / n) * (n_b / n) * (n - d) / (n - 1), 0.0)
    o_a = float(d_a.sum())
    e_a = float(np.add.accumulate(e_terms)[-1])
    var = float(np.add.accumulate(v_terms)[-1])
    if var <= 0:
        return None
    chi2 = (o_a - e_a) ** 2 / var
    return LogRank(
        chi2=chi2,
        p_value=chi2_sf_1df(chi2),
        observed_a=int(o_a),
        expected_a=e_a,
        observed_b=total - int(o_a),
        expected_b=total - e_a,
    )


# --- Groups and reports --------------------------------------------------------------------


def group_retention(name: str, f: Followed, context: ReportContext) -> GroupRetention:
    if f.n < MIN_CELL:
        present = np.unique(f.start_index)
        rates = tuple(
            HorizonRate(
                m,
                0,
                None,
                None,
                "suppressed"
                if bool(np.any(context.horizon_days[m][present] <= context.as_of))
                else "not_yet_observable",
            )
            for m in HORIZONS
        )
        return GroupRetention(name, f.n, True, rates, None)
    return GroupRetention(name, f.n, False, f.rates(), kaplan_meier(f.days, f.event))


def breakdown(
    dimension: str, keys: tuple[np.ndarray, tuple[str, ...]], followed: Mapping[str, Followed]
) -> tuple[BreakdownCell, ...]:
    """``reports.retention.breakdown``: the same cells, counted with bincount per value."""
    codes_of, values = keys
    size = len(values)
    cells: list[BreakdownCell] = []
    for group, f in followed.items():
        codes = codes_of[f.rows]
        sizes = np.bincount(codes, minlength=size).tolist()
        # Values in order of first appearance in the group, as the reference meets them: the
        # order of values that sort alike ("Sales", "sales") depends on it.
        found, first = np.unique(codes, return_index=True)
        present = {values[i]: sizes[i] for i in found[np.argsort(first)].tolist()}
        hide = {v for v, count in present.items() if count < MIN_CELL}
        if len(hide) == 1 and len(present) > 1:
            hide.add(min((v for v in present if v not in hide), key=lambda v: (present[v], v)))
        counted = {
            m: (
                np.bincount(codes[f.observable[m]], minlength=size).tolist(),
                np.bincount(codes[f.kept[m]], minlength=size).tolist(),
            )
            for m in HORIZONS
        }
        position = {v: i for i, v in enumerate(values)}
        for value in sorted(present, key=_sort_key):
            if value in hide:
                cells.append(
                    BreakdownCell(
                        dimension,  # type: ignore[arg-type]
                        value,
                        group,
                        None,
                        True,
                        tuple(HorizonRate(m, 0, None, None, "suppressed") for m in HORIZONS),
                    )
                )
            else:
                i = position[value]
                rates = tuple(_rate(m, counted[m][0][i], counted[m][1][i]) for m in HORIZONS)
                cells.append(
                    BreakdownCell(
                        dimension,  # type: ignore[arg-type]
                        value,
                        group,
                        present[value],
                        False,
                        rates,
                    )
                )
    return tuple(cells)


class Engine:
    """The reports of one loaded directory (``reports.retention.RetentionData``)."""

    def __init__(
        self,
        table: PeopleTable,
        cohorts: Sequence[CohortMembers],
        ever_matched: Iterable[int],
        as_of: date,
    ):
        self.table = table
        self.as_of = as_of
        self.never_matched = ~np.isin(table.ids, np.fromiter(ever_matched, dtype=np.int64))
        self.members = {
            m.cohort.id: (table.rows_of(m.mentees), table.rows_of(m.mentors)) for m in cohorts
        }
        self.keys = {d: table.breakdown_keys(d) for d in ("department", "level")}

    def report(
        self,
        *,
        scope: Scope,
        groups: Mapping[str, Group],
        context: ReportContext,
        program: tuple[str, str] | None = None,
        cohort: tuple[str, str] | None = None,
        start: date | None = None,
    ) -> RetentionReport:
        """``reports.retention.build_report`` from groups of table rows."""
        followed = {g: Followed(self.table, groups[g], context) for g in (*GROUPS, PARTICIPANTS)}
        results = {g: group_retention(g, followed[g], context) for g in followed}
        shown = {g: followed[g] for g in GROUPS}
        return RetentionReport(
            scope=scope,
            as_of=self.as_of,
            program_slug=program[0] if program else None,
            program_name=program[1] if program else None,
            cohort_slug=cohort[0] if cohort else None,
            cohort_name=cohort[1] if cohort else None,
            start=start,
            groups=results,
            versus=self.versus(followed[PARTICIPANTS], followed[COMPARISON], results),
            by_department=breakdown("department", self.keys["department"], shown),
            by_level=breakdown("level", self.keys["level"], shown),
        )

    @staticmethod
    def versus(
        participants: Followed, comparison: Followed, results: Mapping[str, GroupRetention]
    ) -> ParticipantsVsComparison:
        if participants.n < MIN_CELL or comparison.n < MIN_CELL:
            return ParticipantsVsComparison(participants.n, comparison.n, None, None)
        test = logrank(participants.days, participants.event, comparison.days, comparison.event)
        p12 = results[PARTICIPANTS].rate(12)
        c12 = results[COMPARISON].rate(12)
        diff = None
        if p12.status == "ok" and c12.status == "ok":
            assert p12.retained is not None and c12.retained is not None
            diff = difference_ci(p12.retained, p12.observable, c12.retained, c12.observable)
        return ParticipantsVsComparison(participants.n, comparison.n, test, diff)

    def cohort_groups(self, members: CohortMembers) -> tuple[dict[str, Group], ReportContext]:
        """``reports.retention.cohort_subjects``: everyone followed from the cohort's start."""
        start = members.cohort.start.toordinal()
        context = ReportContext([start], self.as_of)
        mentees, mentors = self.members[members.cohort.id]
        t = self.table
        comparison = np.flatnonzero(self.never_matched & (t.hire <= start) & (t.end > start))

        def group(rows: np.ndarray) -> Group:
            return Group(rows, np.zeros(len(rows), dtype=np.int64))

        return {
            MENTEES: group(mentees),
            MENTORS: group(mentors),
            PARTICIPANTS: group(np.union1d(mentees, mentors)),
            COMPARISON: group(comparison),
        }, context

    def pooled_groups(
        self, cohorts: Sequence[CohortMembers]
    ) -> tuple[dict[str, Group], ReportContext]:
        """``reports.retention.pooled_subjects``: each person once, from the first cohort start
        that puts them in the group; comparison from the first start on or after hiring if
        still employed then."""
        context = ReportContext([m.cohort.start.toordinal() for m in cohorts], self.as_of)
        starts = context.starts
        none = len(starts)  # "not in the group"
        first = {g: np.full(len(self.table), none, dtype=np.int64) for g in (*GROUPS, PARTICIPANTS)}
        # Latest start first, so an earlier start overwrites a later one.
        for m in sorted(cohorts, key=lambda m: m.cohort.start, reverse=True):
            index = int(np.searchsorted(starts, m.cohort.start.toordinal()))
            mentees, mentors = self.members[m.cohort.id]
            first[MENTEES][mentees] = index
            first[MENTORS][mentors] = index
            first[PARTICIPANTS][mentees] = index
            first[PARTICIPANTS][mentors] = index
        t = self.table
        index = np.searchsorted(starts, t.hire, side="left")  # first start on or after hiring
        on = starts[np.minimum(index, none - 1)]
        employed = self.never_matched & (index < none) & (t.end > on)
        first[COMPARISON][employed] = index[employed]
        groups = {}
        for g, at in first.items():
            rows = np.flatnonzero(at != none)
            groups[g] = Group(rows, at[rows])
        return groups, context

    def cohort_report(self, members: CohortMembers) -> RetentionReport:
        c = members.cohort
        groups, context = self.cohort_groups(members)
        return self.report(
            scope="cohort",
            groups=groups,
            context=context,
            program=(c.program_slug, c.program_name),
            cohort=(c.slug, c.name),
            start=c.start,
        )

    def program_report(self, cohorts: Sequence[CohortMembers]) -> RetentionReport:
        c = cohorts[0].cohort
        groups, context = self.pooled_groups(cohorts)
        return self.report(
            scope="program",
            groups=groups,
            context=context,
            program=(c.program_slug, c.program_name),
        )

    def all_programs_report(self, cohorts: Sequence[CohortMembers]) -> RetentionReport:
        groups, context = self.pooled_groups(cohorts)
        return self.report(scope="all", groups=groups, context=context)
