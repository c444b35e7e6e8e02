"""A small hand-made directory for the retention tests, with its figures worked out by hand.

As of 2026-06-30. Program "Engineering" has cohort A (starts 2024-01-31: horizons 2024-07-31,
2025-01-31, 2026-01-31) and cohort B (starts 2025-08-31: 6 months is 2026-02-28, clamped; 12
and 24 months are after the as-of date). Program "Sales" has cohort C (starts 2026-03-01:
nothing observable yet).
"""

from __future__ import annotations

from datetime import date

import pytest

from matching.models import Match
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

AS_OF = date(2026, 6, 30)
S_A, S_B, S_C = date(2024, 1, 31), date(2025, 8, 31), date(2026, 3, 1)
HIRED = date(2020, 1, 1)


def person(name, *, hire=HIRED, end=None, department="Engineering", level=3, **extra):
    return make_user(
        first_name=name, last_name="Test", hire_date=hire, end_date=end, department=department,
        level=level, **extra,
    )  # fmt: skip


def cohort_on(program, start, name):
    return make_cohort(
        program=program,
        name=name,
        slug=f"{program.slug}-{start.isoformat()}",
        application_opens=date(start.year - 1, 1, 1),
        application_closes=date(start.year - 1, 6, 1),
        starts_on=start,
        ends_on=date(start.year + 1, 12, 31),
    )


def match(cohort, mentee, mentor, status="active"):
    def enrol(p, role):
        existing = cohort.enrollments.filter(person=p).first()
        return existing or make_enrollment(cohort=cohort, person=p, role=role)

    return Match.objects.create(
        cohort=cohort, mentee=enrol(mentee, "mentee"), mentor=enrol(mentor, "mentor"),
        status=status,
    )  # fmt: skip


def report_html(response) -> str:
    """The retention page's report: what follows the filter form (cached rendered), up to the
    end of the main element; none of it is per response (no CSRF token)."""
    html = response.content.decode()
    start = html.index("</form>", html.index('aria-label="Retention filters"')) + len("</form>")
    return html[start : html.index("</main>")]


@pytest.fixture(name="directory")
def directory_fixture(db):
    """The directory; import ``directory_fixture`` to use the ``directory`` fixture."""
    p = {}
    # Cohort A mentees.
    p["m1"] = person("m1")  # also mentor in B: matched in two cohorts
    p["m2"] = person("m2", end=date(2024, 7, 31))  # leaves exactly on the 6-month day
    p["m3"] = person("m3", end=date(2024, 8, 1))
    p["m4"] = person("m4", end=date(2025, 1, 31))  # exactly on the 12-month day
    p["m5"] = person("m5", end=date(2026, 1, 31))  # exactly on the 24-month day
    p["m6"] = person("m6", end=date(2026, 12, 31))  # leaves after the as-of date: censored
    # Cohort A mentors.
    p["r1"] = person("r1")
    p["r2"] = person("r2", end=date(2025, 3, 15))
    p["r3"] = person("r3")
    p["r4"] = person("r4", end=date(2024, 6, 1))
    p["r5"] = person("r5")  # also mentee in B
    # Cohort B.
    p["n1"] = person("n1")
    p["n2"] = person("n2", end=date(2026, 2, 28))  # exactly on B's (clamped) 6-month day
    p["n3"] = person("n3", end=date(2026, 5, 1))
    p["n4"] = person("n4")
    p["s1"] = person("s1")
    # Cohort C (Sales).
    for i in range(1, 6):
        p[f"t{i}"] = person(f"t{i}", department="Sales")
    p["u1"] = person("u1", department="Sales")
    # Never matched.
    p["c1"] = person("c1", hire=date(2018, 5, 1))
    p["c2"] = person("c2", hire=S_A, end=date(2024, 7, 31))  # hired on S_A, leaves on its 6m day
    p["c3"] = person("c3", hire=date(2024, 2, 1))  # hired after S_A
    p["c4"] = person("c4", hire=date(2015, 1, 1), end=date(2024, 1, 15))  # left before S_A
    p["c5"] = person("c5", hire=date(2015, 1, 1), end=S_A)  # left on S_A: not employed on it
    p["c6"] = person("c6", hire=date(2015, 1, 1), end=date(2025, 6, 30))
    p["c7"] = person("c7", hire=date(2010, 1, 1), end=date(2026, 3, 1))  # left on S_C
    p["c8"] = person("c8", hire=date(2010, 1, 1), end=date(2026, 2, 28))  # on B's 6m day
    p["p1"] = person("p1", hire=date(2019, 1, 1))  # only in a proposed (unpublished) match
    p["proposed_mentor"] = person("pm", hire=date(2019, 1, 1), end=date(2024, 3, 1))
    # Not in the directory's comparison: an operator, someone without a hire date.
    make_user(first_name="Op", employee_id=None, hire_date=None)
    make_user(first_name="Nohire", hire_date=None)

    eng = make_program(name="Engineering", slug="eng")
    sales = make_program(name="Sales", slug="sales")
    a = cohort_on(eng, S_A, "A 2024")
    b = cohort_on(eng, S_B, "B 2025")
    c = cohort_on(sales, S_C, "C 2026")
    for mentee, mentor in [
        ("m1", "r1"), ("m2", "r1"), ("m3", "r2"), ("m4", "r3"), ("m5", "r4"), ("m6", "r5"),
    ]:  # fmt: skip
        match(a, p[mentee], p[mentor])
    match(a, p["p1"], p["proposed_mentor"], status="proposed")
    for mentee, mentor in [("r5", "m1"), ("n1", "m1"), ("n2", "m1"), ("n3", "s1")]:
        match(b, p[mentee], p[mentor])
    match(b, p["n4"], p["s1"], status="ended")  # ended: was published
    for i in range(1, 6):
        match(c, p[f"t{i}"], p["u1"])
    return {"people": p, "cohorts": (a, b, c), "programs": (eng, sales)}


