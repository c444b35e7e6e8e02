"""Reads for pairs: the figures pair health is derived from, in SQL, a fixed number of queries
whatever the number of pairs; and the pair's timeline."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from hashlib import sha256

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils import timezone

from goals.cache_invalidation import PAIR_ACTIVITY
from goals.health import DUE_SOON_DAYS, REVIEW_WAIT_DAYS, Health, HealthReport, pair_health
from goals.models import AgreementRevision, CheckIn, Goal, GoalEvent, Meeting, Milestone
from matching.models import Match
from mentorship.cache_versions import PARTICIPATION, PEOPLE, cached, fragment_key, versions

# A past meeting's check-in is missing once this long has passed since the meeting started.
CHECK_IN_GRACE = timedelta(days=1)


def _count(queryset: QuerySet, *, by: str = "match") -> Coalesce:
    """Per-pair count as a correlated subquery (several counts never multiply each other)."""
    counted = (
        queryset.filter(**{by: OuterRef("pk")})
        .order_by()
        .values(by)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_health_figures(
    matches: QuerySet[Match], *, now: datetime | None = None, health_only: bool = False
) -> QuerySet:
    """Annotate pairs with what their health and the admins' figures are derived from.

    Figures only: dates, counts, ratings. Nothing here carries text of the pair's.
    ``health_only``: just what ``health_of`` reads (and the last and next meeting), for a page
    that shows no other figure: each figure is a subquery to build, compile and run.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    held = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__lte=now)
    confirmed = AgreementRevision.objects.filter(
        match=OuterRef("pk"),
        mentee_confirmed_at__isnull=False,
        mentor_confirmed_at__isnull=False,
    ).order_by("-number")
    figures = {
        "agreed_cadence": Subquery(confirmed.values("cadence_days")[:1]),
        "last_met_at": Subquery(
            held.filter(match=OuterRef("pk")).order_by("-starts_at").values("starts_at")[:1]
        ),
        "next_meeting_at": Subquery(
            Meeting.objects.filter(
                match=OuterRef("pk"), status=Meeting.Status.SCHEDULED, starts_at__gt=now
            )
            .order_by("starts_at")
            .values("starts_at")[:1]
        ),
        "missing_check_ins": _count(
            held.filter(starts_at__lte=now - CHECK_IN_GRACE, check_in__isnull=True)
        ),
        "waiting_reviews": _count(
            CheckIn.objects.filter(
                reviewed_at__isnull=True,
                submitted_at__lte=now - timedelta(days=REVIEW_WAIT_DAYS),
            )
        ),
        "overdue_milestones": _count(
            Milestone.objects.filter(
                goal__status=Goal.Status.AGREED, done_at__isnull=True, due_on__lt=today
            ),
            by="goal__match",
        ),
    }
    if not health_only:
        figures.update(
            meetings_held=_count(held),
            check_ins_written=_count(CheckIn.objects.all()),
            check_ins_reviewed=_count(CheckIn.objects.filter(reviewed_at__isnull=False)),
            mean_usefulness=Subquery(
                CheckIn.objects.filter(match=OuterRef("pk"))
                .order_by()
                .values("match")
                .annotate(mean=Avg("usefulness"))
                .values("mean")
            ),
            goals_agreed=_count(Goal.objects.filter(status__in=Goal.COUNTED)),
            goals_achieved=_count(Goal.objects.filter(status=Goal.Status.ACHIEVED)),
        )
    return matches.annotate(**figures)


