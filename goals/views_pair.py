"""The pair page (timeline, health, agreement) for its two members, the list of a person's
pairs, and the cohort's pair-health page for the people who run the program."""

from __future__ import annotations

import time
from html import escape  # as django.utils.html.escape, without its lazy-string wrapper
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from goals.access import get_pair_for_member, member_matches, pair_for
from goals.cache_invalidation import pair_namespace
from goals.forms_pair import AgreementForm
from goals.health import Health
from goals.models import AgreementRevision
from goals.selectors.goals import goals_for_pair
from goals.selectors.pairs import (
    HEALTH_CACHE_SECONDS,
    cohort_health_index,
    cohort_pair_rows,
    cohort_pairs_fragment_key,
    health_of,
    member_pairs,
    pair_activity,
    pair_figures,
    pair_rows,
    pairs_with_health,
)
from goals.services.agreements import (
    DEFAULT_CONFIDENTIALITY,
    AgreementRefused,
    agreement_confirm,
    agreement_revise,
    current_agreement,
)
from mentorship.cache_versions import PARTICIPATION, PEOPLE, cached, fragment_key, versions
from programs.access import get_cohort_for_manager, program_manager_required


@require_GET
@login_required
def pair_list(request):
    """Everyone's "My mentoring": each pair they are in, with its health."""
    rows = pairs_with_health(member_pairs(request.user))
    pairs = [(row, pair_for(row.match, request.user)) for row in rows]
    return render(request, "goals/pair/pair_list.html", {"pairs": pairs})


# The pair page shows the latest entries of the timeline, and the rest (up to the longer cap)
# on asking: the recent ones are what the page is read for; each entry costs rendering.
TIMELINE_SHORT = 20
TIMELINE_FULL = 60


# The parts of the pair page htmx refreshes after a change (``pair-changed``) or on asking.
PAIR_PARTS = {"timeline", "health", "overview"}


@require_GET
@login_required
def pair(request, pk):
    """The pair page, its content cached as rendered HTML for each viewer.

    Keyed by the pair's own activity version (``pair_namespace``: its meetings, check-ins and
    reviews, agreement, goals, milestones, goal history), the participation version (a match
    ended, a cohort or program renamed), the people version (names, titles, emails), the
    viewer (each member sees their own side), the time zone and day (dates, days since the
    last meeting) and a minute of the clock, as cached pair health is (a meeting's start
    passing, a check-in waiting its third day). Membership is checked on every request.
    """
    user = request.user
    full_timeline = request.GET.get("timeline") == "all"
    part = request.GET.get("part") if request.htmx else None
    if part not in PAIR_PARTS:
        part = None

    def key() -> str:
        stamp = versions(PARTICIPATION, PEOPLE, pair_namespace(pk))  # before the database
        # Outsiders: 404, whether or not a member's page is cached.
        found = (
            member_matches(user)
            .filter(pk=pk)
            .values_list("status", "cohort__starts_on", "cohort__cadence_days")
        )
        if not found:
            raise Http404
        return fragment_key(
            "pair-page",
            stamp,
            pk,
            user.pk,
            *found[0],
            timezone.get_current_timezone_name(),
            timezone.localdate(),
            int(time.time() // HEALTH_CACHE_SECONDS),
            full_timeline,
            part,
        )

    page = cached(
        key,
        lambda: _pair_page(user, pk, full_timeline=full_timeline, part=part),
        timeout=HEALTH_CACHE_SECONDS,
        what="pair page",
    )
    if part:
        return HttpResponse(page["body"])
    return render(
        request,
        "goals/pair/pair.html",
        {"other_name": page["other_name"], "body": mark_safe(page["body"])},  # noqa: S308
    )


def _pair_page(user, pk, *, full_timeline: bool, part: str | None) -> dict:
    """The pair page's content (or one of its parts) rendered, and the other member's name."""
    # The member's pair (outsiders: 404), then its health figures in one fixed statement.
    match = get_object_or_404(
        member_matches(user).select_related("cohort__program", "mentee__person", "mentor__person"),
        pk=pk,
    )
    for name, value in pair_figures([match.pk], health_only=True)[match.pk].items():
        setattr(match, name, value)
    pair = pair_for(match, user)
    # The timeline's queries give the current agreement and the next meetings too. One entry
    # more than shown, to know whether there is more.
    activity = pair_activity(
        match, limit=TIMELINE_FULL if full_timeline else TIMELINE_SHORT + 1, upcoming=3
    )
    timeline, agreement = activity.timeline, activity.agreement
    shown = timeline if full_timeline else timeline[:TIMELINE_SHORT]
    context = {
        "pair": pair,
        "health": health_of(match),
        "agreement": agreement,
        "my_confirmation_missing": bool(
            agreement
            and pair.writable
            and getattr(agreement, f"{_agreement_side(pair)}_confirmed_at") is None
        ),
        "timeline": shown,
        "timeline_html": timeline_html(shown),
        "timeline_full": full_timeline,
        "timeline_more": not full_timeline and len(timeline) > TIMELINE_SHORT,
        "goals": goals_for_pair(match, include_dropped=False),
        "upcoming": activity.upcoming,
        "meetings_url": reverse("goals:meeting_list", args=[match.pk]),
    }
    template = "goals/pair/_pair_body.html"
    if part:
        template += "#" + part
    return {
        "other_name": pair.other.person.get_full_name(),
        "body": str(render_to_string(template, context)),
    }


def _agreement_side(pair) -> str:
    """Whose confirmation column is the viewer's (peer programs use the match's two sides)."""
    return "mentee" if pair.me.pk == pair.match.mentee_id else "mentor"


@require_http_methods(["GET", "POST"])
@login_required
def agreement(request, pk):
    pair = get_pair_for_member(request.user, pk)
    match = pair.match
    latest = current_agreement(match)
    if request.method == "POST":
        form = AgreementForm(request.POST, peer=pair.is_peer)
        if not pair.writable:
            messages.error(request, "This pair has ended; its agreement can no longer change.")
            return redirect("goals:agreement", pk=match.pk)
        if form.is_valid():
            try:
                agreement_revise(match=match, user=request.user, **form.cleaned_data)
            except AgreementRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Agreement saved and confirmed by you. {pair.other.person.get_short_name()} "
                    "is asked to confirm it.",
                )
                return redirect("goals:agreement", pk=match.pk)
    else:
        if latest:
            initial = {
                field: getattr(latest, field)
                for field in (
                    "cadence_days",
                    "formats",
                    "confidentiality",
                    "mentee_expectations",
                    "mentor_expectations",
                )
            }
        else:
            initial = {
                "cadence_days": match.cohort.cadence_days,
                "formats": [AgreementRevision.Format.VIDEO],
                "confidentiality": DEFAULT_CONFIDENTIALITY,
            }
        form = AgreementForm(initial=initial, peer=pair.is_peer)
    side = _agreement_side(pair)
    context = {
        "pair": pair,
        "form": form,
        "agreement": latest,
        "revisions": match.agreement_revisions.select_related("created_by").order_by("-number"),
        "my_confirmation_missing": bool(
            latest and pair.writable and getattr(latest, f"{side}_confirmed_at") is None
        ),
        "editing": request.method == "POST" or latest is None or "edit" in request.GET,
    }
    return render(request, "goals/pair/agreement.html", context)


