"""Pair lookups scoped to the requesting user: only the two members reach a pair (404 else).

A pair is a published match (active, or ended and then read-only). Program admins and HR do
not reach pair pages at all: they see figures on the cohort's pair-health page instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from matching.models import Match
from programs.models import Enrollment


def member_matches(user) -> QuerySet[Match]:
    """Published matches (active or ended) the user is one side of."""
    if not user.is_authenticated:
        return Match.objects.none()
    return Match.objects.filter(
        Q(mentee__person=user) | Q(mentor__person=user),
        status__in=[Match.Status.ACTIVE, Match.Status.ENDED],
    )


@dataclass(frozen=True)
class Pair:
    match: Match
    me: Enrollment
    other: Enrollment

    @property
    def is_peer(self) -> bool:
        return self.match.cohort.program.is_peer

    @property
    def side(self) -> str:
        """ "mentee", "mentor", or "peer" (peer programs have no mentor side)."""
        if self.is_peer:
            return "peer"
        return "mentee" if self.me.pk == self.match.mentee_id else "mentor"

    @property
    def is_mentee(self) -> bool:
        return self.side == "mentee"

    @property
    def is_mentor(self) -> bool:
        return self.side == "mentor"

    @property
    def writable(self) -> bool:
        """Ended pairs keep their history readable but take no new entries."""
        return self.match.status == Match.Status.ACTIVE


def pair_for(match: Match, user) -> Pair:
    if match.mentee.person_id == user.pk:
        return Pair(match=match, me=match.mentee, other=match.mentor)
    return Pair(match=match, me=match.mentor, other=match.mentee)


def get_pair_for_member(user, pk: int) -> Pair:
    match = get_object_or_404(
        member_matches(user).select_related("cohort__program", "mentee__person", "mentor__person"),
        pk=pk,
    )
    return pair_for(match, user)
