"""The review inbox: the check-ins waiting for a person's review, as the rows of its page.

``goals.selectors.meetings.review_inbox`` says which check-ins wait (the mentor reviews in
one-to-one programs, the other peer in peer programs, never the author, active pairs only);
this module reads the same ones in a single SQL statement and prints them, and caches the
printed rows for each viewer.

Built for a mentor with dozens of waiting check-ins at 50k employees: the two ORM queries
cost more to compile than to run, and the template's loop over the rows (nine variables a
row), ``dateformat`` and ``timesince`` were most of the rest. The rows are printed here in
Python, the SQL is one constant statement, and the printed rows are cached under the versions
of everything they show. The only part that moves with the clock, how long each check-in has
waited ("6 days, 3 hours"), is left out of the cached HTML and filled in on every request, so
no clock bucket is needed in the key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language

from goals.cache_invalidation import PAIR_ACTIVITY
from matching.models import Match
from mentorship.cache_versions import PARTICIPATION, PEOPLE, cached, fragment_key, versions
from programs.models import Program

# The person's active pairs where they review (a mentor's, and in peer programs both
# peers'), found from their own enrolments by index, then each pair's check-ins waiting for
# a review (a partial index), the meeting and the author. One statement: the pairs are few
# and PostgreSQL knows it from the enrolments' index (filtering on the person through the
# joins of every active pair instead read all of them). ``IS DISTINCT FROM``: a check-in whose
# author was deleted still waits, as in ``review_inbox``.
WAITING_SQL = """
WITH mine AS (SELECT id FROM programs_enrollment WHERE person_id = %(person)s),
pairs AS (
    SELECT m.id, c.name AS cohort, p.name AS program
    FROM matching_match m
    JOIN programs_cohort c ON c.id = m.cohort_id
    JOIN programs_program p ON p.id = c.program_id
    WHERE m.status = %(active)s AND m.mentor_id IN (SELECT id FROM mine)
    UNION
    SELECT m.id, c.name, p.name
    FROM matching_match m
    JOIN programs_cohort c ON c.id = m.cohort_id
    JOIN programs_program p ON p.id = c.program_id
    WHERE m.status = %(active)s AND p.kind = %(peer)s AND m.mentee_id IN (SELECT id FROM mine)
)
SELECT ci.match_id, ci.meeting_id, mt.starts_at, ci.submitted_at, ci.usefulness,
       u.first_name, u.last_name, pairs.cohort, pairs.program
