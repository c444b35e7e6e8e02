"""Benchmark: page latency and throughput at the size of a large company, against the bare stack.

    make bench-pages        (installs the `bench` extra, finds PostgreSQL and Redis, runs this)
    .venv/bin/python bench/bench_pages.py [--seconds 20] [--users 2] [--pages home,pair,...]
        [--reuse-db]

Seeds a throwaway database created next to the one DATABASE_URL names (same server, name
suffixed ``_bench_<pid>``, dropped at the end; with ``--reuse-db`` a kept one suffixed
``_pages_bench``, seeded once, migrated each run) with 50,000 employees (the directory of
bench_reports: hire and leaving dates over 10 years), 3 programs, 10 running cohorts (one of
1,400 pairs, nine of 400), 5,000 active pairs with a confirmed agreement each, 100,000 meetings
(20 a pair, every 7 to 28 days, some cancelled, some still to come), a check-in for most past
meetings (most reviewed), 20,000 goals with milestones and history, and 10,000 more
enrollments (invited, applied, declined) for the cohort dashboards. Meetings, check-ins, goals
and their rows go in with COPY; planner statistics and the visibility map are refreshed
(VACUUM ANALYZE) afterwards, as autovacuum would on a live database.

Then it collects the static files (production storage: hashed names, compressed), starts
gunicorn with the production settings (DEBUG off, two sync workers, on a free port of
127.0.0.1; bench/settings_bench.py only adds the baseline pages) and, for each page in turn,
runs locust headless in its own process: ``--users`` users, each requesting the page back to
back for ``--seconds`` with the session cookie of a person entitled to it (sessions built with
the session store; HR and the program admin have TOTP set up, as MFA_REQUIRED_FOR_ADMINS
demands). Response times after a 2-second warm-up give p50 and p95; requests/s is what the two
workers served over the run. Queries per request are counted in this process with
django.test.Client and CaptureQueriesContext against the same database (after one warm-up
request). The ratio is p50 over the baseline's p50: a trivial authenticated page through the
same middleware stack. ``chrome`` is the same empty page rendered in base.html (navigation,
roles, messages), shown for reference.

Target (issue 9): every page within 3x of the baseline's p50 and under 15 queries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throwaway import admin_connection, throwaway_database, with_database  # noqa: E402

PROGRAMS = [
    ("Engineering mentoring", "eng"),
    ("Leadership circle", "lead"),
    ("New joiners", "joiners"),
]
COHORT_PAIRS = [1400] + [400] * 9  # 5,000 active pairs; the first cohort is the big one
MEETINGS_PER_PAIR = 20
GOALS_PER_PAIR = 4
FILLERS_PER_COHORT = 1000
ADMIN_EMAIL = "admin@bench.example.com"
TARGET_RATIO = 3.0
TARGET_QUERIES = 15
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "MFA_REQUIRED_FOR_ADMINS": "1",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "CACHE_KEY_PREFIX": "bench-pages",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=20, help="locust run per page")
    parser.add_argument("--users", type=int, default=2, help="locust users (concurrent)")
    parser.add_argument("--pages", default="", help="comma-separated page keys (default: all)")
    parser.add_argument(
        "--in-process",
        type=int,
        default=0,
        metavar="N",
        help="quick check: no gunicorn or locust, N requests a page through django.test.Client",
    )
    parser.add_argument(
        "--misses",
        type=int,
        default=30,
        metavar="N",
        help="after the load runs, N requests a page in process, cached and not (default 30)",
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the seeded database (<name>_pages_bench) for later runs",
    )
    args = parser.parse_args()
    if args.reuse_db:
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mentorship")
        name = f"{urlsplit(base).path.lstrip('/') or 'mentorship'}_pages_bench"
        with admin_connection(base) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        run(with_database(base, name), args)
    else:
        with throwaway_database() as database_url:
            run(database_url, args)


def static_root() -> str:
    from django.conf import settings

    return str(settings.STATIC_ROOT)


def configure(database_url: str) -> None:
    # Cached figures and fragments of one database are never read for another.
    ENV["CACHE_KEY_PREFIX"] = f"bench-pages-{urlsplit(database_url).path.lstrip('/')}"
    os.environ.update(ENV)
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


# --- building the data -------------------------------------------------------------------------


def copy_rows(model, fields: list[str], rows: Iterable[tuple]) -> int:
    """COPY rows into the model's table (every NOT NULL column must be given)."""
    from django.db import connection

    columns = ", ".join(f'"{model._meta.get_field(f).column}"' for f in fields)
    n = 0
    statement = f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN'
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def build_cohorts(today: date):
    from programs.models import Cohort, Program

    programs = [Program.objects.create(name=name, slug=slug) for name, slug in PROGRAMS]
    cohorts = []
    for i in range(len(COHORT_PAIRS)):
        starts = today - timedelta(days=280 - 25 * i)  # every cohort is running
        program = programs[i % len(programs)]
        cohorts.append(
            Cohort.objects.create(
                program=program,
                name=f"{program.name} {starts:%B %Y} #{i}",
                slug=f"{program.slug}-{starts:%Y-%m}-{i}",
                application_opens=starts - timedelta(days=45),
                application_closes=starts - timedelta(days=10),
                starts_on=starts,
                ends_on=starts + timedelta(days=365),
            )
        )
    return programs, cohorts


