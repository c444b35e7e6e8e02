"""The review inbox's rows, read in one statement, printed in Python and cached for each viewer:
the same check-ins as ``review_inbox``, each write the product makes shows on the next request,
no viewer is served another's rows, a cached request reads less, an unreachable cache still
serves the page."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.timesince import timesince

from goals.models import CheckIn
from goals.selectors import inbox
from goals.selectors.meetings import review_inbox
from goals.services.checkins import check_in_review, check_in_submit, check_in_update
from matching.services import match_end
from tests.conftest import make_user
from tests.goals.fixtures import make_pair
from tests.goals.test_review_inbox import INBOX, held, written
from tests.programs.fixtures import make_cohort

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


def page(client) -> str:
    response = client.get(INBOX)
    assert response.status_code == 200
    return response.content.decode()


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        page(client)
    return len(captured)


def page_for(user) -> str:
    client = Client()
    client.force_login(user)
    return page(client)


def waiting_ids(user) -> list[int]:
    """The check-ins of the inbox's one statement, by their meetings (the rows carry those)."""
    return [row[1] for row in inbox.waiting_check_ins(user)]


def expected_ids(user) -> list[int]:
    return [c.meeting_id for c in review_inbox(user)]


# --- The same check-ins as review_inbox -------------------------------------------------------


def test_the_statement_finds_what_review_inbox_finds(pair, bob, alice, charlie, program):
    newer = written(pair, days_ago=1)
    written(pair, days_ago=6)
    check_in_review(check_in=written(pair, days_ago=3), user=bob, comment="Done")
    second = make_pair(cohort=make_cohort(program=program, phase="running"), mentor=bob)
    written(second, days_ago=2)
    ended = make_pair(cohort=make_cohort(program=program, phase="running"), mentor=bob)
    written(ended, days_ago=4)
    match_end(match=ended, user=bob, reason="Moved team")
    # A check-in whose author is gone still waits (as in review_inbox), without a name.
    CheckIn.objects.filter(pk=newer.pk).update(author=None)

    assert len(expected_ids(bob)) == 3
    for person in (bob, alice, charlie):
        assert waiting_ids(person) == expected_ids(person)
    body = page_for(bob)
    assert body.count('class="card review-row"') == 3
    assert "<strong></strong>" in body  # the author-less row


def test_in_peer_programs_each_peer_reviews_the_others(program):
    program.kind = "peer"
    program.save()
    match = make_pair(cohort=make_cohort(program=program, phase="running"))
    first, second = match.mentee.person, match.mentor.person
    check_in_submit(meeting=held(match), user=second, discussed="x", usefulness=3)
    check_in_submit(meeting=held(match, days_ago=2), user=first, discussed="y", usefulness=2)
    for person in (first, second):
        assert waiting_ids(person) == expected_ids(person)
        assert len(waiting_ids(person)) == 1


def test_rows_print_as_the_template_did(pair, bob):
    check_in = written(pair, days_ago=9, usefulness=3)
    now = timezone.now()
    html = inbox.inbox_html(bob, tz_name="Asia/Tokyo", now=now)
    local = check_in.meeting.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    url = reverse("goals:meeting", args=[pair.pk, check_in.meeting_id])
    assert f'<a href="{url}#check-in"><strong>Alice Adams</strong></a>' in html
    assert f"· {pair.cohort.program.name}, {pair.cohort.name}</span>" in html
    assert (
        f'<time datetime="{local.isoformat()}">{dateformat.format(local, "D j M Y")}</time>' in html
    )
    assert "usefulness <strong>3/5</strong>" in html
    check_in.refresh_from_db()
    assert f"· written {timesince(check_in.submitted_at, now)} ago" in html


def test_names_are_escaped(pair, bob, alice):
    alice.first_name = "<b>Al</b>"
    alice.save()
    written(pair)
    body = page_for(bob)
    assert "&lt;b&gt;Al&lt;/b&gt; Adams" in body and "<b>Al</b>" not in body


# --- Writes show on the next request ----------------------------------------------------------


