from __future__ import annotations

from django.utils import timezone

from mentorship.cache_versions import DIRECTORY, PEOPLE, bump_on_commit
from people.models import User


def leavers_deactivate(*, today=None) -> int:
    """Deactivate the accounts of employees whose leaving date is today or past.

    Idempotent: only rows still active are touched, so two workers running it at once
    update each row once between them.
    """
    today = today or timezone.localdate()
    count = User.objects.filter(is_active=True, end_date__lte=today).update(is_active=False)
    if count:  # pages show who is active; a bulk write says so itself (no signals)
        bump_on_commit(DIRECTORY, PEOPLE)
    return count
