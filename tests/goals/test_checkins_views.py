"""Check-ins: the mentee writes one after the meeting (either peer in peer programs), with
progress on goals; edits until reviewed; private notes for their author only; admins never
reach any of it."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting, PrivateNote, ProgressUpdate
from goals.services.checkins import (
    CheckInRefused,
    GoalProgress,
    check_in_review,
    check_in_submit,
    check_in_update,
    private_note_save,
)
from tests.goals.fixtures import make_pair
from tests.goals.goals_factories import make_goal
from tests.programs.fixtures import make_cohort, make_program

pytestmark = pytest.mark.django_db


def held(pair, organizer=None, hours_ago: int = 3) -> Meeting:
    return Meeting.objects.create(
        match=pair,
        organizer=organizer,
        starts_at=timezone.now() - timedelta(hours=hours_ago),
        timezone="Europe/Paris",
        agenda="Shared agenda",
    )


def upcoming(pair) -> Meeting:
    return Meeting.objects.create(match=pair, starts_at=timezone.now() + timedelta(days=2))


def check_in_url(meeting):
    return reverse("goals:check_in", args=[meeting.match_id, meeting.pk])


def note_url(meeting):
    return reverse("goals:private_note", args=[meeting.match_id, meeting.pk])


def review_url(meeting):
    return reverse("goals:check_in_review", args=[meeting.match_id, meeting.pk])


def page_url(meeting):
    return reverse("goals:meeting", args=[meeting.match_id, meeting.pk])


def data(**extra) -> dict:
    values = {
        "discussed": "We talked about the keynote",
        "next_steps": "Draft slides",
        "usefulness": "4",
    }
    values.update(extra)
    return values


# --- Writing ----------------------------------------------------------------------------------


def test_the_mentee_writes_the_check_in_with_labelled_ratings(alice_client, pair, alice):
    meeting = held(pair, alice)
    body = alice_client.get(check_in_url(meeting)).content.decode()
    assert 'type="radio"' in body and "5 · Extremely useful" in body and "1 · Not useful" in body
    response = alice_client.post(check_in_url(meeting), data())
    assert response.status_code == 302 and response["Location"] == page_url(meeting)
    check_in = CheckIn.objects.get()
    assert check_in.author == alice and check_in.usefulness == 4 and check_in.match == pair
    assert check_in.discussed == "We talked about the keynote"


def test_progress_on_each_open_agreed_goal_is_recorded_with_the_check_in(alice_client, pair, alice):
    metric = make_goal(pair, title="Give talks")
    milestones = make_goal(pair, title="Get certified", milestones=["Study", "Exam"])
    make_goal(pair, title="A draft", status=Goal.Status.DRAFT)
    untouched = make_goal(pair, title="Untouched")
    meeting = held(pair, alice)
    body = alice_client.get(check_in_url(meeting)).content.decode()
    assert "Give talks" in body and "Get certified" in body and "A draft" not in body
    study = milestones.milestones.get(title="Study")
    response = alice_client.post(
        check_in_url(meeting),
        data(
            **{
                f"goal-{metric.pk}-value": "3",
                f"goal-{metric.pk}-note": "Third talk done",
                f"goal-{milestones.pk}-milestones": [str(study.pk)],
            }
        ),
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get()
    updates = {u.goal_id: u for u in ProgressUpdate.objects.filter(check_in=check_in)}
    assert set(updates) == {metric.pk, milestones.pk}
    assert untouched.pk not in updates
    assert updates[metric.pk].value == Decimal("3.00") and updates[metric.pk].percent == 30
    assert updates[milestones.pk].milestones_done == 1 and updates[milestones.pk].percent == 50
    body = alice_client.get(page_url(meeting)).content.decode()
    assert "Third talk done" in body and "(30%)" in body


def test_a_bad_progress_entry_saves_nothing(alice_client, pair, alice):
    metric = make_goal(pair, title="Give talks")
    meeting = held(pair, alice)
    response = alice_client.post(check_in_url(meeting), data(**{f"goal-{metric.pk}-value": "x"}))
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    assert not CheckIn.objects.exists() and not ProgressUpdate.objects.exists()


def test_missing_text_or_rating_is_shown_by_field(alice_client, pair, alice):
    meeting = held(pair, alice)
    response = alice_client.post(check_in_url(meeting), {"discussed": "", "usefulness": "9"})
    body = response.content.decode()
    assert response.status_code == 200 and "This field is required" in body
    assert "Select a valid choice" in body
    assert not CheckIn.objects.exists()


def test_the_mentor_does_not_write_the_check_in(bob_client, pair, alice):
    meeting = held(pair, alice)
    response = bob_client.post(check_in_url(meeting), data(), follow=True)
    assert "writes the check-in of this meeting" in response.content.decode()
    assert not CheckIn.objects.exists()
    with pytest.raises(CheckInRefused):
        check_in_submit(meeting=meeting, user=pair.mentor.person, discussed="x", usefulness=3)


def test_no_check_in_before_the_meeting_or_for_a_cancelled_one(alice_client, pair, alice):
    future = upcoming(pair)
    alice_client.post(check_in_url(future), data())
    cancelled = held(pair, alice)
    cancelled.status = "cancelled"
    cancelled.save()
    alice_client.post(check_in_url(cancelled), data())
    assert not CheckIn.objects.exists()
    with pytest.raises(CheckInRefused):
        check_in_submit(meeting=future, user=alice, discussed="x", usefulness=3)


def test_one_check_in_per_meeting(pair, alice):
    meeting = held(pair, alice)
    check_in_submit(meeting=meeting, user=alice, discussed="x", usefulness=3)
    with pytest.raises(CheckInRefused):
        check_in_submit(meeting=meeting, user=alice, discussed="again", usefulness=3)
    assert CheckIn.objects.count() == 1


def test_in_peer_programs_either_peer_writes_and_the_other_reviews(client, db):
    program = make_program(kind="peer")
    cohort = make_cohort(program=program, phase="running")
    match = make_pair(cohort=cohort)
    # make_pair enrols as mentee/mentor roles; the program kind is what decides.
    first, second = match.mentee.person, match.mentor.person
    meeting = held(match, first)
    check_in = check_in_submit(meeting=meeting, user=second, discussed="Peers", usefulness=5)
    with pytest.raises(CheckInRefused):
        check_in_review(check_in=check_in, user=second, comment="My own")
    check_in_review(check_in=check_in, user=first, comment="Thanks")
    check_in.refresh_from_db()
    assert check_in.reviewed_by == first


def test_htmx_form_and_post(alice_client, pair, alice):
    meeting = held(pair, alice)
    response = alice_client.get(check_in_url(meeting), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and f'hx-post="{check_in_url(meeting)}"' in body
    response = alice_client.post(check_in_url(meeting), data(), headers={"HX-Request": "true"})
    assert response["HX-Trigger"] == "pair-changed"
    assert CheckIn.objects.count() == 1


def test_wrong_method(alice_client, pair, alice):
    meeting = held(pair, alice)
    for url in (check_in_url(meeting), note_url(meeting), review_url(meeting)):
        assert alice_client.put(url).status_code == 405
        assert alice_client.delete(url).status_code == 405


# --- Editing until reviewed -------------------------------------------------------------------


def test_the_author_edits_until_it_is_reviewed(alice_client, pair, alice, bob):
    meeting = held(pair, alice)
    check_in = check_in_submit(meeting=meeting, user=alice, discussed="First", usefulness=3)
    body = alice_client.get(check_in_url(meeting)).content.decode()
    assert "First" in body and "Edit the check-in" in body
    alice_client.post(check_in_url(meeting), data(discussed="Second", usefulness="5"))
    check_in.refresh_from_db()
    assert check_in.discussed == "Second" and check_in.usefulness == 5

    check_in_review(check_in=check_in, user=bob, comment="Good")
    response = alice_client.post(check_in_url(meeting), data(discussed="Third"), follow=True)
    assert "until it is reviewed" in response.content.decode()
    check_in.refresh_from_db()
    assert check_in.discussed == "Second"
    with pytest.raises(CheckInRefused):
        check_in_update(check_in=check_in, user=alice, discussed="Third", usefulness=3)


def test_editing_adds_progress_once_more(pair, alice):
    goal = make_goal(pair)
    meeting = held(pair, alice)
    check_in = check_in_submit(
        meeting=meeting,
        user=alice,
        discussed="x",
        usefulness=3,
        progress=[GoalProgress(goal=goal, value=Decimal(2))],
    )
    check_in_update(
        check_in=check_in,
        user=alice,
        discussed="y",
        usefulness=3,
        progress=[GoalProgress(goal=goal)],  # nothing given: nothing recorded
    )
    assert ProgressUpdate.objects.filter(check_in=check_in).count() == 1


def test_only_the_author_edits(bob_client, pair, alice):
    meeting = held(pair, alice)
    check_in = check_in_submit(meeting=meeting, user=alice, discussed="Mine", usefulness=3)
    bob_client.post(check_in_url(meeting), data(discussed="Changed by Bob"))
    check_in.refresh_from_db()
    assert check_in.discussed == "Mine"


# --- Private notes ----------------------------------------------------------------------------


def test_a_private_note_is_seen_by_its_author_only(client, pair, alice, bob):
    meeting = held(pair, alice)
    client.force_login(alice)
    response = client.post(note_url(meeting), {"text": "ALICE PRIVATE THOUGHTS"})
    assert response.status_code == 302
    body = client.get(page_url(meeting)).content.decode()
    assert "ALICE PRIVATE THOUGHTS" in body and "Only you can see this note" in body

    client.force_login(bob)
    body = client.get(page_url(meeting)).content.decode()
    assert "ALICE PRIVATE THOUGHTS" not in body
    assert "Only you can see this note" in body  # his own, empty form
    body = client.get(note_url(meeting)).content.decode()
    assert "ALICE PRIVATE THOUGHTS" not in body
    client.post(note_url(meeting), {"text": "Bob's own"})
    assert PrivateNote.objects.get(author=alice).text == "ALICE PRIVATE THOUGHTS"
    assert PrivateNote.objects.get(author=bob).text == "Bob's own"


def test_note_htmx_saves_in_place_and_empty_deletes(alice_client, pair, alice):
    meeting = held(pair, alice)
    response = alice_client.post(
        note_url(meeting), {"text": "Prep: ask about promotion"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="private-note"' in body and "Saved." in body
    assert "Prep: ask about promotion" in body
    alice_client.post(note_url(meeting), {"text": ""}, headers={"HX-Request": "true"})
    assert not PrivateNote.objects.exists()


def test_notes_on_an_ended_pair_are_read_only(alice_client, pair, alice):
    meeting = held(pair, alice)
    private_note_save(meeting=meeting, user=alice, text="Kept")
    pair.status = "ended"
    pair.save()
    alice_client.post(note_url(meeting), {"text": "Changed"})
    assert PrivateNote.objects.get().text == "Kept"
    assert "Kept" in alice_client.get(page_url(meeting)).content.decode()


def test_outsiders_cannot_keep_notes_on_the_meeting(pair, alice, charlie):
    meeting = held(pair, alice)
    with pytest.raises(CheckInRefused):
        private_note_save(meeting=meeting, user=charlie, text="x")


# --- Outsiders and admins ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_and_admins_get_404_and_change_nothing(request, client, pair, alice, who):
    meeting = held(pair, alice)
    check_in = check_in_submit(meeting=meeting, user=alice, discussed="SECRET", usefulness=3)
    private_note_save(meeting=meeting, user=alice, text="NOTE")
    client.force_login(request.getfixturevalue(who))
    for url in (page_url(meeting), check_in_url(meeting), note_url(meeting), review_url(meeting)):
        assert client.get(url).status_code == 404, url
    assert client.post(check_in_url(meeting), data(discussed="Hijack")).status_code == 404
    assert client.post(review_url(meeting), {"comment": "Hijack"}).status_code == 404
    assert client.post(note_url(meeting), {"text": "Hijack"}).status_code == 404
    check_in.refresh_from_db()
    assert check_in.discussed == "SECRET" and check_in.reviewed_at is None
    assert PrivateNote.objects.get().text == "NOTE"


def test_anonymous_is_sent_to_sign_in(client, pair, alice):
    meeting = held(pair, alice)
    for url in (check_in_url(meeting), note_url(meeting), review_url(meeting)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_check_in_text_is_on_no_page_the_program_admin_reaches(admin_client, pair, alice):
    meeting = held(pair, alice)
    check_in_submit(meeting=meeting, user=alice, discussed="CONFIDENTIAL WORDS", usefulness=2)
    private_note_save(meeting=meeting, user=alice, text="PRIVATE WORDS")
    cohort = pair.cohort
    urls = [
        reverse("programs:cohort_dashboard", args=[cohort.slug]),
        reverse("matching:board", args=[cohort.slug]),
        reverse("goals:review_inbox"),
        reverse("goals:calendar"),
    ]
    with contextlib.suppress(NoReverseMatch):  # the lead's pair-health page, once it is there
        urls.append(reverse("goals:cohort_pairs", args=[cohort.slug]))
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "CONFIDENTIAL WORDS" not in body and "PRIVATE WORDS" not in body, url
        assert "Shared agenda" not in body, url
