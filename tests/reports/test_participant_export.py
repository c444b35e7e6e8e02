"""The participant-level export for HR (CSV and XLSX): every column read back from the files,
no cell ever a formula, HR only, a constant number of queries, streamed."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Meeting
from reports.participant_export import csv_chunks, safe_cell
from tests.conftest import activate_totp, make_user
from tests.goals.fixtures import make_pair
from tests.goals.goals_factories import make_goal
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

CSV_URL = reverse("report_exports:participants_csv")
XLSX_URL = reverse("report_exports:participants_xlsx")
HEADER = [
    "employee_id",
    "name",
    "department",
    "level",
    "program",
    "cohort",
    "role",
    "matched",
    "meetings",
    "check_ins",
    "goals_agreed",
    "goals_achieved",
    "still_employed",
]
NOTE = "my manager keeps taking credit"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def meet(match, *, days: int, status="scheduled", check_in=False):
    meeting = Meeting.objects.create(
        match=match,
        organizer=match.mentee.person,
        starts_at=timezone.now() + timedelta(days=days),
        status=status,
        agenda=NOTE,
    )
    if check_in:
        CheckIn.objects.create(
            meeting=meeting, match=match, author=match.mentee.person, discussed=NOTE, usefulness=4
        )
    return meeting


@pytest.fixture
def world(program):
    """Seven people in the ``program``'s cohort and one of them in another program too."""
    today = timezone.localdate()
    spring = make_cohort(program=program, phase="running", name="Spring", slug="eng-spring")
    sales = make_program(name="Sales Mentorship", slug="sales-mentoring")
    sales_cohort = make_cohort(program=sales, phase="running", name="Sales cohort")

    def person(eid, first, last, department, level, end_date=None):
        return make_user(
            employee_id=eid,
            first_name=first,
            last_name=last,
            department=department,
            level=level,
            end_date=end_date,
        )

    alice = person("A1", '=HYPERLINK("x")', "", "+1", 3)
    bob = person("B1", "Bob", "Baker", "-2", 6, end_date=today + timedelta(days=30))
    carol = person("C1", "Carol", "Chen", "@SUM(A1)", None, end_date=today - timedelta(days=10))
    dave = person("D1", "Dave", "Diaz", "Sales", 5, end_date=today)
    erin = person("E1", "Erin", "Evans", "Engineering", 2)
    frank = person("F1", "Frank", "Fox", "Engineering", 7)
    gina = person("G1", "Gina", "Green", "Finance", 4)

    active = make_pair(cohort=spring, mentee=alice, mentor=bob)
    meet(active, days=-20, check_in=True)
    meet(active, days=-5)
    meet(active, days=-3, status="cancelled")
    meet(active, days=+4)
    for status in ("agreed", "paused", "achieved", "draft", "proposed", "dropped"):
        make_goal(active, status=status, title=NOTE)

    ended = make_pair(cohort=spring, mentee=carol, mentor=dave, status="ended")
    meet(ended, days=-40, check_in=True)
    make_goal(ended, status="achieved")

    # A draft (unpublished) match: not "matched", and nothing of it counts.
    draft = make_pair(
        cohort=spring, mentee=erin, mentor=frank, status="proposed", published_at=None
    )
    meet(draft, days=-2, check_in=True)
    make_goal(draft, status="agreed")

    make_enrollment(cohort=spring, person=gina, role="mentee", status="applied")
    make_enrollment(cohort=sales_cohort, person=alice, role="mentee")

    eng, sal = "Engineering Mentorship", "Sales Mentorship"
    # In export order: program, cohort, role (mentee before mentor), last name.
    return [
        ["A1", '=HYPERLINK("x")', "+1", 3, eng, "Spring", "mentee", "yes", 2, 1, 3, 1, "yes"],
        ["C1", "Carol Chen", "@SUM(A1)", None, eng, "Spring", "mentee", "yes", 1, 1, 1, 1, "no"],
        ["E1", "Erin Evans", "Engineering", 2, eng, "Spring", "mentee", "no", 0, 0, 0, 0, "yes"],
        ["G1", "Gina Green", "Finance", 4, eng, "Spring", "mentee", "no", 0, 0, 0, 0, "yes"],
        ["B1", "Bob Baker", "-2", 6, eng, "Spring", "mentor", "yes", 2, 1, 3, 1, "yes"],
        ["D1", "Dave Diaz", "Sales", 5, eng, "Spring", "mentor", "yes", 1, 1, 1, 1, "no"],
        ["F1", "Frank Fox", "Engineering", 7, eng, "Spring", "mentor", "no", 0, 0, 0, 0, "yes"],
        ["A1", '=HYPERLINK("x")', "+1", 3, sal, "Sales cohort", "mentee", "no", 0, 0, 0, 0, "yes"],
    ]


def as_csv_cells(row):
    """What the CSV holds for an expected row: text escaped, numbers as digits."""
    return ["" if v is None else str(v) if isinstance(v, int) else safe_cell(v) for v in row]


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def parse_xml(data: bytes):
    return ElementTree.fromstring(data)  # noqa: S314 - the app's own file, in a test


def column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group()
    n = 0
    for letter in letters:
        n = n * 26 + ord(letter) - ord("A") + 1
    return n - 1


