"""Forms for meetings, check-ins, reviews and private notes. They check shapes; the services
decide what is allowed and say why not."""

from __future__ import annotations

from datetime import datetime

from django import forms

from goals.models import CheckIn, Goal, Meeting, PrivateNote
from goals.services.checkins import GoalProgress
from goals.services.meetings import MAX_DURATION, MIN_DURATION, time_zone_names

DURATIONS = [15, 30, 45, 60, 75, 90, 120]

USEFULNESS_CHOICES = [
    (1, "1 · Not useful"),
    (2, "2 · A little useful"),
    (3, "3 · Useful"),
    (4, "4 · Very useful"),
    (5, "5 · Extremely useful"),
]


def _duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    text = "1 hour" if hours == 1 else f"{hours} hours"
    return f"{text} {rest} minutes" if rest else text


def _number(value) -> str:
    """12.50 -> "12.5", 10.00 -> "10"."""
    if value is None:
        return "-"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(time_zone_names())
    # Region/City names first, the legacy aliases (EST, Etc/GMT+5...) after.
    names.sort(key=lambda n: ("/" not in n or n.startswith(("Etc/", "SystemV/")), n))
    return [(name, name.replace("_", " ")) for name in names]


class MeetingForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        help_text="In the time zone below.",
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Yours by default. Each of you sees the meeting in your own time zone.",
    )
    duration_minutes = forms.TypedChoiceField(label="How long", coerce=int)
    mode = forms.ChoiceField(
        label="How you meet", choices=Meeting.Mode.choices, widget=forms.RadioSelect
    )
    location = forms.CharField(
        label="Where",
        max_length=300,
        required=False,
        help_text="A room or an address; for a call or video without a link, say how to join.",
    )
    video_url = forms.URLField(
        label="Video link",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="For video meetings: the Teams, Meet or Zoom link.",
    )
    agenda = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you want to talk about. You both see it, and it goes into the "
        "calendar invitation.",
    )

    def __init__(self, *args, default_timezone: str, meeting: Meeting | None = None, **kwargs):
        if meeting is not None and "initial" not in kwargs:
            from zoneinfo import ZoneInfo

            local = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
            kwargs["initial"] = {
                "date": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "timezone": meeting.timezone,
                "duration_minutes": meeting.duration_minutes,
                "mode": meeting.mode,
                "location": meeting.location,
                "video_url": meeting.video_url,
                "agenda": meeting.agenda,
            }
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("timezone", default_timezone)
        kwargs["initial"].setdefault("duration_minutes", 45)
        kwargs["initial"].setdefault("mode", Meeting.Mode.VIDEO)
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices()
        durations = set(DURATIONS)
        if meeting is not None:
            durations.add(meeting.duration_minutes)
        self.fields["duration_minutes"].choices = [
            (m, _duration_label(m)) for m in sorted(durations) if MIN_DURATION <= m <= MAX_DURATION
        ]

    def starts_local(self) -> datetime:
        return datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "starts_local": self.starts_local(),
            "timezone": data["timezone"],
            "duration_minutes": data["duration_minutes"],
            "mode": data["mode"],
            "location": data["location"],
            "video_url": data["video_url"],
            "agenda": data["agenda"],
        }


class CheckInForm(forms.Form):
    """The check-in's text and rating, and a small section per open agreed goal."""

    discussed = forms.CharField(
        label="What you discussed",
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    next_steps = forms.CharField(
        label="Next steps",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What each of you does before the next meeting.",
    )
    usefulness = forms.TypedChoiceField(
        label="How useful was this meeting?",
        choices=USEFULNESS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, goals: list[Goal], check_in: CheckIn | None = None, **kwargs):
        if check_in is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "discussed": check_in.discussed,
                "next_steps": check_in.next_steps,
                "usefulness": check_in.usefulness,
            }
        super().__init__(*args, **kwargs)
        self.goals = goals
        for goal in goals:
            if goal.measure_kind == Goal.MeasureKind.METRIC:
                current = goal.current_value if goal.current_value is not None else goal.baseline
                self.fields[f"goal-{goal.pk}-value"] = forms.DecimalField(
                    label="New value" + (f" ({goal.metric_unit})" if goal.metric_unit else ""),
                    required=False,
                    max_digits=12,
                    decimal_places=2,
                    help_text=f"Now {_number(current)}, target {_number(goal.target)}. "
                    "Leave empty if it has not changed.",
                )
            else:
                open_milestones = [m for m in goal.milestones.all() if m.done_at is None]
                self.fields[f"goal-{goal.pk}-milestones"] = forms.TypedMultipleChoiceField(
                    label="Milestones done",
                    required=False,
                    coerce=int,
                    choices=[(m.pk, m.title) for m in open_milestones],
                    widget=forms.CheckboxSelectMultiple,
                )
            self.fields[f"goal-{goal.pk}-note"] = forms.CharField(
                label="Note on this goal",
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def goal_sections(self) -> list[tuple[Goal, list[forms.BoundField]]]:
        sections = []
        for goal in self.goals:
            names = [
                name
                for name in (
                    f"goal-{goal.pk}-value",
                    f"goal-{goal.pk}-milestones",
                    f"goal-{goal.pk}-note",
                )
                if name in self.fields
            ]
            sections.append((goal, [self[name] for name in names]))
        return sections

    def progress(self) -> list[GoalProgress]:
        data = self.cleaned_data
        entries = []
        for goal in self.goals:
            entries.append(
                GoalProgress(
                    goal=goal,
                    value=data.get(f"goal-{goal.pk}-value"),
                    milestone_ids_done=tuple(data.get(f"goal-{goal.pk}-milestones") or ()),
                    note=data.get(f"goal-{goal.pk}-note") or "",
                )
            )
        return entries

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "discussed": data["discussed"],
            "next_steps": data["next_steps"],
            "usefulness": data["usefulness"],
            "progress": self.progress(),
        }


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Your comment",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The check-in's author sees it with the check-in on this meeting's page.",
    )


class PrivateNoteForm(forms.Form):
    text = forms.CharField(
        label="Your note",
        max_length=8000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Empty it and save to delete the note.",
    )

    def __init__(self, *args, note: PrivateNote | None = None, **kwargs):
        if note is not None and "initial" not in kwargs:
            kwargs["initial"] = {"text": note.text}
        super().__init__(*args, **kwargs)
