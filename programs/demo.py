"""Demo programs for ``seed_demo``: programs of three kinds, cohorts in every phase, enrollments.

Engineering Mentorship (one-to-one) has a cohort that finished about a year ago, one running
since about two months and one open for applications today; Reverse Mentoring: Digital Skills
(juniors mentor senior leaders) a completed pilot and an open cohort; Customer Teams Peer
Circles (peer) a running cohort. Intake answers fit each person's department, title, level and
location.

Dates are relative to the day it runs. Deterministic: people are drawn with a fixed seed from
the directory in employee_id order, so the same company gives the same enrollments. Rows are
written directly (bulk_create) with their invitation and decision timestamps set: seeding
sends no email.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from mentorship.cache_versions import bump_on_commit
from people.models import User
from programs.cache_invalidation import COHORTS, ENROLMENTS
from programs.models import Cohort, Enrollment, Program, Topic
from programs.services.enrollment import intake_missing

SEED = 20261122
COMPANY = "Northwind Labs"
COMPANY_SHORT = "Northwind"  # as people say it

ENGINEERING_SLUG = "engineering-mentorship"
ENGINEERING_NAME = "Engineering Mentorship"

Status = Enrollment.Status
Role = Enrollment.Role


@dataclass(frozen=True)
class CohortSpec:
    """One cohort: its dates (days from today) and the people in it, as slots.

    A slot is a status, for invited people with the state of their intake answers
    (``invited:done``, ``invited:partial``, ``invited:empty``). ``demo`` places the demo
    logins: login key -> (role, slot).
    """

    key: str
    days: tuple[int, int, int, int]  # application opens, closes, starts, ends
    mentors: list[str]  # peers, in a peer program
    mentees: list[str] = field(default_factory=list)
    name_suffix: str = ""
    demo: dict[str, tuple[str, str]] = field(default_factory=dict)
    cadence_days: int = 14
    default_mentor_capacity: int = 2
    max_mentor_capacity: int = 3
    matching_mode: str = Cohort.MatchingMode.ADMIN
    rules: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramSpec:
    key: str  # engineering, reverse, peer: picks pools, topics, bios and goals
    slug: str
    name: str
    kind: str
    description: str
    topics: list[str]
    cohorts: list[CohortSpec]


ENGINEERING_TOPICS = [
    "System design",
    "Code review",
    "Career growth",
    "Public speaking",
    "Leadership",
    "Cloud architecture",
    "Testing",
    "Product sense",
    "Incident response",
    "Data engineering",
    "Moving into management",
]
REVERSE_TOPICS = [
    "AI assistants at work",
    "Social media and personal brand",
    "Collaboration tools",
    "Data literacy",
    "Automating repetitive work",
    "What early-career colleagues expect",
    "Online security habits",
    "Short-form video",
]
PEER_TOPICS = [
    "Discovery calls",
    "Negotiation",
    "Handling escalations",
    "Renewals and expansion",
    "Product demos",
    "Writing proposals",
    "Managing a pipeline",
    "Onboarding new customers",
]

PROGRAMS = [
    ProgramSpec(
        key="engineering",
        slug=ENGINEERING_SLUG,
        name=ENGINEERING_NAME,
        kind=Program.Kind.ONE_TO_ONE,
        description=(
            "Six months of one-to-one mentoring for engineers: a senior engineer or manager "
            "from another team, a conversation every two weeks, and goals you set together."
        ),
        topics=ENGINEERING_TOPICS,
        cohorts=[
            CohortSpec(
                key="eng",
                days=(-470, -450, -440, -260),
                mentors=["completed"] * 10,
                mentees=["completed"] * 17 + ["withdrawn"],
                demo={"mentor": (Role.MENTOR, "completed")},
                rules={"rule_min_level_gap": 1},
            ),
            CohortSpec(
                key="eng",
                days=(-100, -75, -60, 120),
                mentors=["accepted"] * 10,
                mentees=["accepted"] * 18 + ["withdrawn"],
                demo={"mentor": (Role.MENTOR, "accepted"), "mentee": (Role.MENTEE, "accepted")},
                matching_mode=Cohort.MatchingMode.BOTH,
                rules={"rule_min_level_gap": 1, "rule_max_timezone_diff_hours": 6},
            ),
            CohortSpec(
                key="eng",
                days=(-12, 16, 30, 210),
                mentors=["accepted"] * 2
                + ["invited:done"] * 3
                + ["invited:partial", "invited:empty"]
                + ["applied"] * 2,
                mentees=["accepted"] * 3
                + ["applied"] * 4
                + ["invited:done"] * 4
                + ["invited:partial"] * 2
                + ["invited:empty"] * 2
                + ["withdrawn", "declined"],
                demo={
                    "mentor": (Role.MENTOR, "invited:empty"),
                    "mentee": (Role.MENTEE, "invited:partial"),
                },
                matching_mode=Cohort.MatchingMode.BOTH,
                rules={"rule_min_level_gap": 1, "rule_max_timezone_diff_hours": 6},
            ),
        ],
    ),
    ProgramSpec(
        key="reverse",
        slug="reverse-mentoring-digital-skills",
        name="Reverse Mentoring: Digital Skills",
        kind=Program.Kind.REVERSE,
        description=(
            "Early-career colleagues mentor senior leaders in the tools and habits they use "
            "every day: AI assistants, data at your fingertips, social media. Four months, a "
            "conversation every three weeks, and a fresh view of how the company looks from "
            "the first rungs."
        ),
        topics=REVERSE_TOPICS,
        cohorts=[
            CohortSpec(
                key="reverse",
                days=(-420, -405, -395, -275),
                name_suffix=" pilot",
                mentors=["completed"] * 8,
                mentees=["completed"] * 8,
                cadence_days=21,
                default_mentor_capacity=1,
                max_mentor_capacity=2,
                rules={"rule_min_level_gap": 2},
            ),
            CohortSpec(
                key="reverse",
                days=(-5, 23, 37, 157),
                mentors=["accepted"] * 2
                + ["invited:done"] * 2
                + ["invited:empty"]
                + ["applied"] * 2,
                mentees=["accepted"]
                + ["invited:done"] * 3
                + ["invited:partial", "invited:empty", "applied"],
                cadence_days=21,
                default_mentor_capacity=1,
                max_mentor_capacity=2,
                rules={"rule_min_level_gap": 2},
            ),
        ],
    ),
    ProgramSpec(
        key="peer",
        slug="customer-teams-peer-circles",
        name="Customer Teams Peer Circles",
        kind=Program.Kind.PEER,
        description=(
            "Account executives and customer success managers pair up across teams to trade "
            "what works: discovery, negotiation, renewals, escalations. Everyone offers "
            "something and asks for something."
        ),
        topics=PEER_TOPICS,
        cohorts=[
            CohortSpec(
                key="peer-circles",
                days=(-80, -60, -45, 90),
                mentors=["accepted"] * 14,
                default_mentor_capacity=1,
                max_mentor_capacity=2,
                matching_mode=Cohort.MatchingMode.SELF_SELECT,
                rules={"rule_exclude_management_chain": True},
            )
        ],
    ),
]

# --- What people offer, seek, say about themselves and want ----------------------------------

ENGINEERING_OFFERED = {
    "software": ["System design", "Code review", "Testing", "Cloud architecture", "Career growth"],
    "sre": ["Cloud architecture", "Incident response", "System design", "Career growth"],
    "qa": ["Testing", "Code review", "Career growth"],
    "data": ["Data engineering", "System design", "Cloud architecture", "Career growth"],
    "manager": ["Leadership", "Career growth", "Public speaking", "Moving into management"],
}
ENGINEERING_SOUGHT = {
    "software": ["System design", "Code review", "Testing", "Cloud architecture"],
    "sre": ["Cloud architecture", "Incident response", "System design"],
    "qa": ["Testing", "Code review"],
    "data": ["Data engineering", "System design"],
}
ENGINEERING_DOMAINS = {
    "software": [
        "payments",
        "search",
        "developer tooling",
        "mobile apps",
        "billing",
        "identity and access",
        "the public API",
    ],
    "sre": ["infrastructure and on-call", "Kubernetes platforms", "observability"],
    "qa": ["test automation", "release quality"],
    "data": ["data pipelines", "the analytics platform"],
    "manager": ["product engineering", "platform teams", "payments and billing"],
}
DEPARTMENT_DOMAINS = {
    "Sales": ["enterprise SaaS sales", "mid-market deals", "solution selling"],
    "Customer Success": ["customer success", "B2B support", "renewals"],
    "Product": ["B2B product", "onboarding and growth", "UX research"],
    "Marketing": ["B2B marketing", "content and brand", "product launches"],
    "Operations": ["IT and operations", "workplace and vendors"],
    "Finance": ["FP&A", "accounting and audit"],
    "People": ["HR and recruiting", "people operations"],
    "Executive": ["running companies"],
}
REVERSE_OFFERED = {
    "Engineering": [
        "AI assistants at work",
        "Automating repetitive work",
        "Online security habits",
        "Collaboration tools",
    ],
    "Marketing": ["Social media and personal brand", "Short-form video", "AI assistants at work"],
    "Product": [
        "Data literacy",
        "Collaboration tools",
        "What early-career colleagues expect",
        "AI assistants at work",
    ],
    "Finance": ["Data literacy", "Automating repetitive work", "Collaboration tools"],
    "Operations": ["Automating repetitive work", "Online security habits", "Collaboration tools"],
}
REVERSE_OFFERED_DEFAULT = [
    "Social media and personal brand",
    "What early-career colleagues expect",
    "AI assistants at work",
    "Collaboration tools",
]
PEER_OFFERED = {
    "Sales": [
        "Discovery calls",
        "Negotiation",
        "Product demos",
        "Writing proposals",
        "Managing a pipeline",
    ],
    "Customer Success": [
        "Handling escalations",
        "Renewals and expansion",
        "Onboarding new customers",
        "Product demos",
    ],
}

GOALS = {
    "System design": [
        "Own the design of a service end to end and defend it in a design review",
        "Write a design doc that gets approved in one round",
    ],
    "Code review": [
        "Give reviews that teach, not only approve",
        "Get my pull requests through review in fewer rounds",
    ],
    "Testing": [
        "Bring our team's flaky test rate down and keep it down",
        "Learn to test the hard parts: concurrency, time zones, money",
    ],
    "Cloud architecture": [
        "Understand our AWS setup well enough to join the on-call rotation",
        "Plan the migration of one of our oldest services to the new platform",
    ],
    "Career growth": [
        "Get promoted to the next level by {quarter}",
        "Understand what the next level expects of me and close the gap",
    ],
    "Public speaking": [
        "Give a talk at {meetup}",
        "Present my team's work at the all-hands without reading from notes",
    ],
    "Leadership": [
        "Lead my first cross-team project by {quarter}",
        "Run our team's quarterly planning",
    ],
    "Product sense": [
        "Push back on a product spec with data before we build it",
        "Sit in on customer calls and bring what I learn into our roadmap",
    ],
    "Incident response": ["Lead an incident as commander and write a blameless postmortem"],
    "Data engineering": ["Design a pipeline that nobody has to babysit at 3 a.m."],
    "Moving into management": ["Decide by {quarter} whether the manager track is for me"],
    "AI assistants at work": [
        "Use an AI assistant to draft my team's quarterly update",
        "Know what our teams can and cannot safely paste into AI tools",
    ],
    "Social media and personal brand": [
        "Post about our work on LinkedIn once a month, in my own words",
    ],
    "Collaboration tools": ["Run a meeting-free week for my team with async updates that work"],
    "Data literacy": ["Build my own dashboard instead of asking an analyst every Monday"],
    "Automating repetitive work": ["Automate the weekly report I still assemble by hand"],
    "What early-career colleagues expect": [
        "Understand why our graduate hires leave within two years",
        "Make my skip-level 1:1s useful to the juniors in my org",
    ],
    "Online security habits": [
        "Move to a password manager and passkeys, and get my leadership team to do the same",
    ],
    "Short-form video": ["Record a two-minute video update instead of a long email"],
    "Discovery calls": ["Run discovery calls that find the real budget holder in the first call"],
    "Negotiation": [
        "Hold the price on a renewal without giving away a discount",
        "Close my first multi-year deal by {quarter}",
    ],
    "Handling escalations": ["Turn an angry escalation into a reference customer"],
    "Renewals and expansion": ["Grow my accounts' net revenue retention above 110% by {quarter}"],
    "Product demos": ["Give a demo tailored to the buyer in under 20 minutes"],
    "Writing proposals": ["Write proposals that a CFO reads to the end"],
    "Managing a pipeline": ["Forecast my quarter within 10%"],
    "Onboarding new customers": ["Get new accounts live in 30 days instead of 60"],
}

# What a junior mentor shows a senior mentee, by the topic they offer.
REVERSE_TOOLS = {
    "AI assistants at work": "AI assistants",
    "Social media and personal brand": "LinkedIn",
    "Collaboration tools": "async updates instead of meetings",
    "Data literacy": "self-serve dashboards",
    "Automating repetitive work": "small automations",
    "Online security habits": "a password manager and passkeys",
    "Short-form video": "short videos",
}

WITHDRAWAL_REASONS = [
    "My team's release moved up and I can't commit to regular meetings this quarter.",
    "Parental leave from next month; I'd like to join a later cohort.",
    "I moved to the platform team and my new manager is mentoring me directly.",
    "Too much on my plate with the reorganisation; hoping to come back next round.",
]
LEAVING_REASON = f"Leaving {COMPANY} at the end of the month."

# (language, share of people who speak it) by location, and by time zone for remote people.
LANGUAGES_BY_LOCATION = {"Berlin": ("German", 0.8), "Toronto": ("French", 0.35)}
LANGUAGES_BY_TIMEZONE = {
    "Europe/Madrid": ("Spanish", 0.95),
    "Europe/Lisbon": ("Portuguese", 0.95),
    "Europe/Warsaw": ("Polish", 0.95),
    "America/Los_Angeles": ("Spanish", 0.3),
    "America/Chicago": ("Spanish", 0.2),
}
OTHER_LANGUAGES = ["Spanish", "Italian", "Turkish", "Hindi", "Mandarin", "Arabic", "Dutch"]

YEARS_BY_LEVEL = {1: (1, 2), 2: (2, 4), 3: (3, 6), 4: (5, 9), 5: (7, 12), 6: (9, 15), 7: (12, 20)}


def engineering_family(user: User) -> str:
    title = user.title
    if any(word in title for word in ("Manager", "Director", "Chief")):
        return "manager"
    if "Site Reliability" in title:
        return "sre"
    if "QA" in title:
        return "qa"
    if "Data" in title:
        return "data"
    return "software"


def phrase(topic: str) -> str:
    """A topic inside a sentence: 'system design', but 'AI assistants at work'."""
    return topic if topic[1:2].isupper() else topic[0].lower() + topic[1:]


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class Answers:
    topics_offered: list[str] = field(default_factory=list)
    topics_sought: list[str] = field(default_factory=list)
    goals: str = ""
    languages: list[str] = field(default_factory=list)
    preferred_format: str = ""
    bio: str = ""
    capacity: int | None = None


class IntakeWriter:
    """Intake answers that fit a person: their department, title, level and location."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today

    def answers(
        self, *, program: str, cohort: Cohort, person: User, role: str, intake: str
    ) -> Answers:
        rng = self.rng
        offers = role in (Role.MENTOR, Role.PEER)
        seeks = role in (Role.MENTEE, Role.PEER)
        full = Answers(
            topics_offered=self.offered(program, person) if offers else [],
            languages=self.languages(person),
            preferred_format=self.preferred_format(person),
        )
        if seeks:
            full.topics_sought = self.sought(program, person, exclude=full.topics_offered)
            full.goals = self.goals(full.topics_sought, person, cohort)
        if offers:
            full.bio = self.bio(program, person, full.topics_offered, full.topics_sought)
            full.capacity = min(rng.choice([1, 2, 2, 2, 3]), cohort.max_mentor_capacity)
        elif program != "reverse" and rng.random() < 0.4:
            full.bio = f"Joined {COMPANY_SHORT} in {person.hire_date:%B %Y}; {self.domain(person)}."
        if intake == "done":
            return full
        default_capacity = cohort.default_mentor_capacity if offers else None
        if intake == "empty":
            return Answers(capacity=default_capacity)
        # Partly done: the topics and languages are in; the rest is still to write.
        return Answers(
            topics_offered=full.topics_offered,
            topics_sought=full.topics_sought,
            languages=full.languages,
            preferred_format=full.preferred_format if role == Role.MENTOR else "",
            capacity=default_capacity,
        )

    def offered(self, program: str, person: User) -> list[str]:
        if program == "engineering":
            family = engineering_family(person)
            pool = list(ENGINEERING_OFFERED[family])
            if family != "manager" and person.level >= 6:
                pool += ["Leadership", "Public speaking"]
        elif program == "reverse":
            pool = REVERSE_OFFERED.get(person.department, REVERSE_OFFERED_DEFAULT)
        else:
            pool = PEER_OFFERED[person.department]
        return self.rng.sample(pool, min(len(pool), self.rng.randint(2, 4)))

    def sought(self, program: str, person: User, *, exclude: list[str]) -> list[str]:
        rng = self.rng
        if program == "engineering":
            core = ENGINEERING_SOUGHT[engineering_family(person)]
            extra = ["Career growth", "Public speaking", "Product sense"]
            if person.level >= 3:
                extra.append("Leadership")
        elif program == "reverse":
            core, extra = REVERSE_TOPICS[:4], REVERSE_TOPICS[4:]
        else:
            other = "Customer Success" if person.department == "Sales" else "Sales"
            core, extra = PEER_OFFERED[other], PEER_OFFERED[person.department]
        core = [t for t in core if t not in exclude]
        extra = [t for t in extra if t not in exclude and t not in core]
        count = rng.choice([1, 2, 2, 3])
        first = rng.sample(core, 1)
        rest = [t for t in core + extra if t not in first]
        return first + rng.sample(rest, min(len(rest), count - 1))

    def goals(self, topics: list[str], person: User, cohort: Cohort) -> str:
        quarter = f"Q{(cohort.ends_on.month - 1) // 3 + 1}"
        meetup = (
            "an external meetup"
            if person.location == "Remote"
            else f"the {person.location} engineering meetup"
        )
        sentences = [
            self.rng.choice(GOALS[topic]).format(quarter=quarter, meetup=meetup)
            for topic in topics[:2]
        ]
        return " ".join(s if s.endswith(".") else s + "." for s in sentences)

    def domain(self, person: User) -> str:
        if person.department == "Engineering":
            area = self.rng.choice(ENGINEERING_DOMAINS[engineering_family(person)])
        else:
            area = self.rng.choice(DEPARTMENT_DOMAINS.get(person.department, ["operations"]))
        return f"working on {area}"

    def years(self, person: User) -> int:
        low, high = YEARS_BY_LEVEL.get(person.level or 1, (15, 25))
        return max(self.rng.randint(low, high), self.tenure(person) + 1)

    def tenure(self, person: User) -> int:
        """Whole years here, at least one."""
        return max(1, (self.today - person.hire_date).days // 365)

    def bio(self, program: str, person: User, topics: list[str], sought: list[str]) -> str:
        rng = self.rng
        topic_words = [phrase(t) for t in topics]
        area = self.domain(person).removeprefix("working on ")
        if program == "reverse":
            tools = [REVERSE_TOOLS[t] for t in topics if t in REVERSE_TOOLS]
            bio = f"{person.title}, at {COMPANY_SHORT} since {person.hire_date:%B %Y}."
            if tools:
                bio += f" Happy to show you how I use {and_list(tools[:2])} day to day."
            if "What early-career colleagues expect" in topics:
                bio += " And to tell you honestly what people starting out want from work."
            return bio
        years = self.years(person)
        if getattr(person, "reports", 0):
            return (
                f"{person.title} with a team of {person.reports} in {area}; {years} years in "
                f"the field. Happy to talk {and_list(topic_words[:2])}."
            )
        craft = [t for t in topic_words if t != "career growth"] or topic_words
        tenure = self.tenure(person)
        here = "year" if tenure == 1 else f"{tenure}"
        templates = [
            f"{person.title}, {years} years in {area}; happy to talk {craft[0]} and "
            "getting to the next level.",
            f"{years} years in {area}, the last {here} here. I enjoy helping people with "
            f"{and_list(topic_words[:2])}.",
            f"{person.title} working on {area}. Ask me about {and_list(topic_words)}, or "
            "whatever is blocking you this week.",
        ]
        if program == "peer":
            return (
                f"{person.title}, {years} years in {area}. Good at {topic_words[0]}; here to "
                f"get better at {phrase(sought[0])}."
            )
        return rng.choice(templates)

    def languages(self, person: User) -> list[str]:
        rng = self.rng
        languages = ["English"]
        local = LANGUAGES_BY_LOCATION.get(person.location) or LANGUAGES_BY_TIMEZONE.get(
            person.timezone
        )
        if local and rng.random() < local[1]:
            languages.append(local[0])
        if rng.random() < 0.1:
            other = rng.choice(OTHER_LANGUAGES)
            if other not in languages:
                languages.append(other)
        return languages

    def preferred_format(self, person: User) -> str:
        if person.location == "Remote":
            return Enrollment.Format.REMOTE
        weights = {
            Enrollment.Format.EITHER: 55,
            Enrollment.Format.REMOTE: 20,
            Enrollment.Format.IN_PERSON: 25,
        }
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Who takes part ---------------------------------------------------------------------------


def may_mentor(program: str, person: User) -> bool:
    if program == "engineering":
        return person.department == "Engineering" and person.level >= 4
    if program == "reverse":
        return person.department != "Executive" and person.level <= 3
    return person.department in PEER_OFFERED and 2 <= person.level <= 5


def may_be_mentored(program: str, person: User) -> bool:
    if program == "engineering":
        return person.department == "Engineering" and person.level <= 4
    if program == "reverse":
        return person.level >= 5
    return False


def program_admins(spec: ProgramSpec, employees: list[User], program_admin: User) -> list[User]:
    """The demo program admin runs engineering; managers from the company run the others."""
    if spec.key == "engineering":
        return [program_admin]
    wanted = (
        ["People Operations Manager", "Marketing Manager"]
        if spec.key == "reverse"
        else ["Customer Success Team Lead"]
    )
    return [
        next(p for p in employees if p.title in (title, f"Senior {title}") and p.is_active)
        for title in wanted
    ]


def cohort_dates(spec: CohortSpec, today: date) -> tuple[date, ...]:
    return tuple(today + timedelta(days=n) for n in spec.days)


class Planner:
    """Draws people into cohorts and writes their enrollment rows (unsaved)."""

    def __init__(
        self, *, today: date, employees: list[User], logins: dict[str, User], exclude: set[int]
    ) -> None:
        self.today = today
        self.rng = random.Random(SEED)
        self.writer = IntakeWriter(self.rng, today)
        self.employees = employees
        self.logins = logins
        self.exclude = exclude  # demo logins and operators: placed by hand or never
        self.busy: set[int] = set()  # in a running or open cohort somewhere
        self.enrollments: list[Enrollment] = []
        self.topics: list[tuple[Enrollment, list[Topic], list[Topic]]] = []
        self.answered_at: dict[int, datetime] = {}  # id(enrollment) -> when answers were given

    def moment(self, day: date, *, not_after: date | None = None) -> datetime:
        if not_after is not None and day > not_after:
            day = not_after
        clock = time(self.rng.randint(8, 17), self.rng.randint(0, 59))
        return timezone.make_aware(datetime.combine(day, clock))

    def day_between(self, low: date, high: date) -> date:
        return low + timedelta(days=self.rng.randint(0, max(0, (high - low).days)))

    def eligible(self, person: User, cohort: Cohort, phase: str) -> bool:
        if person.hire_date is None or person.hire_date > cohort.application_opens:
            return False
        if phase == "completed":
            # Leavers may have taken part, if they were still there when it started.
            return person.end_date is None or person.end_date > cohort.starts_on
        return person.end_date is None and person.pk not in self.busy

    def draw(self, candidates: list[User], count: int, *, cohort: Cohort) -> list[User]:
        """``count`` people at random; in a completed cohort, one of them left since."""
        left_later = [p for p in candidates if p.end_date and p.end_date > cohort.ends_on]
        first = left_later[:1] if cohort.ends_on < self.today and count else []
        rest = [p for p in candidates if p not in first]
        return first + self.rng.sample(rest, min(count - len(first), len(rest)))

    def plan_program(
        self, spec: ProgramSpec, program: Program, cohorts: list[Cohort], admins: list[User]
    ) -> None:
        topics = {t.name: t for t in program.topics.all()}
        was_mentee: set[int] = set()
        admin_ids = {a.pk for a in admins}
        mentor_role = Role.PEER if program.is_peer else Role.MENTOR
        for cohort_spec, cohort in zip(spec.cohorts, cohorts, strict=True):
            phase = cohort.phase(self.today)
            placed = [
                (self.logins[key], role, slot) for key, (role, slot) in cohort_spec.demo.items()
            ]
            taken = {p.pk for p, _, _ in placed} | self.exclude | admin_ids
            pool = [
                p for p in self.employees if p.pk not in taken and self.eligible(p, cohort, phase)
            ]
            mentors = self.draw(
                [p for p in pool if may_mentor(spec.key, p)],
                len(cohort_spec.mentors),
                cohort=cohort,
            )
            mentee_pool = [p for p in pool if p not in mentors and may_be_mentored(spec.key, p)]
            # Mentees take part once per program, unless there are too few newcomers.
            fresh = [p for p in mentee_pool if p.pk not in was_mentee]
            if len(fresh) >= len(cohort_spec.mentees):
                mentee_pool = fresh
            mentees = self.draw(mentee_pool, len(cohort_spec.mentees), cohort=cohort)
            placed += [
                (p, mentor_role, s) for p, s in zip(mentors, cohort_spec.mentors, strict=False)
            ]
            placed += [
                (p, Role.MENTEE, s) for p, s in zip(mentees, cohort_spec.mentees, strict=False)
            ]
            for person, role, slot in placed:
                self.plan_enrollment(spec, cohort, phase, person, role, slot, admins, topics)
                if role == Role.MENTEE:
                    was_mentee.add(person.pk)
                if phase != "completed":
                    self.busy.add(person.pk)

    def plan_enrollment(
        self,
        spec: ProgramSpec,
        cohort: Cohort,
        phase: str,
        person: User,
        role: str,
        slot: str,
        admins: list[User],
        topics: dict[str, Topic],
    ) -> None:
        rng = self.rng
        status, _, intake = slot.partition(":")
        if status != Status.INVITED:
            intake = "done"  # applied with their answers, or answered before it started
        yesterday = self.today - timedelta(days=1)
        last_day = min(cohort.application_closes, yesterday)  # of the application window
        admin = rng.choice(admins)
        answers = self.writer.answers(
            program=spec.key, cohort=cohort, person=person, role=role, intake=intake
        )
        enrollment = Enrollment(
            cohort=cohort,
            person=person,
            role=role,
            status=status,
            capacity=answers.capacity,
            goals=answers.goals,
            languages=answers.languages,
            preferred_format=answers.preferred_format,
            bio=answers.bio,
        )
        applied = status in (Status.APPLIED, Status.DECLINED) or (
            status in (Status.ACCEPTED, Status.COMPLETED) and rng.random() < 0.35
        )
        if applied:
            enrollment.source = Enrollment.Source.APPLICATION
            enrollment.created_at = self.moment(
                self.day_between(cohort.application_opens, last_day)
            )
            answered = enrollment.created_at
        else:
            enrollment.source = rng.choice([Enrollment.Source.DIRECTORY, Enrollment.Source.CSV])
            enrollment.invited_by = admin
            enrollment.created_at = self.moment(cohort.application_opens)
            enrollment.invitation_sent_at = enrollment.created_at + timedelta(minutes=2)
            answered = self.moment(
                cohort.application_opens + timedelta(days=rng.randint(0, 6)), not_after=last_day
            )
            answered = max(answered, enrollment.invitation_sent_at + timedelta(hours=1))
        if status in (Status.ACCEPTED, Status.DECLINED, Status.COMPLETED) or (
            status == Status.WITHDRAWN and phase != "open"
        ):
            decided = answered + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
            limit = self.moment(min(cohort.starts_on - timedelta(days=1), yesterday))
            enrollment.decided_by = admin
            enrollment.decided_at = min(decided, max(limit, answered + timedelta(hours=1)))
            enrollment.decision_sent_at = enrollment.decided_at + timedelta(minutes=1)
        if phase == "completed" and person.end_date and person.end_date <= cohort.ends_on:
            enrollment.status = Status.WITHDRAWN
            enrollment.withdrawn_at = self.moment(
                max(person.end_date - timedelta(days=14), cohort.starts_on)
            )
            enrollment.withdrawal_reason = LEAVING_REASON
        elif status == Status.WITHDRAWN:
            if phase == "open":
                day = self.day_between(answered.date(), yesterday)
            else:
                later = min(cohort.ends_on, yesterday)
                day = self.day_between(cohort.starts_on + timedelta(days=10), later)
            enrollment.withdrawn_at = max(self.moment(day), answered + timedelta(hours=1))
            enrollment.withdrawal_reason = rng.choice(WITHDRAWAL_REASONS)
        self.enrollments.append(enrollment)
        self.answered_at[id(enrollment)] = answered
        self.topics.append(
            (
                enrollment,
                [topics[t] for t in answers.topics_offered],
                [topics[t] for t in answers.topics_sought],
            )
        )


def demo_programs_exist() -> bool:
    """Whether the demo programs were seeded (their cohorts are there)."""
    return Cohort.objects.filter(program__slug__in=[p.slug for p in PROGRAMS]).exists()


@transaction.atomic
def demo_programs_create(
    *, today: date, program_admin: User, mentor: User, mentee: User, exclude: list[User]
) -> list[str]:
    """Create the demo programs, cohorts and enrollments; return summary lines to print.

    ``exclude`` are accounts never drawn into a cohort (the other demo logins, operators).
    """
    logins = {"admin": program_admin, "mentor": mentor, "mentee": mentee}
    employees = list(
        User.objects.exclude(employee_id=None)
        .annotate(reports=Count("direct_reports"))
        .order_by("employee_id")
    )
    excluded = {u.pk for u in [*exclude, *logins.values()]}
    planner = Planner(today=today, employees=employees, logins=logins, exclude=excluded)
    created: list[tuple[Program, list[Cohort], list[User]]] = []
    for spec in PROGRAMS:
        program, _ = Program.objects.update_or_create(
            slug=spec.slug,
            defaults={"name": spec.name, "kind": spec.kind, "description": spec.description},
        )
        admins = program_admins(spec, employees, program_admin)
        program.admins.add(*admins)
        Topic.objects.bulk_create(
            [Topic(program=program, name=name) for name in spec.topics], ignore_conflicts=True
        )
        cohorts = Cohort.objects.bulk_create(
            [cohort_row(program, cohort_spec, today) for cohort_spec in spec.cohorts]
        )
        planner.plan_program(spec, program, cohorts, admins)
        created.append((program, cohorts, admins))

    enrollments = Enrollment.objects.bulk_create(planner.enrollments)
    offered = Enrollment.topics_offered.through
    sought = Enrollment.topics_sought.through
    offered.objects.bulk_create(
        [offered(enrollment=e, topic=t) for e, ts, _ in planner.topics for t in ts]
    )
    sought.objects.bulk_create(
        [sought(enrollment=e, topic=t) for e, _, ts in planner.topics for t in ts]
    )
    # Intake completeness as the app computes it, dated when the answers were given.
    answered_at = {e.pk: planner.answered_at[id(e)] for e in enrollments}
    saved = Enrollment.objects.filter(pk__in=answered_at).prefetch_related(
        "topics_offered", "topics_sought"
    )
    complete = []
    for enrollment in saved:
        if not intake_missing(enrollment):
            enrollment.intake_completed_at = answered_at[enrollment.pk]
            complete.append(enrollment)
    Enrollment.objects.bulk_update(complete, ["intake_completed_at"])
    # Bulk writes send no signal: the cached dashboards' and open cohorts' versions (the
    # command bumps the rest).
    bump_on_commit(ENROLMENTS, COHORTS)
    return summary_lines(created, today)


def cohort_row(program: Program, spec: CohortSpec, today: date) -> Cohort:
    opens, closes, starts, ends = cohort_dates(spec, today)
    return Cohort(
        program=program,
        name=f"{starts:%B %Y}{spec.name_suffix}",
        slug=f"{spec.key}-{starts:%Y-%m}",
        application_opens=opens,
        application_closes=closes,
        starts_on=starts,
        ends_on=ends,
        cadence_days=spec.cadence_days,
        default_mentor_capacity=spec.default_mentor_capacity,
        max_mentor_capacity=spec.max_mentor_capacity,
        matching_mode=spec.matching_mode,
        **spec.rules,
    )


def summary_lines(
    created: list[tuple[Program, list[Cohort], list[User]]], today: date
) -> list[str]:
    counts = Counter(
        Enrollment.objects.filter(cohort__program__in=[p for p, _, _ in created]).values_list(
            "cohort_id", "role", "status"
        )
    )
    complete = Counter(
        Enrollment.objects.filter(
            cohort__program__in=[p for p, _, _ in created],
            status=Status.INVITED,
            intake_completed_at__isnull=False,
        ).values_list("cohort_id", flat=True)
    )
    lines = []
    for program, cohorts, admins in created:
        lines.append(
            f"{program.name} ({program.kind.replace('_', '-')}; admins "
            f"{', '.join(a.email for a in admins)}; {program.topics.count()} topics)"
        )
        for cohort in cohorts:
            phase = cohort.phase(today)
            when = {
                "completed": f"ran {cohort.starts_on} to {cohort.ends_on}",
                "running": f"running since {cohort.starts_on}, until {cohort.ends_on}",
                "open": f"open for applications until {cohort.application_closes}, "
                f"starts {cohort.starts_on}",
            }.get(phase, phase)
            roles = Counter()
            statuses = Counter()
            for (cohort_id, role, status), n in counts.items():
                if cohort_id == cohort.pk:
                    roles[role] += n
                    statuses[status] += n
            people = ", ".join(f"{roles[role]} {role}s" for role in Role.values if roles[role])
            states = []
            for status in Status.values:
                if statuses[status]:
                    extra = (
                        f" ({complete[cohort.pk]} with intake done)"
                        if status == Status.INVITED
                        else ""
                    )
                    states.append(f"{statuses[status]} {status}{extra}")
            lines.append(f"  {cohort.slug}: {when}; {people}: {', '.join(states)}")
    return lines


def seed(*, today: date, command) -> bool:
    """`seed_demo`'s programs part: the demo programs unless their cohorts exist."""
    from people.demo import demo_users

    if demo_programs_exist():
        command.stdout.write("The demo programs already have cohorts: left as they are.")
        return False
    users = demo_users()
    lines = demo_programs_create(
        today=today,
        program_admin=users["admin"],
        mentor=users["mentor"],
        mentee=users["mentee"],
        exclude=[users["hr"], users["staff"]],
    )
    command.stdout.write(
        command.style.SUCCESS(
            "Created the demo programs (enrollments written directly: no invitation emails sent):"
        )
    )
    for line in lines:
        command.stdout.write(f"  {line}")
    return True
