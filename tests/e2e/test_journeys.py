"""End-to-end journeys in Chromium: each goes through the real pages the way a new user
would, clicking links and buttons (URLs are typed only for the first page and for links that
arrive by email), and checks what the person sees: headings, messages, table rows, the error
next to a field. Every page must stay free of console errors (CSP violations, script errors).

1. HR imports the directory: a bad file first (errors by line and column), then the fixed one.
2. HR creates a program for Ada; Ada opens a cohort, enrols people by file and from the
   directory, accepts an application, runs matching, moves, ends and pairs by hand, publishes.
3. and 4. A mentee signs in with a code from her invitation email, completes her intake,
   drafts a SMART goal (told what is missing), records a meeting and writes its check-in; her
   mentor agrees the goal and reviews the check-in; she reads the review.
5. HR opens the retention report and downloads the summary CSV, the participant CSV and XLSX,
   whose figures are checked against a directory worked out by hand.

Data a journey does not exercise is set up through services and factories. A failing journey
leaves screenshots of every open page in test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting
from matching.models import Match
from people.models import User
from programs.models import Cohort, Enrollment, Topic
from programs.services.enrollment import NewEnrollment, enrollments_invite
from programs.services.participation import enrollment_intake_update
from tests.conftest import activate_totp, make_user
from tests.e2e.conftest import sign_in
from tests.goals.goals_factories import make_goal
from tests.programs.fixtures import make_cohort, make_enrollment, make_program
from tests.reports.retention_directory import (
    AS_OF,
    directory_fixture,  # noqa: F401 (fixture)
    expected_rows,
)
from tests.reports.retention_directory import HEADER as RETENTION_HEADER

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def main_text(page) -> str:
    return page.locator("main").inner_text()


def message(page) -> str:
    """The flash messages at the top of the page (waits for them)."""
    messages = page.locator(".messages")
    messages.wait_for()
    return messages.inner_text()


def row(page, text: str):
    """The one table row that contains ``text``."""
    found = page.locator("tbody tr", has_text=text)
    assert found.count() == 1, f"{found.count()} rows contain {text!r}"
    return found


def cells(table_row) -> list[str]:
    return [c.strip() for c in table_row.locator("td, th").all_inner_texts()]


def field_error(scope, label: str) -> str:
    """The error shown with the field labelled ``label`` (empty when there is none)."""
    field = scope.get_by_label(label, exact=True).locator(
        "xpath=ancestor::*[contains(@class, 'field')][1]"
    )
    errors = field.locator(".errorlist")
    return errors.inner_text().strip() if errors.count() else ""


def upload(page, label: str, name: str, data: bytes) -> None:
    page.get_by_label(label).set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_load_state()


# --- 1. HR imports the directory ---------------------------------------------------------------

DIRECTORY_HEADER = (
    "employee_id,email,first_name,last_name,title,department,level,location,timezone,"
    "manager_email,hire_date,end_date"
)
DIRECTORY_ROWS = [
    "D100,carla.boss@acme.example,Carla,Boss,Chief executive,Executive,9,Lyon,Europe/Paris,,"
    "2015-02-01,",
    "D101,ana.lee@acme.example,Ana,Lee,Engineer,Engineering,3,Lyon,Europe/Paris,"
    "carla.boss@acme.example,2022-05-16,",
    "D102,bo.chen@acme.example,Bo,Chen,Account manager,Sales,2,Berlin,Europe/Berlin,"
    "carla.boss@acme.example,2021-03-01,2025-06-30",
]


DIRECTORY_FILE = re.compile(r"^Directory file")  # "(CSV)", or more formats later


def directory_csv(rows: list[str]) -> bytes:
    return ("\n".join([DIRECTORY_HEADER, *rows]) + "\n").encode()


def test_hr_imports_the_directory(page, hr_user):
    sign_in(page, hr_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.get_by_role("heading", name="Import the employee directory").wait_for()

    # A file with three mistakes on line 4: nothing is written, each error names its place.
    bad = [
        *DIRECTORY_ROWS[:2],
        "D102,bo.chen@acme.example,Bo,Chen,Account manager,Sales,two,Berlin,Europe/Berlin,"
        "nobody@acme.example,2021-13-01,",
    ]
    upload(page, DIRECTORY_FILE, "hr-export.csv", directory_csv(bad))
    page.get_by_role("heading", name="Directory import: hr-export.csv").wait_for()
    assert "Nothing can be imported until every error below is fixed" in main_text(page)
    errors = page.get_by_role("table", name=re.compile("Errors by line and column"))
    rows = [cells(r) for r in errors.locator("tbody tr").all()]
    assert {(line, column) for line, column, _ in rows} == {
        ("4", "level"),
        ("4", "manager_email"),
        ("4", "hire_date"),
    }
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    assert not User.objects.filter(employee_id__startswith="D1").exists()

    # Fixed in the spreadsheet and uploaded again (from the link on the error callout).
    page.get_by_role("link", name="upload it again").click()
    upload(page, DIRECTORY_FILE, "hr-export-fixed.csv", directory_csv(DIRECTORY_ROWS))
    assert "Preview: nothing has been written yet." in main_text(page)
    to_create = page.get_by_role("region", name="To create (3)")
    assert "Ana Lee (D101)" in row(to_create, "ana.lee@acme.example").inner_text()
    assert not User.objects.filter(employee_id__startswith="D1").exists()
    page.get_by_role("button", name="Confirm and import").click()
    assert "Directory imported" in message(page)
    assert "Imported" in page.locator(".callout.ok").inner_text()

    # The directory lists them, with managers and the leaver marked.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory").click()
    page.get_by_role("heading", name="Employee directory").wait_for()
    page.get_by_label("Name or email").fill("acme.example")
    page.get_by_text("2 people match these filters").wait_for()  # the employed, by default
    ana = cells(row(page, "ana.lee@acme.example"))
    assert ana[1:4] == ["D101", "Engineer\nEngineering", "3"]
    assert ana[5] == "Carla Boss"
    page.get_by_label("Employment").select_option("Everyone")
    page.get_by_text("3 people match these filters").wait_for()
    assert cells(row(page, "bo.chen@acme.example"))[7] == "Left 2025-06-30"
    assert page.console_errors == []


# --- 2. A program admin runs a cohort ----------------------------------------------------------

ENROLMENT_FILE = re.compile(r"^Enrolment file")


def employee(first: str, last: str, department: str, level: int):
    return make_user(
        email=f"{first.lower()}.{last.lower()}@example.com",
        first_name=first,
        last_name=last,
        department=department,
        level=level,
        title="Senior engineer" if level > 4 else "Analyst",
    )


def cohort_nav(page, name: str) -> None:
    page.get_by_role("navigation", name="This cohort").get_by_role("link", name=name).click()


def complete_intake(person, **answers):
    """What the person would fill in on their intake page (their journey is not this one)."""
    enrollment = Enrollment.objects.get(person=person)
    answers.setdefault("languages", ["English"])
    answers.setdefault("preferred_format", Enrollment.Format.REMOTE)
    answers.setdefault("bio", f"{person.first_name} has been here for years.")
    enrollment_intake_update(enrollment=enrollment, **answers)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACCEPTED
    return enrollment


def test_admin_opens_enrols_matches_and_publishes_a_cohort(page, new_page, hr_user, program_admin):
    ada = program_admin
    maya = employee("Maya", "Mentor", "Engineering", 6)
    omar = employee("Omar", "Osei", "Product", 6)
    dana = employee("Dana", "Diaz", "Design", 7)
    nina = employee("Nina", "Novak", "Sales", 2)
    arun = employee("Arun", "Applies", "Support", 2)

    # HR creates the program and appoints Ada, who runs it from then on.
    sign_in(page, hr_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_role("heading", name="New program").wait_for()
    page.get_by_label("Name", exact=True).fill("Data Mentorship")
    page.get_by_label("Program admins").fill(ada.email)
    page.get_by_label("Topics").fill("Leadership\nSystem design\nNegotiation")
    page.get_by_role("button", name="Create program").click()
    assert "Program “Data Mentorship” created." in message(page)
    assert page.console_errors == []

    admin = new_page("admin")
    sign_in(admin, ada)
    admin.get_by_role("link", name="Data Mentorship").click()
    admin.get_by_role("heading", name="Data Mentorship").wait_for()
    admin.get_by_role("link", name="Create the first cohort").click()
    admin.get_by_role("heading", name="New cohort").wait_for()
    admin.get_by_label("Name", exact=True).fill("Autumn 2027")
    admin.get_by_label("Default mentor capacity").fill("1")
    admin.get_by_role("button", name="Create cohort").click()
    assert "Cohort “Autumn 2027” created. Now enrol people." in message(admin)
    admin.get_by_role("heading", name="Autumn 2027").wait_for()

    # Two mentors and a mentee from a file: previewed, then confirmed.
    cohort_nav(admin, "Upload an enrolment file")
    enrolment_file = (
        "email,role,capacity,topics_offered,topics_sought,goals,languages\n"
        f"{maya.email},mentor,1,Leadership,,,English\n"
        f"{omar.email},mentor,1,System design,,,English\n"
        f"{nina.email},mentee,,,Leadership,Lead a team of three,English\n"
    ).encode()
    upload(admin, ENROLMENT_FILE, "autumn.csv", enrolment_file)
    assert "Preview: nothing has been written yet." in main_text(admin)
    invites = admin.get_by_role("region", name="To invite (3)")
    assert cells(row(invites, nina.email))[2:5] == ["mentee", "—", "—"]
    assert cells(row(invites, maya.email))[2:4] == ["mentor", "1"]
    admin.get_by_role("button", name="Confirm and invite").click()
    message(admin)
    assert "Applied" in admin.locator(".callout.ok").inner_text()

    # A third mentor picked from the directory.
    admin.get_by_role("link", name=re.compile("Data Mentorship: Autumn 2027")).click()
    cohort_nav(admin, "Enrol from the directory")
    admin.get_by_label("Name or email").fill("dana")
    admin.get_by_text("1 person matches").wait_for()
    admin.get_by_label("Dana Diaz").check()
    admin.get_by_label("Enrol them as").select_option(label="Mentor")
    admin.get_by_label("Mentor capacity").fill("1")
    admin.get_by_role("button", name="Invite the people ticked").first.click()
    assert "Invited 1 person as mentor: Dana Diaz." in message(admin)
    # The invited fill in their intakes (each completed intake accepts the invitation).
    complete_intake(maya)
    complete_intake(omar)
    complete_intake(nina)
    complete_intake(dana, topics_offered=Topic.objects.filter(name="Negotiation"))

    # Arun applies from the program page and fills in his intake.
    applicant = new_page("applicant")
    sign_in(applicant, arun)
    applicant.get_by_role("link", name="Data Mentorship: Autumn 2027").click()
    applicant.get_by_label("Mentee: learn from").check()
    applicant.get_by_role("button", name="Apply").click()
    assert (
        "You applied to Autumn 2027 as mentee. The program admin decides on your application"
        in (message(applicant))
    )
    applicant.get_by_label("System design").check()
    applicant.get_by_label("What you want from the program").fill("Design a service end to end.")
    applicant.get_by_label("Languages you speak").fill("English")
    applicant.get_by_label("Remote").check()
    applicant.get_by_role("button", name="Save your answers").click()
    assert "Saved. Your intake is complete." in message(applicant)
    assert "The program admin has not decided on your application yet." in main_text(applicant)
    assert applicant.console_errors == []

    cohort_nav(admin, "Review applications")
    admin.get_by_role("heading", name="Applications").wait_for()
    assert "Offers" not in row(admin, "Arun Applies").inner_text()
    admin.get_by_role("button", name="Accept Arun Applies").click()
    assert "Accepted Arun Applies's application; they get an email." in message(admin)

    # Matching: topics decide the proposals, each with its reasons.
    cohort_nav(admin, "Matching")
    admin.get_by_text("Matching has not been run for this cohort yet.").wait_for()
    admin.get_by_role("button", name="Run matching").click()
    assert "Matching done: 2 proposals." in message(admin)
    proposals = admin.get_by_role("table", name="Proposed pairs, best score first")
    assert cells(row(proposals, "Nina Novak"))[1].startswith("Maya Mentor")
    assert cells(row(proposals, "Arun Applies"))[1].startswith("Omar Osei")

    # Arun moves to Dana: the new pair is locked.
    admin.get_by_role("link", name="Move Arun Applies to another mentor").click()
    admin.get_by_role("heading", name="Move Arun Applies to another mentor").wait_for()
    admin.get_by_role("button", name="Move to Dana Diaz").click()
    assert "Arun Applies now goes with Dana Diaz" in message(admin)
    arun_row = cells(row(proposals, "Arun Applies"))
    assert arun_row[1].startswith("Dana Diaz") and "locked" in arun_row[2]

    admin.get_by_role("button", name="Publish 2 proposals").click()
    assert "Published 2 matches. Both sides of each get an email." in message(admin)
    active = admin.get_by_role("table", name="Published matches")
    assert len(active.locator("tbody tr").all()) == 2

    # Maya changes teams: the match ends, Nina waits, and Ada pairs her with Omar by hand.
    admin.get_by_label("Why the match of Nina Novak ends").fill("Maya moved to another team")
    row(active, "Nina Novak").get_by_role("button", name="End").click()
    assert "Match ended. Nina Novak is back in the pool for the next run." in message(admin)
    ended = admin.get_by_role("table", name=re.compile("Matches that ended"))
    assert cells(row(ended, "Nina Novak"))[1:2] == ["Maya Mentor"]
    assert "Maya moved to another team" in row(ended, "Nina Novak").inner_text()
    waiting = admin.get_by_role("table", name="Mentees waiting for a mentor, with suggestions")
    row(waiting, "Nina Novak").get_by_role(
        "button", name="Propose Nina Novak with Omar Osei"
    ).click()
    assert "Proposed and locked. Publish when you are ready." in message(admin)
    admin.get_by_role("button", name="Publish 1 proposal").click()
    assert "Published 1 match. Both people get an email." in message(admin)
    pairs = {cells(r)[0]: cells(r)[1] for r in active.locator("tbody tr").all()}
    assert pairs == {"Arun Applies": "Dana Diaz", "Nina Novak": "Omar Osei"}
    assert set(
        Match.objects.filter(status=Match.Status.ACTIVE).values_list(
            "mentee__person__first_name", "mentor__person__first_name"
        )
    ) == {("Arun", "Dana"), ("Nina", "Omar")}
    assert admin.console_errors == []


# --- 3 and 4. A mentee and her mentor ----------------------------------------------------------


def emails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_mentee_signs_in_by_code_sets_a_goal_meets_and_her_mentor_reviews(
    page, new_page, settings, live_server, program_admin
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # emails are sent in the web request's thread
    settings.SITE_URL = live_server.url  # links in emails point at this server
    program = make_program(admins=[program_admin], name="Engineering Mentorship", slug="eng")
    cohort = make_cohort(program=program, phase="open", name="Spring 2027", slug="eng-spring")
    # Mia comes from the directory import: no password, no confirmed address yet.
    mia = make_user(
        email="mia.mentee@example.com",
        first_name="Mia",
        last_name="Moreau",
        password=None,
        timezone="Europe/Paris",
    )
    EmailAddress.objects.filter(user=mia).delete()
    bob = make_user(email="bob.baker@example.com", first_name="Bob", last_name="Baker")
    [invitation_enrollment] = enrollments_invite(
        cohort=cohort,
        new=[NewEnrollment(person=mia, role=Enrollment.Role.MENTEE)],
        source=Enrollment.Source.DIRECTORY,
        invited_by=program_admin,
    )
    [invitation] = emails_to(mia.email)
    intake_link = re.search(r"https?://\S+/enrollments/\d+/intake/", invitation.body).group()

    # 3. The link in the email asks her to sign in; she asks for a code instead of a password.
    page.goto(intake_link)
    page.get_by_role("link", name="Send me a sign-in code").click()
    page.get_by_label("Email").fill(mia.email)
    page.get_by_role("button", name=re.compile("code", re.IGNORECASE)).click()
    page.get_by_label("Code").wait_for()
    code_email = emails_to(mia.email)[-1]
    code = re.search(r"browser window\.\s+(\S+)", code_email.body).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your intake for Spring 2027").wait_for()

    page.get_by_label("Public speaking").check()
    page.get_by_label("What you want from the program").fill("Give talks without panicking.")
    page.get_by_label("Languages you speak").fill("English, French")
    page.get_by_label("Remote").check()
    page.get_by_role("button", name="Save your answers").click()
    assert "Saved. Your intake is complete and you have joined Spring 2027." in message(page)
    assert page.console_errors == []

    # Matched with Bob and published (journey 2 shows how); weeks later the cohort is running.
    mentor_enrollment = make_enrollment(
        cohort=cohort, person=bob, role="mentor", languages=["English"], preferred_format="remote"
    )
    mentor_enrollment.topics_offered.set(Topic.objects.filter(name="Public speaking"))
    Match.objects.create(
        cohort=cohort,
        mentee=invitation_enrollment,
        mentor=mentor_enrollment,
        status=Match.Status.ACTIVE,
        published_at=timezone.now(),
    )
    today = timezone.localdate()
    Cohort.objects.filter(pk=cohort.pk).update(
        application_opens=today - timedelta(days=40),
        application_closes=today - timedelta(days=20),
        starts_on=today - timedelta(days=14),
    )

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    page.get_by_role("link", name="Bob Baker").first.click()
    page.get_by_role("heading", name="You and Bob Baker").wait_for()

    # A first draft of her goal: the SMART check says what is missing, next to each field.
    page.get_by_role("link", name="Add a goal").click()
    panel = page.locator("#pair-panel")
    panel.get_by_label("Specific: what you will do").fill("Improve my speaking")
    panel.get_by_role("button", name="Send to Bob").click()
    panel.locator(".field-error").first.wait_for()
    assert field_error(panel, "Where you start (baseline)") == (
        "A number goal needs a baseline, even as a draft."
    )
    assert field_error(panel, "Where you aim to be (target)") == (
        "A number goal needs a target, even as a draft."
    )
    assert field_error(panel, "Relevant: why it matters for your career").startswith(
        "Say why this goal matters for your career"
    )
    assert field_error(panel, "Time-bound: due date") == (
        "Give a due date or say why there is none, even for a draft."
    )
    assert field_error(panel, "Specific: what you will do") == ""  # advice, in the SMART box
    feedback = panel.locator("#smart-feedback")
    assert "on its own does not say what will be different" in feedback.inner_text()
    assert re.search(
        r"\d missing parts to complete before you send it to Bob", feedback.inner_text()
    )
    assert not Goal.objects.exists()
    panel.get_by_label("Specific: what you will do").fill("Give three talks at the tech forum")
    panel.get_by_label("Where you start (baseline)").fill("0")
    panel.get_by_label("Where you aim to be (target)").fill("3")
    panel.get_by_label("What the number counts").fill("talks")
    panel.get_by_label("Relevant: why it matters for your career").fill(
        "Senior engineers are expected to share their work widely."
    )
    panel.get_by_label("Time-bound: due date").fill((today + timedelta(days=60)).isoformat())
    feedback.get_by_text("Ready to send to Bob").wait_for()
    panel.get_by_role("button", name="Send to Bob").click()
    panel.get_by_text("Goal sent to Bob to agree.").wait_for()
    goals = page.get_by_role("region", name="Goals")
    goals.get_by_text("Waiting for the mentor").wait_for()

    # Still on the pair page, she records yesterday's meeting, then writes its check-in.
    page.get_by_role("link", name="Schedule a meeting").click()
    panel = page.locator("#pair-panel")
    yesterday = today - timedelta(days=1)
    panel.get_by_label("Date").fill(yesterday.isoformat())
    panel.get_by_label("Time", exact=True).fill("10:00")
    panel.get_by_label("Video link").fill("https://meet.example.com/mia-bob")
    panel.get_by_label("Agenda").fill("My first talk: topic and outline.")
    panel.get_by_role("button", name=re.compile("^Schedule")).click()
    panel.get_by_text("Meeting recorded.").wait_for()
    page.locator("#timeline").get_by_role("link", name=re.compile("^Met")).wait_for()
    panel.get_by_role("link", name="Write its check-in").click()
    page.get_by_label("What you discussed").fill("Picked the topic: on-call lessons.")
    page.get_by_label("4 · Very useful").check()
    page.get_by_label("Next steps").fill("Draft the outline by Friday.")
    page.get_by_role("button", name="Save the check-in").click()
    assert "Check-in saved. It is sent for review." in message(page)
    page.get_by_role("heading", name="Meeting with Bob Baker").wait_for()
    page.locator("#check-in").get_by_text("Waiting for Bob's review.").wait_for()

    # And she books the next one: both get the calendar invitation by email.
    page.get_by_role("link", name="You and Bob Baker").click()
    page.get_by_role("link", name="Schedule a meeting").click()
    next_week = today + timedelta(days=7)
    panel.get_by_label("Date").fill(next_week.isoformat())
    panel.get_by_label("Time", exact=True).fill("10:00")
    panel.get_by_label("Video link").fill("https://meet.example.com/mia-bob")
    panel.get_by_role("button", name=re.compile("^Schedule")).click()
    panel.get_by_text(
        "Meeting arranged. Bob and you get an email with the calendar invitation."
    ).wait_for()
    when = f"{next_week:%a} {next_week.day} {next_week:%b %Y}, 10:00"  # her time zone
    page.locator("#overview").get_by_role("link", name=when).wait_for()
    [to_bob] = [m for m in emails_to(bob.email) if "Meeting with Mia Moreau" in m.subject]
    assert any(name.endswith(".ics") for name, _, _ in to_bob.attachments)
    assert any("Meeting with Bob Baker" in m.subject for m in emails_to(mia.email))
    assert page.console_errors == []

    # 4. Bob agrees the goal and reviews the check-in.
    mentor = new_page("mentor")
    sign_in(mentor, bob)
    mentor.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    mentor.get_by_role("link", name="Mia Moreau").first.click()
    mentor.get_by_role("heading", name="You and Mia Moreau").wait_for()
    mentor.get_by_role("link", name="Give three talks at the tech forum").first.click()
    mentor.get_by_role("button", name="Agree the goal").click()
    mentor.get_by_text("Goal agreed.").wait_for()
    mentor.get_by_role("navigation", name="Main").get_by_role("link", name="My mentoring").click()
    mentor.get_by_role("link", name="Check-ins to review").click()
    review_row = mentor.locator(".review-row").filter(has_text="Mia Moreau")
    assert "usefulness 4/5" in review_row.inner_text()
    review_row.get_by_role("link", name="Read and review").click()
    mentor_check_in = mentor.locator("#check-in")
    mentor_check_in.get_by_text("Picked the topic: on-call lessons.").wait_for()
    mentor_check_in.get_by_label("Your comment").fill("Good topic; open with the 3 a.m. story.")
    mentor_check_in.get_by_role("button", name="Acknowledge with this comment").click()
    mentor_check_in.get_by_text("Reviewed by you").wait_for()
    assert mentor.console_errors == []

    # Back on the pair page, Mia sees her goal agreed and follows the review to read it.
    page.reload()
    goal_row = page.locator(".goal-row", has_text="Give three talks at the tech forum")
    assert goal_row.locator(".pill").inner_text() == "Agreed"
    page.locator("#timeline").get_by_role("link", name="Bob Baker reviewed the check-in").click()
    review = page.locator("#check-in .review")
    review.get_by_text("Reviewed by Bob Baker").wait_for()
    assert "Good topic; open with the 3 a.m. story." in review.inner_text()
    assert Goal.objects.get().status == Goal.Status.AGREED
    assert page.console_errors == []


# --- 5. HR downloads the retention report and the participant exports --------------------------


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet of a workbook, read with the standard library: each row's cells as
    text (numbers as written, shared and inline strings resolved), gaps as empty strings."""
    ns = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = book.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 (ours)
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['s']}}}t")) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows = []
    for row_element in sheet.iterfind("s:sheetData/s:row", ns):
        values: dict[int, str] = {}
        for cell in row_element.iterfind("s:c", ns):
            column = 0
            for letter in re.match(r"[A-Z]+", cell.get("r")).group():
                column = column * 26 + ord(letter) - ord("A") + 1
            kind = cell.get("t")
            assert cell.find("s:f", ns) is None, "a formula in an export"
            if kind == "s":
                text = shared[int(cell.find("s:v", ns).text)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{ns['s']}}}t"))
            else:
                value = cell.find("s:v", ns)
                text = "" if value is None else value.text
                if kind is None and text.endswith(".0"):
                    text = text[:-2]
            values[column] = text
        rows.append([values.get(c, "") for c in range(1, max(values, default=0) + 1)])
    return rows


