from __future__ import annotations

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"

    def ready(self) -> None:
        # Program admins appointed or removed go to the audit log.
        from programs import audit

        audit.connect()
        # Cached figures (retention) are invalidated when what they read changes.
        from programs import cache_invalidation

        cache_invalidation.connect()
