"""The registrant's scans and records: POST /v1/checkins, GET /v1/me/participations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth, idempotency
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.shapes import checkins as shapes

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.post("/v1/checkins")
@endpoint(
    router,
    "Record participation from a scanned QR code (a repeated scan changes nothing)",
    body=shapes.CHECKIN_IN,
    responses={201: shapes.CHECKIN_RESULT, 200: shapes.CHECKIN_RESULT},
    idempotent=idempotency.BY_ITSELF,
    errors=(
        "INVALID_TOKEN",
        "TOKEN_EXPIRED",
        "ACTIVITY_CANCELLED",
        "OUTSIDE_WINDOW",
        "WRONG_CHECKIN_MODE",
        "RATE_LIMITED",
    ),
)
def check_in(body: dict[str, Any]) -> Response[Any]:
    """A check-in is exactly-once by itself (one record per person and activity, decided by a
    conditional put that returns the stored record): an `Idempotency-Key` is checked but adds no
    round trip; a retry answers 200 `already_recorded` with the first record."""
    from furusato.capabilities import checkins

    who = auth.registrant(router)
    status, view = checkins.check_in(
        who.sub, token=body["token"], nonce=body["nonce"], scanned_at=body["scanned_at"]
    )
    return json_response(status, view)


@router.get("/v1/me/participations")
@endpoint(
    router,
    "My participation records, newest first",
    query=shapes.MY_PARTICIPATIONS_QUERY,
    responses={200: shapes.PARTICIPATION_PAGE},
)
def my_participations(query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import checkins

    who = auth.registrant(router)
    items, next_cursor = checkins.my_participations(
        who.sub,
        lg_code=query["lg_code"],
        from_day=query["from"],
        to_day=query["to"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return json_response(200, page(items, next_cursor))
