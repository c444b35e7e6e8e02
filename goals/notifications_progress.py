"""Goal and cohort kinds: goals due, milestones overdue, progress, celebrations, cohort
milestones, and the program admins' weekly digest.

Reminders and nudges go to the people of active pairs in cohorts with ``reminders_enabled``
(celebrations too: they are nudges, switched off with the others). Day-based ones become due
at 09:00 in the recipient's time zone. Every email names the goal or the cohort and links to
the page where to act; none carries text the pair wrote beyond a goal's or milestone's title.

- ``goal_due_soon``: ``cohort.goal_due_soon_days`` before an agreed goal's due date, to both
  members; once per goal and due date (period: the due date).
- ``milestone_overdue``: the day after an open milestone of an agreed goal was due, to the
  goal's owner; once per milestone and due date (period: the due date).
- ``progress_stale``: ``cohort.progress_stale_days`` after the last progress update (or the
  goal's agreement) on an agreed goal, to its owner; once per quiet spell (period: the date of
  that last update, in the project's time zone).
- ``goal_achieved`` / ``milestone_achieved``: recorded by ``goals.services.goals`` inside the
  change's transaction, to both members; once per goal or milestone (ticking a milestone
  again does not send again).
- ``cohort_midpoint``, ``cohort_wrap_up`` (14 days before the end), ``cohort_ended``: to both
  members of each active pair, on the day or up to ``COHORT_NUDGE_LATE_DAYS`` later, never
  for older cohorts (period: the day).
- ``admin_digest``: Monday 09:00 in each program admin's zone (period: the ISO week), new
  at-risk pairs, unmatched people and intake gaps of their programs' running and coming
  cohorts; nothing is sent in a week with nothing to report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from goals.access import Pair, pair_for
from goals.models import Goal, Milestone, ProgressUpdate
from goals.selectors.digest import admin_digest
from matching.models import Match
from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import (
    Due,
    Email,
    Kind,
    day_reached,
    local_moment,
    local_today,
    register,
    user_zone,
)
from people.roles import roles_for
from programs.models import Cohort, Enrollment

GOAL_DUE_SOON = "goal_due_soon"
MILESTONE_OVERDUE = "milestone_overdue"
PROGRESS_STALE = "progress_stale"
GOAL_ACHIEVED = "goal_achieved"
MILESTONE_ACHIEVED = "milestone_achieved"
COHORT_MIDPOINT = "cohort_midpoint"
COHORT_WRAP_UP = "cohort_wrap_up"
COHORT_ENDED = "cohort_ended"
ADMIN_DIGEST = "admin_digest"

# A milestone's overdue reminder is still recorded this many days after it became due (a scan
# that ran late), never for milestones overdue for longer.
OVERDUE_LATE_DAYS = 7
# Cohort nudges are recorded on their day or up to this many days later, never afterwards.
COHORT_NUDGE_LATE_DAYS = 3
# The wrap-up nudge: this many days before the cohort ends.
WRAP_UP_DAYS = 14
# The Monday digest is still recorded up to this many days later (a scan that ran late).
DIGEST_LATE_DAYS = 2

PAIR_RELATED = ("cohort__program", "mentee__person", "mentor__person")


# --- Helpers ----------------------------------------------------------------------------------


def local_day_range(now: datetime) -> tuple[date, date]:
    """The earliest and the latest date it is somewhere at ``now`` (UTC-12 to UTC+14)."""
    utc = now.astimezone(UTC)
    return (utc - timedelta(hours=12)).date(), (utc + timedelta(hours=14)).date()


def _iso(expression) -> Func:
    """A date column written as a period is ("2026-11-23")."""
    return Func(expression, Value("YYYY-MM-DD"), function="to_char", output_field=CharField())


def _recorded(kind: str, *, recipient: str, period=None, **extra) -> Exists:
    """A row of ``kind`` exists for the outer row (subject) and the recipient at ``recipient``."""
    rows = Notification.objects.filter(
        kind=kind, subject_id=OuterRef("pk"), recipient_id=OuterRef(recipient), **extra
    )
    if period is not None:
        rows = rows.filter(period=period)
    return Exists(rows)


def _person_fields(path: str) -> tuple[str, str]:
    """What a scan reads of a recipient: their zone, and whether they can sign in."""
    return (f"{path}__timezone", f"{path}__is_active")


def _members(match: Match) -> tuple:
    return (match.mentee.person, match.mentor.person)


def _reminding_pair(match: Match | None, user) -> Pair | None:
    """The recipient's side of a pair that still takes reminders (active, reminders on)."""
    if match is None or match.status != Match.Status.ACTIVE:
        return None
    if not match.cohort.reminders_enabled:
        return None
    if user.pk not in (match.mentee.person_id, match.mentor.person_id):
        return None
    return pair_for(match, user)


