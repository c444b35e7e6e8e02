"""Every object URL against every role: who gets the page (200), who is sent elsewhere (302),
who gets 404, and who is sent to sign in; and a POST from anyone without rights changes nothing.

The roles, over the world of tests/access_world.py:
  owner         Alice, the mentee of the pair (for a mentor's enrolment: Bob, see TARGETS)
  mentor        Bob, the other member of the pair
  other_mentor  Charlie, who mentors another pair in the same cohort
  admin         Ada, admin of this program
  other_admin   Otto, admin of another program only
  hr            Hana, HR (sees every program's figures, never a pair's pages)
  anonymous     not signed in

Rows marked GET are pages: the table gives the GET answer, and every role the table refuses
(404 or sign in) also POSTs to it. Rows marked POST are actions: the table gives the POST
answer. A rightful POST runs inside a savepoint that is rolled back; where EFFECTIVE names a
role, that role's POST must change a row, which shows that the refused ones were refused and
not merely empty.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from goals.models import AgreementRevision, CalendarFeed, Goal, GoalTemplate, Meeting, Milestone
from matching.models import MentorRequest
from programs.models import Enrollment
from programs.services.enroll_file import enrollment_file_preview
from tests.access_world import (
    ALICE_PRIVATE,
    BOB_PRIVATE,
    SHARED,
    body_of,
    module_world,
    snapshot,
    snapshot_diff,
)
from tests.goals.fixtures import make_pair
from tests.programs.fixtures import make_enrollment

pytestmark = pytest.mark.django_db

ROLES = ("owner", "mentor", "other_mentor", "admin", "other_admin", "hr", "anonymous")

# fmt: off
#                                    method owner  mentor other  admin  other  hr     anonymous
#                                                         mentor        admin
MATRIX = {
    # The pair's workspace: its two members only.
    "goals:pair":                       "GET  200    200    404    404    404    404    login",
    "goals:agreement":                  "GET  200    200    404    404    404    404    login",
    "goals:agreement_confirm":          "POST 302    302    404    404    404    404    login",
    "goals:goal_list":                  "GET  200    200    404    404    404    404    login",
    "goals:goal_new":                   "GET  200    404    404    404    404    404    login",
    "goals:goal_check":                 "POST 200    404    404    404    404    404    login",
    "goals:goal":                       "GET  200    200    404    404    404    404    login",
    "goals:goal_edit":                  "GET  200    404    404    404    404    404    login",
    "goals:goal_decide":                "POST 302    302    404    404    404    404    login",
    "goals:goal_status":                "POST 302    302    404    404    404    404    login",
    "goals:goal_progress":              "POST 302    302    404    404    404    404    login",
    "goals:milestone_toggle":           "POST 302    302    404    404    404    404    login",
    "goals:meeting_list":               "GET  200    200    404    404    404    404    login",
    "goals:meeting_new":                "GET  200    200    404    404    404    404    login",
    "goals:meeting":                    "GET  200    200    404    404    404    404    login",
    "goals:meeting_edit":               "GET  200    200    404    404    404    404    login",
    "goals:meeting_cancel":             "GET  200    200    404    404    404    404    login",
    "goals:meeting_ics":                "GET  200    200    404    404    404    404    login",
    # The check-in exists already: its form page sends both members to the meeting.
    "goals:check_in":                   "GET  302    302    404    404    404    404    login",
    "goals:check_in_review":            "GET  302    302    404    404    404    404    login",
    "goals:private_note":               "GET  200    200    404    404    404    404    login",
    # A participant's own enrolment: its person only (admins read intakes on their pages).
    "programs:intake":                  "GET  200    404    404    404    404    404    login",
    "programs:withdraw":                "GET  200    404    404    404    404    404    login",
    "matching:my_match":                "GET  200    404    404    404    404    404    login",
    "requests:choose":                  "GET  200    404    404    404    404    404    login",
    # Bob's enrolment as a mentor: the owner here is Bob.
    "requests:incoming":                "GET  404    200    404    404    404    404    login",
    "requests:decide":                  "POST 404    302    404    404    404    404    login",
    # The program's and its cohorts' management: its admins, HR and staff.
    "programs:program_manage":          "GET  404    404    404    200    404    200    login",
    "programs:program_edit":            "GET  404    404    404    200    404    200    login",
    "programs:program_topics":          "GET  404    404    404    200    404    200    login",
    "programs:cohort_create":           "GET  404    404    404    200    404    200    login",
    "programs:cohort_dashboard":        "GET  404    404    404    200    404    200    login",
    "programs:cohort_edit":             "GET  404    404    404    200    404    200    login",
    "programs:cohort_enroll":           "GET  404    404    404    200    404    200    login",
    "programs:cohort_applications":     "GET  404    404    404    200    404    200    login",
    "programs:enroll_upload":           "GET  404    404    404    200    404    200    login",
    "programs:enroll_preview":          "GET  404    404    404    200    404    200    login",
    "goals:cohort_pairs":               "GET  404    404    404    200    404    200    login",
    "goals:goal_templates":             "GET  404    404    404    200    404    200    login",
    "goals:goal_template_new":          "GET  404    404    404    200    404    200    login",
    "goals:goal_template_edit":         "GET  404    404    404    200    404    200    login",
    "goals:goal_template_active":       "POST 404    404    404    302    404    302    login",
    "reports:engagement_program":       "GET  404    404    404    200    404    200    login",
    # The matching board and its actions.
    "matching:board":                   "GET  404    404    404    200    404    200    login",
    "matching:requests":                "GET  404    404    404    200    404    200    login",
    "matching:move":                    "GET  404    404    404    200    404    200    login",
    "matching:run":                     "POST 404    404    404    302    404    302    login",
    "matching:pair":                    "POST 404    404    404    302    404    302    login",
    "matching:publish":                 "POST 404    404    404    302    404    302    login",
    "matching:end":                     "POST 404    404    404    302    404    302    login",
    # HR's: a stored directory file, and a person's data (privacy, when installed).
    "people:import_preview":            "GET  404    404    404    404    404    200    login",
    "privacy:person":                   "GET  404    404    404    404    404    200    login",
    "privacy:export":                   "POST 404    404    404    404    404    200    login",
    "privacy:erase":                    "POST 404    404    404    404    404    302    login",
    # Reports scoped by a query parameter: a program or cohort outside one's scope is a 404.
    "reports:engagement?program":       "GET  404    404    404    200    404    200    login",
    "reports:retention?program":        "GET  404    404    404    200    404    200    login",
    "reports:retention?cohort":         "GET  404    404    404    200    404    200    login",
    "reports:retention_csv?program":    "GET  404    404    404    200    404    200    login",
    "report_exports:participants_csv?program":
                                        "GET  404    404    404    404    404    200    login",
}
# fmt: on

# URL parameters of each row, from the world's objects (.pk for <...pk>, .slug otherwise);
# "?name" is a query parameter.
TARGETS = {
    "goals:pair": {"pk": "pair"},
    "goals:agreement": {"pk": "pair"},
    "goals:agreement_confirm": {"pk": "pair"},
    "goals:goal_list": {"pk": "pair"},
    "goals:goal_new": {"pk": "pair"},
    "goals:goal_check": {"pk": "pair"},
    "goals:goal": {"pk": "pair", "goal_pk": "goal"},
    "goals:goal_edit": {"pk": "pair", "goal_pk": "goal"},
    "goals:goal_decide": {"pk": "pair", "goal_pk": "goal"},
    "goals:goal_status": {"pk": "pair", "goal_pk": "goal"},
    "goals:goal_progress": {"pk": "pair", "goal_pk": "goal"},
    "goals:milestone_toggle": {"pk": "pair", "goal_pk": "goal", "milestone_pk": "milestone"},
    "goals:meeting_list": {"pk": "pair"},
    "goals:meeting_new": {"pk": "pair"},
    "goals:meeting": {"pk": "pair", "meeting_pk": "meeting"},
    "goals:meeting_edit": {"pk": "pair", "meeting_pk": "next_meeting"},
    "goals:meeting_cancel": {"pk": "pair", "meeting_pk": "next_meeting"},
    "goals:meeting_ics": {"pk": "pair", "meeting_pk": "meeting"},
    "goals:check_in": {"pk": "pair", "meeting_pk": "meeting"},
    "goals:check_in_review": {"pk": "pair", "meeting_pk": "meeting"},
    "goals:private_note": {"pk": "pair", "meeting_pk": "meeting"},
    "programs:intake": {"pk": "alice_enrollment"},
    "programs:withdraw": {"pk": "alice_enrollment"},
    "matching:my_match": {"pk": "alice_enrollment"},
    "requests:choose": {"pk": "alice_enrollment"},
    "requests:incoming": {"pk": "bob_enrollment"},
    "requests:decide": {"pk": "bob_enrollment", "request_pk": "mentor_request"},
    "programs:program_manage": {"slug": "program"},
    "programs:program_edit": {"slug": "program"},
    "programs:program_topics": {"slug": "program"},
    "programs:cohort_create": {"slug": "program"},
    "programs:cohort_dashboard": {"slug": "cohort"},
    "programs:cohort_edit": {"slug": "cohort"},
    "programs:cohort_enroll": {"slug": "cohort"},
    "programs:cohort_applications": {"slug": "open_cohort"},
    "programs:enroll_upload": {"slug": "cohort"},
    "programs:enroll_preview": {"slug": "cohort", "pk": "enrollment_import"},
    "goals:cohort_pairs": {"slug": "cohort"},
    "goals:goal_templates": {"slug": "program"},
    "goals:goal_template_new": {"slug": "program"},
    "goals:goal_template_edit": {"slug": "program", "template_pk": "template"},
    "goals:goal_template_active": {"slug": "program", "template_pk": "template"},
    "reports:engagement_program": {"slug": "program"},
    "matching:board": {"slug": "cohort"},
    "matching:requests": {"slug": "cohort"},
    "matching:move": {"slug": "cohort", "pk": "draft"},
    "matching:run": {"slug": "cohort"},
    "matching:pair": {"slug": "cohort"},
    "matching:publish": {"slug": "cohort"},
    "matching:end": {"slug": "cohort", "pk": "pair"},
    "people:import_preview": {"pk": "directory_import"},
    "privacy:person": {"pk": "alice"},
    "privacy:export": {"pk": "alice"},
    "privacy:erase": {"pk": "leaver"},
    "reports:engagement?program": {"?program": "program"},
    "reports:retention?program": {"?program": "program"},
    "reports:retention?cohort": {"?cohort": "cohort"},
    "reports:retention_csv?program": {"?program": "program"},
    "report_exports:participants_csv?program": {"?program": "program"},
}

# Rows of apps that may not be installed yet (none now: privacy has landed).
OPTIONAL: set[str] = set()

# What each POST sends: what the page's own form sends to do its thing (world -> data).
POSTS = {
    "goals:agreement_confirm": lambda w: {"revision": w.agreement.pk},
    "goals:goal_status": lambda w: {"to": "paused", "comment": "Busy quarter."},
    "goals:goal_progress": lambda w: {"milestones": [w.milestone.pk], "note": "Done."},
    "goals:goal_decide": lambda w: {"action": "changes", "comment": "Narrow it."},
    "goals:milestone_toggle": lambda w: {"done": "1"},
    "goals:meeting_cancel": lambda w: {},
    "goals:private_note": lambda w: {"text": "Rewritten"},
    "goals:check_in_review": lambda w: {"comment": "Rewritten"},
    "programs:withdraw": lambda w: {"reason": "Moving teams."},
    "matching:my_match": lambda w: {"match": w.pair.pk, "reason": "Not a fit."},
    "requests:decide": lambda w: {"action": "decline"},
    "programs:program_topics": lambda w: {"action": "add", "name": "Evil"},
    "programs:cohort_applications": lambda w: {"decide": f"accept-{w.application.pk}"},
    "programs:enroll_preview": lambda w: {"confirm": "1"},
    "goals:goal_template_active": lambda w: {"active": "0"},
    "matching:pair": lambda w: {
        "action": "exclude",
        "mentee": w.erin_enrollment.pk,
        "mentor": w.bob_enrollment.pk,
    },
    "matching:run": lambda w: {},
    "matching:publish": lambda w: {},
    "matching:end": lambda w: {"reason": "Asked to end."},
    "people:import_preview": lambda w: {"confirm": "1"},
    "privacy:export": lambda w: {"export-reason": "Subject access request"},
    "privacy:erase": lambda w: {
        "erase-confirmation": w.leaver.employee_id,
        "erase-reason": "Asked to be forgotten",
    },
}
GENERIC_POST = {"title": "Hijacked", "name": "Hijacked", "comment": "x", "text": "x", "reason": "x"}

# The role whose POST (with the data above) must change something, inside a rolled-back
# savepoint: proof that the same POST from the others would have, had it been let through.
EFFECTIVE = {
    "goals:agreement_confirm": "mentor",
    "goals:goal_status": "owner",
    "goals:goal_progress": "owner",
    "goals:milestone_toggle": "owner",
    "goals:meeting_cancel": "owner",
    "goals:private_note": "owner",
    "programs:withdraw": "owner",
    "matching:my_match": "owner",
    "requests:decide": "mentor",
    "programs:program_topics": "admin",
    "programs:cohort_applications": "admin",
    "programs:enroll_preview": "admin",
    "goals:goal_template_active": "admin",
    "matching:pair": "admin",
    "matching:run": "admin",
    "matching:publish": "admin",
    "matching:end": "admin",
    "people:import_preview": "hr",
    "privacy:erase": "hr",
}


# What each role must never read: a member reads the pair's text and their own private note.
HIDDEN_FROM = {
    role: (SHARED, ALICE_PRIVATE, BOB_PRIVATE) for role in ROLES if role not in ("owner", "mentor")
} | {"owner": (BOB_PRIVATE,), "mentor": (ALICE_PRIVATE,)}


def parse(cell: str) -> tuple[str, dict[str, str]]:
    method, *answers = cell.split()
    assert len(answers) == len(ROLES), cell
    return method, dict(zip(ROLES, answers, strict=True))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    for w in module_world(django_db_blocker):
        w.users = {
            "owner": w.alice,
            "mentor": w.bob,
            "other_mentor": w.charlie,
            "admin": w.admin,
            "other_admin": w.other_admin,
            "hr": w.hr,
            "anonymous": None,
        }
        yield w


def rows(world) -> list[tuple[str, str, str, dict[str, str]]]:
    """(name, path, method, expected per role) of every row whose URL exists."""
    out = []
    for name, cell in MATRIX.items():
        # <slug> and query parameters (?program=, ?cohort=) name objects by slug.
        values = {
            key: getattr(getattr(world, attr), "pk" if key.endswith("pk") else "slug")
            for key, attr in TARGETS[name].items()
        }
        kwargs = {k: v for k, v in values.items() if not k.startswith("?")}
        query = "&".join(f"{k[1:]}={v}" for k, v in values.items() if k.startswith("?"))
        try:
            path = reverse(name.split("?")[0], kwargs=kwargs)
        except NoReverseMatch:
            assert name in OPTIONAL, f"{name} has no URL any more: update the matrix"
            continue
        out.append((name, f"{path}?{query}" if query else path, *parse(cell)))
    return out


def answer(response) -> str:
    """The response as the table writes it."""
    if response.status_code == 302:
        location = response["Location"]
        return "login" if location.startswith(reverse("account_login")) else "302"
    return str(response.status_code)


def post_data(name: str, world) -> dict:
    return POSTS[name](world) if name in POSTS else GENERIC_POST


def test_every_object_url_is_in_the_matrix(world):
    """The matrix covers every URL that names an object; a new one must be added here."""
    from tests.test_url_access import ENROLLMENT, PAIR, PROGRAM, walk

    walked, problems = walk(world)
    assert problems == [], "\n".join(problems)
    object_pages = {item.key for item in walked if item.scope in (PAIR, ENROLLMENT, PROGRAM)}
    assert sorted(object_pages - set(MATRIX)) == []
    assert set(TARGETS) == set(MATRIX)
    assert set(EFFECTIVE) <= set(POSTS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_matrix_says_and_refused_posts_change_nothing(client, world, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
        # The calendar page makes a person's feed on first sight; the walk may show it.
        CalendarFeed.objects.get_or_create(person=user)
    before = snapshot()
    wrong = []
    for name, path, method, expected in rows(world):
        want = expected[role]
        refused = want in ("404", "login")
        if method == "POST" and not refused:
            continue  # rightful actions: the next test
        data = post_data(name, world) if method == "POST" else None
        response = client.post(path, data) if method == "POST" else client.get(path)
        got = answer(response)
        if got != want:
            wrong.append(f"{method} {name} {path}: {got}, the matrix says {want}")
        body = body_of(response)
        wrong += [f"{method} {name} shows {text}" for text in HIDDEN_FROM[role] if text in body]
        if "Content-Security-Policy" not in response:
            wrong.append(f"{method} {name}: no Content-Security-Policy")
        if user is not None and "no-store" not in response.get("Cache-Control", ""):
            wrong.append(f"{method} {name}: Cache-Control {response.get('Cache-Control')!r}")
        if method == "GET" and refused:
            response = client.post(path, post_data(name, world))
            got = answer(response)
            # 405: the page takes no POST at all, and says so before looking anything up.
            if got not in (want, "405"):
                wrong.append(f"POST {name} {path}: {got}, refused with {want} on GET")
    wrong += snapshot_diff(before, snapshot())
    assert wrong == [], "\n".join(wrong)


def test_rightful_actions_answer_as_the_matrix_says_and_take_effect(client, world):
    """Each POST action by each role the matrix lets through, rolled back afterwards; the
    EFFECTIVE role's POST must change a row."""
    wrong = []
    for name, path, method, expected in rows(world):
        for role, want in expected.items():
            if want in ("404", "login") or (method == "GET" and name not in EFFECTIVE):
                continue
            if method == "GET" and EFFECTIVE[name] != role:
                continue
            client.force_login(world.users[role])
            effective = EFFECTIVE.get(name) == role
            with transaction.atomic():
                before = snapshot() if effective else None
                response = client.post(path, post_data(name, world))
                changed = snapshot_diff(before, snapshot()) if effective else []
                transaction.set_rollback(True)
            if response.status_code not in (200, 302) or answer(response) == "login":
                wrong.append(f"POST {name} as {role}: {response.status_code}")
            if method == "POST" and answer(response) != want:
                wrong.append(f"POST {name} as {role}: {answer(response)}, the matrix says {want}")
            if effective and not changed:
                wrong.append(f"POST {name} as {role} changed nothing: the data is not effective")
    assert wrong == [], "\n".join(wrong)


