"""Matching a cohort: load its pool into arrays, run the engine, store drafts, publish, end.

The engine (matching/engine.py) knows nothing of Django; this module turns a cohort into a
``Pool`` and the engine's ``MatchResult`` back into ``Match`` rows.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from matching import engine
from matching.models import Match, MatchRun, MentorRequest, PairRule
from matching.pool import (
    FORMAT_EITHER,
    FORMAT_IN_PERSON,
    FORMAT_REMOTE,
    FORMAT_UNKNOWN,
    MatchResult,
    Pool,
    Rules,
    Weights,
)
from mentorship.audit import audit_record
from mentorship.cache_versions import PARTICIPATION, bump_on_commit
from mentorship.notifications import Due
from mentorship.outbox import notifications_record
from people.models import User
from programs.models import Cohort, Enrollment, Program

FORMAT_CODES = {
    Enrollment.Format.EITHER: FORMAT_EITHER,
    Enrollment.Format.IN_PERSON: FORMAT_IN_PERSON,
    Enrollment.Format.REMOTE: FORMAT_REMOTE,
    "": FORMAT_UNKNOWN,
}


MATCH_PUBLISHED = "match_published"  # matching/notifications.py


class MatchingRefused(Exception):
    """An action on matches that is not possible now; the message says why."""


def cohort_rules(cohort: Cohort) -> Rules:
    return Rules(
        exclude_same_department=cohort.rule_exclude_same_department,
        exclude_management_chain=cohort.rule_exclude_management_chain,
        min_level_gap=cohort.rule_min_level_gap,
        max_timezone_diff_hours=cohort.rule_max_timezone_diff_hours,
        require_shared_language=cohort.rule_require_shared_language,
        allow_repeats=cohort.rule_allow_repeat_pairs,
        reverse=cohort.program.kind == Program.Kind.REVERSE,
    )


def cohort_weights(cohort: Cohort) -> Weights:
    return Weights(
        **{name.removeprefix("weight_"): getattr(cohort, name) for name in Cohort.WEIGHT_FIELDS}
    )


@dataclass
class LoadedPool:
    pool: Pool
    mentees: list[Enrollment]  # by index
    mentors: list[Enrollment]
    peer: bool


def _codes(values: list[str]) -> np.ndarray:
    """Equal non-empty strings get equal codes; empty ones get -1 (never equal)."""
    index: dict[str, int] = {}
    return np.array(
        [index.setdefault(v.strip().lower(), len(index)) if v.strip() else -1 for v in values],
        dtype=np.int64,
    )


def _utc_offsets(names: list[str], on: datetime) -> np.ndarray:
    cache: dict[str, float] = {}

    def offset(name: str) -> float:
        if name not in cache:
            try:
                cache[name] = on.astimezone(ZoneInfo(name)).utcoffset().total_seconds() / 3600
            except (ZoneInfoNotFoundError, ValueError):
                cache[name] = math.nan
        return cache[name]

    return np.array([offset(n) if n else math.nan for n in names], dtype=np.float64)


def _ancestors(manager_of: dict[int, int | None], person: int) -> set[int]:
    seen: set[int] = set()
    current = manager_of.get(person)
    while current is not None and current not in seen:
        seen.add(current)
        current = manager_of.get(current)
    return seen


def pool_load(*, cohort: Cohort) -> LoadedPool:
    """The cohort's matchable pool: accepted participants not already in an active match, and
    mentors with room left (capacity minus their active matches)."""
    peer = cohort.program.is_peer
    accepted = (
        Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACCEPTED)
        .select_related("person")
        .prefetch_related("topics_offered", "topics_sought")
        .annotate(
            active_as_mentee=Count(
                "matches_as_mentee", filter=Q(matches_as_mentee__status=Match.Status.ACTIVE)
            ),
            active_as_mentor=Count(
                "matches_as_mentor", filter=Q(matches_as_mentor__status=Match.Status.ACTIVE)
            ),
        )
        .order_by("id")
    )
    if peer:
        people = [e for e in accepted if not e.active_as_mentee and not e.active_as_mentor]
        mentees, mentors = people, people
        capacity = np.ones(len(people), dtype=np.int64)
    else:
        mentees = [
            e for e in accepted if e.role == Enrollment.Role.MENTEE and not e.active_as_mentee
        ]
        mentors = [
            e
            for e in accepted
            if e.role == Enrollment.Role.MENTOR and (e.capacity or 0) > e.active_as_mentor
        ]
        capacity = np.array([e.capacity - e.active_as_mentor for e in mentors], dtype=np.int64)

    program_topics = list(cohort.program.topics.order_by("pk"))
    topics = {t.pk: i for i, t in enumerate(program_topics)}
    languages: dict[str, int] = {}
    for e in [*mentees, *mentors]:
        for lang in e.languages:
            languages.setdefault(lang.strip().lower(), len(languages))

    def topic_matrix(rows: list[Enrollment], attr: str) -> np.ndarray:
        matrix = np.zeros((len(rows), max(len(topics), 1)), dtype=bool)
        for i, e in enumerate(rows):
            for t in getattr(e, attr).all():
                matrix[i, topics[t.pk]] = True
        return matrix

    def language_matrix(rows: list[Enrollment]) -> np.ndarray:
        matrix = np.zeros((len(rows), max(len(languages), 1)), dtype=bool)
        for i, e in enumerate(rows):
            for lang in e.languages:
                matrix[i, languages[lang.strip().lower()]] = True
        return matrix

    everyone = [*mentees, *mentors]
    departments = _codes([e.person.department for e in everyone])
    locations = _codes([e.person.location for e in everyone])
    noon = datetime.combine(cohort.starts_on, time(12), tzinfo=ZoneInfo("UTC"))
    offsets = _utc_offsets([e.person.timezone for e in everyone], noon)
    levels = np.array(
        [math.nan if e.person.level is None else e.person.level for e in everyone], dtype=np.float64
    )
    formats = np.array([FORMAT_CODES.get(e.preferred_format, FORMAT_UNKNOWN) for e in everyone])
    n = len(mentees)

    mentee_index = {e.pk: i for i, e in enumerate(mentees)}
    mentor_index = {e.pk: j for j, e in enumerate(mentors)}
    mentor_by_person: dict[int, list[int]] = {}
    for j, e in enumerate(mentors):
        mentor_by_person.setdefault(e.person_id, []).append(j)
    mentee_by_person: dict[int, list[int]] = {}
    for i, e in enumerate(mentees):
        mentee_by_person.setdefault(e.person_id, []).append(i)

    # Management chains, any level up, in both directions.
    manager_of = dict(User.objects.filter(manager__isnull=False).values_list("id", "manager_id"))
    chain: set[tuple[int, int]] = set()
    for i, e in enumerate(mentees):
        for boss in _ancestors(manager_of, e.person_id):
            chain.update((i, j) for j in mentor_by_person.get(boss, ()))
    for j, e in enumerate(mentors):
        for boss in _ancestors(manager_of, e.person_id):
            chain.update((i, j) for i in mentee_by_person.get(boss, ()))

    # Pairs of people already matched in another cohort of this program.
    earlier = Match.objects.filter(
        cohort__program=cohort.program, status__in=[Match.Status.ACTIVE, Match.Status.ENDED]
    ).exclude(cohort=cohort)
    previous: set[tuple[int, int]] = set()
    for mentee_person, mentor_person in earlier.values_list("mentee__person", "mentor__person"):
        for a, b in ((mentee_person, mentor_person), (mentor_person, mentee_person)):
            previous.update(
                (i, j) for i in mentee_by_person.get(a, ()) for j in mentor_by_person.get(b, ())
            )

    # Self-select requests still open rank the mentee's mentors (the mentee-ranking criterion).
    rankings: dict[int, list[int]] = {}
    open_requests = MentorRequest.objects.filter(
        cohort=cohort, status__in=MentorRequest.OPEN
    ).order_by("mentee_id", "rank")
    for mentee_id, mentor_id in open_requests.values_list("mentee_id", "mentor_id"):
        i, j = mentee_index.get(mentee_id), mentor_index.get(mentor_id)
        if i is not None and j is not None:
            rankings.setdefault(i, []).append(j)

    excluded, locked = [], []
    for rule in PairRule.objects.filter(cohort=cohort):
        pair = (mentee_index.get(rule.mentee_id), mentor_index.get(rule.mentor_id))
        if None in pair:
            continue  # one side left the pool
        (locked if rule.kind == PairRule.Kind.LOCK else excluded).append(pair)

    pool = Pool(
        mentee_ids=np.array([e.pk for e in mentees], dtype=np.int64),
        mentor_ids=np.array([e.pk for e in mentors], dtype=np.int64),
        mentee_person=np.array([e.person_id for e in mentees], dtype=np.int64),
        mentor_person=np.array([e.person_id for e in mentors], dtype=np.int64),
        capacity=capacity,
        mentee_level=levels[:n],
        mentor_level=levels[n:],
        mentee_department=departments[:n],
        mentor_department=departments[n:],
        mentee_location=locations[:n],
        mentor_location=locations[n:],
        mentee_utc_offset=offsets[:n],
        mentor_utc_offset=offsets[n:],
        mentee_format=formats[:n],
        mentor_format=formats[n:],
        mentee_sought=topic_matrix(mentees, "topics_sought"),
        mentor_offered=topic_matrix(mentors, "topics_offered"),
        mentee_languages=language_matrix(mentees),
        mentor_languages=language_matrix(mentors),
        chain_pairs=sorted(chain),
        previous_pairs=sorted(previous),
        excluded_pairs=excluded,
        locked_pairs=locked,
        rankings=rankings,
        topic_names=[t.name for t in program_topics],
        language_names=[name.capitalize() for name in languages],
    )
    return LoadedPool(pool=pool, mentees=mentees, mentors=mentors, peer=peer)


# Pricing rounds for runs in a Celery task, which have time: enough to prove the optimum on
# the largest pools measured (20,000 x 5,000), where the web request stops after one.
THOROUGH_PRICING_ROUNDS = 6


def match_run_execute(
    *, cohort: Cohort, user: User | None, run: MatchRun | None = None, thorough: bool = False
) -> MatchRun:
    """Run the engine over the cohort's pool and replace the draft proposals with its result.

    Active matches are left alone (their people are not in the pool); so are pair rules.
    ``run`` is a row made when the run was queued (the board shows it as running).
    """
    run = run or MatchRun.objects.create(cohort=cohort, started_by=user)
    try:
        loaded = pool_load(cohort=cohort)
        rules, weights = cohort_rules(cohort), cohort_weights(cohort)
        if (
            loaded.pool.n_mentees == 0
            or loaded.pool.n_mentors == 0
            or (loaded.peer and loaded.pool.n_mentees < 2)
        ):
            result = _nothing_to_match(loaded)
        elif loaded.peer:
            result = engine.match_peers(loaded.pool, rules, weights)
        else:
            result = engine.match(
                loaded.pool,
                rules,
                weights,
                pricing_rounds=THOROUGH_PRICING_ROUNDS if thorough else None,
            )
    except Exception as exc:
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRun.Status.FAILED, error=repr(exc), finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        Match.objects.filter(cohort=cohort, status=Match.Status.PROPOSED).delete()
        Match.objects.bulk_create(
            [
                Match(
                    cohort=cohort,
                    mentee=loaded.mentees[p.mentee],
                    mentor=loaded.mentors[p.mentor],
                    status=Match.Status.PROPOSED,
                    run=run,
                    score=round(float(p.score), 2),
                    breakdown={k: round(float(v), 2) for k, v in p.breakdown.items()},
                    reasons=list(p.reasons),
                )
                for p in result.proposals
            ]
        )
        run.status = MatchRun.Status.DONE
        run.optimal = result.optimal
        run.stats = {k: float(v) for k, v in result.stats.items()}
        run.unmatched = {
            str(loaded.mentees[i].pk): reason for i, reason in result.unmatched.items()
        }
        run.finished_at = timezone.now()
        run.save()
    return run


def _nothing_to_match(loaded: LoadedPool) -> MatchResult:
    """The result when one side of the pool is empty: say so for every mentee waiting."""
    reason = (
        "No other peer is waiting to be matched."
        if loaded.peer
        else "No mentor in this cohort has a place left."
    )
    n = loaded.pool.n_mentees
    return MatchResult(
        proposals=[],
        unmatched=dict.fromkeys(range(n), reason),
        optimal="global",
        stats={"matched": 0, "mentees": n, "match_rate": 0.0, "total_score": 0.0},
        mentor_load=np.zeros(loaded.pool.n_mentors, dtype=np.int64),
    )


def matches_publish(*, cohort: Cohort, user: User) -> list[int]:
    """Make the cohort's drafts active; both sides of each get an email once committed."""
    with transaction.atomic():
        drafts = list(
            Match.objects.select_for_update()
            .filter(cohort=cohort, status=Match.Status.PROPOSED)
            .values_list("pk", flat=True)
        )
        if not drafts:
            raise MatchingRefused("There are no proposals to publish: run matching first.")
        Match.objects.filter(pk__in=drafts).update(
            status=Match.Status.ACTIVE, published_at=timezone.now(), published_by=user
        )
        bump_on_commit(PARTICIPATION)  # an update sends no signal
        # Each member hears once the publication is committed (an outbox notice each).
        notifications_record(
            Due(MATCH_PUBLISHED, person_id, match_id)
            for match_id, mentee_person, mentor_person in Match.objects.filter(
                pk__in=drafts
            ).values_list("pk", "mentee__person_id", "mentor__person_id")
            for person_id in (mentee_person, mentor_person)
        )
        audit_record(
            "matching_published",
            actor=user,
            target=cohort,
            details={"program_id": cohort.program_id, "matches": len(drafts)},
        )
    return drafts


