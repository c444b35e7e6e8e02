from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from programs.models import Cohort, Enrollment, Program, Topic
from tests.conftest import activate_totp, make_user

_serial = itertools.count(1)

TOPICS = ["Leadership", "Public speaking", "System design", "Career growth", "Negotiation"]


def make_program(*, admins=(), topics=TOPICS, **extra) -> Program:
    n = next(_serial)
    extra.setdefault("name", f"Program {n}")
    extra.setdefault("slug", f"program-{n}")
    extra.setdefault("description", "Grow by learning from colleagues.")
    program = Program.objects.create(**extra)
    program.admins.add(*admins)
    Topic.objects.bulk_create([Topic(program=program, name=name) for name in topics])
    return program


def make_cohort(*, program: Program, phase: str = "open", **extra) -> Cohort:
    """A cohort in ``phase`` today: upcoming, open, closed, running or completed."""
    today = timezone.localdate()
    d = timedelta
    dates = {
        "upcoming": (today + d(5), today + d(20), today + d(30), today + d(200)),
        "open": (today - d(5), today + d(10), today + d(20), today + d(200)),
        "closed": (today - d(30), today - d(5), today + d(10), today + d(200)),
        "running": (today - d(60), today - d(40), today - d(30), today + d(150)),
        "completed": (today - d(400), today - d(380), today - d(370), today - d(190)),
    }[phase]
    n = next(_serial)
    extra.setdefault("name", f"Cohort {n}")
    extra.setdefault("slug", f"{program.slug}-cohort-{n}")
    opens, closes, starts, ends = dates
    extra.setdefault("application_opens", opens)
    extra.setdefault("application_closes", closes)
    extra.setdefault("starts_on", starts)
    extra.setdefault("ends_on", ends)
    return Cohort.objects.create(program=program, **extra)


def make_enrollment(*, cohort: Cohort, person=None, role="mentee", status="accepted", **extra):
    person = person or make_user()
    if role != "mentee":
        extra.setdefault("capacity", cohort.default_mentor_capacity)
    extra.setdefault("source", Enrollment.Source.DIRECTORY)
    return Enrollment.objects.create(
        cohort=cohort, person=person, role=role, status=status, **extra
    )


@pytest.fixture
def program_admin(db):
    """Admin of one program (``program_admin.program``), with TOTP set up."""
    user = make_user(email="ada.admin@example.com", first_name="Ada", last_name="Admin")
    activate_totp(user)
    return user


@pytest.fixture
def program(program_admin):
    return make_program(admins=[program_admin], name="Engineering Mentorship", slug="eng")


@pytest.fixture
def cohort(program):
    return make_cohort(program=program, phase="open", name="Spring 2027", slug="eng-spring-2027")


@pytest.fixture
def admin_client(client, program_admin):
    client.force_login(program_admin)
    return client


@pytest.fixture
def other_program_admin(db):
    """Admin of another program only: an outsider to ``program``."""
    user = make_user(email="otto.other@example.com", first_name="Otto", last_name="Other")
    activate_totp(user)
    make_program(admins=[user], name="Sales Mentorship", slug="sales")
    return user
