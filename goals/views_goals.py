"""SMART goals of a pair: draft and edit with live SMART feedback, agree, change status,
tick milestones, record progress. Pair-only pages: everyone else gets 404.

Every view finds the pair for the requesting user first (``get_pair_for_member``), then the
goal within that pair. Views stay thin: forms validate fields, ``goals.smart`` says how SMART
a draft is, ``goals.services.goals`` writes and refuses.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from goals import smart
from goals.access import Pair, get_pair_for_member
from goals.forms_goals import DecisionForm, GoalForm, ProgressForm, StatusForm, plain_number
from goals.htmx import saved_response
from goals.models import Goal, GoalEvent, GoalTemplate, Milestone
from goals.selectors.goals import goal_history, goals_for_pair, with_milestone_counts
from goals.services.goals import (
    EDITABLE,
    OTHER,
    OWNER,
    SENDABLE,
    GoalNotSmart,
    GoalRefused,
    allowed_transitions,
    database_problems,
    goal_agree,
    goal_create,
    goal_findings,
    goal_input_of,
    goal_owner_for,
    goal_percent,
    goal_progress_record,
    goal_propose,
    goal_request_changes,
    goal_side,
    goal_status_change,
    goal_update,
    milestone_set_done,
    template_goal_input,
)
from goals.smart import human_date

FORM_TEMPLATE = "goals/goals/goal_form.html"
DETAIL_TEMPLATE = "goals/goals/goal_detail.html"


def _goal_in_pair(pair: Pair, goal_pk: int) -> Goal:
    goal = get_object_or_404(
        with_milestone_counts(pair.match.goals.select_related("owner__person", "template")),
        pk=goal_pk,
    )
    goal.match = pair.match  # already loaded with both people
    return goal


def _goal_url(pair: Pair, goal: Goal) -> str:
    return reverse("goals:goal", args=[pair.match.pk, goal.pk])


def _program_templates(pair: Pair):
    return GoalTemplate.objects.filter(program_id=pair.match.cohort.program_id, is_active=True)


def _other_name(pair: Pair) -> str:
    return pair.other.person.get_short_name() or pair.other.person.get_full_name()


def _tie_errors(form: GoalForm, pair: Pair, findings, *, send: bool) -> None:
    """Put what blocks saving (or sending) on the fields it concerns."""
    data = form.goal_input()
    for name, message in database_problems(data).items():
        form.add_error(name, message)
    if send:
        for finding in smart.blocking(findings):
            if finding.field not in form.errors:
                form.add_error(finding.field, finding.message)


def _add_not_smart(form: GoalForm, refused: GoalNotSmart) -> None:
    for finding in refused.findings:
        if finding.field not in form.errors:
            form.add_error(finding.field, finding.message)


def _form_context(request, pair: Pair, form: GoalForm, *, goal=None, findings=None, **extra):
    assessed = findings is not None
    findings = findings or []
    in_panel = bool(request.htmx) and not request.htmx.boosted
    context = {
        "pair": pair,
        "form": form,
        "goal": goal,
        "findings": findings,
        "summary": smart.summarise(findings),
        "blocking": smart.blocking(findings),
        "assessed": assessed,
        "other_name": _other_name(pair),
        "in_panel": in_panel,
        "agreed": goal is not None and goal.status in (Goal.Status.AGREED, Goal.Status.PAUSED),
        **extra,
    }
    return context


def _render_form(request, context, *, status=200):
    template = FORM_TEMPLATE + "#form" if context["in_panel"] else FORM_TEMPLATE
    return render(request, template, context, status=status)


@require_GET
@login_required
def goal_list(request, pk):
    pair = get_pair_for_member(request.user, pk)
    context = {
        "pair": pair,
        "goals": goals_for_pair(pair.match),
        "can_add": pair.writable and goal_owner_for(pair.match, request.user) is not None,
    }
    return render(request, "goals/goals/goal_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def goal_new(request, pk):
    """The owner drafts a goal (optionally from a program template) and saves or sends it."""
    pair = get_pair_for_member(request.user, pk)
    if goal_owner_for(pair.match, request.user) is None:
        raise Http404
    templates = list(_program_templates(pair))
    template = None
    template_id = request.POST.get("template") or request.GET.get("template")
    if template_id:
        template = next((t for t in templates if str(t.pk) == template_id), None)
        if template is None:
            raise Http404
    form_kwargs = {
        "cohort": pair.match.cohort,
        "relevance_hint": template.relevance_hint if template else "",
    }
    findings = None
    if request.method == "POST":
        form = GoalForm(request.POST, **form_kwargs)
        send = request.POST.get("action") == "send"
        if not pair.writable:
            form.add_error(None, "This pair has ended: no new goals can be added.")
        elif form.is_valid():
            findings = goal_findings(pair.match, form.goal_input())
            _tie_errors(form, pair, findings, send=send)
            if form.is_valid():
                try:
                    goal = goal_create(
                        match=pair.match,
                        user=request.user,
                        data=form.goal_input(),
                        send=send,
                        template=template,
                    )
                except GoalNotSmart as refused:
                    _add_not_smart(form, refused)
                except GoalRefused as refused:
                    form.add_error(None, str(refused))
                else:
                    message = (
                        f"Goal sent to {_other_name(pair)} to agree."
                        if send
                        else "Goal saved as a draft. Send it when it is ready."
                    )
                    return saved_response(
                        request, message=message, redirect_to=_goal_url(pair, goal)
                    )
        if findings is None:
            findings = goal_findings(pair.match, form.goal_input())
    else:
        initial = GoalForm.initial_for_template(template) if template else {}
        form = GoalForm(initial=initial, **form_kwargs)
        if template:
            # A template fills part of the goal: say at once what is left to make it SMART.
            findings = goal_findings(pair.match, template_goal_input(template))
    context = _form_context(
        request,
        pair,
        form,
        findings=findings,
        templates=templates,
        template=template,
        action_url=reverse("goals:goal_new", args=[pair.match.pk]),
    )
    return _render_form(request, context)


@require_http_methods(["GET", "POST"])
@login_required
def goal_edit(request, pk, goal_pk):
    """The owner edits their goal; changing an agreed goal's measure asks for agreement again."""
    pair = get_pair_for_member(request.user, pk)
    goal = _goal_in_pair(pair, goal_pk)
    if goal_side(goal, request.user) != OWNER:
        raise Http404
    if not pair.writable or goal.status not in EDITABLE:
        messages.error(
            request,
            "This pair has ended: its goals can no longer change."
            if not pair.writable
            else f"This goal is {goal.get_status_display().lower()}: it can no longer be edited.",
        )
        return redirect(_goal_url(pair, goal))
    form_kwargs = {
        "cohort": pair.match.cohort,
        "relevance_hint": goal.template.relevance_hint if goal.template else "",
    }
    if request.method == "POST":
        form = GoalForm(request.POST, **form_kwargs)
        action = request.POST.get("action")
        send = {"send": True, "draft": False}.get(action)
        findings = []
        if form.is_valid():
            findings = goal_findings(pair.match, form.goal_input())
            reagree = goal.status in (Goal.Status.AGREED, Goal.Status.PAUSED)
            _tie_errors(form, pair, findings, send=send is True)
            if form.is_valid():
                try:
                    updated = goal_update(
                        goal=goal,
                        user=request.user,
                        data=form.goal_input(),
                        send=None if reagree else send,
                    )
                except GoalNotSmart as refused:
                    _add_not_smart(form, refused)
                except GoalRefused as refused:
                    form.add_error(None, str(refused))
                else:
                    if reagree and updated.status == Goal.Status.PROPOSED:
                        message = (
                            f"Goal changed and sent back to {_other_name(pair)} to agree again."
                        )
                    elif updated.status == Goal.Status.PROPOSED:
                        message = f"Goal saved and sent to {_other_name(pair)} to agree."
                    else:
                        message = "Goal saved."
                    return saved_response(
                        request, message=message, redirect_to=_goal_url(pair, updated)
                    )
        else:
            findings = goal_findings(pair.match, form.goal_input())
    else:
        form = GoalForm(initial=GoalForm.initial_for_goal(goal), **form_kwargs)
        findings = goal_findings(pair.match, goal_input_of(goal))
    changes_event = None
    if goal.status == Goal.Status.CHANGES_REQUESTED:
        changes_event = goal.events.filter(kind=GoalEvent.Kind.CHANGES_REQUESTED).last()
    context = _form_context(
        request,
        pair,
        form,
        goal=goal,
        findings=findings,
        changes_event=changes_event,
        action_url=reverse("goals:goal_edit", args=[pair.match.pk, goal.pk]),
    )
    return _render_form(request, context)


