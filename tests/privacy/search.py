"""Search every text column of every model in the database for a string."""

from __future__ import annotations

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Cast

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, ArrayField)


def text_columns() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every concrete text-like column of every installed model."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS):
                found.append((model, field.name))
    return found


def where_is(needle: str) -> list[str]:
    """ "app.Model.field #pk" of every row whose column contains ``needle`` (ignoring case)."""
    hits = []
    for model, name in text_columns():
        rows = (
            model._base_manager.annotate(_as_text=Cast(name, models.TextField()))
            .filter(_as_text__icontains=needle)
            .values_list("pk", flat=True)
        )
        hits.extend(f"{model._meta.label}.{name} #{pk}" for pk in rows)
    return hits
