"""Check-in (rules 16-18): scans that record participation, the person's history and card.

A check-in costs three DynamoDB round trips, two of them in sequence:
  1. BatchGetItem: the activity and its government (keys from the verified token); none while
     the container's copy is fresh
  2. TransactWriteItems: the participation, conditional on none existing for this person and
     activity, with the activity's counter shard; a losing (repeated) write gets the stored
     record back from the failed condition
  and, concurrently with both, keyed by the verified subject only:
  3. Query: the person's partition, projected to what progress needs
Nothing in the person's partition can refuse a check-in, so the write does not wait for it. A
newcomer's first record adds one GetItem (the deleted-account marker).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from furusato import clock
from furusato.domain import tokens
from furusato.domain.activity import Activity, ActivityCancelled, Actor, OutsideWindow, require_manageable
from furusato.domain.checkin import (
    FAILURE_LIMIT,
    CheckIn,
    Decision,
    ParticipationRecord,
    check_activity,
    check_token,
    decide,
    failure_window,
    needs_confirmation,
    new_record,
    scan_instant,
)
from furusato.domain.errors import DomainError, InvalidInput, NotFound, RateLimited, Unauthenticated
from furusato.domain.lg import LocalGovernment
from furusato.domain.registration import Progress, counted_on, prefecture_of_municipality, progress
from furusato.store import activities as activity_store
from furusato.store import cursor as cursors
from furusato.store import keyring, lgs, participations, people
from furusato.store.ids import new_id
from furusato.views.participation import checkin_view, participation_view, roster_line, staff_checkin_view
from furusato.views.registration import card_view

logger = Logger(service="furusato", child=True)

# Refusals of a scan: logged, counted per activity and per person (rate limit).
REFUSALS: tuple[type[DomainError], ...] = (
    tokens.InvalidToken,
    tokens.TokenExpired,
    OutsideWindow,
    ActivityCancelled,
    InvalidInput,
)


@dataclass
class _Target:
    """What a refused scan was aimed at, once the token's signature proved it."""

    lg_code: str | None = None
    activity_id: str | None = None


@contextmanager
def _refusals(sub: str, target: _Target) -> Iterator[None]:
    try:
        yield
    except REFUSALS as exc:
        _refused(sub, exc, target)
        raise


def _refused(sub: str, exc: DomainError, target: _Target) -> None:
    """Log the reason (the subject id is the only personal datum), count it for the activity's
    staff, and answer 429 once the person failed too often in the current window."""
    now = clock.now()
    logger.warning(
        "check-in refused", extra={"reason": exc.code, "activity_id": target.activity_id, "sub": sub}
    )
    if target.lg_code and target.activity_id:
        activity_store.add_scan_failure(target.lg_code, target.activity_id, exc.code)
    window, window_end = failure_window(now)
    failures = participations.count_failure(sub, window, window_end + timedelta(hours=1))
    if failures > FAILURE_LIMIT:
        retry_after = max(1, int((window_end - now).total_seconds()))
        raise RateLimited(
            "too many failed scans; try again later", details={"retry_after": retry_after}
        ) from exc


def _verified(token: str) -> tokens.Claims:
    ring = keyring.knowing(tokens.peek_kid(token) or "")
    return tokens.verify(ring, token)


def _load_activity(lg_code: str, activity_id: str) -> tuple[Activity, LocalGovernment]:
    activity, lg = activity_store.get_for_checkin(lg_code, activity_id)
    if activity is None or lg is None:
        # A valid signature over an activity this government does not have: not our token.
        raise tokens.InvalidToken("unknown activity")
    return activity, lg


