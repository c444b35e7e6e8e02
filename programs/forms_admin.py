"""Forms for the people who run programs: programs, topics, cohorts, enrolment, decisions."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.text import slugify

from people.models import User
from programs.models import MAX_MENTOR_CAPACITY, Cohort, Enrollment, Program, Topic
from programs.selectors.cohort import current_employees, roles_for_program
from programs.services.programs import COHORT_FIELDS, cohort_slug_for, mentor_capacity_above

# --- Programs ---------------------------------------------------------------------------------


def _split_emails(text: str) -> list[str]:
    return [e.lower() for e in re.split(r"[\s,;]+", text or "") if e]


class AdminEmailsField(forms.CharField):
    """Program admins, picked from the directory by email; leavers are refused."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 70})

    def clean(self, value):
        text = super().clean(value)
        emails = list(dict.fromkeys(_split_emails(text)))
        invalid = []
        for email in emails:
            try:
                validate_email(email)
            except forms.ValidationError:
                invalid.append(email)
        if invalid:
            raise forms.ValidationError(f"Not an email address: {', '.join(invalid)}.")
        found = {
            u.email: u for u in User.objects.filter(email__in=emails, employee_id__isnull=False)
        }
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(
                f"Nobody in the directory has the email {', '.join(unknown)}."
            )
        today = timezone.localdate()
        left = [u for u in found.values() if u.has_left(today) or not u.is_active]
        if left:
            raise forms.ValidationError(
                "People who have left the company cannot be program admins: "
                + ", ".join(f"{u.get_full_name() or u.email} ({u.email})" for u in left)
                + "."
            )
        return [found[e] for e in emails]


def _clean_topic_lines(text: str) -> list[str]:
    names: dict[str, str] = {}
    for line in (text or "").splitlines():
        name = " ".join(line.split())
        if not name:
            continue
        if len(name) > 100:
            raise forms.ValidationError(f"Topic names are at most 100 characters: “{name[:40]}…”.")
        names.setdefault(name.lower(), name)
    return list(names.values())


ADMINS_HELP = (
    "Email addresses of the people who run this program, one per line or separated by "
    "commas. They must be in the directory; people who have left cannot be admins."
)


class ProgramCreateForm(forms.Form):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"size": 50}))
    slug = forms.SlugField(
        max_length=80,
        required=False,
        label="Address (slug)",
        help_text="Used in the program's links, e.g. engineering-mentorship. Leave empty to "
        "make it from the name.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70}),
        help_text="Shown to employees on the program page: who it is for and what to expect.",
    )
    kind = forms.ChoiceField(
        choices=Program.Kind.choices,
        help_text="Decides the roles people hold. It cannot change once people are enrolled.",
    )
    admins = AdminEmailsField(required=False, label="Program admins", help_text=ADMINS_HELP)
    topics = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 50}),
        label="Topics",
        help_text="The skills and areas people offer and seek, one per line. You can change "
        "them later.",
    )

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_slug(self):
        slug = self.cleaned_data["slug"].lower()
        if not slug:
            slug = slugify(self.cleaned_data.get("name", ""))[:80].strip("-")
            if not slug and "name" in self.cleaned_data:
                raise forms.ValidationError("Choose an address: the name has no letters to use.")
        if slug and Program.objects.filter(slug=slug).exists():
            raise forms.ValidationError(
                f"Another program already has the address “{slug}”. Choose a different one."
            )
        return slug

    def clean_topics(self):
        return _clean_topic_lines(self.cleaned_data["topics"])


class ProgramEditForm(forms.Form):
    name = ProgramCreateForm.base_fields["name"]
    description = ProgramCreateForm.base_fields["description"]
    kind = forms.ChoiceField(choices=Program.Kind.choices)
    admins = AdminEmailsField(required=False, label="Program admins", help_text=ADMINS_HELP)

    def __init__(self, *args, program: Program, kind_locked: bool, can_appoint: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": program.name,
                "description": program.description,
                "kind": program.kind,
                "admins": "\n".join(a.email for a in program.admins.all()),
            },
        )
        super().__init__(*args, **kwargs)
        self.program = program
        if kind_locked:
            self.fields["kind"].disabled = True
            self.fields[
                "kind"
            ].help_text = (
                "People are enrolled in a cohort of this program, so its kind stays as it is."
            )
        else:
            self.fields["kind"].help_text = "Decides the roles people hold."
        if not can_appoint:
            del self.fields["admins"]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


# --- Topics -----------------------------------------------------------------------------------


