"""Erased former employees: what is left of them, and blanking their rows in stored CSV files.

When HR erases a person who has left (the privacy app), their ``User`` row stays for the
aggregate reports (department, level, hire and leaving dates) but their name, email and
everything they wrote are gone. The stored copies of uploaded files (directory imports,
enrolment files) are records of what HR loaded; the rows about an erased person are blanked
in them too, here, so that neither an old file nor a new upload that still lists the person
keeps their name in the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from mentorship.csv_files import detect_delimiter, normalize_header

ERASED_NAME = "Former employee"
ERASED_TEXT = "(erased)"
"""Stands in for an erased text where a blank will not do: the database requires one (a
goal's title, a review's comment), the other member of a pair would see an unexplained gap,
or a stored file must stay invalid (a manager cell that named an erased person)."""
ERASED_EMAIL_DOMAIN = "erased.invalid"


def erased_email(pk: int) -> str:
    """A unique address at a domain that can never receive mail (RFC 2606 ``.invalid``)."""
    return f"erased-{pk}@{ERASED_EMAIL_DOMAIN}"


def redact_csv_rows(
    text: str,
    *,
    redact: Callable[[dict[str, str]], dict[str, str] | None],
    keep_other_cells: bool = False,
) -> str:
    """Rewrite the rows of a CSV text for which ``redact`` returns new values.

    ``redact`` gets a row's stripped cells keyed by normalised header name (as
    mentorship.csv_files reads them) and returns None to keep the row as it is, or the values
    of the columns it names. The row's other cells (unknown columns too) become empty, or with
    ``keep_other_cells`` stay as they are. Every other line, the header and the line endings
    are kept byte for byte, so a stored file still reads as the same rows.
    """
    if not text.strip():
        return text
    lines = io.StringIO(text, newline="").readlines()
    first_line = next((line for line in lines if line.strip()), "")
    delimiter = detect_delimiter(first_line)
    reader = csv.reader(iter(lines), delimiter=delimiter)
    header: list[str] | None = None
    replacements: dict[int, tuple[int, str]] = {}  # first line index -> (last index, new text)
    start = 0
    try:
        for cells in reader:
            end = reader.line_num  # lines[start:end] hold this row
            if not any(cell.strip() for cell in cells):
                start = end
                continue
            if header is None:
                header = [normalize_header(cell) for cell in cells]
                start = end
                continue
            if len(cells) == len(header):
                values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
                new = redact(values)
                if new is not None:
                    last = lines[end - 1]
                    ending = last[len(last.rstrip("\r\n")) :]
                    out = io.StringIO()
                    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerow(
                        [
                            new.get(name, cell if keep_other_cells else "")
                            for name, cell in zip(header, cells, strict=True)
                        ]
                    )
                    replacements[start] = (end, out.getvalue())
            start = end
    except csv.Error:
        pass  # a file that cannot be read further: rows before the bad line are redacted
    if not replacements:
        return text
    result: list[str] = []
    index = 0
    while index < len(lines):
        if index in replacements:
            end, new_text = replacements[index]
            result.append(new_text)
            index = end
        else:
            result.append(lines[index])
            index += 1
    return "".join(result)


def replace_in_json(value, replacements: dict[str, str]):
    """``value`` (JSON data) with every occurrence of each key replaced, ignoring case."""
    if isinstance(value, str):
        return replace_text(value, replacements)
    if isinstance(value, list):
        return [replace_in_json(item, replacements) for item in value]
    if isinstance(value, dict):
        return {key: replace_in_json(item, replacements) for key, item in value.items()}
    return value


def replace_text(text: str, replacements: dict[str, str]) -> str:
    """``text`` with each key replaced by its value as a whole word, ignoring case (longest
    keys first)."""
    for old in sorted(replacements, key=len, reverse=True):
        if old:
            new = replacements[old]
            # Whole words only, so a short name does not rewrite the middle of another word.
            start = r"\b" if old[0].isalnum() else ""
            end = r"\b" if old[-1].isalnum() else ""
            pattern = start + re.escape(old) + end
            text = re.sub(pattern, lambda _match, new=new: new, text, flags=re.IGNORECASE)
    return text
