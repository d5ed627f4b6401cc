"""The registrant's identity verification and notifications inbox."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.shapes.common import PAGING_QUERY, page_of
from furusato.shapes.people import IDENTITY, IDENTITY_IN, IDENTITY_NONCE, NOTIFICATION

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.post("/v1/me/identity-verifications/nonce")
@endpoint(
    router,
    "Start an identity verification: a single-use nonce bound to this account",
    responses={201: IDENTITY_NONCE},
)
def new_identity_nonce() -> Response[Any]:
    from furusato.capabilities import identity

    who = auth.registrant(router)
    return json_response(201, identity.new_nonce(who.sub))


@router.post("/v1/me/identity-verifications")
@endpoint(
    router,
    "Verify identity with the My Number Card (an assertion of the identity provider)",
    body=IDENTITY_IN,
    responses={201: IDENTITY},
    errors=("INVALID_ASSERTION", "GUARDIAN_CONSENT_REQUIRED", "IDENTITY_ALREADY_BOUND", "IDENTITY_LOCKED"),
)
def verify_identity(body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import identity

    who = auth.registrant(router)
    return json_response(201, identity.verify(who.sub, body["assertion"], body["guardian_consent"]))


@router.get("/v1/me/notifications")
@endpoint(
    router,
    "Notifications, newest first",
    query=PAGING_QUERY,
    responses={200: page_of("NotificationPage", NOTIFICATION)},
)
def list_notifications(query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import deleted_accounts, notifications

    who = auth.registrant(router)
    items, next_cursor = notifications.inbox(who.sub, **query)
    deleted_accounts.refuse_empty_page(who.sub, items, query.get("cursor"))
    return json_response(200, page(items, next_cursor))