class TopicNameForm(forms.Form):
    name = forms.CharField(max_length=100, label="Topic")

    def __init__(self, *args, program: Program, topic: Topic | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.topic = topic

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        clash = Topic.objects.filter(program=self.program, name__iexact=name)
        if self.topic is not None:
            clash = clash.exclude(pk=self.topic.pk)
        existing = clash.first()
        if existing is not None:
            raise forms.ValidationError(f"The program already has the topic “{existing.name}”.")
        return name


# --- Cohorts ----------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


COHORT_FIELDSETS = [
    (
        "Applications and dates",
        "While applications are open any employee can apply from the program page. People "
        "fill in and change their intake until the cohort starts.",
        [
            "name",
            "slug",
            "application_opens",
            "application_closes",
            "starts_on",
            "ends_on",
        ],
    ),
    (
        "Meetings and capacity",
        "How often pairs are expected to meet, and how many mentees a mentor takes on. "
        "Mentors choose their own capacity up to the maximum.",
        [
            "cadence_days",
            "default_mentor_capacity",
            "max_mentor_capacity",
            "matching_mode",
            "request_expiry_days",
        ],
    ),
    (
        "Matching rules",
        "Pairs that break a rule are never proposed, however well they score.",
        [
            "rule_exclude_same_department",
            "rule_exclude_management_chain",
            "rule_require_shared_language",
            "rule_allow_repeat_pairs",
            "rule_min_level_gap",
            "rule_max_timezone_diff_hours",
        ],
    ),
    (
        "Matching weights",
        "How much each criterion counts in a pair's score, from 0 (ignored) to 10.",
        list(Cohort.WEIGHT_FIELDS),
    ),
    (
        "Reminders and nudges",
        "When this cohort's people are reminded by email. Invitations, decisions and "
        "published matches are always sent; everyone can also switch off a kind of reminder "
        "for themselves.",
        list(Cohort.REMINDER_FIELDS),
    ),
]

REMINDER_LABELS = {
    "reminders_enabled": "Send reminders and nudges",
    "intake_first_reminder_days": "First intake reminder (days after the invitation)",
    "intake_second_reminder_days": "Second intake reminder (days after the invitation)",
    "last_call_days": "Last call (days before applications close)",
    "request_waiting_days": "Mentor request waiting (days)",
    "meeting_reminder_hours": "Meeting reminder (hours before)",
    "check_in_due_days": "Check-in due (days after a meeting)",
    "review_waiting_days": "Review waiting (days)",
    "goal_due_soon_days": "Goal due soon (days before its target date)",
    "progress_stale_days": "No progress update (days)",
}

REMINDER_HELP = {
    "reminders_enabled": "Off: none of the reminders below go out for this cohort.",
    "intake_first_reminder_days": "To people whose intake is not finished, at 09:00 their "
    "time (1 to 60).",
    "intake_second_reminder_days": "After the first reminder, if the intake is still not "
    "finished (up to 60).",
    "last_call_days": "To people whose intake is not finished, before applications close "
    "(1 to 30).",
    "request_waiting_days": "Self-select mode: the mentor is reminded of a request they have "
    "not answered (1 to 30).",
    "meeting_reminder_hours": "To both, with the calendar invitation (1 to 168).",
    "check_in_due_days": "To the mentee, when a meeting has no check-in yet (1 to 30).",
    "review_waiting_days": "To the mentor, when a check-in waits for their review (1 to 30).",
    "goal_due_soon_days": "To both, before an agreed goal's target date (1 to 60).",
    "progress_stale_days": "To the mentee, when an agreed goal has had no progress update "
    "(7 to 180).",
}


class CohortForm(forms.ModelForm):
    """A cohort's dates, capacity, matching mode, rules, weights and reminder intervals.

    Every date and capacity inconsistency the database would reject is reported on the field
    to correct, before anything is written.
    """

    slug = forms.SlugField(
        max_length=120,
        required=False,
        label="Address (slug)",
        help_text="Used in the cohort's links. Leave empty to make it from the program and "
        "cohort names.",
    )

    class Meta:
        model = Cohort
        # What cohort_create/cohort_update write, plus the slug (chosen once, on create).
        fields = ["name", "slug", *COHORT_FIELDS[1:]]
        labels = {
            "name": "Name",
            "application_opens": "Applications open",
            "application_closes": "Applications close",
            "starts_on": "Starts on",
            "ends_on": "Ends on",
            "cadence_days": "Days between meetings",
            "default_mentor_capacity": "Default mentor capacity",
            "max_mentor_capacity": "Maximum mentor capacity",
            "matching_mode": "Matching mode",
            "request_expiry_days": "Days a mentor has to answer a request",
            "rule_exclude_same_department": "Never pair people from the same department",
            "rule_exclude_management_chain": "Never pair a mentee with someone in their "
            "management chain",
            "rule_require_shared_language": "Never pair people without a language in common",
            "rule_allow_repeat_pairs": "Allow pairs who were matched in an earlier cohort",
            "rule_min_level_gap": "Minimum level gap",
            "rule_max_timezone_diff_hours": "Maximum time zone difference (hours)",
            "weight_topics": "Topics in common",
            "weight_seniority": "Seniority gap",
            "weight_cross_department": "Different departments",
            "weight_language": "A shared language",
            "weight_timezone": "Close time zones",
            "weight_format": "Same preferred format (in person, remote)",
            "weight_mentee_ranking": "The mentee's own ranking of mentors",
            **REMINDER_LABELS,
        }
        help_texts = {
            "name": "For example Spring 2027.",
            "application_opens": "First day employees can apply.",
            "application_closes": "Last day to apply; on or before the cohort ends.",
            "starts_on": "Intake answers can be changed until this day.",
            "ends_on": "After the start.",
            "cadence_days": "Expected days between a pair's meetings (1 to 90).",
            "default_mentor_capacity": "Mentees a mentor takes on unless they choose "
            "otherwise; at most the maximum.",
            "max_mentor_capacity": f"At most {MAX_MENTOR_CAPACITY}.",
            "matching_mode": "Admin: you match the whole pool. Self-select: mentees request "
            "mentors from suggestions. Both: mentees may request, you match the rest.",
            "rule_exclude_same_department": "Encourages cross-department learning.",
            "rule_exclude_management_chain": "Keeps managers and their reports (direct or "
            "not) apart.",
            "rule_min_level_gap": "Levels the mentor must be above the mentee (below, in "
            "reverse programs); 0 for no minimum.",
            "rule_max_timezone_diff_hours": "Leave empty for no limit.",
            "rule_require_shared_language": "People who gave no languages are not held to it.",
            "request_expiry_days": "Self-select mode: an unanswered request passes to the "
            "mentee's next choice after this many days (1 to 30).",
            "rule_allow_repeat_pairs": "Off: people get a new mentor each time.",
            **REMINDER_HELP,
        }
        widgets = {
            "name": forms.TextInput(attrs={"size": 40}),
            "application_opens": DateInput(),
            "application_closes": DateInput(),
            "starts_on": DateInput(),
            "ends_on": DateInput(),
        }

    def clean_request_expiry_days(self):
        value = self.cleaned_data.get("request_expiry_days")
        return self.instance.request_expiry_days if value is None else value

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.creating = self.instance.pk is None
        # Only self-select cohorts use it: left empty, it keeps its current value.
        self.fields["request_expiry_days"].required = False
        if not self.creating:
            del self.fields["slug"]
        for name in ("rule_min_level_gap", "rule_max_timezone_diff_hours", *Cohort.WEIGHT_FIELDS):
            self.fields[name].widget.attrs.setdefault("min", 0)
        self.fields["max_mentor_capacity"].widget.attrs["max"] = MAX_MENTOR_CAPACITY
        self.fields["default_mentor_capacity"].widget.attrs["max"] = MAX_MENTOR_CAPACITY

    def fieldsets(self):
        for heading, help_text, names in COHORT_FIELDSETS:
            yield heading, help_text, [self[name] for name in names if name in self.fields]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_slug(self):
        return self.cleaned_data["slug"].lower()

    def clean(self):
        data = super().clean()
        opens = data.get("application_opens")
        closes = data.get("application_closes")
        starts = data.get("starts_on")
        ends = data.get("ends_on")
        if opens and closes and closes < opens:
            self.add_error(
                "application_closes",
                f"Applications must close on or after the day they open ({opens:%-d %b %Y}).",
            )
        elif closes and ends and ends < closes:
            self.add_error(
                "application_closes",
                f"Applications must close on or before the day the cohort ends ({ends:%-d %b %Y}).",
            )
        if starts and ends and ends <= starts:
            self.add_error(
                "ends_on", f"The cohort must end after the day it starts ({starts:%-d %b %Y})."
            )
        default = data.get("default_mentor_capacity")
        maximum = data.get("max_mentor_capacity")
        if default and maximum and default > maximum:
            self.add_error(
                "default_mentor_capacity",
                f"The default capacity can be at most the maximum ({maximum}).",
            )
        if maximum and not self.creating:
            above = mentor_capacity_above(self.instance, maximum)
            if above:
                self.add_error(
                    "max_mentor_capacity",
                    f"{len(above)} {'person has' if len(above) == 1 else 'people have'} a "
                    f"capacity above {maximum} (up to {above[0]}): choose at least {above[0]}, "
                    "or lower their capacity first.",
                )
        first = data.get("intake_first_reminder_days")
        second = data.get("intake_second_reminder_days")
        if first and second and second <= first:
            self.add_error(
                "intake_second_reminder_days",
                f"The second reminder must come after the first (day {first}): choose "
                f"at least {first + 1}.",
            )
        if self.creating and "slug" in data and not data["slug"] and data.get("name"):
            data["slug"] = cohort_slug_for(self.program, data["name"])
        return data

    def validate_unique(self):
        super().validate_unique()
        if "slug" in self.errors:
            self.errors["slug"] = self.error_class(
                ["Another cohort already has this address. Choose a different one."]
            )

    def values(self) -> dict:
        """The cleaned values the services take (everything but the slug)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "slug"}


# --- Enrolling from the directory -------------------------------------------------------------


class IdListField(forms.Field):
    """Ids ticked in a list (checkboxes): any number, each a positive whole number."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Pick people from the list.") from exc
        return list(dict.fromkeys(i for i in ids if i > 0))


