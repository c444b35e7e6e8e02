"""python manage.py import_directory FILE.csv [--dry-run]"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from mentorship.csv_files import command_check_applied, command_failure, command_read
from people.directory_import import (
    DIRECTORY_FILE,
    directory_import_apply,
    directory_import_create,
    directory_import_plan,
    parse_directory_file,
    summary_text,
)


class Command(BaseCommand):
    help = (
        "Import the employee directory from the HR system's export (CSV or XLSX). The whole "
        "file is checked first; nothing is written unless every row is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="Path to the CSV file (UTF-8, comma or semicolon) or XLSX workbook (first sheet).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print what would change, without writing anything.",
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        data = command_read(file, fmt=DIRECTORY_FILE, stderr=self.stderr)
        parsed = parse_directory_file(data=data, filename=os.path.basename(file))
        plan = directory_import_plan(parsed=parsed)
        for warning in plan.warnings:
            self.stderr.write(f"warning: {warning}")
        if plan.errors:
            raise command_failure(plan.errors, stderr=self.stderr)
        if options["verbosity"] >= 2:
            self._list_changes(plan)
        if dry_run:
            self.stdout.write(summary_text(plan.counts(), applied=False))
            self.stdout.write("Dry run: nothing was written.")
            return

        directory_import = directory_import_create(
            parsed=parsed, plan=plan, filename=os.path.basename(file), user=None
        )
        # Applying checks the file again, under the import lock, against the directory as
        # it is by then.
        result = directory_import_apply(directory_import=directory_import, user=None)
        command_check_applied(result, what="directory", stderr=self.stderr)
        self.stdout.write(self.style.SUCCESS(summary_text(result.counts, applied=True)))

    def _list_changes(self, plan) -> None:
        for row in plan.creates:
            self.stdout.write(f"create line {row.line}: {row.employee_id} {row.email}")
        for update in plan.updates:
            changes = ", ".join(
                f"{name}: {old!s} -> {new!s}" for name, (old, new) in update.changes.items()
            )
            self.stdout.write(f"update line {update.row.line}: {update.row.employee_id} {changes}")
