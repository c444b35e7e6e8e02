"""Erasing a person who has left: nothing personal remains anywhere, the reports come out the
same, the records the reports count are kept, sign-in is gone for good; refused for anyone
still employed; audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from goals.models import CalendarFeed, CheckIn, Goal, Meeting, PrivateNote, ProgressUpdate
from matching.models import Match, MatchRun
from mentorship.models import AuditEvent, Notification, NotificationOptOut
from people.directory_import import directory_file_preview, directory_import_apply
from privacy.services import ErasureRefused, person_erase
from programs.models import Enrollment, Program
from reports.engagement import program_engagement, programs_engagement
from tests.conftest import make_user
from tests.privacy.search import where_is
from tests.privacy.world import (
    LENA_EMPLOYEE_ID,
    LENA_STRINGS,
    MIRA_STRINGS,
    fill_pair,
    store_enrollment_file,
)
from tests.reports.retention_directory import AS_OF, directory_fixture  # noqa: F401

DIRECTORY_FILE = (
    "employee_id,email,first_name,last_name,department,title,level,location,manager_email,"
    "hire_date,end_date\n"
    "{eid},lena.leaver@example.com,Lena,Leaver,Sales,Deal Closer Extraordinaire,4,"
    "Lisbon Riverside Office,,2021-03-01,{end}\n"
)


def erase(client, person, *, confirmation=None, reason="Erasure request DR-7"):
    return client.post(
        reverse("privacy:erase", args=[person.pk]),
        {
            "erase-confirmation": confirmation or person.employee_id,
            "erase-reason": reason,
        },
    )


def counts() -> dict[str, int]:
    models = (Enrollment, Match, Goal, ProgressUpdate, Meeting, CheckIn, PrivateNote)
    return {model.__name__: model.objects.count() for model in models}


def test_after_erasure_no_personal_text_remains_anywhere(hr_client, lena, mira, history):
    # Lena is in a stored directory file, an enrolment file, the admin's log, and signed in.
    directory_import, _plan = directory_file_preview(
        data=DIRECTORY_FILE.format(eid=LENA_EMPLOYEE_ID, end=lena.end_date).encode(),
        filename="hr.csv",
        user=None,
    )
    assert directory_import_apply(directory_import=directory_import, user=None).applied
    store_enrollment_file(history.cohort, lena)
    Client().force_login(lena)
    for needle in LENA_STRINGS:
        assert where_is(needle), f"the test data should hold {needle!r}"
    before = counts()

    response = erase(hr_client, lena)
    assert response.status_code == 302

    for needle in (*LENA_STRINGS, "Lena"):
        assert where_is(needle) == [], needle
    for needle in MIRA_STRINGS:
        assert where_is(needle), f"{needle!r} is Mira's and must stay"
    assert counts() == before
    assert MatchRun.objects.get().unmatched == {
        str(history.mentee_id): "(erased)",
        "0": "Nobody else",
    }

    lena.refresh_from_db()
    assert lena.get_full_name() == "Former employee"
    assert lena.email == f"erased-{lena.pk}@erased.invalid"
    assert (lena.title, lena.location, lena.timezone, lena.manager) == ("", "", "", None)
    assert (lena.department, lena.level, lena.employee_id) == ("Sales", 4, LENA_EMPLOYEE_ID)
    assert lena.hire_date is not None and lena.end_date is not None
    assert lena.erased_at is not None
    assert not lena.is_active and not lena.has_usable_password()


def test_erasure_ends_sign_in_and_email(hr_client, lena, history):
    signed_in = Client()
    signed_in.force_login(lena)
    erase(hr_client, lena)

    assert not EmailAddress.objects.filter(user=lena).exists()
    assert not Authenticator.objects.filter(user=lena).exists()
    assert not SocialAccount.objects.filter(user=lena).exists()
    assert not CalendarFeed.objects.filter(person=lena).exists()
    assert not NotificationOptOut.objects.filter(user=lena).exists()
    for session in Session.objects.all():
        assert session.get_decoded().get("_auth_user_id") != str(lena.pk)
    assert signed_in.session.get("_auth_user_id") is None  # that browser is signed out
    assert not Notification.objects.filter(recipient=lena, status="pending").exists()
    assert Notification.objects.get(recipient=lena, kind="goal_due_soon").status == "skipped"
    assert Notification.objects.filter(recipient=lena, status="sent").count() == 1
    assert not Client().login(email="lena.leaver@example.com", password="correct horse battery")


def test_the_reports_are_the_same_before_and_after(client, directory):
    hr = make_user(is_hr=True, hire_date=AS_OF + timedelta(days=1))
    from tests.conftest import activate_totp

    activate_totp(hr)
    client.force_login(hr)
    people = directory["people"]
    # m3 (mentee in cohort A, left 2024-08-01) with a full pair history with r2 (left too).
    pair = Match.objects.get(mentee__person=people["m3"])
    fill_pair(pair, author=people["m3"], other=people["r2"], n=3)
    now = timezone.now()
    eng = directory["programs"][0]

    def figures():
        csv = client.get(reverse("reports:retention_csv"), {"as_of": AS_OF.isoformat()})
        assert csv.status_code == 200
        return (
            csv.content,
            program_engagement(eng, now=now),
            programs_engagement(Program.objects.all(), now=now),
        )

    before = figures()
    for key in ("m3", "r2", "c2", "proposed_mentor"):
        person = people[key]
        person_erase(person=person, by=hr, reason="Retention policy", confirmation=person.email)
    after = figures()
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2] == before[2]
    assert before[1].total.check_ins_written == 3  # the erased pair's records still count


@pytest.mark.parametrize("end_days", [None, 1])
def test_erasure_is_refused_while_employed(hr_client, hr_user, end_days):
    end = None if end_days is None else timezone.localdate() + timedelta(days=end_days)
    person = make_user(first_name="Stella", last_name="Stays", end_date=end)
    response = erase(hr_client, person)
    assert response.status_code == 400
    assert "only people who have left can be erased" in response.content.decode()
    with pytest.raises(ErasureRefused, match="only people who have left"):
        person_erase(person=person, by=hr_user, reason="x", confirmation=person.email)
    person.refresh_from_db()
    assert person.get_full_name() == "Stella Stays" and person.erased_at is None
    assert not AuditEvent.objects.filter(action="person_erased").exists()


def test_the_page_offers_erasure_only_for_someone_who_has_left(hr_client, lena):
    page = hr_client.get(reverse("privacy:person", args=[lena.pk])).content.decode()
    assert "Erase personal data</button>" in page
    employed = make_user()
    page = hr_client.get(reverse("privacy:person", args=[employed.pk])).content.decode()
    assert "Erase personal data</button>" not in page
    assert "only people who have left can be erased" in page


def test_a_wrong_confirmation_changes_nothing(hr_client, lena):
    response = erase(hr_client, lena, confirmation="E-SOMEONE-ELSE")
    assert response.status_code == 400
    assert response.context["erase_form"].errors["confirmation"]
    lena.refresh_from_db()
    assert lena.erased_at is None and lena.first_name == "Lena"


def test_the_email_confirms_too_and_erasing_twice_is_refused(hr_client, lena, hr_user):
    assert erase(hr_client, lena, confirmation="Lena.Leaver@Example.com").status_code == 302
    lena.refresh_from_db()
    with pytest.raises(ErasureRefused, match="already erased"):
        person_erase(person=lena, by=hr_user, reason="again", confirmation=lena.employee_id)


def test_erasure_is_audited_with_its_reason(hr_client, hr_user, lena, history):
    erase(hr_client, lena, reason="Erasure request DR-7")
    event = AuditEvent.objects.get(action="person_erased")
    assert event.actor == hr_user
    assert (event.target_type, event.target_id) == ("people.user", str(lena.pk))
    assert event.details["reason"] == "Erasure request DR-7"
    assert event.details["counts"]["check_ins"] == 1
