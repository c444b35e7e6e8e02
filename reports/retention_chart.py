"""The Kaplan-Meier chart of a retention report as inline SVG geometry, and its text table.

Plain numbers for the template (no JavaScript, no style attributes): one step line per group
(mentees, mentors, comparison) over months since the start, survival from 0% to 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.retention import GROUPS, KMCurve, RetentionReport

DAYS_PER_MONTH = 365.25 / 12
TABLE_MONTHS = (0, 3, 6, 12, 18, 24)
# (stroke colour, dash pattern): told apart by dash as well as by colour.
LINE_STYLES = {
    "mentees": ("#2f6fb2", ""),
    "mentors": ("#b45309", "8 4"),
    "comparison": ("#4b5563", "2 3"),
}


@dataclass(frozen=True)
class Line:
    group: str
    label: str
    headcount: int
    path: str | None  # None when the group is suppressed (fewer than 5)
    colour: str
    dash: str
    legend_y: int


@dataclass(frozen=True)
class SurvivalChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    x_ticks: tuple[tuple[float, int], ...]  # (x, months)
    y_ticks: tuple[tuple[float, int], ...]  # (y, percent)
    lines: tuple[Line, ...]
    max_months: int
    legend_x: int
    drawn: bool  # at least one line


def _months(days: int) -> float:
    return days / DAYS_PER_MONTH


def _last_day(curve: KMCurve) -> int:
    return curve.steps[-1].days if curve.steps else 0


def survival_chart(report: RetentionReport, labels: dict[str, str]) -> SurvivalChart:
    width, plot_left, plot_right, plot_top, plot_bottom = 720, 56, 700, 12, 252
    legend_top = plot_bottom + 52
    height = legend_top + 20 * len(GROUPS)
    curves = {g: report.groups[g].curve for g in GROUPS}
    longest = max((_last_day(c) for c in curves.values() if c is not None), default=0)
    step = 3 if _months(longest) <= 24 else 6 if _months(longest) <= 60 else 12
    max_months = max(step * 2, step * math.ceil(_months(longest) / step))

    def x(days: float) -> float:
        return round(plot_left + (plot_right - plot_left) * _months(days) / max_months, 1)

    def y(survival: float) -> float:
        return round(plot_bottom - (plot_bottom - plot_top) * survival, 1)

    lines = []
    for index, group in enumerate(GROUPS):
        colour, dash = LINE_STYLES[group]
        curve = curves[group]
        path = None
        if curve is not None and curve.n:
            parts = [f"M{x(0)} {y(1.0)}"]
            for days, survival in curve.points[1:]:
                parts.append(f"H{x(days)} V{y(survival)}")
            parts.append(f"H{x(_last_day(curve))}")
            path = " ".join(parts)
        lines.append(
            Line(
                group,
                labels[group],
                report.groups[group].headcount,
                path,
                colour,
                dash,
                legend_top + 20 * index,
            )
        )
    x_ticks = tuple((x(m * DAYS_PER_MONTH), m) for m in range(0, max_months + 1, step))
    y_ticks = tuple((y(p / 100), p) for p in range(0, 101, 25))
    return SurvivalChart(
        width,
        height,
        plot_left,
        plot_right,
        plot_top,
        plot_bottom,
        x_ticks,
        y_ticks,
        tuple(lines),
        max_months,
        plot_left,
        any(line.path for line in lines),
    )


@dataclass(frozen=True)
class SurvivalCell:
    text: str
    status: str  # "ok", "suppressed" or "not_yet_observable"


def survival_table(report: RetentionReport, labels: dict[str, str]):
    """[(label, headcount, [SurvivalCell at 0, 3, 6, 12, 18, 24 months])] per group."""
    rows = []
    for group in GROUPS:
        result = report.groups[group]
        cells = []
        for months in TABLE_MONTHS:
            if result.curve is None:
                cells.append(SurvivalCell("fewer than 5", "suppressed"))
                continue
            days = round(months * DAYS_PER_MONTH)
            if days > _last_day(result.curve):
                cells.append(SurvivalCell("not yet observable", "not_yet_observable"))
                continue
            survival, _ = result.curve.at(days)
            cells.append(SurvivalCell(f"{survival * 100:.1f}%", "ok"))
        rows.append((labels[group], result.headcount, cells))
    return rows
