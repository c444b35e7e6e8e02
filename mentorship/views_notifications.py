"""Email settings: the one-click unsubscribe (no login; the signed link names the person and the
kind) and each person's notification settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mentorship import outbox
from mentorship.models import Notification, NotificationOptOut
from mentorship.notifications import AUDIENCES, all_kinds, get_kind


@csrf_exempt  # the signed token is the credential; mail clients POST it (RFC 8058) with no form
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str) -> HttpResponse:
    """GET asks (link checkers in mail systems open links and must not unsubscribe anyone);
    POST switches the kind off, from the page's button or the mail client's one-click header."""
    found = outbox.unsubscribe_token_read(token)
    if found is None:
        raise Http404("This unsubscribe link is not valid.")
    user_id, kind_name = found
    user = get_user_model().objects.filter(pk=user_id).only("email").first()
    if user is None:
        raise Http404("This unsubscribe link is not valid.")
    kind = get_kind(kind_name)
    state = "ask"
    if request.method == "POST":
        if request.POST.get("action") == "resubscribe":
            outbox.notification_opt_in(user_id=user_id, kind=kind_name)
            state = "resubscribed"
        else:
            outbox.notification_opt_out(
                user_id=user_id, kind=kind_name, via=NotificationOptOut.Via.LINK
            )
            state = "unsubscribed"
    elif NotificationOptOut.objects.filter(user_id=user_id, kind=kind_name).exists():
        state = "unsubscribed"
    return render(
        request,
        "mentorship/unsubscribe.html",
        {"kind": kind, "state": state, "email": user.email, "token": token},
    )


def kinds_for(user) -> list:
    return [k for k in all_kinds() if k.shown_to is None or k.shown_to(user)]


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request) -> HttpResponse:
    kinds = kinds_for(request.user)
    names = {k.name for k in kinds}
    if request.method == "POST":
        enabled = [name for name in request.POST.getlist("enabled") if name in names]
        outbox.notification_preferences_set(
            user_id=request.user.pk, kinds=sorted(names), enabled=enabled
        )
        messages.success(request, "Your email settings are saved.")
        return redirect("notifications:settings")
    off = set(NotificationOptOut.objects.filter(user=request.user).values_list("kind", flat=True))
    groups = []
    for audience, title in AUDIENCES.items():
        rows = [(k, k.name not in off) for k in kinds if k.audience == audience]
        if rows:
            groups.append({"title": title, "rows": rows})
    recent = list(
        Notification.objects.filter(recipient=request.user, status=Notification.Status.SENT)
        .order_by("-sent_at")
        .values("kind", "sent_at")[:10]
    )
    for row in recent:
        kind = get_kind(row["kind"])
        row["label"] = kind.label if kind else row["kind"]
    return render(
        request, "mentorship/notification_settings.html", {"groups": groups, "recent": recent}
    )
