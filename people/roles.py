"""Who someone is to the app: HR, program admin (per program), participant.

Staff (Django's is_staff) operate the installation and may do what HR does.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db import connection


@dataclass(frozen=True)
class Roles:
    is_authenticated: bool = False
    is_hr: bool = False
    is_staff: bool = False
    is_program_admin: bool = False
    has_totp: bool = False  # an authenticator app set up (admin roles must: people.access)

    @property
    def sees_directory(self) -> bool:
        return self.is_hr or self.is_staff

    @property
    def is_admin_role(self) -> bool:
        """Roles that see other people's data, and so must use two-factor authentication."""
        return self.is_hr or self.is_staff or self.is_program_admin

    @property
    def label(self) -> str:
        names = []
        if self.is_hr:
            names.append("HR")
        if self.is_staff and not self.is_hr:
            names.append("Staff")
        if self.is_program_admin:
            names.append("Program admin")
        return ", ".join(names) or "Participant"


def roles_for(user) -> Roles:
    """The person's roles, read once a request (kept on the user object): whether they
    administer a program and have TOTP set up in one constant statement, as every page's
    navigation and every admin page's gate need them."""
    if user is None or not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(_roles_sql(), [user.pk, user.pk, Authenticator.Type.TOTP])
            is_program_admin, has_totp = cursor.fetchone()
        cached = Roles(
            is_authenticated=True,
            is_hr=user.is_hr,
            is_staff=user.is_staff,
            is_program_admin=is_program_admin,
            has_totp=has_totp,
        )
        user._roles_cache = cached
    return cached


_sql: str | None = None


def _roles_sql() -> str:
    """Table and column names from the models' metadata (quoted); the values are parameters."""
    global _sql
    if _sql is None:
        from people.models import User

        quote = connection.ops.quote_name
        admins = User._meta.get_field("administered_programs").through._meta
        column = next(f.column for f in admins.fields if f.is_relation and f.related_model is User)
        totp = Authenticator._meta
        _sql = (
            f"SELECT EXISTS (SELECT 1 FROM {quote(admins.db_table)} WHERE {quote(column)} = %s), "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {quote(totp.db_table)} "
            f"WHERE {quote(totp.get_field('user').column)} = %s "
            f"AND {quote(totp.get_field('type').column)} = %s)"
        )
    return _sql
