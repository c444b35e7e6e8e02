"""Formatting for the retention pages: shares as percentages, differences as points."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.8333 -> "83.3%"; None -> ""."""
    return "" if value is None else f"{value * 100:.1f}%"


@register.filter
def points(value: float | None) -> str:
    """A difference in percentage points with its sign (a true minus sign when negative)."""
    if value is None:
        return ""
    return f"+{value:.1f}" if value > 0 else "\u2212" + f"{abs(value):.1f}" if value < 0 else "0.0"


@register.filter
def p_value(value: float | None) -> str:
    """p-values to 2 significant places, small ones as "< 0.001"."""
    if value is None:
        return ""
    return "< 0.001" if value < 0.001 else f"{value:.3f}" if value < 0.01 else f"{value:.2f}"
