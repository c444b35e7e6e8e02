"""The Django side of matching: a cohort's pool as arrays, runs, drafts, publishing, ending."""

from __future__ import annotations

import csv
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from matching.models import Match, MatchRun, PairRule
from matching.pool import FORMAT_EITHER, FORMAT_REMOTE, FORMAT_UNKNOWN
from matching.services import (
    MatchingRefused,
    match_end,
    match_run_execute,
    matches_publish,
    pool_load,
)
from programs.models import Topic
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def person(**extra):
    extra.setdefault("department", "Engineering")
    extra.setdefault("timezone", "Europe/Berlin")
    extra.setdefault("location", "Berlin")
    return make_user(**extra)


def enrol(cohort, role, *, topics=(), languages=("English",), fmt="either", **person_extra):
    e = make_enrollment(
        cohort=cohort,
        person=person(**person_extra),
        role=role,
        status="accepted",
        languages=list(languages),
        preferred_format=fmt,
    )
    picked = Topic.objects.filter(program=cohort.program, name__in=topics)
    (e.topics_offered if role == "mentor" else e.topics_sought).set(picked)
    return e


@pytest.fixture
def pool_cohort(program):
    return make_cohort(program=program, phase="closed", slug="eng-pool")


def test_pool_holds_accepted_people_and_mentors_with_room(pool_cohort):
    mentee = enrol(pool_cohort, "mentee", topics=["Leadership"], level=2)
    mentor = enrol(pool_cohort, "mentor", topics=["Leadership", "System design"], level=5)
    full = enrol(pool_cohort, "mentor", level=6)
    full.capacity = 1
    full.save()
    busy = enrol(pool_cohort, "mentee")
    Match.objects.create(cohort=pool_cohort, mentee=busy, mentor=full, status="active")
    make_enrollment(cohort=pool_cohort, role="mentee", status="invited")  # not accepted yet

    loaded = pool_load(cohort=pool_cohort)
    assert [e.pk for e in loaded.mentees] == [mentee.pk]
    assert [e.pk for e in loaded.mentors] == [mentor.pk]  # the full mentor has no room
    pool = loaded.pool
    assert pool.capacity.tolist() == [mentor.capacity]
    assert pool.mentee_level.tolist() == [2.0] and pool.mentor_level.tolist() == [5.0]
    assert pool.mentee_sought.sum() == 1 and pool.mentor_offered.sum() == 2
    assert (pool.mentee_sought & pool.mentor_offered).sum() == 1


def test_unknown_values_never_look_equal(pool_cohort):
    enrol(pool_cohort, "mentee", department="", location="", timezone="", languages=(), fmt="")
    enrol(pool_cohort, "mentor", department="", location="", timezone="Mars/Base", level=None)
    pool = pool_load(cohort=pool_cohort).pool
    assert pool.mentee_department[0] == -1 and pool.mentor_department[0] == -1
    assert np.isnan(pool.mentee_utc_offset[0]) and np.isnan(pool.mentor_utc_offset[0])
    assert np.isnan(pool.mentor_level[0])
    assert pool.mentee_format[0] == FORMAT_UNKNOWN and pool.mentor_format[0] == FORMAT_EITHER
    assert not pool.mentee_languages.any()


def test_departments_locations_and_languages_compare_without_case(pool_cohort):
    enrol(pool_cohort, "mentee", department="Sales ", languages=("german",), fmt="remote")
    enrol(pool_cohort, "mentor", department="sales", languages=("German", "English"))
    pool = pool_load(cohort=pool_cohort).pool
    assert pool.mentee_department[0] == pool.mentor_department[0]
    assert (pool.mentee_languages[0] & pool.mentor_languages[0]).sum() == 1
    assert pool.mentee_format[0] == FORMAT_REMOTE
    assert pool.mentee_utc_offset[0] == pool.mentor_utc_offset[0]


def test_management_chain_pairs_cover_every_level_and_both_directions(pool_cohort):
    boss = person()
    middle = person(manager=boss)
    mentee = enrol(pool_cohort, "mentee", manager=middle)
    grand_boss_mentor = make_enrollment(
        cohort=pool_cohort, person=boss, role="mentor", status="accepted"
    )
    stranger = enrol(pool_cohort, "mentor")
    report_mentee = enrol(pool_cohort, "mentee", manager=stranger.person)
    loaded = pool_load(cohort=pool_cohort)
    i = {e.pk: k for k, e in enumerate(loaded.mentees)}
    j = {e.pk: k for k, e in enumerate(loaded.mentors)}
    assert set(loaded.pool.chain_pairs) == {
        (i[mentee.pk], j[grand_boss_mentor.pk]),
        (i[report_mentee.pk], j[stranger.pk]),
    }