# --- background reads --------------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _background() -> ThreadPoolExecutor:
    """A few threads for reads that need not block the request's critical path (one pool per
    process: a forked process gets its own)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="checkin-read")
        _pool_pid = os.getpid()
    return _pool


# --- registrant scans --------------------------------------------------------------------


def check_in(sub: str, *, token: str, nonce: str, scanned_at: datetime | None) -> tuple[int, dict[str, Any]]:
    """POST /v1/checkins: a registrant scanned a static or rotating QR code."""
    now = clock.now()
    target = _Target()
    with _refusals(sub, target):
        claims = _verified(token)
        if isinstance(claims, tokens.MemberClaims):
            raise tokens.InvalidToken("a member code is scanned by staff, not checked in by its holder")
        target.lg_code, target.activity_id = claims.lg_code, claims.activity_id
        instant = scan_instant(claims, now=now, scanned_at=scanned_at)
        check_token(claims, instant=instant)
    standing = _background().submit(participations.standing, sub)
    with _refusals(sub, target):
        activity, lg = _load_activity(claims.lg_code, claims.activity_id)
        mode = "static_qr" if isinstance(claims, tokens.StaticClaims) else "rotating_qr"
        check_activity(activity, mode=mode, instant=instant)
    # After the window closed, the phone's clock is the only evidence: staff confirm it or not.
    unconfirmed = needs_confirmation(claims, activity, now=now, scanned_at=scanned_at)
    record = new_record(
        sub=sub,
        participation_id=new_id("part"),
        activity=activity,
        source="qr",
        instant=instant,
        now=now,
        offline=scanned_at is not None,
        nonce=nonce,
        recorded_by=None,
        status="unconfirmed" if unconfirmed else "confirmed",
    )
    scan = _write(record, activity, lg, standing)
    return (201 if scan.created else 200), checkin_view(scan)


# --- staff scans -------------------------------------------------------------------------


def staff_check_in(
    actor: Actor, activity_id: str, *, member_token: str, nonce: str
) -> tuple[int, dict[str, Any]]:
    """POST .../activities/{id}/checkins: staff scanned a registrant's member card code.

    Allowed for any check-in mode (staff presence is the strongest proof), within the window."""
    now = clock.now()
    target = _Target()
    with _refusals(actor.sub, target):
        activity, lg = activity_store.get_for_checkin(actor.lg_code, activity_id)
        activity = require_manageable(actor, activity)
        target.lg_code, target.activity_id = activity.lg_code, activity.activity_id
        claims = _verified(member_token)
        if not isinstance(claims, tokens.MemberClaims):
            raise tokens.InvalidToken("not a member code")
        tokens.check_member(claims, now)
        check_activity(activity, mode="staff_scan", instant=now)
    assert lg is not None
    standing = _background().submit(participations.standing, claims.sub)
    record = new_record(
        sub=claims.sub,
        participation_id=new_id("part"),
        activity=activity,
        source="staff_scan",
        instant=now,
        now=now,
        offline=False,
        nonce=nonce,
        recorded_by=actor.sub,
    )
    scan = _write(record, activity, lg, standing)
    return (201 if scan.created else 200), staff_checkin_view(scan)


# --- staff decisions on offline scans ----------------------------------------------------


def decide_participation(
    actor: Actor, activity_id: str, participation_id: str, decision: Decision
) -> tuple[bool, dict[str, Any]]:
    """POST .../participants/{participation_id}/confirmation: staff confirm an unconfirmed
    participation from their roster (it then counts, and is judged for automatic premium as the
    qualifying scan would have been) or reject it (it never counts). Deciding the same way again
    answers the stored decision and changes nothing. Returns (changed, the roster line)."""
    activity = activity_store.get_activity(actor.lg_code, activity_id)
    activity = require_manageable(actor, activity)
    record = participations.reviewable(activity.activity_id, participation_id)
    if record is None:
        raise NotFound("no participation of this activity awaits or had a confirmation with this id")
    status = decide(record, decision)
    changed, stored = participations.decide(record, status, by=actor.sub, at=clock.iso(clock.now()))
    if stored is None:
        raise NotFound("this participation no longer exists")
    decide(stored, decision)  # a concurrent decision the other way wins: refused here
    if stored.confirmed:
        # Rule 14, as at the qualifying scan, judged on the day it counts (or today). Also when
        # it was confirmed before: a retry after a failure here still makes the upgrade, and a
        # pass that finds nothing to change writes nothing.
        from furusato.capabilities import premium  # as at the scan: kept out of the cold start

        today = max(clock.today(), stored.day)
        premium.after_participation(stored.sub, premium.governments_counting(stored.lg_code), today)
    name, registration_id = participations.roster_people([stored.sub], actor.lg_code)[stored.sub]
    return changed, roster_line(stored, name=name, registration_id=registration_id)


# --- recording ---------------------------------------------------------------------------


def _refuse_deleted_account(sub: str, activity_id: str) -> None:
    """A first record for someone of whom nothing else is held: a newcomer, or an account
    deleted while its token is still valid, whose scan must not recreate data. Only such scans
    pay for the check."""
    from furusato.store import personal_data

    if personal_data.is_gone(sub):
        participations.forget(sub, activity_id)
        raise Unauthenticated("this account was deleted")


def _write(
    record: ParticipationRecord,
    activity: Activity,
    lg: LocalGovernment,
    standing: Future[participations.Standing],
) -> CheckIn:
    created, stored = participations.record(record)
    person = standing.result()
    others = [p for p in person.participations if p.activity_id != activity.activity_id]
    if created and not (person.has_profile or person.registrations or others):
        _refuse_deleted_account(record.sub, activity.activity_id)
    # Judged on the day the participation counts: a scan in the hour before a midnight start
    # counts already (its day is tomorrow's date).
    today = max(clock.today(), stored.day)
    current = progress(lg, [*others, stored], today)
    upgraded = None
    if created and stored.confirmed and _may_change_premium(person, lg, current):
        # Rule 14: the scan that meets the requirement makes an opted-in registrant premium.
        # Imported here: only such a scan needs the premium judgement (a cold start does not).
        from furusato.capabilities import premium

        upgraded = premium.after_participation(record.sub, premium.governments_counting(lg.lg_code), today)
    return CheckIn(
        created=created,
        activity=activity,
        lg_code=lg.lg_code,
        participation=stored,
        counted=counted_on(lg, stored, today),
        progress=current,
        registered=lg.lg_code in person.registrations,
        upgraded=upgraded,
    )


def _may_change_premium(person: participations.Standing, lg: LocalGovernment, current: Progress) -> bool:
    """Whether the new participation may upgrade a registration or change its stayer flag: judged
    on what the check-in already read, so that most scans cost nothing more."""
    state = person.states.get(lg.lg_code)
    if state is not None and state.status == "active":
        if state.plan == "premium" and not state.long_term_stayer:
            return True  # approved stays count too, and only the person's partition has them
        qualifies = current.activities_counted >= current.activities_required
        if state.plan == "basic" and state.auto_upgrade and lg.settings.auto_approval and qualifies:
            return True
    # The prefecture's settings are not at hand: an opted-in or not-yet-stayer premium
    # registration there is worth the look.
    prefecture = prefecture_of_municipality(lg.lg_code)
    pref = person.states.get(prefecture) if prefecture else None
    return (
        pref is not None
        and pref.status == "active"
        and (
            (pref.plan == "basic" and pref.auto_upgrade)
            or (pref.plan == "premium" and not pref.long_term_stayer)
        )
    )


# --- history and card --------------------------------------------------------------------


def _encode_cursor(key: str) -> str:
    return cursors.pack({"after": key})


def _decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    raw = cursors.unpack(cursor)
    if not isinstance(raw, dict) or not isinstance(raw.get("after"), str):
        raise cursors.invalid()
    return str(raw["after"])


def my_participations(
    sub: str,
    *,
    lg_code: str | None,
    from_day: date | None,
    to_day: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The person's records, newest first (they live in the person's own partition)."""
    person = people.load(sub)
    people.touch_last_seen(person, clock.today())
    after = _decode_cursor(cursor)
    records = sorted(
        (p for p in person.participations if isinstance(p, ParticipationRecord)),
        key=lambda p: (p.checked_in_at, p.participation_id),
        reverse=True,
    )
    selected = [
        p
        for p in records
        if (lg_code is None or p.lg_code == lg_code)
        and (from_day is None or p.day >= from_day)
        and (to_day is None or p.day <= to_day)
        and (after is None or f"{p.checked_in_at}#{p.participation_id}" < after)
    ]
    page = selected[:limit]
    next_cursor = (
        _encode_cursor(f"{page[-1].checked_in_at}#{page[-1].participation_id}")
        if len(selected) > limit
        else None
    )
    return [participation_view(p) for p in page], next_cursor


def card(sub: str) -> dict[str, Any]:
    """GET /v1/me/card: a short-lived member code for staff scans and one card per active
    registration."""
    person = people.load(sub)
    people.touch_last_seen(person, clock.today())
    token, expires_at = tokens.issue_member(keyring.current(), sub=sub, now=clock.now())
    active = sorted(
        (r for r in person.registrations.values() if r.status == "active"), key=lambda r: r.lg_code
    )
    governments = lgs.batch_get(r.lg_code for r in active)

    return card_view(token, clock.iso(expires_at), active, governments)
