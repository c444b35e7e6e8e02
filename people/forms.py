from __future__ import annotations

from mentorship.csv_files import CsvFileForm, csv_file_field, limits_text
from people.directory_import import COLUMNS, DIRECTORY_FILE, REQUIRED_COLUMNS

DIRECTORY_FILE_HELP = (
    "The HR system's export as CSV (UTF-8, separated by commas or semicolons) or as an XLSX "
    "workbook, with a header row naming the columns in any order: {columns}. Required: "
    "{required}. Dates as YYYY-MM-DD (or date cells in a workbook); end_date is the leaving "
    "date, empty while employed; level is a whole number; timezone an IANA name such as "
    "Europe/Berlin; manager_email the manager's email. Employees are matched by employee_id. "
    "Columns left out of the file stay as they are. {limits}"
)


class DirectoryImportForm(CsvFileForm):
    fmt = DIRECTORY_FILE
    file = csv_file_field(label="Directory file (CSV or XLSX)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is a setting, so the help is written when the form is.
        self.fields["file"].help_text = DIRECTORY_FILE_HELP.format(
            columns=", ".join(COLUMNS),
            required=", ".join(REQUIRED_COLUMNS),
            limits=limits_text(DIRECTORY_FILE),
        )
