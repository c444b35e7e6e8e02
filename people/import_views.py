"""The directory import in the browser: upload -> preview -> confirm. HR and staff only."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from people.access import hr_required
from people.directory_import import (
    PREVIEW_LIMIT,
    DirectoryFileRejected,
    DirectoryImportAlreadyApplied,
    ImportIssue,
    directory_file_preview,
    directory_import_apply,
    max_bytes,
    summary_text,
    too_large_issue,
)
from people.forms import DirectoryImportForm
from people.models import DirectoryImport

ERRORS_PAGE_SIZE = 200
RECENT_IMPORTS = 10


def _get_import_for_user(request, pk: int) -> DirectoryImport:
    """HR is a team: every HR or staff member sees every import (the decorator let only them
    in). The file's text is not needed to show a preview, and can be megabytes."""
    return get_object_or_404(
        DirectoryImport.objects.defer("content").select_related("uploaded_by", "applied_by"),
        pk=pk,
    )


# Room for the multipart framing and the CSRF token around the file itself.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


@csrf_exempt  # checked in _upload, once the request is known to be small enough to read
@require_http_methods(["GET", "POST"])
@hr_required
def import_upload(request):
    """Only HR and staff get their upload read at all, and only when its declared size is
    within the limit: Django reads no more of the body than that."""
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_bytes() + UPLOAD_OVERHEAD_BYTES:
            return _render_upload(
                request, DirectoryImportForm(), [too_large_issue(max_bytes())], status=413
            )
    return _upload(request)


@csrf_protect
def _upload(request):
    file_errors: list[ImportIssue] = []
    if request.method == "POST":
        form = DirectoryImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                directory_import, _plan = directory_file_preview(
                    data=form.cleaned_data["data"],
                    filename=form.cleaned_data["file"].name,
                    user=request.user,
                )
            except DirectoryFileRejected as exc:
                file_errors = exc.errors
            else:
                return redirect("people:import_preview", pk=directory_import.pk)
    else:
        form = DirectoryImportForm()
    return _render_upload(request, form, file_errors)


def _render_upload(request, form, file_errors: list[ImportIssue], status: int = 200):
    recent = DirectoryImport.objects.defer("content", "report").select_related("uploaded_by")[
        :RECENT_IMPORTS
    ]
    context = {"form": form, "file_errors": file_errors, "recent": recent}
    return render(request, "people/import_upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@hr_required
def import_preview(request, pk: int):
    directory_import = _get_import_for_user(request, pk)
    if request.method == "POST":
        return _confirm(request, directory_import)

    report = directory_import.report or {}
    summary = directory_import.summary or {}
    errors = Paginator(report.get("errors", []), ERRORS_PAGE_SIZE)
    context = {
        "directory_import": directory_import,
        "summary": summary,
        "summary_text": summary_text(summary, applied=directory_import.is_applied),
        "report": report,
        "errors_page": errors.get_page(request.GET.get("errors_page")),
        "error_count": errors.count,
        "preview_limit": PREVIEW_LIMIT,
        "can_confirm": directory_import.status == DirectoryImport.Status.PREVIEWED,
    }
    return render(request, "people/import_preview.html", context)


def _confirm(request, directory_import: DirectoryImport):
    if directory_import.is_applied:
        messages.info(request, "This file has already been imported; it cannot be applied again.")
        return redirect("people:import_preview", pk=directory_import.pk)
    if directory_import.status == DirectoryImport.Status.FAILED:
        messages.error(request, "This file has errors. Fix them and upload it again.")
        return redirect("people:import_preview", pk=directory_import.pk)
    try:
        result = directory_import_apply(directory_import=directory_import, user=request.user)
    except DirectoryImportAlreadyApplied:
        messages.info(request, "This file has already been imported; it cannot be applied again.")
        return redirect("people:import_preview", pk=directory_import.pk)
    if result.applied:
        messages.success(
            request, f"Directory imported. {summary_text(result.counts, applied=True)}"
        )
    elif result.stale:
        messages.warning(
            request,
            "The directory changed since this preview, so the changes below are different "
            "now. Nothing was written: review them and confirm again.",
        )
    else:
        count = len(result.errors)
        detail = (
            str(result.errors[0])
            if count == 1
            else f"checked against the directory as it is now, the file has {count} errors."
        )
        messages.error(request, f"Nothing was written: {detail}")
    return redirect("people:import_preview", pk=directory_import.pk)
