"""SMART goals: drafting, agreeing, status changes, milestones, progress updates, templates.

Every write is atomic and refuses with ``GoalRefused`` (a ``ValueError`` whose message is
plain words for the person) when it is not possible now. Every change of status or target,
every progress update and every ticked milestone is kept as a ``GoalEvent``; its ``data``
holds figures only (percent, values, ids), never free text, so reports may read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from goals import smart
from goals.cache_invalidation import bump_pair
from goals.models import CheckIn, Goal, GoalEvent, GoalTemplate, Milestone, ProgressUpdate
from matching.models import Match
from mentorship.notifications import Due
from mentorship.outbox import notifications_record
from programs.models import Enrollment, Program

S = Goal.Status
OWNER = "owner"
OTHER = "other"

# Who may move a goal from one status to another: the goal's owner (the mentee; in peer
# programs the peer whose goal it is) or the other side of the pair (who agrees it).
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.PROPOSED): OWNER,
    (S.CHANGES_REQUESTED, S.PROPOSED): OWNER,
    (S.PROPOSED, S.DRAFT): OWNER,
    (S.CHANGES_REQUESTED, S.DRAFT): OWNER,
    (S.PROPOSED, S.AGREED): OTHER,
    (S.PROPOSED, S.CHANGES_REQUESTED): OTHER,
    # A changed target or measure goes back for agreement.
    (S.AGREED, S.PROPOSED): OWNER,
    (S.PAUSED, S.PROPOSED): OWNER,
    (S.AGREED, S.PAUSED): OWNER,
    (S.PAUSED, S.AGREED): OWNER,
    (S.AGREED, S.ACHIEVED): OWNER,
    (S.PAUSED, S.ACHIEVED): OWNER,
    (S.DRAFT, S.DROPPED): OWNER,
    (S.PROPOSED, S.DROPPED): OWNER,
    (S.CHANGES_REQUESTED, S.DROPPED): OWNER,
    (S.AGREED, S.DROPPED): OWNER,
    (S.PAUSED, S.DROPPED): OWNER,
}

# Statuses from which the owner sends the goal as it is (agreed goals go back by an edit).
SENDABLE = (S.DRAFT, S.CHANGES_REQUESTED)

# Statuses in which the owner may edit the goal's text and measure.
EDITABLE = (S.DRAFT, S.PROPOSED, S.CHANGES_REQUESTED, S.AGREED, S.PAUSED)


class GoalRefused(ValueError):
    """An action on a goal that is not possible now; the message says why."""


class GoalNotSmart(GoalRefused):
    """Sending a goal to the other side while a SMART part is missing; ``findings`` say which."""

    def __init__(self, findings: Sequence[smart.Finding]):
        self.findings = list(findings)
        super().__init__(
            "Before you send this goal, complete what is missing: "
            + " ".join(f.message for f in self.findings)
        )


# --- Helpers ----------------------------------------------------------------------------------


def _figure(value: Decimal | None) -> float | None:
    """A Decimal as a JSON number for ``GoalEvent.data``."""
    return None if value is None else float(value)


def _require_member(match: Match, user) -> None:
    """Refuse unless the pair is active and ``user`` is one of its two members."""
    member_ids = {match.mentee.person_id, match.mentor.person_id}
    if user is None or user.pk not in member_ids:
        raise GoalRefused("Only the two people in this pair can change its goals.")
    if match.status != Match.Status.ACTIVE:
        raise GoalRefused("This pair has ended: its goals can be read but no longer changed.")


def goal_owner_for(match: Match, user) -> Enrollment | None:
    """The enrollment whose goals ``user`` drafts in this pair, or None if they cannot.

    The mentee owns goals; in peer programs either peer owns their own.
    """
    if match.cohort.program.is_peer:
        if match.mentee.person_id == user.pk:
            return match.mentee
        if match.mentor.person_id == user.pk:
            return match.mentor
        return None
    return match.mentee if match.mentee.person_id == user.pk else None


def goal_side(goal: Goal, user) -> str | None:
    """``OWNER`` for the goal's owner, ``OTHER`` for the other member, None for anyone else."""
    match = goal.match
    if goal.owner.person_id == user.pk:
        return OWNER
    if user.pk in {match.mentee.person_id, match.mentor.person_id}:
        return OTHER
    return None


