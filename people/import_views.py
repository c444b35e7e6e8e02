from __future__ import annotations

from django.http import HttpResponse

from people.access import hr_required


@hr_required
def import_upload(request):
    return HttpResponse("upload")


@hr_required
def import_preview(request, pk: int):
    return HttpResponse("preview")
