"""Gatekeeping for pages by role.

Someone without the role gets 404, never 403: outsiders must not learn that a page or an
object exists. HR and program admins must have set up two-factor authentication (TOTP)
before any page of theirs opens, when settings.MFA_REQUIRED_FOR_ADMINS is on.
"""

from __future__ import annotations

from functools import wraps

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect

from mentorship.audit import access_denied_record
from people.roles import roles_for


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_missing(user) -> bool:
    """True when the user's role requires two-factor authentication they have not set up (read
    with the roles, once a request)."""
    roles = roles_for(user)
    return settings.MFA_REQUIRED_FOR_ADMINS and roles.is_admin_role and not roles.has_totp


def role_required(check):
    """Decorator: signed in, ``check(roles)`` true (else 404), and MFA set up."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(roles_for(request.user)):
                access_denied_record(request, reason="role")
                raise Http404
            if mfa_missing(request.user):
                messages.warning(
                    request,
                    "Your role gives you access to other people's data. Set up two-factor "
                    "authentication to continue.",
                )
                return redirect("mfa_activate_totp")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


hr_required = role_required(lambda roles: roles.sees_directory)
"""HR and staff: the directory, imports, HR reports."""

program_admin_required = role_required(lambda roles: roles.is_program_admin)
"""Program admins; views still scope each program to the ones the user administers."""
