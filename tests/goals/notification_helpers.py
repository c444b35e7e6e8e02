"""Shared by the goals notification tests: zones, a note text that must never be emailed, and
running one kind's scan, recording and sending."""

from __future__ import annotations

from datetime import timedelta

from mentorship import outbox
from mentorship.notifications import get_kind

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
SECRET = "SECRET-my-manager-keeps-taking-credit"
MINUTE = timedelta(minutes=1)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def scan(kind: str, now) -> list:
    return list(get_kind(kind).scan(now))


def record(kind: str, now) -> list[int]:
    return outbox.notifications_record(get_kind(kind).scan(now), now=now)


def send(pk: int) -> str:
    return outbox.notification_send(notification_id=pk)
