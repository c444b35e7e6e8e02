from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MAX_MENTOR_CAPACITY = 10


class Program(models.Model):
    """A mentorship program: its kind, its admins and the topics people offer and seek."""

    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "One-to-one"
        GROUP = "group", "Group (one mentor, several mentees who also meet together)"
        PEER = "peer", "Peer (participants mentor each other)"
        REVERSE = "reverse", "Reverse (junior staff mentor senior staff)"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="Shown to employees on the program page")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ONE_TO_ONE)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="administered_programs", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["one_to_one", "group", "peer", "reverse"]),
                name="program_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_peer(self) -> bool:
        return self.kind == self.Kind.PEER

    def roles(self) -> list[str]:
        """The roles a person can take: peers in peer programs, else mentor or mentee."""
        if self.is_peer:
            return [Enrollment.Role.PEER]
        return [Enrollment.Role.MENTOR, Enrollment.Role.MENTEE]


class Topic(models.Model):
    """A skill or area that participants offer (mentors) and seek (mentees) in a program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "program", models.functions.Lower("name"), name="topic_name_unique_in_program"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """One run of a program: who applies when, when it runs, and how it will be matched.

    The matching rules and weights are stored and edited here; the matching app reads them.
    """

    class MatchingMode(models.TextChoices):
        ADMIN = "admin", "Admin matches the whole pool"
        SELF_SELECT = "self_select", "Mentees request mentors from suggestions"
        BOTH = "both", "Both"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    application_opens = models.DateField()
    application_closes = models.DateField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    cadence_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Expected days between meetings of a pair",
    )
    default_mentor_capacity = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(MAX_MENTOR_CAPACITY)]
    )
    max_mentor_capacity = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MENTOR_CAPACITY)],
        help_text="The most mentees (or group members) a mentor may take on in this cohort",
    )
    matching_mode = models.CharField(
        max_length=16, choices=MatchingMode.choices, default=MatchingMode.ADMIN
    )
    request_expiry_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Self-select: days a mentor has to answer a request before it passes to the "
        "mentee's next choice",
    )

    # Reminders and nudges (mentorship.notifications): when each kind goes out.
    reminders_enabled = models.BooleanField(
        default=True,
        help_text="Off: no reminders or nudges for this cohort's people (invitations, decisions "
        "and published matches are still sent)",
    )
    intake_first_reminder_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days after the invitation, a reminder to finish the intake",
    )
    intake_second_reminder_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days after the invitation, the second reminder",
    )
    last_call_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Days before applications close, a last call to those who have not finished",
    )
    request_waiting_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Self-select: days a mentor request waits before the mentor is reminded",
    )
    meeting_reminder_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="Hours before a meeting, a reminder to both",
    )
    check_in_due_days = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Days after a meeting without a check-in, a reminder to the mentee",
    )
    review_waiting_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Days a check-in waits for the mentor's review before the mentor is reminded",
    )
    goal_due_soon_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days before an agreed goal's target date, a reminder to both",
    )
    progress_stale_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
        help_text="Days without a progress update on an agreed goal before the mentee is nudged",
    )

    # Matching rules: pairs that break one are never proposed.
    rule_exclude_same_department = models.BooleanField(default=False)
    rule_exclude_management_chain = models.BooleanField(default=True)
    rule_min_level_gap = models.SmallIntegerField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(20)],
        help_text="Levels the mentor must be above the mentee (below, in reverse programs)",
    )
    rule_require_shared_language = models.BooleanField(
        default=True, help_text="Never pair two people who have no language in common"
    )
    rule_allow_repeat_pairs = models.BooleanField(
        default=False, help_text="Allow pairs already matched in an earlier cohort of the program"
    )
    rule_max_timezone_diff_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(24)],
        help_text="Empty: no limit",
    )

    # Matching weights (0 = ignore the criterion), one per criterion of the score.
    weight_topics = models.PositiveSmallIntegerField(default=5, validators=[MaxValueValidator(10)])
    weight_seniority = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(10)]
    )
    weight_cross_department = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(10)]
    )
    weight_language = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(10)]
    )
    weight_timezone = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(10)]
    )
    weight_format = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(10)])
    weight_mentee_ranking = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(10)]
    )

    created_at = models.DateTimeField(auto_now_add=True)

    REMINDER_FIELDS = (
        "reminders_enabled",
        "intake_first_reminder_days",
        "intake_second_reminder_days",
        "last_call_days",
        "request_waiting_days",
        "meeting_reminder_hours",
        "check_in_due_days",
        "review_waiting_days",
        "goal_due_soon_days",
        "progress_stale_days",
    )

    WEIGHT_FIELDS = (
        "weight_topics",
        "weight_seniority",
        "weight_cross_department",
        "weight_language",
        "weight_timezone",
        "weight_format",
        "weight_mentee_ranking",
    )

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application_opens__lte=F("application_closes")),
                name="cohort_window_opens_before_it_closes",
            ),
            models.CheckConstraint(
                condition=Q(application_closes__lte=F("ends_on")),
                name="cohort_window_closes_before_end",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__lt=F("ends_on")), name="cohort_starts_before_end"
            ),
            models.CheckConstraint(
                condition=Q(default_mentor_capacity__gte=1)
                & Q(default_mentor_capacity__lte=F("max_mentor_capacity"))
                & Q(max_mentor_capacity__lte=MAX_MENTOR_CAPACITY),
                name="cohort_capacity_bounds",
            ),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1) & Q(cadence_days__lte=90),
                name="cohort_cadence_range",
            ),
            models.CheckConstraint(
                condition=Q(matching_mode__in=["admin", "self_select", "both"]),
                name="cohort_matching_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(intake_first_reminder_days__gte=1)
                & Q(intake_first_reminder_days__lt=F("intake_second_reminder_days"))
                & Q(intake_second_reminder_days__lte=60)
                & Q(last_call_days__gte=1)
                & Q(last_call_days__lte=30)
                & Q(request_waiting_days__gte=1)
                & Q(request_waiting_days__lte=30)
                & Q(meeting_reminder_hours__gte=1)
                & Q(meeting_reminder_hours__lte=168)
                & Q(check_in_due_days__gte=1)
                & Q(check_in_due_days__lte=30)
                & Q(review_waiting_days__gte=1)
                & Q(review_waiting_days__lte=30)
                & Q(goal_due_soon_days__gte=1)
                & Q(goal_due_soon_days__lte=60)
                & Q(progress_stale_days__gte=7)
                & Q(progress_stale_days__lte=180),
                name="cohort_reminder_intervals_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.name}: {self.name}"

    def is_open_for_applications(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.application_opens <= today <= self.application_closes

    def intake_editable(self, today=None) -> bool:
        """Participants fill or edit their intake until the cohort starts."""
        today = today or timezone.localdate()
        return today < self.starts_on

    def phase(self, today=None) -> str:
        today = today or timezone.localdate()
        if today < self.application_opens:
            return "upcoming"
        if today <= self.application_closes:
            return "open"
        if today < self.starts_on:
            return "closed"
        if today <= self.ends_on:
            return "running"
        return "completed"


class Enrollment(models.Model):
    """A person in a cohort, with their role, status and intake answers.

    Whether they are matched comes from the matching app, not from this status.
    """

    class Role(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        MENTEE = "mentee", "Mentee"
        PEER = "peer", "Peer"

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        APPLIED = "applied", "Applied"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        COMPLETED = "completed", "Completed"

    class Format(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        REMOTE = "remote", "Remote"
        EITHER = "either", "Either"

    class Source(models.TextChoices):
        DIRECTORY = "directory", "Picked from the directory"
        CSV = "csv", "Enrolment file"
        APPLICATION = "application", "Applied"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="enrollments")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MENTOR_CAPACITY)],
        help_text="Mentors (and peers): how many mentees or group members they take on",
    )

    # Intake answers.
    topics_offered = models.ManyToManyField(Topic, related_name="offered_by", blank=True)
    topics_sought = models.ManyToManyField(Topic, related_name="sought_by", blank=True)
    goals = models.TextField(blank=True, help_text="What the person wants from the program")
    languages = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    preferred_format = models.CharField(max_length=10, choices=Format.choices, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    intake_completed_at = models.DateTimeField(null=True, blank=True)

    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_sent_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "person__last_name", "person__first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "person"], name="enrollment_once_per_cohort"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True)
                | (Q(capacity__gte=1) & Q(capacity__lte=MAX_MENTOR_CAPACITY)),
                name="enrollment_capacity_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(role="mentee") | Q(capacity__isnull=False),
                name="enrollment_mentor_has_capacity",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["mentor", "mentee", "peer"]), name="enrollment_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "invited",
                        "applied",
                        "accepted",
                        "declined",
                        "withdrawn",
                        "completed",
                    ]
                ),
                name="enrollment_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "role", "status"], name="enrollment_cohort_role_status"),
            models.Index(fields=["person", "status"], name="enrollment_person_status"),
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.get_role_display().lower()} in {self.cohort}"

    @property
    def offers_mentoring(self) -> bool:
        return self.role in (self.Role.MENTOR, self.Role.PEER)

    @property
    def seeks_mentoring(self) -> bool:
        return self.role in (self.Role.MENTEE, self.Role.PEER)

    @property
    def is_active(self) -> bool:
        """Still taking part: not declined, withdrawn or finished."""
        return self.status in (self.Status.INVITED, self.Status.APPLIED, self.Status.ACCEPTED)


class EnrollmentImport(models.Model):
    """One enrolment file for a cohort, previewed and (once confirmed) applied.

    Like people.DirectoryImport: the decoded text is kept so that applying re-reads exactly
    what was previewed; ``summary`` holds the counts (and the plan's fingerprint while
    previewed); ``report`` holds what the preview page shows.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Has errors"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="enrollment_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrollment_imports",
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=255, blank=True)
    content = models.TextField(help_text="The file's text, decoded from UTF-8")
    sha256 = models.CharField(max_length=64, help_text="Of the file's bytes as uploaded")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    summary = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["previewed", "applied", "failed"]),
                name="enrollment_import_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="applied") | Q(applied_at__isnull=False),
                name="enrollment_import_applied_has_applied_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename or 'enrolment file'} for {self.cohort_id} ({self.status})"

    @property
    def is_applied(self) -> bool:
        return self.status == self.Status.APPLIED
