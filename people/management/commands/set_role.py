"""Give or take the HR and staff roles: ``manage.py set_role EMAIL --hr --no-staff``.

For operators. HR and staff see other people's data, so they must set up two-factor
authentication before those pages open (settings.MFA_REQUIRED_FOR_ADMINS).
"""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from people.models import User
from people.roles import roles_for


class Command(BaseCommand):
    help = "Give or take the HR and staff roles of an existing account."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="The account's email address (any case).")
        parser.add_argument(
            "--hr",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Can import the directory and see HR reports.",
        )
        parser.add_argument(
            "--staff",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Operates the installation; may use the Django admin.",
        )

    def handle(self, *args, email: str, hr: bool | None, staff: bool | None, **options) -> None:
        if hr is None and staff is None:
            raise CommandError("Say what to change: --hr/--no-hr and/or --staff/--no-staff.")
        try:
            user = User.objects.get(email__iexact=email.strip())
        except User.DoesNotExist:
            raise CommandError(f"No account has the email address {email!r}.") from None
        changed = []
        if hr is not None:
            user.is_hr = hr
            changed.append("is_hr")
        if staff is not None:
            user.is_staff = staff
            changed.append("is_staff")
        user.save(update_fields=changed)
        self.stdout.write(f"{user.email}: {roles_for(user).label}")
