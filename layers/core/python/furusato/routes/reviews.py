"""Coordinators: premium reviews and approved stay declarations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth, models
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.api.schema import Obj, Str
from furusato.capabilities import reviews

router = Router()
DECIDERS = frozenset({"admin", "coordinator"})
REVIEW_RESULT = Obj(
    "ReviewResult",
    {
        "registration_id": Str(),
        "lg_code": Str(),
        "plan": Str(choices=("basic", "premium")),
        "status": Str(),
        "decision": Str(choices=("approve", "reject")),
        "decision_reason": Str(),
        "premium": Obj("ReviewedPremium", {"valid_until": Str()}, nullable=True),
    },
)


@router.post("/v1/admin/lgs/<lg_code>/registrations/<registration_id>/review")
@endpoint(
    router,
    "Decide a premium application waiting for review (coordinator)",
    body=models.REVIEW_IN,
    responses={200: REVIEW_RESULT},
    roles=DECIDERS,
)
def review(lg_code: str, registration_id: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, DECIDERS)
    return json_response(
        200, reviews.review(lg_code, registration_id, body["decision"], body["reason"], who.sub)
    )


@router.post("/v1/admin/lgs/<lg_code>/stays")
@endpoint(
    router,
    "Record approved stay declarations (coordinator)",
    body=models.STAYS_IN,
    responses={201: models.STAYS},
    roles=DECIDERS,
)
def stays(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, DECIDERS)
    result = reviews.approve_stays(lg_code, body["registration_id"], body["days"], body["note"], who.sub)
    return json_response(201, result)
