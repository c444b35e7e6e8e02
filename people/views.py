from __future__ import annotations

from django.http import HttpResponse

from people.access import hr_required


@hr_required
def directory(request):
    return HttpResponse("directory")
