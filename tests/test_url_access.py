"""Every URL pattern of the project, walked: none is reachable without a login or a role check
except the public ones listed (and commented) below.

The walk reads the resolver (ours, allauth's and the admin's). Each pattern must be in URLS
(or, for the admin's model pages, its model in ADMIN_MODELS) with its access scope and how to
fill its parameters from the objects of tests/access_world.py; a pattern this test does not
know fails it, naming the pattern, so a new page is classified on purpose when it is added.

Asserted, for GET and POST of every pattern:
- anonymous: a redirect to sign in, or 404 (405 for a method the view refuses before looking
  at anything); never 200, and no row of the product changes;
- a signed-in employee with no relation to the objects: 404 on every page that is not public
  or about themselves (the admin site: sent to its sign-in, which refuses non-staff);
- HR: 404 on every page of a pair and of a participant's own enrolment (HR sees aggregates);
- the admin of another program: 404 on every page of this program, its pairs and enrolments;
- this program's admin: 404 on its pairs' pages, participants' own pages and HR's;
- no page any of them can open shows a word written in the pair (shared or private);
- every response carries a Content-Security-Policy, and Cache-Control no-store when signed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from goals.models import CalendarFeed
from tests.access_world import (
    ALICE_PRIVATE,
    BOB_PRIVATE,
    SHARED,
    body_of,
    module_world,
    snapshot,
    snapshot_diff,
)

pytestmark = pytest.mark.django_db

# --- Scopes: who may reach a pattern ---------------------------------------------------------
PUBLIC = "public"  # anyone, signed in or not (each one says why below)
TOKEN = "token"  # anyone holding the secret token in the URL; a forged token is a 404
SELF = "self"  # any signed-in person, about themselves only (their settings, their lists)
EMPLOYEES = "employees"  # any signed-in employee: programs and cohorts open to applications
PAIR = "pair"  # the two members of the pair only
ENROLLMENT = "enrollment"  # the enrolled person only
PROGRAM = "program"  # this program's admins, HR and staff
MANAGERS = "managers"  # program admins, HR and staff, each scoped to their own programs
HR = "hr"  # HR and staff
ADMIN_SITE = "admin"  # Django's admin: staff with TOTP

# Who gets 404 on each scope, besides the anonymous (who never gets a 200).
OUTSIDER_404 = {PAIR, ENROLLMENT, PROGRAM, MANAGERS, HR}
HR_404 = {PAIR, ENROLLMENT}
ADMIN_404 = {PAIR, ENROLLMENT, HR}
OTHER_ADMIN_404 = {PAIR, ENROLLMENT, PROGRAM, HR}


@dataclass(frozen=True)
class Fixed:
    """A literal URL parameter (not an object of the world)."""

    value: str


# URL name (or "route:<route>" for unnamed patterns) -> (scope, {kwarg: world attribute}).
# A world attribute gives its .slug for <slug>, its .pk for the others.
# (Static files are public too; WhiteNoise serves them before URL resolution, so they are
# no pattern here.)
URLS: dict[str, tuple[str, dict]] = {
    # Health check for the load balancer: no data.
    "healthz": (PUBLIC, {}),
    # A redirect to the static favicon.
    "route:favicon.ico": (PUBLIC, {}),
    # --- allauth: signing in, signing up, resetting a password, login by emailed code -------
    "account_login": (PUBLIC, {}),
    "account_signup": (PUBLIC, {}),  # only for addresses the directory knows (adapter)
    "account_logout": (PUBLIC, {}),  # signing out hurts no one
    "account_inactive": (PUBLIC, {}),  # static text
    "account_email_verification_sent": (PUBLIC, {}),  # static text
    "account_reset_password": (PUBLIC, {}),
    "account_reset_password_done": (PUBLIC, {}),  # static text
    "account_reset_password_from_key": (PUBLIC, {"uidb36": Fixed("1"), "key": Fixed("x-y")}),
    "account_reset_password_from_key_done": (PUBLIC, {}),  # static text
    "account_request_login_code": (PUBLIC, {}),
    "account_confirm_login_code": (PUBLIC, {}),  # needs a login in progress, else to login
    "mfa_authenticate": (PUBLIC, {}),  # the second step of a login in progress
    # Single sign-on (OpenID Connect): the login flow and its outcomes.
    "socialaccount_login_cancelled": (PUBLIC, {}),
    "socialaccount_login_error": (PUBLIC, {}),
    "socialaccount_signup": (PUBLIC, {}),  # needs an SSO login in progress
    "route:accounts/social/login/cancelled/": (PUBLIC, {}),  # allauth's old addresses
    "route:accounts/social/login/error/": (PUBLIC, {}),
    "route:accounts/social/signup/": (PUBLIC, {}),
    "route:accounts/social/connections/": (PUBLIC, {}),  # redirect to the page below
    "openid_connect_login": (PUBLIC, {"provider_id": Fixed("company")}),
    "openid_connect_callback": (PUBLIC, {"provider_id": Fixed("company")}),
    # --- allauth: a signed-in person's own account -------------------------------------------
    "account_reauthenticate": (SELF, {}),
    "account_email": (SELF, {}),
    "account_change_password": (SELF, {}),
    "account_set_password": (SELF, {}),
    "mfa_index": (SELF, {}),
    "mfa_reauthenticate": (SELF, {}),
    "mfa_activate_totp": (SELF, {}),
    "mfa_deactivate_totp": (SELF, {}),
    "mfa_view_recovery_codes": (SELF, {}),
    "mfa_generate_recovery_codes": (SELF, {}),
    "mfa_download_recovery_codes": (SELF, {}),
    "socialaccount_connections": (SELF, {}),
    # --- mentorship --------------------------------------------------------------------------
    "home": (SELF, {}),
    "notifications:settings": (SELF, {}),
    # The signed token in an email's unsubscribe link is the credential (RFC 8058 one-click).
    "notifications:unsubscribe": (TOKEN, {"token": Fixed("forged-token")}),
    # --- people ------------------------------------------------------------------------------
    "people:directory": (HR, {}),
    "people:import_upload": (HR, {}),
    "people:import_preview": (HR, {"pk": "directory_import"}),
    # --- programs ----------------------------------------------------------------------------
    "programs:program_list": (SELF, {}),
    "programs:program_detail": (EMPLOYEES, {"slug": "program"}),
    "programs:cohort_apply": (EMPLOYEES, {"slug": "open_cohort"}),
    "programs:intake": (ENROLLMENT, {"pk": "alice_enrollment"}),
    "programs:withdraw": (ENROLLMENT, {"pk": "alice_enrollment"}),
    "programs:program_create": (HR, {}),
    "programs:program_manage": (PROGRAM, {"slug": "program"}),
    "programs:program_edit": (PROGRAM, {"slug": "program"}),
    "programs:program_topics": (PROGRAM, {"slug": "program"}),
    "programs:cohort_create": (PROGRAM, {"slug": "program"}),
    "programs:cohort_dashboard": (PROGRAM, {"slug": "cohort"}),
    "programs:cohort_edit": (PROGRAM, {"slug": "cohort"}),
    "programs:cohort_enroll": (PROGRAM, {"slug": "cohort"}),
    "programs:cohort_applications": (PROGRAM, {"slug": "open_cohort"}),
    "programs:enroll_upload": (PROGRAM, {"slug": "cohort"}),
    "programs:enroll_preview": (PROGRAM, {"slug": "cohort", "pk": "enrollment_import"}),
    # --- matching ----------------------------------------------------------------------------
    "matching:board": (PROGRAM, {"slug": "cohort"}),
    "matching:run": (PROGRAM, {"slug": "cohort"}),
    "matching:requests": (PROGRAM, {"slug": "cohort"}),
    "matching:pair": (PROGRAM, {"slug": "cohort"}),
    "matching:publish": (PROGRAM, {"slug": "cohort"}),
    "matching:end": (PROGRAM, {"slug": "cohort", "pk": "pair"}),
    "matching:move": (PROGRAM, {"slug": "cohort", "pk": "draft"}),
    "matching:my_match": (ENROLLMENT, {"pk": "alice_enrollment"}),
    "requests:choose": (ENROLLMENT, {"pk": "erin_enrollment"}),
    "requests:incoming": (ENROLLMENT, {"pk": "bob_enrollment"}),
    "requests:decide": (ENROLLMENT, {"pk": "bob_enrollment", "request_pk": "mentor_request"}),
    # --- goals: the pair's workspace ---------------------------------------------------------
    "goals:pair_list": (SELF, {}),
    "goals:pair": (PAIR, {"pk": "pair"}),
    "goals:agreement": (PAIR, {"pk": "pair"}),
    "goals:agreement_confirm": (PAIR, {"pk": "pair"}),
    "goals:cohort_pairs": (PROGRAM, {"slug": "cohort"}),
    "goals:goal_list": (PAIR, {"pk": "pair"}),
    "goals:goal_new": (PAIR, {"pk": "pair"}),
    "goals:goal_check": (PAIR, {"pk": "pair"}),
    "goals:goal": (PAIR, {"pk": "pair", "goal_pk": "goal"}),
    "goals:goal_edit": (PAIR, {"pk": "pair", "goal_pk": "goal"}),
    "goals:goal_decide": (PAIR, {"pk": "pair", "goal_pk": "goal"}),
    "goals:goal_status": (PAIR, {"pk": "pair", "goal_pk": "goal"}),
    "goals:goal_progress": (PAIR, {"pk": "pair", "goal_pk": "goal"}),
    "goals:milestone_toggle": (
        PAIR,
        {"pk": "pair", "goal_pk": "goal", "milestone_pk": "milestone"},
    ),
    "goals:goal_templates": (PROGRAM, {"slug": "program"}),
    "goals:goal_template_new": (PROGRAM, {"slug": "program"}),
    "goals:goal_template_edit": (PROGRAM, {"slug": "program", "template_pk": "template"}),
    "goals:goal_template_active": (PROGRAM, {"slug": "program", "template_pk": "template"}),
    "goals:meeting_list": (PAIR, {"pk": "pair"}),
    "goals:meeting_new": (PAIR, {"pk": "pair"}),
    "goals:meeting": (PAIR, {"pk": "pair", "meeting_pk": "meeting"}),
    "goals:meeting_edit": (PAIR, {"pk": "pair", "meeting_pk": "next_meeting"}),
    "goals:meeting_cancel": (PAIR, {"pk": "pair", "meeting_pk": "next_meeting"}),
    "goals:meeting_ics": (PAIR, {"pk": "pair", "meeting_pk": "meeting"}),
    "goals:check_in": (PAIR, {"pk": "pair", "meeting_pk": "meeting"}),
    "goals:check_in_review": (PAIR, {"pk": "pair", "meeting_pk": "meeting"}),
    "goals:private_note": (PAIR, {"pk": "pair", "meeting_pk": "meeting"}),
    "goals:review_inbox": (SELF, {}),
    "goals:calendar": (SELF, {}),
    "goals:calendar_reset": (SELF, {}),
    # The feed's secret token is the credential: calendar apps cannot sign in.
    "goals:calendar_feed": (TOKEN, {"token": Fixed("forged-token")}),
    # --- reports -----------------------------------------------------------------------------
    "reports:engagement": (MANAGERS, {}),
    "reports:engagement_program": (PROGRAM, {"slug": "program"}),
    "reports:retention": (MANAGERS, {}),
    "reports:retention_csv": (MANAGERS, {}),
    "report_exports:participants_csv": (HR, {}),
    "report_exports:participants_xlsx": (HR, {}),
    # --- privacy: a person's data, exported or erased by HR -----------------------------------
    "privacy:person": (HR, {"pk": "alice"}),
    "privacy:export": (HR, {"pk": "alice"}),
    "privacy:erase": (HR, {"pk": "alice"}),
    # --- Django's admin, besides its model pages (ADMIN_MODELS) ------------------------------
    "admin:index": (ADMIN_SITE, {}),
    "admin:login": (ADMIN_SITE, {}),  # allauth's: anonymous to sign in, non-staff 403
    "admin:logout": (PUBLIC, {}),  # signing out hurts no one
    "admin:password_change": (ADMIN_SITE, {}),
    "admin:password_change_done": (ADMIN_SITE, {}),
    "admin:autocomplete": (ADMIN_SITE, {}),
    "admin:jsi18n": (ADMIN_SITE, {}),
    "admin:view_on_site": (
        ADMIN_SITE,
        {"content_type_id": Fixed("1"), "object_id": Fixed("1")},
    ),
    "admin:app_list": (ADMIN_SITE, {"app_label": Fixed("people")}),
    "route:admin/(?P<url>.*)$": (ADMIN_SITE, {"url": Fixed("nothing/here/")}),
}

# Patterns of apps not installed yet but known here before they land (none now).
OPTIONAL: set[str] = set()

# Models registered in Django's admin; their pages (changelist, add, change, delete, history,
# the user's password) are ADMIN_SITE, filled with the pk of one of their rows.
ADMIN_MODELS = {
    "auth.group",
    "account.emailaddress",
    "mfa.authenticator",
    "socialaccount.socialapp",
    "socialaccount.socialtoken",
    "socialaccount.socialaccount",
    "mentorship.notification",
    "mentorship.notificationoptout",
    "mentorship.auditevent",  # the audit log: staff read it, nobody edits it
    "people.user",
    "people.directoryimport",
    "programs.program",
    "programs.topic",
    "programs.cohort",
    "programs.enrollment",
}

# POSTed to every pattern: what a form of this project would need to change something.
POST_DATA = {
    "action": "accept",
    "confirm": "1",
    "decide": "accept",
    "comment": "hijacked",
    "text": "hijacked",
    "reason": "hijacked",
    "name": "Hijacked",
    "title": "Hijacked",
    "to_status": "dropped",
    "status": "done",
    "usefulness": "1",
    "discussed": "hijacked",
}


@dataclass(frozen=True)
class Walked:
    key: str
    scope: str
    path: str


def _patterns(resolver=None, prefix="", namespace="", params=frozenset()):
    """(key, route, parameters, pattern) of every URL pattern, depth first."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        names = params | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from _patterns(entry, route, ns, names)
        else:
            assert isinstance(entry, URLPattern)
            key = f"{namespace}{entry.name}" if entry.name else f"route:{route}"
            yield key, route, names, entry


