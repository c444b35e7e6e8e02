from __future__ import annotations

from django import forms

from goals.models import AgreementRevision


class AgreementForm(forms.Form):
    cadence_days = forms.IntegerField(
        label="Meet every … days",
        min_value=1,
        max_value=90,
        help_text="Your program suggests a rhythm; agree one that works for you both.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    formats = forms.MultipleChoiceField(
        label="How you meet",
        choices=AgreementRevision.Format.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one way of meeting."},
    )
    confidentiality = forms.CharField(
        label="Confidentiality",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What stays between you two, and what either of you may share.",
    )
    mentee_expectations = forms.CharField(
        label="What the mentee expects",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    mentor_expectations = forms.CharField(
        label="What the mentor expects",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, peer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if peer:
            self.fields["mentee_expectations"].label = "What the first peer expects"
            self.fields["mentor_expectations"].label = "What the second peer expects"
