"""The pair's mentorship agreement: written together, confirmed by both, revised with history."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from goals.models import AgreementRevision
from matching.models import Match

DEFAULT_CONFIDENTIALITY = (
    "What we talk about stays between the two of us unless we both agree to share it. "
    "Our program admins see only that we met and how it went overall, never our notes."
)


class AgreementRefused(ValueError):
    """A change to the agreement that is not allowed, in words for the person who tried."""


def current_agreement(match: Match) -> AgreementRevision | None:
    return match.agreement_revisions.order_by("-number").first()


def _side(match: Match, user) -> str:
    if match.mentee.person_id == user.pk:
        return "mentee"
    if match.mentor.person_id == user.pk:
        return "mentor"
    raise AgreementRefused("Only the two people in this pair can change its agreement.")


@transaction.atomic
def agreement_revise(
    *,
    match: Match,
    user,
    cadence_days: int,
    formats: list[str],
    confidentiality: str,
    mentee_expectations: str,
    mentor_expectations: str,
) -> AgreementRevision:
    """Write a new version of the agreement. The writer confirms it by writing it; the other
    side is asked to confirm again. Earlier versions stay as they were."""
    match = Match.objects.select_for_update().select_related("mentee", "mentor").get(pk=match.pk)
    side = _side(match, user)
    if match.status != Match.Status.ACTIVE:
        raise AgreementRefused("This pair has ended; its agreement can no longer change.")
    if not 1 <= cadence_days <= 90:
        raise AgreementRefused("Meet at least every 90 days and at most every day.")
    if not formats:
        raise AgreementRefused("Choose at least one way of meeting.")
    latest = current_agreement(match)
    now = timezone.now()
    return AgreementRevision.objects.create(
        match=match,
        number=(latest.number + 1) if latest else 1,
        cadence_days=cadence_days,
        formats=formats,
        confidentiality=confidentiality.strip(),
        mentee_expectations=mentee_expectations.strip(),
        mentor_expectations=mentor_expectations.strip(),
        created_by=user,
        created_at=now,
        mentee_confirmed_at=now if side == "mentee" else None,
        mentor_confirmed_at=now if side == "mentor" else None,
    )


@transaction.atomic
def agreement_confirm(*, revision: AgreementRevision, user) -> AgreementRevision:
    """Confirm the current version for the user's side of the pair."""
    match = (
        Match.objects.select_for_update()
        .select_related("mentee", "mentor")
        .get(pk=revision.match_id)
    )
    side = _side(match, user)
    if match.status != Match.Status.ACTIVE:
        raise AgreementRefused("This pair has ended; its agreement can no longer change.")
    latest = current_agreement(match)
    if latest is None or latest.pk != revision.pk:
        raise AgreementRefused(
            "A newer version of the agreement exists; read it before confirming."
        )
    field = f"{side}_confirmed_at"
    if getattr(latest, field) is not None:
        raise AgreementRefused("You have already confirmed this version.")
    setattr(latest, field, timezone.now())
    latest.save(update_fields=[field])
    return latest
