"""Operator (the ministry): onboarding local governments and issuing their first staff IDs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.shapes.common import PAGING_QUERY, page_of
from furusato.shapes.governments import LG_ONBOARDED, ONBOARD_IN
from furusato.shapes.staff import AUDIT_RECORD, OPERATOR_AUDIT_QUERY, STAFF_IN, STAFF_USER

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.post("/v1/operator/lgs")
@endpoint(
    router,
    "Onboard a local government",
    body=ONBOARD_IN,
    responses={201: LG_ONBOARDED},
    idempotent=True,
    errors=("ALREADY_ONBOARDED",),
)
def onboard(body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import onboarding

    auth.operator(router)
    return json_response(201, onboarding.onboard(**body))


@router.get("/v1/operator/lgs")
@endpoint(
    router,
    "Onboarded local governments",
    query=PAGING_QUERY,
    responses={200: page_of("OnboardedPage", LG_ONBOARDED)},
)
def list_onboarded(query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import onboarding

    auth.operator(router)
    items, next_cursor = onboarding.list_onboarded(**query)
    return json_response(200, page(items, next_cursor))


@router.post("/v1/operator/lgs/<lg_code>/staff")
@endpoint(
    router,
    "Issue a staff ID of a local government",
    body=STAFF_IN,
    responses={201: STAFF_USER},
    idempotent=True,
    errors=("LG_NOT_ONBOARDED", "STAFF_ALREADY_EXISTS"),
)
def create_staff(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import onboarding

    who = auth.operator(router)
    view = onboarding.create_staff(lg_code, body["email"], body["staff_role"], created_by=who.sub)
    return json_response(201, view)


@router.get("/v1/operator/audit")
@endpoint(
    router,
    "A government's audit trail of staff access to personal data",
    query=OPERATOR_AUDIT_QUERY,
    responses={200: page_of("OperatorAuditPage", AUDIT_RECORD)},
)
def read_audit(query: dict[str, Any]) -> Response[Any]:
    auth.operator(router)
    items, next_cursor = audit.read(
        query["lg_code"],
        start=query["from"],
        end=query["to"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return json_response(200, page(items, next_cursor))
