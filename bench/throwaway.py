"""A throwaway database for a benchmark: created next to the one DATABASE_URL names (same
server, name suffixed ``_bench_<pid>``), dropped afterwards, so a run never touches real data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def admin_connection(url: str):
    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Yields the throwaway database's URL; drops it (closing Django's connections) at the end."""
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mentorship")
    name = f"{urlsplit(base_url).path.lstrip('/') or 'mentorship'}_bench_{os.getpid()}"
    with admin_connection(base_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(base_url, name)
    finally:
        from django.db import connections

        connections.close_all()
        with admin_connection(base_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        print(f"dropped throwaway database {name}")
