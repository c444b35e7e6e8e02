"""Engagement and outcomes of pairs, per cohort, per program and across programs.

Figures only (counts, dates, ratings): nothing here reads a text a pair wrote. Every figure is
aggregated in SQL, grouped by the level asked for; the one exception is pair health, which is
derived in Python by ``goals.health`` from the per-pair figures of ``with_health_figures`` (one
query whatever the number of pairs) and then counted. The number of queries is fixed.

Suppression: counts are shown whatever their size; a rate or a mean computed over fewer than
``MIN_CELL`` people or pairs is not shown ("fewer than 5").

Definitions:

- **pairs**: published matches (active or ended) of the cohort;
- **active pairs**: active matches that have met and whose last meeting is within their cadence
  (the agreed one, else the cohort's), as ``goals.health`` counts days;
- **at risk**: active matches whose health is overdue or inactive;
- **meetings**: scheduled meetings that have started (cancelled and future ones do not count);
- **check-ins written / reviewed**, **goals drafted** (every goal, whatever its status),
  **agreed** (agreed, paused or achieved), **achieved**;
- **mean usefulness**: over all check-ins, suppressed when fewer than 5 pairs wrote one;
- **match rate**: accepted mentees (peers in peer programs) with a published match, over
  accepted mentees;
- **meetings per week**: week 1 starts on the cohort's start (a program's: its first cohort's
  start); weeks run to the end or today, whichever is first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting
from goals.selectors.pairs import health_of, with_health_figures
from matching.models import Match
from programs.models import Cohort, Enrollment, Program

MIN_CELL = 5
SUPPRESSED = "fewer than 5"
PUBLISHED = (Match.Status.ACTIVE, Match.Status.ENDED)
ACCEPTED = (Enrollment.Status.ACCEPTED, Enrollment.Status.COMPLETED)
SEEKERS = (Enrollment.Role.MENTEE, Enrollment.Role.PEER)
# Meetings per pair: (label, lowest, highest or None).
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-2", 1, 2),
    ("3-5", 3, 5),
    ("6-9", 6, 9),
    ("10+", 10, None),
)


class Median(Aggregate):
    """PostgreSQL's continuous median."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class Share:
    """A rate or a mean over ``base`` people or pairs; not shown when the base is below 5."""

    value: float | None
    base: int
    percent: bool = False

    @property
    def suppressed(self) -> bool:
        return self.base < MIN_CELL

    @property
    def shown(self) -> float | None:
        return None if self.suppressed else self.value

    @property
    def text(self) -> str:
        if self.suppressed:
            return SUPPRESSED
        if self.value is None:
            return "none"
        if self.percent:
            return f"{self.value * 100:.0f}%"
        return f"{self.value:.1f}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Week:
    number: int  # 1 for the first week
    starts_on: date
    meetings: int


@dataclass
class Engagement:
    """The figures of one cohort, one program or all programs shown."""

    key: int
    label: str
    starts_on: date | None
    ends_on: date | None
    pairs: int = 0
    active_pairs: int = 0
    at_risk_pairs: int = 0
    open_pairs: int = 0
    meetings: int = 0
    median_meetings: Share = field(default_factory=lambda: Share(None, 0))
    distribution: list[tuple[str, int]] = field(default_factory=list)
    check_ins_written: int = 0
    check_ins_reviewed: int = 0
    goals_drafted: int = 0
    goals_agreed: int = 0
    goals_achieved: int = 0
    mean_usefulness: Share = field(default_factory=lambda: Share(None, 0))
    mentees_accepted: int = 0
    mentees_matched: int = 0
    match_rate: Share = field(default_factory=lambda: Share(None, 0, percent=True))
    weeks: list[Week] = field(default_factory=list)
    slug: str = ""
    url: str = ""

    @property
    def weeks_max(self) -> int:
        return max((w.meetings for w in self.weeks), default=0)


@dataclass(frozen=True)
class ProgramEngagement:
    program: Program
    total: Engagement
    cohorts: list[Engagement]