def _admin_model(route: str):
    """The registered model whose admin pages ``route`` belongs to, or None."""
    for model in admin.site._registry:
        if route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def _value(world, kwarg: str, source):
    if isinstance(source, Fixed):
        return source.value
    obj = getattr(world, source)
    return obj.slug if kwarg == "slug" else obj.pk


def walk(world) -> tuple[list[Walked], list[str]]:
    """Every pattern with its scope and a concrete path; and the problems (unknown patterns,
    parameters the mapping does not fill, mapping entries no pattern has)."""
    walked, problems, seen = [], [], set()
    for key, route, params, pattern in _patterns():
        model = _admin_model(route) if key.startswith(("admin:", "route:admin/")) else None
        if model is not None:
            if model._meta.label_lower not in ADMIN_MODELS:
                problems.append(
                    f"admin model {model._meta.label_lower} ({route}) is not in ADMIN_MODELS"
                )
                continue
            row = model.objects.order_by("pk").first()
            value = str(row.pk if row else 1)
            kwargs = dict.fromkeys(params, value)
            scope = ADMIN_SITE
        elif key not in URLS:
            problems.append(f"{key} ({route}) is not in URLS: classify it and say how to fill it")
            continue
        else:
            seen.add(key)
            scope, sources = URLS[key]
            if set(sources) != params:
                problems.append(
                    f"{key} ({route}) takes {sorted(params)}, URLS fills {sorted(sources)}"
                )
                continue
            kwargs = {name: _value(world, name, source) for name, source in sources.items()}
        if pattern.name:
            path = reverse(key.removeprefix("route:"), kwargs=kwargs)
        else:
            path = "/" + _fill(route, kwargs)
        walked.append(Walked(key, scope, path))
    stale = set(URLS) - seen - OPTIONAL
    problems += [f"{key} is in URLS but no pattern has it" for key in sorted(stale)]
    return walked, problems


