"""The program admins' weekly digest: what changed in the cohorts they run.

Figures and names only (pair health states, people without a match, intakes not finished):
never any text a pair or a participant wrote. A fixed number of queries whatever the number of
cohorts, pairs and people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from goals.health import Health, HealthReport
from goals.selectors.pairs import health_of, with_health_figures
from matching.models import Match
from programs.models import Cohort, Enrollment

# A pair is "new" at risk when it crossed into its state within this many days.
NEW_AT_RISK_DAYS = 7
# People named per list in the email; the rest are counted.
NAMES_SHOWN = 10
# Whose intake counts as a gap: people enrolled (invited or accepted), not applicants.
ENROLLED = (Enrollment.Status.INVITED, Enrollment.Status.ACCEPTED)


def days_in_state(report: HealthReport) -> int:
    """How many days ago the pair crossed into its at-risk state (0: today).

    Read from the health figures: inactive from the day after twice the cadence without a
    meeting, overdue from the day after the cadence. A pair overdue because the meeting it
    booked leaves too long a gap, before the cadence ran out, counts from today.
    """
    threshold = report.cadence_days * (2 if report.state == Health.INACTIVE else 1)
    return max(0, report.days_since_meeting - threshold - 1)


@dataclass(frozen=True)
class PairAtRisk:
    match: Match
    health: HealthReport
    days_in_state: int


@dataclass(frozen=True)
class People:
    """A list of people to name: the first ``NAMES_SHOWN`` and how many more."""

    shown: list[Enrollment]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.shown)

    def __bool__(self) -> bool:
        return self.total > 0


def _people(rows: list[Enrollment]) -> People:
    return People(shown=rows[:NAMES_SHOWN], total=len(rows))


@dataclass
class CohortDigest:
    cohort: Cohort
    started: bool
    dashboard_url: str
    pairs_url: str
    at_risk_url: str
    board_url: str
    intake_url: str
    pairs_total: int = 0
    at_risk_total: int = 0
    new_at_risk: list[PairAtRisk] = field(default_factory=list)
    unmatched: People = field(default_factory=lambda: People([], 0))
    intake_gaps: People = field(default_factory=lambda: People([], 0))

    @property
    def has_news(self) -> bool:
        return bool(self.new_at_risk or self.unmatched or self.intake_gaps)


@dataclass(frozen=True)
class AdminDigest:
    today: date
    cohorts: list[CohortDigest]

    @property
    def new_at_risk(self) -> int:
        return sum(len(c.new_at_risk) for c in self.cohorts)

    @property
    def unmatched(self) -> int:
        return sum(c.unmatched.total for c in self.cohorts)

    @property
    def intake_gaps(self) -> int:
        return sum(c.intake_gaps.total for c in self.cohorts)

    @property
    def summary(self) -> str:
        """The figures that are not zero, e.g. "2 new at-risk pairs, 1 unmatched person"."""

        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        parts = []
        if self.new_at_risk:
            parts.append(count(self.new_at_risk, "new at-risk pair", "new at-risk pairs"))
        if self.unmatched:
            parts.append(count(self.unmatched, "unmatched person", "unmatched people"))
        if self.intake_gaps:
            parts.append(count(self.intake_gaps, "unfinished intake", "unfinished intakes"))
        return ", ".join(parts)

    def __bool__(self) -> bool:
        return bool(self.cohorts)


def admin_digest(user, *, now: datetime | None = None, today: date | None = None) -> AdminDigest:
    """What the digest tells ``user`` about the running and not yet started cohorts of the
    programs they administer; only cohorts with something to report are kept.

    ``today`` is the admin's own date (their time zone); pair health is read as of it.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    cohorts = list(
        Cohort.objects.filter(program__admins=user, ends_on__gte=today)
        .select_related("program")
        .annotate(
            published=Exists(
                Match.objects.filter(
                    cohort=OuterRef("pk"), status__in=[Match.Status.ACTIVE, Match.Status.ENDED]
                )
            )
        )
        .order_by("starts_on", "name", "pk")
    )
    if not cohorts:
        return AdminDigest(today=today, cohorts=[])
    digests: dict[int, CohortDigest] = {}
    for cohort in cohorts:
        slug = {"slug": cohort.slug}
        pairs_url = reverse("goals:cohort_pairs", kwargs=slug)
        digests[cohort.pk] = CohortDigest(
            cohort=cohort,
            started=cohort.starts_on <= today,
            dashboard_url=reverse("programs:cohort_dashboard", kwargs=slug),
            pairs_url=pairs_url,
            at_risk_url=f"{pairs_url}?health=at_risk",
            board_url=reverse("matching:board", kwargs=slug),
            intake_url=reverse("programs:cohort_dashboard", kwargs=slug) + "?intake=incomplete",
        )
    started = [c.pk for c in cohorts if digests[c.pk].started]
    matched = [c.pk for c in cohorts if digests[c.pk].started or c.published]
    not_started = [c.pk for c in cohorts if not digests[c.pk].started]

    if started:
        pairs = with_health_figures(
            Match.objects.filter(cohort_id__in=started, status=Match.Status.ACTIVE)
            .select_related("cohort", "mentee__person", "mentor__person")
            .order_by("pk"),
            now=now,
        )
        for match in pairs:
            digest = digests[match.cohort_id]
            report = health_of(match, today=today)
            digest.pairs_total += 1
            if not report.state.at_risk:
                continue
            digest.at_risk_total += 1
            days = days_in_state(report)
            if days < NEW_AT_RISK_DAYS:
                digest.new_at_risk.append(PairAtRisk(match, report, days))
        for digest in digests.values():
            digest.new_at_risk.sort(
                key=lambda p: (p.health.state.rank, -p.health.days_since_meeting, p.match.pk)
            )

    by_cohort: dict[int, list[Enrollment]] = {pk: [] for pk in digests}
    if matched:
        in_a_pair = Match.objects.filter(
            Q(mentee=OuterRef("pk")) | Q(mentor=OuterRef("pk")), status=Match.Status.ACTIVE
        )
        for enrollment in (
            Enrollment.objects.filter(cohort_id__in=matched, status=Enrollment.Status.ACCEPTED)
            .filter(~Exists(in_a_pair))
            .select_related("person")
            .order_by("person__last_name", "person__first_name", "pk")
        ):
            by_cohort[enrollment.cohort_id].append(enrollment)
        for pk in matched:
            digests[pk].unmatched = _people(by_cohort[pk])

    gaps: dict[int, list[Enrollment]] = {pk: [] for pk in digests}
    if not_started:
        for enrollment in (
            Enrollment.objects.filter(
                cohort_id__in=not_started, status__in=ENROLLED, intake_completed_at__isnull=True
            )
            .select_related("person")
            .order_by("person__last_name", "person__first_name", "pk")
        ):
            gaps[enrollment.cohort_id].append(enrollment)
        for pk in not_started:
            digests[pk].intake_gaps = _people(gaps[pk])

    return AdminDigest(today=today, cohorts=[d for d in digests.values() if d.has_news])