def test_pairs_from_an_earlier_cohort_of_the_program_are_known(program, pool_cohort):
    earlier = make_cohort(program=program, phase="completed", slug="eng-earlier")
    mentee = enrol(pool_cohort, "mentee")
    mentor = enrol(pool_cohort, "mentor")
    old_mentee = make_enrollment(cohort=earlier, person=mentee.person, status="completed")
    old_mentor = make_enrollment(
        cohort=earlier, person=mentor.person, role="mentor", status="completed"
    )
    Match.objects.create(cohort=earlier, mentee=old_mentee, mentor=old_mentor, status="ended")
    assert pool_load(cohort=pool_cohort).pool.previous_pairs == [(0, 0)]


def test_admin_locks_and_exclusions_reach_the_pool(pool_cohort):
    a, b = enrol(pool_cohort, "mentee"), enrol(pool_cohort, "mentee")
    m = enrol(pool_cohort, "mentor")
    PairRule.objects.create(cohort=pool_cohort, mentee=a, mentor=m, kind="lock")
    PairRule.objects.create(cohort=pool_cohort, mentee=b, mentor=m, kind="exclude")
    pool = pool_load(cohort=pool_cohort).pool
    assert pool.locked_pairs == [(0, 0)] and pool.excluded_pairs == [(1, 0)]


# --- Runs, drafts, publishing (these run the real engine) -----------------------------------


def test_a_run_stores_drafts_with_scores_and_reasons_and_a_rerun_replaces_them(pool_cohort):
    mentees = [enrol(pool_cohort, "mentee", topics=["Leadership"], level=2) for _ in range(3)]
    enrol(pool_cohort, "mentor", topics=["Leadership"], level=5, department="Sales")
    run = match_run_execute(cohort=pool_cohort, user=None)
    assert run.status == MatchRun.Status.DONE and run.optimal
    drafts = list(Match.objects.filter(cohort=pool_cohort, status="proposed"))
    assert len(drafts) == 2  # the mentor's default capacity
    assert all(0 < d.score <= 100 and d.reasons for d in drafts)
    assert abs(sum(drafts[0].breakdown.values()) - drafts[0].score) < 0.1
    [(unmatched_id, reason)] = run.unmatched.items()
    assert int(unmatched_id) in {m.pk for m in mentees} and reason

    second = match_run_execute(cohort=pool_cohort, user=None)
    assert Match.objects.filter(cohort=pool_cohort, status="proposed").count() == 2
    assert set(Match.objects.filter(cohort=pool_cohort).values_list("run", flat=True)) == {
        second.pk
    }


def test_locked_pairs_stay_and_excluded_pairs_never_appear(pool_cohort):
    mentee = enrol(pool_cohort, "mentee", topics=["Leadership"], level=2)
    good = enrol(pool_cohort, "mentor", topics=["Leadership"], level=4, department="Sales")
    poor = enrol(pool_cohort, "mentor", level=9)
    PairRule.objects.create(cohort=pool_cohort, mentee=mentee, mentor=poor, kind="lock")
    match_run_execute(cohort=pool_cohort, user=None)
    assert Match.objects.get(mentee=mentee).mentor == poor

    PairRule.objects.all().delete()
    PairRule.objects.create(cohort=pool_cohort, mentee=mentee, mentor=good, kind="exclude")
    match_run_execute(cohort=pool_cohort, user=None)
    assert Match.objects.get(mentee=mentee).mentor == poor


def test_publishing_activates_drafts_and_tells_both_sides_once(
    pool_cohort, program_admin, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mentee = enrol(pool_cohort, "mentee", level=2)
    mentor = enrol(pool_cohort, "mentor", level=5)
    match_run_execute(cohort=pool_cohort, user=program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        matches_publish(cohort=pool_cohort, user=program_admin)
    match = Match.objects.get(mentee=mentee)
    assert match.status == "active" and match.published_by == program_admin
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentee.person.email, mentor.person.email])
    from mentorship import outbox
    from mentorship.models import Notification

    rows = Notification.objects.filter(kind="match_published", subject_id=match.pk)
    assert sorted(rows.values_list("recipient_id", "status")) == sorted(
        [(mentee.person_id, "sent"), (mentor.person_id, "sent")]
    )
    for row in rows:
        assert outbox.notification_send(notification_id=row.pk) == ""  # already sent
    assert len(mailoutbox) == 2
    with pytest.raises(MatchingRefused):
        matches_publish(cohort=pool_cohort, user=program_admin)  # no drafts left


def test_active_matches_leave_the_pool_and_survive_reruns(pool_cohort, program_admin):
    mentee = enrol(pool_cohort, "mentee", level=2)
    enrol(pool_cohort, "mentor", level=5)
    match_run_execute(cohort=pool_cohort, user=None)
    matches_publish(cohort=pool_cohort, user=program_admin)
    match_run_execute(cohort=pool_cohort, user=None)
    assert Match.objects.get(mentee=mentee).status == "active"


