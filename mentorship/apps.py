from __future__ import annotations

from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"
    verbose_name = "Mentorship"

    def ready(self) -> None:
        # Each app registers its notification kinds in <app>/notifications.py.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("notifications")
