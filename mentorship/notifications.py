"""The kinds of notification, registered by the apps that own their subjects.

Each app lists its kinds in ``<app>/notifications.py`` (imported when Django starts) with
``register(Kind(...))``. A kind says how to build its email at send time and, for reminders
derived from the database, how to find what is due (``scan``). Event notices (a match
published, a goal achieved) are recorded by the service that makes the change, inside its
transaction, with ``mentorship.outbox.notify``.

Apps import this module; it imports no app.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from mentorship.models import Notification

# Who a kind is for: the settings page groups kinds by it.
AUDIENCES = {
    "participants": "Taking part in a program",
    "mentors": "As a mentor",
    "admins": "Running a program",
}

# Day-based reminders go out at this local hour of the recipient's day.
LOCAL_SEND_HOUR = 9


@dataclass(frozen=True)
class Due:
    """One reminder a scan found due: recorded once per (kind, recipient, subject, period)."""

    kind: str
    recipient_id: int
    subject_id: int = 0
    period: str = ""
    due_at: datetime | None = None


@dataclass(frozen=True)
class Email:
    """What a kind's ``build`` returns: the message for one notification row."""

    template_prefix: str
    context: dict
    attachments: Sequence[tuple[str, str | bytes, str]] = ()
    alternatives: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # "Meeting reminders": names the kind on the settings and unsubscribe pages
    description: str  # when it is sent, in the program's words
    audience: str  # a key of AUDIENCES
    # At send time: the email for this row, or None when it is no longer due (skipped).
    build: Callable[[Notification], Email | None]
    # For reminders: everything due at ``now`` (a timezone-aware datetime). Recording is
    # idempotent, so a scan may return what an earlier scan already recorded; it should narrow
    # its query so that at most a few periods' worth come back.
    scan: Callable[[datetime], Iterable[Due]] | None = None
    # After the email went out: stamp a display field (e.g. an enrollment's invitation_sent_at).
    sent: Callable[[Notification], None] | None = field(default=None, compare=False)
    # Whether the settings page lists the kind for this person (default: everyone).
    shown_to: Callable[[object], bool] | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.audience not in AUDIENCES:
            raise ValueError(f"{self.name}: unknown audience {self.audience!r}")


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in _kinds and _kinds[kind.name] != kind:
        raise ValueError(f"notification kind {kind.name!r} is registered twice")
    if len(kind.name) > 40:
        raise ValueError(f"notification kind {kind.name!r} is longer than 40 characters")
    _kinds[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind | None:
    return _kinds.get(name)


def all_kinds() -> list[Kind]:
    return list(_kinds.values())


# --- Time helpers for scans: the recipient's clock --------------------------------------------


def user_zone(user_timezone: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user_timezone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_moment(day: date, user_timezone: str | None, hour: int = LOCAL_SEND_HOUR) -> datetime:
    """``hour``:00 on ``day`` in the person's time zone, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=user_zone(user_timezone))


def local_today(now: datetime, user_timezone: str | None) -> date:
    return now.astimezone(user_zone(user_timezone)).date()


def day_reached(day: date, now: datetime, user_timezone: str | None) -> bool:
    """Whether the person's ``day`` has reached the local send hour."""
    return local_moment(day, user_timezone) <= now


def days_between(earlier: date, later: date) -> int:
    return (later - earlier).days


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)
