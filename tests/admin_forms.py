"""Posting a Django admin form back as a browser would."""

from __future__ import annotations


def admin_form_data(form) -> dict:
    """What the browser sends back for a Django admin form as it is shown."""
    from django.forms import MultiWidget

    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, MultiWidget):
            parts = widget.decompress(value)
            for i, (sub, part) in enumerate(zip(widget.widgets, parts, strict=True)):
                data[f"{name}_{i}"] = sub.format_value(part) or ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is None:
            data[name] = ""
        else:
            data[name] = widget.format_value(value) or ""
    return data
