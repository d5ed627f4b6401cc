"""Organizations and activities of a government (rules 11, 17-18): the use cases behind
/v1/admin/lgs/{lg_code}/organizations|activities and the public activity listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger

from furusato import audit, clock
from furusato.domain import tokens
from furusato.domain.activity import (
    Activity,
    Actor,
    Organization,
    WrongCheckinMode,
    apply_patch,
    cancel,
    check_times,
    require_manageable,
    require_visible,
    resolve_designated,
)
from furusato.domain.activity import ActivityCancelled as Cancelled
from furusato.domain.checkin import ParticipationRecord
from furusato.domain.errors import Forbidden, InvalidInput, NotFound
from furusato.domain.lg_code import is_valid_lg_code
from furusato.settings import settings
from furusato.store import activities as store
from furusato.store import keyring, lgs, participations
from furusato.store.ids import new_id
from furusato.views.activity import (
    live_token_view,
    organization_view,
    public_view,
    staff_view,
    static_qr_view,
)
from furusato.views.participation import pending_line, roster_line

QrFormat = Literal["pdf", "png", "svg", "json"]
logger = Logger(service="furusato", child=True)


def checkin_url(token: str) -> str:
    """The link a QR code carries: the token rides in the fragment, which no server sees."""
    return f"{settings().public_base_url.rstrip('/')}/checkin#{token}"


# --- organizations -----------------------------------------------------------------------


def create_organization(actor: Actor, *, name: str, kind: str, designation: str) -> dict[str, Any]:
    now = clock.iso(clock.now())
    org = Organization(
        org_id=new_id("org"),
        lg_code=actor.lg_code,
        name=name.strip(),
        kind=kind,  # type: ignore[arg-type]
        designation=designation,  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
    )
    store.create_organization(org)
    return organization_view(org)


def _visible_org(actor: Actor, org_id: str) -> Organization:
    if actor.is_org and actor.org_id != org_id:
        raise NotFound("organization not found")
    org = store.get_organization(actor.lg_code, org_id)
    if org is None:
        raise NotFound("organization not found")
    return org


def get_organization(actor: Actor, org_id: str) -> dict[str, Any]:
    return organization_view(_visible_org(actor, org_id))


def list_organizations(
    actor: Actor, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    if actor.is_org:
        org = store.get_organization(actor.lg_code, actor.org_id or "")
        return ([organization_view(org)] if org else []), None
    items, next_cursor = store.list_organizations(actor.lg_code, limit=limit, cursor=cursor)
    return [organization_view(o) for o in items], next_cursor


def update_organization(actor: Actor, org_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A switch to `all_activities` designates every activity of the organization (and the
    records of their participants); a switch back keeps each activity's current designation."""
    org = _visible_org(actor, org_id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    updated = replace(org, **changes, updated_at=clock.iso(clock.now()))
    store.save_organization(updated)
    if org.designation != "all_activities" and updated.designation == "all_activities":
        for activity in store.all_of_organization(actor.lg_code, org_id):
            if not activity.designated:
                store.designate(actor.lg_code, activity.activity_id, now=updated.updated_at)
    return organization_view(updated)


# --- activities --------------------------------------------------------------------------


def _organization_for(actor: Actor, requested: str | None) -> Organization | None:
    """The organization an activity is created under: organization staff only their own."""
    if actor.is_org:
        if requested is not None and requested != actor.org_id:
            raise Forbidden("organization staff create activities of their own organization only")
        requested = actor.org_id
    if requested is None:
        return None
    org = store.get_organization(actor.lg_code, requested)
    if org is None:
        if actor.is_org:
            raise Forbidden("your organization is not registered with this local government")
        raise NotFound("organization not found", details={"organization_id": "no such organization"})
    return org


def create_activity(actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    if not actor.manages:
        raise Forbidden("needs one of: admin, coordinator, org")
    starts_at, ends_at = check_times(fields["starts_at"], fields["ends_at"])
    org = _organization_for(actor, fields.get("organization_id"))
    designated = resolve_designated(actor=actor, organization=org, requested=fields.get("designated"))
    now = clock.iso(clock.now())
    activity = Activity(
        activity_id=new_id("act"),
        lg_code=actor.lg_code,
        name=fields["name"].strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=fields["place"].strip(),
        conditions=fields.get("conditions"),
        capacity=fields.get("capacity"),
        organization_id=org.org_id if org else None,
        designated=designated,
        checkin_mode=fields.get("checkin_mode") or "static_qr",
        status="scheduled",
        created_at=now,
        updated_at=now,
    )
    store.create_activity(activity, created_by=actor.sub)
    return staff_view(activity, participant_count=0)


def get_activity(actor: Actor, activity_id: str) -> dict[str, Any]:
    """One BatchGetItem: the activity and its count's shards."""
    found, count = store.get_with_count(actor.lg_code, activity_id)
    activity = require_visible(actor, found)
    return staff_view(activity, participant_count=count)


def list_activities(
    actor: Actor,
    *,
    from_day: date | None,
    to_day: date | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = store.list_activities(
        actor.lg_code,
        from_day=from_day,
        to_day=to_day,
        organization_id=actor.org_id if actor.is_org else None,
        scheduled_only=False,
        limit=limit,
        cursor=cursor,
    )
    if actor.is_org and not actor.org_id:
        items = []
    views = [staff_view(a) for a in items if status is None or a.status == status]
    return views, next_cursor


def update_activity(actor: Actor, activity_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """At most 3 round trips whatever the roster's size, the route guard's read of the caller's
    staff record included: one BatchGetItem, then the write. Its records' copies of the
    description and designation follow asynchronously (capabilities.activity_copies, a stream
    consumer): a request never waits for a roster.

    The organization decides the designation (rule 11). Organization staff may edit only their
    own organization's activities, so its key rides in the BatchGetItem (its id is on their staff
    record). Government staff read no organization: its designation changes what they may do
    only when they undesignate its activity, and that write checks it in the same call."""
    found, count, org = store.get_for_change(
        actor.lg_code, activity_id, actor.org_id if actor.is_org else None
    )
    activity = require_manageable(actor, found)
    if activity.cancelled:
        raise Cancelled("a cancelled activity cannot be changed")
    if "designated" in changes or actor.is_org:
        changes["designated"] = resolve_designated(
            actor=actor, organization=org, requested=changes.get("designated"), current=activity.designated
        )
    for text in ("name", "place"):
        if text in changes:
            changes[text] = changes[text].strip()
    updated = apply_patch(activity, changes, now=clock.iso(clock.now()))
    undesignates = not actor.is_org and changes.get("designated") is False
    store.update_activity(updated, seen=activity, unless_all_activities=undesignates)
    return staff_view(updated, participant_count=count)


def cancel_activity(actor: Actor, activity_id: str, reason: str | None) -> dict[str, Any]:
    activity = require_manageable(actor, store.get_activity(actor.lg_code, activity_id, consistent=True))
    cancelled = cancel(activity, reason=reason, now=clock.iso(clock.now()))
    if cancelled is not activity:
        store.update_activity(cancelled, seen=activity)
    return staff_view(cancelled)


# --- QR codes ----------------------------------------------------------------------------


def _checkin_activity(actor: Actor, activity_id: str, mode: str) -> Activity:
    activity = require_manageable(actor, store.get_activity(actor.lg_code, activity_id))
    if activity.cancelled:
        raise Cancelled("this activity was cancelled")
    if activity.checkin_mode != mode:
        raise WrongCheckinMode(
            f"this activity checks in by {activity.checkin_mode}",
            details={"checkin_mode": activity.checkin_mode},
        )
    return activity


def static_token(activity: Activity) -> str:
    """The printed code: the same token every time for the same activity window and key."""
    return tokens.issue_static(
        keyring.current(),
        lg_code=activity.lg_code,
        activity_id=activity.activity_id,
        valid_from=activity.checkin_opens,
        valid_until=activity.checkin_closes,
    )


def qr(actor: Actor, activity_id: str, fmt: QrFormat) -> tuple[str, bytes | dict[str, Any], str]:
    """(content type, body, file name) of a static QR: the A4 poster, or the token for tools."""
    activity = _checkin_activity(actor, activity_id, "static_qr")
    token = static_token(activity)
    url = checkin_url(token)
    if fmt == "json":
        return "application/json", static_qr_view(activity, token, url), ""
    from furusato.qr.poster import PosterText, raster_poster, svg_poster

    lg = lgs.get(actor.lg_code)
    text = PosterText(
        name=activity.name,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        place=activity.place,
        lg_name=lg.name if lg else actor.lg_code,
        activity_id=activity.activity_id,
    )
    if fmt == "svg":
        return "image/svg+xml", svg_poster(url, text), f"checkin-{activity.activity_id}.svg"
    if fmt == "pdf":
        return "application/pdf", raster_poster(url, text, "pdf"), f"checkin-{activity.activity_id}.pdf"
    return "image/png", raster_poster(url, text, "png"), f"checkin-{activity.activity_id}.png"


def live_token(actor: Actor, activity_id: str) -> dict[str, Any]:
    """The current rotating code for a screen at the venue; the screen refreshes every step."""
    activity = _checkin_activity(actor, activity_id, "rotating_qr")
    now = clock.now()
    token, claims = tokens.issue_rotating(
        keyring.current(), lg_code=activity.lg_code, activity_id=activity.activity_id, now=now
    )
    next_step = claims.valid_from + timedelta(seconds=tokens.ROTATION_STEP_S)
    return live_token_view(
        token,
        checkin_url(token),
        valid_from=claims.valid_from,
        valid_until=claims.expires_at,
        refresh_at=next_step,
        step_seconds=tokens.ROTATION_STEP_S,
    )


# --- rosters -----------------------------------------------------------------------------


def _audit_read(actor: Actor, activity_id: str, what: str, count: int) -> None:
    audit.staff_access(
        actor,
        actor.lg_code,
        action="export" if what.endswith(".xlsx") else "read",
        resource=f"activities/{activity_id}/{what}",
        purpose="activity roster",
        records=count,
    )


def roster_lines(lg_code: str, entries: list[participations.RosterEntry]) -> list[dict[str, Any]]:
    """Roster lines: registrants with their name and registration (read now, so a withdrawn
    person has none), and backfilled people not yet matched (`kind: "pending"`)."""
    subs = [e.sub for e in entries if isinstance(e, ParticipationRecord)]
    people = participations.roster_people(subs, lg_code) if subs else {}
    return [
        roster_line(e, name=people[e.sub][0], registration_id=people[e.sub][1])
        if isinstance(e, ParticipationRecord)
        else pending_line(e)
        for e in entries
    ]


def roster(
    actor: Actor, activity_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    require_visible(actor, store.get_activity(actor.lg_code, activity_id))
    items, next_cursor = participations.roster(activity_id, limit=limit, cursor=cursor)
    _audit_read(actor, activity_id, "participants", len(items))
    return roster_lines(actor.lg_code, items), next_cursor


def roster_xlsx(actor: Actor, activity_id: str) -> tuple[bytes, str]:
    activity = require_visible(actor, store.get_activity(actor.lg_code, activity_id))
    from furusato.capabilities.rosters import roster_workbook

    entries = list(participations.whole_roster_with_pending(activity_id))
    _audit_read(actor, activity_id, "participants.xlsx", len(entries))
    return roster_workbook(activity, roster_lines(actor.lg_code, entries)), f"participants-{activity_id}.xlsx"


# --- public ------------------------------------------------------------------------------


def public_activities(
    lg_code: str, *, from_day: date | None, to_day: date | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Upcoming activities of an onboarded government, cancelled ones left out."""
    if not is_valid_lg_code(lg_code):
        raise InvalidInput("invalid lg_code", details={"lg_code": "6 digits with a valid check digit"})
    lgs.require(lg_code)
    start = from_day or clock.today()
    if to_day is not None and to_day < start:
        raise InvalidInput("to is before from", details={"to": "on or after from"})
    items, next_cursor = store.list_activities(
        lg_code,
        from_day=start,
        to_day=to_day,
        organization_id=None,
        scheduled_only=True,
        limit=limit,
        cursor=cursor,
    )
    return [public_view(a) for a in items], next_cursor


def parse_day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"invalid {field}", details={field: "a date, YYYY-MM-DD"}) from None
