from __future__ import annotations

from django import forms
from django.conf import settings

from people.directory_import import (
    COLUMNS,
    REQUIRED_COLUMNS,
    DirectoryFileRejected,
    read_directory_upload,
)

DIRECTORY_FILE_HELP = (
    "The HR system's export as CSV (UTF-8), separated by commas or semicolons, with a header "
    "row naming the columns in any order: {columns}. Required: {required}. Dates as "
    "YYYY-MM-DD; end_date is the leaving date, empty while employed; level is a whole "
    "number; timezone an IANA name such as Europe/Berlin; manager_email the manager's email. "
    "Employees are matched by employee_id. Columns left out of the file stay as they are. "
    "At most {limit} MB."
)


class DirectoryImportForm(forms.Form):
    file = forms.FileField(
        label="Directory file (CSV)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = DIRECTORY_FILE_HELP.format(
            columns=", ".join(COLUMNS),
            required=", ".join(REQUIRED_COLUMNS),
            limit=max(1, settings.DIRECTORY_IMPORT_MAX_BYTES // (1024 * 1024)),
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # The size Django counted while receiving it: refuse before reading it into memory.
            self.cleaned_data["data"] = read_directory_upload(upload, size=upload.size)
        except DirectoryFileRejected as exc:
            raise forms.ValidationError([str(e) for e in exc.errors]) from exc
        return upload