@dataclass(frozen=True)
class Overview:
    total: Engagement
    programs: list[Engagement]


# --- Levels -----------------------------------------------------------------------------------

COHORT, PROGRAM, TOTAL = "cohort", "program", "total"


def _key(level: str, prefix: str):
    """The grouping expression of a level, for a model reaching Cohort through ``prefix``."""
    if level == COHORT:
        return F(f"{prefix}id")
    if level == PROGRAM:
        return F(f"{prefix}program_id")
    return Value(0, output_field=IntegerField())


def _level_key(level: str, cohort: Cohort) -> int:
    return {COHORT: cohort.pk, PROGRAM: cohort.program_id, TOTAL: 0}[level]


def _correlated_count(queryset: QuerySet, expression=None) -> Coalesce:
    """Per-pair count (or sum of ``expression``) as a correlated subquery."""
    agg = Count("*") if expression is None else Sum(expression)
    counted = (
        queryset.filter(match=OuterRef("pk")).order_by().values("match").annotate(n=agg).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _pair_figures(matches: QuerySet[Match], level: str, now: datetime) -> dict[int, dict]:
    """Pair counts, meetings, check-ins, goals and usefulness, one row per group."""
    base = with_health_figures(matches, now=now).alias(
        goals_drafted=_correlated_count(Goal.objects.all()),
        usefulness_total=_correlated_count(CheckIn.objects.all(), "usefulness"),
    )
    buckets = {}
    for i, (_label, low, high) in enumerate(BUCKETS):
        condition = Q(meetings_held__gte=low)
        if high is not None:
            condition &= Q(meetings_held__lte=high)
        buckets[f"bucket_{i}"] = Count("pk", filter=condition)
    rows = (
        base.order_by()
        .annotate(group=_key(level, "cohort__"))
        .values("group")
        .annotate(
            pairs=Count("pk"),
            meetings=Sum("meetings_held"),
            median_meetings=Median("meetings_held"),
            sum_written=Sum("check_ins_written"),
            sum_reviewed=Sum("check_ins_reviewed"),
            sum_usefulness=Sum("usefulness_total"),
            rating_pairs=Count("pk", filter=Q(check_ins_written__gt=0)),
            sum_drafted=Sum("goals_drafted"),
            sum_agreed=Sum("goals_agreed"),
            sum_achieved=Sum("goals_achieved"),
            **buckets,
        )
    )
    return {row["group"]: row for row in rows}


def _enrollment_figures(cohort_ids: list[int], level: str) -> dict[int, dict]:
    """Accepted mentees (peers) and how many of them have a published match."""
    matched = Match.objects.filter(
        Q(mentee=OuterRef("pk")) | Q(mentor=OuterRef("pk")), status__in=PUBLISHED
    )
    rows = (
        Enrollment.objects.filter(cohort_id__in=cohort_ids, role__in=SEEKERS, status__in=ACCEPTED)
        .alias(matched=Exists(matched))
        .annotate(group=_key(level, "cohort__"))
        .values("group")
        .annotate(accepted=Count("pk"), matched=Count("pk", filter=Q(matched=True)))
        .order_by()
    )
    return {row["group"]: row for row in rows}


def _origin(level: str, cohorts: list[Cohort]) -> dict[int, date]:
    origins: dict[int, date] = {}
    for cohort in cohorts:
        key = _level_key(level, cohort)
        origins[key] = min(origins.get(key, cohort.starts_on), cohort.starts_on)
    return origins


def _end(level: str, cohorts: list[Cohort]) -> dict[int, date]:
    ends: dict[int, date] = {}
    for cohort in cohorts:
        key = _level_key(level, cohort)
        ends[key] = max(ends.get(key, cohort.ends_on), cohort.ends_on)
    return ends


def _weekly_meetings(
    matches: QuerySet[Match], level: str, cohorts: list[Cohort], now: datetime
) -> dict[int, dict[int, int]]:
    """Meetings held per group and week index (0 for the week starting at the origin)."""
    origins = _origin(level, cohorts)
    if not origins:
        return {}
    if level == COHORT:
        origin = F("match__cohort__starts_on")
    elif level == PROGRAM:
        origin = Case(
            *[When(match__cohort__program_id=k, then=Value(d)) for k, d in origins.items()],
            output_field=DateField(),
        )
    else:
        origin = Value(origins[0], output_field=DateField())
    rows = (
        Meeting.objects.filter(
            match__in=matches, status=Meeting.Status.SCHEDULED, starts_at__lte=now
        )
        .annotate(group=_key(level, "match__cohort__"))
        .alias(
            # date - date is a number of days in PostgreSQL.
            offset=Func(
                TruncDate("starts_at"),
                origin,
                arg_joiner=" - ",
                template="(%(expressions)s)",
                output_field=IntegerField(),
            ),
        )
        .filter(offset__gte=0)
        .annotate(week=F("offset") / 7)
        .values("group", "week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    weekly: dict[int, dict[int, int]] = defaultdict(dict)
    for row in rows:
        weekly[row["group"]][row["week"]] = row["n"]
    return weekly


def _health_counts(matches: QuerySet[Match], now: datetime) -> dict[int, tuple[int, int, int]]:
    """Per cohort: (open pairs, active pairs, pairs at risk), from ``goals.health``."""
    today = timezone.localdate(now)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    active = (
        matches.filter(status=Match.Status.ACTIVE)
        .select_related("cohort")
        .only("id", "status", "published_at", "cohort__starts_on", "cohort__cadence_days")
    )
    for match in with_health_figures(active, now=now):
        health = health_of(match, today=today)
        row = counts[match.cohort_id]
        row[0] += 1
        if match.last_met_at is not None and health.days_since_meeting <= health.cadence_days:
            row[1] += 1
        if health.state.at_risk:
            row[2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def _weeks(origin: date | None, end: date | None, today: date, counts: dict[int, int]):
    if origin is None or end is None or origin > today:
        return []
    last = min(end, today)
    n = (last - origin).days // 7 + 1
    return [
        Week(number=i + 1, starts_on=origin + timedelta(days=7 * i), meetings=counts.get(i, 0))
        for i in range(n)
    ]


def _figures(
    level: str,
    cohorts: list[Cohort],
    health: dict[int, tuple[int, int, int]],
    now: datetime,
    labels: dict[int, tuple[str, str]],
) -> dict[int, Engagement]:
    """The figures of every group of ``level`` (three queries)."""
    today = timezone.localdate(now)
    cohort_ids = [c.pk for c in cohorts]
    matches = Match.objects.filter(cohort_id__in=cohort_ids, status__in=PUBLISHED)
    pair_rows = _pair_figures(matches, level, now)
    enrollment_rows = _enrollment_figures(cohort_ids, level)
    weekly = _weekly_meetings(matches, level, cohorts, now)
    origins, ends = _origin(level, cohorts), _end(level, cohorts)
    health_by_group: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for cohort in cohorts:
        group = health_by_group[_level_key(level, cohort)]
        for i, n in enumerate(health.get(cohort.pk, (0, 0, 0))):
            group[i] += n
    result: dict[int, Engagement] = {}
    for key, (label, slug) in labels.items():
        p = pair_rows.get(key, {})
        e = enrollment_rows.get(key, {})
        pairs = p.get("pairs") or 0
        written = p.get("sum_written") or 0
        accepted = e.get("accepted") or 0
        matched = e.get("matched") or 0
        open_pairs, active, at_risk = health_by_group[key]
        result[key] = Engagement(
            key=key,
            label=label,
            slug=slug,
            starts_on=origins.get(key),
            ends_on=ends.get(key),
            pairs=pairs,
            open_pairs=open_pairs,
            active_pairs=active,
            at_risk_pairs=at_risk,
            meetings=p.get("meetings") or 0,
            median_meetings=Share(p.get("median_meetings"), pairs),
            distribution=[
                (bucket[0], p.get(f"bucket_{i}") or 0) for i, bucket in enumerate(BUCKETS)
            ],
            check_ins_written=written,
            check_ins_reviewed=p.get("sum_reviewed") or 0,
            goals_drafted=p.get("sum_drafted") or 0,
            goals_agreed=p.get("sum_agreed") or 0,
            goals_achieved=p.get("sum_achieved") or 0,
            mean_usefulness=Share(
                (p["sum_usefulness"] / written) if written else None,
                p.get("rating_pairs") or 0,
            ),
            mentees_accepted=accepted,
            mentees_matched=matched,
            match_rate=Share(matched / accepted if accepted else None, accepted, percent=True),
            weeks=_weeks(origins.get(key), ends.get(key), today, weekly.get(key, {})),
        )
    return result


def _cohorts(programs: Iterable[Program] | QuerySet[Program]) -> list[Cohort]:
    return list(
        Cohort.objects.filter(program__in=programs)
        .select_related("program")
        .only("id", "name", "slug", "starts_on", "ends_on", "program__name", "program__slug")
        .order_by("-starts_on", "name")
    )


def program_engagement(program: Program, *, now: datetime | None = None) -> ProgramEngagement:
    """A program's figures and each of its cohorts' (newest first)."""
    now = now or timezone.now()
    cohorts = _cohorts([program])
    health = _health_counts(
        Match.objects.filter(cohort__program=program, status__in=PUBLISHED), now
    )
    by_cohort = _figures(COHORT, cohorts, health, now, {c.pk: (c.name, c.slug) for c in cohorts})
    total = _figures(TOTAL, cohorts, health, now, {0: (program.name, program.slug)})[0]
    return ProgramEngagement(
        program=program, total=total, cohorts=[by_cohort[c.pk] for c in cohorts]
    )


def programs_engagement(
    programs: QuerySet[Program], *, label: str = "All programs", now: datetime | None = None
) -> Overview:
    """Each program's figures (by name) and the figures of them all together."""
    now = now or timezone.now()
    program_list = list(programs.order_by("name").only("id", "name", "slug"))
    cohorts = _cohorts(program_list)
    health = _health_counts(
        Match.objects.filter(cohort__program__in=program_list, status__in=PUBLISHED), now
    )
    by_program = _figures(
        PROGRAM, cohorts, health, now, {p.pk: (p.name, p.slug) for p in program_list}
    )
    total = _figures(TOTAL, cohorts, health, now, {0: (label, "")})[0]
    return Overview(total=total, programs=[by_program[p.pk] for p in program_list])


# --- Chart ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    week: Week


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    plot_left: int
    bars: list[Bar]
    max_value: int
    ticks: list[tuple[float, int]]  # (y, value)
    labels: list[tuple[float, str]]  # (x, text) under some bars


def bar_chart(weeks: list[Week], *, width: int = 720, height: int = 220) -> BarChart:
    """Geometry of a bar chart of meetings per week, for an inline SVG."""
    left, right, top, bottom = 40, 10, 10, height - 30
    plot_w, plot_h = width - left - right, bottom - top
    peak = max((w.meetings for w in weeks), default=0)
    scale_max = max(peak, 1)
    slot = plot_w / max(len(weeks), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, week in enumerate(weeks):
        h = plot_h * week.meetings / scale_max
        bars.append(
            Bar(
                x=round(left + i * slot + gap / 2, 2),
                y=round(bottom - h, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(h, 2),
                week=week,
            )
        )
    ticks = sorted({0, scale_max // 2, scale_max})
    tick_rows = [(round(bottom - plot_h * t / scale_max, 2), t) for t in ticks]
    every = max(1, len(weeks) // 8 + (1 if len(weeks) % 8 else 0))
    labels = [
        (round(left + i * slot + slot / 2, 2), f"W{w.number}")
        for i, w in enumerate(weeks)
        if i % every == 0
    ]
    return BarChart(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        plot_left=left,
        bars=bars,
        max_value=peak,
        ticks=tick_rows,
        labels=labels,
    )
