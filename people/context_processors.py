from __future__ import annotations

from django.conf import settings

from people.roles import roles_for


def roles(request):
    """Who the signed-in person is to the app, for the navigation and page headers."""
    user = getattr(request, "user", None)
    return {
        "roles": roles_for(user) if user is not None else None,
        "debug": settings.DEBUG,
    }
