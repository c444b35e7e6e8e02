"""The audit log: one INSERT an event, who/when/what/from where, append-only in the database,
and read by staff alone in the Django admin."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from mentorship.audit import audit_record, client_ip, current_request
from mentorship.models import AuditEvent
from tests.admin_forms import admin_form_data
from tests.conftest import activate_totp

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:mentorship_auditevent_changelist")


def a_request(user=None, **meta):
    request = RequestFactory().get("/somewhere/", REMOTE_ADDR="203.0.113.7", **meta)
    if user is not None:
        request.user = user
    return request


# --- audit_record -------------------------------------------------------------------------


def test_records_who_when_what_and_from_where(user_factory, django_assert_num_queries):
    actor = user_factory()
    target = user_factory()
    request = a_request(actor, HTTP_USER_AGENT="Firefox/140")
    before = timezone.now()
    with django_assert_num_queries(1):
        event = audit_record("role_changed", request=request, target=target, details={"n": 1})
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == actor
    assert before <= event.at <= timezone.now()
    assert event.action == AuditEvent.Action.ROLE_CHANGED
    assert (event.target_type, event.target_id) == ("people.user", str(target.pk))
    assert event.ip == "203.0.113.7"
    assert event.user_agent == "Firefox/140"
    assert event.path == "/somewhere/"
    assert event.details == {"n": 1}


def test_without_a_request_the_actor_is_the_system(user_factory):
    event = audit_record("export_downloaded", details={"format": "csv"})
    assert event.actor is None
    assert event.ip is None
    assert (event.path, event.user_agent, event.target_type) == ("", "", "")


def test_an_explicit_actor_wins_over_the_request(user_factory):
    someone, other = user_factory(), user_factory()
    event = audit_record("login", request=a_request(someone), actor=other)
    assert event.actor == other


def test_an_anonymous_request_has_no_actor():
    from django.contrib.auth.models import AnonymousUser

    event = audit_record("access_denied", request=a_request(AnonymousUser()))
    assert event.actor is None
    assert event.ip == "203.0.113.7"


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record("something_else")


def test_large_details_are_refused():
    with pytest.raises(ValueError, match="bytes"):
        audit_record("export_downloaded", details={"text": "x" * 5000})


def test_the_current_request_is_read_from_the_middleware(user_factory):
    """A service called from a view audits ip and path without being handed the request."""
    from mentorship.audit import CurrentRequestMiddleware

    user = user_factory()
    seen = []

    def view(request):
        seen.append(current_request())
        return audit_record("access_denied")

    request = a_request(user)
    event = CurrentRequestMiddleware(view)(request)
    assert seen == [request]
    assert current_request() is None
    assert (event.actor, event.ip, event.path) == (user, "203.0.113.7", "/somewhere/")


# --- where a request comes from -------------------------------------------------------------


def test_ip_is_remote_addr_without_a_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    request = a_request(HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "203.0.113.7"


def test_behind_the_proxy_ip_is_the_hop_the_proxy_added(settings):
    """The first hop is whatever the client sent; the last one is what our proxy saw."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = a_request(HTTP_X_FORWARDED_FOR="10.6.6.6, 198.51.100.1")
    assert client_ip(request) == "198.51.100.1"
    assert client_ip(a_request(HTTP_X_FORWARDED_FOR="not an address")) == "203.0.113.7"
    assert client_ip(a_request()) == "203.0.113.7"
    assert client_ip(a_request(HTTP_X_FORWARDED_FOR="2001:db8::1")) == "2001:db8::1"


# --- append-only ------------------------------------------------------------------------------


