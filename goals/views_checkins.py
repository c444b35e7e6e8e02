"""Check-ins, their review, private notes, and the reviewing side's inbox.

Pair pages look up the pair for the requesting member first (404 for anyone else, program
admins and HR included). A member who may not do something (the mentor writing the check-in,
the author reviewing their own) is told so and nothing changes.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from goals.access import get_pair_for_member
from goals.forms_meetings import CheckInForm, PrivateNoteForm, ReviewForm
from goals.htmx import saved_response
from goals.models import Meeting
from goals.selectors.inbox import inbox_html
from goals.services import checkins as checkin_services
from goals.services.checkins import (
    CheckInRefused,
    can_review_check_in,
    can_write_check_in,
    check_in_goals,
    check_in_submit,
    check_in_update,
    private_note_for,
    private_note_save,
)
from goals.services.meetings import default_time_zone
from goals.views_meetings import get_meeting_for_member, meeting_url, refused


def _form_error(form, exc: CheckInRefused) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@require_http_methods(["GET", "POST"])
@login_required
def check_in(request, pk, meeting_pk):
    """Write the meeting's check-in, or edit it (its author, until it is reviewed)."""
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    back = meeting_url(pair, meeting)
    existing = getattr(meeting, "check_in", None)
    if not pair.writable:
        return refused(
            request,
            "This pair has ended: its check-ins can be read but not changed.",
            redirect_to=back,
        )
    if existing is None:
        if meeting.status == Meeting.Status.CANCELLED:
            return refused(
                request,
                "This meeting was cancelled: there is nothing to check in.",
                redirect_to=back,
            )
        if meeting.starts_at > timezone.now():
            return refused(
                request, "Write the check-in once the meeting has started.", redirect_to=back
            )
        if not can_write_check_in(pair.match, request.user):
            return refused(
                request,
                f"{pair.other.person.get_short_name()} writes the check-in of this meeting; "
                "you review it.",
                redirect_to=back,
            )
    elif existing.author_id != request.user.pk or existing.reviewed_at is not None:
        return refused(
            request, "Only its author can edit a check-in, until it is reviewed.", redirect_to=back
        )
    goals = list(check_in_goals(pair.match))
    form = CheckInForm(request.POST or None, goals=goals, check_in=existing)
    if request.method == "POST" and form.is_valid():
        try:
            if existing is None:
                check_in_submit(meeting=meeting, user=request.user, **form.service_kwargs())
            else:
                check_in_update(check_in=existing, user=request.user, **form.service_kwargs())
        except CheckInRefused as exc:
            _form_error(form, exc)
        else:
            return saved_response(
                request,
                message=(
                    "Check-in saved. " + ("It is sent for review." if existing is None else "")
                ).strip(),
                redirect_to=back,
            )
    context = {
        "pair": pair,
        "meeting": meeting,
        "form": form,
        "existing": existing,
        "viewer_tz": default_time_zone(request.user),
    }
    template = "goals/meetings/check_in_form.html"
    return render(request, f"{template}#form" if request.htmx else template, context)


@require_http_methods(["GET", "POST"])
@login_required
def check_in_review(request, pk, meeting_pk):
    """The reviewing side acknowledges the check-in with a comment."""
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    back = meeting_url(pair, meeting)
    existing = getattr(meeting, "check_in", None)
    if existing is None:
        return refused(request, "This meeting has no check-in to review yet.", redirect_to=back)
    if not can_review_check_in(existing, pair.match, request.user):
        message = (
            "You wrote this check-in: the other side reviews it."
            if existing.author_id == request.user.pk
            else "Only the mentor reviews this pair's check-ins."
        )
        return refused(request, message, redirect_to=back)
    if existing.reviewed_at is not None:
        return refused(request, "This check-in has already been reviewed.", redirect_to=back)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            checkin_services.check_in_review(
                check_in=existing, user=request.user, comment=form.cleaned_data["comment"]
            )
        except CheckInRefused as exc:
            _form_error(form, exc)
        else:
            return saved_response(
                request,
                message=f"Reviewed. {existing.author.get_short_name()} sees your comment.",
                redirect_to=back,
            )
    context = {
        "pair": pair,
        "meeting": meeting,
        "check_in": existing,
        "form": form,
        "viewer_tz": default_time_zone(request.user),
    }
    template = "goals/meetings/review_form.html"
    return render(request, f"{template}#form" if request.htmx else template, context)


@require_http_methods(["GET", "POST"])
@login_required
def private_note(request, pk, meeting_pk):
    """The member's own note on a meeting. Only its author ever sees it."""
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    note = private_note_for(meeting, request.user)
    form = PrivateNoteForm(request.POST or None, note=note)
    saved = False
    if request.method == "POST":
        if not pair.writable:
            return refused(
                request,
                "This pair has ended: its notes can be read but not changed.",
                redirect_to=meeting_url(pair, meeting),
            )
        if form.is_valid():
            try:
                note = private_note_save(
                    meeting=meeting, user=request.user, text=form.cleaned_data["text"]
                )
            except CheckInRefused as exc:
                _form_error(form, exc)
            else:
                if not request.htmx:
                    return saved_response(
                        request,
                        message="Your private note is saved." if note else "Note deleted.",
                        redirect_to=meeting_url(pair, meeting),
                    )
                saved = True
                form = PrivateNoteForm(note=note)
    context = {
        "pair": pair,
        "meeting": meeting,
        "note": note,
        "note_form": form,
        "saved": saved,
        "viewer_tz": default_time_zone(request.user),
    }
    template = "goals/meetings/private_note.html"
    # htmx: the note form swaps itself in place (no pair-changed: nobody else's view changes).
    return render(request, f"{template}#note" if request.htmx else template, context)


@require_GET
@login_required
def review_inbox(request):
    """Check-ins waiting for the person's review across their active pairs, oldest first (the
    rows printed and cached for the viewer in ``goals.selectors.inbox``)."""
    viewer_tz = default_time_zone(request.user)
    context = {"rows": inbox_html(request.user, tz_name=viewer_tz), "viewer_tz": viewer_tz}
    template = "goals/meetings/review_inbox.html"
    return render(request, f"{template}#inbox" if request.htmx else template, context)
