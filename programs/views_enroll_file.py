"""The enrolment file in the browser: upload -> preview -> confirm, for one cohort.

The program's admins, HR and staff; everyone else gets 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from mentorship import xlsx_files
from mentorship.csv_files import (
    CsvFileRejected,
    ImportIssue,
    preview_context,
    stored_import_confirm,
    upload_declared_too_large,
)
from programs.access import get_cohort_for_manager, program_manager_required
from programs.forms_enroll_file import EnrollmentFileForm
from programs.models import Cohort
from programs.services.enroll_file import (
    COLUMNS,
    ENROLLMENT_FILE,
    LIST_SEPARATOR,
    PREVIEW_LIMIT,
    REQUIRED_COLUMNS,
    enrollment_file_preview,
    enrollment_import_apply,
    summary_text,
)

RECENT_IMPORTS = 10


@csrf_exempt  # checked in _upload, once the request is known to be small enough to read
@require_http_methods(["GET", "POST"])
@program_manager_required
def enroll_upload(request, slug: str):
    """Only managers of the cohort get their upload read at all, and only when its declared
    size is within the limit: Django reads no more of the body than that."""
    cohort = get_cohort_for_manager(request.user, slug)
    if request.method == "POST" and upload_declared_too_large(request, ENROLLMENT_FILE):
        too_large = [ENROLLMENT_FILE.too_large_issue()]
        return _render_upload(request, cohort, EnrollmentFileForm(), too_large, status=413)
    return _upload(request, cohort)


@csrf_protect
def _upload(request, cohort: Cohort):
    file_errors: list[ImportIssue] = []
    if request.method == "POST":
        form = EnrollmentFileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                enrollment_import, _plan = enrollment_file_preview(
                    cohort=cohort,
                    data=form.cleaned_data["data"],
                    filename=form.cleaned_data["file"].name,
                    user=request.user,
                )
            except CsvFileRejected as exc:
                file_errors = exc.errors
            else:
                return redirect(
                    "programs:enroll_preview", slug=cohort.slug, pk=enrollment_import.pk
                )
    else:
        form = EnrollmentFileForm()
    return _render_upload(request, cohort, form, file_errors)


def _render_upload(request, cohort: Cohort, form, file_errors: list[ImportIssue], status=200):
    recent = (
        cohort.enrollment_imports.defer("content", "report")
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")[:RECENT_IMPORTS]
    )
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "form": form,
        "file_errors": file_errors,
        "recent": recent,
        "columns": COLUMNS,
        "required_columns": REQUIRED_COLUMNS,
        "list_separator": LIST_SEPARATOR,
        "valid_roles": cohort.program.roles(),
        "topics": cohort.program.topics.all(),
        "max_bytes": ENROLLMENT_FILE.max_bytes(),
        "max_xlsx_bytes": xlsx_files.max_uncompressed_bytes(),
    }
    return render(request, "programs/enroll_file/upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@program_manager_required
def enroll_preview(request, slug: str, pk: int):
    cohort = get_cohort_for_manager(request.user, slug)
    # The file's text is not needed to show a preview.
    enrollment_import = get_object_or_404(
        cohort.enrollment_imports.defer("content").select_related("uploaded_by", "applied_by"),
        pk=pk,
    )
    if request.method == "POST":
        stored_import_confirm(
            request,
            enrollment_import,
            apply=lambda: enrollment_import_apply(
                enrollment_import=enrollment_import, user=request.user
            ),
            applied_text=lambda counts: summary_text(counts, applied=True),
            what="cohort",
        )
        return redirect("programs:enroll_preview", slug=cohort.slug, pk=enrollment_import.pk)

    context = {
        "cohort": cohort,
        "program": cohort.program,
        "enrollment_import": enrollment_import,
        "preview_limit": PREVIEW_LIMIT,
        **preview_context(request, enrollment_import, summary_text=summary_text),
    }
    return render(request, "programs/enroll_file/preview.html", context)