def fraction(retained: int, observable: int) -> str:
    return f"{retained / observable:.3f}"


# Expected rows, worked out by hand from the directory above.
#   A mentees m1..m6: 6m (2024-07-31) m2 left on the day: 5/6; 12m (2025-01-31) m3, m4 gone:
#     3/6; 24m (2026-01-31) m5 left on the day: 2/6 (m1, m6).
#   A mentors r1..r5: r4 left before 6m: 4/5; r2 left 2025-03-15, after 12m: 4/5; 24m: 3/5.
#   A comparison (employed on 2024-01-31, never in a published match): c1, c2, c6, c7, c8, p1
#     and pm (p1 and pm are only in a proposed match) = 7; c3 was hired after S_A, c4 left
#     before it, c5 left on it (not employed on S_A), the operator and "Nohire" have no date.
#     6m: c2 and pm gone: 5/7; 12m: 5/7; 24m: c6 gone too: 4/7.
#   B mentees r5, n1..n4: 6m (2026-02-28) n2 left on the day: 4/5. B mentors m1, s1: 2 people:
#     rates suppressed.
#   B comparison (employed on 2025-08-31): c1, c3, c7, c8, p1 = 5: 6m c8 left on the day, c7
#     left 2026-03-01, the day after: 4/5.
#   C: nothing observable; mentees t1..t5 = 5, mentor u1 = 1, comparison c1, c3, p1 = 3 (c7 left
#     on S_C).
#   Engineering pooled, each person from their first cohort of the group:
#     mentees m1..m6 (A) + r5, n1..n4 (B) = 11: 6m 5 + 4 = 9/11; 12m and 24m only A: 3/6, 2/6.
#     mentors r1..r5 (A) + m1, s1 (B) = 7: 6m 4 + 2 = 6/7; 12m 4/5; 24m 3/5.
#     comparison c1, c2, c6, c7, c8, p1, pm (A) + c3 (B) = 8: 6m 5 + 1 = 6/8; 12m 5/7; 24m 4/7.
#   Sales pooled = C. All programs: Engineering's groups plus t1..t5 (mentees, nothing
#     observable) and u1 (mentor): mentees 16, mentors 8, comparison 8 with Engineering's rates.
def expected_rows():
    f = fraction
    return [
        ["Engineering", "A 2024", "mentees", "6", f(5, 6), f(3, 6), f(2, 6)],
        ["Engineering", "A 2024", "mentors", "5", f(4, 5), f(4, 5), f(3, 5)],
        ["Engineering", "A 2024", "comparison", "7", f(5, 7), f(5, 7), f(4, 7)],
        ["Engineering", "B 2025", "mentees", "5", f(4, 5), "", ""],
        ["Engineering", "B 2025", "mentors", "2", "", "", ""],
        ["Engineering", "B 2025", "comparison", "5", f(4, 5), "", ""],
        ["Engineering", "All cohorts", "mentees", "11", f(9, 11), f(3, 6), f(2, 6)],
        ["Engineering", "All cohorts", "mentors", "7", f(6, 7), f(4, 5), f(3, 5)],
        ["Engineering", "All cohorts", "comparison", "8", f(6, 8), f(5, 7), f(4, 7)],
        ["Sales", "C 2026", "mentees", "5", "", "", ""],
        ["Sales", "C 2026", "mentors", "1", "", "", ""],
        ["Sales", "C 2026", "comparison", "3", "", "", ""],
        ["Sales", "All cohorts", "mentees", "5", "", "", ""],
        ["Sales", "All cohorts", "mentors", "1", "", "", ""],
        ["Sales", "All cohorts", "comparison", "3", "", "", ""],
        ["All programs", "All cohorts", "mentees", "16", f(9, 11), f(3, 6), f(2, 6)],
        ["All programs", "All cohorts", "mentors", "8", f(6, 7), f(4, 5), f(3, 5)],
        ["All programs", "All cohorts", "comparison", "8", f(6, 8), f(5, 7), f(4, 7)],
    ]


HEADER = [
    "program", "cohort", "group", "headcount", "retention_6m", "retention_12m", "retention_24m",
]  # fmt: skip
