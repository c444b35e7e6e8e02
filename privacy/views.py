"""The data rights page of one person (HR and staff; everyone else gets 404)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from people.access import hr_required
from people.models import User
from privacy.forms import EraseForm, ExportForm
from privacy.selectors import person_holdings
from privacy.services import (
    ErasureRefused,
    erasure_refusal,
    export_filename,
    person_erase,
    person_export,
)


def _render(request, person: User, *, export_form=None, erase_form=None, status: int = 200):
    context = {
        "person": person,
        "holdings": person_holdings(person),
        "refusal": erasure_refusal(person, by=request.user),
        "export_form": export_form or ExportForm(prefix="export"),
        "erase_form": erase_form or EraseForm(prefix="erase", person=person),
    }
    return render(request, "privacy/person.html", context, status=status)


@require_GET
@hr_required
def person(request, pk: int):
    return _render(request, get_object_or_404(User, pk=pk))


@require_POST
@hr_required
def person_export_download(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    form = ExportForm(request.POST, prefix="export")
    if not form.is_valid():
        return _render(request, person, export_form=form, status=400)
    output = person_export(person=person, by=request.user, reason=form.cleaned_data["reason"])
    response = FileResponse(
        output,
        as_attachment=True,
        filename=export_filename(person),
        content_type="application/zip",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_POST
@hr_required
def person_erase_confirm(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    form = EraseForm(request.POST, prefix="erase", person=person)
    refusal = erasure_refusal(person, by=request.user)
    if refusal:
        form.is_valid()
        form.add_error(None, refusal)
    if form.is_valid():
        try:
            person_erase(
                person=person,
                by=request.user,
                reason=form.cleaned_data["reason"],
                confirmation=form.cleaned_data["confirmation"],
            )
        except ErasureRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Erased. The person's name, contact details, sign-in and everything they wrote "
                "are gone; the records the reports count are kept, anonymised.",
            )
            return redirect("privacy:person", pk=person.pk)
    return _render(request, person, erase_form=form, status=400)
