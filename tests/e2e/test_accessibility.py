"""Accessibility in Chromium: every main page, for each role, checked with axe-core.

axe-core is the npm package (package.json, installed into node_modules/ by `make test`). It is
injected into each page with ``page.evaluate``, which runs in the page but outside its Content
Security Policy; a <script> tag with the same source inline would be blocked by the policy
(no 'unsafe-inline'), as a test below shows. A page passes when axe finds no violation of
impact "serious" or "critical"; a failure lists every such violation of every page visited,
with the rule, its impact, the elements (CSS selectors) and what to fix.

One test a role, each in one browser context, visits the role's pages (forms also with their
errors shown) and checks there that errors and help are tied to their fields (forms) and that
the charts have a name and their numbers as a table (reports). Another test signs in and
drafts a goal with the keyboard alone, the focus visible all the way.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import CheckIn, Goal, Meeting, Milestone
from matching.models import Match
from mentorship import outbox
from tests.conftest import activate_totp, make_user
from tests.e2e.conftest import sign_in
from tests.goals.fixtures import make_pair
from tests.goals.goals_factories import make_goal
from tests.programs.fixtures import make_cohort, make_enrollment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

# Runs axe on the whole document and returns its violations, reduced to what a report needs.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""

# htmx requests the page started have been swapped in, and transitions (a pending request is
# shown faded) have ended: axe judges colours as they are on screen.
SETTLED = """() =>
  !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
  && document.getAnimations().every(a => a.playState !== "running")"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core is not installed: {AXE_JS} is missing. Run `npm ci` in the repository "
            "(`make test` does it), with package.json and package-lock.json.",
            pytrace=False,
        )
    return AXE_JS.read_text(encoding="utf-8")


class Axe:
    """Checks the pages one user sees, and reports all serious and critical violations at
    the end, so one run shows everything to fix rather than the first page's problems."""

    def __init__(self, page, source: str):
        self.page = page
        self.source = source
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        page.wait_for_function(SETTLED)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        violations = [v for v in page.evaluate(RUN_AXE) if v["impact"] in FAILING_IMPACTS]
        self.checked.append(name)
        for v in violations:
            lines = [f"{name} ({page.url}): [{v['impact']}] {v['id']}: {v['help']}"]
            for node in v["nodes"][:8]:
                summary = " ".join(node["summary"].split())[:300]
                lines.append(f"    {node['target']}  -- {summary}")
            if len(v["nodes"]) > 8:
                lines.append(f"    ... and {len(v['nodes']) - 8} more elements")
            lines.append(f"    {v['helpUrl']}")
            self.problems.append("\n".join(lines))

    def visit(self, name: str, url: str, *, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response.status == status, f"{name}: {url} answered {response.status}"
        self.check(name)

    def assert_clean(self) -> None:
        assert not self.problems, (
            f"axe found {len(self.problems)} serious or critical problems on "
            f"{len(self.checked)} pages checked:\n" + "\n".join(self.problems)
        )
        # A 404 page's own response is logged as a failed load; anything else is a bug.
        errors = [e for e in self.page.console_errors if "status of 404" not in e]
        assert errors == []


@pytest.fixture
def axe(page, axe_source) -> Axe:
    return Axe(page, axe_source)


# --- The world the pages show ----------------------------------------------------------------


@pytest.fixture
def world(program_admin, program, running_cohort, cohort, alice, bob, hr_user):
    """A running cohort with Alice and Bob's pair (an agreed goal, a goal waiting for Bob, a
    check-in waiting for his review, a meeting held without a check-in, one coming), other
    pairs with meetings for the reports, and an open cohort with people to match, Alice among
    them."""
    pair = make_pair(cohort=running_cohort, mentee=alice, mentor=bob)
    make_goal(pair, milestones=["Pick a topic", "Write slides"])
    proposed = make_goal(pair, title="Lead a design review", status=Goal.Status.PROPOSED)
    now = timezone.now()
    reviewed = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=now - timedelta(days=9), timezone="Europe/Paris"
    )
    CheckIn.objects.create(
        meeting=reviewed, match=pair, author=alice, discussed="Talk outline.", usefulness=4
    )
    held = Meeting.objects.create(
        match=pair, organizer=alice, starts_at=now - timedelta(days=2), timezone="Europe/Paris"
    )
    Meeting.objects.create(
        match=pair, organizer=bob, starts_at=now + timedelta(days=5), timezone="Europe/Paris"
    )
    for i in range(5):
        other = make_pair(cohort=running_cohort, published_at=now - timedelta(days=30))
        for k in range(i):
            Meeting.objects.create(
                match=other, starts_at=now - timedelta(days=3 + 4 * k), timezone="UTC"
            )
    for _ in range(3):
        make_enrollment(cohort=cohort, role="mentor", capacity=2)
        make_enrollment(cohort=cohort, role="mentee")
    make_enrollment(cohort=cohort, role="mentee", status="applied")  # for the admin to decide
    # Alice is also a mentee of the open cohort, with her intake to fill in, and of a cohort
    # where mentees ask mentors (Bob among them) themselves.
    intake = make_enrollment(cohort=cohort, person=alice, role="mentee")
    self_select = make_cohort(program=program, phase="open", matching_mode="self_select")
    chooser = make_enrollment(cohort=self_select, person=alice, role="mentee")
    asked = make_enrollment(cohort=self_select, person=bob, role="mentor", capacity=2)
    make_enrollment(cohort=self_select, role="mentor", capacity=2)
    return {
        "pair": pair,
        "proposed": proposed,
        "held": held,
        "reviewed": reviewed,
        "intake": intake,
        "chooser": chooser,
        "asked": asked,
    }


