"""Check-in rules (rules 17-18): which scan proves presence, and the participation it records.

Pure: the instant of a scan, the window and mode checks, the record and what a scan recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from furusato.clock import iso
from furusato.domain import tokens
from furusato.domain.activity import Activity, ActivityCancelled, OutsideWindow, jst_day
from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.registration import Participation, Progress

if TYPE_CHECKING:  # the premium rules load only when a scan may upgrade
    from furusato.domain.premium import Upgrade

Source = Literal["qr", "staff_scan", "backfill"]
SOURCES: tuple[str, ...] = ("qr", "staff_scan", "backfill")
Decision = Literal["confirm", "reject"]
DECIDED: dict[str, str] = {"confirm": "confirmed", "reject": "rejected"}

# An offline scan (static QR only) must reach the server within this time.
OFFLINE_MAX_AGE = timedelta(hours=72)
# Phones' clocks drift a little; a scan this far "in the future" is still taken as now.
CLOCK_SKEW = timedelta(seconds=60)

# Failed scans per person before further failures answer 429 (fixed window).
FAILURE_LIMIT = 10
FAILURE_WINDOW_S = 600


@dataclass(frozen=True)
class ParticipationRecord(Participation):
    """The whole participation record; `Participation` (its base) is what progress needs."""

    sub: str = ""
    participation_id: str = ""
    organization_id: str | None = None
    activity_name: str = ""
    activity_starts_at: str = ""
    activity_ends_at: str = ""
    place: str = ""
    source: Source = "qr"
    checkin_mode: str = "static_qr"
    checked_in_at: str = ""  # the instant presence was proven (the scan)
    recorded_at: str = ""  # when the server recorded it (later than the scan when offline)
    offline: bool = False
    nonce: str | None = None
    recorded_by: str | None = None  # staff sub for staff scans
    decided_by: str | None = None  # the staff member who confirmed or rejected an offline scan
    decided_at: str | None = None


@dataclass(frozen=True)
class PendingParticipant:
    """A backfilled participant not yet matched to a registrant (rule 19): listed on the roster
    by the name as written in the file, in the place their participation takes once matched."""

    participation_id: str
    name: str
    checked_in_at: str  # the activity's start
    recorded_at: str  # when the import wrote it


@dataclass(frozen=True)
class CheckIn:
    """What a scan recorded, or found recorded by an earlier one (`created` False), and what it
    means for the person with the activity's government on the day it counts."""

    created: bool
    activity: Activity
    lg_code: str
    participation: ParticipationRecord
    counted: bool  # the participation counts towards that government's premium requirement
    progress: Progress
    registered: bool  # the person is registered with that government
    upgraded: Upgrade | None = None


def scan_instant(
    claims: tokens.StaticClaims | tokens.RotatingClaims, *, now: datetime, scanned_at: datetime | None
) -> datetime:
    """The instant the scan proves presence: now, or `scanned_at` for an offline static scan."""
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        raise InvalidInput(
            "scanned_at needs its offset", details={"scanned_at": "an instant with its offset"}
        )
    if not isinstance(claims, tokens.StaticClaims):
        raise InvalidInput(
            "offline scans are accepted only for printed (static) QR codes",
            details={"scanned_at": "only for static QR codes"},
        )
    if scanned_at > now + CLOCK_SKEW:
        raise InvalidInput("scanned_at is in the future", details={"scanned_at": "not in the future"})
    if now - scanned_at > OFFLINE_MAX_AGE:
        raise tokens.TokenExpired(
            "an offline scan must arrive within 72 hours", details={"scanned_at": "within 72 hours"}
        )
    return min(scanned_at, now)


def needs_confirmation(
    claims: tokens.StaticClaims | tokens.RotatingClaims,
    activity: Activity,
    *,
    now: datetime,
    scanned_at: datetime | None,
) -> bool:
    """Whether the scan's only evidence of presence is the phone's clock: an offline scan
    (`scanned_at` earlier than its arrival by more than the clock skew) that arrives after the
    code's and the activity's window closed. A printed code can be photographed and its scan
    sent later with any `scanned_at` inside the window, so such a scan waits for staff. Arriving
    while the window is open proves what a live scan of the same code proves."""
    if scanned_at is None or now - scanned_at <= CLOCK_SKEW:
        return False
    live = activity.in_window(now) and (not isinstance(claims, tokens.StaticClaims) or claims.valid_at(now))
    return not live


def decide(record: ParticipationRecord, decision: Decision) -> str:
    """The status a staff decision gives an unconfirmed participation. Deciding again the same
    way changes nothing; a decision is final, so the other one is refused."""
    wanted = DECIDED[decision]
    if record.status in (wanted, "unconfirmed"):
        return wanted
    raise Conflict(
        f"this participation was already {record.status}",
        code="NOT_DECIDABLE",
        details={"status": record.status},
    )


def check_token(claims: tokens.StaticClaims | tokens.RotatingClaims, *, instant: datetime) -> None:
    """Token-level checks, before any read: a rotating token's step, a static token's window."""
    if isinstance(claims, tokens.RotatingClaims):
        tokens.check_rotating(claims, instant)
    elif not claims.valid_at(instant):
        raise OutsideWindow("this QR code is not valid at this time", details=_window(claims))


def check_activity(activity: Activity, *, mode: str, instant: datetime) -> None:
    """The activity accepts this kind of scan at this instant."""
    if activity.cancelled:
        raise ActivityCancelled("this activity was cancelled")
    if mode != "staff_scan" and activity.checkin_mode != mode:
        # e.g. a printed code of an activity that moved to rotating codes: refused as a token.
        raise tokens.InvalidToken("this code is not valid for this activity's check-in mode")
    if not activity.in_window(instant):
        raise OutsideWindow(
            "check-in is open from 60 minutes before the start to 60 minutes after the end",
            details={"opens_at": iso(activity.checkin_opens), "closes_at": iso(activity.checkin_closes)},
        )


def _window(claims: tokens.StaticClaims) -> dict[str, str]:
    return {"opens_at": iso(claims.valid_from), "closes_at": iso(claims.valid_until)}


def new_record(
    *,
    sub: str,
    participation_id: str,
    activity: Activity,
    source: Source,
    instant: datetime,
    now: datetime,
    offline: bool,
    nonce: str | None,
    recorded_by: str | None,
    status: str = "confirmed",
) -> ParticipationRecord:
    return ParticipationRecord(
        activity_id=activity.activity_id,
        lg_code=activity.lg_code,
        designated=activity.designated,
        # Rule 10: a participation counts on the JST date of the activity's start, whenever the
        # scan happened (a scan in the opening hour before a midnight start counts on the start).
        day=jst_day(activity.starts_at),
        sub=sub,
        participation_id=participation_id,
        organization_id=activity.organization_id,
        activity_name=activity.name,
        activity_starts_at=iso(activity.starts_at),
        activity_ends_at=iso(activity.ends_at),
        place=activity.place,
        source=source,
        checkin_mode=activity.checkin_mode,
        checked_in_at=iso(instant),
        recorded_at=iso(now),
        offline=offline,
        nonce=nonce,
        recorded_by=recorded_by,
        status=status,
    )


def failure_window(now: datetime) -> tuple[int, datetime]:
    """The fixed rate-limit window containing `now`: its number and its end."""
    epoch = int(now.timestamp())
    number = epoch // FAILURE_WINDOW_S
    end = datetime.fromtimestamp((number + 1) * FAILURE_WINDOW_S, now.tzinfo)
    return number, end
