"""A person's private calendar feed: the settings page, resetting the link, and the feed.

The feed URL carries a secret token instead of a login, so calendar apps can subscribe; it is
the one page here reached without signing in. Resetting issues a new token: the old URL is then
a 404. The feed has the pair's shared meeting details only, never check-in text or notes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from goals.ics import feed_calendar
from goals.models import CalendarFeed, new_feed_token
from goals.selectors.meetings import FEED_CANCELLED_DAYS, feed_meetings
from mentorship.emails import absolute_url


def feed_url(feed: CalendarFeed) -> str:
    return absolute_url(reverse("goals:calendar_feed", kwargs={"token": feed.token}))


@require_GET
@login_required
def calendar_settings(request):
    feed, _ = CalendarFeed.objects.get_or_create(person=request.user)
    context = {
        "feed": feed,
        "feed_url": feed_url(feed),
        "webcal_url": "webcal://" + feed_url(feed).split("://", 1)[1],
        "cancelled_days": FEED_CANCELLED_DAYS,
    }
    return render(request, "goals/meetings/calendar.html", context)


@require_POST
@login_required
def calendar_reset(request):
    """Issue a new secret link; calendars subscribed with the old one stop updating."""
    feed, created = CalendarFeed.objects.get_or_create(person=request.user)
    if not created:
        feed.token = new_feed_token()
        feed.reset_at = timezone.now()
        feed.save(update_fields=["token", "reset_at"])
    messages.success(
        request,
        "Your calendar link is reset. Subscribe again with the new link; the old one no "
        "longer works.",
    )
    return redirect("goals:calendar")


@require_GET
def calendar_feed(request, token):
    feed = (
        CalendarFeed.objects.select_related("person")
        .filter(token=token, person__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("No such calendar")
    body = feed_calendar(feed_meetings(feed.person), name="Mentoring meetings")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mentoring.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response
