from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import AgreementRevision
from goals.services.agreements import AgreementRefused, agreement_confirm, agreement_revise

TERMS = {
    "cadence_days": "10",
    "formats": ["video", "in_person"],
    "confidentiality": "Between us two.",
    "mentee_expectations": "Honest feedback on my design docs.",
    "mentor_expectations": "Come with a question each time.",
}


def url(pair):
    return reverse("goals:agreement", args=[pair.pk])


def revise(pair, user, **changes):
    terms = {**TERMS, "cadence_days": 10, **changes}
    return agreement_revise(match=pair, user=user, **terms)


def test_new_pair_gets_the_form_prefilled_with_the_cohort_cadence(alice_client, pair):
    response = alice_client.get(url(pair))
    assert response.status_code == 200
    assert response.context["form"].initial["cadence_days"] == pair.cohort.cadence_days
    assert b"Write your agreement" in response.content
    assert b"Who can see this page:</strong> you and Bob Baker" in response.content


def test_saving_confirms_for_the_writer_and_asks_the_other(client, pair, alice, bob):
    client.force_login(alice)
    response = client.post(url(pair), TERMS)
    assert response.status_code == 302
    revision = AgreementRevision.objects.get(match=pair)
    assert revision.number == 1 and revision.cadence_days == 10
    assert revision.mentee_confirmed_at and revision.mentor_confirmed_at is None

    client.force_login(bob)
    page = client.get(url(pair))
    assert b"I confirm this agreement" in page.content
    response = client.post(
        reverse("goals:agreement_confirm", args=[pair.pk]), {"revision": revision.pk}
    )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.is_confirmed


def test_revising_keeps_earlier_versions_and_asks_both_again(pair, alice, bob):
    first = revise(pair, alice)
    agreement_confirm(revision=first, user=bob)
    second = revise(pair, bob, cadence_days=21, mentor_expectations="Agenda the day before.")
    first.refresh_from_db()
    assert first.is_confirmed and first.cadence_days == 10  # unchanged
    assert second.number == 2 and second.mentor_confirmed_at and not second.mentee_confirmed_at
    with pytest.raises(AgreementRefused, match="newer version"):
        agreement_confirm(revision=first, user=alice)
    with pytest.raises(AgreementRefused, match="already confirmed"):
        agreement_confirm(revision=second, user=bob)


def test_invalid_terms_say_which_field(alice_client, pair):
    response = alice_client.post(url(pair), {**TERMS, "cadence_days": "0", "formats": []})
    assert response.status_code == 200
    form = response.context["form"]
    assert "cadence_days" in form.errors and "formats" in form.errors
    assert b"Choose at least one way of meeting." in response.content
    assert not AgreementRevision.objects.exists()


def test_ended_pair_is_read_only(alice_client, pair, alice):
    revise(pair, alice)
    pair.status = "ended"
    pair.ended_at = timezone.now()
    pair.save()
    response = alice_client.post(url(pair), {**TERMS, "cadence_days": "30"})
    assert response.status_code == 302
    assert AgreementRevision.objects.count() == 1
    with pytest.raises(AgreementRefused):
        revise(pair, alice)


@pytest.mark.parametrize("who", ["charlie", "program_admin", "hr_user"])
def test_outsiders_get_404_and_change_nothing(client, pair, other_pair, who, request, alice):
    revision = revise(pair, alice)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(pair)).status_code == 404
    assert client.post(url(pair), TERMS).status_code == 404
    confirm = reverse("goals:agreement_confirm", args=[pair.pk])
    assert client.post(confirm, {"revision": revision.pk}).status_code == 404
    assert AgreementRevision.objects.count() == 1
    revision.refresh_from_db()
    assert revision.mentor_confirmed_at is None


def test_anonymous_is_sent_to_login(client, pair):
    response = client.get(url(pair))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wrong_method(alice_client, pair):
    assert alice_client.put(url(pair)).status_code == 405
    assert alice_client.get(reverse("goals:agreement_confirm", args=[pair.pk])).status_code == 405


def test_confirming_someone_elses_revision_is_404(alice_client, pair, other_pair):
    foreign = revise(other_pair, other_pair.mentor.person)
    response = alice_client.post(
        reverse("goals:agreement_confirm", args=[pair.pk]), {"revision": foreign.pk}
    )
    assert response.status_code == 404
