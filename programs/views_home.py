"""Everyone's home page: their cohorts, role and status, what they still have to do, and the
cards of the roles they hold. It lives in the rightmost app it draws from."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from people.roles import roles_for
from programs.selectors.participant import participant_home


@require_GET
@login_required
def home(request):
    """The participant's home: their cohorts, role and status, and what they still have to do."""
    roles = roles_for(request.user)
    context = {
        "programs": request.user.administered_programs.order_by("name")
        if roles.is_program_admin
        else [],
        # Only admin roles are asked to set up TOTP.
        "has_totp": roles.is_admin_role and roles.has_totp,
        "home": participant_home(request.user),
    }
    return render(request, "home.html", context)