def foreign_objects(w) -> None:
    """Objects of another pair, cohort and program, to be named under this one's URLs."""
    today = timezone.localdate()
    w.other_goal = Goal.objects.create(
        match=w.other_pair,
        owner=w.other_pair.mentee,
        title="Someone else's goal",
        measure_kind="milestones",
        due_on=today + timedelta(days=30),
        status="agreed",
        created_by=w.dave,
    )
    w.other_milestone = Milestone.objects.create(
        goal=w.other_goal, title="Theirs", due_on=today + timedelta(days=3)
    )
    w.other_meeting = Meeting.objects.create(
        match=w.other_pair,
        organizer=w.dave,
        starts_at=timezone.now() + timedelta(days=3),
        agenda="Their meeting",
    )
    w.other_agreement = AgreementRevision.objects.create(
        match=w.other_pair, number=1, cadence_days=14, formats=["video"], created_by=w.dave
    )
    w.other_template = GoalTemplate.objects.create(program=w.other_program, title="Sales goal")
    sales = w.other_program.cohorts.get()
    w.sales_pair = make_pair(cohort=sales, status="proposed", published_at=None)
    w.sales_application = make_enrollment(
        cohort=sales, role="mentee", status=Enrollment.Status.APPLIED
    )
    w.sales_import, _ = enrollment_file_preview(
        cohort=sales,
        data=f"email,role\n{w.outsider.email},mentor\n".encode(),
        filename="sales.csv",
        user=w.other_admin,
    )
    w.request_to_charlie = MentorRequest.objects.create(
        cohort=w.cohort,
        mentee=w.erin_enrollment,
        mentor=w.other_pair.mentor,
        rank=2,
        status=MentorRequest.Status.QUEUED,
    )