class EnrollForm(forms.Form):
    person = IdListField(required=True, error_messages={"required": "Tick at least one person."})
    role = forms.ChoiceField(label="Enrol them as")
    capacity = forms.IntegerField(required=False, min_value=1, label="Mentor capacity")

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.fields["role"].choices = roles_for_program(cohort.program)
        peer = cohort.program.is_peer
        self.fields["capacity"] = forms.IntegerField(
            required=False,
            min_value=1,
            label="Capacity" if peer else "Mentor capacity",
            help_text=(
                f"How many {'peers' if peer else 'mentees'} each takes on, 1 to "
                f"{cohort.max_mentor_capacity}. Leave empty for the cohort's default "
                f"({cohort.default_mentor_capacity}); they can change it in their intake."
                + ("" if peer else " Ignored for mentees.")
            ),
            widget=forms.NumberInput(
                attrs={
                    "placeholder": cohort.default_mentor_capacity,
                    "max": cohort.max_mentor_capacity,
                }
            ),
        )
        if cohort.program.is_peer:
            self.fields["role"].initial = Enrollment.Role.PEER

    def clean_person(self):
        ids = self.cleaned_data["person"]
        people = list(current_employees().filter(pk__in=ids))
        if len(people) != len(ids):
            raise forms.ValidationError(
                "Some of the people ticked are no longer in the directory or have left."
            )
        enrolled = list(
            Enrollment.objects.filter(cohort=self.cohort, person__in=people).select_related(
                "person"
            )
        )
        if enrolled:
            raise forms.ValidationError(
                "Already in this cohort: "
                + ", ".join(str(e.person) for e in enrolled)
                + ". Untick them and try again."
            )
        return sorted(people, key=lambda p: (p.last_name, p.first_name, p.pk))

    def clean(self):
        data = super().clean()
        if data.get("role") == Enrollment.Role.MENTEE:
            data["capacity"] = None
            self.errors.pop("capacity", None)  # ignored for mentees, so never wrong
        elif (data.get("capacity") or 0) > self.cohort.max_mentor_capacity:
            self.add_error(
                "capacity",
                f"At most {self.cohort.max_mentor_capacity}, the cohort's maximum capacity.",
            )
        return data


# --- Decisions on applications ----------------------------------------------------------------


class DecisionForm(forms.Form):
    """Bulk: tick applications and pick an action. One by one: a row's own button sends
    ``decide=accept-<id>`` or ``decide=decline-<id>``."""

    enrollment = IdListField(required=False)
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Choose…"), ("accept", "Accept"), ("decline", "Decline")],
        label="With the ticked applications",
    )
    decide = forms.RegexField(regex=r"^(accept|decline)-\d{1,18}$", required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("decide"):
            action, pk = data["decide"].split("-")
            data["accept"], data["ids"] = action == "accept", [int(pk)]
            return data
        if not data.get("enrollment"):
            raise forms.ValidationError("Tick at least one application.")
        if not data.get("action"):
            self.add_error("action", "Choose to accept or decline the ticked applications.")
            return data
        data["accept"], data["ids"] = data["action"] == "accept", data["enrollment"]
        return data