@require_POST
@login_required
def agreement_confirm_view(request, pk):
    pair = get_pair_for_member(request.user, pk)
    revision = get_object_or_404(
        pair.match.agreement_revisions, pk=request.POST.get("revision") or 0
    )
    try:
        agreement_confirm(revision=revision, user=request.user)
    except AgreementRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You confirmed version {revision.number} of the agreement.")
    return redirect("goals:agreement", pk=pair.match.pk)


HEALTH_FILTERS = {
    "": "All pairs",
    "at_risk": "At risk (overdue or inactive)",
    **{state.value: state.label for state in Health},
}


@require_GET
@program_manager_required
def cohort_pairs(request, slug):
    """Pair health for the people who run the cohort: figures and dates, never the pair's text.

    The database counts, filters, sorts and pages the pairs by health (a cohort may have
    thousands); only the page shown gets its full figures and reasons.
    """
    cohort = get_cohort_for_manager(request.user, slug)
    if request.htmx and request.GET.get("summary"):
        index = cohort_health_index(cohort)
        counts = index.counts
        at_risk_states = [s for s in Health if s.at_risk]
        at_risk = sum(counts[s] for s in at_risk_states)
        context = {
            "cohort": cohort,
            "counts": [(s, counts[s]) for s in Health],
            "total": sum(counts.values()),
            "at_risk": at_risk,
            "at_risk_rows": pair_rows(index.ids_in(at_risk_states)[:5]),
        }
        return render(request, "goals/pair/cohort_pairs.html#summary", context)
    state = request.GET.get("health", "")
    if state not in HEALTH_FILTERS:
        state = ""
    number = request.GET.get("page") or ""
    part = "pairs" if request.htmx and request.htmx.target == "pairs" else ""
    body = cached(
        # What the body prints of the cohort and its program, read before the versions.
        lambda: cohort_pairs_fragment_key(
            "cohort-pairs",
            cohort,
            state,
            number,
            part,
            (cohort.name, cohort.slug, cohort.program.name, cohort.program.slug),
        ),
        lambda: _cohort_pairs_body(cohort, state, number, part),
        timeout=HEALTH_CACHE_SECONDS,
        what="cohort pairs",
    )
    if part:
        return HttpResponse(body)
    context = {"cohort": cohort, "body": mark_safe(body)}  # noqa: S308 (rendered by us)
    return render(request, "goals/pair/cohort_pairs.html", context)


