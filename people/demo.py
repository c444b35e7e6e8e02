"""The demo company for `manage.py seed_demo`: ~300 employees, a manager hierarchy, leavers and
the demo logins. Other apps add their part in their own demo.py (programs/demo.py).

Deterministic: a fixed random seed gives the same people, titles, logins and enrollments every
time. Dates are relative to the day it runs (hires over the last ~6 years, leavers over the
last three; a cohort finished a year ago, one running, one open for applications), so
retention can be measured. Idempotent: what exists is left alone; a database seeded before
the programs existed gets only the programs.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from people.models import User

SEED = 20240917
COMPANY = "Northwind Labs"
EMAIL_DOMAIN = "example.com"
DEMO_PASSWORD = "mentoring-demo"  # noqa: S105 (a local demo's published password)
MARKER_EMPLOYEE_ID = "NW0001"  # the CEO: present means the demo company is seeded


@dataclass(frozen=True)
class DemoAccount:
    key: str
    role: str
    email: str
    first_name: str
    last_name: str
    about: str


DEMO_ACCOUNTS = [
    DemoAccount(
        "hr", "HR", "hr@example.com", "Helena", "Richter", "Senior HR Business Partner (is_hr)"
    ),
    DemoAccount(
        "admin",
        "Program admin",
        "program.admin@example.com",
        "Omar",
        "Haddad",
        'Engineering Manager, admin of the program "Engineering Mentorship"',
    ),
    DemoAccount(
        "mentor",
        "Mentor (participant)",
        "mentor@example.com",
        "Priya",
        "Nair",
        "Senior Software Engineer, mentor in the running cohort, invited to the open one",
    ),
    DemoAccount(
        "mentee",
        "Mentee (participant)",
        "mentee@example.com",
        "Jonas",
        "Weber",
        "Junior Software Engineer, mentee in the running cohort, intake half done in the open one",
    ),
    DemoAccount(
        "staff",
        "Staff (superuser)",
        "staff@example.com",
        "Sam",
        "Okafor",
        "operator: is_staff and is_superuser, no employee record",
    ),
]

LOCATIONS = {
    "Berlin": "Europe/Berlin",
    "London": "Europe/London",
    "New York": "America/New_York",
    "Toronto": "America/Toronto",
    "Remote": "",  # one of REMOTE_TIMEZONES
}
REMOTE_TIMEZONES = [
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Europe/Dublin",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
]
DEFAULT_LOCATION_WEIGHTS = {"Berlin": 35, "London": 20, "New York": 20, "Toronto": 12, "Remote": 13}

# Share of individual contributors at each level: most people sit in the middle grades.
IC_LEVEL_WEIGHTS = {1: 27, 2: 25, 3: 21, 4: 17, 5: 6, 6: 4}
TEAM_SIZE = 8
LEAVER_SHARE = 0.15


def ladder(role: str, *, entry: str = "", lead: str = "Lead") -> dict[int, str]:
    """Titles from level 1 to 6 for one job family."""
    return {
        1: entry or f"Junior {role}",
        2: role,
        3: f"{role} II",
        4: f"Senior {role}",
        5: f"{lead} {role}",
        6: f"Principal {role}",
    }


@dataclass(frozen=True)
class Department:
    name: str
    size: int  # everyone, the head included
    head_title: str
    head_level: int
    manager_title: str
    director_title: str
    tracks: list[tuple[int, dict[int, str]]]  # (weight, titles by level)
    locations: dict[str, int] = field(default_factory=lambda: DEFAULT_LOCATION_WEIGHTS)


DEPARTMENTS = [
    Department(
        "Engineering",
        100,
        "Chief Technology Officer",
        8,
        "Engineering Manager",
        "Director of Engineering",
        [
            (7, ladder("Software Engineer", lead="Staff")),
            (1, ladder("Site Reliability Engineer", lead="Staff")),
            (1, ladder("QA Engineer", lead="Staff")),
            (1, ladder("Data Engineer", lead="Staff")),
        ],
        {"Berlin": 45, "London": 15, "New York": 10, "Toronto": 10, "Remote": 20},
    ),
    Department(
        "Sales",
        50,
        "VP of Sales",
        7,
        "Sales Manager",
        "Director of Sales",
        [
            (
                4,
                ladder(
                    "Account Executive",
                    entry="Sales Development Representative",
                    lead="Enterprise",
                ),
            ),
            (1, ladder("Solutions Engineer")),
        ],
        {"Berlin": 15, "London": 30, "New York": 35, "Toronto": 15, "Remote": 5},
    ),
    Department(
        "Customer Success",
        38,
        "VP of Customer Success",
        7,
        "Customer Success Team Lead",
        "Director of Customer Success",
        [
            (3, ladder("Customer Success Manager", entry="Customer Support Specialist")),
            (1, ladder("Support Engineer")),
        ],
        {"Berlin": 20, "London": 25, "New York": 20, "Toronto": 25, "Remote": 10},
    ),
    Department(
        "Product",
        27,
        "VP of Product",
        7,
        "Group Product Manager",
        "Director of Product",
        [
            (3, ladder("Product Manager", entry="Associate Product Manager")),
            (2, ladder("Product Designer")),
            (1, ladder("UX Researcher")),
        ],
    ),
    Department(
        "Marketing",
        27,
        "VP of Marketing",
        7,
        "Marketing Manager",
        "Director of Marketing",
        [
            (2, ladder("Marketing Specialist", entry="Marketing Coordinator")),
            (1, ladder("Content Strategist", entry="Content Writer")),
            (1, ladder("Product Marketing Manager", entry="Product Marketing Associate")),
        ],
        {"Berlin": 30, "London": 30, "New York": 25, "Toronto": 5, "Remote": 10},
    ),
    Department(
        "Operations",
        22,
        "VP of Operations",
        7,
        "Operations Manager",
        "Director of Operations",
        [
            (2, ladder("Operations Analyst", entry="Operations Coordinator")),
            (1, ladder("Systems Administrator", entry="IT Support Technician")),
            (1, ladder("Workplace Specialist", entry="Office Coordinator")),
        ],
    ),
    Department(
        "Finance",
        18,
        "Chief Financial Officer",
        8,
        "Finance Manager",
        "Director of Finance",
        [
            (2, ladder("Financial Analyst", entry="Finance Assistant")),
            (1, ladder("Accountant", entry="Accounting Assistant")),
        ],
        {"Berlin": 60, "London": 15, "New York": 20, "Toronto": 5, "Remote": 0},
    ),
    Department(
        "People",
        17,
        "VP of People",
        7,
        "People Operations Manager",
        "Director of People",
        [
            (2, ladder("HR Business Partner", entry="People Operations Coordinator")),
            (1, ladder("Recruiter", entry="Recruiting Coordinator")),
        ],
    ),
]

FIRST_NAMES = """
Aaliyah Abdul Ada Adaeze Adrian Agnieszka Ahmed Aiko Alejandro Alex Alexandra Ali Amara Amelia
Ana Andrea Andrei Anika Anna Antoine Arjun Astrid Ayesha Beatriz Ben Bianca Camille Carlos
Carmen Charlotte Chen Chloe Chidi Daniel Dario David Deepa Diego Dmitri Elena Elif Elijah Emily
Emma Erik Fatima Felix Fiona Florian Francesca Gabriel Grace Hana Hannah Hassan Ines Isabel
Isaac Ivan Jakub James Jana Javier Jia Johanna Jorge Julia Julian Kai Karim Katarzyna Kenji
Laila Lars Laura Leila Leon Liam Lina Lucas Lucia Luis Maja Malik Marco Maria Mateo Mei Mia
Michael Miguel Mina Mohammed Nadia Nikolai Nina Noah Nora Oliver Olivia Oscar Paula Pedro
Rafael Rahul Ravi Rebecca Rosa Ruth Samir Sara Sebastian Sofia Sophie Stefan Tariq Thomas Tomasz
Valentina Victor Wei Yara Yusuf Zainab Zoe
""".split()  # noqa: SIM905 (a list literal would take 130 lines)
LAST_NAMES = """
Abbott Achterberg Adeyemi Alvarez Andersen Bauer Becker Bennett Bergström Brown Campbell Carter
Castro Chen Chowdhury Costa Dang Das Dubois Eriksen Farouk Fischer Fitzgerald Garcia Gonzalez
Gupta Hall Hansen Hartmann Hoffmann Hughes Ibrahim Ito Jansen Johnson Kaminski Kapoor Kaur
Keller Khan Kim Klein Kowalski Krüger Larsen Lee Lehmann Lindqvist Lopez Martin Martinez Meyer
Mendes Moreau Morris Müller Murphy Nakamura Nguyen Novak Nowak Okonkwo Oliveira Ortiz Osei Park
Patel Pereira Petrov Quinn Rahman Ramirez Reyes Richter Rossi Russo Sato Schmidt Schneider
Schulz Silva Singh Sokolov Stewart Suzuki Tanaka Taylor Thompson Torres Vargas Varga Vogel
Wagner Walker Wang Weiss Williams Wilson Wolf Wright Yamamoto Yilmaz Zhang Zimmermann
""".split()  # noqa: SIM905


@dataclass
class Person:
    """One employee while the company is being drawn, before it becomes a User row."""

    department: str
    title: str
    level: int
    location: str
    manager: Person | None
    hire_days_ago: int
    kind: str  # ceo, head, director, manager, ic
    track: dict[int, str] | None = None
    demo: str = ""
    end_days_ago: int | None = None
    user: User | None = None

    @property
    def depth(self) -> int:
        return 0 if self.manager is None else self.manager.depth + 1


def email_local_part(first: str, last: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}")
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum() or c == ".")


def unused_name(rng: random.Random, used: set[tuple[str, str]]) -> tuple[str, str]:
    while True:
        name = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        if name not in used:
            return name


class CompanyBuilder:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.people: list[Person] = []

    def pick(self, weights: dict):
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def add(self, **kwargs) -> Person:
        person = Person(**kwargs)
        self.people.append(person)
        return person

    def build(self) -> list[Person]:
        ceo = self.add(
            department="Executive",
            title="Chief Executive Officer",
            level=8,
            location="Berlin",
            manager=None,
            hire_days_ago=6 * 365 + 40,
            kind="ceo",
        )
        for department in DEPARTMENTS:
            self.build_department(department, ceo)
        self.place_demo_accounts()
        self.choose_leavers()
        return self.people

    def build_department(self, department: Department, ceo: Person) -> None:
        rng = self.rng
        head = self.add(
            department=department.name,
            title=department.head_title,
            level=department.head_level,
            location=self.pick(department.locations),
            manager=ceo,
            hire_days_ago=rng.randint(5 * 365, 6 * 365 + 20),
            kind="head",
        )
        others = department.size - 1
        n_managers = max(1, round(others / (TEAM_SIZE + 1)))
        n_directors = math.ceil(n_managers / 4) if others > 40 else 0
        directors = [
            self.add(
                department=department.name,
                title=department.director_title,
                level=7,
                location=self.pick(department.locations),
                manager=head,
                hire_days_ago=rng.randint(3 * 365, 5 * 365 + 180),
                kind="director",
            )
            for _ in range(n_directors)
        ]
        managers = []
        for i in range(n_managers):
            senior = rng.random() < 0.3
            managers.append(
                self.add(
                    department=department.name,
                    title=("Senior " if senior else "") + department.manager_title,
                    level=6 if senior else 5,
                    location=self.pick(department.locations),
                    manager=directors[i % n_directors] if directors else head,
                    hire_days_ago=rng.randint(365, 5 * 365),
                    kind="manager",
                )
            )
        tracks = {i: weight for i, (weight, _) in enumerate(department.tracks)}
        n_ics = others - n_directors - n_managers
        for i, level in enumerate(self.ic_levels(n_ics)):
            manager = managers[i % n_managers]
            track = department.tracks[self.pick(tracks)][1]
            # Juniors joined recently; seniors have been around longer (or were hired senior).
            oldest = {1: 2 * 365, 2: 4 * 365}.get(level, 6 * 365 - 30)
            hire_days_ago = int(rng.triangular(20, oldest, 20 if level <= 3 else oldest / 2))
            location = manager.location if rng.random() < 0.6 else self.pick(department.locations)
            self.add(
                department=department.name,
                title=track[level],
                level=level,
                location=location,
                manager=manager,
                hire_days_ago=hire_days_ago,
                kind="ic",
                track=track,
            )

    def ic_levels(self, count: int) -> list[int]:
        """Levels in the proportions of IC_LEVEL_WEIGHTS (largest remainder), shuffled."""
        total = sum(IC_LEVEL_WEIGHTS.values())
        shares = {lvl: count * w / total for lvl, w in IC_LEVEL_WEIGHTS.items()}
        counts = {lvl: int(share) for lvl, share in shares.items()}
        by_remainder = sorted(shares, key=lambda lvl: shares[lvl] - counts[lvl], reverse=True)
        for lvl in by_remainder[: count - sum(counts.values())]:
            counts[lvl] += 1
        levels = [lvl for lvl, n in counts.items() for _ in range(n)]
        self.rng.shuffle(levels)
        return levels

    def place_demo_accounts(self) -> None:
        """Turn a few drawn people into the demo logins, in fitting places of the company."""

        def first(department: str, kind: str, *, not_reporting_to=()) -> Person:
            return next(
                p
                for p in self.people
                if p.department == department
                and p.kind == kind
                and not p.demo
                and p.manager not in not_reporting_to
            )

        admin = first("Engineering", "manager")
        admin.demo, admin.location, admin.hire_days_ago = "admin", "London", 4 * 365 + 100
        admin.title, admin.level = "Engineering Manager", 5

        # Mentor and mentee sit in different teams, neither in the program admin's.
        mentee = first("Engineering", "ic", not_reporting_to=[admin])
        mentee.demo, mentee.location, mentee.hire_days_ago = "mentee", "Berlin", 150
        mentee.level, mentee.track = 1, ladder("Software Engineer", lead="Staff")
        mentor = first("Engineering", "ic", not_reporting_to=[admin, mentee.manager])
        mentor.demo, mentor.location, mentor.hire_days_ago = "mentor", "Berlin", 3 * 365 + 200
        mentor.level, mentor.track = 4, ladder("Software Engineer", lead="Staff")

        hr = first("People", "ic")
        hr.demo, hr.location, hr.hire_days_ago = "hr", "Berlin", 2 * 365 + 60
        hr.level, hr.track = 4, ladder("HR Business Partner")
        for person in (mentee, mentor, hr):
            person.title = person.track[person.level]

    def choose_leavers(self) -> None:
        """~15% left over the last three years; only people without reports, never demo logins."""
        candidates = [p for p in self.people if p.kind == "ic" and not p.demo]
        candidates = [p for p in candidates if p.hire_days_ago >= 120]
        count = round(LEAVER_SHARE * (len(self.people) - 1))
        for person in self.rng.sample(candidates, count):
            latest = min(person.hire_days_ago - 90, 3 * 365)
            person.end_days_ago = self.rng.randint(1, latest)


def create_company(today: date) -> tuple[list[Person], User]:
    builder = CompanyBuilder()
    people = builder.build()
    rng = builder.rng
    demo_by_key = {a.key: a for a in DEMO_ACCOUNTS}
    demo_names = {(a.first_name, a.last_name) for a in DEMO_ACCOUNTS}
    used_names: set[tuple[str, str]] = set(demo_names)
    demo_hash = make_password(DEMO_PASSWORD)  # one slow hash, not five

    for number, person in enumerate(people, start=1):
        if person.demo:
            account = demo_by_key[person.demo]
            first_name, last_name, email = (
                account.first_name,
                account.last_name,
                account.email,
            )
        else:
            first_name, last_name = unused_name(rng, used_names)
            email = f"{email_local_part(first_name, last_name)}@{EMAIL_DOMAIN}"
        used_names.add((first_name, last_name))
        hire_date = today - timedelta(days=person.hire_days_ago)
        end_date = (
            today - timedelta(days=person.end_days_ago) if person.end_days_ago is not None else None
        )
        timezone_name = LOCATIONS[person.location] or rng.choice(REMOTE_TIMEZONES)
        person.user = User(
            email=email,
            first_name=first_name,
            last_name=last_name,
            employee_id=f"NW{number:04d}",
            department=person.department,
            title=person.title,
            level=person.level,
            location=person.location,
            timezone=timezone_name,
            hire_date=hire_date,
            end_date=end_date,
            is_active=end_date is None,
            is_hr=person.demo == "hr",
            password=demo_hash if person.demo else make_password(None),
        )

    # Managers first, so each layer's manager_id can point at saved rows.
    for depth in sorted({p.depth for p in people}):
        layer = [p for p in people if p.depth == depth]
        for person in layer:
            person.user.manager = person.manager.user if person.manager else None
        User.objects.bulk_create([p.user for p in layer])

    account = demo_by_key["staff"]
    staff = User.objects.create(
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        is_staff=True,
        is_superuser=True,
        password=demo_hash,
    )
    demo_users = [p.user for p in people if p.demo] + [staff]
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in demo_users]
    )
    return people, staff


def report(command: BaseCommand, people: list[Person], staff: User) -> None:
    leavers = [p for p in people if p.end_days_ago is not None]
    departments = Counter(p.department for p in people)
    levels = Counter(p.level for p in people)
    locations = Counter(p.location for p in people)
    out = command.stdout.write
    out(command.style.SUCCESS(f"Created the demo company {COMPANY}:"))
    out(
        f"  {len(people)} employees, {len(leavers)} of whom left in the last three years "
        "(end_date set, account inactive)"
    )
    out("  departments: " + ", ".join(f"{d} {n}" for d, n in departments.most_common()))
    out("  levels: " + ", ".join(f"L{lvl} {levels[lvl]}" for lvl in sorted(levels)))
    out("  locations: " + ", ".join(f"{loc} {n}" for loc, n in locations.most_common()))
    out(
        f"  manager hierarchy {max(p.depth for p in people) + 1} levels deep, "
        f"CEO {MARKER_EMPLOYEE_ID} at the top"
    )
    out(f"  the operator account {staff.email}")


def print_logins(command: BaseCommand) -> None:
    out = command.stdout.write
    out(f"  Demo logins (every one's password: {DEMO_PASSWORD}):")
    width = max(len(a.email) for a in DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        out(
            f"    {account.role:<21} {account.email:<{width}}  {DEMO_PASSWORD}  "
            f"{account.first_name} {account.last_name}, {account.about}"
        )


def company_exists() -> bool:
    return User.objects.filter(employee_id=MARKER_EMPLOYEE_ID).exists()


def seed(*, today: date, command: BaseCommand) -> bool:
    """Create the demo company unless it is there; return whether anything was created."""
    if company_exists():
        command.stdout.write(
            f"The demo company is already there (employee {MARKER_EMPLOYEE_ID} exists): "
            "left as it is."
        )
        return False
    taken = User.objects.filter(email__in=[a.email for a in DEMO_ACCOUNTS])
    if taken.exists():
        raise CommandError(
            "Demo login emails already belong to other accounts "
            f"({', '.join(taken.values_list('email', flat=True))}); not seeding over them."
        )
    report(command, *create_company(today))
    return True


def demo_users() -> dict[str, User]:
    """The demo logins' accounts by key (hr, admin, mentor, mentee, staff)."""
    accounts = {a.key: a.email for a in DEMO_ACCOUNTS}
    users = {u.email: u for u in User.objects.filter(email__in=accounts.values())}
    if missing := sorted(set(accounts.values()) - set(users)):
        raise CommandError(f"The demo company lacks demo logins ({', '.join(missing)}).")
    return {key: users[email] for key, email in accounts.items()}


def after_seed(*, command: BaseCommand) -> None:
    print_logins(command)
