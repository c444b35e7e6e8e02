"""python manage.py match COHORT_SLUG [--publish] [--output FILE.csv]"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from matching.models import Match
from matching.services import MatchingRefused, match_run_execute, matches_publish
from mentorship.csv_files import spreadsheet_safe
from programs.models import Cohort


class Command(BaseCommand):
    help = (
        "Match a cohort's pool (replacing draft proposals), print the run's report, and "
        "optionally publish the matches and write them to a CSV file."
    )

    def add_arguments(self, parser):
        parser.add_argument("cohort", help="the cohort's slug")
        parser.add_argument(
            "--publish", action="store_true", help="make the proposals active and notify both sides"
        )
        parser.add_argument("--output", help="write mentee_email, mentor_email, score, reasons")

    def handle(self, *args, cohort: str, publish: bool, output: str | None, **options):
        try:
            cohort_obj = Cohort.objects.select_related("program").get(slug=cohort)
        except Cohort.DoesNotExist:
            raise CommandError(f'No cohort with the slug "{cohort}".') from None
        run = match_run_execute(cohort=cohort_obj, user=None)
        stats = run.stats
        proposals = list(
            Match.objects.filter(run=run).select_related("mentee__person", "mentor__person")
        )
        out = self.stdout.write
        out(
            f"Matched {int(stats.get('matched', len(proposals)))} of "
            f"{int(stats.get('mentees', 0))} mentees "
            f"({stats.get('match_rate', 0):.0%}), optimal on the {run.optimal or 'global'} graph."
        )
        if proposals:
            out(
                f"Total score {stats.get('total_score', 0):.1f}, mean "
                f"{stats.get('mean_score', 0):.1f}, worst {stats.get('worst_score', 0):.1f}."
            )
        for enrollment_id, reason in sorted(run.unmatched.items(), key=lambda kv: int(kv[0])):
            out(f"Unmatched enrollment {enrollment_id}: {reason}")
        if output:
            self._write(Path(output), proposals, run)
            out(f"Wrote {output}.")
        if publish:
            try:
                published = matches_publish(cohort=cohort_obj, user=None)
            except MatchingRefused as exc:
                raise CommandError(str(exc)) from None
            out(self.style.SUCCESS(f"Published {len(published)} matches; both sides are told."))

    def _write(self, path: Path, proposals: list[Match], run) -> None:
        from programs.models import Enrollment

        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["mentee_email", "mentor_email", "score", "reasons"])
            for match in proposals:
                writer.writerow(
                    [
                        spreadsheet_safe(match.mentee.person.email),
                        spreadsheet_safe(match.mentor.person.email),
                        f"{match.score:.1f}",
                        spreadsheet_safe("; ".join(match.reasons)),
                    ]
                )
            unmatched = Enrollment.objects.filter(
                pk__in=[int(k) for k in run.unmatched]
            ).select_related("person")
            for enrollment in unmatched:
                writer.writerow(
                    [
                        spreadsheet_safe(enrollment.person.email),
                        "",
                        "",
                        spreadsheet_safe(run.unmatched[str(enrollment.pk)]),
                    ]
                )
