"""A government's admin manages its staff accounts and reads its audit trail."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response, no_content, page
from furusato.api.endpoint import endpoint
from furusato.shapes.common import PAGING_QUERY, page_of
from furusato.shapes.staff import AUDIT_QUERY, AUDIT_RECORD, STAFF_INVITE_IN, STAFF_USER

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.post("/v1/admin/lgs/<lg_code>/staff")
@endpoint(
    router,
    "Invite a staff member (coordinator, viewer or organization staff)",
    body=STAFF_INVITE_IN,
    responses={201: STAFF_USER},
    idempotent=True,
    errors=("STAFF_ALREADY_EXISTS",),
)
def invite(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import onboarding

    who = auth.staff(router, lg_code, auth.ADMIN)
    view = onboarding.invite(lg_code, body["email"], body["staff_role"], body["org_id"], invited_by=who.sub)
    return json_response(201, view)


@router.get("/v1/admin/lgs/<lg_code>/staff")
@endpoint(
    router,
    "Active staff accounts of this government",
    query=PAGING_QUERY,
    responses={200: page_of("StaffPage", STAFF_USER)},
)
def list_staff(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import onboarding

    auth.staff(router, lg_code, auth.ADMIN)
    items, next_cursor = onboarding.list_staff(lg_code, **query)
    return json_response(200, page(items, next_cursor))


@router.delete("/v1/admin/lgs/<lg_code>/staff/<staff_id>")
@endpoint(
    router, "Remove a staff account: its access ends at once", responses={204: None}, errors=("OWN_ACCOUNT",)
)
def remove(lg_code: str, staff_id: str) -> Response[Any]:
    from furusato.capabilities import onboarding

    who = auth.staff(router, lg_code, auth.ADMIN)
    onboarding.remove_staff(lg_code, staff_id, removed_by=who.sub)
    return no_content()


@router.get("/v1/admin/lgs/<lg_code>/audit")
@endpoint(
    router,
    "This government's audit trail of staff access to personal data, newest first",
    query=AUDIT_QUERY,
    responses={200: page_of("AuditPage", AUDIT_RECORD)},
)
def read_audit(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    auth.staff(router, lg_code, auth.ADMIN)
    items, next_cursor = audit.read(
        lg_code, start=query["from"], end=query["to"], limit=query["limit"], cursor=query["cursor"]
    )
    return json_response(200, page(items, next_cursor))
