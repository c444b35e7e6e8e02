"""Program admins appointed or removed go to the audit log as role changes.

Connected in ``ProgramsConfig.ready``. ``m2m_changed`` on ``Program.admins`` catches every
way the relation changes (``program_create``/``program_update``, the Django admin, a shell),
from either side (``program.admins.add(user)`` or ``user.administered_programs.add(program)``).
One row per person and program, with the person as the target like the other role changes.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed

from mentorship.audit import audit_record
from people.models import User
from programs.models import Program

Through = Program.admins.through


def connect() -> None:
    m2m_changed.connect(record_admins_changed, sender=Through, dispatch_uid="audit_admins")


def record_admins_changed(
    sender, instance, action: str, reverse: bool, model, pk_set, **kwargs
) -> None:
    if action == "pre_clear":
        # A clear says nothing about who was removed: remember them before they go.
        field = "user_id" if not reverse else "program_id"
        mine = {"program_id": instance.pk} if not reverse else {"user_id": instance.pk}
        instance._audit_cleared = set(Through.objects.filter(**mine).values_list(field, flat=True))
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_audit_cleared", set())
        instance._audit_cleared = set()
        change = "revoked"
    elif action == "post_add":
        change = "granted"
    elif action == "post_remove":
        change = "revoked"
    else:
        return
    for pk in sorted(pk_set or ()):
        user_id, program_id = (instance.pk, pk) if reverse else (pk, instance.pk)
        _record(user_id=user_id, program_id=program_id, change=change)


def _record(*, user_id: int, program_id: int, change: str) -> None:
    person = User(pk=user_id)  # the target is its type and id: no query
    details = {"granted": [], "revoked": [], "program_id": program_id}
    details[change] = ["program_admin"]
    audit_record("role_changed", target=person, details=details)