def allowed_transitions(goal: Goal, user) -> set[str]:
    """Statuses the user may move the goal to now (empty on ended pairs and for outsiders)."""
    if goal.match.status != Match.Status.ACTIVE:
        return set()
    side = goal_side(goal, user)
    return {to for (frm, to), who in TRANSITIONS.items() if frm == goal.status and who == side}


def _lock_goal(goal: Goal) -> Goal:
    return (
        Goal.objects.select_for_update(of=("self",))
        .select_related("match__cohort__program", "match__mentee", "match__mentor", "owner")
        .get(pk=goal.pk)
    )


def _require_transition(goal: Goal, user, to_status: str) -> None:
    _require_member(goal.match, user)
    who = TRANSITIONS.get((goal.status, to_status))
    side = goal_side(goal, user)
    if who is None:
        raise GoalRefused(
            f"A goal that is {goal.get_status_display().lower()} cannot become "
            f"{S(to_status).label.lower()}."
        )
    if who != side:
        if who == OWNER:
            raise GoalRefused("Only the person whose goal it is can do that.")
        raise GoalRefused("The other side of the pair agrees the goal, not its owner.")


def _set_status(goal: Goal, user, to_status: str, *, kind: str, comment: str = "", data=None):
    from_status = goal.status
    now = timezone.now()
    goal.status = to_status
    fields = ["status", "updated_at"]
    if to_status == S.AGREED and from_status == S.PROPOSED:
        goal.agreed_at = now
        fields.append("agreed_at")
    if to_status == S.ACHIEVED:
        goal.achieved_at = now
        fields.append("achieved_at")
    goal.save(update_fields=fields)
    GoalEvent.objects.create(
        goal=goal,
        actor=user,
        at=now,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        data=data or {},
    )
    if to_status == S.ACHIEVED:
        _celebrate("goal_achieved", match=goal.match, subject_ids=[goal.pk])


def _celebrate(kind: str, *, match: Match, subject_ids: Iterable[int]) -> None:
    """Record a celebration email to both members (``goal_achieved``, ``milestone_achieved``),
    sent once the surrounding transaction commits; once per subject, so a milestone ticked
    again after an untick is not celebrated twice."""
    if not match.cohort.reminders_enabled:  # celebrations are nudges: off with the others
        return
    people = (match.mentee.person_id, match.mentor.person_id)
    notifications_record([Due(kind, person_id, pk) for pk in subject_ids for person_id in people])


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
        .select_related("match__cohort", "match__mentee", "match__mentor")
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
        bump_pair(locked.match_id)  # a bulk update sends no signal (cached pair health)
        milestones_done = sum(1 for m in milestones if m.done_at is not None)
        percent = milestone_percent(done=milestones_done, total=len(milestones))
        data["milestones_done"] = milestones_done
        data["milestones_total"] = len(milestones)
        data["milestones_ticked"] = [m.pk for m in ticked]
        if ticked:
            _celebrate("milestone_achieved", match=locked.match, subject_ids=[m.pk for m in ticked])

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


# --- Drafting and editing ---------------------------------------------------------------------


@dataclass(frozen=True)
class GoalInput:
    """What the owner writes: the goal's text, measure and time-bound part."""

    title: str
    measure_kind: str = Goal.MeasureKind.METRIC
    description: str = ""
    metric_unit: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    milestones: Sequence[smart.MilestoneLine] = field(default_factory=tuple)
    relevance: str = ""
    due_on: date | None = None
    no_due_reason: str = ""

    def smart_draft(self, match: Match) -> smart.GoalDraft:
        cohort = match.cohort
        return smart.GoalDraft(
            title=self.title,
            description=self.description,
            measure_kind=self.measure_kind,
            metric_unit=self.metric_unit,
            baseline=self.baseline,
            target=self.target,
            milestones=tuple(self.milestones),
            relevance=self.relevance,
            due_on=self.due_on,
            no_due_reason=self.no_due_reason,
            cohort_starts_on=cohort.starts_on,
            cohort_ends_on=cohort.ends_on,
        )


