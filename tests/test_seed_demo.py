"""seed_demo: a realistic demo company with demo logins and programs, created once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.utils import timezone

from goals.cache_invalidation import PAIR_ACTIVITY
from mentorship.cache_versions import DIRECTORY, PARTICIPATION, PEOPLE, bump
from people.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from people.models import User
from programs.cache_invalidation import COHORTS, ENROLMENTS
from programs.demo import ENGINEERING_SLUG as PROGRAM_SLUG
from programs.models import MAX_MENTOR_CAPACITY, Cohort, Enrollment, Program, Topic
from programs.services.enrollment import intake_missing

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    models = [
        User,
        EmailAddress,
        Program,
        Program.admins.through,
        Topic,
        Cohort,
        Enrollment,
        Enrollment.topics_offered.through,
        Enrollment.topics_sought.through,
    ]
    return [row for model in models for row in model.objects.order_by("pk").values_list()]


def enrollments():
    return Enrollment.objects.select_related("cohort__program", "person").prefetch_related(
        "topics_offered", "topics_sought"
    )


def engineering_cohorts() -> dict[str, Cohort]:
    """The Engineering Mentorship cohorts by phase today."""
    cohorts = Cohort.objects.filter(program__slug=PROGRAM_SLUG)
    return {cohort.phase(): cohort for cohort in cohorts}


def test_creates_a_company_of_about_300_across_departments_levels_and_locations():
    output = seed()
    employees = User.objects.exclude(employee_id=None)
    assert 250 <= employees.count() <= 350
    departments = Counter(employees.values_list("department", flat=True))
    assert {
        "Engineering",
        "Product",
        "Sales",
        "Marketing",
        "Customer Success",
        "Finance",
        "People",
        "Operations",
    } <= set(departments)
    levels = Counter(employees.values_list("level", flat=True))
    assert set(levels) == set(range(1, 9))
    assert levels[1] + levels[2] > levels[5] + levels[6] > levels[7] + levels[8]
    assert set(employees.values_list("location", flat=True)) == {
        "Berlin",
        "London",
        "New York",
        "Toronto",
        "Remote",
    }
    assert employees.get(location="Berlin", title="Chief Executive Officer").timezone == (
        "Europe/Berlin"
    )
    assert not employees.filter(timezone="").exists()
    assert "Created the demo company" in output


def test_hierarchy_has_the_ceo_on_top_and_no_cycles():
    seed()
    managers = dict(User.objects.exclude(employee_id=None).values_list("pk", "manager_id"))
    roots = [pk for pk, manager in managers.items() if manager is None]
    assert len(roots) == 1
    assert User.objects.get(pk=roots[0]).title == "Chief Executive Officer"
    for pk in managers:
        seen = set()
        while pk is not None:
            assert pk not in seen, "a cycle in the manager hierarchy"
            seen.add(pk)
            pk = managers[pk]
        assert roots[0] in seen
    depth_of_reports = User.objects.filter(manager__manager__manager__isnull=False)
    assert depth_of_reports.exists()


def test_about_15_percent_left_in_the_last_three_years_and_are_inactive():
    seed()
    today = timezone.localdate()
    employees = User.objects.exclude(employee_id=None)
    leavers = employees.exclude(end_date=None)
    assert 0.1 <= leavers.count() / employees.count() <= 0.2
    assert not leavers.filter(is_active=True).exists()
    assert not employees.filter(end_date=None, is_active=False).exists()
    assert not leavers.filter(end_date__gte=today).exists()
    assert not leavers.filter(end_date__lt=today - timedelta(days=3 * 365 + 1)).exists()
    oldest_hire = employees.order_by("hire_date").first().hire_date
    assert today - timedelta(days=7 * 365) < oldest_hire < today - timedelta(days=5 * 365)
    assert not User.objects.filter(direct_reports__isnull=False, end_date__isnull=False).exists()


def test_demo_logins_work_and_have_their_roles():
    seed()
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account.email)
        assert user.is_active
        assert user.check_password(DEMO_PASSWORD), account.email
        assert EmailAddress.objects.filter(
            user=user, email=account.email, verified=True, primary=True
        ).exists()
    assert User.objects.get(email="hr@example.com").is_hr
    assert list(User.objects.filter(is_hr=True).values_list("email", flat=True)) == [
        "hr@example.com"
    ]
    program = Program.objects.get(slug=PROGRAM_SLUG)
    assert program.name == "Engineering Mentorship"
    assert list(program.admins.values_list("email", flat=True)) == ["program.admin@example.com"]
    mentor = User.objects.get(email="mentor@example.com")
    mentee = User.objects.get(email="mentee@example.com")
    assert mentor.department == mentee.department == "Engineering"
    assert mentor.level > mentee.level
    assert mentor.manager != mentee.manager
    staff = User.objects.get(email="staff@example.com")
    assert staff.is_staff and staff.is_superuser
    others = User.objects.exclude(email__in=[a.email for a in DEMO_ACCOUNTS])
    assert not any(user.has_usable_password() for user in others)


def test_a_second_run_changes_nothing_and_says_so():
    seed()
    before = snapshot()
    output = seed()
    assert snapshot() == before
    assert "nothing changed" in output


def test_the_same_company_every_time():
    seed()
    first = same_every_time()
    User.objects.all().delete()
    Program.objects.all().delete()
    seed()
    assert same_every_time() == first


def same_every_time() -> tuple[list, list]:
    users = User.objects.order_by("employee_id").values_list("employee_id", "email", "title")
    fields = ["cohort__slug", "person__email", "role", "status", "source", "capacity", "goals"]
    fields += ["languages", "preferred_format", "bio", "intake_completed_at", "decided_at"]
    rows = Enrollment.objects.order_by("cohort__slug", "person__email").values_list(*fields)
    topics = Enrollment.topics_offered.through.objects.order_by(
        "enrollment__cohort__slug", "enrollment__person__email", "topic__name"
    ).values_list("enrollment__person__email", "topic__name")
    return list(users), [*rows, *topics]


def test_refuses_to_seed_over_an_account_using_a_demo_email(user_factory):
    user_factory(email="hr@example.com")
    with pytest.raises(CommandError, match=r"hr@example\.com"):
        seed()
    assert User.objects.count() == 1


def test_logins_option_prints_logins_and_changes_nothing():
    out = StringIO()
    call_command("seed_demo", "--logins", stdout=out)
    assert User.objects.count() == 0
    for account in DEMO_ACCOUNTS:
        assert account.email in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()


def test_programs_of_different_kinds_each_with_admins_and_topics():
    output = seed()
    programs = Program.objects.prefetch_related("admins", "topics")
    assert len({program.kind for program in programs}) >= 2
    assert {"one_to_one", "reverse"} <= {program.kind for program in programs}
    for program in programs:
        assert program.description
        assert len(program.topics.all()) >= 6, program
        assert program.admins.all(), program
        assert all(a.is_active and a.employee_id for a in program.admins.all())
        assert program.name in output
    engineering = programs.get(slug=PROGRAM_SLUG)
    assert engineering.kind == "one_to_one"
    assert {"System design", "Code review", "Career growth", "Public speaking"} <= {
        topic.name for topic in engineering.topics.all()
    }
    for cohort in Cohort.objects.all():
        assert cohort.slug in output


def test_cohorts_finished_a_year_ago_running_and_open_today():
    seed()
    today = timezone.localdate()
    cohorts = engineering_cohorts()
    assert set(cohorts) == {"completed", "running", "open"}
    completed, running, open_ = cohorts["completed"], cohorts["running"], cohorts["open"]
    assert today - timedelta(days=500) < completed.starts_on < today - timedelta(days=300)
    assert today - timedelta(days=90) <= running.starts_on <= today - timedelta(days=30)
    assert open_.is_open_for_applications() and open_.intake_editable()
    assert {c.slug for c in cohorts.values()} == {
        f"eng-{c.starts_on:%Y-%m}" for c in cohorts.values()
    }

    def statuses(cohort):
        return Counter(cohort.enrollments.values_list("status", flat=True))

    assert set(statuses(completed)) <= {"completed", "withdrawn"}
    assert statuses(completed)["completed"] >= 20
    assert set(statuses(running)) <= {"accepted", "withdrawn"}
    assert statuses(running)["accepted"] >= 20
    assert set(statuses(open_)) == {"invited", "applied", "accepted", "withdrawn", "declined"}
    invited = open_.enrollments.filter(status="invited")
    assert invited.filter(intake_completed_at=None).exists()
    assert invited.exclude(intake_completed_at=None).exists()
    withdrawn = open_.enrollments.get(status="withdrawn")
    assert withdrawn.withdrawal_reason and withdrawn.withdrawn_at
    # Other programs have cohorts too, running or open.
    others = Cohort.objects.exclude(program__slug=PROGRAM_SLUG)
    assert {"open", "running"} <= {cohort.phase() for cohort in others}


def test_enrollments_respect_roles_levels_capacities_and_who_still_works_here():
    seed()
    rows = list(enrollments())
    assert len(rows) >= 120
    pairs = Counter((e.cohort_id, e.person_id) for e in rows)
    assert max(pairs.values()) == 1
    for e in rows:
        cohort, person, kind = e.cohort, e.person, e.cohort.program.kind
        assert person.employee_id and person.hire_date <= cohort.application_opens, e
        if cohort.phase() in ("open", "running"):
            assert person.end_date is None and person.is_active, e
        else:
            assert person.end_date is None or person.end_date > cohort.starts_on, e
        if e.role == "mentee":
            assert e.capacity is None
        else:
            assert 1 <= e.capacity <= cohort.max_mentor_capacity <= MAX_MENTOR_CAPACITY, e
        if kind == "one_to_one":
            assert person.department == "Engineering"
            assert person.level >= 4 if e.role == "mentor" else person.level <= 4, e
        elif kind == "reverse":
            assert person.level <= 3 if e.role == "mentor" else person.level >= 5, e
        elif kind == "peer":
            assert e.role == "peer"
        topics = {*e.topics_offered.all(), *e.topics_sought.all()}
        assert all(topic.program_id == cohort.program_id for topic in topics)
        if e.status == "invited":
            assert e.invitation_sent_at and e.invited_by, e
        if e.decided_at:
            assert e.decision_sent_at and e.decided_by, e
            assert cohort.program.admins.filter(pk=e.decided_by_id).exists()
        if e.status == "withdrawn":
            assert e.withdrawal_reason and e.withdrawn_at, e
        assert e.created_at <= timezone.now()
        assert not cohort.program.admins.filter(pk=person.pk).exists()
    # Some who finished the old cohort have left since: what retention reports measure.
    completed = engineering_cohorts()["completed"]
    assert completed.enrollments.filter(
        status="completed", person__end_date__gt=completed.ends_on
    ).exists()
    # Seeding sends nothing: no invitation waits to be claimed and emailed.
    assert not Enrollment.objects.filter(status="invited", invitation_sent_at=None).exists()


def test_intake_answers_are_realistic_and_flags_agree_with_intake_missing():
    seed()
    rows = list(enrollments())
    for e in rows:
        assert (e.intake_completed_at is not None) == (not intake_missing(e)), e
        if e.cohort.phase() in ("completed", "running") or e.status in ("accepted", "applied"):
            assert e.intake_completed_at is not None, e
        if e.intake_completed_at is None:
            continue
        assert e.intake_completed_at <= timezone.now()
        assert e.languages[0] == "English"
        if e.role in ("mentor", "peer"):
            assert 2 <= len(e.topics_offered.all()) <= 4, e
            assert len(e.bio) > 30
        if e.role in ("mentee", "peer"):
            assert 1 <= len(e.topics_sought.all()) <= 3, e
            assert len(e.goals) > 20
    berliners = [e for e in rows if e.person.location == "Berlin" and e.languages]
    assert sum("German" in e.languages for e in berliners) > len(berliners) / 2
    assert any("French" in e.languages for e in rows if e.person.location == "Toronto")
    assert {e.preferred_format for e in rows} >= {"in_person", "remote", "either"}
    capacities = {e.capacity for e in rows if e.role == "mentor"}
    assert {1, 2, 3} <= capacities


def test_demo_logins_have_something_to_see():
    seed()
    cohorts = engineering_cohorts()
    mentee = User.objects.get(email="mentee@example.com")
    mine = {e.cohort_id: e for e in enrollments().filter(person=mentee)}
    open_ = mine[cohorts["open"].pk]
    assert (open_.role, open_.status, open_.intake_completed_at) == ("mentee", "invited", None)
    assert open_.topics_sought.all() and open_.languages, "intake partly done"
    assert intake_missing(open_)
    running = mine[cohorts["running"].pk]
    assert (running.role, running.status) == ("mentee", "accepted")
    assert running.intake_completed_at and running.goals

    mentor = User.objects.get(email="mentor@example.com")
    mine = {e.cohort_id: e for e in enrollments().filter(person=mentor)}
    running = mine[cohorts["running"].pk]
    assert (running.role, running.status) == ("mentor", "accepted")
    assert running.topics_offered.all() and running.bio
    invited = mine[cohorts["open"].pk]
    assert (invited.role, invited.status) == ("mentor", "invited")
    assert invited.intake_completed_at is None
    assert mine[cohorts["completed"].pk].status == "completed"

    admin = User.objects.get(email="program.admin@example.com")
    assert list(admin.administered_programs.values_list("slug", flat=True)) == [PROGRAM_SLUG]
    assert not admin.enrollments.exists()
    for email in ("hr@example.com", "staff@example.com"):
        user = User.objects.get(email=email)
        assert not user.enrollments.exists() and not user.administered_programs.exists()


def test_programs_are_added_in_bulk_to_a_company_seeded_before_them(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    seed()
    first = list(Enrollment.objects.values_list("cohort__slug", "person__email", "status"))
    Cohort.objects.all().delete()
    # Programs in bulk (~45 queries), matching the two running and the two completed cohorts
    # (~20 each) and the pairs' workspaces in bulk (~25, whatever the number of pairs).
    with django_assert_max_num_queries(170), django_capture_on_commit_callbacks() as callbacks:
        output = seed()
    # Seeding bumps the cache's data versions on commit (every one: figures and fragments
    # cached from other data are stale); it queues no email.
    assert [c for c in callbacks if getattr(c, "func", None) is not bump] == [], "no emails"
    bumped = {namespace for c in callbacks for namespace in c.args}
    assert bumped == {DIRECTORY, PARTICIPATION, PEOPLE, PAIR_ACTIVITY, ENROLMENTS, COHORTS}
    assert "left as it is" in output and "Created the demo programs" in output
    again = list(Enrollment.objects.values_list("cohort__slug", "person__email", "status"))
    assert sorted(again) == sorted(first)


def test_running_cohorts_are_matched_and_published_without_emails(mailoutbox):
    from matching.models import Match

    seed()
    today = timezone.localdate()
    running = Cohort.objects.filter(starts_on__lte=today, ends_on__gte=today)
    assert running.exists()
    for cohort in running:
        active = Match.objects.filter(cohort=cohort, status="active")
        assert active.exists()
        assert not active.filter(published_at__isnull=True).exists()
    assert Match.objects.filter(
        mentee__person__email="mentee@example.com", status="active"
    ).exists()
    assert mailoutbox == []
