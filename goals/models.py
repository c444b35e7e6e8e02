"""The pair's workspace: agreement, SMART goals, milestones, progress, meetings, check-ins.

A pair is a published ``matching.Match``. Everything here hangs off it, so every lookup can be
scoped to "matches this user is a member of" (see ``goals.access``).

Privacy tiers (DESIGN.md): shared text (agreement expectations, goal text, check-in notes,
reviews) is for the pair only; ``PrivateNote`` is for its author only. Program admins and HR
see that things happened, dates, ratings, statuses and progress figures, never text.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone as dj_timezone

from matching.models import Match
from programs.models import Enrollment, Program


class AgreementRevision(models.Model):
    """One version of the pair's mentorship agreement; the highest ``number`` is current.

    Revising makes a new row (earlier ones are kept unchanged) and both sides confirm again.
    """

    class Format(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"
        CALL = "call", "Call"

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="agreement_revisions")
    number = models.PositiveSmallIntegerField()
    cadence_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days between meetings",
    )
    formats = ArrayField(models.CharField(max_length=10, choices=Format.choices), default=list)
    confidentiality = models.TextField(max_length=2000, blank=True)
    mentee_expectations = models.TextField(max_length=2000, blank=True)
    mentor_expectations = models.TextField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    mentee_confirmed_at = models.DateTimeField(null=True, blank=True)
    mentor_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["match", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["match", "number"], name="agreement_revision_once"),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1) & Q(cadence_days__lte=90),
                name="agreement_cadence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.number} of match {self.match_id}"

    @property
    def is_confirmed(self) -> bool:
        return self.mentee_confirmed_at is not None and self.mentor_confirmed_at is not None


class GoalTemplate(models.Model):
    """A starting point a program admin maintains ("Lead a project", "Get a certification")."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="goal_templates")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    measure_kind = models.CharField(max_length=10, default="milestones")
    metric_unit = models.CharField(max_length=40, blank=True)
    relevance_hint = models.TextField(max_length=1000, blank=True)
    milestone_titles = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["program", "title"]
        constraints = [
            models.UniqueConstraint(fields=["program", "title"], name="goal_template_title_once"),
            models.CheckConstraint(
                condition=Q(measure_kind__in=["metric", "milestones"]),
                name="goal_template_measure_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    """A SMART goal of the mentee in a pair.

    Only ``agreed`` (and later ``paused``/``achieved``) goals count in progress reports: the
    mentor agrees a proposed goal or asks for changes. Every change of status or target is
    kept as a ``GoalEvent``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Waiting for the mentor"
        CHANGES_REQUESTED = "changes", "Changes requested"
        AGREED = "agreed", "Agreed"
        PAUSED = "paused", "Paused"
        ACHIEVED = "achieved", "Achieved"
        DROPPED = "dropped", "Dropped"

    class MeasureKind(models.TextChoices):
        METRIC = "metric", "A number from a baseline to a target"
        MILESTONES = "milestones", "A checklist of milestones"

    # Statuses in which the mentor has agreed the goal (they count in reports).
    COUNTED = (Status.AGREED, Status.PAUSED, Status.ACHIEVED)
    OPEN = (Status.DRAFT, Status.PROPOSED, Status.CHANGES_REQUESTED, Status.AGREED, Status.PAUSED)

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="goals")
    # Whose goal it is: the mentee (in peer programs, either peer); the other side agrees it.
    owner = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="smart_goals")
    template = models.ForeignKey(
        GoalTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    title = models.CharField(max_length=200, help_text="Specific: what you will do")
    description = models.TextField(max_length=4000, blank=True)
    measure_kind = models.CharField(
        max_length=10, choices=MeasureKind.choices, default=MeasureKind.METRIC
    )
    metric_unit = models.CharField(max_length=40, blank=True)
    baseline = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The latest value from a progress update; the percent is derived from it, never typed.
    current_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    relevance = models.TextField(max_length=2000, blank=True, help_text="Why it matters")
    due_on = models.DateField(null=True, blank=True)
    no_due_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    achieved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["match", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "proposed",
                        "changes",
                        "agreed",
                        "paused",
                        "achieved",
                        "dropped",
                    ]
                ),
                name="goal_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(measure_kind__in=["metric", "milestones"]), name="goal_measure_kind"
            ),
            # Time-bound: a due date or a reason why not.
            models.CheckConstraint(
                condition=Q(due_on__isnull=False) | ~Q(no_due_reason=""),
                name="goal_time_bound",
            ),
            # A metric goal measures from a baseline to a different target.
            models.CheckConstraint(
                condition=~Q(measure_kind="metric")
                | (Q(baseline__isnull=False) & Q(target__isnull=False) & ~Q(baseline=F("target"))),
                name="goal_metric_has_target",
            ),
        ]
        indexes = [models.Index(fields=["match", "status"], name="goal_match_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_counted(self) -> bool:
        return self.status in self.COUNTED

    def metric_percent(self) -> int | None:
        """How far the latest value is from baseline to target, 0-100 (None before any value)."""
        if self.measure_kind != self.MeasureKind.METRIC or self.current_value is None:
            return None
        span = (self.target or Decimal(0)) - (self.baseline or Decimal(0))
        if not span:
            return None
        share = (self.current_value - (self.baseline or Decimal(0))) / span
        return int(max(Decimal(0), min(Decimal(1), share)) * 100)


class GoalEvent(models.Model):
    """Append-only history of a goal: who changed what and when (status, target, comments)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Drafted"
        EDITED = "edited", "Edited"
        PROPOSED = "proposed", "Sent to the mentor"
        AGREED = "agreed", "Agreed"
        CHANGES_REQUESTED = "changes", "Changes requested"
        STATUS = "status", "Status changed"
        TARGET = "target", "Target changed"
        MILESTONE_DONE = "milestone", "Milestone done"
        PROGRESS = "progress", "Progress"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=dj_timezone.now)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    # Shared text (a mentor's "please change" comment): the pair only.
    comment = models.TextField(max_length=2000, blank=True)
    # Figures only (old/new target, value), never free text: reports may read this.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["goal", "at", "id"]
        indexes = [models.Index(fields=["goal", "at"], name="goal_event_goal_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.goal_id})"


class Milestone(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_on = models.DateField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["goal", "position", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], name="milestone_due_open", condition=Q(done_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """A meeting of the pair. ``uid`` stays the same across updates; ``sequence`` grows with
    each change sent to calendars (RFC 5545), and a cancel is sent with METHOD:CANCEL.
    """

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"
        CALL = "call", "Call"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="meetings")
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField()
    # The organizer's IANA time zone when scheduling: the .ics carries it as TZID.
    timezone = models.CharField(max_length=64, default="UTC")
    duration_minutes = models.PositiveSmallIntegerField(
        default=45, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.VIDEO)
    location = models.CharField(max_length=300, blank=True)
    video_url = models.URLField(max_length=500, blank=True)
    # Shared text: the pair only.
    agenda = models.TextField(max_length=4000, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["match", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]), name="meeting_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480),
                name="meeting_duration_range",
            ),
        ]
        indexes = [
            models.Index(fields=["match", "status", "starts_at"], name="meeting_match_starts"),
            models.Index(fields=["status", "starts_at"], name="meeting_status_starts"),
        ]

    def __str__(self) -> str:
        return f"Meeting {self.pk} of match {self.match_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class CheckIn(models.Model):
    """The mentee's write-up after a meeting (in peer programs, either peer's).

    Its text is the pair's shared notes; the mentor reviews it with a comment. Program admins
    see only that it exists, when, the rating and whether it was reviewed.
    """

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="check_in")
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    discussed = models.TextField(max_length=8000)
    next_steps = models.TextField(max_length=4000, blank=True)
    usefulness = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 (not useful) to 5"
    )
    submitted_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    review_comment = models.TextField(max_length=4000, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["match", "submitted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usefulness__gte=1) & Q(usefulness__lte=5),
                name="check_in_usefulness_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | ~Q(review_comment=""),
                name="check_in_review_has_comment",
            ),
        ]
        indexes = [
            models.Index(
                fields=["match", "submitted_at"],
                name="check_in_waiting_review",
                condition=Q(reviewed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Check-in for meeting {self.meeting_id}"


class ProgressUpdate(models.Model):
    """A new value of a metric goal (or milestones done) with a note, possibly from a check-in."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="progress_updates")
    check_in = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="progress_updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    milestones_done = models.PositiveSmallIntegerField(null=True, blank=True)
    # The derived percent at the time of the update (for charts over time).
    percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # Shared text: the pair only.
    note = models.TextField(max_length=4000, blank=True)

    class Meta:
        ordering = ["goal", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100),
                name="progress_percent_0_to_100",
            ),
        ]
        # The latest update of each goal (progress_stale scan, goal pages).
        indexes = [models.Index(fields=["goal", "-created_at"], name="progress_goal_latest")]

    def __str__(self) -> str:
        return f"Progress on goal {self.goal_id} at {self.created_at:%Y-%m-%d}"


class PrivateNote(models.Model):
    """A note on a meeting visible only to its author (not to the other side, not to admins)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=8000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "author"], name="private_note_once"),
        ]

    def __str__(self) -> str:
        return f"Private note on meeting {self.meeting_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private iCalendar feed of their meetings, reached by a secret URL token."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=dj_timezone.now)
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.person_id}"
