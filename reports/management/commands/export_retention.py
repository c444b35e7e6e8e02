"""python manage.py export_retention [--program SLUG] [--as-of YYYY-MM-DD] [--output FILE]"""

from __future__ import annotations

import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mentorship.audit import audit_record
from programs.models import Program
from reports.exports import write_retention_summary_csv
from reports.retention_cache import cached_retention_reports

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Command(BaseCommand):
    help = (
        "Write the retention summary CSV (program, cohort, group, headcount, retention_6m, "
        "retention_12m, retention_24m) for every program, or one, as of a date (default today)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", metavar="SLUG", help="Only this program (its slug)")
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="The report's as-of date (default today)"
        )
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout")

    def handle(self, *args, program=None, as_of=None, output=None, **options):
        as_of_date = self._as_of(as_of)
        program_ids = None
        if program is not None:
            found = Program.objects.filter(slug=program).values_list("id", flat=True).first()
            if found is None:
                raise CommandError(f"--program: no program with the slug {program!r}")
            program_ids = [found]
        # The page's figures (cached until the data changes), so the bytes are the page CSV's.
        reports = cached_retention_reports(as_of=as_of_date, program_ids=program_ids)
        if output:
            try:
                with open(output, "w", newline="", encoding="utf-8") as f:
                    write_retention_summary_csv(f, reports)
            except OSError as exc:
                raise CommandError(f"--output: cannot write {output}: {exc.strerror}") from exc
            self.stderr.write(f"Wrote {output}")
        else:
            # csv writes whole lines ending in a newline, so OutputWrapper adds nothing.
            write_retention_summary_csv(self.stdout, reports)
        # Run by an operator on the server: no account to name, so the actor is the system.
        audit_record(
            "export_downloaded",
            actor=None,
            details={
                "export": "retention_summary",
                "format": "csv",
                "program": program or "",
                "as_of": as_of_date.isoformat(),
                "via": "export_retention",
                "to_file": bool(output),
            },
        )

    @staticmethod
    def _as_of(value: str | None) -> date:
        if value is None:
            return timezone.localdate()
        if not ISO_DATE.fullmatch(value):
            raise CommandError(f"--as-of: {value!r} is not a date in the form YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--as-of: {value!r} is not a valid date ({exc})") from exc
