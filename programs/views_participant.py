"""Participants: programs open to them, applying to a cohort, their intake, withdrawing.

Every object is looked up through a query scoped to the requesting user: a program nobody
may apply to and the user is not in, or someone else's enrollment, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from programs.access import get_enrollment_for_participant
from programs.forms_participant import ApplyForm, IntakeForm, WithdrawForm
from programs.models import Enrollment
from programs.selectors.participant import (
    get_cohort_for_applicant,
    get_program_for_participant,
    program_listing,
    program_page,
)
from programs.services.enrollment import intake_missing
from programs.services.participation import (
    AlreadyEnrolled,
    ParticipationRefused,
    apply_refused_reason,
    enrollment_apply,
    enrollment_intake_editable,
    enrollment_intake_update,
    enrollment_withdraw,
    intake_not_editable_reason,
    withdraw_refused_reason,
)


@require_GET
@login_required
def program_list(request):
    context = {"listing": program_listing(request.user)}
    return render(request, "programs/participant/program_list.html", context)


@require_GET
@login_required
def program_detail(request, slug: str):
    program = get_program_for_participant(request.user, slug)
    return _render_program(request, program)


def _render_program(request, program, *, bound: ApplyForm | None = None, status: int = 200):
    page = program_page(request.user, program)
    for item in page.cohorts:
        item.form = None
        if item.is_open and item.enrollment is None:
            if bound is not None and bound.cohort.pk == item.cohort.pk:
                item.form = bound
            else:
                item.form = ApplyForm(cohort=item.cohort)
    context = {
        "program": program,
        "page": page,
        "topics": list(program.topics.order_by("name")),
    }
    return render(request, "programs/participant/program_detail.html", context, status=status)


@require_POST
@login_required
def cohort_apply(request, slug: str):
    cohort = get_cohort_for_applicant(request.user, slug)
    program = cohort.program
    refused = apply_refused_reason(cohort=cohort, person=request.user)
    if refused:
        messages.error(request, refused)
        return redirect("programs:program_detail", slug=program.slug)
    form = ApplyForm(request.POST, cohort=cohort)
    if not form.is_valid():
        return _render_program(request, program, bound=form, status=400)
    try:
        enrollment = enrollment_apply(
            cohort=cohort,
            person=request.user,
            role=form.cleaned_data["role"],
            capacity=form.cleaned_data["capacity"],
        )
    except AlreadyEnrolled as exc:
        messages.info(request, str(exc))
        return redirect("programs:program_detail", slug=program.slug)
    except ParticipationRefused as exc:
        messages.error(request, str(exc))
        return redirect("programs:program_detail", slug=program.slug)
    messages.success(
        request,
        f"You applied to {cohort.name} as {enrollment.get_role_display().lower()}. The program "
        "admin decides on your application and you get an email; meanwhile, tell them a bit "
        "about yourself.",
    )
    return redirect("programs:intake", pk=enrollment.pk)


@require_http_methods(["GET", "POST"])
@login_required
def intake(request, pk: int):
    enrollment = get_enrollment_for_participant(request.user, pk)
    editable = enrollment_intake_editable(enrollment)
    status = 200
    form = None
    if editable and request.method == "POST":
        form = IntakeForm(request.POST, enrollment=enrollment)
        if form.is_valid():
            was_invited = enrollment.status == Enrollment.Status.INVITED
            try:
                enrollment_intake_update(enrollment=enrollment, **form.cleaned_data)
            except ParticipationRefused as exc:
                form.add_error(None, str(exc))
            else:
                missing = intake_missing(enrollment)
                if missing:
                    messages.success(
                        request,
                        f"Saved. Still missing: {get_text_list(missing, 'and')}.",
                    )
                elif was_invited and enrollment.status == Enrollment.Status.ACCEPTED:
                    messages.success(
                        request,
                        f"Saved. Your intake is complete and you have joined "
                        f"{enrollment.cohort.name}. The program admin will match you before it "
                        "starts.",
                    )
                else:
                    messages.success(request, "Saved. Your intake is complete.")
                return redirect("programs:intake", pk=enrollment.pk)
        status = 400
    elif editable:
        form = IntakeForm(enrollment=enrollment)
    elif request.method == "POST":
        status = 409  # the answers are frozen; the page says why
    context = {
        "enrollment": enrollment,
        "cohort": enrollment.cohort,
        "program": enrollment.cohort.program,
        "form": form,
        "missing": intake_missing(enrollment),
        "read_only_reason": intake_not_editable_reason(enrollment),
        "can_withdraw": not withdraw_refused_reason(enrollment),
    }
    return render(request, "programs/participant/intake.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def withdraw(request, pk: int):
    enrollment = get_enrollment_for_participant(request.user, pk)
    refused = withdraw_refused_reason(enrollment)
    status = 200
    form = None
    if refused:
        status = 409 if request.method == "POST" else 200
    elif request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                enrollment_withdraw(enrollment=enrollment, reason=form.cleaned_data["reason"])
            except ParticipationRefused as exc:
                refused, form, status = str(exc), None, 409
            else:
                messages.success(
                    request,
                    f"You withdrew from {enrollment.cohort.name}. The program admin can see "
                    "your reason.",
                )
                return redirect("home")
        else:
            status = 400
    else:
        form = WithdrawForm()
    context = {
        "enrollment": enrollment,
        "cohort": enrollment.cohort,
        "program": enrollment.cohort.program,
        "form": form,
        "refused": refused,
    }
    return render(request, "programs/participant/withdraw.html", context, status=status)
