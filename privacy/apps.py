from __future__ import annotations

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data rights (HR): export everything held about a person, erase a person who has left.

    The rightmost app: it reads and writes every other app's records; nothing imports it.
    It has no models of its own."""

    name = "privacy"
    verbose_name = "Data rights"
