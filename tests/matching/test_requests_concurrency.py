"""Two mentees' requests for a mentor's last place, accepted at the same moment: exactly one
match, enforced by the database (the mentor's row is locked while places are counted)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from matching.models import Match, MentorRequest
from matching.requests import NoPlaceLeft, mentor_request_accept, mentor_requests_submit
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def emails_in_process(settings):
    """These transactions commit: the request emails they queue run here, not on a broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _race(calls):
    """Run each call in its own thread (its own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(k, call):
        try:
            barrier.wait(timeout=10)
            results[k] = call()
        except Exception as exc:  # the loser's outcome is part of what we check
            results[k] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k, c)) for k, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_accepts_for_the_last_place_make_exactly_one_match(round_):
    program = make_program()
    cohort = make_cohort(program=program, phase="closed", matching_mode="both")
    mentor = make_enrollment(
        cohort=cohort, person=make_user(level=5), role="mentor", capacity=1, languages=["English"]
    )
    mentees = [
        make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
        for _ in range(2)
    ]
    requests = [mentor_requests_submit(mentee=m, mentor_ids=[mentor.pk])[0] for m in mentees]
    assert all(r.status == "pending" for r in requests)

    results = _race(
        [lambda r=r: mentor_request_accept(mentor=mentor, request_id=r.pk) for r in requests]
    )

    won = [r for r in results if isinstance(r, Match)]
    lost = [r for r in results if not isinstance(r, Match)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], NoPlaceLeft), lost[0]
    assert "no place left" in str(lost[0])
    assert Match.objects.filter(mentor=mentor).count() == 1
    winner = won[0].mentee_id
    loser = next(m.pk for m in mentees if m.pk != winner)
    assert MentorRequest.objects.get(mentee_id=winner).status == "accepted"
    losing = MentorRequest.objects.get(mentee_id=loser)
    assert losing.status == "declined"
    assert losing.outcome == "The mentor's places are all taken."
