"""Activities: staff management, QR codes, staff scans, rosters; and the public listing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.domain.errors import InvalidInput
from furusato.routes.organizations import ALL_STAFF, MANAGERS, staff_actor
from furusato.shapes import checkins as shapes
from furusato.shapes.common import given

# The government's own staff decide whether an offline scan is evidence, not an organization's.
DECIDERS = frozenset({"admin", "coordinator"})

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()

PREFIX = "/v1/admin/lgs/<lg_code>/activities"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(content_type: str, body: bytes, filename: str) -> Response[Any]:
    return Response(
        status_code=200,
        content_type=content_type,
        body=body,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- public ------------------------------------------------------------------------------


@router.get("/v1/local-governments/<lg_code>/activities")
@endpoint(
    router,
    "Upcoming activities of a government (cancelled ones left out)",
    query=shapes.PUBLIC_ACTIVITIES_QUERY,
    responses={200: shapes.ACTIVITY_PAGE},
)
def public_activities(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    items, next_cursor = activities.public_activities(
        lg_code,
        from_day=query["from"],
        to_day=query["to"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return json_response(200, page(items, next_cursor))


# --- staff -------------------------------------------------------------------------------


@router.post(PREFIX)
@endpoint(
    router,
    "Plan an activity (admin, coordinator; organization staff for their organization)",
    body=shapes.ACTIVITY_IN,
    responses={201: shapes.STAFF_ACTIVITY},
    idempotent=True,
    errors=("CONCURRENT_UPDATE",),
    roles=MANAGERS,
)
def create_activity(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, MANAGERS)
    return json_response(201, activities.create_activity(actor, body))


@router.get(PREFIX)
@endpoint(
    router,
    "Activities by start time (organization staff: their organization's)",
    query=shapes.STAFF_ACTIVITIES_QUERY,
    responses={200: shapes.STAFF_ACTIVITY_PAGE},
)
def list_activities(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, ALL_STAFF)
    items, next_cursor = activities.list_activities(
        actor,
        from_day=query["from"],
        to_day=query["to"],
        status=query["status"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return json_response(200, page(items, next_cursor))


@router.get(f"{PREFIX}/<activity_id>")
@endpoint(
    router, "An activity with its participant count and failed scans", responses={200: shapes.STAFF_ACTIVITY}
)
def get_activity(lg_code: str, activity_id: str) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, ALL_STAFF)
    return json_response(200, activities.get_activity(actor, activity_id))


@router.patch(f"{PREFIX}/<activity_id>")
@endpoint(
    router,
    "Change an activity (organization staff cannot designate under per_activity)",
    body=shapes.ACTIVITY_PATCH,
    responses={200: shapes.STAFF_ACTIVITY},
    errors=("ACTIVITY_CANCELLED", "CONCURRENT_UPDATE"),
    roles=MANAGERS,
)
def patch_activity(lg_code: str, activity_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, MANAGERS)
    changes = given(body)
    if not changes:
        raise InvalidInput("nothing to change", details={"body": "name at least one field"})
    return json_response(200, activities.update_activity(actor, activity_id, changes))


@router.post(f"{PREFIX}/<activity_id>/cancel")
@endpoint(
    router,
    "Cancel an activity: its codes stop working (body: {} or {reason})",
    body=shapes.CANCEL_IN,
    responses={200: shapes.STAFF_ACTIVITY},
    errors=("CONCURRENT_UPDATE",),
    roles=MANAGERS,
)
def cancel_activity(lg_code: str, activity_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, MANAGERS)
    return json_response(200, activities.cancel_activity(actor, activity_id, body["reason"]))


@router.get(f"{PREFIX}/<activity_id>/qr")
@endpoint(
    router,
    "The static QR code: an A4 poster (pdf, png, svg) or {token, url, valid_from, valid_until} (json)",
    query=shapes.QR_QUERY,
    responses={200: shapes.QR_TOKEN},
    media=("image/png", "application/pdf", "image/svg+xml"),
    errors=("ACTIVITY_CANCELLED", "WRONG_CHECKIN_MODE"),
    roles=MANAGERS,
)
def get_qr(lg_code: str, activity_id: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, MANAGERS)
    content_type, body, filename = activities.qr(actor, activity_id, query["format"])
    if isinstance(body, dict):
        return json_response(200, body)
    return _file(content_type, body, filename)


@router.get(f"{PREFIX}/<activity_id>/live-token")
@endpoint(
    router,
    "The current rotating code for a screen at the venue",
    responses={200: shapes.LIVE_TOKEN},
    errors=("ACTIVITY_CANCELLED", "WRONG_CHECKIN_MODE"),
)
def get_live_token(lg_code: str, activity_id: str) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, MANAGERS)
    return json_response(
        200, activities.live_token(actor, activity_id), headers={"Cache-Control": "no-store"}
    )


@router.post(f"{PREFIX}/<activity_id>/checkins")
@endpoint(
    router,
    "Staff scan of a registrant's member code",
    body=shapes.STAFF_CHECKIN_IN,
    responses={200: shapes.STAFF_CHECKIN_RESULT, 201: shapes.STAFF_CHECKIN_RESULT},
    idempotent=True,
    errors=("ACTIVITY_CANCELLED", "OUTSIDE_WINDOW", "WRONG_CHECKIN_MODE"),
    roles=MANAGERS,
)
def staff_checkin(lg_code: str, activity_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import checkins

    actor = staff_actor(lg_code, MANAGERS)
    status, view = checkins.staff_check_in(
        actor, activity_id, member_token=body["member_token"], nonce=body["nonce"]
    )
    audit.staff_access(
        actor,
        lg_code,
        action="record",
        resource=f"activities/{activity_id}/participants",
        purpose="staff check-in",
        records=1,
    )
    return json_response(status, view)


@router.get(f"{PREFIX}/<activity_id>/participants")
@endpoint(
    router,
    "The roster (format=xlsx: the whole roster as a spreadsheet whose cells are all text)",
    query=shapes.PARTICIPANTS_QUERY,
    responses={200: shapes.PARTICIPANT_PAGE},
    media=XLSX,
)
def list_participants(lg_code: str, activity_id: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, ALL_STAFF)
    if query["format"] == "xlsx":
        content, filename = activities.roster_xlsx(actor, activity_id)
        return _file(XLSX, content, filename)
    items, next_cursor = activities.roster(actor, activity_id, limit=query["limit"], cursor=query["cursor"])
    return json_response(200, page(items, next_cursor), headers={"Cache-Control": "no-store"})


@router.post(f"{PREFIX}/<activity_id>/participants/<participation_id>/confirmation")
@endpoint(
    router,
    "Confirm or reject an unconfirmed participation (an offline scan that arrived after the "
    "window); deciding the same way again changes nothing",
    body=shapes.PARTICIPATION_DECISION_IN,
    responses={200: shapes.PARTICIPANT},
    errors=("NOT_DECIDABLE", "CONCURRENT_UPDATE"),
    roles=DECIDERS,
)
def decide_participation(
    lg_code: str, activity_id: str, participation_id: str, body: dict[str, Any]
) -> Response[Any]:
    from furusato.capabilities import checkins

    actor = staff_actor(lg_code, DECIDERS)
    changed, line = checkins.decide_participation(actor, activity_id, participation_id, body["decision"])
    audit.staff_access(  # every answer names the person: a repeated decision is recorded as a read
        actor,
        lg_code,
        action=body["decision"] if changed else "read",
        resource=f"activities/{activity_id}/participants/{participation_id}",
        purpose="confirmation of an offline scan",
        records=1,
    )
    return json_response(200, line, headers={"Cache-Control": "no-store"})


@router.post(f"{PREFIX}/<activity_id>/participants/exports")
@endpoint(
    router,
    "Export the whole roster as a spreadsheet, asynchronously (large rosters: poll the job)",
    responses={202: shapes.ROSTER_EXPORT},
)
def start_roster_export(lg_code: str, activity_id: str) -> Response[Any]:
    from furusato.capabilities import roster_exports  # only export requests need it

    actor = staff_actor(lg_code, ALL_STAFF)
    return json_response(202, roster_exports.start(actor, activity_id), headers={"Cache-Control": "no-store"})


@router.get(f"{PREFIX}/<activity_id>/participants/exports/<export_id>")
@endpoint(
    router,
    "A roster export: its progress, and once completed a short-lived download link",
    responses={200: shapes.ROSTER_EXPORT},
)
def get_roster_export(lg_code: str, activity_id: str, export_id: str) -> Response[Any]:
    from furusato.capabilities import roster_exports

    actor = staff_actor(lg_code, ALL_STAFF)
    view = roster_exports.get(actor, activity_id, export_id)
    return json_response(200, view, headers={"Cache-Control": "no-store"})
