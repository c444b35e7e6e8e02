"""Downloads of the participant-level export (HR only; everyone else gets 404)."""

from __future__ import annotations

import tempfile

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from mentorship.audit import audit_record
from people.access import hr_required
from programs.models import Program
from reports.participant_export import (
    XLSX_CONTENT_TYPE,
    csv_chunks,
    participant_rows,
    write_xlsx,
)


def _program_slug(request) -> str | None:
    """The ``program`` filter, checked to exist (404 otherwise)."""
    slug = request.GET.get("program", "").strip()
    if slug and not Program.objects.filter(slug=slug).exists():
        raise Http404
    return slug or None


def _filename(slug: str | None, extension: str) -> str:
    parts = ["participants", slug, timezone.localdate().isoformat()]
    return "-".join(p for p in parts if p) + "." + extension


@require_GET
@hr_required
def participants_csv(request):
    slug = _program_slug(request)
    response = StreamingHttpResponse(
        csv_chunks(participant_rows(program_slug=slug)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(slug, "csv")}"'
    patch_cache_control(response, private=True, no_store=True)
    _audit(request, slug=slug, fmt="csv")
    return response


@require_GET
@hr_required
def participants_xlsx(request):
    slug = _program_slug(request)
    # Written row by row to an anonymous temporary file, then streamed from disk: memory stays
    # flat whatever the number of rows. FileResponse closes (and so deletes) the file.
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
    try:
        write_xlsx(participant_rows(program_slug=slug), output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    response = FileResponse(
        output,
        as_attachment=True,
        filename=_filename(slug, "xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )
    patch_cache_control(response, private=True, no_store=True)
    _audit(request, slug=slug, fmt="xlsx")
    return response


def _audit(request, *, slug: str | None, fmt: str) -> None:
    details = {"export": "participants", "format": fmt, "program": slug or ""}
    audit_record("export_downloaded", request=request, details=details)
