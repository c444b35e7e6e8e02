from __future__ import annotations

from django.http import Http404


def program_list(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def program_detail(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def cohort_apply(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def intake(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404


def withdraw(request, **kwargs):  # replaced by the helper that owns this module
    raise Http404
