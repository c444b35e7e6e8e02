"""A real Celery worker in its own process, for tests that kill it or cut it off from Redis.

    python -m tests.mentorship.worker_process QUEUE

It runs the project's Celery app with the test ping kind registered and its templates found.
The environment says which database, broker and SMTP server to use.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    queue = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")
    from django.conf import settings

    from tests.mentorship import kinds

    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], kinds.TEMPLATES]}]

    import django

    django.setup()

    from mentorship.celery import app

    app.worker_main(
        [
            "worker",
            "--queues",
            queue,
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ]
    )


if __name__ == "__main__":
    main()
