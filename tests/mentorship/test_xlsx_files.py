"""Uploaded XLSX workbooks: the archive checks made before openpyxl opens anything, and the
first sheet read into CSV text as a CSV export would hold it."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest
import xlsxwriter

from mentorship import xlsx_files
from mentorship.xlsx_files import XlsxRejected, xlsx_archive_check, xlsx_sheet_text

LIMIT = 20 * 1024 * 1024


def workbook(*rows, sheets: int = 1, build=None) -> bytes:
    """An XLSX file written by XlsxWriter: ``rows`` on the first sheet (None: a blank row)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("People")
    for _ in range(sheets - 1):
        book.add_worksheet()
    for r, values in enumerate(rows):
        if values is not None:
            sheet.write_row(r, 0, values)
    if build is not None:
        build(book, sheet)
    book.close()
    return buf.getvalue()


def table_workbook(columns, rows: list[dict[str, str]], *, typed: bool = True) -> bytes:
    """The workbook a spreadsheet would hold for the same table as a CSV file: with
    ``typed``, ISO dates are date cells (shown as the spreadsheet's locale would) and whole
    numbers are number cells."""

    def build(book, sheet):
        dates = book.add_format({"num_format": "dd.mm.yyyy"})
        sheet.write_row(0, 0, columns)
        for r, values in enumerate(rows, start=1):
            for c, name in enumerate(columns):
                value = values.get(name, "")
                if typed and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    sheet.write_datetime(r, c, datetime.fromisoformat(value), dates)
                elif typed and value.isdigit():
                    sheet.write_number(r, c, float(value))
                elif value:
                    sheet.write_string(r, c, value)

    return workbook(build=build)


def bomb(*, size: int, with_workbook: bool = True) -> bytes:
    """A few hundred KB of zip that declares ``size`` bytes: one part of a repeated string."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if with_workbook:
            z.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"<row><c><v>1</v></c></row>" * 40_000  # about 1 MB
        with z.open("xl/worksheets/sheet1.xml", "w") as part:
            written = 0
            while written < size:
                part.write(chunk)
                written += len(chunk)
    return buf.getvalue()


@pytest.fixture
def openpyxl_never_called(monkeypatch):
    """Fails the test if anything opens a workbook with openpyxl."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to open the file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


# --- The archive, before anything is inflated ------------------------------------------------


def test_zip_bomb_is_refused_from_its_directory_before_openpyxl_opens_it(openpyxl_never_called):
    data = bomb(size=100 * 1024 * 1024)
    assert len(data) < 1024 * 1024  # small packed, 100 MB unpacked
    with pytest.raises(XlsxRejected) as refused:
        xlsx_sheet_text(data=data, filename="staff.xlsx", max_bytes=LIMIT)
    message = str(refused.value)
    assert message.startswith("staff.xlsx would unpack to 100 MB")
    assert "limit of 50 MB" in message
    assert "UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES" in message


def test_part_packed_too_tightly_is_refused_under_the_total_limit(openpyxl_never_called):
    data = bomb(size=8 * 1024 * 1024)  # within the 50 MB total, at about 1000:1
    with pytest.raises(XlsxRejected) as refused:
        xlsx_archive_check(data=data, filename="staff.xlsx")
    message = str(refused.value)
    assert "xl/worksheets/sheet1.xml would unpack to" in message
    assert "limit of 100 (UPLOAD_XLSX_MAX_COMPRESSION_RATIO)" in message


def test_total_limit_is_a_setting(settings):
    settings.UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES = 100 * 1024
    data = workbook(["email"], *[[f"p{i}@example.com"] for i in range(3_000)])
    with pytest.raises(XlsxRejected, match="limit of 100 KB"):
        xlsx_archive_check(data=data, filename="big.xlsx")


def test_not_a_zip_archive(openpyxl_never_called):
    with pytest.raises(XlsxRejected) as refused:
        xlsx_sheet_text(data=b"email,role\na@example.com,mentor\n", filename="x.xlsx", max_bytes=9)
    assert str(refused.value).startswith("x.xlsx is not an XLSX workbook: it is not a zip archive")


