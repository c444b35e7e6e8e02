"""Benchmark: import a 50,000-row HR directory file, then import it again unchanged.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mentorship .venv/bin/python \
        bench/bench_directory_import.py [--rows 50000]

Works in a throwaway database created next to the one DATABASE_URL names (same server,
name suffixed ``_bench_<pid>``) and dropped at the end, so it never touches real data.
Prints seconds and rows/second for each step, and a baseline from the same run: a plain
``bulk_create`` of as many bare users, with the ratio of each import to it.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throwaway import throwaway_database  # noqa: E402

DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Finance", "People", "Support", "Legal"]
LOCATIONS = [("Berlin", "Europe/Berlin"), ("London", "Europe/London"), ("Lisbon", "Europe/Lisbon")]
LOCATIONS += [("New York", "America/New_York"), ("Singapore", "Asia/Singapore")]
TITLES = ["Engineer", "Senior Engineer", "Manager", "Analyst", "Director", "Specialist"]
HEADER = [
    "employee_id",
    "email",
    "first_name",
    "last_name",
    "department",
    "title",
    "level",
    "location",
    "timezone",
    "manager_email",
    "hire_date",
    "end_date",
]


def generate(rows: int, *, reorganised: bool = False) -> bytes:
    """A realistic export: a management tree ten wide, some leavers, in shuffled order.

    ``reorganised``: the same people with every title changed and one in ten emails
    changed (managers' emails follow), so every row is an update."""
    rng = random.Random(42)

    def email(i: int) -> str:
        if reorganised and i % 10 == 0:
            return f"p{i}@new.example.com"
        return f"person{i}@example.com"

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    order = list(range(rows))
    rng.shuffle(order)  # managers are not always above their reports in the file
    for i in order:
        location, tz = rng.choice(LOCATIONS)
        hire = date(2010, 1, 1) + timedelta(days=rng.randrange(5000))
        end = hire + timedelta(days=rng.randrange(30, 3000)) if rng.random() < 0.1 else None
        writer.writerow(
            [
                f"E{i:06d}",
                email(i),
                f"First{i}",
                f"Last{i}",
                rng.choice(DEPARTMENTS),
                rng.choice(TITLES) + (" II" if reorganised else ""),
                rng.randrange(1, 10),
                location,
                tz,
                email((i - 1) // 10) if i else "",
                hire.isoformat(),
                end.isoformat() if end else "",
            ]
        )
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    with throwaway_database() as database_url:
        run(database_url, args.rows)


def run(database_url: str, rows: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"  # no query log, as in production
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")
    import django

    django.setup()

    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.core.management import call_command
    from django.db import transaction

    from people.directory_import import (
        directory_import_apply,
        directory_import_create,
        directory_import_plan,
        parse_directory_file,
    )
    from people.models import User

    call_command("migrate", verbosity=0)
    print(f"database: {urlsplit(database_url).path.lstrip('/')} (throwaway), rows: {rows:,}")
    data = generate(rows)
    print(f"file: {len(data) / 1e6:.1f} MB")

    def import_once(label: str, data: bytes) -> dict:
        started = time.perf_counter()
        parsed = parse_directory_file(data=data)
        plan = directory_import_plan(parsed=parsed)
        assert plan.is_valid, plan.errors[:5]
        directory_import = directory_import_create(
            parsed=parsed, plan=plan, filename="bench.csv", user=None
        )
        previewed = time.perf_counter()
        result = directory_import_apply(directory_import=directory_import, user=None)
        finished = time.perf_counter()
        assert result.applied, result.errors[:5]
        total = finished - started
        print(
            f"{label:<28} {total:7.2f} s  {rows / total:9,.0f} rows/s  "
            f"(preview {previewed - started:.2f} s + apply {finished - previewed:.2f} s)  "
            f"created {result.counts['created']:,}, updated {result.counts['updated']:,}, "
            f"unchanged {result.counts['unchanged']:,}"
        )
        return {"seconds": total, **result.counts}

    class Rollback(Exception):
        pass

    # Baseline: the least any import of this many users can cost on this machine.
    started = time.perf_counter()
    try:
        with transaction.atomic():
            User.objects.bulk_create(
                [
                    User(email=f"bare{i}@example.com", password=UNUSABLE_PASSWORD_PREFIX)
                    for i in range(rows)
                ],
                batch_size=2000,
            )
            raise Rollback
    except Rollback:
        pass
    baseline = time.perf_counter() - started
    print(f"{'baseline: bulk_create bare':<28} {baseline:7.2f} s  {rows / baseline:9,.0f} rows/s")

    first = import_once("first import (all new)", data)
    assert first["created"] == rows
    second = import_once("re-import (unchanged)", data)
    assert second["unchanged"] == rows and second["created"] == second["updated"] == 0
    third = import_once("reorganised (all changed)", generate(rows, reorganised=True))
    assert third["updated"] == rows
    print(
        f"ratio to baseline: first import {first['seconds'] / baseline:.1f}x, "
        f"re-import {second['seconds'] / baseline:.1f}x, "
        f"all changed {third['seconds'] / baseline:.1f}x"
    )
    managed = User.objects.filter(manager__isnull=False).count()
    print(f"check: {User.objects.count():,} users, {managed:,} with a manager")


if __name__ == "__main__":
    main()
