"""Benchmark: 10,000 due reminders, scanned and delivered by a real worker to a local mail sink.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mentorship .venv/bin/python \
        bench/bench_reminders.py [--reminders 10000] [--concurrency 2]

Works in a throwaway database (same server as DATABASE_URL, name suffixed ``_bench_<pid>``)
dropped at the end, and a private queue on the Redis of REDIS_URL. The reminders are real:
10,000 people invited to an open cohort four days ago who have not finished their intake, so
each is due its first intake reminder. A real Celery worker (prefork, ``--concurrency``
processes) sends them over SMTP to a mail sink in its own process (``mentorship.mailsink``,
which saves every message it accepts as a file).

Prints: the scan (rows recorded and tasks queued), delivery until every row is sent,
reminders per second end to end, and duplicates (emails received beyond one per reminder,
which must be 0) after a second scan and after every send task is delivered a second time.
Baseline, in the same run: the same number of plain emails sent over SMTP to the same sink
from one process (no database, no queue), with the ratio of the outbox's rate to it.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throwaway import throwaway_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    with throwaway_database() as database_url:
        run(database_url, args.reminders, args.concurrency)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "the mail sink did not start"
            time.sleep(0.05)


def unacknowledged(client, queue: str) -> int:
    """Messages of ``queue`` a worker has taken and not yet acknowledged (kombu keeps them in
    the ``unacked`` hash as [message, exchange, routing key])."""
    return sum(1 for raw in client.hvals("unacked") if json.loads(raw)[2] == queue)


def message_id(path: Path) -> str:
    with path.open("rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)["Message-ID"]


def run(database_url: str, n: int, concurrency: int) -> None:
    queue = f"bench-reminders-{os.getpid()}"
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ["NOTIFICATION_QUEUE"] = queue
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")
    import django
    import redis

    django.setup()

    from django.conf import settings
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.core.mail import EmailMultiAlternatives, get_connection
    from django.core.management import call_command
    from django.utils import timezone

    from mentorship.models import Notification
    from mentorship.tasks import scan, send_notification
    from people.models import User
    from programs.models import Cohort, Enrollment, Program

    call_command("migrate", verbosity=0)
    print(f"database: {urlsplit(database_url).path.lstrip('/')} (throwaway), reminders: {n:,}")

    today = timezone.localdate()
    now = timezone.now()
    program = Program.objects.create(name="Engineering mentoring", slug="eng")
    cohort = Cohort.objects.create(
        program=program,
        name="Spring",
        slug="eng-spring",
        application_opens=today - timedelta(days=10),
        application_closes=today + timedelta(days=10),
        starts_on=today + timedelta(days=20),
        ends_on=today + timedelta(days=200),
    )
    zones = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Singapore", "UTC"]
    users = User.objects.bulk_create(
        [
            User(
                email=f"person{i}@example.com",
                first_name=f"First{i}",
                last_name=f"Last{i}",
                employee_id=f"E{i:06d}",
                timezone=zones[i % len(zones)],
                password=UNUSABLE_PASSWORD_PREFIX,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                cohort=cohort,
                person=user,
                role=Enrollment.Role.MENTEE,
                status=Enrollment.Status.INVITED,
                source=Enrollment.Source.DIRECTORY,
                invitation_sent_at=now - timedelta(days=4),
            )
            for user in users
        ],
        batch_size=2000,
    )

    maildir = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    port = free_port()
    sink_argv = [sys.executable, "-m", "mentorship.mailsink", "--port", str(port)]
    sink_argv += ["--maildir", str(maildir), "--quiet"]
    sink = subprocess.Popen(sink_argv, cwd=ROOT)  # noqa: S603 (our own mail sink)
    wait_for_port(port)

    def received() -> list[Path]:
        return sorted(maildir.glob("*.eml"))

    try:
        env = {
            **os.environ,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
        }

        # Baseline: plain emails over SMTP from one process, one connection each as the
        # outbox's sends use.
        started = time.perf_counter()
        backend = "django.core.mail.backends.smtp.EmailBackend"
        for i in range(n):
            message = EmailMultiAlternatives(
                subject="[Mentorship] Finish your intake",
                body=f"Hello First{i}, please finish your intake.",
                to=[f"baseline{i}@example.com"],
                connection=get_connection(backend, host="127.0.0.1", port=port),
            )
            message.attach_alternative("<p>Please finish your intake.</p>", "text/html")
            message.send()
        baseline = time.perf_counter() - started
        baseline_rate = n / baseline
        print(f"{'baseline: plain SMTP sends':<34} {baseline:7.2f} s  {baseline_rate:8,.0f} /s")
        for path in received():
            path.unlink()

        argv = [sys.executable, "-m", "celery", "-A", "mentorship", "worker", "-Q", queue]
        argv += ["--concurrency", str(concurrency), "-l", "warning", "--without-gossip"]
        argv += ["--without-mingle", "--without-heartbeat"]
        worker = subprocess.Popen(argv, cwd=ROOT, env=env)  # noqa: S603 (our own worker)
        try:
            started = time.perf_counter()
            created = scan()
            scanned = time.perf_counter()
            recorded = created.get("intake_reminder", 0)
            assert recorded == n, f"the scan recorded {recorded:,} intake reminders, not {n:,}"
            sent = 0
            while sent < n:
                time.sleep(0.25)
                sent = Notification.objects.filter(status="sent").count()
                failed = Notification.objects.filter(status="failed").count()
                assert not failed, f"{failed} failed: " + str(
                    Notification.objects.filter(status="failed").values("last_error").first()
                )
            delivered = time.perf_counter()
            total = delivered - started
            rate = n / total
            print(
                f"{'scan: record + queue':<34} {scanned - started:7.2f} s  "
                f"{n / (scanned - started):8,.0f} /s  ({recorded:,} rows, {n:,} tasks)"
            )
            print(
                f"{'delivery by the worker':<34} {delivered - scanned:7.2f} s  "
                f"{n / (delivered - scanned):8,.0f} /s  ({concurrency} worker processes)"
            )
            print(f"{'end to end':<34} {total:7.2f} s  {rate:8,.0f} reminders/s")

            # Again: a second scan, then every task delivered a second time.
            again = scan(now=timezone.now() + timedelta(minutes=5))
            for pk in Notification.objects.values_list("pk", flat=True):
                send_notification.apply_async((pk,), queue=queue)
            client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
            # Done when nothing waits in the queue and no taken task is unacknowledged (tasks are
            # acknowledged late, once they have run).
            while client.llen(queue) or unacknowledged(client, queue):
                time.sleep(0.25)
            client.delete(queue)
            files = received()
            per_key = Counter(message_id(path) for path in files)
            duplicates = len(files) - len(per_key)
            print(
                f"after a second scan ({again.get('intake_reminder', 0)} new rows, "
                f"{again['requeued']} requeued) and every task delivered twice: "
                f"{len(files):,} emails for {n:,} reminders, duplicates: {duplicates}"
            )
            print(f"ratio to baseline: {rate / baseline_rate:.2f}x the plain-SMTP rate")
            assert duplicates == 0 and len(files) == n
        finally:
            worker.terminate()
            worker.wait(30)
    finally:
        sink.terminate()
        sink.wait(10)
        shutil.rmtree(maildir, ignore_errors=True)


if __name__ == "__main__":
    main()
