from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"

    def ready(self) -> None:
        # Sign-ins, failed sign-ins, sign-outs and role changes go to the audit log.
        from people import audit

        audit.connect()
        # Cached figures (retention) are invalidated when what they read changes.
        from people import cache_invalidation

        cache_invalidation.connect()
