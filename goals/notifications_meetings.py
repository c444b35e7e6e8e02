"""Meeting kinds: invitations, reminders, check-ins due, reviews waiting, cadence nudges."""

from __future__ import annotations
