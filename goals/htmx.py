"""How workspace forms answer, so every part of the pair page behaves the same way.

Forms open in place on the pair page (``hx-get`` into ``#pair-panel``, each link keeping its
``href`` for a full page). A successful htmx POST answers with a short confirmation that
replaces the form and fires ``pair-changed``, on which the pair page reloads its timeline and
health; without htmx it redirects.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html


def saved_response(request, *, message: str, redirect_to: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(format_html('<p class="notice" role="status">{}</p>', message))
        response["HX-Trigger"] = "pair-changed"
        return response
    messages.success(request, message)
    return redirect(redirect_to)