# --- axe, page by page, one role at a time ----------------------------------------------------


def test_axe_runs_under_the_csp_and_finds_problems(axe, page, live_server):
    """The pages forbid inline scripts: a script tag with axe's source would be refused, so
    axe goes in with page.evaluate. And it does find problems: an input without a label and
    grey-on-grey text, put into the login page, are reported."""
    page.goto("/accounts/login/")
    with pytest.raises(Exception, match=r"(?i)content security policy|refused"):
        page.add_script_tag(content="window.inlineRan = true;")
    assert page.evaluate("() => window.inlineRan === undefined")
    page.console_errors.clear()  # the browser logs the refusal above as an error, on purpose
    axe.check("login")
    assert axe.problems == []
    page.evaluate("""() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend", '<input type="text" name="nameless"><p>faint</p>');
      main.lastElementChild.style.color = "#bbb";  // the CSP refuses style attributes
    }""")
    axe.check("login, spoilt")
    report = "\n".join(axe.problems)
    assert "[critical] label:" in report
    assert "[serious] color-contrast:" in report


def test_pages_without_signing_in(axe, page, live_server):
    user = make_user()
    axe.visit("login", "/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.locator(".errorlist, [role=alert]").first.wait_for()
    axe.check("login with an error")
    axe.visit("login by code", "/accounts/login/code/")
    token = outbox.unsubscribe_token(user.pk, "meeting_reminder")
    axe.visit("unsubscribe", f"/unsubscribe/{token}/")
    page.get_by_role("button", name="Unsubscribe").first.click()
    axe.check("unsubscribed")
    axe.visit("unsubscribe, bad link", "/unsubscribe/not-a-token/", status=404)
    axe.visit("404 anonymous", "/no-such-page/", status=404)
    axe.assert_clean()


def test_mentee_pages(axe, page, world, alice):
    pair = world["pair"]
    sign_in(page, alice)
    axe.check("home (mentee)")
    axe.visit("my mentoring", "/pairs/")
    axe.visit("pair page", f"/pairs/{pair.pk}/")
    axe.visit("agreement", f"/pairs/{pair.pk}/agreement/")
    axe.visit("goals", f"/pairs/{pair.pk}/goals/")
    goal = Goal.objects.filter(match=pair, status=Goal.Status.AGREED).get()
    axe.visit("goal page", f"/pairs/{pair.pk}/goals/{goal.pk}/")

    axe.visit("goal form", f"/pairs/{pair.pk}/goals/new/")
    assert form_problems(page, "goal form") == 0
    page.get_by_role("button", name="Send to Bob").click()
    page.locator(".errorlist").first.wait_for()
    axe.check("goal form with errors")
    assert form_problems(page, "goal form with errors") >= 2
    assert_described(page, page.get_by_label("Where you start (baseline)"), "baseline")

    axe.visit("meetings", f"/pairs/{pair.pk}/meetings/")
    axe.visit("meeting form", f"/pairs/{pair.pk}/meetings/new/")
    page.get_by_label("Date").fill("")
    page.get_by_role("button", name="Schedule and send invitations").click()
    page.locator(".errorlist").first.wait_for()
    axe.check("meeting form with errors")
    assert form_problems(page, "meeting form with errors") >= 1
    assert_described(page, page.get_by_label("Date"), "date")

    held = world["held"]
    axe.visit("meeting page", f"/pairs/{pair.pk}/meetings/{held.pk}/")
    axe.visit("check-in form", f"/pairs/{pair.pk}/meetings/{held.pk}/check-in/")
    page.get_by_role("button", name="Save the check-in").click()
    page.locator(".errorlist").first.wait_for()
    axe.check("check-in form with errors")
    assert form_problems(page, "check-in form with errors") >= 1
    assert_described(page, page.get_by_label("What you discussed"), "discussed")

    axe.visit("programs", "/programs/")
    axe.visit("program", f"/programs/{pair.cohort.program.slug}/")
    axe.visit("intake form", f"/enrollments/{world['intake'].pk}/intake/")
    assert form_problems(page, "intake form") == 0
    axe.visit("withdraw", f"/enrollments/{world['intake'].pk}/withdraw/")
    axe.visit("choose a mentor", f"/enrollments/{world['chooser'].pk}/mentor/")
    axe.visit("my match", f"/enrollments/{pair.mentee.pk}/match/")
    axe.visit("calendar feed settings", "/calendar/")
    axe.visit("email settings", "/settings/email/")
    axe.visit("404 signed in", f"/pairs/{pair.pk + 1000}/", status=404)
    axe.assert_clean()


def test_mentor_pages(axe, page, world, bob):
    pair = world["pair"]
    sign_in(page, bob)
    axe.check("home (mentor)")
    axe.visit("review inbox", "/reviews/")
    axe.visit("pair page (mentor)", f"/pairs/{pair.pk}/")
    axe.visit("goal to decide", f"/pairs/{pair.pk}/goals/{world['proposed'].pk}/")
    axe.visit("check-in to review", f"/pairs/{pair.pk}/meetings/{world['reviewed'].pk}/")
    axe.visit("mentoring requests", f"/enrollments/{world['asked'].pk}/requests/")
    axe.assert_clean()


def test_program_admin_pages(axe, page, world, program_admin, program, running_cohort, cohort):
    sign_in(page, program_admin)
    axe.check("home (program admin)")
    axe.visit("program (manage)", f"/manage/programs/{program.slug}/")
    axe.visit("cohort dashboard", f"/manage/cohorts/{running_cohort.slug}/")
    axe.visit("cohort pairs", f"/manage/cohorts/{running_cohort.slug}/pairs/")
    axe.visit("matching board", f"/manage/cohorts/{cohort.slug}/matching/")
    page.get_by_role("button", name="Run matching").first.click()
    page.wait_for_load_state()
    axe.check("matching board with proposals")
    proposal = Match.objects.filter(cohort=cohort).first()
    axe.visit("move a mentee", f"/manage/cohorts/{cohort.slug}/matching/{proposal.pk}/move/")
    axe.visit("enrol from the directory", f"/manage/cohorts/{cohort.slug}/enroll/")
    axe.visit("applications", f"/manage/cohorts/{cohort.slug}/applications/")
    enrol_file = f"/manage/cohorts/{cohort.slug}/enroll/file/"
    axe.visit("enrol by file", enrol_file)
    upload(page, enrol_file, "Enrolment file", b"name;what\nx;y\n")
    axe.check("enrol by file with file errors")
    newcomer = make_user()
    upload(page, enrol_file, "Enrolment file", f"email,role\n{newcomer.email},mentee\n".encode())
    page.get_by_role("heading", name="To invite (1)").wait_for()
    axe.check("enrol by file preview")
    axe.visit("new cohort", f"/manage/programs/{program.slug}/cohorts/new/")
    page.get_by_role("button", name="Create cohort").click()
    page.locator(".errorlist").first.wait_for()
    axe.check("new cohort with errors")
    assert form_problems(page, "new cohort with errors") >= 1
    axe.visit("program form", f"/manage/programs/{program.slug}/edit/")
    assert form_problems(page, "program form") == 0
    axe.visit("topics", f"/manage/programs/{program.slug}/topics/")
    axe.visit("goal templates", f"/manage/programs/{program.slug}/goal-templates/")
    axe.visit("new goal template", f"/manage/programs/{program.slug}/goal-templates/new/")
    page.get_by_role("button", name="Add template").click()
    page.locator(".errorlist").first.wait_for()
    axe.check("new goal template with errors")
    assert form_problems(page, "new goal template with errors") >= 1
    axe.visit("engagement (program)", f"/reports/engagement/{program.slug}/")
    assert_week_chart_has_its_table(page)
    axe.visit("retention (program admin)", f"/reports/retention/?program={program.slug}")
    assert_survival_chart_has_its_table(page)
    axe.assert_clean()


def test_hr_pages(axe, page, world, hr_user, program, alice):
    sign_in(page, hr_user)
    axe.check("home (HR)")
    axe.visit("directory", "/directory/")
    axe.visit("directory import", "/directory/import/")
    assert form_problems(page, "directory import") == 0
    upload(page, "/directory/import/", "Directory file", b"")
    axe.check("directory import, an empty file")
    assert form_problems(page, "directory import, an empty file") == 1
    assert_described(page, page.get_by_label("Directory file"), "file", help_text=True)
    upload(page, "/directory/import/", "Directory file", b"who,what\n1,2\n")
    axe.check("directory import with file errors")
    header = "employee_id,email,first_name,last_name,department,level,manager_email,hire_date"
    bad = f"{header}\nE1,new.one@acme.example,New,One,Sales,two,,2021-13-01\n"
    upload(page, "/directory/import/", "Directory file", bad.encode())
    axe.check("directory import preview with row errors")
    good = f"{header}\nE1,new.one@acme.example,New,One,Sales,2,,2021-03-01\n"
    upload(page, "/directory/import/", "Directory file", good.encode())
    page.get_by_role("button", name="Confirm and import").wait_for()
    axe.check("directory import preview")
    axe.visit("engagement overview", "/reports/engagement/")
    axe.visit("retention", "/reports/retention/")
    axe.visit("retention with a date error", "/reports/retention/?as_of=2026-02-30")
    axe.visit("a person's data", reverse("privacy:person", args=[alice.pk]))
    axe.assert_clean()


def test_staff_pages(axe, page, world):
    staff = make_user(email="sam.staff@example.com", is_staff=True, is_superuser=True)
    activate_totp(staff)
    sign_in(page, staff)
    axe.check("home (staff)")
    axe.visit("admin", "/admin/")
    axe.visit("audit log", "/admin/mentorship/auditevent/")
    axe.visit("new program", "/manage/programs/new/")
    axe.assert_clean()


def upload(page, url: str, label: str, data: bytes) -> None:
    page.goto(url)
    page.get_by_label(label).set_input_files(
        files=[{"name": "file.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_load_state()


# --- Forms: labels, and errors and help tied to their fields ---------------------------------

# Problems with the labelling of the main form(s) of the page, as text; and how many error
# lists there are (so a test knows it looked at a form with errors).
FORM_PROBLEMS = r"""() => {
  const main = document.querySelector("main");
  const problems = [];
  const controls = [...main.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]), select, textarea")];
  for (const c of controls) {
    const labelled = (c.labels && [...c.labels].some(l => l.innerText.trim()))
      || c.getAttribute("aria-label") || c.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`${c.name}: no label`);
  }
  for (const e of main.querySelectorAll("[aria-describedby]")) {
    for (const id of e.getAttribute("aria-describedby").split(/\s+/).filter(Boolean)) {
      if (!document.getElementById(id)) problems.push(`${e.name || e.tagName}: no #${id}`);
    }
  }
  const describes = (el) => {
    const field = el.closest(".field");
    const owners = field ? [...field.querySelectorAll("input, select, textarea, fieldset")] : [];
    return el.id && owners.some(o =>
      (o.getAttribute("aria-describedby") || "").split(/\s+/).includes(el.id));
  };
  const lists = [...main.querySelectorAll(".field .errorlist")];
  for (const el of [...lists, ...main.querySelectorAll(".field .help")]) {
    if (!describes(el)) problems.push(`"${el.innerText.slice(0, 60)}" is not tied to its field`);
  }
  for (const field of main.querySelectorAll(".field-error")) {
    for (const c of field.querySelectorAll("input:not([type=hidden]), select, textarea")) {
      if (c.getAttribute("aria-invalid") !== "true") problems.push(`${c.name}: not aria-invalid`);
    }
  }
  return {problems, errorLists: lists.length};
}"""


def form_problems(page, name: str) -> int:
    """Asserts that the page's form controls are labelled and their errors and help tied to
    them; returns how many error lists the page shows."""
    result = page.evaluate(FORM_PROBLEMS)
    assert result["problems"] == [], f"{name}: {result['problems']}"
    return result["errorLists"]


def assert_described(page, control, name: str, *, help_text: bool = False) -> None:
    """The control is marked invalid and described by its error (and help) by Django's ids."""
    assert control.get_attribute("aria-invalid") == "true"
    ids = control.get_attribute("aria-describedby").split()
    assert f"id_{name}_error" in ids, ids
    assert not help_text or f"id_{name}_helptext" in ids, ids
    assert page.locator(f"#id_{name}_error li").first.inner_text().strip() != ""


# --- Charts: a text alternative --------------------------------------------------------------


def assert_week_chart_has_its_table(page) -> None:
    """The bar chart is an image named by its title, which points to the table next to it;
    the table has one row a bar, with the bar's number."""
    figure = page.locator("figure.week-chart").first
    assert figure.get_by_role("img", name="the table below has every week").count() == 1
    bars = figure.locator("rect.bar title").evaluate_all("ts => ts.map(t => t.textContent)")
    figure.get_by_text("The numbers as a table").click()
    rows = figure.locator("table tbody tr").all_inner_texts()
    assert len(rows) == len(bars) > 0
    for bar, row in zip(bars, rows, strict=True):
        meetings = row.split("\t")[-1].strip()
        assert f": {meetings} meeting" in bar, (bar, row)


def assert_survival_chart_has_its_table(page) -> None:
    """The survival chart, when drawn, is an image whose name points to the table below it;
    the table is there either way, one row a group."""
    figure = page.locator("figure.survival-chart")
    drawn = figure.locator("svg").count()
    assert figure.get_by_role("img", name="the table below has the numbers").count() == drawn
    assert figure.locator("svg:not([role=img])").count() == 0
    table = figure.get_by_role("table", name="Share still employed")
    assert table.locator("tbody tr").count() >= 1


# --- The keyboard alone ----------------------------------------------------------------------

# The focused element: its name as a screen reader would start to read it, and whether its
# focus ring shows: an outline or a box shadow with a contrast of at least 3:1 against the
# background around the element (WCAG 1.4.11).
FOCUSED = """() => {
  const e = document.activeElement;
  const labelled = e.labels && e.labels.length ? e.labels[0].innerText : "";
  const name = (labelled || e.getAttribute("aria-label") || e.innerText || e.value || "").trim();
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const [x, y, z] = [r, g, b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * x + 0.7152 * y + 0.0722 * z;
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  let background = [255, 255, 255];
  for (let n = e.parentElement; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || c[3] > 0) { background = c.slice(0, 3); break; }
  }
  const style = getComputedStyle(e);
  const parts = [];
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    parts.push(rgb(style.outlineColor).slice(0, 3));
  }
  if (style.boxShadow !== "none") parts.push(rgb(style.boxShadow).slice(0, 3));
  const ringContrast = Math.max(0, ...parts.map(c => contrast(c, background)));
  // A date or time input that has the focus without matching :focus has it on the browser's
  // own calendar button inside it, which the browser rings itself.
  const pickerButton = ["date", "time"].includes(e.type) && !e.matches(":focus");
  const box = e.getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), name, ring: ringContrast >= 3 || pickerButton,
    ringContrast: Math.round(ringContrast * 100) / 100,
    onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
      && box.left < innerWidth};
}"""


def tab_to(page, name: str, *, backwards: bool = False, limit: int = 60) -> dict:
    """Press Tab (Shift+Tab) until the focused element's name starts with ``name`` (in any
    case); every
    element passed on the way must show where the focus is."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] != "body":
            assert focused["ring"] and focused["onScreen"], f"focus not visible on {focused}"
        if focused["name"].lower().startswith(name.lower()):
            return focused
        passed.append(f"{focused['tag']} {focused['name'][:40]!r}")
    raise AssertionError(f"{name!r} not reached with {limit} presses of Tab: {passed}")


def test_sign_in_draft_a_goal_and_tick_a_milestone_with_the_keyboard_only(page, world, alice):
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUSED)
    assert skip["name"] == "Skip to content" and skip["ring"] and skip["onScreen"], skip
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    tab_to(page, "Email")
    page.keyboard.type(alice.email)
    tab_to(page, "Password")
    page.keyboard.type("correct horse battery")
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    tab_to(page, "My mentoring")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="My mentoring").wait_for()
    tab_to(page, "Bob Baker")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="You and Bob Baker").wait_for()
    tab_to(page, "Add a goal")
    page.keyboard.press("Enter")
    page.locator("#pair-panel form").wait_for()
    tab_to(page, "Specific")
    page.keyboard.type("Give a talk at the engineering all-hands")
    tab_to(page, "Where you start")
    page.keyboard.type("0")
    tab_to(page, "Where you aim to be")
    page.keyboard.type("3")
    tab_to(page, "No due date")
    page.keyboard.type("A skill to keep practising.")
    tab_to(page, "Specific", backwards=True)  # back up the form: the title kept its text
    assert page.evaluate("() => document.activeElement.value").startswith("Give a talk")
    tab_to(page, "Save as draft")
    page.keyboard.press("Space")
    page.get_by_text("Goal saved as a draft.").wait_for()
    goal = Goal.objects.get(title="Give a talk at the engineering all-hands")
    assert goal.status == Goal.Status.DRAFT
    assert (goal.baseline, goal.target) == (0, 3)
    # The goals list and the timeline refresh after the save: Tab on until they have, or the
    # focus may sit on a link that the refresh then replaces.
    page.get_by_role("link", name="Give a talk at the engineering all-hands", exact=True).wait_for()
    page.wait_for_function(SETTLED)

    # An action in place (htmx): a milestone ticked with Space keeps the focus where it was.
    tab_to(page, "Give 10 internal tech talks")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Give 10 internal tech talks").wait_for()
    tab_to(page, "Write slides")
    page.keyboard.press("Space")
    page.get_by_text("1 of 2 done").wait_for()
    assert Milestone.objects.get(title="Write slides").done_at is not None
    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "Write slides" and focused["ring"], focused
    assert page.console_errors == []
