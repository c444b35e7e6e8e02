"""The project's form renderer: every form field is rendered by one template.

``{{ form }}`` and ``{{ field.as_field_group }}`` use templates/includes/field.html, the same
template the apps' ``_field.html`` includes delegate to, so labels, help text and errors are
tied to their inputs (aria-describedby, aria-invalid) the same way on every page instead of
page by page.
"""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's templates (settings.TEMPLATES, so the project's templates/ first), with the
    project's field template."""

    field_template_name = "includes/field.html"
