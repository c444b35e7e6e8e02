"""Check-ins after a meeting, the reviewing side's acknowledgement, and private notes.

The mentee writes one check-in per meeting once it has started (in peer programs, either
peer): what was discussed, next steps, how useful it was (1-5), and progress on the pair's
open agreed goals, recorded through ``goals.services.goals.goal_progress_record``. Its author
can edit it until it is reviewed. The mentor reviews it (in peer programs, the other peer)
with a required comment. Private notes are one per meeting and author, for the author only.

Every write is atomic and refuses with ``CheckInRefused`` (``field`` names the form field the
message belongs to, when there is one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting, Milestone, PrivateNote
from goals.services.goals import GoalRefused, goal_progress_record
from matching.models import Match


class CheckInRefused(ValueError):
    """A check-in, review or note that is not possible; the message says why."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class GoalProgress:
    """Progress on one goal given with a check-in: a new value (metric goals) or milestones
    ticked (milestone goals), and a note. Entries with nothing in them are skipped."""

    goal: Goal
    value: Decimal | None = None
    milestone_ids_done: tuple[int, ...] = field(default_factory=tuple)
    note: str = ""

    def is_empty(self) -> bool:
        return self.value is None and not self.milestone_ids_done and not self.note.strip()


# --- Who may do what --------------------------------------------------------------------------


def _is_peer(match: Match) -> bool:
    return match.cohort.program.is_peer


def _is_member(match: Match, user) -> bool:
    return user is not None and user.pk in {match.mentee.person_id, match.mentor.person_id}


def can_write_check_in(match: Match, user) -> bool:
    """The mentee writes check-ins; in peer programs, either peer."""
    if not _is_member(match, user):
        return False
    return _is_peer(match) or match.mentee.person_id == user.pk


def can_review_check_in(check_in: CheckIn, match: Match, user) -> bool:
    """The mentor reviews; in peer programs, the peer who did not write it. Never its author."""
    if not _is_member(match, user) or check_in.author_id == user.pk:
        return False
    return _is_peer(match) or match.mentor.person_id == user.pk


def check_in_goals(match: Match) -> QuerySet[Goal]:
    """The pair's open agreed goals, on which a check-in records progress (with their open
    milestones, two queries)."""
    return (
        match.goals.filter(status__in=[Goal.Status.AGREED, Goal.Status.PAUSED])
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.order_by("position", "id"),
            )
        )
        .order_by("due_on", "id")
    )


# --- Check-ins --------------------------------------------------------------------------------


def _require_active(match: Match) -> None:
    if match.status != Match.Status.ACTIVE:
        raise CheckInRefused("This pair has ended: its check-ins can be read but not changed.")


def _clean_text(*, discussed: str, next_steps: str, usefulness: int) -> dict:
    discussed = (discussed or "").strip()
    if not discussed:
        raise CheckInRefused("Say what you discussed.", field="discussed")
    try:
        usefulness = int(usefulness)
    except (TypeError, ValueError):
        usefulness = 0
    if not 1 <= usefulness <= 5:
        raise CheckInRefused("Rate how useful it was, from 1 to 5.", field="usefulness")
    return {
        "discussed": discussed,
        "next_steps": (next_steps or "").strip(),
        "usefulness": usefulness,
    }


def _record_progress(check_in: CheckIn, user, progress: Iterable[GoalProgress]) -> int:
    recorded = 0
    for entry in progress:
        if entry.is_empty():
            continue
        try:
            goal_progress_record(
                goal=entry.goal,
                user=user,
                value=entry.value,
                milestone_ids_done=entry.milestone_ids_done,
                note=entry.note,
                check_in=check_in,
            )
        except GoalRefused as exc:
            raise CheckInRefused(
                f"{entry.goal.title}: {exc}", field=f"goal-{entry.goal.pk}"
            ) from exc
        recorded += 1
    return recorded


