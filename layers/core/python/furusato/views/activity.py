"""Activities and organizations as the government's staff see them, and an activity as the app
may show it to anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from furusato.clock import iso
from furusato.domain.activity import Activity, Organization


def organization_view(org: Organization) -> dict[str, Any]:
    return {
        "org_id": org.org_id,
        "lg_code": org.lg_code,
        "name": org.name,
        "kind": org.kind,
        "designation": org.designation,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
    }


def public_view(activity: Activity) -> dict[str, Any]:
    """What the app may show anyone: no rosters, no counters, no staff notes."""
    return {
        "activity_id": activity.activity_id,
        "lg_code": activity.lg_code,
        "name": activity.name,
        "starts_at": iso(activity.starts_at),
        "ends_at": iso(activity.ends_at),
        "place": activity.place,
        "conditions": activity.conditions,
        "capacity": activity.capacity,
        "organization_id": activity.organization_id,
        "designated": activity.designated,
        "checkin_mode": activity.checkin_mode,
        "status": activity.status,
    }


def staff_view(activity: Activity, *, participant_count: int | None = None) -> dict[str, Any]:
    view = {
        **public_view(activity),
        "checkin_opens_at": iso(activity.checkin_opens),
        "checkin_closes_at": iso(activity.checkin_closes),
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
        "cancelled_at": activity.cancelled_at,
        "cancel_reason": activity.cancel_reason,
        "scan_failures": dict(sorted(activity.scan_failures.items())),
    }
    if participant_count is not None:
        view["participant_count"] = participant_count
    return view


def static_qr_view(activity: Activity, token: str, url: str) -> dict[str, Any]:
    """The static check-in code for tools, valid through the activity's check-in window."""
    return {
        "token": token,
        "url": url,
        "valid_from": iso(activity.checkin_opens),
        "valid_until": iso(activity.checkin_closes),
    }


def live_token_view(
    token: str,
    url: str,
    *,
    valid_from: datetime,
    valid_until: datetime,
    refresh_at: datetime,
    step_seconds: int,
) -> dict[str, Any]:
    """The current rotating code for a screen at the venue, and when to fetch the next one."""
    return {
        "token": token,
        "url": url,
        "valid_from": iso(valid_from),
        "valid_until": iso(valid_until),
        "refresh_at": iso(refresh_at),
        "step_seconds": step_seconds,
    }
