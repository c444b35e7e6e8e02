"""Retention pages: HR sees every program, program admins the ones they run.

Everyone else gets 404 (``program_manager_required``, then lookups scoped by
``programs.access``). The page shows the summary table of every program and cohort in scope,
and the chart, comparison and breakdowns of one selected scope only (all programs by default,
or ``?program=`` / ``?cohort=``). Figures only, never a text anyone wrote.
"""

from __future__ import annotations

import io
from datetime import date

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from mentorship.audit import audit_record
from mentorship.cache_versions import DIRECTORY, PARTICIPATION, cached, fragment_key, versions
from people.roles import roles_for
from programs.access import managed_programs, program_manager_required
from programs.models import Cohort
from reports.exports import write_retention_summary_csv
from reports.retention import (
    COMPARISON,
    GROUPS,
    HORIZONS,
    MENTEES,
    MENTORS,
    PARTICIPANTS,
    RetentionReport,
)
from reports.retention_cache import CACHE_SECONDS, cached_retention_reports
from reports.retention_chart import TABLE_MONTHS, survival_chart, survival_table
from reports.templatetags.retention_format import rate_html

GROUP_LABELS = {MENTEES: "Mentees", MENTORS: "Mentors", COMPARISON: "Comparison (never matched)"}


class RetentionFilterForm(forms.Form):
    """The page's filters; ``program`` and ``cohort`` are checked against the viewer's scope."""

    as_of = forms.DateField(
        label="As of",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
        help_text="Figures as they stood on this day (default today).",
    )
    program = forms.CharField(required=False, widget=forms.HiddenInput)
    cohort = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_as_of(self) -> date:
        value = self.cleaned_data.get("as_of")
        today = timezone.localdate()
        if value is None:
            return today
        if value > today:
            raise forms.ValidationError(
                "The as-of date cannot be in the future (today is %(today)s).",
                params={"today": today.isoformat()},
            )
        return value


class Scope:
    """What the viewer may see and what they selected (404 outside their scope)."""

    def __init__(self, request, form: RetentionFilterForm):
        self.is_hr = roles_for(request.user).sees_directory
        programs = managed_programs(request.user).order_by("name", "id")
        self.choices = list(programs.values_list("slug", "name", "id"))
        by_slug = {slug: (name, pk) for slug, name, pk in self.choices}
        data = form.data
        self.program = (data.get("program") or "").strip()
        self.cohort = (data.get("cohort") or "").strip()
        if self.program and self.program not in by_slug:
            raise Http404
        if self.cohort:
            cohort = (
                Cohort.objects.filter(slug=self.cohort, program_id__in=[c[2] for c in self.choices])
                .values_list("program__slug", flat=True)
                .first()
            )
            if cohort is None:
                raise Http404
            if self.program and cohort != self.program:
                self.cohort = ""  # another program was chosen: show that program instead
        if self.program:
            self.program_ids: list[int] | None = [by_slug[self.program][1]]
        elif self.is_hr:
            self.program_ids = None
        else:
            self.program_ids = [c[2] for c in self.choices]
        # HR without a program filter also gets the all-programs rows; program admins never.
        self.include_all = self.is_hr and not self.program


def scoped_reports(scope: Scope, as_of: date) -> list[RetentionReport]:
    """The scope's reports, from the cache until the directory or a program changes."""
    return cached_retention_reports(
        as_of=as_of, program_ids=scope.program_ids, include_all=scope.include_all
    )


def _selected(scope: Scope, reports: list[RetentionReport]) -> RetentionReport | None:
    """The report shown in full: the cohort, else the program, else all programs (HR) or the
    first program (program admins)."""
    if scope.cohort:
        return next((r for r in reports if r.cohort_slug == scope.cohort), None)
    if scope.program:
        return next((r for r in reports if r.scope == "program"), None)
    return next((r for r in reports if r.scope == "all"), None) or next(
        (r for r in reports if r.scope == "program"), None
    )


