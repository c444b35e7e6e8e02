"""Forms for SMART goals, the other side's decision, status changes, progress and templates.

The goal form validates only what each field is (a number, a date, a length): whether the goal
is SMART enough is ``goals.smart``'s job, shown as feedback, and the view turns missing parts
into field errors when the mentee sends the goal.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms

from goals.models import Goal, GoalTemplate
from goals.services.goals import GoalInput, GoalTemplateInput
from goals.smart import MilestoneLine, human_date

MAX_MILESTONES = 30
_DATED_LINE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s+(.*)$")


def parse_milestone_lines(text: str) -> list[MilestoneLine]:
    """One milestone a line: "title" or "YYYY-MM-DD title". Raises ValidationError by line."""
    lines, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = " ".join(raw.split()).lstrip("-*• ").strip()
        if not line:
            continue
        due_on = None
        dated = _DATED_LINE.match(line)
        if dated:
            try:
                due_on = date.fromisoformat(
                    "-".join(part.zfill(2) for part in dated.group(1).split("-"))
                )
            except ValueError:
                errors.append(f"Line {number}: “{dated.group(1)}” is not a date (use YYYY-MM-DD).")
                continue
            line = dated.group(2).strip()
            if not line:
                errors.append(f"Line {number}: give the milestone a title after its date.")
                continue
        if len(line) > 200:
            errors.append(f"Line {number}: keep a milestone under 200 characters.")
            continue
        lines.append(MilestoneLine(title=line, due_on=due_on))
    if len(lines) > MAX_MILESTONES:
        errors.append(f"Keep to {MAX_MILESTONES} milestones at most.")
    if errors:
        raise forms.ValidationError(errors)
    return lines


def plain_number(value) -> str:
    """10.00 -> "10", 2.50 -> "2.5"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def milestone_lines_text(lines) -> str:
    return "\n".join(
        f"{line.due_on.isoformat()} {line.title}" if line.due_on else line.title for line in lines
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class GoalForm(forms.Form):
    title = forms.CharField(
        label="Specific: what you will do",
        max_length=200,
        required=False,
        help_text="An action and its object, e.g. “Give three talks at the engineering all-hands”.",
    )
    description = forms.CharField(
        label="More detail",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure_kind = forms.ChoiceField(
        label="Measurable: how you will know",
        choices=Goal.MeasureKind.choices,
        initial=Goal.MeasureKind.METRIC,
        widget=forms.RadioSelect,
    )
    metric_unit = forms.CharField(
        label="What the number counts",
        max_length=40,
        required=False,
        help_text="For a number: talks, hours, %, certifications…",
    )
    baseline = forms.DecimalField(
        label="Where you start (baseline)", max_digits=12, decimal_places=2, required=False
    )
    target = forms.DecimalField(
        label="Where you aim to be (target)", max_digits=12, decimal_places=2, required=False
    )
    milestones = forms.CharField(
        label="Milestones",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For a checklist: one milestone a line, optionally starting with its due date "
        "(2027-03-01 Write the slides). Milestones already ticked keep their tick while their "
        "title stays.",
    )
    relevance = forms.CharField(
        label="Relevant: why it matters for your career",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_on = forms.DateField(label="Time-bound: due date", required=False, widget=DateInput())
    no_due_reason = forms.CharField(
        label="No due date (or a date after the cohort)? Say why",
        max_length=300,
        required=False,
    )

    def __init__(self, *args, relevance_hint: str = "", cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        if relevance_hint:
            self.fields["relevance"].help_text = relevance_hint
        if cohort is not None:
            self.fields["due_on"].help_text = (
                f"Within the cohort: {human_date(cohort.starts_on)} to "
                f"{human_date(cohort.ends_on)}."
            )

    def clean_milestones(self):
        return parse_milestone_lines(self.cleaned_data.get("milestones", ""))

    def goal_input(self) -> GoalInput:
        """What was typed, valid fields only (invalid ones count as empty)."""
        data = getattr(self, "cleaned_data", {})
        return GoalInput(
            title=data.get("title") or "",
            measure_kind=data.get("measure_kind") or Goal.MeasureKind.METRIC,
            description=data.get("description") or "",
            metric_unit=data.get("metric_unit") or "",
            baseline=data.get("baseline"),
            target=data.get("target"),
            milestones=tuple(data.get("milestones") or ()),
            relevance=data.get("relevance") or "",
            due_on=data.get("due_on"),
            no_due_reason=data.get("no_due_reason") or "",
        )

    @staticmethod
    def initial_for_goal(goal: Goal) -> dict:
        return {
            "title": goal.title,
            "description": goal.description,
            "measure_kind": goal.measure_kind,
            "metric_unit": goal.metric_unit,
            "baseline": goal.baseline,
            "target": goal.target,
            "milestones": milestone_lines_text(goal.milestones.all()),
            "relevance": goal.relevance,
            "due_on": goal.due_on,
            "no_due_reason": goal.no_due_reason,
        }

    @staticmethod
    def initial_for_template(template: GoalTemplate) -> dict:
        return {
            "title": template.title,
            "description": template.description,
            "measure_kind": template.measure_kind,
            "metric_unit": template.metric_unit,
            "milestones": "\n".join(template.milestone_titles),
        }


class DecisionForm(forms.Form):
    """The other side agrees a proposed goal or asks for changes (a comment is then required)."""

    action = forms.ChoiceField(choices=[("agree", "Agree"), ("changes", "Ask for changes")])
    comment = forms.CharField(
        label="Comment",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you ask for changes: say what should change.",
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "changes" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say what should change, so they know what to do.")
        return data


class StatusForm(forms.Form):
    to = forms.ChoiceField(
        choices=[
            (Goal.Status.PROPOSED, "Send"),
            (Goal.Status.PAUSED, "Pause"),
            (Goal.Status.AGREED, "Resume"),
            (Goal.Status.ACHIEVED, "Mark achieved"),
            (Goal.Status.DROPPED, "Drop"),
        ]
    )
    comment = forms.CharField(
        label="Why (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProgressForm(forms.Form):
    value = forms.DecimalField(label="New value", max_digits=12, decimal_places=2, required=False)
    milestones = forms.TypedMultipleChoiceField(
        label="Milestones done",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label="Note",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you did, what helped, what is next. Only you two can read it.",
    )

    def __init__(self, *args, goal: Goal, **kwargs):
        super().__init__(*args, **kwargs)
        if goal.measure_kind == Goal.MeasureKind.METRIC:
            del self.fields["milestones"]
            unit = f" ({goal.metric_unit})" if goal.metric_unit else ""
            self.fields["value"].label = f"New value{unit}"
            self.fields["value"].help_text = (
                f"From {plain_number(goal.baseline)} to {plain_number(goal.target)}; "
                "the percent is worked out for you."
            )
        else:
            del self.fields["value"]
            self.fields["milestones"].choices = [
                (m.pk, m.title) for m in goal.milestones.all() if m.done_at is None
            ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        value = data.get("value")
        ticked = data.get("milestones")
        note = (data.get("note") or "").strip()
        if "value" in self.fields and value is None and not note:
            self.add_error("value", "Give the new value (or at least a note on your progress).")
        if "milestones" in self.fields and not ticked and not note:
            self.add_error("milestones", "Tick what you have done (or at least write a note).")
        return data


class GoalTemplateForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(
        label="Description",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure_kind = forms.ChoiceField(
        label="Measured by",
        choices=Goal.MeasureKind.choices,
        initial=Goal.MeasureKind.MILESTONES,
        widget=forms.RadioSelect,
    )
    metric_unit = forms.CharField(
        label="What the number counts", max_length=40, required=False, help_text="For a number."
    )
    milestone_titles = forms.CharField(
        label="Milestones",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For a checklist: one milestone a line. Mentees adapt them to their goal.",
    )
    relevance_hint = forms.CharField(
        label="Hint on why it matters",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the mentee under “why it matters for your career”.",
    )

    def clean_milestone_titles(self):
        titles = [
            " ".join(line.split()) for line in self.cleaned_data["milestone_titles"].splitlines()
        ]
        titles = [t for t in titles if t]
        if any(len(t) > 200 for t in titles):
            raise forms.ValidationError("Keep each milestone under 200 characters.")
        if len(titles) > MAX_MILESTONES:
            raise forms.ValidationError(f"Keep to {MAX_MILESTONES} milestones at most.")
        return titles

    def template_input(self) -> GoalTemplateInput:
        data = self.cleaned_data
        return GoalTemplateInput(
            title=data["title"],
            measure_kind=data["measure_kind"],
            description=data["description"],
            metric_unit=data["metric_unit"],
            relevance_hint=data["relevance_hint"],
            milestone_titles=tuple(data["milestone_titles"]),
        )

    @staticmethod
    def initial_for(template: GoalTemplate) -> dict:
        return {
            "title": template.title,
            "description": template.description,
            "measure_kind": template.measure_kind,
            "metric_unit": template.metric_unit,
            "milestone_titles": "\n".join(template.milestone_titles),
            "relevance_hint": template.relevance_hint,
        }