def _cohort_pairs_body(cohort, state: str, number: str, part: str) -> str:
    """The cohort's pair-health page (or its list of pairs, ``part``) rendered: the health
    index (cached itself) counts, filters and orders the pairs, a page of them is shown."""
    index = cohort_health_index(cohort)
    counts = index.counts
    at_risk_states = [s for s in Health if s.at_risk]
    states = at_risk_states if state == "at_risk" else [Health(state)] if state else list(Health)
    page = Paginator(index.ids_in(states), 50).get_page(number)
    page.object_list = cohort_pair_rows(cohort, page.object_list)
    context = {
        "cohort": cohort,
        "page": page,
        "rows_html": cohort_pair_rows_html(page.object_list),
        "counts": [(s, counts[s]) for s in Health],
        "at_risk": sum(counts[s] for s in at_risk_states),
        "state": state,
        "query": urlencode({"health": state}) if state else "",
        "health_filters": HEALTH_FILTERS.items(),
    }
    template = "goals/pair/_cohort_pairs_body.html"
    if part:
        template += "#" + part
    return str(render_to_string(template, context))


def cohort_pair_rows_html(rows) -> SafeString:
    """The table rows of the cohort's pair-health list, printed here rather than by a 50-row
    template loop (the page's main cost when it is not cached): every text escaped (names,
    labels, reasons; the rest are numbers and dates), dates as the template's
    ``date:"j M Y"`` prints them in the current time zone, the mean rating as
    ``floatformat:1``."""
    tz = timezone.get_current_timezone()
    months = month_abbreviations()
    means: dict[float, str] = {}  # a handful of distinct ratings

    def day(moment, empty: str) -> str:
        if moment is None:
            return empty
        local = moment.astimezone(tz)
        return f"{local.day} {months[local.month]} {local.year:04d}"

    html = []
    for row in rows:
        figures, health = row.figures, row.health
        reasons = (
            '<ul class="reasons">'
            + "".join(f"<li>{escape(reason)}</li>" for reason in health.reasons)
            + "</ul>"
            if health.reasons
            else ""
        )
        mean = figures["mean_usefulness"]
        if mean:
            if mean not in means:
                means[mean] = f"{floatformat(mean, 1)} of 5"
            rating = means[mean]
        else:
            rating = "—"
        html.append(
            "<tr>"
            f'<td>{escape(row.mentee)}<br><span class="muted">with {escape(row.mentor)}</span></td>'
            f'<td><span class="health health-{escape(health.state.value)}">'
            f"{escape(health.state.label)}</span>{reasons}</td>"
            f'<td class="nowrap">{day(figures["last_met_at"], "never")}</td>'
            f'<td class="nowrap">{day(figures["next_meeting_at"], "—")}</td>'
            f"<td>{int(figures['meetings_held'])}</td>"
            f"<td>{int(figures['check_ins_reviewed'])} / {int(figures['check_ins_written'])}</td>"
            f"<td>{rating}</td>"
            f"<td>{int(figures['goals_achieved'])} / {int(figures['goals_agreed'])}</td>"
            "</tr>\n"
        )
    return mark_safe("".join(html))  # noqa: S308 (every text escaped above)


def timeline_html(items) -> SafeString:
    """The pair's timeline entries, printed here rather than by a template loop of two date
    filters an entry: texts and links escaped, times as ``date:'c'`` and
    ``date:"j M Y, H:i"`` print them in the current time zone."""
    tz = timezone.get_current_timezone()
    months = month_abbreviations()
    html = []
    for item in items:
        at = item.at.astimezone(tz)
        text = escape(item.text)
        if item.url:
            text = f'<a href="{escape(item.url)}">{text}</a>'
        future = " future" if item.future else ""
        upcoming = ' <span class="pill">upcoming</span>' if item.future else ""
        html.append(
            f'<li class="timeline-item kind-{escape(item.kind)}{future}">'
            f'<time datetime="{at.isoformat()}">'
            f"{at.day} {months[at.month]} {at.year:04d}, {at.hour:02d}:{at.minute:02d}</time>\n"
            f"{text}{upcoming}</li>\n"
        )
    return mark_safe("".join(html))  # noqa: S308 (every text escaped above)


def month_abbreviations() -> list[str]:
    """The months (1 to 12) as the date filter's "M" prints them in the active language."""
    return ["", *(str(MONTHS_3[month]).title() for month in range(1, 13))]
