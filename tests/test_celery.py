"""The Celery app as configured, and a real worker on the real Redis broker running a task."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from mentorship.celery import app as celery_app
from people.models import User
from people.tasks import deactivate_leavers


def test_celery_speaks_json_only():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_tasks_are_acknowledged_late_and_prefetched_one_at_a_time():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_tasks_have_soft_and_hard_time_limits():
    conf = celery_app.conf
    assert conf.task_soft_time_limit > 0
    assert conf.task_time_limit > conf.task_soft_time_limit
    # A late-acked task unacknowledged this long is redelivered: it must outlast any task.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_broker_is_the_configured_redis_and_there_is_no_result_backend():
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert celery_app.conf.broker_url.split("://")[0] in {"redis", "rediss", "redis+socket"}
    assert not celery_app.conf.result_backend
    assert celery_app.conf.task_always_eager is False


def test_beat_triggers_the_leavers_scan():
    entry = celery_app.conf.beat_schedule["deactivate-leavers"]
    assert entry["task"] == "people.tasks.deactivate_leavers"
    assert entry["task"] in celery_app.tasks


@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_deactivates_a_leaver(
    user_factory, private_queue, close_worker_connections
):
    today = timezone.localdate()
    leaver = user_factory(hire_date=today - timedelta(days=400), end_date=today)
    staying = user_factory(hire_date=today - timedelta(days=400))

    with start_worker(
        celery_app, queues=[private_queue], perform_ping_check=False, shutdown_timeout=30
    ):
        deactivate_leavers.apply_async(queue=private_queue)
        deadline = time.monotonic() + 20
        while User.objects.filter(pk=leaver.pk, is_active=True).exists():
            assert time.monotonic() < deadline, "the worker did not run the task in 20 s"
            time.sleep(0.1)

    assert User.objects.get(pk=staying.pk).is_active
