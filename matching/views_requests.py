"""Self-select pages: a mentee chooses mentors; a mentor answers the requests addressed to them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from matching.models import MentorRequest
from matching.requests import (
    RequestRefused,
    mentee_refused_reason,
    mentee_requests,
    mentor_pending_requests,
    mentor_request_accept,
    mentor_request_decline,
    mentor_requests_submit,
    mentor_suggestions,
    places_left,
    self_select_open,
)
from programs.access import get_enrollment_for_participant
from programs.models import Enrollment


def _self_select_enrollment(user, pk: int, role: str) -> Enrollment:
    """The user's own enrollment in ``role``, in a cohort where mentees choose: else 404."""
    enrollment = get_enrollment_for_participant(user, pk)
    if enrollment.role != role or not self_select_open(enrollment.cohort):
        raise Http404
    return enrollment


def _choices(post) -> list[int]:
    chosen = []
    for rank in range(1, MentorRequest.MAX_CHOICES + 1):
        value = post.get(f"choice_{rank}", "").strip()
        if value:
            try:
                chosen.append(int(value))
            except ValueError as exc:
                raise RequestRefused("Choose among the mentors suggested to you.") from exc
    return chosen


@require_http_methods(["GET", "POST"])
@login_required
def choose(request, pk: int):
    mentee = _self_select_enrollment(request.user, pk, Enrollment.Role.MENTEE)
    refused = mentee_refused_reason(mentee)
    status = 200
    error = ""
    if request.method == "POST":
        if refused:
            status = 409
        else:
            try:
                mentor_requests_submit(mentee=mentee, mentor_ids=_choices(request.POST))
            except RequestRefused as exc:
                error, status = str(exc), 400
            else:
                messages.success(
                    request,
                    "Requests sent: your first choice has been asked. If they decline or do not "
                    "answer in time, your next choice is asked.",
                )
                return redirect("requests:choose", pk=mentee.pk)
    context = {
        "enrollment": mentee,
        "cohort": mentee.cohort,
        "program": mentee.cohort.program,
        "refused": refused,
        "error": error,
        "suggestions": [] if refused else mentor_suggestions(mentee=mentee),
        "requests": mentee_requests(mentee),
        "ranks": range(1, MentorRequest.MAX_CHOICES + 1),
    }
    return render(request, "matching/requests/choose.html", context, status=status)


@require_http_methods(["GET"])
@login_required
def incoming(request, pk: int):
    mentor = _self_select_enrollment(request.user, pk, Enrollment.Role.MENTOR)
    context = {
        "enrollment": mentor,
        "cohort": mentor.cohort,
        "program": mentor.cohort.program,
        "pending": mentor_pending_requests(mentor),
        "places_left": places_left(mentor),
    }
    return render(request, "matching/requests/incoming.html", context)


@require_POST
@login_required
def decide(request, pk: int, request_pk: int):
    mentor = _self_select_enrollment(request.user, pk, Enrollment.Role.MENTOR)
    action = request.POST.get("action", "")
    try:
        if action == "accept":
            match = mentor_request_accept(mentor=mentor, request_id=request_pk)
            messages.success(
                request, f"You are now mentoring {match.mentee.person.get_full_name()}."
            )
        elif action == "decline":
            mentor_request_decline(mentor=mentor, request_id=request_pk)
            messages.success(request, "Declined: the mentee's next choice is asked.")
        else:
            messages.error(request, "Choose accept or decline.")
    except RequestRefused as exc:
        messages.error(request, str(exc))
    return redirect("requests:incoming", pk=mentor.pk)