def goal_input_of(goal: Goal) -> GoalInput:
    """The goal as the owner last wrote it (milestones in order)."""
    return GoalInput(
        title=goal.title,
        measure_kind=goal.measure_kind,
        description=goal.description,
        metric_unit=goal.metric_unit,
        baseline=goal.baseline,
        target=goal.target,
        milestones=tuple(
            smart.MilestoneLine(title=m.title, due_on=m.due_on) for m in goal.milestones.all()
        ),
        relevance=goal.relevance,
        due_on=goal.due_on,
        no_due_reason=goal.no_due_reason,
    )


def template_goal_input(template: GoalTemplate) -> GoalInput:
    """What a goal started from ``template`` holds before the mentee adapts it."""
    return GoalInput(
        title=template.title,
        measure_kind=template.measure_kind,
        description=template.description,
        metric_unit=template.metric_unit,
        milestones=tuple(smart.MilestoneLine(title=t) for t in template.milestone_titles),
    )


def goal_findings(match: Match, data: GoalInput, *, today: date | None = None):
    return smart.assess(data.smart_draft(match), today=today or timezone.localdate())


def database_problems(data: GoalInput) -> dict[str, str]:
    """What even a draft needs, because the database insists (field -> plain message)."""
    problems = {}
    if not data.title.strip():
        problems["title"] = "Give the goal a title, even for a draft."
    if data.measure_kind == Goal.MeasureKind.METRIC:
        if data.baseline is None:
            problems["baseline"] = "A number goal needs a baseline, even as a draft."
        if data.target is None:
            problems["target"] = "A number goal needs a target, even as a draft."
        elif data.baseline is not None and data.baseline == data.target:
            problems["target"] = "The target must differ from the baseline."
    if data.due_on is None and not data.no_due_reason.strip():
        problems["due_on"] = "Give a due date or say why there is none, even for a draft."
    return problems


def _measure_figures(data: GoalInput) -> dict:
    """The figures of a goal's measure and time bound, for ``GoalEvent.data`` (no text)."""
    figures = {
        "measure_kind": data.measure_kind,
        "due_on": data.due_on.isoformat() if data.due_on else None,
    }
    if data.measure_kind == Goal.MeasureKind.METRIC:
        figures["baseline"] = _figure(data.baseline)
        figures["target"] = _figure(data.target)
    else:
        figures["milestones_total"] = len(data.milestones)
    return figures


def _milestone_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _measure_changed(old: GoalInput, new: GoalInput) -> bool:
    if old.measure_kind != new.measure_kind or old.due_on != new.due_on:
        return True
    if new.measure_kind == Goal.MeasureKind.METRIC:
        return (old.baseline, old.target) != (new.baseline, new.target)
    return [_milestone_key(m.title) for m in old.milestones] != [
        _milestone_key(m.title) for m in new.milestones
    ]


def _clean_input(data: GoalInput) -> GoalInput:
    """Strip text, drop the figures of the measure kind not chosen."""
    metric = data.measure_kind == Goal.MeasureKind.METRIC
    if data.measure_kind not in Goal.MeasureKind.values:
        raise GoalRefused("Choose how the goal is measured: a number or milestones.")
    return GoalInput(
        title=data.title.strip(),
        measure_kind=data.measure_kind,
        description=data.description.strip(),
        metric_unit=data.metric_unit.strip() if metric else "",
        baseline=data.baseline if metric else None,
        target=data.target if metric else None,
        milestones=tuple(
            smart.MilestoneLine(title=" ".join(m.title.split()), due_on=m.due_on)
            for m in data.milestones
            if m.title.strip()
        )
        if not metric
        else (),
        relevance=data.relevance.strip(),
        due_on=data.due_on,
        no_due_reason=data.no_due_reason.strip(),
    )


def _check_saveable(match: Match, data: GoalInput, *, send: bool) -> None:
    problems = database_problems(data)
    if problems:
        raise GoalRefused(" ".join(problems.values()))
    if send:
        missing = smart.blocking(goal_findings(match, data))
        if missing:
            raise GoalNotSmart(missing)


def _write_fields(goal: Goal, data: GoalInput) -> None:
    for name in (
        "title",
        "measure_kind",
        "description",
        "metric_unit",
        "baseline",
        "target",
        "relevance",
        "due_on",
        "no_due_reason",
    ):
        setattr(goal, name, getattr(data, name))
    if goal.measure_kind != Goal.MeasureKind.METRIC:
        goal.current_value = None


def _write_milestones(goal: Goal, lines: Sequence[smart.MilestoneLine]) -> None:
    """Keep milestones whose title stays (with when and who ticked them), add new, drop gone."""
    existing: dict[str, list[Milestone]] = {}
    for milestone in goal.milestones.all():
        existing.setdefault(_milestone_key(milestone.title), []).append(milestone)
    keep, create = [], []
    for position, line in enumerate(lines):
        same = existing.get(_milestone_key(line.title))
        if same:
            milestone = same.pop(0)
            milestone.title, milestone.due_on, milestone.position = (
                line.title,
                line.due_on,
                position,
            )
            keep.append(milestone)
        else:
            create.append(
                Milestone(goal=goal, title=line.title, due_on=line.due_on, position=position)
            )
    gone = [m.pk for left in existing.values() for m in left]
    if gone:
        Milestone.objects.filter(pk__in=gone).delete()
    if keep:
        Milestone.objects.bulk_update(keep, ["title", "due_on", "position"])
    if create:
        Milestone.objects.bulk_create(create)
    if keep or create:
        bump_pair(goal.match_id)  # bulk writes send no signal (cached pair health, pair page)


@transaction.atomic
def goal_create(
    *,
    match: Match,
    user,
    data: GoalInput,
    send: bool = False,
    template: GoalTemplate | None = None,
) -> Goal:
    """Draft a goal for the user in this pair (``send``: and send it to the other side).

    Only the goal's owner drafts it: the mentee, or either peer in a peer program. A draft may
    be saved with SMART findings (except what the database requires); sending needs none
    missing, else ``GoalNotSmart``.
    """
    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("cohort__program", "mentee", "mentor")
        .get(pk=match.pk)
    )
    _require_member(match, user)
    owner = goal_owner_for(match, user)
    if owner is None:
        raise GoalRefused("Goals are drafted by the mentee; you agree them or ask for changes.")
    if template is not None and (
        template.program_id != match.cohort.program_id or not template.is_active
    ):
        raise GoalRefused("That goal template is not offered in this program.")
    data = _clean_input(data)
    _check_saveable(match, data, send=send)
    now = timezone.now()
    goal = Goal(match=match, owner=owner, template=template, created_by=user, created_at=now)
    _write_fields(goal, data)
    goal.status = S.DRAFT
    goal.save()
    if data.measure_kind == Goal.MeasureKind.MILESTONES:
        _write_milestones(goal, data.milestones)
    GoalEvent.objects.create(
        goal=goal,
        actor=user,
        at=now,
        kind=GoalEvent.Kind.CREATED,
        to_status=S.DRAFT,
        data=_measure_figures(data),
    )
    if send:
        _set_status(goal, user, S.PROPOSED, kind=GoalEvent.Kind.PROPOSED)
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, user, data: GoalInput, send: bool | None = None) -> Goal:
    """The owner edits their goal.

    ``send``: True sends it to the other side (proposed), False keeps it as a draft
    (a proposed goal is taken back), None keeps its status; the latter is how agreed and
    paused goals are edited. When the measure, target, milestones or due date of an agreed
    (or paused) goal change, a ``target`` event keeps the old and new figures and the goal
    goes back to the other side for agreement (which needs nothing SMART missing).
    """
    goal = _lock_goal(goal)
    _require_member(goal.match, user)
    if goal_side(goal, user) != OWNER:
        raise GoalRefused("Only the person whose goal it is can edit it.")
    if goal.status not in EDITABLE:
        raise GoalRefused(
            f"This goal is {goal.get_status_display().lower()}: it can no longer be edited."
        )
    old = goal_input_of(goal)
    data = _clean_input(data)
    changed_measure = _measure_changed(old, data)
    to_status = goal.status
    if goal.status in (S.AGREED, S.PAUSED):
        if send is False:
            raise GoalRefused("An agreed goal cannot go back to being a draft.")
        if changed_measure:
            to_status = S.PROPOSED
    elif send is True:
        to_status = S.PROPOSED
    elif send is False:
        to_status = S.DRAFT
    _check_saveable(goal.match, data, send=to_status == S.PROPOSED)

    changed = [
        name
        for name in (
            "title",
            "measure_kind",
            "description",
            "metric_unit",
            "baseline",
            "target",
            "relevance",
            "due_on",
            "no_due_reason",
        )
        if getattr(old, name) != getattr(data, name)
    ]
    if old.milestones != data.milestones:
        changed.append("milestones")
    _write_fields(goal, data)
    goal.save()
    if data.measure_kind == Goal.MeasureKind.MILESTONES:
        _write_milestones(goal, data.milestones)
    elif old.milestones:
        goal.milestones.all().delete()
    now = timezone.now()
    if changed_measure:
        GoalEvent.objects.create(
            goal=goal,
            actor=user,
            at=now,
            kind=GoalEvent.Kind.TARGET,
            data={"old": _measure_figures(old), "new": _measure_figures(data)},
        )
    elif changed:
        GoalEvent.objects.create(
            goal=goal, actor=user, at=now, kind=GoalEvent.Kind.EDITED, data={"fields": changed}
        )
    if to_status != goal.status:
        kind = GoalEvent.Kind.PROPOSED if to_status == S.PROPOSED else GoalEvent.Kind.STATUS
        _set_status(goal, user, to_status, kind=kind)
    return goal


# --- Agreeing and status changes --------------------------------------------------------------


@transaction.atomic
def goal_propose(*, goal: Goal, user) -> Goal:
    """The owner sends a draft (or a goal with changes requested) to the other side."""
    goal = _lock_goal(goal)
    if goal.status not in SENDABLE:
        _require_member(goal.match, user)
        raise GoalRefused(
            f"This goal is {goal.get_status_display().lower()}: there is nothing to send."
        )
    _require_transition(goal, user, S.PROPOSED)
    _check_saveable(goal.match, goal_input_of(goal), send=True)
    _set_status(goal, user, S.PROPOSED, kind=GoalEvent.Kind.PROPOSED)
    return goal


@transaction.atomic
def goal_agree(*, goal: Goal, user, comment: str = "") -> Goal:
    """The other side (the mentor; in peer programs the other peer) agrees a proposed goal."""
    goal = _lock_goal(goal)
    _require_transition(goal, user, S.AGREED)
    _set_status(goal, user, S.AGREED, kind=GoalEvent.Kind.AGREED, comment=comment.strip())
    return goal


@transaction.atomic
def goal_request_changes(*, goal: Goal, user, comment: str) -> Goal:
    """The other side asks for changes to a proposed goal, saying what (required)."""
    goal = _lock_goal(goal)
    _require_transition(goal, user, S.CHANGES_REQUESTED)
    comment = (comment or "").strip()
    if not comment:
        raise GoalRefused("Say what should change, so they know what to do.")
    _set_status(
        goal, user, S.CHANGES_REQUESTED, kind=GoalEvent.Kind.CHANGES_REQUESTED, comment=comment
    )
    return goal


# The owner's own status changes (pause, resume, achieve, drop) and their event kinds.
OWNER_STATUS_CHANGES = (S.PAUSED, S.AGREED, S.ACHIEVED, S.DROPPED)


