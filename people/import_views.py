"""The directory import in the browser: upload -> preview -> confirm. HR and staff only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from mentorship.csv_files import (
    CsvFileRejected,
    ImportIssue,
    preview_context,
    stored_import_confirm,
    upload_declared_too_large,
)
from people.access import hr_required
from people.directory_import import (
    DIRECTORY_FILE,
    PREVIEW_LIMIT,
    directory_file_preview,
    directory_import_apply,
    summary_text,
)
from people.forms import DirectoryImportForm
from people.models import DirectoryImport

RECENT_IMPORTS = 10


def _get_import_for_user(request, pk: int) -> DirectoryImport:
    """HR is a team: every HR or staff member sees every import (the decorator let only them
    in). The file's text is not needed to show a preview, and can be megabytes."""
    return get_object_or_404(
        DirectoryImport.objects.defer("content").select_related("uploaded_by", "applied_by"),
        pk=pk,
    )


@csrf_exempt  # checked in _upload, once the request is known to be small enough to read
@require_http_methods(["GET", "POST"])
@hr_required
def import_upload(request):
    """Only HR and staff get their upload read at all, and only when its declared size is
    within the limit: Django reads no more of the body than that."""
    if request.method == "POST" and upload_declared_too_large(request, DIRECTORY_FILE):
        too_large = [DIRECTORY_FILE.too_large_issue()]
        return _render_upload(request, DirectoryImportForm(), too_large, status=413)
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
            except CsvFileRejected as exc:
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
        stored_import_confirm(
            request,
            directory_import,
            apply=lambda: directory_import_apply(
                directory_import=directory_import, user=request.user
            ),
            applied_text=lambda counts: f"Directory imported. {summary_text(counts, applied=True)}",
            what="directory",
        )
        return redirect("people:import_preview", pk=directory_import.pk)

    context = {
        "directory_import": directory_import,
        "preview_limit": PREVIEW_LIMIT,
        **preview_context(request, directory_import, summary_text=summary_text),
    }
    return render(request, "people/import_preview.html", context)
