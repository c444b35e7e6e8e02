"""Versioned namespaces in the cache, for figures derived from data that changes rarely.

A reader keys what it computed by the current version of each namespace it depends on; a
writer bumps the namespaces of the data it changed. Every entry computed before the change
becomes unreachable at once, without listing or deleting keys (old entries expire by their
own timeout), and it works across processes because the versions live in the shared cache
(Redis).

The order is what makes it correct:

* A reader takes the versions *before* it reads the database, so figures stored under a
  version never predate it.
* A writer bumps *after* its transaction commits (``bump_on_commit``), so no reader can take
  the new version and still see the old rows. It also bumps at once, which changes nothing
  for correctness (the bump after commit supersedes it) but makes a change visible inside the
  same transaction, e.g. a test wrapped in one that never commits.

A version missing from the cache (never read, expired, evicted, Redis restarted empty) starts
at the current time in nanoseconds rather than at 1, so it never repeats a version that entries
still in the cache were stored under. That makes it safe for versions to expire: unused for
``VERSION_SECONDS`` they go, instead of piling up (every test has a key space of its own).

This module imports no app: the apps that own the data call ``bump_on_commit`` from their
services (bulk writes send no signals) and from model signal receivers they connect
themselves; the readers (reports) only call ``versions``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The employee directory: who is employed from when to when, department, level.
DIRECTORY = "directory"
# Programs, cohorts, enrolments and matches: who took part where, and from when.
PARTICIPATION = "participation"
# What pages show of a person besides the directory's figures: names, email, title, location,
# time zone, active or not (rendered fragments that print people hold it).
PEOPLE = "people"

VERSION_SECONDS = 30 * 24 * 60 * 60


def _key(namespace: str) -> str:
    return f"data-version:{namespace}"


def versions(*namespaces: str) -> tuple[int, ...]:
    """The current version of each namespace (one round trip when they exist)."""
    keys = [_key(n) for n in namespaces]
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        for key in missing:
            cache.add(key, time.time_ns(), timeout=VERSION_SECONDS)  # the first one sets it
        found.update(cache.get_many(missing))
    return tuple(int(found[k]) for k in keys)


def bump(*namespaces: str) -> None:
    """Move the namespaces to a new version now.

    A cache that cannot be reached never fails the write that bumps: the change is already in
    the database. Entries cached before it could then outlive it until their own timeout, if
    the same Redis comes back with its data; readers that cannot reach it compute afresh.
    """
    for namespace in namespaces:
        key = _key(namespace)
        try:
            try:
                cache.incr(key)  # keeps the key's expiry: a version lives 30 days from its start
            except ValueError:  # missing: a version no entry can have been stored under
                cache.set(key, time.time_ns(), timeout=VERSION_SECONDS)
        except RedisError:
            logger.warning("cache version %s not bumped: the cache cannot be reached", namespace)


def bump_on_commit(*namespaces: str) -> None:
    """Bump now and again once the current transaction commits (at once outside one)."""
    bump(*namespaces)
    transaction.on_commit(partial(bump, *namespaces))


def cascaded_from(origin, *models) -> bool:
    """Whether a row is deleted because an instance of one of ``models`` is (``origin``, as
    Django's post_delete gives it): that instance's own receiver bumps, so the thousands of
    rows a cohort takes with it need not bump one by one."""
    return isinstance(origin, models)


def cached(key: Callable[[], str], compute: Callable[[], T], *, timeout: int, what: str) -> T:
    """``compute()``, kept in the cache under ``key()`` for ``timeout`` seconds.

    ``key`` is called first and should take the ``versions`` it depends on before anything
    reads the database (see the module's note). A cache that cannot be reached only costs the
    computation: the page still answers.
    """
    try:
        cache_key = key()
        value = cache.get(cache_key)
    except RedisError:
        logger.warning("%s: the cache cannot be reached, computing", what, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(cache_key, value, timeout=timeout)
        except RedisError:
            logger.warning("%s: the cache cannot be reached, not stored", what, exc_info=True)
    return value


_code_version: str | None = None


def code_version() -> str:
    """A digest of this deployment's Python and template sources, computed once a process.

    Rendered fragments keep it in their keys (``fragment_key``): a release that changes a
    template or the code building its context never serves HTML the previous one rendered.
    """
    global _code_version
    if _code_version is None:
        digest = hashlib.blake2b(digest_size=8)
        root = settings.BASE_DIR
        folders = [root / name for name in (*settings.PROJECT_APPS, "templates")]
        sources = sorted(
            path
            for folder in folders
            for path in folder.rglob("*")
            if path.suffix in (".py", ".html")
        )
        for path in sources:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        _code_version = digest.hexdigest()
    return _code_version


def fragment_key(name: str, *parts: object) -> str:
    """The cache key of a rendered HTML fragment: its name, the code version, and every input
    the HTML depends on, in ``parts``: the ``versions`` of the data it shows (taken before the
    database is read), the request's parameters, the viewer where the HTML differs by viewer,
    the time zone and day where it prints dates.

    A fragment never holds anything of one response alone: no CSRF token (base.html sends it
    in an htmx header, forms with ``{% csrf_token %}`` stay outside), no messages, no nonce.
    """
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"fragment:{name}:{code_version()}:{digest}"