@require_POST
@login_required
def goal_check(request, pk):
    """The SMART feedback for the form as typed so far (htmx, before anything is saved)."""
    pair = get_pair_for_member(request.user, pk)
    if goal_owner_for(pair.match, request.user) is None:
        raise Http404
    form = GoalForm(request.POST, cohort=pair.match.cohort)
    form.is_valid()
    findings = goal_findings(pair.match, form.goal_input())
    context = _form_context(request, pair, form, findings=findings)
    context["assessed"] = True
    context["format_errors"] = [
        f"{form.fields[name].label}: {' '.join(errors)}"
        for name, errors in form.errors.items()
        if name in form.fields
    ]
    return render(request, FORM_TEMPLATE + "#feedback", context)


STATUS_LABELS = dict(Goal.Status.choices)


def _figures_text(figures: dict, unit: str) -> str:
    if not isinstance(figures, dict):
        return ""
    due = figures.get("due_on")
    due_text = f", due {human_date(date.fromisoformat(due))}" if due else ", no due date"
    if figures.get("measure_kind") == Goal.MeasureKind.METRIC:
        baseline = plain_number(_decimal(figures.get("baseline")))
        target = plain_number(_decimal(figures.get("target")))
        return f"{baseline} → {target}{' ' + unit if unit else ''}{due_text}"
    total = figures.get("milestones_total", 0)
    return f"{total} milestone{'s' if total != 1 else ''}{due_text}"


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _event_text(event, goal: Goal) -> str:
    """What an event did, in words, from its kind and figures (its comment is shown beside)."""
    data = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    if kind == GoalEvent.Kind.CREATED:
        return "drafted the goal"
    if kind == GoalEvent.Kind.PROPOSED:
        return "sent the goal for agreement"
    if kind == GoalEvent.Kind.AGREED:
        return "agreed the goal"
    if kind == GoalEvent.Kind.CHANGES_REQUESTED:
        return "asked for changes"
    if kind == GoalEvent.Kind.TARGET:
        old = _figures_text(data.get("old", {}), goal.metric_unit)
        new = _figures_text(data.get("new", {}), goal.metric_unit)
        return f"changed the measure: {old} became {new}"
    if kind == GoalEvent.Kind.PROGRESS:
        percent = data.get("percent")
        parts = []
        if data.get("value") is not None and goal.measure_kind == Goal.MeasureKind.METRIC:
            parts.append(f"now {plain_number(_decimal(data['value']))} {goal.metric_unit}".strip())
        if "milestones_done" in data:
            parts.append(f"{data['milestones_done']} of {data.get('milestones_total')} milestones")
        if percent is not None:
            parts.append(f"{percent}%")
        return "recorded progress" + (f" ({', '.join(parts)})" if parts else "")
    if kind == GoalEvent.Kind.MILESTONE_DONE:
        return f"ticked a milestone ({data.get('percent', 0)}%)"
    if kind == GoalEvent.Kind.EDITED and "milestone" in data:
        return f"unticked a milestone ({data.get('percent', 0)}%)"
    if kind == GoalEvent.Kind.STATUS:
        if event.from_status == Goal.Status.PAUSED and event.to_status == Goal.Status.AGREED:
            return "resumed the goal"
        if event.to_status == Goal.Status.DRAFT:
            return "took the goal back to a draft"
        return f"marked the goal {STATUS_LABELS.get(event.to_status, event.to_status).lower()}"
    return "edited the goal"


