"""`seed_demo`'s matching part: every cohort that has started is matched as an admin would have
done it before it started, and published (no emails: the rows are marked as notified).

- Running cohorts keep their matches active. Where the demo mentee and the demo mentor both
  take part, the pair is locked first (as an admin would on the board), so the two demo logins
  see each other's side of one pair.
- Completed cohorts are matched the same way, then their matches end when the cohort ended
  (a mentee who withdrew during it ends early, with their reason), so they have a history.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

from matching.models import Match, MatchRun, PairRule
from matching.services import match_run_execute
from people.demo import DEMO_ACCOUNTS
from programs.models import Cohort, Enrollment

COHORT_ENDED = "The cohort ended."
DEMO_EMAILS = {account.key: account.email for account in DEMO_ACCOUNTS}
DEMO_MENTEE = DEMO_EMAILS["mentee"]
DEMO_MENTOR = DEMO_EMAILS["mentor"]


def seed(*, today: date, command) -> bool:
    if Match.objects.exists():
        command.stdout.write("The demo cohorts already have matches: left as they are.")
        return False
    zone = timezone.get_current_timezone()
    started = Cohort.objects.filter(starts_on__lte=today).select_related("program")
    running, completed = [], []
    for cohort in started.order_by("starts_on", "slug"):
        if cohort.ends_on < today:
            completed.append(match_completed(cohort, zone))
        else:
            running.append(match_running(cohort, zone))
    if running:
        command.stdout.write(
            command.style.SUCCESS("Matched the running cohorts (published, no emails):")
        )
        for line in running:
            command.stdout.write(f"  {line}")
    if completed:
        command.stdout.write(
            command.style.SUCCESS(
                "Matched the completed cohorts (published when they started, ended when they "
                "ended):"
            )
        )
        for line in completed:
            command.stdout.write(f"  {line}")
    return bool(running or completed)


def at(day: date, hour: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


def lock_demo_pair(cohort: Cohort) -> PairRule | None:
    """Lock the demo mentee with the demo mentor when both are accepted in the cohort."""
    accepted = Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACCEPTED)
    mentee = accepted.filter(person__email=DEMO_MENTEE, role=Enrollment.Role.MENTEE).first()
    mentor = accepted.filter(person__email=DEMO_MENTOR, role=Enrollment.Role.MENTOR).first()
    if mentee is None or mentor is None:
        return None
    return PairRule.objects.create(
        cohort=cohort, mentee=mentee, mentor=mentor, kind=PairRule.Kind.LOCK, created_by=None
    )


def run_matching(cohort: Cohort, zone: tzinfo) -> MatchRun:
    """Run the engine, dated a few days before the cohort started (when an admin would have)."""
    run = match_run_execute(cohort=cohort, user=None)
    ran = at(cohort.starts_on - timedelta(days=3), 10, zone)
    run.created_at, run.finished_at = ran, ran + timedelta(seconds=2)
    run.save(update_fields=["created_at", "finished_at"])
    return run


def match_running(cohort: Cohort, zone: tzinfo) -> str:
    rule = lock_demo_pair(cohort)
    run = run_matching(cohort, zone)
    published = at(cohort.starts_on, 9, zone)
    count = Match.objects.filter(cohort=cohort, status=Match.Status.PROPOSED).update(
        status=Match.Status.ACTIVE,
        published_at=published,
        created_at=run.finished_at,
    )
    line = (
        f"{cohort.slug}: {count} active matches, {len(run.unmatched)} waiting "
        f"(mean score {run.stats.get('mean_score', 0):.0f})"
    )
    if rule is not None:
        kept = Match.objects.filter(
            cohort=cohort, mentee=rule.mentee_id, mentor=rule.mentor_id, status=Match.Status.ACTIVE
        ).exists()
        line += (
            f"; the demo logins {DEMO_MENTEE} and {DEMO_MENTOR} are locked together"
            if kept
            else f"; the lock of {DEMO_MENTEE} with {DEMO_MENTOR} was not kept"
        )
    return line


def match_completed(cohort: Cohort, zone: tzinfo) -> str:
    """Match a completed cohort as it was when it started, then end the matches.

    The engine's pool is a cohort's accepted people; in a completed cohort they are now
    "completed" (or withdrew during it). They are put back to accepted for the run and their
    statuses restored right after, inside seed_demo's transaction, so nobody sees the change.
    Mentors who withdrew are left out; a mentee who withdrew after the first weeks is matched
    and the match ends when they withdrew.
    """
    Status = Enrollment.Status
    enrollments = Enrollment.objects.filter(cohort=cohort)
    took_part = list(enrollments.filter(status=Status.COMPLETED).values_list("pk", flat=True))
    withdrew = {
        pk: (when, reason)
        for pk, when, reason in enrollments.filter(
            status=Status.WITHDRAWN,
            role__in=[Enrollment.Role.MENTEE, Enrollment.Role.PEER],
            withdrawn_at__gte=at(cohort.starts_on + timedelta(days=21), 0, zone),
            withdrawn_at__lt=at(cohort.ends_on, 0, zone),
        ).values_list("pk", "withdrawn_at", "withdrawal_reason")
    }
    enrollments.filter(pk__in=[*took_part, *withdrew]).update(status=Status.ACCEPTED)
    run = run_matching(cohort, zone)
    enrollments.filter(pk__in=took_part).update(status=Status.COMPLETED)
    enrollments.filter(pk__in=list(withdrew)).update(status=Status.WITHDRAWN)

    published = at(cohort.starts_on, 9, zone)
    count = Match.objects.filter(cohort=cohort, status=Match.Status.PROPOSED).update(
        status=Match.Status.ENDED,
        published_at=published,
        created_at=run.finished_at,
        ended_at=at(cohort.ends_on, 17, zone),
        end_reason=COHORT_ENDED,
    )
    early = 0
    for mentee_id, (when, reason) in withdrew.items():
        early += Match.objects.filter(cohort=cohort, mentee_id=mentee_id).update(
            ended_at=when, end_reason=reason or "The mentee withdrew from the cohort."
        )
    line = (
        f"{cohort.slug}: {count} matches (mean score {run.stats.get('mean_score', 0):.0f}), "
        f"published {cohort.starts_on}, ended {cohort.ends_on}"
    )
    if early:
        line += f"; {early} ended early, when the mentee withdrew"
    if run.unmatched:
        line += f"; {len(run.unmatched)} not matched"
    return line
