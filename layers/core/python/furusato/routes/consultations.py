"""Consultations (相談): the registrant's side and the government's side."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.shapes import contents as shapes
from furusato.shapes.common import PAGING_QUERY

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()

STAFF = "/v1/admin/lgs/<lg_code>/consultations"
# Viewers read; admins and coordinators answer and close.
ANSWERERS = frozenset({"admin", "coordinator"})


@router.post("/v1/me/consultations")
@endpoint(
    router,
    "Ask a government I am registered with (409 NOT_REGISTERED otherwise)",
    body=shapes.CONSULTATION_IN,
    responses={201: shapes.CONSULTATION},
    idempotent=True,
    errors=("NOT_REGISTERED",),
)
def open_consultation(body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.registrant(router)
    return json_response(201, consultations.open_consultation(who.sub, body))


@router.get("/v1/me/consultations")
@endpoint(
    router, "My consultations, newest first", query=PAGING_QUERY, responses={200: shapes.CONSULTATION_PAGE}
)
def my_consultations(query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import consultations, deleted_accounts

    who = auth.registrant(router)
    items, next_cursor = consultations.my_consultations(who.sub, limit=query["limit"], cursor=query["cursor"])
    deleted_accounts.refuse_empty_page(who.sub, items, query["cursor"])
    return json_response(200, page(items, next_cursor))


@router.get("/v1/me/consultations/<consultation_id>")
@endpoint(router, "One of my consultations with its messages", responses={200: shapes.CONSULTATION})
def my_consultation(consultation_id: str) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.registrant(router)
    return json_response(200, consultations.my_consultation(who.sub, consultation_id))


@router.post("/v1/me/consultations/<consultation_id>/messages")
@endpoint(
    router,
    "Add a message (an answered consultation opens again; a closed one takes none: 409)",
    body=shapes.MESSAGE_IN,
    responses={201: shapes.CONSULTATION},
    idempotent=True,
    errors=("CONSULTATION_CLOSED", "CONSULTATION_FULL", "CONSULTATION_CHANGED"),
)
def add_my_message(consultation_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.registrant(router)
    return json_response(201, consultations.add_my_message(who.sub, consultation_id, body["body"]))


@router.get(STAFF)
@endpoint(
    router,
    "Consultations by status, oldest waiting first (without status: open, answered, closed)",
    query=shapes.STAFF_CONSULTATIONS_QUERY,
    responses={200: shapes.CONSULTATION_PAGE},
)
def staff_list(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.staff(router, lg_code, auth.READERS)
    assert who.staff_role is not None
    items, next_cursor = consultations.staff_list(
        who.sub, who.staff_role, lg_code, status=query["status"], limit=query["limit"], cursor=query["cursor"]
    )
    return json_response(200, page(items, next_cursor), headers={"Cache-Control": "no-store"})


@router.get(f"{STAFF}/<consultation_id>")
@endpoint(router, "A consultation with its messages", responses={200: shapes.CONSULTATION})
def staff_get(lg_code: str, consultation_id: str) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.staff(router, lg_code, auth.READERS)
    assert who.staff_role is not None
    view = consultations.staff_get(who.sub, who.staff_role, lg_code, consultation_id)
    return json_response(200, view, headers={"Cache-Control": "no-store"})


@router.post(f"{STAFF}/<consultation_id>/messages")
@endpoint(
    router,
    "Reply (admin, coordinator): the consultation becomes answered and the registrant is notified",
    body=shapes.MESSAGE_IN,
    responses={201: shapes.CONSULTATION},
    idempotent=True,
    errors=("CONSULTATION_CLOSED", "CONSULTATION_FULL", "CONSULTATION_CHANGED"),
)
def staff_reply(lg_code: str, consultation_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.staff(router, lg_code, ANSWERERS)
    assert who.staff_role is not None
    view = consultations.staff_reply(who.sub, who.staff_role, lg_code, consultation_id, body["body"])
    return json_response(201, view)


@router.post(f"{STAFF}/<consultation_id>/close")
@endpoint(router, "Close a consultation (admin, coordinator)", responses={200: shapes.CONSULTATION})
def staff_close(lg_code: str, consultation_id: str) -> Response[Any]:
    from furusato.capabilities import consultations

    who = auth.staff(router, lg_code, ANSWERERS)
    assert who.staff_role is not None
    return json_response(200, consultations.staff_close(who.sub, who.staff_role, lg_code, consultation_id))
