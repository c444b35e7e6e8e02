"""Formatting for the retention pages: shares as percentages, differences as points."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

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


SUPPRESSED = SafeString('<span class="suppressed">fewer than 5</span>')
NOT_YET = SafeString('<span class="suppressed">not yet observable</span>')


def rate_html(rate) -> str:
    """A HorizonRate's table cell: "83.3% (25 of 30)", or why there is no figure.

    Built here rather than by an include per cell (the page has hundreds); only numbers go in.
    """
    if rate.status == "ok":
        return format_html(
            '{} <span class="muted">({} of {})</span>',
            percent(rate.rate),
            rate.retained,
            rate.observable,
        )
    return SUPPRESSED if rate.status == "suppressed" else NOT_YET


@register.filter
def rate_cell(rate) -> str:
    return rate_html(rate)
