"""Retention of mentees and mentors against employees who never took part.

For a cohort with start date S there are three groups: the **mentees** and **mentors** of its
published matches (status active or ended) and the **comparison** group, everyone in the
directory employed on S (hired on or before S, no leaving date or one after S) who was never
matched in any cohort of any program. "Participants" is mentees and mentors together.

* Retention at 6, 12 and 24 calendar months: the share of a group still employed on
  S + horizon (no ``end_date``, or ``end_date`` after S + horizon). It is observable only once
  S + horizon is on or before the as-of date; before that it is ``None``.
* Kaplan-Meier survival of the days from S to the leaving date; a person who has not left by
  the as-of date (or has no leaving date) is censored there. Participants and comparison are
  compared with a log-rank test (chi-square with 1 degree of freedom) and by the difference in
  12-month retention with a 95% Newcombe (Wilson score) interval: a normal approximation on the
  two proportions that stays inside [-1, 1] and behaves for small groups, unlike the plain Wald
  interval. The proportions are the reported 12-month rates (people whose 12 months are
  observable), so the interval is about exactly the numbers on the page.
* A program (or all programs): each person counts once, from the start of the first cohort of
  the scope they were matched in (per group; participants from their first match in any role).
  A comparison person counts once, from the first cohort start of the scope they were employed
  on. Rates use the people whose horizon is observable; curves leave out people whose start is
  after the as-of date.
* Privacy: any cell describing fewer than 5 people is suppressed. A group of fewer than 5 shows
  its size but no rate and no curve; a rate observable for fewer than 5 people is suppressed;
  breakdown cells (department, level) of fewer than 5 show neither size nor rates.

The functions in the first half are pure (plain data in, dataclasses out) and follow one person
at a time: they are the specification. The pages compute the same reports with numpy
(``reports.retention_arrays``, identical figures, checked against these on random directories).
The selectors at the end load what they need in a constant number of queries whatever the
number of cohorts.
"""

from __future__ import annotations

import calendar
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reports.retention_arrays import PeopleTable

HORIZONS: tuple[int, ...] = (6, 12, 24)
MIN_CELL = 5  # cells describing fewer people than this are suppressed
Z95 = 1.959963984540054  # two-sided 95% normal quantile

MENTEES = "mentees"
MENTORS = "mentors"
COMPARISON = "comparison"
PARTICIPANTS = "participants"
GROUPS: tuple[str, ...] = (MENTEES, MENTORS, COMPARISON)
UNKNOWN = "unknown"

METHOD = (
    "Retention at 6, 12 and 24 months is the share of a group still employed that many calendar "
    "months after the cohort start, shown once that date is on or before the as-of date. "
    "The comparison group is everyone employed on the start date who was never matched in any "
    "program; survival curves run from the start to the leaving date, counting people who have "
    "not left as followed up to the as-of date (Kaplan-Meier). "
    "Participants and comparison are compared with a log-rank test and a 95% confidence interval "
    "for the difference in 12-month retention, and any figure about fewer than 5 people is "
    "suppressed."
)

Status = Literal["ok", "not_yet_observable", "suppressed"]
Scope = Literal["cohort", "program", "all"]


# --- Plain data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """The directory facts retention needs about one employee."""

    id: int
    hire_date: date | None
    end_date: date | None
    department: str = ""
    level: int | None = None


@dataclass(frozen=True)
class Subject:
    """A person followed from ``start`` (their cohort's start date)."""

    person: Person
    start: date


@dataclass(frozen=True)
class CohortInfo:
    id: int
    slug: str
    name: str
    start: date
    program_id: int
    program_slug: str
    program_name: str


@dataclass(frozen=True)
class CohortMembers:
    """Person ids of a cohort's groups (comparison excluded: it is derived from the directory)."""

    cohort: CohortInfo
    mentees: frozenset[int]
    mentors: frozenset[int]


@dataclass(frozen=True)
class HorizonRate:
    """Retention at one horizon: ``rate`` is None unless ``status`` is "ok"."""

    months: int
    observable: int  # people whose start + horizon is on or before the as-of date
    retained: int | None  # None when suppressed or not observable
    rate: float | None
    status: Status


@dataclass(frozen=True)
class KMStep:
    days: int
    survival: float
    at_risk: int
    events: int
    greenwood_var: float


