"""Goal reminders and celebrations: goal due soon, milestone overdue, progress stale, goal and
milestone achieved. Each at 09:00 in the recipient's own zone (alice: Paris, bob: New York),
recorded once, skipped when no longer due, silent when the cohort's reminders are off, and
never carrying the pair's notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from goals.models import (
    AgreementRevision,
    CheckIn,
    Goal,
    Meeting,
    Milestone,
    PrivateNote,
    ProgressUpdate,
)
from goals.notifications_progress import local_day_range
from goals.services import goals as svc
from mentorship import outbox
from mentorship.cache_versions import bump
from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import local_moment, local_today
from tests.goals.goals_factories import make_goal
from tests.goals.notification_helpers import (
    MINUTE,
    NEW_YORK,
    PARIS,
    SECRET,
    days,
    record,
    scan,
    send,
)

pytestmark = pytest.mark.django_db


def who(dues) -> set[tuple[int, int, str]]:
    return {(d.recipient_id, d.subject_id, d.period) for d in dues}


def row(kind: str, user) -> Notification:
    return Notification.objects.get(kind=kind, recipient=user)


def text_of(message) -> str:
    return message.subject + message.body + message.alternatives[0][0]


# --- Goal due soon ----------------------------------------------------------------------------


def test_goal_due_soon_at_nine_in_each_members_zone(pair, alice, bob):
    today = timezone.localdate()
    goal = make_goal(pair, due_on=today + days(7))
    period = goal.due_on.isoformat()
    paris_nine = local_moment(today, PARIS)
    new_york_nine = local_moment(today, NEW_YORK)

    assert scan("goal_due_soon", local_moment(today - days(1), NEW_YORK)) == []
    assert scan("goal_due_soon", paris_nine - MINUTE) == []
    dues = scan("goal_due_soon", paris_nine)
    assert who(dues) == {(alice.pk, goal.pk, period)}
    assert dues[0].due_at == paris_nine
    assert len(outbox.notifications_record(dues, now=paris_nine)) == 1

    assert who(scan("goal_due_soon", new_york_nine - MINUTE)) == {(alice.pk, goal.pk, period)}
    assert record("goal_due_soon", new_york_nine - MINUTE) == []
    assert len(record("goal_due_soon", new_york_nine)) == 1
    # Both recorded: the goal drops out of the scan's query.
    assert scan("goal_due_soon", new_york_nine + MINUTE) == []
    assert record("goal_due_soon", new_york_nine + days(1)) == []
    assert Notification.objects.filter(kind="goal_due_soon").count() == 2
    assert row("goal_due_soon", bob).due_at == new_york_nine


def test_goal_due_soon_uses_the_cohorts_interval_and_stops_once_due(
    pair, alice, bob, running_cohort
):
    running_cohort.goal_due_soon_days = 3
    running_cohort.save()
    today = timezone.localdate()
    make_goal(pair, due_on=today + days(5))
    assert scan("goal_due_soon", local_moment(today + days(1), PARIS)) == []
    assert len(scan("goal_due_soon", local_moment(today + days(2), PARIS))) == 1
    # Agreed late or scanned late: still sent while the goal is not yet due ...
    assert len(scan("goal_due_soon", local_moment(today + days(4), PARIS))) == 2
    # ... never on or after its due date.
    due_day_paris = local_moment(today + days(5), PARIS) - timedelta(hours=8)
    assert {d.recipient_id for d in scan("goal_due_soon", due_day_paris)} == {bob.pk}
    assert scan("goal_due_soon", local_moment(today + days(5), NEW_YORK) - timedelta(hours=8)) == []
    assert scan("goal_due_soon", local_moment(today + days(6), PARIS)) == []


def test_goal_due_soon_only_for_agreed_goals_of_active_pairs(pair, running_cohort):
    today = timezone.localdate()
    for status in ("draft", "proposed", "paused", "achieved", "dropped"):
        make_goal(pair, due_on=today + days(7), status=status)
    make_goal(pair, due_on=None, no_due_reason="Ongoing")
    now = local_moment(today, NEW_YORK)
    assert scan("goal_due_soon", now) == []
    goal = make_goal(pair, due_on=today + days(7))
    assert {d.subject_id for d in scan("goal_due_soon", now)} == {goal.pk}
    pair.status = "ended"
    pair.save()
    assert scan("goal_due_soon", now) == []


def test_goal_due_soon_email(pair, alice, bob, mailoutbox):
    today = timezone.localdate()
    goal = make_goal(pair, due_on=today + days(7), description=SECRET, relevance=SECRET)
    record("goal_due_soon", local_moment(today, NEW_YORK))
    assert send(row("goal_due_soon", bob).pk) == "sent"
    (message,) = mailoutbox
    days_left = (goal.due_on - local_today(timezone.now(), NEW_YORK)).days
    assert message.to == ["bob@example.com"]
    assert message.subject == (
        f"[Mentorship] Goal due in {days_left} days: Give 10 internal tech talks"
    )
    goal_url = absolute_url(reverse("goals:goal", args=[pair.pk, goal.pk]))
    assert goal_url in message.body
    assert f'href="{goal_url}"' in message.alternatives[0][0]
    assert "Alice Adams's goal" in message.body
    assert SECRET not in text_of(message)
    assert "List-Unsubscribe" in message.extra_headers


def test_goal_due_soon_skipped_when_no_longer_due(pair, alice, bob, mailoutbox):
    today = timezone.localdate()
    goal = make_goal(pair, due_on=today + days(7))
    record("goal_due_soon", local_moment(today, NEW_YORK))
    goal.status = Goal.Status.ACHIEVED
    goal.save()
    assert send(row("goal_due_soon", alice).pk) == "skipped"
    goal.status = Goal.Status.AGREED
    goal.due_on = today + days(30)  # moved: a new date, a new reminder later
    goal.save()
    assert send(row("goal_due_soon", bob).pk) == "skipped"
    assert mailoutbox == []
    assert Notification.objects.get(recipient=bob).skip_reason == "no longer due"


def test_goal_due_soon_respects_reminders_off(pair, alice, running_cohort, mailoutbox):
    today = timezone.localdate()
    make_goal(pair, due_on=today + days(7))
    record("goal_due_soon", local_moment(today, PARIS))
    running_cohort.reminders_enabled = False
    running_cohort.save()
    assert scan("goal_due_soon", local_moment(today, NEW_YORK)) == []
    assert send(row("goal_due_soon", alice).pk) == "skipped"
    assert mailoutbox == []


# --- Milestone overdue ------------------------------------------------------------------------


def overdue_goal(pair, due_on):
    goal = make_goal(pair, milestones=["Outline", "Rehearse"])
    Milestone.objects.filter(goal=goal).update(due_on=due_on)
    return goal


def test_milestone_overdue_the_day_after_at_nine_to_the_owner(pair, alice, bob):
    today = timezone.localdate()
    goal = overdue_goal(pair, due_on=today - days(1))
    first, second = goal.milestones.all()
    Milestone.objects.filter(pk=second.pk).update(done_at=timezone.now())
    period = (today - days(1)).isoformat()
    paris_nine = local_moment(today, PARIS)

    assert scan("milestone_overdue", local_moment(today - days(1), PARIS)) == []
    assert scan("milestone_overdue", paris_nine - MINUTE) == []
    dues = scan("milestone_overdue", paris_nine)
    assert who(dues) == {(alice.pk, first.pk, period)}
    assert dues[0].due_at == paris_nine
    assert len(record("milestone_overdue", paris_nine)) == 1
    assert scan("milestone_overdue", paris_nine + MINUTE) == []
    assert record("milestone_overdue", local_moment(today + days(1), NEW_YORK)) == []
    assert not Notification.objects.filter(recipient=bob).exists()


def test_milestone_overdue_not_for_long_overdue_milestones(pair):
    today = timezone.localdate()
    overdue_goal(pair, due_on=today - days(1))
    assert len(scan("milestone_overdue", local_moment(today + days(7), PARIS))) == 2
    assert scan("milestone_overdue", local_moment(today + days(8), PARIS)) == []


def test_milestone_overdue_email_and_skip(pair, alice, mailoutbox):
    today = timezone.localdate()
    goal = overdue_goal(pair, due_on=today - days(1))
    first, second = goal.milestones.all()
    record("milestone_overdue", local_moment(today, PARIS))
    rows = Notification.objects.filter(kind="milestone_overdue").order_by("subject_id")
    assert [r.subject_id for r in rows] == [first.pk, second.pk]
    assert send(rows[0].pk) == "sent"
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "[Mentorship] Milestone overdue: Outline"
    assert absolute_url(reverse("goals:goal", args=[pair.pk, goal.pk])) in message.body
    # Done meanwhile: skipped.
    Milestone.objects.filter(pk=second.pk).update(done_at=timezone.now())
    assert send(rows[1].pk) == "skipped"


def test_milestone_overdue_respects_reminders_off(pair, running_cohort):
    today = timezone.localdate()
    overdue_goal(pair, due_on=today - days(1))
    running_cohort.reminders_enabled = False
    running_cohort.save()
    assert scan("milestone_overdue", local_moment(today, NEW_YORK)) == []


# --- Progress stale ---------------------------------------------------------------------------


def test_progress_stale_after_thirty_quiet_days_to_the_owner(pair, alice):
    now = timezone.now()
    today = timezone.localdate(now)
    goal = make_goal(pair, created_at=now - days(35), agreed_at=now - days(30))
    period = (today - days(30)).isoformat()
    paris_nine = local_moment(today, PARIS)

    assert scan("progress_stale", local_moment(today - days(1), PARIS)) == []
    assert scan("progress_stale", paris_nine - MINUTE) == []
    dues = scan("progress_stale", paris_nine)
    assert who(dues) == {(alice.pk, goal.pk, period)}
    assert dues[0].due_at == paris_nine
    assert len(record("progress_stale", paris_nine)) == 1
    assert scan("progress_stale", paris_nine + MINUTE) == []
    assert record("progress_stale", paris_nine + days(10)) == []


def test_progress_stale_once_per_quiet_spell(pair, alice, bob):
    now = timezone.now()
    today = timezone.localdate(now)
    goal = make_goal(pair, created_at=now - days(120), agreed_at=now - days(110))
    ProgressUpdate.objects.create(goal=goal, author=alice, created_at=now - days(70), note=SECRET)
    first = record("progress_stale", now - days(35))
    assert len(first) == 1
    assert record("progress_stale", now - days(34)) == []
    # Progress logged since: the first nudge is no longer due; a new spell starts.
    ProgressUpdate.objects.create(goal=goal, author=bob, created_at=now - days(32))
    assert send(first[0]) == "skipped"
    assert scan("progress_stale", local_moment(today - days(3), NEW_YORK)) == []
    second = record("progress_stale", now)
    assert len(second) == 1
    assert Notification.objects.get(pk=second[0]).period == (today - days(32)).isoformat()
    assert record("progress_stale", now + days(1)) == []


def test_progress_stale_only_agreed_goals(pair, running_cohort):
    now = timezone.now()
    for status in ("draft", "paused", "achieved", "dropped"):
        make_goal(pair, status=status, created_at=now - days(90))
    assert scan("progress_stale", now) == []
    running_cohort.progress_stale_days = 100
    running_cohort.save()
    make_goal(pair, created_at=now - days(90))
    assert scan("progress_stale", now) == []


def test_progress_stale_email(pair, alice, mailoutbox):
    now = timezone.now()
    goal = make_goal(pair, created_at=now - days(45), agreed_at=now - days(40))
    ProgressUpdate.objects.create(goal=goal, author=alice, created_at=now - days(33), note=SECRET)
    (pk,) = record("progress_stale", now)
    assert send(pk) == "sent"
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert "No progress logged for 33 days" in message.subject
    assert absolute_url(reverse("goals:goal", args=[pair.pk, goal.pk])) in message.body
    assert SECRET not in text_of(message)


def test_progress_stale_respects_reminders_off(pair, alice, running_cohort, mailoutbox):
    now = timezone.now()
    make_goal(pair, created_at=now - days(45), agreed_at=now - days(40))
    (pk,) = record("progress_stale", now)
    running_cohort.reminders_enabled = False
    running_cohort.save()
    assert scan("progress_stale", now + days(1)) == []
    assert send(pk) == "skipped"


# --- Celebrations -----------------------------------------------------------------------------


def celebrations(kind: str) -> set[tuple[int, int]]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", "subject_id"))


def test_goal_achieved_celebrated_to_both(pair, alice, bob, mailoutbox):
    goal = make_goal(pair)
    svc.goal_status_change(goal=goal, user=alice, to_status=Goal.Status.ACHIEVED)
    assert celebrations("goal_achieved") == {(alice.pk, goal.pk), (bob.pk, goal.pk)}
    assert send(row("goal_achieved", bob).pk) == "sent"
    (message,) = mailoutbox
    assert message.to == ["bob@example.com"]
    assert message.subject == "[Mentorship] Goal achieved: Give 10 internal tech talks"
    assert "Alice Adams marked the goal" in message.body
    assert absolute_url(reverse("goals:goal", args=[pair.pk, goal.pk])) in message.body


def test_no_celebration_for_other_status_changes(pair, alice):
    goal = make_goal(pair)
    svc.goal_status_change(goal=goal, user=alice, to_status=Goal.Status.PAUSED)
    svc.goal_status_change(goal=goal, user=alice, to_status=Goal.Status.DROPPED)
    assert not Notification.objects.exists()


def test_milestone_achieved_once_even_when_ticked_again(pair, alice, bob, mailoutbox):
    goal = make_goal(pair, milestones=["Outline", "Rehearse", "Deliver"])
    first, second, _third = goal.milestones.all()
    svc.milestone_set_done(milestone=first, user=bob, done=True)
    svc.milestone_set_done(milestone=first, user=bob, done=False)
    svc.milestone_set_done(milestone=first, user=alice, done=True)
    assert celebrations("milestone_achieved") == {(alice.pk, first.pk), (bob.pk, first.pk)}
    # Ticked through a progress update: celebrated too, once each.
    svc.goal_progress_record(goal=goal, user=alice, milestone_ids_done=[first.pk, second.pk])
    assert celebrations("milestone_achieved") == {
        (alice.pk, first.pk),
        (bob.pk, first.pk),
        (alice.pk, second.pk),
        (bob.pk, second.pk),
    }
    assert send(row_for("milestone_achieved", alice, second).pk) == "sent"
    (message,) = mailoutbox
    assert message.subject == "[Mentorship] Milestone done: Rehearse"
    assert "2 of 3 milestones" in message.body


def row_for(kind, user, subject) -> Notification:
    return Notification.objects.get(kind=kind, recipient=user, subject_id=subject.pk)


def test_milestone_unticked_before_sending_is_skipped(pair, alice):
    goal = make_goal(pair, milestones=["Outline"])
    (milestone,) = goal.milestones.all()
    svc.milestone_set_done(milestone=milestone, user=alice, done=True)
    svc.milestone_set_done(milestone=milestone, user=alice, done=False)
    assert send(row("milestone_achieved", alice).pk) == "skipped"


def test_celebrations_queued_only_after_commit(pair, alice, django_capture_on_commit_callbacks):
    goal = make_goal(pair, milestones=["Outline"])
    (milestone,) = goal.milestones.all()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        svc.milestone_set_done(milestone=milestone, user=alice, done=True)
        svc.goal_status_change(goal=goal, user=alice, to_status=Goal.Status.ACHIEVED)
        assert Notification.objects.count() == 4
        raise RuntimeError("the request failed after the change")
    assert callbacks == []
    assert not Notification.objects.exists()
    milestone.refresh_from_db()
    assert milestone.done_at is None
    with django_capture_on_commit_callbacks() as callbacks:
        svc.milestone_set_done(milestone=milestone, user=alice, done=True)
    # The sending, apart from the cached pair health's version bump (goals.cache_invalidation).
    assert len([c for c in callbacks if getattr(c, "func", None) is not bump]) == 1
    assert Notification.objects.count() == 2


def test_celebrations_respect_reminders_off(pair, alice, running_cohort):
    running_cohort.reminders_enabled = False
    running_cohort.save()
    goal = make_goal(pair, milestones=["Outline"])
    (milestone,) = goal.milestones.all()
    svc.milestone_set_done(milestone=milestone, user=alice, done=True)
    svc.goal_status_change(goal=goal, user=alice, to_status=Goal.Status.ACHIEVED)
    assert not Notification.objects.exists()


def test_celebration_to_someone_who_switched_it_off(pair, alice, bob):
    outbox.notification_opt_out(user_id=bob.pk, kind="goal_achieved", via="settings")
    goal = make_goal(pair)
    svc.goal_status_change(goal=goal, user=alice, to_status=Goal.Status.ACHIEVED)
    assert celebrations("goal_achieved") == {(alice.pk, goal.pk)}


# --- Privacy: no note text in any of these emails ---------------------------------------------


def test_goal_emails_never_carry_the_pairs_text(pair, alice, bob, mailoutbox):
    now = timezone.now()
    today = timezone.localdate(now)
    AgreementRevision.objects.create(
        match=pair,
        number=1,
        cadence_days=14,
        mentee_expectations=SECRET,
        mentor_expectations=SECRET,
        confidentiality=SECRET,
    )
    meeting = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=now - days(3), agenda=SECRET
    )
    check_in = CheckIn.objects.create(
        meeting=meeting,
        match=pair,
        author=alice,
        discussed=SECRET,
        next_steps=SECRET,
        usefulness=4,
        review_comment=SECRET,
        reviewed_at=now,
    )
    PrivateNote.objects.create(meeting=meeting, author=alice, text=SECRET)
    due = make_goal(pair, due_on=today + days(7), description=SECRET, relevance=SECRET)
    ProgressUpdate.objects.create(goal=due, check_in=check_in, created_at=now, note=SECRET)
    make_goal(
        pair,
        title="Mentor a new hire",
        description=SECRET,
        created_at=now - days(40),
        agreed_at=now - days(40),
    )
    milestones = make_goal(pair, title="Ship the design doc", milestones=["Draft", "Review"])
    Milestone.objects.filter(goal=milestones).update(due_on=today - days(1))
    for kind in ("goal_due_soon", "milestone_overdue", "progress_stale"):
        assert record(kind, now + days(1)), kind
    draft, _review = milestones.milestones.all()
    svc.milestone_set_done(milestone=draft, user=alice)
    svc.goal_status_change(goal=due, user=alice, to_status=Goal.Status.ACHIEVED)
    # Reminders for what was done meanwhile are skipped; the rest, and the celebrations, go out.
    for pk in Notification.objects.values_list("pk", flat=True):
        send(pk)
    kinds = {m.extra_headers["X-Mentorship-Kind"] for m in mailoutbox}
    assert kinds == {"milestone_overdue", "progress_stale", "milestone_achieved", "goal_achieved"}
    for message in mailoutbox:
        assert SECRET not in text_of(message), message.subject


def test_scan_window_covers_every_zone():
    now = timezone.now()
    earliest, latest = local_day_range(now)
    assert earliest <= local_today(now, "Pacific/Pago_Pago")
    assert local_today(now, "Pacific/Kiritimati") <= latest


def test_the_beat_scan_records_these_kinds(
    pair, alice, bob, program_admin, caplog, settings, private_queue
):
    """Through mentorship.tasks.scan, as beat runs it: no kind of this module fails."""
    from mentorship.tasks import scan as scan_all

    settings.NOTIFICATION_QUEUE = private_queue  # whatever it requeues goes nowhere shared
    now = timezone.now()
    today = timezone.localdate(now)
    make_goal(pair, due_on=today + days(3), created_at=now - days(40), agreed_at=now - days(40))
    overdue_goal(pair, due_on=today - days(2))
    created = scan_all(now=now + days(1))
    ours = (
        "goal_due_soon",
        "milestone_overdue",
        "progress_stale",
        "cohort_midpoint",
        "cohort_wrap_up",
        "cohort_ended",
        "admin_digest",
    )
    assert set(ours) <= set(created)
    assert created["goal_due_soon"] == 2
    assert created["milestone_overdue"] == 2
    assert created["progress_stale"] == 1
    assert not [r for r in caplog.records if "scan failed" in r.getMessage()]
    again = scan_all(now=now + days(1))
    assert all(again[kind] == 0 for kind in ours)
