"""`seed_demo`'s matching part: the running cohorts' pools matched and published, as an admin
would have done when they started (no emails: the rows are marked as notified)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from matching.models import Match
from matching.services import match_run_execute
from programs.models import Cohort


def seed(*, today: date, command) -> bool:
    if Match.objects.exists():
        command.stdout.write("The demo cohorts already have matches: left as they are.")
        return False
    running = Cohort.objects.filter(starts_on__lte=today, ends_on__gte=today).select_related(
        "program"
    )
    lines = []
    for cohort in running.order_by("slug"):
        run = match_run_execute(cohort=cohort, user=None)
        published = datetime.combine(
            cohort.starts_on, time(9), tzinfo=timezone.get_current_timezone()
        )
        count = Match.objects.filter(cohort=cohort, status=Match.Status.PROPOSED).update(
            status=Match.Status.ACTIVE, published_at=published, notified_at=published
        )
        lines.append(
            f"{cohort.slug}: {count} active matches, {len(run.unmatched)} waiting "
            f"(mean score {run.stats.get('mean_score', 0):.0f})"
        )
    command.stdout.write(
        command.style.SUCCESS("Matched the running cohorts (published, no emails):")
    )
    for line in lines:
        command.stdout.write(f"  {line}")
    return True
