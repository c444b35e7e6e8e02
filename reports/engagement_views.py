"""Engagement and outcomes pages: HR sees every program, program admins the ones they run.

Everyone else gets 404 (``program_manager_required``, then lookups scoped by
``programs.access``). Figures only, never a text a pair wrote.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from people.roles import roles_for
from programs.access import get_program_for_manager, managed_programs, program_manager_required
from reports.engagement import BUCKETS, bar_chart, program_engagement, programs_engagement


@require_GET
@program_manager_required
def engagement_overview(request):
    """Every program the user may see, with a filter by program, and their total."""
    programs = managed_programs(request.user)
    choices = list(programs.order_by("name").values_list("slug", "name"))
    selected = request.GET.get("program", "")
    if selected:
        programs = programs.filter(slug=selected)
        if not programs.exists():
            raise Http404
    is_hr = roles_for(request.user).sees_directory
    label = "All programs" if is_hr and not selected else "These programs"
    if selected:
        label = dict(choices)[selected]
    overview = programs_engagement(programs, label=label)
    for row in overview.programs:
        row.url = reverse("reports:engagement_program", args=[row.slug])
    context = {
        "rows": [overview.total, *overview.programs],
        "today": timezone.localdate(),
        "overview": overview,
        "choices": choices,
        "selected": selected,
        "is_hr": is_hr,
        "chart": bar_chart(overview.total.weeks),
        "buckets": [b[0] for b in BUCKETS],
    }
    return render(request, "reports/engagement_overview.html", context)


@require_GET
@program_manager_required
def engagement_program(request, slug):
    """A program's figures, then each cohort's, with meetings per week since its start."""
    program = get_program_for_manager(request.user, slug)
    report = program_engagement(program)
    context = {
        "program": program,
        "report": report,
        "rows": [report.total, *report.cohorts],
        "today": timezone.localdate(),
        "chart": bar_chart(report.total.weeks),
        "cohort_charts": [(c, bar_chart(c.weeks)) for c in report.cohorts],
        "buckets": [b[0] for b in BUCKETS],
    }
    return render(request, "reports/engagement_program.html", context)
