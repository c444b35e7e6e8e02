from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from people.access import mfa_missing


class AdminRequiresMFAMiddleware:
    """The Django admin is staff's page: like HR pages, it opens only once TOTP is set up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and request.path.startswith(reverse("admin:index"))
            and mfa_missing(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
