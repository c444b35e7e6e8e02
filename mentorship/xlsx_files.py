"""XLSX workbooks that people upload instead of CSV: checked as a zip archive, then read.

HR systems export XLSX as often as CSV. An XLSX file is a zip archive of XML parts, and a
zip archive can declare far more data than it holds (a "zip bomb": a few hundred KB that
inflate to gigabytes). So before openpyxl opens a workbook, ``xlsx_archive_check`` reads
only the archive's central directory and refuses one that is not a zip archive, has too
many entries, declares too much data in total, has a part compressed suspiciously well, uses
a compression method Excel never writes, or has no ``xl/workbook.xml``. Python's zipfile
never inflates a part beyond the size the directory declares for it, so the declared sizes
checked here bound what openpyxl can read.

``xlsx_sheet_text`` then reads the first sheet's values (read-only, cached values only:
formulas are never evaluated) into CSV text, one CSV record per sheet row, so that the
stored import holds the same kind of text as a CSV upload and the rest of the flow is the
CSV one. Cells become the text a CSV export would hold: dates as YYYY-MM-DD, whole numbers
without ".0". A cell that cannot be read as a value (a formula without a cached value, an
error such as #N/A) becomes empty and is reported as a problem at its row and column.

This module knows nothing of columns or imports: mentorship.csv_files turns its problems
into import errors once it knows which columns the file's header names.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Parts smaller than this are not checked for their compression ratio: tiny XML parts
# compress well and cannot inflate to anything harmful.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
# What Excel, LibreOffice and every XLSX library write.
ALLOWED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# The cached values spreadsheets store for a formula that failed.
EXCEL_ERRORS = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)
# A formula element in the sheet's XML, whatever namespace prefix it is written with.
_FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s/>]")


class XlsxRejected(Exception):
    """The file cannot be read as a workbook at all; the message says why, naming it."""


@dataclass
class CellProblem:
    """A cell whose value could not be taken: ``row`` and ``column`` count from 1."""

    row: int
    column: int
    message: str


@dataclass
class SheetText:
    text: str
    problems: list[CellProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the workbook as a whole
    used_columns: set[int] = field(default_factory=set)  # counted from 1: any value in them


def is_xlsx_name(filename: str) -> bool:
    return filename.lower().endswith(".xlsx")


def column_letter(index: int) -> str:
    """The spreadsheet letter of a column counted from 0: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def max_uncompressed_bytes() -> int:
    return getattr(settings, "UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{n / 1024:.0f} KB"


def xlsx_archive_check(*, data: bytes, filename: str) -> zipfile.ZipFile:
    """The workbook's archive, once its central directory shows it safe to open; or
    XlsxRejected. Inflates nothing."""
    name = filename or "The file"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise XlsxRejected(
            f"{name} is not an XLSX workbook: it is not a zip archive ({exc}). A workbook "
            "with a password, or an old .xls file, cannot be read: in your spreadsheet, use "
            '"Save as" and choose "Excel Workbook (.xlsx)" or "CSV UTF-8".'
        ) from exc
    members = archive.infolist()
    max_entries = getattr(settings, "UPLOAD_XLSX_MAX_ENTRIES", 1000)
    if len(members) > max_entries:
        raise XlsxRejected(
            f"{name} has {len(members)} parts in its archive; an XLSX workbook is read only "
            f"with at most {max_entries} (UPLOAD_XLSX_MAX_ENTRIES)."
        )
    limit = max_uncompressed_bytes()
    declared = sum(member.file_size for member in members)
    if declared > limit:
        raise XlsxRejected(
            f"{name} would unpack to {_size(declared)}, more than the limit of "
            f"{_size(limit)} for an XLSX workbook (UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES). "
            "Split it, or save it as CSV."
        )
    max_ratio = getattr(settings, "UPLOAD_XLSX_MAX_COMPRESSION_RATIO", 100)
    for member in members:
        if member.compress_type not in ALLOWED_COMPRESSION:
            raise XlsxRejected(
                f"{name} is not an XLSX workbook: its part {member.filename} uses a "
                "compression method that spreadsheets do not write."
            )
        if member.flag_bits & 0x1:
            raise XlsxRejected(f"{name} is encrypted; save it without a password.")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_CHECK_MIN_BYTES and ratio > max_ratio:
            raise XlsxRejected(
                f"{name} is not read: its part {member.filename} would unpack to "
                f"{ratio:.0f} times its packed size, more than the limit of {max_ratio} "
                "(UPLOAD_XLSX_MAX_COMPRESSION_RATIO). Spreadsheets do not compress that "
                "well; save it again from your spreadsheet, or as CSV."
            )
    if "xl/workbook.xml" not in archive.NameToInfo:
        raise XlsxRejected(
            f"{name} is a zip archive but not an XLSX workbook (it has no xl/workbook.xml)."
        )
    return archive


def cell_text(value) -> str:
    """A cell's value as the text a CSV export holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def xlsx_sheet_text(*, data: bytes, filename: str, max_bytes: int) -> SheetText:
    """The first sheet as CSV text, one record per row (blank rows as empty lines, trailing
    ones dropped, every row as wide as the widest), with the cells that could not be read.

    ``max_bytes`` is the size limit of the CSV file the sheet stands for: a sheet whose text
    would be larger, or that spans more cells than such a file could hold, is refused as
    soon as that is known, so a crafted sheet costs no more to read than a CSV file that
    size."""
    import openpyxl  # only here: most requests never read a workbook

    xlsx_archive_check(data=data, filename=filename).close()
    name = filename or "The file"
    # openpyxl warns about parts it ignores (data validation, conditional formats).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises whatever its parsers meet
            raise XlsxRejected(f"{name} cannot be read as an XLSX workbook ({exc}).") from exc
        try:
            if not values_book.worksheets:
                raise XlsxRejected(f"{name} has no worksheet.")
            sheet = values_book.worksheets[0]
            formula_rows = _formula_rows(data, sheet)
            result = _read_sheet(sheet, formula_rows, name=name, max_bytes=max_bytes)
            others = len(values_book.sheetnames) - 1
            if others:
                ignored = "1 other sheet is" if others == 1 else f"{others} other sheets are"
                result.notes.append(
                    f"Only the first sheet, “{sheet.title}”, was read; the workbook's "
                    f"{ignored} ignored."
                )
            return result
        except XlsxRejected:
            raise
        except Exception as exc:
            raise XlsxRejected(f"{name} cannot be read as an XLSX workbook ({exc}).") from exc
        finally:
            values_book.close()


def _formula_rows(data: bytes, sheet):
    """The first sheet's rows with formulas as written (not their cached values), or None
    when the sheet has no formula at all, which is most often the case and saves reading
    it twice."""
    import openpyxl

    path = getattr(sheet, "_worksheet_path", None)
    if path is not None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(path.lstrip("/"))
        if not _FORMULA_ELEMENT.search(xml):
            return None
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    formulas = book.worksheets[0]
    formulas.reset_dimensions()
    return book, formulas.iter_rows(values_only=True)


def _read_sheet(sheet, formula_rows, *, name: str, max_bytes: int) -> SheetText:
    # The dimension the file declares can claim a million rows by 16,384 columns: read the
    # cells that are there instead.
    sheet.reset_dimensions()
    formula_book, formula_iter = formula_rows if formula_rows else (None, None)
    problems: list[CellProblem] = []
    rows: list[list[str] | None] = []  # None: a blank row
    used: set[int] = set()
    cells_seen = 0
    text_bytes = 0
    try:
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            formulas = next(formula_iter, ()) if formula_iter is not None else ()
            cells_seen += len(values) + 1
            if cells_seen > max_bytes:
                raise XlsxRejected(
                    f"{name} spans more cells than a CSV file within the limit of "
                    f"{_size(max_bytes)} could hold. Delete the rows and columns beyond your "
                    "data, or split the file."
                )
            cells = []
            for index, value in enumerate(values):
                formula = formulas[index] if index < len(formulas) else None
                text = _cell(value, formula, row_number, index, problems)
                cells.append(text)
            while cells and not cells[-1]:
                cells.pop()
            used.update(i for i, text in enumerate(cells, start=1) if text)
            rows.append(cells or None)
            text_bytes += sum(len(c) for c in cells) + len(cells) + 1
            if text_bytes > max_bytes:
                raise XlsxRejected(
                    f"{name} holds more than a CSV file within the limit of "
                    f"{_size(max_bytes)} could. Split it."
                )
    finally:
        if formula_book is not None:
            formula_book.close()
    while rows and rows[-1] is None:
        rows.pop()
    width = max((len(r) for r in rows if r), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in rows:
        if cells is None:
            out.write("\n")
        else:
            writer.writerow(cells + [""] * (width - len(cells)))
    return SheetText(text=out.getvalue(), problems=problems, used_columns=used)


def _cell(value, formula, row: int, index: int, problems: list[CellProblem]) -> str:
    if value is None:
        if formula is not None and not isinstance(formula, str | int | float | bool):
            formula = str(getattr(formula, "text", formula))  # array and table formulas
        if isinstance(formula, str) and formula.startswith("="):
            problems.append(
                CellProblem(
                    row,
                    index + 1,
                    f"This cell has the formula {formula[:80]} but no saved value; formulas "
                    "are not calculated here. Open the file in your spreadsheet, save it, "
                    "and upload it again, or paste the values instead of the formula.",
                )
            )
        return ""
    if isinstance(value, str) and value in EXCEL_ERRORS:
        problems.append(
            CellProblem(row, index + 1, f"This cell holds the spreadsheet error {value}.")
        )
        return ""
    text = cell_text(value)
    if "\x00" in text:
        problems.append(CellProblem(row, index + 1, "This cell contains a NUL character."))
        text = text.replace("\x00", "")
    return text