# ``with_health_figures`` as one fixed SQL statement, for pages that show a few pairs: the ORM
# builds and compiles its twelve subqueries anew for each request (9 ms of CPU for a page of
# 50 pairs, 4 for the six figures of health), a constant string costs nothing to build. Each
# figure is the same subquery as the ORM's (tests/goals/test_pair_figures.py holds them equal).
_HEALTH_FIGURES_SQL = {
    "agreed_cadence": """(
        SELECT r.cadence_days FROM goals_agreementrevision r
        WHERE r.match_id = m.id
          AND r.mentee_confirmed_at IS NOT NULL AND r.mentor_confirmed_at IS NOT NULL
        ORDER BY r.number DESC LIMIT 1)""",
    "last_met_at": """(
        SELECT max(g.starts_at) FROM goals_meeting g
        WHERE g.match_id = m.id AND g.status = %(scheduled)s AND g.starts_at <= %(now)s)""",
    "next_meeting_at": """(
        SELECT min(g.starts_at) FROM goals_meeting g
        WHERE g.match_id = m.id AND g.status = %(scheduled)s AND g.starts_at > %(now)s)""",
    "missing_check_ins": """(
        SELECT count(*) FROM goals_meeting g
        WHERE g.match_id = m.id AND g.status = %(scheduled)s AND g.starts_at <= %(graced)s
          AND NOT EXISTS (SELECT FROM goals_checkin c WHERE c.meeting_id = g.id))""",
    "waiting_reviews": """(
        SELECT count(*) FROM goals_checkin c
        WHERE c.match_id = m.id AND c.reviewed_at IS NULL AND c.submitted_at <= %(waited)s)""",
    "overdue_milestones": """(
        SELECT count(*) FROM goals_milestone s JOIN goals_goal o ON o.id = s.goal_id
        WHERE o.match_id = m.id AND o.status = %(agreed)s AND s.done_at IS NULL
          AND s.due_on < %(today)s)""",
}
_OTHER_FIGURES_SQL = {
    "meetings_held": """(
        SELECT count(*) FROM goals_meeting g
        WHERE g.match_id = m.id AND g.status = %(scheduled)s AND g.starts_at <= %(now)s)""",
    "check_ins_written": "(SELECT count(*) FROM goals_checkin c WHERE c.match_id = m.id)",
    "check_ins_reviewed": """(
        SELECT count(*) FROM goals_checkin c
        WHERE c.match_id = m.id AND c.reviewed_at IS NOT NULL)""",
    "mean_usefulness": "(SELECT avg(c.usefulness) FROM goals_checkin c WHERE c.match_id = m.id)",
    "goals_agreed": """(
        SELECT count(*) FROM goals_goal o
        WHERE o.match_id = m.id AND o.status = ANY(%(counted)s))""",
    "goals_achieved": """(
        SELECT count(*) FROM goals_goal o WHERE o.match_id = m.id AND o.status = %(achieved)s)""",
}


def _figures_columns(health_only: bool) -> tuple[tuple[str, ...], str]:
    columns = dict(_HEALTH_FIGURES_SQL)
    if not health_only:
        columns.update(_OTHER_FIGURES_SQL)
    return tuple(columns), ",\n".join(columns.values())


_FIGURES_SELECT = {only: _figures_columns(only) for only in (True, False)}


def _figures_params(now: datetime) -> dict:
    return {
        "now": now,
        "graced": now - CHECK_IN_GRACE,
        "waited": now - timedelta(days=REVIEW_WAIT_DAYS),
        "today": timezone.localdate(now),
        "scheduled": Meeting.Status.SCHEDULED.value,
        "agreed": Goal.Status.AGREED.value,
        "achieved": Goal.Status.ACHIEVED.value,
        "counted": [status.value for status in Goal.COUNTED],
    }


def _figures_of_row(names: tuple[str, ...], values) -> dict:
    figures = dict(zip(names, values, strict=True))
    if figures.get("mean_usefulness") is not None:  # numeric: a float, as the ORM's Avg gives
        figures["mean_usefulness"] = float(figures["mean_usefulness"])
    return figures


