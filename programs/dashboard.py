"""The cohort dashboard is the same for everyone who may open it: its content is cached as
rendered HTML, and so are the parts that fewer inputs change, for when the page is not: the
summary (counts by role and status, capacity against demand, intake completion, topics sought
that nobody offers; the same whatever the filters) and a page of the participant list (what
htmx asks for when a filter changes). The department menu is cached as a list
(``programs.selectors.cohort.cohort_departments``).

Each key (``mentorship.cache_versions.fragment_key``) holds everything its HTML depends on:

* the versions of the data it shows, taken once a request before the fragments read the
  database (``dashboard_versions``): the directory (the department menu), participation
  (programs, cohorts, enrolments and matches created, moved or deleted, a person deleted
  with their enrolments), the programs' and the cohort's own enrolments versions
  (``programs.cache_invalidation``: any field of a program or topic; any field of the cohort,
  of one of its enrolments, of its intakes' topics, and the services' bulk writes:
  invitations, decisions, acceptances, withdrawals) and people (names, email, title,
  department; an erasure, which also blanks intake answers and topics in bulk);
* the cohort and what the HTML prints of it and its program (read before the versions, so
  an edit committed in between cannot be stored under the new ones);
* the request's inputs: the normalised filters, the rest of the query string (kept in the
  pagination links) and the page asked for;
* the time zone and the local day where the HTML depends on today: the cohort's phase (the
  page's heading and whether it loads the pair health), whether an empty cohort is open for
  applications (the participant list).

The HTML is the same for a program admin, HR and staff (no part differs by viewer) and holds
nothing of one response (its only form, the filters', is a GET form without a CSRF token;
messages are in base.html); who may see a cohort is checked before
(``programs.access.get_cohort_for_manager``: 404 for anyone else).
"""

from __future__ import annotations

import logging

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from redis.exceptions import RedisError

from mentorship.cache_versions import (
    DIRECTORY,
    PARTICIPATION,
    PEOPLE,
    cached,
    fragment_key,
    versions,
)
from programs.cache_invalidation import ENROLMENTS, cohort_enrolments
from programs.models import Cohort, Enrollment
from programs.selectors import cohort as cohort_selectors
from programs.selectors.cohort import ParticipantFilters

logger = logging.getLogger(__name__)

TEMPLATE = "programs/manage/cohort_dashboard.html"
PAGE_SIZE = 50
# Entries are unreachable as soon as what they show changes; this only bounds how long an
# unreachable one takes up memory.
FRAGMENT_SECONDS = 24 * 60 * 60


def dashboard_versions(cohort: Cohort) -> tuple[int, ...] | None:
    """The versions of everything the fragments show (one round trip to the cache), or None
    when the cache cannot be reached: the fragments are then computed."""
    try:
        return versions(DIRECTORY, PARTICIPATION, ENROLMENTS, cohort_enrolments(cohort.pk), PEOPLE)
    except RedisError:
        logger.warning("cohort dashboard: the cache cannot be reached, computing", exc_info=True)
        return None


def _key(name: str, stamp: tuple[int, ...] | None, *parts: object) -> str:
    if stamp is None:  # ``cached`` computes without the cache
        raise RedisError("no cache versions")
    return fragment_key(name, stamp, *parts)


def _today() -> tuple[str, object]:
    return timezone.get_current_timezone_name(), timezone.localdate()


def _shown(cohort: Cohort) -> tuple:
    """What the page prints of the cohort and its program, for the keys."""
    program = cohort.program
    return (
        cohort.pk,
        cohort.name,
        cohort.slug,
        cohort.application_opens,
        cohort.application_closes,
        cohort.starts_on,
        cohort.ends_on,
        cohort.cadence_days,
        cohort.matching_mode,
        program.pk,
        program.name,
        program.slug,
        program.kind,
    )


def content_fragment(
    cohort: Cohort,
    stamp: tuple[int, ...] | None,
    *,
    filters: ParticipantFilters,
    query: str,
    page_number: str | None,
) -> SafeString:
    """The page's content: the cohort's heading and menu, the summary, the filter form (a GET
    form: no CSRF token) and the participant list."""

    def compute() -> SafeString:
        fragments = summary_fragments(cohort, stamp)
        context = {
            "cohort": cohort,
            "program": cohort.program,
            "filters": filters,
            "fragments": fragments,
            "participants": participants_fragment(
                cohort, stamp, filters=filters, query=query, page_number=page_number
            ),
            "departments": cohort_selectors.cohort_departments(cohort),
            "role_choices": cohort_selectors.roles_for_program(cohort.program),
            "statuses": Enrollment.Status.choices,
            "intake_filters": cohort_selectors.INTAKE_FILTERS,
        }
        return render_to_string(f"{TEMPLATE}#content", context)

    return cached(
        lambda: _key(
            "cohort-dashboard", stamp, _shown(cohort), filters, query, page_number, _today()
        ),
        compute,
        timeout=FRAGMENT_SECONDS,
        what="cohort dashboard",
    )