class KMCurve:
    """A Kaplan-Meier step curve: survival is ``steps[i].survival`` from ``steps[i].days``.

    Kept as five columns (days, survival, at risk, events, Greenwood variance) when computed
    with numpy: a page shows one curve but its reports hold dozens, and the cache pickles
    them all, so the thousands of KMStep objects are only made when ``steps`` is read.
    """

    __slots__ = ("_columns", "_steps", "events", "n")

    def __init__(self, n: int, events: int, steps: Sequence[KMStep] = ()):
        self.n = n
        self.events = events
        self._steps: tuple[KMStep, ...] | None = tuple(steps)
        self._columns: tuple | None = None

    @classmethod
    def from_columns(cls, n: int, events: int, columns: tuple) -> KMCurve:
        """From (days, survival, at_risk, events, greenwood_var) sequences of equal length."""
        curve = cls(n, events)
        curve._steps = None
        curve._columns = columns
        return curve

    @property
    def steps(self) -> tuple[KMStep, ...]:
        if self._steps is None:
            days, survival, at_risk, events, var = (_plain(c) for c in self._columns)
            self._steps = tuple(map(KMStep, days, survival, at_risk, events, var))
        return self._steps

    def _as_columns(self) -> tuple:
        if self._columns is not None:
            return self._columns
        steps = self.steps
        return tuple(
            [getattr(s, name) for s in steps]
            for name in ("days", "survival", "at_risk", "events", "greenwood_var")
        )

    def __reduce__(self):
        return (KMCurve.from_columns, (self.n, self.events, self._as_columns()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KMCurve):
            return NotImplemented
        return (self.n, self.events, self.steps) == (other.n, other.events, other.steps)

    def __hash__(self) -> int:
        return hash((self.n, self.events, self.steps))

    def __repr__(self) -> str:
        return f"KMCurve(n={self.n}, events={self.events}, steps={len(self.steps)})"

    @property
    def points(self) -> list[tuple[int, float]]:
        """[(days, survival)], starting with (0, 1.0)."""
        return [(0, 1.0)] + [(s.days, s.survival) for s in self.steps if s.events]

    def at(self, days: int) -> tuple[float, float]:
        """(survival, Greenwood variance) at ``days``."""
        survival, var = 1.0, 0.0
        for step in self.steps:
            if step.days > days:
                break
            survival, var = step.survival, step.greenwood_var
        return survival, var


def _plain(column) -> list:
    """A column as a list of Python numbers (a numpy array's ``tolist``)."""
    return column.tolist() if hasattr(column, "tolist") else list(column)


@dataclass(frozen=True)
class LogRank:
    chi2: float
    p_value: float
    observed_a: int
    expected_a: float
    observed_b: int
    expected_b: float


@dataclass(frozen=True)
class DifferenceCI:
    """Difference in proportions a - b with a 95% Newcombe (Wilson score) interval."""

    difference: float
    low: float
    high: float
    n_a: int
    n_b: int


@dataclass(frozen=True)
class GroupRetention:
    group: str
    headcount: int
    suppressed: bool  # fewer than 5 people: no rates, no curve
    rates: tuple[HorizonRate, ...]
    curve: KMCurve | None

    def rate(self, months: int) -> HorizonRate:
        return next(r for r in self.rates if r.months == months)

    @property
    def retention_6m(self) -> float | None:
        return self.rate(6).rate

    @property
    def retention_12m(self) -> float | None:
        return self.rate(12).rate

    @property
    def retention_24m(self) -> float | None:
        return self.rate(24).rate


@dataclass(frozen=True)
class BreakdownCell:
    """One department or level of one group; ``headcount`` is None when suppressed."""

    dimension: Literal["department", "level"]
    value: str
    group: str
    headcount: int | None
    suppressed: bool
    rates: tuple[HorizonRate, ...]


@dataclass(frozen=True)
class ParticipantsVsComparison:
    """Participants (mentees and mentors) against the comparison group."""

    participants: int
    comparison: int
    logrank: LogRank | None  # None when suppressed or no events to compare
    difference_12m: DifferenceCI | None  # None when suppressed or not observable
    test: str = "log-rank, chi-square 1 df"
    interval: str = "95% Newcombe (Wilson score) interval for the difference in proportions"


@dataclass(frozen=True)
class RetentionReport:
    """Everything a retention page or export needs for one scope."""

    scope: Scope
    as_of: date
    program_slug: str | None
    program_name: str | None
    cohort_slug: str | None
    cohort_name: str | None
    start: date | None  # the cohort's start; None for programs and all programs
    groups: dict[str, GroupRetention]  # mentees, mentors, comparison, participants
    versus: ParticipantsVsComparison
    by_department: tuple[BreakdownCell, ...]
    by_level: tuple[BreakdownCell, ...]
    method: str = METHOD
    horizons: tuple[int, ...] = field(default=HORIZONS)


# --- Dates and rates -----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def add_months(d: date, months: int) -> date:
    """``d`` plus calendar months, the day clamped to the month's length (31 Jan + 1: 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def employed_on(person: Person, day: date) -> bool:
    """Hired on or before ``day`` and not left by then (no end date or one after ``day``)."""
    return (
        person.hire_date is not None
        and person.hire_date <= day
        and (person.end_date is None or person.end_date > day)
    )


def retained(person: Person, start: date, months: int) -> bool:
    """Still employed on start + months: no end date, or one after that day."""
    return person.end_date is None or person.end_date > add_months(start, months)


def horizon_rate(subjects: Sequence[Subject], months: int, as_of: date) -> HorizonRate:
    """Retention at ``months`` over the subjects whose horizon is observable by ``as_of``."""
    return horizon_rates(subjects, as_of, (months,))[0]


def horizon_rates(
    subjects: Sequence[Subject], as_of: date, horizons: Sequence[int] = HORIZONS
) -> tuple[HorizonRate, ...]:
    """Retention at each horizon; per start date the leaving dates are sorted once, so each
    horizon is a binary search (the comparison group can be the whole directory)."""
    ends: dict[date, list[date]] = defaultdict(list)
    staying: dict[date, int] = defaultdict(int)  # no leaving date
    for s in subjects:
        end = s.person.end_date
        if end is None:
            staying[s.start] += 1
        else:
            ends[s.start].append(end)
    for dates in ends.values():
        dates.sort()
    starts = set(ends) | set(staying)
    rates = []
    for months in horizons:
        observable = kept = 0
        for start in starts:
            horizon = add_months(start, months)
            if horizon <= as_of:
                leaving = ends.get(start, [])
                observable += staying.get(start, 0) + len(leaving)
                kept += staying.get(start, 0) + len(leaving) - bisect_right(leaving, horizon)
        if not observable:
            rates.append(HorizonRate(months, 0, None, None, "not_yet_observable"))
        elif observable < MIN_CELL:
            rates.append(HorizonRate(months, observable, None, None, "suppressed"))
        else:
            rates.append(HorizonRate(months, observable, kept, kept / observable, "ok"))
    return tuple(rates)


# --- Survival ------------------------------------------------------------------------------


def observation(subject: Subject, as_of: date) -> tuple[int, bool]:
    """(days from start, left?): the leaving day if on or before ``as_of``, else censored there.

    A leaving date before the start (a directory error) counts as leaving on day 0.
    """
    end = subject.person.end_date
    if end is not None and end <= as_of:
        days = (end - subject.start).days
        return (days if days > 0 else 0), True
    days = (as_of - subject.start).days
    return (days if days > 0 else 0), False


def observations(subjects: Iterable[Subject], as_of: date) -> list[tuple[int, bool]]:
    """Observations of the subjects followed at all (start on or before ``as_of``)."""
    return [observation(s, as_of) for s in subjects if s.start <= as_of]


def kaplan_meier(obs: Sequence[tuple[int, bool]]) -> KMCurve:
    """Kaplan-Meier estimate with Greenwood variance.

    At each distinct time t with an event: S(t) = S(t-) * (1 - d/n), n = people with time >= t
    (someone censored at t is still at risk at t), Var = S(t)^2 * sum d / (n (n - d)).
    Steps are listed at every distinct time (events 0 where only censoring happened).
    """
    events_at: dict[int, int] = defaultdict(int)
    count_at: dict[int, int] = defaultdict(int)
    for t, event in obs:
        count_at[t] += 1
        if event:
            events_at[t] += 1
    at_risk = len(obs)
    survival, greenwood_sum = 1.0, 0.0
    steps: list[KMStep] = []
    for t in sorted(count_at):
        d = events_at.get(t, 0)
        if d:
            survival *= 1 - d / at_risk
            greenwood_sum = (
                math.inf if d == at_risk else greenwood_sum + d / (at_risk * (at_risk - d))
            )
        var = 0.0 if survival == 0 else survival * survival * greenwood_sum
        steps.append(KMStep(t, survival, at_risk, d, var))
        at_risk -= count_at[t]
    return KMCurve(len(obs), sum(events_at.values()), tuple(steps))


def chi2_sf_1df(x: float) -> float:
    """Upper tail of the chi-square distribution with 1 degree of freedom."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2))


def logrank(a: Sequence[tuple[int, bool]], b: Sequence[tuple[int, bool]]) -> LogRank | None:
    """Two-group log-rank test (Mantel-Haenszel variance); None when no event to compare."""
    events: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # time -> [d_a, d_b]
    leaving: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # time -> [n_a, n_b] at t
    for index, obs in enumerate((a, b)):
        for t, event in obs:
            leaving[t][index] += 1
            if event:
                events[t][index] += 1
    if not events:
        return None
    n_a, n_b = len(a), len(b)
    o_a = e_a = var = 0.0
    for t in sorted(leaving):  # n_a, n_b are the people with time >= t
        d_a, d_b = events.get(t, (0, 0))
        n, d = n_a + n_b, d_a + d_b
        if d:
            o_a += d_a
            e_a += d * n_a / n
            if n > 1:
                var += d * (n_a / n) * (n_b / n) * (n - d) / (n - 1)
        n_a -= leaving[t][0]
        n_b -= leaving[t][1]
    if var <= 0:
        return None
    chi2 = (o_a - e_a) ** 2 / var
    total = sum(e for _, e in a) + sum(e for _, e in b)
    return LogRank(
        chi2=chi2,
        p_value=chi2_sf_1df(chi2),
        observed_a=int(o_a),
        expected_a=e_a,
        observed_b=total - int(o_a),
        expected_b=total - e_a,
    )


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def difference_ci(x_a: int, n_a: int, x_b: int, n_b: int, z: float = Z95) -> DifferenceCI:
    """p_a - p_b with Newcombe's hybrid score interval (his method 10, 1998)."""
    p_a, p_b = x_a / n_a, x_b / n_b
    l_a, u_a = wilson_interval(x_a, n_a, z)
    l_b, u_b = wilson_interval(x_b, n_b, z)
    diff = p_a - p_b
    low = diff - math.sqrt((p_a - l_a) ** 2 + (u_b - p_b) ** 2)
    high = diff + math.sqrt((u_a - p_a) ** 2 + (p_b - l_b) ** 2)
    return DifferenceCI(diff, low, high, n_a, n_b)


# --- Groups and reports --------------------------------------------------------------------


def comparison_ids(
    people: Iterable[Person], start: date, ever_matched: frozenset[int] | set[int]
) -> frozenset[int]:
    """Everyone employed on ``start`` who was never matched anywhere."""
    return frozenset(p.id for p in people if p.id not in ever_matched and employed_on(p, start))


def group_retention(
    group: str,
    subjects: Sequence[Subject],
    as_of: date,
    obs: Sequence[tuple[int, bool]] | None = None,
) -> GroupRetention:
    """Size, rates and curve of one group (``obs``: its observations, if already computed)."""
    if len(subjects) < MIN_CELL:
        suppressed = tuple(
            HorizonRate(
                m,
                0,
                None,
                None,
                "not_yet_observable"
                if not any(add_months(s.start, m) <= as_of for s in subjects)
                else "suppressed",
            )
            for m in HORIZONS
        )
        return GroupRetention(group, len(subjects), True, suppressed, None)
    return GroupRetention(
        group,
        len(subjects),
        False,
        horizon_rates(subjects, as_of),
        kaplan_meier(observations(subjects, as_of) if obs is None else obs),
    )


def _key(dimension: str, person: Person) -> str:
    if dimension == "department":
        return person.department.strip() or UNKNOWN
    return UNKNOWN if person.level is None else str(person.level)


def breakdown(
    dimension: Literal["department", "level"],
    groups: Mapping[str, Sequence[Subject]],
    as_of: date,
) -> tuple[BreakdownCell, ...]:
    """Cells per group and department (or level); fewer than 5 people: suppressed.

    When exactly one cell of a group is suppressed, the next smallest is suppressed too, so
    the hidden one cannot be worked out from the group's total.
    """
    cells: list[BreakdownCell] = []
    for group, subjects in groups.items():
        by_value: dict[str, list[Subject]] = defaultdict(list)
        for s in subjects:
            by_value[_key(dimension, s.person)].append(s)
        hide = {v for v, members in by_value.items() if len(members) < MIN_CELL}
        if len(hide) == 1 and len(by_value) > 1:
            hide.add(
                min(
                    (v for v in by_value if v not in hide),
                    key=lambda v: (len(by_value[v]), v),
                )
            )
        for value in sorted(by_value, key=_sort_key):
            members = by_value[value]
            if value in hide:
                cells.append(
                    BreakdownCell(
                        dimension,
                        value,
                        group,
                        None,
                        True,
                        tuple(HorizonRate(m, 0, None, None, "suppressed") for m in HORIZONS),
                    )
                )
            else:
                cells.append(
                    BreakdownCell(
                        dimension, value, group, len(members), False, horizon_rates(members, as_of)
                    )
                )
    return tuple(cells)


def _sort_key(value: str) -> tuple[int, int, str]:
    if value == UNKNOWN:
        return (2, 0, value)
    if value.isdigit():
        return (0, int(value), value)
    return (1, 0, value.lower())


def versus(
    participants: Sequence[Subject],
    comparison: Sequence[Subject],
    as_of: date,
    obs_participants: Sequence[tuple[int, bool]] | None = None,
    obs_comparison: Sequence[tuple[int, bool]] | None = None,
) -> ParticipantsVsComparison:
    """Log-rank test and 12-month retention difference, participants minus comparison."""
    if len(participants) < MIN_CELL or len(comparison) < MIN_CELL:
        return ParticipantsVsComparison(len(participants), len(comparison), None, None)
    test = logrank(
        observations(participants, as_of) if obs_participants is None else obs_participants,
        observations(comparison, as_of) if obs_comparison is None else obs_comparison,
    )
    p12 = horizon_rate(participants, 12, as_of)
    c12 = horizon_rate(comparison, 12, as_of)
    diff = None
    if p12.status == "ok" and c12.status == "ok":
        assert p12.retained is not None and c12.retained is not None
        diff = difference_ci(p12.retained, p12.observable, c12.retained, c12.observable)
    return ParticipantsVsComparison(len(participants), len(comparison), test, diff)


def build_report(
    *,
    scope: Scope,
    as_of: date,
    subjects: Mapping[str, Sequence[Subject]],
    program: tuple[str, str] | None = None,
    cohort: tuple[str, str] | None = None,
    start: date | None = None,
) -> RetentionReport:
    """A report from each group's subjects (keys mentees, mentors, comparison, participants)."""
    obs = {g: observations(subjects[g], as_of) for g in (*GROUPS, PARTICIPANTS)}
    groups = {g: group_retention(g, subjects[g], as_of, obs[g]) for g in obs}
    shown = {g: subjects[g] for g in GROUPS}
    return RetentionReport(
        scope=scope,
        as_of=as_of,
        program_slug=program[0] if program else None,
        program_name=program[1] if program else None,
        cohort_slug=cohort[0] if cohort else None,
        cohort_name=cohort[1] if cohort else None,
        start=start,
        groups=groups,
        versus=versus(
            subjects[PARTICIPANTS], subjects[COMPARISON], as_of, obs[PARTICIPANTS], obs[COMPARISON]
        ),
        by_department=breakdown("department", shown, as_of),
        by_level=breakdown("level", shown, as_of),
    )


def cohort_subjects(
    members: CohortMembers, people: Mapping[int, Person], ever_matched: frozenset[int]
) -> dict[str, list[Subject]]:
    """Each group of one cohort, everyone followed from the cohort's start."""
    start = members.cohort.start

    def follow(ids: Iterable[int]) -> list[Subject]:
        return [Subject(people[i], start) for i in sorted(ids)]

    return {
        MENTEES: follow(members.mentees),
        MENTORS: follow(members.mentors),
        PARTICIPANTS: follow(members.mentees | members.mentors),
        COMPARISON: follow(comparison_ids(people.values(), start, ever_matched)),
    }


def pooled_subjects(
    cohorts: Sequence[CohortMembers], people: Mapping[int, Person], ever_matched: frozenset[int]
) -> dict[str, list[Subject]]:
    """Groups over several cohorts: each person once, from the first cohort start that puts
    them in the group (comparison: the first start they were employed on, never matched)."""
    first: dict[str, dict[int, date]] = {g: {} for g in (*GROUPS, PARTICIPANTS)}

    def note(group: str, ids: Iterable[int], start: date) -> None:
        seen = first[group]
        for i in ids:
            if i not in seen or start < seen[i]:
                seen[i] = start

    starts = sorted({m.cohort.start for m in cohorts})
    for m in cohorts:
        note(MENTEES, m.mentees, m.cohort.start)
        note(MENTORS, m.mentors, m.cohort.start)
        note(PARTICIPANTS, m.mentees | m.mentors, m.cohort.start)
    for p in people.values():
        if p.id in ever_matched or p.hire_date is None:
            continue
        # The first start on or after hiring; if they left by then, no later start has them.
        index = bisect_left(starts, p.hire_date)
        if index < len(starts) and employed_on(p, starts[index]):
            note(COMPARISON, (p.id,), starts[index])
    return {
        g: [Subject(people[i], s) for i, s in sorted(seen.items())] for g, seen in first.items()
    }


@dataclass(frozen=True)
class RetentionData:
    """What the selectors load: cohorts with their matched people, and the directory slice."""

    cohorts: tuple[CohortMembers, ...]
    table: PeopleTable  # participants and comparison candidates, as arrays
    ever_matched: frozenset[int]  # participants of the loaded cohorts who are matched anywhere

    @classmethod
    def from_people(
        cls,
        cohorts: Sequence[CohortMembers],
        people: Iterable[Person],
        ever_matched: Iterable[int],
    ) -> RetentionData:
        from reports.retention_arrays import PeopleTable

        return cls(tuple(cohorts), PeopleTable.from_people(people), frozenset(ever_matched))

    @cached_property
    def people(self) -> dict[int, Person]:
        """The table as Person objects, for the person-by-person reference functions."""
        return self.table.people()


class ReferenceEngine:
    """The reports computed person by person with the functions above: the specification
    that ``reports.retention_arrays.Engine`` (what the pages use) must match exactly."""

    def __init__(self, data: RetentionData, as_of: date):
        self.people, self.ever_matched, self.as_of = data.people, data.ever_matched, as_of

    def cohort_report(self, members: CohortMembers) -> RetentionReport:
        c = members.cohort
        return build_report(
            scope="cohort",
            as_of=self.as_of,
            subjects=cohort_subjects(members, self.people, self.ever_matched),
            program=(c.program_slug, c.program_name),
            cohort=(c.slug, c.name),
            start=c.start,
        )

    def program_report(self, cohorts: Sequence[CohortMembers]) -> RetentionReport:
        c = cohorts[0].cohort
        return build_report(
            scope="program",
            as_of=self.as_of,
            subjects=pooled_subjects(cohorts, self.people, self.ever_matched),
            program=(c.program_slug, c.program_name),
        )

    def all_programs_report(self, cohorts: Sequence[CohortMembers]) -> RetentionReport:
        return build_report(
            scope="all",
            as_of=self.as_of,
            subjects=pooled_subjects(cohorts, self.people, self.ever_matched),
        )


def engine_for(data: RetentionData, as_of: date, *, reference: bool = False):
    """The numpy engine (``reference``: the person-by-person one, for tests)."""
    if reference:
        return ReferenceEngine(data, as_of)
    from reports.retention_arrays import Engine  # it builds on this module's definitions

    return Engine(data.table, data.cohorts, data.ever_matched, as_of)


def cohort_report(data: RetentionData, members: CohortMembers, as_of: date) -> RetentionReport:
    return engine_for(data, as_of).cohort_report(members)


def program_report(data: RetentionData, program_id: int, as_of: date) -> RetentionReport | None:
    cohorts = [m for m in data.cohorts if m.cohort.program_id == program_id]
    if not cohorts:
        return None
    return engine_for(data, as_of).program_report(cohorts)


def all_programs_report(data: RetentionData, as_of: date) -> RetentionReport:
    return engine_for(data, as_of).all_programs_report(data.cohorts)


def reports_for(
    data: RetentionData, as_of: date, *, include_all: bool, reference: bool = False
) -> list[RetentionReport]:
    """Per program (by name): its cohorts by start date, then the program; then all programs.

    ``reference``: computed person by person (slow; tests compare it with the default)."""
    engine = engine_for(data, as_of, reference=reference)
    out: list[RetentionReport] = []
    programs: dict[int, list[CohortMembers]] = defaultdict(list)
    for m in data.cohorts:
        programs[m.cohort.program_id].append(m)
    for _, members in sorted(
        programs.items(), key=lambda kv: (kv[1][0].cohort.program_name.lower(), kv[0])
    ):
        for m in sorted(members, key=lambda m: (m.cohort.start, m.cohort.name, m.cohort.id)):
            out.append(engine.cohort_report(m))
        out.append(engine.program_report(members))
    if include_all and data.cohorts:
        out.append(engine.all_programs_report(data.cohorts))
    return out


# --- Selectors (database) ------------------------------------------------------------------

PUBLISHED_STATUSES = ("active", "ended")  # a match that was published


def load_retention_data(*, program_ids: Iterable[int] | None = None) -> RetentionData:
    """Cohorts (of the given programs, or all), their published matches and the directory.

    Three queries whatever the number of cohorts: cohorts, matches with both people, and the
    never-matched employees employed on some cohort start.
    """
    from django.db.models import Exists, OuterRef, Q

    from matching.models import Match
    from people.models import User
    from programs.models import Cohort
    from reports.retention_arrays import PeopleTable

    cohort_qs = Cohort.objects.select_related("program").order_by("starts_on", "id")
    if program_ids is not None:
        cohort_qs = cohort_qs.filter(program_id__in=list(program_ids))
    infos = [
        CohortInfo(c.id, c.slug, c.name, c.starts_on, c.program_id, c.program.slug, c.program.name)
        for c in cohort_qs
    ]
    if not infos:
        return RetentionData.from_people((), (), ())

    people: list[tuple] = []  # (id, hire_date, end_date, department, level)
    mentees: dict[int, set[int]] = defaultdict(set)
    mentors: dict[int, set[int]] = defaultdict(set)
    fields = ("person_id", "person__hire_date", "person__end_date", "person__department")
    columns = ["cohort_id"]
    for side in ("mentee", "mentor"):
        columns += [f"{side}__{f}" for f in (*fields, "person__level")]
    rows = Match.objects.filter(
        cohort_id__in=[c.id for c in infos], status__in=PUBLISHED_STATUSES
    ).values_list(*columns)
    for row in rows:
        cohort_id = row[0]
        for offset, bucket in ((1, mentees), (6, mentors)):
            people.append(row[offset : offset + 5])
            bucket[cohort_id].add(row[offset])

    published = Match.objects.filter(status__in=PUBLISHED_STATUSES)
    first, last = min(c.start for c in infos), max(c.start for c in infos)
    candidates = (
        User.objects.filter(employee_id__isnull=False, hire_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=first))
        .exclude(Exists(published.filter(mentee__person_id=OuterRef("pk"))))
        .exclude(Exists(published.filter(mentor__person_id=OuterRef("pk"))))
        .order_by()
        .values_list("id", "hire_date", "end_date", "department", "level")
    )
    people.extend(candidates)

    members = tuple(
        CohortMembers(c, frozenset(mentees.get(c.id, ())), frozenset(mentors.get(c.id, ())))
        for c in infos
    )
    matched = frozenset().union(*(m.mentees | m.mentors for m in members))
    return RetentionData(members, PeopleTable.from_rows(people), matched)


def retention_reports(
    *, as_of: date, program_ids: Iterable[int] | None = None, include_all: bool | None = None
) -> list[RetentionReport]:
    """Reports per cohort and per program (of ``program_ids``, or every program), and across
    all programs when ``include_all`` (default: when no program is given)."""
    if include_all is None:
        include_all = program_ids is None
    data = load_retention_data(program_ids=program_ids)
    return reports_for(data, as_of, include_all=include_all)


def retention_for_cohort(cohort, *, as_of: date) -> RetentionReport:
    """The report of one cohort (a programs.models.Cohort)."""
    data = load_retention_data(program_ids=[cohort.program_id])
    members = next(m for m in data.cohorts if m.cohort.id == cohort.id)
    return cohort_report(data, members, as_of)


def retention_for_program(program, *, as_of: date) -> RetentionReport | None:
    """The report of one program (None when it has no cohort)."""
    data = load_retention_data(program_ids=[program.id])
    return program_report(data, program.id, as_of)


def retention_for_all(*, as_of: date) -> RetentionReport | None:
    """The report across all programs (None when there is no cohort)."""
    data = load_retention_data()
    return all_programs_report(data, as_of) if data.cohorts else None
