"""The pair page (timeline, health, agreement) for its two members, the list of a person's
pairs, and the cohort's pair-health page for the people who run the program."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from goals.access import get_pair_for_member, member_matches, pair_for
from goals.forms_pair import AgreementForm
from goals.health import Health
from goals.models import AgreementRevision, Meeting
from goals.selectors.goals import goals_for_pair
from goals.selectors.pairs import (
    cohort_health_index,
    cohort_pair_rows,
    health_of,
    member_pairs,
    pair_rows,
    pair_timeline,
    pairs_with_health,
    with_health_figures,
)
from goals.services.agreements import (
    DEFAULT_CONFIDENTIALITY,
    AgreementRefused,
    agreement_confirm,
    agreement_revise,
    current_agreement,
)
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


@require_GET
@login_required
def pair(request, pk):
    # The member's pair and its health figures in one query (outsiders: 404).
    match = get_object_or_404(
        with_health_figures(
            member_matches(request.user).select_related(
                "cohort__program", "mentee__person", "mentor__person"
            ),
            health_only=True,
        ),
        pk=pk,
    )
    pair = pair_for(match, request.user)
    now = timezone.now()
    agreement = current_agreement(match)
    full_timeline = request.GET.get("timeline") == "all"
    # One more than shown, to know whether there is more.
    timeline = pair_timeline(match, limit=TIMELINE_FULL if full_timeline else TIMELINE_SHORT + 1)
    context = {
        "pair": pair,
        "health": health_of(match),
        "agreement": agreement,
        "my_confirmation_missing": bool(
            agreement
            and pair.writable
            and getattr(agreement, f"{_agreement_side(pair)}_confirmed_at") is None
        ),
        "timeline": timeline if full_timeline else timeline[:TIMELINE_SHORT],
        "timeline_full": full_timeline,
        "timeline_more": not full_timeline and len(timeline) > TIMELINE_SHORT,
        "goals": goals_for_pair(match, include_dropped=False),
        "upcoming": match.meetings.filter(
            status=Meeting.Status.SCHEDULED, starts_at__gt=now
        ).order_by("starts_at")[:3],
        "viewer_tz": request.user.timezone or None,
    }
    template = "goals/pair/pair.html"
    if request.htmx and request.GET.get("part") in {"timeline", "health", "overview"}:
        template += "#" + request.GET["part"]
    return render(request, template, context)


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
    index = cohort_health_index(cohort)
    counts = index.counts
    at_risk_states = [s for s in Health if s.at_risk]
    at_risk = sum(counts[s] for s in at_risk_states)
    if request.htmx and request.GET.get("summary"):
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
    states = at_risk_states if state == "at_risk" else [Health(state)] if state else list(Health)
    page = Paginator(index.ids_in(states), 50).get_page(request.GET.get("page"))
    page.object_list = cohort_pair_rows(cohort, page.object_list)
    context = {
        "cohort": cohort,
        "page": page,
        "counts": [(s, counts[s]) for s in Health],
        "at_risk": at_risk,
        "state": state,
        "query": urlencode({"health": state}) if state else "",
        "health_filters": HEALTH_FILTERS.items(),
    }
    template = "goals/pair/cohort_pairs.html"
    if request.htmx and request.htmx.target == "pairs":
        template += "#pairs"
    return render(request, template, context)