def test_a_new_check_in_shows(client, pair, alice, bob):
    client.force_login(bob)
    assert "Nothing is waiting for your review" in page(client)
    meeting = held(pair)
    client.force_login(alice)
    response = client.post(
        reverse("goals:check_in", args=[pair.pk, meeting.pk]),
        {"discussed": "Keynote plan", "next_steps": "", "usefulness": "5"},
    )
    assert response.status_code == 302
    client.force_login(bob)
    body = page(client)
    assert "Alice Adams" in body and "5/5" in body


def test_a_review_written_leaves_the_inbox(bob_client, pair, bob):
    check_in = written(pair)
    assert "Alice Adams" in page(bob_client)
    response = bob_client.post(
        reverse("goals:check_in_review", args=[pair.pk, check_in.meeting_id]), {"comment": "Good"}
    )
    assert response.status_code == 302
    assert "Nothing is waiting for your review" in page(bob_client)


def test_an_edited_check_in_shows(bob_client, pair, alice):
    check_in = written(pair, usefulness=2)
    assert "2/5" in page(bob_client)
    check_in_update(check_in=check_in, user=alice, discussed="More", usefulness=5)
    body = page(bob_client)
    assert "5/5" in body and "2/5" not in body


def test_a_rename_shows(bob_client, pair, alice):
    written(pair)
    assert "Alice Adams" in page(bob_client)
    alice.last_name = "Archer"
    alice.save()
    assert "Alice Archer" in page(bob_client)

    cohort = pair.cohort
    cohort.name = "Autumn cohort"
    cohort.save()
    program = cohort.program
    program.name = "Leadership mentoring"
    program.save()
    assert "Leadership mentoring, Autumn cohort" in page(bob_client)


def test_a_pair_ended_leaves_the_inbox(bob_client, pair, bob):
    written(pair)
    assert "Alice Adams" in page(bob_client)
    match_end(match=pair, user=bob, reason="Moved team")
    assert "Nothing is waiting for your review" in page(bob_client)


def test_the_waiting_time_moves_with_the_clock(pair, bob):
    written(pair, days_ago=3)
    now = timezone.now()
    first = inbox.inbox_html(bob, tz_name="UTC", now=now)
    later = inbox.inbox_html(bob, tz_name="UTC", now=now + timedelta(days=2, hours=5))
    assert "written 3\xa0days ago" in first
    assert "written 5\xa0days, 5\xa0hours ago" in later


def test_the_viewers_time_zone_shows(client, pair, bob):
    check_in = written(pair)
    client.force_login(bob)
    starts = check_in.meeting.starts_at
    assert starts.astimezone(ZoneInfo("America/New_York")).isoformat() in page(client)
    bob.timezone = "Asia/Tokyo"
    bob.save()
    assert starts.astimezone(ZoneInfo("Asia/Tokyo")).isoformat() in page(client)


# --- Per viewer, fewer queries when cached, the cache down ------------------------------------


def test_no_viewer_gets_another_viewers_rows(client, pair, other_pair, alice, bob, charlie):
    written(pair)
    charlies_mentee = other_pair.mentee.person.get_full_name()
    written(other_pair)
    client.force_login(bob)
    bobs = page(client)
    assert "Alice Adams" in bobs and charlies_mentee not in bobs
    client.force_login(charlie)
    charlies = page(client)
    assert charlies_mentee in charlies and "Alice Adams" not in charlies
    for person in (alice, make_user()):  # the mentee, an outsider: nothing, cached or not
        client.force_login(person)
        for _ in range(2):
            body = page(client)
            assert "Nothing is waiting for your review" in body
            assert "review-row" not in body and charlies_mentee not in body


def test_a_cached_request_reads_less(bob_client, pair, monkeypatch):
    for days in range(1, 6):
        written(pair, days_ago=days)
    cold = queries(bob_client)

    def no_statement(user):
        raise AssertionError("a cached inbox reads no check-in")

    monkeypatch.setattr(inbox, "waiting_check_ins", no_statement)
    warm = queries(bob_client)
    assert warm < cold
    assert page(bob_client).count('class="card review-row"') == 5


def test_the_htmx_partial_is_cached_alike(bob_client, pair):
    written(pair)
    full = page(bob_client)
    part = bob_client.get(INBOX, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in part and part.strip() in full


def test_an_unreachable_cache_still_serves_the_page(bob_client, pair):
    written(pair)
    with override_settings(CACHES=UNREACHABLE):
        assert "Alice Adams" in page(bob_client)