def _open_goal_filter(day_min: date, prefix: str = "") -> Q:
    """Agreed goals of active pairs in cohorts with reminders on that have not ended."""
    return Q(
        **{
            f"{prefix}status": Goal.Status.AGREED,
            f"{prefix}match__status": Match.Status.ACTIVE,
            f"{prefix}match__cohort__reminders_enabled": True,
            f"{prefix}match__cohort__ends_on__gte": day_min,
        }
    )


def _goal_for_email(pk: int) -> Goal | None:
    return (
        Goal.objects.select_related("owner__person", *(f"match__{path}" for path in PAIR_RELATED))
        .filter(pk=pk)
        .first()
    )


def _url(name: str, *args, **kwargs) -> str:
    return absolute_url(reverse(name, args=args or None, kwargs=kwargs or None))


def _zone_name(user) -> str:
    return str(user_zone(user.timezone))


def _pair_context(pair: Pair) -> dict:
    match = pair.match
    return {
        "pair": pair,
        "other": pair.other.person,
        "cohort": match.cohort,
        "program": match.cohort.program,
        "pair_url": _url("goals:pair", match.pk),
        "goals_url": _url("goals:goal_list", match.pk),
    }


def _goal_context(pair: Pair, goal: Goal) -> dict:
    return {
        **_pair_context(pair),
        "goal": goal,
        "is_owner": goal.owner.person_id == pair.me.person_id,
        "goal_url": _url("goals:goal", pair.match.pk, goal.pk),
    }


# --- Goal due soon ----------------------------------------------------------------------------


def goal_due_soon_scan(now: datetime) -> list[Due]:
    day_min, day_max = local_day_range(now)
    remind_on = ExpressionWrapper(
        F("due_on") - F("match__cohort__goal_due_soon_days"), output_field=DateField()
    )
    period = _iso(OuterRef("due_on"))
    goals = (
        Goal.objects.filter(_open_goal_filter(day_min), due_on__gt=day_min)
        .alias(remind_on=remind_on)
        .filter(remind_on__lte=day_max)
        .exclude(
            _recorded(GOAL_DUE_SOON, recipient="match__mentee__person_id", period=period)
            & _recorded(GOAL_DUE_SOON, recipient="match__mentor__person_id", period=period)
        )
        .select_related("match__cohort", "match__mentee__person", "match__mentor__person")
        .only(
            "due_on",
            "match__cohort__goal_due_soon_days",
            *_person_fields("match__mentee__person"),
            *_person_fields("match__mentor__person"),
        )
        .order_by()
    )
    dues = []
    for goal in goals:
        remind_day = goal.due_on - timedelta(days=goal.match.cohort.goal_due_soon_days)
        for person in _members(goal.match):
            tz = person.timezone
            if (
                person.is_active
                and day_reached(remind_day, now, tz)
                and local_today(now, tz) < goal.due_on
            ):
                dues.append(
                    Due(
                        GOAL_DUE_SOON,
                        person.pk,
                        goal.pk,
                        goal.due_on.isoformat(),
                        local_moment(remind_day, tz),
                    )
                )
    return dues


