"""Demo data for `make run`: each installed app adds its part from its own ``demo.py``.

An app's demo module defines ``seed(*, today, command) -> bool`` (whether it created
anything; it must leave existing data alone) and may define ``after_seed(*, command)``. They
run in settings.PROJECT_APPS order, so the directory (people) exists before programs use it, in one
transaction; the after_seed hooks run in reverse order, so the logins (people) print last.
This keeps imports pointing left to right: this command imports no app.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from mentorship.cache_versions import DIRECTORY, PARTICIPATION, PEOPLE, bump_on_commit


def demo_modules() -> list:
    names = [f"{app}.demo" for app in settings.PROJECT_APPS]
    return [import_module(name) for name in names if find_spec(name) is not None]


class Command(BaseCommand):
    help = (
        "Create the demo company (~300 employees), demo logins, and mentorship programs with "
        "cohorts (completed, running, open) and enrollments. Changes nothing that exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins", action="store_true", help="Only print the demo logins, change nothing."
        )

    def handle(self, *args, logins: bool = False, **options):
        modules = demo_modules()
        if not logins:
            today = timezone.localdate()
            with transaction.atomic():
                created = [module.seed(today=today, command=self) for module in modules]
                # The demo writes in bulk (no signals): cached figures and fragments are stale
                # once committed (goals' demo bumps the pairs' activity itself).
                bump_on_commit(DIRECTORY, PARTICIPATION, PEOPLE)
            if not any(created):
                self.stdout.write("All demo data is already there: nothing changed.")
        for module in reversed(modules):
            if hasattr(module, "after_seed"):
                module.after_seed(command=self)
