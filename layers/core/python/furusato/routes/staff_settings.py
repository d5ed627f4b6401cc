"""Staff of a local government: premium settings and the registrations list."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.domain.lg import PremiumSettings, check_settings
from furusato.domain.registration import Registration
from furusato.shapes.common import page_of
from furusato.shapes.governments import SETTINGS, SETTINGS_IN
from furusato.shapes.registrations import STAFF_REGISTRATION, STAFF_REGISTRATIONS_QUERY
from furusato.store import lgs, people

router = Router()


@router.get("/v1/admin/lgs/<lg_code>/settings")
@endpoint(router, "Premium settings", responses={200: SETTINGS})
def get_settings(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, lgs.require(lg_code).settings.to_dict())


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
    auth.staff(router, lg_code, auth.ADMIN)
    lg = lgs.require(lg_code)
    settings = check_settings(lg.kind, PremiumSettings(**body))
    lgs.save_settings(lg_code, settings)
    return json_response(200, settings.to_dict())


@router.get("/v1/admin/lgs/<lg_code>/registrations")
@endpoint(
    router,
    "Registrations with this government",
    query=STAFF_REGISTRATIONS_QUERY,
    responses={200: page_of("StaffRegistrationPage", STAFF_REGISTRATION)},
)
def list_registrations(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, auth.READERS)
    items, next_cursor = people.list_for_lg(lg_code, **query)
    # Survey answers are personal data: staff reads are recorded (rule 24).
    audit.record(
        actor_sub=who.sub,
        lg_code=lg_code,
        staff_role=who.staff_role,
        action="read",
        resource="registrations",
        purpose="registrant management",
        records=len(items),
    )
    return json_response(
        200,
        page(
            [staff_registration_view(r) for r in items],
            next_cursor,
        ),
    )


def staff_registration_view(r: Registration) -> dict[str, Any]:
    """A registration as staff see it (the list, and one registration)."""
    return {
        "registration_id": r.registration_id,
        "lg_code": r.lg_code,
        "plan": r.plan,
        "status": r.status,
        "own_residence": r.own_residence,
        "auto_created": r.auto_created,
        "registered_at": r.registered_at,
        "auto_upgrade": r.auto_upgrade,
        "premium": (
            {"valid_until": r.premium_valid_until, "long_term_stayer": r.long_term_stayer}
            if r.plan == "premium"
            else None
        ),
        "survey_answers": r.survey_answers,
    }
