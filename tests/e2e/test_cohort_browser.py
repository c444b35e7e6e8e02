"""A cohort from invitation to a full pool, in Chromium: the admin invites from the directory,
an employee applies and is accepted, the invited person's intake accepts the invitation."""

from __future__ import annotations

import pytest
from django.core import mail

from programs.models import Enrollment
from tests.conftest import activate_totp, make_user
from tests.e2e.conftest import sign_in
from tests.programs.fixtures import make_cohort, make_program

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # emails are sent in the web request's thread
    admin = make_user(email="ada.admin@example.com", first_name="Ada", last_name="Admin")
    activate_totp(admin)
    program = make_program(admins=[admin], name="Engineering Mentorship", slug="eng")
    cohort = make_cohort(program=program, phase="open", name="Spring 2027", slug="eng-spring")
    ines = make_user(email="ines.invited@example.com", first_name="Ines", last_name="Invited")
    arun = make_user(email="arun.applies@example.com", first_name="Arun", last_name="Applies")
    return admin, cohort, ines, arun


def test_admin_invites_employee_applies_and_both_end_up_in_the_pool(browser, live_server, setting):
    admin, cohort, ines, arun = setting

    def new_page():
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.console_errors = errors
        return page

    # The admin finds Ines in the directory (live search) and invites her as a mentee.
    admin_page = new_page()
    sign_in(admin_page, admin)
    admin_page.goto(f"/manage/cohorts/{cohort.slug}/enroll/")
    admin_page.get_by_label("Name or email").fill("ines")
    # Wait for htmx to swap the results in (the address changes first), then tick.
    admin_page.get_by_text("1 person matches").wait_for()
    admin_page.get_by_label("Ines Invited").check()
    admin_page.locator("select[name=role]").select_option("mentee")
    admin_page.get_by_role("button", name="Invite the people ticked").first.click()
    admin_page.locator(".messages").wait_for()
    invited = Enrollment.objects.get(person=ines)
    assert invited.status == "invited"
    [invitation] = [m for m in mail.outbox if m.to == [ines.email]]
    intake_path = f"/enrollments/{invited.pk}/intake/"
    assert intake_path in invitation.body

    # Arun applies as a mentor from the program page while the window is open.
    arun_page = new_page()
    sign_in(arun_page, arun)
    arun_page.goto("/programs/eng/")
    arun_page.get_by_label("Mentor: share what you know").check()
    arun_page.get_by_role("button", name="Apply").click()
    arun_page.wait_for_url("**/intake/")
    assert Enrollment.objects.get(person=arun).status == "applied"

    # The admin accepts the application; Arun gets the decision by email.
    admin_page.goto(f"/manage/cohorts/{cohort.slug}/applications/")
    admin_page.get_by_role("button", name="Accept Arun Applies").click()
    admin_page.locator(".messages").wait_for()
    assert Enrollment.objects.get(person=arun).status == "accepted"
    assert any(m.to == [arun.email] for m in mail.outbox)

    # Ines follows the link in her email and completes her intake: she has joined.
    ines_page = new_page()
    sign_in(ines_page, ines)
    ines_page.goto(intake_path)
    ines_page.get_by_label("Leadership").check()
    ines_page.get_by_label("What you want from the program").fill("Lead my first project.")
    ines_page.get_by_label("Languages you speak").fill("English, German")
    ines_page.get_by_label("Remote").check()
    ines_page.get_by_role("button", name="Save your answers").click()
    ines_page.locator(".messages").wait_for()
    assert "you have joined Spring 2027" in ines_page.locator(".messages").inner_text()
    assert Enrollment.objects.get(person=ines).status == "accepted"

    # The dashboard shows both in the pool, and filters without a full reload.
    admin_page.goto(f"/manage/cohorts/{cohort.slug}/")
    dashboard = admin_page.locator("main").inner_text()
    assert "Ines Invited" in dashboard and "Arun Applies" in dashboard
    admin_page.locator("select[name=role]").select_option("mentor")
    admin_page.locator("#participants", has_not_text="Ines Invited").wait_for()
    participants = admin_page.locator("#participants").inner_text()
    assert "Arun Applies" in participants and "Ines Invited" not in participants

    for page in (admin_page, arun_page, ines_page):
        assert page.console_errors == []
