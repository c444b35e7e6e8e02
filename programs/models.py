from __future__ import annotations

from django.conf import settings
from django.db import models


class Program(models.Model):
    """A mentorship program. The programs issue adds kinds, topics and cohorts.

    Its admins are people from the directory; being one makes a person a program admin.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="administered_programs", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