def test_zip_without_a_workbook(openpyxl_never_called):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<document/>")
    with pytest.raises(XlsxRejected, match=r"has no xl/workbook\.xml"):
        xlsx_sheet_text(data=buf.getvalue(), filename="letter.xlsx", max_bytes=LIMIT)


def test_too_many_parts(settings, openpyxl_never_called):
    settings.UPLOAD_XLSX_MAX_ENTRIES = 10
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(11):
            z.writestr(f"xl/part{i}.xml", "<x/>")
    with pytest.raises(XlsxRejected, match="has 12 parts in its archive"):
        xlsx_archive_check(data=buf.getvalue(), filename="many.xlsx")


def test_compression_spreadsheets_do_not_write(openpyxl_never_called):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_LZMA) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(XlsxRejected, match="compression method"):
        xlsx_archive_check(data=buf.getvalue(), filename="odd.xlsx")


def test_a_real_workbook_passes_the_checks():
    data = workbook(["email"], *[[f"person{i}@example.com"] for i in range(5_000)])
    xlsx_archive_check(data=data, filename="people.xlsx").close()


# --- The first sheet as CSV text --------------------------------------------------------------


def test_values_become_the_text_of_a_csv_export():
    def build(book, sheet):
        dates = book.add_format({"num_format": "dd/mm/yyyy"})
        sheet.write_datetime(1, 2, datetime(2023, 1, 9), dates)
        sheet.write_number(1, 3, 3.0)
        sheet.write_number(1, 4, 2.5)
        sheet.write_boolean(1, 5, True)
        sheet.write_datetime(1, 6, datetime(2023, 1, 9, 13, 30), dates)

    data = workbook(["id", "name", "hired", "level", "x", "flag", "at"], ["E1", "Ann"], build=build)
    sheet = xlsx_sheet_text(data=data, filename="s.xlsx", max_bytes=LIMIT)
    assert (
        sheet.text
        == "id,name,hired,level,x,flag,at\nE1,Ann,2023-01-09,3,2.5,TRUE,2023-01-09 13:30:00\n"
    )
    assert sheet.problems == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (3, "3"),
        (3.0, "3"),
        (0.1, "0.1"),
        (1e20, "100000000000000000000"),
        (False, "FALSE"),
        (datetime(2024, 2, 29), "2024-02-29"),
        (date(2024, 2, 29), "2024-02-29"),
        (time(9, 30), "09:30:00"),
        ("=not a formula", "=not a formula"),
    ],
)
def test_cell_text(value, text):
    assert xlsx_files.cell_text(value) == text


def test_rows_keep_their_numbers_blank_rows_too_and_trailing_ones_are_dropped():
    data = workbook(["a", "b"], None, ["1", "two\nlines"], ["3", "4"], None, None)
    sheet = xlsx_sheet_text(data=data, filename="s.xlsx", max_bytes=LIMIT)
    assert sheet.text == 'a,b\n\n1,"two\nlines"\n3,4\n'


def test_rows_are_as_wide_as_the_widest():
    data = workbook(["a"], ["1", "", "", "stray"])
    sheet = xlsx_sheet_text(data=data, filename="s.xlsx", max_bytes=LIMIT)
    assert sheet.text == "a,,,\n1,,,stray\n"
    assert sheet.used_columns == {1, 4}


def test_formula_without_a_saved_value_is_a_problem_at_its_cell():
    # openpyxl writes formulas without the value a spreadsheet would have saved.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "capacity"])
    sheet.append(["a@example.com", "=1+1"])
    sheet.append(["b@example.com", 2])
    buf = io.BytesIO()
    book.save(buf)
    result = xlsx_sheet_text(data=buf.getvalue(), filename="f.xlsx", max_bytes=LIMIT)
    assert result.text == "email,capacity\na@example.com,\nb@example.com,2\n"
    [problem] = result.problems
    assert (problem.row, problem.column) == (2, 2)
    assert "the formula =1+1 but no saved value" in problem.message


