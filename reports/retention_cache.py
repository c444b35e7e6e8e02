"""The retention reports, kept in the cache (Redis) until the directory or a program's
participation changes.

Keyed by the scope (the programs, whether the all-programs report is included), the as-of date
and the versions of the data they are computed from (``mentorship.cache_versions``: the
directory, and programs / cohorts / enrolments / matches). The apps that own that data bump
the versions after every change (their services for bulk writes, their signal receivers for
single rows), so an entry is never read after a change that could alter it; nothing here
deletes anything. The versions are read before the database, so what is stored under them
never predates them (see ``mentorship.cache_versions``).

The page, its CSV and ``manage.py export_retention`` all read through here, so they show the
same figures and the CSV and the command keep giving the same bytes. If the cache cannot be
reached the reports are computed as if nothing were cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from mentorship.cache_versions import DIRECTORY, PARTICIPATION, cached, versions
from reports.retention import RetentionReport, retention_reports

# Entries are unreachable as soon as the data changes; this only bounds how long an
# unreachable one (or one for a past as-of date nobody asks for again) takes up memory.
CACHE_SECONDS = 24 * 60 * 60


def cache_key(stamp: tuple[int, ...], as_of: date, program_ids, include_all: bool) -> str:
    programs = "all" if program_ids is None else ",".join(map(str, sorted(set(program_ids))))
    data = ".".join(map(str, stamp))
    return f"retention:{data}:{as_of.isoformat()}:{programs}:{int(include_all)}"


def cached_retention_reports(
    *, as_of: date, program_ids: Iterable[int] | None = None, include_all: bool | None = None
) -> list[RetentionReport]:
    """``reports.retention.retention_reports``, from the cache when nothing changed since."""
    program_ids = None if program_ids is None else list(program_ids)
    if include_all is None:
        include_all = program_ids is None
    return cached(
        # The versions are taken before any query: see mentorship.cache_versions.
        lambda: cache_key(versions(DIRECTORY, PARTICIPATION), as_of, program_ids, include_all),
        lambda: retention_reports(as_of=as_of, program_ids=program_ids, include_all=include_all),
        timeout=CACHE_SECONDS,
        what="retention",
    )
