"""The registration card (登録証): GET /v1/me/card."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.shapes import checkins as shapes

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.get("/v1/me/card")
@endpoint(
    router,
    "The registration card: a short-lived member code for staff scans, one card per active registration",
    responses={200: shapes.CARD},
)
def get_card() -> Response[Any]:
    from furusato.capabilities import checkins

    who = auth.registrant(router)
    return json_response(200, checkins.card(who.sub), headers={"Cache-Control": "no-store"})
