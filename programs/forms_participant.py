"""Forms participants fill in: applying to a cohort, the intake, withdrawing."""

from __future__ import annotations

import re

from django import forms

from programs.models import Cohort, Enrollment

ROLE_LABELS = {
    Enrollment.Role.MENTOR: "Mentor: share what you know with a colleague",
    Enrollment.Role.MENTEE: "Mentee: learn from a more experienced colleague",
    Enrollment.Role.PEER: "Peer: help and learn from colleagues at your level",
}
MAX_LANGUAGES = 10
LANGUAGE_MAX_LENGTH = 50
BIO_MAX_LENGTH = 2000


def _whom(cohort: Cohort) -> str:
    return "peers" if cohort.program.is_peer else "mentees"


def capacity_help(cohort: Cohort) -> str:
    return (
        f"How many {_whom(cohort)} you can take on in this cohort, from 1 to "
        f"{cohort.max_mentor_capacity}."
    )


def _capacity_field(cohort: Cohort, *, required: bool, label: str) -> forms.IntegerField:
    # Bounds are checked in clean_capacity, to word the error for people, not for a validator.
    return forms.IntegerField(
        label=label,
        required=required,
        initial=cohort.default_mentor_capacity,
        help_text=capacity_help(cohort),
        widget=forms.NumberInput(attrs={"min": 1, "max": cohort.max_mentor_capacity}),
        error_messages={"required": f"Say how many {_whom(cohort)} you can take on."},
    )


def _check_capacity(cohort: Cohort, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= cohort.max_mentor_capacity:
        raise forms.ValidationError(
            f"Choose between 1 and {cohort.max_mentor_capacity} {_whom(cohort)}: that is the "
            "most this cohort allows.",
            code="capacity_bounds",
        )
    return value


class ApplyForm(forms.Form):
    role = forms.ChoiceField(
        label="Take part as",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how you want to take part.",
            "invalid_choice": "Choose one of the roles this program has.",
        },
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        # Unique ids per cohort: a program page can show several cohorts' forms.
        kwargs.setdefault("auto_id", f"id_apply_{cohort.pk}_%s")
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        roles = cohort.program.roles()
        self.fields["role"].choices = [(r, ROLE_LABELS[r]) for r in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0]
        if cohort.program.is_peer:
            label = "Peers you can take on"
        else:
            label = "If you mentor: mentees you can take on"
        self.fields["capacity"] = _capacity_field(cohort, required=False, label=label)

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role == Enrollment.Role.MENTEE:
            # Mentees are not asked for a capacity: ignore whatever the field still holds.
            self._errors.pop("capacity", None)
            cleaned["capacity"] = None
        elif role and "capacity" not in self._errors:
            if cleaned.get("capacity") is None:
                self.add_error("capacity", f"Say how many {_whom(self.cohort)} you can take on.")
            else:
                try:
                    _check_capacity(self.cohort, cleaned["capacity"])
                except forms.ValidationError as exc:
                    self.add_error("capacity", exc)
        return cleaned


def normalise_languages(text: str) -> list[str]:
    """``"english,  german ; English"`` -> ``["English", "German"]``: split on commas (or
    semicolons), tidy spaces, capitalise each word's first letter, drop repeats."""
    result: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[,;]", text):
        name = " ".join(part.split())
        if not name:
            continue
        name = " ".join(word[:1].upper() + word[1:] for word in name.split(" "))
        if name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return result


class LanguagesField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        return normalise_languages(super().to_python(value) or "")

    def validate(self, value):
        super().validate(value)
        too_long = [name for name in value if len(name) > LANGUAGE_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Keep each language under {LANGUAGE_MAX_LENGTH} characters, and separate "
                "languages with commas.",
                code="language_too_long",
            )
        if len(value) > MAX_LANGUAGES:
            raise forms.ValidationError(
                f"List at most {MAX_LANGUAGES} languages.", code="too_many_languages"
            )


class IntakeForm(forms.Form):
    """The intake answers for one enrollment; fields depend on the role."""

    topics_offered = forms.ModelMultipleChoiceField(
        label="Topics you can help with",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topics_sought = forms.ModelMultipleChoiceField(
        label="Topics you want help with",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    goals = forms.CharField(
        label="What you want from the program",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 70}),
        help_text="A few sentences: what you want to learn or change, and by when.",
    )
    languages = LanguagesField(
        label="Languages you speak",
        widget=forms.TextInput(attrs={"size": 40}),
        help_text="Separate them with commas, for example: English, German.",
    )
    preferred_format = forms.ChoiceField(
        label="How you prefer to meet",
        required=False,
        choices=Enrollment.Format.choices,
        widget=forms.RadioSelect,
    )
    bio = forms.CharField(
        label="A short bio",
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70}),
        help_text=f"Your background and experience, so your match knows who you are. At most "
        f"{BIO_MAX_LENGTH} characters.",
    )

    def __init__(self, *args, enrollment: Enrollment, **kwargs):
        self.enrollment = enrollment
        if "initial" not in kwargs and not args:
            kwargs["initial"] = {
                "topics_offered": list(enrollment.topics_offered.all()),
                "topics_sought": list(enrollment.topics_sought.all()),
                "goals": enrollment.goals,
                "languages": enrollment.languages,
                "preferred_format": enrollment.preferred_format,
                "bio": enrollment.bio,
                "capacity": enrollment.capacity,
            }
        super().__init__(*args, **kwargs)
        cohort = enrollment.cohort
        topics = cohort.program.topics.order_by("name")
        self.fields["topics_offered"].queryset = topics
        self.fields["topics_sought"].queryset = topics
        if enrollment.offers_mentoring:
            label = f"{_whom(cohort).capitalize()} you can take on"
            self.fields["capacity"] = _capacity_field(cohort, required=True, label=label)
        else:
            del self.fields["topics_offered"]
            self.fields["bio"].label = "A short bio (optional)"
        if not enrollment.seeks_mentoring:
            del self.fields["topics_sought"]
            del self.fields["goals"]

    def clean_capacity(self):
        return _check_capacity(self.enrollment.cohort, self.cleaned_data.get("capacity"))


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text="The program admin reads this. It helps them plan the next cohort.",
        error_messages={"required": "Tell the program admin why you are withdrawing."},
    )
