"""The two forms of the data rights page. Both ask for the reason: it goes to the audit log."""

from __future__ import annotations

from django import forms

from privacy.services import MAX_REASON_LENGTH, confirmation_matches

REASON_HELP = (
    "The request or ticket this answers, e.g. SAR-2026-014. It is kept in the audit log with "
    "your name and the time."
)


def _reason_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_REASON_LENGTH,
        help_text=REASON_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ExportForm(forms.Form):
    reason = _reason_field("Reason for the download")


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label="Type the person's employee ID or email address to confirm",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = _reason_field("Reason for the erasure")

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_confirmation(self) -> str:
        value = self.cleaned_data["confirmation"]
        if not confirmation_matches(self.person, value):
            raise forms.ValidationError(
                "This is neither the person's employee ID nor their email address."
            )
        return value
