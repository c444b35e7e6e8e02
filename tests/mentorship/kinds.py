"""A notification kind for testing the outbox itself: "ping" a user; due when the test says.

Registered when this module is imported (tests/mentorship/conftest.py), in the test process and
in the real worker thread it runs (same process). Its templates live in tests/templates.
"""

from __future__ import annotations

from pathlib import Path

from mentorship.notifications import Due, Email, Kind, register

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Set by tests: the scan returns these; ``stale`` subject ids build nothing.
DUE: list[Due] = []
STALE: set[int] = set()


def build(notification) -> Email | None:
    if notification.subject_id in STALE:
        return None
    return Email("email/outbox_test", {"number": notification.subject_id})


def scan(now):
    return [d for d in DUE if d.due_at is None or d.due_at <= now]


PING = register(
    Kind(
        name="test_ping",
        label="Test pings",
        description="Pings sent by the outbox tests.",
        audience="participants",
        build=build,
        scan=scan,
    )
)


# A second kind, to show that switching one off leaves the others on.
OTHER = register(
    Kind(
        name="test_other",
        label="Other test notices",
        description="Another kind used by the outbox tests.",
        audience="mentors",
        build=build,
    )
)