FROM pairs
JOIN goals_checkin ci ON ci.match_id = pairs.id
JOIN goals_meeting mt ON mt.id = ci.meeting_id
LEFT JOIN people_user u ON u.id = ci.author_id
WHERE ci.reviewed_at IS NULL AND ci.author_id IS DISTINCT FROM %(person)s
ORDER BY ci.submitted_at, ci.id
"""

# One row, as the template's loop printed it, up to the time it has waited (filled in on every
# request) and after it.
ROW_HEAD = (
    '  <li class="card review-row">\n'
    '    <a href="{url}#check-in"><strong>{author}</strong></a>\n'
    '    <span class="muted">· {program}, {cohort}</span><br>\n'
    '    Meeting of <time datetime="{iso}">{on}</time>\n'
    "    · usefulness <strong>{usefulness}/5</strong>\n"
    "    · written "
)
ROW_TAIL = (
    ' ago\n    <br><a class="button secondary" href="{url}#check-in">Read and review</a>\n  </li>\n'
)

# Versions of everything the rows show: check-ins, their reviews and meetings (pair
# activity), the authors' names (people), the pairs, cohorts and programs (participation).
# Nothing in the cached part moves with the clock; the timeout only bounds what an
# unannounced write (a raw SQL update) could leave stale.
INBOX_CACHE_SECONDS = 10 * 60


def waiting_check_ins(user) -> list[tuple]:
    """``(match_id, meeting_id, meeting starts_at, submitted_at, usefulness, author's first
    and last name, cohort, program)`` of each check-in waiting for ``user``'s review, oldest
    first: the check-ins of ``review_inbox(user)``, in one query."""
    if not user.is_authenticated:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            WAITING_SQL,
            {"person": user.pk, "active": Match.Status.ACTIVE, "peer": Program.Kind.PEER},
        )
        return cursor.fetchall()


def _day_format() -> Callable[[datetime], str]:
    """``dateformat.format(d, "D j M Y")`` ("Sun 22 Nov 2026") in the active language, with the
    names translated once rather than once a row."""
    days = [str(WEEKDAYS_ABBR[i]) for i in range(7)]
    months = {i: str(MONTHS_3[i]).title() for i in range(1, 13)}
    return lambda d: f"{days[d.weekday()]} {d.day} {months[d.month]} {d.year:04d}"


def inbox_rows(user, *, tz_name: str) -> list[tuple[str, datetime, str]]:
    """Each waiting check-in's row printed but for its waiting time: the HTML before it, when
    the check-in was written, the HTML after it."""
    tz = ZoneInfo(tz_name)
    day = _day_format()
    pair_urls: dict[int, str] = {}  # one reverse() a pair, not one a row
    rows = []
    for (
        match_id,
        meeting_id,
        starts_at,
        submitted_at,
        usefulness,
        first_name,
        last_name,
        cohort,
        program,
    ) in waiting_check_ins(user):
        if match_id not in pair_urls:
            pair_urls[match_id] = reverse("goals:meeting_list", args=[match_id])
        url = escape(f"{pair_urls[match_id]}{meeting_id}/")
        starts = starts_at.astimezone(tz)
        # As User.get_full_name; nothing for an author deleted since.
        author = f"{first_name} {last_name}".strip() if first_name is not None else ""
        head = ROW_HEAD.format(
            url=url,
            author=escape(author),
            program=escape(program),
            cohort=escape(cohort),
            iso=escape(starts.isoformat()),
            on=escape(day(starts)),
            usefulness=usefulness,
        )
        rows.append((head, submitted_at, ROW_TAIL.format(url=url)))
    return rows


class _Counted:
    """A unit of ``timesince`` ("%(num)d days") translated once for each count a request."""

    __slots__ = ("done", "text")

    def __init__(self, text):
        self.text = text
        self.done: dict[int, str] = {}

    def __mod__(self, values: dict) -> str:
        num = values["num"]
        found = self.done.get(num)
        if found is None:
            found = self.done[num] = self.text % values
        return found


def _waited(now: datetime) -> Callable[[datetime], str]:
    """``timesince(d, now)``, its unit strings translated once a request rather than a row."""
    units = {name: _Counted(text) for name, text in TIME_STRINGS.items()}
    return lambda d: timesince(d, now, time_strings=units)


def _cache_key(user, tz_name: str) -> str:
    stamp = versions(PAIR_ACTIVITY, PEOPLE, PARTICIPATION)  # before the database
    # Dates are printed in the viewer's time zone; none is relative to today.
    return fragment_key("review-inbox", stamp, user.pk, tz_name, get_language())


def inbox_html(user, *, tz_name: str, now: datetime | None = None) -> SafeString:
    """The inbox's rows (``<li>`` items, oldest first) as HTML, empty when nothing waits.

    The rows but their waiting times are cached for the viewer, under the versions of pair
    activity (a check-in written, edited, reviewed or deleted, a meeting moved), people (the
    authors' names) and participation (a pair ended or moved, a cohort or program renamed),
    the time zone and the language. The waiting times are computed on every request.
    """
    rows = cached(
        lambda: _cache_key(user, tz_name),
        lambda: inbox_rows(user, tz_name=tz_name),
        timeout=INBOX_CACHE_SECONDS,
        what="review inbox",
    )
    waited = _waited(now or timezone.now())
    return mark_safe(  # noqa: S308 (every value is escaped in inbox_rows and here)
        "".join(f"{head}{escape(waited(at))}{tail}" for head, at, tail in rows)
    )
