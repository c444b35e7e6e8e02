"""Blanking rows of stored CSV files: only the rows asked for change, the rest byte for byte."""

from __future__ import annotations

from people.redaction import redact_csv_rows, replace_text


def only_lena(values):
    return {"employee_id": values["employee_id"]} if values["employee_id"] == "E1" else None


def test_other_lines_and_line_endings_are_kept():
    text = (
        'employee_id;email;first_name\r\nE0;"a@x.com";"Ann"\r\nE1;lena@x.com;Lena\r\nE2;b@x.com;Bo'
    )
    redacted = redact_csv_rows(text, redact=only_lena)
    assert redacted == 'employee_id;email;first_name\r\nE0;"a@x.com";"Ann"\r\nE1;;\r\nE2;b@x.com;Bo'


def test_a_row_over_several_lines_is_replaced_whole():
    text = 'employee_id,first_name,notes\nE1,Lena,"line one\nline two"\n\nE2,Bo,ok\n'
    assert (
        redact_csv_rows(text, redact=only_lena)
        == "employee_id,first_name,notes\nE1,,\n\nE2,Bo,ok\n"
    )


def test_headers_are_read_as_the_import_reads_them_and_unknown_columns_are_blanked():
    text = "Employee ID,Nickname,Email\nE1,Lenny,lena@x.com\n"
    assert redact_csv_rows(text, redact=only_lena) == "Employee ID,Nickname,Email\nE1,,\n"


def test_keep_other_cells():
    text = "employee_id,manager_email,first_name\nE2,lena@x.com,Bo\n"
    redacted = redact_csv_rows(
        text,
        redact=lambda v: {"manager_email": "(erased)"} if v["manager_email"] else None,
        keep_other_cells=True,
    )
    assert redacted == "employee_id,manager_email,first_name\nE2,(erased),Bo\n"


def test_replace_text_whole_words_ignoring_case():
    replacements = {"Al Smith": "Former employee", "al@x.com": "erased-1@erased.invalid"}
    text = "AL SMITH wrote to Al@X.com; Alison Smithers and kal@x.com.au stay"
    assert replace_text(text, replacements) == (
        "Former employee wrote to erased-1@erased.invalid; Alison Smithers and kal@x.com.au stay"
    )