def _history(goal: Goal) -> list[tuple]:
    return [(event, _event_text(event, goal)) for event in goal_history(goal)]


def _detail_context(request, pair: Pair, goal: Goal, **forms) -> dict:
    side = goal_side(goal, request.user)
    allowed = allowed_transitions(goal, request.user)
    open_goal = goal.status in Goal.OPEN
    return {
        "pair": pair,
        "goal": goal,
        "side": side,
        "is_owner": side == OWNER,
        "is_other": side == OTHER,
        "other_name": _other_name(pair),
        "owner_name": goal.owner.person.get_short_name() or goal.owner.person.get_full_name(),
        "percent": goal_percent(goal),
        "milestones": list(goal.milestones.select_related("done_by")),
        "history": _history(goal),
        "changes_event": goal.events.filter(kind=GoalEvent.Kind.CHANGES_REQUESTED).last()
        if goal.status == Goal.Status.CHANGES_REQUESTED
        else None,
        "updates": list(goal.progress_updates.select_related("author").order_by("-created_at")),
        "allowed": allowed,
        "can_edit": side == OWNER and pair.writable and goal.status in EDITABLE,
        "can_tick": pair.writable and open_goal,
        # Progress is recorded on goals being worked on; drafts are not agreed yet.
        "can_record": pair.writable and goal.status in (Goal.Status.AGREED, Goal.Status.PAUSED),
        "can_send": side == OWNER and pair.writable and goal.status in SENDABLE,
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "status_form": forms.get("status_form") or StatusForm(),
        "progress_form": forms.get("progress_form") or ProgressForm(goal=goal),
        "findings": goal_findings(pair.match, goal_input_of(goal))
        if side == OWNER and pair.writable and goal.status in SENDABLE
        else [],
    }