def goal_due_soon_build(notification: Notification) -> Email | None:
    goal = _goal_for_email(notification.subject_id)
    if goal is None or goal.status != Goal.Status.AGREED or goal.due_on is None:
        return None
    if goal.due_on.isoformat() != notification.period:
        return None
    recipient = notification.recipient
    pair = _reminding_pair(goal.match, recipient)
    if pair is None:
        return None
    days_left = (goal.due_on - local_today(timezone.now(), recipient.timezone)).days
    if days_left <= 0:
        return None
    return Email(
        "goals/email/goal_due_soon",
        {**_goal_context(pair, goal), "days_left": days_left},
    )


# --- Milestone overdue ------------------------------------------------------------------------


def milestone_overdue_scan(now: datetime) -> list[Due]:
    day_min, day_max = local_day_range(now)
    milestones = (
        Milestone.objects.filter(
            _open_goal_filter(day_min, prefix="goal__"),
            done_at__isnull=True,
            due_on__lt=day_max,
            due_on__gte=day_min - timedelta(days=OVERDUE_LATE_DAYS + 1),
        )
        .exclude(
            _recorded(
                MILESTONE_OVERDUE,
                recipient="goal__owner__person_id",
                period=_iso(OuterRef("due_on")),
            )
        )
        .select_related("goal__owner__person")
        .only("due_on", *_person_fields("goal__owner__person"))
        .order_by()
    )
    dues = []
    for milestone in milestones:
        person = milestone.goal.owner.person
        tz = person.timezone
        remind_day = milestone.due_on + timedelta(days=1)
        if (
            person.is_active
            and day_reached(remind_day, now, tz)
            and local_today(now, tz) <= remind_day + timedelta(days=OVERDUE_LATE_DAYS)
        ):
            dues.append(
                Due(
                    MILESTONE_OVERDUE,
                    person.pk,
                    milestone.pk,
                    milestone.due_on.isoformat(),
                    local_moment(remind_day, tz),
                )
            )
    return dues


def milestone_overdue_build(notification: Notification) -> Email | None:
    milestone = Milestone.objects.filter(pk=notification.subject_id).first()
    if milestone is None or milestone.done_at is not None or milestone.due_on is None:
        return None
    if milestone.due_on.isoformat() != notification.period:
        return None
    goal = _goal_for_email(milestone.goal_id)
    if goal.status != Goal.Status.AGREED or goal.owner.person_id != notification.recipient_id:
        return None
    pair = _reminding_pair(goal.match, notification.recipient)
    if pair is None:
        return None
    today = local_today(timezone.now(), notification.recipient.timezone)
    return Email(
        "goals/email/milestone_overdue",
        {
            **_goal_context(pair, goal),
            "milestone": milestone,
            "days_overdue": max(1, (today - milestone.due_on).days),
        },
    )


# --- Progress stale ---------------------------------------------------------------------------


def _last_update():
    return Subquery(
        ProgressUpdate.objects.filter(goal=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def with_progress_anchor(goals):
    """``anchor``: the last progress update, or the goal's agreement (or creation) if later."""
    return goals.annotate(anchor=Greatest(_last_update(), F("agreed_at"), F("created_at")))


def anchor_day(anchor: datetime) -> date:
    """The period of a quiet spell: its anchor's date in the project's time zone (a key that
    stays the same whatever the recipient's zone becomes)."""
    return timezone.localdate(anchor)


def progress_stale_scan(now: datetime) -> list[Due]:
    day_min, _ = local_day_range(now)
    # Anchored at least (stale days - 1) ago: the exact day is read in each recipient's zone.
    quiet_since = ExpressionWrapper(
        Value(now + timedelta(days=1))
        - F("match__cohort__progress_stale_days") * Value(timedelta(days=1)),
        output_field=DateTimeField(),
    )
    goals = (
        with_progress_anchor(Goal.objects.filter(_open_goal_filter(day_min)))
        .filter(anchor__lte=quiet_since)
        .exclude(
            _recorded(PROGRESS_STALE, recipient="owner__person_id", due_at__gt=OuterRef("anchor"))
        )
        .select_related("match__cohort", "owner__person")
        .only("match__cohort__progress_stale_days", *_person_fields("owner__person"))
        .order_by()
    )
    dues = []
    for goal in goals:
        person = goal.owner.person
        tz = person.timezone
        start = anchor_day(goal.anchor)
        remind_day = start + timedelta(days=goal.match.cohort.progress_stale_days)
        if person.is_active and day_reached(remind_day, now, tz):
            dues.append(
                Due(
                    PROGRESS_STALE,
                    person.pk,
                    goal.pk,
                    start.isoformat(),
                    local_moment(remind_day, tz),
                )
            )
    return dues


def progress_stale_build(notification: Notification) -> Email | None:
    goal = with_progress_anchor(
        Goal.objects.select_related(
            "owner__person", *(f"match__{path}" for path in PAIR_RELATED)
        ).filter(pk=notification.subject_id)
    ).first()
    if goal is None or goal.status != Goal.Status.AGREED:
        return None
    if goal.owner.person_id != notification.recipient_id:
        return None
    start = anchor_day(goal.anchor)
    if start.isoformat() != notification.period:
        return None  # progress was logged since
    pair = _reminding_pair(goal.match, notification.recipient)
    if pair is None:
        return None
    today = local_today(timezone.now(), notification.recipient.timezone)
    return Email(
        "goals/email/progress_stale",
        {
            **_goal_context(pair, goal),
            "quiet_days": (today - start).days,
            "since": start,
            "has_updates": goal.progress_updates.exists(),
        },
    )


# --- Celebrations (recorded by goals.services.goals) ------------------------------------------


def goal_achieved_build(notification: Notification) -> Email | None:
    goal = _goal_for_email(notification.subject_id)
    if goal is None or goal.status != Goal.Status.ACHIEVED:
        return None
    pair = _reminding_pair(goal.match, notification.recipient)
    if pair is None:
        return None
    return Email("goals/email/goal_achieved", _goal_context(pair, goal))


def milestone_achieved_build(notification: Notification) -> Email | None:
    milestone = Milestone.objects.filter(pk=notification.subject_id).first()
    if milestone is None or milestone.done_at is None:
        return None  # unticked before the email went out
    goal = _goal_for_email(milestone.goal_id)
    pair = _reminding_pair(goal.match, notification.recipient)
    if pair is None:
        return None
    states = list(goal.milestones.values_list("done_at", flat=True))
    return Email(
        "goals/email/milestone_achieved",
        {
            **_goal_context(pair, goal),
            "milestone": milestone,
            "done": sum(1 for at in states if at is not None),
            "total": len(states),
        },
    )


# --- Cohort milestones ------------------------------------------------------------------------


def cohort_midpoint_day(cohort: Cohort) -> date:
    return cohort.starts_on + (cohort.ends_on - cohort.starts_on) // 2


def cohort_anchor(kind: str, cohort: Cohort) -> date | None:
    """The day of a cohort nudge (None: this cohort has none of that kind)."""
    if kind == COHORT_MIDPOINT:
        return cohort_midpoint_day(cohort)
    if kind == COHORT_WRAP_UP:
        day = cohort.ends_on - timedelta(days=WRAP_UP_DAYS)
        # A cohort too short for both: the midpoint prompt is enough.
        return day if day > cohort_midpoint_day(cohort) else None
    if kind == COHORT_ENDED:
        return cohort.ends_on
    raise ValueError(kind)


def _cohort_scan(kind: str, now: datetime) -> Iterator[Due]:
    day_min, day_max = local_day_range(now)
    late = timedelta(days=COHORT_NUDGE_LATE_DAYS)
    cohorts = Cohort.objects.filter(
        reminders_enabled=True, starts_on__lte=day_max, ends_on__gte=day_min - late
    )
    for cohort in cohorts:
        anchor = cohort_anchor(kind, cohort)
        if anchor is None or anchor > day_max or anchor + late < day_min:
            continue
        period = anchor.isoformat()
        matches = (
            Match.objects.filter(cohort=cohort, status=Match.Status.ACTIVE)
            .exclude(
                _recorded(kind, recipient="mentee__person_id", period=period)
                & _recorded(kind, recipient="mentor__person_id", period=period)
            )
            .select_related("mentee__person", "mentor__person")
            .only(*_person_fields("mentee__person"), *_person_fields("mentor__person"))
            .order_by()
        )
        for match in matches:
            for person in _members(match):
                tz = person.timezone
                if (
                    person.is_active
                    and day_reached(anchor, now, tz)
                    and local_today(now, tz) <= anchor + late
                ):
                    yield Due(kind, person.pk, match.pk, period, local_moment(anchor, tz))


def cohort_midpoint_scan(now: datetime) -> list[Due]:
    return list(_cohort_scan(COHORT_MIDPOINT, now))


def cohort_wrap_up_scan(now: datetime) -> list[Due]:
    return list(_cohort_scan(COHORT_WRAP_UP, now))


def cohort_ended_scan(now: datetime) -> list[Due]:
    return list(_cohort_scan(COHORT_ENDED, now))


def _cohort_pair(notification: Notification, *, ended_ok: bool = False) -> Pair | None:
    match = Match.objects.select_related(*PAIR_RELATED).filter(pk=notification.subject_id).first()
    if match is None:
        return None
    anchor = cohort_anchor(notification.kind, match.cohort)
    if anchor is None or anchor.isoformat() != notification.period:
        return None  # the cohort's dates changed
    if (
        ended_ok
        and match.status == Match.Status.ENDED
        and match.ended_at
        and timezone.localdate(match.ended_at) >= anchor
    ):
        # Closed by the admin once the cohort was over: still thanked.
        match.status = Match.Status.ACTIVE
    return _reminding_pair(match, notification.recipient)


def cohort_midpoint_build(notification: Notification) -> Email | None:
    pair = _cohort_pair(notification)
    if pair is None:
        return None
    return Email("goals/email/cohort_midpoint", _pair_context(pair))


def cohort_wrap_up_build(notification: Notification) -> Email | None:
    pair = _cohort_pair(notification)
    if pair is None:
        return None
    return Email(
        "goals/email/cohort_wrap_up",
        {**_pair_context(pair), "meeting_new_url": _url("goals:meeting_new", pair.match.pk)},
    )


def next_open_cohort(cohort: Cohort, today: date) -> Cohort | None:
    """A later cohort of the same program whose applications are open today."""
    return (
        Cohort.objects.filter(
            program_id=cohort.program_id,
            starts_on__gt=cohort.starts_on,
            application_opens__lte=today,
            application_closes__gte=today,
        )
        .order_by("application_closes", "starts_on", "pk")
        .first()
    )


def cohort_ended_build(notification: Notification) -> Email | None:
    pair = _cohort_pair(notification, ended_ok=True)
    if pair is None:
        return None
    cohort = pair.match.cohort
    today = local_today(timezone.now(), notification.recipient.timezone)
    return Email(
        "goals/email/cohort_ended",
        {
            **_pair_context(pair),
            "was_mentee": pair.me.role == Enrollment.Role.MENTEE,
            "next_cohort": next_open_cohort(cohort, today),
            "program_url": _url("programs:program_detail", slug=cohort.program.slug),
        },
    )


# --- The program admins' weekly digest --------------------------------------------------------


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def admin_digest_scan(now: datetime) -> list[Due]:
    day_min, _ = local_day_range(now)
    admins = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Exists(Cohort.objects.filter(program__admins=OuterRef("pk"), ends_on__gte=day_min)))
        .only("pk", "timezone")
        .order_by()
    )
    dues = []
    for admin in admins:
        tz = admin.timezone
        today = local_today(now, tz)
        monday = today - timedelta(days=today.weekday())
        if day_reached(monday, now, tz) and today <= monday + timedelta(days=DIGEST_LATE_DAYS):
            dues.append(Due(ADMIN_DIGEST, admin.pk, 0, iso_week(monday), local_moment(monday, tz)))
    return dues


