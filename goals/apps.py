from __future__ import annotations

from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        # Cached pair health is invalidated when a pair's meetings, check-ins or goals change.
        from goals import cache_invalidation

        cache_invalidation.connect()
