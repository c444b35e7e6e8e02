"""seed_demo: a realistic demo company with demo logins, created once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.utils import timezone

from people.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD, PROGRAM_SLUG
from people.models import User
from programs.models import Program

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    users = User.objects.order_by("pk").values_list()
    emails = EmailAddress.objects.order_by("pk").values_list()
    programs = Program.objects.order_by("pk").values_list()
    admins = Program.admins.through.objects.order_by("pk").values_list()
    return [*users, *emails, *programs, *admins]


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
    first = list(User.objects.order_by("employee_id").values_list("employee_id", "email", "title"))
    User.objects.all().delete()
    Program.objects.all().delete()
    seed()
    second = list(User.objects.order_by("employee_id").values_list("employee_id", "email", "title"))
    assert first == second


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