def _summary_sections(reports: list[RetentionReport]):
    """[(program report or all-programs report, [cohort reports])], all programs first."""
    sections = []
    cohorts: list[RetentionReport] = []
    all_programs = None
    for report in reports:
        if report.scope == "cohort":
            cohorts.append(report)
        elif report.scope == "program":
            sections.append((report, cohorts))
            cohorts = []
        else:
            all_programs = report
    if all_programs is not None:
        sections.insert(0, (all_programs, []))
    return sections


def _rows(report: RetentionReport):
    return [(GROUP_LABELS[g], report.groups[g]) for g in GROUPS]


def _breakdown_rows(cells):
    """Rows ordered by value, then mentees, mentors, comparison."""
    order = {g: i for i, g in enumerate(GROUPS)}
    values: list[str] = []
    for cell in cells:
        if cell.value not in values:
            values.append(cell.value)
    position = {v: i for i, v in enumerate(values)}
    rows = sorted(cells, key=lambda c: (position[c.value], order[c.group]))
    return [(c, GROUP_LABELS[c.group]) for c in rows]


def _verdict(report: RetentionReport) -> dict:
    """The participants-vs-comparison figures and a sentence nobody can over-read."""
    versus = report.versus
    p12 = report.groups[PARTICIPANTS].rate(12)
    c12 = report.groups[COMPARISON].rate(12)
    diff = versus.difference_12m
    test = versus.logrank
    too_few = versus.participants < 5 or versus.comparison < 5
    if too_few:
        conclusion = (
            "Too few people to compare: a group of fewer than 5 is not compared, "
            "so nothing can be read from this scope yet."
        )
    elif diff is None and test is None:
        conclusion = "Nothing to compare yet: no 12-month figures and nobody has left."
    else:
        spans_zero = diff is not None and diff.low <= 0 <= diff.high
        not_significant = test is None or test.p_value >= 0.05
        if spans_zero or (not_significant and diff is None) or (not_significant and spans_zero):
            conclusion = (
                "The difference could be chance: these figures do not show that "
                "taking part changed retention."
            )
        elif not_significant:
            conclusion = (
                "The 12-month difference is unlikely to be chance alone, but the survival curves "
                "as a whole do not differ clearly (log-rank p ≥ 0.05): read it with care."
            )
        else:
            conclusion = (
                "The difference is unlikely to be chance alone, but people chose to take part "
                "(they were not assigned at random), so it does not prove that mentoring "
                "caused it."
            )
    return {
        "too_few": too_few,
        "p12": p12,
        "c12": c12,
        "diff": diff,
        "diff_points": None
        if diff is None
        else {
            "difference": diff.difference * 100,
            "low": diff.low * 100,
            "high": diff.high * 100,
        },
        "test": test,
        "conclusion": conclusion,
        "participants": versus.participants,
        "comparison": versus.comparison,
    }


def _title(report: RetentionReport) -> str:
    if report.scope == "all":
        return "All programs"
    if report.scope == "program":
        return f"{report.program_name}: all cohorts"
    return f"{report.program_name}: {report.cohort_name}"


def _summary(sections) -> list[list[dict]]:
    """The summary table's rows, one list per section (a <tbody>): a program (or all programs)
    then its cohorts, three rows each (mentees, mentors, comparison), the first carrying the
    report for its heading cell; the rate cells already rendered (no template work per cell)."""
    tbodies = []
    for total, cohorts in sections:
        rows = []
        for report in (total, *cohorts):
            first = True
            for name, group in report.groups.items():
                if name == PARTICIPANTS:
                    continue
                cells = format_html_join(
                    "", '<td class="num">{}</td>', ((rate_html(rate),) for rate in group.rates)
                )
                rows.append(
                    {
                        "total": report is total,
                        "report": report if first else None,
                        "label": capfirst(name),
                        "headcount": group.headcount,
                        "cells": cells,
                    }
                )
                first = False
        tbodies.append(rows)
    return tbodies