def match_end(*, match: Match, user: User, reason: str) -> None:
    """End an active match; the mentee goes back to the pool."""
    reason = reason.strip()
    if not reason:
        raise MatchingRefused("Say why the match ends.")
    ended = Match.objects.filter(pk=match.pk, status=Match.Status.ACTIVE).update(
        status=Match.Status.ENDED, ended_at=timezone.now(), ended_by=user, end_reason=reason
    )
    if not ended:
        raise MatchingRefused("Only an active match can be ended.")
    bump_on_commit(PARTICIPATION)  # an update sends no signal
    match.refresh_from_db()


def pair_rule_set(*, cohort: Cohort, mentee_id: int, mentor_id: int, kind: str, user) -> PairRule:
    """Lock a pair (kept by every run) or exclude it (never proposed); replaces an earlier
    decision on the same pair. Locking a pair releases any other lock on the mentee."""
    mentee = Enrollment.objects.get(pk=mentee_id, cohort=cohort)
    mentor = Enrollment.objects.get(pk=mentor_id, cohort=cohort)
    with transaction.atomic():
        if kind == PairRule.Kind.LOCK:
            PairRule.objects.filter(cohort=cohort, mentee=mentee, kind=PairRule.Kind.LOCK).exclude(
                mentor=mentor
            ).delete()
        rule, _ = PairRule.objects.update_or_create(
            cohort=cohort,
            mentee=mentee,
            mentor=mentor,
            defaults={"kind": kind, "created_by": user},
        )
        if kind == PairRule.Kind.EXCLUDE:
            # An excluded pair is no longer a proposal either.
            Match.objects.filter(
                cohort=cohort, mentee=mentee, mentor=mentor, status=Match.Status.PROPOSED
            ).delete()
    return rule


