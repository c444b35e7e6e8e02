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


def saved_response(
    request, *, message: str, redirect_to: str, next_step: tuple[str, str] | None = None
) -> HttpResponse:
    """``next_step`` (url, link text): what to do next, linked after the confirmation that
    replaces the form (after a redirect, the page it leads to shows the way on)."""
    if request.htmx:
        html = format_html('<p class="notice" role="status">{}</p>', message)
        if next_step is not None:
            url, text = next_step
            html = format_html(
                '<p class="notice" role="status">{} <a href="{}">{}</a></p>', message, url, text
            )
        response = HttpResponse(html)
        response["HX-Trigger"] = "pair-changed"
        return response
    messages.success(request, message)
    return redirect(redirect_to)
