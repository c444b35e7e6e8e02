from __future__ import annotations

from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"
    verbose_name = "Mentorship"
