from __future__ import annotations

from django.conf import settings

from people.roles import roles_for


def site(request):
    user = getattr(request, "user", None)
    return {
        "roles": roles_for(user) if user is not None else None,
        "debug": settings.DEBUG,
    }
