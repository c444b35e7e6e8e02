"""The data rights page: HR and staff only (everyone else 404, anonymous to the login page),
what it shows, and the link from the directory."""

from __future__ import annotations

import pytest
from django.urls import reverse

from people.models import User
from tests.conftest import activate_totp, make_user


def urls(person):
    return [
        ("get", reverse("privacy:person", args=[person.pk]), {}),
        ("post", reverse("privacy:export", args=[person.pk]), {"export-reason": "x"}),
        (
            "post",
            reverse("privacy:erase", args=[person.pk]),
            {"erase-confirmation": person.employee_id, "erase-reason": "x"},
        ),
    ]


@pytest.mark.parametrize("who", ["participant", "program_admin", "lena_herself"])
def test_everyone_but_hr_and_staff_gets_404(client, lena, participant, program, who):
    user = {
        "participant": participant,
        "program_admin": program.admins.get(),
        "lena_herself": lena,
    }[who]
    client.force_login(user)
    for method, url, data in urls(lena):
        assert getattr(client, method)(url, data).status_code == 404, url
    lena.refresh_from_db()
    assert lena.erased_at is None


def test_anonymous_is_sent_to_sign_in(client, lena):
    for method, url, data in urls(lena):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    lena.refresh_from_db()
    assert lena.erased_at is None


def test_an_unknown_person_is_404(hr_client):
    assert hr_client.get(reverse("privacy:person", args=[987654])).status_code == 404


def test_staff_can_open_it(client, lena):
    staff = make_user(is_staff=True)
    activate_totp(staff)
    client.force_login(staff)
    assert client.get(reverse("privacy:person", args=[lena.pk])).status_code == 200


def test_the_page_counts_each_kind_and_says_who_sees_it(hr_client, lena, history):
    response = hr_client.get(reverse("privacy:person", args=[lena.pk]))
    assert response.status_code == 200
    counts = {h.key: h.count for h in response.context["holdings"]}
    assert counts == {
        "enrollments": 2,
        "matches": 2,
        "goals": 1,
        "progress_updates": 1,
        "meetings": 2,
        "check_ins": 1,
        "private_notes": 1,
        "reviews": 1,
        "mentor_requests": 1,
        "notifications": 3,
        "opt_outs": 1,
        "audit_events": 1,
    }
    html = response.content.decode()
    assert "Download everything (ZIP with JSON files)" in html
    assert "including their own shared and private notes" in html
    assert "recorded in the audit log" in html
    assert "HR and staff" in html


def test_the_directory_links_to_it_for_hr(hr_client, lena):
    html = hr_client.get(reverse("people:directory"), {"status": "all"}).content.decode()
    assert reverse("privacy:person", args=[lena.pk]) in html


def test_an_erased_person_shows_as_such(hr_client, hr_user, lena):
    from privacy.services import person_erase

    person_erase(person=lena, by=hr_user, reason="DR-1", confirmation=lena.email)
    html = hr_client.get(reverse("privacy:person", args=[lena.pk])).content.decode()
    assert "already erased" in html and "Erase personal data</button>" not in html
    directory = hr_client.get(reverse("people:directory"), {"status": "left"}).content.decode()
    assert "Former employee" in directory and "Data erased" in directory
    assert User.objects.get(pk=lena.pk).get_full_name() == "Former employee"