def pair_figures(
    pks: list[int], *, now: datetime | None = None, health_only: bool = False
) -> dict[int, dict]:
    """The figures ``with_health_figures`` annotates, of the pairs ``pks``, by pair: the same
    subqueries in one fixed SQL statement (no query to build or compile)."""
    names, select = _FIGURES_SELECT[health_only]
    sql = f"SELECT m.id, {select} FROM matching_match m WHERE m.id = ANY(%(pks)s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_figures_params(now or timezone.now()), "pks": list(pks)})
        return {pk: _figures_of_row(names, values) for pk, *values in cursor.fetchall()}


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def health_of(match: Match, *, today: date | None = None) -> HealthReport:
    """The health of a pair annotated by ``with_health_figures``."""
    return _health(
        today=today or timezone.localdate(),
        starts_on=match.cohort.starts_on,
        cadence_days=match.cohort.cadence_days,
        published_at=match.published_at,
        agreed_cadence=match.agreed_cadence,
        last_met_at=match.last_met_at,
        next_meeting_at=match.next_meeting_at,
        missing_check_ins=match.missing_check_ins,
        waiting_reviews=match.waiting_reviews,
        overdue_milestones=match.overdue_milestones,
    )


def _health(
    *,
    today: date,
    starts_on: date,
    cadence_days: int,
    published_at: datetime | None,
    agreed_cadence: int | None,
    last_met_at: datetime | None,
    next_meeting_at: datetime | None,
    missing_check_ins: int,
    waiting_reviews: int,
    overdue_milestones: int,
    **_other_figures,
) -> HealthReport:
    """The health of a pair of a cohort starting ``starts_on`` at the rhythm ``cadence_days``,
    published at ``published_at``, from the figures of ``with_health_figures`` (any others
    are ignored)."""
    started = starts_on
    if published_at:
        started = max(started, timezone.localdate(published_at))
    return pair_health(
        today=today,
        started_on=started,
        cadence_days=agreed_cadence or cadence_days,
        last_met_on=_local_date(last_met_at),
        next_meeting_on=_local_date(next_meeting_at),
        missing_check_ins=missing_check_ins,
        waiting_reviews=waiting_reviews,
        overdue_milestones=overdue_milestones,
    )


@dataclass(frozen=True)
class PairRow:
    """A pair with its derived health, for lists."""

    match: Match
    health: HealthReport


def pairs_with_health(matches: QuerySet[Match], *, today: date | None = None) -> list[PairRow]:
    """Pairs with health, the ones most at risk first (then the longest without a meeting)."""
    rows = [
        PairRow(match=m, health=health_of(m, today=today))
        for m in with_health_figures(
            matches.select_related("cohort__program", "mentee__person", "mentor__person")
        )
    ]
    rows.sort(key=lambda r: (r.health.state.rank, -r.health.days_since_meeting, r.match.pk))
    return rows


# --- Pair health in SQL, for lists that count, filter, sort and page by it --------------------

_RANK = {s.rank: s for s in Health}

# The rules of goals.health.pair_health over one row of figures per pair (the CTE "f", computed
# once a pair: PostgreSQL would otherwise evaluate each subquery again at every reference). What
# waits on a pair only matters to pairs that are on track by their meetings, so it is looked up
# for those alone (the CTE "w", which reads "d").
_HEALTH_SQL = """
WITH f (id, hs_cadence, hs_since, hs_next) AS MATERIALIZED ({figures}),
d AS MATERIALIZED (
    SELECT id, days, CASE
        WHEN next_on IS NOT NULL AND gap > 2 * cadence THEN {overdue}
        WHEN next_on IS NULL AND days > 2 * cadence THEN {inactive}
        WHEN next_on IS NULL AND days > cadence THEN {overdue}
        WHEN next_on IS NULL AND days >= cadence - %s THEN {due}
        ELSE {on_track} END AS rank
    FROM (
        SELECT id, hs_cadence AS cadence, hs_next AS next_on, hs_next - hs_since AS gap,
               GREATEST(0, %s::date - hs_since) AS days
        FROM f
    ) figures
),
w (id, hs_waits) AS MATERIALIZED ({waits}),
r AS (
    SELECT d.id, d.days,
           CASE WHEN w.hs_waits IS NOT NULL THEN {due} ELSE d.rank END AS rank
    FROM d LEFT JOIN w ON w.id = d.id
)
SELECT rank, count(*), array_agg(id ORDER BY days DESC, id) FROM r GROUP BY rank
"""
_ON_TRACK_SO_FAR = f"SELECT id FROM d WHERE rank = {Health.ON_TRACK.rank}"  # noqa: S608


