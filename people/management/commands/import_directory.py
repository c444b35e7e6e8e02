"""python manage.py import_directory FILE.csv [--dry-run]"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from people.directory_import import (
    DirectoryFileRejected,
    ImportIssue,
    directory_import_apply,
    directory_import_create,
    directory_import_plan,
    parse_directory_file,
    read_directory_upload,
    summary_text,
)


class Command(BaseCommand):
    help = (
        "Import the employee directory from the HR system's CSV export. The whole file is "
        "checked first; nothing is written unless every row is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file (UTF-8, comma or semicolon).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and print what would change, without writing anything.",
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        try:
            size = os.path.getsize(file)
            with open(file, "rb") as fh:
                data = read_directory_upload(fh, size=size)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except DirectoryFileRejected as exc:
            self._report_errors(exc.errors)

        parsed = parse_directory_file(data=data)
        plan = directory_import_plan(parsed=parsed)
        self._report_warnings(plan.warnings)
        if plan.errors:
            self._report_errors(plan.errors)
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
        if result.stale:
            raise CommandError(
                "The directory changed while the file was being checked; nothing was written. "
                "Run the command again."
            )
        if not result.applied:
            self._report_errors(result.errors)
        self.stdout.write(self.style.SUCCESS(summary_text(result.counts, applied=True)))

    def _report_warnings(self, warnings: list[ImportIssue]) -> None:
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")

    def _report_errors(self, errors: list[ImportIssue]) -> None:
        for error in errors:
            self.stderr.write(str(error))
        count = len(errors)
        raise CommandError(
            f"{count} {'error' if count == 1 else 'errors'} in the file; nothing was written."
        )

    def _list_changes(self, plan) -> None:
        for row in plan.creates:
            self.stdout.write(f"create line {row.line}: {row.employee_id} {row.email}")
        for update in plan.updates:
            changes = ", ".join(
                f"{name}: {old!s} -> {new!s}" for name, (old, new) in update.changes.items()
            )
            self.stdout.write(f"update line {update.row.line}: {update.row.employee_id} {changes}")
