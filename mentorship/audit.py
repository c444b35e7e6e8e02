"""The audit log's one writer: ``audit_record``, and the request it reads "from where" from.

Services and views of every app call ``audit_record(action, ...)`` where the thing happens
(a login, an import applied, a matching published, an export downloaded, an access denied).
Each call is one INSERT. A service called from a view does not need the request threaded
through: ``CurrentRequestMiddleware`` keeps the request in a context variable for the length
of the response, and ``audit_record`` reads the actor, IP address, user agent and path from
it. Outside a request (a management command, a Celery task) they are simply empty.

What is never stored: a note's text, a password, an address someone typed that may belong to
someone else (see ``people``' failed-login receiver), free text from a form. ``details`` is
for ids, counts, names of kinds and formats; ``audit_record`` refuses anything that is not
JSON-sized small.
"""

from __future__ import annotations

import ipaddress
import json
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from mentorship.models import AuditEvent

Action = AuditEvent.Action

MAX_DETAILS_BYTES = 2000
"""A row says what happened, not what was in it: more than this is a caller's mistake."""

_current_request: ContextVar[Any] = ContextVar("audit_current_request", default=None)


def current_request():
    """The request being answered in this thread or task, or None outside a request."""
    return _current_request.get()


class CurrentRequestMiddleware:
    """Keep the request in a context variable so services can audit "from where", and record
    every access a signed-in person was refused.

    Denied accesses are recorded here, once, rather than at each of the scoped lookups: every
    view that refuses raises Http404 (outsiders get 404, never 403), and there are dozens of
    such lookups across the apps, with more each time a page is added. A view's Http404 or
    PermissionDenied reaches ``process_exception``, so a new page is covered without anyone
    remembering to audit it. The price: a scoped lookup cannot tell "not yours" from "does not
    exist" without a second, unscoped query, so neither can the log; a stale link shows up as
    a denial too, under reason "not_found" (a probe looks the same, which is the point).
    Unknown URLs (no view) are not recorded, nor are anonymous visitors: they are redirected
    to sign in before any lookup, and logging every bot's 404 would flood the table.
    ``people.access.role_required`` records its own refusals with reason "role" and marks
    the request so they are not recorded twice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            reason = "not_found"
        elif isinstance(exception, PermissionDenied):
            reason = "permission_denied"
        else:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or denial_recorded(request):
            return None
        match = getattr(request, "resolver_match", None)
        details = {"reason": reason, "method": request.method}
        if match is not None:
            details["view"] = match.view_name[:100]
        audit_record("access_denied", request=request, details=details)
        return None


def access_denied_record(request, *, reason: str, **details) -> AuditEvent | None:
    """Record a refusal a view or decorator knows more about (e.g. which role was missing);
    the middleware then leaves this request alone. Anonymous requests are not recorded."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or denial_recorded(request):
        return None
    request._audit_denial_recorded = True
    match = getattr(request, "resolver_match", None)
    details = {"reason": reason, "method": request.method, **details}
    if match is not None:
        details.setdefault("view", match.view_name[:100])
    return audit_record("access_denied", request=request, details=details)


def denial_recorded(request) -> bool:
    return getattr(request, "_audit_denial_recorded", False)


def audit_record(
    action: str,
    *,
    request=None,
    actor=None,
    target: models.Model | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    ``request`` defaults to the one being answered (see ``CurrentRequestMiddleware``);
    ``actor`` defaults to that request's signed-in user, and is None for the system.
    ``target`` is the model instance acted on (its type and id are kept, not its text).
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    if request is None:
        request = current_request()
    if actor is None and request is not None:
        # Read from the request's cache only: never a query to find out who is signed in.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    details = dict(details or {})
    size = len(json.dumps(details, default=str))
    if size > MAX_DETAILS_BYTES:
        raise ValueError(f"Audit details are {size} bytes; at most {MAX_DETAILS_BYTES}")
    event = AuditEvent(
        action=action,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        details=json.loads(json.dumps(details, default=str)),
    )
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
    if request is not None:
        meta = request.META
        event.ip = client_ip(request)
        event.user_agent = meta.get("HTTP_USER_AGENT", "")[:200]
        event.path = request.path[:300]
    event.save(force_insert=True)
    return event


def client_ip(request) -> str | None:
    """The address the request came from.

    Behind the TLS proxy (settings.SECURE_PROXY_SSL_HEADER set by BEHIND_TLS_PROXY) REMOTE_ADDR
    is the proxy's; the client is the last X-Forwarded-For hop, the one the proxy appended. The
    first hop is whatever the client chose to send, so it is not trusted.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return _valid_ip(hops[-1]) or remote
    return remote


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None