def _fill(route: str, kwargs: dict) -> str:
    """A path for an unnamed pattern (regex routes: the admin's catch-all)."""
    for name, value in kwargs.items():
        route = route.replace(f"(?P<{name}>.*)", value).replace(f"<path:{name}>", value)
    return route.replace("^", "").replace("$", "")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


def _to_login(response) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(
        (reverse("account_login"), reverse("admin:login"))
    )


def _response_problems(response, item: Walked, signed_in: bool) -> list[str]:
    """Headers every response carries, and no text of the pair in it: none of the walkers
    (anonymous, an outsider, HR, program admins) is a member of the pair."""
    body = body_of(response)
    problems = [
        f"{item.key} {item.path} shows {text}"
        for text in (SHARED, ALICE_PRIVATE, BOB_PRIVATE)
        if text in body
    ]
    if "Content-Security-Policy" not in response:
        problems.append(f"{item.key} {item.path}: no Content-Security-Policy")
    if signed_in and "no-store" not in response.get("Cache-Control", ""):
        cache = response.get("Cache-Control")
        problems.append(f"{item.key} {item.path}: Cache-Control {cache!r} when signed in")
    return problems


def test_every_pattern_is_classified_and_fillable(world):
    walked, problems = walk(world)
    assert problems == [], "\n".join(problems)
    assert len(walked) > 150  # ours, allauth's and the admin's