def _absolute_digest_urls(digest) -> None:
    for cohort in digest.cohorts:
        for name in ("dashboard_url", "pairs_url", "at_risk_url", "board_url", "intake_url"):
            setattr(cohort, name, absolute_url(getattr(cohort, name)))


def admin_digest_build(notification: Notification) -> Email | None:
    recipient = notification.recipient
    now = timezone.now()
    digest = admin_digest(recipient, now=now, today=local_today(now, recipient.timezone))
    if not digest:
        return None
    _absolute_digest_urls(digest)
    return Email(
        "goals/email/admin_digest",
        {"digest": digest, "week": notification.period, "zone_name": _zone_name(recipient)},
    )


def is_program_admin(user) -> bool:
    return roles_for(user).is_program_admin


# --- Registration -----------------------------------------------------------------------------

register(
    Kind(
        name=GOAL_DUE_SOON,
        label="Goal due dates",
        description="7 days before an agreed goal is due, to both of the pair.",
        audience="participants",
        build=goal_due_soon_build,
        scan=goal_due_soon_scan,
    )
)
register(
    Kind(
        name=MILESTONE_OVERDUE,
        label="Overdue milestones",
        description="The day after a milestone of an agreed goal was due and is not done.",
        audience="participants",
        build=milestone_overdue_build,
        scan=milestone_overdue_scan,
    )
)
register(
    Kind(
        name=PROGRESS_STALE,
        label="Progress nudges",
        description="When an agreed goal has had no progress update for 30 days.",
        audience="participants",
        build=progress_stale_build,
        scan=progress_stale_scan,
    )
)
register(
    Kind(
        name=GOAL_ACHIEVED,
        label="Goals achieved",
        description="When a goal of your pair is marked achieved: a note to celebrate it.",
        audience="participants",
        build=goal_achieved_build,
    )
)
register(
    Kind(
        name=MILESTONE_ACHIEVED,
        label="Milestones reached",
        description="When a milestone of your pair's goals is ticked done, once per milestone.",
        audience="participants",
        build=milestone_achieved_build,
    )
)
register(
    Kind(
        name=COHORT_MIDPOINT,
        label="Cohort midpoint prompts",
        description="Halfway through the cohort: a prompt to review your goals together.",
        audience="participants",
        build=cohort_midpoint_build,
        scan=cohort_midpoint_scan,
    )
)
register(
    Kind(
        name=COHORT_WRAP_UP,
        label="Cohort wrap-up prompts",
        description="Two weeks before the cohort ends: a prompt to plan a last meeting and "
        "mark your goals.",
        audience="participants",
        build=cohort_wrap_up_build,
        scan=cohort_wrap_up_scan,
    )
)
register(
    Kind(
        name=COHORT_ENDED,
        label="End-of-cohort thanks",
        description="On the cohort's last day: thanks, and how to take part in the next cohort.",
        audience="participants",
        build=cohort_ended_build,
        scan=cohort_ended_scan,
    )
)
register(
    Kind(
        name=ADMIN_DIGEST,
        label="Weekly program digests",
        description="Mondays at 09:00: new at-risk pairs, unmatched people and unfinished "
        "intakes in the cohorts you run.",
        audience="admins",
        build=admin_digest_build,
        scan=admin_digest_scan,
        shown_to=is_program_admin,
    )
)