# A foreign id in a form may be refused with a message instead of a 404 (the form's own
# page or a redirect to it): the id names nothing the user may act on, and nothing changes.
NOT_FOUND, REFUSED = {404}, {404, 200, 302, 400, 409}


def test_an_object_named_under_another_parent_is_refused(client, world):
    """A member of one pair or the admin of one program, naming an object of another pair,
    program or cohort under their own URL gets 404; in a form, 404 or a refusal. Nothing
    changes."""
    w = world
    foreign_objects(w)
    pair, goal = w.pair.pk, w.goal.pk
    cohort, program = w.cohort.slug, w.program.slug
    goal_url = lambda name, *rest: reverse(name, args=[pair, *rest])  # noqa: E731
    as_member = [
        ("GET", goal_url("goals:goal", w.other_goal.pk), None, NOT_FOUND),
        ("POST", goal_url("goals:goal_status", w.other_goal.pk), {"to": "paused"}, NOT_FOUND),
        ("POST", goal_url("goals:goal_progress", w.other_goal.pk), {"note": "x"}, NOT_FOUND),
        (
            "POST",
            goal_url("goals:milestone_toggle", goal, w.other_milestone.pk),
            {"done": "1"},
            NOT_FOUND,
        ),
        ("GET", goal_url("goals:meeting", w.other_meeting.pk), None, NOT_FOUND),
        ("POST", goal_url("goals:meeting_cancel", w.other_meeting.pk), {}, NOT_FOUND),
        ("POST", goal_url("goals:private_note", w.other_meeting.pk), {"text": "x"}, NOT_FOUND),
        (
            "POST",
            goal_url("goals:agreement_confirm"),
            {"revision": w.other_agreement.pk},
            NOT_FOUND,
        ),
        ("GET", goal_url("goals:goal_new") + f"?template={w.other_template.pk}", None, NOT_FOUND),
        (
            "POST",
            reverse("matching:my_match", args=[w.alice_enrollment.pk]),
            {"match": w.other_pair.pk, "reason": "x"},
            NOT_FOUND,
        ),
    ]
    as_mentor = [
        (
            "POST",
            reverse("requests:decide", args=[w.bob_enrollment.pk, w.request_to_charlie.pk]),
            {"action": "decline"},
            REFUSED,
        ),
    ]
    board = lambda name, *rest: reverse(name, args=[cohort, *rest])  # noqa: E731
    as_admin = [
        (
            "POST",
            reverse("goals:goal_template_active", args=[program, w.other_template.pk]),
            {"active": "0"},
            NOT_FOUND,
        ),
        (
            "GET",
            reverse("goals:goal_template_edit", args=[program, w.other_template.pk]),
            None,
            NOT_FOUND,
        ),
        ("GET", board("programs:enroll_preview", w.sales_import.pk), None, NOT_FOUND),
        ("POST", board("programs:enroll_preview", w.sales_import.pk), {"confirm": "1"}, NOT_FOUND),
        ("POST", board("matching:end", w.sales_pair.pk), {"reason": "x"}, NOT_FOUND),
        ("GET", board("matching:move", w.sales_pair.pk), None, NOT_FOUND),
        (
            "POST",
            board("matching:pair"),
            {
                "action": "exclude",
                "mentee": w.sales_pair.mentee.pk,
                "mentor": w.sales_pair.mentor.pk,
            },
            NOT_FOUND,
        ),
        (
            "POST",
            board("matching:move", w.draft.pk),
            {"mentor": w.sales_pair.mentor.pk, "confirm": "yes"},
            REFUSED,
        ),
        (
            "POST",
            reverse("programs:cohort_applications", args=[w.open_cohort.slug]),
            {"decide": f"accept-{w.sales_application.pk}"},
            REFUSED,
        ),
    ]
    before = snapshot()
    wrong = []
    for user, requests in ((w.alice, as_member), (w.bob, as_mentor), (w.admin, as_admin)):
        client.force_login(user)
        for method, path, data, answers in requests:
            response = client.post(path, data) if method == "POST" else client.get(path)
            if response.status_code not in answers:
                wrong.append(f"{method} {path} as {user}: {response.status_code}")
    assert snapshot_diff(before, snapshot()) == []
    assert wrong == [], "\n".join(wrong)
