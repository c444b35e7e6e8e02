from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from people.access import hr_required
from people.selectors import (
    EMPLOYMENT_STATUSES,
    DirectoryFilters,
    directory_choices,
    directory_employees,
    on_page,
)

DIRECTORY_PAGE_SIZE = 50


@require_GET
@hr_required
def directory(request):
    filters = DirectoryFilters.from_querydict(request.GET)
    employees = directory_employees(filters=filters)
    page = Paginator(employees, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = on_page(employees, page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "statuses": EMPLOYMENT_STATUSES,
        "today": timezone.localdate(),
    }
    if request.htmx:
        return render(request, "people/directory.html#results", context)
    context["departments"], context["locations"] = directory_choices()
    return render(request, "people/directory.html", context)