@dataclass
class Pair:
    match_id: int
    mentee_person: int
    mentor_person: int
    mentee_enrollment: int
    published: datetime


def build_pairs(people, cohorts, now: datetime) -> tuple[list[Pair], dict]:
    """Distinct current employees in each cohort (a few in two); the big cohort's first mentor
    takes three mentees (the bench mentor, whose check-ins all wait for review)."""
    from django.utils import timezone

    from matching.models import Match
    from programs.models import Enrollment

    rng = random.Random(11)
    current = [pid for pid, hire, end in people if end is None and hire < cohorts[0].starts_on]
    rng.shuffle(current)
    cursor = 0
    tz = timezone.get_current_timezone()
    intake = now - timedelta(days=60)
    common = {
        "status": "accepted", "source": "directory", "bio": "Bench.", "languages": ["English"],
        "preferred_format": "either", "intake_completed_at": intake,
    }  # fmt: skip
    enrollments, plan = [], []
    for i, (cohort, n_pairs) in enumerate(zip(cohorts, COHORT_PAIRS, strict=True)):
        n_mentors = n_pairs - 2 if i == 0 else n_pairs
        here = current[cursor : cursor + n_pairs + n_mentors]
        cursor += n_pairs + n_mentors - 4  # a few people take part in two cohorts
        mentees = [
            Enrollment(cohort=cohort, person_id=pid, role="mentee", goals="Grow.", **common)
            for pid in here[:n_pairs]
        ]
        mentors = [
            Enrollment(
                cohort=cohort,
                person_id=pid,
                role="mentor",
                goals="Help.",
                capacity=3 if (i == 0 and k == 0) else 1,
                **common,
            )
            for k, pid in enumerate(here[n_pairs:])
        ]
        enrollments += mentees + mentors
        for k, mentee in enumerate(mentees):
            plan.append((cohort, mentee, mentors[max(0, k - 2)] if i == 0 else mentors[k]))
    Enrollment.objects.bulk_create(enrollments, batch_size=2000)
    matches = []
    for cohort, mentee, mentor in plan:
        published = datetime.combine(cohort.starts_on, dtime(9), tzinfo=tz)
        matches.append(
            Match(
                cohort=cohort, mentee=mentee, mentor=mentor, score=rng.randrange(40, 95),
                status=Match.Status.ACTIVE, created_at=published - timedelta(days=3),
                published_at=published,
            )
        )  # fmt: skip
    Match.objects.bulk_create(matches, batch_size=2000)
    pairs = [
        Pair(m.pk, m.mentee.person_id, m.mentor.person_id, m.mentee.pk, m.published_at)
        for m in matches
    ]
    bench = {"mentor": pairs[0].mentor_person, "used": set(current[: cursor + 4])}
    return pairs, bench


