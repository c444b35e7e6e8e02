"""Meeting kinds: invitations, reminders, check-ins due, reviews waiting, cadence nudges.

- ``meeting_invitation`` (event notice): recorded by ``goals.services.meetings`` for both
  members in the transaction that schedules, changes or cancels a meeting, one row per member
  and version (``period`` ``v<sequence>``); the .ics REQUEST, or CANCEL once cancelled.
- ``meeting_reminder``: ``cohort.meeting_reminder_hours`` before a meeting, to both members,
  with its current .ics; ``period`` is the start (UTC), so a moved meeting is reminded again.
- ``check_in_due``: ``cohort.check_in_due_days`` after a meeting without a check-in, at 09:00
  in the writer's zone, to whoever writes it (the mentee; in peer programs either peer).
- ``review_waiting``: ``cohort.review_waiting_days`` after a check-in still unreviewed, at
  09:00 in the reviewer's zone, to the reviewer (the mentor; in peer programs the other peer).
- ``cadence_nudge``: no meeting within the agreed cadence and none booked (the pair's health
  is overdue or inactive, ``goals.health``), to both, once per gap (``period`` the anchor:
  the last meeting's date, or the match's start).

Reminders (all but invitations) go only to active pairs in cohorts with reminders switched
on, both people still taking part and active; ``build`` checks it all again at send time.
Emails name the meeting or the check-in and link to it: never a note's text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils import timezone

from goals.health import Health
from goals.ics import ics_method, meeting_invitation
from goals.models import CheckIn, Meeting
from goals.selectors.pairs import health_of, with_health_figures
from matching.models import Match
from mentorship.emails import absolute_url
from mentorship.models import Notification
from mentorship.notifications import (
    Due,
    Email,
    Kind,
    add_days,
    local_moment,
    local_today,
    register,
    user_zone,
)
from programs.models import Enrollment, Program
from programs.notifications import offers_mentoring

INVITATION = "meeting_invitation"
REMINDER = "meeting_reminder"
CHECK_IN_DUE = "check_in_due"
REVIEW_WAITING = "review_waiting"
CADENCE_NUDGE = "cadence_nudge"

# Day-based reminders found later than this after their day (scans stopped, reminders switched
# on late) are not sent: a nudge about a meeting weeks ago only confuses.
LOOKBACK_DAYS = 14
# The largest intervals the cohort settings allow (programs.Cohort constraints): SQL ranges.
MAX_REMINDER_HOURS = 168
MAX_DAYS_SETTING = 30
# A local 09:00 on the day after an instant is at least this long after it (the instant at
# 23:59 local, an hour lost to a clock change): day-based windows open no earlier.
EARLIEST_NEXT_MORNING = timedelta(hours=8)

PAIR_SELECT = (
    "match__cohort__program",
    "match__mentee__person",
    "match__mentor__person",
)


def _now() -> datetime:
    return timezone.now()


# --- Shared pieces ----------------------------------------------------------------------------


def _pair_on(prefix: str = "") -> Q:
    """Pairs reminders go to: active, reminders switched on, both still in and active."""
    return Q(
        **{
            f"{prefix}status": Match.Status.ACTIVE,
            f"{prefix}cohort__reminders_enabled": True,
            f"{prefix}mentee__status": Enrollment.Status.ACCEPTED,
            f"{prefix}mentor__status": Enrollment.Status.ACCEPTED,
            f"{prefix}mentee__person__is_active": True,
            f"{prefix}mentor__person__is_active": True,
        }
    )


def pair_reminders_on(match: Match) -> bool:
    """``_pair_on`` for one loaded pair (cohort, mentee and mentor with their persons)."""
    return (
        match.status == Match.Status.ACTIVE
        and match.cohort.reminders_enabled
        and match.mentee.status == Enrollment.Status.ACCEPTED
        and match.mentor.status == Enrollment.Status.ACCEPTED
        and match.mentee.person.is_active
        and match.mentor.person.is_active
    )


def _sides(match: Match, recipient_id: int):
    """(me, other): the recipient's enrollment in the pair and the other member's; None when
    the recipient is not in the pair."""
    if match.mentee.person_id == recipient_id:
        return match.mentee, match.mentor
    if match.mentor.person_id == recipient_id:
        return match.mentor, match.mentee
    return None


def _sent_to(kind: str, recipient: str, **extra) -> Exists:
    """Whether the row for this subject (the outer query's pk) and recipient exists."""
    return Exists(
        Notification.objects.filter(
            kind=kind, subject_id=OuterRef("pk"), recipient_id=OuterRef(recipient), **extra
        )
    )


def _interval(unit: str, amount) -> Func:
    """``make_interval(<unit> => amount)``: ``amount`` an integer expression (PostgreSQL)."""
    return Func(
        amount, template=f"make_interval({unit} => %(expressions)s)", output_field=DurationField()
    )


def _shifted(field: str, interval: Func) -> ExpressionWrapper:
    """``field + interval`` as a timestamp."""
    return ExpressionWrapper(F(field) + interval, output_field=DateTimeField())


def _in_zone(moment: datetime, zone) -> datetime:
    """A naive wall-clock time in ``zone``: templates must not shift it to another zone."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _meeting(pk: int) -> Meeting | None:
    return (
        Meeting.objects.select_related("organizer", "cancelled_by", *PAIR_SELECT)
        .filter(pk=pk)
        .first()
    )


def _meeting_url(meeting: Meeting) -> str:
    return absolute_url(
        reverse("goals:meeting", kwargs={"pk": meeting.match_id, "meeting_pk": meeting.pk})
    )


def _meeting_context(meeting: Meeting, me, other) -> dict:
    zone = user_zone(me.person.timezone)
    return {
        "meeting": meeting,
        "match": meeting.match,
        "me": me,
        "other": other,
        "starts_local": _in_zone(meeting.starts_at, zone),
        "ends_local": _in_zone(meeting.ends_at, zone),
        "zone_name": zone.key,
        "meeting_url": _meeting_url(meeting),
    }


def _ics_parts(meeting: Meeting, *, alternative: bool):
    """(alternatives, attachments) carrying the meeting's current .ics."""
    method = ics_method(meeting)
    ics = meeting_invitation(meeting).decode()
    mimetype = f"text/calendar; method={method}"
    filename = "cancel.ics" if method == "CANCEL" else "invite.ics"
    alternatives = [(ics, mimetype)] if alternative else []
    return alternatives, [(filename, ics, mimetype)]


# --- Invitations (event notices) --------------------------------------------------------------


def invitation_build(notification: Notification) -> Email | None:
    meeting = _meeting(notification.subject_id)
    if meeting is None or notification.period != f"v{meeting.sequence}":
        return None  # a newer version has its own rows
    if meeting.ends_at <= _now():
        return None  # over by now: an invitation would only confuse
    sides = _sides(meeting.match, notification.recipient_id)
    if sides is None:
        return None
    cancelled = meeting.status == Meeting.Status.CANCELLED
    alternatives, attachments = _ics_parts(meeting, alternative=True)
    return Email(
        "goals/email/meeting_cancelled" if cancelled else "goals/email/meeting_invitation",
        {**_meeting_context(meeting, *sides), "updated": meeting.sequence > 0 and not cancelled},
        attachments=attachments,
        alternatives=alternatives,
    )


register(
    Kind(
        name=INVITATION,
        label="Meeting invitations",
        description=(
            "When a meeting is arranged, changed or cancelled, with the calendar invitation."
        ),
        audience="participants",
        build=invitation_build,
    )
)


# --- Meeting reminders ------------------------------------------------------------------------


def reminder_period(starts_at: datetime) -> str:
    """The meeting's start in UTC: one reminder per start time."""
    return starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meeting_reminder_scan(now: datetime):
    """Meetings whose reminder moment has come and that have not started.

    A meeting arranged or changed once its reminder moment had passed gets none: the
    invitation (or the change) just sent says the same.
    """
    hours = F("match__cohort__meeting_reminder_hours")
    meetings = (
        Meeting.objects.filter(
            _pair_on("match__"),
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=MAX_REMINDER_HOURS),
        )
        .annotate(remind_at=_shifted("starts_at", _interval("hours", -hours)))
        .filter(remind_at__lte=now, updated_at__lte=F("remind_at"))
        .annotate(
            period=Func(
                F("starts_at"),
                template=(
                    "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                ),
                output_field=CharField(),
            )
        )
        .filter(
            ~_sent_to(REMINDER, "match__mentee__person_id", period=OuterRef("period"))
            | ~_sent_to(REMINDER, "match__mentor__person_id", period=OuterRef("period"))
        )
        .values_list(
            "pk", "starts_at", "remind_at", "match__mentee__person_id", "match__mentor__person_id"
        )
    )
    for pk, starts_at, remind_at, mentee_id, mentor_id in meetings.iterator(chunk_size=2000):
        period = reminder_period(starts_at)
        for person_id in (mentee_id, mentor_id):
            yield Due(REMINDER, person_id, pk, period, remind_at)


def meeting_reminder_build(notification: Notification) -> Email | None:
    meeting = _meeting(notification.subject_id)
    if meeting is None or meeting.status != Meeting.Status.SCHEDULED:
        return None
    if meeting.starts_at <= _now() or reminder_period(meeting.starts_at) != notification.period:
        return None  # started, or moved (the new time has its own reminder)
    match = meeting.match
    sides = _sides(match, notification.recipient_id)
    if sides is None or not pair_reminders_on(match):
        return None
    alternatives, attachments = _ics_parts(meeting, alternative=False)
    return Email(
        "goals/email/meeting_reminder",
        _meeting_context(meeting, *sides),
        attachments=attachments,
        alternatives=alternatives,
    )


register(
    Kind(
        name=REMINDER,
        label="Meeting reminders",
        description="24 hours before each meeting, with the calendar invitation.",
        audience="participants",
        build=meeting_reminder_build,
        scan=meeting_reminder_scan,
    )
)


# --- Check-in due -----------------------------------------------------------------------------

PEER = Program.Kind.PEER


def _window(field: str, now: datetime) -> Q:
    """The index range holding every row whose day-based reminder may be due at ``now``,
    whatever the cohort's setting: at least a night old, at most the longest setting plus
    ``LOOKBACK_DAYS``."""
    return Q(
        **{
            f"{field}__lte": now - EARLIEST_NEXT_MORNING,
            f"{field}__gte": now - timedelta(days=MAX_DAYS_SETTING + LOOKBACK_DAYS + 1),
        }
    )


def _day_based(queryset, field: str, days: F, now: datetime):
    """Narrow ``queryset`` to rows whose day-based reminder may be due at ``now``."""
    return (
        queryset.filter(_window(field, now))
        .annotate(
            earliest=_shifted(field, _interval("days", days - 1) + _interval("hours", Value(8))),
            latest=_shifted(field, _interval("days", days + LOOKBACK_DAYS + 1)),
        )
        .filter(earliest__lte=now, latest__gte=now)
    )


def _due_day_moment(instant: datetime, days: int, tz_name: str, now: datetime):
    """09:00 in the person's zone ``days`` after the local day of ``instant``, if it has come
    and is not more than ``LOOKBACK_DAYS`` past; else None."""
    day = add_days(instant.astimezone(user_zone(tz_name)).date(), days)
    moment = local_moment(day, tz_name)
    if moment <= now and local_today(now, tz_name) <= add_days(day, LOOKBACK_DAYS):
        return moment
    return None


def check_in_writers(match: Match) -> list:
    """Who writes the check-in (``goals.services.checkins.can_write_check_in``): the mentee;
    in peer programs, either peer."""
    if match.cohort.program.is_peer:
        return [match.mentee, match.mentor]
    return [match.mentee]


def check_in_due_scan(now: datetime):
    days = F("match__cohort__check_in_due_days")
    meetings = (
        _day_based(
            Meeting.objects.filter(
                _pair_on("match__"),
                status=Meeting.Status.SCHEDULED,
                starts_at__lte=now,
                check_in__isnull=True,
            ),
            "starts_at",
            days,
            now,
        )
        .filter(
            ~_sent_to(CHECK_IN_DUE, "match__mentee__person_id")
            | (
                Q(match__cohort__program__kind=PEER)
                & ~_sent_to(CHECK_IN_DUE, "match__mentor__person_id")
            )
        )
        .values_list(
            "pk",
            "starts_at",
            "match__cohort__check_in_due_days",
            "match__cohort__program__kind",
            "match__mentee__person_id",
            "match__mentee__person__timezone",
            "match__mentor__person_id",
            "match__mentor__person__timezone",
        )
    )
    for (
        pk,
        starts_at,
        n,
        program_kind,
        mentee_id,
        mentee_tz,
        mentor_id,
        mentor_tz,
    ) in meetings.iterator(chunk_size=2000):
        writers = [(mentee_id, mentee_tz)]
        if program_kind == PEER:
            writers.append((mentor_id, mentor_tz))
        for person_id, tz_name in writers:
            moment = _due_day_moment(starts_at, n, tz_name, now)
            if moment is not None:
                yield Due(CHECK_IN_DUE, person_id, pk, "", moment)


def check_in_due_build(notification: Notification) -> Email | None:
    meeting = _meeting(notification.subject_id)
    if meeting is None or meeting.status != Meeting.Status.SCHEDULED:
        return None
    if meeting.starts_at > _now() or CheckIn.objects.filter(meeting=meeting).exists():
        return None
    match = meeting.match
    sides = _sides(match, notification.recipient_id)
    if sides is None or not pair_reminders_on(match):
        return None
    if sides[0] not in check_in_writers(match):
        return None
    context = _meeting_context(meeting, *sides)
    context["check_in_url"] = absolute_url(
        reverse("goals:check_in", kwargs={"pk": match.pk, "meeting_pk": meeting.pk})
    )
    return Email("goals/email/check_in_due", context)


register(
    Kind(
        name=CHECK_IN_DUE,
        label="Check-in reminders",
        description="The morning after a meeting, when its check-in is not written yet.",
        audience="participants",
        build=check_in_due_build,
        scan=check_in_due_scan,
    )
)


# --- Review waiting ---------------------------------------------------------------------------


def reviewer_of(check_in: CheckIn, match: Match):
    """Who reviews (``goals.services.checkins.can_review_check_in``): the mentor; in peer
    programs, the peer who did not write it. None when nobody can."""
    if match.cohort.program.is_peer:
        if check_in.author_id == match.mentee.person_id:
            return match.mentor
        if check_in.author_id == match.mentor.person_id:
            return match.mentee
        return None
    return None if check_in.author_id == match.mentor.person_id else match.mentor


def review_waiting_scan(now: datetime):
    days = F("match__cohort__review_waiting_days")
    check_ins = (
        _day_based(
            CheckIn.objects.filter(_pair_on("match__"), reviewed_at__isnull=True),
            "submitted_at",
            days,
            now,
        )
        .exclude(
            Exists(Notification.objects.filter(kind=REVIEW_WAITING, subject_id=OuterRef("pk")))
        )
        .values_list(
            "pk",
            "submitted_at",
            "author_id",
            "match__cohort__review_waiting_days",
            "match__cohort__program__kind",
            "match__mentee__person_id",
            "match__mentee__person__timezone",
            "match__mentor__person_id",
            "match__mentor__person__timezone",
        )
    )
    for row in check_ins.iterator(chunk_size=2000):
        pk, submitted_at, author_id, n, program_kind, mentee_id, mentee_tz, mentor_id, mentor_tz = (
            row
        )
        if program_kind == PEER:
            reviewer = {mentee_id: (mentor_id, mentor_tz), mentor_id: (mentee_id, mentee_tz)}.get(
                author_id
            )
        else:
            reviewer = (mentor_id, mentor_tz) if author_id != mentor_id else None
        if reviewer is None:
            continue
        moment = _due_day_moment(submitted_at, n, reviewer[1], now)
        if moment is not None:
            yield Due(REVIEW_WAITING, reviewer[0], pk, "", moment)


def review_waiting_build(notification: Notification) -> Email | None:
    check_in = (
        CheckIn.objects.select_related("author", "meeting", *PAIR_SELECT)
        .filter(pk=notification.subject_id)
        .first()
    )
    if check_in is None or check_in.reviewed_at is not None:
        return None
    match = check_in.match
    sides = _sides(match, notification.recipient_id)
    if sides is None or not pair_reminders_on(match) or reviewer_of(check_in, match) != sides[0]:
        return None
    meeting = check_in.meeting
    meeting.match = match
    me, other = sides
    zone = user_zone(me.person.timezone)
    context = _meeting_context(meeting, me, other)
    context.update(
        check_in=check_in,
        submitted_local=_in_zone(check_in.submitted_at, zone),
        days_waiting=(
            _now().astimezone(zone).date() - check_in.submitted_at.astimezone(zone).date()
        ).days,
        review_url=absolute_url(
            reverse("goals:check_in_review", kwargs={"pk": match.pk, "meeting_pk": meeting.pk})
        ),
        inbox_url=absolute_url(reverse("goals:review_inbox")),
    )
    return Email("goals/email/review_waiting", context)


register(
    Kind(
        name=REVIEW_WAITING,
        label="Check-ins waiting for your review",
        description="3 days after a check-in was written, when you have not reviewed it yet.",
        audience="mentors",
        shown_to=offers_mentoring,
        build=review_waiting_build,
        scan=review_waiting_scan,
    )
)


# --- Cadence nudges ---------------------------------------------------------------------------

AT_RISK = (Health.OVERDUE, Health.INACTIVE)


def _gap(match: Match, tz_name: str, now: datetime):
    """(anchor, due day) when the pair, annotated by ``with_health_figures``, has gone past
    its cadence with nothing booked, as of the person's day at ``now``; else None.

    The decision is the pair's health (``goals.health``): overdue or inactive, no meeting
    booked. The anchor is the day its "days since the last meeting" counts from.
    """
    if match.next_meeting_at is not None:
        return None
    today = local_today(now, tz_name)
    report = health_of(match, today=today)
    if report.state not in AT_RISK:
        return None
    anchor = today - timedelta(days=report.days_since_meeting)
    return anchor, add_days(anchor, report.cadence_days + 1)


def _pairs_with_figures(matches, now: datetime):
    return with_health_figures(
        matches.select_related("cohort__program", "mentee__person", "mentor__person"), now=now
    )


def cadence_nudge_scan(now: datetime):
    """Pairs past their cadence with nothing booked, not yet nudged for this gap.

    SQL narrows to pairs whose cadence may have run out in some zone (the health decides):
    nothing booked, the anchor plus the cadence before the latest "today" on Earth, and no
    nudge recorded for the anchor (the SQL anchor is the one ``goals.selectors.pairs.health_of``
    derives; were they ever to differ, pairs would only be looked at again, never missed).
    """
    site_zone = timezone.get_current_timezone()  # health_of's local dates
    latest_today = (now + timedelta(hours=14)).date()
    anchor = Coalesce(
        TruncDate("last_met_at", tzinfo=site_zone),
        Greatest(F("cohort__starts_on"), TruncDate("published_at", tzinfo=site_zone)),
        output_field=DateField(),
    )
    pairs = (
        _pairs_with_figures(
            Match.objects.filter(_pair_on(), cohort__ends_on__gte=now.date() - timedelta(days=1)),
            now,
        )
        .filter(next_meeting_at__isnull=True)
        .annotate(
            anchor_on=anchor,
            cadence=Coalesce("agreed_cadence", "cohort__cadence_days", output_field=IntegerField()),
        )
        .annotate(
            earliest_due=ExpressionWrapper(F("anchor_on") + F("cadence"), output_field=DateField()),
            anchor_period=Func(
                F("anchor_on"), Value("YYYY-MM-DD"), function="to_char", output_field=CharField()
            ),
        )
        .filter(earliest_due__lt=latest_today)
        .filter(
            ~_sent_to(CADENCE_NUDGE, "mentee__person_id", period=OuterRef("anchor_period"))
            | ~_sent_to(CADENCE_NUDGE, "mentor__person_id", period=OuterRef("anchor_period"))
        )
    )
    for match in pairs.iterator(chunk_size=2000):
        for member in (match.mentee, match.mentor):
            tz_name = member.person.timezone
            gap = _gap(match, tz_name, now)
            if gap is None:
                continue
            anchor_on, due_day = gap
            moment = local_moment(due_day, tz_name)
            if moment <= now:
                yield Due(CADENCE_NUDGE, member.person_id, match.pk, anchor_on.isoformat(), moment)


def cadence_nudge_build(notification: Notification) -> Email | None:
    now = _now()
    match = _pairs_with_figures(Match.objects.filter(pk=notification.subject_id), now).first()
    if match is None or not pair_reminders_on(match):
        return None
    sides = _sides(match, notification.recipient_id)
    if sides is None:
        return None
    me, other = sides
    gap = _gap(match, me.person.timezone, now)
    if gap is None or gap[0].isoformat() != notification.period:
        return None  # they met or booked since
    anchor_on, _ = gap
    today = local_today(now, me.person.timezone)
    report = health_of(match, today=today)
    return Email(
        "goals/email/cadence_nudge",
        {
            "match": match,
            "me": me,
            "other": other,
            "met_before": match.last_met_at is not None,
            "anchor_on": anchor_on,
            "days": report.days_since_meeting,
            "cadence_days": report.cadence_days,
            "pair_url": absolute_url(reverse("goals:pair", kwargs={"pk": match.pk})),
            "agreement_url": absolute_url(reverse("goals:agreement", kwargs={"pk": match.pk})),
            "new_meeting_url": absolute_url(reverse("goals:meeting_new", kwargs={"pk": match.pk})),
        },
    )


register(
    Kind(
        name=CADENCE_NUDGE,
        label="Nudges to meet",
        description=(
            "When no meeting has taken place within your agreed rhythm and none is booked "
            "(every 14 days unless your agreement says otherwise)."
        ),
        audience="participants",
        build=cadence_nudge_build,
        scan=cadence_nudge_scan,
    )
)
