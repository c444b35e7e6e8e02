"""What the audit log hears from accounts: sign-ins, failed sign-ins, sign-outs, role changes.

Connected in ``PeopleConfig.ready``. Each receiver writes one row through
``mentorship.audit.audit_record``.

A failed sign-in keeps the domain of the address that was typed, and, when that address is an
account's, the account as the target (an id, which erasure reaches: the row stays,
anonymised). It never keeps the address itself: what someone typed may be a typo or somebody
else's address, personal data of a person the company may not even know, which no erasure
request could find. A hash of it would be no better: addresses are easy to guess, so a hash
is the address to anyone holding the directory.

Role changes (HR, staff, superuser) are caught on the model's save, wherever it happens: the
Django admin, ``set_role``, ``createsuperuser``, a shell. Bulk ``QuerySet.update`` bypasses
them; no code in this project changes a role that way.
"""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.account.signals import login_code_rejected
from allauth.mfa.signals import authentication_failed as mfa_authentication_failed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save

from mentorship.audit import audit_record
from people.models import User

ROLE_FIELDS = ("is_hr", "is_staff", "is_superuser")


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="audit_login")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    login_code_rejected.connect(on_login_code_rejected, dispatch_uid="audit_login_code")
    mfa_authentication_failed.connect(on_mfa_failed, dispatch_uid="audit_login_mfa")
    pre_save.connect(remember_roles, sender=User, dispatch_uid="audit_roles_before")
    post_save.connect(record_role_change, sender=User, dispatch_uid="audit_roles_after")


def on_logged_in(sender, request, user, **kwargs) -> None:
    # How: allauth's record of this sign-in's steps ("password", "code", "mfa",
    # "socialaccount"), their names only (the records also hold the address typed).
    methods: list[str] = []
    if request is not None and hasattr(request, "session"):
        for record in get_authentication_records(request, user):
            method = str(record.get("method", ""))[:20]
            if method and method not in methods:
                methods.append(method)
    audit_record("login", request=request, actor=user, details={"methods": methods})


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and user.is_authenticated:
        audit_record("logout", request=request, actor=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    typed = str(credentials.get("email") or credentials.get("username") or "").strip()
    domain = typed.rpartition("@")[2].lower()[:100] if "@" in typed else ""
    pk = User.objects.filter(email__iexact=typed).values_list("pk", flat=True)[:1] if typed else []
    account = User(pk=pk[0]) if pk else None  # the target is its type and id
    audit_record(
        "login_failed",
        request=request,
        actor=None,
        target=account,
        details={
            "method": "password",
            "email_domain": domain,
            "known_account": account is not None,
        },
    )


def on_login_code_rejected(sender, request, user, last_attempt=False, **kwargs) -> None:
    """A wrong emailed sign-in code; the account it was sent to is the target."""
    audit_record(
        "login_failed",
        request=request,
        actor=None,
        target=user,
        details={"method": "code", "last_attempt": bool(last_attempt)},
    )


def on_mfa_failed(sender, request, user, reauthentication=False, **kwargs) -> None:
    """A wrong authenticator code: at sign-in, whoever typed it already knew the password."""
    audit_record(
        "login_failed",
        request=request,
        actor=user if reauthentication else None,
        target=user,
        details={"method": "mfa", "reauthentication": bool(reauthentication)},
    )


def remember_roles(sender, instance: User, raw=False, update_fields=None, **kwargs) -> None:
    """Read the roles as they are in the database before the save (one SELECT, and only for
    a save that may change a role)."""
    instance._audit_roles_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(ROLE_FIELDS):
        return
    instance._audit_roles_before = (
        User.objects.filter(pk=instance.pk).values_list(*ROLE_FIELDS).first()
    )


def record_role_change(sender, instance: User, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    before = getattr(instance, "_audit_roles_before", None)
    instance._audit_roles_before = None
    if created:
        before = (False,) * len(ROLE_FIELDS)
    if before is None:
        return
    after = tuple(getattr(instance, name) for name in ROLE_FIELDS)
    pairs = list(zip(ROLE_FIELDS, before, after, strict=True))
    granted = [_role(name) for name, b, a in pairs if a and not b]
    revoked = [_role(name) for name, b, a in pairs if b and not a]
    if granted or revoked:
        details = {"granted": granted, "revoked": revoked}
        if created:
            details["new_account"] = True
        audit_record("role_changed", target=instance, details=details)


def _role(field: str) -> str:
    return field.removeprefix("is_")