def build_workspace(pairs: list[Pair], bench: dict, now: datetime, today: date) -> dict:
    """Agreements, meetings, check-ins, goals, milestones and goal history, by COPY."""
    from django.db import connection

    from goals.models import AgreementRevision, CheckIn, Goal, GoalEvent, Meeting, Milestone

    rng = random.Random(17)
    copy_rows(
        AgreementRevision,
        [
            "match", "number", "cadence_days", "formats", "confidentiality",
            "mentee_expectations", "mentor_expectations", "created_by", "created_at",
            "mentee_confirmed_at", "mentor_confirmed_at",
        ],
        (
            (p.match_id, 1, 14, ["video"], "Bench.", "", "", p.mentee_person,
             p.published + timedelta(days=2), p.published + timedelta(days=2),
             p.published + timedelta(days=3))
            for p in pairs
        ),
    )  # fmt: skip

    def meetings():
        for p in pairs:
            gap = rng.choice([7, 10, 14, 14, 21, 28])
            first = p.published + timedelta(days=3, hours=rng.randrange(8))
            for k in range(MEETINGS_PER_PAIR):
                starts = first + timedelta(days=k * gap)
                cancelled = rng.random() < 0.04
                yield (
                    p.match_id, p.mentee_person, starts, "Europe/Berlin", 45, "video", "", "",
                    "", uuid.uuid4(), 0, "cancelled" if cancelled else "scheduled",
                    starts - timedelta(days=5), starts - timedelta(days=5),
                    starts - timedelta(days=1) if cancelled else None,
                )  # fmt: skip

    n_meetings = copy_rows(
        Meeting,
        [
            "match", "organizer", "starts_at", "timezone", "duration_minutes", "mode",
            "location", "video_url", "agenda", "uid", "sequence", "status", "created_at",
            "updated_at", "cancelled_at",
        ],
        meetings(),
    )  # fmt: skip
    people = {p.match_id: p for p in pairs}
    bench_pairs = {p.match_id for p in pairs if p.mentor_person == bench["mentor"]}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, match_id, starts_at FROM goals_meeting WHERE status = 'scheduled' "
            "AND starts_at < %s ORDER BY id",
            [now - timedelta(days=1)],
        )
        held = cursor.fetchall()

    def check_ins():
        for meeting_id, match_id, starts in held:
            if rng.random() >= 0.85:
                continue
            p = people[match_id]
            submitted = starts + timedelta(hours=rng.randrange(2, 48))
            reviewed = match_id not in bench_pairs and rng.random() < 0.75
            yield (
                meeting_id, match_id, p.mentee_person, "Bench check-in.", "", rng.randrange(2, 6),
                submitted, submitted, "Thanks." if reviewed else "",
                submitted + timedelta(days=1) if reviewed else None,
                p.mentor_person if reviewed else None,
            )  # fmt: skip

    n_check_ins = copy_rows(
        CheckIn,
        [
            "meeting", "match", "author", "discussed", "next_steps", "usefulness",
            "submitted_at", "updated_at", "review_comment", "reviewed_at", "reviewed_by",
        ],
        check_ins(),
    )  # fmt: skip
    statuses = ["agreed", "agreed", "achieved", "proposed"]

    def goals():
        for p in pairs:
            for k in range(GOALS_PER_PAIR):
                metric = k % 2 == 0
                status = statuses[k]
                created = p.published + timedelta(days=5 + k)
                yield (
                    p.match_id, p.mentee_enrollment, f"Goal {k + 1} of pair {p.match_id}", "",
                    "metric" if metric else "milestones", "talks" if metric else "",
                    0 if metric else None, 10 if metric else None,
                    rng.randrange(0, 11) if metric else None, "It matters.",
                    today + timedelta(days=rng.randrange(-30, 150)), "", status, p.mentee_person,
                    created, created, created + timedelta(days=2) if status != "proposed" else None,
                    created + timedelta(days=60) if status == "achieved" else None,
                )  # fmt: skip

    n_goals = copy_rows(
        Goal,
        [
            "match", "owner", "title", "description", "measure_kind", "metric_unit", "baseline",
            "target", "current_value", "relevance", "due_on", "no_due_reason", "status",
            "created_by", "created_at", "updated_at", "agreed_at", "achieved_at",
        ],
        goals(),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, match_id, measure_kind, status, created_at FROM goals_goal")
        goal_rows = cursor.fetchall()

    def milestones():
        for goal_id, match_id, kind, _status, created in goal_rows:
            if kind != "milestones":
                continue
            for k in range(3):
                due = today + timedelta(days=rng.randrange(-40, 120))
                done = created + timedelta(days=20 * (k + 1)) if due < today and k == 0 else None
                yield (
                    goal_id, f"Step {k + 1}", due, k, done,
                    people[match_id].mentee_person if done else None,
                )  # fmt: skip

    n_milestones = copy_rows(
        Milestone, ["goal", "title", "due_on", "position", "done_at", "done_by"], milestones()
    )

    def events():
        for goal_id, match_id, _kind, status, created in goal_rows:
            p = people[match_id]
            yield (goal_id, p.mentee_person, created, "created", "", "draft", "", "{}")
            yield (
                goal_id, p.mentee_person, created + timedelta(hours=1), "proposed", "draft",
                "proposed", "", "{}",
            )  # fmt: skip
            if status != "proposed":
                yield (
                    goal_id, p.mentor_person, created + timedelta(days=2), "agreed", "proposed",
                    "agreed", "", "{}",
                )  # fmt: skip

    n_events = copy_rows(
        GoalEvent,
        ["goal", "actor", "at", "kind", "from_status", "to_status", "comment", "data"],
        events(),
    )
    return {
        "meetings": n_meetings,
        "check_ins": n_check_ins,
        "goals": n_goals,
        "milestones": n_milestones,
        "goal_events": n_events,
    }


def build_fillers(people, cohorts, used: set[int]) -> int:
    """Invited, applied and declined enrollments: the rest of each cohort's dashboard."""
    from programs.models import Enrollment

    rng = random.Random(13)
    others = [pid for pid, _, end in people if end is None and pid not in used]
    rng.shuffle(others)
    batch = []
    for i, cohort in enumerate(cohorts):
        for k, pid in enumerate(others[i * FILLERS_PER_COHORT : (i + 1) * FILLERS_PER_COHORT]):
            mentor = k % 3 == 0
            batch.append(
                Enrollment(
                    cohort=cohort, person_id=pid, role="mentor" if mentor else "mentee",
                    capacity=2 if mentor else None,
                    status=rng.choice(["invited", "invited", "applied", "declined"]),
                    source="directory",
                )
            )  # fmt: skip
    Enrollment.objects.bulk_create(batch, batch_size=2000)
    return len(batch)


def seed(args) -> str:
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.utils import timezone

    from bench.bench_reports import HR_EMAIL, build_directory
    from people.models import User

    now = timezone.now()
    today = timezone.localdate()
    people = build_directory(args.employees, today)
    programs, cohorts = build_cohorts(today)
    pairs, bench = build_pairs(people, cohorts, now)
    counts = build_workspace(pairs, bench, now, today)
    fillers = build_fillers(people, cohorts, bench["used"])
    admin = User.objects.create(
        email=ADMIN_EMAIL, first_name="Ada", last_name="Admin", password=UNUSABLE_PASSWORD_PREFIX
    )
    programs[0].admins.add(admin)
    assert User.objects.filter(email=HR_EMAIL).exists()
    # COPY sends no signals: whatever the cache holds is of other data.
    from goals.cache_invalidation import PAIR_ACTIVITY
    from mentorship.cache_versions import DIRECTORY, PARTICIPATION, PEOPLE, bump

    bump(DIRECTORY, PARTICIPATION, PEOPLE, PAIR_ACTIVITY)
    return (
        f"{len(people):,} employees, {len(programs)} programs, {len(cohorts)} cohorts "
        f"({COHORT_PAIRS[0]:,} pairs in the biggest), {len(pairs):,} active pairs, "
        f"{counts['meetings']:,} meetings, {counts['check_ins']:,} check-ins, "
        f"{counts['goals']:,} goals, {counts['milestones']:,} milestones, "
        f"{counts['goal_events']:,} goal events, {2 * len(pairs) - 2 + fillers:,} enrollments"
    )


def analyze() -> None:
    """Planner statistics and the visibility map, as autovacuum keeps them on a live database
    (right after a bulk load every index-only scan would still visit the table)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- who requests what -------------------------------------------------------------------------


def bench_people() -> dict:
    """The people the pages are requested as, found in the seeded data."""
    from django.db.models import Count

    from bench.bench_reports import HR_EMAIL
    from matching.models import Match
    from people.models import User
    from programs.models import Cohort

    big = Cohort.objects.order_by("starts_on", "pk").first()
    mentor = (
        Match.objects.filter(cohort=big, status=Match.Status.ACTIVE)
        .values("mentor__person")
        .annotate(n=Count("*"))
        .order_by("-n", "mentor__person")
        .first()["mentor__person"]
    )
    pair = (
        Match.objects.filter(cohort=big, mentor__person=mentor, status=Match.Status.ACTIVE)
        .order_by("pk")
        .first()
    )
    return {
        "mentee": User.objects.get(pk=pair.mentee.person_id),
        "mentor": User.objects.get(pk=mentor),
        "admin": User.objects.get(email=ADMIN_EMAIL),
        "hr": User.objects.get(email=HR_EMAIL),
        "pair": pair.pk,
        "cohort": big.slug,
    }


def session_for(user) -> str:
    """A signed-in session as the login view would leave it; HR and admins get TOTP first."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from people.roles import roles_for

    if roles_for(user).is_admin_role:
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "bench"}}
        )
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def pages(who: dict) -> list[tuple[str, str, str, str]]:
    """(key, label, user key, path)."""
    pair, cohort = who["pair"], who["cohort"]
    return [
        ("baseline", "baseline: trivial authenticated page", "mentee", "/bench/baseline/"),
        ("chrome", "empty page in base.html (reference)", "mentee", "/bench/chrome/"),
        ("home", "mentee home", "mentee", "/"),
        ("pair", "pair timeline (pair page)", "mentee", f"/pairs/{pair}/"),
        ("reviews", "mentor review inbox", "mentor", "/reviews/"),
        (
            "dashboard",
            "cohort dashboard, filtered",
            "admin",
            f"/manage/cohorts/{cohort}/?role=mentee&status=accepted&department=Engineering&page=2",
        ),
        ("cohort_pairs", "cohort pairs, at risk", "admin", f"/manage/cohorts/{cohort}/pairs/"
         "?health=at_risk"),
        ("cohort_pairs_p3", "cohort pairs, page 3", "admin", f"/manage/cohorts/{cohort}/pairs/"
         "?page=3"),
        ("directory", "directory search", "hr", "/directory/?q=first12"),
        ("directory_all", "directory, unfiltered", "hr", "/directory/"),
        ("retention", "retention report page", "hr", "/reports/retention/"),
    ]  # fmt: skip


