"""Review: the cohort dashboard's cached content prints its program's name (and links by its
slug), read with the cohort before the versions are taken. A rename committed in between must
not stay cached under the new versions: what the page prints of the program is in the key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs import dashboard
from programs.models import Cohort
from programs.selectors.cohort import ParticipantFilters
from programs.services.programs import program_update

pytestmark = pytest.mark.django_db


def test_a_program_renamed_between_the_cohort_read_and_the_versions_shows(admin_client, cohort):
    # A request reads the cohort and its program (get_cohort_for_manager)...
    seen = Cohort.objects.select_related("program").get(pk=cohort.pk)
    # ...a rename commits and bumps...
    program = cohort.program
    program_update(
        program=program,
        name="Renamed Mentorship",
        description=program.description,
        kind=program.kind,
    )
    # ...and the request takes the versions and caches what it rendered from the old name.
    stamp = dashboard.dashboard_versions(seen)
    dashboard.content_fragment(
        seen, stamp, filters=ParticipantFilters(), query="", page_number=None
    )

    body = admin_client.get(reverse("programs:cohort_dashboard", args=[cohort.slug]))
    # The breadcrumb above the cohort's menu (in the cached content; the title is not).
    assert ">Renamed Mentorship</a> &rsaquo;" in body.content.decode()
