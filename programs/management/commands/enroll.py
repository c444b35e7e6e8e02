"""python manage.py enroll COHORT_SLUG FILE.csv [--dry-run]"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from mentorship.csv_files import command_check_applied, command_failure, command_read
from programs.models import Cohort
from programs.services.enroll_file import (
    COLUMNS,
    ENROLLMENT_FILE,
    enrollment_file_plan,
    enrollment_import_apply,
    enrollment_import_create,
    parse_enrollment_file,
    summary_text,
)


class Command(BaseCommand):
    help = (
        "Enrol people in a cohort from a CSV file and email each an invitation. The whole "
        "file is checked first; nobody is enrolled unless every row is valid. Columns: "
        f"{', '.join(COLUMNS)} (email and role required; lists separated by ';')."
    )

    def add_arguments(self, parser):
        parser.add_argument("cohort", help="The cohort's slug.")
        parser.add_argument(
            "file",
            help="Path to the CSV file (UTF-8, comma or semicolon) or XLSX workbook (first sheet).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print who would be invited, without writing anything.",
        )

    def handle(self, *args, cohort: str, file: str, dry_run: bool, **options):
        found = Cohort.objects.select_related("program").filter(slug=cohort).first()
        if found is None:
            raise CommandError(f"There is no cohort “{cohort}”.")
        data = command_read(file, fmt=ENROLLMENT_FILE, stderr=self.stderr)
        parsed = parse_enrollment_file(data=data, filename=os.path.basename(file))
        plan = enrollment_file_plan(cohort=found, parsed=parsed)
        for warning in plan.warnings:
            self.stderr.write(f"warning: {warning}")
        if plan.errors:
            raise command_failure(plan.errors, stderr=self.stderr)
        if options["verbosity"] >= 2:
            for row in plan.invites:
                self.stdout.write(f"invite line {row.line}: {row.person.email} as {row.role}")
        if dry_run:
            self.stdout.write(summary_text(plan.counts(), applied=False))
            self.stdout.write("Dry run: nothing was written.")
            return

        enrollment_import = enrollment_import_create(
            cohort=found, parsed=parsed, plan=plan, filename=os.path.basename(file), user=None
        )
        # Applying checks the file again, with the cohort locked, against the database as it
        # is by then.
        result = enrollment_import_apply(enrollment_import=enrollment_import, user=None)
        command_check_applied(result, what="cohort", stderr=self.stderr)
        self.stdout.write(self.style.SUCCESS(summary_text(result.counts, applied=True)))