def pair_rule_clear(*, cohort: Cohort, mentee_id: int, mentor_id: int) -> None:
    PairRule.objects.filter(cohort=cohort, mentee_id=mentee_id, mentor_id=mentor_id).delete()


def match_run_start(*, cohort: Cohort, user: User | None) -> MatchRun:
    """Run now for small pools; queue a Celery task for large ones (the board polls)."""
    pool_size = Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACCEPTED).count()
    if pool_size <= SYNCHRONOUS_POOL_LIMIT:
        return match_run_execute(cohort=cohort, user=user)
    from matching.tasks import run_matching  # tasks import this module

    run = MatchRun.objects.create(cohort=cohort, started_by=user)
    transaction.on_commit(lambda: run_matching.delay(run.pk))
    return run


# Pools up to this many participants are matched within the request (well under a second).
SYNCHRONOUS_POOL_LIMIT = 2000


@dataclass
class MoveOption:
    """A mentor the admin could move a mentee to, with what that would mean."""

    mentor: Enrollment
    score: float
    reasons: list[str]
    breakdown: dict[str, float]
    broken: list[str]  # rules the pair breaks, in plain words
    places_left: int  # the mentor's capacity minus the drafts and locks already on them
    current: bool


def _scored_pool(cohort: Cohort):
    loaded = pool_load(cohort=cohort)
    scores = engine.score_pool(loaded.pool, cohort_rules(cohort), cohort_weights(cohort))
    return loaded, scores


