from __future__ import annotations

from django.http import Http404


def program_create(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def program_manage(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def program_edit(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def program_topics(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def cohort_create(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def cohort_dashboard(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def cohort_edit(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def cohort_enroll(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def cohort_applications(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404