def test_formula_with_a_saved_value_gives_the_value_never_the_formula():
    def build(book, sheet):
        sheet.write_formula(1, 1, "=1+1", None, 2)
        sheet.write_formula(2, 1, "=1/0", None, "#DIV/0!")

    data = workbook(["email", "capacity"], ["a@example.com"], ["b@example.com"], build=build)
    result = xlsx_sheet_text(data=data, filename="f.xlsx", max_bytes=LIMIT)
    assert result.text == "email,capacity\na@example.com,2\nb@example.com,\n"
    [problem] = result.problems
    assert (problem.row, problem.column) == (3, 2)
    assert problem.message == "This cell holds the spreadsheet error #DIV/0!."


def test_only_the_first_sheet_is_read():
    def build(book, sheet):
        book.worksheets()[1].write_row(0, 0, ["not", "read"])

    data = workbook(["email"], ["a@example.com"], sheets=3, build=build)
    result = xlsx_sheet_text(data=data, filename="s.xlsx", max_bytes=LIMIT)
    assert result.text == "email\na@example.com\n"
    assert result.notes == [
        "Only the first sheet, “People”, was read; the workbook's 2 other sheets are ignored."
    ]


def test_a_sheet_wider_than_a_csv_file_within_the_limit_is_refused():
    # One cell in the last column of 2,000 rows: 32 million cells, in a file of a few KB.
    def build(book, sheet):
        for r in range(2_000):
            sheet.write_number(r, 16_383, 1)

    data = workbook(build=build)
    with pytest.raises(XlsxRejected, match="spans more cells than a CSV file within the limit"):
        xlsx_sheet_text(data=data, filename="wide.xlsx", max_bytes=2 * 1024 * 1024)


def test_a_sheet_whose_text_is_over_the_limit_is_refused():
    data = workbook(*[[f"person{i}@example.com", "x" * 50] for i in range(2_000)])
    with pytest.raises(XlsxRejected, match="holds more than a CSV file within the limit of 64 KB"):
        xlsx_sheet_text(data=data, filename="long.xlsx", max_bytes=64 * 1024)


def test_a_damaged_workbook_is_refused_with_its_name():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(XlsxRejected, match=r"^broken\.xlsx cannot be read as an XLSX workbook"):
        xlsx_sheet_text(data=buf.getvalue(), filename="broken.xlsx", max_bytes=LIMIT)


def test_column_letters():
    assert [xlsx_files.column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16_383)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "XFD",
    ]


def test_xml_entities_are_refused_not_expanded():
    # "Billion laughs": entities that expand each other; openpyxl parses with defusedxml.
    assert openpyxl.DEFUSEDXML
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&b;</workbook>'
    )
    data = workbook(["email"], ["a@example.com"])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buf, "w") as target:
        for item in source.infolist():
            body = laughs if item.filename == "xl/workbook.xml" else source.read(item)
            target.writestr(item.filename, body)
    with pytest.raises(XlsxRejected, match=r"^laughs\.xlsx cannot be read as an XLSX workbook"):
        xlsx_sheet_text(data=buf.getvalue(), filename="laughs.xlsx", max_bytes=LIMIT)


def test_a_part_that_holds_more_than_it_declares_is_never_inflated_beyond_that():
    # Declared sizes are what the checks trust: zipfile stops inflating a part at its
    # declared size, and the part then fails its CRC check, so openpyxl reads no more.
    data = bytearray(workbook(["email"], ["a@example.com"]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    # Say the sheet is 10 bytes long, in its local header and in the central directory.
    struct.pack_into("<I", data, info.header_offset + 22, 10)
    for start in _central_entries(bytes(data)):
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, start + 24, 10)
    with pytest.raises(XlsxRejected, match=r"^lying\.xlsx cannot be read as an XLSX workbook"):
        xlsx_sheet_text(data=bytes(data), filename="lying.xlsx", max_bytes=LIMIT)


def _central_entries(data: bytes) -> list[int]:
    starts, at = [], data.find(b"PK\x01\x02")
    while at != -1:
        starts.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return starts
