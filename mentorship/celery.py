"""The Celery app: Redis broker, JSON only, late acks, one task prefetched at a time.

Beat only triggers scans; what is due is decided from the database by the tasks.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")

app = Celery("mentorship")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules beside an app's tasks.py that autodiscovery does not import.
app.conf.imports = ("matching.tasks_requests",)

app.conf.beat_schedule = {
    # Every reminder and nudge: each kind's scan records what is due (once per key) and rows
    # waiting to be sent (broker down, retry due, worker died) are queued again.
    "scan-notifications": {
        "task": "mentorship.tasks.scan_notifications",
        "schedule": crontab(minute="*/5"),
    },
    "expire-mentor-requests": {
        "task": "matching.tasks_requests.expire_mentor_requests",
        "schedule": crontab(minute="*/5"),
    },
    "deactivate-leavers": {
        "task": "people.tasks.deactivate_leavers",
        "schedule": crontab(minute=5),
    },
}
