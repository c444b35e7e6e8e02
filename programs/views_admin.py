"""Pages for the people who run programs: program admins (their own programs), HR and staff.

Every object is looked up through programs.access, so outsiders get 404. Views stay thin:
forms validate, services write, selectors read.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from people.access import hr_required
from people.roles import roles_for
from programs import dashboard
from programs.access import (
    get_cohort_for_manager,
    get_program_for_manager,
    program_manager_required,
)
from programs.forms_admin import (
    CohortForm,
    DecisionForm,
    EnrollForm,
    ProgramCreateForm,
    ProgramEditForm,
    TopicNameForm,
)
from programs.models import Cohort, Enrollment
from programs.selectors import cohort as cohort_selectors
from programs.selectors.cohort import CandidateFilters, ParticipantFilters
from programs.services import programs as program_services
from programs.services.enrollment import NewEnrollment, enrollments_invite

PAGE_SIZE = 50


def _query_without_page(data: QueryDict) -> str:
    query = data.copy()
    query.pop("page", None)
    return query.urlencode()


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


# --- Programs ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@hr_required
def program_create(request):
    """HR and staff create programs and appoint their admins."""
    form = ProgramCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program = program_services.program_create(
                name=data["name"],
                slug=data["slug"],
                description=data["description"],
                kind=data["kind"],
                admins=data["admins"],
                topics=data["topics"],
            )
        except IntegrityError:
            form.add_error(
                "slug", "Another program has just taken this address. Choose a different one."
            )
        else:
            messages.success(request, f"Program “{program.name}” created.")
            return redirect("programs:program_manage", slug=program.slug)
    return render(request, "programs/manage/program_form.html", {"form": form, "creating": True})


@require_GET
@program_manager_required
def program_manage(request, slug):
    program = get_program_for_manager(request.user, slug)
    context = {
        "program": program,
        "cohorts": cohort_selectors.program_cohorts(program),
        "admins": program.admins.order_by("last_name", "first_name"),
        "topics": program.topics.all(),
        "today": timezone.localdate(),
    }
    return render(request, "programs/manage/program_manage.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def program_edit(request, slug):
    """Its admins, HR and staff edit a program; only HR and staff appoint or remove admins."""
    program = get_program_for_manager(request.user, slug)
    can_appoint = roles_for(request.user).sees_directory
    kind_locked = program_services.program_kind_locked(program)
    form = ProgramEditForm(
        request.POST or None, program=program, kind_locked=kind_locked, can_appoint=can_appoint
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program_services.program_update(
                program=program,
                name=data["name"],
                description=data["description"],
                kind=data["kind"],
                admins=data["admins"] if can_appoint else None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Program saved.")
            return redirect("programs:program_manage", slug=program.slug)
    context = {"form": form, "program": program, "creating": False, "can_appoint": can_appoint}
    return render(request, "programs/manage/program_form.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def program_topics(request, slug):
    """Add, rename and remove a program's topics. Removing one that people named in their
    intake asks for confirmation first, saying how many intakes use it."""
    program = get_program_for_manager(request.user, slug)
    add_form = TopicNameForm(program=program)
    rename_form = None
    confirm = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            add_form = TopicNameForm(request.POST, program=program)
            if add_form.is_valid():
                try:
                    topic = program_services.topic_add(
                        program=program, name=add_form.cleaned_data["name"]
                    )
                except IntegrityError:
                    add_form.add_error("name", "The program already has this topic.")
                else:
                    messages.success(request, f"Topic “{topic.name}” added.")
                    return redirect("programs:program_topics", slug=program.slug)
        elif action in ("rename", "remove"):
            topic = get_object_or_404(program.topics, pk=_int(request.POST.get("topic")))
            if action == "rename":
                old_name = topic.name
                rename_form = TopicNameForm(request.POST, program=program, topic=topic)
                if rename_form.is_valid():
                    try:
                        program_services.topic_rename(
                            topic=topic, name=rename_form.cleaned_data["name"]
                        )
                    except IntegrityError:
                        rename_form.add_error("name", "The program already has this topic.")
                    else:
                        messages.success(request, f"“{old_name}” renamed to “{topic.name}”.")
                        return redirect("programs:program_topics", slug=program.slug)
                rename_form.topic_pk = topic.pk
            else:
                used = program_services.topic_intake_count(topic)
                if used and request.POST.get("confirm") != "yes":
                    confirm = {"topic": topic, "count": used}
                else:
                    removed = program_services.topic_remove(topic=topic)
                    messages.success(
                        request,
                        f"Topic “{topic.name}” removed"
                        + (f" from the program and from {removed} intakes." if removed else "."),
                    )
                    return redirect("programs:program_topics", slug=program.slug)
        else:
            messages.error(request, "Nothing was changed: choose to add, rename or remove.")
    context = {
        "program": program,
        "topics": cohort_selectors.program_topics_with_usage(program),
        "add_form": add_form,
        "rename_form": rename_form,
        "confirm": confirm,
    }
    return render(request, "programs/manage/program_topics.html", context)


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- Cohorts ----------------------------------------------------------------------------------


def _cohort_not_saved(form: CohortForm) -> None:
    """A constraint the form could not see coming (a race): say so, never a 500."""
    slug = form.cleaned_data.get("slug")
    if slug and Cohort.objects.filter(slug=slug).exists():
        form.add_error("slug", "Another cohort has just taken this address. Choose another.")
    else:
        form.add_error(
            None, "The cohort could not be saved: it changed meanwhile. Check and save again."
        )


@require_http_methods(["GET", "POST"])
@program_manager_required
def cohort_create(request, slug):
    program = get_program_for_manager(request.user, slug)
    today = timezone.localdate()
    starts = today + timedelta(days=28)
    initial = {
        "application_opens": today,
        "application_closes": today + timedelta(days=14),
        "starts_on": starts,
        "ends_on": starts + timedelta(days=182),
    }
    form = CohortForm(request.POST or None, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = program_services.cohort_create(
                program=program, slug=form.cleaned_data["slug"], **form.values()
            )
        except IntegrityError:
            _cohort_not_saved(form)
        else:
            messages.success(request, f"Cohort “{cohort.name}” created. Now enrol people.")
            return redirect("programs:cohort_dashboard", slug=cohort.slug)
    context = {"form": form, "program": program, "creating": True}
    return render(request, "programs/manage/cohort_form.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def cohort_edit(request, slug):
    cohort = get_cohort_for_manager(request.user, slug)
    # The form works on a copy: a rejected edit must not show as the cohort's name or dates.
    form = CohortForm(request.POST or None, program=cohort.program, instance=copy.copy(cohort))
    if request.method == "POST" and form.is_valid():
        try:
            program_services.cohort_update(cohort=cohort, **form.values())
        except IntegrityError:
            _cohort_not_saved(form)
        else:
            messages.success(request, "Cohort saved.")
            return redirect("programs:cohort_dashboard", slug=cohort.slug)
    context = {"form": form, "program": cohort.program, "cohort": cohort, "creating": False}
    return render(request, "programs/manage/cohort_form.html", context)


@require_GET
@program_manager_required
def cohort_dashboard(request, slug):
    """The admin's at-a-glance page; the participant list updates in place with htmx.

    Its content, summary and participant list are cached as rendered HTML
    (``programs.dashboard``), after the access check: anyone else gets 404 before any cache
    is read."""
    cohort = get_cohort_for_manager(request.user, slug)
    filters = ParticipantFilters.from_querydict(request.GET)
    stamp = dashboard.dashboard_versions(cohort)  # before the fragments read the database
    inputs = {
        "filters": filters,
        "query": _query_without_page(request.GET),
        "page_number": request.GET.get("page"),
    }
    if request.htmx:
        return HttpResponse(dashboard.participants_fragment(cohort, stamp, **inputs))
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "content": dashboard.content_fragment(cohort, stamp, **inputs),
    }
    return render(request, "programs/manage/cohort_dashboard.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def cohort_enroll(request, slug):
    """Pick people from the directory and invite them to the cohort in one role."""
    cohort = get_cohort_for_manager(request.user, slug)
    url = reverse("programs:cohort_enroll", kwargs={"slug": cohort.slug})
    if request.method == "POST":
        # The search the admin was looking at, to show it again (a query string, nothing else).
        search = QueryDict(request.POST.get("return_query", "")[:2000])
        form = EnrollForm(request.POST, cohort=cohort)
        if form.is_valid():
            people, role = form.cleaned_data["person"], form.cleaned_data["role"]
            try:
                enrollments_invite(
                    cohort=cohort,
                    new=[
                        NewEnrollment(person=p, role=role, capacity=form.cleaned_data["capacity"])
                        for p in people
                    ],
                    source=Enrollment.Source.DIRECTORY,
                    invited_by=request.user,
                )
            except IntegrityError:
                form.add_error(
                    "person", "Someone ticked was enrolled meanwhile: nobody was invited. Retry."
                )
            else:
                role_label = Enrollment.Role(role).label.lower()
                messages.success(
                    request,
                    f"Invited {_people(len(people))} as {role_label}"
                    f"{'' if len(people) == 1 else 's'}: "
                    + ", ".join(str(p) for p in people)
                    + ". Each gets an email with a link to their intake.",
                )
                query = search.urlencode()
                return redirect(f"{url}?{query}" if query else url)
        ticked = set(_ids(request.POST.getlist("person")))
    else:
        search = request.GET
        form = EnrollForm(cohort=cohort)
        ticked = set()
    filters = CandidateFilters.from_querydict(search)
    paginator = Paginator(
        cohort_selectors.enroll_candidates(cohort=cohort, filters=filters), PAGE_SIZE
    )
    page = paginator.get_page(search.get("page"))
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "form": form,
        "filters": filters,
        "page": page,
        "ticked": ticked,
        "query": _query_without_page(search),
        "return_query": search.urlencode(),
        "url": url,
    }
    if request.htmx and request.method == "GET":
        return render(request, "programs/manage/cohort_enroll.html#results", context)
    context["choices"] = cohort_selectors.enroll_choices()
    return render(request, "programs/manage/cohort_enroll.html", context)


@require_http_methods(["GET", "POST"])
@program_manager_required
def cohort_applications(request, slug):
    """Applications waiting for a decision, oldest first; accept or decline one by one or
    in bulk. Each decided applicant gets one email."""
    cohort = get_cohort_for_manager(request.user, slug)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = program_services.enrollments_decide(
            cohort=cohort,
            enrollment_ids=form.cleaned_data["ids"],
            accept=form.cleaned_data["accept"],
            decided_by=request.user,
        )
        verb = "Accepted" if form.cleaned_data["accept"] else "Declined"
        if len(result.decided) == 1:
            messages.success(
                request, f"{verb} {result.decided[0].person}'s application; they get an email."
            )
        elif result.decided:
            messages.success(
                request,
                f"{verb} {len(result.decided)} applications: "
                + ", ".join(str(e.person) for e in result.decided)
                + ". Each applicant gets an email.",
            )
        if result.skipped:
            messages.warning(
                request,
                "Not decided, because they are no longer applications: "
                + ", ".join(
                    f"{e.person} ({e.get_status_display().lower()})" for e in result.skipped
                )
                + ".",
            )
        if result.missing:
            messages.warning(
                request,
                f"{result.missing} of the applications are no longer in this cohort: "
                "nothing was done for them.",
            )
        return redirect(request.get_full_path())
    paginator = Paginator(cohort_selectors.cohort_applications(cohort), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "form": form,
        "page": page,
        "rows": [(e, cohort_selectors.intake_missing_for_admin(e)) for e in page.object_list],
        "ticked": set(form.cleaned_data.get("enrollment") or []) if form.is_bound else set(),
    }
    return render(request, "programs/manage/cohort_applications.html", context)
