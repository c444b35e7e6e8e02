"""The pair workspace's notification kinds (registered on import; see mentorship.notifications)."""

from __future__ import annotations

from goals import notifications_meetings, notifications_progress  # noqa: F401