def move_options(*, match: Match, limit: int = 15) -> list[MoveOption]:
    """The mentors a proposed match's mentee could move to, best score first (the current
    one included), each with the rules the pair would break and the places left."""
    from matching.explain import RULE_NAMES

    loaded, scores = _scored_pool(match.cohort)
    i = next((k for k, e in enumerate(loaded.mentees) if e.pk == match.mentee_id), None)
    if i is None:
        return []
    taken = Counter(
        Match.objects.filter(cohort=match.cohort, status=Match.Status.PROPOSED)
        .exclude(pk=match.pk)
        .values_list("mentor_id", flat=True)
    )
    order = np.argsort(-scores.score[i], kind="stable")
    options = []
    for j in order[: max(limit, 1)].tolist() + [
        k for k, e in enumerate(loaded.mentors) if e.pk == match.mentor_id
    ]:
        mentor = loaded.mentors[j]
        if (
            any(o.mentor.pk == mentor.pk for o in options)
            or mentor.person_id == match.mentee.person_id
        ):
            continue
        proposal = engine.pair_proposal(scores, i, j)
        options.append(
            MoveOption(
                mentor=mentor,
                score=float(proposal.score),
                reasons=list(proposal.reasons),
                breakdown={k: round(float(v), 2) for k, v in proposal.breakdown.items()},
                broken=[RULE_NAMES[r] for r in scores.broken_rules(i, j)],
                places_left=int(loaded.pool.capacity[j]) - taken[mentor.pk],
                current=mentor.pk == match.mentor_id,
            )
        )
    return sorted(options, key=lambda o: -o.score)


