from __future__ import annotations

from mentorship.csv_files import CsvFileForm, csv_file_field
from programs.services.enroll_file import ENROLLMENT_FILE


class EnrollmentFileForm(CsvFileForm):
    fmt = ENROLLMENT_FILE
    file = csv_file_field(
        label="Enrolment file (CSV)",
        help_text="CSV (UTF-8), separated by commas or semicolons, with a header row. "
        "The format is described below.",
    )
