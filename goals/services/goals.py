"""SMART goals: drafting, agreeing, status changes, milestones, progress updates, templates.

Every write is atomic and refuses with ``GoalRefused`` (a ``ValueError`` whose message is
plain words for the person) when it is not possible now. Every change of status or target,
every progress update and every ticked milestone is kept as a ``GoalEvent``; its ``data``
holds figures only (percent, values, ids), never free text, so reports may read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from goals.models import CheckIn, Goal, GoalEvent, Milestone, ProgressUpdate
from matching.models import Match


class GoalRefused(ValueError):
    """An action on a goal that is not possible now; the message says why."""


# --- Helpers ----------------------------------------------------------------------------------


def _figure(value: Decimal | None) -> float | None:
    """A Decimal as a JSON number for ``GoalEvent.data``."""
    return None if value is None else float(value)


def _require_member(match: Match, user) -> None:
    """Refuse unless the pair is active and ``user`` is one of its two members."""
    if match.status != Match.Status.ACTIVE:
        raise GoalRefused("This pair has ended: its goals can be read but no longer changed.")
    member_ids = {match.mentee.person_id, match.mentor.person_id}
    if user is None or user.pk not in member_ids:
        raise GoalRefused("Only the two people in this pair can change its goals.")


def milestone_percent(*, done: int, total: int) -> int | None:
    """Share of milestones done, 0-100 (None when the goal has no milestones)."""
    if not total:
        return None
    return int(done * 100 / total)


def goal_percent(goal: Goal) -> int | None:
    """The derived progress percent of a goal (None before any measure of progress).

    Metric goals: how far the latest value is from baseline to target, clamped to 0-100.
    Milestone goals: milestones done over milestones in all. Uses the ``milestones_total`` /
    ``milestones_done`` annotations of ``goals.selectors.goals.goals_for_pair`` when present,
    else counts them (one query).
    """
    if goal.measure_kind == Goal.MeasureKind.METRIC:
        return goal.metric_percent()
    total = getattr(goal, "milestones_total", None)
    done = getattr(goal, "milestones_done", None)
    if total is None or done is None:
        milestones = list(goal.milestones.values_list("done_at", flat=True))
        total = len(milestones)
        done = sum(1 for done_at in milestones if done_at is not None)
    return milestone_percent(done=done, total=total)


# --- Progress ---------------------------------------------------------------------------------


@transaction.atomic
def goal_progress_record(
    *,
    goal: Goal,
    user,
    value: Decimal | int | float | str | None = None,
    milestone_ids_done: Iterable[int] = (),
    note: str = "",
    check_in: CheckIn | None = None,
) -> ProgressUpdate:
    """Record progress on a goal: a new value (metric) or milestones ticked, and a note.

    Either member of an active pair may record progress on an open goal (not achieved or
    dropped). A metric goal needs a new value or at least a note (a note alone keeps the
    current value); a milestone goal needs milestones ticked or a note. Milestones already
    done keep their original date. The percent is derived, never typed. Stores a
    ``ProgressUpdate`` and a ``GoalEvent(kind=progress)`` with the figures.
    """
    locked = (
        Goal.objects.select_for_update(of=("self",))
        .select_related("match__mentee", "match__mentor")
        .get(pk=goal.pk)
    )
    _require_member(locked.match, user)
    if locked.status not in Goal.OPEN:
        raise GoalRefused(
            f"This goal is {locked.get_status_display().lower()}: progress can no longer be "
            "recorded on it."
        )
    if check_in is not None and check_in.match_id != locked.match_id:
        raise GoalRefused("That check-in belongs to another pair.")
    note = (note or "").strip()
    now = timezone.now()
    data: dict = {}

    if locked.measure_kind == Goal.MeasureKind.METRIC:
        if value is not None and value != "":
            try:
                value = Decimal(str(value))
            except ArithmeticError as exc:
                raise GoalRefused("The new value must be a number.") from exc
            if not value.is_finite():
                raise GoalRefused("The new value must be a number.")
            value = value.quantize(Decimal("0.01"))
            if abs(value) >= Decimal("1e10"):
                raise GoalRefused("The new value is too large.")
            locked.current_value = value
            locked.save(update_fields=["current_value", "updated_at"])
        else:
            value = None
            if not note:
                raise GoalRefused("Give the new value (or at least a note on your progress).")
        milestones_done = None
        percent = locked.metric_percent()
        data["value"] = _figure(value if value is not None else locked.current_value)
    else:
        value = None
        wanted = {int(pk) for pk in milestone_ids_done}
        milestones = list(locked.milestones.select_for_update())
        known = {m.pk for m in milestones}
        if wanted - known:
            raise GoalRefused("Only this goal's own milestones can be ticked.")
        ticked = [m for m in milestones if m.pk in wanted and m.done_at is None]
        if not ticked and not note:
            raise GoalRefused("Tick the milestones you have done (or at least write a note).")
        for milestone in ticked:
            milestone.done_at = now
            milestone.done_by = user
        Milestone.objects.bulk_update(ticked, ["done_at", "done_by"])
        milestones_done = sum(1 for m in milestones if m.done_at is not None)
        percent = milestone_percent(done=milestones_done, total=len(milestones))
        data["milestones_done"] = milestones_done
        data["milestones_total"] = len(milestones)
        data["milestones_ticked"] = [m.pk for m in ticked]

    update = ProgressUpdate.objects.create(
        goal=locked,
        check_in=check_in,
        author=user,
        created_at=now,
        value=value,
        milestones_done=milestones_done,
        percent=percent,
        note=note,
    )
    data = {"percent": percent, **data, "progress_update": update.pk}
    if check_in is not None:
        data["check_in"] = check_in.pk
    GoalEvent.objects.create(
        goal=locked, actor=user, at=now, kind=GoalEvent.Kind.PROGRESS, data=data
    )
    goal.current_value = locked.current_value
    return update