def download(page, link_name: str):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    assert download.failure() is None
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_hr_downloads_retention_and_participant_exports(page, directory):
    # Hired after the as-of date, so HR is in no comparison group of the figures.
    hr = make_user(email="hana.hr@example.com", is_hr=True, hire_date=AS_OF + timedelta(days=1))
    activate_totp(hr)
    # The one pair whose work is known: m1 and r1 in cohort A met twice (one check-in) and
    # agreed a goal; a third meeting was cancelled and a fourth is still ahead.
    a = directory["cohorts"][0]
    pair = Match.objects.get(cohort=a, mentee__person=directory["people"]["m1"])
    now = timezone.now()
    held = [
        Meeting.objects.create(
            match=pair, organizer=pair.mentee.person, starts_at=now - timedelta(days=d)
        )
        for d in (30, 10)
    ]
    Meeting.objects.create(
        match=pair,
        organizer=pair.mentee.person,
        starts_at=now - timedelta(days=5),
        status=Meeting.Status.CANCELLED,
    )
    Meeting.objects.create(
        match=pair, organizer=pair.mentee.person, starts_at=now + timedelta(days=5)
    )
    CheckIn.objects.create(
        meeting=held[0], match=pair, author=pair.mentee.person, discussed="x", usefulness=4
    )
    make_goal(pair)

    sign_in(page, hr)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Retention").click()
    page.get_by_role("heading", name="Retention", exact=True).wait_for()
    page.get_by_label("As of").fill(AS_OF.isoformat())
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Figures as of 30 Jun 2026").wait_for()
    summary_table = page.locator("table.retention-summary")
    a_mentees = cells(summary_table.locator("tr", has_text="A 2024").first)
    assert a_mentees[1:3] == ["Mentees", "6"]
    assert [rate.split("(")[-1] for rate in a_mentees[3:6]] == ["5 of 6)", "3 of 6)", "2 of 6)"]

    # The summary, for the date chosen on the page: every figure as worked out by hand.
    name, data = download(page, "Download the summary (CSV)")
    assert name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [RETENTION_HEADER, *expected_rows()]

    # One row per enrolment, CSV and XLSX alike.
    name, data = download(page, "Participants, one row each (CSV)")
    assert name == f"participants-{timezone.localdate().isoformat()}.csv"
    csv_rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    name, data = download(page, "Participants (XLSX)")
    assert name.endswith(".xlsx")
    sheet = xlsx_rows(data)
    assert sheet == csv_rows

    header, *people = sheet
    by_person = {(r[header.index("name")], r[header.index("cohort")]): r for r in people}
    enrolments = 13 + 7 + 6  # A: 6 + 5 matched, p1 and pm proposed; B: 5 + 2; C: 5 + 1
    assert len(people) == enrolments
    columns = ["role", "matched", "meetings", "check_ins", "goals_agreed", "still_employed"]

    def figures(name, cohort):
        found = by_person[(name, cohort)]
        return [found[header.index(c)] for c in columns]

    assert figures("m1 Test", "A 2024") == ["mentee", "yes", "2", "1", "1", "yes"]
    assert figures("r1 Test", "A 2024") == ["mentor", "yes", "2", "1", "1", "yes"]
    assert figures("m2 Test", "A 2024") == ["mentee", "yes", "0", "0", "0", "no"]
    assert figures("m1 Test", "B 2025") == ["mentor", "yes", "0", "0", "0", "yes"]
    assert figures("p1 Test", "A 2024") == ["mentee", "no", "0", "0", "0", "yes"]
    assert figures("n4 Test", "B 2025") == ["mentee", "yes", "0", "0", "0", "yes"]
    assert page.console_errors == []
