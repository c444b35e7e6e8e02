"""Settings come from the environment: production settings pass Django's deployment checks,
and a bad value stops start-up with a message naming the variable.

Each case runs manage.py in a subprocess with an environment of its own, as a server would.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def base_env(**values: str) -> dict[str, str]:
    """Only what the process needs, so variables set on this machine don't leak in."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env["DATABASE_URL"] = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mentorship"
    )
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.update(values)
    return env


def production_env(**values: str) -> dict[str, str]:
    production = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "mentoring.example.com",
    }
    return base_env(**{**production, **values})


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def collected_static():
    """Production serves hashed static files from the manifest that collectstatic writes."""
    result = manage("collectstatic", "--noinput", env=production_env())
    assert result.returncode == 0, result.stderr
    assert (ROOT / ".data" / "staticfiles" / "staticfiles.json").exists()


def test_production_settings_pass_the_deployment_checks(collected_static):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified some issues" not in output
    assert "System check identified no issues" in output


def test_development_defaults_need_no_environment():
    result = manage("check", env=base_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"EMAIL_PORT": "abc"}, "EMAIL_PORT"),
        ({"DATABASE_URL": "mysql://root@127.0.0.1/mentorship"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379/0"}, "REDIS_URL"),
        ({"DATABASE_CONN_MAX_AGE": "-1"}, "DATABASE_CONN_MAX_AGE"),
        ({"SESSION_COOKIE_SECURE": "sometimes"}, "SESSION_COOKIE_SECURE"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "60", "CELERY_TASK_TIME_LIMIT": "60"}, "TIME_LIMIT"),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "EMAIL_USE_SSL"),
    ],
    ids=lambda v: ",".join(v) if isinstance(v, dict) else v,
)
def test_a_bad_value_stops_start_up_naming_the_variable(values, named):
    result = manage("check", env=production_env(**values))
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr
    assert named in result.stderr.strip().splitlines()[-1]


def test_production_without_secret_key_stops_start_up():
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_the_development_secret_key_stops_start_up():
    env = production_env(SECRET_KEY="dev-only-insecure-key-do-not-use-in-production")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr
