from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.goals.fixtures import make_pair
from tests.privacy.world import fill_account, fill_pair, fill_reviews, make_lena
from tests.programs.fixtures import make_cohort, make_program


@pytest.fixture
def lena(db):
    return make_lena()


@pytest.fixture
def mira(db):
    return make_user(email="mira.mentor@example.com", first_name="Mira", last_name="Mentor")


def build_history(person, other, *, n: int = 1):
    """``person`` is mentee of ``other`` in a running cohort (with ``n`` of each record) and
    mentor of ``other`` in a completed one (``n`` reviews); returns the first pair."""
    program = make_program()
    pair = make_pair(
        cohort=make_cohort(program=program, phase="running"), mentee=person, mentor=other
    )
    fill_pair(pair, author=person, other=other, n=n)
    mentoring = make_pair(
        cohort=make_cohort(program=program, phase="completed"), mentee=other, mentor=person
    )
    fill_reviews(mentoring, reviewer=person, n=n)
    fill_account(person, n=n)
    return pair


@pytest.fixture
def history(lena, mira):
    return build_history(lena, mira)
