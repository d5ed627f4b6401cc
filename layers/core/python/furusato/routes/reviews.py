"""Coordinators: premium reviews and approved stay declarations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.shapes.registrations import REVIEW_IN, REVIEW_RESULT, STAFF_REGISTRATION_DETAIL, STAYS, STAYS_IN

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()
DECIDERS = frozenset({"admin", "coordinator"})


@router.get("/v1/admin/lgs/<lg_code>/registrations/<registration_id>")
@endpoint(
    router,
    "One registration with the documents handed in with its premium application (coordinator)",
    responses={200: STAFF_REGISTRATION_DETAIL},
)
def get_registration(lg_code: str, registration_id: str) -> Response[Any]:
    from furusato.capabilities import reviews

    who = auth.staff(router, lg_code, DECIDERS)
    view = reviews.registration_detail(lg_code, registration_id)
    # Survey answers and documents are personal data: the read is recorded (rule 24).
    audit.staff_access(
        who,
        lg_code,
        action="read",
        resource=f"registrations/{registration_id}",
        purpose="premium review",
        records=1,
    )
    return json_response(200, view)


@router.post("/v1/admin/lgs/<lg_code>/registrations/<registration_id>/review")
@endpoint(
    router,
    "Decide a premium application waiting for review (coordinator)",
    body=REVIEW_IN,
    responses={200: REVIEW_RESULT},
    errors=(
        "NOT_PENDING_REVIEW",
        "IDENTITY_NOT_VERIFIED",
        "NOT_ENOUGH_ACTIVITIES",
        "PREMIUM_LIMIT_REACHED",
        "CONCURRENT_UPDATE",
    ),
    roles=DECIDERS,
)
def review(lg_code: str, registration_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import reviews

    who = auth.staff(router, lg_code, DECIDERS)
    result = reviews.review(lg_code, registration_id, body["decision"], body["reason"], who.sub)
    audit.staff_access(
        who,
        lg_code,
        action="decide",
        resource=f"registrations/{registration_id}",
        purpose="premium review",
        records=1,
    )
    return json_response(200, result)


@router.post("/v1/admin/lgs/<lg_code>/stays")
@endpoint(
    router,
    "Record approved stay declarations (coordinator)",
    body=STAYS_IN,
    responses={201: STAYS},
    errors=("CONCURRENT_UPDATE",),
    roles=DECIDERS,
)
def stays(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import reviews

    who = auth.staff(router, lg_code, DECIDERS)
    result = reviews.approve_stays(lg_code, body["registration_id"], body["days"], body["note"], who.sub)
    audit.staff_access(
        who,
        lg_code,
        action="change",
        resource=f"registrations/{body['registration_id']}/stays",
        purpose="stay declarations",
        records=len(body["days"]),
    )
    return json_response(201, result)
