from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from people.access import has_totp
from people.roles import roles_for


@require_GET
@login_required
def home(request):
    roles = roles_for(request.user)
    context = {
        "programs": request.user.administered_programs.all() if roles.is_program_admin else [],
        "has_totp": has_totp(request.user),
    }
    return render(request, "home.html", context)


@require_GET
def healthz(request) -> HttpResponse:
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