@transaction.atomic
def goal_status_change(*, goal: Goal, user, to_status: str, comment: str = "") -> Goal:
    """The owner pauses, resumes, marks achieved or drops a goal (with an optional comment)."""
    goal = _lock_goal(goal)
    if to_status not in OWNER_STATUS_CHANGES:
        raise GoalRefused("That is not a status you can set directly.")
    _require_transition(goal, user, to_status)
    _set_status(goal, user, to_status, kind=GoalEvent.Kind.STATUS, comment=comment.strip())
    return goal


# --- Milestones -------------------------------------------------------------------------------


@transaction.atomic
def milestone_set_done(*, milestone: Milestone, user, done: bool = True) -> Milestone:
    """Tick a milestone (when and who are recorded) or untick one ticked by mistake.

    Either member of an active pair may do it, on an open goal. A tick is kept as a
    ``milestone`` event, an untick as an ``edited`` event, both with the new percent.
    """
    goal = _lock_goal(milestone.goal)
    _require_member(goal.match, user)
    if goal.status not in Goal.OPEN:
        raise GoalRefused(
            f"This goal is {goal.get_status_display().lower()}: its milestones can no longer "
            "change."
        )
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, goal=goal)
    if (milestone.done_at is not None) == done:
        return milestone
    now = timezone.now()
    milestone.done_at = now if done else None
    milestone.done_by = user if done else None
    milestone.save(update_fields=["done_at", "done_by"])
    states = list(goal.milestones.values_list("done_at", flat=True))
    done_count = sum(1 for at in states if at is not None)
    data = {
        "milestone": milestone.pk,
        "done": done,
        "milestones_done": done_count,
        "milestones_total": len(states),
        "percent": milestone_percent(done=done_count, total=len(states)),
    }
    GoalEvent.objects.create(
        goal=goal,
        actor=user,
        at=now,
        kind=GoalEvent.Kind.MILESTONE_DONE if done else GoalEvent.Kind.EDITED,
        data=data,
    )
    Goal.objects.filter(pk=goal.pk).update(updated_at=now)
    if done:
        _celebrate("milestone_achieved", match=goal.match, subject_ids=[milestone.pk])
    return milestone


# --- Goal templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalTemplateInput:
    title: str
    measure_kind: str = Goal.MeasureKind.MILESTONES
    description: str = ""
    metric_unit: str = ""
    relevance_hint: str = ""
    milestone_titles: Sequence[str] = field(default_factory=tuple)


def _write_template(template: GoalTemplate, data: GoalTemplateInput) -> None:
    if data.measure_kind not in Goal.MeasureKind.values:
        raise GoalRefused("Choose how goals from this template are measured.")
    title = " ".join(data.title.split())
    if not title:
        raise GoalRefused("Give the template a title.")
    metric = data.measure_kind == Goal.MeasureKind.METRIC
    template.title = title
    template.measure_kind = data.measure_kind
    template.description = data.description.strip()
    template.metric_unit = data.metric_unit.strip() if metric else ""
    template.relevance_hint = data.relevance_hint.strip()
    template.milestone_titles = (
        [] if metric else [" ".join(t.split()) for t in data.milestone_titles if t.strip()]
    )
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        raise GoalRefused(f"This program already has a goal template called “{title}”.") from exc


@transaction.atomic
def goal_template_create(*, program: Program, data: GoalTemplateInput) -> GoalTemplate:
    template = GoalTemplate(program=program)
    _write_template(template, data)
    return template


@transaction.atomic
def goal_template_update(*, template: GoalTemplate, data: GoalTemplateInput) -> GoalTemplate:
    _write_template(template, data)
    return template


@transaction.atomic
def goal_template_set_active(*, template: GoalTemplate, active: bool) -> GoalTemplate:
    """Deactivated templates are no longer offered; goals started from them keep the link."""
    template.is_active = active
    template.save(update_fields=["is_active"])
    return template