def test_ending_a_match_needs_a_reason_and_returns_the_mentee_to_the_pool(
    pool_cohort, program_admin
):
    mentee = enrol(pool_cohort, "mentee", level=2)
    enrol(pool_cohort, "mentor", level=5)
    match_run_execute(cohort=pool_cohort, user=None)
    matches_publish(cohort=pool_cohort, user=program_admin)
    match = Match.objects.get(mentee=mentee)
    with pytest.raises(MatchingRefused):
        match_end(match=match, user=program_admin, reason="  ")
    match_end(match=match, user=program_admin, reason="Schedules never fit.")
    assert match.status == "ended" and match.end_reason == "Schedules never fit."
    assert [e.pk for e in pool_load(cohort=pool_cohort).mentees] == [mentee.pk]
    with pytest.raises(MatchingRefused):
        match_end(match=match, user=program_admin, reason="again")


def test_peer_programs_pair_participants_among_themselves(program_admin):
    program = make_program(admins=[program_admin], kind="peer", slug="peers")
    cohort = make_cohort(program=program, phase="closed", slug="peers-1")
    peers = [enrol(cohort, "peer", level=3) for _ in range(5)]
    run = match_run_execute(cohort=cohort, user=None)
    drafts = Match.objects.filter(cohort=cohort)
    assert drafts.count() == 2
    paired = [d.mentee_id for d in drafts] + [d.mentor_id for d in drafts]
    assert len(set(paired)) == 4 and set(paired) <= {p.pk for p in peers}
    assert len(run.unmatched) == 1


def test_match_command_reports_writes_csv_and_publishes(
    pool_cohort, tmp_path, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    enrol(pool_cohort, "mentee", level=2, email="=cmd@example.com")
    enrol(pool_cohort, "mentee", level=2)
    mentor = enrol(pool_cohort, "mentor", level=5)
    mentor.capacity = 1
    mentor.save()
    output = tmp_path / "matches.csv"
    out = StringIO()
    call_command("match", pool_cohort.slug, "--output", str(output), stdout=out)
    assert "Matched 1 of 2 mentees (50%)" in out.getvalue()
    assert "Unmatched enrollment" in out.getvalue()
    rows = list(csv.reader(output.open()))
    assert rows[0] == ["mentee_email", "mentor_email", "score", "reasons"]
    assert len(rows) == 3 and any(r[1] == "" and r[3] for r in rows[1:])
    assert all(not cell.startswith("=") for row in rows for cell in row)

    call_command("match", pool_cohort.slug, "--publish", stdout=StringIO())
    assert Match.objects.filter(cohort=pool_cohort, status="active").count() == 1


def test_match_command_refuses_an_unknown_cohort():
    with pytest.raises(CommandError, match="No cohort"):
        call_command("match", "no-such-cohort", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_large_pool_is_matched_by_a_real_worker_and_the_board_sees_it_running(
    pool_cohort, celery_worker_queue, monkeypatch
):
    from matching import services
    from matching.tasks import run_matching
    from tests.conftest import wait_until

    monkeypatch.setattr(services, "SYNCHRONOUS_POOL_LIMIT", 0)
    monkeypatch.setattr(
        run_matching,
        "delay",
        lambda run_id: run_matching.apply_async((run_id,), queue=celery_worker_queue),
    )
    enrol(pool_cohort, "mentee", level=2)
    enrol(pool_cohort, "mentor", level=5)
    run = services.match_run_start(cohort=pool_cohort, user=None)
    assert run.status == MatchRun.Status.RUNNING  # the board polls this row
    wait_until(
        lambda: MatchRun.objects.get(pk=run.pk).status == MatchRun.Status.DONE,
        message="the worker to finish the run",
    )
    assert Match.objects.filter(cohort=pool_cohort, status="proposed", run=run).count() == 1


def test_open_self_select_requests_rank_the_mentees_mentors(pool_cohort):
    from matching.models import MentorRequest

    mentee = enrol(pool_cohort, "mentee")
    first, second = enrol(pool_cohort, "mentor"), enrol(pool_cohort, "mentor")
    enrol(pool_cohort, "mentor")
    common = {"cohort": pool_cohort, "mentee": mentee}
    MentorRequest.objects.create(
        **common, mentor=second, rank=1, status="pending", expires_at=timezone.now()
    )
    MentorRequest.objects.create(**common, mentor=first, rank=2, status="queued")
    pool = pool_load(cohort=pool_cohort).pool
    assert pool.rankings == {0: [1, 0]}