def test_the_database_refuses_update_and_delete():
    event = audit_record("login_failed", details={"email_domain": "example.com"})
    for sql in (
        "UPDATE mentorship_auditevent SET action = 'login' WHERE id = %s",
        "DELETE FROM mentorship_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "login_failed"


def test_the_model_refuses_a_second_save_and_a_delete():
    event = audit_record("logout")
    event.action = "login"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "logout"


def test_an_account_that_acted_cannot_be_deleted_one_that_did_not_can(user_factory):
    from django.db.models import ProtectedError

    acted, other = user_factory(), user_factory()
    audit_record("login", actor=acted)
    audit_record("role_changed", target=other)  # a target is a type and an id, not a key
    with pytest.raises(ProtectedError):
        acted.delete()
    other.delete()
    assert AuditEvent.objects.count() == 2


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff(user_factory):
    user = user_factory(email="sam.staff@example.com", is_staff=True)
    activate_totp(user)
    return user


def test_staff_read_the_log_in_the_admin(client, staff, user_factory):
    someone = user_factory(email="dana.doe@example.com")
    audit_record("export_downloaded", actor=someone, details={"export": "retention_csv"})
    client.force_login(staff)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Export downloaded" in page
    assert str(someone) in page

    found = client.get(CHANGELIST, {"q": "dana.doe@"})
    assert str(someone) in found.content.decode()
    missing = client.get(CHANGELIST, {"q": "nobody@"})
    assert str(someone) not in missing.content.decode()
    filtered = client.get(CHANGELIST, {"action__exact": "login_failed"})
    assert str(someone) not in filtered.content.decode()

    event = AuditEvent.objects.get(action="export_downloaded")
    detail = client.get(reverse("admin:mentorship_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_nobody_adds_changes_or_deletes_in_the_admin(client, staff):
    staff.is_superuser = True
    staff.save()
    event = audit_record("logout", actor=staff)
    client.force_login(staff)
    assert client.get(reverse("admin:mentorship_auditevent_add")).status_code == 403
    change = reverse("admin:mentorship_auditevent_change", args=[event.pk])
    client.post(change, {"action": "login"})
    delete = reverse("admin:mentorship_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "logout"


def test_non_staff_do_not_see_the_log(client, user_factory, hr_user):
    client.force_login(hr_user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(user_factory())
    assert client.get(CHANGELIST).status_code == 302


# --- Wired events ------------------------------------------------------------------------------
# Each event through the real view or service that causes it: who, what, from where.

FROM = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "AuditTest/1.0"}


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assert_from_the_client(event: AuditEvent, path: str) -> None:
    assert (event.ip, event.user_agent, event.path) == (
        FROM["REMOTE_ADDR"],
        FROM["HTTP_USER_AGENT"],
        path,
    )


def test_a_password_sign_in_and_sign_out(client, user_factory):
    from tests.accounts import DEFAULT_PASSWORD, LOGIN_URL

    user = user_factory()
    response = client.post(LOGIN_URL, {"login": user.email, "password": DEFAULT_PASSWORD}, **FROM)
    assert response.status_code == 302
    [login] = events("login")
    assert login.actor == user
    assert login.details == {"methods": ["password"]}
    assert_from_the_client(login, LOGIN_URL)

    logout_url = reverse("account_logout")
    client.post(logout_url, **FROM)
    [logout] = events("logout")
    assert logout.actor == user
    assert_from_the_client(logout, logout_url)


def test_a_failed_sign_in_keeps_the_domain_and_the_account_never_the_address(client, user_factory):
    from tests.accounts import LOGIN_URL

    user = user_factory(email="victim@corp.example")
    client.post(LOGIN_URL, {"login": "Victim@corp.example", "password": "guess"}, **FROM)
    client.post(LOGIN_URL, {"login": "nobody.known@other.example", "password": "guess"}, **FROM)
    known, unknown = events("login_failed")
    assert known.actor is None
    assert (known.target_type, known.target_id) == ("people.user", str(user.pk))
    assert known.details == {
        "method": "password",
        "email_domain": "corp.example",
        "known_account": True,
    }
    assert_from_the_client(known, LOGIN_URL)
    assert (unknown.target_type, unknown.target_id) == ("", "")
    assert unknown.details == {
        "method": "password",
        "email_domain": "other.example",
        "known_account": False,
    }
    assert not events("login")
    for row in AuditEvent.objects.values_list():
        assert "victim" not in str(row).lower() and "nobody.known" not in str(row)
        assert "guess" not in str(row)


def test_a_wrong_emailed_code(client, user_factory, mailoutbox):
    from tests.accounts import CONFIRM_CODE_URL, code_from_mail, request_code

    user = user_factory()
    request_code(client, user.email)
    code = code_from_mail(mailoutbox[0])
    wrong = "X" + code[1:] if code[0] != "X" else "Y" + code[1:]
    assert client.post(CONFIRM_CODE_URL, {"code": wrong}, **FROM).status_code == 200
    [event] = events("login_failed")
    assert (event.actor, event.target_id) == (None, str(user.pk))
    assert event.details == {"method": "code", "last_attempt": False}
    assert_from_the_client(event, CONFIRM_CODE_URL)
    assert code not in str(AuditEvent.objects.values_list())

    client.post(CONFIRM_CODE_URL, {"code": code}, **FROM)
    [login] = events("login")
    assert login.details == {"methods": ["code"]}


def test_a_wrong_then_a_right_authenticator_code(client, hr_user):
    from tests.accounts import current_totp_code, password_login

    password_login(client, hr_user.email)
    right = current_totp_code(hr_user.totp_secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    url = reverse("mfa_authenticate")
    client.post(url, {"code": wrong}, **FROM)
    [event] = events("login_failed")
    assert (event.actor, event.target_id) == (None, str(hr_user.pk))
    assert event.details == {"method": "mfa", "reauthentication": False}
    assert_from_the_client(event, url)
    assert not events("login")

    client.post(url, {"code": current_totp_code(hr_user.totp_secret)}, **FROM)
    [login] = events("login")
    assert login.actor == hr_user
    assert login.details == {"methods": ["password", "mfa"]}


def test_role_changes_in_the_django_admin(client, user_factory):
    boss = user_factory(email="root@example.com", is_staff=True, is_superuser=True)
    activate_totp(boss)
    person = user_factory()
    client.force_login(boss)
    url = reverse("admin:people_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = admin_form_data(form)
    data.update({"is_hr": "on", "is_staff": "on", "_save": "Save"})
    response = client.post(url, data, **FROM)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.is_hr and person.is_staff

    created, changed = events("role_changed")
    assert created.actor is None  # made by a test, not a person
    assert (created.target_id, created.details) == (
        str(boss.pk),
        {"granted": ["staff", "superuser"], "revoked": [], "new_account": True},
    )
    assert changed.actor == boss
    assert (changed.target_type, changed.target_id) == ("people.user", str(person.pk))
    assert changed.details == {"granted": ["hr", "staff"], "revoked": []}
    assert_from_the_client(changed, url)

    # Saving again without a change is no event; taking a role away is.
    data = admin_form_data(client.get(url).context["adminform"].form)
    client.post(url, {**data, "_save": "Save"}, **FROM)
    data.pop("is_hr")
    client.post(url, {**data, "_save": "Save"}, **FROM)
    assert [e.details for e in events("role_changed")][2:] == [{"granted": [], "revoked": ["hr"]}]


def test_role_changes_from_the_command_line_have_no_actor(user_factory):
    from io import StringIO

    from django.core.management import call_command

    person = user_factory()
    call_command("set_role", person.email, "--hr", stdout=StringIO())
    call_command("set_role", person.email, "--no-hr", "--staff", stdout=StringIO())
    granted, swapped = events("role_changed")
    assert (granted.actor, granted.target_id) == (None, str(person.pk))
    assert granted.details == {"granted": ["hr"], "revoked": []}
    assert swapped.details == {"granted": ["staff"], "revoked": ["hr"]}
    assert granted.ip is None


def test_saving_a_person_without_touching_roles_costs_no_query(user_factory):
    """Only a save that may change a role reads the roles first (one SELECT); other
    receivers of the same save may cost their own queries, not counted here."""
    from django.test.utils import CaptureQueriesContext

    def role_reads(save) -> int:
        with CaptureQueriesContext(connection) as queries:
            save()
        return sum(
            1
            for q in queries.captured_queries
            if q["sql"].startswith("SELECT") and '"is_superuser"' in q["sql"]
        )

    person = user_factory()
    assert role_reads(lambda: person.save(update_fields=["last_login"])) == 0
    assert role_reads(lambda: person.save(update_fields=["is_hr"])) == 1
    assert role_reads(person.save) == 1
    assert not events("role_changed")


def test_program_admins_appointed_and_removed(user_factory):
    from programs.services.programs import program_create, program_update

    first, second, third = user_factory(), user_factory(), user_factory()
    program = program_create(
        name="P", slug="p", description="", kind="one_to_one", admins=[first], topics=[]
    )
    program_update(
        program=program, name="P", description="", kind="one_to_one", admins=[second, third]
    )
    third.administered_programs.clear()
    rows = [(e.target_id, e.details) for e in events("role_changed")]

    def change(user, granted):
        lists = (["program_admin"], []) if granted else ([], ["program_admin"])
        return (str(user.pk), {"granted": lists[0], "revoked": lists[1], "program_id": program.pk})

    assert rows[0] == change(first, True)
    assert sorted(rows[1:4]) == sorted(
        [change(second, True), change(third, True), change(first, False)]
    )
    assert rows[4:] == [change(third, False)]


def test_a_directory_import_applied_in_the_browser(client, hr_user):
    from tests.people.test_directory_import import csv_bytes, employee

    data = csv_bytes(employee(employee_id="E1"), employee(employee_id="E2"))
    client.force_login(hr_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("people:import_upload"),
        {"file": SimpleUploadedFile("hr.csv", data, "text/csv")},
        **FROM,
    )
    assert not events("directory_imported")  # a preview writes nothing, audits nothing
    from people.models import DirectoryImport

    stored = DirectoryImport.objects.get()
    url = reverse("people:import_preview", args=[stored.pk])
    client.post(url, **FROM)
    [event] = events("directory_imported")
    assert event.actor == hr_user
    assert (event.target_type, event.target_id) == ("people.directoryimport", str(stored.pk))
    assert event.details["created"] == 2 and event.details["sha256"] == stored.sha256
    assert_from_the_client(event, url)


def test_an_enrolment_file_applied(client, program_admin, cohort, user_factory):
    from programs.models import EnrollmentImport
    from programs.services.enroll_file import enrollment_file_preview
    from tests.programs.test_enroll_file_service import csv_bytes, row

    stored, _ = enrollment_file_preview(
        cohort=cohort,
        data=csv_bytes(row(user_factory(), "mentor", topics_offered="Leadership")),
        filename="spring.csv",
        user=program_admin,
    )
    client.force_login(program_admin)
    url = reverse("programs:enroll_preview", args=[cohort.slug, stored.pk])
    client.post(url, **FROM)
    assert EnrollmentImport.objects.get().status == "applied"
    [event] = events("enrollment_imported")
    assert event.actor == program_admin
    assert event.target_type == "programs.enrollmentimport"
    assert event.details["invited"] == 1 and event.details["cohort_id"] == cohort.pk
    assert_from_the_client(event, url)


def test_a_matching_publication(client, program_admin, program):
    from matching.services import match_run_execute
    from tests.matching.test_services import enrol
    from tests.programs.fixtures import make_cohort

    cohort = make_cohort(program=program, phase="closed", slug="eng-pool")
    enrol(cohort, "mentee", level=2)
    enrol(cohort, "mentor", level=5)
    match_run_execute(cohort=cohort, user=program_admin)
    client.force_login(program_admin)
    url = reverse("matching:publish", args=[cohort.slug])
    client.post(url, **FROM)
    [event] = events("matching_published")
    assert event.actor == program_admin
    assert (event.target_type, event.target_id) == ("programs.cohort", str(cohort.pk))
    assert event.details == {"program_id": program.pk, "matches": 1}
    assert_from_the_client(event, url)


@pytest.mark.parametrize("name", ["participants_csv", "participants_xlsx"])
def test_participant_exports(client, hr_user, program, name):
    client.force_login(hr_user)
    url = reverse(f"report_exports:{name}")
    response = client.get(url, {"program": program.slug}, **FROM)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [event] = events("export_downloaded")
    assert event.actor == hr_user
    fmt = name.rpartition("_")[2]
    assert event.details == {"export": "participants", "format": fmt, "program": program.slug}
    assert_from_the_client(event, url)


def test_the_retention_csv(client, hr_user, program):
    client.force_login(hr_user)
    url = reverse("reports:retention_csv")
    response = client.get(url, {"program": program.slug, "as_of": "2026-06-30"}, **FROM)
    assert response.status_code == 200
    [event] = events("export_downloaded")
    assert event.actor == hr_user
    assert event.details == {
        "export": "retention_summary",
        "format": "csv",
        "program": program.slug,
        "cohort": "",
        "as_of": "2026-06-30",
    }
    assert_from_the_client(event, url)


def test_the_export_retention_command(program, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    call_command("export_retention", "--as-of", "2026-06-30", stdout=StringIO())
    target = tmp_path / "r.csv"
    call_command(
        "export_retention", "--program", program.slug, "--output", str(target), stderr=StringIO()
    )
    to_stdout, to_file = events("export_downloaded")
    assert (to_stdout.actor, to_stdout.ip, to_stdout.path) == (None, None, "")
    assert to_stdout.details == {
        "export": "retention_summary",
        "format": "csv",
        "program": "",
        "as_of": "2026-06-30",
        "via": "export_retention",
        "to_file": False,
    }
    assert to_file.details["program"] == program.slug and to_file.details["to_file"] is True


def test_a_page_of_a_role_the_person_lacks(participant_client, participant):
    url = reverse("people:directory")
    assert participant_client.get(url, **FROM).status_code == 404
    [event] = events("access_denied")
    assert event.actor == participant
    assert event.details == {"reason": "role", "method": "GET", "view": "people:directory"}
    assert_from_the_client(event, url)


def test_an_object_outside_the_persons_scope(client, other_program_admin, cohort):
    client.force_login(other_program_admin)
    url = reverse("programs:cohort_dashboard", args=[cohort.slug])
    assert client.get(url, **FROM).status_code == 404
    [event] = events("access_denied")
    assert event.actor == other_program_admin
    assert event.details == {
        "reason": "not_found",
        "method": "GET",
        "view": "programs:cohort_dashboard",
    }
    assert_from_the_client(event, url)


def test_anonymous_visitors_and_unknown_urls_are_not_recorded(client, participant, cohort):
    client.get(reverse("programs:cohort_dashboard", args=[cohort.slug]))
    client.force_login(participant)
    assert client.get("/no/such/page/").status_code == 404
    assert not events("access_denied")


def test_no_note_text_ever_reaches_the_log(client, pair, alice, bob, charlie, program_admin):
    """Write a check-in and a private note, then have outsiders try them, read and write."""
    from goals.models import CheckIn
    from tests.goals.test_checkins_views import check_in_url, held, note_url, page_url

    secret, private = "SHARED-NOTE-7f3a", "PRIVATE-NOTE-9c1d"
    meeting = held(pair, alice)
    client.force_login(alice)
    form = {"discussed": secret, "next_steps": secret, "usefulness": "4"}
    assert client.post(check_in_url(meeting), form, **FROM).status_code == 302
    client.post(note_url(meeting), {"text": private}, **FROM)
    assert CheckIn.objects.get().discussed == secret
    for outsider in (charlie, program_admin):
        client.force_login(outsider)
        for url in (check_in_url(meeting), note_url(meeting), page_url(meeting)):
            assert client.get(url, {"q": secret}, **FROM).status_code == 404
        for url in (check_in_url(meeting), note_url(meeting)):
            assert client.post(url, {**form, "text": private}, **FROM).status_code == 404
    assert len(events("access_denied")) == 10
    for row in AuditEvent.objects.values_list():
        assert secret not in str(row) and private not in str(row)