@require_GET
@login_required
def goal_detail(request, pk, goal_pk):
    pair = get_pair_for_member(request.user, pk)
    goal = _goal_in_pair(pair, goal_pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, pair, goal))


@require_POST
@login_required
def goal_decide(request, pk, goal_pk):
    """The other side agrees the proposed goal or asks for changes (with a comment)."""
    pair = get_pair_for_member(request.user, pk)
    goal = _goal_in_pair(pair, goal_pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if form.cleaned_data["action"] == "agree":
                goal_agree(goal=goal, user=request.user, comment=comment)
                message = "Goal agreed. It now counts in your progress."
            else:
                goal_request_changes(goal=goal, user=request.user, comment=comment)
                message = f"Changes asked. {goal.owner.person.get_short_name()} sees your comment."
        except GoalRefused as refused:
            messages.error(request, str(refused))
            return redirect(_goal_url(pair, goal))
        return saved_response(request, message=message, redirect_to=_goal_url(pair, goal))
    context = _detail_context(request, pair, goal, decision_form=form)
    template = DETAIL_TEMPLATE + "#actions" if request.htmx else DETAIL_TEMPLATE
    return render(request, template, context)


STATUS_MESSAGES = {
    Goal.Status.PROPOSED: "Goal sent to {other} to agree.",
    Goal.Status.PAUSED: "Goal paused. Resume it when you pick it up again.",
    Goal.Status.AGREED: "Goal resumed.",
    Goal.Status.ACHIEVED: "Goal marked achieved. Well done!",
    Goal.Status.DROPPED: "Goal dropped. Its history stays here.",
}


@require_POST
@login_required
def goal_status(request, pk, goal_pk):
    """The owner sends, pauses, resumes, marks achieved or drops their goal."""
    pair = get_pair_for_member(request.user, pk)
    goal = _goal_in_pair(pair, goal_pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with the goal.")
        return redirect(_goal_url(pair, goal))
    to = form.cleaned_data["to"]
    try:
        if to == Goal.Status.PROPOSED:
            goal_propose(goal=goal, user=request.user)
        else:
            goal_status_change(
                goal=goal, user=request.user, to_status=to, comment=form.cleaned_data["comment"]
            )
    except GoalRefused as refused:
        messages.error(request, str(refused))
        return redirect(_goal_url(pair, goal))
    message = STATUS_MESSAGES[to].format(other=_other_name(pair))
    return saved_response(request, message=message, redirect_to=_goal_url(pair, goal))


@require_POST
@login_required
def goal_progress(request, pk, goal_pk):
    """Either side records progress: a new value (or milestones done) and a note."""
    pair = get_pair_for_member(request.user, pk)
    goal = _goal_in_pair(pair, goal_pk)
    form = ProgressForm(request.POST, goal=goal)
    if form.is_valid():
        try:
            update = goal_progress_record(
                goal=goal,
                user=request.user,
                value=form.cleaned_data.get("value"),
                milestone_ids_done=form.cleaned_data.get("milestones") or (),
                note=form.cleaned_data["note"],
            )
        except GoalRefused as refused:
            form.add_error(None, str(refused))
        else:
            percent = f" It is at {update.percent}%." if update.percent is not None else ""
            return saved_response(
                request, message=f"Progress recorded.{percent}", redirect_to=_goal_url(pair, goal)
            )
    context = _detail_context(request, pair, goal, progress_form=form)
    template = DETAIL_TEMPLATE + "#progress" if request.htmx else DETAIL_TEMPLATE
    return render(request, template, context)


@require_POST
@login_required
def milestone_toggle(request, pk, goal_pk, milestone_pk):
    """Tick (or untick) one milestone; htmx gets the updated milestone list back."""
    pair = get_pair_for_member(request.user, pk)
    goal = _goal_in_pair(pair, goal_pk)
    milestone = get_object_or_404(Milestone.objects.filter(goal=goal), pk=milestone_pk)
    milestone.goal = goal
    done = request.POST.get("done") == "1"
    error = ""
    try:
        milestone_set_done(milestone=milestone, user=request.user, done=done)
    except GoalRefused as refused:
        error = str(refused)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "Milestone ticked." if done else "Milestone unticked.")
        return redirect(_goal_url(pair, goal))
    goal = _goal_in_pair(pair, goal_pk)
    context = _detail_context(request, pair, goal)
    context["milestone_error"] = error
    response = render(request, DETAIL_TEMPLATE + "#milestones", context)
    if not error:
        response["HX-Trigger"] = "pair-changed"
    return response