def test_anonymous_gets_only_sign_in_or_404_and_changes_nothing(client, world):
    walked, problems = walk(world)
    assert problems == [], "\n".join(problems)
    before = snapshot()
    wrong = []
    for item in walked:
        for method in ("get", "post"):
            response = getattr(client, method)(item.path, POST_DATA if method == "post" else None)
            wrong += _response_problems(response, item, signed_in=False)
            status = response.status_code
            if status >= 500:
                wrong.append(f"{method.upper()} {item.key} {item.path}: {status}")
            if item.scope in (PUBLIC,):
                continue
            if item.scope == TOKEN:
                if status not in (404, 405):
                    wrong.append(f"{method.upper()} {item.key} forged token: {status}")
                continue
            if not (_to_login(response) or status in (404, 405)):
                where = response.get("Location", "")
                wrong.append(f"{method.upper()} {item.key} {item.path}: {status} {where}")
    assert wrong == [], "\n".join(wrong)
    assert snapshot_diff(before, snapshot()) == []


def _signed_in_walk(client, world, user, refused_scopes: set[str], *, admin_site=False):
    """GET every page (headers, no server error, no text of the pair); GET and POST every
    pattern of a refused scope, expecting 404 (405 for a method the view refuses first); with
    ``admin_site``, GET and POST the admin site's too. Nothing may change."""
    client.force_login(user)
    # The calendar settings page makes the person's feed on first sight: theirs, not a change.
    CalendarFeed.objects.get_or_create(person=user)
    walked, problems = walk(world)
    assert problems == [], "\n".join(problems)
    before = snapshot()
    wrong = []
    for item in walked:
        if item.key in ("account_logout", "admin:logout"):
            continue  # would end the session the walk goes on with
        if item.scope == ADMIN_SITE:
            if admin_site:
                wrong += _admin_site_problems(client, item)
            continue
        response = client.get(item.path)
        wrong += _response_problems(response, item, signed_in=True)
        if response.status_code >= 500:
            wrong.append(f"GET {item.key} {item.path}: {response.status_code}")
        if item.scope not in refused_scopes:
            continue
        if response.status_code not in (404, 405):
            wrong.append(f"GET {item.key} {item.path}: {response.status_code}, not 404")
        # htmx asks for a fragment of the same page: the same check comes first.
        response = client.get(item.path, headers={"HX-Request": "true"})
        if response.status_code not in (404, 405):
            wrong.append(f"htmx GET {item.key} {item.path}: {response.status_code}, not 404")
        response = client.post(item.path, POST_DATA)
        wrong += _response_problems(response, item, signed_in=True)
        if response.status_code not in (404, 405):
            wrong.append(f"POST {item.key} {item.path}: {response.status_code}, not 404")
    return wrong + snapshot_diff(before, snapshot())


