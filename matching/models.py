from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from programs.models import Cohort, Enrollment


class MatchRun(models.Model):
    """One run of the matching engine over a cohort's pool, with its report."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="match_runs")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    optimal = models.CharField(
        max_length=20, blank=True, help_text='"global", or "candidate graph" for pruned pools'
    )
    stats = models.JSONField(default=dict, blank=True)
    # Enrollment id (as a string key) -> why that mentee was not matched, in plain words.
    unmatched = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Matching run {self.pk} for {self.cohort}"


class Match(models.Model):
    """A mentee paired with a mentor in a cohort (in peer programs, two peers).

    ``proposed`` matches are the admin's drafts: a re-run replaces them. Publishing makes them
    ``active`` and tells both sides; an active match can be ``ended`` with a reason.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="matches")
    mentee = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="matches_as_mentee"
    )
    mentor = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="matches_as_mentor"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PROPOSED)
    run = models.ForeignKey(
        MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches"
    )
    score = models.FloatField(default=0)
    breakdown = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            # A mentee is in at most one draft or active match at a time.
            models.UniqueConstraint(
                fields=["mentee"],
                condition=Q(status__in=["proposed", "active"]),
                name="match_one_open_per_mentee",
            ),
            models.CheckConstraint(condition=~Q(mentee=F("mentor")), name="match_not_self"),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "active", "ended"]), name="match_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="match_score_0_to_100"
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "status"], name="match_cohort_status"),
            models.Index(fields=["mentor", "status"], name="match_mentor_status"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee.person} with {self.mentor.person} ({self.get_status_display()})"


class PairRule(models.Model):
    """An admin's decision on one pair: keep it whatever the engine says, or never propose it."""

    class Kind(models.TextChoices):
        LOCK = "lock", "Locked"
        EXCLUDE = "exclude", "Excluded"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="pair_rules")
    mentee = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mentee", "mentor"], name="pair_rule_once_per_pair"),
            # A mentee has at most one locked mentor.
            models.UniqueConstraint(
                fields=["mentee"], condition=Q(kind="lock"), name="pair_rule_one_lock_per_mentee"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["lock", "exclude"]), name="pair_rule_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.mentee.person} with {self.mentor.person}"


class MentorRequest(models.Model):
    """Self-select mode: a mentee asks a mentor, up to three mentors in order of preference.

    One request per mentee is ``pending`` at a time (the mentor sees it); the later choices
    wait as ``queued``. When the pending one is declined or expires, the next choice becomes
    pending and its ``expires_at`` starts then. Accepting makes an active ``Match`` and
    supersedes the mentee's other open requests.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for an earlier choice"
        PENDING = "pending", "Waiting for the mentor"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SUPERSEDED = "superseded", "Superseded"

    OPEN = (Status.QUEUED, Status.PENDING)
    MAX_CHOICES = 3

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="mentor_requests")
    mentee = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="mentor_requests_sent"
    )
    mentor = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="mentor_requests_received"
    )
    rank = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Why it closed, in plain words for the mentee ("The mentor's places are all taken.").
    outcome = models.CharField(max_length=200, blank=True)
    match = models.ForeignKey(
        Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)  # when it became pending
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the mentor's accept replaced an admin's draft for the mentee (cohorts matched both
    # ways): the draft's mentor, so the board can say what changed.
    replaced_draft_mentor = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why the engine suggested this mentor, as the mentee saw it when choosing.
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["mentee", "rank", "-created_at"]
        constraints = [
            # Asked once: a mentor who declined (or let it expire) is not asked again.
            models.UniqueConstraint(
                fields=["mentee", "mentor"],
                condition=~Q(status__in=["withdrawn", "superseded"]),
                name="mentor_request_once_per_pair",
            ),
            models.UniqueConstraint(
                fields=["mentee", "rank"],
                condition=Q(status__in=["queued", "pending"]),
                name="mentor_request_open_rank_once",
            ),
            # One request in front of a mentor at a time, per mentee.
            models.UniqueConstraint(
                fields=["mentee"],
                condition=Q(status="pending"),
                name="mentor_request_one_pending_per_mentee",
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=3), name="mentor_request_rank_1_to_3"
            ),
            models.CheckConstraint(
                condition=~Q(mentee=F("mentor")), name="mentor_request_not_self"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "queued",
                        "pending",
                        "accepted",
                        "declined",
                        "expired",
                        "withdrawn",
                        "superseded",
                    ]
                ),
                name="mentor_request_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(expires_at__isnull=False),
                name="mentor_request_pending_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status"], name="mentor_request_mentor_status"),
            models.Index(fields=["status", "expires_at"], name="mentor_request_due"),
        ]

    def __str__(self) -> str:
        return f"Request {self.rank} from {self.mentee_id} to {self.mentor_id} ({self.status})"
