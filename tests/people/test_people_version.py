"""The people version (``mentorship.cache_versions.PEOPLE``) that rendered fragments printing
people are cached under: every way a shown field of a person changes bumps it, signing in does
not, and the fragment key changes with the code that renders it."""

from __future__ import annotations

from datetime import date

import pytest

from mentorship import cache_versions
from mentorship.cache_versions import DIRECTORY, PEOPLE, fragment_key, versions
from people.models import User
from people.services import leavers_deactivate
from privacy.services import person_erase
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def stamp() -> tuple[int, int]:
    return versions(DIRECTORY, PEOPLE)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Renamed"),
        ("last_name", "Renamed"),
        ("email", "renamed@example.com"),
        ("title", "Principal engineer"),
        ("location", "Lisbon"),
        ("timezone", "Europe/Lisbon"),
        ("is_active", False),
    ],
)
def test_a_shown_field_changed_bumps_people_not_the_directory(field, value):
    person = make_user()
    directory, people = stamp()
    setattr(person, field, value)
    person.save()
    assert stamp()[0] == directory
    assert stamp()[1] > people


def test_a_new_manager_bumps_people_with_update_fields_too():
    person, boss = make_user(), make_user()
    before = stamp()
    person.manager = boss
    person.save(update_fields=["manager"])
    assert stamp()[0] == before[0]
    assert stamp()[1] > before[1]


def test_a_figure_field_changed_bumps_both():
    person = make_user(department="Sales")
    before = stamp()
    person.department = "Finance"
    person.save()
    after = stamp()
    assert after[0] > before[0] and after[1] > before[1]


def test_signing_in_and_an_unchanged_save_bump_nothing():
    person = make_user()
    before = stamp()
    person.last_login = person.date_joined
    person.save(update_fields=["last_login"])
    person.save()
    assert stamp() == before


def test_a_person_added_or_deleted_bumps_people():
    before = stamp()
    person = make_user()
    added = stamp()
    assert added[1] > before[1]
    person.delete()
    assert stamp()[1] > added[1]


def test_leavers_deactivated_in_bulk_bump_people():
    make_user(end_date=date(2024, 1, 31))
    before = stamp()
    assert leavers_deactivate(today=date(2024, 2, 1)) == 1
    assert stamp()[1] > before[1]


def test_an_erasure_bumps_people():
    hr = make_user(is_hr=True)
    leaver = make_user(end_date=date(2024, 1, 31), is_active=False)
    before = stamp()
    person_erase(
        person=leaver,
        by=hr,
        reason="Left in January",
        confirmation=leaver.email,
        today=date(2024, 3, 1),
    )
    assert User.objects.get(pk=leaver.pk).erased_at is not None
    assert stamp()[1] > before[1]


def test_the_fragment_key_holds_the_code_version_and_every_part(monkeypatch):
    key = fragment_key("page", 1, "a")
    assert key.startswith(f"fragment:page:{cache_versions.code_version()}:")
    assert fragment_key("page", 1, "a") == key
    assert fragment_key("page", 2, "a") != key
    assert fragment_key("other", 1, "a") != key
    monkeypatch.setattr(cache_versions, "_code_version", "another-release")
    assert fragment_key("page", 1, "a") != key