def summary_fragments(cohort: Cohort, stamp: tuple[int, ...] | None) -> dict:
    """``summary`` and ``counts`` (HTML) and ``applied`` (the number of applications)."""

    def compute() -> dict:
        summary = cohort_selectors.cohort_summary(cohort)
        context = {"cohort": cohort, "program": cohort.program, "summary": summary}
        return {
            "applied": summary.applied,
            "summary": render_to_string(f"{TEMPLATE}#summary", context),
            "counts": render_to_string(f"{TEMPLATE}#counts", context),
        }

    # SafeStrings, from the cache too (they pickle as such).
    return cached(
        lambda: _key("cohort-dashboard-summary", stamp, _shown(cohort)),
        compute,
        timeout=FRAGMENT_SECONDS,
        what="cohort dashboard summary",
    )


def participants_fragment(
    cohort: Cohort,
    stamp: tuple[int, ...] | None,
    *,
    filters: ParticipantFilters,
    query: str,
    page_number: str | None,
) -> SafeString:
    """A page of the participant list, with its count and pagination links (HTML)."""

    def compute() -> SafeString:
        participants = cohort_selectors.cohort_participants(cohort=cohort, filters=filters)
        paginator = Paginator(participants.only(*ROW_FIELDS), PAGE_SIZE)
        page = paginator.get_page(page_number)
        context = {
            "cohort": cohort,
            "filters": filters,
            "page": page,
            "rows": participant_rows(page.object_list),
            "query": query,
        }
        return render_to_string(f"{TEMPLATE}#participants", context)

    return cached(
        lambda: _key(
            "cohort-dashboard-participants",
            stamp,
            _shown(cohort),
            filters,
            query,
            page_number,
            _today(),
        ),
        compute,
        timeout=FRAGMENT_SECONDS,
        what="cohort dashboard participants",
    )


# What a row prints, and what intake_missing reads.
ROW_FIELDS = (
    "role",
    "status",
    "source",
    "capacity",
    "goals",
    "languages",
    "preferred_format",
    "bio",
    "person",
    "person__first_name",
    "person__last_name",
    "person__email",
    "person__department",
    "person__title",
)
Status = Enrollment.Status
_ROLES = dict(Enrollment.Role.choices)
_STATUSES = dict(Status.choices)
_PILLS = {
    Status.ACCEPTED: " create",
    Status.INVITED: " update",
    Status.DECLINED: " left",
    Status.WITHDRAWN: " left",
}
LEFT = ' class="left"'
_SOURCES = {Enrollment.Source.DIRECTORY: "Directory", Enrollment.Source.CSV: "Enrolment file"}


def participant_rows(enrollments) -> SafeString:
    """The participant list's rows, as the template wrote them (50 rows of seven cells cost
    more through the template language than the rest of the page together); every value
    escaped."""
    rows = []
    for e in enrollments:
        person = e.person
        missing = cohort_selectors.intake_missing_for_admin(e)
        left = not e.is_active and e.status != Status.COMPLETED
        title = f'<br><span class="muted">{escape(person.title)}</span>' if person.title else ""
        intake = (
            f'<span class="muted">Missing:</span> {escape(", ".join(missing))}'
            if missing
            else "Complete"
        )
        rows.append(
            f"<tr{LEFT if left else ''}>\n"
            f"        <td><strong>{escape(person.get_full_name() or person.email)}</strong>"
            f'<br><span class="muted">{escape(person.email)}</span></td>\n'
            f"        <td>{escape(person.department)}{title}</td>\n"
            f"        <td>{escape(_ROLES.get(e.role, e.role))}</td>\n"
            f'        <td><span class="pill{_PILLS.get(e.status, "")}">'
            f"{escape(_STATUSES.get(e.status, e.status))}</span></td>\n"
            f"        <td>{'' if e.capacity is None else e.capacity}</td>\n"
            f"        <td>{intake}</td>\n"
            f"        <td>{_SOURCES.get(e.source, 'Application')}</td>\n"
            "      </tr>"
        )
    return SafeString("\n".join(rows))