@dataclass(frozen=True)
class HealthIndex:
    """The pairs of a list by health: how many in each state, and their ids in list order
    (most at risk first, then the longest without a meeting)."""

    counts: dict[Health, int]
    ids: dict[Health, list[int]]

    def ids_in(self, states) -> list[int]:
        """Ids of the pairs in ``states``, in list order."""
        wanted = {Health(s) for s in states}
        return [pk for state in sorted(wanted, key=lambda s: s.rank) for pk in self.ids[state]]


def health_index(matches: QuerySet[Match], *, now: datetime | None = None) -> HealthIndex:
    """Every pair's health state, counted and ordered by the database in one query.

    The same rules as ``goals.health.pair_health`` (and the same figures as
    ``with_health_figures``: the latest confirmed cadence, the last and the next meeting, and
    whether anything waits on the pair, asked as existence rather than counted), so that a
    cohort of thousands of pairs is never loaded into Python to be sorted. Local dates are
    those of the current time zone, as in ``health_of``.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    held = Meeting.objects.filter(
        match=OuterRef("pk"), status=Meeting.Status.SCHEDULED, starts_at__lte=now
    )
    cadence = AgreementRevision.objects.filter(
        match=OuterRef("pk"), mentee_confirmed_at__isnull=False, mentor_confirmed_at__isnull=False
    ).order_by("-number")
    upcoming = Meeting.objects.filter(
        match=OuterRef("pk"), status=Meeting.Status.SCHEDULED, starts_at__gt=now
    ).order_by("starts_at")
    # Whether anything waits on the pair: the first such row's id, else NULL. COALESCE stops at
    # the first hit, and a LIMIT 1 subquery stays an index probe per pair (an EXISTS inside OR
    # let PostgreSQL hash every meeting of the company instead).
    missing_check_in = (
        held.filter(starts_at__lte=now - CHECK_IN_GRACE)
        .filter(~Exists(CheckIn.objects.filter(meeting=OuterRef("pk"))))
        .order_by("-starts_at")  # the latest meeting is the likeliest to wait for one
    )
    waiting_review = CheckIn.objects.filter(
        match=OuterRef("pk"),
        reviewed_at__isnull=True,
        submitted_at__lte=now - timedelta(days=REVIEW_WAIT_DAYS),
    )
    overdue_milestone = Milestone.objects.filter(
        goal__match=OuterRef("pk"),
        goal__status=Goal.Status.AGREED,
        done_at__isnull=True,
        due_on__lt=today,
    )
    waits = Coalesce(
        Subquery(missing_check_in.values("pk")[:1]),
        Subquery(waiting_review.order_by().values("pk")[:1]),
        Subquery(overdue_milestone.order_by().values("pk")[:1]),
        output_field=IntegerField(),
    )
    last_met = held.order_by("-starts_at").values("starts_at")[:1]
    next_at = upcoming.values("starts_at")[:1]
    figures = (
        matches.order_by()
        .annotate(
            hs_cadence=Coalesce(
                Subquery(cadence.values("cadence_days")[:1]), F("cohort__cadence_days")
            ),
            hs_since=Coalesce(
                TruncDate(Subquery(last_met, output_field=DateTimeField())),
                Greatest(F("cohort__starts_on"), TruncDate("published_at")),
            ),
            hs_next=TruncDate(Subquery(next_at, output_field=DateTimeField())),
        )
        .values("pk", "hs_cadence", "hs_since", "hs_next")
    )
    waiting = (
        Match.objects.filter(pk__in=RawSQL(_ON_TRACK_SO_FAR, []))  # noqa: S611 (a constant)
        .order_by()
        .annotate(hs_waits=waits)
        .values("pk", "hs_waits")
    )
    figures_sql, figures_params = figures.query.sql_with_params()
    waits_sql, waits_params = waiting.query.sql_with_params()
    sql = _HEALTH_SQL.format(
        figures=figures_sql, waits=waits_sql, **{s.value: s.rank for s in Health}
    )
    counts = dict.fromkeys(Health, 0)
    ids: dict[Health, list[int]] = {s: [] for s in Health}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*figures_params, DUE_SOON_DAYS, today, *waits_params])
        for rank, n, pks in cursor.fetchall():
            counts[_RANK[rank]] = n
            ids[_RANK[rank]] = list(pks)
    return HealthIndex(counts=counts, ids=ids)


# Health moves with the clock too (a meeting's start passing, a check-in waiting its third
# day) and no write announces that: a cached index is at most this old.
HEALTH_CACHE_SECONDS = 60


def cohort_health_index(cohort) -> HealthIndex:
    """``health_index`` of the cohort's active pairs, cached until a pair's meetings, check-ins,
    agreement or goals change (``goals.cache_invalidation``), a match is published, ended or
    moved (the participation version), the cohort's start or rhythm changes (in the key), the
    day or time zone changes (in the key), and at most ``HEALTH_CACHE_SECONDS``.

    The index is the SQL of a whole cohort (1,400 pairs: 35-110 ms on the bench machine) and
    every page and filter of the pair-health list asks for it.
    """
    return cached(
        lambda: _health_cache_key("pair-health", cohort),
        lambda: health_index(Match.objects.filter(cohort=cohort, status=Match.Status.ACTIVE)),
        timeout=HEALTH_CACHE_SECONDS,
        what="pair health",
    )


def _health_cache_key(kind: str, cohort, *more, also: tuple[str, ...] = ()) -> str:
    """A key for what is derived from the cohort's pairs, under the versions it depends on
    (and those of the namespaces ``also``).

    The versions are taken here, before the database is read: a value never predates the
    version it is stored under (mentorship.cache_versions).
    """
    stamp = versions(PARTICIPATION, PAIR_ACTIVITY, *also)
    return ":".join(
        str(part)
        for part in (
            kind,
            cohort.pk,
            cohort.starts_on,
            cohort.cadence_days,
            timezone.get_current_timezone_name(),
            timezone.localdate(),
            *stamp,
            *more,
        )
    )


def cohort_pairs_fragment_key(name: str, cohort, *more) -> str:
    """The ``fragment_key`` of HTML that shows the cohort's pair health, figures and names:
    the inputs of ``cohort_pair_rows`` (the participation and pair-activity versions, the
    cohort's start and rhythm, time zone and day), the people version (names), the minute of
    the clock (``HEALTH_CACHE_SECONDS``, as health moves with it) and ``more`` (the request's
    filter and page)."""
    return fragment_key(
        name,
        _health_cache_key(
            name, cohort, int(time.time() // HEALTH_CACHE_SECONDS), *more, also=(PEOPLE,)
        ),
    )


# What ``with_health_figures`` annotates (all of it, not ``health_only``).
HEALTH_FIGURES = (
    "agreed_cadence",
    "last_met_at",
    "next_meeting_at",
    "missing_check_ins",
    "waiting_reviews",
    "overdue_milestones",
    "meetings_held",
    "check_ins_written",
    "check_ins_reviewed",
    "mean_usefulness",
    "goals_agreed",
    "goals_achieved",
)


@dataclass(frozen=True, slots=True)
class CohortPairRow:
    """A pair of the cohort's pair-health list as its row prints it: the two names, the
    ``HEALTH_FIGURES`` by name, and the health derived from them. Plain values, not a match
    and four related instances a row (50 rows: 300 model instances a page)."""

    pk: int
    mentee: str  # full names, as User.get_full_name
    mentor: str
    figures: dict
    health: HealthReport


# A row of the list: its dates, rhythm and the two names (then, unless cached, its figures).
_COHORT_ROWS_SQL = """
SELECT m.id, m.published_at, c.starts_on, c.cadence_days,
       mentee.first_name, mentee.last_name, mentor.first_name, mentor.last_name{figures}
FROM matching_match m
JOIN programs_cohort c ON c.id = m.cohort_id
JOIN programs_enrollment mentee_enrollment ON mentee_enrollment.id = m.mentee_id
JOIN people_user mentee ON mentee.id = mentee_enrollment.person_id
JOIN programs_enrollment mentor_enrollment ON mentor_enrollment.id = m.mentor_id
JOIN people_user mentor ON mentor.id = mentor_enrollment.person_id
WHERE m.id = ANY(%(pks)s)
"""


def cohort_pair_rows(cohort, pks: list[int], *, today: date | None = None) -> list[CohortPairRow]:
    """The rows of a page of the cohort's pair-health list (the pairs ``pks``, in that order),
    their figures cached as the index is (``cohort_health_index``). Names are read every time
    (a rename bumps no version), health is derived every time from the figures. One fixed SQL
    statement either way (``pair_figures``'s subqueries, when the figures are not cached)."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    computed: list[CohortPairRow] = []

    def figures_of_rows() -> dict[int, dict]:
        names, select = _FIGURES_SELECT[False]
        rows = _cohort_rows_sql(",\n" + select, {**_figures_params(now), "pks": list(pks)})
        computed.extend(
            _cohort_rows(pks, [(*row[:8], _figures_of_row(names, row[8:])) for row in rows], today)
        )
        return {row.pk: row.figures for row in computed}

    figures = cached(
        lambda: _health_cache_key(
            "pair-health-rows", cohort, sha256(repr(pks).encode()).hexdigest()
        ),
        figures_of_rows,
        timeout=HEALTH_CACHE_SECONDS,
        what="pair health rows",
    )
    if computed:
        return computed
    rows = _cohort_rows_sql("", {"pks": list(pks)})
    # A pair moved away since the figures were cached is not on this page any more.
    return _cohort_rows(pks, [(*row, figures[row[0]]) for row in rows if row[0] in figures], today)


def _cohort_rows_sql(figures: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_COHORT_ROWS_SQL.format(figures=figures), params)
        return cursor.fetchall()


def _cohort_rows(pks, rows, today: date) -> list[CohortPairRow]:
    """``CohortPairRow``s in the order of ``pks`` from rows of (id, published_at, the cohort's
    start and rhythm, the mentee's and the mentor's first and last names, figures)."""
    by_pk = {}
    for pk, published_at, starts_on, cadence_days, *names, figures in rows:
        by_pk[pk] = CohortPairRow(
            pk=pk,
            mentee=f"{names[0]} {names[1]}".strip(),  # as User.get_full_name
            mentor=f"{names[2]} {names[3]}".strip(),
            figures=figures,
            health=_health(
                today=today,
                starts_on=starts_on,
                cadence_days=cadence_days,
                published_at=published_at,
                **figures,
            ),
        )
    return [by_pk[pk] for pk in pks if pk in by_pk]


def pair_rows(
    pks: list[int], *, today: date | None = None, figures: dict[int, dict] | None = None
) -> list[PairRow]:
    """The pairs ``pks`` in that order, with their figures and health (a page of a list).

    Each row loads only what the list and ``health_of`` read: the two people's names, the
    cohort's dates and rhythm. Whole rows (the match's score breakdown and reasons as JSON,
    every column of two people) were a third of the time of a page of 50. ``figures``: the
    ``HEALTH_FIGURES`` of each pair by id, already known (cached), instead of computed.
    """
    matches = (
        Match.objects.filter(pk__in=pks)
        .select_related("cohort", "mentee__person", "mentor__person")
        .only(
            "published_at",
            "cohort__starts_on",
            "cohort__cadence_days",
            *(
                f"{side}{field}"
                for side in ("mentee", "mentor")
                for field in ("", "__person", "__person__first_name", "__person__last_name")
            ),
        )
    )
    if figures is None:
        by_pk = {m.pk: m for m in with_health_figures(matches)}
    else:
        by_pk = {}
        for match in matches:
            if match.pk in figures:  # a pair moved away since: not on this page any more
                for name, value in figures[match.pk].items():
                    setattr(match, name, value)
                by_pk[match.pk] = match
    return [
        PairRow(match=by_pk[pk], health=health_of(by_pk[pk], today=today))
        for pk in pks
        if pk in by_pk
    ]


def member_pairs(user) -> QuerySet[Match]:
    """The user's published pairs, active first, newest first."""
    return (
        Match.objects.filter(
            Q(mentee__person=user) | Q(mentor__person=user),
            status__in=[Match.Status.ACTIVE, Match.Status.ENDED],
        )
        .select_related("cohort__program", "mentee__person", "mentor__person")
        .order_by("status", "-published_at", "-pk")
    )


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # agreement, meeting, check_in, review, goal
    text: str
    url: str = ""
    future: bool = False


@dataclass(frozen=True)
class PairActivity:
    """What the pair page reads of a pair's history, from the timeline's own queries."""

    timeline: list[TimelineItem]
    # The latest agreement revision (its number, author, dates and confirmations), or None.
    agreement: AgreementRevision | None
    # The next scheduled meetings, soonest first (their start, length and mode).
    upcoming: list[Meeting]


def pair_timeline(match: Match, *, limit: int = 60) -> list[TimelineItem]:
    """The pair's history in time order (newest first), upcoming meetings on top.

    For the pair's own eyes: it names goals and people, never private notes. A fixed number of
    queries (one per source), each bounded by ``limit``.
    """
    return pair_activity(match, limit=limit).timeline


# Meetings a pair loads besides the timeline's: the columns the page prints of them.
_MEETING_COLUMNS = ("match", "starts_at", "status", "mode", "duration_minutes")


def pair_activity(match: Match, *, limit: int = 60, upcoming: int = 3) -> PairActivity:
    """``pair_timeline`` and, from the same queries, the latest agreement revision and the
    next ``upcoming`` scheduled meetings (a query more only when more than ``limit`` meetings
    are still to come, which the timeline's newest ``limit`` would not all hold)."""
    now = timezone.now()
    items: list[TimelineItem] = []
    names = {
        match.mentee.person_id: match.mentee.person.get_full_name(),
        match.mentor.person_id: match.mentor.person.get_full_name(),
    }

    def who(user_id) -> str:
        return names.get(user_id, "Someone")

    # One reverse() per kind of link, not one per item (60 items cost 60 reverses): each
    # link is its list's URL plus the child's id, as goals/urls_*.py nest them.
    agreement_url = reverse("goals:agreement", args=[match.pk])
    meetings_url = reverse("goals:meeting_list", args=[match.pk])
    goals_url = reverse("goals:goal_list", args=[match.pk])

    # Each source loads only the columns its entries print: never the text of agendas,
    # check-ins, agreements or goal comments, which the timeline does not show.
    revisions = match.agreement_revisions.only(
        "match", "number", "created_by", "created_at", "mentee_confirmed_at", "mentor_confirmed_at"
    )
    revisions = list(revisions.order_by("-number")[:limit])
    for rev in revisions:
        items.append(
            TimelineItem(
                at=rev.created_at,
                kind="agreement",
                text=(
                    f"{who(rev.created_by_id)} wrote the agreement"
                    if rev.number == 1
                    else f"{who(rev.created_by_id)} revised the agreement (version {rev.number})"
                ),
                url=agreement_url,
            )
        )
        if rev.is_confirmed:
            items.append(
                TimelineItem(
                    at=max(rev.mentee_confirmed_at, rev.mentor_confirmed_at),
                    kind="agreement",
                    text=f"Both confirmed version {rev.number} of the agreement",
                    url=agreement_url,
                )
            )
    meetings = (
        match.meetings.select_related("check_in")
        .only(
            *_MEETING_COLUMNS,
            "check_in__meeting",
            "check_in__author",
            "check_in__usefulness",
            "check_in__submitted_at",
            "check_in__reviewed_at",
            "check_in__reviewed_by",
        )
        .order_by("-starts_at")[:limit]
    )
    meetings = list(meetings)
    for meeting in meetings:
        url = f"{meetings_url}{meeting.pk}/"
        future = meeting.starts_at > now
        how = f"{meeting.get_mode_display().lower()}, {meeting.duration_minutes} min"
        if meeting.status == Meeting.Status.CANCELLED:
            text = "Meeting cancelled"
        elif future:
            text = f"Meeting booked ({how})"
        else:
            text = f"Met ({how})"
        items.append(
            TimelineItem(at=meeting.starts_at, kind="meeting", text=text, url=url, future=future)
        )
        check_in = getattr(meeting, "check_in", None)
        if check_in is not None:
            items.append(
                TimelineItem(
                    at=check_in.submitted_at,
                    kind="check_in",
                    text=(
                        f"{who(check_in.author_id)} wrote the check-in "
                        f"(useful: {check_in.usefulness} of 5)"
                    ),
                    url=url,
                )
            )
            if check_in.reviewed_at:
                items.append(
                    TimelineItem(
                        at=check_in.reviewed_at,
                        kind="review",
                        text=f"{who(check_in.reviewed_by_id)} reviewed the check-in",
                        url=url,
                    )
                )
    events = (
        GoalEvent.objects.filter(goal__match=match)
        .select_related("goal")
        .only("at", "kind", "actor", "to_status", "data", "goal__title")
        .order_by("-at", "-id")[:limit]
    )
    for event in events:
        items.append(
            TimelineItem(
                at=event.at,
                kind="goal",
                text=_goal_event_text(event, who(event.actor_id)),
                url=f"{goals_url}{event.goal_id}/",
            )
        )
    items.sort(key=lambda item: (item.future, item.at), reverse=True)
    # Every meeting still to come is among those loaded unless all of them are to come.
    if len(meetings) < limit or meetings[-1].starts_at <= now:
        next_meetings = [
            m
            for m in reversed(meetings)
            if m.status == Meeting.Status.SCHEDULED and m.starts_at > now
        ][:upcoming]
    else:
        next_meetings = list(
            match.meetings.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=now)
            .only(*_MEETING_COLUMNS)
            .order_by("starts_at")[:upcoming]
        )
    return PairActivity(
        timeline=items[:limit],
        agreement=revisions[0] if revisions else None,
        upcoming=next_meetings,
    )


def _goal_event_text(event, actor: str) -> str:
    title = f"“{event.goal.title}”"
    kind = event.kind
    if kind == GoalEvent.Kind.CREATED:
        return f"{actor} drafted the goal {title}"
    if kind == GoalEvent.Kind.PROPOSED:
        return f"{actor} sent the goal {title} for agreement"
    if kind == GoalEvent.Kind.AGREED:
        return f"{actor} agreed the goal {title}"
    if kind == GoalEvent.Kind.CHANGES_REQUESTED:
        return f"{actor} asked for changes to the goal {title}"
    if kind == GoalEvent.Kind.TARGET:
        return f"{actor} changed the target of {title}"
    if kind == GoalEvent.Kind.MILESTONE_DONE:
        return f"{actor} completed a milestone of {title}"
    if kind == GoalEvent.Kind.PROGRESS:
        percent = event.data.get("percent") if isinstance(event.data, dict) else None
        suffix = f" ({percent}%)" if percent is not None else ""
        return f"{actor} logged progress on {title}{suffix}"
    if kind == GoalEvent.Kind.STATUS:
        to = dict(Goal.Status.choices).get(event.to_status, event.to_status).lower()
        return f"{actor} marked {title} {to}"
    if isinstance(event.data, dict) and event.data.get("milestone") and not event.data.get("done"):
        return f"{actor} reopened a milestone of {title}"
    return f"{actor} edited the goal {title}"
