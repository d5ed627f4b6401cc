"""Operator (the ministry): onboarding local governments and issuing their first staff IDs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from furusato.api import auth, idempotency
from furusato.api.app import DEFAULT_LIMIT, MAX_LIMIT, json_response, page
from furusato.api.models import OnboardIn, StaffIn
from furusato.capabilities import onboarding

router = Router()


@router.post("/v1/operator/lgs")
def onboard(
    body: Annotated[OnboardIn, Body()],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response[Any]:
    who = auth.operator(router)

    def create() -> Response[Any]:
        return json_response(201, onboarding.onboard(**body.model_dump()))

    return idempotency.run(
        sub=who.sub,
        key=idempotency_key,
        route="POST /v1/operator/lgs",
        body=json.loads(body.model_dump_json()),
        create=create,
    )


@router.get("/v1/operator/lgs")
def list_onboarded(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[Any]:
    auth.operator(router)
    items, next_cursor = onboarding.list_onboarded(limit=limit, cursor=cursor)
    return json_response(200, page(items, next_cursor))


@router.post("/v1/operator/lgs/<lg_code>/staff")
def create_staff(
    lg_code: str,
    body: Annotated[StaffIn, Body()],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response[Any]:
    who = auth.operator(router)

    def create() -> Response[Any]:
        return json_response(201, onboarding.create_staff(lg_code, body.email, body.staff_role))

    return idempotency.run(
        sub=who.sub,
        key=idempotency_key,
        route=f"POST /v1/operator/lgs/{lg_code}/staff",
        body=json.loads(body.model_dump_json()),
        create=create,
    )