def _admin_site_problems(client, item: Walked) -> list[str]:
    """Django's admin sends a signed-in non-staff person to its sign-in page, which refuses
    them with 403 (tests/accounts/test_admin_login.py); never a 200."""
    wrong = []
    response = client.get(item.path)
    wrong += _response_problems(response, item, signed_in=True)
    ok = response.status_code in (403, 404) or (
        response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    )
    if not ok:
        wrong.append(f"GET {item.key} {item.path}: {response.status_code}")
    response = client.post(item.path, POST_DATA)
    if response.status_code not in (302, 403, 404, 405):
        wrong.append(f"POST {item.key} {item.path}: {response.status_code}")
    return wrong


def test_an_employee_with_no_relation_gets_404_on_every_page_not_their_own(client, world):
    wrong = _signed_in_walk(client, world, world.outsider, OUTSIDER_404, admin_site=True)
    assert wrong == [], "\n".join(wrong)


def test_hr_gets_404_on_pair_and_enrollment_pages_and_sees_no_text_of_a_pair(client, world):
    wrong = _signed_in_walk(client, world, world.hr, HR_404)
    assert wrong == [], "\n".join(wrong)


def test_the_admin_of_another_program_gets_404_on_this_programs_pages(client, world):
    wrong = _signed_in_walk(client, world, world.other_admin, OTHER_ADMIN_404)
    assert wrong == [], "\n".join(wrong)


