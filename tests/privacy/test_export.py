"""The export of everything held about one person: every kind, nobody else's private notes, no
secrets, deterministic JSON, a query count that does not grow with the data, audited."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import CalendarFeed
from mentorship.models import AuditEvent
from people.models import User
from privacy.selectors import person_export_data
from privacy.services import person_export
from tests.conftest import make_user
from tests.privacy.conftest import build_history

FILES = {
    "about.json",
    "person.json",
    "enrollments.json",
    "matches.json",
    "goals.json",
    "meetings.json",
    "check_ins.json",
    "private_notes.json",
    "reviews.json",
    "mentor_requests.json",
    "notifications.json",
    "opt_outs.json",
    "audit_events.json",
}
NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def download(client, person, reason="SAR-2026-014"):
    response = client.post(reverse("privacy:export", args=[person.pk]), {"export-reason": reason})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_every_kind(hr_client, lena, mira, history):
    files = unzip(download(hr_client, lena))
    assert set(files) == FILES
    data = {name.removesuffix(".json"): json.loads(text) for name, text in files.items()}

    directory = data["person"]["directory"]
    assert directory["email"] == "lena.leaver@example.com"
    assert directory["employee_id"] == "E-LEAVE-1"
    assert directory["manager"] == "Manny Manager"
    assert directory["hire_date"] == "2021-03-01"
    account = data["person"]["account"]
    assert account["two_factor"] == {
        "authenticator_app": True,
        "recovery_codes": False,
        "security_keys": False,
    }
    assert account["email_addresses"] == [
        {"email": "lena.leaver@example.com", "primary": True, "verified": True}
    ]
    assert account["single_sign_on"][0]["uid"] == "lena-sso-subject"
    assert account["calendar_feed"]["set_up"] is True

    [enrollment_a, enrollment_b] = data["enrollments"]
    intakes = {enrollment_a["intake"]["goals"], enrollment_b["intake"]["goals"]}
    assert "LENA-INTAKE-GOALS: learn to negotiate" in intakes
    assert any(e["intake"]["topics_sought"] for e in data["enrollments"])

    matches = data["matches"]
    assert {m["your_side"] for m in matches} == {"mentee", "mentor"}
    assert {m["other_member"] for m in matches} == {"Mira Mentor"}
    assert matches[0]["agreement_revisions"][0]["mentee_expectations"] == "LENA-EXPECTATIONS"

    [goal] = data["goals"]["goals"]
    assert goal["title"] == "LENA-GOAL-0"
    assert goal["milestones"][0]["title"] == "LENA-MILESTONE-0"
    assert goal["progress_updates"][0]["note"] == "LENA-PROGRESS-0"
    assert goal["history"][0]["comment"] == "Lena Leaver, add a date please"
    assert goal["baseline"] is None or isinstance(goal["baseline"], str)

    assert {m["agenda"] for m in data["meetings"]} >= {"LENA-AGENDA-0"}
    [check_in] = data["check_ins"]
    assert check_in["discussed"] == "LENA-CHECKIN-0"
    assert check_in["review_comment"] == "Well done, Lena Leaver"
    assert [n["text"] for n in data["private_notes"]] == ["LENA-PRIVATE-0"]
    assert [r["review_comment"] for r in data["reviews"]] == ["LENA-REVIEW-0"]
    [request] = data["mentor_requests"]
    assert request["direction"] == "sent" and request["other_member"] == "Mira Mentor"
    assert {n["kind"] for n in data["notifications"]} == {
        "meeting_reminder",
        "check_in_due",
        "goal_due_soon",
    }
    assert [o["kind"] for o in data["opt_outs"]] == ["progress_stale"]
    assert "login" in {e["action"] for e in data["audit_events"]}


def test_never_another_persons_private_notes_or_data(hr_client, lena, mira, history):
    everything = b"".join(unzip(download(hr_client, lena)).values())
    assert b"MIRA-PRIVATE-NOTE" not in everything
    # Mira's own check-in text and her contact details are hers, not Lena's.
    assert b"MIRA-OWN-CHECKIN" not in everything
    assert b"mira.mentor@example.com" not in everything


def test_never_a_secret(hr_client, lena, history):
    everything = b"".join(unzip(download(hr_client, lena)).values())
    token = CalendarFeed.objects.get(person=lena).token
    password = User.objects.get(pk=lena.pk).password
    for secret in (lena.totp_secret, password, token):
        assert secret.encode() not in everything


def test_json_is_deterministic(lena, mira, history, hr_user):
    first = person_export(person=lena, by=hr_user, reason="SAR-1", now=NOW).read()
    second = person_export(person=lena, by=hr_user, reason="SAR-1", now=NOW).read()
    assert first == second
    for name, text in unzip(first).items():
        parsed = json.loads(text)
        canonical = json.dumps(parsed, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        assert text.decode("utf-8") == canonical, name
    about = json.loads(unzip(first)["about.json"])
    assert about["generated_at"] == "2026-11-20T12:30:00+00:00"
    meetings = json.loads(unzip(first)["meetings.json"])
    assert meetings[0]["starts_at"].endswith("+00:00")
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == sorted(archive.namelist())
        assert {info.date_time for info in archive.infolist()} == {(2026, 11, 20, 12, 30, 0)}


def queries_of_export(person) -> int:
    with CaptureQueriesContext(connection) as queries:
        person_export_data(person)
    return len(queries)


def test_query_count_does_not_grow_with_the_data(db):
    small, small_other = make_user(), make_user()
    build_history(small, small_other, n=1)
    large, large_other = make_user(), make_user()
    build_history(large, large_other, n=6)
    assert queries_of_export(small) == queries_of_export(large)
    assert queries_of_export(small) <= 25


def test_the_download_is_audited_with_its_reason(hr_client, hr_user, lena, history):
    download(hr_client, lena, reason="SAR-2026-014 from Lena")
    event = AuditEvent.objects.get(action="person_exported")
    assert event.actor == hr_user
    assert (event.target_type, event.target_id) == ("people.user", str(lena.pk))
    assert event.details["reason"] == "SAR-2026-014 from Lena"
    assert event.path == reverse("privacy:export", args=[lena.pk])


def test_a_reason_is_required(hr_client, lena):
    response = hr_client.post(reverse("privacy:export", args=[lena.pk]), {"export-reason": " "})
    assert response.status_code == 400
    assert response.context["export_form"].errors["reason"]
    assert not AuditEvent.objects.filter(action="person_exported").exists()
