from __future__ import annotations

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        # Cached figures (retention) are invalidated when a published match changes.
        from matching import cache_invalidation

        cache_invalidation.connect()
