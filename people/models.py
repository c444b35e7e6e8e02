from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone as dj_timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set")
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An employee of the company, and the account they sign in with.

    Most rows come from the HR directory import (keyed by employee_id). Accounts without an
    employee_id are operators (for example the first superuser). People who never take part
    in a program still live here: they are the comparison group for retention reports.
    """

    email = models.EmailField("email", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)

    employee_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    department = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Integer grade")
    location = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA time zone name")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    hire_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(
        null=True, blank=True, help_text="Leaving date; empty while employed"
    )

    is_hr = models.BooleanField(
        "HR", default=False, help_text="Can import the directory and see HR reports."
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=dj_timezone.now)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When HR erased this former employee's personal data (privacy app). The row "
        "stays, anonymised, for the aggregate reports; directory imports leave it alone.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(hire_date__isnull=True)
                | models.Q(end_date__gte=models.F("hire_date")),
                name="user_end_date_after_hire_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("id")), name="user_not_own_manager"
            ),
        ]
        indexes = [
            # With who is in the directory and until when, a deep page of the directory is
            # counted off from the index alone (see people.selectors.on_page).
            models.Index(
                fields=["last_name", "first_name", "id"],
                include=["employee_id", "end_date"],
                name="user_name_order_cover",
            ),
            # With the id, a department's people are read from the index alone (a cohort's
            # participants filtered by department: no visit to 7,000 rows of the table).
            models.Index(fields=["department", "id"], name="user_department_id"),
            models.Index(fields=["location"], name="user_location"),
            models.Index(fields=["end_date"], name="user_end_date"),
            # The directory and enrolment searches match each word anywhere in these fields
            # (icontains, which Django writes as UPPER(col) LIKE UPPER('%word%')): trigram
            # indexes on exactly those expressions spare a scan of every employee per word.
            GinIndex(
                OpClass(Upper("first_name"), name="gin_trgm_ops"), name="user_first_name_trgm"
            ),
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="user_last_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="user_email_trgm"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def has_left(self, on=None) -> bool:
        on = on or dj_timezone.localdate()
        return self.end_date is not None and self.end_date <= on


class DirectoryImport(models.Model):
    """One CSV file from the HR system, previewed and (once confirmed) applied.

    The decoded text is kept so that applying re-reads exactly what was previewed, and as a
    record of what HR loaded. ``summary`` holds the counts (and the plan's fingerprint while
    previewed); ``report`` holds what the preview page shows: every error and warning, and
    the first rows of each kind of change.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Has errors"

    uploaded_by = models.ForeignKey(
        "people.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_imports",
    )
    applied_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
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
                condition=models.Q(status__in=["previewed", "applied", "failed"]),
                name="directory_import_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="applied") | models.Q(applied_at__isnull=False),
                name="directory_import_applied_has_applied_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename or 'directory import'} ({self.get_status_display()})"

    @property
    def is_applied(self) -> bool:
        return self.status == self.Status.APPLIED