def _render_body(scope: Scope, as_of: date) -> str:
    """The report below the filters: the selected scope in full and the summary table."""
    reports = scoped_reports(scope, as_of)
    selected = _selected(scope, reports)
    sections = _summary_sections(reports)
    context = {
        "is_hr": scope.is_hr,
        "selected_program": scope.program,
        "horizons": HORIZONS,
        "survival_months": TABLE_MONTHS,
        "as_of": as_of,
        "as_of_iso": as_of.isoformat(),
        "page_url": reverse("reports:retention"),
        "sections": sections,
        "summary": _summary(sections),
        "selected": selected,
    }
    if selected is not None:
        context.update(
            {
                "title": _title(selected),
                "group_rows": _rows(selected),
                "chart": survival_chart(selected, GROUP_LABELS),
                "survival_rows": survival_table(selected, GROUP_LABELS),
                "verdict": _verdict(selected),
                "by_department": _breakdown_rows(selected.by_department),
                "by_level": _breakdown_rows(selected.by_level),
            }
        )
    # No request: nothing of one response or one viewer (csrf token, user, messages) gets in.
    return render_to_string("reports/_retention_body.html", context)


def body_key(scope: Scope, as_of: date) -> str:
    """The rendered body's cache key: the versions of the data the reports are computed from
    (taken first, before any query), and every input the HTML depends on: the as-of day (today
    in the active time zone by default), the scope as resolved (program ids, the all-programs
    report, the selected program and cohort), HR or not (the summary heading), the time zone
    and language (dates)."""
    return fragment_key(
        "retention-body",
        versions(DIRECTORY, PARTICIPATION),
        as_of.isoformat(),
        None if scope.program_ids is None else sorted(scope.program_ids),
        scope.include_all,
        scope.program,
        scope.cohort,
        scope.is_hr,
        timezone.get_current_timezone_name(),
        get_language(),
    )


@require_GET
@program_manager_required
def retention_report(request):
    """Summary of every program and cohort in scope; the selected scope in full.

    The part below the filters is cached rendered until the directory or a program's
    participation changes (the same versions as the reports it shows); the filter form and
    everything around it is rendered per request.
    """
    form = RetentionFilterForm(request.GET or None)
    scope = Scope(request, form)
    context = {
        "form": form,
        "is_hr": scope.is_hr,
        "choices": [(slug, name) for slug, name, _ in scope.choices],
        "selected_program": scope.program,
        "selected_cohort": scope.cohort,
        "today": timezone.localdate(),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "reports/retention.html", context)
    as_of = form.cleaned_data["as_of"] if form.is_bound else timezone.localdate()
    context["as_of"] = as_of
    # A SafeString, from the cache too (it pickles as one).
    context["body"] = cached(
        lambda: body_key(scope, as_of),
        lambda: _render_body(scope, as_of),
        timeout=CACHE_SECONDS,
        what="retention page",
    )
    return render(request, "reports/retention.html", context)


@require_GET
@program_manager_required
def retention_csv(request):
    """The retention summary CSV of the viewer's scope: the same bytes as export_retention."""
    form = RetentionFilterForm(request.GET or None)
    scope = Scope(request, form)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "; ".join(e for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    as_of = form.cleaned_data["as_of"] if form.is_bound else timezone.localdate()
    out = io.StringIO(newline="")
    write_retention_summary_csv(out, scoped_reports(scope, as_of))
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    parts = ["retention", scope.program, as_of.isoformat()]
    filename = "-".join(p for p in parts if p) + ".csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    audit_record(
        "export_downloaded",
        request=request,
        details={
            "export": "retention_summary",
            "format": "csv",
            "program": scope.program,
            "cohort": scope.cohort,
            "as_of": as_of.isoformat(),
        },
    )
    return response
