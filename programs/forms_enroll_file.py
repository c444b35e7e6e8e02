from __future__ import annotations

from mentorship.csv_files import CsvFileForm, csv_file_field, limits_text
from programs.services.enroll_file import ENROLLMENT_FILE


class EnrollmentFileForm(CsvFileForm):
    fmt = ENROLLMENT_FILE
    file = csv_file_field(
        label="Enrolment file (CSV or XLSX)",
        help_text="CSV (UTF-8, separated by commas or semicolons) or an XLSX workbook, with a "
        "header row. The format is described below.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limits are settings, so the help is written when the form is.
        self.fields["file"].help_text += " " + limits_text(ENROLLMENT_FILE)