def match_move(*, match: Match, mentor_id: int, user: User, confirmed: bool) -> list[str]:
    """Move a proposed match's mentee to another mentor and lock the new pair, so re-runs
    keep it. Returns the warnings that need the admin's confirmation (rules the pair breaks, a
    full mentor); nothing is changed until ``confirmed`` is given for them."""
    if match.status != Match.Status.PROPOSED:
        raise MatchingRefused("Only a draft proposal can be moved; end an active match instead.")
    option = next(
        (o for o in move_options(match=match, limit=10_000) if o.mentor.pk == mentor_id), None
    )
    if option is None:
        raise MatchingRefused("That mentor is not in this cohort's pool.")
    warnings = [f"It breaks the {rule}." for rule in option.broken]
    if option.places_left <= 0 and not option.current:
        warnings.append(f"{option.mentor.person} has no place left: they would take one more.")
    if warnings and not confirmed:
        return warnings
    with transaction.atomic():
        pair_rule_set(
            cohort=match.cohort,
            mentee_id=match.mentee_id,
            mentor_id=mentor_id,
            kind=PairRule.Kind.LOCK,
            user=user,
        )
        Match.objects.filter(pk=match.pk).update(
            mentor_id=mentor_id,
            score=round(option.score, 2),
            reasons=option.reasons,
            breakdown=option.breakdown,
        )
    match.refresh_from_db()
    return []


@dataclass
class Waiting:
    """A mentee in the pool with no proposal, and the best mentors who still have room."""

    mentee: Enrollment
    suggestions: list[MoveOption]


def waiting_mentees(*, cohort: Cohort, limit: int = 3) -> list[Waiting]:
    """Mentees in the pool without a draft (for example after their match ended), each with
    the mentors who could take them now, best first: the admin's rematch shortlist."""
    proposed = Match.objects.filter(cohort=cohort, status=Match.Status.PROPOSED)
    drafted = set(proposed.values_list("mentee_id", flat=True))
    loaded = pool_load(cohort=cohort)
    waiting = [i for i, e in enumerate(loaded.mentees) if e.pk not in drafted]
    if not waiting or not loaded.mentors or loaded.peer:
        return [Waiting(mentee=loaded.mentees[i], suggestions=[]) for i in waiting]
    scores = engine.score_pool(loaded.pool, cohort_rules(cohort), cohort_weights(cohort))
    taken = Counter(proposed.values_list("mentor_id", flat=True))
    load = np.array([taken[e.pk] for e in loaded.mentors], dtype=np.int64)
    out = []
    for i in waiting:
        suggestions = [
            MoveOption(
                mentor=loaded.mentors[p.mentor],
                score=float(p.score),
                reasons=list(p.reasons),
                breakdown={k: round(float(v), 2) for k, v in p.breakdown.items()},
                broken=[],
                places_left=int(loaded.pool.capacity[p.mentor] - load[p.mentor]),
                current=False,
            )
            for p in engine.suggest_mentors(scores, i, mentor_load=load, limit=limit)
        ]
        out.append(Waiting(mentee=loaded.mentees[i], suggestions=suggestions))
    return out


def match_propose(*, cohort: Cohort, mentee_id: int, mentor_id: int, user: User) -> Match:
    """Propose (and lock) one pair from the rematch shortlist."""
    option = next(
        (
            s
            for w in waiting_mentees(cohort=cohort, limit=10_000)
            if w.mentee.pk == mentee_id
            for s in w.suggestions
            if s.mentor.pk == mentor_id
        ),
        None,
    )
    if option is None:
        raise MatchingRefused("That pair is not available: run matching again or move a mentee.")
    with transaction.atomic():
        pair_rule_set(
            cohort=cohort,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            kind=PairRule.Kind.LOCK,
            user=user,
        )
        return Match.objects.create(
            cohort=cohort,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            status=Match.Status.PROPOSED,
            score=round(option.score, 2),
            breakdown=option.breakdown,
            reasons=option.reasons,
        )
