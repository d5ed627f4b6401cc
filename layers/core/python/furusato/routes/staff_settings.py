"""Staff of a local government: premium settings and the registrations list."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.shapes.common import page_of
from furusato.shapes.governments import SETTINGS, SETTINGS_IN
from furusato.shapes.registrations import STAFF_REGISTRATION, STAFF_REGISTRATIONS_QUERY

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.get("/v1/admin/lgs/<lg_code>/settings")
@endpoint(router, "Premium settings", responses={200: SETTINGS})
def get_settings(lg_code: str) -> Response[Any]:
    from furusato.capabilities import governments

    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, governments.get_settings(lg_code))


@router.put("/v1/admin/lgs/<lg_code>/settings")
@endpoint(
    router,
    "Change premium settings (admin)",
    body=SETTINGS_IN,
    responses={200: SETTINGS},
    errors=("CONCURRENT_UPDATE",),
    roles=auth.ADMIN,
)
def put_settings(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import governments

    auth.staff(router, lg_code, auth.ADMIN)
    return json_response(200, governments.put_settings(lg_code, body))


@router.get("/v1/admin/lgs/<lg_code>/registrations")
@endpoint(
    router,
    "Registrations with this government",
    query=STAFF_REGISTRATIONS_QUERY,
    responses={200: page_of("StaffRegistrationPage", STAFF_REGISTRATION)},
)
def list_registrations(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import registrations

    who = auth.staff(router, lg_code, auth.READERS)
    items, next_cursor = registrations.staff_list(lg_code, **query)
    # Survey answers are personal data: staff reads are recorded (rule 24).
    audit.staff_access(
        who,
        lg_code,
        action="read",
        resource="registrations",
        purpose="registrant management",
        records=len(items),
    )
    return json_response(200, page(items, next_cursor))