def read_xlsx(content: bytes) -> list[list]:
    """The first sheet's cells: text as str, numbers as int; missing cells None. Fails on
    any formula anywhere in the workbook."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        sheet = archive.read("xl/worksheets/sheet1.xml")
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = parse_xml(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root]
        for name in names:
            if name.endswith(".xml"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    rows = []
    for row in parse_xml(sheet).find("m:sheetData", NS):
        cells = [None] * len(HEADER)
        for cell in row:
            assert cell.find("m:f", NS) is None
            kind = cell.get("t")
            i = column_index(cell.get("r"))
            if kind == "inlineStr":
                cells[i] = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            elif kind == "s":
                cells[i] = shared[int(cell.find("m:v", NS).text)]
            else:
                assert kind in (None, "n"), kind
                value = cell.find("m:v", NS)
                cells[i] = None if value is None else int(float(value.text))
        rows.append(cells)
    return rows


def test_csv_has_every_column_for_every_enrollment(hr_client, world):
    response = hr_client.get(CSV_URL)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="participants-{today}.csv"'
    assert "no-store" in response["Cache-Control"]
    raw, rows = read_csv(response)
    assert rows[0] == HEADER
    assert rows[1:] == [as_csv_cells(row) for row in world]
    assert NOTE.encode() not in raw


def test_csv_escapes_formulas_and_keeps_the_text(hr_client, world):
    _raw, rows = read_csv(hr_client.get(CSV_URL))
    alice, bob, carol = rows[1], rows[5], rows[2]
    assert alice[1] == '\'=HYPERLINK("x")'
    assert alice[2] == "'+1"
    assert bob[2] == "'-2"
    assert carol[2] == "'@SUM(A1)"
    # No cell of the file starts with a character a spreadsheet reads as a formula.
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_safe_cell():
    assert safe_cell("=1+2") == "'=1+2"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-2") == "'-2"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\tx") == "'\tx"
    assert safe_cell("\rx") == "'\rx"
    assert safe_cell("Ann = Bob") == "Ann = Bob"
    assert safe_cell("") == ""
    assert safe_cell(-2) == -2
    assert safe_cell(None) == ""


def test_csv_filtered_by_program(hr_client, world):
    response = hr_client.get(CSV_URL, {"program": "sales-mentoring"})
    today = timezone.localdate().isoformat()
    assert f'filename="participants-sales-mentoring-{today}.csv"' in response["Content-Disposition"]
    _raw, rows = read_csv(response)
    assert rows[1:] == [as_csv_cells(world[-1])]


def test_unknown_program_is_404(hr_client, world):
    assert hr_client.get(CSV_URL, {"program": "nope"}).status_code == 404
    assert hr_client.get(XLSX_URL, {"program": "nope"}).status_code == 404


def test_xlsx_has_every_column_as_text_or_number(hr_client, world):
    response = hr_client.get(XLSX_URL)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # a FileResponse streams from disk
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    today = timezone.localdate().isoformat()
    assert f'filename="participants-{today}.xlsx"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content)
    rows = read_xlsx(content)
    assert rows[0] == HEADER
    # Text exactly as typed (no quote), stored as strings; numbers as numbers.
    assert rows[1:] == world
    assert NOTE.encode() not in content


def test_xlsx_stores_formula_like_text_as_strings(hr_client, world):
    content = b"".join(hr_client.get(XLSX_URL).streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = parse_xml(archive.read("xl/worksheets/sheet1.xml"))
    texts = {}
    for cell in sheet.iter(f"{{{NS['m']}}}c"):
        text = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
        texts.setdefault(text, set()).add(cell.get("t"))
    for dangerous in ('=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"):
        assert texts[dangerous] <= {"s", "inlineStr"}, dangerous


def test_xlsx_filtered_by_program(hr_client, world):
    response = hr_client.get(XLSX_URL, {"program": "sales-mentoring"})
    assert read_xlsx(b"".join(response.streaming_content))[1:] == [world[-1]]


@pytest.fixture
def staff_client(client, db):
    user = make_user(email="sam.staff@example.com", is_staff=True)
    activate_totp(user)
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_hr_and_staff_only(client, url, world, hr_user, staff_client, program_admin, participant):
    assert staff_client.get(url).status_code == 200
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for user in (program_admin, participant, world and make_user()):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    # An enrolled participant of the exported program sees nothing either.
    enrolled = make_enrollment(cohort=make_cohort(program=make_program()), role="mentee").person
    client.force_login(enrolled)
    assert client.get(url).status_code == 404
    client.force_login(hr_user)
    assert client.get(url).status_code == 200


def test_post_is_not_allowed(hr_client, world):
    assert hr_client.post(CSV_URL).status_code == 405


def csv_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CSV_URL)
        _raw, rows = read_csv(response)
    return len(queries), len(rows) - 1


def test_csv_query_count_does_not_grow(hr_client, running_cohort):
    pair = make_pair(cohort=running_cohort)
    meet(pair, days=-1, check_in=True)
    make_goal(pair)
    small, rows = csv_queries(hr_client)
    assert rows == 2
    for _ in range(3):
        pair = make_pair(cohort=running_cohort)
        meet(pair, days=-1, check_in=True)
        meet(pair, days=-2)
        make_goal(pair, status="achieved")
    large, rows = csv_queries(hr_client)
    assert rows == 8
    assert large == small


def test_csv_is_generated_lazily():
    """The header goes out before any row is read: rows are pulled as the client reads."""

    def rows():
        raise AssertionError("read too early")
        yield  # pragma: no cover

    chunks = csv_chunks(rows())
    assert next(chunks) == b"\xef\xbb\xbf" + ",".join(HEADER).encode() + b"\r\n"
