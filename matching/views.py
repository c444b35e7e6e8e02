"""The matching board: a cohort's admins run, review, adjust and publish matches."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from matching.models import Match, MentorRequest, PairRule
from matching.selectors import (
    REQUEST_FILTERS,
    cohort_board,
    cohort_request_counts,
    cohort_request_mentees,
    mentee_request_groups,
)
from matching.services import (
    MatchingRefused,
    match_end,
    match_move,
    match_propose,
    match_run_start,
    matches_publish,
    move_options,
    pair_rule_clear,
    pair_rule_set,
    waiting_mentees,
)
from programs.access import get_cohort_for_manager, program_manager_required

REQUESTS_PAGE_SIZE = 50


@require_GET
@program_manager_required
def board(request, slug):
    cohort = get_cohort_for_manager(request.user, slug)
    board = cohort_board(cohort)
    context = {"cohort": cohort, "program": cohort.program, "board": board}
    if not request.htmx:
        unmatched = {e.pk for e, _ in board.unmatched}
        # Mentees the latest run explained already are listed there; these are the others.
        context["waiting"] = [
            w for w in waiting_mentees(cohort=cohort) if w.mentee.pk not in unmatched
        ]
    if request.htmx:
        if not board.running:
            return HttpResponseClientRefresh()  # the run is done: show its proposals
        return render(request, "matching/board.html#run-status", context)
    return render(request, "matching/board.html", context)


@require_POST
@program_manager_required
def run(request, slug):
    cohort = get_cohort_for_manager(request.user, slug)
    started = match_run_start(cohort=cohort, user=request.user)
    if started.status == started.Status.RUNNING:
        messages.info(request, "Matching is running; this page updates when it is done.")
    else:
        matched = int(started.stats.get("matched", 0))
        messages.success(
            request, f"Matching done: {matched} proposals. They are drafts until you publish."
        )
    return redirect("matching:board", slug=cohort.slug)


@require_POST
@program_manager_required
def pair(request, slug):
    """Lock, exclude or release one (mentee, mentor) pair."""
    cohort = get_cohort_for_manager(request.user, slug)
    action = request.POST.get("action", "")
    try:
        mentee_id = int(request.POST.get("mentee", ""))
        mentor_id = int(request.POST.get("mentor", ""))
    except ValueError:
        messages.error(request, "Choose a pair first.")
        return redirect("matching:board", slug=cohort.slug)
    get_object_or_404(cohort.enrollments, pk=mentee_id)
    get_object_or_404(cohort.enrollments, pk=mentor_id)
    if action in (PairRule.Kind.LOCK, PairRule.Kind.EXCLUDE):
        pair_rule_set(
            cohort=cohort, mentee_id=mentee_id, mentor_id=mentor_id, kind=action, user=request.user
        )
        messages.success(
            request,
            "Pair locked: every run keeps it."
            if action == PairRule.Kind.LOCK
            else "Pair excluded: it will never be proposed. Run matching again to fill the gap.",
        )
    elif action == "propose":
        try:
            match_propose(
                cohort=cohort, mentee_id=mentee_id, mentor_id=mentor_id, user=request.user
            )
        except MatchingRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Proposed and locked. Publish when you are ready.")
    elif action == "clear":
        pair_rule_clear(cohort=cohort, mentee_id=mentee_id, mentor_id=mentor_id)
        messages.success(request, "The pair is free again: the next run decides.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("matching:board", slug=cohort.slug)


@require_POST
@program_manager_required
def publish(request, slug):
    cohort = get_cohort_for_manager(request.user, slug)
    try:
        published = matches_publish(cohort=cohort, user=request.user)
    except MatchingRefused as exc:
        messages.error(request, str(exc))
    else:
        n = len(published)
        messages.success(
            request,
            f"Published {n} match{'' if n == 1 else 'es'}. "
            + ("Both people get an email." if n == 1 else "Both sides of each get an email."),
        )
    return redirect("matching:board", slug=cohort.slug)


@require_POST
@program_manager_required
def end(request, slug, pk):
    cohort = get_cohort_for_manager(request.user, slug)
    match = get_object_or_404(Match, cohort=cohort, pk=pk)
    try:
        match_end(match=match, user=request.user, reason=request.POST.get("reason", ""))
    except MatchingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Match ended. {match.mentee.person} is back in the pool for the next run."
        )
    return redirect("matching:board", slug=cohort.slug)


@require_http_methods(["GET", "POST"])
@program_manager_required
def move(request, slug, pk):
    """Move a proposal's mentee to another mentor: new score shown first, rules confirmed."""
    cohort = get_cohort_for_manager(request.user, slug)
    match = get_object_or_404(
        Match.objects.select_related("mentee__person", "mentor__person", "cohort__program"),
        cohort=cohort,
        pk=pk,
        status=Match.Status.PROPOSED,
    )
    warnings, chosen = [], None
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("mentor", ""))
        except ValueError:
            messages.error(request, "Choose a mentor.")
        else:
            try:
                warnings = match_move(
                    match=match,
                    mentor_id=chosen,
                    user=request.user,
                    confirmed=request.POST.get("confirm") == "yes",
                )
            except MatchingRefused as exc:
                messages.error(request, str(exc))
            else:
                if not warnings:
                    messages.success(
                        request,
                        f"{match.mentee.person} now goes with {match.mentor.person}; the pair is "
                        "locked, so re-runs keep it.",
                    )
                    return redirect("matching:board", slug=cohort.slug)
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "match": match,
        "options": move_options(match=match),
        "warnings": warnings,
        "chosen": chosen,
    }
    return render(request, "matching/move.html", context, status=409 if warnings else 200)


@require_GET
@program_manager_required
def mentor_requests(request, slug):
    """Self-select requests, per mentee: their ranked choices, where each stands, and how the
    closed ones ended. Filtered by status; the list updates in place with htmx."""
    cohort = get_cohort_for_manager(request.user, slug)
    status = request.GET.get("status", "")
    if status not in REQUEST_FILTERS:
        status = ""
    paginator = Paginator(cohort_request_mentees(cohort, status=status), REQUESTS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "status": status,
        "status_label": REQUEST_FILTERS.get(status, ""),
        "filters": REQUEST_FILTERS,
        "max_choices": MentorRequest.MAX_CHOICES,
        "page": page,
        "groups": mentee_request_groups(cohort, list(page.object_list), status=status),
        "query": f"status={status}" if status else "",
    }
    if request.htmx:
        return render(request, "matching/requests/cohort.html#requests", context)
    context["counts"] = cohort_request_counts(cohort)
    return render(request, "matching/requests/cohort.html", context)
