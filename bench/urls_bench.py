"""The application's URLs plus two baseline pages, mounted only by bench/settings_bench.py:
a trivial authenticated page, and the same inside the site's chrome (base.html, its context
processors and navigation), each through the whole middleware stack."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET

from mentorship.urls import urlpatterns as app_urlpatterns

CHROME = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Baseline{% endblock %}'
    "{% block content %}<h1>Baseline</h1>{% endblock %}"
)


@require_GET
@login_required
def baseline(request):
    """Signed in, and nothing else: the floor any page of the app stands on."""
    return HttpResponse(f"Hello {request.user.get_short_name()}", content_type="text/plain")


@require_GET
@login_required
def chrome(request):
    """An empty page in the site's layout: what every real page pays before its content."""
    return HttpResponse(CHROME.render({}, request))


urlpatterns = [
    path("bench/baseline/", baseline, name="bench_baseline"),
    path("bench/chrome/", chrome, name="bench_chrome"),
    *app_urlpatterns,
]