@transaction.atomic
def check_in_submit(
    *,
    meeting: Meeting,
    user,
    discussed: str,
    next_steps: str = "",
    usefulness: int,
    progress: Iterable[GoalProgress] = (),
) -> CheckIn:
    """Write the one check-in of a meeting that has started, with progress on goals."""
    locked = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("match__cohort__program", "match__mentee", "match__mentor")
        .get(pk=meeting.pk)
    )
    match = locked.match
    if not can_write_check_in(match, user):
        if _is_member(match, user):
            raise CheckInRefused("The mentee writes the check-in; you review it.")
        raise CheckInRefused("Only the two people in this pair can write its check-ins.")
    _require_active(match)
    if locked.status == Meeting.Status.CANCELLED:
        raise CheckInRefused("This meeting was cancelled: there is nothing to check in.")
    if locked.starts_at > timezone.now():
        raise CheckInRefused("Write the check-in once the meeting has started.")
    if CheckIn.objects.filter(meeting=locked).exists():
        raise CheckInRefused("This meeting already has its check-in: edit that one instead.")
    fields = _clean_text(discussed=discussed, next_steps=next_steps, usefulness=usefulness)
    try:
        with transaction.atomic():
            check_in = CheckIn.objects.create(meeting=locked, match=match, author=user, **fields)
    except IntegrityError as exc:  # written at the same moment by another request
        raise CheckInRefused("This meeting already has its check-in.") from exc
    _record_progress(check_in, user, progress)
    return check_in


@transaction.atomic
def check_in_update(
    *,
    check_in: CheckIn,
    user,
    discussed: str,
    next_steps: str = "",
    usefulness: int,
    progress: Iterable[GoalProgress] = (),
) -> CheckIn:
    """Its author edits a check-in until it is reviewed; further progress given is recorded
    with it (progress already recorded stays in the goals' history)."""
    locked = (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("match__cohort__program", "match__mentee", "match__mentor")
        .get(pk=check_in.pk)
    )
    if user is None or locked.author_id != user.pk or not _is_member(locked.match, user):
        raise CheckInRefused("Only its author can edit a check-in.")
    _require_active(locked.match)
    if locked.reviewed_at is not None:
        raise CheckInRefused("This check-in has been reviewed: it can no longer be edited.")
    fields = _clean_text(discussed=discussed, next_steps=next_steps, usefulness=usefulness)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    _record_progress(locked, user, progress)
    for name, value in fields.items():
        setattr(check_in, name, value)
    return locked


@transaction.atomic
def check_in_review(*, check_in: CheckIn, user, comment: str) -> CheckIn:
    """The reviewing side acknowledges a check-in with a comment the author sees."""
    locked = (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("match__cohort__program", "match__mentee", "match__mentor")
        .get(pk=check_in.pk)
    )
    if not can_review_check_in(locked, locked.match, user):
        if user is not None and locked.author_id == user.pk:
            raise CheckInRefused("You wrote this check-in: the other side reviews it.")
        raise CheckInRefused("Only the mentor of this pair can review its check-ins.")
    _require_active(locked.match)
    if locked.reviewed_at is not None:
        raise CheckInRefused("This check-in has already been reviewed.")
    comment = (comment or "").strip()
    if not comment:
        raise CheckInRefused("Write a comment for the review.", field="comment")
    locked.review_comment = comment
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = user
    locked.save(update_fields=["review_comment", "reviewed_at", "reviewed_by", "updated_at"])
    check_in.review_comment, check_in.reviewed_at = locked.review_comment, locked.reviewed_at
    check_in.reviewed_by = user
    return locked


# --- Private notes ----------------------------------------------------------------------------


def private_note_for(meeting: Meeting, user) -> PrivateNote | None:
    """The user's own note on a meeting; nobody else's, ever."""
    if user is None or not user.is_authenticated:
        return None
    return PrivateNote.objects.filter(meeting=meeting, author=user).first()


@transaction.atomic
def private_note_save(*, meeting: Meeting, user, text: str) -> PrivateNote | None:
    """Keep the member's private note on a meeting (an empty text deletes it)."""
    match = Match.objects.select_related("mentee", "mentor").get(pk=meeting.match_id)
    if not _is_member(match, user):
        raise CheckInRefused("Only the two people in this pair keep notes on its meetings.")
    if match.status != Match.Status.ACTIVE:
        raise CheckInRefused("This pair has ended: its notes can be read but not changed.")
    text = (text or "").strip()
    if not text:
        PrivateNote.objects.filter(meeting=meeting, author=user).delete()
        return None
    note, _ = PrivateNote.objects.update_or_create(
        meeting=meeting, author=user, defaults={"text": text}
    )
    return note
