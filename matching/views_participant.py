"""A participant's own published match: who, why, and ending it with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from matching.models import Match
from matching.services import MatchingRefused, match_end
from programs.access import get_enrollment_for_participant


@require_http_methods(["GET", "POST"])
@login_required
def my_match(request, pk):
    enrollment = get_enrollment_for_participant(request.user, pk)
    mine = Match.objects.filter(
        Q(mentee=enrollment) | Q(mentor=enrollment), status=Match.Status.ACTIVE
    ).select_related("mentee__person", "mentor__person")
    if request.method == "POST":
        match = get_object_or_404(mine, pk=request.POST.get("match") or 0)
        try:
            match_end(match=match, user=request.user, reason=request.POST.get("reason", ""))
        except MatchingRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "The match has ended. The program admin can see your reason and will help "
                "with what comes next.",
            )
        return redirect("matching:my_match", pk=enrollment.pk)
    pairs = [
        (match, match.mentor if match.mentee_id == enrollment.pk else match.mentee)
        for match in mine.order_by("published_at", "id")
    ]
    context = {"enrollment": enrollment, "cohort": enrollment.cohort, "pairs": pairs}
    return render(request, "matching/my_match.html", context)
