"""Organizations and activities (rules 11, 17-18): who runs them, when, and whether they count.

Pure rules: no storage, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from furusato.clock import JST
from furusato.domain.errors import Conflict, Forbidden, InvalidInput, NotFound

CheckinMode = Literal["static_qr", "rotating_qr", "staff_scan"]
CHECKIN_MODES: tuple[str, ...] = ("static_qr", "rotating_qr", "staff_scan")
Designation = Literal["per_activity", "all_activities"]
OrgKind = Literal[
    "neighborhood_association", "npo", "dmo", "chamber_of_commerce", "company", "school", "other"
]
ActivityStatus = Literal["scheduled", "cancelled"]

# A QR code opens this long before the start and closes this long after the end (rule 18, docs/checkin.md).
CHECKIN_OPENS_BEFORE = timedelta(minutes=60)
CHECKIN_CLOSES_AFTER = timedelta(minutes=60)
MAX_DURATION = timedelta(days=31)

# Staff roles of the government that manage every activity and organization's activities.
MANAGER_ROLES = frozenset({"admin", "coordinator"})
READER_ROLES = frozenset({"admin", "coordinator", "viewer"})
ORG_ROLE = "org"


class ActivityCancelled(Conflict):
    code = "ACTIVITY_CANCELLED"


class OutsideWindow(Conflict):
    code = "OUTSIDE_WINDOW"


class WrongCheckinMode(Conflict):
    code = "WRONG_CHECKIN_MODE"


class AllDesignated(InvalidInput):
    """Rule 11: an organization designated wholesale (`all_activities`) has no undesignated activity."""

    def __init__(self) -> None:
        super().__init__(
            "the organization's activities are all designated",
            details={"designated": "fixed to true by the organization's designation (all_activities)"},
        )


@dataclass(frozen=True)
class Organization:
    org_id: str
    lg_code: str
    name: str
    kind: OrgKind
    designation: Designation
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Activity:
    activity_id: str
    lg_code: str
    name: str
    starts_at: datetime
    ends_at: datetime
    place: str
    conditions: str | None
    capacity: int | None
    organization_id: str | None
    designated: bool
    checkin_mode: CheckinMode
    status: ActivityStatus
    created_at: str
    updated_at: str
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    scan_failures: dict[str, int] = field(default_factory=dict)

    @property
    def checkin_opens(self) -> datetime:
        return self.starts_at - CHECKIN_OPENS_BEFORE

    @property
    def checkin_closes(self) -> datetime:
        return self.ends_at + CHECKIN_CLOSES_AFTER

    def in_window(self, instant: datetime) -> bool:
        return self.checkin_opens <= instant <= self.checkin_closes

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


def check_times(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    """Both instants carry an offset; the end comes after the start, within a month. Stored in JST."""
    bad: dict[str, str] = {}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None:
            bad[name] = "an instant with its offset, e.g. 2026-04-10T10:00:00+09:00"
    if bad:
        raise InvalidInput("invalid activity times", details=bad)
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must come after starts_at", details={"ends_at": "after starts_at"})
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput(
            "an activity lasts at most 31 days", details={"ends_at": "within 31 days of starts_at"}
        )
    return starts_at.astimezone(JST).replace(microsecond=0), ends_at.astimezone(JST).replace(microsecond=0)


def jst_day(instant: datetime) -> date:
    return instant.astimezone(JST).date()


# --- who may do what ---------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """A staff member of one government, as far as activities care."""

    sub: str
    lg_code: str
    staff_role: str
    org_id: str | None = None

    @property
    def is_org(self) -> bool:
        return self.staff_role == ORG_ROLE

    @property
    def manages(self) -> bool:
        return self.staff_role in MANAGER_ROLES or (self.is_org and bool(self.org_id))


def can_see(actor: Actor, activity: Activity) -> bool:
    """Organization staff see only their organization's activities (the rest do not exist for them)."""
    if actor.is_org:
        return activity.organization_id is not None and activity.organization_id == actor.org_id
    return actor.staff_role in READER_ROLES


def require_visible(actor: Actor, activity: Activity | None) -> Activity:
    if activity is None or not can_see(actor, activity):
        raise NotFound("activity not found")
    return activity


def require_manageable(actor: Actor, activity: Activity | None) -> Activity:
    found = require_visible(actor, activity)
    if not actor.manages:
        raise Forbidden("needs one of: admin, coordinator, org")
    return found


def resolve_designated(
    *,
    actor: Actor,
    organization: Organization | None,
    requested: bool | None,
    current: bool | None = None,
) -> bool:
    """Rule 11: an organization designated wholesale makes all its activities designated;
    otherwise government staff decide per activity. Organization staff cannot designate (nor
    undo a designation) under `per_activity`."""
    if organization is not None and organization.designation == "all_activities":
        if requested is False:
            raise AllDesignated()
        return True
    if requested is None:
        return bool(current)
    if actor.is_org and requested != bool(current):
        raise Forbidden("organization staff cannot designate activities; the government does")
    return requested


def apply_patch(activity: Activity, changes: dict[str, Any], *, now: str) -> Activity:
    """A changed activity; times re-checked together. Cancelled activities are final."""
    if activity.cancelled:
        raise ActivityCancelled("a cancelled activity cannot be changed")
    starts_at, ends_at = check_times(
        changes.get("starts_at", activity.starts_at), changes.get("ends_at", activity.ends_at)
    )
    allowed = {"name", "place", "conditions", "capacity", "designated", "checkin_mode"}
    rest = {k: v for k, v in changes.items() if k in allowed}
    return replace(activity, **rest, starts_at=starts_at, ends_at=ends_at, updated_at=now)


def cancel(activity: Activity, *, reason: str | None, now: str) -> Activity:
    if activity.cancelled:
        return activity
    return replace(activity, status="cancelled", cancelled_at=now, cancel_reason=reason, updated_at=now)