def test_this_programs_admin_sees_no_text_of_a_pair_on_any_page(client, world):
    """Program admins see that meetings and check-ins happened, never what was written."""
    wrong = _signed_in_walk(client, world, world.admin, ADMIN_404)
    assert wrong == [], "\n".join(wrong)


def test_the_tokens_open_their_public_pages_to_anonymous_visitors(client, world):
    feed = client.get(reverse("goals:calendar_feed", kwargs={"token": world.feed.token}))
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    # Whoever holds the link reads the meetings' shared details, never a private note.
    assert SHARED in body_of(feed)
    assert ALICE_PRIVATE not in body_of(feed)
    assert BOB_PRIVATE not in body_of(feed)
    assert "Content-Security-Policy" in feed
    page = client.get(reverse("notifications:unsubscribe", args=[world.unsubscribe_token]))
    assert page.status_code == 200
    assert world.alice.email in page.content.decode()


def test_employees_reach_only_programs_and_cohorts_open_to_them(client, world):
    """The pages open to every employee (EMPLOYEES) are open only while a cohort takes
    applications: a program with none is a 404, and applying to a closed cohort writes
    nothing (while applying to an open one does)."""
    client.force_login(world.outsider)
    sales = world.other_program
    assert client.get(reverse("programs:program_detail", args=[sales.slug])).status_code == 404
    closed = sales.cohorts.get()
    apply = {"role": "mentee"}
    assert (
        client.post(reverse("programs:cohort_apply", args=[closed.slug]), apply).status_code == 404
    )
    before = snapshot()
    client.post(reverse("programs:cohort_apply", args=[world.cohort.slug]), apply)
    assert snapshot_diff(before, snapshot()) == []
    client.post(reverse("programs:cohort_apply", args=[world.open_cohort.slug]), apply)
    assert world.open_cohort.enrollments.filter(person=world.outsider).exists()


# POSTs accepted without a CSRF token, and why.
CSRF_EXEMPT = {
    # The signed token is the credential; mail clients POST it with no form (RFC 8058).
    "notifications:unsubscribe",
}


def test_every_post_needs_a_csrf_token(world):
    """A signed-in person's browser, POSTing from another site (no CSRF token), is refused
    on every pattern before anything is done; the two upload pages check the token in the
    view (after the size check) and refuse too."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hr)  # HR reaches the directory upload; the admin below
    walked, problems = walk(world)
    assert problems == [], "\n".join(problems)
    before = snapshot()
    wrong = []
    for item in walked:
        if item.key in CSRF_EXEMPT:
            continue
        if item.key == "programs:enroll_upload":
            client.force_login(world.admin)
        response = client.post(item.path, POST_DATA)
        if response.status_code != 403:
            wrong.append(f"POST {item.key} {item.path}: {response.status_code}")
        if item.key == "programs:enroll_upload":
            client.force_login(world.hr)
    assert wrong == [], "\n".join(wrong)
    assert snapshot_diff(before, snapshot()) == []
