"""Meetings of a pair: the list, schedule, the meeting page, change, cancel, the .ics.

Every view looks up the pair for the requesting member first (404 for anyone else, program
admins and HR included), then the meeting within that pair.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from goals.access import Pair, get_pair_for_member
from goals.forms_meetings import MeetingForm, PrivateNoteForm, ReviewForm
from goals.htmx import saved_response
from goals.ics import meeting_invitation
from goals.models import Meeting
from goals.selectors.meetings import meeting_in_pair, meetings_for_pair
from goals.services import meetings as meeting_services
from goals.services.checkins import (
    can_review_check_in,
    can_write_check_in,
    private_note_for,
)
from goals.services.meetings import MeetingRefused, default_time_zone


def get_meeting_for_member(pair: Pair, meeting_pk: int) -> Meeting:
    """A meeting of this pair, or 404."""
    try:
        return meeting_in_pair(pair.match, meeting_pk)
    except Meeting.DoesNotExist as exc:
        raise Http404("No such meeting") from exc


def meeting_url(pair: Pair, meeting: Meeting) -> str:
    return reverse("goals:meeting", kwargs={"pk": pair.match.pk, "meeting_pk": meeting.pk})


def pair_url(pair: Pair) -> str:
    return reverse("goals:pair", kwargs={"pk": pair.match.pk})


def refused(request, message: str, *, redirect_to: str) -> HttpResponse:
    """A member asked for something not possible now: say why (nothing is changed)."""
    if request.htmx:
        return HttpResponse(format_html('<p class="callout error" role="alert">{}</p>', message))
    messages.error(request, message)
    return redirect(redirect_to)


def form_error(form, exc: MeetingRefused) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def is_changeable(pair: Pair, meeting: Meeting, now=None) -> bool:
    now = now or timezone.now()
    return pair.writable and meeting.status == Meeting.Status.SCHEDULED and meeting.starts_at > now


def _form_template(request, name: str) -> str:
    return f"goals/meetings/{name}.html#form" if request.htmx else f"goals/meetings/{name}.html"


@require_GET
@login_required
def meeting_list(request, pk):
    pair = get_pair_for_member(request.user, pk)
    context = {
        "pair": pair,
        "meetings": meetings_for_pair(pair.match),
        "viewer_tz": default_time_zone(request.user),
    }
    if request.htmx:
        return render(request, "goals/meetings/_meeting_list.html", context)
    return render(request, "goals/meetings/meeting_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def meeting_new(request, pk):
    pair = get_pair_for_member(request.user, pk)
    if not pair.writable:
        return refused(
            request,
            "This pair has ended: no new meetings can be arranged.",
            redirect_to=pair_url(pair),
        )
    viewer_tz = default_time_zone(request.user)
    form = MeetingForm(request.POST or None, default_timezone=viewer_tz)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meeting_services.meeting_schedule(
                pair_match=pair.match, user=request.user, **form.service_kwargs()
            )
        except MeetingRefused as exc:
            form_error(form, exc)
        else:
            other = pair.other.person.get_short_name()
            next_step = None
            if meeting.ends_at > timezone.now():
                message = (
                    f"Meeting arranged. {other} and you get an email with the calendar invitation."
                )
            elif can_write_check_in(pair.match, request.user):
                # A meeting recorded after the fact: its check-in is what comes next.
                message = "Meeting recorded."
                next_step = (
                    reverse("goals:check_in", args=[pair.match.pk, meeting.pk]),
                    "Write its check-in",
                )
            else:
                message = f"Meeting recorded. {other} writes its check-in; you review it."
            return saved_response(
                request,
                message=message,
                redirect_to=meeting_url(pair, meeting),
                next_step=next_step,
            )
    context = {"pair": pair, "form": form, "viewer_tz": viewer_tz, "meeting": None}
    return render(request, _form_template(request, "meeting_form"), context)


@require_GET
@login_required
def meeting_detail(request, pk, meeting_pk):
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    now = timezone.now()
    viewer_tz = default_time_zone(request.user)
    other_tz = default_time_zone(pair.other.person)
    check_in = getattr(meeting, "check_in", None)
    note = private_note_for(meeting, request.user)
    started = meeting.starts_at <= now
    scheduled = meeting.status == Meeting.Status.SCHEDULED
    context = {
        "pair": pair,
        "meeting": meeting,
        "viewer_tz": viewer_tz,
        "other_tz": other_tz,
        "other_starts": meeting.starts_at.astimezone(ZoneInfo(other_tz)).replace(tzinfo=None),
        "started": started,
        "changeable": is_changeable(pair, meeting, now),
        "check_in": check_in,
        "progress_updates": (
            list(check_in.progress_updates.select_related("goal").order_by("created_at", "id"))
            if check_in
            else []
        ),
        "can_write_check_in": (
            pair.writable
            and scheduled
            and started
            and check_in is None
            and can_write_check_in(pair.match, request.user)
        ),
        "can_edit_check_in": (
            pair.writable
            and check_in is not None
            and check_in.reviewed_at is None
            and check_in.author_id == request.user.pk
        ),
        "can_review": (
            pair.writable
            and check_in is not None
            and check_in.reviewed_at is None
            and can_review_check_in(check_in, pair.match, request.user)
        ),
        "review_form": ReviewForm(),
        "note": note,
        "note_form": PrivateNoteForm(note=note),
    }
    return render(request, "goals/meetings/meeting_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def meeting_edit(request, pk, meeting_pk):
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    if not is_changeable(pair, meeting):
        return refused(
            request,
            "Only a meeting that has not started yet can be changed.",
            redirect_to=meeting_url(pair, meeting),
        )
    viewer_tz = default_time_zone(request.user)
    form = MeetingForm(request.POST or None, default_timezone=viewer_tz, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            changed = meeting_services.meeting_update(
                meeting=meeting, user=request.user, **form.service_kwargs()
            )
        except MeetingRefused as exc:
            form_error(form, exc)
        else:
            message = (
                "Meeting changed. You both get an email with the updated invitation."
                if changed
                else "Nothing changed."
            )
            return saved_response(request, message=message, redirect_to=meeting_url(pair, meeting))
    context = {"pair": pair, "form": form, "viewer_tz": viewer_tz, "meeting": meeting}
    return render(request, _form_template(request, "meeting_form"), context)


@require_http_methods(["GET", "POST"])
@login_required
def meeting_cancel(request, pk, meeting_pk):
    """GET asks to confirm; POST cancels."""
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    if not is_changeable(pair, meeting):
        return refused(
            request,
            "Only a meeting that has not started yet can be cancelled.",
            redirect_to=meeting_url(pair, meeting),
        )
    if request.method == "POST":
        try:
            meeting_services.meeting_cancel(meeting=meeting, user=request.user)
        except MeetingRefused as exc:
            return refused(request, exc.message, redirect_to=meeting_url(pair, meeting))
        return saved_response(
            request,
            message="Meeting cancelled. You both get an email that removes it from your calendars.",
            redirect_to=meeting_url(pair, meeting),
        )
    context = {"pair": pair, "meeting": meeting, "viewer_tz": default_time_zone(request.user)}
    return render(request, _form_template(request, "meeting_cancel"), context)


@require_GET
@login_required
def meeting_ics(request, pk, meeting_pk):
    """The meeting's invitation as a file, the same one the emails carry."""
    pair = get_pair_for_member(request.user, pk)
    meeting = get_meeting_for_member(pair, meeting_pk)
    meeting.match = pair.match  # with both people already selected
    response = HttpResponse(
        meeting_invitation(meeting), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response
