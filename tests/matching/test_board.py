"""The matching board: run, review, lock, exclude, publish, end; only the cohort's managers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.models import Match, MatchRun, PairRule
from tests.conftest import activate_totp, make_user
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(program):
    cohort = make_cohort(program=program, phase="closed", slug="eng-board")
    mentees = [
        make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
        for _ in range(3)
    ]
    mentors = [
        make_enrollment(
            cohort=cohort, person=make_user(level=5), role="mentor", languages=["English"]
        )
        for _ in range(2)
    ]
    return cohort, mentees, mentors


def url(name, cohort, **kwargs):
    return reverse(f"matching:{name}", kwargs={"slug": cohort.slug, **kwargs})


def test_admin_runs_matching_and_sees_proposals_with_reasons(admin_client, pool):
    cohort, mentees, _ = pool
    response = admin_client.post(url("run", cohort))
    assert response.status_code == 302
    page = admin_client.get(url("board", cohort))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Proposals (3)" in body and "Publish 3 proposals" in body
    assert all(m.person.get_full_name() in body for m in mentees)
    assert "Who can see this page" in body


def test_lock_and_exclude_shape_the_next_run(admin_client, pool):
    cohort, mentees, mentors = pool
    admin_client.post(url("run", cohort))
    first = Match.objects.get(mentee=mentees[0])
    other = next(m for m in mentors if m != first.mentor)
    data = {"mentee": mentees[0].pk, "mentor": other.pk}
    admin_client.post(url("pair", cohort), {**data, "action": "lock"})
    admin_client.post(url("run", cohort))
    assert Match.objects.get(mentee=mentees[0]).mentor == other

    admin_client.post(url("pair", cohort), {**data, "action": "exclude"})
    assert PairRule.objects.get(mentee=mentees[0]).kind == "exclude"
    admin_client.post(url("run", cohort))
    assert Match.objects.get(mentee=mentees[0]).mentor != other

    admin_client.post(url("pair", cohort), {**data, "action": "clear"})
    assert not PairRule.objects.exists()


def test_publish_then_end_with_a_reason(admin_client, pool, mailoutbox, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cohort, mentees, _ = pool
    admin_client.post(url("run", cohort))
    admin_client.post(url("publish", cohort))
    assert Match.objects.filter(cohort=cohort, status="active").count() == 3
    match = Match.objects.get(mentee=mentees[0])
    response = admin_client.post(url("end", cohort, pk=match.pk), {"reason": ""})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == "active"  # a reason is required
    admin_client.post(url("end", cohort, pk=match.pk), {"reason": "Moved to another team"})
    match.refresh_from_db()
    assert match.status == "ended" and match.end_reason == "Moved to another team"


def test_publishing_with_no_drafts_says_so(admin_client, pool):
    cohort, _, _ = pool
    response = admin_client.post(url("publish", cohort), follow=True)
    assert "no proposals to publish" in response.content.decode()


def test_a_pair_from_another_cohort_is_404(admin_client, pool, program):
    cohort, mentees, _ = pool
    elsewhere = make_enrollment(cohort=make_cohort(program=program), role="mentor")
    response = admin_client.post(
        url("pair", cohort), {"mentee": mentees[0].pk, "mentor": elsewhere.pk, "action": "lock"}
    )
    assert response.status_code == 404
    assert not PairRule.objects.exists()


def test_htmx_poll_while_running_gets_the_status_partial_then_a_refresh(admin_client, pool):
    cohort, _, _ = pool
    run = MatchRun.objects.create(cohort=cohort)
    polled = admin_client.get(url("board", cohort), headers={"HX-Request": "true"})
    assert "Matching is running" in polled.content.decode()
    assert "<html" not in polled.content.decode()
    run.status = MatchRun.Status.DONE
    run.save()
    done = admin_client.get(url("board", cohort), headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"


def test_board_query_count_does_not_grow_with_the_cohort(admin_client, pool):
    cohort, _, _ = pool
    for _ in range(2):  # more mentees than places, so both runs leave someone unmatched
        make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
    admin_client.post(url("run", cohort))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url("board", cohort)).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for _ in range(15):
        make_enrollment(cohort=cohort, person=make_user(level=2), languages=["English"])
    make_enrollment(cohort=cohort, person=make_user(level=6), role="mentor", capacity=10)
    admin_client.post(url("run", cohort))
    assert count() == small


@pytest.mark.parametrize("name", ["run", "pair", "publish"])
def test_actions_are_post_only(admin_client, pool, name):
    cohort, _, _ = pool
    assert admin_client.get(url(name, cohort)).status_code == 405


def test_board_is_get_only(admin_client, pool):
    cohort, _, _ = pool
    assert admin_client.post(url("board", cohort)).status_code == 405


def test_outsiders_get_404_and_change_nothing(client, pool, participant, other_program_admin):
    cohort, mentees, _ = pool
    for user in (participant, other_program_admin, mentees[0].person):
        client.force_login(user)
        assert client.get(url("board", cohort)).status_code == 404
        assert client.post(url("run", cohort)).status_code == 404
        assert client.post(url("publish", cohort)).status_code == 404
    assert not MatchRun.objects.exists() and not Match.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, pool):
    cohort, _, _ = pool
    response = client.get(url("board", cohort))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_hr_and_staff_can_open_the_board(client, pool, hr_user):
    cohort, _, _ = pool
    staff = make_user(is_staff=True)
    activate_totp(staff)
    for user in (hr_user, staff):
        client.force_login(user)
        assert client.get(url("board", cohort)).status_code == 200


def test_moving_to_a_compatible_mentor_with_room_locks_the_new_pair(admin_client, pool):
    cohort, mentees, mentors = pool
    extra = make_enrollment(
        cohort=cohort, person=make_user(level=5), role="mentor", languages=["English"]
    )
    admin_client.post(url("run", cohort))
    match = Match.objects.get(mentee=mentees[0])
    target = extra if match.mentor != extra else mentors[0]
    page = admin_client.get(url("move", cohort, pk=match.pk))
    assert page.status_code == 200 and target.person.get_full_name() in page.content.decode()
    response = admin_client.post(url("move", cohort, pk=match.pk), {"mentor": target.pk})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.mentor == target and match.breakdown
    assert PairRule.objects.get(mentee=mentees[0]).kind == "lock"


def test_moving_against_a_rule_needs_confirmation_then_survives_reruns(admin_client, pool):
    cohort, mentees, _ = pool
    boss = make_enrollment(
        cohort=cohort, person=mentees[0].person.manager or make_user(level=6), role="mentor"
    )
    mentees[0].person.manager = boss.person
    mentees[0].person.save()
    admin_client.post(url("run", cohort))
    match = Match.objects.get(mentee=mentees[0])
    assert match.mentor != boss  # the management-chain rule keeps them apart

    asked = admin_client.post(url("move", cohort, pk=match.pk), {"mentor": boss.pk})
    assert asked.status_code == 409
    assert "management-chain rule" in asked.content.decode()
    match.refresh_from_db()
    assert match.mentor != boss and not PairRule.objects.exists()

    admin_client.post(url("move", cohort, pk=match.pk), {"mentor": boss.pk, "confirm": "yes"})
    match.refresh_from_db()
    assert match.mentor == boss
    admin_client.post(url("run", cohort))
    assert Match.objects.get(mentee=mentees[0], status="proposed").mentor == boss


def test_only_draft_proposals_can_be_moved(admin_client, pool):
    cohort, mentees, _ = pool
    admin_client.post(url("run", cohort))
    admin_client.post(url("publish", cohort))
    match = Match.objects.get(mentee=mentees[0])
    assert admin_client.get(url("move", cohort, pk=match.pk)).status_code == 404


def test_outsiders_cannot_move(client, pool, other_program_admin):
    cohort, mentees, mentors = pool
    match = Match.objects.create(cohort=cohort, mentee=mentees[0], mentor=mentors[0])
    client.force_login(other_program_admin)
    assert client.get(url("move", cohort, pk=match.pk)).status_code == 404
    assert (
        client.post(url("move", cohort, pk=match.pk), {"mentor": mentors[1].pk}).status_code == 404
    )
    match.refresh_from_db()
    assert match.mentor == mentors[0]


def test_after_a_match_ends_the_board_suggests_mentors_to_rematch(admin_client, pool):
    cohort, mentees, _ = pool
    extra = make_enrollment(
        cohort=cohort, person=make_user(level=5), role="mentor", languages=["English"]
    )
    admin_client.post(url("run", cohort))
    admin_client.post(url("publish", cohort))
    match = Match.objects.get(mentee=mentees[0])
    admin_client.post(url("end", cohort, pk=match.pk), {"reason": "Different expectations"})

    body = admin_client.get(url("board", cohort)).content.decode()
    assert "Waiting for a mentor (1)" in body
    assert f"Propose {mentees[0].person.get_full_name()} with" in body

    admin_client.post(
        url("pair", cohort), {"mentee": mentees[0].pk, "mentor": extra.pk, "action": "propose"}
    )
    new = Match.objects.get(mentee=mentees[0], status="proposed")
    assert new.mentor == extra and new.score > 0 and new.reasons
    assert PairRule.objects.get(mentee=mentees[0]).kind == "lock"
    assert "Waiting for a mentor" not in admin_client.get(url("board", cohort)).content.decode()
