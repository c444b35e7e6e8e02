"""Goal templates of a program, maintained by its admins (and HR, staff): outsiders get 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from goals.forms_goals import GoalTemplateForm
from goals.selectors.goals import goal_templates_for_program
from goals.services.goals import (
    GoalRefused,
    goal_template_create,
    goal_template_set_active,
    goal_template_update,
)
from programs.access import get_program_for_manager, program_manager_required


@require_GET
@program_manager_required
def template_list(request, slug):
    program = get_program_for_manager(request.user, slug)
    context = {"program": program, "templates": goal_templates_for_program(program)}
    return render(request, "goals/goals/template_list.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def template_new(request, slug):
    program = get_program_for_manager(request.user, slug)
    form = GoalTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = goal_template_create(program=program, data=form.template_input())
        except GoalRefused as refused:
            form.add_error("title", str(refused))
        else:
            messages.success(request, f"Goal template “{template.title}” added.")
            return redirect("goals:goal_templates", slug=program.slug)
    context = {"program": program, "form": form, "creating": True}
    return render(request, "goals/goals/template_form.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def template_edit(request, slug, template_pk):
    program = get_program_for_manager(request.user, slug)
    template = get_object_or_404(program.goal_templates, pk=template_pk)
    form = GoalTemplateForm(request.POST or None, initial=GoalTemplateForm.initial_for(template))
    if request.method == "POST" and form.is_valid():
        try:
            goal_template_update(template=template, data=form.template_input())
        except GoalRefused as refused:
            form.add_error("title", str(refused))
        else:
            messages.success(request, f"Goal template “{template.title}” saved.")
            return redirect("goals:goal_templates", slug=program.slug)
    context = {"program": program, "form": form, "template": template, "creating": False}
    return render(request, "goals/goals/template_form.html", context)


@require_POST
@program_manager_required
def template_active(request, slug, template_pk):
    """Deactivate (or offer again) a template; goals started from it are not affected."""
    program = get_program_for_manager(request.user, slug)
    template = get_object_or_404(program.goal_templates, pk=template_pk)
    active = request.POST.get("active") == "1"
    goal_template_set_active(template=template, active=active)
    if active:
        messages.success(request, f"“{template.title}” is offered to mentees again.")
    else:
        messages.success(
            request,
            f"“{template.title}” is no longer offered. Goals started from it are not affected.",
        )
    return redirect("goals:goal_templates", slug=program.slug)
