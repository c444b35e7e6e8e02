"""Who someone is to the app: HR, program admin (per program), participant.

Staff (Django's is_staff) operate the installation and may do what HR does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Roles:
    is_authenticated: bool = False
    is_hr: bool = False
    is_staff: bool = False
    is_program_admin: bool = False

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
    if user is None or not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        cached = Roles(
            is_authenticated=True,
            is_hr=user.is_hr,
            is_staff=user.is_staff,
            is_program_admin=user.administered_programs.exists(),
        )
        user._roles_cache = cached
    return cached
