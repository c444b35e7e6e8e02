from __future__ import annotations

from datetime import date
from functools import cache
from html import escape

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from mentorship.cache_versions import PEOPLE, cached, fragment_key, versions
from people.access import hr_required
from people.models import User
from people.roles import roles_for
from people.selectors import (
    EMPLOYMENT_STATUSES,
    DirectoryFilters,
    directory_choices,
    directory_employees,
    directory_page,
)

DIRECTORY_PAGE_SIZE = 50
# The results and the menus are kept under the people version (people.cache_invalidation):
# every change of what they print bumps it, so the timeout only bounds what the cache holds.
DIRECTORY_CACHE_SECONDS = 60 * 60


@require_GET
@hr_required
def directory(request):
    """The employee directory, searched and filtered; htmx asks for the results alone.

    The results (count, table, page links) are rendered once per people version, filters,
    page, day and viewer's roles, and kept in the cache, as are the filter menus and each
    filter's count: a request that finds them reads no table. Nothing in them belongs to one
    response (the search form, a GET, has no CSRF token and is rendered each time).
    """
    filters = DirectoryFilters.from_querydict(request.GET)
    query = request.GET.copy()
    number = query.pop("page", [None])[-1]
    query = query.urlencode()
    today = timezone.localdate()
    # Taken once, before any query, for every key below (a cache that cannot be reached
    # raises here, inside ``cached``, which then computes).
    people_version = cache(lambda: versions(PEOPLE))

    def count_key() -> str:
        return fragment_key("people:directory-count", people_version(), filters, today)

    def results_key() -> str:
        return fragment_key(
            "people:directory-results",
            people_version(),
            filters,
            query,
            number,
            today,
            timezone.get_current_timezone_name(),
            roles_for(request.user),
        )

    def results() -> str:
        employees = directory_employees(filters=filters, today=today)

        def count() -> int:
            return cached(
                count_key,
                employees.count,
                timeout=DIRECTORY_CACHE_SECONDS,
                what="directory count",
            )

        page = directory_page(employees, number, per_page=DIRECTORY_PAGE_SIZE, count=count)
        context = {
            "filters": filters,
            "page": page,
            "rows": directory_rows(page.object_list, today=today),
            "query": query,
        }
        # Without the request: no context processor, so nothing of one response or viewer.
        return render_to_string("people/directory.html#results", context)

    html = cached(results_key, results, timeout=DIRECTORY_CACHE_SECONDS, what="directory results")
    if request.htmx:
        return HttpResponse(html)
    departments, locations = cached(
        lambda: fragment_key("people:directory-choices", people_version()),
        directory_choices,
        timeout=DIRECTORY_CACHE_SECONDS,
        what="directory menus",
    )
    context = {
        "filters": filters,
        "results": mark_safe(html),  # noqa: S308 (rendered above, escaped by the template)
        "statuses": EMPLOYMENT_STATUSES,
        "departments": departments,
        "locations": locations,
    }
    return render(request, "people/directory.html", context)


def directory_rows(people: list[User], *, today: date) -> SafeString:
    """The directory table's rows, built here rather than by the template: 50 rows of ten
    cells took the template 10 ms a page. Every value from the database goes through
    ``escape`` (the standard library's, as Django's own ``escape`` does, without its lazy
    string wrapping): each ``{...}`` below is either escaped text, a number or a date."""
    person_url = reverse("privacy:person", args=[0]).removesuffix("0/")
    rows = []
    for person in people:
        name = escape(person.get_full_name())
        email = escape(person.email)
        left = person.end_date is not None and person.end_date <= today
        row_class = ' class="left"' if left else ""
        manager = escape(person.manager.get_full_name()) if person.manager else ""
        rows.append(
            f"<tr{row_class}>"
            f'<td><strong>{name}</strong><br><span class="muted">{email}</span><br>'
            f'<a href="{person_url}{int(person.pk)}/">Personal data<span class="visually-hidden">'
            f" of {name or email}</span></a></td>"
            f"<td>{escape(person.employee_id or '')}</td>"
            f"<td>{escape(person.title)}{_muted(person.department)}</td>"
            f"<td>{'' if person.level is None else int(person.level)}</td>"
            f"<td>{escape(person.location)}{_muted(person.timezone)}</td>"
            f"<td>{manager}</td>"
            f'<td class="nowrap">{_iso(person.hire_date)}</td>'
            f"<td>{_status(person, left)}</td>"
            "</tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)


def _muted(text: str) -> str:
    return f'<br><span class="muted">{escape(text)}</span>' if text else ""


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _status(person: User, left: bool) -> str:
    if left:
        erased = ' <span class="pill nowrap">Data erased</span>' if person.erased_at else ""
        return f'<span class="pill left nowrap">Left {_iso(person.end_date)}</span>{erased}'
    if person.end_date:
        return f'<span class="pill nowrap">Leaving {_iso(person.end_date)}</span>'
    return '<span class="pill">Employed</span>'
