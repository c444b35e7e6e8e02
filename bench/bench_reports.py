"""Benchmark: HR reports over a 50,000-person directory: retention and the 100,000-row export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mentorship .venv/bin/python \
        bench/bench_reports.py [--employees 50000] [--participants 5000] [--rows 100000] \
        [--skip-exports]

Works in a throwaway database created next to the one DATABASE_URL names (same server, name
suffixed ``_bench_<pid>``) and dropped at the end. It builds the directory (departments,
levels, hire dates over 10 years, about 12% leaving a year, with leaving dates), 3 programs
with 10 cohorts starting over the last 3 years, ``--participants`` people matched in them
(published matches: active, or ended for cohorts that are over, each with four meetings and
two check-ins), and invited / applied / declined / withdrawn enrollments until the
participant-level export has ``--rows`` rows.

Each figure is measured in a fresh child process: the step runs once cold and is timed
(pages and the retention computation: once more, warm), then once more under tracemalloc for
the Python heap's peak. The retention page is measured twice: "not cached", every run after a
change of the data's versions (so the cached reports never serve it: what a page costs right
after the directory or a cohort changed), and "cached", a first run that fills the cache, then
runs that read it, with the queries a cached page still makes. The cache entries live under a
key prefix of the run's own, deleted at the end. ``--skip-exports`` measures retention only.
The peak RSS is the child's VmHWM from /proc (its ru_maxrss would include the parent's,
inherited across fork and exec). Exports go through
``django.test.Client`` as an HR user, the streamed body consumed chunk by chunk and counted,
never kept; they run at a tenth of ``--rows`` and at ``--rows`` so one sees memory stay flat.
Baselines from the same run: a trivial authenticated page (home) through the same client and
middleware, and a bare ``values_list`` of the same enrollment rows written with csv.writer to
a null sink. Planner statistics are refreshed (ANALYZE) after each bulk load, as autovacuum
would on a live database.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throwaway import throwaway_database  # noqa: E402

DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Finance", "People", "Support", "Legal"]
PROGRAMS = [
    ("Engineering mentoring", "eng"),
    ("Leadership circle", "lead"),
    ("New joiners", "joiners"),
]
COHORTS = 10
HR_EMAIL = "hr@bench.example.com"
ANNUAL_LEAVING = 0.12
FILLER_STATUSES = ["invited", "applied", "declined", "withdrawn"]
BARE_COLUMNS = (
    "person__employee_id",
    "person__first_name",
    "person__last_name",
    "person__department",
    "person__level",
    "cohort__program__name",
    "cohort__name",
    "role",
    "status",
    "person__end_date",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--participants", type=int, default=5_000)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the export")
    parser.add_argument(
        "--skip-exports", action="store_true", help="retention only: no participant exports"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # one measurement, in its own process, on the database the parent built
        child(args.child)
        return

    # Cache entries of this run only (the versions live in the cache, the database is new).
    os.environ["CACHE_KEY_PREFIX"] = prefix = f"bench-reports-{os.getpid()}"
    try:
        with throwaway_database() as database_url:
            run(database_url, args)
    finally:
        drop_cache_keys(prefix)


def drop_cache_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def configure(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"  # production settings: no query log
    os.environ["MFA_REQUIRED_FOR_ADMINS"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")
    import django

    django.setup()


# --- building the data -------------------------------------------------------------------------


def build_directory(n: int, today: date):
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from people.models import User

    rng = random.Random(7)
    hazard = -math.log(1 - ANNUAL_LEAVING) / 365.25  # per day
    users = []
    for i in range(n):
        hire = today - timedelta(days=rng.randrange(10 * 365))
        leaves = hire + timedelta(days=int(rng.expovariate(hazard)))
        users.append(
            User(
                email=f"person{i}@example.com",
                first_name=f"First{i}",
                last_name=f"Last{i}",
                employee_id=f"E{i:06d}",
                department=rng.choice(DEPARTMENTS),
                level=rng.randrange(1, 10),
                timezone="Europe/Berlin",
                hire_date=hire,
                end_date=leaves if leaves <= today else None,
                is_active=leaves > today,
                password=UNUSABLE_PASSWORD_PREFIX,
            )
        )
    users = User.objects.bulk_create(users, batch_size=2000)
    User.objects.create(
        email=HR_EMAIL, first_name="Hannah", last_name="HR", is_hr=True,
        password=UNUSABLE_PASSWORD_PREFIX,
    )  # fmt: skip
    return [(u.pk, u.hire_date, u.end_date) for u in users]


def build_programs(today: date):
    from programs.models import Cohort, Program

    programs = [Program.objects.create(name=name, slug=slug) for name, slug in PROGRAMS]
    cohorts = []
    for i in range(COHORTS):
        starts = today - timedelta(days=3 * 365 - i * 110)  # the last one about 2 months ago
        program = programs[i % len(programs)]
        cohorts.append(
            Cohort.objects.create(
                program=program,
                name=f"{program.name} {starts:%B %Y}",
                slug=f"{program.slug}-{starts:%Y-%m}",
                application_opens=starts - timedelta(days=45),
                application_closes=starts - timedelta(days=10),
                starts_on=starts,
                ends_on=starts + timedelta(days=180),
            )
        )
    return cohorts


def build_participants(people, cohorts, participants: int, today: date):
    """``participants`` distinct people, half mentees and half mentors, matched in pairs in
    the cohorts (employed on the cohort's start); four meetings and two check-ins a pair."""
    from django.utils import timezone

    from goals.models import CheckIn, Meeting
    from matching.models import Match
    from programs.models import Enrollment

    rng = random.Random(11)
    order = list(range(len(people)))
    rng.shuffle(order)
    used: set[int] = set()
    now = timezone.now()
    enrollments, pairs = [], []
    per_cohort = participants // len(cohorts) // 2  # pairs a cohort
    for cohort in cohorts:
        start = cohort.starts_on
        chosen = []
        for index in order:
            pid, hire, end = people[index]
            if index in used or hire > start or (end is not None and end <= start):
                continue
            used.add(index)
            chosen.append(pid)
            if len(chosen) == 2 * per_cohort:
                break
        over = cohort.ends_on < today
        status = Enrollment.Status.COMPLETED if over else Enrollment.Status.ACCEPTED
        for k in range(per_cohort):
            mentee = Enrollment(
                cohort=cohort, person_id=chosen[2 * k], role="mentee", status=status,
                source="directory",
            )  # fmt: skip
            mentor = Enrollment(
                cohort=cohort, person_id=chosen[2 * k + 1], role="mentor", status=status,
                source="directory", capacity=1,
            )  # fmt: skip
            enrollments += [mentee, mentor]
            pairs.append((cohort, mentee, mentor, over))
    Enrollment.objects.bulk_create(enrollments, batch_size=2000)
    tz = timezone.get_current_timezone()
    matches = []
    for cohort, mentee, mentor, over in pairs:
        published = datetime.combine(cohort.starts_on, dtime(9), tzinfo=tz)
        matches.append(
            Match(
                cohort=cohort, mentee=mentee, mentor=mentor, score=50,
                status=Match.Status.ENDED if over else Match.Status.ACTIVE,
                created_at=published - timedelta(days=3), published_at=published,
                ended_at=datetime.combine(cohort.ends_on, dtime(9), tzinfo=tz) if over else None,
            )
        )  # fmt: skip
    Match.objects.bulk_create(matches, batch_size=2000)
    meetings = []
    for match in matches:
        for k in range(4):
            starts = match.published_at + timedelta(days=7 + 21 * k)
            meetings.append(
                Meeting(match=match, organizer_id=match.mentee.person_id, starts_at=starts)
            )
    Meeting.objects.bulk_create(meetings, batch_size=2000)
    check_ins = [
        CheckIn(
            meeting=meeting,
            match_id=meeting.match_id,
            author_id=meeting.organizer_id,
            discussed="Bench check-in.",
            usefulness=4,
            submitted_at=meeting.starts_at,
        )
        for meeting in meetings[0::2]
        if meeting.starts_at <= now
    ]
    CheckIn.objects.bulk_create(check_ins, batch_size=2000)
    return {c.pk: {e.person_id for e in enrollments if e.cohort_id == c.pk} for c in cohorts}, (
        len(matches),
        len(meetings),
        len(check_ins),
    )


class Fillers:
    """Enrollments that are not matched (invited, applied, declined, withdrawn), added round
    robin over the cohorts, each cohort walking the directory from its own offset."""

    def __init__(self, people, cohorts, enrolled: dict[int, set[int]]):
        self.people, self.cohorts, self.enrolled = people, cohorts, enrolled
        self.position = {c.pk: i * 4999 for i, c in enumerate(cohorts)}
        self.rng = random.Random(13)

    def add(self, count: int) -> None:
        from programs.models import Enrollment

        batch = []
        for k in range(count):
            cohort = self.cohorts[k % len(self.cohorts)]
            taken = self.enrolled[cohort.pk]
            while True:
                pid = self.people[self.position[cohort.pk] % len(self.people)][0]
                self.position[cohort.pk] += 1
                if pid not in taken:
                    break
            taken.add(pid)
            mentor = k % 3 == 0
            batch.append(
                Enrollment(
                    cohort=cohort, person_id=pid, role="mentor" if mentor else "mentee",
                    capacity=2 if mentor else None, status=self.rng.choice(FILLER_STATUSES),
                    source="directory",
                )
            )  # fmt: skip
            if len(batch) == 5000:
                Enrollment.objects.bulk_create(batch, batch_size=2000)
                batch = []
        Enrollment.objects.bulk_create(batch, batch_size=2000)


# --- measuring, in a child process ---------------------------------------------------------------


def rss_mb() -> float:
    """This process's peak resident set, MB. ``ru_maxrss`` survives fork and exec on Linux, so
    a child would report the parent's peak (the 50,000 users it built); VmHWM is this process
    image's own high-water mark, the same figure without the inheritance."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class NullSink:
    def write(self, value: str) -> int:
        return len(value)


def child(kind: str) -> None:
    configure(os.environ["DATABASE_URL"])
    from django.test import Client, override_settings
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from people.models import User

    # The collected static manifest may be stale in a working tree: plain static storage.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    client = Client()
    client.force_login(User.objects.get(email=HR_EMAIL))
    assert client.get("/", secure=True).status_code == 200  # warm the stack: URLs, middleware

    def page(url: str):
        def fetch():
            response = client.get(url, secure=True)
            assert response.status_code == 200, (url, response.status_code)
            return {"bytes": len(response.content)}

        return fetch

    def download(url: str):
        def fetch():
            response = client.get(url, secure=True)
            assert response.status_code == 200, (url, response.status_code)
            size = lines = 0
            first = b""
            for chunk in response.streaming_content:
                if not first:
                    first = chunk[:4]
                size += len(chunk)
                lines += chunk.count(b"\n")
            response.close()
            out = {"bytes": size}
            if url.endswith(".csv"):
                out["rows"] = lines - 1  # the header
            else:
                assert first.startswith(b"PK"), first
            return out

        return fetch

    def bare_rows():
        import csv

        from programs.models import Enrollment

        writer = csv.writer(NullSink())
        rows = 0
        for row in (
            Enrollment.objects.order_by("cohort_id", "id")
            .values_list(*BARE_COLUMNS)
            .iterator(chunk_size=2000)
        ):
            writer.writerow(row)
            rows += 1
        return {"rows": rows}

    def uncached(fetch):
        """Each run after a change of the data's versions: the cache has nothing for it."""

        def run():
            try:
                from mentorship.cache_versions import DIRECTORY, PARTICIPATION, bump
            except ImportError:  # before the cache existed
                return fetch()
            bump(DIRECTORY, PARTICIPATION)
            return fetch()

        return run

    def retention():
        from reports.retention import retention_reports

        reports = retention_reports(as_of=timezone.localdate())
        return {"reports": len(reports)}

    note = ""
    again = kind in ("retention", "page", "cached", "home", "healthz")
    if kind == "retention":
        step = retention
    elif kind in ("page", "cached"):
        try:
            fetch = page(reverse("reports:retention"))
        except NoReverseMatch:
            fetch = page(reverse("reports:engagement"))
            note = "reports:retention does not exist yet: measured reports:engagement"
        step = uncached(fetch)
        if kind == "cached":  # the cold run fills an empty cache, the later runs read it
            step()
            step = fetch
    elif kind == "home":
        step = page("/")
    elif kind == "healthz":
        step = page("/healthz")
    elif kind == "csv":
        step = download(reverse("report_exports:participants_csv"))
    elif kind == "xlsx":
        step = download(reverse("report_exports:participants_xlsx"))
    elif kind == "bare":
        step = bare_rows
    else:
        raise SystemExit(f"unknown step {kind}")

    rss_before = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    out = step()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_after = rss_mb()
    result = {
        "seconds": seconds, "cpu": cpu, "rss_before": rss_before, "rss_peak": rss_after, **out,
    }  # fmt: skip
    if again:  # warm: the median of a few more runs (trivial pages: many)
        repeats = 30 if kind in ("home", "healthz") else 3
        times, cpus = [], []
        for _ in range(repeats):
            started, cpu = time.perf_counter(), time.process_time()
            step()
            times.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        result["again"] = statistics.median(times)
        result["again_cpu"] = statistics.median(cpus)
    tracemalloc.start()
    started = time.perf_counter()
    step()
    result["traced_seconds"] = time.perf_counter() - started
    result["py_peak"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    if kind == "cached":  # what a cached page still asks the database
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            step()
        figures = sum("matching_match" in q["sql"] for q in queries.captured_queries)
        note = (
            f"cached page: {len(queries.captured_queries)} queries (session, user, scope), "
            f"{figures} of them for the figures"
        )
    result["note"] = note
    print("RESULT " + json.dumps(result))


def measure(kind: str) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"step {kind} failed")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


HEADER = (
    f"{'step':<44} {'rows':>8} {'MB out':>7} {'cold s':>7} {'warm s':>7} {'cpu c/w':>11} "
    f"{'py peak MB':>10} {'rss MB':>7} {'+rss MB':>7}"
)


def show(label: str, r: dict) -> None:
    rows = f"{r['rows']:,}" if "rows" in r else ""
    size = f"{r['bytes'] / 1e6:.2f}" if "bytes" in r else ""
    again = f"{r['again']:.3f}" if "again" in r else ""
    cpu = f"{r['cpu']:.3f}" + (f"/{r['again_cpu']:.3f}" if "again_cpu" in r else "")
    print(
        f"{label:<44} {rows:>8} {size:>7} {r['seconds']:7.3f} {again:>7} {cpu:>11} "
        f"{r['py_peak']:10.1f} {r['rss_peak']:7.0f} {r['rss_peak'] - r['rss_before']:7.0f}"
    )
    if r.get("note"):
        print(f"  note: {r['note']}")


def analyze() -> None:
    """Planner statistics, as autovacuum would have them on a live database: without them,
    right after a bulk load, PostgreSQL plans the export's per-enrollment counts as a scan of
    every meeting for each row (5.8 ms a row at 10,000 rows in a trial run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run(database_url: str, args) -> None:
    configure(database_url)
    from django.core.management import call_command
    from django.utils import timezone

    from programs.models import Enrollment

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    people = build_directory(args.employees, today)
    cohorts = build_programs(today)
    enrolled, (pairs, meetings, check_ins) = build_participants(
        people, cohorts, args.participants, today
    )
    participants = Enrollment.objects.count()
    small = max(participants, args.rows // 10)
    assert args.rows <= COHORTS * (args.employees - args.participants), "--rows too large"
    fillers = Fillers(people, cohorts, enrolled)
    fillers.add(small - participants)
    analyze()
    leavers = sum(1 for _, _, end in people if end is not None)
    print(
        f"database: {urlsplit(database_url).path.lstrip('/')} (throwaway), built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(
        f"directory: {len(people):,} employees ({leavers:,} have left), {len(PROGRAMS)} programs, "
        f"{len(cohorts)} cohorts from {cohorts[0].starts_on} to {cohorts[-1].starts_on}; "
        f"{participants:,} participants in {pairs:,} published pairs, {meetings:,} meetings, "
        f"{check_ins:,} check-ins; as of {today}"
    )
    print("each step in its own process: cold = first run; warm = median of later runs;")
    print("cpu c/w = this process's CPU seconds, cold / warm (not PostgreSQL's; on a shared")
    print("machine the wall times also count waiting for a core);")
    print("py peak = tracemalloc peak of one more run; rss = the process's peak RSS (VmHWM, the")
    print("child's own ru_maxrss) after the cold run, + = its growth during the cold run")
    print()
    print(HEADER)
    results = {}
    for kind, label in (
        ("home", "baseline: home page (HR user)"),
        ("healthz", "baseline: /healthz"),
        ("retention", "retention_reports(as_of=today)"),
        ("page", "retention page (HR), not cached"),
        ("cached", "retention page (HR), cached"),
    ):
        results[kind] = measure(kind)
        show(label, results[kind])
    for size in () if args.skip_exports else (small, args.rows):
        if size != small:
            fillers.add(size - Enrollment.objects.count())
            analyze()
        assert Enrollment.objects.count() == size
        for kind, label in (
            ("bare", "baseline: values_list -> csv.writer"),
            ("csv", "participants.csv"),
            ("xlsx", "participants.xlsx"),
        ):
            results[kind, size] = r = measure(kind)
            show(f"{label} @ {size:,}", r)
            if kind == "csv":
                assert r["rows"] == size, (r["rows"], size)
    print()
    home = results["home"]["again"]
    page = results["page"]
    cached = results["cached"]
    print(
        f"ratio to the home page (warm {home * 1000:.1f} ms): retention page not cached cold "
        f"{page['seconds'] / home:.0f}x, warm {page['again'] / home:.0f}x; cached "
        f"{cached['again'] / home:.1f}x; retention_reports cold "
        f"{results['retention']['seconds'] / home:.0f}x"
    )
    if args.skip_exports:
        return
    for size in (small, args.rows):
        bare = results["bare", size]["seconds"]
        print(
            f"ratio to the bare values_list @ {size:,} rows ({bare:.2f} s): "
            f"CSV {results['csv', size]['seconds'] / bare:.1f}x, "
            f"XLSX {results['xlsx', size]['seconds'] / bare:.1f}x"
        )
    print(
        "memory from {:,} to {:,} rows: CSV py peak {:.1f} -> {:.1f} MB, rss {:.0f} -> {:.0f} MB; "
        "XLSX py peak {:.1f} -> {:.1f} MB, rss {:.0f} -> {:.0f} MB".format(
            small,
            args.rows,
            results["csv", small]["py_peak"],
            results["csv", args.rows]["py_peak"],
            results["csv", small]["rss_peak"],
            results["csv", args.rows]["rss_peak"],
            results["xlsx", small]["py_peak"],
            results["xlsx", args.rows]["py_peak"],
            results["xlsx", small]["rss_peak"],
            results["xlsx", args.rows]["rss_peak"],
        )
    )


if __name__ == "__main__":
    main()