def count_queries(path: str, session: str, *, fresh_fragments=False) -> tuple[int, int, int]:
    """Queries, status and size of one request after a warm-up one, in this process (with
    ``fresh_fragments``, no rendered fragment cached: see ``in_process``)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from mentorship import cache_versions

    client = Client()
    client.cookies["sessionid"] = session
    client.get(path)
    if fresh_fragments:
        cache_versions._code_version = uuid.uuid4().hex
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return len(queries), response.status_code, len(response.content)


# --- serving and loading -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **ENV, "DATABASE_URL": database_url}
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "mentorship.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--chdir",
            str(ROOT),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited:\n" + (workdir / "gunicorn.log").read_text())
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer in 60 s:\n" + (workdir / "gunicorn.log").read_text())


def load(url: str, path: str, session: str, args, workdir: Path) -> dict:
    out = workdir / "times.json"
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_SESSION": session,
        "BENCH_OUT": str(out),
        "BENCH_WARMUP": "2",
    }
    done = subprocess.run(  # noqa: S603
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "locust_pages.py"),
            "--headless",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "-u",
            str(args.users),
            "-r",
            str(args.users),
            "-t",
            f"{args.seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if not out.exists():
        raise SystemExit(f"locust wrote no times for {path}:\n{done.stdout}\n{done.stderr}")
    data = json.loads(out.read_text())
    out.unlink()
    times = sorted(data["times"])
    if data["failed"] or not times:
        raise SystemExit(f"{path}: {data['failed']} failures, {len(times)} answers: {data}")
    measured = args.seconds - 2
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, int(0.95 * len(times)))],
        "rps": len(times) / measured,
        "n": len(times),
    }


def in_process(chosen, sessions, queries, n: int) -> None:
    """Median and p95 of ``n`` requests a page in this process (no server, no network), and
    the median CPU time of this process a request (the Python side, less disturbed by a busy
    machine than wall time): a quick before/after figure for one page between full runs.

    Then the same with every rendered fragment missing from the cache: the pages keep the
    HTML they render in the cache under ``fragment_key``, which holds the deployment's code
    version; a new one before each request makes every fragment render afresh, as after a
    write (the figures cached apart from HTML, pair health and retention, still answer)."""
    from django.test import Client

    from mentorship import cache_versions

    print(f"in process, {n} requests a page; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'page':<38} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7} {'queries':>7} {'x base':>7}"
        f"   fragments not cached: {'p50 ms':>7} {'cpu ms':>7} {'queries':>7}"
    )
    base = None
    for key, label, user, path in chosen:
        client = Client()
        client.cookies["sessionid"] = sessions[user]
        p50, p95, cpu = _timed(client, path, n)
        base = base or p50
        released = cache_versions.code_version()
        try:
            miss_p50, _, miss_cpu = _timed(client, path, n, fresh_fragments=True)
            miss_queries = count_queries(path, sessions[user], fresh_fragments=True)[0]
        finally:
            cache_versions._code_version = released
        print(
            f"{label:<38} {p50:8.1f} {p95:8.1f} {cpu:7.1f} {queries[key][0]:7d} {p50 / base:7.2f}"
            f"   {'':>21}{miss_p50:7.1f} {miss_cpu:7.1f} {miss_queries:7d}",
            flush=True,
        )


def _timed(client, path: str, n: int, *, fresh_fragments: bool = False):
    from mentorship import cache_versions

    times, cpu = [], []
    for _ in range(n):
        if fresh_fragments:
            cache_versions._code_version = uuid.uuid4().hex
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    times.sort()
    return statistics.median(times), times[min(n - 1, int(0.95 * n))], statistics.median(cpu)


# --- the run -----------------------------------------------------------------------------------


def run(database_url: str, args) -> None:
    configure(database_url)
    from django.core.management import call_command

    from people.models import User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    described = "reused (--reuse-db)" if User.objects.exists() else seed(args)
    analyze()
    print(
        f"database: {urlsplit(database_url).path.lstrip('/')}, ready in "
        f"{time.perf_counter() - started:.1f} s: {described}"
    )
    started = time.perf_counter()
    manifest = Path(static_root()) / "staticfiles.json"
    if args.in_process and manifest.exists():
        print("collectstatic: skipped (--in-process, the manifest exists)")
    else:
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"collectstatic (manifest, compressed): {time.perf_counter() - started:.1f} s")
    who = bench_people()
    sessions = {key: session_for(who[key]) for key in ("mentee", "mentor", "admin", "hr")}
    chosen = [p for p in pages(who) if not args.pages or p[0] in args.pages.split(",")]
    if not any(p[0] == "baseline" for p in chosen):
        chosen.insert(0, pages(who)[0])
    queries = {}
    for key, _label, user, path in chosen:
        queries[key] = count_queries(path, sessions[user])
        if queries[key][1] != 200:
            raise SystemExit(f"{path} as {user}: status {queries[key][1]}")
    if args.in_process:
        in_process(chosen, sessions, queries, args.in_process)
        return
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        workdir = Path(tmp)
        server, url = start_gunicorn(database_url, workdir)
        try:
            print(
                f"gunicorn: 2 sync workers at {url}, bench.settings_bench (production settings, "
                f"DEBUG off); locust: {args.users} users back to back, {args.seconds} s a page "
                f"(the first 2 s dropped); cpus: {os.cpu_count()}, load average "
                f"{os.getloadavg()[0]:.1f}"
            )
            print()
            header = (
                f"{'page':<38} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} {'n':>6} "
                f"{'queries':>7} {'x base':>7}  {'KB':>6}  target"
            )
            print(header)
            results = {}
            for key, label, user, path in chosen:
                results[key] = r = load(url, path, sessions[user], args, workdir)
                base = results["baseline"]["p50"]
                n_queries, _, size = queries[key]
                ratio = r["p50"] / base
                ok = key in ("baseline", "chrome") or (
                    ratio <= TARGET_RATIO and n_queries < TARGET_QUERIES
                )
                print(
                    f"{label:<38} {r['p50']:8.1f} {r['p95']:8.1f} {r['rps']:7.1f} {r['n']:6d} "
                    f"{n_queries:7d} {ratio:7.2f}  {size / 1024:6.1f}  "
                    f"{'ok' if ok else 'MISSED'}",
                    flush=True,
                )
            print()
            for key, _label, user, path in chosen:
                print(f"  {key:<16} as {user:<6} GET {path}")
            print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    print()
    in_process(chosen, sessions, queries, args.misses)


if __name__ == "__main__":
    main()
